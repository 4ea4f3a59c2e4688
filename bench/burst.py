"""Benchmark: the exam burst — N learners launch, take and submit the post-test within a window.

    .venv/bin/python bench/burst.py                                  # 3,000 learners in 60 s, PostgreSQL
    .venv/bin/python bench/burst.py --learners 300 --window 30 --db sqlite
    .venv/bin/python bench/burst.py --clients 64 --worker-procs 2 --arrivals poisson

Each learner is a cookie-keeping browser of their own (a distinct `sub`, all in one course and
placement): LTI launch through the demolms platform, post-test started, answered from the form,
submitted, result page. Scores go out through real `flask --app elearn grades run` processes
(GRADES_INLINE=0, as the Procfile's `worker:`). Printed: when the last submit was answered and
when the last score reached the platform, latency per phase, errors, scores lost / duplicated /
unexpected, the outbox, CPU per component, and whether the offered load was met.

Everything runs on loopback, as bench/run.py and bench/launch.py do (whose helpers it reuses): a
fresh database (dropped afterwards), the platform in this process, gunicorn and the grade
workers in process groups. See bench/README.md for how to read the figures.
"""
from __future__ import annotations

import argparse
import os
import queue
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402

from common import (PG_ADMIN, ROOT, alarm, cpu_seconds, create_database, dispose, free_port,  # noqa: E402
                    make_app, memory_kb, percentile, prepare_schema, register, spawn, start_gunicorn, stop_process,
                    tool_env)
from launch import ACCESS_FORMAT, ToolMeter, cpu_line, log_problems, timed_launch  # noqa: E402
from flow import answers_from, profile_flows  # noqa: E402
from run import _token, outbox_counts, outbox_summary, submitted_subs  # noqa: E402

CLEANUP_RESERVE = 20      # seconds of the budget kept for stopping processes and dropping the database
PROGRESS_EVERY = 10.0     # seconds between progress lines during the burst
WARM_UP_LEARNERS = 2      # full flows before the burst (caches, JWKS, the gradebook column); not timed
WARM_UP_SCORES_WAIT = 30  # seconds the warm-up learners' scores may take to reach the platform
# Every learner comes from 127.0.0.1, so the per-address launch limit (RATELIMIT_LAUNCH, default
# 6000/min per worker) would count the whole exam as one client: raised for the bench's gunicorn.
RATELIMIT_FOR_BENCH = "1000000 per minute"
CPU_TIMER_CONF = Path(__file__).resolve().parent / "cpu_timer_conf.py"
PHASES = ("launch", "start", "answer", "submit", "result")
LAUNCH_HOPS = ("prepare", "login", "auth", "launch", "landing")


# ---------------------------------------------------------------- one learner

@dataclass
class Learner:
    """One learner of the burst: when they arrive, what each phase took, how it ended."""

    sub: str
    due: float                      # seconds after the burst start at which they arrive
    picked: float = 0.0             # seconds after the burst start at which a client thread took them up
    phases: dict[str, float] = field(default_factory=dict)   # seconds per phase, client-observed
    hops: dict[str, float] = field(default_factory=dict)     # the launch's hops (bench/launch.py's names)
    error: str | None = None
    submit_answered: float = 0.0    # seconds after the burst start (0: no answer to the submit)
    submit_answered_wall: float = 0.0   # time.time() of that answer, to compare with the platform's clock
    done: float = 0.0               # seconds after the burst start at which the whole flow ended

    @property
    def ok(self) -> bool:
        return self.done > 0 and self.error is None


def _problem(resp: requests.Response) -> str:
    """Status, where it redirects, the tool's error code: what an unexpected answer says."""
    code = re.search(r'data-error-code="([^"]+)"', resp.text or "")
    where = resp.headers.get("Location", "")
    return (f"{resp.status_code} {resp.url.split('?')[0]}" + (f" -> {where.split('?')[0]}" if where else "")
            + (f" error-code={code.group(1)}" if code else ""))


