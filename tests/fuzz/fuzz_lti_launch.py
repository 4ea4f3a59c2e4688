"""atheris: a launch POST to /lti/launch after a real login in this browser — the id_token's
header and claims of any shape (JSON text, decoded as PyJWT and pylti1p3 decode it, so NaN
and Infinity too), the state cookie and the platform-storage answer of any text — through
every check of lti/launch.py's validate(), with the signature taken as good (a platform, or
whoever holds its key, signs anything) and the database lookups stood in for.

Contract: a launch is refused with LtiError (or BrowserCheckNeeded) — anything else is a 5xx.
An accepted launch gives LaunchData whose values fit what record_launch writes: strings within
their column's length, no NUL (PostgreSQL text refuses it) and no lone surrogate (JSON's
"\\ud800": not UTF-8, no database takes it), JSON columns strict JSON (PostgreSQL json refuses
NaN/Infinity), tool roles from the roles claim, deep-linking settings readable.

Input: header JSON, body JSON, cookie, lti_storage_value, separated by NUL bytes (an empty
cookie sends none; an empty storage value sends none).

Run: .venv/bin/python tests/fuzz/fuzz_lti_launch.py [corpus dirs] [-max_total_time=60 ...]
"""
import base64
import json
import sys
from pathlib import Path

import atheris
from jsonmutator import custom_mutator

# atheris selects by top-level package; pylti1p3 runs the message validators we rely on.
with atheris.instrument_imports(include=["lti", "elearn", "pylti1p3"]):
    import pylti1p3.message_launch  # noqa: F401 (imported here to be instrumented)
    import requests
    from sqlalchemy import String, Text

    import elearn.models  # noqa: F401 (every table mapped, as the app does, so models can be built)
    from elearn.instructor.deeplinking import DeepLinkSettings
    from elearn.launch import operations
    from elearn.launch.models import Context, LaunchSession, ResourceLink, User
    from lti import claims as C
    from lti import launch_checks as checks
    from lti.errors import LtiError
    from lti.launch import BrowserCheckNeeded, _ToolMessageLaunch
    from lti.launch_data import launch_data_from_claims
    from lti.login import STATE_COOKIE_PREFIX
    from lti.models import Platform
    from lti.roles import normalise_roles
    from lti.state_store import LoginState

ISSUER, CLIENT_ID, DEPLOYMENT_ID = "https://lms.example.edu", "tool-client", "deployment-1"
STATE, NONCE, BINDING = "state-0123456789", "nonce-0123456789", "binding-0123456789"
PLATFORM = Platform(id=1, issuer=ISSUER, client_id=CLIENT_ID)
LOGIN = LoginState(STATE, NONCE, 1, BINDING, storage_target="_parent", platform_origin="https://lms.example.edu")
HTTP = requests.Session()   # never used: platform keys are not fetched (the signature is taken as good)


# Claim and member names the mutator adds at any level.
KEYS = [C.MESSAGE_TYPE, C.VERSION, C.DEPLOYMENT_ID, C.TARGET_LINK_URI, C.RESOURCE_LINK, C.ROLES, C.CONTEXT, C.CUSTOM,
        C.LAUNCH_PRESENTATION, C.TOOL_PLATFORM, C.FOR_USER, C.AGS_ENDPOINT, C.NRPS, C.DL_SETTINGS,
        "iss", "aud", "azp", "nonce", "sub", "name", "given_name", "family_name", "email", "locale", "alg", "kid",
        "id", "title", "label", "module", "lineitem", "lineitems", "scope", "context_memberships_url", "user_id",
        "return_url", "deep_link_return_url", "accept_types", "accept_multiple", "auto_create", "accept_lineitem",
        "accept_presentation_document_targets", "data"]


class _Store:
    """The state store after this browser's login: it knows one state, no nonce is used yet."""

    def get_state(self, state):
        return LOGIN if state == STATE else None

    def nonce_used(self, issuer, nonce):
        return False


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def TestOneInput(data: bytes) -> None:
    header, body, cookie, storage = (data.split(b"\0", 3) + [b""] * 3)[:4]
    params = {"id_token": f"{b64(header)}.{b64(body)}.c2lnbmF0dXJl", "state": STATE}
    if storage:
        params["lti_storage_value"] = storage.decode("utf-8", "replace")
    cookies = {STATE_COOKIE_PREFIX + STATE: cookie.decode("latin-1")} if cookie else {}
    launch = _Launch(None, params, cookies, store=_Store(), http=HTTP, same_origin=True, refetch_interval=None)
    try:
        launch.validate()
    except (LtiError, BrowserCheckNeeded):
        return
    accepted(launch._body())


