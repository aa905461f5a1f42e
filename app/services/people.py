"""Who people are in the portal: their roles, their unit, who reports to them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from app.models import Organization, Person, PersonKind, Role, RoleGrant
from app.text import swedish_sort_key


def _is_manager(person_id: int) -> bool:
    report = aliased(Person)
    return bool(db.session.scalar(select(exists().where(
        report.manager_id == person_id, report.active.is_(True)))))


def roles_of(person: Person) -> set[Role]:
    """Every role a person has: derived ones from facts, granted ones from active grants."""
    roles = {Role.EMPLOYEE}
    if _is_manager(person.id):
        roles.add(Role.MANAGER)
    granted = db.session.scalars(select(RoleGrant.role).where(
        RoleGrant.person_id == person.id, RoleGrant.revoked_at.is_(None)))
    roles.update(granted)
    return roles


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


def reports_of(manager: Person) -> list[Person]:
    """Active people reporting to the manager, directly or indirectly, in Swedish order."""
    chain = select(Person.id).where(Person.manager_id == manager.id).cte(recursive=True)
    below = aliased(Person)
    chain = chain.union(select(below.id).where(below.manager_id == chain.c.id))
    people = db.session.scalars(select(Person).options(
        joinedload(Person.unit), joinedload(Person.manager)
    ).where(Person.id.in_(select(chain.c.id)), Person.active.is_(True)))
    return sorted(people, key=lambda p: swedish_sort_key(p.display_name))


@dataclass
class DemoGroup:
    """People offered on the demo sign-in page under one heading."""

    key: str
    people: list[Person]


DEMO_GROUP_ORDER = ("coordinator", "admin", "manager", "employee", "consultant", "elected",
                    "board")


def demo_groups() -> list[DemoGroup]:
    """Active people grouped by role for the demo sign-in page, in three queries."""
    people = list(db.session.scalars(select(Person).options(joinedload(Person.organization))
                                     .where(Person.active.is_(True))))
    granted: dict[int, set[str]] = defaultdict(set)
    for person_id, role in db.session.execute(select(RoleGrant.person_id, RoleGrant.role).where(
            RoleGrant.revoked_at.is_(None))):
        granted[person_id].add(role.value)
    managers = set(db.session.scalars(select(Person.manager_id).where(
        Person.active.is_(True), Person.manager_id.is_not(None)).distinct()))
    groups: dict[str, list[Person]] = {key: [] for key in DEMO_GROUP_ORDER}
    for person in people:
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


def organization_overview() -> list[tuple[Organization, dict[str, int]]]:
    """Each organization with its number of active people per kind."""
    from sqlalchemy import func

    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for org_id, kind, n in db.session.execute(
            select(Person.organization_id, Person.kind, func.count())
            .where(Person.active.is_(True)).group_by(Person.organization_id, Person.kind)):
        counts[org_id][kind.value] = n
    orgs = db.session.scalars(select(Organization))
    ordered = sorted(orgs, key=lambda o: (o.kind.value != "municipality",
                                          swedish_sort_key(o.name)))
    return [(org, counts.get(org.id, {})) for org in ordered]


def set_locale(person: Person, locale: str) -> None:
    """Remember the person's language for every later visit."""
    person.locale = locale