def take_post_test(learner: Learner, ctx: "Burst", submit: bool = True) -> None:
    """The whole flow of one learner, phase by phase; the first failure ends it (recorded).
    Without `submit`, the learner leaves after saving their answers (no score)."""
    from demolms.browser import new_browser

    browser = new_browser()
    phase = "launch"
    mark = time.perf_counter()

    def done(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        learner.phases[name] = now - mark
        mark = now

    try:
        launch = timed_launch(ctx.platform, browser, ctx.module, learner.sub, ctx.request_timeout)
        learner.hops = launch.hops
        if launch.error:
            raise RuntimeError(launch.error)
        done("launch")
        phase = "start"
        page = browser.post(f"{ctx.tool_url}/modules/{ctx.module}/post-test", data={"lt": launch.lt},
                            timeout=ctx.request_timeout)   # 302 to the attempt form, followed
        found = re.search(r"/post-test/(\d+)$", page.url.split("?")[0])
        if page.status_code != 200 or not found:
            raise RuntimeError(f"attempt not started: {_problem(page)}")
        attempt_url = f"{ctx.tool_url}/post-test/{found.group(1)}"
        done("start")
        phase = "answer"
        review = browser.post(attempt_url, data=answers_from(page.text), timeout=ctx.request_timeout)
        if review.status_code != 200 or not review.url.split("?")[0].endswith("/review"):
            raise RuntimeError(f"answers not saved: {_problem(review)}")
        token = _token(review.text)
        done("answer")
        if not submit:
            return
        phase = "submit"
        resp = browser.post(f"{attempt_url}/submit", data={"lt": launch.lt, "token": token},
                            allow_redirects=False, timeout=ctx.request_timeout)
        learner.submit_answered = time.perf_counter() - ctx.started
        learner.submit_answered_wall = time.time()
        result_url = resp.headers.get("Location", "")
        if resp.status_code not in (302, 303) or not result_url.split("?")[0].endswith("/result"):
            raise RuntimeError(f"submit refused: {_problem(resp)}")
        done("submit")
        phase = "result"
        result = browser.get(urljoin(attempt_url, result_url), timeout=ctx.request_timeout)
        if result.status_code != 200:
            raise RuntimeError(f"result page: {_problem(result)}")
        done("result")
    except Exception as exc:  # noqa: BLE001 (every failure is a figure)
        message = str(exc) if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {exc}"
        learner.error = f"[{phase}] {message}"
    finally:
        learner.done = time.perf_counter() - ctx.started
        browser.close()  # the learner leaves: their kept-alive connections go


def generalised(message: str) -> str:
    """An error message without what differs per learner (ids, names, ports), for grouping."""
    message = re.sub(r"/post-test/\d+", "/post-test/<id>", message)
    message = re.sub(r"bench-burst-\d+", "<learner>", message)
    return re.sub(r"port=\d+", "port=<port>", message)


# ---------------------------------------------------------------- the burst

@dataclass
class Burst:
    """What the client threads share: where things are, when the burst started, the work queue."""

    platform: object
    tool_url: str
    module: str
    request_timeout: float
    database_name: str | None = None            # PostgreSQL only: to look at its connections if stalled
    started: float = 0.0                       # perf_counter() at the burst start
    started_wall: float = 0.0                  # time.time() at the burst start
    work: queue.Queue = field(default_factory=queue.Queue)
    stop: threading.Event = field(default_factory=threading.Event)


def arrivals(count: int, window: float, how: str, seed: int) -> list[float]:
    """Arrival offsets in seconds: evenly spread (one every window/count s, the first at 0), or
    Poisson (count uniform random moments in the window, sorted: a Poisson process given count)."""
    if how == "even":
        return [i * window / count for i in range(count)]
    rng = random.Random(seed)
    return sorted(rng.uniform(0, window) for _ in range(count))


def client_thread(ctx: Burst) -> None:
    """Take learners off the queue and run their flow until told to stop (None)."""
    while True:
        learner = ctx.work.get()
        if learner is None or ctx.stop.is_set():
            return
        learner.picked = time.perf_counter() - ctx.started
        take_post_test(learner, ctx)


def start_clients(ctx: Burst, count: int) -> list[threading.Thread]:
    """`count` daemon client threads (daemon: a hung request never keeps the bench alive)."""
    threads = [threading.Thread(target=client_thread, args=(ctx,), name=f"client-{i}", daemon=True)
               for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def progress(ctx: Burst, learners: list[Learner]) -> str:
    """One line: how far the burst is."""
    now = time.perf_counter() - ctx.started
    arrived = sum(1 for one in learners if one.due <= now)
    finished = [one for one in learners if one.done]
    running = sum(1 for one in learners if one.picked and not one.done)
    waiting = arrived - len(finished) - running
    scores = len(ctx.platform.platform.store.scores)
    return (f"  t={now:5.0f} s  arrived {arrived}  in flight {running}  waiting for a client thread {waiting}  "
            f"finished {sum(one.ok for one in finished)}  failed {sum(not one.ok for one in finished)}  "
            f"scores at the platform {scores}")


def database_waits(database_name: str | None) -> str:
    """What the bench database's connections are doing (state and wait event, counted) and the
    oldest open transaction: printed when the burst stalls, to tell lock waits from a busy CPU."""
    if not database_name:
        return ""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        rows = conn.execute("SELECT state, coalesce(wait_event_type || ':' || wait_event, '-'), "
                            "extract(epoch FROM now() - xact_start), left(query, 120) FROM pg_stat_activity "
                            "WHERE datname = %s", (database_name,)).fetchall()
    states = Counter(f"{state} {wait}" for state, wait, _age, _query in rows)
    oldest = max((r for r in rows if r[2] is not None), key=lambda r: r[2], default=None)
    text = "; ".join(f"{k} x{n}" for k, n in states.most_common())
    if oldest:
        text += f"; oldest transaction {float(oldest[2]):.1f} s ({oldest[0]}): {oldest[3]!r}"
    return text


def run_burst(ctx: Burst, learners: list[Learner], clients: int, deadline: float) -> bool:
    """Release each learner at their arrival time to the client threads; wait until all are done
    or the deadline. True when every learner's flow ended before the deadline."""
    threads = start_clients(ctx, clients)
    ctx.started, ctx.started_wall = time.perf_counter(), time.time()
    next_progress = PROGRESS_EVERY
    finished_before = 0
    pending = deque(learners)  # in order of arrival
    while time.monotonic() < deadline:
        now = time.perf_counter() - ctx.started
        while pending and pending[0].due <= now:
            ctx.work.put(pending.popleft())
        if now >= next_progress:
            print(progress(ctx, learners), flush=True)
            next_progress += PROGRESS_EVERY
            finished = sum(1 for one in learners if one.done)
            if finished == finished_before and any(one.picked for one in learners):
                print(f"  STALLED: no learner finished in {PROGRESS_EVERY:.0f} s; database: "
                      f"{database_waits(ctx.database_name)}", flush=True)
            finished_before = finished
        if not pending and all(one.done for one in learners):
            break
        time.sleep(min(0.02, max(0.0, pending[0].due - now)) if pending else 0.1)
    complete = all(one.done for one in learners)
    ctx.stop.set()
    for _ in threads:
        ctx.work.put(None)  # idle threads end; busy ones end after their learner
    if not complete:
        print(f"  deadline: {sum(1 for one in learners if not one.done)} learners had not finished "
              "(queued ones are skipped, running ones cut off by the cleanup)")
    return complete


def wait_for_scores(app, platform, deadline: float) -> None:
    """Until no outbox row is pending and the platform holds a score for every finished attempt
    (or the deadline): the grade workers are at it."""
    expected = len(submitted_subs(app))
    while time.monotonic() < deadline:
        counts = outbox_counts(app)
        if counts.get("pending", 0) == 0 and len(platform.platform.store.scores) >= expected:
            return
        time.sleep(0.2)
    print("  deadline: stopped waiting for scores")


# ---------------------------------------------------------------- figures

def ms(values: list[float], *ps: int) -> str:
    """Percentiles of seconds in ms, p50/p95/p99/max unless told."""
    if not values:
        return "-"
    return "/".join(f"{percentile(values, p) * 1000:.0f}" for p in (ps or (50, 95, 99, 100)))


ROUTES = [  # (name, method, path pattern): the tool's requests of one learner, from the access log
    ("login", "POST", r"/lti/login$"), ("launch", "POST", r"/lti/launch$"), ("landing", "GET", r"/modules/[^/]+$"),
    ("start", "POST", r"/modules/[^/]+/post-test$"), ("attempt form", "GET", r"/post-test/\d+$"),
    ("save", "POST", r"/post-test/\d+$"), ("review", "GET", r"/post-test/\d+/review$"),
    ("submit", "POST", r"/post-test/\d+/submit$"), ("result", "GET", r"/post-test/\d+/result$"),
]


def server_times(access: list[tuple]) -> dict[str, list[float]]:
    """Seconds inside a gunicorn worker thread (%(D)s) per route of the learner flow."""
    found: dict[str, list[float]] = defaultdict(list)
    for method, path, _status, micros in access:
        for name, want, pattern in ROUTES:
            if method == want and re.search(pattern, path):
                found[name].append(int(micros) / 1e6)
                break
    return found


def report_load(learners: list[Learner], window: float, warm_flow: float, summary: dict) -> bool:
    """Offered vs achieved load; True when every learner finished inside the window (+ one flow)."""
    finished = [one for one in learners if one.ok]
    answered = [one.submit_answered for one in learners if one.submit_answered]
    last_submit = max(answered) if answered else 0.0
    inside = sum(1 for one in finished if one.submit_answered <= window)
    allowance = window + warm_flow
    met = len(finished) == len(learners) and last_submit <= allowance
    print("\n== load ==")
    print(f"offered: {len(learners)} learners over {window:.0f} s = {len(learners) / window:.1f} learners/s")
    print(f"finished {len(finished)} / {len(learners)}, failed {len(learners) - len(finished)}; "
          f"submits answered inside the {window:.0f} s window: {inside}")
    if answered:
        print(f"last submit answered {last_submit:.1f} s after the burst start: achieved "
              f"{len(finished) / last_submit:.1f} learners/s")
    print(f"offered load met: {'YES' if met else 'NO'} (every learner finished, last submit answered by "
          f"window + one unloaded flow = {window:.0f} + {warm_flow:.1f} s)")
    summary.update(offered=len(learners) / window, finished=len(finished), failed=len(learners) - len(finished),
                   last_submit=last_submit, achieved=len(finished) / last_submit if last_submit else 0.0, met=met)
    return met


def report_latency(learners: list[Learner]) -> None:
    """Per phase, client-observed; how long learners waited for a client thread; arrival → submit."""
    ok = [one for one in learners if one.ok]
    print("\n== latency, client-observed (ms p50/p95/p99/max; finished learners) ==")
    for phase in PHASES:
        print(f"  {phase:44s} {ms([one.phases[phase] for one in ok])}")
    print(f"  {'whole flow (launch → result page)':44s} {ms([sum(one.phases.values()) for one in ok])}")
    waits = [max(0.0, one.picked - one.due) for one in learners if one.picked]
    print(f"  {'arrival → picked up by a client thread':44s} {ms(waits)}")
    print(f"  {'arrival → submit answered (what learners wait)':44s} "
          f"{ms([one.submit_answered - one.due for one in ok])}")
    hops = "  ".join(f"{hop} {ms([one.hops[hop] for one in ok], 50, 95)}" for hop in LAUNCH_HOPS)
    print(f"  launch hops p50/p95: {hops}  (prepare, auth: the platform; login, launch, landing: the tool)")


def report_errors(learners: list[Learner], access: list[tuple]) -> None:
    """Learner errors grouped by message; the tool's non-2xx/3xx answers by route and status."""
    failed = Counter(generalised(one.error) for one in learners if one.error)
    unfinished = sum(1 for one in learners if not one.done)
    print(f"\n== errors: {sum(failed.values())} learners failed, {unfinished} did not finish ==")
    for message, count in failed.most_common(10):
        print(f"  x{count}: {message[:300]}")
    statuses: Counter = Counter()
    for method, path, status, _micros in access:
        if not status.startswith(("2", "3")):
            route = next((n for n, m, p in ROUTES if m == method and re.search(p, path)), f"{method} {path}")
            statuses[f"{route} {status}"] += 1
    if statuses:
        print(f"  tool answered: {dict(statuses.most_common())}")


def report_server(access: list[tuple], learners: int) -> None:
    """Time inside gunicorn per route: what the tool itself spends, without queueing."""
    server = server_times(access)
    print("\n== tool server time (gunicorn %(D)s: inside a worker thread, no queueing; ms p50/p95/p99/max) ==")
    total = 0.0
    for name, _method, _pattern in ROUTES:
        values = server.get(name, [])
        total += sum(values)
        print(f"  {name:13s} x{len(values):<5d} {ms(values):>24s}")
    if learners:
        print(f"  sum of server time per finished learner: {total / learners * 1000:.0f} ms")


CPU_LINE = re.compile(r"^CPU (\S+) (\S+) (\S+) (\d+)\s*$")   # bench/cpu_timer_conf.py's line per request


def cpu_per_request(log: Path, start: int) -> list[tuple[str, str, str, float]]:
    """(method, path, status, CPU seconds) of every request the tool answered since log offset `start`."""
    with open(log, "rb") as handle:
        handle.seek(start)
        lines = handle.read().decode(errors="replace").splitlines()
    return [(m[1], m[2], m[3], int(m[4]) / 1e6) for m in map(CPU_LINE.match, lines) if m]


def report_request_cpu(requests_cpu: list[tuple], tool_seconds: float, learners: int) -> dict[str, float]:
    """CPU per request type (each request's worker-thread CPU, bench/cpu_timer_conf.py), per learner,
    and how much of the workers' CPU the requests account for; {route: ms per learner}."""
    found: dict[str, list[float]] = defaultdict(list)
    for method, path, _status, seconds in requests_cpu:
        name = next((n for n, m, p in ROUTES if m == method and re.search(p, path)), f"other {method} {path}")
        found[name].append(seconds)
    print("\n== tool CPU per request (worker thread's CPU time from pre_request to post_request; ms) ==")
    print(f"  {'request':13s} {'count':>6s} {'mean':>6s} {'p50/p95/p99':>14s} {'per learner':>11s}")
    per_learner: dict[str, float] = {}
    names = [n for n, _m, _p in ROUTES] + sorted(n for n in found if n.startswith("other "))
    for name in names:
        values = found.get(name, [])
        if not values:
            continue
        per_learner[name] = sum(values) / learners * 1000 if learners else 0.0
        print(f"  {name[:40]:13s} {len(values):6d} {statistics.mean(values) * 1000:6.2f} "
              f"{ms(values, 50, 95, 99):>14s} {per_learner[name]:11.2f}")
    in_requests = sum(sum(v) for v in found.values())
    flow = sum(v for k, v in per_learner.items() if not k.startswith("other "))
    if learners and tool_seconds:
        print(f"  a learner's nine requests: {flow:.1f} ms of CPU; all requests together are "
              f"{100 * in_requests / tool_seconds:.0f}% of the tool processes' CPU ({tool_seconds * 1000 / learners:.1f} "
              "ms per learner; the rest: gthread's main loop accepting and polling connections, the master, "
              "garbage collection and logging outside the hooks)")
    return per_learner


def report_cpu(meter: dict, workers: dict[int, float], finished: int) -> None:
    """CPU per component during the burst (launch.py's line, with the grade workers taken out of
    the rest of the machine), and per finished learner: what one learner costs the machine, so
    what its cores could take at most."""
    wall = meter["wall"]
    shares = [100 * seconds / wall for seconds in workers.values()]
    print(f"\n== cpu during the burst ({wall:.0f} s, from its start until the last learner was done) ==")
    print(f"  {cpu_line(dict(meter, other=max(0.0, meter['other'] - sum(shares))))}")
    print(f"  grade workers (`flask grades run`): {' + '.join(f'{s:.0f}' for s in shares)}% of one core")
    cores = os.cpu_count() or 1
    busy = meter["tool"] + meter["bench"] + meter["pg"] + max(0.0, meter["other"])
    print(f"  the tool's share: {meter['tool'] / cores:.0f}% of the machine's {cores} cores, "
          f"{100 * meter['tool'] / busy if busy else 0:.0f}% of the CPU used on it (machine busy "
          f"{busy / cores:.0f}%)")
    if not finished:
        return
    per_learner = {name: meter[key] / 100 * wall / finished * 1000 for name, key in
                   (("tool", "tool"), ("clients + platform", "bench"), ("postgres", "pg"))}
    per_learner["grade workers"] = sum(shares) / 100 * wall / finished * 1000
    total = sum(per_learner.values())
    print("  cpu ms per finished learner: " + "  ".join(f"{k} {v:.0f}" for k, v in per_learner.items())
          + f"  = {total:.0f} ms; {cores} cores take at most ~{cores * 1000 / total:.0f} learners/s at this cost "
          f"(the tool alone: ~{cores * 1000 / per_learner['tool']:.0f}/s on all {cores} cores)")


def report_scores(app, platform, ctx: Burst, learners: list[Learner], summary: dict) -> bool:
    """What the platform holds against the finished attempts; True when each arrived exactly once."""
    counts, retried, conflicts, expected = outbox_summary(app)
    scores = platform.scores
    users = Counter(s["userId"] for s in scores)
    lost = expected - set(users)
    duplicated = {u: n for u, n in users.items() if n > 1}
    unexpected = set(users) - expected
    columns = {s.lineitem_url for s in scores}
    answered_ok = {one.sub for one in learners if one.submit_answered and not (one.error or "").startswith("[submit]")}
    print("\n== scores ==")
    print(f"outbox {dict(sorted(counts.items()))}  retried {retried}  answered 409 {conflicts}")
    if counts.get("pending"):
        print(f"  ({counts['pending']} rows still pending at the deadline: 'lost' below counts them)")
    warm = sum(1 for sub in expected if sub.startswith("bench-warm-"))
    print(f"finished attempts in the database {len(expected)} (incl. {warm} warm-up)  "
          f"submits answered OK without a finished attempt {len(answered_ok - expected)}")
    print(f"platform: scores {len(scores)} for {len(users)} learners  lost {len(lost)}  "
          f"duplicated {sum(n - 1 for n in duplicated.values())} (learners with more than one: {len(duplicated)})  "
          f"unexpected {len(unexpected)}  line items {len(columns)}")
    arrived = {s["userId"]: s.received_at for s in scores}  # the platform's clock: time.time()
    delivered = [one for one in learners if one.sub in arrived and one.submit_answered_wall]
    if delivered:
        last = max(arrived[one.sub] for one in delivered) - ctx.started_wall
        summary["last_score"] = last
        print(f"last score reached the platform {last:.1f} s after the burst start")
        print("submit answered → score at the platform, ms p50/p95/p99/max: "
              f"{ms([arrived[one.sub] - one.submit_answered_wall for one in delivered])}")
    for label, subs in (("lost", lost), ("duplicated", set(duplicated)), ("unexpected", unexpected)):
        if subs:
            print(f"  {label}: {', '.join(sorted(subs)[:8])}")
    summary.update(lost=len(lost), duplicated=sum(n - 1 for n in duplicated.values()), unexpected=len(unexpected),
                   columns=len(columns))
    return bool(expected) and not lost and not duplicated and not unexpected and len(columns) == 1


def print_summary(args, summary: dict, all_finished: bool, scores_ok: bool) -> None:
    """The figures the exam-burst question asks for, in one place."""
    last_score = summary.get("last_score")
    print(f"\n== summary: {args.learners} learners over {args.window:.0f} s ({args.db}) ==")
    print(f"  finished {summary['finished']}, failed {summary['failed']}; all finished: "
          f"{'yes' if all_finished else 'NO'}")
    print(f"  last submit answered {summary['last_submit']:.1f} s after the burst start; last score at the "
          f"platform {'-' if last_score is None else f'{last_score:.1f}'} s after it")
    print(f"  scores lost {summary.get('lost', '-')}, duplicated {summary.get('duplicated', '-')}, unexpected "
          f"{summary.get('unexpected', '-')}, line items {summary.get('columns', '-')}; every score exactly once: "
          f"{'yes' if scores_ok else 'NO'}")
    print(f"  offered {summary['offered']:.1f} learners/s, achieved {summary['achieved']:.1f} learners/s; "
          f"offered load met: {'yes' if summary['met'] else 'NO'}")


# ---------------------------------------------------------------- set-up

def check_connections(args, database_name: str) -> None:
    """Refuse a plan whose connection pools could exceed PostgreSQL's max_connections."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        limit = int(conn.execute("SHOW max_connections").fetchone()[0])
        reserved = int(conn.execute("SHOW superuser_reserved_connections").fetchone()[0])
        in_use = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                              ).fetchone()[0]
    per_web = args.threads + 2 + 2   # the tool's pool: GUNICORN_THREADS + 2, overflow 2 (elearn/config.py)
    planned = args.web_workers * per_web + args.worker_procs * 2 + 2  # grade worker: one thread; this process
    print(f"postgresql: max_connections {limit} ({reserved} reserved), {in_use} in use now; this run at most "
          f"{planned} ({args.web_workers} web × {per_web} + {args.worker_procs} grade worker(s) × 2 + 2 here)")
    if planned > limit - reserved - in_use:
        raise RuntimeError(f"{planned} connections would not fit: fewer --web-workers/--threads, or raise "
                           f"max_connections")


def start_grade_workers(args, env: dict, log: Path, stack: ExitStack) -> list:
    """`flask --app elearn grades run` processes (the Procfile's worker:), started before the burst."""
    cmd = [str(Path(sys.executable).with_name("flask")), "--app", "elearn", "grades", "run",
           "--poll", str(args.worker_poll)]
    return [spawn(cmd, env, log, stack) for _ in range(args.worker_procs)]


def process_cpu(pid: int) -> float:
    """CPU seconds of a process; 0 once it is gone (a grade worker that died shows in the scores)."""
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0


def grade_worker_memory(pids: list[int]) -> str:
    """VmRSS (peak VmHWM) of the grade workers."""
    parts = []
    for pid in pids:
        try:
            rss, hwm = memory_kb(pid)
        except OSError:
            continue
        parts.append(f"grade worker {pid}: {rss / 1024:.0f} MB (peak {hwm / 1024:.0f} MB)")
    return "; ".join(parts) or "grade workers gone"


def warm_up(ctx: Burst, cold_column: bool) -> float:
    """Flows before the burst (the platform's keys fetched and cached, code paths warm in both
    workers); the fastest one's seconds (a learner's flow on an idle tool). Their scores are waited
    for, so the burst starts with the gradebook column created and the grade worker holding an
    access token; with `cold_column` they do not submit, and the placement's first score (which
    creates the column) comes in the burst."""
    flows = []
    ctx.started = time.perf_counter()
    for i in range(WARM_UP_LEARNERS):
        learner = Learner(f"bench-warm-{i}", 0.0)
        take_post_test(learner, ctx, submit=not cold_column)
        if learner.error:
            raise RuntimeError(f"warm-up learner failed: {learner.error}")
        flows.append(sum(learner.phases.values()))
    expected = 0 if cold_column else WARM_UP_LEARNERS
    give_up = time.monotonic() + WARM_UP_SCORES_WAIT
    while len(ctx.platform.scores) < expected:
        if time.monotonic() > give_up:
            raise RuntimeError(f"warm-up scores not at the platform after {WARM_UP_SCORES_WAIT} s")
        time.sleep(0.1)
    return min(flows)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=3000, help="learners in the burst (default 3000)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which they arrive (default 60)")
    parser.add_argument("--arrivals", choices=("even", "poisson"), default="even",
                        help="evenly spread (default) or Poisson arrivals over the window")
    parser.add_argument("--seed", type=int, default=1, help="random seed of Poisson arrivals")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--clients", type=int, default=128,
                        help="client threads, i.e. learners in flight at most (default 128)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (default 8)")
    parser.add_argument("--worker-procs", type=int, default=1,
                        help="`flask grades run` processes delivering the scores (default 1)")
    parser.add_argument("--worker-poll", type=float, default=1.0,
                        help="their --poll, seconds between rounds when idle (default 1, as in the Procfile)")
    parser.add_argument("--cold-column", action="store_true",
                        help="warm-up learners do not submit: the placement's first score, which creates the "
                             "gradebook column, is delivered during the burst")
    parser.add_argument("--courses", type=Path, default=ROOT / "courses", help="curriculum directory")
    parser.add_argument("--module", default="care-cycle", help="module whose post-test is taken")
    parser.add_argument("--request-timeout", type=float, default=60.0, help="per HTTP request, seconds (default 60)")
    parser.add_argument("--timeout", type=int, default=600, help="overall time budget in seconds (default 600)")
    parser.add_argument("--profile-flows", type=int, default=20,
                        help="after the burst, this many learner flows in this process, measured and profiled "
                             "(bench/flow.py; default 20, 0 to skip)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the tool's logs (else kept only on errors)")
    args = parser.parse_args(argv)
    if args.learners < 1 or args.window <= 0 or args.clients < 1 or args.worker_procs < 1:
        parser.error("--learners, --window, --clients and --worker-procs must be positive")
    return args


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(args.timeout)  # the hard stop should any step hang; cleanup still runs
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    try:
        ok = run(args, logs, started + args.timeout - CLEANUP_RESERVE)
    except Exception as exc:  # noqa: BLE001 (the hard stop hit during cleanup)
        ok = False
        print(f"\nbench FAILED during cleanup: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        signal.alarm(0)
    problems = [p for log in sorted(logs.glob("*.log")) for p in log_problems(log)]
    if problems:
        print(f"\nerror lines in the tool's logs (kept in {logs}):")
        for text, count in problems:
            print(f"  x{count}: {text}")
    elif args.keep_logs or not ok:
        print(f"\nthe tool's logs are kept in {logs}")
    else:
        shutil.rmtree(logs, ignore_errors=True)
    print(f"\ndone in {time.monotonic() - started:.0f} s; result: {'OK' if ok else 'PROBLEMS (see above)'}")
    return 0 if ok else 1


def run(args, logs: Path, deadline: float) -> bool:
    """Set up, burst, wait for the scores, report, clean up (whatever happens); True when every
    learner finished and every score arrived exactly once."""
    from demolms.testing import PlatformServer

    with ExitStack() as stack:
        try:
            db_url, database_url = create_database(args.db, stack)
            database_name = database_url.rsplit("/", 1)[1] if args.db == "postgresql" else None
            if database_name:
                check_connections(args, database_name)
            app = make_app(db_url)
            stack.callback(dispose, app)
            prepare_schema(app, args.courses)
            platform = PlatformServer.start()
            stack.callback(platform.stop)
            port = free_port()
            register(app, f"http://127.0.0.1:{port}", platform)
            dispose(app)
            env = tool_env(database_url, RATELIMIT_LAUNCH=RATELIMIT_FOR_BENCH, GUNICORN_THREADS=str(args.threads))
            # The project's gunicorn.conf.py plus a CPU timer per request (the later --config wins).
            tool_url = start_gunicorn(args, port, database_url, logs / "gunicorn.log", stack,
                                      extra=("--access-logformat", ACCESS_FORMAT, "--config", str(CPU_TIMER_CONF)),
                                      env=env)
            grade_procs = start_grade_workers(args, env, logs / "worker.log", stack)
            grade_workers = [proc.pid for proc in grade_procs]
            meter = ToolMeter(args.gunicorn_pid, logs / "gunicorn.log", database_name)
            print(f"bench burst: {args.learners} learners over {args.window:.0f} s ({args.arrivals} arrivals), "
                  f"{args.db}, gunicorn -w {args.web_workers} --threads {args.threads} (gthread) at {tool_url}, "
                  f"{args.worker_procs} `flask grades run --poll {args.worker_poll:g}` (GRADES_INLINE=0), "
                  f"{args.clients} client threads + platform in this process, {os.cpu_count()} cores; "
                  f"RATELIMIT_LAUNCH={RATELIMIT_FOR_BENCH!r}; module {args.module}")

            ctx = Burst(platform, tool_url, args.module, args.request_timeout, database_name)
            warm_flow = warm_up(ctx, args.cold_column)
            print(f"warm-up: {WARM_UP_LEARNERS} learners, fastest flow {warm_flow * 1000:.0f} ms"
                  + (" (no submit: the gradebook column is created in the burst)" if args.cold_column
                     else "; their scores reached the platform (gradebook column created)"))
            print(f"memory after warm-up: {meter.worker_memory()}; {grade_worker_memory(grade_workers)}")
            learners = [Learner(f"bench-burst-{i:05d}", due) for i, due in
                        enumerate(arrivals(args.learners, args.window, args.arrivals, args.seed))]

            before = meter.snapshot()
            workers_before = {pid: process_cpu(pid) for pid in grade_workers}
            print("\n== burst ==", flush=True)
            complete = run_burst(ctx, learners, args.clients, deadline)
            burst_meter = meter.since(before)
            workers_cpu = {pid: max(0.0, process_cpu(pid) - workers_before[pid]) for pid in grade_workers}
            if complete:
                wait_for_scores(app, platform, deadline)

            summary: dict = {}
            report_load(learners, args.window, warm_flow, summary)
            report_latency(learners)
            report_errors(learners, burst_meter["access"])
            report_server(burst_meter["access"], sum(one.ok for one in learners))
            report_cpu(burst_meter, workers_cpu, sum(one.ok for one in learners))
            report_request_cpu(cpu_per_request(logs / "gunicorn.log", before["log"]),
                               burst_meter["tool"] / 100 * burst_meter["wall"], sum(one.ok for one in learners))
            print(f"\n== memory after the burst (VmRSS, peak VmHWM) ==\n  {meter.worker_memory()}\n  "
                  f"{grade_worker_memory(grade_workers)}")
            scores_ok = report_scores(app, platform, ctx, learners, summary)
            dispose(app)
            all_finished = complete and all(one.ok for one in learners)
            print_summary(args, summary, all_finished, scores_ok)
            if args.profile_flows and deadline - time.monotonic() > 30:
                for proc in grade_procs:   # the profile delivers its own scores, in this process
                    stop_process(proc)
                profile_flows(db_url, args.module, args.profile_flows, 10, stack)
            return all_finished and scores_ok
        except Exception as exc:  # noqa: BLE001 (reported, then everything is cleaned up)
            print(f"\nbench FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            return False
        finally:
            signal.alarm(CLEANUP_RESERVE + 10)  # from here on only cleanup, bounded too


if __name__ == "__main__":
    sys.exit(main())
