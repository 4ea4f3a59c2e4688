"""Names and Role Provisioning Services 2.0: the membership container of a course."""
from __future__ import annotations

import time
from urllib.parse import urlencode

from demolms import claims as C
from demolms.paging import page
from demolms.errors import PlatformError

MEMBERSHIP_CONTAINER_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def _role_filter(value: str) -> str:
    """'Learner' → the full membership URI; full URIs as given (compared case-insensitively)."""
    return (value if "://" in value else C.MEMBERSHIP + value).lower()


def check_accept(accept: str | None) -> None:
    """406 unless the client accepts the membership container (or anything JSON)."""
    if not accept:
        return
    wanted = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if not {MEMBERSHIP_CONTAINER_TYPE, "application/json", "*/*", "application/*"} & set(wanted):
        raise PlatformError(406, "not_acceptable", f"this endpoint answers {MEMBERSHIP_CONTAINER_TYPE}")


def memberships(platform, context_id: str, args) -> tuple[dict, dict]:
    """Members (filtered by role, or changed since `since`), a page at a time."""
    context = platform.store.get_context(context_id)
    if context is None:
        raise PlatformError(404, "not_found", f"no context {context_id!r}")
    members = platform.store.list_members(context_id)
    since = args.get("since")
    if since is not None:
        try:
            since_at = float(since) / 1000
        except ValueError:
            raise PlatformError(400, "invalid_request", "since must be the value from the differences link")
        members = [m for m in members if m.get("updated_at", 0) > since_at]
    else:
        members = [m for m in members if m.get("status", "Active") != "Deleted"]
    if args.get("role"):
        role = _role_filter(args["role"])
        members = [m for m in members if role in [r.lower() for r in m["roles"]]]
    base = platform.memberships_url(context_id)
    differences = f"{base}?{urlencode({'since': int(time.time() * 1000)})}"
    chosen, link = page(members, args, platform.nrps_page_size, base,
                        extra_links=[f'<{differences}>; rel="differences"'])
    body = {"id": base + ("?" + urlencode(dict(args)) if args else ""),
            "context": {"id": context["id"], "label": context.get("label"), "title": context.get("title")},
            "members": [{k: v for k, v in m.items() if k != "updated_at"} for m in chosen]}
    return body, {"Link": link}
