"""Settings from the environment, in one place."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        instance = ROOT / "instance"
        instance.mkdir(exist_ok=True)
        return f"sqlite:///{instance / 'vbhc-academy.sqlite3'}"
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants the psycopg 3 driver spelled out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _engine_options(url: str) -> dict:
    """Connection pool per process sized for its gunicorn threads (plus the grade drainer and one
    spare), so requests never wait for a connection and W workers hold at most W × (size + overflow)
    connections of the server's max_connections."""
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        threads = int(os.environ.get("GUNICORN_THREADS", "8"))
        options.update(pool_size=int(os.environ.get("DB_POOL_SIZE", str(threads + 2))),
                       max_overflow=int(os.environ.get("DB_MAX_OVERFLOW", "2")), pool_timeout=10,
                       pool_recycle=1800)
    return options


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production defaults; everything overridable from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)
    REDIS_URL = os.environ.get("REDIS_URL", "") or None
    # Key prefix of the tool's keys in Redis, so that several deployments can share one Redis.
    LTI_REDIS_PREFIX = os.environ.get("LTI_REDIS_PREFIX", "") or "vbhc:lti:"
    # Public base URL of the tool as LMSs reach it (https://academy.example.org); derived from
    # the request when unset, which is right for local use and behind a well-configured proxy.
    TOOL_BASE_URL = os.environ.get("TOOL_BASE_URL", "").rstrip("/") or None
    TOOL_NAME = os.environ.get("TOOL_NAME", "VBHC Academy")
    # The built-in demo LMS at /demo; the run command turns it on, production leaves it off.
    DEMO_LMS = _bool("DEMO_LMS", False)
    # Trust X-Forwarded-* from this many proxies (needed behind TLS-terminating load balancers
    # so that cookies get Secure and URLs get https).
    PROXY_FIX = int(os.environ.get("PROXY_FIX", "0"))
    # Origins besides the registered platforms' that may frame our pages (a school's own LMS domain,
    # e.g. "https://canvas.school.nl https://*.school.nl"); see elearn.framing.
    FRAME_ANCESTORS_EXTRA = os.environ.get("FRAME_ANCESTORS_EXTRA", "")
    COURSES_DIR = os.environ.get("COURSES_DIR", str(ROOT / "courses"))
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("nl", "en")
    # CSRF for cookie-authenticated forms is checked explicitly (see elearn.security): inside an
    # LMS iframe the session cookie may be blocked, and forms then carry the launch token instead.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "None"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    # How long one launch token (the in-frame session, carried in URLs) stays valid, in seconds; a
    # request with a token past half this age gets a fresh one (sliding renewal), so an hour idle ends it.
    LAUNCH_TOKEN_MAX_AGE = int(os.environ.get("LAUNCH_TOKEN_MAX_AGE", "3600"))
    # Seconds between the pings of the keep-alive script on launched pages (elearn/static/js/launch-keepalive.js),
    # which renew the token of a page left open; must stay well under half of LAUNCH_TOKEN_MAX_AGE (at
    # most a quarter, so at least two pings fall in the renewal half of a token's life; checked at start).
    LAUNCH_KEEPALIVE_SECONDS = int(os.environ.get("LAUNCH_KEEPALIVE_SECONDS", "300"))
    # The absolute end of a launch session, however often its token was renewed, in seconds.
    LAUNCH_SESSION_MAX_AGE = int(os.environ.get("LAUNCH_SESSION_MAX_AGE", str(8 * 3600)))
    # Exporting or erasing one's personal data needs a launch from the LMS at most this many seconds ago.
    FRESH_LAUNCH_MAX_AGE = int(os.environ.get("FRESH_LAUNCH_MAX_AGE", "600"))
    # Grades: the single-machine default delivers scores in a thread of each web process; with a
    # separate `flask --app elearn grades run` worker (Procfile `worker:`) set GRADES_INLINE=0.
    GRADES_INLINE = _bool("GRADES_INLINE", True)
    GRADES_BACKOFF_BASE = float(os.environ.get("GRADES_BACKOFF_BASE", "5"))
    GRADES_BACKOFF_CAP = float(os.environ.get("GRADES_BACKOFF_CAP", "3600"))
    GRADES_MAX_TRIES = int(os.environ.get("GRADES_MAX_TRIES", "25"))
    # Seconds one call to an LMS service (token, score, line item, roster) may take before it fails.
    LMS_HTTP_TIMEOUT = float(os.environ.get("LMS_HTTP_TIMEOUT", "20"))
    GRADES_LEASE_SECONDS = float(os.environ.get("GRADES_LEASE_SECONDS", "120"))
    GRADES_POLL_SECONDS = float(os.environ.get("GRADES_POLL_SECONDS", "5"))
    # The Ed25519 key that signs the accreditation ledger's checkpoints: a PEM, or the path of a PEM file,
    # kept out of the database (see elearn.accreditation.checkpoints); unset: a key generated in instance/.
    LEDGER_SIGNING_KEY = os.environ.get("LEDGER_SIGNING_KEY", "").strip() or None
    # Outgoing mail for event confirmations (elearn.events.mail); no SMTP_HOST → no mail, the page says so.
    SMTP_HOST = os.environ.get("SMTP_HOST", "").strip() or None
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_FROM = os.environ.get("SMTP_FROM", "").strip() or None
    SMTP_USER = os.environ.get("SMTP_USER", "").strip() or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "") or None
    SMTP_TLS = os.environ.get("SMTP_TLS", "starttls").strip().lower()   # starttls | ssl | off
    # An event's QR check-in code: a fresh one is shown this often, and each is accepted this long.
    EVENT_CHECKIN_ROTATE_SECONDS = int(os.environ.get("EVENT_CHECKIN_ROTATE_SECONDS", "60"))
    EVENT_CHECKIN_MAX_AGE = int(os.environ.get("EVENT_CHECKIN_MAX_AGE", "180"))
    # Slack after a quiz deadline for the submit to travel.
    QUIZ_GRACE_SECONDS = int(os.environ.get("QUIZ_GRACE_SECONDS", "30"))
    # Team self-assessment rounds: how many learners must answer before the team result is shown,
    # and how many percentage points a domain must move between rounds to be named as changed.
    SELFASSESSMENT_MIN_RESPONDENTS = int(os.environ.get("SELFASSESSMENT_MIN_RESPONDENTS", "3"))
    SELFASSESSMENT_CHANGE_POINTS = int(os.environ.get("SELFASSESSMENT_CHANGE_POINTS", "10"))
    # The result page asks this often whether the LMS has the score, and stops asking after the
    # second number (then it says the score will arrive later).
    GRADE_STATUS_POLL_SECONDS = max(1, int(os.environ.get("GRADE_STATUS_POLL_SECONDS", "3")))
    GRADE_STATUS_POLL_MAX_SECONDS = max(1, int(os.environ.get("GRADE_STATUS_POLL_MAX_SECONDS", "120")))
    # First attempts a question needs before the item statistics show its facility and discrimination.
    ITEM_STATS_MIN_ATTEMPTS = int(os.environ.get("ITEM_STATS_MIN_ATTEMPTS", "10"))
    # Rate limits on the LTI entry points, per client address. Generous for launches: a whole
    # campus behind one NAT launches an exam at once; strict for registration.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # A failing limiter store (Redis away, or the in-memory store's thread race in `limits`) must never
    # turn a launch into a 500: log it and let the request through.
    RATELIMIT_SWALLOW_ERRORS = True
    # Without Redis: `limits`' memory store minus its timer thread per request (elearn.ratelimit_storage).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "vbhc-memory://"
    RATELIMIT_LAUNCH = os.environ.get("RATELIMIT_LAUNCH", "6000 per minute")
    RATELIMIT_REGISTRATION = os.environ.get("RATELIMIT_REGISTRATION", "20 per hour")
    # Dynamic registration connects only to public addresses; on for a demo or test LMS on
    # 127.0.0.1 or a private network (see README, Security).
    LTI_REGISTRATION_ALLOW_PRIVATE = _bool("LTI_REGISTRATION_ALLOW_PRIVATE", False)
    # Failed registrations after which a registration URL is spent.
    LTI_REGISTRATION_MAX_FAILURES = int(os.environ.get("LTI_REGISTRATION_MAX_FAILURES", "5"))
    # The accreditation administrator's sign-in: attempts per client address, and per account (the
    # e-mail typed, whether it exists or not); see elearn.accreditation.login_limits.
    RATELIMIT_ADMIN_LOGIN = os.environ.get("RATELIMIT_ADMIN_LOGIN", "20 per 15 minutes")
    RATELIMIT_ADMIN_ACCOUNT = os.environ.get("RATELIMIT_ADMIN_ACCOUNT", "10 per 15 minutes")
    # An administrator's session ends after this many seconds without a request, and this many after sign-in.
    ADMIN_SESSION_IDLE = int(os.environ.get("ADMIN_SESSION_IDLE", str(30 * 60)))
    ADMIN_SESSION_MAX = int(os.environ.get("ADMIN_SESSION_MAX", str(12 * 3600)))
    TESTING = False


class DevelopmentConfig(Config):
    """The embedded default of the run command: SQLite, demo LMS on."""

    DEMO_LMS = _bool("DEMO_LMS", True)
    # Its demo LMS (and a test LMS registering dynamically) lives on 127.0.0.1.
    LTI_REGISTRATION_ALLOW_PRIVATE = _bool("LTI_REGISTRATION_ALLOW_PRIVATE", True)
