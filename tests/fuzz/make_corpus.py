"""Write the seed corpora of the atheris harnesses from real content (courses/, tests/fixtures).

    .venv/bin/python tests/fuzz/make_corpus.py

Seeds are named seed-*; reproducers of bugs found by fuzzing are named regress-* and kept (add
them by hand: `cp crash-… tests/fuzz/corpus/<target>/regress-<what>`). Every CI run replays
the whole corpus before it mutates, so a regress-* file pins its bug for good.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = HERE / "corpus"
sys.path.insert(0, str(HERE))


def write(target: str, seeds: dict[str, bytes]) -> None:
    """Replace the target's seed-* files (regress-* stay)."""
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    for name, data in seeds.items():
        (folder / f"seed-{name}").write_bytes(data)
    print(f"{target}: {len(seeds)} seeds")


def real_pools() -> dict[str, dict]:
    from elearn.catalog import yamlsrc
    from elearn.catalog.content import plain

    return {p.parent.name: plain(yamlsrc.load(p.read_text(encoding="utf-8"))[0])
            for p in sorted((REPO / "courses" / "modules").glob("*/quiz.yaml"))}


def gift_seeds() -> dict[str, bytes]:
    """One question of every type from the real pools, both languages, plus Moodle's own GIFT."""
    from elearn.quizzes.examples import example_pool
    from elearn.questions.gift import export_gift

    seeds = {}
    seen = set()
    for module, pool in real_pools().items():
        for item in pool["items"]:
            if item["type"] in seen:
                continue
            seen.add(item["type"])
            for flag, lang in ((1, "nl"), (0, "en")):
                seeds[f"{item['type']}-{lang}"] = bytes([flag]) + export_gift({"items": [item]}, lang).encode()
    seeds["example-pool-en"] = b"\0" + export_gift(example_pool(), "en").encode()
    seeds["moodle"] = b"\0" + (
        "\ufeff// a Moodle export\r\n$CATEGORY: $course$/Top\r\n\r\n"
        "::Q1 Grant's tomb::[html]Who's buried in Grant's tomb?{~Grant ~Jefferson =no one#Right!}\r\n\r\n"
        "Grant was born in 1822.{T}\r\n\r\nWhen was Grant born?{#1822:5}\r\n\r\n"
        "Born between?{#1820..1824}\r\n\r\nWhich are primes?{~%50%2 ~%50%3 ~%-100%4}\r\n\r\n"
        "Match capitals.{=Canada -> Ottawa =Italy -> Rome =Japan -> Tokyo ####Capitals.}\r\n").encode()
    return seeds


def course_file_seeds() -> dict[str, bytes]:
    """Every file of the valid fixture tree in its own slot, and real files from courses/ in theirs."""
    from fuzz_course_files import FILES, VALID

    seeds = {}
    for index, name in enumerate(FILES):
        seeds[name.replace("/", "-")] = bytes([index]) + (VALID / name).read_bytes()
    real = REPO / "courses"
    for name, source in (("modules/alpha-value/module.yaml", "modules/care-cycle/module.yaml"),
                         ("course-a/course.yaml", "vbhc-phase-a/course.yaml"),
                         ("sources.yaml", "sources.yaml")):
        seeds["real-" + source.replace("/", "-")] = bytes([FILES.index(name)]) + (real / source).read_bytes()
    return seeds


