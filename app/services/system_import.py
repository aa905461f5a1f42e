"""Importing an existing system list (systemlista) from a CSV file, all or nothing.

Every row is checked before anything is kept: the preview makes the very same service
calls as the import inside a SAVEPOINT that is then rolled back (audit events included),
so what the preview promises is what the import does, the go-live rule and all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import InformationSystem, LifecycleStatus, Organization, OrgUnit, Person
from app.models import SystemAdministrator as AdminLink
from app.services import (
    DomainError,
    Forbidden,
    audit,
    checklist_assignments,
    checks,
    csv_upload,
    people,
    systems,
)
from app.services.csv_upload import FileRefused, normalize
from app.services.system_access import coordinator_scope

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000  # about 10 s to preview on a 2-core machine; a register is ~100 systems
COLUMNS = ("namn", "organisation", "verksamhet", "beskrivning", "systemägare",
           "systemförvaltare", "leverantör", "personuppgifter", "välfärdsteknik",
           "samhällsviktig", "status", "anteckningar")
REQUIRED = ("namn", "organisation")
FLAGS = {"personuppgifter": "personal_data", "välfärdsteknik": "welfare_technology",
         "samhällsviktig": "vital_service"}
TEXTS = (("beskrivning", "description", 5000), ("leverantör", "supplier", 200),
         ("anteckningar", "notes", 5000))
TRUE, FALSE = {"ja", "yes", "1", "x"}, {"nej", "no", "0", ""}
# The file's column for each field name that update_system reports as changed.
COLUMN_OF = {"name": "namn", "organization_id": "organisation", "unit_id": "verksamhet",
             "owner": "systemägare", "administrators": "systemförvaltare", "status": "status",
             **{attribute: column for column, attribute in FLAGS.items()},
             **{attribute: column for column, attribute, _limit in TEXTS}}
ACTIONS = ("create", "update", "unchanged", "rejected")


@dataclass
class RowOutcome:
    """What becomes of one row; `action` is one of ACTIONS."""

    line: int
    name: str
    organization: str
    action: str = "rejected"
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    warning: str = ""
    status: str = ""
    owner: str = ""
    administrators: str = ""


@dataclass
class ImportResult:
    """Every row's outcome, in the file's order."""

    file_name: str
    rows: list[RowOutcome] = field(default_factory=list)

    def of(self, action: str) -> list[RowOutcome]:
        """The rows with this action."""
        return [row for row in self.rows if row.action == action]

    def counts(self) -> dict[str, int]:
        """The number of rows per action."""
        return {action: len(self.of(action)) for action in ACTIONS}


class ImportRefused(DomainError):
    """At least one row is rejected, so nothing was imported."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(_("Inget importerades: rätta de avvisade raderna och ladda upp "
                           "filen igen."))
        self.result = result


def _parse(text: str) -> list[tuple[int, dict[str, str], list[int]]]:
    """Each non-empty row under the header as (line, values by column, stray columns)."""
    table = csv_upload.read_table(text, max_bytes=MAX_BYTES, max_rows=MAX_ROWS,
                                  check_header=_check_header)
    header = table.header
    rows = []
    for line, cells in table.rows:
        values = {name: cell.strip() for name, cell in zip(
            header, [*cells, *[""] * len(header)], strict=False) if name}
        rows.append((line, values, [i for i, cell in enumerate(cells, 1) if cell.strip()
                                    and (i > len(header) or not header[i - 1])]))
    if not rows:
        raise FileRefused([_("Filen har inga rader med system under rubrikraden.")])
    return rows


def _check_header(header: list[str]) -> list[str]:
    """The column names folded; unknown, repeated or missing columns refuse the file."""
    names = [name.casefold() for name in header]
    unknown = [name for name in header if name and name.casefold() not in COLUMNS]
    messages = [_("Okända kolumner: %(names)s. Tillåtna kolumner är %(allowed)s.",
                  names=", ".join(unknown), allowed=", ".join(COLUMNS))] if unknown else []
    messages += [_("Kolumnen %(name)s finns flera gånger.", name=name)
                 for name in sorted({n for n in names if n and names.count(n) > 1})]
    messages += [_("Filen saknar kolumnen %(name)s.", name=name)
                 for name in REQUIRED if name not in names]
    if messages:
        raise FileRefused(messages)
    return names


def _path(value: str) -> str:
    return " / ".join(part.strip() for part in value.split("/")).casefold()


