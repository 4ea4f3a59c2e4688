"""LTI Dynamic Registration 1.0, tool side: one-time URLs, the platform's OpenID configuration,
the client registration request, and storing what the platform answers.

Quirks handled: Canvas wants the registration token on the configuration GET too, its issuer
(canvas.instructure.com) is not a prefix of the institution's configuration URL, it registers
no deployment yet (one is added when the tool is installed) and answers errors as `errors`
lists; Moodle and Brightspace return the deployment in the tool configuration.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti import claims as C
from lti.errors import LtiError
from lti.launch_checks import storable_text
from lti.models import Platform, RegistrationToken, as_utc, utcnow
from lti.registry import add_platform

TOKEN_LIFETIME = timedelta(days=7)
HTTP_TIMEOUT = 15
CANVAS_ISSUERS = ("https://canvas.instructure.com", "https://canvas.beta.instructure.com",
                  "https://canvas.test.instructure.com")
WANTED_CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "locale")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ToolDescription:
    """How the tool presents itself to a platform."""

    domain: str
    login_url: str
    launch_url: str
    jwks_url: str
    names: dict[str, str]          # language → name; the first is the default client_name
    descriptions: dict[str, str] = field(default_factory=dict)
    logo_url: str | None = None


def _hash(token: str) -> str:
    """SHA-256 of a registration token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_registration_token(session: Session, lifetime: timedelta = TOKEN_LIFETIME) -> str:
    """A new one-time registration token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(RegistrationToken(token_hash=_hash(token), expires_at=utcnow() + lifetime))
    session.flush()
    return token


def check_registration_token(session: Session, token: str | None) -> RegistrationToken:
    """The unused, unexpired token row; LtiError otherwise."""
    row = session.scalar(select(RegistrationToken).where(RegistrationToken.token_hash == _hash(token or "")))
    if row is None or row.used_at is not None or as_utc(row.expires_at) < utcnow():
        raise LtiError("registration_token_invalid", "the registration URL is unknown, used or expired")
    return row


# Configuration values stored in a column of lti_platforms (their length is the column's).
_STORED = {"issuer": "issuer", "authorization_endpoint": "auth_login_url", "token_endpoint": "auth_token_url",
           "jwks_uri": "key_set_url", "authorization_server": "auth_audience"}


def _storable_id(value) -> bool:
    """A client_id or deployment_id the tool can keep: text or a number, not blank (the registry
    strips it), ≤ 255 characters, text every database takes (no NUL, no unpaired surrogate)."""
    return isinstance(value, (str, int)) and bool(str(value).strip()) and len(str(value)) <= 255 \
        and storable_text(str(value))


def _secure_url(url: str) -> bool:
    """https, or http on loopback (local demos and tests); no spaces or control characters, and
    text a database takes (it may be stored)."""
    if not url or any(ord(ch) <= 0x20 or ch == "\x7f" for ch in url) or not storable_text(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all: an unclosed or invalid [IPv6] host, for one
        return False
    return bool(parts.netloc) and (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK))


def fetch_platform_configuration(openid_configuration_url: str, registration_token: str | None,
                                 http: requests.Session) -> dict:
    """GET the platform's OpenID configuration and check what the spec requires of it."""
    if not _secure_url(openid_configuration_url):
        raise LtiError("registration_failed", "openid_configuration must be an https URL")
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    try:
        resp = http.get(openid_configuration_url, headers=headers, timeout=HTTP_TIMEOUT)
        resp.raise_for_status()
        config = resp.json()
    except (requests.RequestException, ValueError, RecursionError) as exc:  # RecursionError: [[[[… JSON
        raise LtiError("registration_failed", f"could not read the platform configuration: {exc}") from exc
    if not isinstance(config, dict):
        raise LtiError("registration_failed", "the platform configuration is not a JSON object")
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        if not isinstance(config.get(name), str) or not _secure_url(config[name]):
            raise LtiError("registration_failed", f"the platform configuration lacks a valid {name}")
    if not isinstance(config.get(C.PLATFORM_CONFIGURATION, {}), dict):
        raise LtiError("registration_failed", "the platform configuration's LTI claim is not a JSON object")
    server = config.get("authorization_server", "")
    if not isinstance(server, str) or not storable_text(server):
        raise LtiError("registration_failed", "the platform configuration's authorization_server is not text")
    for name, column in _STORED.items():
        limit = Platform.__table__.c[column].type.length
        if len(config.get(name) or "") > limit:
            raise LtiError("registration_failed",
                           f"the platform configuration's {name} is longer than {limit} characters")
    issuer = config["issuer"].rstrip("/")
    product = (config.get(C.PLATFORM_CONFIGURATION) or {}).get("product_family_code", "")
    if not isinstance(product, str) or len(product) > 64 or not storable_text(product):
        raise LtiError("registration_failed", "the platform's product_family_code is not a short text")
    canvas = product == "canvas" and issuer in CANVAS_ISSUERS
    if not canvas and not (openid_configuration_url == issuer or openid_configuration_url.startswith(issuer + "/")):
        raise LtiError("registration_failed",
                       f"issuer {config['issuer']!r} does not match the configuration URL {openid_configuration_url!r}")
    return config


