"""Catalog pages: the curriculum matrix (pillars × career phases) and the courses."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from elearn.catalog import labels, page_cache
from elearn.catalog.labels import content_lang, pick
from elearn.catalog.models import live_courses
from elearn.catalog.present import modules_by_pillar
from elearn.catalog.schema import PHASES, PILLARS
from elearn.launch.session import current_launch

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


def _filters() -> dict:
    """phase and pillar from the query string; unknown values mean 'all'."""
    phase = request.args.get("phase", "")
    pillar = request.args.get("pillar", "")
    return {"phase": phase if phase in PHASES else "", "pillar": pillar if pillar in PILLARS else ""}


def phase_mark(view, phase: str) -> str:
    """primary | offered | none: how a module sits in one career phase."""
    if view.content.get("primary_phase") == phase:
        return "primary"
    return "offered" if phase in view.content.get("phases", []) else "none"


@bp.get("/")
def index():
    """The curriculum as pillars × career phases, filterable by phase, pillar and language; the
    body from elearn.catalog.page_cache when this process has rendered it for the same key."""
    filters = _filters()
    key = (str(get_locale()), filters["phase"], filters["pillar"], current_launch() is not None,
           page_cache.content_signature())
    body = page_cache.kept(page_cache.bodies(), key, lambda: _render_body(filters))
    return render_template("catalog/index.html", body=body)


def _render_body(filters: dict) -> str:
    """The catalog's content block (matrix, courses), for the request's language and filters."""
    lang = content_lang()
    offered = live_courses()
    grouped = modules_by_pillar(lang, offered)
    live = {view.id: view for views in grouped.values() for view in views}
    rows = {}
    for pillar, views in grouped.items():
        if filters["pillar"] and pillar != filters["pillar"]:
            continue
        rows[pillar] = [v for v in views if not filters["phase"] or filters["phase"] in v.content.get("phases", [])]
    courses = []
    for course in offered:
        if filters["phase"] and course.phase != filters["phase"]:
            continue
        modules = [live[i] for i in course.module_ids if i in live]
        courses.append({"course": course, "title": pick(course.data.get("title"), lang),
                        "summary": pick(course.data.get("summary"), lang),
                        "audience": pick(course.data.get("audience"), lang), "modules": modules,
                        "credits": course.data.get("credits"), "pass_mark": course.data.get("pass_mark")})
    total = sum(len(v) for v in grouped.values())
    shown = sum(len(v) for v in rows.values())
    return render_template("catalog/_body.html", rows=rows, courses=courses, filters=filters, total=total,
                           shown=shown, phases=PHASES, labels=labels, phase_mark=phase_mark)
