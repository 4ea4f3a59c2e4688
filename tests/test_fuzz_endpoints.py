"""Property-based: malformed, oversized and adversarial input to the LTI endpoints over real HTTP
(OIDC login, launch, the deep-linking picker's choice, dynamic registration), on the tool served by
live_server against the demolms platform. Properties: never a 5xx (except the documented 502 of a
registration the platform failed), and a refused request writes no row in any table."""
from __future__ import annotations

import base64
import json
import os
import string
from collections import Counter
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from elearn.extensions import db
from launch_support import error_code, lt_of, make_browser, module_platform, tool  # noqa: F401 (fixtures)
from lti import claims as C
from quiz_support import MODULE, loaded  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))   # raise it for a longer hunt (FUZZ_EXAMPLES=2000)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
FEW = settings(FUZZ, max_examples=max(1, EXAMPLES * 3 // 5))
TIMEOUT = 20
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

# ---------------------------------------------------------------- strategies

short_text = st.text(max_size=40)
nasty = st.sampled_from([
    "", " ", "null", "0", "-1", "true", "[]", "{}", "\x00", "%00", "\u202e", "é" * 3, "../../etc/passwd",
    "<script>alert(1)</script>", "' OR 1=1 --", "javascript:alert(1)", "data:text/html,x", "http://127.0.0.1:1/",
    "https://127.0.0.1:1/x", "http://localhost:1/", "file:///etc/passwd", "a.b.c", "..", "eyJ", "Bearer x",
])
huge = st.sampled_from([300, 5_000, 16 * 1024 + 1, 70_000, 600_000]).map(lambda n: "x" * n)
field_values = st.one_of(short_text, nasty, huge, st.text(string.printable, min_size=41, max_size=400))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | short_text | nasty | st.sampled_from(["x" * 300, "é" * 2000]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_text | nasty, inner, max_size=4),
    max_leaves=8)
LTI_CLAIMS = [C.MESSAGE_TYPE, C.VERSION, C.DEPLOYMENT_ID, C.TARGET_LINK_URI, C.RESOURCE_LINK, C.ROLES, C.CONTEXT,
              C.CUSTOM, C.LAUNCH_PRESENTATION, C.TOOL_PLATFORM, C.FOR_USER, C.AGS_ENDPOINT, C.NRPS, C.DL_SETTINGS,
              "sub", "name", "given_name", "family_name", "email", "locale", "picture"]
CORE_CLAIMS = ["iss", "aud", "azp", "exp", "iat", "nbf", "nonce"]
SUB_KEYS = ["id", "title", "label", "type", "description", "module", "lineitem", "lineitems", "scope",
            "context_memberships_url", "deep_link_return_url", "accept_types", "accept_multiple",
            "accept_presentation_document_targets", "return_url", "document_target", "data", "locale", "guid"]
claim_values = st.one_of(json_values, st.dictionaries(st.sampled_from(SUB_KEYS), json_values, max_size=5),
                         st.lists(short_text | nasty, max_size=5))
small_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | short_text | nasty
    | st.sampled_from(["x" * 300, "é" * 1500, "1" * 70]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(short_text | nasty, inner, max_size=3), max_leaves=4)
DICT_CLAIMS = [C.RESOURCE_LINK, C.CONTEXT, C.CUSTOM, C.LAUNCH_PRESENTATION, C.TOOL_PLATFORM, C.AGS_ENDPOINT, C.NRPS,
               C.DL_SETTINGS, C.FOR_USER]


def rarely(strategy):
    """Nothing most of the time, else a value of `strategy`."""
    return st.one_of(st.none(), st.none(), st.none(), strategy)


random_claims = st.dictionaries(st.sampled_from(LTI_CLAIMS + CORE_CLAIMS) | short_text, claim_values, max_size=10)
headers = st.fixed_dictionaries({}, optional={
    "alg": st.sampled_from(["RS256", "RS512", "HS256", "none", "ES256", ""]) | short_text,
    "kid": short_text | nasty | st.none() | st.integers(), "typ": short_text, "jku": nasty, "x5u": nasty})


# ---------------------------------------------------------------- helpers

def row_counts(app) -> dict[str, int]:
    """Rows of every table of the schema, in one query."""
    names = [t.name for t in db.metadata.sorted_tables]
    query = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{name}")' for name in names)
    with app.app_context():
        row = db.session.execute(text(query)).one()
        db.session.remove()
    return dict(zip(names, row))


def changed(before: dict, after: dict, allowed: set[str] = frozenset()) -> dict:
    """Tables whose row count changed, apart from `allowed`."""
    return {name: (before[name], after[name]) for name in before
            if before[name] != after[name] and name not in allowed}


def no_server_error(resp) -> None:
    assert resp.status_code < 500, (resp.status_code, resp.request.method, resp.url[:300], resp.text[-1500:])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jwt(claims: dict, header: dict, key=ATTACKER_KEY) -> str:
    """RS256 over any claims and header (PyJWT's encode refuses some, e.g. a non-string iss);
    by default with a key no platform registered."""
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64(signature)


def _login_state(browser, tool, platform, **launch) -> tuple[str, str]:
    """A real login at the tool in this browser (state cookie set); returns (state, nonce)."""
    init = platform.platform.prepare_launch(**launch)
    resp = browser.post(init.url, data=init.params, allow_redirects=False, timeout=TIMEOUT)
    assert resp.status_code == 302, resp.text[:500]
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    return query["state"][0], query["nonce"][0]


# ---------------------------------------------------------------- /lti/login

LOGIN_KEYS = ["iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id",
              "deployment_id", "lti_storage_target", "lti_new_window"]


def test_login_with_malformed_parameters_never_fails_and_a_refusal_writes_nothing(app, tool, platform):
    init = platform.platform.prepare_launch(role="learner", custom={"module": "care-cycle"})
    valid = dict(init.params)
    browser = make_browser()

    @FUZZ
    @given(keep=st.sets(st.sampled_from(sorted(valid))), changes=st.dictionaries(
               st.sampled_from(LOGIN_KEYS) | short_text, field_values, max_size=5),
           method=st.sampled_from(["GET", "POST"]))
    @example(keep=set(valid), changes={"login_hint": "x" * 70_000}, method="POST")  # echoed into Location
    def check(keep, changes, method):
        params = {k: v for k, v in valid.items() if k in keep}
        params.update(changes)
        if method == "GET":  # a browser cannot send a request line of megabytes; the server refuses it anyway
            params = {k: v[:20_000] for k, v in params.items()}
        before = row_counts(app)
        try:
            if method == "GET":
                resp = browser.get(f"{tool.url}/lti/login", params=params, allow_redirects=False, timeout=TIMEOUT)
            else:
                resp = browser.post(f"{tool.url}/lti/login", data=params, allow_redirects=False, timeout=TIMEOUT)
        except requests.ConnectionError as exc:  # e.g. a response header line over 64 KB
            pytest.fail(f"the tool's answer to a {method} /lti/login could not be read: {exc}; "
                        f"sizes sent: { {k: len(v) for k, v in params.items()} }")
        no_server_error(resp)
        after = row_counts(app)
        if resp.status_code >= 400:
            assert changed(before, after) == {}, (params, resp.status_code)
        else:  # a login may remember its state (database store) and make the tool's keys, nothing else
            assert changed(before, after, {"lti_oidc_states", "lti_tool_keys"}) == {}
            assert after["lti_oidc_states"] - before["lti_oidc_states"] in (0, 1)
            if resp.status_code in (301, 302, 303, 307, 308):
                assert resp.headers["Location"].startswith(platform.auth_login_url), resp.headers["Location"]

    check()


# ---------------------------------------------------------------- /lti/launch

def _garbled(token: str, how: int, where: int, junk: str) -> str:
    """A real id_token damaged in one of several ways."""
    head, body, sig = token.split(".")
    at = where % max(1, len(token))
    return [
        token[:at],                                                    # truncated
        token[:at] + junk + token[at + 1:],                            # a character replaced
        ".".join([head, sig, body]),                                   # parts swapped
        ".".join([head, body]),                                        # signature missing
        ".".join([head, body, ""]),                                    # empty signature
        ".".join([head, b64(json.dumps({"iss": junk}).encode()), sig]),  # body replaced under the signature
        token + "." + b64(junk.encode()),                              # a fourth part
        ".".join([b64(b"{" + junk.encode()), body, sig]),               # header not JSON
        ".".join([b64(b"[1,2]"), b64(b'"a string"'), sig]),           # header and body not objects
        token.replace("-", "+").replace("_", "/"),                     # base64 instead of base64url
    ][how % 10]


@st.composite
def id_tokens(draw, real_token: str, platform_kid: str):
    kind = draw(st.sampled_from(["random", "huge", "garbled", "attacker", "unsigned"]))
    if kind == "random":
        return draw(field_values)
    if kind == "huge":
        return draw(st.sampled_from(["a.b.c" + "x" * (16 * 1024), "e" * 100_000, real_token * 30]))
    if kind == "garbled":
        return _garbled(real_token, draw(st.integers(0, 9)), draw(st.integers(0, 2000)),
                        draw(st.text(min_size=1, max_size=5)))
    claims = draw(random_claims)
    header = draw(headers)
    if kind == "unsigned":
        return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()),
                         draw(st.sampled_from(["", "c2ln", b64(b"\x00" * 256)]))])
    kid = draw(st.sampled_from([platform_kid, "attacker-key"]) | short_text)  # an unknown key under any kid
    return raw_jwt(claims, {"alg": "RS256", "typ": "JWT", "kid": kid})


