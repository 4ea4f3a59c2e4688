"""Benchmark: full LTI launches, module and catalog pages, and a profile of one launch.

    .venv/bin/python bench/launch.py                          # PostgreSQL, 1/8/32/128 browsers, 10 s each
    .venv/bin/python bench/launch.py --db sqlite --launches 200
    .venv/bin/python bench/launch.py --concurrency 1,8 --duration 5 --skip-pages

Everything runs on loopback: a fresh database (dropped afterwards), the demolms platform in this
process, the tool under gunicorn in a subprocess; the profile runs the tool in this process
(Flask test client). Prints figures, asserts nothing about speed. See bench/README.md.
"""
from __future__ import annotations

import argparse
import cProfile
import html
import os
import pstats
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402

from common import (PG_ADMIN, ROOT, Timeout, alarm, children_of, cpu_seconds, create_database, dispose,  # noqa: E402
                    free_port, machine_cpu_seconds, make_app, memory_kb, percentile, prepare_schema, register,
                    start_gunicorn, tool_env)

RESOURCE_LINK = "rl-bench-launch"
ACCESS_FORMAT = "ACCESS %(m)s %(U)s %(s)s %(D)s"  # method, path (no query: no tokens), status, µs in the worker
ACCESS_LINE = re.compile(r"^ACCESS (\S+) (\S+) (\d{3}) (\d+)\s*$")
TOOL_HOPS = ("login", "launch", "landing")
PLATFORM_HOPS = ("prepare", "auth")
HOPS = ("prepare", "login", "auth", "launch", "landing")
CLEANUP_RESERVE = 20  # seconds of the budget kept for stopping processes and dropping the database


# ---------------------------------------------------------------- one launch, hop by hop

@dataclass
class Launch:
    """One launch as a browser does it, with the time of each hop (client-observed, in seconds)."""

    start: float
    end: float = 0.0
    hops: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    lt: str = ""
    idle: float = 0.0  # seconds since this browser's previous launch ended (its connections idle)

    @property
    def latency(self) -> float:
        return self.end - self.start

    def part(self, names) -> float:
        return sum(self.hops.get(n, 0.0) for n in names)


def _page_problem(resp: requests.Response) -> str:
    """What an unexpected answer says: status, the tool's error code, a bit of text."""
    code = re.search(r'data-error-code="([^"]+)"', resp.text or "")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.text or ""))[:160].strip()
    return f"{resp.status_code}" + (f" error-code={code.group(1)}" if code else "") + f" {text!r}"


def person(sub: str) -> dict:
    """A learner as the platform sends them (name and email, as most LMSs do)."""
    return {"sub": sub, "name": f"Bench {sub}", "given_name": "Bench", "family_name": sub,
            "email": f"{sub}@bench.invalid"}


def timed_launch(platform, browser: requests.Session, module: str, sub: str, timeout: float) -> Launch:
    """OIDC login initiation POST → platform /auth → id_token POST to /lti/launch → landing page,
    each hop timed from sending the request to having read the whole answer (redirects are
    followed by hand, so each one is a hop of its own)."""
    from demolms.browser import forms

    result = Launch(time.perf_counter())
    result.idle = result.start - getattr(browser, "bench_last_answer", result.start)
    hop = "prepare"
    mark = result.start
    try:
        def done(name: str) -> None:
            nonlocal mark
            now = time.perf_counter()
            result.hops[name] = now - mark
            mark = now

        # The LMS page that launches the tool (in-process: a signed hint and the enrolment).
        init = platform.platform.prepare_launch(role="learner", user=person(sub), locale="en",
                                                resource_link_id=RESOURCE_LINK, custom={"module": module})
        done("prepare")
        hop = "login"
        resp = browser.post(init.url, data=init.params, allow_redirects=False, timeout=timeout)
        done("login")
        auth_url = resp.headers.get("Location", "")
        if resp.status_code not in (302, 303) or not auth_url.startswith(platform.auth_login_url):
            raise RuntimeError(f"login answered {_page_problem(resp)} Location={auth_url[:80]!r}")
        hop = "auth"
        resp = browser.get(auth_url, timeout=timeout)
        done("auth")
        found = forms(resp.text) if resp.status_code == 200 else []
        if not found or "id_token" not in found[0]["fields"]:
            raise RuntimeError(f"platform /auth answered {_page_problem(resp)}")
        form = found[0]
        hop = "launch"
        resp = browser.post(urljoin(resp.url, html.unescape(form["action"])), data=form["fields"],
                            allow_redirects=False, timeout=timeout)
        done("launch")
        landing = resp.headers.get("Location", "")
        if resp.status_code not in (302, 303) or f"/modules/{module}" not in landing:
            raise RuntimeError(f"launch answered {_page_problem(resp)} Location={landing[:80]!r}")
        hop = "landing"
        resp = browser.get(urljoin(resp.url, landing), timeout=timeout)
        done("landing")
        if resp.status_code != 200 or 'data-error-code="' in resp.text:
            raise RuntimeError(f"landing page answered {_page_problem(resp)}")
        result.lt = parse_qs(urlsplit(landing).query).get("lt", [""])[0]
    except Exception as exc:  # noqa: BLE001 (every failure is a figure)
        message = str(exc) if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {exc}"
        result.error = f"[{hop}, {'tool' if hop in TOOL_HOPS else 'platform'}] {message}"
    result.end = time.perf_counter()
    browser.bench_last_answer = result.end
    return result


