"""Importing who completed a training from the training platform's CSV file, all or nothing.

The file
    UTF-8 (with or without BOM) or Windows-1252, separated by semicolons (what Swedish
    Excel writes) or commas; see services.csv_upload. At most 5 MB and 50 000 rows under
    the header. A file with NUL bytes (UTF-16, a binary file), an Excel workbook or a first
    line without the columns below is refused as a whole.

Columns and dates
    See services.training_file: one column identifies the person, one holds the date;
    ISO dates only (01/03/2026 is refused as ambiguous).

People
    Matched case-insensitively among active people, by username, e-mail address or
    employee number. A deactivated person, an unknown one, or a value that several active
    people share (employee numbers are unique only within an organization; then the one
    in the training's audience is taken if there is exactly one) rejects the row, as do an
    empty cell, a date that cannot be read or is outside the rules, and a second row for a
    person already on an earlier line of the file.

Already recorded
    A person whose record that holds (as completions.current defines it) says completed is
    counted as "already recorded" and gets nothing new, whatever date the file says:
    importing the same file again adds nothing. A correction that took a completion back
    is superseded by the imported row.

Outside the audience
    A person outside the training's audience is accepted and recorded: the platform is the
    proof that they took the training, and a platform's export often holds people from
    several organizations; rejecting them would make the all-or-nothing import impossible
    without editing the file. The preview names them ("utanför målgruppen"); they do not
    count in the follow-up unless they join the audience.

All or nothing
    The preview runs the very checks the import runs, and writes nothing (there is nothing
    to try in a savepoint: every check is a read). The import parses and checks the text
    again, then adds every row in one bulk insert with the summary audit event inside a
    savepoint: a rejected row or a database error rolls it all back and raises
    ImportRefused carrying the result. Reading takes a fixed number of queries, whatever
    the number of rows: the coordinator's grants, the people with the chosen identifier,
    the unit tree and the training's audience, the records that hold for the training.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.clock import today, utcnow
from app.extensions import db
from app.models import CompletionSource, Person, ProofMethod, Training, TrainingCompletion
from app.services import DomainError, audit, completions, trainings
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.csv_upload import FileRefused, normalize, read_file, read_table, too_large
from app.services.system_access import CoordinatorScope, coordinator_scope
from app.services.training_file import (
    IDENTIFY_BY,
    columns,
    parse_date,
    value_label,
)

__all__ = ["ImportRefused", "ImportResult", "RowOutcome", "apply", "closed_to_import",
           "may_import", "preview"]

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
ACTIONS = ("add", "already", "rejected")

@dataclass(slots=True)
class RowOutcome:
    """What becomes of one row; `action` is one of ACTIONS."""

    line: int
    identifier: str
    date_text: str
    action: str = "rejected"
    reasons: list[str] = field(default_factory=list)
    person_id: int | None = None
    person_name: str = ""
    completed_on: date | None = None
    recorded_on: date | None = None  # when already recorded: the date that holds
    outside_audience: bool = False


@dataclass
class ImportResult:
    """Every row's outcome in the file's order, and the file it came from."""

    training: Training
    file_name: str
    identify_by: str
    sha256: str
    text: str
    ignored_columns: list[str] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)

    def of(self, action: str) -> list[RowOutcome]:
        """The rows with this action."""
        return [row for row in self.rows if row.action == action]

    def outside_audience(self) -> list[RowOutcome]:
        """The rows to add for people outside the training's audience."""
        return [row for row in self.rows if row.action == "add" and row.outside_audience]

    def counts(self) -> dict[str, int]:
        """Rows in the file, per action, whose identifier matches an active person
        (rejected or not), and those to add for people outside the audience."""
        counts = {action: 0 for action in ACTIONS}
        matched = outside = 0
        for row in self.rows:
            counts[row.action] += 1
            matched += row.person_id is not None
            outside += row.action == "add" and row.outside_audience
        return {"rows": len(self.rows), **counts, "matched": matched,
                "outside_audience": outside}


class ImportRefused(DomainError):
    """Nothing was imported: a row is rejected, or saving failed."""

    def __init__(self, result: ImportResult, message: str | None = None) -> None:
        super().__init__(message or _("Inget importerades: rätta de avvisade raderna och "
                                      "ladda upp filen igen."))
        self.result = result


def closed_to_import(training: Training) -> str | None:
    """Why no file can be imported to the training, if so: it is proven by
    self-confirmation only."""
    if training.proof == ProofMethod.SELF:
        return _("Utbildningen visas bara genom egen bekräftelse, så det går inte att "
                 "importera genomföranden till den. Ändra hur genomförandet visas till import "
                 "eller båda om plattformens fil ska gälla.")
    return None


