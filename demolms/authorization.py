"""The OIDC authorization endpoint and the id_token claims of each LTI message type."""
from __future__ import annotations

from demolms import claims as C
from demolms.deeplinking import deep_linking_settings
from demolms.errors import PlatformError
from demolms.sent import AuthAnswer, LaunchRecord


def _check_client(platform, params) -> dict:
    """The tool and redirect_uri must be registered before anything can be sent back."""
    client_id = params.get("client_id") or ""
    tool = platform.store.get_tool(client_id) if client_id else None
    if not tool:
        raise PlatformError(400, "unauthorized_client", f"unknown client_id {client_id!r}")
    redirect_uri = params.get("redirect_uri") or ""
    if redirect_uri not in tool["redirect_uris"]:
        raise PlatformError(400, "invalid_request",
                            f"redirect_uri {redirect_uri!r} is not registered for this tool")
    return tool


def _check_request(platform, params, tool) -> dict:
    """The fixed OIDC parameters, the nonce, and a login_hint matching the pending launch."""
    expected = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                "prompt": "none"}
    for name, value in expected.items():
        got = params.get(name)
        if name == "scope":
            ok = got is not None and "openid" in got.split()
        else:
            ok = got == value
        if not ok:
            error = "invalid_scope" if name == "scope" else "invalid_request"
            raise PlatformError(400, error, f"{name} must be {value!r}, got {got!r}")
    if not params.get("nonce"):
        raise PlatformError(400, "invalid_request", "nonce is required")
    hint = params.get("lti_message_hint")
    if not hint:
        raise PlatformError(400, "invalid_request", "lti_message_hint is required")
    launch = platform.read_launch_hint(hint)
    if params.get("login_hint") != launch["user"]["sub"]:
        raise PlatformError(400, "login_required", "login_hint does not match the pending launch")
    if launch["client_id"] != tool["client_id"]:
        raise PlatformError(400, "invalid_request", "lti_message_hint belongs to another client_id")
    return launch


def authorize(platform, params) -> AuthAnswer:
    """Answer an authentication request with a signed id_token, or with an error form_post."""
    tool = _check_client(platform, params)  # raises: no safe place to send the user back to
    state = params.get("state")
    try:
        launch = _check_request(platform, params, tool)
    except PlatformError as exc:
        platform.auth_errors.append({"error": exc.error, "description": exc.description})
        fields = {"error": exc.error, "error_description": exc.description}
        if state is not None:
            fields["state"] = state
        return AuthAnswer(params["redirect_uri"], fields, error=exc.error)
    claims = build_claims(platform, launch, params.get("nonce"))
    header = {"typ": "JWT", "alg": "RS256", "kid": platform.keys.current.kid}
    mutate = platform.mutator(launch["id"])
    if mutate is not None:
        result = mutate(claims, header)
        if isinstance(result, tuple):
            claims, header = result
        elif isinstance(result, dict):
            claims = result
    extra = {k: v for k, v in header.items() if k not in ("alg", "kid")}
    id_token = platform.sign(claims, kid=header.get("kid", False), alg=header.get("alg", "RS256"),
                             headers=extra)
    fields = {"id_token": id_token}
    if state is not None:
        fields["state"] = state
    if launch.get("storage_target"):
        fields["lti_storage_target"] = launch["storage_target"]
    platform.launches.append(LaunchRecord(claims, header, id_token, state, params["redirect_uri"]))
    return AuthAnswer(params["redirect_uri"], fields, claims, header)


def build_claims(platform, launch: dict, nonce: str | None) -> dict:
    """All claims of the pending launch's message type."""
    message_type = launch["message_type"]
    claims = C.base_claims(
        issuer=platform.issuer, client_id=launch["client_id"], deployment_id=launch["deployment_id"],
        nonce=nonce, message_type=message_type, user=launch["user"], roles=launch["roles"],
        locale=launch.get("locale"), target_link_uri=launch["target_link_uri"],
        platform_info=platform.platform_info)
    context_id = launch.get("context_id")
    claims[C.LAUNCH_PRESENTATION] = C.launch_presentation(
        launch.get("locale"), platform.return_url(context_id), launch.get("document_target") or "iframe")
    if launch.get("custom"):
        claims[C.CUSTOM] = dict(launch["custom"])
    if context_id:
        context = platform.ensure_context(context_id)
        claims[C.CONTEXT] = C.context_claim(context)
        claims[C.NRPS] = C.nrps_claim(platform.memberships_url(context_id))
        tool = platform.tool(launch["client_id"])
        scopes = [s for s in C.AGS_SCOPES if s in tool["scopes"]]
        lineitem = _lineitem_of_link(platform, context_id, launch.get("resource_link_id"))
        if message_type == C.DEEP_LINKING_REQUEST:
            lineitem = None
        claims[C.AGS_ENDPOINT] = C.ags_claim(platform.lineitems_url(context_id), lineitem, scopes)
        claims[C.LIS] = {"person_sourcedid": launch["user"]["sub"], "course_offering_sourcedid": context_id}
    if message_type == C.DEEP_LINKING_REQUEST:
        claims[C.DL_SETTINGS] = deep_linking_settings(platform, launch)
    elif launch.get("resource_link_id"):
        link = platform.store.get_link(launch["resource_link_id"])
        claims[C.RESOURCE_LINK] = C.resource_link_claim(link or {"id": launch["resource_link_id"]})
    if message_type == C.SUBMISSION_REVIEW_REQUEST:
        for_user = launch.get("for_user") or launch["user"]
        claims[C.FOR_USER] = dict(C.user_claims(for_user), user_id=for_user["sub"],
                                  roles=C.role_uris("learner"))
        claims[C.FOR_USER].pop("sub", None)
    return claims


def _lineitem_of_link(platform, context_id: str, link_id: str | None) -> str | None:
    """The line item bound to a resource link (created by the tool or by deep linking)."""
    if not link_id:
        return None
    for item in platform.store.list_lineitems(context_id):
        if item.get("resourceLinkId") == link_id:
            return platform.lineitem_url(context_id, item["_id"])
    return None
