"""Column types shared by elearn's models."""
from __future__ import annotations

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from lti.models import as_utc


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database: SQLite hands back naive values, and rules
    that compare a stored time with `utcnow()` (deadlines, counting attempts) need aware ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        """Stored times are UTC; say so."""
        return as_utc(value)
