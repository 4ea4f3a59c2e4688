"""The tool's own URLs as LMS platforms reach them."""
from __future__ import annotations

from flask import current_app, url_for


def tool_url(endpoint: str, **values) -> str:
    """An absolute URL of the tool as platforms reach it (TOOL_BASE_URL when set)."""
    base = current_app.config.get("TOOL_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
