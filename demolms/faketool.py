"""A minimal, honest LTI 1.3 tool (PyJWT + real keys) to test the platform without the product."""
from __future__ import annotations

import json
import secrets
import threading
import time
import uuid

import jwt
import requests
from flask import Flask, abort, jsonify, redirect, request
from werkzeug.serving import make_server

from demolms import claims as C
from demolms.keys import generate_private_key, public_jwk
from demolms.testing import QuietHandler

# A login page that exercises the platform's postMessage storage and keeps what came back.
STORAGE_PROBE = """<!doctype html><title>probe</title><script>
window.results = [];
const origin = ORIGIN, parent = window.parent;
function ask(message) {
  return new Promise(resolve => {
    const id = Math.random().toString(36).slice(2);
    function listen(event) {
      if (event.origin !== origin || event.data.message_id !== id) { return; }
      window.removeEventListener('message', listen);
      window.results.push(event.data);
      resolve(event.data);
    }
    window.addEventListener('message', listen);
    parent.postMessage(Object.assign({message_id: id}, message), origin);
  });
}
ask({subject: 'lti.capabilities'})
  .then(() => ask({subject: 'lti.put_data', key: 'state', value: 'v-1'}))
  .then(() => ask({subject: 'lti.get_data', key: 'state'}))
  .then(() => ask({subject: 'lti.get_data', key: 'missing'}))
  .then(() => ask({subject: 'lti.put_data', value: 'no key'}))
  .then(() => { window.done = true; });
</script>"""


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


