"""Deep linking for the picker: the LMS's deep_linking_settings read once, the instructor's choice
checked against them and the catalog, and one `ltiResourceLink` content item per chosen module."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale, gettext, lazy_gettext as _l

from elearn.catalog.models import Module, live_module
from elearn.catalog.present import ModuleView, view_of
from elearn.extensions import db
from elearn.grades.delivery import TAG as POST_TEST_TAG  # the grade code finds columns by resourceId + this tag
from lti.deep_link import ContentItem

RESOURCE_LINK = "ltiResourceLink"
SCORE_MAXIMUM = 100
# A window name of our own, for platforms that only open links in a new window.
WINDOW_TARGET = "vbhc-academy"

# What each content item type of the Deep Linking spec is, for the page that says none fits.
TYPE_NAMES = {
    "ltiResourceLink": _l("LTI activity (resource link)"),
    "link": _l("Web link"),
    "file": _l("File"),
    "html": _l("HTML fragment"),
    "image": _l("Image"),
}


def _flag(value, default: bool) -> bool:
    """A settings boolean as platforms send it: true/false or the strings "true"/"false"."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "")
    return bool(value)


@dataclass(frozen=True)
class DeepLinkSettings:
    """The platform's deep_linking_settings claim, with the spec's defaults filled in."""

    claim: dict

    @property
    def return_url(self) -> str:
        """Where the signed response is posted (deep_link_return_url)."""
        url = self.claim.get("deep_link_return_url")
        return url if isinstance(url, str) else ""   # a signed claim can still be malformed

    @property
    def has_return_url(self) -> bool:
        """A return URL the browser can post to (never a javascript: or data: URL)."""
        return self.return_url.lower().startswith(("https://", "http://"))

    @property
    def accept_types(self) -> list[str]:
        """The content item types the platform takes."""
        types = self.claim.get("accept_types") or []
        if isinstance(types, str):
            return [types]
        return [t for t in types if isinstance(t, str)] if isinstance(types, list) else []

    @property
    def offers_links(self) -> bool:
        """Whether the platform takes the one type the tool offers: LTI resource links."""
        return RESOURCE_LINK in self.accept_types

    @property
    def accept_multiple(self) -> bool:
        """Several items in one response, unless the platform says false."""
        return _flag(self.claim.get("accept_multiple"), True)

    @property
    def auto_create(self) -> bool:
        """Whether the platform creates the items without asking the instructor again."""
        return _flag(self.claim.get("auto_create"), False)

    @property
    def accept_lineitem(self) -> bool:
        """Whether the platform makes gradebook columns from an item's lineItem (absent: assume yes)."""
        return _flag(self.claim.get("accept_lineitem"), True)

    @property
    def window_only(self) -> bool:
        """The platform opens links only in a new window, not in an iframe."""
        targets = self.claim.get("accept_presentation_document_targets") or []
        if not isinstance(targets, list):
            return False
        return bool(targets) and "iframe" not in targets and "window" in targets

    def type_names(self) -> list[tuple[str, object]]:
        """(type, readable name) of every accepted type."""
        return [(t, TYPE_NAMES.get(t, t)) for t in self.accept_types]


class ChoiceRefused(Exception):
    """The instructor's choice cannot be sent; `message` says why, `status` is the HTTP status."""

    def __init__(self, code: str, message, status: int = 400):
        super().__init__(code)
        self.code, self.message, self.status = code, message, status


def chosen_modules(module_ids: list[str], settings: DeepLinkSettings) -> list[Module]:
    """The live modules named by the choice, in the order chosen; ChoiceRefused when the choice is
    empty, holds more modules than the platform takes, or names an unknown or retired module."""
    ids = list(dict.fromkeys(i.strip() for i in module_ids if i.strip()))
    if not ids:
        raise ChoiceRefused("none_chosen", _l("Choose at least one module, or cancel to add nothing."))
    if len(ids) > 1 and not settings.accept_multiple:
        raise ChoiceRefused("one_only", _l(
            "Your LMS accepts only one item at a time here, and you chose %(num)s. Choose one module; "
            "nothing was sent to your LMS.", num=len(ids)))
    modules = []
    for module_id in ids:
        module = live_module(module_id)
        if module is None:
            if db.session.get(Module, module_id) is not None:
                raise ChoiceRefused("retired_module", _l(
                    "The module “%(id)s” has been retired and can no longer be added. Nothing was sent to your LMS.",
                    id=module_id))
            raise ChoiceRefused("unknown_module", _l(
                "There is no module “%(id)s” in the catalog. Nothing was sent to your LMS.", id=module_id))
        modules.append(module)
    return modules


def post_test_label(view: ModuleView) -> str:
    """The gradebook column's name in the course language (the grade code uses the same words)."""
    with force_locale(view.lang):
        return gettext("Post-test: %(module)s", module=view.title)


def content_item(module: Module, lang: str, launch_url: str, settings: DeepLinkSettings) -> ContentItem:
    """One LTI resource link opening the module, titled in the course language, with a gradebook
    column for its post-test when the module has one and the platform takes line items."""
    view = view_of(module, lang)
    graded = view.item_count > 0 and settings.accept_lineitem
    return ContentItem(
        title=view.title, text=view.summary, url=launch_url, custom={"module": module.id},
        score_maximum=SCORE_MAXIMUM if graded else None, line_item_label=post_test_label(view) if graded else None,
        resource_id=module.id if graded else None, tag=POST_TEST_TAG if graded else None,
        extra={"window": {"targetName": WINDOW_TARGET}} if settings.window_only else {})
