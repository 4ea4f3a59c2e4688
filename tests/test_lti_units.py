"""lti/ pieces on their own: role vocabulary, tool keys, state stores, registry, token cache."""
from __future__ import annotations

from datetime import timedelta

import pytest

from elearn.extensions import db
from launch_support import random_prefix, redis_or_skip
from lti import keys, registry
from lti.errors import LtiError
from lti.roles import normalise_roles
from lti.service_auth import TokenCache, next_link
from lti.services import scores_url
from lti.state_store import DbStateStore, LoginState, RedisStateStore

V2 = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize("roles, expected", [
    ([V2 + "membership#Learner"], {"learner"}),
    ([V2 + "membership#Instructor"], {"instructor"}),
    ([V2 + "membership/Instructor#TeachingAssistant"], {"instructor"}),
    ([V2 + "membership#ContentDeveloper"], {"instructor"}),
    ([V2 + "membership#Administrator"], {"admin"}),
    ([V2 + "institution/person#Administrator", V2 + "membership#Learner"], {"admin", "learner"}),
    ([V2 + "system/person#Administrator"], {"admin"}),
    ([V2 + "institution/person#Faculty"], {"learner"}),  # faculty somewhere is not instructor here
    (["Instructor"], {"instructor"}),
    (["Learner", "TeachingAssistant"], {"learner", "instructor"}),
    (["urn:lti:role:ims/lis/Instructor"], {"instructor"}),
    (["urn:lti:role:ims/lis/Instructor/TeachingAssistant"], {"instructor"}),
    (["urn:lti:role:ims/lis/Learner"], {"learner"}),
    (["urn:lti:instrole:ims/lis/Administrator"], {"admin"}),
    (["urn:lti:sysrole:ims/lis/SysAdmin"], {"admin"}),
    ([V2 + "membership#Mentor"], {"learner"}),
    (["http://example.com/unknown#Role"], {"learner"}),
    ([], {"learner"}),
    (["urn:lti:role:", "urn:lti:"], {"learner"}),   # an IndexError before (atheris: fuzz_lti_launch.py)
    # Open edX's course admin and course staff (lti_consumer LTI_1P3_ROLE_MAP "instructor", "staff"):
    # system and institution person#None mean no role there (LIS v2 vocabulary), not a learner.
    ([V2 + "system/person#None", V2 + "institution/person#None", V2 + "membership#Administrator",
      V2 + "membership#Instructor"], {"admin", "instructor"}),
    ([V2 + "system/person#None", V2 + "institution/person#None", V2 + "membership#Instructor"], {"instructor"}),
])
def test_roles_are_normalised(roles, expected):
    assert normalise_roles(roles) == frozenset(expected)


def test_keys_created_lazily_and_rotated_next_current_previous(app):
    with app.app_context():
        first = keys.jwks(db.session)
        kids = [k["kid"] for k in first["keys"]]
        assert len(kids) == 2
        current = keys.signing_key(db.session).kid
        upcoming = next(k for k in kids if k != current)
        result = keys.rotate(db.session)
        assert (result["previous"], result["current"]) == (current, upcoming)  # the published next is used
        assert keys.signing_key(db.session).kid == upcoming
        published = {k["kid"] for k in keys.jwks(db.session)["keys"]}
        assert published == {current, upcoming, result["next"]}
        # A rotation long after the previous key's tokens expired drops it.
        second = keys.rotate(db.session, token_lifetime=timedelta(0))
        assert second["dropped"] == 1
        assert current not in {k["kid"] for k in keys.jwks(db.session)["keys"]}
        db.session.rollback()


def test_rotation_keeps_a_previous_key_whose_tokens_may_be_alive(app):
    with app.app_context():
        keys.ensure_keys(db.session)
        first = keys.rotate(db.session)
        second = keys.rotate(db.session)  # within the token lifetime: both earlier keys still published
        published = {k["kid"] for k in keys.jwks(db.session)["keys"]}
        assert {first["previous"], second["previous"], second["current"], second["next"]} <= published
        db.session.rollback()


def _login(state="state-1", nonce="nonce-1"):
    return LoginState(state=state, nonce=nonce, platform_id=1, binding="b", storage_target="_parent",
                      platform_origin="http://127.0.0.1:1", login_params={"iss": "x"})