def may_import(scope: CoordinatorScope | None, training: Training) -> None:
    """Forbidden unless a coordinator whose scope covers the training; DomainError when
    the training takes no import."""
    trainings.require_manager(scope, training)
    if (reason := closed_to_import(training)) is not None:
        raise DomainError(reason)


class _People:
    """The people the file may name, read in one query, and the training's audience."""

    def __init__(self, training: Training, identify_by: str) -> None:
        column = {"username": Person.username, "mail": Person.mail,
                  "employee_number": Person.employee_number}[identify_by]
        self.identify_by = identify_by
        self.active: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.inactive: dict[str, str] = {}
        # Folded in Python, not with SQL lower(): SQLite folds only ASCII.
        for person_id, value, active, name in db.session.execute(
                select(Person.id, column, Person.active, Person.display_name)
                .where(column.is_not(None)).order_by(Person.id)):
            key = value.strip().casefold()
            if not key:
                continue
            if active:
                self.active[key].append((person_id, name))
            else:
                self.inactive[key] = name  # the latest to leave
        rule = AudienceRule.from_json(training.audience)
        self.audience = set(db.session.scalars(select(Person.id).where(
            Audience.of(rule, UnitTree.load()).condition())))
        self._found: dict[str, tuple[int, str] | str] = {}

    def find(self, value: str) -> tuple[int, str] | str:
        """(id, name) of the one active person with this value, or why there is none."""
        key = value.casefold()
        if key not in self._found:
            self._found[key] = self._find(key, value)
        return self._found[key]

    def _find(self, key: str, value: str) -> tuple[int, str] | str:
        matches = self.active.get(key, [])
        if len(matches) > 1:
            matches = [m for m in matches if m[0] in self.audience] or matches
        if len(matches) == 1:
            return matches[0]
        if matches:
            return _("%(value)s hör till flera aktiva personer (%(names)s). Identifiera "
                     "personerna på annat sätt.", value=value,
                     names=", ".join(name for _id, name in matches))
        if key in self.inactive:
            return _("%(name)s (%(value)s) är avaktiverad.", name=self.inactive[key],
                     value=value)
        return {
            "username": _("Ingen aktiv person har användarnamnet %(value)s.", value=value),
            "mail": _("Ingen aktiv person har e-postadressen %(value)s.", value=value),
            "employee_number": _("Ingen aktiv person har anställningsnummer %(value)s.",
                                 value=value),
        }[self.identify_by]


class _Dates:
    """Each distinct date text parsed and checked once (a file has few distinct dates)."""

    def __init__(self, training: Training) -> None:
        self.training = training
        self.today = today()
        self._checked: dict[str, date | str] = {}

    def check(self, value: str) -> date | str:
        if value not in self._checked:
            self._checked[value] = self._check(value)
        return self._checked[value]

    def _check(self, value: str) -> date | str:
        day = parse_date(value)
        if isinstance(day, str) or self.training.period_starts_on <= day <= self.today:
            return day
        try:  # the refusal in the words of a confirmation's date check
            completions._completed_on(self.training, day)
        except DomainError as error:
            return error.message
        return day  # pragma: no cover - the rules agree


@dataclass(frozen=True, slots=True)
class _Holds:
    """The record that holds for a person: its id and date (None when taken back)."""

    id: int
    completed_on: date | None


def _holding(training: Training) -> dict[int, _Holds]:
    """completions.current for one training, as plain columns: loading 50 000 ORM
    objects would take seconds. The record that holds is the one no later row
    supersedes; the test of a taken-back completion checks that the two agree."""
    return {person_id: _Holds(row_id, completed_on)
            for row_id, person_id, completed_on in db.session.execute(
                select(TrainingCompletion.id, TrainingCompletion.person_id,
                       TrainingCompletion.completed_on)
                .where(TrainingCompletion.training_id == training.id, trainings.holds())
                .order_by(TrainingCompletion.id))}


