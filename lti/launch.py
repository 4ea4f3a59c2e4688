"""Launch validation: every check of the LTI 1.3 security framework, over pylti1p3's MessageLaunch.

pylti1p3 supplies the skeleton (JWT format, registration and deployment lookup through our
ToolConf, the message-type validators, the launch data). We replace what it gets wrong or
leaves out: state bound to this browser (cookie or LTI platform storage), the nonce bound to the
login and consumed once, platform keys refetched on an unknown kid, alg/iat/exp/aud/azp checks,
required claims, and a short error code for every refusal (see lti.launch_checks).
"""
from __future__ import annotations

import hmac
from collections.abc import Mapping

import requests
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch
from sqlalchemy.orm import Session, joinedload

from lti import claims as C
from lti import launch_checks as checks
from lti import outbound
from lti.errors import LtiError
from lti.launch_data import LaunchData, launch_data_from_claims
from lti.login import STATE_COOKIE_PREFIX, ParamsRequest
from lti.models import Platform
from lti.platform_keys import REFETCH_INTERVAL, platform_key
from lti.state_store import LoginState, StateStore
from lti.tool_conf import DatabaseToolConf


def _equal(given, expected: str) -> bool:
    """Constant-time comparison of two texts; hmac.compare_digest refuses str that is not ASCII
    (a hostile cookie, storage value or nonce would be a TypeError, a 500), so compare bytes."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


class BrowserCheckNeeded(Exception):
    """The state cookie is missing but the platform offers storage: ask the browser (in JS)."""

    def __init__(self, login: LoginState):
        super().__init__("state cookie missing; platform storage available")
        self.login = login


class _Unused:
    """Stands in for pylti1p3's session and cookie services, which we do not use."""


