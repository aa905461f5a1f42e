"""The coordinator's view of the group: per organization and sector how far people have
come with the governing documents and trainings, training per person kind, checklist
completion per role, the system register's coverage, overdue action items and documents
due for review — in a constant number of queries however many people there are.

The same figures are what a monthly snapshot keeps and what a management review freezes
(`as_figures`), so the trend and the report say exactly what the page said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app.clock import today
from app.extensions import db
from app.models import ChecklistRole, Document, Organization, OrgUnit, Person, PersonKind
from app.services import checklist_progress, requirements
from app.services.acknowledgements import Chain
from app.services.audience import UnitTree, kind_labels
from app.services.audience_report import Tally
from app.services.document_library import review_due_on
from app.services.documents import version_headers
from app.services.requirements import Requirement
from app.services.system_access import CoordinatorScope
from app.services.system_register import Coverage, coverage, load_rows
from app.services.unit_status import Figures, figures_of, progress_sums
from app.text import swedish_sort_key


def checklist_role_labels() -> dict[str, str]:
    return {
        ChecklistRole.SYSTEM_OWNER.value: _("Systemägare"),
        ChecklistRole.SYSTEM_ADMINISTRATOR.value: _("Systemförvaltare"),
        ChecklistRole.MANAGER.value: _("Chefer"),
        ChecklistRole.EMPLOYEE.value: _("Medarbetare"),
    }


@dataclass
class Place:
    """An organization or a sector with its figures; sectors carry their unit id."""

    label: str
    organization_id: int
    unit_id: int | None = None
    figures: Figures = field(default_factory=Figures)
    sectors: list[Place] = field(default_factory=list)


@dataclass
class RoleProgress:
    """Checklists of one role: how many, how many complete, items ticked of items."""

    role: str
    label: str
    checklists: int = 0
    complete: int = 0
    items: Tally = field(default_factory=lambda: Tally(""))


@dataclass
class ReviewDue:
    document_id: int
    title: str
    due_on: date


@dataclass
class GroupStatus:
    """Everything the coordinator's group view shows."""

    requirements: list[Requirement]
    total: Figures
    places: list[Place]
    kinds: list[tuple[str, str, Figures]]
    roles: list[RoleProgress]
    systems: Coverage
    systems_per_organization: list[Coverage]
    reviews_due: list[ReviewDue]


def _people_figures(reqs: list[Requirement], scope: CoordinatorScope
                    ) -> list[tuple[int | None, int | None, str, Figures]]:
    """(organization, unit, kind, figures) for every combination that has people."""
    query = (select(Person.organization_id, Person.unit_id, Person.kind, func.count(),
                    *progress_sums(reqs))
             .where(Person.active.is_(True))
             .group_by(Person.organization_id, Person.unit_id, Person.kind))
    if not scope.everything:
        query = query.where(Person.organization_id.in_(scope.organization_ids))
    return [(org_id, unit_id, PersonKind(kind).value, figures_of(people, sums, reqs))
            for org_id, unit_id, kind, people, *sums in db.session.execute(query)]


def _top_unit(tree: UnitTree, unit_id: int) -> int:
    seen = set()
    while tree.parent_of.get(unit_id) is not None and unit_id not in seen:
        seen.add(unit_id)
        unit_id = tree.parent_of[unit_id]  # type: ignore[assignment]
    return unit_id


def _places(rows, scope: CoordinatorScope) -> list[Place]:
    organizations = {o.id: o for o in db.session.scalars(select(Organization))}
    units = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name)).tuples().all())
    tree = UnitTree.load()
    places: dict[int, Place] = {}
    sectors: dict[tuple[int, int | None], Place] = {}
    for org_id, unit_id, _kind, figures in rows:
        if org_id is None:
            continue
        place = places.setdefault(org_id, Place(organizations[org_id].name, org_id))
        place.figures.add(figures)
        top = _top_unit(tree, unit_id) if unit_id is not None else None
        sector = sectors.get((org_id, top))
        if sector is None:
            label = units[top] if top is not None else _("Utan enhet")
            sector = sectors[(org_id, top)] = Place(label, org_id, top)
            place.sectors.append(sector)
        sector.figures.add(figures)
    for org in organizations.values():
        if scope.covers(org.id) and org.id not in places:
            places[org.id] = Place(org.name, org.id)
    ordered = sorted(places.values(), key=lambda p: (
        organizations[p.organization_id].kind.value != "municipality", swedish_sort_key(p.label)))
    for place in ordered:
        place.sectors.sort(key=lambda s: (s.unit_id is None, swedish_sort_key(s.label)))
    return ordered


