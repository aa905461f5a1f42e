"""Keeping the system register: create, edit, change lifecycle status, retire.

Owners and administrators are facts of the register; their roles follow by query
(`people.roles_of`), so assigning or removing them here is all it takes. Their checklists
follow at once too: a change of owner, administrators or status regenerates this year's
checklist assignments (a handful of queries; the import does it once for the whole file).
The caller commits; every change records its audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from app.clock import utcnow
from app.extensions import db
from app.models import (
    Classification,
    InformationSystem,
    LifecycleStatus,
    Organization,
    OrgUnit,
    Person,
    RiskAnalysis,
    SystemAdministrator,
    SystemStatusChange,
)
from app.services import DomainError, audit, checklist_assignments, checks, people
from app.services.system_access import CoordinatorScope

NOT_YET_IN_USE = (LifecycleStatus.PLANNED, LifecycleStatus.PROCUREMENT)


@dataclass
class SystemFields:
    """What the coordinator fills in for a system; people are usernames or e-mails."""

    name: str
    organization_id: int | None
    unit_id: int | None = None
    owner: str = ""
    administrators: list[str] = field(default_factory=list)
    description: str = ""
    supplier: str = ""
    personal_data: bool = False
    welfare_technology: bool = False
    vital_service: bool = False
    status: str = LifecycleStatus.IN_USE.value
    notes: str = ""
    exception_reason: str = ""


def status_labels() -> dict[LifecycleStatus, str]:
    """The Swedish name of every lifecycle status (translate once, use for many rows)."""
    return {
        LifecycleStatus.PLANNED: _("Planerat"),
        LifecycleStatus.PROCUREMENT: _("Under upphandling"),
        LifecycleStatus.IN_USE: _("I drift"),
        LifecycleStatus.PHASING_OUT: _("Under avveckling"),
        LifecycleStatus.RETIRED: _("Avvecklat"),
    }


def status_label(status: LifecycleStatus | str) -> str:
    """The Swedish name of a lifecycle status."""
    return status_labels()[LifecycleStatus(status)]


def parse_status(value: str) -> LifecycleStatus:
    try:
        return LifecycleStatus(value)
    except ValueError:
        raise DomainError(_("Välj en status i listan."), field="status") from None


def _check_register_fields(fields: SystemFields, system: InformationSystem | None,
                           scope: CoordinatorScope | None) -> dict:
    name = checks.text(fields.name, "name", 200, _("namn"), required=True)
    organization = db.session.get(Organization, fields.organization_id) \
        if fields.organization_id is not None else None
    # A coordinator for one company keeps that company's systems only.
    if organization is None or (scope is not None and not scope.covers(organization.id)):
        raise DomainError(_("Välj en organisation i listan."), field="organization_id")
    if fields.unit_id is not None:
        unit = db.session.get(OrgUnit, fields.unit_id)
        if unit is None or unit.organization_id != organization.id:
            raise DomainError(_("Välj en verksamhet som hör till %(org)s.",
                                org=organization.name), field="unit_id")
    duplicate = db.session.scalar(select(InformationSystem.id).where(
        func.lower(InformationSystem.name) == name.lower(),
        InformationSystem.organization_id == organization.id,
        InformationSystem.status != LifecycleStatus.RETIRED,
        InformationSystem.id != (system.id if system else -1)).limit(1))
    if duplicate is not None:
        raise DomainError(_("%(org)s har redan ett system som heter %(name)s.",
                            org=organization.name, name=name), field="name")
    return {
        "name": name, "organization_id": organization.id, "unit_id": fields.unit_id,
        "description": checks.text(fields.description, "description", 5000, _("beskrivning")),
        "supplier": checks.text(fields.supplier, "supplier", 200, _("leverantör")),
        "notes": checks.text(fields.notes, "notes", 5000, _("anteckningar")),
        "personal_data": bool(fields.personal_data),
        "welfare_technology": bool(fields.welfare_technology),
        "vital_service": bool(fields.vital_service),
    }


def _resolve(identifier: str, field_name: str) -> Person:
    try:
        return people.resolve_person(identifier, field=field_name)
    except people.InactivePerson as error:
        raise DomainError(_("%(name)s (%(value)s) är avaktiverad och kan inte ansvara för "
                            "ett system.", name=error.person.display_name,
                            value=identifier.strip()), field=field_name) from None


def _resolve_people(fields: SystemFields) -> tuple[Person | None, list[Person]]:
    owner = _resolve(fields.owner, "owner") if fields.owner.strip() else None
    administrators: dict[int, Person] = {}
    for identifier in fields.administrators:
        if identifier.strip():
            person = _resolve(identifier, "administrators")
            administrators.setdefault(person.id, person)
    return owner, list(administrators.values())


def go_live_blockers(system: InformationSystem) -> list[str]:
    """What the system lacks before it may be set in use: an approved classification and a
    risk analysis."""
    approved = db.session.scalar(select(exists().where(
        Classification.system_id == system.id, Classification.approved_at.is_not(None),
        Classification.id == select(func.max(Classification.id))
        .where(Classification.system_id == system.id).scalar_subquery())))
    analysed = db.session.scalar(select(exists().where(RiskAnalysis.system_id == system.id)))
    missing = []
    if not approved:
        missing.append(_("en godkänd informationsklassning"))
    if not analysed:
        missing.append(_("en riskanalys"))
    return missing


def _go_live_rule_applies(system: InformationSystem, old: LifecycleStatus | None,
                          new: LifecycleStatus) -> bool:
    # The audit found welfare technology in use without a risk analysis: the rule holds for
    # it whatever its earlier status, and for every system leaving planning or procurement.
    return new == LifecycleStatus.IN_USE and old != LifecycleStatus.IN_USE and (
        system.welfare_technology or old in NOT_YET_IN_USE)


def _set_status(actor: Person, system: InformationSystem, new: LifecycleStatus,
                exception_reason: str, is_new: bool = False, existing: bool = False) -> None:
    old = None if is_new else system.status
    if old == new:
        return
    reason = (exception_reason or "").strip()
    exception = None
    if not existing and _go_live_rule_applies(system, old, new):
        missing = go_live_blockers(system)
        if missing and not reason:
            raise DomainError(_("%(name)s kan inte sättas i drift utan %(missing)s. Registrera "
                                "dem först, eller ange skälet till ett undantag.",
                                name=system.name, missing=_(" och ").join(missing)),
                              field="status")
        if missing:
            if len(reason) > 2000:
                raise DomainError(_("Skälet får vara högst 2000 tecken."),
                                  field="exception_reason")
            exception = reason
    system.status = new
    db.session.add(SystemStatusChange(system_id=system.id, from_status=old, to_status=new,
                                      exception_reason=exception, changed_at=utcnow(),
                                      changed_by_id=actor.id))
    audit.record(actor, "system.status_changed", "system", system.id, {
        "from": old.value if old else None, "to": new.value, "exception_reason": exception})


def _set_people(actor: Person, system: InformationSystem, owner: Person | None,
                administrators: list[Person]) -> dict[str, list]:
    changes: dict[str, list] = {}
    if system.owner_id != (owner.id if owner else None):
        changes["owner"] = [system.owner.username if system.owner else None,
                            owner.username if owner else None]
        system.owner = owner
    before = {link.person_id: link for link in system.administrator_links}
    after = {person.id: person for person in administrators}
    if set(before) != set(after):
        changes["administrators"] = [
            sorted(link.person.username for link in before.values()),
            sorted(person.username for person in after.values())]
        for person_id, link in before.items():
            if person_id not in after:
                system.administrator_links.remove(link)
        for person_id, person in after.items():
            if person_id not in before:
                system.administrator_links.append(SystemAdministrator(person=person))
    return changes


def _follow_checklists() -> None:
    """The owner's and administrators' checklists move with the register (current year)."""
    checklist_assignments.generate()


def create_system(actor: Person, fields: SystemFields, existing: bool = False,
                  scope: CoordinatorScope | None = None,
                  generate_checklists: bool = True) -> InformationSystem:
    """Register a system. Refused with a field's message, and nothing saved, on bad input.

    `existing` (the import of a system list) records systems as they already are: the
    go-live rule is about setting a system in use, and the register flags what is missing.
    `generate_checklists=False` leaves the checklist assignments to the caller (the import
    generates them once at the end).
    """
    values = _check_register_fields(fields, None, scope)
    status = parse_status(fields.status)
    owner, administrators = _resolve_people(fields)
    now = utcnow()
    system = InformationSystem(**values, status=status, created_at=now, updated_at=now)
    system.refresh_search_text()
    db.session.add(system)
    _set_people(actor, system, owner, administrators)
    db.session.flush()
    audit.record(actor, "system.created", "system", system.id, {
        "name": system.name, "organization_id": system.organization_id,
        "owner": owner.username if owner else None,
        "administrators": sorted(p.username for p in administrators)})
    _set_status(actor, system, status, fields.exception_reason, is_new=True, existing=existing)
    db.session.flush()
    if generate_checklists:
        _follow_checklists()
    return system


def update_system(actor: Person, system: InformationSystem, fields: SystemFields,
                  scope: CoordinatorScope | None = None,
                  generate_checklists: bool = True) -> list[str]:
    """Change everything the coordinator keeps; returns the names of the changed fields.

    With `scope`, the organization must be one the coordinator answers for. A change of
    owner, administrators or status regenerates the checklist assignments, unless
    `generate_checklists` is False (the import does it once at the end).
    """
    values = _check_register_fields(fields, system, scope)
    status = parse_status(fields.status)
    owner, administrators = _resolve_people(fields)
    changes = {key: [getattr(system, key), value] for key, value in values.items()
               if getattr(system, key) != value}
    for key, (_old, value) in changes.items():
        setattr(system, key, value)
    changes.update(_set_people(actor, system, owner, administrators))
    if changes:
        system.refresh_search_text()
        system.updated_at = utcnow()
        audit.record(actor, "system.updated", "system", system.id, {"changes": changes})
    old_status = system.status
    _set_status(actor, system, status, fields.exception_reason)
    db.session.flush()
    if generate_checklists and ("owner" in changes or "administrators" in changes
                                or status != old_status):
        _follow_checklists()
    return sorted(changes) + (["status"] if status != old_status else [])


def update_description(actor: Person, system: InformationSystem, description: str,
                       supplier: str, notes: str) -> list[str]:
    """What an owner may change: description, supplier and notes."""
    values = {
        "description": checks.text(description, "description", 5000, _("beskrivning")),
        "supplier": checks.text(supplier, "supplier", 200, _("leverantör")),
        "notes": checks.text(notes, "notes", 5000, _("anteckningar")),
    }
    changes = {key: [getattr(system, key), value] for key, value in values.items()
               if getattr(system, key) != value}
    for key, (_old, value) in changes.items():
        setattr(system, key, value)
    if changes:
        system.refresh_search_text()
        system.updated_at = utcnow()
        audit.record(actor, "system.updated", "system", system.id, {"changes": changes})
    db.session.flush()
    return sorted(changes)


def change_status(actor: Person, system: InformationSystem, status: str,
                  exception_reason: str = "") -> None:
    """Move a system through its lifecycle; retiring keeps it and its history (and moves
    its checklists' open items to nobody until it is back in use)."""
    old = system.status
    _set_status(actor, system, parse_status(status), exception_reason)
    system.updated_at = utcnow()
    db.session.flush()
    if system.status != old:
        _follow_checklists()


def status_history(system: InformationSystem) -> list[SystemStatusChange]:
    """The system's lifecycle changes, newest first, with who made them."""
    return list(db.session.scalars(
        select(SystemStatusChange).options(joinedload(SystemStatusChange.changed_by))
        .where(SystemStatusChange.system_id == system.id)
        .order_by(SystemStatusChange.id.desc())))
