"""Audience rules: who a governing document (later: a training) applies to.

A rule combines *where* (organizations, units with or without their sub-units, and the
companies that adopted the document) with *who* (person kinds, roles). Within a part any
value matches; the parts must all match; an empty kind or role part means everybody.
The rule is evaluated when asked — in SQL for lists and counts, in Python for one
person — so people who join later are covered and nobody is stored per document.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, false, func, or_, select

from app.extensions import db
from app.models import Organization, OrgUnit, Person, PersonKind, Role
from app.services import DomainError, people
from app.text import swedish_sort_key

AUDIENCE_ROLES = (Role.MANAGER, Role.SYSTEM_OWNER, Role.SYSTEM_ADMINISTRATOR)


def kind_labels() -> dict[str, str]:
    """Swedish names of the person kinds, as the audience form and the reports show them."""
    return {
        PersonKind.EMPLOYEE.value: _("Medarbetare"),
        PersonKind.CONSULTANT.value: _("Konsulter"),
        PersonKind.ELECTED.value: _("Förtroendevalda"),
        PersonKind.BOARD.value: _("Styrelseledamöter"),
    }


def role_labels() -> dict[str, str]:
    """Swedish names of the roles an audience can be narrowed to."""
    return {
        Role.MANAGER.value: _("Chefer"),
        Role.SYSTEM_OWNER.value: _("Systemägare"),
        Role.SYSTEM_ADMINISTRATOR.value: _("Systemförvaltare"),
    }


@dataclass(frozen=True)
class AudienceRule:
    """Who a document applies to, as stored in its `audience` JSON."""

    organization_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    include_sub_units: bool = True
    kinds: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> AudienceRule:
        data = data or {}
        return cls(tuple(data.get("organization_ids", ())), tuple(data.get("unit_ids", ())),
                   bool(data.get("include_sub_units", True)), tuple(data.get("kinds", ())),
                   tuple(data.get("roles", ())))

    def to_json(self) -> dict[str, Any]:
        return {"organization_ids": list(self.organization_ids), "unit_ids": list(self.unit_ids),
                "include_sub_units": self.include_sub_units, "kinds": list(self.kinds),
                "roles": list(self.roles)}


def _ids(values: list[str] | list[int], field_name: str) -> tuple[int, ...]:
    try:
        return tuple(sorted({int(v) for v in values}))
    except (TypeError, ValueError):
        raise DomainError(_("Ogiltigt val i målgruppen."), field=field_name) from None


def parse_rule(organization_ids: list[Any], unit_ids: list[Any], include_sub_units: bool,
               kinds: list[str], roles: list[str]) -> AudienceRule:
    """A rule from form values; a forged id, kind or role is refused with a message."""
    org_ids = _ids(organization_ids, "organization_ids")
    units = _ids(unit_ids, "unit_ids")
    known_orgs = set(db.session.scalars(select(Organization.id).where(
        Organization.id.in_(org_ids)))) if org_ids else set()
    known_units = set(db.session.scalars(select(OrgUnit.id).where(
        OrgUnit.id.in_(units)))) if units else set()
    if set(org_ids) - known_orgs:
        raise DomainError(_("En vald organisation finns inte."), field="organization_ids")
    if set(units) - known_units:
        raise DomainError(_("En vald enhet finns inte."), field="unit_ids")
    if set(kinds) - set(kind_labels()):
        raise DomainError(_("Ogiltig personkategori."), field="kinds")
    if set(roles) - set(role_labels()):
        raise DomainError(_("Ogiltig roll."), field="roles")
    return AudienceRule(org_ids, units, include_sub_units, tuple(sorted(set(kinds))),
                        tuple(sorted(set(roles))))


@dataclass
class UnitTree:
    """Every unit's parent, loaded in one query to expand "with sub-units"."""

    parent_of: dict[int, int | None]
    children_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls) -> UnitTree:
        tree = cls(dict(db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)).tuples().all()))
        for unit_id, parent_id in tree.parent_of.items():
            if parent_id is not None:
                tree.children_of[parent_id].append(unit_id)
        return tree

    def with_descendants(self, unit_ids: tuple[int, ...]) -> set[int]:
        found: set[int] = set()
        stack = list(unit_ids)
        while stack:
            unit_id = stack.pop()
            if unit_id not in found:
                found.add(unit_id)
                stack.extend(self.children_of.get(unit_id, ()))
        return found

    def units_of(self, rule: AudienceRule) -> set[int]:
        """The units whose members the rule names directly."""
        if rule.include_sub_units:
            return self.with_descendants(rule.unit_ids)
        return set(rule.unit_ids)


@dataclass(frozen=True)
class Audience:
    """A rule ready to evaluate: with the unit tree and the adoptions in force.

    `adopted_since` maps each organization that adopted the document to the date from
    which the adoption holds; its people belong to the audience from that date.
    """

    rule: AudienceRule
    units: set[int]
    adopted_since: dict[int, date]

    @classmethod
    def of(cls, rule: AudienceRule, tree: UnitTree, adopted_since: dict[int, date] | None = None
           ) -> Audience:
        return cls(rule, tree.units_of(rule), dict(adopted_since or {}))

    def condition(self) -> ColumnElement[bool]:
        """SQL condition on Person for the active people the rule matches."""
        where = []
        organizations = set(self.rule.organization_ids) | set(self.adopted_since)
        if organizations:
            where.append(Person.organization_id.in_(organizations))
        if self.units:
            where.append(Person.unit_id.in_(self.units))
        if not where:
            return false()
        parts = [Person.active.is_(True), or_(*where)]
        if self.rule.kinds:
            parts.append(Person.kind.in_([PersonKind(k) for k in self.rule.kinds]))
        if self.rule.roles:
            facts = people.role_conditions(Person.id)
            parts.append(or_(*(facts[Role(r)] for r in self.rule.roles)))
        return and_(*parts)

    def place_since(self, organization_id: int | None, unit_id: int | None
                    ) -> tuple[bool, date | None]:
        """Whether a person's organization and unit are inside the rule, and since when
        (a date only when they are inside through their company's adoption)."""
        if organization_id in self.rule.organization_ids or unit_id in self.units:
            return True, None
        if organization_id in self.adopted_since:
            return True, self.adopted_since[organization_id]
        return False, None

    def matches(self, person: Person, roles: set[Role]) -> tuple[bool, date | None]:
        """Whether the rule applies to this active person (with these roles), and since
        when it does through an adoption."""
        inside, since = self.place_since(person.organization_id, person.unit_id)
        if not person.active or not inside:
            return False, None
        if self.rule.kinds and person.kind.value not in self.rule.kinds:
            return False, None
        if self.rule.roles and not {r.value for r in roles} & set(self.rule.roles):
            return False, None
        return True, since


def units_in_order() -> list[OrgUnit]:
    """Every unit, the municipality's first, each organization's in Swedish path order."""
    from app.services.roles import organizations

    order = {o.id: n for n, o in enumerate(organizations())}
    units = db.session.scalars(select(OrgUnit))
    return sorted(units, key=lambda u: (order.get(u.organization_id, 0),
                                        swedish_sort_key(u.path)))


def count(audience: Audience) -> int:
    """How many active people the audience holds right now."""
    return db.session.scalar(select(func.count()).select_from(Person).where(
        audience.condition())) or 0
