"""Reading the register: one row per system with its status chips, coverage figures,
filters, sorting and pages — in a fixed number of queries whatever the register's size.

One query reads every system in view as plain tuples (no ORM objects) with its latest
classification and the counts of analyses and action items joined in; filtering,
sorting in Swedish order and paging happen in Python over those rows, and a second query
fetches the administrators' names for the rows actually shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    ActionPlanItem,
    Classification,
    InformationSystem,
    LifecycleStatus,
    Organization,
    OrgUnit,
    Person,
    RiskAnalysis,
    SystemAdministrator,
)
from app.models.systems import OPEN_ACTION_STATUSES
from app.services.classifications import add_months
from app.services.system_access import CoordinatorScope
from app.text import fold, swedish_sort_key

PAGE_SIZE = 50


@dataclass
class SystemRow:
    """A system as the register and "Mina system" show it."""

    id: int
    name: str
    organization_id: int
    organization: str
    unit: str | None
    owner_id: int | None
    owner: str | None
    owner_active: bool
    status: LifecycleStatus
    supplier: str
    personal_data: bool
    welfare_technology: bool
    vital_service: bool
    search_text: str
    levels: tuple[int, int, int, int] | None
    classified_on: date | None
    approved_on: date | None
    review_due_on: date | None
    analyses: int
    approved_analyses: int
    actions: int
    open_actions: int
    overdue_actions: int
    active_administrators: int
    administrators: list[str] = field(default_factory=list)
    today: date = date.min
    # Ready HTML of the status chips, added by the pages that show them.
    chips: str = ""

    @property
    def classified(self) -> bool:
        return self.levels is not None

    @property
    def approved(self) -> bool:
        return self.approved_on is not None

    @property
    def review_overdue(self) -> bool:
        return self.review_due_on is not None and self.review_due_on < self.today

    @property
    def needs_separate_analysis(self) -> bool:
        return self.levels is not None and 4 in self.levels

    @property
    def missing_owner(self) -> bool:
        return self.owner_id is None or not self.owner_active

    @property
    def missing_administrator(self) -> bool:
        return self.active_administrators == 0

    @property
    def overdue(self) -> bool:
        return self.review_overdue or self.overdue_actions > 0

    @property
    def risk_analysed(self) -> bool:
        return self.analyses > 0


def _rows_query(today: date):
    latest = (select(Classification.system_id, func.max(Classification.id).label("id"))
              .group_by(Classification.system_id).subquery())
    current = aliased(Classification)
    analyses = (select(RiskAnalysis.system_id, func.count().label("n"),
                       func.count(RiskAnalysis.approved_at).label("approved"))
                .group_by(RiskAnalysis.system_id).subquery())
    is_open = ActionPlanItem.status.in_(OPEN_ACTION_STATUSES)
    actions = (select(ActionPlanItem.system_id, func.count().label("n"),
                      func.sum(case((is_open, 1), else_=0)).label("open"),
                      func.sum(case((and_(is_open, ActionPlanItem.due_on < today), 1),
                                    else_=0)).label("overdue"))
               .group_by(ActionPlanItem.system_id).subquery())
    administrators = (select(SystemAdministrator.system_id, func.count().label("n"))
                      .join(Person, Person.id == SystemAdministrator.person_id)
                      .where(Person.active.is_(True))
                      .group_by(SystemAdministrator.system_id).subquery())
    owner = aliased(Person)
    system = InformationSystem
    return (select(
        system.id, system.name, system.organization_id, Organization.name, OrgUnit.path,
        system.owner_id, owner.display_name, owner.active, system.status, system.supplier,
        system.personal_data, system.welfare_technology, system.vital_service,
        system.search_text, current.confidentiality, current.integrity, current.availability,
        current.traceability, current.classified_on, current.approved_on,
        func.coalesce(analyses.c.n, 0), func.coalesce(analyses.c.approved, 0),
        func.coalesce(actions.c.n, 0), func.coalesce(actions.c.open, 0),
        func.coalesce(actions.c.overdue, 0), func.coalesce(administrators.c.n, 0))
        .join(Organization, Organization.id == system.organization_id)
        .outerjoin(OrgUnit, OrgUnit.id == system.unit_id)
        .outerjoin(owner, owner.id == system.owner_id)
        .outerjoin(latest, latest.c.system_id == system.id)
        .outerjoin(current, current.id == latest.c.id)
        .outerjoin(analyses, analyses.c.system_id == system.id)
        .outerjoin(actions, actions.c.system_id == system.id)
        .outerjoin(administrators, administrators.c.system_id == system.id))


def _to_row(values: tuple, today: date, review_months: int) -> SystemRow:
    (id_, name, org_id, org, unit, owner_id, owner, owner_active, status, supplier, personal,
     welfare, vital, search, conf, integ, avail, trace, classified_on, approved_on, analyses,
     approved_analyses, actions, open_actions, overdue, admins) = values
    return SystemRow(
        id=id_, name=name, organization_id=org_id, organization=org, unit=unit,
        owner_id=owner_id, owner=owner, owner_active=bool(owner_active),
        status=LifecycleStatus(status), supplier=supplier, personal_data=personal,
        welfare_technology=welfare, vital_service=vital, search_text=search,
        levels=None if conf is None else (conf, integ, avail, trace),
        classified_on=classified_on, approved_on=approved_on,
        review_due_on=add_months(approved_on, review_months) if approved_on else None,
        analyses=analyses,
        approved_analyses=approved_analyses, actions=actions, open_actions=int(open_actions),
        overdue_actions=int(overdue), active_administrators=admins, today=today)


def load_rows(today: date, scope: CoordinatorScope | None = None,
              person_id: int | None = None, include_retired: bool = True,
              system_id: int | None = None) -> list[SystemRow]:
    """Every system in the coordinator's scope, or those the person owns or administers,
    or the one system asked for."""
    query = _rows_query(today)
    if system_id is not None:
        query = query.where(InformationSystem.id == system_id)
    if scope is not None and not scope.everything:
        query = query.where(InformationSystem.organization_id.in_(scope.organization_ids))
    if person_id is not None:
        query = query.where(or_(
            InformationSystem.owner_id == person_id,
            InformationSystem.id.in_(select(SystemAdministrator.system_id)
                                     .where(SystemAdministrator.person_id == person_id))))
    if not include_retired:
        query = query.where(InformationSystem.status != LifecycleStatus.RETIRED)
    months = current_app.config.get("CLASSIFICATION_REVIEW_MONTHS", 12)
    return [_to_row(values, today, months) for values in db.session.execute(query)]


def fill_administrators(rows: list[SystemRow]) -> None:
    """Put the active administrators' names on the rows (one query for all of them)."""
    if not rows:
        return
    names: dict[int, list[str]] = defaultdict(list)
    for system_id, name in db.session.execute(
            select(SystemAdministrator.system_id, Person.display_name)
            .join(Person, Person.id == SystemAdministrator.person_id)
            .where(SystemAdministrator.system_id.in_([r.id for r in rows]),
                   Person.active.is_(True))):
        names[system_id].append(name)
    for row in rows:
        row.administrators = sorted(names[row.id], key=swedish_sort_key)


