"""Where logins in flight (state, nonce) and used nonces live, shared by every worker and instance.

One small interface, two implementations: the database (default) and Redis (when configured).
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Protocol

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti.models import OidcState, UsedNonce

STATE_TTL = 600  # seconds a login may take before its launch arrives
NONCE_TTL = 3600 * 2  # longer than any id_token we accept lives
# Expired rows are swept at most this often per process: an expired row is already refused on
# read, so sweeping on every login only cost two DELETEs per launch under load.
SWEEP_INTERVAL = 60


@dataclass
class LoginState:
    """What the tool remembers between the OIDC login and the launch that answers it."""

    state: str
    nonce: str
    platform_id: int
    binding: str  # secret kept in the browser (platform storage) to prove it is the same browser
    storage_target: str | None = None
    platform_origin: str | None = None
    login_params: dict = field(default_factory=dict)  # to restart the login in a new window
    expires_at: int = 0

    def to_data(self) -> dict:
        """Everything except the indexed columns, as JSON."""
        data = asdict(self)
        for key in ("state", "nonce", "platform_id", "expires_at"):
            data.pop(key)
        return data


class StateStore(Protocol):
    """Storage of logins in flight and used nonces."""

    def save_state(self, login: LoginState, ttl: int = STATE_TTL) -> None:
        """Remember a login for `ttl` seconds."""

    def get_state(self, state: str) -> LoginState | None:
        """The unexpired login with this state, if any."""

    def delete_state(self, state: str) -> None:
        """Forget a login (its launch arrived)."""

    def use_nonce(self, issuer: str, nonce: str, ttl: int = NONCE_TTL) -> bool:
        """Mark a nonce used; False when it already was (a replay). Atomic."""

    def nonce_used(self, issuer: str, nonce: str) -> bool:
        """Whether a nonce has already carried a launch."""

    # Whether consume(commit=False) leaves its writes in the caller's transaction (a rollback undoes
    # them) or makes them at once.
    transactional: bool

    def consume(self, state: str, issuer: str, nonce: str, *, commit: bool = True) -> bool:
        """Use the nonce and forget the login in one step; False when the nonce was used (a replay).
        commit=False: a transactional store leaves both in the caller's transaction, to commit with
        its own writes (the launch's record: one commit per launch POST instead of two)."""


def nonce_key(issuer: str, nonce: str) -> str:
    """Nonces are unique per issuer; hash them to a fixed-length key."""
    return hashlib.sha256(f"{issuer}\n{nonce}".encode()).hexdigest()


# Built once: a login and a launch run these on every launch, and building a statement costs
# about as much as running it on SQLite (bench/launch_compare.py). Core, not the ORM: nothing
# here needs an object in the session.
# On the tables, not the mapped classes: the ORM's bulk DML path would evaluate and synchronise.
_STATES, _NONCES = OidcState.__table__, UsedNonce.__table__
_INSERT_STATE = insert(_STATES)
_SELECT_STATE = (select(_STATES.c.state, _STATES.c.nonce, _STATES.c.platform_id, _STATES.c.expires_at,
                        _STATES.c.data).where(_STATES.c.state == bindparam("state")))
_DELETE_STATE = delete(_STATES).where(_STATES.c.state == bindparam("state"))
_INSERT_NONCE = insert(_NONCES)


class DbStateStore:
    """State and nonces in the lti_oidc_states / lti_used_nonces tables."""

    _next_sweep = 0.0  # per process: when expired rows are next swept
    transactional = True

    def __init__(self, session: Session):
        self.session = session

    def save_state(self, login: LoginState, ttl: int = STATE_TTL) -> None:
        """Insert the login; now and then sweep expired rows (both tables are indexed on expiry)."""
        now = int(time.time())
        login.expires_at = now + ttl
        if now >= DbStateStore._next_sweep:
            DbStateStore._next_sweep = now + SWEEP_INTERVAL
            self.sweep(now)
        self.session.execute(_INSERT_STATE, {"state": login.state, "nonce": login.nonce,
                                             "platform_id": login.platform_id, "data": login.to_data(),
                                             "expires_at": login.expires_at})
        self.session.commit()

    def sweep(self, now: int) -> None:
        """Delete expired logins and nonces (part of the caller's transaction)."""
        self.session.execute(delete(OidcState).where(OidcState.expires_at < now))
        self.session.execute(delete(UsedNonce).where(UsedNonce.expires_at < now))

    def get_state(self, state: str) -> LoginState | None:
        """The unexpired login, or None."""
        row = self.session.execute(_SELECT_STATE, {"state": state}).first()
        if row is None or row.expires_at < time.time():
            return None
        return LoginState(state=row.state, nonce=row.nonce, platform_id=row.platform_id,
                          expires_at=row.expires_at, **row.data)

    def delete_state(self, state: str) -> None:
        """Remove the login row."""
        self.session.execute(delete(OidcState).where(OidcState.state == state))
        self.session.commit()

    def use_nonce(self, issuer: str, nonce: str, ttl: int = NONCE_TTL) -> bool:
        """Insert the nonce; the primary key makes a second insert fail, whichever worker tries."""
        self.session.add(UsedNonce(key=nonce_key(issuer, nonce), expires_at=int(time.time()) + ttl))
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            return False
        return True

    def nonce_used(self, issuer: str, nonce: str) -> bool:
        """Look the nonce up."""
        return self.session.scalar(select(UsedNonce.key).where(UsedNonce.key == nonce_key(issuer, nonce))) is not None

    def consume(self, state: str, issuer: str, nonce: str, *, commit: bool = True) -> bool:
        """Insert the nonce and delete the login in one transaction. The INSERT itself decides a
        race: a parallel one waits for ours to commit or roll back (PostgreSQL's unique index,
        SQLite's write lock) and then fails on the key, so deferring the commit keeps one use."""
        try:
            self.session.execute(_INSERT_NONCE, {"key": nonce_key(issuer, nonce),
                                                 "expires_at": int(time.time()) + NONCE_TTL})
            self.session.execute(_DELETE_STATE, {"state": state})
            if commit:
                self.session.commit()
        except IntegrityError:
            self.session.rollback()
            return False
        return True


class RedisStateStore:
    """State and nonces as expiring Redis keys under a prefix."""

    transactional = False  # every command takes effect at once

    def __init__(self, redis, prefix: str = "vbhc:lti:"):
        self.redis = redis
        self.prefix = prefix

    def save_state(self, login: LoginState, ttl: int = STATE_TTL) -> None:
        """SET with expiry."""
        login.expires_at = int(time.time()) + ttl
        if ttl <= 0:
            return  # already expired: nothing to keep
        self.redis.set(f"{self.prefix}state:{login.state}", json.dumps(asdict(login)), ex=ttl)

    def get_state(self, state: str) -> LoginState | None:
        """GET and decode."""
        raw = self.redis.get(f"{self.prefix}state:{state}")
        return LoginState(**json.loads(raw)) if raw else None

    def delete_state(self, state: str) -> None:
        """DEL."""
        self.redis.delete(f"{self.prefix}state:{state}")

    def use_nonce(self, issuer: str, nonce: str, ttl: int = NONCE_TTL) -> bool:
        """SET NX: only the first caller succeeds."""
        return bool(self.redis.set(f"{self.prefix}nonce:{nonce_key(issuer, nonce)}", "1", nx=True, ex=ttl))

    def nonce_used(self, issuer: str, nonce: str) -> bool:
        """EXISTS."""
        return bool(self.redis.exists(f"{self.prefix}nonce:{nonce_key(issuer, nonce)}"))

    def consume(self, state: str, issuer: str, nonce: str, *, commit: bool = True) -> bool:
        """SET NX of the nonce and DEL of the state in one round trip; the SET NX decides."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(f"{self.prefix}nonce:{nonce_key(issuer, nonce)}", "1", nx=True, ex=NONCE_TTL)
        pipe.delete(f"{self.prefix}state:{state}")
        first, _ = pipe.execute()
        return bool(first)
