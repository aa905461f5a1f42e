"""The list behind the group view's checklist figures: this year's checklists of one role
in the coordinator's scope, who holds each and how far they have come — least done first,
so the coordinator sees whom to follow up."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ChecklistAssignment, ChecklistRole, Organization, Person
from app.services import NotFound, checklist_progress
from app.services.audience_report import Tally
from app.services.checklists import subject_names
from app.services.system_access import CoordinatorScope
from app.text import swedish_sort_key


@dataclass
class HeldChecklist:
    """One checklist of the role: its holder, what it is about, items ticked of items."""

    assignment_id: int
    holder: str
    username: str
    organization: str
    subject: str
    items: Tally


def of_role(scope: CoordinatorScope, role: str) -> list[HeldChecklist]:
    """The role's checklists held by people in the scope, in three or four queries."""
    if role not in {r.value for r in ChecklistRole}:
        raise NotFound(_("Rollen finns inte."))
    rows = checklist_progress.per_assignment()
    query = (select(rows.c.assignment_id, rows.c.total, rows.c.done, Person.display_name,
                    Person.username, Organization.name)
             .join(Person, Person.id == rows.c.assignee_id)
             .outerjoin(Organization, Organization.id == Person.organization_id)
             .where(rows.c.role == ChecklistRole(role)))
    if not scope.everything:
        query = query.where(Person.organization_id.in_(scope.organization_ids))
    found = db.session.execute(query).all()
    assignments = list(db.session.scalars(select(ChecklistAssignment).where(
        ChecklistAssignment.id.in_([r[0] for r in found])))) if found else []
    names = subject_names(assignments)
    subject_of = {a.id: names.get((a.subject_type, a.subject_id), "–") for a in assignments}
    held = [HeldChecklist(assignment_id, holder, username, organization or "",
                          subject_of.get(assignment_id, "–"), Tally("", int(total), int(done)))
            for assignment_id, total, done, holder, username, organization in found]
    held.sort(key=lambda h: (h.items.done / h.items.total if h.items.total else 1,
                             swedish_sort_key(h.holder), swedish_sort_key(h.subject)))
    return held
