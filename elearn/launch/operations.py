"""A validated launch becomes rows in elearn: user, context, resource link, launch session."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from elearn.extensions import db
from elearn.i18n import normalise
from elearn.launch.models import Context, LaunchSession, ResourceLink, User
from lti import claims as C
from lti.launch_data import LaunchData
from lti.models import utcnow
from lti.roles import normalise_roles

TOKEN_SALT = "vbhc-launch-token"


def _serializer() -> URLSafeTimedSerializer:
    """Signs launch tokens with the app secret."""
    return URLSafeTimedSerializer(current_app.secret_key, salt=TOKEN_SALT)


@dataclass(frozen=True)
class TokenFacts:
    """What a valid launch token says: its session, when it was signed, and whether it came from
    a launch (fresh from the LMS) or from sliding renewal of an earlier token."""

    session_id: int
    secret: str
    issued_at: datetime
    renewed: bool


def make_token(launch_session: LaunchSession, *, renewed: bool = False) -> str:
    """The signed, short-lived launch token (`lt`) naming a launch session; `renewed` marks one
    issued by sliding renewal rather than by a launch from the LMS."""
    return make_token_for(launch_session.id, launch_session.secret, renewed=renewed)


def make_token_for(session_id: int, secret: str, *, renewed: bool = False) -> str:
    """make_token from the session's id and secret."""
    payload = {"s": session_id, "k": secret}
    if renewed:
        payload["r"] = 1
    return _serializer().dumps(payload)


def read_token_facts(token: str) -> TokenFacts | None:
    """The facts of a token that is authentic and younger than LAUNCH_TOKEN_MAX_AGE, else None."""
    try:
        data, signed = _serializer().loads(token, max_age=current_app.config["LAUNCH_TOKEN_MAX_AGE"],
                                           return_timestamp=True)
        return TokenFacts(int(data["s"]), str(data["k"]), signed, bool(data.get("r")))
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None


def read_token_any_age(token: str) -> tuple[int, str] | None:
    """(session id, secret) from an authentic token however old; never a credential, only to
    tell the learner of an ended session what happened in their language."""
    try:
        data = _serializer().loads(token)
        return int(data["s"]), str(data["k"])
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None


def read_token(token: str) -> tuple[int, str] | None:
    """(session id, secret) from a token that is authentic and young enough, else None."""
    facts = read_token_facts(token)
    return (facts.session_id, facts.secret) if facts else None


def _upsert(model, where: dict, values: dict, *, keep: dict | None = None, overwrite: dict | None = None,
            returning=()):
    """INSERT … ON CONFLICT (the unique `where` columns) DO UPDATE in one statement, RETURNING
    the row's id and the `returning` columns. On a row that exists: `values` that are None leave
    the stored value as it is, `keep` values are written only where the row has none yet,
    `overwrite` values replace it even with None. Core, not the ORM: a launch writes three rows
    and reads back their ids, and the ORM's select, flush and identity map for that cost more
    than the rest of the launch (bench/launch_compare.py). Atomic on both databases, so two first
    launches of one user at once cannot collide."""
    keep, overwrite = keep or {}, overwrite or {}
    statement = _upsert_statement(model.__table__, tuple(where), tuple(values), tuple(keep), tuple(overwrite),
                                  tuple(returning), db.session.get_bind().dialect.name)
    params = {**where, **values, **keep, **overwrite}
    if any(column.onupdate is not None for column in model.__table__.columns):
        params["onupdate_now"] = utcnow()
    return db.session.execute(statement, params).one()


_statements: dict[tuple, object] = {}


