"""LTI platforms for the interop tests: demolms (ours) and two written by others, on loopback.

`start(kind)` serves one: "demolms" (demolms.testing.PlatformServer), "openedx" (Open edX's
lti_consumer.lti_1p3, tests/platforms/openedx.py) or "lti1p3platform"
(tests/platforms/lti1p3platform_server.py). All three answer the same calls the launch tests
make (register_tool, launch, last_launch, scores, lineitems, deep_link_responses, …).
"""
from __future__ import annotations

KINDS = ("demolms", "openedx", "lti1p3platform")


def start(kind: str = "demolms"):
    """Serve a fresh platform of this kind on 127.0.0.1."""
    if kind == "demolms":
        from demolms.testing import PlatformServer

        server = PlatformServer.start()
        server.kind, server.serves_nrps, server.sends_locale, server.tool_creates_lineitems = kind, True, True, True
        return server
    if kind == "openedx":
        from platforms.openedx import OpenEdxPlatform

        return OpenEdxPlatform.start()
    if kind == "lti1p3platform":
        from platforms.lti1p3platform_server import Lti1p3PlatformServer

        return Lti1p3PlatformServer.start()
    raise ValueError(f"no platform {kind!r}; one of {', '.join(KINDS)}")
