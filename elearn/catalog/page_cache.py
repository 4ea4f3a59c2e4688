"""The catalog page's body, rendered once per process for each (language, filters, content) and
served to every launch with that launch's token put in.

The curriculum matrix is the same for every learner: it depends on the interface language, the
phase and pillar filters, whether a launch is present (its token in every link and the filter
form) and on what is loaded. Rendering it costs ~300 translated strings and ~100 url_for calls;
the body is rendered with a placeholder for the launch token (elearn.launch.session.
placeholder_token) and kept, keyed by the loaded content's hashes (one small query), so a new
load of courses/ is a new key and a kept body cannot go stale. The page around it (header,
language switch, the learner's name, the keep-alive script with its CSP nonce) is rendered per
request as before.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from flask import current_app
from markupsafe import Markup
from sqlalchemy import String, cast, literal, select, union_all

from elearn.catalog.cache import HashCache
from elearn.catalog.models import Course, Module, ModuleVersion
from elearn.extensions import db
from elearn.launch.session import TOKEN_PLACEHOLDER, current_launch, placeholder_token

# 2 languages × 4 phase × 4 pillar filters × with/without a launch, a catalog body is ~60 kB.
BODIES_KEPT = 64


# The fixed parts of module pages (elearn.learning.module_parts), kept one entry per part: 4 parts
# × 20 modules × 2 content languages × 2 interface languages × with/without a launch, a few kB each.
PARTS_KEPT = 4 * 20 * 2 * 2 * 2


def bodies() -> HashCache:
    """This app's kept bodies (per app: URLs and settings are the app's)."""
    return current_app.extensions.setdefault("vbhc_catalog_bodies", HashCache(BODIES_KEPT))


def parts() -> HashCache:
    """This app's kept module page parts."""
    return current_app.extensions.setdefault("vbhc_module_parts", HashCache(PARTS_KEPT))


def kept(store: HashCache, key: tuple, render: Callable[[], str]) -> Markup:
    """What `render()` draws, rendered once per `key` with the launch token as a placeholder and
    kept in `store`; served with this request's launch token put in. The key must name everything
    the drawing depends on but the launch token (language, content hashes, whether a launch is there)."""
    body = store.get(key)
    if body is None:
        with placeholder_token():
            body = str(render())
        store.put(key, body)
    launch = current_launch()
    return Markup(body.replace(TOKEN_PLACEHOLDER, launch.token) if launch is not None else body)


# One statement: every live module with its current version's hash and its row's pillar and
# phases, then every live course with its hash and phase.
_CONTENT = union_all(
    select(literal("m"), Module.id, Module.pillar, Module.primary_phase, cast(Module.phases, String),
           ModuleVersion.content_hash)
    .join(ModuleVersion, ModuleVersion.id == Module.current_version_id).where(Module.retired_at.is_(None)),
    select(literal("c"), Course.id, Course.phase, literal(""), literal(""), Course.content_hash)
    .where(Course.retired_at.is_(None)))


def content_signature() -> str:
    """A digest of what the catalog shows (one narrow select, built once)."""
    rows = sorted(tuple(row) for row in db.session.execute(_CONTENT))
    return hashlib.sha256(repr(rows).encode()).hexdigest()
