"""The platform over HTTP: a blueprint (mounted at /demo in elearn) and a standalone app."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, Response, redirect, render_template, request

from demolms import ags, deeplinking, nrps, oauth, registration
from demolms import claims as C
from demolms.platform import Platform, PlatformError

REQUEST_LOG_LIMIT = 2000


@dataclass
class Hooks:
    """Pages the host application may replace (the demo LMS shows its own course page)."""

    deep_link_done: object = None   # (platform, record) -> response
    return_page: object = None      # (platform, context_id) -> response


def _json(body, status: int = 200, mimetype: str = "application/json", headers=None) -> Response:
    """A JSON response with the given media type and headers."""
    return Response(json.dumps(body), status=status, mimetype=mimetype, headers=headers or {})


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def create_platform_blueprint(platform_source, *, name: str = "demolms", hooks: Hooks | None = None) -> Blueprint:
    """Every platform endpoint; `platform_source` is a Platform or a callable returning one per request."""
    bp = Blueprint(name, __name__, template_folder="templates", static_folder="static",
                   static_url_path="/demolms-static")
    hooks = hooks or Hooks()

    def current() -> Platform:
        """The platform serving this request."""
        return platform_source() if callable(platform_source) else platform_source

    def relative_path(platform: Platform) -> str:
        """The request path below the issuer (what fail()/delay() prefixes match)."""
        prefix = urlsplit(platform.issuer).path.rstrip("/")
        return request.path[len(prefix):] if request.path.startswith(prefix) else request.path

    @bp.before_request
    def inject_faults():
        """Apply a pending delay and answer a pending fault, if any."""
        platform = current()
        delay, fault = platform.faults.take(relative_path(platform))
        if delay:
            delay.wait()
        if fault:
            body = fault.body if fault.body is not None else {"error": "injected_fault", "status": fault.status}
            if isinstance(body, str):
                return Response(body, status=fault.status, headers=fault.headers)
            return _json(body, fault.status, headers=fault.headers)
        return None

    @bp.after_request
    def log_request(response):
        """Keep method, path and status of every request for tests."""
        platform = current()
        platform.requests.append({"method": request.method, "path": relative_path(platform),
                                  "query": request.query_string.decode(), "status": response.status_code,
                                  "at": time.time()})
        del platform.requests[:-REQUEST_LOG_LIMIT]
        return response

    @bp.errorhandler(PlatformError)
    def platform_error(exc: PlatformError):
        """Errors as OAuth-style JSON; as a page where a browser is looking."""
        if request.endpoint and request.endpoint.split(".")[-1] in ("auth", "deep_link_return", "start"):
            html = render_template("demolms/error.html", error=exc.error, description=exc.description)
            return Response(html, status=exc.status, headers=exc.headers)
        return _json({"error": exc.error, "error_description": exc.description}, exc.status, headers=exc.headers)

    def service_token(*scopes: str) -> dict:
        """The bearer token's claims, if it grants one of the scopes."""
        return current().check_access_token(request.headers.get("Authorization"), set(scopes))

    def body_json():
        """The request body as JSON, or a 400."""
        try:
            return json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            raise PlatformError(400, "invalid_request", "the body is not valid JSON")

    @bp.route("/auth", methods=["GET", "POST"])
    def auth():
        """OIDC authorization endpoint: answers an auto-submitting form_post to the tool."""
        params = request.values.to_dict()
        answer = current().authorize(params)
        return render_template("demolms/form_post.html", action=answer.action, fields=answer.fields)

    @bp.get("/jwks")
    @bp.get("/.well-known/jwks.json")
    def jwks():
        """The platform's public keys."""
        return _json(current().jwks(), headers={"Cache-Control": "max-age=300"})

    @bp.post("/token")
    def token():
        """client_credentials grant with a signed client assertion."""
        return _json(oauth.token_response(current(), request.form), headers={"Cache-Control": "no-store"})

    @bp.get("/.well-known/openid-configuration")
    def openid_configuration():
        """Dynamic registration: what the platform supports and where."""
        return _json(registration.openid_configuration(current()))

    @bp.post("/register")
    def register():
        """Dynamic registration: the tool registers itself with a registration token."""
        answer = registration.register(current(), body_json(), request.headers.get("Authorization"))
        return _json(answer, 200)

    @bp.route("/ags/<context_id>/lineitems", methods=["GET", "POST"])
    def lineitems(context_id):
        """The line items container of a course."""
        platform = current()
        if request.method == "POST":
            grant = service_token(C.SCOPE_LINEITEM)
            ags.require_media_type(request.content_type, ags.LINEITEM_TYPE)
            item = ags.create_lineitem(platform, context_id, body_json(), grant["sub"])
            return _json(item, 201, ags.LINEITEM_TYPE)
        service_token(C.SCOPE_LINEITEM, C.SCOPE_LINEITEM_READONLY)
        if platform.store.get_context(context_id) is None:
            raise PlatformError(404, "not_found", f"no context {context_id!r}")
        items, headers = ags.list_lineitems(platform, context_id, request.args.to_dict())
        return _json(items, 200, ags.LINEITEM_CONTAINER_TYPE, headers)

    @bp.route("/ags/<context_id>/lineitems/<item_id>", methods=["GET", "PUT", "DELETE"])
    def lineitem(context_id, item_id):
        """One line item."""
        platform = current()
        if request.method == "GET":
            service_token(C.SCOPE_LINEITEM, C.SCOPE_LINEITEM_READONLY)
            item = ags.get_lineitem(platform, context_id, item_id)
            return _json(ags.public_lineitem(platform, item), 200, ags.LINEITEM_TYPE)
        service_token(C.SCOPE_LINEITEM)
        if request.method == "DELETE":
            ags.get_lineitem(platform, context_id, item_id)
            platform.store.delete_lineitem(item_id)
            return Response(status=204)
        ags.require_media_type(request.content_type, ags.LINEITEM_TYPE)
        return _json(ags.update_lineitem(platform, context_id, item_id, body_json()), 200, ags.LINEITEM_TYPE)

    @bp.post("/ags/<context_id>/lineitems/<item_id>/scores")
    def scores(context_id, item_id):
        """Receive a score (AGS 2.0 score publish service)."""
        grant = service_token(C.SCOPE_SCORE)
        ags.require_media_type(request.content_type, ags.SCORE_TYPE)
        answer = ags.post_score(current(), context_id, item_id, body_json(), grant["sub"])
        return _json(answer, 200)

    @bp.get("/ags/<context_id>/lineitems/<item_id>/results")
    def results(context_id, item_id):
        """Current results of a line item."""
        service_token(C.SCOPE_RESULT_READONLY)
        body, headers = ags.results(current(), context_id, item_id, request.args.to_dict())
        return _json(body, 200, ags.RESULT_CONTAINER_TYPE, headers)

    @bp.get("/nrps/<context_id>/memberships")
    def memberships(context_id):
        """The course roster (NRPS 2.0)."""
        service_token(C.SCOPE_NRPS)
        nrps.check_accept(request.headers.get("Accept"))
        body, headers = nrps.memberships(current(), context_id, request.args.to_dict())
        return _json(body, 200, nrps.MEMBERSHIP_CONTAINER_TYPE, headers)

    @bp.post("/deep_links")
    def deep_link_return():
        """Where the tool's LtiDeepLinkingResponse is posted."""
        platform = current()
        record = deeplinking.receive_response(platform, request.form.get("JWT"))
        if hooks.deep_link_done:
            return hooks.deep_link_done(platform, record)
        return render_template("demolms/deep_link_done.html", record=record)

    @bp.get("/return")
    def return_page():
        """'Back to the course' from the tool (launch_presentation.return_url)."""
        platform = current()
        if hooks.return_page:
            return hooks.return_page(platform, request.args.get("context_id"))
        return render_template("demolms/return.html", args=request.args)

    @bp.get("/start")
    def start():
        """Replays a login initiation from the browser (inside the launch frame)."""
        init = current().read_initiation_token(request.args.get("t", ""))
        if init.method == "GET":
            return redirect(init.url + ("&" if "?" in init.url else "?") + urlencode(init.params))
        return render_template("demolms/form_post.html", action=init.url, fields=init.params)

    @bp.get("/frame")
    def frame():
        """A course page that launches the tool in an iframe and answers Platform Storage messages."""
        platform = current()
        token = request.args.get("t", "")
        init = platform.read_initiation_token(token)
        tool = platform.tool(init.params["client_id"])
        origins = sorted({_origin(u) for u in [tool["login_url"], tool["launch_url"], *tool["redirect_uris"]]})
        return render_template("demolms/frame.html", token=token, origins=origins,
                               storage_target=init.params.get("lti_storage_target"))

    return bp


def create_platform_app(platform: Platform) -> Flask:
    """A standalone Flask app serving one platform at its issuer's root (used by PlatformServer)."""
    app = Flask(__name__, static_folder=None)
    app.jinja_env.globals.setdefault("_", lambda text, **values: text % values if values else text)
    # Standalone, the demo LMS sends no Content-Security-Policy; inside the tool, elearn.security's nonce.
    app.jinja_env.globals.setdefault("csp_nonce", lambda: "")
    app.register_blueprint(create_platform_blueprint(platform))
    return app
