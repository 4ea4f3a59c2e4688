"""Interface names of the curriculum's fixed vocabularies (pillars, phases, modes), translated."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

PILLARS = {
    "principles": _l("Principles"),
    "implementation": _l("Implementation"),
    "preconditions": _l("Preconditions"),
}
PILLAR_QUESTIONS = {
    "principles": _l("What value-based healthcare is"),
    "implementation": _l("How to get from today's care to value-based healthcare"),
    "preconditions": _l("The skills and knowledge that make the transition possible"),
}
PHASES = {
    "A": _l("Basic curriculum"),
    "B": _l("Postgraduate training"),
    "C": _l("Continuing education"),
}

MODES = {
    "online-course": _l("Online course"),
    "workshop": _l("Workshop"),
    "masterclass": _l("Masterclass"),
    "inspiration-visit": _l("Inspiration visit"),
}


def content_lang() -> str:
    """The language course text is shown in: the interface locale (nl or en), Dutch otherwise."""
    locale = str(get_locale() or "nl")
    return locale if locale in ("nl", "en") else "nl"


def pick(text: dict | None, lang: str | None = None) -> str:
    """One language of a {nl, en} field (falls back to the other language, then '')."""
    if not text:
        return ""
    lang = lang or content_lang()
    return text.get(lang) or text.get("nl") or text.get("en") or ""
