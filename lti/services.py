"""LTI Advantage services for later features: AGS line items and scores, NRPS members.

Each function takes a ToolServiceConnector (see `connector_for`) and returns plain dataclasses.
Retries beyond one 401 (429/5xx backoff, the durable outbox) belong to the caller, which gets a
ServiceError with the status and Retry-After.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from sqlalchemy.orm import Session

from lti import claims as C
from lti import keys
from lti.models import Platform
from lti.service_auth import HTTP_TIMEOUT, ServiceError, TokenCache, ToolServiceConnector, differences_link  # noqa: F401

LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 100  # a platform that pages forever must not keep us forever


@dataclass(frozen=True)
class LineItem:
    """A gradebook column."""

    id: str | None
    label: str
    score_maximum: float
    resource_id: str | None = None
    tag: str | None = None
    resource_link_id: str | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The AGS JSON for creating this line item."""
        data = dict(self.extra, label=self.label, scoreMaximum=self.score_maximum)
        for key, value in (("resourceId", self.resource_id), ("tag", self.tag),
                           ("resourceLinkId", self.resource_link_id),
                           ("startDateTime", self.start_date_time), ("endDateTime", self.end_date_time)):
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_json(cls, data: dict) -> "LineItem":
        """Read a line item the platform sent."""
        known = {"id", "label", "scoreMaximum", "resourceId", "tag", "resourceLinkId", "startDateTime", "endDateTime"}
        return cls(id=data.get("id"), label=data.get("label", ""), score_maximum=float(data.get("scoreMaximum", 0)),
                   resource_id=data.get("resourceId"), tag=data.get("tag"), resource_link_id=data.get("resourceLinkId"),
                   start_date_time=data.get("startDateTime"), end_date_time=data.get("endDateTime"),
                   extra={k: v for k, v in data.items() if k not in known})


@dataclass(frozen=True)
class Score:
    """One score for one user on one line item."""

    user_id: str
    score_given: float | None
    score_maximum: float
    timestamp: str  # ISO 8601 with sub-second precision, strictly increasing per user and line item
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    comment: str | None = None

    def to_json(self) -> dict:
        """The AGS score JSON; scoreMaximum always travels with scoreGiven."""
        data = {"userId": self.user_id, "timestamp": self.timestamp, "activityProgress": self.activity_progress,
                "gradingProgress": self.grading_progress}
        if self.score_given is not None:
            data.update(scoreGiven=self.score_given, scoreMaximum=self.score_maximum)
        if self.comment:
            data["comment"] = self.comment
        return data


@dataclass(frozen=True)
class Member:
    """A person in the course roster (NRPS)."""

    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None


def score_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds (Moodle compares to the second; callers keep them increasing)."""
    return (moment or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="microseconds")


def connector_for(session: Session, platform: Platform, cache: TokenCache,
                  http: requests.Session | None = None, timeout: float = HTTP_TIMEOUT) -> ToolServiceConnector:
    """A service connector for a platform, signing with the tool's current key."""
    return ToolServiceConnector(platform, keys.signing_key(session), cache, http, timeout)


def _with_query(url: str, **params) -> str:
    """The URL with extra query parameters added to any it already has."""
    extra = [(k, v) for k, v in params.items() if v is not None]
    if not extra:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + extra
    return urlunsplit(parts._replace(query=urlencode(query)))


def list_line_items(conn: ToolServiceConnector, lineitems_url: str, *, resource_id: str | None = None,
                    tag: str | None = None, resource_link_id: str | None = None) -> list[LineItem]:
    """All line items of a context (every page), optionally filtered by the platform."""
    url = _with_query(lineitems_url, resource_id=resource_id, tag=tag, resource_link_id=resource_link_id)
    items: list[LineItem] = []
    for _ in range(MAX_PAGES):
        resp = conn.request("GET", url, [C.SCOPE_LINEITEM], accept=LINEITEM_CONTAINER_TYPE)
        items.extend(LineItem.from_json(d) for d in (resp.body or []) if isinstance(d, dict))
        if not resp.next_url:
            break
        url = resp.next_url
    return items


def find_line_item(conn: ToolServiceConnector, lineitems_url: str, *, resource_id: str | None = None,
                   tag: str | None = None, resource_link_id: str | None = None) -> LineItem | None:
    """The line item matching resourceId/tag/resourceLinkId (filtered here too: not every platform filters)."""
    for item in list_line_items(conn, lineitems_url, resource_id=resource_id, tag=tag, resource_link_id=resource_link_id):
        if ((resource_id is None or item.resource_id == resource_id) and (tag is None or item.tag == tag)
                and (resource_link_id is None or item.resource_link_id == resource_link_id)):
            return item
    return None


def create_line_item(conn: ToolServiceConnector, lineitems_url: str, item: LineItem) -> LineItem:
    """POST a new line item; returns it as the platform stored it (with its id)."""
    resp = conn.request("POST", lineitems_url, [C.SCOPE_LINEITEM], body=item.to_json(),
                        content_type=LINEITEM_TYPE, accept=LINEITEM_TYPE)
    return LineItem.from_json(resp.body or {})


def scores_url(lineitem_url: str) -> str:
    """{lineitem}/scores, keeping the line item's query string (Moodle puts type_id there)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def post_score(conn: ToolServiceConnector, lineitem_url: str, score: Score) -> int:
    """POST a score to a line item; returns the HTTP status (200/201/204)."""
    resp = conn.request("POST", scores_url(lineitem_url), [C.SCOPE_SCORE], body=score.to_json(),
                        content_type=SCORE_TYPE)
    return resp.status


def members(conn: ToolServiceConnector, memberships_url: str, *, role: str | None = None) -> list[Member]:
    """The course roster, following `Link: rel="next"` pages."""
    return roster(conn, memberships_url, role=role)[0]


def roster(conn: ToolServiceConnector, memberships_url: str, *,
           role: str | None = None) -> tuple[list[Member], str | None]:
    """Every page of a membership container, and its `rel="differences"` URL (changes since now),
    when the platform gives one. Pass that URL back later to get only what changed."""
    url = _with_query(memberships_url, role=role)
    found: list[Member] = []
    differences = None
    for _ in range(MAX_PAGES):
        resp = conn.request("GET", url, [C.SCOPE_NRPS], accept=MEMBERSHIP_TYPE)
        for m in (resp.body or {}).get("members", []) if isinstance(resp.body, dict) else []:
            found.append(Member(user_id=str(m.get("user_id")), roles=tuple(m.get("roles") or ()),
                                status=m.get("status", "Active"), name=m.get("name"),
                                given_name=m.get("given_name"), family_name=m.get("family_name"),
                                email=m.get("email")))
        differences = differences_link(resp.headers.get("Link")) or differences
        if not resp.next_url:
            break
        url = resp.next_url
    return found, differences
