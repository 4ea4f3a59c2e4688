"""The language of a course's gradebook: every column name and score comment of one LMS course is in
the course's language (Context.language), not in the language of whoever placed the module or took
the test; a course that has none yet (older launches) uses the learner's locale, then Dutch."""
from __future__ import annotations

from flask import current_app

from elearn.launch.models import ResourceLink, User


def gradebook_language(link: ResourceLink | None, learner: User | None = None) -> str:
    """nl or en: the course's language, else the learner's locale, else Dutch."""
    context = link.context if link is not None else None
    return language_of(context.language if context else None, learner.locale if learner else None)


def language_of(course_language: str | None, learner_locale: str | None) -> str:
    """The rule of gradebook_language, on the two values (for callers that read them in one query)."""
    languages = current_app.config["LANGUAGES"]
    for candidate in (course_language, learner_locale):
        if candidate in languages:
            return candidate
    return "nl"
