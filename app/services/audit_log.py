"""Reading the audit log: filtered, paginated pages and a streamed CSV export.

Times are stored as naive UTC (see app.clock); the filter's dates are days in Swedish
time (Europe/Stockholm, the portal's BABEL_DEFAULT_TIMEZONE), so "2026-03-01" means
from local midnight to local midnight, whatever the daylight-saving offset.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from math import ceil
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.clock import local_time, today, utc_start_of
from app.extensions import db
from app.models import AuditEvent, Person
from app.services import DomainError, audit
from app.text import fold

PAGE_SIZE = 50
CSV_CHUNK = 500
# Cells starting with these are formulas to Excel/LibreOffice (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DAY_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_YEAR, LAST_YEAR = 1900, 9998


@dataclass(frozen=True)
class AuditFilters:
    """What the log is narrowed to; empty values do not narrow."""

    person: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_details(self) -> dict[str, str]:
        """The filters that are set, as JSON-friendly text (for the export's audit event)."""
        return {k: v.isoformat() if isinstance(v, date) else v
                for k, v in asdict(self).items() if v}


@dataclass
class AuditRow:
    """One event ready to show: who did it and which person it concerned, by name."""

    event: AuditEvent
    actor: Person | None
    object_person: Person | None

    @property
    def details(self) -> list[tuple[str, str]]:
        return detail_pairs(self.event.details)


@dataclass
class AuditPage:
    """One page of matching events, newest first, and where it is in the whole."""

    rows: list[AuditRow]
    total: int
    page: int
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def parse_day(text: str) -> date:
    """A `YYYY-MM-DD` date (as an `<input type="date">` sends it), else DomainError."""
    value = text.strip()
    try:
        if not DAY_PATTERN.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise DomainError(_("Ange datumet som ÅÅÅÅ-MM-DD, till exempel %(example)s.",
                            example=today().isoformat()))
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # keeps the UTC conversion in range
        raise DomainError(_("Ange ett datum mellan år %(first)d och %(last)d.",
                            first=FIRST_YEAR, last=LAST_YEAR))
    return day


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.person.strip():
        # Folded search text, so "åsa" finds "Åsa" on SQLite too; matches the actor or
        # the person the event is about (object_id is text, hence the cast).
        pattern = _like_pattern(fold(filters.person.strip()))
        matching = Person.search_text.like(pattern, escape="\\")
        conditions.append(or_(
            AuditEvent.actor_id.in_(select(Person.id).where(matching)),
            and_(AuditEvent.object_type == "person",
                 AuditEvent.object_id.in_(select(cast(Person.id, String)).where(matching)))))
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.object_type:
        conditions.append(AuditEvent.object_type == filters.object_type)
    if filters.object_id.strip():
        conditions.append(AuditEvent.object_id == filters.object_id.strip())
    if filters.date_from:
        conditions.append(AuditEvent.occurred_at >= utc_start_of(filters.date_from))
    if filters.date_to:
        next_day = filters.date_to + timedelta(days=1)
        conditions.append(AuditEvent.occurred_at < utc_start_of(next_day))
    return conditions


def _newest_first(filters: AuditFilters):
    return (select(AuditEvent).where(*_conditions(filters))
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()))


def _people_for(events: Iterable[AuditEvent]) -> dict[int, Person]:
    """Actors and the people events are about, in one query for the whole batch."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    ids |= {int(e.object_id) for e in events
            if e.object_type == "person" and e.object_id and e.object_id.isdigit()}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}


def _rows(events: list[AuditEvent]) -> list[AuditRow]:
    people = _people_for(events)
    return [AuditRow(event=e, actor=people.get(e.actor_id) if e.actor_id else None,
                     object_person=people.get(int(e.object_id))
                     if e.object_type == "person" and e.object_id and e.object_id.isdigit()
                     else None)
            for e in events]


def search(filters: AuditFilters, page: int = 1) -> AuditPage:
    """One page of matching events, newest first, in a fixed number of queries."""
    total = db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(*_conditions(filters))) or 0
    pages = max(1, ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = list(db.session.scalars(
        _newest_first(filters).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return AuditPage(rows=_rows(events), total=total, page=page, pages=pages)


def actions() -> list[str]:
    """Every action that occurs in the log, for the filter's list."""
    return list(db.session.scalars(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def object_types() -> list[str]:
    """Every object type that occurs in the log, for the filter's list."""
    return list(db.session.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))


def value_text(value: Any) -> str:
    """A detail value as plain text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def detail_pairs(details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An event's details as (key, value-as-text) pairs, in stored order."""
    if not isinstance(details, dict):
        return [("", value_text(details))] if details else []
    return [(str(key), value_text(value)) for key, value in details.items()]


def safe_cell(value: str) -> str:
    """Neutralise a spreadsheet formula by making the cell start with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def record_export(actor: Person, filters: AuditFilters) -> None:
    """An export of personal data is itself logged, with the filters used (caller commits)."""
    audit.record(actor, "audit.exported", "audit_log", None,
                 {"filters": filters.as_details(), "format": "csv"})


def csv_chunks(filters: AuditFilters) -> Iterator[str]:
    """The matching events as Swedish-Excel CSV text: BOM, ';', header, newest first.

    Texts are translated now, before streaming starts; rows are read in batches so the
    export's memory use does not grow with the log.
    """
    header = [_("Tidpunkt"), _("Utförd av"), _("Användarnamn"), _("Händelse"),
              _("Objekttyp"), _("Objekt-id"), _("Objekt"), _("Detaljer")]
    system = _("Systemet")
    return _stream(filters, header, system)


def csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(
        [safe_cell(c) for c in cells])
    return buffer.getvalue()


def _stream(filters: AuditFilters, header: list[str], system: str) -> Iterator[str]:
    yield "\ufeff" + csv_line(header)
    result = db.session.scalars(_newest_first(filters).execution_options(yield_per=CSV_CHUNK))
    for batch in result.partitions():
        lines = []
        for row in _rows(list(batch)):
            event = row.event
            lines.append(csv_line([
                local_time(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                row.actor.display_name if row.actor else system,
                row.actor.username if row.actor else "",
                event.action, event.object_type, event.object_id or "",
                row.object_person.display_name if row.object_person else "",
                ", ".join(f"{k}: {v}" for k, v in row.details),
            ]))
        yield "".join(lines)
