"""The people of a course an instructor can give extra time: the roster the LMS last gave (NRPS) and
everyone who launched in the course, learners and staff (instructors testing the post-test, teaching
assistants) apart. Someone on the roster who never opened the tool gets a user row when given extra
time, so the accommodation is there on their first launch."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from elearn.extensions import db
from elearn.instructor.models import ACTIVE, RosterMember
from elearn.launch.models import Context, LaunchSession, User
from lti.roles import normalise_roles


@dataclass(frozen=True)
class Person:
    """One person of the course, by the platform's user id (`sub`)."""

    sub: str
    name: str
    staff: bool
    launched: bool       # opened the tool in this course at least once
    user_id: int | None


def _sort_key(person: Person) -> tuple:
    """By name, then id: a stable order for the list."""
    return person.name.lower(), person.sub


def course_people(context: Context) -> list[Person]:
    """Roster members (active) and launched users of the course, once each, by name."""
    launched: dict[str, tuple[User, set[str]]] = {}
    for user, roles in db.session.execute(
            select(User, LaunchSession.roles).join(LaunchSession, LaunchSession.user_id == User.id)
            .where(LaunchSession.context_pk == context.id).distinct()):
        launched.setdefault(user.sub, (user, set()))[1].update(filter(None, roles.split(",")))
    members = list(db.session.scalars(select(RosterMember).filter_by(context_pk=context.id, status=ACTIVE)))
    known = {u.sub: u for u in db.session.scalars(select(User).where(   # given extra time before their launch
        User.platform_id == context.platform_id, User.sub.in_([m.sub for m in members if m.sub not in launched])))}
    people: dict[str, Person] = {}
    for member in members:
        user = launched[member.sub][0] if member.sub in launched else known.get(member.sub)
        people[member.sub] = Person(member.sub, member.name or (user.name if user else None) or member.sub,
                                    bool(normalise_roles(member.roles) & {"instructor", "admin"}),
                                    member.sub in launched, user.id if user else None)
    for sub, (user, roles) in launched.items():
        if sub not in people:
            people[sub] = Person(sub, user.name or sub, bool(roles & {"instructor", "admin"}), True, user.id)
    return sorted(people.values(), key=_sort_key)


def user_for(context: Context, person: Person) -> User:
    """The person's user row, made from the roster member when they never launched (caller commits)."""
    if person.user_id is not None:
        return db.session.get(User, person.user_id)
    member = db.session.scalar(select(RosterMember).filter_by(context_pk=context.id, sub=person.sub))
    user = User(platform_id=context.platform_id, sub=person.sub, name=member.name, given_name=member.given_name,
                family_name=member.family_name, email=member.email)
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:     # their first launch made the row meanwhile
        user = db.session.scalar(select(User).filter_by(platform_id=context.platform_id, sub=person.sub))
    return user
