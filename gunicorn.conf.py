"""gunicorn settings: threads, because a launch may call the LMS (JWKS) while serving."""
import multiprocessing
import os
import re

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
