"""Instructor pages of a placement: results, grade deliveries, quiz settings, extra time, item
statistics (CSV) and the pool as GIFT; and the LTI submission review of one learner's attempt."""
from __future__ import annotations

import io

from flask import Blueprint, Response, abort, current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from elearn import csvsafe
from elearn.catalog.labels import content_lang, pick
from elearn.catalog.models import live_module
from elearn.catalog.present import view_of
from elearn.extensions import db
from elearn.grades.language import gradebook_language
from elearn.grades.outbox import requeue_parked
from elearn.grades.worker import kick_inline
from elearn.instructor import people, roster
from elearn.instructor.forms import CourseLanguageForm, ExtraTimeForm, QuizSettingsForm
from elearn.instructor.models import RosterSync
from elearn.instructor.results import item_analysis, learner_results, placement_summary, problem_deliveries
from elearn.launch.models import Context, LaunchSession, ResourceLink, User
from elearn.launch.session import current_launch, launch_required, read_ids
from elearn.learning import activities as acts, lesson_time
from elearn.launch.form_guard import require_genuine_form
from elearn.learning.views import activities_view
from elearn.notices import redirect_with
from elearn.questions.gift import export_gift
from elearn.questions.messages import QuizError
from elearn.quizzes import attempts as ops
from elearn.quizzes.analysis import to_csv
from elearn.quizzes.models import Attempt, ExtraTime, PlacementSettings
from elearn.quizzes.policy import CountingRule, QuizSettings, ReviewPolicy
from elearn.quizzes.result_page import render_result

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


def _placement() -> tuple[ResourceLink, object]:
    """The instructor's own placement (from the launch) and its live module; 404 otherwise."""
    launch = current_launch()
    link = db.session.get(ResourceLink, launch.resource_link_pk) if launch.resource_link_pk else None
    module = live_module(link.module_id) if link and link.module_id else None
    if module is None:
        abort(404, description="this launch has no module placement")
    return link, module


@bp.get("/results")
@launch_required("instructor")
def results(settings_error: str | None = None):
    """Learners of this placement with attempts, counting score, pass and grade delivery."""
    link, module = _placement()
    version = module.current_version
    settings = ops.settings_for(link, version.quiz)
    stored = db.session.get(PlacementSettings, link.id)
    rows = learner_results(link, settings)
    course_people = _course_people(link)
    extra = {e.user_id: e.multiplier for e in db.session.scalars(select(ExtraTime).filter_by(resource_link_pk=link.id))}
    return render_template(
        "instructor/results.html", link=link, module=module, title=pick(version.content["title"], content_lang()),
        settings=settings, rows=rows, problems=problem_deliveries(link), summary=placement_summary(link, rows),
        custom=stored.values if stored else {}, counting_rules=list(CountingRule), review_policies=list(ReviewPolicy),
        learners=[p for p in course_people if not p.staff], staff=[p for p in course_people if p.staff],
        extra_given=[(p, extra[p.user_id]) for p in course_people if p.user_id in extra],
        pool_size=len(version.quiz.get("items", [])), course_language=gradebook_language(link),
        settings_error=settings_error, work=_learner_work(link, module)), 422 if settings_error else 200


def _course_people(link: ResourceLink) -> list[people.Person]:
    """Learners and staff of the placement's course; the roster is read from the LMS once, the first
    time (later reads happen on the course progress page, so the landing page never waits on the LMS)."""
    context = link.context
    if context is None:
        return []
    if db.session.get(RosterSync, context.id) is None and context.nrps_memberships_url:
        roster.sync(context)
    return people.course_people(context)


def _learner_work(link: ResourceLink, module) -> list[dict]:
    """Per learner of this placement's course: activities answered (of how many) and lesson time."""
    content = module.current_version.content
    total = len(acts.writable(content))
    answers = acts.answers_in_placement(link.id, module.id)
    seconds = lesson_time.seconds_by_user([link.id], module.id)
    return [{"user": user, "done": acts.done_count(content, answers.get(user.id, {})), "total": total,
             "lesson_minutes": lesson_time.minutes(seconds.get(user.id, 0))}
            for user in _context_users(link) if user.id in answers or user.id in seconds]


