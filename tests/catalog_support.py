"""Planting faults in a copy of the valid course fixture and reading what `courses check` says."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from elearn.catalog.validate import check_directory

VALID = Path(__file__).parent / "fixtures" / "courses_valid"


@pytest.fixture()
def valid_copy(tmp_path) -> Path:
    """A writable copy of the valid fixture."""
    target = tmp_path / "courses"
    shutil.copytree(VALID, target)
    return target


def plant(root: Path, name: str, old: str, new: str) -> int:
    """Replace the first `old` in file `name` by `new`; return the line `old` started on."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def problems(root: Path, severity: str = "error") -> list[str]:
    """Every problem as `courses check` prints it: path:line: message [rule]."""
    return [str(p) for p in check_directory(root).problems.items if p.severity == severity]