# ---------------------------------------------------------------- threads and measurements

def run_threads(count: int, target, join_by: float) -> None:
    """`target(i)` in `count` daemon threads; waits until `join_by` (monotonic) at most."""
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, join_by - time.monotonic()))
    if any(t.is_alive() for t in threads):
        raise Timeout(f"{sum(t.is_alive() for t in threads)} client threads still busy at the deadline")


class ToolMeter:
    """CPU of the tool's processes, of this process and of the machine; the gunicorn access log."""

    def __init__(self, master: int, log: Path, pg_database: str | None = None):
        self.master, self.log, self.pg_database = master, log, pg_database

    def pg_backends(self) -> list[int]:
        """PostgreSQL server processes serving the bench database (its connections)."""
        if not self.pg_database:
            return []
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            return [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                   (self.pg_database,))]

    def pids(self) -> list[int]:
        return [self.master] + children_of(self.master)

    def snapshot(self) -> dict:
        def cpu_of(pids: list[int]) -> dict[int, float]:
            found = {}
            for pid in pids:
                try:
                    found[pid] = cpu_seconds(pid)
                except OSError:
                    pass
            return found

        times = os.times()
        return {"at": time.perf_counter(), "tool": cpu_of(self.pids()), "pg": cpu_of(self.pg_backends()),
                "bench": times.user + times.system,
                "machine": machine_cpu_seconds(), "log": self.log.stat().st_size}

    def since(self, before: dict) -> dict:
        """CPU shares (percent of one core) and the access-log lines since `before`."""
        time.sleep(0.3)  # access lines are written just after the answer went out
        after = self.snapshot()
        wall = after["at"] - before["at"]
        tool = sum(v - before["tool"].get(pid, 0.0) for pid, v in after["tool"].items())
        workers = [100 * (v - before["tool"].get(pid, 0.0)) / wall for pid, v in sorted(after["tool"].items())
                   if pid != self.master]
        pg = sum(v - before["pg"].get(pid, 0.0) for pid, v in after["pg"].items())
        bench = after["bench"] - before["bench"]
        busy = after["machine"][0] - before["machine"][0]
        with open(self.log, "rb") as log:
            log.seek(before["log"])
            lines = log.read(after["log"] - before["log"]).decode(errors="replace").splitlines()
        access = [m.groups() for m in map(ACCESS_LINE.match, lines) if m]
        restarted = set(before["tool"]) != set(after["tool"])
        return {"wall": wall, "tool": 100 * tool / wall, "workers": workers, "bench": 100 * bench / wall, "pg": 100 * pg / wall,
                "other": max(0.0, 100 * (busy - tool - bench - pg) / wall), "access": access,
                "restarted": restarted, "pg_measured": bool(self.pg_database)}

    def worker_memory(self) -> str:
        parts = []
        for pid in self.pids():
            try:
                rss, hwm = memory_kb(pid)
            except OSError:
                continue
            role = "master" if pid == self.master else "worker"
            parts.append(f"{role} {pid}: {rss / 1024:.0f} MB (peak {hwm / 1024:.0f} MB)")
        return "; ".join(parts)


def ms(values: list[float], *ps: int) -> str:
    """Percentiles of seconds, in ms."""
    if not values:
        return "-"
    return "/".join(f"{percentile(values, p) * 1000:.0f}" for p in ps)


def server_times(access: list[tuple], kinds: dict[str, tuple[str, str]]) -> dict[str, list[float]]:
    """Seconds the worker spent per request, by kind (method, path prefix)."""
    out: dict[str, list[float]] = defaultdict(list)
    for method, path, _status, micros in access:
        for kind, (want_method, prefix) in kinds.items():
            if method == want_method and path.startswith(prefix):
                out[kind].append(int(micros) / 1e6)
    return out