def test_launch_with_garbage_tokens_never_fails_and_writes_nothing(app, loaded, tool, platform):
    browser = make_browser()
    real = platform.launch(browser, role="learner", locale="en", custom={"module": MODULE})
    assert real.status_code == 200
    real_token = platform.last_launch.id_token
    platform_kid = jwt.get_unverified_header(real_token)["kid"]
    outcomes: Counter = Counter()

    @FUZZ
    @given(token=st.data(), state_kind=st.sampled_from(["real", "random", "missing", "huge"]),
           random_state=field_values, extra=st.dictionaries(
               st.sampled_from(["lti_storage_value", "lti_storage_error", "error", "error_description", "utf8"])
               | short_text, field_values, max_size=3))
    def check(token, state_kind, random_state, extra):
        id_token = token.draw(id_tokens(real_token, platform_kid))
        form = dict(extra, id_token=id_token)
        if state_kind == "real":   # a live login of this browser: the token's checks are what refuses
            form["state"], _nonce = _login_state(browser, tool, platform, custom={"module": MODULE})
        elif state_kind == "random":
            form["state"] = random_state
        elif state_kind == "huge":
            form["state"] = "s" * 200_000
        before = row_counts(app)
        resp = browser.post(f"{tool.url}/lti/launch", data=form, allow_redirects=False, timeout=TIMEOUT)
        no_server_error(resp)
        outcomes[f"{resp.status_code} {error_code(resp) or ''}".strip()] += 1
        assert resp.status_code >= 400, resp.text[:500]
        assert changed(before, row_counts(app)) == {}, (form.keys(), resp.status_code, error_code(resp))

    check()
    print("garbage launch outcomes:", dict(outcomes))