@bp.get("/learners/<int:user_id>/activities")
@launch_required("instructor")
def learner_activities(user_id: int):
    """One learner's case answers and reflection in this placement, beside the model answers."""
    link, module = _placement()
    answers = acts.answers_of(user_id, link.id, module.id)
    learner = db.session.get(User, user_id)
    if learner is None or not answers or learner.platform_id != current_launch().platform_id:
        abort(404)      # nothing of this learner in this placement (or another course's learner)
    view = view_of(module)
    return render_template("instructor/learner_activities.html", learner=learner, module=module, view=view,
                           title=view.title, activities=activities_view(view, answers, None))


def _context_users(link: ResourceLink) -> list[User]:
    """People who launched in this placement's course."""
    return list(db.session.scalars(select(User).join(LaunchSession, LaunchSession.user_id == User.id)
                                   .where(LaunchSession.context_pk == link.context_pk).distinct()
                                   .order_by(User.family_name, User.name)))


@bp.post("/settings")
@launch_required("instructor")
def save_settings():
    """Attempt limit, wait, counting rule, time limit and review policy for this placement."""
    require_genuine_form()
    link, module = _placement()
    form = QuizSettingsForm()
    try:
        if not form.validate():
            raise ValueError(next(iter(form.errors)))
        values = form.values()
        QuizSettings.from_quiz(module.current_version.quiz, **values)
    except (QuizError, ValueError) as error:
        message = error.translate(_) if isinstance(error, QuizError) else _("Give whole numbers, or leave blank.")
        return results(settings_error=_("The settings were not saved: %(reason)s", reason=message))
    stored = db.session.get(PlacementSettings, link.id) or PlacementSettings(resource_link_pk=link.id)
    stored.values, stored.updated_by = values, current_launch().user_id
    db.session.merge(stored)
    db.session.commit()
    return redirect_with("settings-saved", "instructor.results")


@bp.post("/extra-time")
@launch_required("instructor")
def save_extra_time():
    """Give one person of the course (a learner, or staff testing the post-test) more time: a
    multiplier of the time limit, 1 to 4."""
    require_genuine_form()
    link, _module = _placement()
    form = ExtraTimeForm()
    sub, multiplier = form.person.data, form.factor()
    if not form.validate() or multiplier is None:
        abort(400, description="person and multiplier are required")
    person = next((p for p in people.course_people(link.context) if p.sub == sub), None) if link.context else None
    if person is None or not 1.0 <= multiplier <= 4.0:
        return redirect_with("extra-time-invalid", "instructor.results")
    user_id = people.user_for(link.context, person).id
    row = db.session.scalar(select(ExtraTime).filter_by(resource_link_pk=link.id, user_id=user_id))
    if row is None:
        row = ExtraTime(resource_link_pk=link.id, user_id=user_id)
        db.session.add(row)
    row.multiplier = multiplier
    db.session.commit()
    return redirect_with("extra-time-saved", "instructor.results")


@bp.post("/course-language")
@launch_required("instructor")
def save_course_language():
    """The course's language for gradebook column names and score comments (every placement of it)."""
    require_genuine_form()
    link, _module = _placement()
    lang = CourseLanguageForm().language.data
    if link.context is None or lang not in current_app.config["LANGUAGES"]:
        return redirect_with("course-language-invalid", "instructor.results")
    link.context.language = lang
    db.session.commit()
    return redirect_with("course-language-saved", "instructor.results")


@bp.post("/deliveries/retry")
@launch_required("instructor")
def retry_deliveries():
    """Send this placement's parked scores again."""
    require_genuine_form()
    link, _module = _placement()
    requeue_parked(resource_link_pk=link.id)
    db.session.commit()

    kick_inline()
    return redirect_with("scores-queued", "instructor.results")


@bp.get("/items")
@launch_required("instructor")
def items():
    """Item statistics of first attempts, as Moodle computes them."""
    link, module = _placement()
    version = module.current_version
    analysis = item_analysis(link, module.id)
    prompts = {i["id"]: pick(i.get("prompt"), content_lang()) for i in version.quiz.get("items", [])}
    return render_template("instructor/items.html", analysis=analysis, prompts=prompts, module=module,
                           title=pick(version.content["title"], content_lang()))


