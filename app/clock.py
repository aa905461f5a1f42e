"""The one source of 'now'. Times are stored as naive UTC, the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time in UTC without tzinfo, as the database stores it."""
    return datetime.now(UTC).replace(tzinfo=None)
