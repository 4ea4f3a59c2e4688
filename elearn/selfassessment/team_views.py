"""The team self-assessment over time, inside an LMS course: rounds opened and closed by an instructor,
answered privately by the course's learners, and the team's results drawn over each other."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from elearn.catalog.labels import content_lang
from elearn.launch.session import current_launch, launch_required
from elearn.launch.form_guard import require_genuine_form
from elearn.notices import redirect_with
from elearn.refusal import Refusal
from elearn.selfassessment import rounds as ops
from elearn.selfassessment.forms import RoundForm
from elearn.selfassessment.scoring import WEAK_BELOW, recommended_modules, read_answers, score
from elearn.selfassessment.views import loaded_definition

bp = Blueprint("selfassessment_team", __name__, url_prefix="/self-assessment/team")


def _team() -> int:
    """The launch's LMS course (the team); a launch from outside a course has none to assess."""
    launch = current_launch()
    if launch.context_pk is None:
        abort(404, description="this launch has no LMS course")
    return launch.context_pk


def _history(definition: dict, rounds: list, lang: str) -> dict:
    """The shown rounds (latest SHOWN_ON_RADAR), the changes between the last two, the weak domains."""
    shown = [r for r in rounds if ops.shown(r)][-ops.SHOWN_ON_RADAR:]
    results = [(r, ops.team_result(definition, r, lang)) for r in shown]
    improved, declined = ops.changes(results[-2][1], results[-1][1]) if len(results) >= 2 else ([], [])
    weak = []
    if results:
        for domain in (d for d in results[-1][1] if d.weak):
            weak.append({"domain": domain, "modules": recommended_modules(domain.modules, lang),
                         "events": ops.upcoming_events_for_modules(domain.modules, current_launch().context_pk)})
    radar = {"labels": [d.title for d in results[0][1]] if results else [],
             "datasets": [{"label": f"{r.title} ({r.held_on.isoformat()})", "values": [d.percent for d in result]}
                          for r, result in results],
             "legend": True}
    return {"shown": results, "improved": improved, "declined": declined, "weak": weak, "radar": radar,
            "change_points": ops.change_points()}


def _render(definition: dict, status: int = 200, **extra):
    """The team page of the launch's role."""
    launch, lang = current_launch(), content_lang()
    team = _team()
    rounds = ops.rounds_of(team)
    open_round = next((r for r in rounds if r.closed_at is None), None)
    counts = {r.id: (r.aggregate["respondents"] if r.aggregate else ops.respondent_count(r.id)) for r in rounds}
    mine = {} if launch.is_instructor else {r.id: ops.own_answer(r.id, launch.user_id) for r in rounds}
    own = mine.get(open_round.id) if open_round else None
    values = {"definition": definition, "lang": lang, "rounds": list(reversed(rounds)), "open_round": open_round,
              "counts": counts, "mine": mine, "answers": own.answers if own else {}, "missing": [],
              "min_respondents": ops.min_respondents(), "weak_below": WEAK_BELOW, "form": {}, "errors": {},
              "history": _history(definition, rounds, lang), "shown": ops.shown}
    values.update(extra)
    return render_template("selfassessment/team.html", **values), status


class TeamRefusal(Refusal):
    """A round action the rules refuse, answered with the team page itself: the sentence above the rounds,
    and what the person typed (`kept`: the round form, the answers) still in the form."""

    def __init__(self, status: int, code: str, message, definition: dict, **kept) -> None:
        super().__init__(status, code, template="selfassessment/team.html", **kept)
        self.definition, self.sentence = definition, message

    @classmethod
    def of(cls, error: ops.RoundError, definition: dict, **kept) -> "TeamRefusal":
        """The refusal of a round operation's RoundError."""
        return cls(error.status, error.code, error.message, definition, **kept)

    def response(self):
        """The team page of the launch's role, drawn as for any other answer, with the refusal's sentence."""
        page, status = _render(self.definition, self.status, errors={"round": self.sentence}, **self.context)
        return page, status, self.headers


@bp.get("")
@launch_required()
def team():
    """Instructor: open or close a round, the rounds and the team's results. Learner: answer, own rounds."""
    definition, _hash = loaded_definition()
    return _render(definition)


@bp.post("/rounds")
@launch_required("instructor")
def open_round():
    """Open a round for the course (title and date); the form comes back with its errors."""
    definition, definition_hash = loaded_definition()
    require_genuine_form()
    launch = current_launch()
    team = _team()
    form = RoundForm()
    values = form.page_values()
    if not form.validate():
        return _render(definition, 422, form=values, errors=form.page_errors())
    try:
        ops.open_round(team, launch.user_id, form.title.data, form.held_on_date(), definition_hash)
    except ops.RoundError as exc:
        raise TeamRefusal.of(exc, definition, form=values) from None
    return redirect_with("round-opened", "selfassessment_team.team")


@bp.post("/rounds/<int:round_id>/close")
@launch_required("instructor")
def close_round(round_id: int):
    """Close the course's open round, freezing its team result."""
    definition, _hash = loaded_definition()
    require_genuine_form()
    row = ops.round_in(_team(), round_id)
    if row is None:
        abort(404)
    try:
        ops.close_round(row, definition)
    except ops.RoundError as exc:
        raise TeamRefusal.of(exc, definition) from None
    return redirect_with("round-closed", "selfassessment_team.team")


@bp.post("/rounds/<int:round_id>/answers")
@launch_required("learner")
def answer(round_id: int):
    """A learner's answers to the open round (replacing their earlier ones in it)."""
    definition, _hash = loaded_definition()
    require_genuine_form()
    launch = current_launch()
    row = ops.round_in(_team(), round_id)
    if row is None:
        abort(404)
    if launch.is_instructor:
        raise TeamRefusal(403, "instructors_do_not_answer", _("Instructors open and close rounds; the learners of "
                                                              "the course answer them."), definition)
    answers, missing = read_answers(definition, request.form)
    if missing:
        return _render(definition, 422, answers=answers, missing=missing)
    try:
        ops.save_answer(row, launch.user_id, answers, {r.id: r.percent for r in score(definition, answers, content_lang())})
    except ops.RoundError as exc:
        raise TeamRefusal.of(exc, definition, answers=answers) from None
    return redirect_with("team-answers-saved", "selfassessment_team.team")


@bp.get("/rounds/<int:round_id>")
@launch_required()
def round_page(round_id: int):
    """One round: the team's result per domain and question when shown; a learner also sees their own answers."""
    definition, _hash = loaded_definition()
    launch, lang = current_launch(), content_lang()
    row = ops.round_in(_team(), round_id)
    if row is None:
        abort(404)
    # Only ever the requesting person's own answers: no parameter names anyone else.
    mine = None if launch.is_instructor else ops.own_answer(row.id, launch.user_id)
    return render_template(
        "selfassessment/round.html", definition=definition, lang=lang, round=row, mine=mine,
        own=score(definition, mine.answers, lang) if mine else None, shown=ops.shown(row),
        team=ops.team_result(definition, row, lang) if ops.shown(row) else None,
        respondents=row.aggregate["respondents"] if row.aggregate else ops.respondent_count(row.id),
        min_respondents=ops.min_respondents(), weak_below=WEAK_BELOW)