class _Launch(_ToolMessageLaunch):
    """lti/launch.py's launch, validated by its own validate() (every step, in its order), with the
    steps that need the database or the platform's key stood in for."""

    def validate_registration(self):
        """iss/aud/azp against the one platform, without the registration query."""
        checks.check_audience(self._body(), PLATFORM)
        self.platform = PLATFORM
        return self

    def validate_jwt_signature(self):
        """Taken as good: a platform, or whoever holds its key, signs anything."""
        return self

    def validate_deployment(self):
        """The deployment claim checked as the tool does, against the one deployment, without its query."""
        deployment = checks.check_deployment_claim(self._body())
        if deployment != DEPLOYMENT_ID:
            raise LtiError("unknown_deployment", deployment)
        return self

    def _consume(self) -> None:
        """Nothing to use up: the store stands in for one login."""


def stored(data) -> list:
    """What record_launch (elearn/launch/operations.py) writes, as (column, value)."""
    presentation = data.claims.get(C.LAUNCH_PRESENTATION) or {}
    return_url = presentation.get("return_url") if isinstance(presentation, dict) else None
    ags = data.ags
    return [
        (User.sub, data.sub), (User.name, data.display_name), (User.given_name, data.given_name),
        (User.family_name, data.family_name), (User.email, data.email),
        (Context.context_id, data.context_id), (Context.title, data.context_title),
        (Context.label, data.context_label), (Context.nrps_memberships_url, data.nrps_memberships_url),
        (Context.ags_lineitems_url, ags.lineitems if ags else None),
        (ResourceLink.link_id, data.resource_link_id), (ResourceLink.deployment_id, data.deployment_id),
        (ResourceLink.title, data.resource_link_title), (ResourceLink.module_id, operations._module_of(data)),
        (ResourceLink.custom, dict(data.custom)), (ResourceLink.ags_scope, list(ags.scope) if ags else []),
        (ResourceLink.ags_lineitem_url, ags.lineitem if ags else None),
        (LaunchSession.message_type, data.message_type),
        (LaunchSession.roles, ",".join(sorted(normalise_roles(data.roles)))),
        (LaunchSession.lti_roles, list(data.roles)), (LaunchSession.deep_linking_settings, data.deep_linking_settings),
        (LaunchSession.for_user, data.for_user),
        (LaunchSession.return_url, return_url if isinstance(return_url, str) else None),
    ]


def accepted(body: dict) -> None:
    data = launch_data_from_claims(PLATFORM.id, PLATFORM.client_id, body, "launch-id")
    for column, value in stored(data):
        if value is None:
            continue
        kind = column.property.columns[0].type
        if isinstance(kind, (String, Text)):
            assert isinstance(value, str) and "\0" not in value, (str(column), value)
            value.encode("utf-8")  # UnicodeEncodeError: a lone surrogate (JSON's "\ud800"), which no database takes
            assert kind.length is None or len(value) <= kind.length, (str(column), len(value), kind.length)
        else:
            json.dumps(value, allow_nan=False)  # ValueError: NaN or Infinity, which PostgreSQL refuses
    if data.message_type == C.DEEP_LINKING_REQUEST:   # the picker reads every setting of the claim
        settings = DeepLinkSettings(data.deep_linking_settings)
        (settings.return_url, settings.has_return_url, settings.offers_links, settings.accept_multiple,
         settings.auto_create, settings.accept_lineitem, settings.window_only, settings.type_names())


if __name__ == "__main__":
    # This target's dictionary (and options) first: options on the command line come later and win.
    options = [f"-dict={Path(__file__).with_name('lti_launch.dict')}"]
    atheris.Setup([sys.argv[0], *options, *sys.argv[1:]], TestOneInput,
                  custom_mutator=custom_mutator(KEYS, documents=2))
    atheris.Fuzz()
