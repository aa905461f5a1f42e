"""How far the holders of this year's checklists have come, counted in SQL: items ticked
(the latest check of each item says ticked) out of the items the period asks for."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, or_, select

from app.clock import today
from app.models import ChecklistAssignment, ChecklistItem, ChecklistTemplate, ItemCheck


def in_period(period: int) -> ColumnElement[bool]:
    """SQL condition on ChecklistItem: the period asks for the item."""
    return and_(ChecklistItem.first_period <= period,
                or_(ChecklistItem.retired_from_period.is_(None),
                    ChecklistItem.retired_from_period > period))


def latest_checks(*held: ColumnElement[bool]) -> Subquery:
    """(assignment_id, item_id, id): the latest check of each item of the assignments that
    `held` picks — the one that says whether the item is ticked now."""
    return (select(ItemCheck.assignment_id, ItemCheck.item_id,
                   func.max(ItemCheck.id).label("id"))
            .join(ChecklistAssignment, ChecklistAssignment.id == ItemCheck.assignment_id)
            .where(*held).group_by(ItemCheck.assignment_id, ItemCheck.item_id).subquery())


def per_assignment(period: int | None = None, people: Select | list[int] | None = None
                   ) -> Subquery:
    """One row per held assignment of the period: assignment_id, assignee_id, role, total
    (items the period asks for) and done (items whose latest check is a tick); only the
    assignments of `people` (a select of person ids) when given, so a team's figures do
    not count the whole group's checklists."""
    period = period or today().year
    held = [ChecklistAssignment.period == period]
    if people is not None:
        held.append(ChecklistAssignment.assignee_id.in_(people))
    items = (select(ChecklistItem.template_id, func.count().label("n"))
             .where(in_period(period)).group_by(ChecklistItem.template_id).subquery())
    latest = latest_checks(*held)
    ticked = (select(ItemCheck.assignment_id, func.count().label("n"))
              .join(latest, latest.c.id == ItemCheck.id)
              .join(ChecklistItem, ChecklistItem.id == ItemCheck.item_id)
              .where(ItemCheck.checked.is_(True), in_period(period))
              .group_by(ItemCheck.assignment_id).subquery())
    return (select(ChecklistAssignment.id.label("assignment_id"),
                   ChecklistAssignment.assignee_id.label("assignee_id"),
                   ChecklistTemplate.role.label("role"),
                   items.c.n.label("total"),
                   func.coalesce(ticked.c.n, 0).label("done"))
            .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistAssignment.template_id)
            .join(items, items.c.template_id == ChecklistAssignment.template_id)
            .outerjoin(ticked, ticked.c.assignment_id == ChecklistAssignment.id)
            .where(*held, ChecklistAssignment.assignee_id.is_not(None))
            .subquery())


def per_person(period: int | None = None, people: Select | list[int] | None = None
               ) -> Subquery:
    """person_id, total and done summed over the checklists each person (of `people`)
    holds."""
    rows = per_assignment(period, people)
    return (select(rows.c.assignee_id.label("person_id"), func.sum(rows.c.total).label("total"),
                   func.sum(rows.c.done).label("done"))
            .group_by(rows.c.assignee_id).subquery())
