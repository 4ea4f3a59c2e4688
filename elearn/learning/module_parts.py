"""The fixed parts of a module page — objectives, key points, references with their source list, the
facts beside them — rendered once per process and kept, as the catalog body is (elearn.catalog.
page_cache): they are the same for every learner of one module version, in one content and one
interface language, with or without a launch (the token in their links goes in per request).

The module page is every launch's landing page; these parts are most of its template work (a few
hundred translated strings, resolved lesson links and the source list), and what is left per
request is what differs per learner: progress, answers, events, the certificate, the post-test.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from elearn.catalog import labels, page_cache
from elearn.catalog.models import document_hash
from elearn.catalog.present import ModuleView
from elearn.launch.session import current_launch

NAMES = ("objectives", "key_points", "references", "facts")


def fixed_parts(view: ModuleView) -> dict[str, Markup]:
    """The module page's fixed parts of this view, by name (NAMES)."""
    # Everything they are drawn from: the version's files (its hash), the sources they cite (the
    # sources document's hash), both languages, and whether links carry a launch token.
    key = (view.id, view.module.current_version.content_hash, view.lang, str(get_locale()),
           document_hash("sources"), current_launch() is not None)
    store = page_cache.parts()
    context = {"view": view, "labels": labels, "study_load": view.content.get("study_load")}
    return {name: page_cache.kept(store, (name, *key),
                                  lambda name=name: render_template(f"learning/_module_{name}.html", **context))
            for name in NAMES}
