"""One-line notices after a form ("saved"), carried in the redirect URL as `?n=<key>`.

Flask's flash() keeps messages in the session cookie, which LMS iframes often block; a fixed key
in the URL survives anywhere and can only name one of these messages, never inject text.
"""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import lazy_gettext as _l

NOTICES = {
    "claim-saved": ("ok", _l("Your details are saved. Your points are recorded as soon as the rest is done.")),
    "points-recorded": ("ok", _l("Your points are recorded. Your certificate is ready.")),
    "confirm-erase": ("error", _l("Type the word in the box to confirm.")),
    "settings-saved": ("ok", _l("The post-test settings are saved. They apply to attempts started from now on.")),
    "extra-time-saved": ("ok", _l("Extra time saved.")),
    "extra-time-invalid": ("error", _l("Extra time is a multiplier from 1 to 4, for a learner or staff member of this course.")),
    "course-language-saved": ("ok", _l("The course language is saved. New gradebook columns and score comments of this course use it.")),
    "course-language-invalid": ("error", _l("Choose Dutch or English as the course language.")),
    "answer-saved": ("ok", _l("Your answer is saved.")),
    "scores-queued": ("ok", _l("The stopped scores are queued to be sent again.")),
    "round-opened": ("ok", _l("The round is open: the learners of this course can answer it now.")),
    "round-closed": ("ok", _l("The round is closed; its team result is kept.")),
    "team-answers-saved": ("ok", _l("Your answers are saved. You can change them until the round is closed.")),
    "event-enrolled": ("ok", _l("You are enrolled. Add the event to your calendar with the invitation below.")),
    "event-waiting": ("ok", _l("The event is full: you are on the waiting list and move up automatically when a place frees.")),
    "event-cancelled": ("ok", _l("Your enrolment is cancelled.")),
    "event-created": ("ok", _l("The event is saved.")),
}


def redirect_with(notice: str, endpoint: str, **values):
    """Redirect to a page that will show the notice."""
    assert notice in NOTICES, notice
    return redirect(url_for(endpoint, n=notice, **values))


def init_app(app) -> None:
    """`notice` in every template: (category, message) or None."""

    @app.context_processor
    def inject_notice():
        """The notice the URL names, if it is one of ours."""
        return {"notice": NOTICES.get(request.args.get("n", ""))}