def print_errors(errors: list[str], indent: str = "  ", idle: dict[str, list[float]] | None = None) -> None:
    """Distinct error messages with counts (and how long the browsers had been idle before)."""
    for message, count in Counter(errors).most_common(6):
        note = ""
        if idle and idle.get(message):
            note = f"  [browser idle before that launch: {min(idle[message]):.1f}-{max(idle[message]):.1f} s]"
        print(f"{indent}error x{count}: {message[:300]}{note}")


def launch_errors(launches: list[Launch], indent: str = "  ", prefix: str = "") -> None:
    failed = [r for r in launches if r and r.error]
    idle: dict[str, list[float]] = defaultdict(list)
    for r in failed:
        idle[prefix + r.error].append(r.idle)
    print_errors([prefix + r.error for r in failed], indent, idle)


def cpu_line(meter: dict) -> str:
    cores = os.cpu_count() or 1
    note = "  (a gunicorn worker was restarted!)" if meter["restarted"] else ""
    pg = f"  postgres (bench db backends) {meter['pg']:.0f}%" if meter["pg_measured"] else ""
    split = " + ".join(f"{w:.0f}" for w in meter["workers"])
    return (f"cpu (% of one core, {cores * 100}% = all): tool {meter['tool']:.0f}% (workers {split})  "
            f"this process (clients + "
            f"platform) {meter['bench']:.0f}%{pg}  rest of the machine {meter['other']:.0f}%{note}")


@dataclass
class LevelFigures:
    browsers: int
    rate: float
    count: int
    errors: int
    e2e: list[float]
    tool: list[float]
    platform: list[float]
    server_sum: float


def launch_level(ctx, browsers: int, args, deadline: float) -> LevelFigures | None:
    """`browsers` browsers: a burst of first launches (new users), then launches for the duration."""
    from demolms.browser import new_browser

    if deadline - time.monotonic() < 5:
        print(f"\n== launches, {browsers} browsers: skipped (time budget) ==")
        return None
    sessions = [new_browser() for _ in range(browsers)]
    subs = [f"bench-c{browsers:03d}-{i:03d}" for i in range(browsers)]
    first: list[Launch] = [None] * browsers  # type: ignore[list-item]

    def first_launch(i: int) -> None:
        first[i] = timed_launch(ctx.platform, sessions[i], args.module, subs[i], args.request_timeout)

    run_threads(browsers, first_launch, deadline)
    for session in sessions:
        # Browsers that finished early sat idle while the others finished: their kept-alive
        # connections may be past gunicorn's keepalive (2 s) and closed under a reuse.
        session.close()  # drops pooled connections only; cookies stay
    seconds = min(args.duration, max(1.0, deadline - time.monotonic() - 5))
    results: list[Launch] = []
    issued = [0]
    lock = threading.Lock()
    stop = threading.Event()
    before = ctx.meter.snapshot()
    start = time.perf_counter()
    stop_at = start + seconds

    def loop(i: int) -> None:
        while not stop.is_set():
            if args.launches:
                with lock:
                    if issued[0] >= args.launches:
                        return
                    issued[0] += 1
            elif time.perf_counter() >= stop_at:
                return
            results.append(timed_launch(ctx.platform, sessions[i], args.module, subs[i], args.request_timeout))

    try:
        run_threads(browsers, loop, deadline)
    finally:
        stop.set()
    meter = ctx.meter.since(before)
    for session in sessions:
        session.close()
    ok = [r for r in results if not r.error]
    span = (max(r.end for r in results) - start) if results else 0.0
    if args.launches:
        rate = len(ok) / span if span else 0.0
        how = f"{len(ok)} / {span:.2f} s"
    else:  # steady state: what completed inside the window (the drain after it runs at falling concurrency)
        inside = sum(1 for r in ok if r.end <= stop_at)
        rate = inside / seconds
        how = f"{inside} completed within the {seconds:.0f} s window"
    server = server_times(meter["access"], {"login": ("POST", "/lti/login"), "launch": ("POST", "/lti/launch"),
                                            "landing": ("GET", f"/modules/{args.module}")})
    server_sum = sum(statistics.mean(server[h]) for h in TOOL_HOPS if server.get(h))
    first_ok = [f for f in first if f and not f.error]
    what = f"{args.launches} launches" if args.launches else f"{seconds:.0f} s"
    print(f"\n== launches, {browsers} concurrent browser(s): {browsers} first launches, then {what} ==")
    print(f"  launches {len(ok)} ok, {len(results) - len(ok)} errors (last one done after {span:.1f} s): "
          f"{rate:.1f} launches/s ({how})")
    print(f"  end to end ms p50/p95/p99: {ms([r.latency for r in ok], 50, 95, 99)}   "
          f"max {ms([r.latency for r in ok], 100)}")
    print("  per hop, client-observed ms p50/p95: "
          + "  ".join(f"{h} ({'tool' if h in TOOL_HOPS else 'platform'}) {ms([r.hops[h] for r in ok], 50, 95)}"
                      for h in HOPS))
    print(f"  tool part (login+launch+landing) ms p50/p95/p99: {ms([r.part(TOOL_HOPS) for r in ok], 50, 95, 99)}"
          f"   platform part (prepare+auth) {ms([r.part(PLATFORM_HOPS) for r in ok], 50, 95, 99)}")
    print("  tool server time (gunicorn %(D)s: in the worker, no queueing) ms p50/p95: "
          + "  ".join(f"{h} {ms(server.get(h, []), 50, 95)}" for h in TOOL_HOPS)
          + f"   mean sum {server_sum * 1000:.0f} ms/launch")
    print(f"  {cpu_line(meter)}")
    print(f"  first launches (new users, all at once): {len(first_ok)} ok, ms p50/p95/max "
          f"{ms([f.latency for f in first_ok], 50, 95, 100)}; hops p50: "
          + " ".join(f"{h} {ms([f.hops[h] for f in first_ok], 50)}" for h in HOPS))
    statuses = Counter(s for _m, _p, s, _d in meter["access"] if not s.startswith(("2", "3")))
    if statuses:
        print(f"  tool answered non-2xx/3xx: {dict(statuses)}")
    launch_errors(results)
    launch_errors(first, prefix="(first launch) ")
    return LevelFigures(browsers, rate, len(ok), len(results) - len(ok) + sum(1 for f in first if f and f.error),
                        [r.latency for r in ok], [r.part(TOOL_HOPS) for r in ok],
                        [r.part(PLATFORM_HOPS) for r in ok], server_sum)


