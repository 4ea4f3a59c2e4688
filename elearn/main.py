"""The front door, the health check and the launched pages' keep-alive."""
from flask import Blueprint, render_template
from sqlalchemy import text

from elearn.extensions import db
from elearn.launch.session import launch_required

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Landing page: what the tool is and where to go next."""
    return render_template("index.html")


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not (for load balancers)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not healthy"
        db.session.rollback()
        return {"status": "unavailable", "database": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok"}, 200


@bp.post("/session/keepalive")
@launch_required()
def keepalive():
    """The keep-alive script's ping: a token past half its life comes back renewed in the
    X-Launch-Token header (elearn.launch.session), never beyond the launch session's end."""
    return {"status": "ok"}, 200, {"Cache-Control": "no-store"}
