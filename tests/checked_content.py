"""load_directory for the tests' fixture courses, with the check (YAML parsing, every rule) done
once per run for each distinct content: the fixtures load the same few files in hundreds of tests,
and the check took three quarters of their set-up. The loading itself (load_content and commit)
runs every time, as in the product; the check has tests of its own (test_courses_check.py,
test_catalog_loader.py)."""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path

from elearn.catalog.loader import Changes, LoadRefused, load_content
from elearn.catalog.validate import ContentSet, check_directory
from elearn.extensions import db

_CHECKED: dict[str, ContentSet] = {}


def _fingerprint(root: Path) -> str:
    """A digest of every file's relative path and bytes: equal content, equal fingerprint (a copy
    in tmp_path included), any change a different one."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_checked(root: Path | str) -> Changes:
    """Like load_directory(root): refuses content with errors, else loads it and commits."""
    root = Path(root)
    key = _fingerprint(root)
    if key not in _CHECKED:
        result = check_directory(root)
        if not result.ok:
            raise LoadRefused(result)
        _CHECKED[key] = result.content
    # A copy each time, so nothing the loader does to the content carries over to the next test.
    content = copy.deepcopy(_CHECKED[key])
    try:
        changes = load_content(content)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changes