def page_level(ctx, name: str, path: str, browsers: int, launched: list[tuple], args, deadline: float) -> None:
    """`browsers` launched learners GET `path?lt=…` in a loop for the page duration."""
    if deadline - time.monotonic() < 3:
        print(f"  {name:8s} {browsers:4d} browsers: skipped (time budget)")
        return
    seconds = min(args.page_duration, max(1.0, deadline - time.monotonic() - 5))
    latencies: list[float] = []
    errors: list[str] = []
    issued = [0]
    lock = threading.Lock()
    for browser, _lt in launched[:browsers]:
        browser.close()  # idle since the previous level: no kept-alive connection past gunicorn's keepalive
    before = ctx.meter.snapshot()
    start = time.perf_counter()
    stop_at = start + seconds

    def loop(i: int) -> None:
        browser, lt = launched[i]
        url = f"{ctx.tool_url}{path}?lt={lt}"
        while True:
            if args.page_requests:
                with lock:
                    if issued[0] >= args.page_requests:
                        return
                    issued[0] += 1
            elif time.perf_counter() >= stop_at:
                return
            t0 = time.perf_counter()
            try:
                resp = browser.get(url, timeout=args.request_timeout)
                body = resp.text
                if resp.status_code != 200 or 'data-error-code="' in body:
                    errors.append(_page_problem(resp))
                    continue
            except requests.RequestException as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - t0)

    run_threads(browsers, loop, deadline)
    span = time.perf_counter() - start
    meter = ctx.meter.since(before)
    server = server_times(meter["access"], {"page": ("GET", path)})["page"]
    print(f"  {name:8s} {browsers:4d} browsers: {len(latencies) / span:6.1f} req/s  ms p50/p95/p99 "
          f"{ms(latencies, 50, 95, 99):>12s}  server p50/p95 {ms(server, 50, 95):>9s}  errors {len(errors)}  "
          f"cpu tool {meter['tool']:.0f}% bench {meter['bench']:.0f}% "
          + (f"pg {meter['pg']:.0f}% " if meter["pg_measured"] else "") + f"other {meter['other']:.0f}%"
          + ("  (worker restarted!)" if meter["restarted"] else ""))
    print_errors(errors, "      ")


# ---------------------------------------------------------------- profile, in-process

