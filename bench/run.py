"""Benchmark: post-test submit latency under concurrency, and grade-outbox delivery throughput.

    .venv/bin/python bench/run.py                      # 100 learners, PostgreSQL, gunicorn
    .venv/bin/python bench/run.py --db sqlite --learners 20
    .venv/bin/python bench/run.py --worker-procs 2     # deliver with `flask grades run` processes

Everything runs on loopback: a fresh database (dropped afterwards), the demolms platform in this
process, the tool under gunicorn in a subprocess. See bench/README.md for what is measured.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402

from common import (PG_ADMIN, REQUEST_TIMEOUT, ROOT, Timeout, create_database,  # noqa: E402,F401
                    dispose, drop_database, free_port, make_app, percentile, prepare_schema, register, spawn,
                    start_gunicorn, stop_process, tool_env)
from common import alarm as _alarm  # noqa: E402

RESOURCE_LINK = "rl-bench"


@dataclass
class Learner:
    """One prepared learner: their browser, launch token and the attempt ready to submit."""

    sub: str
    browser: requests.Session
    lt: str = ""
    attempt_id: int = 0
    token: str = ""


@dataclass
class SubmitResult:
    """One timed submit."""

    start: float
    end: float
    status: int | None
    error: str | None = None
    sub: str = ""
    latency: float = field(init=False)

    def __post_init__(self):
        self.latency = self.end - self.start


# ---------------------------------------------------------------- learners

def _token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    if not match:
        raise RuntimeError(f"no submit token in page: {html[:300]!r}")
    return match.group(1)


def perfect_answers(app, attempt_id: int) -> dict[str, list[str]]:
    """Form values answering every question of the attempt's paper right (read from the database)."""
    from elearn.extensions import db
    from elearn.quizzes.draw import Paper, render_paper
    from elearn.quizzes.models import Attempt
    from elearn.questions import perfect_response, to_form

    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        values: dict[str, list[str]] = {}
        for shown in render_paper(attempt.version.quiz, Paper.from_dict(attempt.paper)):
            values.update(to_form(shown.item, perfect_response(shown.item), shown.order))
        db.session.remove()
        return values


def prepare_learner(app, platform, tool_url: str, module: str, sub: str) -> Learner:
    """Launch, start the post-test and save perfect answers: everything but the submit."""
    from demolms.browser import new_browser

    learner = Learner(sub, new_browser())
    resp = platform.launch(learner.browser, role="learner", user=sub, locale="en",
                           resource_link_id=RESOURCE_LINK, custom={"module": module})
    learner.lt = parse_qs(urlsplit(resp.url).query).get("lt", [""])[0]
    if resp.status_code != 200 or not learner.lt:
        raise RuntimeError(f"launch of {sub}: {resp.status_code} {resp.url} {resp.text[:300]!r}")
    page = learner.browser.post(f"{tool_url}/modules/{module}/post-test", data={"lt": learner.lt},
                                timeout=REQUEST_TIMEOUT)
    found = re.search(r"/post-test/(\d+)", page.url)
    if page.status_code != 200 or not found:
        raise RuntimeError(f"start of {sub}: {page.status_code} {page.url} {page.text[:300]!r}")
    learner.attempt_id = int(found.group(1))
    data = dict(perfect_answers(app, learner.attempt_id), lt=learner.lt, token=_token(page.text))
    review = learner.browser.post(f"{tool_url}/post-test/{learner.attempt_id}", data=data, timeout=REQUEST_TIMEOUT)
    if review.status_code != 200 or "/review" not in review.url:
        raise RuntimeError(f"save of {sub}: {review.status_code} {review.url} {review.text[:300]!r}")
    learner.token = _token(review.text)
    return learner


def prepare_learners(app, platform, tool_url: str, module: str, count: int, parallel: int) -> list[Learner]:
    """`count` learners ready to submit (the first alone, to warm caches, the rest `parallel` at a time)."""
    subs = [f"bench-learner-{i:04d}" for i in range(count)]
    learners = [prepare_learner(app, platform, tool_url, module, subs[0])]
    with ThreadPoolExecutor(parallel) as pool:
        learners += list(pool.map(lambda s: prepare_learner(app, platform, tool_url, module, s), subs[1:]))
    return learners


# ---------------------------------------------------------------- measurements