@bp.get("/items.csv")
@launch_required("instructor")
def items_csv():
    """The item statistics as CSV (semicolons and decimal commas for a Dutch spreadsheet)."""
    link, module = _placement()
    body = to_csv(item_analysis(link, module.id), decimal_comma=content_lang() == "nl")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{module.id}-item-statistics.csv"'})


@bp.get("/pool.gift")
@launch_required("instructor")
def pool_gift():
    """The module's question pool in Moodle's GIFT format, in the page language."""
    _link, module = _placement()
    lang = content_lang()
    return Response(export_gift(module.current_version.quiz, lang), mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{module.id}-{lang}.gift.txt"'})


@bp.get("/review")
@launch_required()
def submission_review():
    """LtiSubmissionReviewRequest: the counting attempt of the learner named in `for_user`."""
    launch = current_launch()
    row = db.session.get(LaunchSession, read_ids(launch.token)[0])
    sub = (row.for_user or {}).get("user_id") or (row.for_user or {}).get("sub")
    learner = db.session.scalar(select(User).filter_by(platform_id=launch.platform_id, sub=sub)) if sub else None
    if not launch.is_instructor and (learner is None or learner.id != launch.user_id):
        abort(403)
    link, module = _placement()
    attempts = ops.attempts_of(learner.id, link.id, module.id) if learner else []
    counting = ops.settings_for(link, module.current_version.quiz).counting_attempt(attempts)
    if counting is None:
        name = (learner.name if learner else None) or (row.for_user or {}).get("name") or sub
        return render_template("instructor/no_attempt.html", name=name, module=module,
                               title=pick(module.current_version.content["title"], content_lang())), 404
    return render_result(counting, reviewer=True)


def attempt_for_instructor(attempt_id: int) -> Attempt:
    """An attempt of the instructor's own placement (never another course's)."""
    link, _module = _placement()
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.resource_link_pk != link.id:
        abort(404)
    return attempt


@bp.get("/attempts/<int:attempt_id>")
@launch_required("instructor")
def attempt(attempt_id: int):
    """One learner's attempt with answers and feedback, for the instructor."""
    return render_result(attempt_for_instructor(attempt_id), reviewer=True)


def _course() -> Context:
    """The instructor's own LMS course (from the launch); 404 for a launch without one."""
    launch = current_launch()
    context = db.session.get(Context, launch.context_pk) if launch.context_pk else None
    if context is None or context.platform_id != launch.platform_id:
        abort(404, description="this launch has no course")
    return context


@bp.get("/course")
@launch_required("instructor")
def course():
    """The course dashboard: the LMS roster joined with each learner's progress per module."""
    context = _course()
    problem = roster.sync(context)
    sync = db.session.get(RosterSync, context.id)
    modules, rows = roster.course_progress(context)
    lang = content_lang()
    titles = {m.id: pick(m.current_version.content["title"], lang) for m in modules}
    return render_template("instructor/dashboard.html", context=context, modules=modules, rows=rows,
                           titles=titles, counts=roster.stage_counts(modules, rows), stages=roster.STAGES,
                           problem=None if problem == roster.NO_ROSTER_SERVICE else problem,
                           no_roster_service=problem == roster.NO_ROSTER_SERVICE,
                           synced_at=sync.synced_at if sync else None)


@bp.get("/course.csv")
@launch_required("instructor")
def course_csv():
    """The dashboard's table as CSV: one row per learner and module."""
    context = _course()
    modules, rows = roster.course_progress(context)
    out = io.StringIO()
    writer = csvsafe.writer(out, delimiter=";" if content_lang() == "nl" else ",", lineterminator="\n")
    writer.writerow(["user_id", "name", "email", "module", "stage", "score_percent", "attempts", "post_test_minutes",
                     "lesson_minutes", "activities_done", "activities_total", "grade_delivery", "accreditation_recorded"])
    for row in rows:
        for module in modules:
            p = row.modules[module.id]
            writer.writerow([row.member.sub, row.member.name or "", row.member.email or "", module.id, p.stage,
                             "" if p.score is None else f"{p.score:.1f}", p.attempts, p.minutes, p.lesson_minutes,
                             p.activities_done, p.activities_total, p.grade or "", "yes" if p.accredited else "no"])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="course-progress-{context.id}.csv"'})
