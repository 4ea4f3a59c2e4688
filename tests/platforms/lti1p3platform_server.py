"""The `lti1p3platform` library (PyPI) as a platform on loopback: a second LTI platform we did not write.

The library builds the login initiation (OIDCLoginAbstract), signs the launch
(LTIAdvantageMessageLaunchAbstract with AGS, NRPS and deep-linking claims), answers the token
endpoint (get_access_token), checks bearer tokens and serves AGS and NRPS
(AssignmentsGradesService, NamesRoleProvisioningService) and validates the deep-linking
response (validate_deeplinking_resp). This file is the framework glue the library leaves to its
user — a Flask request adapter, the abstract storage methods over an in-memory gradebook, and
Response → HTTP as its own Django adapter (framework/django/response.py) does.

How it differs from demolms, and so what these tests exercise:
- no launch_presentation.locale (the learner's language reaches the tool as Accept-Language);
- the NRPS container's paging `next` goes in the body and a Link header only when the tool asks
  for a `limit` (NRPS 2.0 §2.4.2 has it in the Link header);
- any AGS scope grants every AGS call (AGS 2.0 §3.1 ties each scope to its methods);
- token_type "bearer" in lower case; no dynamic registration support.
"""
from __future__ import annotations

import typing as t

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Response as FlaskResponse
from flask import request
from lti1p3platform.exceptions import LineItemNotFoundException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.response import Response, generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

from platforms.common import DEEP_LINKING, GlueServer, Launch, json_response

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
ROLES = {"learner": [LIS + "membership#Learner"],
         "instructor": [LIS + "membership#Instructor", LIS + "institution/person#Faculty"]}
COURSE_OFFERING = LIS + "course#CourseOffering"


class FlaskRequest(Request):
    """The library's Request over flask.request (it ships Django and FastAPI adapters only)."""

    def build_metadata(self, flask_request) -> dict:
        return {"method": flask_request.method, "form_data": flask_request.form.to_dict(),
                "get_data": flask_request.args.to_dict(), "headers": flask_request.headers,
                "content_type": flask_request.content_type, "path": flask_request.path,
                "json": flask_request.get_json(silent=True) if flask_request.is_json or "json" in (
                    flask_request.content_type or "") else None}


class PlatformConf(LTI1P3PlatformConfAbstract):
    """The library's registration lookup: our one registered tool."""

    def init_platform_config(self, server=None, **kwargs: t.Any) -> None:
        self.server = server

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        s = self.server
        return (Registration().set_iss(s.issuer).set_client_id(s.client_id).set_deployment_id(s.deployment_id)
                .set_launch_url(s.tool["launch_url"]).set_deeplink_launch_url(s.tool["deep_link_url"])
                .set_oidc_login_url(s.tool["login_url"]).set_tool_key_set_url(s.tool["jwks_url"])
                .set_platform_private_key(s.private_pem).set_platform_public_key(s.public_pem))


class Login(OIDCLoginAbstract):
    """Third-party initiated login: the URL the browser is sent to."""

    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class MessageLaunch(LTIAdvantageMessageLaunchAbstract):
    """The launch: the library validates the authorization request and signs; we keep the result."""

    def render_launch_form(self, launch_data: dict, **kwargs: t.Any) -> dict:
        return launch_data


class Grades(AssignmentsGradesService):
    """The library's AGS endpoints (token check, paging, media types) over the gradebook."""

    def __init__(self, server, context_id: str, **kwargs):
        super().__init__(FlaskRequest(request), server.conf(), server.lineitems_url(context_id), **kwargs)
        self.gradebook, self.context_id = server.gradebook, context_id

    def find_lineitems(self, page=1, limit=None, line_item_id=None, resource_link_id=None, resource_id=None,
                       tag=None, **_other):
        found = self.gradebook.find(self.context_id, resource_link_id, resource_id, tag)
        return {"content": found, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id):
        found = self.gradebook.get(self.context_id, line_item_id)
        if not found:
            raise LineItemNotFoundException()
        return found

    def create_lineitem(self, creation_data):
        return self.gradebook.add(self.context_id, creation_data)

    def update_lineitem(self, update_data):
        updated = self.gradebook.update(self.context_id, update_data["id"], update_data)
        if not updated:
            raise LineItemNotFoundException()
        return updated

    def delete_lineitem(self, line_item_id):
        if not self.gradebook.delete(self.context_id, line_item_id):
            raise LineItemNotFoundException()

    def update_score(self, line_item_id, score):
        outcome = self.gradebook.add_score(self.context_id, line_item_id, score)
        if outcome == "notfound":
            raise LineItemNotFoundException()
        return UpdateScoreStatus.CREATED if outcome == "created" else UpdateScoreStatus.OLD_TIMESTAMP

    def get_results(self, line_item_id, page=1, limit=None, user_id=None, **_other):
        return {"content": self.gradebook.results(self.context_id, line_item_id), "has_next": False, "next": None}


class Roster(NamesRoleProvisioningService):
    """The library's NRPS endpoint over the course's members."""

    def __init__(self, server, context_id: str):
        super().__init__(FlaskRequest(request), server.conf(), server.memberships_url(context_id))
        self.server, self.context_id = server, context_id

    def get_member_data_page(self, page=1, limit=None, role=None, since=None, **_other):
        members = self.server.members_of(self.context_id)
        if role:
            members = [m for m in members if any(r.endswith("#" + role) for r in m["roles"])]
        return {"content": members, "has_next": False, "next": None}

    def get_context_by_id(self) -> Context:
        return Context(id=self.context_id, label=self.context_id, title=self.context_id)


