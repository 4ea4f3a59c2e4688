"""Open edX's own LTI 1.3 consumer (lti_consumer.lti_1p3 of lti-consumer-xblock) as a platform on loopback.

The library signs the launches, builds the login initiation, answers the token endpoint
(`LtiAdvantageConsumer.access_token`), checks the tool's bearer tokens (`check_token`) and
validates the deep-linking response (`check_and_decode_deep_linking_token`). This file only wires
those calls to HTTP the way Open edX's views do (lti_consumer/plugin/views.py, launch_gate_endpoint
and the AGS viewset) and keeps the gradebook in memory instead of Django models.

How Open edX differs from demolms, and so what these tests exercise:
- no launch_presentation.locale: the learner's language reaches the tool only as Accept-Language;
- AGS in Open edX's default "declarative" mode: one line item per block, made by the platform and
  named in the launch's `lineitem` claim, scope lineitem.readonly (the tool must not create columns);
- no NRPS served by lti_1p3 (the memberships service is a Django view over LMS enrolment models,
  and is off unless the course enables it), so launches carry no NRPS claim;
- token_type "bearer" in lower case (RFC 6749 §5.1 says the type is case-insensitive);
- no dynamic registration (Open edX registers tools only by hand in Studio).
"""
from __future__ import annotations

import importlib.util
import sys
import types
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import request

from platforms.common import (DEEP_LINKING, LINEITEM, LINEITEMS, RESULTS, GlueServer, Launch, bearer_token,
                              json_response)

SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
# Open edX's AGS permissions (lti_1p3/extensions/rest_framework/permissions.py, LtiAgsPermissions).
READ_LINEITEMS = [SCOPE + "lineitem.readonly", SCOPE + "lineitem"]
WRITE_LINEITEMS = [SCOPE + "lineitem"]
# Open edX's course roles for our two (LTI_1P3_ROLE_MAP): "staff" is course staff (Instructor);
# "instructor" would be course admin (Administrator + Instructor).
OPENEDX_ROLE = {"learner": "student", "instructor": "staff"}


def _load_library():
    """Import lti_consumer.lti_1p3 without lti_consumer/__init__.py, which loads the whole XBlock
    (the XBlock runtime, web fragments, DRF views); lti_1p3 itself needs only django.conf and a
    cache, configured here as a minimal Django settings module would."""
    if "lti_consumer" not in sys.modules:
        spec = importlib.util.find_spec("lti_consumer")
        package = types.ModuleType("lti_consumer")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["lti_consumer"] = package
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            PLATFORM_NAME="Open edX (interop tests)", USE_TZ=True, INSTALLED_APPS=[], OPENEDX_TELEMETRY=[],
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
        django.setup()
    from lti_consumer.lti_1p3 import consumer, constants
    from lti_consumer import data, utils

    return consumer, constants, data, utils


consumer_module, constants, launch_data_module, consumer_utils = _load_library()


