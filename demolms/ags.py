"""Assignment and Grade Services 2.0, platform side: line items, scores, results."""
from __future__ import annotations

import time
from datetime import datetime

from demolms import claims as C
from demolms.paging import page
from demolms.errors import PlatformError

LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
TOOL_FIELDS = ("resourceId", "tag", "resourceLinkId", "startDateTime", "endDateTime",
               "gradesReleased", "submissionReview")


def _bad(description: str) -> PlatformError:
    """A 400 invalid_request with a readable reason."""
    return PlatformError(400, "invalid_request", description)


def require_media_type(content_type: str | None, expected: str) -> None:
    """415 unless the request body is declared as `expected` (parameters such as charset allowed)."""
    got = (content_type or "").split(";")[0].strip().lower()
    if got != expected:
        raise PlatformError(415, "unsupported_media_type", f"Content-Type must be {expected}, got {got or 'none'!r}")


def _is_number(value) -> bool:
    """An int or float, and not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def public_lineitem(platform, item: dict) -> dict:
    """A stored line item as AGS JSON; `id` is its URL."""
    out = {"id": platform.lineitem_url(item["_context_id"], item["_id"]), "label": item["label"],
           "scoreMaximum": item["scoreMaximum"]}
    out.update({k: item[k] for k in TOOL_FIELDS if item.get(k) is not None})
    return out


def _validated_lineitem(platform, context_id: str, body) -> dict:
    """label and scoreMaximum > 0 required; resourceLinkId must be a link of this course."""
    if not isinstance(body, dict):
        raise _bad("the line item must be a JSON object")
    if not isinstance(body.get("label"), str) or not body["label"].strip():
        raise _bad("label is required")
    if not _is_number(body.get("scoreMaximum")) or body["scoreMaximum"] <= 0:
        raise _bad("scoreMaximum is required and must be a number above 0")
    link_id = body.get("resourceLinkId")
    if link_id is not None:
        link = platform.store.get_link(str(link_id))
        if not link or link.get("context_id") != context_id:
            raise _bad(f"resourceLinkId {link_id!r} is not a resource link of this context")
    item = {"label": body["label"], "scoreMaximum": body["scoreMaximum"]}
    item.update({k: body[k] for k in TOOL_FIELDS if body.get(k) is not None})
    return item


def list_lineitems(platform, context_id: str, args) -> tuple[list, dict]:
    """The container, filtered by resource_link_id / resource_id / tag, paged with Link headers."""
    items = platform.store.list_lineitems(context_id)
    for param, key in (("resource_link_id", "resourceLinkId"), ("resource_id", "resourceId"), ("tag", "tag")):
        if args.get(param) is not None:
            items = [i for i in items if str(i.get(key)) == args[param]]
    chosen, link = page(items, args, platform.lineitems_page_size, platform.lineitems_url(context_id))
    return [public_lineitem(platform, i) for i in chosen], ({"Link": link} if link else {})


def create_lineitem(platform, context_id: str, body, client_id: str) -> dict:
    """POST to the container: a new line item, answered with its id."""
    if platform.store.get_context(context_id) is None:
        raise PlatformError(404, "not_found", f"no context {context_id!r}")
    item = _validated_lineitem(platform, context_id, body)
    item_id = platform.store.add_lineitem(dict(item, _context_id=context_id, _client_id=client_id))
    return public_lineitem(platform, platform.store.get_lineitem(item_id))


def get_lineitem(platform, context_id: str, item_id: str) -> dict:
    """A stored line item of this course, or 404."""
    item = platform.store.get_lineitem(item_id)
    if not item or item["_context_id"] != context_id:
        raise PlatformError(404, "not_found", f"no line item {item_id!r} in context {context_id!r}")
    return item


def update_lineitem(platform, context_id: str, item_id: str, body) -> dict:
    """PUT: replace label, maximum and the tool's fields; the id never changes."""
    item = get_lineitem(platform, context_id, item_id)
    if isinstance(body, dict) and body.get("id") not in (None, public_lineitem(platform, item)["id"]):
        raise _bad("id cannot be changed")
    fresh = _validated_lineitem(platform, context_id, body)
    platform.store.update_lineitem(item_id, dict(fresh, _context_id=context_id, _client_id=item.get("_client_id")))
    return public_lineitem(platform, platform.store.get_lineitem(item_id))


