"""Deep Linking 2.0, platform side: the opaque `data` we send and the response we verify."""
from __future__ import annotations

import time
import uuid

import jwt
from itsdangerous import BadSignature

from demolms import claims as C
from demolms.errors import PlatformError

DATA_MAX_AGE = 3600
ACCEPT_TYPES = C.DL_DEFAULT_ACCEPT_TYPES
# Types this platform can place in a course (a request may accept fewer, never more).
PLACEABLE_TYPES = ("ltiResourceLink", "link", "file", "html", "image")


def _allows_multiple(value) -> bool:
    """accept_multiple as platforms send it: a boolean, the strings "true"/"false", or absent (= true)."""
    return value not in (False, "false", "False", 0)


def deep_link_data(platform, launch: dict, accept_types, accept_multiple) -> str:
    """Signed opaque data naming the request and what it accepts; the tool must echo it unchanged."""
    return platform._serializer("demolms-dl").dumps({
        "request": launch["id"], "client_id": launch["client_id"], "deployment_id": launch["deployment_id"],
        "context_id": launch.get("context_id"), "user_id": launch["user"]["sub"],
        "accept_types": list(accept_types), "accept_multiple": _allows_multiple(accept_multiple)})


def deep_linking_settings(platform, launch: dict) -> dict:
    """The deep_linking_settings claim, with the launch's `deep_linking` changes (None drops a field)."""
    changes = dict(launch.get("deep_linking") or {})
    accept_types = changes.get("accept_types", list(ACCEPT_TYPES)) or []
    accept_multiple = changes.get("accept_multiple", True)
    claim = C.deep_linking_settings(platform.deep_link_return_url,
                                    deep_link_data(platform, launch, accept_types, accept_multiple))
    for name, value in changes.items():
        if value is None:
            claim.pop(name, None)
        else:
            claim[name] = value
    return claim


def _bad(description: str, error: str = "invalid_request") -> PlatformError:
    """A 400 invalid_request with a readable reason."""
    return PlatformError(400, error, description)


def _verify(platform, token: str) -> tuple[dict, dict]:
    """Signature (tool JWKS), iss = a client_id, aud = our issuer, exp/iat, nonce never seen."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _bad(f"JWT is not a well-formed JWT ({exc})")
    tool = platform.store.get_tool(str(unverified.get("iss", "")))
    if not tool:
        raise _bad("iss must be the tool's client_id on this platform", "invalid_client")
    if header.get("alg") != "RS256":
        raise _bad(f"the response must be signed with RS256, not {header.get('alg')!r}")
    key = platform.tool_key(tool, header.get("kid"))
    try:
        claims = jwt.decode(token, key, algorithms=["RS256"], audience=platform.issuer, leeway=5,
                            options={"require": ["iss", "aud", "exp", "iat", "nonce"]})
    except jwt.PyJWTError as exc:
        raise _bad(f"the deep linking response does not verify: {exc}")
    if claims.get(C.MESSAGE_TYPE) != C.DEEP_LINKING_RESPONSE:
        raise _bad(f"message_type must be {C.DEEP_LINKING_RESPONSE}")
    if claims.get(C.VERSION) != "1.3.0":
        raise _bad("version must be 1.3.0")
    if claims.get(C.DEPLOYMENT_ID) not in tool["deployment_ids"]:
        raise _bad("deployment_id is not a deployment of this tool")
    if not platform.once("dl-nonce", str(claims["nonce"]), DATA_MAX_AGE):
        raise _bad("nonce was already used (replayed deep linking response)")
    return tool, claims


def _echoed_data(platform, claims: dict) -> dict:
    """The request our data names; the tool must send it back exactly."""
    data = claims.get(C.DL_DATA)
    if not data:
        raise _bad("the data claim of the request must be echoed back")
    try:
        request = platform._serializer("demolms-dl").loads(data, max_age=DATA_MAX_AGE)
    except BadSignature:
        raise _bad("data does not match any deep linking request of this platform")
    if request["client_id"] != claims["iss"] or request["deployment_id"] != claims[C.DEPLOYMENT_ID]:
        raise _bad("data belongs to another client or deployment")
    return request


def _check_items(claims: dict, request: dict) -> list[dict]:
    """content_items: a list of objects of the types the request accepted, one unless it allowed more."""
    items = claims.get(C.DL_CONTENT_ITEMS, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _bad("content_items must be a list of objects")
    accepted = [t for t in request.get("accept_types", ACCEPT_TYPES) if t in PLACEABLE_TYPES]
    if len(items) > 1 and not request.get("accept_multiple", True):
        raise _bad(f"the request did not accept multiple content items (accept_multiple is false), got {len(items)}")
    for item in items:
        if item.get("type") not in accepted:
            raise _bad(f"content item type {item.get('type')!r} is not accepted here ({', '.join(accepted)})")
        line_item = item.get("lineItem")
        if line_item is not None:
            maximum = line_item.get("scoreMaximum") if isinstance(line_item, dict) else None
            if not isinstance(maximum, (int, float)) or isinstance(maximum, bool) or maximum <= 0:
                raise _bad("lineItem.scoreMaximum must be a number above 0")
    return items


def _place(platform, request: dict, client_id: str, items: list[dict]) -> list[str]:
    """Put resource links (and their line items, as Moodle does) into the course."""
    context_id = request.get("context_id")
    created = []
    for item in items:
        if item["type"] != "ltiResourceLink" or not context_id:
            continue
        link_id = "dl-" + uuid.uuid4().hex[:10]
        platform.store.save_link({
            "id": link_id, "context_id": context_id, "client_id": client_id,
            "title": item.get("title") or link_id, "text": item.get("text"), "url": item.get("url"),
            "custom": dict(item.get("custom") or {}), "from_deep_link": True, "created_at": time.time()})
        if item.get("lineItem"):
            line_item = item["lineItem"]
            platform.store.add_lineitem({
                "label": line_item.get("label") or item.get("title") or link_id,
                "scoreMaximum": line_item["scoreMaximum"], "resourceId": line_item.get("resourceId"),
                "tag": line_item.get("tag"), "resourceLinkId": link_id,
                "_context_id": context_id, "_client_id": client_id})
        created.append(link_id)
    return created


def receive_response(platform, token: str | None) -> dict:
    """Verify an LtiDeepLinkingResponse JWT, place its items, and record it."""
    if not token:
        raise _bad("the form field JWT is missing")
    tool, claims = _verify(platform, token)
    request = _echoed_data(platform, claims)
    items = _check_items(claims, request)
    links = _place(platform, request, tool["client_id"], items)
    record = {"client_id": tool["client_id"], "deployment_id": claims[C.DEPLOYMENT_ID],
              "context_id": request.get("context_id"), "user_id": request.get("user_id"),
              "content_items": items, "links": links, "msg": claims.get(C.DL_MSG),
              "log": claims.get(C.DL_LOG), "errormsg": claims.get(C.DL_ERRORMSG),
              "errorlog": claims.get(C.DL_ERRORLOG), "claims": claims, "received_at": time.time()}
    platform.store.add_deep_link_response(record)
    return record
