"""Queue the gradebook score of a finished attempt (inside the attempt's own transaction)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from elearn.catalog.labels import pick
from elearn.extensions import db
from elearn.grades.language import language_of
from elearn.grades.models import PARKED, PENDING, GradeDelivery
from elearn.launch.models import Context, ResourceLink, User
from lti.models import as_utc, utcnow
from lti.services import Score, score_timestamp

SCORE_MAXIMUM = 100


def _timestamp(attempt, now: datetime) -> str:
    """Strictly after the learner's previous score in this placement, by a whole second at least:
    Moodle compares timestamps to the second and refuses a score that is not newer."""
    last = db.session.scalar(
        select(GradeDelivery.body).where(GradeDelivery.user_id == attempt.user_id,
                                         GradeDelivery.resource_link_pk == attempt.resource_link_pk,
                                         GradeDelivery.attempt_id != attempt.id)
        .order_by(GradeDelivery.id.desc()).limit(1))
    moment = as_utc(now)
    if last:
        previous = datetime.fromisoformat(last["timestamp"])
        moment = max(moment, previous + timedelta(seconds=1))
    return score_timestamp(moment)


def comment_for(attempt, counting, lang: str) -> str:
    """A line for the gradebook, in the course language: which attempt counts, and the pass."""
    title = pick(attempt.version.content["title"], lang)
    with force_locale(lang):
        state = gettext("passed") if counting.passed else gettext("not passed")
        return gettext("%(module)s: post-test attempt %(number)s counts, %(percent)s%% (%(state)s).",
                       module=title, number=counting.number, percent=f"{counting.percent:.0f}", state=state)


def enqueue(attempt, counting, now: datetime) -> GradeDelivery:
    """The delivery row for this finished attempt: the score of `counting` (the attempt that counts
    for the gradebook, which the quiz's counting rule chose), fixed timestamp."""
    # The learner's LTI id and the gradebook's language in one statement (not three lazy loads).
    sub, locale, course_language = db.session.execute(
        select(User.sub, User.locale, Context.language).select_from(User)
        .outerjoin(ResourceLink, ResourceLink.id == attempt.resource_link_pk)
        .outerjoin(Context, Context.id == ResourceLink.context_pk)
        .where(User.id == attempt.user_id)).one()
    lang = language_of(course_language, locale)
    score = Score(user_id=sub, score_given=round(counting.percent, 2), score_maximum=SCORE_MAXIMUM,
                  timestamp=_timestamp(attempt, now), comment=comment_for(attempt, counting, lang))
    delivery = GradeDelivery(attempt_id=attempt.id, resource_link_pk=attempt.resource_link_pk,
                             user_id=attempt.user_id, body=score.to_json(), next_try_at=now)
    db.session.add(delivery)
    return delivery


def requeue_parked(*, resource_link_pk: int | None = None, ids: tuple[int, ...] = ()) -> int:
    """Send parked deliveries again (of one placement, or these ids, or all); how many (caller commits)."""
    query = update(GradeDelivery).where(GradeDelivery.status == PARKED)
    if resource_link_pk is not None:
        query = query.where(GradeDelivery.resource_link_pk == resource_link_pk)
    if ids:
        query = query.where(GradeDelivery.id.in_(ids))
    done = db.session.execute(query.values(status=PENDING, tries=0, next_try_at=utcnow(),
                                           lease_until=None, lease_owner=None))
    return done.rowcount