def _exercise_store(store):
    store.save_state(_login(), ttl=60)
    loaded = store.get_state("state-1")
    assert (loaded.nonce, loaded.binding, loaded.storage_target, loaded.login_params) == (
        "nonce-1", "b", "_parent", {"iss": "x"})
    assert store.get_state("state-2") is None
    store.delete_state("state-1")
    assert store.get_state("state-1") is None
    assert not store.nonce_used("iss", "n")
    assert store.use_nonce("iss", "n") is True
    assert store.use_nonce("iss", "n") is False  # the second use is a replay
    assert store.nonce_used("iss", "n") and not store.nonce_used("other-iss", "n")
    store.save_state(_login("state-old"), ttl=-1)  # already expired
    assert store.get_state("state-old") is None
    store.save_state(_login("state-3", "nonce-3"), ttl=60)
    assert store.consume("state-3", "iss", "nonce-3") is True    # the launch: nonce used, login forgotten
    assert store.get_state("state-3") is None and store.nonce_used("iss", "nonce-3")
    store.save_state(_login("state-4", "nonce-3"), ttl=60)
    assert store.consume("state-4", "iss", "nonce-3") is False   # the same nonce again: a replay


def test_database_state_store(app):
    with app.app_context():
        _exercise_store(DbStateStore(db.session))


def test_database_state_store_sweeps_expired_rows_now_and_then(app, monkeypatch):
    from lti.models import OidcState

    with app.app_context():
        store = DbStateStore(db.session)
        store.save_state(_login("sweep-old"), ttl=-5)
        monkeypatch.setattr(DbStateStore, "_next_sweep", 0.0)       # a sweep is due
        store.save_state(_login("sweep-1"), ttl=60)                  # sweeps sweep-old, not itself
        assert db.session.get(OidcState, "sweep-old") is None and db.session.get(OidcState, "sweep-1")
        store.save_state(_login("sweep-old-2"), ttl=-5)
        store.save_state(_login("sweep-2"), ttl=60)                  # within the interval: no sweep
        assert db.session.get(OidcState, "sweep-old-2") is not None


@pytest.mark.services
def test_redis_state_store():
    client = redis_or_skip()
    prefix = random_prefix()
    try:
        store = RedisStateStore(client, prefix)
        _exercise_store(store)
        store.save_state(_login("state-ttl"), ttl=60)
        assert 0 < client.ttl(f"{prefix}state:state-ttl") <= 60  # Redis expires logins by itself
    finally:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)


def test_add_platform_is_idempotent_and_adds_deployments(app):
    with app.app_context():
        args = dict(issuer="https://lms.example", client_id="c1", auth_login_url="https://lms.example/auth",
                    auth_token_url="https://lms.example/token", key_set_url="https://lms.example/jwks")
        first = registry.add_platform(db.session, deployment_ids=["d1"], **args)
        again = registry.add_platform(db.session, deployment_ids=["d1", "d2"], auth_audience="aud", **args)
        assert first.id == again.id
        assert [d.deployment_id for d in again.deployments] == ["d1", "d2"]
        assert again.auth_audience == "aud"
        registry.add_platform(db.session, deployment_ids=["x"], **dict(args, client_id="c2"))
        assert registry.resolve_platform(db.session, "https://lms.example", "c2").client_id == "c2"
        assert registry.resolve_platform(db.session, "https://lms.example", None, "d2").client_id == "c1"
        with pytest.raises(LtiError) as ambiguous:
            registry.resolve_platform(db.session, "https://lms.example")
        assert ambiguous.value.code == "ambiguous_platform"
        db.session.rollback()


def test_token_cache_expires_tokens_before_they_do():
    cache = TokenCache()
    cache.put("k", "token", expires_in=3600)
    assert cache.get("k") == "token"
    cache.put("k", "short", expires_in=30)  # inside the safety margin: not worth using
    assert cache.get("k") is None
    cache.put("k", "token", expires_in=3600)
    cache.drop("k")
    assert cache.get("k") is None


@pytest.mark.services
def test_token_cache_is_shared_through_redis():
    client = redis_or_skip()
    prefix = random_prefix()
    try:
        TokenCache(client, prefix).put("p:s", "shared-token", expires_in=3600)
        assert TokenCache(client, prefix).get("p:s") == "shared-token"  # another worker sees it
        assert 0 < client.ttl(f"{prefix}token:p:s") <= 3600
    finally:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)


def test_link_header_and_scores_url():
    header = '<https://lms.example/Items?Page=2&Token=AbC>; rel="next", <https://lms.example/Items?page=9>; rel="last"'
    assert next_link(header) == "https://lms.example/Items?Page=2&Token=AbC"  # case kept
    assert next_link('<https://x/last>; rel="last"') is None
    assert scores_url("https://lms.example/lineitems/7/lineitem?type_id=3") == \
        "https://lms.example/lineitems/7/lineitem/scores?type_id=3"



