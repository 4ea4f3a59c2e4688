"""OIDC login initiation (third-party initiated login) over pylti1p3's OIDCLogin.

pylti1p3 validates the initiation, finds the registration through our ToolConf and builds the
authentication request; we supply where state and nonce go (a StateStore shared by all workers,
not the per-process Flask session) and which cookie binds the state to the browser.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pylti1p3.cookie import CookieService
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from sqlalchemy.orm import Session

from lti.errors import LtiError
from lti.state_store import STATE_TTL, LoginState, StateStore
from lti.tool_conf import DatabaseToolConf

STATE_COOKIE_PREFIX = "lti1p3-"
# What a login initiation may carry that is worth replaying when the login restarts in a new window.
MAX_PARAM_LENGTH = 4096
RESTART_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id")


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser next, and what to leave in it."""

    url: str                    # the platform's authorization endpoint with the OIDC parameters
    state: str
    cookie_name: str
    cookie_value: str
    cookie_max_age: int
    storage_target: str | None  # LTI platform storage frame, when the platform offers one
    platform_origin: str        # origin of the authorization endpoint (postMessage target origin)
    binding: str                # value put in platform storage to prove the browser on launch


class ParamsRequest(Request):
    """pylti1p3's Request over a plain mapping of parameters (GET and POST alike)."""

    def __init__(self, params: Mapping[str, str], secure: bool = True):
        self._params = params
        self._secure = secure

    @property
    def session(self):
        """Unused: nothing of ours lives in a cookie session."""
        return {}

    def get_param(self, key: str):
        """A parameter of the request, None when absent."""
        return self._params.get(key) or None

    def is_secure(self) -> bool:
        """Whether the request came over https."""
        return self._secure


class _StateRecorder(SessionService):
    """Receives pylti1p3's save_nonce/save_state_params and writes one LoginState to the store."""

    def __init__(self, store: StateStore):  # no super(): pylti1p3 would bind a Flask session
        self.store = store
        self.nonce: str | None = None
        self.saved: LoginState | None = None

    def save_nonce(self, nonce: str):
        """pylti1p3 calls this first; keep the nonce for the state record."""
        self.nonce = nonce

    def save_state_params(self, state: str, params):
        """pylti1p3 calls this with the state and our extra params: persist the login."""
        self.saved = LoginState(state=state, nonce=self.nonce or "", **params)
        self.store.save_state(self.saved, STATE_TTL)


class _CookieRecorder(CookieService):
    """Remembers the state cookie pylti1p3 asks for; the Flask view sets it."""

    def __init__(self):
        self.cookies: dict[str, tuple[str, int]] = {}

    def get_cookie(self, name):
        """Login never reads cookies."""
        return None

    def set_cookie(self, name, value, exp=3600):
        """Record name → (value, max_age)."""
        self.cookies[STATE_COOKIE_PREFIX + name] = (str(value), int(exp or STATE_TTL))


class _UrlRedirect(Redirect):
    """A redirect that only carries its URL (the view decides how to send the browser there)."""

    def __init__(self, url: str):
        self._url = url

    def do_redirect(self):
        """Unused."""
        return self._url

    def do_js_redirect(self):
        """Unused."""
        return self._url

    def set_redirect_url(self, location):
        """Replace the URL."""
        self._url = location

    def get_redirect_url(self) -> str:
        """The authorization URL."""
        return self._url


class _ToolOidcLogin(OIDCLogin):
    """pylti1p3's login with unguessable state/nonce and a URL-only redirect."""

    def get_redirect(self, url):
        """The authorization URL, without a Flask response."""
        return _UrlRedirect(url)

    def _get_uuid(self) -> str:
        """State: 192 random bits."""
        return secrets.token_urlsafe(24)

    def _generate_nonce(self) -> str:
        """Nonce: 256 random bits."""
        return secrets.token_urlsafe(32)


def initiation_params(params: Mapping[str, str]) -> dict[str, str]:
    """The initiation parameters, with Canvas's `deployment_id` accepted for `lti_deployment_id`."""
    clean = {k: v for k, v in params.items() if isinstance(v, str) and v != ""}
    if "lti_deployment_id" not in clean and clean.get("deployment_id"):
        clean["lti_deployment_id"] = clean["deployment_id"]
    return clean


def begin_login(session: Session, params: Mapping[str, str], *, launch_url: str, store: StateStore,
                secure: bool = True, use_platform_storage: bool = True) -> LoginRedirect:
    """Validate a login initiation and prepare the authentication request to the platform."""
    params = initiation_params(params)
    for required in ("iss", "login_hint", "target_link_uri"):
        if not params.get(required):
            raise LtiError("missing_parameter", f"the login initiation lacks {required}", parameter=required)
    for name, value in params.items():
        # They travel back to the platform in a redirect URL; real ones are far shorter.
        if len(value) > MAX_PARAM_LENGTH:
            raise LtiError("invalid_message", f"the login parameter {name} is longer than {MAX_PARAM_LENGTH} characters")
    conf = DatabaseToolConf(session, login_client_id=params.get("client_id"),
                            login_deployment_id=params.get("lti_deployment_id"))
    recorder, cookies = _StateRecorder(store), _CookieRecorder()
    login = _ToolOidcLogin(ParamsRequest(params, secure), conf, recorder, cookies)
    platform = conf.find_registration_by_params(params["iss"], params.get("client_id"))  # LtiError if unknown
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(platform.get_auth_login_url()))
    storage_target = params.get("lti_storage_target") if use_platform_storage else None
    binding = secrets.token_urlsafe(24)
    login.pass_params_to_launch({
        "platform_id": conf.platform.id, "binding": binding, "storage_target": storage_target,
        "platform_origin": origin, "login_params": {k: params[k] for k in RESTART_PARAMS if k in params},
    })
    url = login.get_redirect_object(launch_url).get_redirect_url()
    state = recorder.saved.state
    (cookie_name, (cookie_value, max_age)), = cookies.cookies.items()
    return LoginRedirect(url=url, state=state, cookie_name=cookie_name, cookie_value=cookie_value,
                         cookie_max_age=max_age, storage_target=storage_target, platform_origin=origin,
                         binding=binding)
