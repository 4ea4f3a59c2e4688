"""Module pages: overview with the learning activities, one page per lesson with next/previous,
'mark as done', the learner's answers to cases and reflection, and the lesson-time heartbeat."""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, url_for
from sqlalchemy import select

from elearn.accreditation.ledger import find_participation
from elearn.accreditation.links import certificate_links
from elearn.accreditation.operations import activities_for_module, after_progress
from elearn.accreditation.registers import REGISTERS
from elearn.catalog import labels
from elearn.catalog.labels import pick
from elearn.catalog.models import Module, ModuleVersion, live_module
from elearn.catalog.present import ModuleView, sources, view_of
from elearn.events.views import module_events
from elearn.extensions import db
from elearn.launch.session import current_launch, launch_required
from elearn.learning import activities as acts
from elearn.learning import lesson_time
from elearn.learning.forms import AnswerForm, BeatForm
from elearn.learning.module_parts import fixed_parts
from elearn.launch.form_guard import require_genuine_form
from elearn.learning.progress import completion, record_lesson
from elearn.notices import redirect_with
from elearn.refusal import Refusal

bp = Blueprint("learning", __name__, url_prefix="/modules")
# A figure is an image, never a document: nothing in it may run or load, even opened on its own.
FIGURE_CSP = "default-src 'none'; sandbox"


def _live_module(module_id: str) -> Module:
    """The live module; a retired or unknown one is refused with the module-not-found page (404)."""
    module = live_module(module_id)
    if module is not None:
        return module
    known = db.session.get(Module, module_id)
    raise Refusal(404, "module_retired" if known is not None else "module_not_found",
                  template="learning/not_found.html", module_id=module_id, retired=known is not None)


def _lesson_of(view: ModuleView, module_id: str, lesson_id: str):
    """(index, lesson) of the module's lesson; an unknown lesson is refused with the lesson-not-found page."""
    found = view.lesson(lesson_id)
    if found is None:
        raise Refusal(404, "lesson_not_found", template="learning/not_found.html", module_id=module_id,
                      lesson_id=lesson_id, view=view, retired=False)
    return found


def _post_test(view: ModuleView) -> dict:
    """What the post-test section shows: number of questions, pass mark, the way in."""
    return {"pass_mark": view.quiz.get("pass_mark"), "items": min(view.quiz.get("draw") or 0, view.item_count),
            "url": url_for("quizzes.start", module_id=view.id)}


def _answers(view: ModuleView) -> dict:
    """The launched learner's answers to this module's activities in this placement, by id."""
    launch = current_launch()
    if launch is None or not acts.writable(view.content):   # older content: no query at all
        return {}
    return acts.answers_of(launch.user_id, launch.resource_link_pk, view.id)


def _progress(view: ModuleView, answers: dict | None = None):
    """The launched user's completion of this module, or None for anonymous readers."""
    launch = current_launch()
    if launch is None:
        return None
    return completion(launch.user_id, view.id, [lesson["id"] for lesson in view.lessons],
                      [a.id for a in acts.writable(view.content)], _answers(view) if answers is None else answers)


def next_step(view: ModuleView, progress) -> dict:
    """Where "continue" leads once the lessons are read, in the module page's order: the learning
    activities while some are unanswered, then the post-test (its start page when this launch's
    placement is the module's, since only there does it count; else the module page's section)."""
    activities = acts.writable(view.content)
    if activities and (progress is None or progress.activities_done < progress.activities_total):
        return {"kind": "activities", "url": url_for("learning.module_page", module_id=view.id, _anchor="activities")}
    launch = current_launch()
    if launch is not None and launch.module_id == view.id:
        return {"kind": "post-test", "url": url_for("quizzes.start", module_id=view.id)}
    return {"kind": "post-test", "url": url_for("learning.module_page", module_id=view.id, _anchor="post-test")}


def _source_name(doc: str, known: dict, lang: str) -> str:
    """A source document's title, or a literature entry's reference, or its id."""
    entry = known.get(doc) or {}
    return pick(entry.get("title"), lang) or entry.get("reference") or doc


def activities_view(view: ModuleView, answers: dict, refused: dict | None) -> dict | None:
    """What the activities part of the module page shows, in the page language; None without
    activities. `refused`: {id, message, text} of an answer sent back, to show with what was typed."""
    data = acts.of_content(view.content)
    if data is None:
        return None
    lang, known = view.lang, sources()

    def writable(item: dict, kind: str) -> dict:
        """One case or the reflection, with the learner's answer and any refusal."""
        shown = {"id": item["id"], "kind": kind, "minutes": item.get("minutes"), "answer": answers.get(item["id"]),
                 "refused": refused if refused and refused["id"] == item["id"] else None}
        if kind == "case":
            shown.update(title=pick(item.get("title"), lang), situation=view.html(pick(item.get("situation"), lang)),
                         task=view.html(pick(item.get("task"), lang)),
                         model_answer=view.html(pick(item.get("model_answer"), lang)),
                         sources=[{"name": _source_name(s["doc"], known, lang), "section": s.get("section")}
                                  for s in item.get("sources") or []])
        else:
            shown["prompt"] = view.html(pick(item.get("prompt"), lang))
        return shown

    return {"cases": [writable(case, "case") for case in data.get("cases") or []],
            "reflection": writable(data["reflection"], "reflection") if data.get("reflection") else None,
            "further_reading": [dict(item, why=pick(item.get("why"), lang)) for item in data.get("further_reading") or []],
            "max_chars": acts.MAX_ANSWER_CHARS}


