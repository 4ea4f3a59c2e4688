"""Access tokens for the services, and the tool's public keys fetched from its JWKS URL."""
from __future__ import annotations

import time
import uuid

import jwt
import requests

from demolms.errors import PlatformError


class AccessMixin:
    """Platform methods for bearer tokens and tool keys (see demolms.platform.Platform)."""

    def issue_access_token(self, client_id: str, scopes: list[str]) -> str:
        """A bearer token for the services, valid for token_lifetime seconds."""
        now = time.time()
        return jwt.encode({"sub": client_id, "scope": " ".join(scopes), "iat": now,
                           "exp": int(now + self.token_lifetime), "jti": uuid.uuid4().hex,
                           "iss": self.issuer}, self.secret, algorithm="HS256")

    def revoke_tokens(self) -> None:
        """Make every access token issued so far invalid (the tool must fetch a new one)."""
        self.tokens_revoked_before = time.time()

    def check_access_token(self, authorization: str | None, needed: set[str]) -> dict:
        """The token's claims if `Authorization: Bearer …` is valid and grants one of `needed`."""
        if not authorization or not authorization.startswith("Bearer "):
            raise PlatformError(401, "invalid_token", "an Authorization: Bearer access token is required",
                                {"WWW-Authenticate": 'Bearer realm="demolms"'})
        try:
            token = jwt.decode(authorization[7:].strip(), self.secret, algorithms=["HS256"],
                               issuer=self.issuer, options={"require": ["exp", "iat", "sub"]})
        except jwt.ExpiredSignatureError:
            raise PlatformError(401, "invalid_token", "the access token has expired",
                                {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        except jwt.PyJWTError as exc:
            raise PlatformError(401, "invalid_token", f"the access token is not valid ({exc})",
                                {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if token["iat"] < self.tokens_revoked_before:
            raise PlatformError(401, "invalid_token", "the access token was revoked",
                                {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not needed & set(token["scope"].split()):
            raise PlatformError(403, "insufficient_scope", "the access token lacks the scope: "
                                + " or ".join(sorted(needed)))
        return token

    # ---- fetching the tool's keys ----
    def http_get_json(self, url: str) -> dict:
        """GET a JSON document (the tool's JWKS); overridable for in-process tools."""
        if self._http_get is not None:
            return self._http_get(url)

        resp = requests.get(url, timeout=10, headers={"Accept": "application/json"})
        resp.raise_for_status()
        return resp.json()

    def tool_key(self, tool: dict, kid: str | None):
        """The tool's public key for a kid from its JWKS URL; re-fetches once on an unknown kid."""
        for attempt in range(2):
            jwks = self.tool_keys_cache.get(tool["jwks_url"])
            if jwks is None or attempt == 1:
                try:
                    jwks = self.http_get_json(tool["jwks_url"])
                except Exception as exc:
                    raise PlatformError(401, "invalid_client", f"cannot fetch the tool's JWKS: {exc}")
                self.tool_keys_cache[tool["jwks_url"]] = jwks
            keys = [k for k in jwks.get("keys", []) if k.get("kty") == "RSA"]
            match = [k for k in keys if kid and k.get("kid") == kid] or ([] if kid else keys[:1])
            if match:
                return jwt.PyJWK(dict(match[0], alg="RS256")).key
        raise PlatformError(401, "invalid_client", f"the tool's JWKS has no key with kid {kid!r}")

    def once(self, kind: str, value: str, ttl: float = 3600) -> bool:
        """True the first time a nonce/jti/token is used."""
        return self.store.use_once(kind, value, ttl)
