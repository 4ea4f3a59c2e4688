"""A tiny round-robin HTTP reverse proxy on loopback, for tests that run several tool instances.

    balancer = Balancer(["http://127.0.0.1:8001", "http://127.0.0.1:8002"]).start()
    requests.get(balancer.url + "/healthz")        # served by the next live backend in turn
    balancer.log[-1].backend                       # which backend answered (index into backends)
    balancer.stop()

What it forwards, unchanged: method, request target (path and query exactly as the client sent
them), body, every end-to-end header including Cookie and **Host** (so the tool builds its absolute
URLs with the balancer's address, as behind a real balancer that keeps Host; the tool needs neither
TOOL_BASE_URL nor PROXY_FIX for that). Nothing is added (no X-Forwarded-*) and redirects are passed
back to the client, not followed. Responses come back byte for byte (no decompression), every
Set-Cookie kept.

Health, as a real balancer's passive check: a backend that refuses the connection is marked dead
and the request goes to the next live one (nothing was sent, so that is safe for any method); a
dead backend is tried again after `recheck_seconds`. A backend that fails *after* the request was
sent (killed mid-request: reset, closed, timed out) is not retried, because the request may have
taken effect: the client gets `502` with `X-Balancer-Error: backend-failed`, as from nginx. With no
live backend left the answer is `503` with `X-Balancer-Error: no-backend`.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests
import urllib3
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
              "trailer", "trailers", "transfer-encoding", "upgrade"}
ERROR_HEADER = "X-Balancer-Error"


@dataclass
class Forward:
    """One request the balancer handled: which backend took it, and how it ended."""

    method: str
    target: str                    # path?query as the client sent it
    backend: int | None = None     # index into Balancer.backends (None: no backend took it)
    status: int | None = None      # the status the client got
    error: str | None = None       # why the balancer answered itself (502/503)
    refused: tuple[int, ...] = ()  # backends that refused the connection first
    started: float = 0.0
    ended: float = 0.0

    @property
    def path(self) -> str:
        """The path without the query."""
        return self.target.split("?", 1)[0]


class _QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output."""

    def log_request(self, code="-", size="-"):
        """Skip the per-request log line."""


