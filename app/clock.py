"""The one source of 'now'. Times are stored as naive UTC, the same on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

PORTAL_TIMEZONE = ZoneInfo("Europe/Stockholm")


def utcnow() -> datetime:
    """Current time in UTC without tzinfo, as the database stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in Sweden: what a due date or a decision date is compared with."""
    return datetime.now(PORTAL_TIMEZONE).date()


def local_time(moment: datetime) -> datetime:
    """A stored naive-UTC time in Swedish time."""
    return moment.replace(tzinfo=UTC).astimezone(PORTAL_TIMEZONE)


def utc_start_of(day: date) -> datetime:
    """The naive-UTC moment a Swedish day begins, to compare with stored times."""
    return datetime.combine(day, time.min, tzinfo=PORTAL_TIMEZONE).astimezone(UTC).replace(
        tzinfo=None)
