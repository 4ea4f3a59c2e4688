"""Benchmark: the tool's CPU per request of one learner's flow, in this process, with a profile.

    .venv/bin/python bench/flow.py                          # SQLite, 30 learners (after 5 warm-up flows)
    .venv/bin/python bench/flow.py --db postgresql --flows 50
    .venv/bin/python bench/flow.py --top 20                 # a longer profile

A learner's flow is what bench/burst.py's learners do, request by request, with the Flask test
client against `create_app()` in this process: login → (the platform's /auth, over HTTP, not
counted) → launch → landing (the module page) → start the post-test → attempt form → save the
answers → review → submit → result page → one grade-status poll; then the scores of all the
flows go out through `elearn.grades.worker.deliver_due()` (what `flask grades run` does) to the
demolms platform. Printed: CPU ms (this thread's `time.thread_time()`, so neither the platform's
threads nor waiting) and SQL statements per request type and per flow, then the same flows under
cProfile: the top functions by cumulative and by own time, and own time by area. bench/burst.py
runs this after its burst (`--profile-flows`). Asserts nothing about speed; see bench/README.md.
"""
from __future__ import annotations

import argparse
import cProfile
import html
import os
import pstats
import re
import signal
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, alarm, create_database, dispose, free_port, make_app, prepare_schema, register  # noqa: E402

RESOURCE_LINK = "rl-bench-flow"
# The tool's requests of one learner, in order, then the delivery of their score.
STEPS = ("login", "launch", "landing", "start", "attempt form", "save", "review", "submit", "result",
         "grade status", "delivery")
WARM_UP = 5
BENCH_DIR = str(Path(__file__).resolve().parent)
HARNESS = ("flask/testing.py", "werkzeug/test.py", "werkzeug/wrappers/response.py")  # the test client's side
# Dispatch wrappers whose cumulative time is the whole request: left out of the cumulative top list.
WRAPPERS = {("flask/app.py", name) for name in ("__call__", "wsgi_app", "full_dispatch_request",
                                                   "dispatch_request", "finalize_request")}

AREAS = [  # (area, substrings of the file path or a built-in's name): where own time goes
    ("database driver (psycopg, sqlite3)", ("psycopg", "sqlite3")),
    ("SQLAlchemy (ORM, Core, SQL compilation)", ("sqlalchemy",)),
    ("templates (jinja2, markupsafe)", ("jinja2", "markupsafe")),
    ("i18n (babel, flask_babel)", ("babel",)),
    ("Flask / Werkzeug / WTForms (routing, request, response)", ("flask/", "werkzeug", "flask_wtf", "wtforms",
                                                                "blinker")),
    ("rate limiter (flask_limiter, limits)", ("flask_limiter", "/limits/")),
    ("JWT / crypto (PyJWT, jwcrypto, cryptography)", ("/jwt/", "jwcrypto", "cryptography")),
    ("pylti1p3", ("pylti1p3",)),
    ("signing (itsdangerous, hmac, hashlib)", ("itsdangerous", "hmac", "hashlib")),
    ("HTTP client to the platform (requests, urllib3, http, socket)",
     ("requests/", "urllib3", "http/client", "socket", "selectors", "ssl.py", "email/")),
    ("json", ("json", "orjson")),
    ("logging", ("logging/",)),
    ("tool code (elearn/, lti/)", ("/elearn/", "/lti/")),
]


# ---------------------------------------------------------------- the attempt form

class AnswerForm(HTMLParser):
    """The attempt form filled in as a hurried learner does: the first choice of every single or
    true/false question and of every multiple-choice question, "1" for a number, and for the
    selects of a matching or ordering question the 1st, 2nd, … option (distinct places)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._options: list[str] = []
        self._select_number = 0     # selects seen in the current question (fieldset)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name, value = attrs.get("name"), attrs.get("value") or ""
        if tag == "fieldset":
            self._select_number = 0
        elif tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind == "hidden":
                self.fields[name] = [value]
            elif kind in ("radio", "checkbox"):
                if name not in self.fields:
                    self.fields[name] = [value]
            elif kind == "text":
                self.fields[name] = [value or "1"]
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select and attrs.get("value"):
            self._options.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if self._options:
                self.fields[self._select] = [self._options[self._select_number % len(self._options)]]
            self._select_number += 1
            self._select = None


def answers_from(page_html: str) -> dict[str, list[str]]:
    """Form values for the attempt page (hidden lt and token included)."""
    form = AnswerForm()
    form.feed(page_html)
    if "token" not in form.fields or "lt" not in form.fields:
        raise RuntimeError("no lt/token in the attempt form")
    return form.fields


def submit_token(page_html: str) -> str:
    """The submit form's token on the review page."""
    found = re.search(r'name="token" value="([^"]+)"', page_html)
    if not found:
        raise RuntimeError("no submit token on the review page")
    return html.unescape(found.group(1))


