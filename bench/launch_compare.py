"""Benchmark: the tool's CPU per full LTI launch as a platform operator measures it, side by side
with a pylti1p3-example-style minimal tool (bench/minimal_tool.py) in the same run.

    .venv/bin/python bench/launch_compare.py                       # SQLite and PostgreSQL, 1 and 8 browsers
    .venv/bin/python bench/launch_compare.py --db sqlite --launches 100
    .venv/bin/python bench/launch_compare.py --db sqlite --same-user --extra-platforms 200   # what costs?

Every launch is a NEW user (a fresh cookie jar) of one course with five resource links (taken in
turn), from the demolms platform in this process, which sends the AGS and NRPS claims and
`launch_presentation.locale` en; the links carry no `custom.module`, so the tool lands on its
catalog. Both tools are served the same way, `gunicorn --config gunicorn.conf.py -w 2` (gthread,
the conf's threads and access log). CPU is read from /proc (utime + stime of the gunicorn master
and workers) before and after a batch of launches, divided by the launches; per request type
(login, launch, landing) from a batch run phase by phase. Then a cProfile of launches in this
process (Flask test client), top 10 functions. Prints figures, asserts nothing about speed.
"""
from __future__ import annotations

import argparse
import cProfile
import html
import json
import os
import pstats
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402

from common import (ROOT, Timeout, alarm, children_of, cpu_seconds, create_database, dispose, free_port,  # noqa: E402
                    machine_cpu_seconds, make_app, percentile, prepare_schema, register, spawn, tool_env)

COURSE = "course-bench"
CLEANUP_RESERVE = 20
PHASES = ("login", "launch", "landing")


# ---------------------------------------------------------------- the two tools under gunicorn

class Served:
    """One tool under gunicorn: where it is, which client_id the platform knows it by."""

    def __init__(self, name: str, url: str, master: int, client_id: str, links: list[str]):
        self.name, self.url, self.master, self.client_id, self.links = name, url, master, client_id, links

    def cpu(self) -> float:
        """CPU seconds of the master and its workers so far."""
        total = 0.0
        for pid in [self.master] + children_of(self.master):
            try:
                total += cpu_seconds(pid)
            except OSError:
                pass
        return total


def serve(app_spec: str, port: int, env: dict, log: Path, stack: ExitStack, args, pythonpath: str = "") -> int:
    """gunicorn --config gunicorn.conf.py -w N -b 127.0.0.1:port APP; returns the master's pid."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "--config", str(ROOT / "gunicorn.conf.py"), "-w", str(args.web_workers),
           "-b", f"127.0.0.1:{port}"] + (["--pythonpath", pythonpath] if pythonpath else []) + [app_spec]
    proc = spawn(cmd, env, log, stack)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn for {app_spec} exited ({proc.returncode}); see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc.pid
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{app_spec} not healthy after 30 s; see {log}")


def start_minimal(platform, stack: ExitStack, logs: Path, args) -> Served:
    """The minimal tool registered with the platform under its own client_id, served by gunicorn."""
    from minimal_tool import new_private_key_pem

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    registered = platform.register_tool(login_url=f"{url}/login", launch_url=f"{url}/launch",
                                        jwks_url=f"{url}/jwks", client_id="minimal-" + uuid.uuid4().hex[:8])
    conf = {"issuer": platform.issuer, "client_id": registered["client_id"],
            "deployment_ids": registered["deployment_ids"], "auth_login_url": platform.auth_login_url,
            "auth_token_url": platform.auth_token_url, "key_set_url": platform.key_set_url,
            "private_key_pem": new_private_key_pem(), "secret_key": uuid.uuid4().hex}
    conf_file = logs / "minimal_tool.json"
    conf_file.write_text(json.dumps(conf))
    env = {k: v for k, v in os.environ.items() if k not in {"WEB_CONCURRENCY"}}
    env.update(MINIMAL_TOOL_CONF=str(conf_file), PYTHONUNBUFFERED="1")
    master = serve("minimal_tool:create_app()", port, env, logs / "minimal.log", stack, args,
                   pythonpath=str(ROOT / "bench"))
    return Served("minimal", url, master, registered["client_id"], [f"rl-min-{i}" for i in range(args.links)])


def start_tool(app, platform, database_url: str, stack: ExitStack, logs: Path, args) -> Served:
    """VBHC Academy registered with the platform (its default client_id), served by gunicorn."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    register(app, url, platform)
    if args.extra_platforms:
        add_other_platforms(app, args.extra_platforms)
    dispose(app)
    env = tool_env(database_url)
    if args.no_ratelimit:
        env["RATELIMIT_ENABLED"] = "0"
    master = serve("elearn:create_app()", port, env, logs / "tool.log", stack, args)
    return Served("tool", url, master, platform.client_id, [f"rl-tool-{i}" for i in range(args.links)])