PROFILE_STEPS = [  # (label, [(path suffix, function names)]): cumulative time per launch
    ("OIDC login: begin_login (state row, registration lookup)", [("lti/login.py", ("begin_login",))]),
    ("launch validation: validate_launch (all checks)", [("lti/launch.py", ("validate_launch",))]),
    ("  RS256 verify incl. JWK->PEM: verify_signature", [("lti/launch_checks.py", ("verify_signature",))]),
    ("  platform keys (JWKS cached in the DB): platform_key", [("lti/platform_keys.py", ("platform_key",))]),
    ("  state + nonce (DB store): validate_state, nonce_used, _consume",
     [("lti/launch.py", ("validate_state", "_consume")), ("lti/state_store.py", ("nonce_used",))]),
    ("record_launch (user, context, link, launch session)", [("elearn/launch/operations.py", ("record_launch",))]),
    ("template rendering: flask render_template", [("flask/templating.py", ("render_template",))]),
    ("launch token -> session per page: load_launch", [("elearn/launch/session.py", ("load_launch",))]),
    ("SQLAlchemy Session.commit (flush + COMMIT)", [("sqlalchemy/orm/session.py", ("commit",))]),
    ("  DBAPI COMMIT (sqlite3: fsync; psycopg: a round trip)",
     [("~", ("<method 'commit' of 'sqlite3.Connection' objects>",)), ("psycopg/connection.py", ("commit",))]),
    ("every SQL statement (SQLAlchemy _execute_context)", [("sqlalchemy/engine/base.py", ("_execute_context",))]),
    ("rate limiter (flask_limiter checks)", [("flask_limiter/_extension.py", ("_check_request_limit",))]),
    ("browser -> platform /auth over HTTP (requests)", [("requests/sessions.py", ("request",))]),
]

HARNESS = ("flask/testing.py", "werkzeug/test.py")  # the test client: left out of the top 15

AREAS = [  # (area, substrings of the file path or of a built-in's name): where own time (tottime) goes
    ("database driver + round trips (psycopg/sqlite3)", ("psycopg", "sqlite3")),
    ("SQLAlchemy (ORM, SQL compilation)", ("sqlalchemy",)),
    ("JWT / RSA (PyJWT, jwcrypto, cryptography)", ("/jwt/", "jwcrypto", "cryptography", "_rust")),
    ("templates (jinja2, markupsafe)", ("jinja2", "markupsafe")),
    ("HTTP to the platform incl. waiting (requests, urllib3, http, socket)",
     ("requests/", "urllib3", "http/client", "socket", "selectors", "select", "ssl.py", "email/")),
    ("Flask / Werkzeug (routing, test client, WSGI)", ("flask/", "werkzeug", "flask_wtf", "wtforms", "blinker")),
    ("i18n (babel, flask_babel)", ("babel",)),
    ("rate limiter (flask_limiter, limits)", ("flask_limiter", "/limits/")),
    ("pylti1p3", ("pylti1p3",)),
    ("token signing (itsdangerous, hmac, hashlib)", ("itsdangerous", "hmac", "hashlib")),
    ("tool code (elearn/, lti/)", ("/elearn/", "/lti/")),
    ("json", ("json",)),
]


def _area_of(filename: str, name: str) -> str:
    text = f"{filename} {name}" if filename == "~" else filename
    for area, needles in AREAS:
        if any(n in text for n in needles):
            return area
    return "other (stdlib, built-ins)"


def _short(func: tuple) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    for marker in ("site-packages/", "/lib/python3."):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            if marker != "site-packages/":
                filename = "stdlib:" + filename.split("/", 1)[-1]
            break
    else:
        filename = os.path.relpath(filename, ROOT) if filename.startswith(str(ROOT)) else filename
    return f"{filename}:{line}({name})"


