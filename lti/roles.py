"""LTI role vocabulary → the tool's three roles: learner, instructor, admin."""
from __future__ import annotations

from collections.abc import Iterable

# Context (membership) role names, in every spelling platforms use: LIS v2 full URIs
# (…/membership#Instructor, sub-roles …/membership/Instructor#TeachingAssistant), LTI 1.1 URNs
# (urn:lti:role:ims/lis/Instructor, …/Instructor/TeachingAssistant) and bare short names.
_CONTEXT_ROLES = {
    "learner": "learner", "student": "learner", "member": "learner", "mentor": None,
    "instructor": "instructor", "teachingassistant": "instructor", "contentdeveloper": "instructor",
    "manager": "instructor", "teacher": "instructor", "faculty": "instructor",
    "administrator": "admin",
}
# Institution and system roles count only when they make someone an administrator: being
# faculty somewhere does not make you an instructor of this course.
_INSTITUTION_ADMIN = {"administrator", "sysadmin", "sysSupport".lower()}


def _parts(role: str) -> tuple[str, str, str]:
    """(scope, base role, sub role) of one role string; scope is context/institution/system."""
    role = role.strip()
    lowered = role.lower()
    scope = "context"
    if "/institution/" in lowered or lowered.startswith("urn:lti:instrole:"):
        scope = "institution"
    elif "/system/" in lowered or lowered.startswith("urn:lti:sysrole:"):
        scope = "system"
    if lowered.startswith("urn:lti:"):
        path = role.split(":", 3)[-1]  # ims/lis/Instructor[/TeachingAssistant]
        segments = [s for s in path.split("/") if s]
        if not segments:  # "urn:lti:role:" with nothing after it names no role
            return scope, "", ""
        base = segments[2] if len(segments) > 2 else segments[-1]
        sub = segments[3] if len(segments) > 3 else ""
        return scope, base.lower(), sub.lower()
    if "#" in role:
        before, fragment = role.rsplit("#", 1)
        last_segment = before.rstrip("/").rsplit("/", 1)[-1]
        if last_segment.lower() in ("membership", "person"):  # …/membership#Instructor
            return scope, fragment.lower(), ""
        return scope, last_segment.lower(), fragment.lower()  # …/membership/Instructor#TeachingAssistant
    return scope, role.rsplit("/", 1)[-1].lower(), ""


def normalise_roles(roles: Iterable[str]) -> frozenset[str]:
    """The tool roles of an LTI roles claim; anyone without a recognised role is a learner."""
    found: set[str] = set()
    for role in roles:
        if not isinstance(role, str) or not role.strip():
            continue
        scope, base, sub = _parts(role)
        if scope in ("institution", "system"):
            if base in _INSTITUTION_ADMIN:
                found.add("admin")
            continue
        if sub in ("teachingassistant", "contentdeveloper") or base in ("teachingassistant",):
            found.add("instructor")
            continue
        mapped = _CONTEXT_ROLES.get(base)
        if mapped:
            found.add(mapped)
    return frozenset(found or {"learner"})
