"""OAuth2 client credentials for LTI Advantage services, over pylti1p3's ServiceConnector.

pylti1p3 signs the client assertion and keeps tokens only per connector object, never expiring
them, never retrying a 401, and lower-cases `Link` headers (breaking case-sensitive next URLs).
Here tokens are cached per platform and scope set until shortly before they expire (in the
process and, when configured, in Redis for every worker), a 401 is retried once with a fresh
token, and paging links are read as sent.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass

import jwt
import requests
from pylti1p3.service_connector import ServiceConnector

from lti.models import Platform
from lti.tool_conf import registration_for

EXPIRY_MARGIN = 60  # seconds before expiry a cached token is no longer used
ASSERTION_LIFETIME = 300
HTTP_TIMEOUT = 20.0  # seconds per call to the LMS, unless the connector is given another


class ServiceError(Exception):
    """An LTI service answered with an error (status, body, Retry-After for the caller's backoff)."""

    def __init__(self, status: int, url: str, body: str, retry_after: str | None = None):
        super().__init__(f"{status} from {url}: {body[:300]}")
        self.status, self.url, self.body, self.retry_after = status, url, body, retry_after


# Answers after which the cached token is dropped (see ToolServiceConnector.request).
REFETCH_TOKEN_AFTER = frozenset({403, 500})


class TokenCache:
    """Access tokens per (platform, scopes): a dict in this process, plus Redis when given."""

    def __init__(self, redis=None, prefix: str = "vbhc:lti:"):
        self.redis = redis
        self.prefix = prefix
        self._local: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        """A token still valid for at least EXPIRY_MARGIN seconds."""
        with self._lock:
            token, expires_at = self._local.get(key, (None, 0.0))
        if token and expires_at - EXPIRY_MARGIN > time.time():
            return token
        if self.redis is not None:
            raw = self.redis.get(self.prefix + "token:" + key)
            if raw:
                token, expires_at = json.loads(raw)
                if expires_at - EXPIRY_MARGIN > time.time():
                    with self._lock:
                        self._local[key] = (token, expires_at)
                    return token
        return None

    def put(self, key: str, token: str, expires_in: float) -> None:
        """Remember a token for its lifetime."""
        expires_at = time.time() + expires_in
        with self._lock:
            self._local[key] = (token, expires_at)
        if self.redis is not None and expires_in > EXPIRY_MARGIN:
            self.redis.set(self.prefix + "token:" + key, json.dumps([token, expires_at]),
                           ex=int(expires_in - EXPIRY_MARGIN))

    def drop(self, key: str) -> None:
        """Forget a token the platform refused."""
        with self._lock:
            self._local.pop(key, None)
        if self.redis is not None:
            self.redis.delete(self.prefix + "token:" + key)


@dataclass
class ServiceResponse:
    """A service answer: status, headers, decoded JSON body, and the next page URL if any."""

    status: int
    headers: dict
    body: object
    next_url: str | None


_NEXT_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)


_DIFFERENCES_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?differences"?', re.IGNORECASE)


def next_link(header: str | None) -> str | None:
    """The rel="next" URL of a Link header, case preserved."""
    match = _NEXT_LINK.search((header or "").replace("\n", " "))
    return match.group(1) if match else None


def differences_link(header: str | None) -> str | None:
    """The rel="differences" URL of an NRPS Link header: where to ask for changes since this page."""
    match = _DIFFERENCES_LINK.search((header or "").replace("\n", " "))
    return match.group(1) if match else None


class ToolServiceConnector(ServiceConnector):
    """pylti1p3's connector with a shared token cache, one 401 retry and correct paging."""

    def __init__(self, platform: Platform, signing, cache: TokenCache, http: requests.Session | None = None,
                 timeout: float = HTTP_TIMEOUT):
        super().__init__(registration_for(platform, signing), http or requests.Session())
        self.platform_id = platform.id
        self.cache = cache
        self.timeout = timeout

    def _cache_key(self, scopes) -> str:
        """platform id + hash of the sorted scope set."""
        scope_hash = hashlib.sha256(" ".join(sorted(set(scopes))).encode()).hexdigest()[:32]
        return f"{self.platform_id}:{scope_hash}"

    def client_assertion(self) -> str:
        """The signed JWT that authenticates the tool; aud exactly as registered (no slash added)."""
        reg = self._registration
        now = int(time.time())
        claims = {"iss": reg.get_client_id(), "sub": reg.get_client_id(),
                  "aud": reg.get_auth_audience() or reg.get_auth_token_url(),
                  "iat": now - 5, "exp": now + ASSERTION_LIFETIME, "jti": f"lti-service-{uuid.uuid4()}"}
        return jwt.encode(claims, reg.get_tool_private_key(), algorithm="RS256", headers={"kid": reg.get_kid()})

    def get_access_token(self, scopes) -> str:
        """A cached token for these scopes, or a new one from the platform's token endpoint."""
        key = self._cache_key(scopes)
        token = self.cache.get(key)
        if token:
            return token
        url = self._registration.get_auth_token_url()
        resp = self._requests_session.post(url, timeout=self.timeout, data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": self.client_assertion(), "scope": " ".join(sorted(set(scopes)))})
        if not resp.ok:
            raise ServiceError(resp.status_code, url, resp.text, resp.headers.get("Retry-After"))
        data = resp.json()
        self.cache.put(key, data["access_token"], float(data.get("expires_in") or 3600))
        return data["access_token"]

    def request(self, method: str, url: str, scopes, *, body: object = None, content_type: str = "application/json",
                accept: str = "application/json") -> ServiceResponse:
        """Call a service; on 401 drop the token and try once more with a fresh one."""
        for attempt in (1, 2):
            headers = {"Authorization": "Bearer " + self.get_access_token(scopes), "Accept": accept}
            data = None
            if body is not None:
                headers["Content-Type"] = content_type
                data = json.dumps(body)
            resp = self._requests_session.request(method, url, data=data, headers=headers, timeout=self.timeout)
            if resp.status_code == 401 and attempt == 1:
                self.cache.drop(self._cache_key(scopes))
                continue
            if resp.status_code in REFETCH_TOKEN_AFTER:
                # Some platforms answer a token they no longer accept with 500 or 403 instead of
                # RFC 6750's 401 (lti1p3platform raises while decoding it, docs/interop.md): not
                # retried now (the caller backs off as for any 5xx), but the next try gets a new token
                # instead of sending the same one until it expires (an hour of a stuck score).
                self.cache.drop(self._cache_key(scopes))
            if not resp.ok:
                raise ServiceError(resp.status_code, url, resp.text, resp.headers.get("Retry-After"))
            return ServiceResponse(resp.status_code, dict(resp.headers), resp.json() if resp.content else None,
                                   next_link(resp.headers.get("Link")))
        raise AssertionError("unreachable")

    def make_service_request(self, scopes, url, is_post=False, data=None, content_type="application/json",
                             accept="application/json", case_insensitive_headers=False):
        """pylti1p3's entry point (used by its AGS/NRPS classes), routed through `request`."""
        resp = self.request("POST" if is_post else "GET", url, scopes,
                            body=json.loads(data) if is_post and data else None,
                            content_type=content_type, accept=accept)
        return {"headers": resp.headers, "body": resp.body, "next_page_url": resp.next_url}
