"""LTI Dynamic Registration 1.0, tool side: one-time URLs, the platform's OpenID configuration,
the client registration request, and storing what the platform answers.

Quirks handled: Canvas wants the registration token on the configuration GET too, its cloud
issuers are shared by every institution (so their configuration URL is pinned to Canvas's own
hosts), it registers no deployment yet (one is added when the tool is installed); Moodle and
Brightspace return the deployment in the tool configuration.

What a platform could turn against the tool is refused (see README, Security): connections go
only to checked public addresses unless allow_private (lti.outbound), redirects are errors, the
configuration must come from its issuer's origin and the registration endpoint from the same
origin, what the platform answers in an error is logged under a reference and never shown, an
existing registration is never changed, and a token is spent after MAX_FAILED_ATTEMPTS failures.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti import claims as C
from lti import outbound
from lti.errors import LtiError
from lti.launch_checks import storable_text
from lti.models import Platform, RegistrationToken, as_utc, utcnow
from lti.registry import add_platform, find_platform

log = logging.getLogger(__name__)

TOKEN_LIFETIME = timedelta(days=7)
BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 b64token
MAX_FAILED_ATTEMPTS = 5
HTTP_TIMEOUT = 15
LOGGED_BODY = 2000  # characters of a refusing platform's answer kept in the log
# Canvas Cloud's issuers, each shared by every institution on it, and the only hosts its OpenID
# configuration may come from. Canvas builds the openid_configuration URL it hands the tool on the
# issuer's own host (instructure/canvas-lms, app/controllers/lti/ims/dynamic_registration_controller.rb,
# oidc_configuration_url: `parsed_issuer.host` outside development; its registration guide's example
# is https://canvas.instructure.com/api/lti/security/openid-configuration); the sso.canvaslms.com
# hosts are where Canvas moved its LTI OIDC endpoints ("Minor LTI 1.3 Changes: New OIDC Auth
# Endpoint", community.canvaslms.com). A school's own *.instructure.com host is NOT accepted: any
# Canvas customer could serve a configuration there claiming the shared issuer.
CANVAS_CONFIGURATION_HOSTS = {
    "https://canvas.instructure.com": ("canvas.instructure.com", "sso.canvaslms.com"),
    "https://canvas.beta.instructure.com": ("canvas.beta.instructure.com", "sso.beta.canvaslms.com"),
    "https://canvas.test.instructure.com": ("canvas.test.instructure.com", "sso.test.canvaslms.com"),
}
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


def check_registration_token(session: Session, token: str | None,
                             max_failed_attempts: int = MAX_FAILED_ATTEMPTS) -> RegistrationToken:
    """The unused, unexpired token row with failures to spare; LtiError otherwise."""
    row = session.scalar(select(RegistrationToken).where(RegistrationToken.token_hash == _hash(token or "")))
    if row is None or row.used_at is not None or as_utc(row.expires_at) < utcnow():
        raise LtiError("registration_token_invalid", "the registration URL is unknown, used or expired")
    if (row.failed_attempts or 0) >= max_failed_attempts:
        raise LtiError("registration_token_spent",
                       f"the registration URL failed {row.failed_attempts} times and is spent; create a new one")
    return row


def record_failed_attempt(session: Session, token_row_id: int) -> None:
    """Count one failed registration against the token (in the database, so concurrent tries all count)."""
    session.execute(update(RegistrationToken).where(RegistrationToken.id == token_row_id)
                    .values(failed_attempts=RegistrationToken.failed_attempts + 1))


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
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number, ':,5000')
    except ValueError:  # not a URL at all: an unclosed or invalid [IPv6] host, for one, or a bad port
        return False
    return bool(parts.netloc) and (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK))


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, the default port filled in."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def _reference() -> str:
    """A short id tying an error page to its log line."""
    return secrets.token_hex(4)


def _call(what: str, send) -> requests.Response:
    """Send one request to the platform: no redirects followed, a refused address or a failed
    connection said plainly, the remote side's own words only in the log."""
    try:
        resp = send()
    except outbound.AddressRefused as exc:
        raise LtiError("registration_failed", f"{what}: {exc}") from exc
    except requests.RequestException as exc:
        reference = _reference()
        log.warning("dynamic registration: %s failed (reference %s): %s", what, reference, exc)
        raise LtiError("registration_failed", f"{what}: the platform could not be reached (reference {reference})") \
            from exc
    if resp.is_redirect or 300 <= resp.status_code < 400:
        raise LtiError("registration_failed", f"{what}: the platform answered with a redirect (HTTP "
                                              f"{resp.status_code}), which the tool does not follow")
    if not resp.ok:
        reference = _reference()
        log.warning("dynamic registration: %s answered HTTP %s (reference %s): %r", what, resp.status_code,
                    reference, resp.text[:LOGGED_BODY])
        raise LtiError("registration_failed", f"{what}: the platform answered HTTP {resp.status_code} "
                                              f"(reference {reference})")
    return resp