def submit_all(learners: list[Learner], tool_url: str, keep_connections: bool) -> list[SubmitResult]:
    """All submits at once: one thread per learner, released together by a barrier; only the
    POST is timed (its redirect to the result page is not followed). Unless `keep_connections`,
    each submit opens a new connection, as after the minutes a learner spends on the review page."""
    barrier = threading.Barrier(len(learners))
    if not keep_connections:
        for learner in learners:
            learner.browser.close()  # drops pooled keep-alive connections; the session stays usable

    def submit(learner: Learner) -> SubmitResult:
        barrier.wait(timeout=30)
        start = time.perf_counter()
        try:
            resp = learner.browser.post(f"{tool_url}/post-test/{learner.attempt_id}/submit",
                                        data={"lt": learner.lt, "token": learner.token},
                                        allow_redirects=False, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            return SubmitResult(start, time.perf_counter(), None, f"{type(exc).__name__}: {exc}", learner.sub)
        end = time.perf_counter()
        ok = resp.status_code in (302, 303) and resp.headers.get("Location", "").split("?")[0].endswith("/result")
        return SubmitResult(start, end, resp.status_code,
                            None if ok else f"{resp.status_code} {resp.headers.get('Location')} {resp.text[:400]!r}",
                            learner.sub)

    with ThreadPoolExecutor(len(learners)) as pool:
        return list(pool.map(submit, learners))


def report_submits(results: list[SubmitResult]) -> None:
    """Print count, errors, latency percentiles and throughput of the submits."""
    latencies = [r.latency * 1000 for r in results]
    errors = [r for r in results if r.error]
    span = max(r.end for r in results) - min(r.start for r in results)
    print(f"\n== submit ({len(results)} concurrent) ==")
    print(f"count {len(results)}  errors {len(errors)}")
    print(f"latency ms: p50 {percentile(latencies, 50):.0f}  p95 {percentile(latencies, 95):.0f}  "
          f"p99 {percentile(latencies, 99):.0f}  max {max(latencies):.0f}  mean {statistics.mean(latencies):.0f}")
    print(f"throughput {len(results) / span:.1f} submits/s over {span:.2f} s")
    for kind in sorted({e.error for e in errors})[:5]:
        who = [e.sub for e in errors if e.error == kind]
        print(f"  error x{len(who)}: {kind}  ({', '.join(who[:5])})")


def outbox_counts(app) -> dict[str, int]:
    """Outbox rows by status."""
    from sqlalchemy import func, select

    from elearn.extensions import db
    from elearn.grades.models import GradeDelivery

    with app.app_context():
        counts = dict(db.session.execute(select(GradeDelivery.status, func.count())
                                         .group_by(GradeDelivery.status)).all())
        db.session.remove()
        return counts


def drain(app, args, env: dict, log: Path, stack: ExitStack, expected: int, deadline: float) -> float:
    """Deliver the outbox (in-process deliver_due, or `flask grades run` processes) until no row is
    pending or the deadline passes; returns the seconds it took."""
    from elearn.grades.worker import deliver_due

    start = time.perf_counter()
    if args.worker_procs:
        cmd = [str(Path(sys.executable).with_name("flask")), "--app", "elearn", "grades", "run", "--poll", "0.2"]
        for _ in range(args.worker_procs):
            spawn(cmd, env, log, stack)
    while time.monotonic() < deadline:
        done = {}
        if not args.worker_procs:
            with app.app_context():
                done = deliver_due(limit=args.batch)
        counts = outbox_counts(app)
        if counts.get("pending", 0) == 0 and sum(counts.values()) >= expected:
            break
        if not done:
            time.sleep(0.05)  # nothing due yet (back-off) or the worker processes are at it
    return time.perf_counter() - start


def submitted_subs(app) -> set[str]:
    """Learners whose attempt the database holds as finished (what the platform must receive)."""
    from sqlalchemy import select

    from elearn.extensions import db
    from elearn.launch.models import User
    from elearn.quizzes.models import Attempt

    with app.app_context():
        subs = set(db.session.scalars(select(User.sub).join(Attempt, Attempt.user_id == User.id)
                                      .where(Attempt.finished_at.is_not(None))))
        db.session.remove()
        return subs


def outbox_summary(app) -> tuple[dict[str, int], int, int, set[str]]:
    """(rows by status, rows tried more than once, rows answered 409, learners with a finished
    attempt): what the platform's scores are checked against."""
    from sqlalchemy import func, select

    from elearn.extensions import db
    from elearn.grades.models import GradeDelivery

    counts = outbox_counts(app)
    with app.app_context():
        conflicts = db.session.scalar(select(func.count()).select_from(GradeDelivery)
                                      .where(GradeDelivery.last_status == 409))
        retried = db.session.scalar(select(func.count()).select_from(GradeDelivery).where(GradeDelivery.tries > 1))
        db.session.remove()
    return counts, retried, conflicts, submitted_subs(app)


def report_delivery(app, platform, seconds: float, processes: int) -> bool:
    """Print delivery throughput and what the platform received for the finished attempts;
    True when every one arrived exactly once, in one gradebook column."""
    counts, retried, conflicts, expected = outbox_summary(app)
    scores = platform.scores
    users = [s["userId"] for s in scores]
    received = len(expected & set(users))
    duplicates = len(users) - len(set(users))
    lost = len(expected - set(users))
    columns = {s.lineitem_url for s in scores}
    delivered = counts.get("delivered", 0)
    print("\n== grade delivery ==")
    print(f"outbox {dict(sorted(counts.items()))}  retried {retried}  answered 409 {conflicts}")
    how = f"{processes} `flask grades run` process(es), start-up included" if processes else "deliver_due in-process"
    print(f"delivered {delivered} in {seconds:.2f} s: {delivered / seconds:.1f} deliveries/s ({how})")
    if len(scores) > 1:
        spread = [s.received_at for s in scores]
        span = max(spread) - min(spread)
        print(f"platform received first→last score in {span:.2f} s: {(len(scores) - 1) / span:.1f} scores/s")
    print(f"platform: scores received {received} / {len(expected)} finished attempts  duplicates {duplicates}  "
          f"lost {lost}  unexpected {len(set(users) - expected)}  line items {len(columns)}")
    return bool(expected) and received == len(expected) == len(users) and len(columns) == 1


# ---------------------------------------------------------------- main

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=100, help="concurrent learners (default 100)")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--courses", type=Path, default=ROOT / "courses", help="curriculum directory")
    parser.add_argument("--module", default="care-cycle", help="module whose post-test is taken")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (default 8)")
    parser.add_argument("--prepare-parallel", type=int, default=8, help="learners prepared at once")
    parser.add_argument("--worker-procs", type=int, default=0,
                        help="deliver with N `flask grades run` processes (default 0: deliver_due in-process)")
    parser.add_argument("--batch", type=int, default=20, help="deliver_due claim size (in-process worker)")
    parser.add_argument("--keep-connections", action="store_true",
                        help="submit over the keep-alive connection left from saving (default: a new one)")
    parser.add_argument("--timeout", type=int, default=300, help="overall time budget in seconds")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.timeout
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(args.timeout + 10)  # a hard stop should any step hang; cleanup still runs
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    ok = False
    with ExitStack() as stack:
        try:
            from demolms.testing import PlatformServer

            db_url, database_url = create_database(args.db, stack)
            app = make_app(db_url)
            stack.callback(dispose, app)
            prepare_schema(app, args.courses)
            platform = PlatformServer.start()
            stack.callback(platform.stop)
            port = free_port()  # the tool's URL is known, so both sides are registered before it serves
            register(app, f"http://127.0.0.1:{port}", platform)
            tool_url = start_gunicorn(args, port, database_url, logs / "gunicorn.log", stack)
            print(f"bench: {args.learners} learners, {args.db}, gunicorn -w {args.web_workers} "
                  f"--threads {args.threads} at {tool_url}, module {args.module}, {os.cpu_count()} cores")

            started = time.perf_counter()
            learners = prepare_learners(app, platform, tool_url, args.module, args.learners, args.prepare_parallel)
            print(f"prepared {len(learners)} learners (launched, attempt started and saved) "
                  f"in {time.perf_counter() - started:.1f} s")

            results = submit_all(learners, tool_url, args.keep_connections)
            report_submits(results)
            submitted = sum(1 for r in results if not r.error)
            seconds = drain(app, args, tool_env(database_url), logs / "worker.log", stack, submitted, deadline)
            delivered_ok = report_delivery(app, platform, seconds, args.worker_procs)
            ok = submitted == len(learners) and delivered_ok
        except Exception as exc:
            print(f"\nbench FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            for log in sorted(logs.glob("*.log")):
                tail = [line for line in log.read_text(errors="replace").splitlines() if "GET /" not in line
                        and "POST /" not in line][-30:]
                print(f"--- last lines of {log.name} ---\n" + "\n".join(tail), file=sys.stderr)
        finally:
            signal.alarm(0)
    errors_in_logs = [line for log in logs.glob("*.log") for line in log.read_text(errors="replace").splitlines()
                      if "Traceback" in line or "ERROR" in line]
    if errors_in_logs:
        print(f"\n{len(errors_in_logs)} error lines in the tool's logs ({logs}); first: {errors_in_logs[0]}")
    else:
        shutil.rmtree(logs, ignore_errors=True)
    print("\nresult:", "OK" if ok else "PROBLEMS (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
