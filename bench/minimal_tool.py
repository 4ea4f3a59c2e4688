"""A pylti1p3-example-style minimal LTI 1.3 tool, the yardstick of bench/launch_compare.py.

What a tool built straight from pylti1p3's Flask example costs per launch: OIDC login and launch
through pylti1p3's own Flask adapter (`pylti1p3.contrib.flask`: state and nonce in the Flask
cookie session, the state cookie checked, the id_token verified with RS256), the platform's key
set cached in process (pylti1p3's public-key caching over a dict cache, as the example does with
Flask-Caching), and a small landing page reached by a redirect carrying a signed token, the way
VBHC Academy's own launch lands. No database, no templates on disk, no rate limiter, no CSP.

Served like the tool: `gunicorn --config gunicorn.conf.py -w 2 --pythonpath bench
"minimal_tool:create_app()"`, with MINIMAL_TOOL_CONF naming a JSON file:
{"issuer": …, "client_id": …, "deployment_ids": […], "auth_login_url": …, "auth_token_url": …,
 "key_set_url": …, "private_key_pem": …, "secret_key": …}.
"""
from __future__ import annotations

import json
import os
import threading
import time

from flask import Flask, abort, jsonify, redirect, render_template_string, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfDict

LANDING = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Minimal tool</title></head>
<body><h1>Welcome, {{ name }}</h1><p>You launched {{ link }} from {{ course }}.</p>
<a href="{{ url_for('landing', t=token) }}">Reload</a></body></html>"""


class DictCache:
    """The few methods of Flask-Caching's SimpleCache pylti1p3 uses, in process, with expiry."""

    def __init__(self):
        self._items: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            expires, value = self._items.get(key, (0.0, None))
        return value if expires > time.monotonic() else None

    def set(self, key, value, timeout=None):
        with self._lock:
            self._items[key] = (time.monotonic() + (timeout or 300), value)
        return True


def create_app(conf: dict | None = None) -> Flask:
    """The minimal tool, configured from MINIMAL_TOOL_CONF (or `conf`)."""
    if conf is None:
        with open(os.environ["MINIMAL_TOOL_CONF"]) as handle:
            conf = json.load(handle)
    app = Flask(__name__)
    app.secret_key = conf["secret_key"]
    tool_conf = ToolConfDict({conf["issuer"]: [{
        "default": True, "client_id": conf["client_id"], "auth_login_url": conf["auth_login_url"],
        "auth_token_url": conf["auth_token_url"], "key_set_url": conf["key_set_url"], "key_set": None,
        "deployment_ids": list(conf["deployment_ids"])}]})
    tool_conf.set_private_key(conf["issuer"], conf["private_key_pem"], client_id=conf["client_id"])
    public_jwks = {"keys": [Registration.get_jwk(public) for public in [_public_pem(conf["private_key_pem"])]]}
    cache = DictCache()
    signer = URLSafeTimedSerializer(app.secret_key, salt="minimal-landing")

    def storage() -> FlaskCacheDataStorage:
        return FlaskCacheDataStorage(cache)

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.route("/login", methods=["GET", "POST"])
    def login():
        flask_request = FlaskRequest()
        oidc = FlaskOIDCLogin(flask_request, tool_conf)  # state and nonce in the Flask cookie session
        # The example adds enable_check_cookies(), a JS page first; the bench browser runs no JS.
        return oidc.redirect(flask_request.get_param("target_link_uri"))

    @app.post("/launch")
    def launch():
        flask_request = FlaskRequest()
        message = FlaskMessageLaunch(flask_request, tool_conf)
        # Only the key set goes in the (per-process) cache: state and nonce must reach any worker.
        message.set_public_key_caching(storage(), cache_lifetime=7200)
        data = message.get_launch_data()  # validates state, nonce, registration, signature, deployment, message
        token = signer.dumps({
            "name": data.get("name") or data.get("sub"),
            "link": (data.get("https://purl.imsglobal.org/spec/lti/claim/resource_link") or {}).get("id"),
            "course": (data.get("https://purl.imsglobal.org/spec/lti/claim/context") or {}).get("title")})
        return redirect(url_for("landing", t=token))

    @app.get("/landing")
    def landing():
        token = request.args.get("t", "")
        try:
            facts = signer.loads(token, max_age=3600)
        except BadSignature:
            abort(401)
        return render_template_string(LANDING, token=token, **facts)

    @app.get("/jwks")
    def jwks():
        return jsonify(public_jwks)

    return app


def _public_pem(private_pem: str) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def new_private_key_pem() -> str:
    """A fresh RSA key for one bench run."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
