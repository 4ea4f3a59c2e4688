"""Deep-linking responses (for the instructor's picker): pylti1p3 builds and signs the JWT."""
from __future__ import annotations

from dataclasses import dataclass, field

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem as PyLineItem
from sqlalchemy.orm import Session

from lti import keys
from lti.models import Platform
from lti.tool_conf import registration_for

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
DATA_CLAIM = DL + "data"


@dataclass(frozen=True)
class ContentItem:
    """One resource link to place in the LMS; a score_maximum makes the platform create a grade column
    (Moodle creates one only when the item carries a lineItem). `extra` adds other properties of
    the content item as the Deep Linking spec names them (e.g. "window")."""

    title: str
    url: str
    custom: dict = field(default_factory=dict)
    score_maximum: float | None = None
    line_item_label: str | None = None
    resource_id: str | None = None
    tag: str | None = None
    text: str | None = None
    extra: dict = field(default_factory=dict)


class _Resource(DeepLinkResource):
    """pylti1p3's resource with the content item's `text` and extra properties (it drops them)."""

    def __init__(self, item: ContentItem):
        self._item = item

    def to_dict(self) -> dict:
        """The content item as it goes into the JWT."""
        data = super().to_dict()
        if self._item.text:
            data["text"] = self._item.text
        data.update(self._item.extra)
        return data


def _resource(item: ContentItem) -> DeepLinkResource:
    """pylti1p3's resource for a content item."""
    resource = _Resource(item).set_title(item.title).set_url(item.url).set_custom_params(dict(item.custom))
    if item.score_maximum is not None:
        line_item = PyLineItem().set_score_maximum(item.score_maximum).set_label(item.line_item_label or item.title)
        if item.resource_id:
            line_item.set_resource_id(item.resource_id)
        if item.tag:
            line_item.set_tag(item.tag)
        resource.set_lineitem(line_item)
    return resource


def response_jwt(session: Session, platform: Platform, deployment_id: str, settings: dict,
                 items: list[ContentItem], *, msg: str | None = None, log: str | None = None,
                 errormsg: str | None = None, errorlog: str | None = None) -> str:
    """The signed LtiDeepLinkingResponse for the chosen items (echoing the request's `data`); an
    empty `items` list is the spec's way to say the user chose nothing (cancel). msg/log (and
    errormsg/errorlog) are shown to the user / logged by the platform."""
    registration = registration_for(platform, keys.signing_key(session))
    deep_link = DeepLink(registration, deployment_id, settings)
    message = deep_link.get_message_jwt([_resource(i) for i in items])
    if settings.get("data") is None:
        message.pop(DATA_CLAIM, None)  # echo data only when the request had some, never as null
    for name, value in (("msg", msg), ("log", log), ("errormsg", errormsg), ("errorlog", errorlog)):
        if value:
            message[DL + name] = value
    return deep_link.encode_jwt(message)