STRING_FIELDS = [("name", None), ("given_name", None), ("family_name", None), ("email", None), ("sub", None),
                 ("locale", None), (C.CONTEXT, "id"), (C.CONTEXT, "title"), (C.CONTEXT, "label"),
                 (C.RESOURCE_LINK, "id"), (C.RESOURCE_LINK, "title"), (C.CUSTOM, "module"),
                 (C.LAUNCH_PRESENTATION, "return_url"), (C.LAUNCH_PRESENTATION, "locale"),
                 (C.AGS_ENDPOINT, "lineitems"), (C.AGS_ENDPOINT, "lineitem"), (C.NRPS, "context_memberships_url")]

# Refusals after the token was fully verified and consumed (so it cannot be replayed): only the
# used nonce is recorded (and the login's state dropped).
VERIFIED_BUT_REFUSED = {"role_required"}


def test_launch_signed_by_the_platform_with_hostile_claims_never_fails(app, loaded, tool, platform):
    """The adversarial case behind the signature: a registered platform (or a stolen key) signs
    claims of any type and size for a live login of this browser (right state and nonce); the
    launch is refused with a 4xx or recorded, never a 5xx; a refused launch leaves no row behind
    and the page an accepted one lands on is no 5xx either."""
    outcomes: Counter = Counter()

    @FUZZ
    @given(changes=st.dictionaries(st.sampled_from(LTI_CLAIMS), small_values, max_size=2),
           merged=st.dictionaries(st.sampled_from(DICT_CLAIMS),
                                  st.dictionaries(st.sampled_from(SUB_KEYS), small_values, min_size=1, max_size=3),
                                  max_size=2),
           core=rarely(st.dictionaries(st.sampled_from(CORE_CLAIMS), small_values, min_size=1, max_size=2)),
           drops=rarely(st.lists(st.sampled_from(LTI_CLAIMS + CORE_CLAIMS), min_size=1, max_size=2)),
           header=rarely(headers),
           long=rarely(st.dictionaries(st.sampled_from(STRING_FIELDS), st.sampled_from([65, 256, 1025, 4000]),
                                       min_size=1, max_size=2)),
           message=st.sampled_from([C.RESOURCE_LINK_REQUEST, C.DEEP_LINKING_REQUEST, C.SUBMISSION_REVIEW_REQUEST]),
           role=st.sampled_from(["learner", "instructor"]))
    @example(changes={}, merged={C.LAUNCH_PRESENTATION: {"return_url": {"a": 1}}}, core=None, drops=None,
             header=None, long=None, message=C.RESOURCE_LINK_REQUEST, role="learner")
    @example(changes={}, merged={}, core=None, drops=None, header=None, long={("name", None): 256},
             message=C.RESOURCE_LINK_REQUEST, role="learner")
    def check(changes, merged, core, drops, header, message, role, long):
        options = dict(role=role, locale="en", message_type=message)
        if message == C.DEEP_LINKING_REQUEST:
            options["resource_link_id"] = None
        else:
            options["custom"] = {"module": MODULE}
        if message == C.SUBMISSION_REVIEW_REQUEST:
            options["for_user"] = "learner"
        browser = make_browser()
        state, nonce = _login_state(browser, tool, platform, **options)
        claims = platform.base_claims(nonce=nonce, **options)
        for name in drops or ():
            claims.pop(name, None)
        claims.update(changes)
        for name, fields in merged.items():
            claims[name] = {**(claims.get(name) if isinstance(claims.get(name), dict) else {}), **fields}
        claims.update(core or {})
        for (name, field), size in (long or {}).items():   # longer than the columns they land in
            if field is None:
                claims[name] = "x" * size
            else:
                claims[name] = {**(claims.get(name) if isinstance(claims.get(name), dict) else {}), field: "x" * size}
        header = header or {}
        key = platform.platform.keys.current
        id_token = raw_jwt(claims, {"typ": "JWT", "kid": key.kid, **header, "alg": "RS256"}, key.key)
        before = row_counts(app)
        resp = browser.post(f"{tool.url}/lti/launch", data={"id_token": id_token, "state": state},
                            allow_redirects=False, timeout=TIMEOUT)
        no_server_error(resp)
        outcomes[f"{resp.status_code} {error_code(resp) or ''}".strip()] += 1
        after = row_counts(app)
        if resp.status_code >= 400:
            if error_code(resp) in VERIFIED_BUT_REFUSED:   # a genuine token, used up: its nonce is kept
                assert changed(before, after, {"lti_used_nonces", "lti_oidc_states"}) == {}
                assert after["lti_used_nonces"] - before["lti_used_nonces"] in (0, 1)
            else:
                assert changed(before, after) == {}, (changes, merged, core, drops, error_code(resp))
            return
        assert resp.status_code in (302, 303), resp.text[:500]
        landing_before = row_counts(app)
        landed = browser.get(urljoin(tool.url, resp.headers["Location"]), allow_redirects=False, timeout=TIMEOUT)
        no_server_error(landed)
        if landed.status_code >= 400:
            assert changed(landing_before, row_counts(app)) == {}

    check()
    print("signed launch outcomes:", dict(outcomes))


