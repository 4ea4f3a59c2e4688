"""LTI Dynamic Registration 1.0, platform side: OpenID configuration, tokens, POST /register."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from itsdangerous import BadSignature

from demolms import claims as C
from demolms.errors import PlatformError

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
REGISTRATION_TOKEN_MAX_AGE = 3600
CLAIMS_SUPPORTED = ["iss", "sub", "aud", "name", "given_name", "family_name", "email", "picture", "locale"]


def openid_configuration(platform) -> dict:
    """The platform's OpenID configuration, with its LTI platform configuration."""
    return {
        "issuer": platform.issuer,
        "authorization_endpoint": platform.auth_login_url,
        "token_endpoint": platform.auth_token_url,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": platform.key_set_url,
        "registration_endpoint": platform.registration_endpoint,
        "scopes_supported": ["openid"] + C.ALL_SCOPES,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": CLAIMS_SUPPORTED,
        PLATFORM_CONFIGURATION: {
            "product_family_code": platform.product_family_code,
            "version": platform.version,
            "messages_supported": [
                {"type": C.RESOURCE_LINK_REQUEST},
                {"type": C.DEEP_LINKING_REQUEST, "placements": ["ContentArea"]},
                {"type": C.SUBMISSION_REVIEW_REQUEST},
            ],
            "variables": [],
        },
    }


def new_registration_token(platform) -> str:
    """A signed, single-use bearer token for one registration (valid an hour)."""
    return platform._serializer("demolms-registration").dumps({"n": secrets.token_hex(8)})


def initiation_url(platform, tool_registration_url: str, token: str | None = None) -> str:
    """Where the admin's browser goes: the tool's URL with openid_configuration and a token."""
    token = token or new_registration_token(platform)
    joiner = "&" if "?" in tool_registration_url else "?"
    return tool_registration_url + joiner + urlencode(
        {"openid_configuration": platform.openid_configuration_url, "registration_token": token})


def _check_token(platform, authorization: str | None) -> None:
    """The bearer registration token must be ours, fresh and unused."""
    if not authorization or not authorization.startswith("Bearer "):
        raise PlatformError(401, "invalid_token", "Authorization: Bearer <registration_token> is required")
    token = authorization[7:].strip()
    try:
        platform._serializer("demolms-registration").loads(token, max_age=REGISTRATION_TOKEN_MAX_AGE)
    except BadSignature:
        raise PlatformError(401, "invalid_token", "the registration token is not valid or has expired")
    if not platform.once("registration-token", token, REGISTRATION_TOKEN_MAX_AGE):
        raise PlatformError(401, "invalid_token", "the registration token was already used")


def _metadata_error(description: str, error: str = "invalid_client_metadata") -> PlatformError:
    """A 400 with the OpenID registration error code."""
    return PlatformError(400, error, description)


def _check_metadata(body) -> dict:
    """The OpenID client metadata with the LTI tool configuration (DR 1.0, 3.5)."""
    if not isinstance(body, dict):
        raise _metadata_error("the registration must be a JSON object")
    if body.get("application_type", "web") != "web":
        raise _metadata_error("application_type must be web")
    for grant in ("implicit", "client_credentials"):
        if grant not in (body.get("grant_types") or []):
            raise _metadata_error(f"grant_types must include {grant}")
    if "id_token" not in (body.get("response_types") or []):
        raise _metadata_error("response_types must include id_token")
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        raise _metadata_error("token_endpoint_auth_method must be private_key_jwt")
    for name in ("initiate_login_uri", "jwks_uri", "client_name"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise _metadata_error(f"{name} is required")
    uris = body.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise _metadata_error("redirect_uris must be a non-empty list", "invalid_redirect_uri")
    config = body.get(TOOL_CONFIGURATION)
    if not isinstance(config, dict) or not config.get("domain") or not config.get("target_link_uri"):
        raise _metadata_error(f"{TOOL_CONFIGURATION} with domain and target_link_uri is required")
    domains = {config["domain"].lower(), *[d.lower() for d in config.get("secondary_domains") or []]}
    for uri in [body["initiate_login_uri"], config["target_link_uri"], *uris]:
        parts = urlsplit(uri)
        if parts.scheme not in ("https", "http") or (parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost")):
            raise _metadata_error(f"{uri!r} must be an https URL", "invalid_redirect_uri")
        if parts.netloc.lower() not in domains and (parts.hostname or "").lower() not in domains:
            raise _metadata_error(f"{uri!r} is not on the tool's domain {config['domain']!r}", "invalid_redirect_uri")
    return config


def register(platform, body, authorization: str | None) -> dict:
    """POST /register: create the tool with a client_id and a deployment; answer the registration."""
    _check_token(platform, authorization)
    config = _check_metadata(body)
    scopes = [s for s in (body.get("scope") or "").split() if s in C.ALL_SCOPES]
    deep_link = next((m.get("target_link_uri") for m in config.get("messages") or []
                      if m.get("type") == C.DEEP_LINKING_REQUEST and m.get("target_link_uri")), None)
    tool = platform.register_tool(
        login_url=body["initiate_login_uri"], launch_url=config["target_link_uri"], jwks_url=body["jwks_uri"],
        deep_link_url=deep_link, redirect_uris=body["redirect_uris"], name=body["client_name"],
        scopes=scopes, custom=config.get("custom_parameters"), registration=body)
    answer = {k: v for k, v in body.items() if k != TOOL_CONFIGURATION}
    answer.update({"client_id": tool["client_id"], "scope": " ".join(scopes),
                   TOOL_CONFIGURATION: dict(config, deployment_id=tool["deployment_ids"][0])})
    return answer