def _check_origins(openid_configuration_url: str, config: dict) -> None:
    """The configuration comes from its issuer (Canvas Cloud: from Canvas's own hosts) and the
    registration goes to the configuration's or the issuer's origin; LtiError otherwise."""
    issuer = config["issuer"].rstrip("/")
    url = openid_configuration_url
    pinned = CANVAS_CONFIGURATION_HOSTS.get(issuer)
    if pinned is not None:
        if _origin(url) not in {("https", host, 443) for host in pinned}:
            raise LtiError("registration_failed", f"issuer {config['issuer']!r} is Canvas Cloud, whose configuration "
                                                  f"comes only from {', '.join(pinned)}, not {url!r}")
    elif _origin(url) != _origin(issuer) or not (url == issuer or url.startswith(issuer + "/")):
        raise LtiError("registration_failed",
                       f"issuer {config['issuer']!r} does not match the configuration URL {url!r}")
    endpoint = config["registration_endpoint"]
    if _origin(endpoint) not in {_origin(url), _origin(issuer)}:
        raise LtiError("registration_failed", f"the registration endpoint {endpoint!r} is on another origin than "
                                              f"the configuration URL and the issuer")


def fetch_platform_configuration(openid_configuration_url: str, registration_token: str | None,
                                 http: requests.Session) -> dict:
    """GET the platform's OpenID configuration and check what the spec requires of it."""
    if not _secure_url(openid_configuration_url):
        raise LtiError("registration_failed", "openid_configuration must be an https URL")
    if registration_token and not BEARER_TOKEN.fullmatch(registration_token):
        # It goes into an Authorization header, which takes RFC 6750's b64token characters only.
        raise LtiError("registration_failed", "the registration_token is not a valid bearer token")
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    resp = _call("the platform configuration", lambda: http.get(
        openid_configuration_url, headers=headers, timeout=HTTP_TIMEOUT, allow_redirects=False))
    try:
        config = resp.json()
    except (ValueError, RecursionError) as exc:  # RecursionError: [[[[… JSON
        raise LtiError("registration_failed", "the platform configuration is not JSON") from exc
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
    product = (config.get(C.PLATFORM_CONFIGURATION) or {}).get("product_family_code", "")
    if not isinstance(product, str) or len(product) > 64 or not storable_text(product):
        raise LtiError("registration_failed", "the platform's product_family_code is not a short text")
    _check_origins(openid_configuration_url, config)
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


def _exists(issuer: str, client_id: str) -> LtiError:
    """The refusal when the platform's answer names a registration the tool already has."""
    return LtiError("registration_exists", f"a registration for issuer {issuer!r} and client_id {client_id!r} "
                                           f"exists already; dynamic registration never changes one",
                    issuer=issuer, client_id=client_id)


def register(session: Session, token_row: RegistrationToken, openid_configuration_url: str,
             registration_token: str | None, tool: ToolDescription, http: requests.Session | None = None,
             allow_private: bool = False) -> Platform:
    """Run the registration against the platform; store and return the new Platform. Connections
    go to public addresses only unless allow_private (a demo or test platform on loopback)."""
    http = outbound.guard(http or requests.Session(), allow_private)
    config = fetch_platform_configuration(openid_configuration_url, registration_token, http)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    resp = _call("the registration", lambda: http.post(
        config["registration_endpoint"], json=registration_request(config, tool), headers=headers,
        timeout=HTTP_TIMEOUT, allow_redirects=False))
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
    issuer, client_id = config["issuer"].strip(), str(client_id).strip()
    # Never an update: (issuer, client_id) of an existing row, answered by whoever serves a
    # configuration, would otherwise swap that school's keys and endpoints for the answerer's.
    if find_platform(session, issuer, client_id) is not None:
        raise _exists(issuer, client_id)
    try:
        platform = add_platform(
            session, issuer=issuer, client_id=client_id,
            deployment_ids=[str(deployment)] if deployment else [],
            auth_login_url=config["authorization_endpoint"], auth_token_url=config["token_endpoint"],
            key_set_url=config["jwks_uri"], auth_audience=config.get("authorization_server"),
            name=platform_config.get("product_family_code") or urlsplit(config["issuer"]).hostname,
            product_family_code=platform_config.get("product_family_code"), registered_via="dynamic")
    except IntegrityError as exc:  # the same registration stored by a concurrent request just now
        raise _exists(issuer, client_id) from exc
    token_row.used_at, token_row.platform_id = utcnow(), platform.id
    session.commit()
    return platform
