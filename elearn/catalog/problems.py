"""Problems found in course content: file, line, message and the rule broken."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One finding; `rule` is a stable key such as `quiz.feedback` (see courses/README.md)."""

    path: str
    line: int
    message: str
    rule: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {tag}{self.message} [{self.rule}]"

    def as_dict(self) -> dict:
        """Plain dict for --json output."""
        return asdict(self)


def display_path(path: Path) -> str:
    """The path as a person typed it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


@dataclass
class Problems:
    """Collects problems across all files of one check run."""

    items: list[Problem] = field(default_factory=list)

    def add(self, path: Path, line: int, message: str, rule: str, severity: str = "error") -> None:
        """Record one problem."""
        self.items.append(Problem(display_path(path), max(int(line or 1), 1), message, rule, severity))

    @property
    def errors(self) -> list[Problem]:
        """Only the problems that make the check fail."""
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Findings worth a look that do not fail the check."""
        return [p for p in self.items if p.severity == "warning"]

    def sorted(self) -> list[Problem]:
        """Problems ordered by file, then line, for stable output."""
        return sorted(self.items, key=lambda p: (p.path, p.line, p.rule, p.message))


class FileReporter:
    """Reports problems of one file: `report.error(line, message, rule)`."""

    def __init__(self, problems: Problems, path: Path):
        self.problems = problems
        self.path = path

    def error(self, line: int, message: str, rule: str) -> None:
        """An error in this file."""
        self.problems.add(self.path, line, message, rule)

    def warning(self, line: int, message: str, rule: str) -> None:
        """A warning in this file."""
        self.problems.add(self.path, line, message, rule, severity="warning")