class FakeTool:
    """OIDC login + launch verification + service calls, served on loopback."""

    def __init__(self, host: str = "127.0.0.1"):
        self.key = generate_private_key()
        self.kid = "faketool-" + secrets.token_hex(4)
        self.platform = None  # set by connect()
        self.states: dict[str, str] = {}
        self.launches: list[dict] = []
        self.registration: dict | None = None
        self.probe_storage = False  # True: answer a storage-target login with STORAGE_PROBE
        self.app = self._build_app()
        self._server = make_server(host, 0, self.app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    login_url = property(lambda self: self.url + "/login")
    launch_url = property(lambda self: self.url + "/launch")
    jwks_url = property(lambda self: self.url + "/jwks")

    def stop(self) -> None:
        """Shut the tool down."""
        self._server.shutdown()
        self._server.server_close()

    def connect(self, platform_server) -> dict:
        """Register this tool on a PlatformServer by hand."""
        self.platform = platform_server
        return platform_server.register_tool(login_url=self.login_url, launch_url=self.launch_url,
                                             jwks_url=self.jwks_url)

    def _build_app(self) -> Flask:
        """The tool's Flask app: JWKS, login, launch, dynamic registration."""
        app = Flask(__name__)

        @app.get("/jwks")
        def jwks():
            """The tool's public key."""
            return jsonify({"keys": [public_jwk(self.key, self.kid)]})

        @app.route("/login", methods=["GET", "POST"])
        def login():
            """OIDC login initiation: remember state and nonce, redirect to the platform."""
            params = request.values
            if params.get("iss") != self.platform.issuer or params.get("client_id") != self.platform.client_id:
                abort(400)
            state, nonce = secrets.token_hex(8), secrets.token_hex(8)
            self.states[state] = nonce
            if params.get("lti_storage_target") and params.get("probe_storage", self.probe_storage):
                return STORAGE_PROBE.replace("ORIGIN", json.dumps(_origin(self.platform.auth_login_url)))
            query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                     "prompt": "none", "client_id": params["client_id"], "redirect_uri": self.launch_url,
                     "login_hint": params["login_hint"], "lti_message_hint": params.get("lti_message_hint", ""),
                     "state": state, "nonce": nonce}
            return redirect(requests.Request("GET", self.platform.auth_login_url, params=query).prepare().url)

        @app.post("/launch")
        def launch():
            """Verify the id_token, state and nonce; answer the claims as JSON."""
            if "error" in request.form:
                return jsonify({"error": request.form["error"], "description": request.form.get("error_description")}), 400
            nonce = self.states.pop(request.form.get("state", ""), None)
            if nonce is None:
                return jsonify({"error": "unknown state"}), 400
            try:
                claims = self.verify_id_token(request.form["id_token"])
            except jwt.PyJWTError as exc:
                return jsonify({"error": "bad id_token", "description": str(exc)}), 401
            if claims.get("nonce") != nonce:
                return jsonify({"error": "nonce mismatch"}), 401
            self.launches.append(claims)
            return jsonify({"ok": True, "claims": claims, "form": request.form.to_dict()})

        @app.get("/register")
        def dynamic_registration():
            """Register with the platform named by openid_configuration."""
            config = requests.get(request.args["openid_configuration"], timeout=5).json()
            resp = requests.post(config["registration_endpoint"], json=self.client_metadata(),
                                 headers={"Authorization": "Bearer " + request.args.get("registration_token", "")})
            self.registration = resp.json()
            return jsonify(self.registration), resp.status_code

        return app

    def client_metadata(self, **changes) -> dict:
        """The OpenID client registration this tool sends (Dynamic Registration 1.0)."""
        host = self.url.split("//", 1)[1]
        body = {"application_type": "web", "response_types": ["id_token"],
                "grant_types": ["implicit", "client_credentials"], "initiate_login_uri": self.login_url,
                "redirect_uris": [self.launch_url], "client_name": "Fake tool", "jwks_uri": self.jwks_url,
                "token_endpoint_auth_method": "private_key_jwt", "scope": " ".join(C.ALL_SCOPES),
                "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                    "domain": host, "target_link_uri": self.launch_url, "claims": ["iss", "sub", "name"],
                    "messages": [{"type": "LtiDeepLinkingRequest", "target_link_uri": self.launch_url}]}}
        body.update(changes)
        return body

    def verify_id_token(self, token: str) -> dict:
        """Verify a platform id_token against the platform's JWKS (fetched fresh)."""
        jwks = requests.get(self.platform.key_set_url, timeout=5).json()
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((k for k in jwks["keys"] if k["kid"] == kid), None)
        if key is None:
            raise jwt.InvalidTokenError(f"no platform key with kid {kid!r}")
        return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=self.platform.client_id,
                          issuer=self.platform.issuer)

    def assertion(self, *, aud: str | None = None, key=None, kid: str | None = None, **overrides) -> str:
        """A client assertion for the token endpoint (overrides break it on purpose)."""
        now = int(time.time())
        claims = {"iss": self.platform.client_id, "sub": self.platform.client_id,
                  "aud": aud or self.platform.auth_token_url, "iat": now, "exp": now + 60,
                  "jti": uuid.uuid4().hex}
        claims.update(overrides)
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def token_request(self, scopes, **assertion_overrides) -> requests.Response:
        """POST to the platform's token endpoint."""
        return requests.post(self.platform.auth_token_url, data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": self.assertion(**assertion_overrides), "scope": " ".join(scopes)})

    def access_token(self, scopes=None) -> str:
        """A bearer token for the given scopes (all LTI Advantage scopes by default)."""
        resp = self.token_request(scopes or C.ALL_SCOPES)
        resp.raise_for_status()
        return resp.json()["access_token"]

    def deep_link_response(self, request_claims: dict, items: list[dict], **overrides) -> str:
        """An LtiDeepLinkingResponse JWT answering a deep-linking request."""
        now = int(time.time())
        settings = request_claims[C.DL_SETTINGS]
        claims = {"iss": self.platform.client_id, "aud": self.platform.issuer, "iat": now, "exp": now + 300,
                  "nonce": uuid.uuid4().hex, C.MESSAGE_TYPE: C.DEEP_LINKING_RESPONSE, C.VERSION: "1.3.0",
                  C.DEPLOYMENT_ID: request_claims[C.DEPLOYMENT_ID], C.DL_CONTENT_ITEMS: items}
        if "data" in settings:
            claims[C.DL_DATA] = settings["data"]
        claims.update(overrides)
        return jwt.encode({k: v for k, v in claims.items() if v is not None}, self.key, algorithm="RS256",
                          headers={"kid": self.kid})
