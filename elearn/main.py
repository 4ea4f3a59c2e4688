"""The front door and the health check."""
from flask import Blueprint, render_template
from sqlalchemy import text

from elearn.extensions import db

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