def _refused(exc: requests.ConnectionError) -> bool:
    """Whether the connection itself failed (nothing was sent), as opposed to a failure mid-request."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectTimeout) or isinstance(
        reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


class Balancer:
    """Round-robin reverse proxy over `backends` (base URLs), served by werkzeug in a daemon thread."""

    def __init__(self, backends: list[str] | None = None, *, host: str = "127.0.0.1", timeout: float = 30,
                 recheck_seconds: float = 2.0):
        self.backends: list[str] = [b.rstrip("/") for b in backends or []]
        self.timeout = timeout
        self.recheck_seconds = recheck_seconds
        self.log: list[Forward] = []
        self._lock = threading.Lock()
        self._next = 0
        self._dead_until: dict[int, float] = {}
        self._in_flight: dict[int, list[str]] = {}
        self._server = make_server(host, 0, self, threaded=True, request_handler=_QuietHandler)
        self.host, self.port = host, self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # ---------------------------------------------------------------- life cycle

    def start(self) -> "Balancer":
        """Start serving (the URL is known from construction, so backends may be set later)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "Balancer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- health

    def set_backends(self, backends: list[str]) -> None:
        """Replace the backend list (all live)."""
        with self._lock:
            self.backends = [b.rstrip("/") for b in backends]
            self._dead_until.clear()
            self._next = 0

    def mark_dead(self, index: int, seconds: float | None = None) -> None:
        """Take a backend out of rotation (for `seconds`, else until revive())."""
        with self._lock:
            self._dead_until[index] = time.monotonic() + seconds if seconds is not None else float("inf")

    def revive(self, index: int) -> None:
        """Put a backend back into rotation."""
        with self._lock:
            self._dead_until.pop(index, None)

    def is_dead(self, index: int) -> bool:
        """Whether the backend is out of rotation now."""
        with self._lock:
            return self._dead_until.get(index, 0) > time.monotonic()

    def in_flight(self, index: int) -> list[str]:
        """Request targets the backend is serving at this moment."""
        with self._lock:
            return list(self._in_flight.get(index, []))

    def served_by(self, index: int) -> list[Forward]:
        """The requests a backend answered."""
        return [f for f in list(self.log) if f.backend == index]

    def _pick(self, tried: set[int]) -> int | None:
        """The next live backend in turn that this request has not tried yet."""
        with self._lock:
            now = time.monotonic()
            count = len(self.backends)
            for step in range(count):
                index = (self._next + step) % count
                if index not in tried and self._dead_until.get(index, 0) <= now:
                    self._next = (index + 1) % count
                    self._dead_until.pop(index, None)
                    return index
            return None

    # ---------------------------------------------------------------- forwarding

    def __call__(self, environ, start_response):
        """WSGI: forward the request to a backend and relay its answer."""
        request = Request(environ)
        target = environ.get("REQUEST_URI") or environ.get("RAW_URI") or request.full_path
        record = Forward(request.method, target, started=time.monotonic())
        with self._lock:
            self.log.append(record)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Connection"] = "close"  # one connection per request: a killed backend leaves no stale pool
        body = request.get_data(cache=False)
        tried: set[int] = set()
        try:
            while True:
                index = self._pick(tried)
                if index is None:
                    record.error = "no-backend"
                    return self._answer_self(start_response, record, 503, "no live backend")
                tried.add(index)
                with self._lock:
                    self._in_flight.setdefault(index, []).append(target)
                try:
                    resp = self._send(self.backends[index], request.method, target, headers, body)
                except requests.ConnectionError as exc:
                    if _refused(exc):
                        record.refused += (index,)
                        self.mark_dead(index, self.recheck_seconds)
                        continue  # nothing was sent: the next backend may take it
                    record.backend, record.error = index, f"backend-failed: {type(exc).__name__}"
                    return self._answer_self(start_response, record, 502, "the backend failed mid-request")
                except requests.RequestException as exc:  # read timeout and the like: may have taken effect
                    record.backend, record.error = index, f"backend-failed: {type(exc).__name__}"
                    return self._answer_self(start_response, record, 502, "the backend failed mid-request")
                finally:
                    with self._lock:
                        self._in_flight[index].remove(target)
                record.backend, record.status = index, resp.status_code
                return self._relay(start_response, resp, record)
        finally:
            record.ended = time.monotonic()

    def _send(self, base: str, method: str, target: str, headers: dict, body: bytes) -> requests.Response:
        """One request to one backend, exactly as given (no proxies from the environment, no
        default headers of requests', no redirects followed); the body is read in full."""
        with requests.Session() as http:
            http.trust_env = False
            http.headers.clear()
            prepared = requests.Request(method, base + "/", headers=headers).prepare()
            prepared.url = base + target  # the request target byte for byte (prepare() would re-quote it)
            if body or method not in ("GET", "HEAD", "OPTIONS", "DELETE"):
                prepared.body = body
                prepared.headers["Content-Length"] = str(len(body))
            resp = http.send(prepared, allow_redirects=False, stream=True, timeout=self.timeout)
            resp._raw_body = resp.raw.read(decode_content=False)
            return resp

    @staticmethod
    def _relay(start_response, resp: requests.Response, record: Forward):
        """The backend's status, headers (each Set-Cookie on its own) and raw body."""
        headers = [(k, v) for k, v in resp.raw.headers.items() if k.lower() not in HOP_BY_HOP]
        body = resp._raw_body
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{resp.status_code} {resp.reason or ''}".strip(), headers)
        return [body]

    @staticmethod
    def _answer_self(start_response, record: Forward, status: int, text: str):
        """An answer of the balancer's own (502/503), marked with X-Balancer-Error."""
        record.status = status
        body = text.encode()
        reason = {502: "Bad Gateway", 503: "Service Unavailable"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
                                              (ERROR_HEADER, record.error or "")])
        return [body]
