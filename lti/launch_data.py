"""A validated launch as a plain dataclass: who, where, what, and which services."""
from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from lti import claims as C


NAME_LIMIT = 255   # the longest display name the tool keeps


@dataclass(frozen=True)
class AgsEndpoint:
    """The launch's Assignment and Grade Services claim."""

    scope: tuple[str, ...]
    lineitems: str | None
    lineitem: str | None


@dataclass(frozen=True)
class LaunchData:
    """Everything a validated launch tells the tool."""

    platform_id: int
    client_id: str
    issuer: str
    deployment_id: str
    message_type: str
    sub: str
    roles: tuple[str, ...]
    target_link_uri: str
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    locale: str | None = None
    context_id: str | None = None
    context_title: str | None = None
    context_label: str | None = None
    resource_link_id: str | None = None
    resource_link_title: str | None = None
    resource_link_description: str | None = None
    custom: dict = field(default_factory=dict)
    ags: AgsEndpoint | None = None
    nrps_memberships_url: str | None = None
    deep_linking_settings: dict | None = None
    for_user: dict | None = None
    launch_id: str = ""
    claims: dict = field(default_factory=dict)

    @property
    def display_name(self) -> str | None:
        """The name to greet the user with, from whatever the platform shared; cut to the length
        of a name (users.name): given + family name, or the email it falls back on, can be longer."""
        joined = " ".join(p for p in (self.given_name, self.family_name) if p)
        name = self.name or joined or self.email
        return name[:NAME_LIMIT] if name else name


def _text(value) -> str | None:
    """A non-empty string claim, else None."""
    return value.strip() or None if isinstance(value, str) else None


def launch_data_from_claims(platform_id: int, client_id: str, body: dict, launch_id: str = "") -> LaunchData:
    """Read the claims of a validated id_token into LaunchData."""
    context = body.get(C.CONTEXT) if isinstance(body.get(C.CONTEXT), dict) else {}
    link = body.get(C.RESOURCE_LINK) if isinstance(body.get(C.RESOURCE_LINK), dict) else {}
    presentation = body.get(C.LAUNCH_PRESENTATION) if isinstance(body.get(C.LAUNCH_PRESENTATION), dict) else {}
    custom = body.get(C.CUSTOM) if isinstance(body.get(C.CUSTOM), dict) else {}
    ags_claim = body.get(C.AGS_ENDPOINT) if isinstance(body.get(C.AGS_ENDPOINT), dict) else None
    nrps = body.get(C.NRPS) if isinstance(body.get(C.NRPS), dict) else {}
    ags = None
    if ags_claim is not None:
        scope = ags_claim.get("scope") if isinstance(ags_claim.get("scope"), list) else []
        ags = AgsEndpoint(tuple(str(s) for s in scope), _text(ags_claim.get("lineitems")),
                          _text(ags_claim.get("lineitem")))
    return LaunchData(
        platform_id=platform_id, client_id=client_id, issuer=body["iss"],
        deployment_id=body[C.DEPLOYMENT_ID], message_type=body[C.MESSAGE_TYPE], sub=body["sub"],
        roles=tuple(r for r in body.get(C.ROLES, []) if isinstance(r, str)),
        target_link_uri=body[C.TARGET_LINK_URI], name=_text(body.get("name")),
        given_name=_text(body.get("given_name")), family_name=_text(body.get("family_name")),
        email=_text(body.get("email")), locale=_text(presentation.get("locale")) or _text(body.get("locale")),
        context_id=_text(context.get("id")), context_title=_text(context.get("title")),
        context_label=_text(context.get("label")), resource_link_id=_text(link.get("id")),
        resource_link_title=_text(link.get("title")), resource_link_description=_text(link.get("description")),
        custom={str(k): v for k, v in custom.items()}, ags=ags,
        nrps_memberships_url=_text(nrps.get("context_memberships_url")),
        deep_linking_settings=body.get(C.DL_SETTINGS) if isinstance(body.get(C.DL_SETTINGS), dict) else None,
        for_user=body.get(C.FOR_USER) if isinstance(body.get(C.FOR_USER), dict) else None,
        launch_id=launch_id, claims=body,
    )


def with_browser_locale(data: LaunchData, accept_languages, languages: Iterable[str]) -> LaunchData:
    """The launch with the browser's language as its locale when the platform sent none.

    launch_presentation.locale is optional (LTI 1.3 §5.4.4, "Launch presentation claim") and Open
    edX's consumer and lti1p3platform never send it, while Canvas, Moodle and Brightspace do. The
    browser that posted the id_token is the learner's, so its Accept-Language (a werkzeug
    LanguageAccept, best match among the tool's `languages`) is the next best evidence; a locale
    the platform did send always wins."""
    if data.locale:
        return data
    best = accept_languages.best_match(list(languages)) if accept_languages else None
    return replace(data, locale=best) if best else data


def unverified_locale(id_token: str | None) -> str | None:
    """The launch locale of a token we may have refused, for speaking the learner's language."""
    try:
        payload = id_token.split(".")[1]
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        presentation = body.get(C.LAUNCH_PRESENTATION) or {}
        locale = presentation.get("locale") or body.get("locale")
        return locale if isinstance(locale, str) else None
    except Exception:  # anything undecodable simply has no locale
        return None
