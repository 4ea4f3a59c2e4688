"""A validated launch becomes rows in elearn: user, context, resource link, launch session."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

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
    payload = {"s": launch_session.id, "k": launch_session.secret}
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


def _upsert(model, where: dict, values: dict):
    """The row matching `where`, created if missing, with `values` (those not None) applied."""
    row = db.session.scalar(select(model).filter_by(**where))
    if row is None:
        row = model(**where)
        db.session.add(row)
    for key, value in values.items():
        if value is not None:
            setattr(row, key, value)
    return row


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


def record_launch(data: LaunchData) -> RecordedLaunch:
    """Store who launched from where, open a launch session, and return it with its token."""
    now = utcnow()
    locale = normalise(data.locale)
    locale = locale if locale in current_app.config["LANGUAGES"] else None
    user = _upsert(User, {"platform_id": data.platform_id, "sub": data.sub},
                   {"name": data.display_name, "given_name": data.given_name, "family_name": data.family_name,
                    "email": data.email, "locale": locale, "last_launch_at": now})
    context = None
    if data.context_id:
        context = _upsert(Context, {"platform_id": data.platform_id, "context_id": data.context_id},
                          {"title": data.context_title, "label": data.context_label,
                           "nrps_memberships_url": data.nrps_memberships_url,
                           "ags_lineitems_url": data.ags.lineitems if data.ags else None})
        context.language = context.language or locale   # the first launch's locale, until someone chooses
    db.session.flush()
    link = None
    if data.resource_link_id:
        link = _upsert(ResourceLink, {"platform_id": data.platform_id, "link_id": data.resource_link_id},
                       {"context_pk": context.id if context else None, "deployment_id": data.deployment_id,
                        "title": data.resource_link_title, "custom": dict(data.custom)})
        link.module_id = _module_of(data) or link.module_id
        if data.ags is not None:
            link.ags_scope = list(data.ags.scope)
            link.ags_lineitems_url = data.ags.lineitems
            link.ags_lineitem_url = data.ags.lineitem or link.ags_lineitem_url
    db.session.flush()
    roles = normalise_roles(data.roles)
    presentation = data.claims.get(C.LAUNCH_PRESENTATION) or {}
    launch_session = LaunchSession(
        secret=secrets.token_urlsafe(24), user_id=user.id, platform_id=data.platform_id,
        context_pk=context.id if context else None, resource_link_pk=link.id if link else None,
        deployment_id=data.deployment_id, message_type=data.message_type, roles=",".join(sorted(roles)),
        lti_roles=list(data.roles), locale=locale, module_id=link.module_id if link else None,
        deep_linking_settings=data.deep_linking_settings, for_user=data.for_user,
        return_url=_text_or_none(presentation.get("return_url")) if isinstance(presentation, dict) else None,
        created_at=now, expires_at=now + timedelta(seconds=current_app.config["LAUNCH_SESSION_MAX_AGE"]))
    db.session.add(launch_session)
    db.session.flush()
    recorded = RecordedLaunch(launch_session.module_id, make_token(launch_session))
    db.session.commit()
    return recorded
