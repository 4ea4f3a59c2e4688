"""The deep-linking picker: an instructor's LtiDeepLinkingRequest lands here, they choose modules
from the catalog, and the tool posts a signed LtiDeepLinkingResponse back to the LMS.

Works without JavaScript: the filters and the choices are one form, so that choices ticked so far
survive a filter change (the filter buttons submit it with GET, the add button with POST).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import update

from elearn.catalog import canmeds, labels
from elearn.catalog.schema import MODES, PHASES
from elearn.extensions import db
from elearn.instructor.deeplinking import DeepLinkSettings, content_item
from elearn.instructor.picker_catalog import PickerFilters, picker_catalog
from elearn.instructor.picker_form import PickerForm
from elearn.launch.models import Context, LaunchSession
from elearn.launch.session import current_launch, launch_required, read_ids
from elearn.launch.urls import tool_url
from elearn.launch.form_guard import form_is_genuine
from elearn.refusal import Refusal
from lti import claims as C
from lti.deep_link import response_jwt
from lti.models import Platform

bp = Blueprint("picker", __name__, url_prefix="/picker")
NO_STORE = {"Cache-Control": "no-store"}


def _deep_link_session() -> LaunchSession | None:
    """The launch session behind this request's token, if it is a deep-linking request."""
    launch = current_launch()
    row = db.session.get(LaunchSession, read_ids(launch.token)[0])
    if row is None or row.message_type != C.DEEP_LINKING_REQUEST or not row.deep_linking_settings:
        return None
    return row


def _back_to_course(row: LaunchSession | None, message: str) -> str | None:
    """The LMS's 'back to the course' URL (launch_presentation.return_url) carrying our message."""
    url = row.return_url if row else None
    if not url or not url.lower().startswith(("https://", "http://")):
        return None
    return url + ("&" if "?" in url else "?") + urlencode({"lti_errormsg": message})


class PickerRefused(Refusal):
    """Why there is nothing to choose here, on the picker's own page (no response goes to the LMS)."""

    def __init__(self, kind: str, status: int, settings: DeepLinkSettings | None = None,
                 back: str | None = None) -> None:
        super().__init__(status, kind, template="instructor/picker_refused.html", headers=NO_STORE,
                         kind=kind, settings=settings, return_url=back)


def _picker_page(row: LaunchSession, settings: DeepLinkSettings, filters: PickerFilters, chosen: list[str],
                 error=None, status: int = 200):
    """The picker: filters, the matrix, the modules with their details, the choice."""
    catalog = picker_catalog(filters)
    shown_ids = {v.id for v in catalog.shown}
    hidden_chosen = [catalog.by_id[i] for i in chosen if i in catalog.by_id and i not in shown_ids]
    context = db.session.get(Context, row.context_pk) if row.context_pk else None
    page = render_template(
        "instructor/picker.html", catalog=catalog, filters=filters, settings=settings, chosen=chosen,
        hidden_chosen=hidden_chosen, error=error, labels=labels, phases=PHASES, modes=MODES,
        roles=[(role, canmeds.label(role, labels.content_lang())) for role in canmeds.IDS],
        course_title=context.title if context else None)
    return page, status, NO_STORE


def _guarded() -> tuple[LaunchSession, DeepLinkSettings]:
    """(launch session, settings) for a picker request; PickerRefused when there is nothing to choose."""
    row = _deep_link_session()
    if row is None:
        raise PickerRefused("not_deep_linking", 400)
    settings = DeepLinkSettings(row.deep_linking_settings)
    if not settings.has_return_url:
        raise PickerRefused("no_return_url", 400)
    if not settings.offers_links:
        back = _back_to_course(row, _("VBHC Academy could not add modules here: the LMS accepts no LTI links in this place."))
        raise PickerRefused("no_link_type", 409, settings, back)
    return row, settings


def _guarded_post() -> tuple[LaunchSession, DeepLinkSettings]:
    """As `_guarded`, for a posted form, which must also be the picker's own (lt or CSRF token)."""
    if not form_is_genuine():
        raise PickerRefused("forged_form", 400)
    return _guarded()


def _course_language() -> str | None:
    """The picker's default course language: the course's own (Context.language), else the instructor's."""
    launch = current_launch()
    context = db.session.get(Context, launch.context_pk) if launch.context_pk else None
    return (context.language if context else None) or launch.locale


def _remember_course_language(lang: str) -> None:
    """The course language chosen when placing modules becomes the course's, for every gradebook
    column and score comment (committed with the deep-linking answer)."""
    launch = current_launch()
    context = db.session.get(Context, launch.context_pk) if launch.context_pk else None
    if context is not None:
        context.language = lang


@bp.get("/")
@launch_required("instructor")
def index():
    """The picker for this deep-linking launch (filters and ticked choices from the query string)."""
    row, settings = _guarded()
    form = PickerForm(formdata=request.args, settings=settings)
    return _picker_page(row, settings, form.filters(_course_language()), form.ticked())


def _answer_once(row: LaunchSession, settings: DeepLinkSettings, items, msg: str | None, choice: str) -> str | None:
    """The signed response for this launch's one answer: made and kept on the first send; the same
    choice again gets the same token (a platform refuses its nonce a second time, so a modules
    placed once stay placed once); another choice gets None."""
    if row.deep_link_response is None:
        platform = db.session.get(Platform, row.platform_id)
        token = response_jwt(db.session, platform, row.deployment_id, settings.claim, items, msg=msg)
        claimed = db.session.execute(
            update(LaunchSession).where(LaunchSession.id == row.id, LaunchSession.deep_link_response.is_(None))
            .values(deep_link_choice=choice, deep_link_response=token)).rowcount
        db.session.commit()  # also keeps a signing key created just now
        if claimed:
            return token
        db.session.refresh(row)  # a parallel send of this launch answered first
    return row.deep_link_response if row.deep_link_choice == choice else None


def _send_page(row: LaunchSession, settings: DeepLinkSettings, items, msg: str | None, titles: list[str],
               choice: str):
    """The signed response, auto-posted to the LMS as the JWT form field (a button without JavaScript)."""
    token = _answer_once(row, settings, items, msg, choice)
    if token is None:
        back = _back_to_course(row, _("The modules were already sent to your course."))
        raise PickerRefused("already_answered", 409, settings, back)
    page = render_template("instructor/picker_send.html", return_url=settings.return_url, jwt=token,
                           titles=titles, cancelled=not items)
    return page, 200, NO_STORE


@bp.post("/choose")
@launch_required("instructor")
def choose():
    """Check the choice against the platform's settings and the catalog, then send it."""
    row, settings = _guarded_post()
    form = PickerForm(settings=settings)
    filters = form.filters(_course_language())
    if not form.validate():     # the choice is refused: the page again, with the filters and ticks kept
        return _picker_page(row, settings, filters, form.ticked(), error=" ".join(form.module.errors),
                            status=form.refused_status)
    modules = form.modules
    launch_url = tool_url("launch.launch")
    items = [content_item(m, filters.course_lang, launch_url, settings) for m in modules]
    _remember_course_language(filters.course_lang)
    msg = ngettext("%(num)d module from VBHC Academy was added.", "%(num)d modules from VBHC Academy were added.",
                   len(items))
    choice = filters.course_lang + ":" + ",".join(m.id for m in modules)
    return _send_page(row, settings, items, msg, [i.title for i in items], choice)


@bp.post("/cancel")
@launch_required("instructor")
def cancel():
    """Add nothing: an empty content_items response, which the spec allows, so the LMS closes the dialog."""
    row, settings = _guarded_post()
    return _send_page(row, settings, [], _("No modules were added."), [], "cancel")