@dataclass
class Coverage:
    """The management review's figures for one organization or the whole group."""

    name: str
    systems: int = 0
    in_use: int = 0
    classified: int = 0
    approved: int = 0
    with_action_plan: int = 0
    risk_analysed: int = 0
    welfare_technology: int = 0
    welfare_risk_analysed: int = 0
    missing_owner: int = 0
    review_overdue: int = 0
    open_actions: int = 0
    overdue_actions: int = 0

    def add(self, row: SystemRow) -> None:
        self.systems += 1
        self.in_use += row.status == LifecycleStatus.IN_USE
        self.classified += row.classified
        self.approved += row.approved
        self.with_action_plan += row.actions > 0
        self.risk_analysed += row.risk_analysed
        self.welfare_technology += row.welfare_technology
        self.welfare_risk_analysed += row.welfare_technology and row.risk_analysed
        self.missing_owner += row.missing_owner or row.missing_administrator
        self.review_overdue += row.review_overdue
        self.open_actions += row.open_actions
        self.overdue_actions += row.overdue_actions


def coverage(rows: list[SystemRow], group_name: str) -> tuple[Coverage, list[Coverage]]:
    """Figures over the systems not retired: for the whole group and per organization."""
    total = Coverage(group_name)
    per_org: dict[int, Coverage] = {}
    for row in rows:
        if row.status == LifecycleStatus.RETIRED:
            continue
        total.add(row)
        per_org.setdefault(row.organization_id, Coverage(row.organization)).add(row)
    return total, sorted(per_org.values(), key=lambda c: swedish_sort_key(c.name))


def search_matches(row: SystemRow, words: list[str]) -> bool:
    return all(word in row.search_text for word in words)


def fold_query(text: str) -> list[str]:
    """The folded words of a search box."""
    return fold(text).split()
