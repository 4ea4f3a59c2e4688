"""Demo LMS pages: pick who you are and what to open, a course page framing the tool, a gradebook.

The LTI platform endpoints themselves (auth, token, JWKS, AGS, NRPS, deep links, registration)
come from demolms and are mounted below /demo by the nested blueprint `demo.lms`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from demolms.people import DEFAULT_FOR_ROLE, PEOPLE
from demolms.server import Hooks, create_platform_blueprint
from elearn.demo import gradebook
from elearn.demo.modules import grouped_by_pillar, module_choices, module_title
from elearn.demo.setup import COURSE_ID, current_client_id, current_platform, origin_of
from elearn.extensions import csrf
from elearn.i18n import normalise

bp = Blueprint("demo", __name__, url_prefix="/demo")
csrf.exempt(bp)  # tools post deep-link responses here cross-site; signed JWTs protect them
LMS_ROLES = {"student": "learner", "instructor": "instructor"}


@dataclass(frozen=True)
class Choice:
    """Who launches, in which language, into what (all carried in the query string)."""

    role: str = "student"
    person: str = "learner-1"
    lang: str = "nl"
    module: str | None = None
    link: str | None = None
    lang_chosen: bool = True    # False: the language follows the browser, so links leave lang= out

    def args(self, **changes) -> dict:
        """Query arguments for url_for, without empty values; other keywords (mode=…) are added."""
        fields = {k: v for k, v in changes.items() if k in self.__dataclass_fields__}
        extra = {k: v for k, v in changes.items() if k not in fields}
        values = asdict(replace(self, **fields))
        if not values.pop("lang_chosen") and "lang" not in changes:
            values.pop("lang")
        return {k: v for k, v in dict(values, **extra).items() if v}


def read_choice(args) -> Choice:
    """The choice in the query string, with unknown values replaced by defaults."""
    role = args.get("role") if args.get("role") in LMS_ROLES else "student"
    person = args.get("person") if args.get("person") in PEOPLE else DEFAULT_FOR_ROLE[LMS_ROLES[role]]
    lang = normalise(args.get("lang"))
    chosen = lang in current_app.config["LANGUAGES"]
    if not chosen:   # not chosen here: the page's own language (chosen earlier, else the browser's)
        lang = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return Choice(role, person, lang, args.get("module") or None, args.get("link") or None, lang_chosen=chosen)


def _deep_link_done(platform, record):
    """After content selection: back to the course page, which now lists the new links."""
    target = url_for("demo.course", role="instructor", person=record.get("user_id") or "instructor-1",
                     added=len(record["links"]), msg=record.get("errormsg") or record.get("msg") or None)
    return render_template("demo/back_to_course.html", target=target, message=record.get("msg"))


def _return_page(platform, context_id):
    """The tool's 'back to the course' (launch_presentation.return_url)."""
    message = request.args.get("lti_errormsg") or request.args.get("lti_msg")
    target = url_for("demo.course", msg=message[:300] if message else None)
    return render_template("demo/back_to_course.html", target=target, message=message)


bp.register_blueprint(create_platform_blueprint(
    current_platform, name="lms", hooks=Hooks(deep_link_done=_deep_link_done, return_page=_return_page)))


@bp.get("/")
def index():
    """Pick a role, a language, a person and a module, then launch."""
    choice = read_choice(request.args)
    platform = current_platform()
    pillars = {"principles": _("Principles"), "implementation": _("Implementation"),
               "preconditions": _("Preconditions"), None: _("Other modules")}
    return render_template("demo/index.html", choice=choice, people=PEOPLE, person=PEOPLE[choice.person],
                           modules=module_choices(choice.lang), platform=platform, pillars=pillars,
                           grouped=grouped_by_pillar(module_choices(choice.lang)),
                           client_id=current_client_id(), tool=platform.tool(current_client_id()))


