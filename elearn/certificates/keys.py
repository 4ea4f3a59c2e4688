"""Credential keys: create one when none exists, sign with the newest, publish them all."""
from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from elearn.certificates.models import CredentialKey
from elearn.extensions import db

ALGORITHM = "EdDSA"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: dict) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256) of an OKP key: its `kid`."""
    members = {k: jwk[k] for k in ("crv", "kty", "x")}
    return _b64url(hashlib.sha256(json.dumps(members, sort_keys=True, separators=(",", ":")).encode()).digest())


def public_jwk(private: Ed25519PrivateKey) -> dict:
    """The public half of an Ed25519 key as a JWK, its `kid` the thumbprint (credential and ledger keys)."""
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    jwk.update(kid=thumbprint(jwk), alg=ALGORITHM, use="sig")
    return jwk


def new_key() -> CredentialKey:
    """Generate and store a new Ed25519 key; from now on it signs (caller need not commit)."""
    private = Ed25519PrivateKey.generate()
    jwk = public_jwk(private)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    key = CredentialKey(kid=jwk["kid"], private_key_pem=pem, public_jwk=jwk)
    db.session.add(key)
    db.session.commit()
    return key


def signing_key() -> CredentialKey:
    """The newest key, created on first use."""
    key = db.session.scalars(select(CredentialKey).order_by(CredentialKey.id.desc()).limit(1)).first()
    if key is not None:
        return key
    try:
        return new_key()
    except IntegrityError:   # practically impossible (a kid clash); another key is there either way
        db.session.rollback()
        return db.session.scalars(select(CredentialKey).order_by(CredentialKey.id.desc()).limit(1)).one()


def published_jwks() -> dict:
    """Every credential key ever used, public parts only, newest first (a JWKS document)."""
    keys = db.session.scalars(select(CredentialKey).order_by(CredentialKey.id.desc()))
    return {"keys": [dict(key.public_jwk) for key in keys]}


def private_key(key: CredentialKey):
    """The key's private half, for signing."""
    return serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