def quiz_form_seeds() -> dict[str, bytes]:
    """Posts a real page of the harness's paper sends: all right, all wrong, half answered, with lt/token."""
    from urllib.parse import urlencode

    from elearn.quizzes.draw import render_paper
    from elearn.questions import perfect_response, to_form
    from fuzz_quiz_form import PAPER, POOL

    right, wrong = [], []
    for shown in render_paper(POOL, PAPER):
        item = shown.item
        right += [(k, v) for k, vs in to_form(item, perfect_response(item), shown.order).items() for v in vs]
        wrong += [(k, v) for k, vs in to_form(item, _wrong(item, shown.order), shown.order).items() for v in vs]
    return {"right": urlencode(right).encode(), "wrong": urlencode(wrong).encode(),
            "half": urlencode(right[: len(right) // 2]).encode(),
            "with-tokens": urlencode([("lt", "eyJzIjoxfQ.x"), ("token", "abc")] + right[:3]).encode(),
            "empty-answers": urlencode([(k, "") for k, _ in right]).encode(),
            "numbers": b"q.value-ratio=1.234,5&q.measure-terms.prom=3&q.improvement-cycle.1=4"}


def _wrong(item, order):
    """A response that is valid but not right, per type."""
    kind = item["type"]
    if kind in ("single", "truefalse"):
        return next(c["id"] for c in item["choices"] if c["id"] not in item["correct"])
    if kind == "multiple":
        return [c["id"] for c in item["choices"] if c["id"] not in item["correct"]] or None
    if kind == "matching":
        ids = [p["id"] for p in item["pairs"]]
        return dict(zip(ids, ids[1:] + ids[:1]))
    if kind == "ordering":
        return [s["id"] for s in reversed(item["steps"])]
    return "-1"


def lti_launch_seeds() -> dict[str, bytes]:
    """Launches as demolms sends them (learner, instructor, deep linking, submission review), with
    the state cookie, with platform storage instead, and with neither."""
    from demolms import claims as D
    from fuzz_lti_launch import BINDING, CLIENT_ID, DEPLOYMENT_ID, ISSUER, NONCE, STATE

    def claims(message_type, role, **extra):
        body = D.base_claims(issuer=ISSUER, client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID, nonce=NONCE,
                             message_type=message_type, user={"sub": "user-1", "name": "Anna de Vries",
                                                              "given_name": "Anna", "family_name": "de Vries",
                                                              "email": "anna@example.edu"},
                             roles=D.role_uris(role), locale="nl-NL", target_link_uri="https://tool.example/lti/launch",
                             platform_info={"guid": "lms-1", "product_family_code": "moodle"})
        body[D.CONTEXT] = D.context_claim({"id": "course-7", "title": "VBHC 1"})
        body[D.LAUNCH_PRESENTATION] = D.launch_presentation("nl-NL", "https://lms.example.edu/course/7")
        body.update(extra, iat=1_700_000_000, exp=1_700_000_300)   # fixed, so the seeds do not change on every run
        return body

    link = {D.RESOURCE_LINK: D.resource_link_claim({"id": "link-1", "title": "Zorgcyclus"}),
            D.CUSTOM: {"module": "care-cycle"},
            D.AGS_ENDPOINT: D.ags_claim("https://lms.example.edu/ags/7", "https://lms.example.edu/ags/7/1"),
            D.NRPS: D.nrps_claim("https://lms.example.edu/nrps/7")}
    bodies = {
        "learner": claims(D.RESOURCE_LINK_REQUEST, "learner", **link),
        "instructor": claims(D.RESOURCE_LINK_REQUEST, ["instructor", "ta"], **link),
        "deep-linking": claims(D.DEEP_LINKING_REQUEST, "instructor", **{
            D.DL_SETTINGS: D.deep_linking_settings("https://lms.example.edu/dl/return", "opaque-data")}),
        "submission-review": claims(D.SUBMISSION_REVIEW_REQUEST, "instructor", **link, **{
            D.FOR_USER: {"user_id": "user-2", "roles": D.role_uris("learner")}}),
    }
    header = json.dumps({"alg": "RS256", "kid": "platform-key-1", "typ": "JWT"}).encode()
    seeds = {}
    for name, body in bodies.items():
        token = header + b"\0" + json.dumps(body).encode()
        seeds[name] = token + b"\0" + STATE.encode()
    seeds["learner-platform-storage"] = token_of(header, bodies["learner"]) + b"\0\0" + BINDING.encode()
    seeds["learner-no-cookie"] = token_of(header, bodies["learner"])
    return seeds


def token_of(header: bytes, body: dict) -> bytes:
    return header + b"\0" + json.dumps(body).encode()


def dynreg_seeds() -> dict[str, bytes]:
    """Registrations as Moodle, Canvas and Brightspace answer them, and refusals as they word them."""
    from demolms.claims import ALL_SCOPES
    from lti import claims as C

    def config(issuer, base, product, registration_base=None, **extra):
        return {"issuer": issuer, "authorization_endpoint": base + "/auth", "token_endpoint": base + "/token",
                "jwks_uri": base + "/jwks", "registration_endpoint": (registration_base or base) + "/register",
                "scopes_supported": ["openid"] + ALL_SCOPES, "response_types_supported": ["id_token"],
                "claims_supported": ["iss", "sub", "name", "email"],
                C.PLATFORM_CONFIGURATION: {"product_family_code": product, "version": "4.3",
                                           "messages_supported": [{"type": C.RESOURCE_LINK_REQUEST}]}, **extra}

    moodle = config("https://moodle.example.edu", "https://moodle.example.edu/mod/lti", "moodle")
    # Canvas Cloud: configuration and registration on the issuer's host, the OIDC endpoints on sso.canvaslms.com.
    canvas = config("https://canvas.instructure.com", "https://sso.canvaslms.com/api/lti", "canvas",
                    registration_base="https://canvas.instructure.com/api/lti")
    brightspace = config("https://d2l.example.edu", "https://d2l.example.edu/d2l/lti", "desire2learn",
                         authorization_server="https://auth.brightspace.com/core/connect/token")
    answer = {"client_id": "client-42", "registration_client_uri": "https://moodle.example.edu/reg/42",
              C.TOOL_CONFIGURATION: {"deployment_id": "7", "domain": "tool.example"}}

    def seed(url, cfg, ans, status=0):
        return b"\0".join([json.dumps(cfg).encode(), json.dumps(ans).encode(), url.encode(), bytes([status])])

    return {
        "moodle": seed("https://moodle.example.edu/mod/lti/openid-configuration.php", moodle, answer),
        "canvas": seed("https://canvas.instructure.com/api/lti/security/openid-configuration", canvas,
                       {"client_id": 10000000000042}),
        "brightspace": seed("https://d2l.example.edu/.well-known/openid-configuration", brightspace,
                            {"client_id": "b-1", C.TOOL_CONFIGURATION: {"deployment_id": 99}}, 1),
        "refused-oauth": seed("https://moodle.example.edu/x", moodle,
                              {"error": "invalid_client_metadata", "error_description": "bad scope"}, 3),
        "refused-canvas": seed("https://canvas.instructure.com/y", canvas, {"errors": [{"message": "no"}, "x"]}, 5),
        "loopback": seed("http://127.0.0.1:5000/.well-known/openid-configuration",
                         config("http://127.0.0.1:5000", "http://127.0.0.1:5000", "demolms"), answer),
    }


TARGETS = {"gift": gift_seeds, "course_files": course_file_seeds, "quiz_form": quiz_form_seeds,
           "lti_launch": lti_launch_seeds, "dynreg": dynreg_seeds}

if __name__ == "__main__":
    for target, make in TARGETS.items():
        if len(sys.argv) < 2 or target in sys.argv[1:]:
            write(target, make())