def profile_launches(ctx, db_url: str, args, stack: ExitStack, deadline: float) -> None:
    """N launches with the tool in this process (Flask test client), first unprofiled, then under
    cProfile; the platform's /auth is a real HTTP call to a second demolms server in a thread."""
    from sqlalchemy import event

    from demolms.browser import forms
    from demolms.testing import PlatformServer
    from elearn.extensions import db

    n, warm = args.profile_launches, 5
    print(f"\n== profile: {n} launches in-process (create_app + Flask test client, {args.db}), after {warm} "
          "warm-up launches ==")
    if deadline - time.monotonic() < 10:
        print("  skipped (time budget)")
        return
    platform = PlatformServer.start()
    stack.callback(platform.stop)
    app = make_app(db_url, TESTING=False, DEMO_LMS=False, SECRET_KEY="bench-profile", TOOL_BASE_URL=None,
                   PROXY_FIX=0)
    stack.callback(dispose, app)
    register(app, "http://localhost", platform)
    client = app.test_client()
    http = requests.Session()  # the browser's side of the platform hop
    sql = {"hop": "", "count": Counter(), "time": Counter(), "t0": []}

    with app.app_context():
        engine = db.engine

    def before_sql(*_a, **_k):
        sql["t0"].append(time.perf_counter())

    def after_sql(*_a, **_k):
        sql["count"][sql["hop"]] += 1
        sql["time"][sql["hop"]] += time.perf_counter() - sql["t0"].pop()

    event.listen(engine, "before_cursor_execute", before_sql)
    event.listen(engine, "after_cursor_execute", after_sql)

    def one(i: int) -> dict[str, float]:
        hops = {}
        t = time.perf_counter()

        def done(name: str) -> None:
            nonlocal t
            now = time.perf_counter()
            hops[name] = now - t
            t = now
            sql["hop"] = ""

        init = platform.platform.prepare_launch(role="learner", user=person(f"bench-profile-{i % 10}"), locale="en",
                                                resource_link_id=RESOURCE_LINK, custom={"module": args.module})
        done("prepare")
        sql["hop"] = "login"
        resp = client.post(init.url, data=init.params)
        done("login")
        if resp.status_code != 302:
            raise RuntimeError(f"profile login answered {resp.status_code} {resp.get_data(as_text=True)[:200]!r}")
        page = http.get(resp.headers["Location"], timeout=args.request_timeout)
        done("auth")
        form = forms(page.text)[0]
        sql["hop"] = "launch"
        resp = client.post(html.unescape(form["action"]), data=form["fields"])
        done("launch")
        if resp.status_code != 302 or "/modules/" not in resp.headers.get("Location", ""):
            raise RuntimeError(f"profile launch answered {resp.status_code} {resp.get_data(as_text=True)[:300]!r}")
        sql["hop"] = "landing"
        resp = client.get(resp.headers["Location"])
        done("landing")
        if resp.status_code != 200:
            raise RuntimeError(f"profile landing answered {resp.status_code}")
        return hops

    for i in range(warm):
        one(i)
    sql["count"].clear()
    sql["time"].clear()
    plain = [one(i) for i in range(n)]
    per_hop = {h: statistics.mean(p[h] for p in plain) for h in HOPS}
    total = sum(per_hop.values())
    print(f"  without profiler: {total * 1000:.1f} ms/launch  ("
          + "  ".join(f"{h} {per_hop[h] * 1000:.1f}" for h in HOPS) + "; auth is the platform over HTTP)")
    print("  SQL statements per launch (count / ms): "
          + "  ".join(f"{h} {sql['count'][h] / n:.0f}/{sql['time'][h] / n * 1000:.1f}" for h in TOOL_HOPS))
    jwks_before = sum(1 for r in platform.requests if r["path"].endswith("jwks"))

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        for i in range(n):
            one(i)
    finally:
        profiler.disable()
    wall = (time.perf_counter() - started) / n
    jwks = sum(1 for r in platform.requests if r["path"].endswith("jwks")) - jwks_before
    stats = pstats.Stats(profiler)
    entries = stats.stats  # func -> (primitive calls, calls, tottime, cumtime, callers)
    print(f"  under cProfile: {wall * 1000:.1f} ms/launch; platform JWKS fetches during the profiled launches: "
          f"{jwks} (the tool caches the key set in the database)")
    print("  top 15 by cumulative time (ms and calls per launch; the bench driver and the test client "
          "left out):")
    print(f"  {'cum ms':>7s} {'own ms':>7s} {'calls':>6s}  function")
    ranked = sorted(entries.items(), key=lambda kv: kv[1][3], reverse=True)
    shown = 0
    for func, (_cc, calls, own, cum, _callers) in ranked:
        if func[0].startswith(str(Path(__file__).parent)) or func[0].endswith(HARNESS) or "_lsprof" in func[2]:
            continue
        print(f"  {cum / n * 1000:7.2f} {own / n * 1000:7.2f} {calls / n:6.1f}  {_short(func)[:110]}")
        shown += 1
        if shown == 15:
            break
    print("  named steps (cumulative ms per launch, % of the profiled launch):")
    for label, matchers in PROFILE_STEPS:
        cum = sum(v[3] for f, v in entries.items()
                  if any(f[0].endswith(suffix) and f[2] in names for suffix, names in matchers))
        if cum:
            print(f"    {cum / n * 1000:7.2f} ms {100 * cum / n / wall:5.1f}%  {label}")
    areas: Counter = Counter()
    for func, (_cc, _calls, own, _cum, _callers) in entries.items():
        if not func[0].startswith(str(Path(__file__).parent)):
            areas[_area_of(func[0], func[2])] += own
    print("  own time by area (ms per launch, % of the profiled launch):")
    for area, own in areas.most_common(8):
        print(f"    {own / n * 1000:7.2f} ms {100 * own / n / wall:5.1f}%  {area}")
    other = sorted(((v[2], f) for f, v in entries.items() if _area_of(f[0], f[2]).startswith("other")
                    and not f[0].startswith(str(Path(__file__).parent))), reverse=True)[:5]
    print("    largest in 'other': " + "; ".join(f"{_short(f)[:60]} {own / n * 1000:.2f}" for own, f in other))
    event.remove(engine, "before_cursor_execute", before_sql)
    event.remove(engine, "after_cursor_execute", after_sql)
    ctx.profile_done = True