class _Register:
    """What the rows are checked against, read once for the whole file."""

    def __init__(self, actor: Person) -> None:
        scope = coordinator_scope(actor)
        if scope is None:
            raise Forbidden(_("Bara informationssäkerhetssamordnare kan importera system."))
        self.scope = scope
        self.organizations = {org.name.strip().casefold(): org
                              for org in db.session.scalars(select(Organization))}
        # Python's casefold, not SQL lower(): SQLite folds only ASCII, and Å is common.
        self.systems = {(s.organization_id, s.name.casefold()): s for s in db.session.scalars(
            select(InformationSystem).options(
                joinedload(InformationSystem.owner), joinedload(InformationSystem.unit),
                selectinload(InformationSystem.administrator_links)
                .joinedload(AdminLink.person))
            .where(InformationSystem.status != LifecycleStatus.RETIRED))}
        self.statuses = {s.value: s for s in LifecycleStatus}
        self.statuses.update({systems.status_label(s).casefold(): s for s in LifecycleStatus})
        with force_locale("sv"):  # the file's language, whatever the user's
            self.statuses.update({systems.status_label(s).casefold(): s
                                  for s in LifecycleStatus})
        self._units: dict[int, list[OrgUnit]] = {}
        self._people: dict[str, Person | str] = {}

    def unit(self, organization: Organization, value: str) -> OrgUnit:
        """The unit by its path or, when that is unique, its name in the organization."""
        if organization.id not in self._units:
            self._units[organization.id] = list(db.session.scalars(
                select(OrgUnit).where(OrgUnit.organization_id == organization.id)))
        units, wanted = self._units[organization.id], _path(value)
        matches = [u for u in units if _path(u.path) == wanted] or [
            u for u in units if _path(u.name) == wanted]
        if len(matches) > 1:
            raise DomainError(_("Verksamheten %(value)s finns på flera ställen i %(org)s: "
                                "%(paths)s. Ange hela sökvägen.", value=value,
                                org=organization.name,
                                paths="; ".join(sorted(u.path for u in matches))))
        if not matches:
            raise DomainError(_("Verksamheten %(value)s finns inte i %(org)s.", value=value,
                                org=organization.name))
        return matches[0]

    def person(self, identifier: str) -> Person | str:
        """The active person, or why not (unknown, deactivated, ambiguous)."""
        key = identifier.casefold()
        if key not in self._people:
            try:
                self._people[key] = people.resolve_person(identifier)
            except DomainError as error:
                self._people[key] = error.message
        return self._people[key]


def _as_row(system: InformationSystem | None) -> dict[str, str]:
    # A column left out of the file keeps what the register says about an existing
    # system; a column in the file describes the system as it is, empty cells too.
    if system is None:
        return {}
    return {"verksamhet": system.unit.path if system.unit else "",
            "systemägare": system.owner.username if system.owner else "",
            "systemförvaltare": " ".join(link.person.username
                                         for link in system.administrator_links),
            "status": system.status.value,
            **{column: "ja" if getattr(system, attribute) else ""
               for column, attribute in FLAGS.items()},
            **{column: getattr(system, attribute) for column, attribute, _limit in TEXTS}}


