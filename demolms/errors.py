"""The one exception every platform endpoint turns into an HTTP error answer."""


class PlatformError(Exception):
    """A request the platform refuses: HTTP status, OAuth-style error code and a readable reason."""

    def __init__(self, status: int, error: str, description: str, headers: dict | None = None):
        super().__init__(f"{status} {error}: {description}")
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}