def _upsert_statement(table, where: tuple, values: tuple, keep: tuple, overwrite: tuple, returning: tuple,
                      dialect: str):
    """The upsert for these columns, built once per process (building an ON CONFLICT statement
    costs more than running it); values come as bound parameters of the same names."""
    key = (table.name, where, values, keep, overwrite, returning, dialect)
    statement = _statements.get(key)
    if statement is None:
        dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        new = dialect_insert(table).values({name: bindparam(name, type_=table.c[name].type)
                                            for name in where + values + keep + overwrite})
        updates = {name: func.coalesce(new.excluded[name], table.c[name]) for name in values}
        updates.update({name: func.coalesce(table.c[name], new.excluded[name]) for name in keep})
        updates.update({name: new.excluded[name] for name in overwrite})
        for column in table.columns:  # onupdate=utcnow columns (updated_at), as the ORM would set them
            if column.onupdate is not None and column.name not in updates:
                updates[column.name] = bindparam("onupdate_now", type_=column.type)
        statement = (new.on_conflict_do_update(index_elements=list(where), set_=updates)
                     .returning(table.c.id, *(table.c[name] for name in returning)))
        _statements[key] = statement
    return statement


def _text_or_none(value) -> str | None:
    """A claim we keep as text only when the platform sent text (a signed claim can still be odd)."""
    return value if isinstance(value, str) else None


def _module_of(data: LaunchData) -> str | None:
    """The catalog module a link points to (custom parameter `module`)."""
    module = data.custom.get("module")
    return module.strip() if isinstance(module, str) and module.strip() else None


@dataclass(frozen=True)
class RecordedLaunch:
    """What the launch view needs once the launch is stored (read before the commit expires it)."""

    module_id: str | None
    token: str


_INSERT_SESSION = insert(LaunchSession.__table__).returning(LaunchSession.__table__.c.id)


def record_launch(data: LaunchData) -> RecordedLaunch:
    """Store who launched from where, open a launch session, and return it with its token: four
    statements (user, context, link, session) and one commit."""
    now = utcnow()
    locale = normalise(data.locale)
    locale = locale if locale in current_app.config["LANGUAGES"] else None
    user_id, = _upsert(User, {"platform_id": data.platform_id, "sub": data.sub},
                       {"name": data.display_name, "given_name": data.given_name, "family_name": data.family_name,
                        "email": data.email, "locale": locale, "last_launch_at": now})
    context_pk = None
    if data.context_id:
        # The course's language is the first launch's locale, until someone chooses (keep).
        context_pk, = _upsert(Context, {"platform_id": data.platform_id, "context_id": data.context_id},
                              {"title": data.context_title, "label": data.context_label,
                               "nrps_memberships_url": data.nrps_memberships_url,
                               "ags_lineitems_url": data.ags.lineitems if data.ags else None},
                              keep={"language": locale})
    link_pk = module_id = None
    if data.resource_link_id:
        values = {"context_pk": context_pk, "deployment_id": data.deployment_id, "title": data.resource_link_title,
                  "custom": dict(data.custom), "module_id": _module_of(data)}
        overwrite = {}
        if data.ags is not None:
            values["ags_lineitem_url"] = data.ags.lineitem or None
            # Scope and container are what this launch says, even none (a platform that stopped sending them).
            overwrite = {"ags_scope": list(data.ags.scope), "ags_lineitems_url": data.ags.lineitems}
        link_pk, module_id = _upsert(ResourceLink, {"platform_id": data.platform_id, "link_id": data.resource_link_id},
                                     values, overwrite=overwrite, returning=("module_id",))
    roles = normalise_roles(data.roles)
    presentation = data.claims.get(C.LAUNCH_PRESENTATION) or {}
    secret = secrets.token_urlsafe(24)
    session_id = db.session.execute(_INSERT_SESSION, dict(
        secret=secret, user_id=user_id, platform_id=data.platform_id, context_pk=context_pk,
        resource_link_pk=link_pk, deployment_id=data.deployment_id, message_type=data.message_type,
        roles=",".join(sorted(roles)), lti_roles=list(data.roles), locale=locale, module_id=module_id,
        deep_linking_settings=data.deep_linking_settings, for_user=data.for_user,
        return_url=_text_or_none(presentation.get("return_url")) if isinstance(presentation, dict) else None,
        created_at=now, expires_at=now + timedelta(seconds=current_app.config["LAUNCH_SESSION_MAX_AGE"]))
    ).scalar_one()
    recorded = RecordedLaunch(module_id, make_token_for(session_id, secret))
    db.session.commit()
    return recorded
