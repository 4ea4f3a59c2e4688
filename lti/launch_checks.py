"""The individual checks of an id_token, each raising LtiError with its own code."""
from __future__ import annotations

import json
import math
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK

from lti import claims as C
from lti.errors import LtiError
from lti.models import Platform

MAX_ID_TOKEN_BYTES = 16 * 1024
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")
LEEWAY_SECONDS = 30


def check_request(get_param) -> None:
    """id_token present and not oversized (checked before any decoding), state present."""
    token = get_param("id_token")
    if not token:
        error = get_param("error")
        if error:  # the platform answered the authentication request with an OIDC error
            raise LtiError("platform_error", f"{error}: {get_param('error_description') or ''}")
        raise LtiError("missing_id_token", "the launch carries no id_token")
    if len(token.encode()) > MAX_ID_TOKEN_BYTES:
        raise LtiError("token_too_large", f"id_token is {len(token)} bytes; the limit is {MAX_ID_TOKEN_BYTES}")
    if not get_param("state"):
        raise LtiError("missing_state", "the launch carries no state")


def check_header(header: dict) -> None:
    """An asymmetric algorithm we accept (never none or HS*) and a kid."""
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise LtiError("bad_algorithm", f"alg {alg!r} is not accepted; expected one of {ALLOWED_ALGORITHMS}")
    if not header.get("kid"):
        raise LtiError("missing_kid", "the id_token header has no kid")


def require(present, claim: str) -> None:
    """Raise missing_claim unless the claim is present."""
    if not present:
        raise LtiError("missing_claim", f"the id_token lacks the required claim {claim}", claim=claim)


def check_identity_claims(body: dict) -> None:
    """iss and nonce are needed before anything else can be looked up."""
    for claim in ("iss", "nonce"):
        require(isinstance(body.get(claim), str) and body[claim], claim)


def check_audience(body: dict, platform: Platform) -> None:
    """iss is the login's platform; aud names our client_id; with several audiences azp must too."""
    if body["iss"] != platform.issuer:
        raise LtiError("wrong_issuer", f"iss {body['iss']!r} is not {platform.issuer!r}")
    aud, azp = body.get("aud"), body.get("azp")
    audiences = aud if isinstance(aud, list) else [aud]
    if platform.client_id not in audiences:
        raise LtiError("wrong_audience", f"aud {aud!r} does not name client_id {platform.client_id!r}")
    if len(audiences) > 1 and azp is None:
        raise LtiError("wrong_audience", "aud has several values but there is no azp")
    if azp is not None and azp != platform.client_id:
        raise LtiError("wrong_audience", f"azp {azp!r} is not client_id {platform.client_id!r}")


@lru_cache(maxsize=256)
def _public_key(jwk_json: str):
    """A platform's JWK as a loaded public key; parsing it cost more than the RS256 verify itself."""
    return serialization.load_pem_public_key(JWK(**json.loads(jwk_json)).export_to_pem())


def verify_signature(id_token: str, header: dict, jwk: dict) -> None:
    """Signature by the platform key, exp and iat (small leeway; iat in the future is refused)."""
    if jwk.get("alg", header["alg"]) != header["alg"]:  # D2L publishes keys without alg
        raise LtiError("bad_algorithm", f"key {header['kid']!r} is for {jwk.get('alg')}, not {header['alg']}")
    try:
        key = _public_key(json.dumps(jwk, sort_keys=True))
        jwt.decode(id_token, key, algorithms=[header["alg"]], leeway=LEEWAY_SECONDS,
                   options={"require": ["exp", "iat"], "verify_aud": False})
    except jwt.ExpiredSignatureError as exc:
        raise LtiError("token_expired", str(exc)) from exc
    except jwt.ImmatureSignatureError as exc:
        raise LtiError("token_not_yet_valid", str(exc)) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise LtiError("missing_claim", str(exc), claim=exc.claim) from exc
    except jwt.InvalidSignatureError as exc:
        raise LtiError("bad_signature", str(exc)) from exc
    except (jwt.PyJWTError, JWException, ValueError, TypeError) as exc:
        # JWException: the platform published a key that is no usable public key (bad n, EC without crv).
        raise LtiError("bad_signature", f"{type(exc).__name__}: {exc}") from exc


