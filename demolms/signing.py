"""Signing JWTs as the platform, including deliberately broken tokens for negative tests."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
from cryptography.hazmat.primitives import serialization


def _b64(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _as_private_key(key):
    """Accept a cryptography key, PEM text/bytes, or a demolms SigningKey."""
    if hasattr(key, "key") and hasattr(key, "kid"):
        return key.key
    if isinstance(key, (str, bytes)):
        data = key.encode() if isinstance(key, str) else key
        return serialization.load_pem_private_key(data, password=None)
    return key


def sign(platform, claims: dict, *, kid=None, alg="RS256", key=None, headers=None) -> str:
    """Sign with the current key (or `key`); kid defaults to the current key's kid.

    `alg="none"` gives an unsigned token; HS* signs with `key` as the shared secret even when
    it is a public key PEM (the classic algorithm-confusion attack a tool must refuse).
    """
    current = platform.keys.current
    header = {"typ": "JWT", "alg": alg}
    if kid is not False:
        header["kid"] = kid or current.kid
    header.update(headers or {})
    if alg == "none":
        return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
    if alg.startswith("HS"):
        secret = key.encode() if isinstance(key, str) else (key or platform.secret.encode())
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        signature = hmac.new(secret, signing_input.encode(), digest).digest()
        return f"{signing_input}.{_b64(signature)}"
    private = _as_private_key(key) if key is not None else current.key
    extra = {k: v for k, v in header.items() if k not in ("alg",)}
    return jwt.encode(claims, private, algorithm=alg, headers=extra)
