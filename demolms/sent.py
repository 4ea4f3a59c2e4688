"""What the platform sends a tool, as plain records: the login initiation, the authorization
endpoint's answer, and the record of a completed launch (kept for tests to inspect)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class LoginInitiation:
    """What the platform's page sends to the tool's login URL (third-party initiated login)."""

    url: str
    params: dict
    hint_id: str
    method: str = "POST"


@dataclass
class AuthAnswer:
    """The authorization endpoint's answer: an auto-submitting form_post to the redirect_uri."""

    action: str
    fields: dict
    claims: dict | None = None
    header: dict | None = None
    error: str | None = None


@dataclass
class LaunchRecord:
    """What a completed authorization sent (kept for tests to inspect)."""

    claims: dict
    header: dict
    id_token: str
    state: str | None
    redirect_uri: str
    at: float = field(default_factory=time.time)