def _run(training: Training, text: str, identify_by: str, file_name: str, sha256: str
         ) -> tuple[ImportResult, dict[int, _Holds]]:
    """Parse and check every row; the records that hold are returned for the insert."""
    if identify_by not in IDENTIFY_BY:
        raise FileRefused([_("Välj vad som identifierar personerna i filen.")])
    text = normalize(text)
    position: list[tuple[int, int]] = []
    result = ImportResult(training, file_name, identify_by, sha256, text)

    def check_header(header: list[str]) -> list[str]:
        identifier_at, date_at, result.ignored_columns = columns(header, identify_by)
        position.append((identifier_at, date_at))
        return header

    table = read_table(text, max_bytes=MAX_BYTES, max_rows=MAX_ROWS,
                       check_header=check_header)
    if not table.header:
        raise FileRefused([_("Filen är tom. Den ska ha en rubrikrad och en rad per person "
                             "som har genomfört utbildningen.")])
    if not table.rows:
        raise FileRefused([_("Filen har inga rader med genomföranden under rubrikraden.")])
    identifier_at, date_at = position[0]
    people, dates = _People(training, identify_by), _Dates(training)
    holds = _holding(training)
    label = value_label(identify_by)
    seen: dict[int, int] = {}
    for line, cells in table.rows:
        identifier = cells[identifier_at].strip() if identifier_at < len(cells) else ""
        day_text = cells[date_at].strip() if date_at < len(cells) else ""
        row = RowOutcome(line, identifier, day_text)
        result.rows.append(row)
        if not identifier:
            row.reasons.append(_("Fyll i %(label)s.", label=label))
        elif isinstance(found := people.find(identifier), str):
            row.reasons.append(found)
        else:
            row.person_id, row.person_name = found
            if row.person_id in seen:
                row.reasons.append(_("Samma person finns redan på rad %(line)d.",
                                     line=seen[row.person_id]))
            seen.setdefault(row.person_id, line)
        if not day_text:
            row.reasons.append(_("Fyll i %(label)s.", label=_("datum")))
        elif isinstance(day := dates.check(day_text), str):
            row.reasons.append(day)
        else:
            row.completed_on = day
        if row.reasons:
            continue
        previous = holds.get(row.person_id)  # type: ignore[arg-type]
        if previous is not None and previous.completed_on is not None:
            row.action, row.recorded_on = "already", previous.completed_on
        else:
            row.action = "add"
            row.outside_audience = row.person_id not in people.audience
    return result, holds


def preview(actor: Person, training: Training, data: bytes, file_name: str,
            identify_by: str) -> ImportResult:
    """What importing the uploaded bytes would do, row by row; nothing is written.

    Forbidden unless the actor may import to the training; FileRefused for a file that
    cannot be imported at all. The result carries the normalised text to import.
    """
    may_import(coordinator_scope(actor), training)
    if len(data) > MAX_BYTES:
        raise FileRefused([too_large(MAX_BYTES)])
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused([_("Filen är en Excel-arbetsbok, inte en CSV-fil. Öppna den i "
                             "Excel och spara den som ”CSV (semikolonavgränsad)”.")])
    return _run(training, read_file(data), identify_by, file_name,
                hashlib.sha256(data).hexdigest())[0]


def apply(actor: Person, training: Training, text: str, identify_by: str, *,
          file_name: str = "", sha256: str | None = None) -> ImportResult:
    """Record every row of the text, or none: ImportRefused, with nothing kept, if a row is
    rejected or saving fails.

    The text is parsed and checked again, never taken from an earlier preview. `sha256`
    is the uploaded file's, for the audit event (else the text's). Adds the summary event
    `training.imported`; the caller commits once.
    """
    may_import(coordinator_scope(actor), training)
    result, holds = _run(training, text, identify_by, file_name,
                         sha256 or hashlib.sha256(normalize(text).encode()).hexdigest())
    if result.of("rejected"):
        raise ImportRefused(result)
    counts = result.counts()
    with force_locale("sv"):  # stored with the rows, in the portal's language
        note = _("Import från utbildningsplattformen: %(file)s", file=file_name or "–")
    now = utcnow()
    values = [{"training_id": training.id, "person_id": row.person_id,
               "completed_on": row.completed_on, "recorded_at": now,
               "source": CompletionSource.IMPORT, "recorded_by_id": actor.id, "note": note,
               "supersedes_id": previous.id if (previous := holds.get(
                   row.person_id)) is not None else None}  # type: ignore[arg-type]
              for row in result.rows if row.action == "add"]
    savepoint = db.session.begin_nested()
    try:
        if values:  # Core's executemany: the ORM's bulk path takes seconds more
            db.session.execute(TrainingCompletion.__table__.insert(), values)
        audit.record(actor, "training.imported", "training", training.id, {
            "file": file_name, "sha256": result.sha256, "identify_by": identify_by,
            "rows": counts["rows"], "added": counts["add"], "already": counts["already"],
            "outside_audience": counts["outside_audience"]})
        db.session.flush()
    except SQLAlchemyError:
        savepoint.rollback()
        log.exception("training import failed: training %s, file %s", training.id, file_name)
        raise ImportRefused(result, _("Inget importerades: raderna kunde inte sparas. Försök "
                                      "igen, och kontakta supporten om felet kvarstår."))
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return result
