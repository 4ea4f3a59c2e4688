"""Posting one queued score through AGS, and deciding what a failure means for it.

- 2xx: delivered. 409: the LMS already holds this score or a newer one (a retry after a crash,
  or an older score overtaken): delivered, nothing posted twice.
- 401 after the connector's one retry with a fresh token, 408, 425, 429, 5xx, timeouts,
  connection errors: try again later, exponential back-off with full jitter, never sooner
  than the LMS's Retry-After.
- 400, 403, 404, 422 and other 4xx: parked with the reason, for the instructor to see and
  `flask --app elearn grades retry` to send again.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import requests
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from elearn.catalog.labels import pick
from elearn.extensions import db
from elearn.grades import event_scores
from elearn.grades.errors import Parked
from elearn.grades.language import gradebook_language
from elearn.grades.models import GradeDelivery
from elearn.launch.models import ResourceLink
from elearn.launch.stores import service_connector
from lti import claims as C
from lti.models import Platform
from lti.services import (LineItem, Score, ServiceError, create_line_item, find_line_item,
                          post_score)

RETRY_STATUSES = {401, 408, 425, 429, 500, 502, 503, 504}
TAG = "vbhc-post-test"
LINE_ITEM_LOCK = 0x7662_6331  # advisory-lock namespace ("vbc1") for finding/creating a placement's column


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery try: delivered, retry (after `delay` s) or parked."""

    kind: str                    # "delivered" | "retry" | "parked"
    status: int | None = None
    reason: str = ""
    delay: float = 0.0


def backoff(tries: int, retry_after: str | None) -> float:
    """Seconds to wait before try `tries + 1`: full jitter on an exponential cap, ≥ Retry-After."""
    base = float(current_app.config.get("GRADES_BACKOFF_BASE", 5.0))
    cap = float(current_app.config.get("GRADES_BACKOFF_CAP", 3600.0))
    delay = random.uniform(base / 2, min(cap, base * 2 ** max(tries - 1, 0)))
    return max(delay, retry_after_seconds(retry_after))


def retry_after_seconds(value: str | None) -> float:
    """A Retry-After header (seconds or an HTTP date) in seconds; 0 when absent or unreadable."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def line_item_for(delivery: GradeDelivery, conn) -> str:
    """The line item URL of the placement: the launch's, else one found or created (and kept); an
    event's attendance score goes to the event's own column instead (grades.event_scores)."""
    if delivery.event_id is not None:
        return event_scores.line_item_for(delivery, conn)
    link = db.session.get(ResourceLink, delivery.resource_link_pk)
    if link.ags_lineitem_url:
        return link.ags_lineitem_url
    # No column yet: one worker at a time finds or creates it (then looks again). An advisory lock
    # on PostgreSQL, not a lock on the link's row: that row lock was held across the calls to the
    # LMS, and every launch, post-test start and submit of the placement inserts a row referencing
    # the link (a key-share lock on it), so a whole exam waited on one worker — which, when the
    # LMS's token endpoint fetched our JWKS from those blocked threads, was a deadlock (bench/burst.py).
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(LINE_ITEM_LOCK, delivery.resource_link_pk)))
    link = db.session.scalar(select(ResourceLink).where(ResourceLink.id == delivery.resource_link_pk)
                             .execution_options(populate_existing=True))
    if link.ags_lineitem_url:
        return link.ags_lineitem_url
    if not link.ags_lineitems_url or C.SCOPE_LINEITEM not in (link.ags_scope or []):
        raise Parked("the LMS gave this placement no line item and no line item service (AGS)")
    found = find_line_item(conn, link.ags_lineitems_url, resource_link_id=link.link_id)
    if found is None:
        found = find_line_item(conn, link.ags_lineitems_url, resource_id=link.module_id, tag=TAG)
        if found is not None and found.resource_link_id not in (None, link.link_id):
            found = None  # another placement's column
    if found is None:
        found = create_line_item(conn, link.ags_lineitems_url, _new_line_item(delivery, link))
    link.ags_lineitem_url = found.id
    return found.id


def _new_line_item(delivery: GradeDelivery, link: ResourceLink) -> LineItem:
    """A column for the placement: label in the course's language, reviewable submissions."""


    attempt = delivery.attempt
    lang = gradebook_language(link, attempt.user)
    with force_locale(lang):
        label = gettext("Post-test: %(module)s", module=pick(attempt.version.content["title"], lang))
        review = gettext("Review the attempt")
    return LineItem(id=None, label=label, score_maximum=float(delivery.body["scoreMaximum"]),
                    resource_id=link.module_id, tag=TAG, resource_link_id=link.link_id,
                    extra={"submissionReview": {"reviewableStatus": ["Completed"], "label": review}})


def attempt_delivery(delivery: GradeDelivery) -> Outcome:
    """One try at posting the delivery's score; never raises for LMS or network trouble."""
    link = db.session.get(ResourceLink, delivery.resource_link_pk)
    platform = db.session.get(Platform, link.platform_id)
    if C.SCOPE_SCORE not in (link.ags_scope or []):
        return Outcome("parked", reason="the LMS did not grant the score scope (AGS) for this placement")
    conn = service_connector(platform)
    try:
        url = delivery.lineitem_url or line_item_for(delivery, conn)
        delivery.lineitem_url = url
        body = delivery.body
        status = post_score(conn, url, Score(
            user_id=body["userId"], score_given=body.get("scoreGiven"), score_maximum=body["scoreMaximum"],
            timestamp=body["timestamp"], activity_progress=body["activityProgress"],
            grading_progress=body["gradingProgress"], comment=body.get("comment")))
        return Outcome("delivered", status)
    except Parked as exc:
        return Outcome("parked", reason=str(exc))
    except ServiceError as exc:
        if exc.status == 409:
            return Outcome("delivered", 409, "409: the LMS already had this score or a newer one")
        if exc.status in RETRY_STATUSES or exc.status >= 500:
            return Outcome("retry", exc.status, str(exc)[:500], backoff(delivery.tries + 1, exc.retry_after))
        return Outcome("parked", exc.status, str(exc)[:500])
    except (requests.RequestException, ValueError) as exc:  # refused, timed out, not JSON
        return Outcome("retry", None, f"{type(exc).__name__}: {exc}"[:500], backoff(delivery.tries + 1, None))


def record(delivery: GradeDelivery, outcome: Outcome, now: datetime) -> None:
    """Write an outcome onto the delivery (caller commits)."""
    delivery.tries += 1
    delivery.last_status = outcome.status
    delivery.last_error = outcome.reason or None
    delivery.lease_until = delivery.lease_owner = None
    if outcome.kind == "delivered":
        delivery.status, delivery.delivered_at = "delivered", now
    elif outcome.kind == "retry" and delivery.tries < int(current_app.config.get("GRADES_MAX_TRIES", 25)):
        delivery.next_try_at = now + timedelta(seconds=outcome.delay)
    else:
        delivery.status = "parked"
        if outcome.kind == "retry":
            delivery.last_error = f"gave up after {delivery.tries} tries: {outcome.reason}"