def _participation(module: Module) -> dict | None:
    """The launched learner's certificate of participation of this module ({code, completed_on, links}),
    {} while the module is not complete, None for anonymous readers."""
    launch = current_launch()
    if launch is None:
        return None
    record = find_participation(module.id, launch.user_id)
    if record is None:
        return {}
    return {"code": record.record_code, "completed_on": record.payload.get("completed_on"),
            "links": certificate_links(record.record_code)}


def _render_module(module: Module, refused: dict | None = None):
    """The module page (with an answer sent back when `refused` names one)."""
    view = view_of(module)
    answers = _answers(view)
    launch = current_launch()
    seconds = lesson_time.seconds_of(launch.user_id, module.id) if launch else None
    progress = _progress(view, answers)
    return render_template("learning/module.html", view=view, labels=labels, fixed=fixed_parts(view), progress=progress,
                           next_step=next_step(view, progress),
                           post_test=_post_test(view), accredited=activities_for_module(module.id),
                           registers=REGISTERS, activities=activities_view(view, answers, refused),
                           lesson_minutes=None if seconds is None else lesson_time.minutes(seconds),
                           can_answer=bool(launch and launch.resource_link_pk), participation=_participation(module),
                           events=module_events(module.id))


@bp.get("/<module_id>")
def module_page(module_id: str):
    """Overview: objectives, lessons with progress, key points, activities, references, the post-test."""
    module = _live_module(module_id)
    return _render_module(module)


@bp.post("/<module_id>/activities/<activity_id>")
@launch_required()
def save_answer(module_id: str, activity_id: str):
    """Store the learner's answer to a case or the reflection (again: replace it), then show it."""
    require_genuine_form()
    module = _live_module(module_id)
    activity = acts.find(module.current_version.content, activity_id)
    if activity is None:     # not an activity of this module's current version
        abort(404, description="this module has no such case or reflection")
    launch = current_launch()
    if launch.resource_link_pk is None:
        abort(400, description="answers are kept per placement; this launch has none")
    form = AnswerForm()
    if not form.validate():
        refused = {"id": activity.id, "message": " ".join(form.answer.errors), "text": form.typed()}
        return _render_module(module, refused), 422
    acts.save_answer(launch.user_id, launch.resource_link_pk, module.id, activity, form.answer.data)
    after_progress(launch.user_id, module_id)
    return redirect_with("answer-saved", "learning.module_page", module_id=module_id, _anchor=f"activity-{activity.id}")


@bp.post("/<module_id>/lessons/<lesson_id>/beat")
@launch_required()
def lesson_beat(module_id: str, lesson_id: str):
    """A visible lesson page's heartbeat: credit the time since the learner's previous beat (capped)."""
    require_genuine_form()
    module = _live_module(module_id)
    if view_of(module).lesson(lesson_id) is None:
        abort(404, description="this module has no such lesson")
    launch = current_launch()
    if launch.resource_link_pk is None:
        return jsonify(credited=0, seconds=0)     # time is kept per placement; nothing to keep it under
    form = BeatForm()
    if not form.validate():
        return jsonify(error=" ".join(form.start.errors)), 422
    credited = lesson_time.beat(launch.user_id, launch.resource_link_pk, module.id, start=form.starts())
    return jsonify(credited=credited, seconds=lesson_time.seconds_of(launch.user_id, module.id))


@bp.get("/<module_id>/lessons/<lesson_id>")
def lesson_page(module_id: str, lesson_id: str):
    """One lesson with previous/next; a launched learner's visit is recorded."""
    module = _live_module(module_id)
    view = view_of(module)
    found = _lesson_of(view, module_id, lesson_id)
    index, lesson = found
    launch = current_launch()
    if launch is not None:
        record_lesson(launch.user_id, module, lesson_id)
    lessons = view.lessons
    progress = _progress(view)
    return render_template(
        "learning/lesson.html", view=view, labels=labels, lesson=lesson, index=index,
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
        next_step=next_step(view, progress),
        progress=progress, html=view.html(lesson["html"]), cited=view.cited(lesson["html"]),
        beat_seconds=lesson_time.BEAT_SECONDS)


@bp.get("/<module_id>/v<int:number>/figures/<name>")
def figure(module_id: str, number: int, name: str):
    """One figure of one loaded version of a live module, from the version content (never the disk)."""
    if live_module(module_id) is None:
        abort(404)
    version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == module_id,
                                                               ModuleVersion.number == number))
    svg = (version.content.get("figures") or {}).get(name) if version is not None else None
    if svg is None:
        abort(404)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = FIGURE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # A version's content never changes (it is named by its hash), so its figures may be kept.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.post("/<module_id>/lessons/<lesson_id>/done")
@launch_required()
def mark_done(module_id: str, lesson_id: str):
    """Mark a lesson done (form posted with lt), then go on to the next lesson, or after the last one
    to the next step: the learning activities still to do, else the post-test."""
    require_genuine_form()
    module = _live_module(module_id)
    view = view_of(module)
    found = _lesson_of(view, module_id, lesson_id)
    record_lesson(current_launch().user_id, module, lesson_id, done=True)
    after_progress(current_launch().user_id, module_id)
    index = found[0]
    if index + 1 < len(view.lessons):
        return redirect(url_for("learning.lesson_page", module_id=module_id, lesson_id=view.lessons[index + 1]["id"]))
    return redirect(next_step(view, _progress(view))["url"])