# ---------------------------------------------------------------- measuring

class StepMeter:
    """CPU seconds (this thread's) and SQL statements per step of the flow, summed over flows, and
    when `profiling`, a cProfile per step (timed by this thread's CPU clock, so that waiting for
    the database or the platform is not counted: the figure of interest is CPU).

    Only statements run by the measuring thread count: the tool's JWKS endpoint, served in a
    thread of its own for the platform's token requests, is not part of a step."""

    def __init__(self, engine):
        self.engine, self.thread = engine, threading.get_ident()
        self.step = ""
        self.cpu: Counter = Counter()
        self.sql: Counter = Counter()
        self.calls: Counter = Counter()
        self.profiling = False
        self.statements: list[tuple[str, str]] | None = None   # (step, SQL) when asked for (--sql)
        self.profiles: dict[str, cProfile.Profile] = {}
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args, **_kwargs):
        if threading.get_ident() == self.thread:
            self.sql[self.step] += 1
            if self.statements is not None:
                self.statements.append((self.step, " ".join(statement.split())))

    def run(self, step: str, call, *args, count: int = 1, **kwargs):
        """Do `call` as `step` (`count` of them: a delivery round delivers several), timed."""
        profile = self.profiles.setdefault(step, cProfile.Profile(time.thread_time)) if self.profiling else None
        self.step = step
        started = time.thread_time()
        if profile:
            profile.enable()
        try:
            return call(*args, **kwargs)
        finally:
            if profile:
                profile.disable()
            self.cpu[step] += time.thread_time() - started
            self.calls[step] += count
            self.step = ""

    def clear(self) -> None:
        self.cpu.clear()
        self.sql.clear()
        self.calls.clear()

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)


class Flows:
    """The tool in this process, a platform over HTTP, and one learner's flow through the test client."""

    def __init__(self, app, platform, tool_url: str, module: str):
        self.app, self.platform, self.tool_url, self.module = app, platform, tool_url, module
        from elearn.extensions import db

        with app.app_context():
            self.meter = StepMeter(db.engine)
        self.owner = "bench-flow"

    def one(self, sub: str) -> None:
        """One learner's flow, request by request; raises RuntimeError on an unexpected answer.
        Only the tool's requests are timed; the platform's pages and reading the forms are not."""
        import requests

        from demolms.browser import forms

        run = self.meter.run
        client = self.app.test_client()   # a browser of its own (cookies), at the tool's address

        def at(url: str) -> str:
            return urljoin(self.tool_url + "/", url)

        init = self.platform.platform.prepare_launch(
            role="learner", locale="en", resource_link_id=RESOURCE_LINK, custom={"module": self.module},
            user={"sub": sub, "name": f"Bench {sub}", "given_name": "Bench", "family_name": sub,
                  "email": f"{sub}@bench.invalid"})
        resp = run("login", client.post, init.url, data=init.params)
        expect(resp, 302, "login")
        form = forms(requests.get(resp.headers["Location"], timeout=30).text)[0]
        resp = run("launch", client.post, at(html.unescape(form["action"])), data=form["fields"])
        expect(resp, 302, "launch")
        landing = at(resp.headers["Location"])
        lt = parse_qs(urlsplit(landing).query)["lt"][0]
        expect(run("landing", client.get, landing), 200, "landing")
        resp = run("start", client.post, at(f"/modules/{self.module}/post-test"), data={"lt": lt})
        expect(resp, 302, "start")
        attempt_url = at(urlsplit(resp.headers["Location"]).path)
        page = run("attempt form", client.get, at(resp.headers["Location"]))
        expect(page, 200, "attempt form")
        resp = run("save", client.post, attempt_url, data=answers_from(page.get_data(as_text=True)))
        expect(resp, 302, "save")
        review = run("review", client.get, at(resp.headers["Location"]))
        expect(review, 200, "review")
        resp = run("submit", client.post, f"{attempt_url}/submit",
                   data={"lt": lt, "token": submit_token(review.get_data(as_text=True))})
        expect(resp, 302, "submit")
        expect(run("result", client.get, at(resp.headers["Location"])), 200, "result")
        poll = run("grade status", client.get, f"{attempt_url}/grade-status", headers={"X-Launch-Token": lt})
        expect(poll, 200, "grade status")

    def deliver(self) -> int:
        """Deliver every queued score, as `flask grades run` does; how many were delivered."""
        from elearn.grades.worker import deliver_due

        with self.app.app_context():
            counts = deliver_due(self.owner)
        return counts.get("delivered", 0)

    def batch(self, prefix: str, count: int) -> None:
        """`count` flows, then the delivery of their scores (one step, divided by the scores)."""
        for i in range(count):
            self.one(f"{prefix}-{i:04d}")
        delivered = self.meter.run("delivery", self.deliver, count=count)
        if delivered != count:
            raise RuntimeError(f"{delivered} of {count} scores delivered")