# ---------------------------------------------------------------- main

@dataclass
class Context:
    platform: object = None
    tool_url: str = ""
    meter: ToolMeter | None = None
    profile_done: bool = False


def levels(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers")
    return values


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--concurrency", type=levels, default=[1, 8, 32, 128],
                        help="concurrent browsers per launch level (default 1,8,32,128)")
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("--duration", type=float, default=10.0, help="seconds of launches per level (default 10)")
    amount.add_argument("--launches", type=int, default=0, help="launches per level instead of a duration")
    parser.add_argument("--page-concurrency", type=levels, default=[1, 8, 32],
                        help="concurrent browsers for the page benchmark (default 1,8,32)")
    pages = parser.add_mutually_exclusive_group()
    pages.add_argument("--page-duration", type=float, default=5.0, help="seconds per page and level (default 5)")
    pages.add_argument("--page-requests", type=int, default=0, help="requests per page and level instead")
    parser.add_argument("--profile-launches", type=int, default=40, help="launches under cProfile (default 40)")
    parser.add_argument("--skip-pages", action="store_true", help="no module/catalog page benchmark")
    parser.add_argument("--skip-profile", action="store_true", help="no in-process profile")
    parser.add_argument("--courses", type=Path, default=ROOT / "courses", help="curriculum directory")
    parser.add_argument("--module", default="care-cycle", help="module the launches land on")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (default 8)")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="per HTTP request, seconds (default 30)")
    parser.add_argument("--timeout", type=int, default=300, help="overall time budget in seconds (default 300)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the tool's log (else kept only on errors)")
    return parser.parse_args(argv)


def log_problems(log: Path) -> list[tuple[str, int]]:
    """Distinct exception and error lines in the tool's log, with counts."""
    found: Counter = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if ACCESS_LINE.match(line):
            continue
        text = line.strip()
        if re.match(r"^[\w.]*(Error|Exception|Timeout|Warning)\b[:(]?", text) or "[ERROR]" in text \
                or "[CRITICAL]" in text or "WORKER TIMEOUT" in text:
            found[re.sub(r"\[\d{4}-[^\]]*\] \[\d+\] ", "", text)[:300]] += 1
    return found.most_common(8)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    deadline = started + args.timeout - CLEANUP_RESERVE
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(args.timeout)  # hard stop should any step hang; cleanup still runs
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    log = logs / "gunicorn.log"
    ctx = Context()
    figures: list[LevelFigures] = []
    try:
        failed = run(args, ctx, figures, log, deadline)
    except Timeout as exc:  # the hard stop hit during cleanup
        failed = True
        print(f"\nbench FAILED during cleanup: {exc}", file=sys.stderr)
    finally:
        signal.alarm(0)
    try:
        problems = log_problems(log) if log.exists() else []
    except OSError:
        problems = []
    if problems:
        print(f"\nerror lines in the tool's log (kept in {logs}):")
        for text, count in problems:
            print(f"  x{count}: {text}")
    elif args.keep_logs:
        print(f"\nthe tool's log is kept in {logs}")
    else:
        shutil.rmtree(logs, ignore_errors=True)
    errors = sum(f.errors for f in figures)
    print(f"\ndone in {time.monotonic() - started:.0f} s: {'FAILED' if failed else 'completed'}; "
          f"{errors} launch errors")
    return 1 if failed else 0