def add_other_platforms(app, count: int) -> None:
    """Registrations of other LMSs (a tool hosted for many schools)."""
    from elearn.extensions import db
    from lti.registry import add_platform

    with app.app_context():
        for i in range(count):
            base = f"https://lms-{i}.bench.invalid"
            add_platform(db.session, issuer=base, client_id=f"client-{i}", deployment_ids=[f"d-{i}"],
                         auth_login_url=f"{base}/auth", auth_token_url=f"{base}/token",
                         key_set_url=f"{base}/jwks", name=f"LMS {i}")
        db.session.commit()


# ---------------------------------------------------------------- one launch, step by step

def person(sub: str) -> dict:
    return {"sub": sub, "name": f"Bench {sub}", "given_name": "Bench", "family_name": sub,
            "email": f"{sub}@bench.invalid"}


class Steps:
    """The hops of one launch of one user; each method one request (the platform's /auth is in `login`'s
    partner `auth`, not the tool's)."""

    def __init__(self, platform, served: Served, sub: str, link: str, timeout: float):
        self.platform, self.served, self.timeout = platform, served, timeout
        self.init = platform.platform.prepare_launch(role="learner", user=person(sub), locale="en",
                                                     resource_link_id=link, context_id=COURSE,
                                                     context_title="Bench course", client_id=served.client_id)
        self.jar = requests.cookies.RequestsCookieJar()  # a new user: a browser of their own
        self.auth_url = self.form = self.landing_url = None

    def _use(self, browser):
        browser.cookies = self.jar

    def login(self, browser) -> None:
        self._use(browser)
        resp = browser.post(self.init.url, data=self.init.params, allow_redirects=False, timeout=self.timeout)
        self.auth_url = resp.headers.get("Location", "")
        if resp.status_code not in (302, 303) or not self.auth_url.startswith(self.platform.auth_login_url):
            raise RuntimeError(f"{self.served.name} login answered {resp.status_code} {resp.text[:200]!r}")

    def auth(self, browser) -> None:
        from demolms.browser import forms

        self._use(browser)
        resp = browser.get(self.auth_url, timeout=self.timeout)
        found = forms(resp.text) if resp.status_code == 200 else []
        if not found or "id_token" not in found[0]["fields"]:
            raise RuntimeError(f"platform /auth answered {resp.status_code} {resp.text[:200]!r}")
        self.form = (urljoin(resp.url, html.unescape(found[0]["action"])), found[0]["fields"])

    def launch(self, browser) -> None:
        self._use(browser)
        resp = browser.post(self.form[0], data=self.form[1], allow_redirects=False, timeout=self.timeout)
        location = resp.headers.get("Location", "")
        if resp.status_code not in (302, 303) or not location:
            raise RuntimeError(f"{self.served.name} launch answered {resp.status_code} {resp.text[:300]!r}")
        self.landing_url = urljoin(resp.url, location)

    def landing(self, browser) -> None:
        self._use(browser)
        resp = browser.get(self.landing_url, timeout=self.timeout)
        if resp.status_code != 200 or 'data-error-code="' in resp.text:
            raise RuntimeError(f"{self.served.name} landing answered {resp.status_code} {resp.text[:200]!r}")

    def full(self, browser) -> None:
        self.login(browser)
        self.auth(browser)
        self.launch(browser)
        self.landing(browser)


