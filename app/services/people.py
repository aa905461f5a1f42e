"""Who people are in the portal: their roles, their unit, who reports to them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import CTE, ColumnElement, exists, func, select
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from app.models import Person, PersonKind, Role, RoleGrant
from app.services import DomainError
from app.text import swedish_sort_key

# One alias for every call: making a new one each time showed in the follow-up's profiles.
_REPORT = aliased(Person, name="report")


def role_conditions(person_id: Any) -> dict[Role, ColumnElement[bool]]:
    """The facts that make someone a manager, system owner or system administrator, as SQL
    conditions on `person_id` (a value or a correlated column such as Person.id)."""
    from app.models.systems import InformationSystem, LifecycleStatus, SystemAdministrator

    report = _REPORT
    live = InformationSystem.status != LifecycleStatus.RETIRED
    return {
        # Someone else reports to them: a manager who is only their own manager manages
        # nobody.
        Role.MANAGER: exists().where(report.manager_id == person_id, report.active.is_(True),
                                     report.id != person_id),
        Role.SYSTEM_OWNER: exists().where(InformationSystem.owner_id == person_id, live),
        Role.SYSTEM_ADMINISTRATOR: exists().where(
            SystemAdministrator.person_id == person_id,
            SystemAdministrator.system_id == InformationSystem.id, live),
    }


def _derived_roles(person_id: int) -> set[Role]:
    """Manager, system owner and system administrator, from the facts in one query."""
    facts = role_conditions(person_id)
    row = db.session.execute(select(*facts.values())).one()
    return {role for role, holds in zip(facts, row, strict=True) if holds}


def grants_of(person: Person) -> list[tuple[Role, int | None]]:
    """The person's active grants as (role, organization id or None for the whole group)."""
    return [(role, org_id) for role, org_id in db.session.execute(
        select(RoleGrant.role, RoleGrant.organization_id).where(
            RoleGrant.person_id == person.id, RoleGrant.revoked_at.is_(None)))]


def roles_of(person: Person, grants: list[tuple[Role, int | None]] | None = None) -> set[Role]:
    """Every role a person has: derived ones from facts, granted ones from active grants."""
    roles = {Role.EMPLOYEE} | _derived_roles(person.id)
    roles.update(role for role, _org in (grants if grants is not None else grants_of(person)))
    return roles


class InactivePerson(DomainError):
    """The identifier names only a deactivated person."""

    def __init__(self, message: str, field: str, person: Person) -> None:
        super().__init__(message, field)
        self.person = person


def resolve_person(identifier: str, field: str = "person") -> Person:
    """The active person with this username or e-mail address (case-insensitive).

    An inactive match raises InactivePerson: "not found" would send the user looking
    for a typo when the real reason is that the person has left.
    """
    value = identifier.strip()
    if not value:
        raise DomainError(_("Fyll i användarnamn eller e-postadress."), field=field)
    wanted = value.lower()
    inactive: list[Person] = []
    # Usernames are unique among active people; try them before e-mail addresses.
    for column in (Person.username, Person.mail):
        matches = list(db.session.scalars(
            select(Person).where(func.lower(column) == wanted).order_by(Person.id)))
        active = [p for p in matches if p.active]
        if len(active) == 1:
            return active[0]
        if len(active) > 1:
            raise DomainError(_("Flera aktiva personer har e-postadressen %(value)s. Ange "
                                "användarnamnet i stället.", value=value), field=field)
        inactive += matches
    if inactive:
        raise InactivePerson(_("%(name)s (%(value)s) är avaktiverad.",
                               name=inactive[-1].display_name, value=value),
                             field, inactive[-1])
    raise DomainError(_("Ingen aktiv person har användarnamnet eller e-postadressen "
                        "%(value)s.", value=value), field=field)


def active_grants(person: Person) -> list[RoleGrant]:
    """The person's current grants, with their organization scope."""
    return list(db.session.scalars(
        select(RoleGrant).options(joinedload(RoleGrant.organization))
        .where(RoleGrant.person_id == person.id, RoleGrant.revoked_at.is_(None))))


def with_details(person_id: int) -> Person | None:
    """A person with organization, unit and manager loaded for display."""
    return db.session.scalar(select(Person).options(
        joinedload(Person.organization), joinedload(Person.unit), joinedload(Person.manager)
    ).where(Person.id == person_id))


def subtree(manager_id: int) -> CTE:
    """(id, root): everyone reporting to the manager, directly or indirectly, and the
    direct report they are under. UNION (not UNION ALL) drops rows already found, so a
    loop in the directory's reporting lines ends instead of running forever."""
    # Not the manager themself when they are their own manager: their reports would come
    # twice, once under themselves and once as their own root.
    below = (select(Person.id.label("id"), Person.id.label("root"))
             .where(Person.manager_id == manager_id, Person.id != manager_id)
             .cte("subtree", recursive=True))
    report = aliased(Person)
    return below.union(select(report.id, below.c.root).where(report.manager_id == below.c.id))


def reporting_to(manager: Person) -> ColumnElement[bool]:
    """SQL condition on Person: reports to the manager, directly or indirectly."""
    return Person.id.in_(select(subtree(manager.id).c.id))


@dataclass
class DemoGroup:
    """People offered on the demo sign-in page under one heading."""

    key: str
    people: list[Person]


DEMO_GROUP_ORDER = ("coordinator", "admin", "system_owner", "system_administrator", "manager",
                    "employee", "consultant", "elected", "board")


def _system_people() -> tuple[set[int], set[int]]:
    """Ids of the owners and administrators of systems not retired."""
    from app.models.systems import InformationSystem, LifecycleStatus, SystemAdministrator

    live = InformationSystem.status != LifecycleStatus.RETIRED
    owners = set(db.session.scalars(select(InformationSystem.owner_id).where(
        live, InformationSystem.owner_id.is_not(None))))
    administrators = set(db.session.scalars(select(SystemAdministrator.person_id).join(
        InformationSystem, InformationSystem.id == SystemAdministrator.system_id).where(live)))
    return owners, administrators


def demo_groups() -> list[DemoGroup]:
    """Active people grouped by role for the demo sign-in page, in five queries."""
    people = list(db.session.scalars(select(Person).options(joinedload(Person.organization))
                                     .where(Person.active.is_(True))))
    granted: dict[int, set[str]] = defaultdict(set)
    for person_id, role in db.session.execute(select(RoleGrant.person_id, RoleGrant.role).where(
            RoleGrant.revoked_at.is_(None))):
        granted[person_id].add(role.value)
    managers = set(db.session.scalars(select(Person.manager_id).where(
        Person.active.is_(True), Person.manager_id.is_not(None)).distinct()))
    owners, administrators = _system_people()
    groups: dict[str, list[Person]] = {key: [] for key in DEMO_GROUP_ORDER}
    for person in people:
        if person.id in owners:
            groups["system_owner"].append(person)
        if person.id in administrators:
            groups["system_administrator"].append(person)
        if Role.COORDINATOR.value in granted[person.id]:
            groups["coordinator"].append(person)
        if Role.ADMIN.value in granted[person.id]:
            groups["admin"].append(person)
        if person.id in managers:
            groups["manager"].append(person)
        elif person.kind == PersonKind.EMPLOYEE:
            groups["employee"].append(person)
        if person.kind != PersonKind.EMPLOYEE:
            groups[person.kind.value].append(person)
    return [DemoGroup(key, sorted(members, key=lambda p: swedish_sort_key(p.display_name)))
            for key, members in groups.items() if members]


def set_locale(person: Person, locale: str) -> None:
    """Remember the person's language for every later visit."""
    person.locale = locale