# ---------------------------------------------------------------- the deep-linking picker

PICKER_FIELDS = ["lt", "module", "csrf_token", "course_lang", "phase", "pillar", "mode", "cell", "q", "clear"]
DL_SETTING_KEYS = ["deep_link_return_url", "accept_types", "accept_multiple", "auto_create", "accept_lineitem",
                   "accept_presentation_document_targets", "data", "title", "text", "accept_media_types"]


def test_picker_choice_with_hostile_forms_and_settings_never_fails_and_a_refusal_writes_nothing(
        app, loaded, tool, platform):
    @FUZZ
    @given(settings_changes=st.dictionaries(st.sampled_from(DL_SETTING_KEYS), claim_values, max_size=3),
           modules=st.lists(st.sampled_from(["alpha-value", "beta-teams", "gamma-data", "no-such"]) | field_values,
                            max_size=6),
           fields=st.dictionaries(st.sampled_from(PICKER_FIELDS) | short_text, field_values, max_size=5),
           lt_kind=st.sampled_from(["valid", "valid", "valid", "random", "missing", "learner"]),
           endpoint=st.sampled_from(["choose", "choose", "cancel", "index"]))
    @example(settings_changes={"deep_link_return_url": [None]}, modules=[], fields={}, lt_kind="valid",
             endpoint="index")
    def check(settings_changes, modules, fields, lt_kind, endpoint):
        def mutate(claims, head):
            claims[C.DL_SETTINGS] = {**(claims.get(C.DL_SETTINGS) or {}), **settings_changes}
            return claims, head

        browser = make_browser()
        if lt_kind == "learner":   # a learner's launch token on the instructors' picker
            page = platform.launch(browser, role="learner", locale="en", custom={"module": MODULE})
        else:
            page = platform.launch(browser, role="instructor", locale="en", message_type=C.DEEP_LINKING_REQUEST,
                                   resource_link_id=None, mutate=mutate)
        no_server_error(page)
        lt = lt_of(page.url) or ""
        form = [(k, v) for k, v in fields.items() if k not in ("lt", "module")]
        form += [("module", m) for m in modules]
        if lt_kind in ("valid", "learner"):
            form.append(("lt", lt))
        elif lt_kind == "random":
            form.append(("lt", fields.get("lt", "forged")))
        before = row_counts(app)
        if endpoint == "index":
            resp = browser.get(f"{tool.url}/picker/", params=form, allow_redirects=False, timeout=TIMEOUT)
        else:
            resp = browser.post(f"{tool.url}/picker/{endpoint}", data=form, allow_redirects=False, timeout=TIMEOUT)
        no_server_error(resp)
        after = row_counts(app)
        sent = resp.status_code == 200 and 'name="JWT"' in resp.text
        if not sent:
            assert changed(before, after) == {}, (endpoint, form, resp.status_code)
        else:                     # the response JWT may need the tool's signing key, made on first use
            assert changed(before, after, {"lti_tool_keys"}) == {}
            assert endpoint != "index" and lt_kind == "valid"

    check()


