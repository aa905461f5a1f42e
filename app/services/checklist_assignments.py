"""Who holds which checklist in a period, derived from facts: system owners and
administrators from the register, managers from the directory's reporting lines.

`generate` is idempotent — run by the directory sync, by register changes and by
`flask --app wsgi checklists generate` — and never duplicates an assignment: one per
template, subject and period. When the role moves, the assignment (with its open items)
moves to whoever holds the role now, recorded in AssignmentHolder; ticks stay with the
people who made them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    AssignmentHolder,
    ChecklistAssignment,
    ChecklistRole,
    InformationSystem,
    LifecycleStatus,
    Person,
    SubjectType,
    SystemAdministrator,
)
from app.services import audit
from app.services.checklist_templates import ensure_defaults

Key = tuple[int, SubjectType, int]


def _desired(period: int) -> dict[Key, int | None]:
    """Each assignment the facts call for, and who should hold it — in four queries."""
    templates = {t.role: t for t in ensure_defaults()}
    wanted: dict[Key, int | None] = {}
    owner = aliased(Person)
    live = InformationSystem.status != LifecycleStatus.RETIRED
    for system_id, owner_id in db.session.execute(
            select(InformationSystem.id, InformationSystem.owner_id)
            .join(owner, owner.id == InformationSystem.owner_id)
            .where(live, owner.active.is_(True))):
        wanted[(templates[ChecklistRole.SYSTEM_OWNER].id, SubjectType.SYSTEM, system_id)] = \
            owner_id
    administrator = aliased(Person)
    for system_id, person_id in db.session.execute(
            select(SystemAdministrator.system_id, SystemAdministrator.person_id)
            .join(InformationSystem, InformationSystem.id == SystemAdministrator.system_id)
            .join(administrator, administrator.id == SystemAdministrator.person_id)
            .where(live, administrator.active.is_(True))
            .order_by(SystemAdministrator.system_id, SystemAdministrator.person_id)):
        # The first administrator holds it; every administrator of the system may tick it.
        wanted.setdefault((templates[ChecklistRole.SYSTEM_ADMINISTRATOR].id,
                           SubjectType.SYSTEM, system_id), person_id)
    report, manager = aliased(Person), aliased(Person)
    for (manager_id,) in db.session.execute(
            select(report.manager_id).join(manager, manager.id == report.manager_id)
            .where(report.active.is_(True), manager.active.is_(True)).distinct()):
        wanted[(templates[ChecklistRole.MANAGER].id, SubjectType.PERSON, manager_id)] = \
            manager_id
    employee = templates[ChecklistRole.EMPLOYEE]
    if any(item.in_period(period) for item in employee.items):
        for (person_id,) in db.session.execute(select(Person.id).where(Person.active.is_(True))):
            wanted[(employee.id, SubjectType.PERSON, person_id)] = person_id
    return wanted


@dataclass
class GenerateResult:
    period: int
    created: int = 0
    reassigned: int = 0
    unassigned: int = 0


def generate(period: int | None = None) -> GenerateResult:
    """Create the assignments the facts call for and move those whose holder changed."""
    period = period or today().year
    wanted = _desired(period)
    existing = {(a.template_id, a.subject_type, a.subject_id): a for a in db.session.scalars(
        select(ChecklistAssignment).where(ChecklistAssignment.period == period))}
    result, now = GenerateResult(period), utcnow()
    holders: list[tuple[ChecklistAssignment, int | None]] = []
    for key, assignee_id in wanted.items():
        assignment = existing.get(key)
        if assignment is None:
            assignment = ChecklistAssignment(template_id=key[0], subject_type=key[1],
                                             subject_id=key[2], period=period,
                                             assignee_id=assignee_id, created_at=now)
            db.session.add(assignment)
            holders.append((assignment, assignee_id))
            result.created += 1
        elif assignment.assignee_id != assignee_id:
            assignment.assignee_id = assignee_id
            holders.append((assignment, assignee_id))
            result.reassigned += 1
    for key, assignment in existing.items():
        if key not in wanted and assignment.assignee_id is not None:
            # Nobody holds the role now (system retired, owner removed): the open items wait
            # for the next holder.
            assignment.assignee_id = None
            holders.append((assignment, None))
            result.unassigned += 1
    db.session.flush()
    db.session.add_all(AssignmentHolder(assignment_id=a.id, person_id=person_id, since=now)
                       for a, person_id in holders)
    if holders:
        audit.record(None, "checklist.assignments_generated", "checklist", period,
                     {"created": result.created, "reassigned": result.reassigned,
                      "unassigned": result.unassigned})
    return result