def check_message(body: dict) -> None:
    """A supported message type, LTI 1.3.0, and the claims that message type requires."""
    message_type = body.get(C.MESSAGE_TYPE)
    require(message_type, "message_type")
    if message_type not in C.MESSAGE_TYPES:
        raise LtiError("unsupported_message_type", f"message_type {message_type!r} is not supported")
    if body.get(C.VERSION) != C.LTI_VERSION:
        raise LtiError("wrong_version", f"version {body.get(C.VERSION)!r} is not {C.LTI_VERSION}")
    require(isinstance(body.get("sub"), str) and body["sub"], "sub")
    require(isinstance(body.get(C.ROLES), list), "roles")
    require(isinstance(body.get(C.TARGET_LINK_URI), str) and body[C.TARGET_LINK_URI], "target_link_uri")
    check_lengths(body)
    if message_type == C.DEEP_LINKING_REQUEST:
        settings = body.get(C.DL_SETTINGS)
        require(isinstance(settings, dict) and settings.get("deep_link_return_url"),
                "deep_linking_settings.deep_link_return_url")
    else:
        link = body.get(C.RESOURCE_LINK)
        require(isinstance(link, dict) and isinstance(link.get("id"), str) and link["id"], "resource_link.id")
    if message_type == C.SUBMISSION_REVIEW_REQUEST:
        # pylti1p3's validator looks into both with `in`: a number there would be a TypeError.
        require(isinstance(body.get(C.FOR_USER), dict), "for_user")
        require(isinstance(body.get(C.AGS_ENDPOINT), dict), "lti-ags endpoint")


def check_deployment_claim(body: dict) -> str:
    """The deployment_id claim, which must be present."""
    deployment_id = body.get(C.DEPLOYMENT_ID)
    require(isinstance(deployment_id, str) and deployment_id, "deployment_id")
    return deployment_id


# Longest values the tool stores (None: any length); a longer claim is refused before anything is written.
_LIMITS = {"sub": 255, "name": 255, "given_name": 255, "family_name": 255, "email": 320}
_NESTED_LIMITS = {C.CONTEXT: {"id": 255, "title": 255, "label": 255},
                  C.RESOURCE_LINK: {"id": 255, "title": 255},
                  C.CUSTOM: {"module": 64},
                  C.AGS_ENDPOINT: {"lineitems": 1024, "lineitem": 1024},
                  C.NRPS: {"context_memberships_url": 1024},
                  C.LAUNCH_PRESENTATION: {"return_url": None}}
URL_LIMIT = 1024


def check_lengths(body: dict) -> None:
    """Refuse claims the tool could not store: strings longer than any real platform sends (and
    than the tool's columns), text no database takes (a NUL character, or an unpaired surrogate
    that JSON's \\ud800 escapes give: not UTF-8), and NaN or Infinity anywhere (Python's JSON
    reader takes them, PostgreSQL's json type does not)."""
    for name, limit in _LIMITS.items():
        _check_text(body.get(name), f"the claim {name}", limit)
    _check_text(body.get(C.DEPLOYMENT_ID), "the deployment_id claim", 255)
    for claim, limits in _NESTED_LIMITS.items():
        nested = body.get(claim)
        if not isinstance(nested, dict):
            continue
        for key, limit in limits.items():
            _check_text(nested.get(key), f"{claim.rsplit('/', 1)[-1]}.{key}", limit)
    if _holds_non_finite(body):
        raise LtiError("invalid_message", "the id_token holds NaN or Infinity, which JSON does not allow")


def _check_text(value, what: str, limit: int | None) -> None:
    """A string claim the tool stores: not over `limit` characters (None: any length), storable text."""
    if not isinstance(value, str):
        return
    if limit is not None and len(value) > limit:
        raise LtiError("invalid_message", f"{what} is longer than {limit} characters")
    if not storable_text(value):
        raise LtiError("invalid_message", f"{what} contains a NUL character or an unpaired surrogate")


def storable_text(value: str) -> bool:
    """Text every database takes: UTF-8 encodable (no lone surrogate) and without NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\0" not in value


def _holds_non_finite(value) -> bool:
    """NaN or ±Infinity anywhere in a decoded JSON value (walked without recursion: nesting is
    bounded only by the token size)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