def registration_request(config: dict, tool: ToolDescription) -> dict:
    """The OpenID client registration with the LTI tool configuration."""
    supported = config.get("claims_supported")
    wanted = [c for c in WANTED_CLAIMS if not isinstance(supported, list) or c in supported]
    names = list(tool.names.items())
    body = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool.login_url,
        "redirect_uris": [tool.launch_url],
        "client_name": names[0][1],
        "jwks_uri": tool.jwks_url,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(C.TOOL_SCOPES),
        C.TOOL_CONFIGURATION: {
            "domain": tool.domain,
            "target_link_uri": tool.launch_url,
            "claims": wanted,
            "messages": [
                {"type": C.RESOURCE_LINK_REQUEST, "target_link_uri": tool.launch_url},
                {"type": C.DEEP_LINKING_REQUEST, "target_link_uri": tool.launch_url, "label": names[0][1],
                 **{f"label#{lang}": name for lang, name in names}},
            ],
        },
    }
    for lang, name in names:
        body[f"client_name#{lang}"] = name
    if tool.descriptions:
        descriptions = list(tool.descriptions.items())
        body[C.TOOL_CONFIGURATION]["description"] = descriptions[0][1]
        for lang, text in descriptions:
            body[C.TOOL_CONFIGURATION][f"description#{lang}"] = text
    if tool.logo_url:
        body["logo_uri"] = tool.logo_url
    return body


def _error_text(resp: requests.Response) -> str:
    """The platform's reason: OAuth error/error_description, Canvas `errors`, or the raw body."""
    try:
        data = resp.json()
    except (ValueError, RecursionError):
        return resp.text[:500]
    if isinstance(data, dict):
        if data.get("error") or data.get("error_description"):
            return " ".join(str(data.get(k)) for k in ("error", "error_description") if data.get(k))
        errors = data.get("errors")
        if isinstance(errors, list):
            return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        if isinstance(errors, dict):
            return "; ".join(f"{k}: {v}" for k, v in errors.items())
    return str(data)[:500]


def register(session: Session, token_row: RegistrationToken, openid_configuration_url: str,
             registration_token: str | None, tool: ToolDescription, http: requests.Session | None = None) -> Platform:
    """Run the registration against the platform; store and return the new Platform."""
    http = http or requests.Session()
    config = fetch_platform_configuration(openid_configuration_url, registration_token, http)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    try:
        resp = http.post(config["registration_endpoint"], json=registration_request(config, tool),
                         headers=headers, timeout=HTTP_TIMEOUT)
    except requests.RequestException as exc:
        raise LtiError("registration_failed", f"the platform did not answer the registration: {exc}") from exc
    if not resp.ok:
        raise LtiError("registration_failed", f"the platform refused the registration ({resp.status_code}): "
                                              f"{_error_text(resp)}")
    try:
        answer = resp.json()
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json can read
        raise LtiError("registration_failed", "the platform's answer is not JSON") from exc
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    if not client_id or not _storable_id(client_id):
        raise LtiError("registration_failed", "the platform's answer has no usable client_id")
    tool_config = answer.get(C.TOOL_CONFIGURATION) or {}
    if not isinstance(tool_config, dict):
        raise LtiError("registration_failed", "the platform's answer has a tool configuration that is not an object")
    deployment = tool_config.get("deployment_id")
    if deployment is not None and not _storable_id(deployment):
        raise LtiError("registration_failed", "the platform's answer has an unusable deployment_id")
    platform_config = config.get(C.PLATFORM_CONFIGURATION) or {}
    platform = add_platform(
        session, issuer=config["issuer"], client_id=str(client_id),
        deployment_ids=[str(deployment)] if deployment else [],
        auth_login_url=config["authorization_endpoint"], auth_token_url=config["token_endpoint"],
        key_set_url=config["jwks_uri"], auth_audience=config.get("authorization_server"),
        name=platform_config.get("product_family_code") or urlsplit(config["issuer"]).hostname,
        product_family_code=platform_config.get("product_family_code"), registered_via="dynamic")
    token_row.used_at, token_row.platform_id = utcnow(), platform.id
    session.commit()
    return platform
