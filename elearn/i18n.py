"""Languages: Dutch and English, chosen from the launch, then the user, then the browser."""
from flask import Flask, current_app, g, request, session
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale

from elearn.extensions import babel


def select_locale() -> str:
    """The launch's locale wins (the LMS knows the learner), then ?lang=, then Accept-Language."""
    languages = _languages()
    for candidate in (
        getattr(g, "locale", None),
        request.args.get("lang"),
        session.get("lang"),
    ):
        code = normalise(candidate)
        if code in languages:
            return code
    return request.accept_languages.best_match(languages) or languages[0]


def normalise(value: str | None) -> str | None:
    """'nl-NL', 'nl_BE', 'EN' → 'nl' / 'en'; None for nothing usable."""
    if not value:
        return None
    return value.replace("_", "-").split("-")[0].strip().lower() or None


def _languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def init_app(app: Flask) -> None:
    """Bind Flask-Babel and give templates the locale and formatting helpers."""
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def remember_chosen_language():
        lang = normalise(request.args.get("lang"))
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang

    @app.context_processor
    def locale_helpers():
        return {
            "current_locale": lambda: str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
            "format_date": format_date,
            "format_datetime": format_datetime,
            "format_decimal": format_decimal,
            "format_percent": format_percent,
            "languages": app.config["LANGUAGES"],
        }