def expect(resp, status: int, step: str) -> None:
    if resp.status_code != status:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))[:200]
        raise RuntimeError(f"{step} answered {resp.status_code}, not {status}: {text!r}")


# ---------------------------------------------------------------- figures

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


def _area(filename: str, name: str) -> str:
    text = f"{filename} {name}" if filename == "~" else filename
    for area, needles in AREAS:
        if any(needle in text for needle in needles):
            return area
    return "other (stdlib, built-ins)"


def _harness(func: tuple) -> bool:
    return func[0].startswith(BENCH_DIR) or func[0].endswith(HARNESS) or "_lsprof" in func[2]


def print_steps(meter: StepMeter, flows: int) -> float:
    """CPU ms and SQL statements per request type; returns CPU ms per flow (the delivery included)."""
    print(f"  {'request':14s} {'cpu ms':>7s} {'share':>6s} {'SQL':>5s}")
    total = sum(meter.cpu[step] for step in STEPS)
    for step in STEPS:
        per = meter.calls[step] or 1
        print(f"  {step:14s} {meter.cpu[step] / per * 1000:7.2f} {100 * meter.cpu[step] / total if total else 0:5.1f}%"
              f" {meter.sql[step] / per:5.1f}")
    requests_only = sum(meter.cpu[step] for step in STEPS if step != "delivery")
    statements = sum(meter.sql[step] for step in STEPS)
    print(f"  per flow: {total / flows * 1000:.1f} ms CPU ({requests_only / flows * 1000:.1f} in the "
          f"{len(STEPS) - 1} requests, the rest the score's delivery), {statements / flows:.0f} SQL statements")
    return total / flows * 1000


def print_profile(profiles: dict[str, cProfile.Profile], flows: int, top: int, steps: list[str]) -> None:
    """The whole flow's top functions (cumulative and own CPU time), own time by area, and the
    top functions of each step named in `steps`."""
    combined = pstats.Stats(*profiles.values()).stats
    whole = sum(own for func, (_cc, _n, own, _cum, _callers) in combined.items() if not _harness(func))
    print(f"  under cProfile (CPU clock): {whole / flows * 1000:.1f} ms per flow in profiled code, the test "
          "client's own functions left out (cProfile slows Python code more than C: read shares)")
    print_top(combined, flows, top, "the whole flow")
    areas: Counter = Counter()
    for func, (_cc, _calls, own, _cum, _callers) in combined.items():
        if not _harness(func):
            areas[_area(func[0], func[2])] += own
    print("  own time by area (ms per flow, share):")
    for area, own in areas.most_common(10):
        print(f"    {own / flows * 1000:7.2f} {100 * own / whole if whole else 0:5.1f}%  {area}")
    for step in steps:
        if step in profiles:
            print_top(pstats.Stats(profiles[step]).stats, flows, top, step)