# ---------------------------------------------------------------- /lti/register

def _registration_failed(resp) -> bool:
    """The documented answer when the platform fails the registration: 502 registration_failed."""
    return resp.status_code == 502 and error_code(resp) == "registration_failed"


def _new_tokens(app, count: int) -> list[str]:
    from lti import dynreg

    with app.app_context():
        tokens = [dynreg.create_registration_token(db.session) for _ in range(count)]
        db.session.commit()
        return tokens


def test_registration_with_malformed_parameters_never_fails_and_a_refusal_writes_nothing(app, tool, platform):
    tokens = _new_tokens(app, 4)
    config_url = platform.openid_configuration_url
    real = parse_qs(urlsplit(platform.registration_url(f"{tool.url}/lti/register")).query)["registration_token"][0]
    configs = st.sampled_from([config_url, config_url + "x", platform.url + "/", platform.url + "/register",
                               platform.url + "/.well-known/jwks.json", config_url.replace("127.0.0.1", "localhost"),
                               "https://127.0.0.1:1/.well-known/openid-configuration", "http://[::1]:1/",
                               "ftp://127.0.0.1/x", "//127.0.0.1/x"]) | field_values

    @FUZZ
    @given(token=st.sampled_from(tokens) | field_values | st.none(), config=configs | st.none(),
           registration_token=st.sampled_from([real]) | field_values | st.none(),
           extra=st.dictionaries(short_text, field_values, max_size=3))
    def check(token, config, registration_token, extra):
        params = dict(extra)
        for name, value in (("token", token), ("openid_configuration", config),
                            ("registration_token", registration_token)):
            if value is not None:
                params[name] = value[:20_000]
        before = row_counts(app)
        resp = make_browser().get(f"{tool.url}/lti/register", params=params, timeout=TIMEOUT)
        assert resp.status_code < 500 or _registration_failed(resp), (params, resp.status_code, resp.text[-1500:])
        after = row_counts(app)
        if resp.status_code >= 400 or "org.imsglobal.lti.close" not in resp.text:
            assert changed(before, after) == {}, (params, resp.status_code, error_code(resp))
        else:                       # registered: one platform (and its deployment), the token used up
            assert after["lti_platforms"] - before["lti_platforms"] in (0, 1)   # (or updated in place)
            assert changed(before, after, {"lti_platforms", "lti_deployments", "lti_tool_keys"}) == {}

    check()


