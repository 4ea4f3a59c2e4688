"""Why a score waits for a person instead of another try (shared by post-test and event scores)."""


class Parked(Exception):
    """The score cannot go to this LMS as things are (no AGS, no line item service)."""