def run(args, ctx: Context, figures: list[LevelFigures], log: Path, deadline: float) -> bool:
    """Set up, measure, clean up (whatever happens); True when something failed."""
    from demolms.browser import new_browser
    from demolms.testing import PlatformServer

    with ExitStack() as stack:
        try:
            db_url, database_url = create_database(args.db, stack)
            app = make_app(db_url)
            stack.callback(dispose, app)
            prepare_schema(app, args.courses)
            ctx.platform = PlatformServer.start()
            stack.callback(ctx.platform.stop)
            port = free_port()
            register(app, f"http://127.0.0.1:{port}", ctx.platform)
            dispose(app)
            ctx.tool_url = start_gunicorn(args, port, database_url, log, stack,
                                          extra=("--access-logformat", ACCESS_FORMAT), env=tool_env(database_url))
            ctx.meter = ToolMeter(args.gunicorn_pid, log,
                                  database_url.rsplit("/", 1)[1] if args.db == "postgresql" else None)
            print(f"bench launch: {args.db}, gunicorn -w {args.web_workers} --threads {args.threads} (gthread, "
                  f"gunicorn.conf.py) at {ctx.tool_url}, module {args.module}, {os.cpu_count()} cores; platform "
                  "(demolms PlatformServer) and client threads in this process; launch state in the database "
                  "(no Redis); rate limits as configured")
            planned = planned_seconds(args)
            if planned > args.timeout - CLEANUP_RESERVE:
                print(f"note: this plan needs about {planned:.0f} s, more than --timeout {args.timeout} s less "
                      f"{CLEANUP_RESERVE} s for cleanup: later phases will be shortened or skipped")
            print("times: 'client-observed' = from sending a request to having read the answer, in this process "
                  "(includes queueing and this process's own GIL waits); 'server' = gunicorn's %(D)s for the request")
            warm = [timed_launch(ctx.platform, new_browser(), args.module, f"bench-warm-{i}", args.request_timeout)
                    for i in range(2 * args.web_workers)]
            bad = [w.error for w in warm if w.error]
            if bad:
                raise RuntimeError(f"warm-up launch failed: {bad[0]}")
            print(f"warm-up: {len(warm)} launches ok; memory {ctx.meter.worker_memory()}")

            for browsers in args.concurrency:
                figure = launch_level(ctx, browsers, args, deadline)
                if figure:
                    figures.append(figure)
            print_summary(figures)
            print(f"memory after launches: {ctx.meter.worker_memory()}")
            if not args.skip_pages:
                pages(ctx, args, deadline)
                print(f"memory after pages: {ctx.meter.worker_memory()}")
            if not args.skip_profile:
                profile_launches(ctx, db_url, args, stack, deadline)
            return False
        except Exception as exc:  # noqa: BLE001 (reported, then everything is cleaned up)
            print(f"\nbench FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            return True
        finally:
            signal.alarm(CLEANUP_RESERVE + 10)  # from here on only cleanup, bounded too


def planned_seconds(args) -> float:
    """A rough estimate of the whole run (setup, levels at ~25 launches/s, pages, profile)."""
    launches = sum((args.launches / 25 if args.launches else args.duration) + c / 25 + 1 for c in args.concurrency)
    pages = 0.0
    if not args.skip_pages:
        per = args.page_requests / 50 if args.page_requests else args.page_duration
        pages = 2 * len(args.page_concurrency) * (per + 0.5) + max(args.page_concurrency) / 25
    profile = 0.0 if args.skip_profile else 5 + args.profile_launches * 0.2
    return 15 + launches + pages + profile


def print_summary(figures: list[LevelFigures]) -> None:
    if not figures:
        return
    print("\n== launches summary (ms; tool = login+launch+landing hops, platform = prepare+auth, "
          "client-observed; server = sum of mean gunicorn times) ==")
    print(f"  {'browsers':>8s} {'launch/s':>8s} {'e2e p50/p95/p99':>16s} {'tool p50/p95/p99':>17s} "
          f"{'platf p50/p95':>13s} {'server':>6s} {'errors':>6s}")
    for f in figures:
        print(f"  {f.browsers:8d} {f.rate:8.1f} {ms(f.e2e, 50, 95, 99):>16s} {ms(f.tool, 50, 95, 99):>17s} "
              f"{ms(f.platform, 50, 95):>13s} {f.server_sum * 1000:6.0f} {f.errors:6d}")


def pages(ctx: Context, args, deadline: float) -> None:
    """Module and catalog page at each page concurrency, by browsers launched once beforehand."""
    from demolms.browser import new_browser

    most = max(args.page_concurrency)
    amount = f"{args.page_requests} requests" if args.page_requests else f"{args.page_duration:.0f} s"
    print(f"\n== pages: GET /modules/{args.module}?lt=… and GET /catalog/?lt=… ({amount} per level; each browser "
          "launched once before; client-observed ms) ==")
    if deadline - time.monotonic() < 10:
        print("  skipped (time budget)")
        return
    launched: list[Launch] = [None] * most  # type: ignore[list-item]
    browsers = [new_browser() for _ in range(most)]

    def launch_for_pages(i: int) -> None:
        launched[i] = timed_launch(ctx.platform, browsers[i], args.module, f"bench-pages-{i:03d}",
                                   args.request_timeout)

    run_threads(most, launch_for_pages, deadline)
    usable = [(b, r.lt) for b, r in zip(browsers, launched) if r and not r.error]
    if len(usable) < most:
        print(f"  {most - len(usable)} of the {most} launches before the pages failed")
        launch_errors(launched)
    for name, path in (("module", f"/modules/{args.module}"), ("catalog", "/catalog/")):
        for level in args.page_concurrency:
            if level <= len(usable):
                page_level(ctx, name, path, level, usable, args, deadline)
    for browser in browsers:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