def print_top(stats: dict, flows: int, top: int, what: str) -> None:
    """The top functions of a profile, by cumulative and by own time (ms and calls per flow)."""
    print(f"  {what}: top {top} by cumulative time (Flask's dispatch wrappers left out), then by own time")
    print(f"  {'cum ms':>7s} {'own ms':>7s} {'calls':>7s}  function")
    ranked = sorted(stats.items(), key=lambda item: item[1][3], reverse=True)
    shown = 0
    for func, (_cc, calls, own, cum, _callers) in ranked:
        if _harness(func) or any(func[0].endswith(f) and func[2] == n for f, n in WRAPPERS):
            continue
        print(f"  {cum / flows * 1000:7.2f} {own / flows * 1000:7.2f} {calls / flows:7.1f}  {_short(func)[:110]}")
        shown += 1
        if shown == top:
            break
    print(f"  {'-' * 7} {'-' * 7}")
    ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)
    shown = 0
    for func, (_cc, calls, own, cum, _callers) in ranked:
        if _harness(func):
            continue
        print(f"  {cum / flows * 1000:7.2f} {own / flows * 1000:7.2f} {calls / flows:7.1f}  {_short(func)[:110]}")
        shown += 1
        if shown == top:
            break


# ---------------------------------------------------------------- running

def serve_in_thread(app, port: int, stack: ExitStack) -> None:
    """The app over HTTP too (the platform fetches the tool's JWKS when the worker asks for a token)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stack.callback(server.server_close)
    stack.callback(server.shutdown)


def profile_flows(db_url: str, module: str, flows: int, top: int, stack: ExitStack,
                  steps: list[str] = (), show_sql: bool = False) -> float:
    """Measure `flows` learner flows on a database that holds the schema and the curriculum;
    returns CPU ms per flow (unprofiled)."""
    from demolms.testing import PlatformServer

    platform = PlatformServer.start()
    stack.callback(platform.stop)
    port = free_port()
    tool_url = f"http://127.0.0.1:{port}"
    app = make_app(db_url, TESTING=False, DEMO_LMS=False, SECRET_KEY="bench-flow", TOOL_BASE_URL=None,
                   PROXY_FIX=0, GRADES_INLINE=False, RATELIMIT_LAUNCH="1000000 per minute")
    stack.callback(dispose, app)
    register(app, tool_url, platform)
    serve_in_thread(app, port, stack)
    runner = Flows(app, platform, tool_url, module)
    stack.callback(runner.meter.close)
    runner.batch("bench-flow-warm", WARM_UP)
    runner.meter.clear()
    if show_sql:
        runner.meter.statements = []
        runner.batch("bench-flow-sql", 1)
        print("\n== the SQL statements of one flow ==")
        for step, statement in runner.meter.statements:
            print(f"  {step:13s} {statement[:160]}")
        runner.meter.statements = None
        runner.meter.clear()
    print(f"\n== one learner's flow, in this process ({flows} learners after {WARM_UP} warm-up; create_app + "
          f"Flask test client; CPU = this thread's thread_time, the platform's /auth hop left out) ==")
    runner.batch("bench-flow", flows)
    per_flow = print_steps(runner.meter, flows)
    runner.meter.profiling = True
    runner.batch("bench-flow-profiled", flows)
    print_profile(runner.meter.profiles, flows, top, list(steps))
    return per_flow


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--flows", type=int, default=30, help="learner flows measured, and as many profiled")
    parser.add_argument("--top", type=int, default=10, help="functions in each profile list (default 10)")
    parser.add_argument("--step", action="append", default=[], choices=STEPS + ("all",),
                        help="also print the top functions of this request type (repeatable; all: every one)")
    parser.add_argument("--sql", action="store_true", help="print the SQL statements of one flow, by request")
    parser.add_argument("--courses", type=Path, default=ROOT / "courses", help="curriculum directory")
    parser.add_argument("--module", default="care-cycle", help="module whose post-test is taken")
    parser.add_argument("--timeout", type=int, default=300, help="overall time budget in seconds (default 300)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(args.timeout)
    with ExitStack() as stack:
        try:
            db_url, _ = create_database(args.db, stack)
            app = make_app(db_url)
            prepare_schema(app, args.courses)
            dispose(app)
            print(f"bench flow: {args.db}, module {args.module}, {os.cpu_count()} cores")
            steps = list(STEPS) if "all" in args.step else args.step
            profile_flows(db_url, args.module, args.flows, args.top, stack, steps, args.sql)
            ok = True
        except Exception as exc:  # noqa: BLE001 (reported, then cleaned up)
            print(f"\nbench FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            ok = False
        finally:
            signal.alarm(30)   # cleanup only, bounded too
    signal.alarm(0)
    print(f"\ndone in {time.monotonic() - started:.0f} s: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
