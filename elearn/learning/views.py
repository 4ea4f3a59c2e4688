"""Module pages: overview, one page per lesson with next/previous, and 'mark as done'."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from elearn.accreditation.operations import activities_for_module, after_progress
from elearn.accreditation.registers import REGISTERS
from elearn.catalog import labels
from elearn.catalog.models import Module, live_module
from elearn.catalog.present import ModuleView, view_of
from elearn.extensions import db
from elearn.launch.session import current_launch, launch_required
from elearn.learning.guard import require_genuine_form
from elearn.learning.progress import completion, record_lesson

bp = Blueprint("learning", __name__, url_prefix="/modules")


def _module_or_404(module_id: str) -> tuple[Module | None, object]:
    """(module, None) for a live module; (None, 404 response) for a retired or unknown one."""
    module = live_module(module_id)
    if module is not None:
        return module, None
    known = db.session.get(Module, module_id)
    page = render_template("learning/not_found.html", module_id=module_id, retired=known is not None)
    return None, (page, 404)


def _post_test(view: ModuleView) -> dict:
    """What the post-test section shows: number of questions, pass mark, the way in."""
    return {"pass_mark": view.quiz.get("pass_mark"), "items": min(view.quiz.get("draw") or 0, view.item_count),
            "url": url_for("quizzes.start", module_id=view.id)}


def _progress(view: ModuleView):
    """The launched user's completion of this module, or None for anonymous readers."""
    launch = current_launch()
    if launch is None:
        return None
    return completion(launch.user_id, view.id, [lesson["id"] for lesson in view.lessons])


@bp.get("/<module_id>")
def module_page(module_id: str):
    """Overview: objectives, lessons with progress, key points, references, the post-test."""
    module, not_found = _module_or_404(module_id)
    if not_found:
        return not_found
    view = view_of(module)
    return render_template("learning/module.html", view=view, labels=labels, progress=_progress(view),
                           post_test=_post_test(view), accredited=activities_for_module(module.id),
                           registers=REGISTERS)


@bp.get("/<module_id>/lessons/<lesson_id>")
def lesson_page(module_id: str, lesson_id: str):
    """One lesson with previous/next; a launched learner's visit is recorded."""
    module, not_found = _module_or_404(module_id)
    if not_found:
        return not_found
    view = view_of(module)
    found = view.lesson(lesson_id)
    if found is None:
        return render_template("learning/not_found.html", module_id=module_id, lesson_id=lesson_id,
                               view=view, retired=False), 404
    index, lesson = found
    launch = current_launch()
    if launch is not None:
        record_lesson(launch.user_id, module, lesson_id)
    lessons = view.lessons
    return render_template(
        "learning/lesson.html", view=view, labels=labels, lesson=lesson, index=index,
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
        progress=_progress(view), html=view.html(lesson["html"]), cited=view.cited(lesson["html"]))


@bp.post("/<module_id>/lessons/<lesson_id>/done")
@launch_required()
def mark_done(module_id: str, lesson_id: str):
    """Mark a lesson done (form posted with lt), then go on to the next lesson or the post-test."""
    require_genuine_form()
    module, not_found = _module_or_404(module_id)
    if not_found:
        return not_found
    view = view_of(module)
    found = view.lesson(lesson_id)
    if found is None:
        return render_template("learning/not_found.html", module_id=module_id, lesson_id=lesson_id,
                               view=view, retired=False), 404
    record_lesson(current_launch().user_id, module, lesson_id, done=True)
    after_progress(current_launch().user_id, module_id)
    index = found[0]
    if index + 1 < len(view.lessons):
        return redirect(url_for("learning.lesson_page", module_id=module_id, lesson_id=view.lessons[index + 1]["id"]))
    return redirect(url_for("learning.module_page", module_id=module_id, _anchor="post-test"))
