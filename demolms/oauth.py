"""The OAuth 2 token endpoint: client_credentials with a private_key_jwt client assertion."""
from __future__ import annotations

import time

import jwt

from demolms.errors import PlatformError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _invalid_client(description: str) -> PlatformError:
    """A 401 invalid_client with a readable reason."""
    return PlatformError(401, "invalid_client", description)


def _verify_assertion(platform, assertion: str) -> dict:
    """The tool's signed assertion: its key (by kid), iss = sub = client_id, aud = our token URL."""
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise PlatformError(400, "invalid_request", f"client_assertion is not a JWT ({exc})")
    client_id = str(unverified.get("iss") or "")
    tool = platform.store.get_tool(client_id)
    if not tool:
        raise _invalid_client(f"unknown client {client_id!r}")
    if header.get("alg") != "RS256":
        raise _invalid_client(f"client_assertion must be signed with RS256, not {header.get('alg')!r}")
    key = platform.tool_key(tool, header.get("kid"))
    try:
        claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=platform.auth_token_url,
                            leeway=5, options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
    except jwt.InvalidAudienceError:
        raise _invalid_client(f"client_assertion aud must be exactly {platform.auth_token_url!r}")
    except jwt.PyJWTError as exc:
        raise _invalid_client(f"client_assertion does not verify: {exc}")
    if claims["sub"] != client_id:
        raise _invalid_client("client_assertion sub must equal iss (the client_id)")
    if claims["exp"] - claims["iat"] > 3600:
        raise _invalid_client("client_assertion may live at most an hour")
    if not platform.once("jti", f"{client_id}:{claims['jti']}", 3600):
        raise _invalid_client("client_assertion jti was already used")
    return tool


def token_response(platform, form) -> dict:
    """Exchange a client assertion for a bearer token limited to the requested, allowed scopes."""
    if form.get("grant_type") != "client_credentials":
        raise PlatformError(400, "unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise PlatformError(400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
    if not form.get("client_assertion"):
        raise PlatformError(400, "invalid_request", "client_assertion is required")
    tool = _verify_assertion(platform, form["client_assertion"])
    requested = (form.get("scope") or "").split()
    if not requested:
        raise PlatformError(400, "invalid_scope", "scope is required")
    refused = [s for s in requested if s not in tool["scopes"]]
    if refused:
        raise PlatformError(400, "invalid_scope", "scope not granted to this tool: " + " ".join(refused))
    platform.token_requests.append({"client_id": tool["client_id"], "scopes": requested, "at": time.time()})
    return {"access_token": platform.issue_access_token(tool["client_id"], requested),
            "token_type": "Bearer", "expires_in": platform.token_lifetime, "scope": " ".join(requested)}