def to_http(resp: Response) -> FlaskResponse:
    """The library's Response as HTTP, as its framework/django/response.py wrap_json_resp does."""
    if 200 <= resp.code < 300:
        data = resp.result["content"] if isinstance(resp.result, dict) and "content" in resp.result else resp.result
        if resp.code == 204:
            return FlaskResponse(status=204)
        answer = json_response(data, resp.code, resp.media_type)
        if isinstance(resp.result, dict) and resp.result.get("next"):
            answer.headers["Link"] = generate_next_link(resp.result["next"])
        return answer
    return json_response({"error": resp.message}, resp.code, resp.media_type)


class Lti1p3PlatformServer(GlueServer):
    """lti1p3platform behind HTTP on 127.0.0.1."""

    kind = "lti1p3platform"
    name = "lti1p3platform"
    serves_nrps = True
    sends_locale = False
    tool_creates_lineitems = True

    def __init__(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
        self.public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        super().__init__()
        add = self.app.add_url_rule
        add("/ags/<context_id>/lineitems", "lineitems", self._lineitems, methods=["GET", "POST"])
        add("/ags/<context_id>/lineitems/<item_id>", "lineitem", self._lineitem, methods=["GET", "PUT", "DELETE"])
        add("/ags/<context_id>/lineitems/<item_id>/scores", "scores", self._scores, methods=["POST"])
        add("/ags/<context_id>/lineitems/<item_id>/results", "results", self._results, methods=["GET"])
        add("/nrps/<context_id>/memberships", "memberships", self._memberships, methods=["GET"])

    def conf(self) -> PlatformConf:
        """A platform configuration with the registration loaded (the library wants one per request)."""
        conf = PlatformConf(server=self)
        conf.get_registration()
        return conf

    def configure_tool(self) -> None:
        """The registration is read from the server on each request (see PlatformConf)."""

    def membership_roles(self, role: str) -> list[str]:
        return ROLES[role]

    def login_initiation_url(self, launch: Launch) -> str:
        login = Login(None, self.conf())
        login.set_lti_message_hint(hint=self.remember(launch))
        if launch.message_type == DEEP_LINKING:
            login.set_deeplinking_launch_url()
        else:
            login.set_launch_url(launch.target_link_uri)
        return login.initiate_login(launch.user["sub"])

    def authorize(self, params: dict) -> tuple[str, str, str]:
        launch = self.pending[params.get("lti_message_hint", "")]
        message = MessageLaunch(FlaskRequest(request), self.conf())
        user = launch.user
        message.set_user_data(user["sub"], ROLES[launch.role], full_name=user.get("name"),
                              email_address=user.get("email"))
        message.set_launch_presentation_claim(document_target="iframe", return_url=f"{self.issuer}/course")
        if launch.context_id:
            message.set_launch_context_claim(launch.context_id, [COURSE_OFFERING], launch.context_title)
            message.set_nrps(self.memberships_url(launch.context_id))
        if launch.custom:
            message.set_custom_parameters_claim(launch.custom)
        if launch.message_type == DEEP_LINKING:
            message.set_dl(self.deep_link_return_url, accept_types={"ltiResourceLink"})
        else:
            message.set_launch_url(launch.target_link_uri)
            message.set_resource_link_claim(launch.resource_link_id)
            if launch.context_id:
                column = self.gradebook.find(launch.context_id, resource_link_id=launch.resource_link_id)
                message.set_ags(self.lineitems_url(launch.context_id), column[0]["id"] if column else None,
                                allow_creating_lineitems=True)
        answer = message.lti_launch()
        return answer["id_token"], answer["state"], answer["launch_url"]

    def access_token(self, form: dict) -> dict:
        return self.conf().get_access_token(form)

    def validate_deep_link(self, token: str) -> list[dict]:
        return self.conf().validate_deeplinking_resp({"JWT": token})

    def jwks(self) -> dict:
        return self.conf().get_jwks()

    # ---- AGS and NRPS: the library's handlers ----
    def _lineitems(self, context_id: str):
        grades = Grades(self, context_id)
        return to_http(grades.handle_resp(grades.handle_get_lineitems if request.method == "GET"
                                          else grades.handle_create_lineitem))

    def _lineitem(self, context_id: str, item_id: str):
        grades = Grades(self, context_id)
        handler = {"GET": grades.handle_get_lineitem, "PUT": grades.handle_update_lineitem,
                   "DELETE": grades.handle_delete_lineitem}[request.method]
        return to_http(grades.handle_resp(handler, line_item_id=item_id))

    def _scores(self, context_id: str, item_id: str):
        grades = Grades(self, context_id)
        return to_http(grades.handle_resp(grades.handle_update_score, line_item_id=item_id))

    def _results(self, context_id: str, item_id: str):
        grades = Grades(self, context_id, lineitem_url=f"{self.lineitems_url(context_id)}/{item_id}")
        return to_http(grades.handle_resp(grades.handle_get_results, line_item_id=item_id))

    def _memberships(self, context_id: str):
        roster = Roster(self, context_id)
        return to_http(roster.handle_resp(roster.handle_get_members))