def new_sub(args, i: int) -> str:
    return "bench-same-user" if args.same_user else f"bench-{uuid.uuid4().hex[:12]}"


def jwks_fetches(platform) -> int:
    """Requests for the platform's key set so far (a tool that caches it makes none per launch)."""
    return sum(1 for r in platform.requests if r["path"].endswith("jwks"))


def run_threads(count: int, target, deadline: float) -> None:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        raise Timeout("client threads still busy at the deadline")


def measure_level(platform, served: Served, browsers: int, launches: int, args, deadline: float) -> dict:
    """`launches` full launches by `browsers` concurrent browsers; tool CPU per launch from /proc."""
    from demolms.browser import new_browser

    sessions = [new_browser() for _ in range(browsers)]
    counter = iter(range(launches))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: Counter = Counter()

    def loop(t: int) -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            steps = Steps(platform, served, new_sub(args, i), served.links[i % len(served.links)],
                          args.request_timeout)
            t0 = time.perf_counter()
            try:
                steps.full(sessions[t])
                latencies.append(time.perf_counter() - t0)
            except Exception as exc:  # noqa: BLE001 (every failure is a figure)
                errors[str(exc)[:200]] += 1

    jwks0 = jwks_fetches(platform)
    cpu0, machine0, wall0 = served.cpu(), machine_cpu_seconds(), time.perf_counter()
    run_threads(browsers, loop, deadline)
    wall = time.perf_counter() - wall0
    time.sleep(0.3)  # the access log is written just after the answer
    cpu, machine = served.cpu() - cpu0, machine_cpu_seconds()
    for session in sessions:
        session.close()
    ok = len(latencies)
    return {"ok": ok, "errors": errors, "jwks": jwks_fetches(platform) - jwks0, "rate": ok / wall if wall else 0.0,
            "cpu_ms": 1000 * cpu / ok if ok else float("nan"),
            "p50": percentile(latencies, 50) * 1000 if ok else float("nan"),
            "p95": percentile(latencies, 95) * 1000 if ok else float("nan"),
            "machine_busy": 100 * (machine[0] - machine0[0]) / (machine[1] - machine0[1] or 1)}


def measure_phases(platform, served: Served, launches: int, args) -> dict:
    """One browser, phase by phase: every login (with the platform's /auth), then every launch, then
    every landing page, so the CPU read around each phase is that request type's alone."""
    from demolms.browser import new_browser

    steps = [Steps(platform, served, new_sub(args, i), served.links[i % len(served.links)], args.request_timeout)
             for i in range(launches)]
    per: dict[str, float] = {}
    for phase in PHASES:
        browser = new_browser()
        cpu0 = served.cpu()
        for step in steps:
            getattr(step, phase)(browser)
            if phase == "login":
                step.auth(browser)
        time.sleep(0.3)
        per[phase] = 1000 * (served.cpu() - cpu0) / launches
        browser.close()
    return per


# ---------------------------------------------------------------- profile of the tool, in process