class OpenEdxPlatform(GlueServer):
    """Open edX's LtiAdvantageConsumer behind HTTP on 127.0.0.1."""

    kind = "openedx"
    name = "Open edX"
    serves_nrps = False
    sends_locale = False
    tool_creates_lineitems = False

    def __init__(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
        self.kid = "openedx-interop-key"
        super().__init__()
        ags = self.app.add_url_rule
        ags("/ags/<context_id>/lineitems", "lineitems", self._lineitems, methods=["GET", "POST"])
        ags("/ags/<context_id>/lineitems/<item_id>", "lineitem", self._lineitem, methods=["GET", "PUT", "DELETE"])
        ags("/ags/<context_id>/lineitems/<item_id>/scores", "scores", self._scores, methods=["POST"])
        ags("/ags/<context_id>/lineitems/<item_id>/results", "results", self._results, methods=["GET"])

    def configure_tool(self) -> None:
        """Nothing to keep: Open edX builds a consumer per request from the block's configuration."""

    def consumer(self, context_id: str | None = None, lineitem_url: str | None = None):
        """The block's LtiAdvantageConsumer, as lti_consumer.api builds it for each request."""
        tool = self.tool
        built = consumer_module.LtiAdvantageConsumer(
            iss=self.issuer, lti_oidc_url=tool["login_url"], lti_launch_url=tool["launch_url"],
            client_id=self.client_id, deployment_id=self.deployment_id, rsa_key=self.private_pem,
            rsa_key_id=self.kid, redirect_uris=[tool["launch_url"], tool["deep_link_url"]],
            tool_keyset_url=tool["jwks_url"])
        built.enable_deep_linking(tool["deep_link_url"], self.deep_link_return_url)
        if context_id:
            built.enable_ags(lineitems_url=self.lineitems_url(context_id), lineitem_url=lineitem_url,
                             allow_programmatic_grade_interaction=False)
        return built

    def membership_roles(self, role: str) -> list[str]:
        return sorted(constants.LTI_1P3_ROLE_MAP[OPENEDX_ROLE[role]])

    def login_initiation_url(self, launch: Launch) -> str:
        data = launch_data_module.Lti1p3LaunchData(
            user_id=launch.user["sub"], user_role=OPENEDX_ROLE[launch.role], config_id="interop-config",
            resource_link_id=launch.resource_link_id or "block-v1:interop+deep+linking",
            name=launch.user.get("name"), email=launch.user.get("email"), message_type=launch.message_type,
            launch_presentation_document_target="iframe", launch_presentation_return_url=f"{self.issuer}/course",
            context_id=launch.context_id, context_type=["course_offering"] if launch.context_id else None,
            context_title=launch.context_title, custom_parameters=launch.custom or {})
        url = self.consumer().prepare_preflight_url(data)
        self.pending[parse_qs(urlsplit(url).query)["lti_message_hint"][0]] = launch
        return url

    def _block_lineitem(self, launch: Launch) -> str | None:
        """The block's line item (Open edX makes it when a graded block is published)."""
        if launch.message_type == DEEP_LINKING or not launch.context_id:
            return None
        found = self.gradebook.find(launch.context_id, resource_link_id=launch.resource_link_id)
        item = found[0] if found else self.gradebook.add(launch.context_id, {
            "label": (self.links.get(launch.resource_link_id) or {}).get("title") or "LTI block",
            "scoreMaximum": 1, "resourceLinkId": launch.resource_link_id})
        return item["id"]

    def authorize(self, params: dict) -> tuple[str, str, str]:
        """launch_gate_endpoint: set the claims from the cached launch data, then sign."""
        hint = params.get("lti_message_hint", "")
        launch = self.pending[hint]
        data = consumer_utils.get_data_from_cache(hint)
        lti = self.consumer(data.context_id, self._block_lineitem(launch))
        lti.set_user_data(data.user_id, data.user_role, full_name=data.name, email_address=data.email,
                          preferred_username=data.preferred_username)
        lti.set_resource_link_claim(data.resource_link_id)
        lti.set_launch_presentation_claim(document_target=data.launch_presentation_document_target,
                                          return_url=data.launch_presentation_return_url)
        if data.context_id:
            lti.set_context_claim(data.context_id, [constants.LTI_1P3_CONTEXT_TYPE.course_offering],
                                  data.context_title, data.context_label)
        if data.custom_parameters:
            lti.set_custom_parameters(data.custom_parameters)
        link = self.links.get(data.resource_link_id)
        if link and data.message_type != DEEP_LINKING:  # a link placed by deep linking: its url and custom
            lti.set_dl_content_launch_parameters(url=link.get("url"), custom=link.get("custom"))
        answer = lti.generate_launch_request(params)
        return answer["id_token"], answer["state"], params["redirect_uri"]

    def access_token(self, form: dict) -> dict:
        return self.consumer().access_token(form)

    def validate_deep_link(self, token: str) -> list[dict]:
        return self.consumer().check_and_decode_deep_linking_token(token)

    def jwks(self) -> dict:
        return self.consumer().get_public_keyset()

    # ---- AGS: Open edX's token check and scopes, an in-memory gradebook ----
    def _allowed(self, scopes: list[str]):
        """None when the bearer token is the platform's and has one of the scopes; else an error."""
        token = bearer_token()
        if not token:
            return json_response({"detail": "Authentication credentials were not provided."}, 401)
        try:
            allowed = self.consumer().check_token(token, scopes)
        except Exception as exc:  # Open edX answers 401 to any token its key handler refuses
            return json_response({"detail": f"invalid token: {exc}"}, 401)
        if not allowed:
            return json_response({"detail": "You do not have permission to perform this action."}, 403)
        return None

    def _lineitems(self, context_id: str):
        refused = self._allowed(READ_LINEITEMS if request.method == "GET" else WRITE_LINEITEMS)
        if refused:
            return refused
        if request.method == "GET":
            found = self.gradebook.find(context_id, request.args.get("resource_link_id"),
                                        request.args.get("resource_id"), request.args.get("tag"))
            return json_response(found, content_type=LINEITEMS)
        return json_response(self.gradebook.add(context_id, request.get_json(force=True)), 201, LINEITEM)

    def _lineitem(self, context_id: str, item_id: str):
        refused = self._allowed(READ_LINEITEMS if request.method == "GET" else WRITE_LINEITEMS)
        if refused:
            return refused
        if request.method == "DELETE":
            return ("", 204) if self.gradebook.delete(context_id, item_id) else json_response({}, 404)
        item = (self.gradebook.get(context_id, item_id) if request.method == "GET"
                else self.gradebook.update(context_id, item_id, request.get_json(force=True)))
        return json_response(item, content_type=LINEITEM) if item else json_response({"detail": "Not found."}, 404)

    def _scores(self, context_id: str, item_id: str):
        refused = self._allowed([SCOPE + "score"])
        if refused:
            return refused
        outcome = self.gradebook.add_score(context_id, item_id, request.get_json(force=True))
        status = {"created": 201, "oldtimestamp": 409, "notfound": 404}[outcome]
        return json_response({"status": outcome}, status)

    def _results(self, context_id: str, item_id: str):
        refused = self._allowed([SCOPE + "result.readonly"])
        return refused or json_response(self.gradebook.results(context_id, item_id), content_type=RESULTS)
