"""Why an LTI message was refused: a short stable code, an HTTP status and a technical detail."""
from __future__ import annotations

# code -> HTTP status. 400: the request itself is wrong; 401: its credentials (signature, state,
# nonce, key) do not hold; 403: it is authentic but not allowed here (unknown deployment, role).
STATUS = {
    "rate_limited": 429,
    "missing_parameter": 400,
    "unknown_platform": 400,
    "ambiguous_platform": 400,
    "missing_id_token": 400,
    "token_too_large": 400,
    "malformed_token": 400,
    "missing_state": 400,
    "missing_claim": 400,
    "unsupported_message_type": 400,
    "wrong_version": 400,
    "invalid_message": 400,
    "platform_error": 400,
    "state_mismatch": 401,
    "state_cookie_missing": 401,
    "platform_storage_failed": 401,
    "bad_algorithm": 401,
    "missing_kid": 401,
    "unknown_key": 401,
    "bad_signature": 401,
    "token_expired": 401,
    "token_not_yet_valid": 401,
    "wrong_issuer": 401,
    "wrong_audience": 401,
    "nonce_mismatch": 401,
    "nonce_replayed": 401,
    "platform_keys_unavailable": 401,
    "unknown_deployment": 403,
    "launch_required": 401,
    "role_required": 403,
    "registration_token_invalid": 403,
    "registration_token_spent": 403,
    "registration_failed": 502,
    "registration_exists": 409,
}


class LtiError(Exception):
    """A refused LTI request; `code` is what the learner quotes to the LMS administrator."""

    def __init__(self, code: str, detail: str = "", *, status: int | None = None, **context):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.status = status or STATUS.get(code, 400)
        # Extra facts for the error page (the missing claim's name, the restart URL parameters, …).
        self.context = context