def checklist_roles(scope: CoordinatorScope) -> list[RoleProgress]:
    """This year's checklists per role, counted over their holders in the scope."""
    rows = checklist_progress.per_assignment()
    query = (select(rows.c.role, func.count(), func.sum(case((rows.c.done >= rows.c.total, 1),
                                                             else_=0)),
                    func.sum(rows.c.total), func.sum(rows.c.done))
             .join(Person, Person.id == rows.c.assignee_id).group_by(rows.c.role))
    if not scope.everything:
        query = query.where(Person.organization_id.in_(scope.organization_ids))
    labels = checklist_role_labels()
    found = {role: RoleProgress(role, label) for role, label in labels.items()}
    for role, count, complete, total, done in db.session.execute(query):
        value = role.value if isinstance(role, ChecklistRole) else role
        found[value] = RoleProgress(value, labels[value], count, int(complete or 0),
                                    Tally("", int(total or 0), int(done or 0)))
    return [p for p in found.values() if p.checklists]


def reviews_due(scope: CoordinatorScope, day: date | None = None) -> list[ReviewDue]:
    """Documents in force, of organizations in scope, whose review date has passed."""
    day = day or today()
    query = select(Document).where(Document.withdrawn_at.is_(None))
    if not scope.everything:
        query = query.where(Document.organization_id.in_(scope.organization_ids))
    documents = list(db.session.scalars(query))
    chains = version_headers([d.id for d in documents])
    due = []
    for document in documents:
        if document.id in chains:
            review = review_due_on(document, Chain(chains[document.id]))
            if review is not None and review < day:
                due.append(ReviewDue(document.id, document.title, review))
    return sorted(due, key=lambda r: r.due_on)


def build(scope: CoordinatorScope) -> GroupStatus:
    """The group view for the coordinator's scope."""
    reqs = requirements.current()
    rows = _people_figures(reqs, scope)
    total = Figures()
    per_kind: dict[str, Figures] = {}
    for _org, _unit, kind, figures in rows:
        total.add(figures)
        per_kind.setdefault(kind, Figures()).add(figures)
    # A scoped coordinator sees only the requirements that ask someone in their scope.
    reqs = [r for r in reqs if total.per_requirement.get(r.key, Tally("")).total]
    labels = kind_labels()
    kinds = [(kind, label, per_kind[kind]) for kind, label in labels.items() if kind in per_kind]
    group, per_org = coverage(load_rows(today(), scope), _("Koncernen"))
    return GroupStatus(reqs, total, _places(rows, scope), kinds, checklist_roles(scope), group,
                       per_org, reviews_due(scope))


def as_figures(status: GroupStatus) -> dict[str, Any]:
    """The figures as plain JSON, for a snapshot or a frozen management review."""

    def tally(t: Tally) -> dict[str, int]:
        return {"done": t.done, "total": t.total}

    def figures(f: Figures) -> dict[str, Any]:
        return {"people": f.people, "documents": tally(f.documents),
                "trainings": tally(f.trainings)}

    return {
        "requirements": [{"key": r.key, "kind": r.kind, "title": r.title,
                          **tally(status.total.per_requirement[r.key])}
                         for r in status.requirements],
        "total": figures(status.total),
        "organizations": [{"name": p.label, "id": p.organization_id, **figures(p.figures)}
                          for p in status.places],
        "kinds": [{"kind": kind, "label": label, **figures(f),
                   "per_requirement": {k: tally(t) for k, t in f.per_requirement.items()}}
                  for kind, label, f in status.kinds],
        "checklists": [{"role": p.role, "label": p.label, "checklists": p.checklists,
                        "complete": p.complete, **tally(p.items)} for p in status.roles],
        "systems": {key: getattr(status.systems, key) for key in (
            "systems", "in_use", "classified", "approved", "with_action_plan", "risk_analysed",
            "welfare_technology", "welfare_risk_analysed", "missing_owner", "review_overdue")},
        "actions": {"open": status.systems.open_actions,
                    "overdue": status.systems.overdue_actions},
        "reviews_due": [{"title": r.title, "due_on": r.due_on.isoformat()}
                        for r in status.reviews_due],
    }