@pytest.mark.parametrize("jwk", [{"kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"},   # not base64url
                                 {"kty": "RSA", "kid": "k"},                              # no modulus
                                 {"kty": "EC", "kid": "k", "crv": "P-256",                # not an RSA key
                                  "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                                  "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}])
def test_a_platform_key_that_is_no_usable_rsa_key_refuses_the_launch(jwk):
    from lti.launch_checks import verify_signature

    with pytest.raises(LtiError) as refused:
        verify_signature("e30.e30.sig", {"alg": "RS256", "kid": "k"}, jwk)
    assert refused.value.code == "bad_signature"


# Found by atheris (tests/fuzz/fuzz_lti_launch.py): claims a platform signed that passed every check
# and then failed as a 5xx, in pylti1p3's validator or when the launch was stored (PostgreSQL text
# takes no NUL, no database takes a lone surrogate, PostgreSQL json takes no NaN).
def _launch_claims(message_type="LtiResourceLinkRequest", **changes) -> dict:
    from lti import claims as C

    body = {"iss": "https://lms.example.edu", "aud": "tool", "nonce": "n", "sub": "user-1", C.VERSION: "1.3.0",
            C.MESSAGE_TYPE: message_type, C.DEPLOYMENT_ID: "1", C.ROLES: [], C.TARGET_LINK_URI: "https://tool/launch",
            C.RESOURCE_LINK: {"id": "link-1"}, C.CUSTOM: {"module": "care-cycle"},
            C.LAUNCH_PRESENTATION: {"return_url": "https://lms.example.edu/course"},
            C.AGS_ENDPOINT: {"lineitem": "https://lms.example.edu/li/1"}, C.FOR_USER: {"user_id": "user-2"}}
    for name, value in changes.items():
        body[getattr(C, name, name)] = value
    return body


@pytest.mark.parametrize("message_type, changes, claim", [
    ("LtiSubmissionReviewRequest", {"FOR_USER": 5}, "for_user"),
    ("LtiSubmissionReviewRequest", {"AGS_ENDPOINT": None}, "lti-ags endpoint"),
])
def test_submission_review_needs_for_user_and_ags_objects(message_type, changes, claim):
    from lti.launch_checks import check_message

    check_message(_launch_claims(message_type))   # without the change they pass
    with pytest.raises(LtiError) as refused:
        check_message(_launch_claims(message_type, **changes))
    assert (refused.value.code, refused.value.context["claim"]) == ("missing_claim", claim)


@pytest.mark.parametrize("changes", [
    {"sub": "user\x001"}, {"given_name": "Anna\udfff"}, {"CONTEXT": {"id": "c\ud800"}},
    {"LAUNCH_PRESENTATION": {"return_url": "https://lms.example.edu/\x00"}},
    {"CUSTOM": {"module": "care-cycle", "weight": float("nan")}}, {"DL_SETTINGS": {"data": [float("inf")]}},
], ids=["nul-sub", "surrogate-name", "surrogate-context", "nul-return-url", "nan-custom", "inf-settings"])
def test_claims_no_database_could_store_are_refused(changes):
    from lti.launch_checks import check_message

    check_message(_launch_claims())   # without the change they pass
    with pytest.raises(LtiError) as refused:
        check_message(_launch_claims(**changes))
    assert refused.value.code == "invalid_message"


def test_the_display_name_fits_the_users_name_column():
    from lti.launch_data import launch_data_from_claims

    data = launch_data_from_claims(1, "tool", _launch_claims(email="a" * 300 + "@example.edu"))
    assert data.display_name == ("a" * 300)[:255]
    data = launch_data_from_claims(1, "tool", _launch_claims(given_name="G" * 200, family_name="F" * 200))
    assert len(data.display_name) == 255 and data.display_name.startswith("G" * 200 + " F")


@pytest.mark.parametrize("sent, accept, expected", [
    (None, "en-GB,en;q=0.8,nl;q=0.5", "en"),       # Open edX and lti1p3platform send no locale
    (None, "nl-NL,nl;q=0.9", "nl"),
    (None, "de-DE,fr;q=0.5", None),               # nothing the tool speaks: no locale (the default)
    (None, "", None),
    ("nl-NL", "en", "nl-NL"),                      # the platform's locale always wins
])
def test_a_launch_without_locale_takes_the_browsers_language(sent, accept, expected):
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    from lti.launch_data import launch_data_from_claims, with_browser_locale

    claims = _launch_claims()
    claims.pop("https://purl.imsglobal.org/spec/lti/claim/launch_presentation", None)
    if sent:
        claims["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"] = {"locale": sent}
    data = launch_data_from_claims(1, "tool", claims)
    assert with_browser_locale(data, parse_accept_header(accept, LanguageAccept), ("nl", "en")).locale == expected