OPENID_KEYS = ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint",
               "authorization_server", "claims_supported", "scopes_supported", C.PLATFORM_CONFIGURATION]
ANSWER_KEYS = ["client_id", C.TOOL_CONFIGURATION, "registration_client_uri", "scope"]


def test_registration_against_a_hostile_platform_never_fails(app, tool, platform):
    """The platform's OpenID configuration and registration answer of any shape and type."""
    @FEW
    @given(config_changes=st.dictionaries(st.sampled_from(OPENID_KEYS), claim_values, max_size=3),
           answer=st.none() | json_values | st.dictionaries(st.sampled_from(ANSWER_KEYS) | short_text,
                                                            claim_values, max_size=4),
           status=st.sampled_from([200, 200, 201, 400, 401, 500]))
    @example(config_changes={"authorization_server": ["x"]}, answer=None, status=200)
    @example(config_changes={C.PLATFORM_CONFIGURATION: "moodle"}, answer=None, status=200)
    @example(config_changes={C.PLATFORM_CONFIGURATION: {"product_family_code": {"a": 1}}}, answer=None, status=200)
    @example(config_changes={}, answer={"client_id": "c", C.TOOL_CONFIGURATION: ["x"]}, status=200)
    @example(config_changes={}, answer={"client_id": "c" * 300}, status=200)
    def check(config_changes, answer, status):
        from demolms.registration import openid_configuration

        (token,) = _new_tokens(app, 1)
        config = {**openid_configuration(platform.platform), **config_changes}
        platform.platform.faults.clear()
        platform.fail("/.well-known/openid-configuration", 200, body=config)
        if answer is not None:
            platform.fail("/register", status, body=answer)
        url = platform.registration_url(f"{tool.url}/lti/register?token={token}")
        before = row_counts(app)
        resp = make_browser().get(url, timeout=TIMEOUT)
        platform.platform.faults.clear()
        assert resp.status_code < 500 or _registration_failed(resp), (config_changes, answer, resp.text[-1500:])
        after = row_counts(app)
        if resp.status_code >= 400 or "org.imsglobal.lti.close" not in resp.text:
            assert changed(before, after) == {}, (config_changes, answer, resp.status_code)

    check()
