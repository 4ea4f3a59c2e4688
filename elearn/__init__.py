"""VBHC Academy: the Flask application factory."""
from __future__ import annotations

import os
import secrets

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from elearn.config import ROOT, Config, DevelopmentConfig


def create_app(config: dict | type | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints and CLI commands."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(DevelopmentConfig if _is_dev_run() else Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _require_secret_key(app)
    if app.config["PROXY_FIX"]:
        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)

    # The factory imports the app's parts when it builds one (Flask's application-factory pattern):
    # importing `elearn` for its config or CLI stays light, and no module needs an app at import.
    from elearn import i18n, notices, refusal, security, unavailable
    from elearn.extensions import csrf, db, limiter, migrate

    import elearn.models  # noqa: F401  (every table registered before migrations look)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()))
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    notices.init_app(app)
    unavailable.init_app(app)
    refusal.init_app(app)

    from elearn.launch import session as launch_session

    launch_session.init_app(app)

    from elearn import main
    from elearn.catalog import views as catalog_views
    from elearn.launch import views as launch_views
    from elearn.learning import views as learning_views
    from elearn.quizzes import views as quiz_views
    from elearn.instructor import views as instructor_views
    from elearn.instructor import picker as picker_views
    from elearn.selfassessment import team_views as selfassessment_team_views
    from elearn.selfassessment import views as selfassessment_views
    from elearn.accreditation import views as accreditation_views
    from elearn.accreditation import admin as accreditation_admin
    from elearn.certificates import views as certificate_views
    from elearn.events import views as event_views
    from elearn.events import admin as _event_admin  # noqa: F401  (its routes join the /admin blueprint)
    from elearn.events import attendance_views as _attendance_views  # noqa: F401  (routes on event_views.bp)

    app.register_blueprint(main.bp)
    app.register_blueprint(launch_views.bp)
    app.register_blueprint(catalog_views.bp)
    app.register_blueprint(learning_views.bp)
    app.register_blueprint(quiz_views.bp)
    app.register_blueprint(instructor_views.bp)
    app.register_blueprint(picker_views.bp)
    app.register_blueprint(selfassessment_views.bp)
    app.register_blueprint(selfassessment_team_views.bp)
    app.register_blueprint(accreditation_views.bp)
    app.register_blueprint(accreditation_admin.bp)
    app.register_blueprint(certificate_views.bp)
    app.register_blueprint(event_views.bp)
    if app.config["DEMO_LMS"]:
        from elearn.demo import views as demo_views

        app.register_blueprint(demo_views.bp)

    from elearn import cli

    cli.init_app(app)
    return app


def _is_dev_run() -> bool:
    """The run script sets VBHC_ENV=development for the embedded default."""
    return os.environ.get("VBHC_ENV", "") == "development"


def _migrations_dir():
    return ROOT / "migrations"


def _require_secret_key(app: Flask) -> None:
    """Refuse to start without a secret in production; derive a stable one for local use."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("TESTING") or app.config.get("DEMO_LMS") or app.debug:
        # A per-checkout random secret kept out of git, so that local sessions survive restarts.
        path = ROOT / "instance" / "secret_key"
        path.parent.mkdir(exist_ok=True)
        if not path.exists():
            path.write_text(secrets.token_hex(32))
        app.config["SECRET_KEY"] = path.read_text().strip()
        return
    raise RuntimeError("SECRET_KEY is not set: set it in the environment (see README, Configuration).")