def parse_timestamp(value) -> datetime:
    """ISO 8601 with a time zone (sub-second precision allowed), else 400."""
    if not isinstance(value, str) or not value:
        raise _bad("timestamp is required (ISO 8601)")
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _bad(f"timestamp {value!r} is not ISO 8601")
    if stamp.tzinfo is None:
        raise _bad(f"timestamp {value!r} needs a time zone")
    return stamp


def _check_score(platform, item: dict, body) -> datetime:
    """userId, progress values, numbers and the timestamp of one score."""
    if not isinstance(body, dict):
        raise _bad("the score must be a JSON object")
    if not isinstance(body.get("userId"), str) or not body["userId"]:
        raise _bad("userId is required")
    for name, allowed in (("activityProgress", ACTIVITY_PROGRESS), ("gradingProgress", GRADING_PROGRESS)):
        if body.get(name) not in allowed:
            raise _bad(f"{name} is required, one of {', '.join(allowed)}; got {body.get(name)!r}")
    stamp = parse_timestamp(body.get("timestamp"))
    given = body.get("scoreGiven")
    if given is not None:
        if not _is_number(given) or given < 0:
            raise _bad("scoreGiven must be a number of at least 0")
        maximum = body.get("scoreMaximum")
        if not _is_number(maximum) or maximum <= 0:
            raise _bad("scoreMaximum is required with scoreGiven and must be above 0")
        if given > maximum and platform.over_maximum == "reject":
            raise _bad(f"scoreGiven {given} is above scoreMaximum {maximum}")
    if body.get("comment") is not None and not isinstance(body["comment"], str):
        raise _bad("comment must be a string")
    if platform.require_membership and not platform.member(item["_context_id"], body["userId"]):
        raise PlatformError(422, "unknown_user", f"userId {body['userId']!r} is not a member of this context")
    return stamp


def _too_old(platform, item_id: str, user_id: str, stamp: datetime) -> bool:
    """Moodle's rule: a score not newer than the stored one for this user and line item is refused."""
    for previous in platform.store.list_scores(item_id):
        if previous["body"]["userId"] != user_id:
            continue
        before = parse_timestamp(previous["body"]["timestamp"])
        if platform.score_timestamp_resolution == "second":
            if int(stamp.timestamp()) <= int(before.timestamp()):
                return True
        elif stamp <= before:
            return True
    return False


def post_score(platform, context_id: str, item_id: str, body, client_id: str) -> dict:
    """Record a score (every accepted one, in arrival order)."""
    item = get_lineitem(platform, context_id, item_id)
    stamp = _check_score(platform, item, body)
    if _too_old(platform, item_id, body["userId"], stamp):
        raise PlatformError(409, "conflict", "timestamp is not after the last score's timestamp for this user")
    stored = dict(body)
    if stored.get("scoreGiven") is not None and stored["scoreGiven"] > stored["scoreMaximum"] \
            and platform.over_maximum == "clamp":
        stored["scoreGiven"] = stored["scoreMaximum"]
    platform.store.add_score({"lineitem_id": item_id, "context_id": context_id, "client_id": client_id,
                              "received_at": time.time(), "body": stored})
    return {"resultUrl": platform.lineitem_url(context_id, item_id) + "/results?user_id=" + body["userId"]}


def results(platform, context_id: str, item_id: str, args) -> tuple[list, dict]:
    """Each user's current result (their latest score), scaled to the line item's maximum."""
    item = get_lineitem(platform, context_id, item_id)
    latest: dict[str, dict] = {}
    for score in platform.store.list_scores(item_id):
        latest[score["body"]["userId"]] = score["body"]
    url = platform.lineitem_url(context_id, item_id)
    out = []
    for user_id, body in latest.items():
        if args.get("user_id") and args["user_id"] != user_id:
            continue
        result = {"id": f"{url}/results/{user_id}", "scoreOf": url, "userId": user_id,
                  "resultMaximum": item["scoreMaximum"]}
        if body.get("scoreGiven") is not None:
            result["resultScore"] = body["scoreGiven"] * item["scoreMaximum"] / body["scoreMaximum"]
        if body.get("comment"):
            result["comment"] = body["comment"]
        out.append(result)
    chosen, link = page(out, args, platform.lineitems_page_size, url + "/results")
    return chosen, ({"Link": link} if link else {})


SCOPES_READ_LINEITEMS = {C.SCOPE_LINEITEM, C.SCOPE_LINEITEM_READONLY}
