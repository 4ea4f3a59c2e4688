"""A learner's portfolio: every module they completed (their participation records), with date,
score, CanMEDS roles, hours of study and their own reflection, for a resident's training portfolio.

Read from the ledger (the records) and the learner's answers (the reflection texts); nothing is
stored for it. After erasure there is nothing left to show: the records no longer name the person
and the answers are gone (elearn.privacy).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from sqlalchemy import select

from elearn.accreditation import ledger
from elearn.accreditation.models import LedgerEntry, RecordSubject
from elearn.catalog import canmeds
from elearn.catalog.labels import pick
from elearn.catalog.models import Module
from elearn.extensions import db
from elearn.learning.models import ActivityResponse


@dataclass
class Item:
    """One completed module as the portfolio shows it, in one language."""

    code: str
    module_id: str
    title: str
    completed_on: date | None
    percent: float | None
    roles: list[str]
    study_minutes: int
    reflection_prompt: str = ""      # plain text of the module's reflection question
    reflection: str | None = None    # the learner's own answer, when they wrote one


@dataclass
class Portfolio:
    """Everything completed, and the totals a training portfolio asks for."""

    name: str
    items: list[Item] = field(default_factory=list)

    @property
    def study_minutes(self) -> int:
        """The study load of every completed module together."""
        return sum(item.study_minutes for item in self.items)

    def minutes_by_role(self, lang: str) -> list[tuple[str, int]]:
        """(role name, minutes of study of the modules serving it), in the framework's order."""
        totals = []
        for role in canmeds.IDS:
            name = canmeds.label(role, lang)
            minutes = sum(item.study_minutes for item in self.items if name in item.roles)
            if minutes:
                totals.append((name, minutes))
        return totals


def _reflection(user_id: int, module_id: str) -> str | None:
    """The learner's latest reflection text on the module (in any placement)."""
    return db.session.scalar(select(ActivityResponse.text).where(
        ActivityResponse.user_id == user_id, ActivityResponse.module_id == module_id,
        ActivityResponse.kind == "reflection").order_by(ActivityResponse.updated_at.desc()).limit(1))


def _prompt(module_id: str, lang: str) -> str:
    """The module's reflection question as plain text (its current version), or ''."""
    module = db.session.get(Module, module_id)
    version = module.current_version if module is not None else None
    reflection = ((version.content.get("activities") or {}).get("reflection") or {}) if version else {}
    return Markup(pick(reflection.get("prompt"), lang)).striptags()


def portfolio_of(user_id: int, lang: str, fallback_name: str = "") -> Portfolio:
    """The learner's portfolio: their participation records that still name them, oldest first."""
    entries = list(db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.user_id == user_id, LedgerEntry.kind == "record", LedgerEntry.module_id.is_not(None))
        .order_by(LedgerEntry.seq)))
    portfolio = Portfolio(name=fallback_name)
    for entry in entries:
        facts = ledger.current_facts(entry.record_code) or {}
        subject = db.session.get(RecordSubject, entry.record_code)
        if facts.get("erased") or subject is None:
            continue
        portfolio.name = subject.subject.get("name") or portfolio.name
        completed = facts.get("completed_on")
        portfolio.items.append(Item(
            code=entry.record_code, module_id=entry.module_id, title=pick(facts.get("activity_title"), lang),
            completed_on=date.fromisoformat(completed) if completed else None, percent=facts.get("post_test_percent"),
            roles=canmeds.labels(facts.get("canmeds"), lang), study_minutes=int(facts.get("study_load_minutes") or 0),
            reflection_prompt=_prompt(entry.module_id, lang), reflection=_reflection(user_id, entry.module_id)))
    return portfolio
