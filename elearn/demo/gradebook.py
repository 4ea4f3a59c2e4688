"""What the demo gradebook shows: per line item each learner's latest score, and every score received."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class GradeRow:
    """One received score, with the learner's name from the course roster."""

    learner: str
    user_id: str
    score_given: float | None
    score_maximum: float | None
    activity: str | None
    grading: str | None
    timestamp: datetime | None
    comment: str | None
    column: str
    lineitem_id: str

    @property
    def percent(self) -> float | None:
        """Score as a fraction of the maximum (None when no score was given)."""
        if self.score_given is None or not self.score_maximum:
            return None
        return self.score_given / self.score_maximum


def _when(value) -> datetime | None:
    """A datetime from an ISO 8601 timestamp, or None."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _rows(platform, context_id: str) -> list[GradeRow]:
    """Every score of the course, oldest first."""
    names = {m["user_id"]: m.get("name") or m["user_id"] for m in platform.store.list_members(context_id)}
    labels = {i["_id"]: i["label"] for i in platform.store.list_lineitems(context_id)}
    rows = []
    for record in platform.store.list_scores():
        if record["context_id"] != context_id or record["lineitem_id"] not in labels:
            continue
        body = record["body"]
        rows.append(GradeRow(names.get(body["userId"], body["userId"]), body["userId"], body.get("scoreGiven"),
                             body.get("scoreMaximum"), body.get("activityProgress"), body.get("gradingProgress"),
                             _when(body.get("timestamp")), body.get("comment"), labels[record["lineitem_id"]],
                             record["lineitem_id"]))
    return rows


def columns(platform, context_id: str) -> list[dict]:
    """Each line item with the latest score per learner."""
    rows = _rows(platform, context_id)
    out = []
    for item in platform.store.list_lineitems(context_id):
        latest: dict[str, GradeRow] = {}
        for row in rows:
            if row.lineitem_id == item["_id"]:
                latest[row.user_id] = row
        out.append({"label": item["label"], "maximum": item["scoreMaximum"], "tag": item.get("tag"),
                    "resource_id": item.get("resourceId"), "latest": sorted(latest.values(), key=lambda r: r.learner)})
    return out


def recent_scores(platform, context_id: str, limit: int = 50) -> list[GradeRow]:
    """The most recent scores received, newest first."""
    return list(reversed(_rows(platform, context_id)))[:limit]