def profile_tool(kind: str, db_url: str, args, stack: ExitStack) -> None:
    """Launches of the tool in this process (Flask test client), top 10 functions under cProfile."""
    from sqlalchemy import event

    from demolms.browser import forms
    from demolms.testing import PlatformServer
    from elearn.extensions import db

    platform = PlatformServer.start()
    stack.callback(platform.stop)
    app = make_app(db_url, TESTING=False, DEMO_LMS=False, SECRET_KEY="bench-profile", TOOL_BASE_URL=None,
                   PROXY_FIX=0, RATELIMIT_ENABLED=not args.no_ratelimit)
    stack.callback(dispose, app)
    register(app, "http://localhost", platform)
    client = app.test_client()
    http = requests.Session()
    statements = Counter()
    phase = [""]
    with app.app_context():
        engine = db.engine

    def count(*_a, **_k):
        statements[phase[0]] += 1

    event.listen(engine, "after_cursor_execute", count)

    def one(i: int) -> None:
        client._cookies.clear()  # a new user's browser
        init = platform.platform.prepare_launch(role="learner", user=person(new_sub(args, i)), locale="en",
                                                resource_link_id=f"rl-prof-{i % args.links}", context_id=COURSE)
        phase[0] = "login"
        resp = client.post(init.url, data=init.params)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        phase[0] = ""
        found = forms(http.get(resp.headers["Location"], timeout=args.request_timeout).text)[0]
        phase[0] = "launch"
        resp = client.post(html.unescape(found["action"]), data=found["fields"])
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        phase[0] = "landing"
        resp = client.get(resp.headers["Location"])
        assert resp.status_code == 200 and b'data-error-code="' not in resp.data, resp.status_code
        phase[0] = ""

    for i in range(5):
        one(i)
    statements.clear()
    n = args.profile_launches
    t0 = time.process_time()
    for i in range(n):
        one(i)
    plain = (time.process_time() - t0) / n
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        one(i)
    profiler.disable()
    event.remove(engine, "after_cursor_execute", count)
    print(f"\n== profile: {n} launches of the tool in this process ({kind}, Flask test client) ==")
    print(f"  CPU of this process per launch without the profiler: {plain * 1000:.1f} ms (includes the platform "
          "and the test client); SQL statements per launch: "
          + "  ".join(f"{p} {statements[p] / (2 * n):.1f}" for p in PHASES))
    entries = pstats.Stats(profiler).stats
    bench_dir = str(Path(__file__).parent)
    harness = ("flask/testing.py", "werkzeug/test.py", "demolms/", "requests/", "urllib3/")

    def mine(func) -> bool:
        # The bench's own side (driver, test client, the HTTP hop to the platform) is left out.
        return not (func[0].startswith(bench_dir) or any(h in func[0] for h in harness) or "_lsprof" in func[2]
                    or "_socket.socket" in func[2])

    print("  top 10 by own time (ms per launch, calls per launch):")
    ranked = [(func, v) for func, v in sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True) if mine(func)]
    for func, (_cc, calls, own, cum, _callers) in ranked[:10]:
        print(f"    {own / n * 1000:6.2f} own {cum / n * 1000:7.2f} cum {calls / n:7.1f}x  {short(func)}")
    print("  top 10 of the tool's own code by cumulative time (elearn/, lti/):")
    tool = [(cum, calls, func) for func, (_cc, calls, _own, cum, _c) in entries.items()
            if ("/elearn/" in func[0] or "/lti/" in func[0])]
    for cum, calls, func in sorted(tool, reverse=True)[:10]:
        print(f"    {cum / n * 1000:7.2f} cum {calls / n:7.1f}x  {short(func)}")


def short(func: tuple) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    for marker in ("site-packages/", "/lib/python3.11/"):
        if marker in filename:
            return f"{filename.split(marker, 1)[1]}:{line}({name})"
    return f"{os.path.relpath(filename, ROOT)}:{line}({name})"


# ---------------------------------------------------------------- main

