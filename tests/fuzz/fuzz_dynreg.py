"""atheris: LTI Dynamic Registration against a platform that answers anything — the
openid_configuration URL (a query parameter of GET /lti/register), the platform's OpenID
configuration and its answer to the registration POST, of any bytes and HTTP status.

Contract: dynreg.register() stores a platform or raises LtiError (registration_failed is the
documented 502); anything else is a 5xx. A refused registration leaves no row behind (the view
rolls back, and nothing may have been committed before); a stored platform's values fit its
columns (lengths; no NUL, which PostgreSQL text refuses; no lone surrogate, which no database
takes) and the one-time token is used up.

Input: configuration body, answer body, URL, and a byte choosing the answer's HTTP status,
separated by NUL bytes (the two JSON documents first, for the structure-aware mutator).

Run: .venv/bin/python tests/fuzz/fuzz_dynreg.py [corpus dirs] [-max_total_time=60 ...]
"""
import logging
import sys
from datetime import timedelta
from pathlib import Path

import atheris
from jsonmutator import custom_mutator

# atheris selects by top-level package: all of lti that gets imported here is instrumented.
with atheris.instrument_imports(include=["lti"]):
    import requests
    from sqlalchemy import String, Text, create_engine, func, select
    from sqlalchemy.orm import Session

    import elearn.models  # noqa: F401 (every table mapped, so the schema can be created)
    from lti import dynreg
    from lti.errors import LtiError
    from lti.models import Base, Deployment, Platform, RegistrationToken, utcnow

CONFIG_URL = "https://lms.example.edu/.well-known/openid-configuration"
TOOL = dynreg.ToolDescription(
    domain="tool.example", login_url="https://tool.example/lti/login", launch_url="https://tool.example/lti/launch",
    jwks_url="https://tool.example/lti/jwks", names={"nl": "VBHC Academy", "en": "VBHC Academy"},
    descriptions={"nl": "Onderwijs", "en": "Education"})
KEYS = ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint",
        "authorization_server", "claims_supported", "product_family_code", "client_id", "deployment_id",
        "error", "error_description", "errors", "message",
        "https://purl.imsglobal.org/spec/lti-platform-configuration",
        "https://purl.imsglobal.org/spec/lti-tool-configuration"]
STATUSES = (200, 201, 200, 400, 401, 500, 302)
ENGINE = create_engine("sqlite://")
logging.getLogger("lti.dynreg").setLevel(logging.ERROR)  # a refusing platform's body is logged: not for every run
Base.metadata.create_all(ENGINE)


class Platform_(requests.Session):
    """The platform's HTTP answers: the configuration for the GET, `answer` for the POST."""

    def __init__(self, config: bytes, answer: bytes, status: int):
        super().__init__()
        self.config, self.answer, self.status = config, answer, status

    def get(self, url, **kwargs):
        return _response(url, 200, self.config)

    def post(self, url, **kwargs):
        return _response(url, self.status, self.answer)


def _response(url: str, status: int, body: bytes) -> requests.Response:
    resp = requests.Response()
    resp.status_code, resp._content, resp.url = status, body, url
    resp.headers["Content-Type"] = "application/json"
    resp.encoding = "utf-8"
    return resp


def TestOneInput(data: bytes) -> None:
    config, answer, url, flags = (data.split(b"\0", 3) + [b""] * 3)[:4]
    http = Platform_(config, answer, STATUSES[flags[0] % len(STATUSES)] if flags else 200)
    with Session(ENGINE) as session:
        token = dynreg.create_registration_token(session, timedelta(days=1))
        session.commit()
        row = dynreg.check_registration_token(session, token)
        try:
            platform = dynreg.register(session, row, url.decode("utf-8", "replace"), "reg-token", TOOL, http)
        except LtiError:
            session.rollback()   # as the view does
            assert session.scalar(select(func.count()).select_from(Platform)) == 0
            assert session.get(RegistrationToken, row.id).used_at is None
        else:
            fits(platform)
            assert platform.registered_via == "dynamic" and row.used_at is not None
        finally:
            for table in reversed(Base.metadata.sorted_tables):   # every run starts from an empty database
                session.execute(table.delete())
            session.commit()


def fits(platform: Platform) -> None:
    """Every stored string within its column and free of NUL."""
    for obj in [platform, *platform.deployments]:
        for column in obj.__table__.columns:
            value = getattr(obj, column.key)
            if isinstance(column.type, (String, Text)) and value is not None:
                assert "\0" not in value, (column.name, value)
                value.encode("utf-8")  # UnicodeEncodeError: a lone surrogate (JSON's "\ud800"), which no database takes
                assert column.type.length is None or len(value) <= column.type.length, (column.name, len(value))


if __name__ == "__main__":
    # This target's dictionary (and options) first: options on the command line come later and win.
    options = [f"-dict={Path(__file__).with_name('dynreg.dict')}"]
    atheris.Setup([sys.argv[0], *options, *sys.argv[1:]], TestOneInput,
                  custom_mutator=custom_mutator(KEYS, documents=2))
    atheris.Fuzz()