def _placed_links(platform, choice: Choice) -> list[dict]:
    """The course's content for its sidebar, in the page's language: items an instructor added by
    deep linking (oldest first), then modules placed by launching them here — the one being opened
    now included, though its resource link is made only when the frame launches it."""
    stored = platform.store.list_links(COURSE_ID)
    added = sorted((link for link in stored if link.get("from_deep_link")), key=lambda link: link.get("created_at", 0))
    launched = {(link.get("custom") or {}).get("module") for link in stored
                if link["id"] == f"demo-{(link.get('custom') or {}).get('module')}"}
    if choice.module and not choice.link:
        launched.add(choice.module)
    items = []
    for link in added:
        module = (link.get("custom") or {}).get("module")
        items.append({"title": (module and module_title(module, choice.lang)) or link.get("title") or link["id"],
                      "args": choice.args(module=None, link=link["id"]), "current": choice.link == link["id"]})
    for module in sorted(m for m in launched if m):
        title = module_title(module, choice.lang)
        if title is not None:      # a module no longer in the catalog is not offered
            items.append({"title": title, "args": choice.args(link=None, module=module),
                          "current": choice.module == module and not choice.link})
    return items


@bp.get("/course")
def course():
    """The demo course page: the outline, and the tool in an iframe."""
    choice = read_choice(request.args)
    platform = current_platform()
    error, title = None, None
    if choice.link:
        link = platform.store.get_link(choice.link)
        if link is None or link.get("context_id") != COURSE_ID:
            error, choice = _("That content is not (or no longer) in this course."), replace(choice, link=None)
        else:
            title = link.get("title")
    elif choice.module:
        title = module_title(choice.module, choice.lang)
        if title is None:
            error, choice = _("There is no module with that id."), replace(choice, module=None)
    links = _placed_links(platform, choice)
    deep_link = request.args.get("mode") == "deeplink" and choice.role == "instructor"
    launching = bool(choice.link or choice.module or deep_link)
    tool = platform.tool(current_client_id())
    origins = sorted({origin_of(u) for u in [tool["login_url"], tool["launch_url"], *tool["redirect_uris"]]})
    return render_template("demo/course.html", choice=choice, links=links, title=title, error=error,
                           deep_link=deep_link, launching=launching, modules=module_choices(choice.lang),
                           person=PEOPLE[choice.person], added=request.args.get("added", type=int),
                           tool_origins=origins, tool_message=request.args.get("msg")), 400 if error else 200


@bp.get("/launch")
def launch():
    """Start a launch (OIDC login initiation) in this frame or window."""
    choice = read_choice(request.args)
    platform = current_platform()
    target = "window" if request.args.get("target") == "window" else "iframe"
    options = {"role": LMS_ROLES[choice.role], "user": choice.person, "locale": choice.lang,
               "context_id": COURSE_ID, "client_id": current_client_id(), "document_target": target,
               "storage_target": "_parent" if target == "iframe" else None}
    if request.args.get("mode") == "deeplink":
        if choice.role != "instructor":
            abort(403, _("Only instructors can add content."))
        options.update(message_type="LtiDeepLinkingRequest", resource_link_id=None)
    elif choice.link and platform.store.get_link(choice.link):
        link = platform.store.get_link(choice.link)
        options.update(resource_link_id=link["id"], resource_link_title=link.get("title"))
    elif choice.module and module_title(choice.module, choice.lang):
        options.update(resource_link_id=f"demo-{choice.module}", custom={"module": choice.module},
                       resource_link_title=module_title(choice.module, choice.lang))
    else:
        abort(400, _("Choose a module or a course item to launch."))
    init = platform.prepare_launch(**options)
    return render_template("demolms/form_post.html", action=init.url, fields=init.params)


@bp.get("/gradebook")
def grades():
    """The scores the tool sent back (AGS)."""
    choice = read_choice(request.args)
    platform = current_platform()
    return render_template("demo/gradebook.html", choice=choice, person=PEOPLE[choice.person], columns=gradebook.columns(platform, COURSE_ID),
                           scores=gradebook.recent_scores(platform, COURSE_ID))