def _check(register: _Register, line: int, values: dict[str, str], stray: list[int],
           seen: dict[tuple, int]) -> tuple[RowOutcome, systems.SystemFields | None,
                                            InformationSystem | None]:
    """Every reason to reject the row; else its fields and the system it updates."""
    outcome = RowOutcome(line, values["namn"], values["organisation"])
    reasons = outcome.reasons

    def collect(check: Callable[..., Any], *args: Any) -> Any:
        try:
            return check(*args)
        except DomainError as error:  # a refusal becomes one of the row's reasons
            reasons.append(error.message)
            return None

    if stray:
        reasons.append(_("Raden har värden utanför kolumnerna (kolumn %(numbers)s).",
                         numbers=", ".join(map(str, stray))))
    name = collect(checks.text, values["namn"], "name", 200, "namn", True) or ""
    org_name = values["organisation"]
    organization = register.organizations.get(org_name.casefold())
    if not org_name:
        reasons.append(_("Fyll i %(label)s.", label="organisation"))
    elif organization is None:
        reasons.append(_("Organisationen %(value)s finns inte i portalen. Skriv namnet som "
                         "det står i portalen.", value=org_name))
    elif not register.scope.covers(organization.id):
        reasons.append(_("Du är inte samordnare för %(org)s och kan inte importera dess "
                         "system.", org=organization.name))
    key = (organization.id if organization else org_name.casefold(), name.casefold())
    if name and key in seen:
        reasons.append(_("Samma system finns redan på rad %(line)d.", line=seen[key]))
    seen.setdefault(key, line)
    existing = register.systems.get(key)
    row = {**_as_row(existing), **values}
    unit = collect(register.unit, organization, row["verksamhet"]) \
        if organization and row.get("verksamhet") else None
    owner = row.get("systemägare", "")
    administrators = [a for a in re.split(r"[\s,;|]+", row.get("systemförvaltare", "")) if a]
    for column, identifier in [("systemägare", owner),
                               *(("systemförvaltare", a) for a in administrators)]:
        if identifier and isinstance(reason := register.person(identifier), str):
            reasons.append(_("%(column)s: %(message)s", column=column.capitalize(),
                             message=reason))
    flags = {attribute: row.get(column, "").casefold() in TRUE
             for column, attribute in FLAGS.items()}
    reasons += [_("%(column)s ska vara ja eller nej, inte %(value)s.",
                  column=column.capitalize(), value=row[column])
                for column in FLAGS if row.get(column, "").casefold() not in TRUE | FALSE]
    status = register.statuses.get(row.get("status", "").casefold() or "in_use")
    if status is None:
        with force_locale("sv"):  # the names to write in the file, in the file's language
            allowed = ", ".join(systems.status_label(s) for s in LifecycleStatus)
        reasons.append(_("Okänd status %(value)s. Använd någon av %(allowed)s.",
                         value=row["status"], allowed=allowed))
    texts = {attribute: collect(checks.text, row.get(column, ""), attribute, limit, column)
             for column, attribute, limit in TEXTS}
    if reasons or organization is None or status is None:
        return outcome, None, None
    outcome.status = systems.status_label(status)
    outcome.owner, outcome.administrators = owner, ", ".join(administrators)
    return outcome, systems.SystemFields(
        name=name, organization_id=organization.id, unit_id=unit.id if unit else None,
        owner=owner, administrators=administrators, status=status.value, **flags,
        **texts), existing


def _execute(actor: Person, outcome: RowOutcome, fields: systems.SystemFields,
             existing: InformationSystem | None) -> None:
    # Each row in a savepoint of its own: a refusal half-way through a row must not leave
    # half its changes behind for the rows after it.
    savepoint = db.session.begin_nested()
    try:
        if existing is None:
            system = systems.create_system(actor, fields, existing=True,
                                           generate_checklists=False)
            outcome.action = "create"
            # An imported system records how things are, so the go-live rule let it in;
            # one created just now has neither a classification nor a risk analysis.
            if system.welfare_technology and system.status == LifecycleStatus.IN_USE:
                outcome.warning = _("I drift utan godkänd klassning och riskanalys")
        else:
            changed = systems.update_system(actor, existing, fields, generate_checklists=False)
            outcome.action = "update" if changed else "unchanged"
            outcome.changes = sorted(
                {COLUMN_OF.get(name, name) for name in changed},
                key=lambda c: COLUMNS.index(c) if c in COLUMNS else len(COLUMNS))
    except DomainError as error:
        savepoint.rollback()
        outcome.action = "rejected"
        outcome.reasons.append(error.message)
    else:
        savepoint.commit()


def _run(actor: Person, text: str, file_name: str) -> ImportResult:
    rows = _parse(normalize(text))
    register, result, seen = _Register(actor), ImportResult(file_name), {}
    for line, values, stray in rows:
        outcome, fields, existing = _check(register, line, values, stray, seen)
        if fields is not None:
            _execute(actor, outcome, fields, existing)
        result.rows.append(outcome)
    return result


def preview(actor: Person, text: str, file_name: str) -> ImportResult:
    """What importing the text would do, row by row. Nothing is kept: the changes are
    made inside a savepoint and rolled back, their audit events with them."""
    outer = db.session.begin_nested()
    try:
        return _run(actor, text, file_name)
    finally:
        outer.rollback()


def apply(actor: Person, text: str, file_name: str) -> ImportResult:
    """Import every row, or none: ImportRefused, with nothing kept, if any row is rejected.

    The text is parsed and checked again, never taken from an earlier preview. Adds the
    summary event `system.imported` and, once for the whole file, the checklist
    assignments the new owners and administrators call for; the caller commits once.
    """
    outer = db.session.begin_nested()
    try:
        result = _run(actor, text, file_name)
        if result.of("rejected"):
            raise ImportRefused(result)
        counts = result.counts()
        if counts["create"] or counts["update"]:
            checklist_assignments.generate()
    except BaseException:
        outer.rollback()
        raise
    audit.record(actor, "system.imported", "system_register", None, {
        "file": file_name, "created": counts["create"], "updated": counts["update"],
        "unchanged": counts["unchanged"]})
    outer.commit()
    return result
