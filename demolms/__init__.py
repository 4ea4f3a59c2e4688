"""demolms: a small but genuine LTI 1.3 / LTI Advantage platform (the LMS side).

The same code is the HTTP peer in the tool's tests (`demolms.testing.PlatformServer`) and
the demo LMS mounted at /demo inside the product (`demolms.server.create_platform_blueprint`).
"""
from demolms.platform import Platform, PlatformError
from demolms.store import MemoryStore

__all__ = ["Platform", "PlatformError", "MemoryStore"]
