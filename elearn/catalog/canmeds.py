"""The CanMEDS roles (the framework Dutch specialty training structures a resident's portfolio by):
the ids module.yaml uses and their names in Dutch and English.

Kept here rather than in the interface catalogue: the names are the framework's own, printed in
portfolio PDFs and certificates, which must come out in the learner's language whatever state the
catalogue is in (as elearn.certificates.texts does for the certificate's words).
"""
from __future__ import annotations

ROLES = {
    "medical-expert": {"nl": "Medisch deskundige", "en": "Medical expert"},
    "communicator": {"nl": "Communicator", "en": "Communicator"},
    "collaborator": {"nl": "Samenwerker", "en": "Collaborator"},
    "leader": {"nl": "Leider", "en": "Leader"},
    "health-advocate": {"nl": "Gezondheidsbevorderaar", "en": "Health advocate"},
    "scholar": {"nl": "Academicus", "en": "Scholar"},
    "professional": {"nl": "Professional", "en": "Professional"},
}
IDS = tuple(ROLES)


def label(role: str, lang: str) -> str:
    """A role's name in nl or en (Dutch for any other language); an unknown id as it is."""
    names = ROLES.get(role)
    if names is None:
        return role
    return names.get(lang) or names["nl"]


def labels(roles: list[str] | None, lang: str) -> list[str]:
    """The names of a module's roles, in the framework's order (so every page lists them alike)."""
    given = set(roles or [])
    return [label(role, lang) for role in IDS if role in given]
