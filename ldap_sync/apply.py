"""Reading what the database holds for reconcile, and applying a plan in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from app.clock import utcnow
from app.extensions import db
from app.models import (
    GrantSource,
    Organization,
    OrganizationKind,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    Role,
    RoleGrant,
)
from app.services import audit
from ldap_sync.mapping import DirectorySnapshot
from ldap_sync.reconcile import KnownGrant, KnownPerson, Plan


def load_known() -> tuple[list[KnownPerson], list[KnownGrant]]:
    """Everyone the database holds, in reconcile's terms, in two queries."""
    manager = aliased(Person)
    rows = db.session.execute(
        select(Person, Organization.name, OrgUnit.path, manager.directory_id)
        .outerjoin(Organization, Person.organization_id == Organization.id)
        .outerjoin(OrgUnit, Person.unit_id == OrgUnit.id)
        .outerjoin(manager, Person.manager_id == manager.id)
    ).all()
    known = []
    for person, org_name, unit_path, manager_directory_id in rows:
        fields = {
            "directory_dn": person.directory_dn, "username": person.username,
            "display_name": person.display_name, "given_name": person.given_name,
            "surname": person.surname, "mail": person.mail, "title": person.title,
            "employee_number": person.employee_number, "kind": person.kind.value,
            "organization": org_name,
            "unit": (org_name, unit_path) if unit_path is not None else None,
            "manager": manager_directory_id,
        }
        known.append(KnownPerson(id=person.id, directory_id=person.directory_id,
                                 is_local=person.source == PersonSource.LOCAL,
                                 active=person.active, fields=fields))
    grants = [KnownGrant(id=g.id, person_id=g.person_id, role=g.role.value)
              for g in db.session.scalars(select(RoleGrant).where(
                  RoleGrant.revoked_at.is_(None),
                  RoleGrant.source == GrantSource.DIRECTORY_GROUP))]
    return known, grants


def _organizations(snapshot: DirectorySnapshot) -> dict[str, Organization]:
    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    for person in snapshot.people.values():
        ref = person.organization
        if ref is None:
            continue
        org = orgs.get(ref.name)
        if org is None:
            org = Organization(name=ref.name, kind=OrganizationKind(ref.kind))
            db.session.add(org)
            orgs[ref.name] = org
            audit.record(None, "organization.created", "organization", ref.name,
                         {"kind": ref.kind})
        elif org.kind.value != ref.kind:
            audit.record(None, "organization.updated", "organization", org.id,
                         {"kind": [org.kind.value, ref.kind]})
            org.kind = OrganizationKind(ref.kind)
    return orgs


def _units(plan: Plan, orgs: dict[str, Organization]) -> dict[tuple[str, str], OrgUnit]:
    """Every unit the plan needs, its parents created first."""
    units = {(u.organization.name, u.path): u
             for u in db.session.scalars(select(OrgUnit).join(OrgUnit.organization))}
    for wanted in plan.desired.values():
        if wanted["unit"] is None:
            continue
        org_name, path = wanted["unit"]
        names = path.split(" / ")
        parent = None
        for depth in range(1, len(names) + 1):
            key = (org_name, " / ".join(names[:depth]))
            unit = units.get(key)
            if unit is None:
                unit = OrgUnit(organization=orgs[org_name], parent=parent,
                               name=names[depth - 1], path=key[1])
                db.session.add(unit)
                units[key] = unit
            parent = unit
    return units


def _assign(person: Person, wanted: dict[str, Any], orgs: dict[str, Organization],
            units: dict[tuple[str, str], OrgUnit]) -> None:
    for name in ("directory_dn", "username", "display_name", "given_name", "surname", "mail",
                 "title", "employee_number"):
        setattr(person, name, wanted[name])
    person.kind = PersonKind(wanted["kind"])
    person.organization = orgs.get(wanted["organization"]) if wanted["organization"] else None
    person.unit = units[tuple(wanted["unit"])] if wanted["unit"] else None
    person.refresh_search_text()


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def apply_plan(plan: Plan, snapshot: DirectorySnapshot, source: str) -> None:
    """Carry out the plan in the current transaction; the caller commits or rolls back."""
    now = utcnow()
    orgs = _organizations(snapshot)
    units = _units(plan, orgs)
    people: dict[str, Person] = {}
    for created in plan.creates:
        person = Person(directory_id=created.directory_id, source=PersonSource.DIRECTORY,
                        active=True)
        _assign(person, plan.desired[created.directory_id], orgs, units)
        db.session.add(person)
        people[created.directory_id] = person
    touched_ids = [pid for pid, _, _ in plan.updates] + plan.deactivations + plan.reactivations
    by_id = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.id.in_(touched_ids)))} if touched_ids else {}
    needs_manager = {d.directory_id for d in plan.creates}
    for person_id, directory_person, changes in plan.updates:
        person = by_id[person_id]
        _assign(person, plan.desired[directory_person.directory_id], orgs, units)
        people[directory_person.directory_id] = person
        if "manager" in changes:
            needs_manager.add(directory_person.directory_id)
        audit.record(None, "person.updated", "person", person_id,
                     {k: [_jsonable(old), _jsonable(new)] for k, (old, new) in changes.items()})
    db.session.flush()
    if needs_manager:
        manager_ids = {plan.desired[d]["manager"] for d in needs_manager} - {None}
        managers = {p.directory_id: p for p in db.session.scalars(
            select(Person).where(Person.directory_id.in_(manager_ids)))} if manager_ids else {}
        for directory_id in needs_manager:
            manager_id = plan.desired[directory_id]["manager"]
            people[directory_id].manager = managers.get(manager_id) if manager_id else None
    for created in plan.creates:
        audit.record(None, "person.created", "person", people[created.directory_id].id,
                     {"username": created.username, "source": source})
    for person_id in plan.deactivations:
        person = by_id[person_id]
        person.active, person.deactivated_at, person.session_token = False, now, None
        audit.record(None, "person.deactivated", "person", person_id, {"source": source})
    for person_id in plan.reactivations:
        person = by_id[person_id]
        person.active, person.deactivated_at = True, None
        audit.record(None, "person.reactivated", "person", person_id, {"source": source})
    _apply_grants(plan, now)
    if snapshot.people:
        db.session.execute(update(Person).where(Person.directory_id.in_(list(snapshot.people)))
                           .values(last_seen_in_directory=now))


def _apply_grants(plan: Plan, now: Any) -> None:
    for grant in plan.grants_to_revoke:
        db.session.execute(update(RoleGrant).where(RoleGrant.id == grant.id)
                           .values(revoked_at=now))
        audit.record(None, "role.revoked", "person", grant.person_id,
                     {"role": grant.role, "source": GrantSource.DIRECTORY_GROUP.value})
    if not plan.grants_to_add:
        return
    ids = {p.directory_id: p.id for p in db.session.scalars(select(Person).where(
        Person.directory_id.in_({d for d, _ in plan.grants_to_add})))}
    for directory_id, role in plan.grants_to_add:
        db.session.add(RoleGrant(person_id=ids[directory_id], role=Role(role),
                                 source=GrantSource.DIRECTORY_GROUP, granted_at=now))
        audit.record(None, "role.granted", "person", ids[directory_id],
                     {"role": role, "source": GrantSource.DIRECTORY_GROUP.value})
