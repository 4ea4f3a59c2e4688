"""The platform's RSA signing keys: a current key with a kid, older keys kept in the JWKS."""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

# After a rotation the old key stays published this long, so tools that cached it (or launches
# signed just before the rotation) still verify.
RETIRED_KEY_GRACE_SECONDS = 24 * 3600


def generate_private_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#8 PEM text of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_jwk(key, kid: str) -> dict:
    """The public JWK (RS256, use sig) of a private or public RSA key."""
    public = key.public_key() if hasattr(key, "public_key") else key
    jwk = json.loads(RSAAlgorithm.to_jwk(public))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return jwk


@dataclass
class SigningKey:
    """One key of the ring; `retired_at` is set when a newer key took over."""

    kid: str
    key: rsa.RSAPrivateKey
    created_at: float
    retired_at: float | None = None

    def to_record(self) -> dict:
        """A JSON-able record for a store."""
        return {"kid": self.kid, "pem": private_pem(self.key), "created_at": self.created_at,
                "retired_at": self.retired_at}

    @classmethod
    def from_record(cls, record: dict) -> "SigningKey":
        """Rebuild from a store record."""
        key = serialization.load_pem_private_key(record["pem"].encode(), password=None)
        return cls(record["kid"], key, record["created_at"], record.get("retired_at"))


class KeyRing:
    """The platform's keys, persisted through a store (see demolms.store)."""

    def __init__(self, store, grace_seconds: int = RETIRED_KEY_GRACE_SECONDS):
        self.store = store
        self.grace_seconds = grace_seconds
        self._cache: dict[str, SigningKey] = {}
        if not self._keys():
            self.rotate()

    def _keys(self) -> list[SigningKey]:
        """Every stored key (parsed once per kid), oldest first."""
        keys = []
        for record in self.store.load_keys():
            cached = self._cache.get(record["kid"])
            if cached is None or cached.retired_at != record.get("retired_at"):
                cached = self._cache[record["kid"]] = SigningKey.from_record(record)
            keys.append(cached)
        return sorted(keys, key=lambda k: k.created_at)

    @property
    def current(self) -> SigningKey:
        """The key new tokens are signed with."""
        return self._keys()[-1]

    def get(self, kid: str) -> SigningKey | None:
        """A published key by kid."""
        return next((k for k in self._keys() if k.kid == kid), None)

    def rotate(self) -> SigningKey:
        """Make a new current key; the previous ones stay published for the grace period."""
        now = time.time()
        existing = self._keys()
        for old in existing:
            if old.retired_at is None:
                old.retired_at = now
                self.store.save_key(old.to_record())
            elif now - old.retired_at > self.grace_seconds:
                self.store.delete_key(old.kid)
        fresh = SigningKey(f"demolms-{time.strftime('%Y%m%d')}-{secrets.token_hex(4)}",
                           generate_private_key(), max([now] + [k.created_at + 1e-3 for k in existing]))
        self.store.save_key(fresh.to_record())
        return fresh

    def jwks(self) -> dict:
        """The public key set: current key and keys still in their grace period."""
        now = time.time()
        keys = [k for k in self._keys() if k.retired_at is None or now - k.retired_at <= self.grace_seconds]
        return {"keys": [public_jwk(k.key, k.kid) for k in reversed(keys)]}
