"""The demo people and course: who launches when a test or the demo page names no one."""
from __future__ import annotations

PEOPLE: dict[str, dict] = {
    "learner-1": {"sub": "learner-1", "name": "Sanne de Vries", "given_name": "Sanne",
                  "family_name": "de Vries", "email": "sanne.devries@example.org", "role": "learner"},
    "learner-2": {"sub": "learner-2", "name": "Daan Bakker", "given_name": "Daan",
                  "family_name": "Bakker", "email": "daan.bakker@example.org", "role": "learner"},
    "learner-3": {"sub": "learner-3", "name": "Fatima El Amrani", "given_name": "Fatima",
                  "family_name": "El Amrani", "email": "fatima.elamrani@example.org", "role": "learner"},
    "instructor-1": {"sub": "instructor-1", "name": "Dr. Marieke Visser", "given_name": "Marieke",
                     "family_name": "Visser", "email": "marieke.visser@example.org", "role": "instructor"},
    "instructor-2": {"sub": "instructor-2", "name": "Joost Smit", "given_name": "Joost",
                     "family_name": "Smit", "email": "joost.smit@example.org", "role": "instructor"},
    "admin-1": {"sub": "admin-1", "name": "Anouk Mulder", "given_name": "Anouk",
                "family_name": "Mulder", "email": "anouk.mulder@example.org", "role": "admin"},
}

DEFAULT_FOR_ROLE = {"learner": "learner-1", "instructor": "instructor-1", "ta": "instructor-2",
                    "admin": "admin-1"}

DEMO_COURSE = {"id": "course-1", "label": "VBHC-101", "title": "Waardegedreven zorg / Value-based healthcare"}


def resolve_user(user, role) -> dict:
    """None → the default person for the role; 'learner-2' → that person (or sub only); a dict as given."""
    if isinstance(user, dict):
        if not user.get("sub"):
            raise ValueError("a user dict needs at least 'sub'")
        return {k: v for k, v in user.items() if k != "role"}
    if user is None:
        first = role if isinstance(role, str) else (list(role)[0] if role else "learner")
        user = DEFAULT_FOR_ROLE.get(str(first).lower(), "learner-1")
    person = PEOPLE.get(str(user))
    if person:
        return {k: v for k, v in person.items() if k != "role"}
    return {"sub": str(user)}