def levels(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql (default both)")
    parser.add_argument("--concurrency", type=levels, default=[1, 8], help="concurrent browsers (default 1,8)")
    parser.add_argument("--launches", type=int, default=150, help="launches per tool and level (default 150)")
    parser.add_argument("--phase-launches", type=int, default=100,
                        help="launches of the phase-by-phase run per request type (default 100; 0 = skip)")
    parser.add_argument("--links", type=int, default=5, help="resource links of the course (default 5)")
    parser.add_argument("--same-user", action="store_true", help="every launch the same user (what new users cost)")
    parser.add_argument("--extra-platforms", type=int, default=0, help="other LMSs registered with the tool")
    parser.add_argument("--no-ratelimit", action="store_true", help="RATELIMIT_ENABLED=0 for the tool")
    parser.add_argument("--profile-launches", type=int, default=40, help="launches under cProfile (default 40)")
    parser.add_argument("--skip-profile", action="store_true")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--courses", type=Path, default=ROOT / "courses")
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--timeout", type=int, default=900, help="overall budget, seconds (default 900)")
    return parser.parse_args(argv)


def run_db(kind: str, args, deadline: float, summary: list) -> None:
    from demolms.testing import PlatformServer

    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    with ExitStack() as stack:
        db_url, database_url = create_database(kind, stack)
        app = make_app(db_url)
        stack.callback(dispose, app)
        prepare_schema(app, args.courses)
        platform = PlatformServer.start()
        stack.callback(platform.stop)
        tool = start_tool(app, platform, database_url, stack, logs, args)
        minimal = start_minimal(platform, stack, logs, args)
        print(f"\n######## {kind}: tool at {tool.url}, minimal tool at {minimal.url}; gunicorn --config "
              f"gunicorn.conf.py -w {args.web_workers}; demolms platform in this process; {os.cpu_count()} cores"
              + ("; the same user every launch" if args.same_user else "; a new user every launch")
              + (f"; {args.extra_platforms} other platforms registered" if args.extra_platforms else "")
              + ("; rate limiter off" if args.no_ratelimit else ""))
        for served in (tool, minimal):  # warm-up: both workers, the platform's keys cached
            measure_level(platform, served, 2, 8, args, deadline)
        for browsers in args.concurrency:
            row = {"db": kind, "browsers": browsers}
            for served in (tool, minimal):
                if deadline - time.monotonic() < 30:
                    raise Timeout("time budget")
                row[served.name] = figures = measure_level(platform, served, browsers, args.launches, args, deadline)
                print(f"  {served.name:8s} {browsers} browser(s): {figures['ok']} launches, {figures['rate']:.1f}/s, "
                      f"e2e p50/p95 {figures['p50']:.0f}/{figures['p95']:.0f} ms, tool CPU {figures['cpu_ms']:.1f} ms"
                      f"/launch (machine busy {figures['machine_busy']:.0f}%, platform JWKS fetches {figures['jwks']})"
                      + "".join(f"\n      error x{c}: {m}" for m, c in figures["errors"].most_common(3)))
            print(f"  => {browsers} browser(s): tool/minimal CPU ratio "
                  f"{row['tool']['cpu_ms'] / row['minimal']['cpu_ms']:.2f}")
            summary.append(row)
        if args.phase_launches:
            per = {served.name: measure_phases(platform, served, args.phase_launches, args) for served in (tool, minimal)}
            for name, figures in per.items():
                print(f"  {name:8s} per request type (1 browser, {args.phase_launches} each, CPU ms): "
                      + "  ".join(f"{p} {figures[p]:.2f}" for p in PHASES) + f"  = {sum(figures.values()):.2f}")
            summary.append({"db": kind, "phases": per})
        if not args.skip_profile and deadline - time.monotonic() > 60:
            profile_tool(kind, db_url, args, stack)
    shutil.rmtree(logs, ignore_errors=True)


def print_summary(summary: list) -> None:
    print("\n== summary: tool CPU per full launch (login + launch + landing), ms; ratio to the minimal tool ==")
    for row in summary:
        if "phases" in row:
            t, m = row["phases"]["tool"], row["phases"]["minimal"]
            print(f"  {row['db']:10s} per request type, tool: " + " ".join(f"{p} {t[p]:.2f}" for p in PHASES)
                  + "; minimal: " + " ".join(f"{p} {m[p]:.2f}" for p in PHASES)
                  + f"; ratio {sum(t.values()) / sum(m.values()):.2f}")
        else:
            t, m = row["tool"], row["minimal"]
            print(f"  {row['db']:10s} {row['browsers']} browser(s): tool {t['cpu_ms']:5.1f} ({t['rate']:.0f}/s, "
                  f"p50 {t['p50']:.0f} ms)  minimal {m['cpu_ms']:5.1f} ({m['rate']:.0f}/s, p50 {m['p50']:.0f} ms)  "
                  f"ratio {t['cpu_ms'] / m['cpu_ms']:.2f}")


def main(argv=None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.timeout - CLEANUP_RESERVE
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(args.timeout)
    summary: list = []
    failed = False
    try:
        for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
            run_db(kind, args, deadline, summary)
    except Exception as exc:  # noqa: BLE001 (reported; cleanup has run)
        print(f"\nbench FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        failed = True
    finally:
        signal.alarm(0)
    print_summary(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
