"""gunicorn settings: threads, because a launch may call the LMS (JWKS) while serving."""
import multiprocessing
import os
import re

from gunicorn.glogging import Logger

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 60
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """One control socket (`gunicornc`) per bound address, not gunicorn's single per-user default:
    several instances on one host would each delete and re-create the same socket file, failing
    with "Control server error" and leaving gunicornc talking to whichever started last. An
    explicit --control-socket (or --no-control-socket) is kept."""
    cfg = server.cfg
    if cfg.control_socket_disable or cfg.control_socket != cfg.settings["control_socket"].default:
        return
    address = "_".join(re.sub(r"[^A-Za-z0-9.]+", "-", listener).strip("-") for listener in cfg.bind)
    cfg.set("control_socket", os.path.join(os.path.dirname(cfg.control_socket), f"gunicorn-{address}.ctl"))


# The launch token (`lt`, see elearn.launch.session) is a credential that travels in URLs; the
# access log, its request line, query string and Referer must never keep it.
_LAUNCH_TOKEN = re.compile(r"(?i)((?:^|[?&;])lt=)[^&;\s\"]*")
_TOKEN_HEADERS = ("{x-launch-token}i", "{authorization}i")


def redact_launch_tokens(text):
    """The text with every lt=... query value replaced by lt=[redacted]."""
    if not isinstance(text, str) or "=" not in text:  # most atoms: no query at all, skip the regex
        return text
    return _LAUNCH_TOKEN.sub(r"\1[redacted]", text)


class RedactingLogger(Logger):
    """gunicorn's logger, with launch tokens taken out of every access-log atom."""

    def atoms(self, resp, req, environ, request_time):
        """gunicorn's atoms, redacted (a custom access_log_format may name any of them)."""
        atoms = {key: redact_launch_tokens(value) for key, value in
                 super().atoms(resp, req, environ, request_time).items()}
        for header in _TOKEN_HEADERS:
            if atoms.get(header):
                atoms[header] = "[redacted]"
        return atoms


logger_class = RedactingLogger


# glibc gives each thread that allocates its own malloc arena (up to 8 per core): with 8 request
# threads a worker's freed memory stays spread over arenas it cannot return, and its RSS creeps up
# under load (issue #16: ≤ 120 MB per worker). Two arenas per worker keep that in check; the GIL
# already serialises the allocations of Python code, so little contention is added.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt parameter number (malloc.h)


def post_fork(server, worker):
    """In each worker: cap glibc's malloc arenas (see MALLOC_ARENAS); not glibc (musl): nothing to do."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):
        pass
