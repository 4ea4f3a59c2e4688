"""The database away for a moment (a restart, a failover, a full pool): a 503 page with Retry-After
in the learner's language, instead of a 500 and a traceback. The learner tries again, as they would
anyway; whatever had been committed before is kept, and a submit is recorded once however often it
is pressed (the attempt is finished by one conditional UPDATE)."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, render_template, request
from sqlalchemy import exc as sa_exc

from elearn.extensions import db
from elearn.launch.session import no_launch_unless_loaded

RETRY_AFTER_SECONDS = 5


def database_unavailable(error: BaseException) -> bool:
    """Whether an error means "the database cannot be reached right now" rather than a bug: a driver
    OperationalError (refused, connection closed, server shutting down), a pool timeout, or any
    driver error on a connection SQLAlchemy found dead."""
    return isinstance(error, (sa_exc.OperationalError, sa_exc.TimeoutError)) or (
        isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated)


def gist(error: BaseException) -> str:
    """The driver's error in one line (SQLAlchemy's message runs over several)."""
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"[:300]


def _page(error: Exception):
    """The 503 page; it must not touch the database itself."""
    current_app.logger.warning("database unavailable, answered 503 to %s %s: %s", request.method, request.path,
                               gist(error))
    try:
        db.session.rollback()  # the session is unusable; nothing after this may trip over it
    except sa_exc.SQLAlchemyError:
        pass
    # The launch could not be read: render as for a visitor, or the template's `launch` and
    # url_for would try the database again.
    no_launch_unless_loaded()
    html = render_template("unavailable.html")
    # Who may frame a page is looked up in the database; this one has nothing to act on, so any LMS
    # may show it — else, inside the LMS frame, the learner would see the browser's refusal instead.
    return html, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store",
                       "Content-Security-Policy": "frame-ancestors *"}


def _end_session(exc: BaseException | None) -> None:
    """End the request's session, surviving a connection that died after the answer was ready.

    Flask-SQLAlchemy's own teardown rolls the session back; when the connection is gone by then
    (the database restarted just after a submit committed), that ROLLBACK raises out of the
    request's teardown and the server replaces the finished answer — a recorded submit — with a
    bare 500. The server has rolled back whatever was open already: log it and discard."""
    try:
        db.session.remove()
    except sa_exc.DBAPIError as error:
        if not database_unavailable(error):
            raise
        where = f"{request.method} {request.path}" if has_request_context() else "a task"
        current_app.logger.warning("database connection lost at the end of %s: %s", where, gist(error))
        db.session.remove()  # the connection is invalidated now: this close sends nothing


def init_app(app: Flask) -> None:
    """Answer database outages with the 503 page (other database errors stay 500s: they are bugs).
    Call after db.init_app: teardowns run last-registered first, so _end_session runs before
    Flask-SQLAlchemy's (which then finds nothing left to close)."""
    app.register_error_handler(sa_exc.OperationalError, _page)
    app.register_error_handler(sa_exc.TimeoutError, _page)
    app.teardown_appcontext(_end_session)
