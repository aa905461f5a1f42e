"""Checks of plain input values shared by the services; each refusal names its field."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from app.clock import today
from app.services import DomainError


def _capital(label: str) -> str:
    # str.capitalize() would also lower the rest: "KLASSA-version" → "Klassa-version".
    return label[:1].upper() + label[1:]


def text(value: str | None, field: str, limit: int, label: str, required: bool = False) -> str:
    """Stripped text within the length limit; a required one must not be empty."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("Fyll i %(label)s.", label=label), field=field)
    if len(value) > limit:
        raise DomainError(_("%(label)s får vara högst %(max)d tecken.", label=_capital(label),
                            max=limit), field=field)
    return value


def past_date(value: date | None, field: str, label: str) -> date:
    """A date that has happened: today or earlier."""
    if value is None:
        raise DomainError(_("Fyll i %(label)s (ÅÅÅÅ-MM-DD).", label=label), field=field)
    if value > today():
        raise DomainError(_("%(label)s kan inte ligga i framtiden (%(date)s).",
                            label=_capital(label), date=format_date(value, "yyyy-MM-dd")),
                          field=field)
    return value


def level(value: object, field: str, label: str, low: int, high: int) -> int:
    """A whole number from low to high, as the KLASSA levels and the risk scales are."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise DomainError(_("%(label)s ska vara en nivå från %(low)d till %(high)d.",
                            label=_capital(label), low=low, high=high), field=field)
    return number


def lines(value: str | None) -> list[str]:
    """Non-empty entries of a text with one entry per line (commas and semicolons too)."""
    return [part.strip() for part in re.split(r"[\n;,]", value or "") if part.strip()]


def participants(value: str | None, field: str = "participants") -> list[str]:
    """Who took part: at least one name, each at most 200 characters."""
    names = lines(value)
    if not names:
        raise DomainError(_("Ange vilka som deltog, minst en person."), field=field)
    if len(names) > 50 or any(len(n) > 200 for n in names):
        raise DomainError(_("Ange högst 50 deltagare med högst 200 tecken var."), field=field)
    return names
