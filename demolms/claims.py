"""LTI 1.3 claim names, role vocabularies and the id_token builders (pure functions)."""
from __future__ import annotations

import time
import uuid

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
TOOL_PLATFORM = LTI + "tool_platform"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
CUSTOM = LTI + "custom"
LIS = LTI + "lis"
FOR_USER = LTI + "for_user"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
DL_LOG = "https://purl.imsglobal.org/spec/lti-dl/claim/log"
DL_ERRORMSG = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"
DL_ERRORLOG = "https://purl.imsglobal.org/spec/lti-dl/claim/errorlog"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
SUBMISSION_REVIEW_REQUEST = "LtiSubmissionReviewRequest"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST, SUBMISSION_REVIEW_REQUEST)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = [SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE]
ALL_SCOPES = AGS_SCOPES + [SCOPE_NRPS]

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

# Short role names used by tests and the demo pages, and the full LIS URIs an LMS sends.
ROLE_URIS: dict[str, list[str]] = {
    "learner": [MEMBERSHIP + "Learner", INSTITUTION + "Student"],
    "instructor": [MEMBERSHIP + "Instructor", INSTITUTION + "Faculty"],
    "ta": [MEMBERSHIP + "Instructor#TeachingAssistant", MEMBERSHIP + "Instructor"],
    "admin": [MEMBERSHIP + "Administrator", INSTITUTION + "Administrator", SYSTEM + "Administrator"],
    "contentdeveloper": [MEMBERSHIP + "ContentDeveloper"],
    "mentor": [MEMBERSHIP + "Mentor"],
    "guest": [INSTITUTION + "Guest"],
}

ID_TOKEN_LIFETIME = 300


def role_uris(role) -> list[str]:
    """'learner' / ['instructor', 'ta'] / full URIs / None → the list of LIS role URIs."""
    if role is None or role == "":
        return []
    names = [role] if isinstance(role, str) else list(role)
    uris: list[str] = []
    for name in names:
        for uri in ROLE_URIS.get(name.lower(), [name]) if "://" not in name else [name]:
            if uri not in uris:
                uris.append(uri)
    return uris


def context_roles(uris: list[str]) -> list[str]:
    """Only the context (membership) roles of a role list, as NRPS reports them."""
    return [u for u in uris if u.startswith(MEMBERSHIP)]


def user_claims(user: dict) -> dict:
    """sub plus whichever personal claims the user record has (a 'no PII' user has only sub)."""
    claims = {"sub": str(user["sub"])}
    for key in ("name", "given_name", "family_name", "middle_name", "email", "picture"):
        if user.get(key):
            claims[key] = user[key]
    return claims


def base_claims(*, issuer: str, client_id: str, deployment_id: str, nonce: str | None,
                message_type: str, user: dict, roles: list[str], locale: str | None,
                target_link_uri: str, platform_info: dict) -> dict:
    """Claims every LTI message from this platform carries."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "azp": client_id,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "nonce": nonce or uuid.uuid4().hex,
        MESSAGE_TYPE: message_type,
        VERSION: "1.3.0",
        DEPLOYMENT_ID: deployment_id,
        TARGET_LINK_URI: target_link_uri,
        ROLES: roles,
        TOOL_PLATFORM: platform_info,
    }
    if locale:
        claims["locale"] = locale
    claims.update(user_claims(user))
    return claims


def context_claim(context: dict) -> dict:
    """The context claim of a course."""
    return {"id": context["id"], "label": context.get("label") or context["id"],
            "title": context.get("title") or context["id"], "type": [COURSE_OFFERING]}


def resource_link_claim(link: dict) -> dict:
    """The resource_link claim of a placed link."""
    claim = {"id": link["id"]}
    for key in ("title", "description"):
        if link.get(key):
            claim[key] = link[key]
    return claim


def launch_presentation(locale: str | None, return_url: str, target: str = "iframe") -> dict:
    """Where and how the tool is shown, and where 'back to the course' goes."""
    claim = {"document_target": target, "return_url": return_url}
    if locale:
        claim["locale"] = locale
    return claim


def ags_claim(lineitems_url: str, lineitem_url: str | None, scopes=None) -> dict:
    """The AGS endpoint claim: scopes, the container, and the link's own line item if any."""
    claim = {"scope": list(scopes or AGS_SCOPES), "lineitems": lineitems_url}
    if lineitem_url:
        claim["lineitem"] = lineitem_url
    return claim


def nrps_claim(memberships_url: str) -> dict:
    """The Names and Role Provisioning Services claim."""
    return {"context_memberships_url": memberships_url, "service_versions": ["2.0"]}


DL_DEFAULT_ACCEPT_TYPES = ("ltiResourceLink", "link")


def deep_linking_settings(return_url: str, data: str, *, accept_types=None, targets=None,
                          accept_multiple: bool = True, auto_create: bool = True, accept_lineitem: bool = True,
                          title: str | None = None, text: str | None = None) -> dict:
    """The deep_linking_settings claim of an LtiDeepLinkingRequest."""
    claim = {
        "deep_link_return_url": return_url,
        "accept_types": list(DL_DEFAULT_ACCEPT_TYPES if accept_types is None else accept_types),
        "accept_presentation_document_targets": list(targets or ["iframe", "window"]),
        "accept_multiple": accept_multiple,
        "accept_lineitem": accept_lineitem,
        "auto_create": auto_create,
        "data": data,
    }
    if title:
        claim["title"] = title
    if text:
        claim["text"] = text
    return claim