class _ToolMessageLaunch(MessageLaunch):
    """pylti1p3's MessageLaunch with our checks, in our order."""

    def __init__(self, session: Session, params: Mapping[str, str], cookies: Mapping[str, str], *,
                 store: StateStore, http: requests.Session, same_origin: bool, refetch_interval,
                 allow_private: bool = True, commit: bool = True):
        self.db = session
        self.allow_private = allow_private
        self.commit = commit
        self.store = store
        self.cookies = cookies
        self.same_origin = same_origin
        self.refetch_interval = refetch_interval
        self.login: LoginState | None = None
        self.platform: Platform | None = None
        super().__init__(ParamsRequest(params), DatabaseToolConf(session), _Unused(), _Unused(),
                         requests_session=http)

    def _get_request_param(self, key):
        """A form field of the launch POST."""
        return self._request.get_param(key)

    def _body(self) -> dict:
        """The (decoded, maybe not yet verified) id_token claims."""
        return self._jwt.get("body", {})

    def validate(self) -> "_ToolMessageLaunch":
        """Run every check; the first failure raises LtiError (or BrowserCheckNeeded)."""
        self._validated = True
        try:
            checks.check_request(self._get_request_param)
            self.validate_jwt_format()
            checks.check_header(self._jwt["header"])
            checks.check_identity_claims(self._body())
            self.validate_state()
            self.validate_nonce()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_deployment()
            self.validate_message()
            self._consume()
        except Exception:
            self._validated = False
            raise
        return self

    def validate_jwt_format(self):
        """pylti1p3's three-part/base64/JSON check; header and body must be objects."""
        try:
            super().validate_jwt_format()
        except LtiException as exc:
            raise LtiError("malformed_token", str(exc)) from exc
        if not isinstance(self._jwt.get("header"), dict) or not isinstance(self._jwt.get("body"), dict):
            raise LtiError("malformed_token", "the id_token header and body must be JSON objects")
        return self

    def validate_state(self):
        """The state is a login of ours, made in this browser (cookie, or platform storage)."""
        state = self._get_request_param("state")
        login = self.store.get_state(state)
        if login is None:
            # A used login is forgotten, so a replayed launch lands here: say which it is.
            if self.store.nonce_used(self._body()["iss"], self._body()["nonce"]):
                raise LtiError("nonce_replayed", "this id_token's nonce has already been used")
            raise LtiError("state_mismatch", "the state is unknown or expired")
        self.login = login
        cookie = self.cookies.get(STATE_COOKIE_PREFIX + state)
        if cookie is not None:
            if not _equal(cookie, state):
                raise LtiError("state_mismatch", "the state cookie does not match the state")
            return self
        stored = self._get_request_param("lti_storage_value")
        if stored is not None:
            # Only our own launch page may post this: a cross-site form cannot be same-origin.
            if not self.same_origin:
                raise LtiError("platform_storage_failed", "the platform-storage check did not come from the tool")
            if not _equal(stored, login.binding):
                raise LtiError("state_mismatch", "the value in platform storage does not match this login")
            return self
        if self._get_request_param("lti_storage_error") is not None:
            raise LtiError("platform_storage_failed", self._get_request_param("lti_storage_error") or "",
                           restart=login.login_params)
        if login.storage_target:
            raise BrowserCheckNeeded(login)
        raise LtiError("state_cookie_missing", "the browser did not send the state cookie",
                       restart=login.login_params)

    def validate_nonce(self):
        """The nonce is the one this login sent (pylti1p3 only checks that it exists somewhere)."""
        if not _equal(self._body()["nonce"], self.login.nonce):
            raise LtiError("nonce_mismatch", "the id_token's nonce is not the one sent at login")
        return self

    def get_client_id(self) -> str:
        """The authorized party when given, else the (first) audience."""
        body = self._body()
        aud = body.get("aud")
        return body.get("azp") or (aud[0] if isinstance(aud, list) and aud else aud)

    def validate_registration(self):
        """iss/aud/azp against the login's platform, then pylti1p3's registration lookup."""
        # With its deployments in the same query: validate_deployment then needs no statement.
        platform = self.db.get(Platform, self.login.platform_id, options=[joinedload(Platform.deployments)])
        if platform is None:
            raise LtiError("wrong_issuer", "the platform of this login is no longer registered")
        checks.check_audience(self._body(), platform)
        self.platform = platform
        self.platform_ref = (platform.id, platform.client_id)  # still readable after the commit
        self._tool_config.remember(platform)
        try:
            super().validate_registration()
        except LtiException as exc:
            raise LtiError("wrong_audience", str(exc)) from exc
        return self

    def validate_jwt_signature(self):
        """Signature by the platform's key for this kid (refetched once when unknown), exp, iat."""
        header = self._jwt["header"]
        http = self._requests_session
        if self.platform.registered_via == "dynamic":
            http = outbound.guard(http, self.allow_private)
        jwk = platform_key(self.db, self.platform, header["kid"], http, refetch_interval=self.refetch_interval)
        checks.verify_signature(self._get_id_token(), header, jwk)
        return self

    def validate_deployment(self):
        """The deployment_id is one registered for this platform."""
        deployment_id = checks.check_deployment_claim(self._body())
        try:
            super().validate_deployment()
        except LtiException as exc:
            raise LtiError("unknown_deployment", f"deployment {deployment_id!r} is not registered",
                           deployment_id=deployment_id) from exc
        return self

    def validate_message(self):
        """Our required-claims checks, then pylti1p3's message validators as a backstop."""
        checks.check_message(self._body())
        if self._body().get(C.MESSAGE_TYPE) == C.DEEP_LINKING_REQUEST:
            # pylti1p3 refuses a deep-linking request whose accept_types lacks ltiResourceLink with a
            # bare error; whether the tool can offer anything is the tool's call, and its picker
            # tells the instructor which types the platform accepts (check_message covers the rest).
            return self
        try:
            super().validate_message()
        except LtiException as exc:
            raise LtiError("invalid_message", str(exc)) from exc
        return self

    def _consume(self) -> None:
        """Use the nonce (atomically: a parallel replay loses) and forget the login."""
        if not self.store.consume(self.login.state, self._body()["iss"], self._body()["nonce"], commit=self.commit):
            raise LtiError("nonce_replayed", "this id_token's nonce has already been used")


def validate_launch(session: Session, params: Mapping[str, str], cookies: Mapping[str, str], *,
                    store: StateStore, http: requests.Session | None = None, same_origin: bool = False,
                    refetch_interval=REFETCH_INTERVAL, allow_private: bool = True,
                    commit: bool = True) -> LaunchData:
    """Validate a launch POST; LaunchData on success, LtiError or BrowserCheckNeeded otherwise.

    commit=False: the nonce's use and the login's removal stay in the session's transaction (with a
    transactional store), for the caller to commit together with its own writes; it then must
    commit on every path that accepts the launch, or a rollback gives the nonce back.

    A dynamically registered platform's key set URL came from the platform itself, not from an
    administrator: it is fetched only from public addresses (lti.outbound), unless allow_private."""
    launch = _ToolMessageLaunch(session, params, cookies, store=store, http=http or requests.Session(),
                                same_origin=same_origin, refetch_interval=refetch_interval,
                                allow_private=allow_private, commit=commit)
    launch.validate()
    return launch_data_from_claims(*launch.platform_ref, launch.get_launch_data(),
                                   launch.get_launch_id())
