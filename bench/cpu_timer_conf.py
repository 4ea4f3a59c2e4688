"""gunicorn settings for the benchmarks: the project's gunicorn.conf.py unchanged, plus a CPU timer
per request (bench/burst.py passes it as a second --config; gunicorn keeps the last one).

Each request's CPU time is its worker thread's `time.thread_time()` from gunicorn's pre_request
hook to its post_request hook: the WSGI call, writing the answer and the access log line, and
nothing of the other threads (time spent waiting for the GIL or the database is not CPU). One
line per request goes to the log after the access line:

    CPU <method> <path> <status> <µs>

(path without the query string: launch tokens never reach the log). The tool itself is not
changed: without this file no timer runs.
"""
import sys
import time
from pathlib import Path

_PROJECT_CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_PROJECT_CONFIG.read_text(), str(_PROJECT_CONFIG), "exec"))  # noqa: S102 (our own file)


def pre_request(worker, req):
    req.bench_cpu_started = time.thread_time()


def post_request(worker, req, environ, resp):
    started = getattr(req, "bench_cpu_started", None)
    if started is None:
        return
    micros = int((time.thread_time() - started) * 1e6)
    status = getattr(resp, "status_code", None) or "-"
    # One write of one line: the log is opened for appending, so lines of threads do not mix.
    sys.stdout.write(f"CPU {req.method} {req.path} {status} {micros}\n")
