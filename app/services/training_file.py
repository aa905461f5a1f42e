"""The training platform's file: which columns identify the person and hold the date, and
how a date is read. services.training_import does the rest.

Columns
    The first non-empty line names the columns, in any order. Case, spaces, hyphens,
    underscores and full stops in the names do not matter ("E-post", "e_post" and "EPOST"
    are the same). Exactly one column must identify the person, by what the coordinator
    chose (IDENTIFIER_COLUMNS), and exactly one must hold the completion date
    (DATE_COLUMNS). Every other column (name, course, score ...) is left unread, so the
    platform's export can be imported as it is.

Dates (parse_date)
    ISO dates only: 2026-03-01 and 2026-3-1, optionally followed by a time, 2026-03-01 14:22
    or 2026-03-01T14:22:05 — the date is what counts. A time with a UTC offset (Z, +01:00)
    is converted to Swedish time first. 01/03/2026 and 1/3/2026 are refused as ambiguous:
    platforms set to English write month/day, Swedish ones day/month, and 3/1 would be
    recorded as the wrong month without anyone noticing. The date must not be in the future
    nor before the training's period (the same rule as completions._completed_on); after
    the period is allowed, as for a confirmation.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from flask_babel import gettext as _

from app.clock import PORTAL_TIMEZONE
from app.services.csv_upload import FileRefused

IDENTIFY_BY = ("username", "mail", "employee_number")
# The column names each choice accepts, as documented on the import page.
IDENTIFIER_COLUMNS = {
    "username": ("användarnamn", "anvandarnamn", "username", "user_id", "login",
                 "samaccountname"),
    "mail": ("e-post", "epost", "e-postadress", "epostadress", "mejl", "e-mail", "email",
             "mail"),
    "employee_number": ("anställningsnummer", "anstallningsnummer", "anst.nr",
                        "employee_number", "employee_id"),
}
DATE_COLUMNS = ("datum", "genomförd", "genomfört", "genomförandedatum", "slutförd",
                "slutfört", "completed", "completed_on", "completion_date", "date")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"
                  r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
                  r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?", re.IGNORECASE)
_SLASHED = re.compile(r"\d{1,2}/\d{1,2}/(?:\d{2}|\d{4})(?:[T ,].*)?")


def _fold_column(name: str) -> str:
    return re.sub(r"[\s._-]+", "", name.casefold())


_IDENTIFIER_KEYS = {choice: {_fold_column(n) for n in names}
                    for choice, names in IDENTIFIER_COLUMNS.items()}
_DATE_KEYS = {_fold_column(n) for n in DATE_COLUMNS}


def identifier_labels() -> dict[str, str]:
    """What identifies the people in the file, as the coordinator chooses it."""
    return {"username": _("Användarnamn"), "mail": _("E-postadress"),
            "employee_number": _("Anställningsnummer")}


def value_label(identify_by: str) -> str:
    return {"username": _("användarnamn"), "mail": _("e-postadress"),
            "employee_number": _("anställningsnummer")}[identify_by]


def _ambiguous(value: str) -> str:
    return _("Datumet %(value)s är tvetydigt: dag och månad kan ha bytt plats. Skriv det som "
             "ÅÅÅÅ-MM-DD, till exempel 2026-03-01.", value=value)


def _unreadable(value: str) -> str:
    return _("Datumet %(value)s kunde inte läsas. Skriv det som ÅÅÅÅ-MM-DD, till exempel "
             "2026-03-01.", value=value)


def parse_date(value: str) -> date | str:
    """The date of an ISO date or timestamp, or the reason it is refused (see the module's
    docstring: 01/03/2026 is ambiguous and refused)."""
    value = value.strip()
    match = _ISO.fullmatch(value)
    if match is None:
        return _ambiguous(value) if _SLASHED.fullmatch(value) else _unreadable(value)
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        found = date(int(year), int(month), int(day))
        if hour is None:
            return found
        moment = datetime(found.year, found.month, found.day, int(hour), int(minute),
                          int(second or 0), tzinfo=_zone(offset) if offset else None)
    except ValueError:  # 2026-02-30, 25:00
        return _unreadable(value)
    return moment.astimezone(PORTAL_TIMEZONE).date() if offset else found


def _zone(offset: str) -> timezone:
    if offset.upper() == "Z":
        return UTC
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-delta if offset[0] == "-" else delta)


def columns(header: list[str], identify_by: str) -> tuple[int, int, list[str]]:
    """The positions of the identifying and the date column, and the other columns'
    names; FileRefused when either is missing or repeated."""
    keys = [_fold_column(name) for name in header]
    wanted = _IDENTIFIER_KEYS[identify_by]
    identifiers = [i for i, key in enumerate(keys) if key in wanted]
    dates = [i for i, key in enumerate(keys) if key in _DATE_KEYS]
    label = identifier_labels()[identify_by].lower()
    messages = []
    if not identifiers:
        messages.append(_("Filen saknar en kolumn med %(label)s. Första raden ska ange "
                          "kolumnernas namn; kolumnen kan heta %(names)s.", label=label,
                          names=", ".join(IDENTIFIER_COLUMNS[identify_by])))
        messages += [_("Filen har en kolumn med %(other)s: välj %(choice)s som det som "
                       "identifierar personerna och ladda upp filen igen.",
                       other=identifier_labels()[choice].lower(),
                       choice=identifier_labels()[choice])
                     for choice in IDENTIFY_BY if choice != identify_by
                     and any(key in _IDENTIFIER_KEYS[choice] for key in keys)]
    elif len(identifiers) > 1:
        messages.append(_("Filen har flera kolumner med %(label)s: %(names)s. Behåll en.",
                          label=label, names=", ".join(header[i] for i in identifiers)))
    if not dates:
        messages.append(_("Filen saknar en kolumn med datum då utbildningen genomfördes; "
                          "kolumnen kan heta %(names)s.", names=", ".join(DATE_COLUMNS)))
    elif len(dates) > 1:
        messages.append(_("Filen har flera datumkolumner: %(names)s. Behåll en.",
                          names=", ".join(header[i] for i in dates)))
    if messages:
        raise FileRefused(messages)
    ignored = [name for i, name in enumerate(header)
               if name and i not in (identifiers[0], dates[0])]
    return identifiers[0], dates[0], ignored
