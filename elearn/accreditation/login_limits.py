"""How often the administrator's sign-in may be tried: per client address (RATELIMIT_ADMIN_LOGIN)
and per account, the e-mail as typed and normalised, known or not (RATELIMIT_ADMIN_ACCOUNT), so that
neither one address guessing many passwords nor many addresses guessing one account get far.

Every attempt counts, before its password is checked: the limiter's hit is one atomic increment,
so a burst of parallel guesses cannot all pass a check made before any of them is counted (as
Flask-Limiter's deduct_when would let them). The counters live in the limiter's storage (Redis when
REDIS_URL is set), so they hold across workers and instances.
"""
from __future__ import annotations

import hashlib
import math
import time

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse

from elearn.extensions import limiter


def _counters(email: str) -> list[tuple[str, tuple[str, ...]]]:
    """(setting, key) of each limit an attempt counts against; the account key is a digest, so the
    limiter's storage holds no e-mail addresses."""
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    prefix = tuple(filter(None, [current_app.config.get("RATELIMIT_KEY_PREFIX")]))
    return [("RATELIMIT_ADMIN_LOGIN", (*prefix, "admin-login-address", get_remote_address() or "-")),
            ("RATELIMIT_ADMIN_ACCOUNT", (*prefix, "admin-login-account", account))]


def attempt(email: str) -> int | None:
    """Count one sign-in attempt for this address and account; None when it may go ahead, else the
    seconds until it may be tried again."""
    if not limiter.enabled:
        return None
    wait = None
    try:
        for setting, key in _counters(email):
            limit = parse(current_app.config[setting])
            if not limiter.limiter.hit(limit, *key):
                reset = limiter.limiter.get_window_stats(limit, *key).reset_time
                wait = max(wait or 0, max(1, math.ceil(reset - time.time())))
    except Exception:  # a failing store must not lock every administrator out (RATELIMIT_SWALLOW_ERRORS)
        if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS"):
            raise
        current_app.logger.exception("admin sign-in limiter store failed; attempt let through")
        return None
    return wait
