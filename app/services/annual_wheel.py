"""The annual wheel (årshjul): the year's twelve months with what is due in each — checklist
items, trainings, and for the coordinator the governing documents due for review.

For the coordinator it covers the group (each item with how many of its checklists have it
ticked); for everyone else their own tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.extensions import db
from app.models import (
    ChecklistAssignment,
    InformationSystem,
    ItemCheck,
    Person,
    Role,
    SubjectType,
    Training,
)
from app.services import acknowledgements, completions, document_status
from app.services.acknowledgements import Chain
from app.services.checklist_templates import ensure_defaults, role_labels
from app.services.checklists import mine
from app.services.document_library import review_due_on
from app.services.system_access import CoordinatorScope


@dataclass
class Entry:
    kind: str  # "item", "training", "document", "review"
    title: str
    detail: str = ""
    done: bool = False
    link: tuple[str, dict] | None = None


@dataclass
class Month:
    number: int
    name: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Wheel:
    period: int
    months: list[Month]
    as_needed: list[Entry] = field(default_factory=list)


def _empty(period: int) -> Wheel:
    return Wheel(period, [Month(m, format_date(date(period, m, 1), "LLLL").capitalize())
                          for m in range(1, 13)])


def for_person(person: Person, roles: set[Role], period: int) -> Wheel:
    """The person's own year: their checklist items, trainings and documents to acknowledge."""
    wheel = _empty(period)
    for view in mine(person, period):
        label = f"{view.assignment.template.title}: {view.subject}"
        for state in view.items:
            entry = Entry("item", state.item.title, label, state.done,
                          ("checklists.show", {"assignment_id": view.assignment.id}))
            if state.item.due_month is None:
                wheel.as_needed.append(entry)
            else:
                wheel.months[state.item.due_month - 1].entries.append(entry)
    for task in completions.tasks_for(person, roles):
        if task.due_on.year == period:
            wheel.months[task.due_on.month - 1].entries.append(Entry(
                "training", task.training.title, _("Utbildning"), task.done,
                ("trainings.show", {"training_id": task.training.id})))
    for task in acknowledgements.tasks_for(person, roles):
        if task.due_on.year == period:
            wheel.months[task.due_on.month - 1].entries.append(Entry(
                "document", task.document.title, _("Kvittera"), task.done,
                ("documents.show", {"document_id": task.document.id})))
    return wheel


def for_group(scope: CoordinatorScope, period: int) -> Wheel:
    """The group's year: every template item with how many of its checklists have it ticked,
    trainings due, and governing documents due for review — in a handful of queries."""
    wheel = _empty(period)
    templates = ensure_defaults()
    query = select(ChecklistAssignment).where(ChecklistAssignment.period == period)
    if not scope.everything:
        # A company's coordinator counts the checklists of the company's systems and people.
        systems = select(InformationSystem.id).where(
            InformationSystem.organization_id.in_(scope.organization_ids))
        staff = select(Person.id).where(Person.organization_id.in_(scope.organization_ids))
        query = query.where(or_(
            (ChecklistAssignment.subject_type == SubjectType.SYSTEM)
            & ChecklistAssignment.subject_id.in_(systems),
            (ChecklistAssignment.subject_type == SubjectType.PERSON)
            & ChecklistAssignment.subject_id.in_(staff)))
    assignments = {a.id: a.template_id for a in db.session.scalars(query)}
    latest: dict[tuple[int, int], bool] = {}
    for assignment_id, item_id, checked in db.session.execute(
            select(ItemCheck.assignment_id, ItemCheck.item_id, ItemCheck.checked)
            .join(ChecklistAssignment, ChecklistAssignment.id == ItemCheck.assignment_id)
            .where(ChecklistAssignment.period == period).order_by(ItemCheck.id)):
        if assignment_id in assignments:
            latest[(assignment_id, item_id)] = checked
    per_template: dict[int, list[int]] = {}
    for assignment_id, template_id in assignments.items():
        per_template.setdefault(template_id, []).append(assignment_id)
    labels = role_labels()
    for template in templates:
        held = per_template.get(template.id, [])
        for item in template.items:
            if not item.in_period(period):
                continue
            ticked = sum(1 for a in held if latest.get((a, item.id)))
            entry = Entry("item", item.title, _("%(role)s: %(done)d av %(total)d avbockade",
                                                role=labels[template.role.value],
                                                done=ticked, total=len(held)),
                          bool(held) and ticked == len(held),
                          ("checklists.template", {"role": template.role.value}))
            if item.due_month is None:
                wheel.as_needed.append(entry)
            else:
                wheel.months[item.due_month - 1].entries.append(entry)
    for training in db.session.scalars(select(Training)):
        if training.due_on.year == period:
            wheel.months[training.due_on.month - 1].entries.append(Entry(
                "training", training.title, _("Utbildning ska vara genomförd"), False,
                ("trainings.report", {"training_id": training.id})))
    for row in document_status.managed(scope):
        if row.versions and row.document.withdrawn_at is None:
            due = review_due_on(row.document, Chain(row.versions))
            if due is not None and due.year == period:
                wheel.months[due.month - 1].entries.append(Entry(
                    "review", row.document.title, _("Styrdokument ska ses över"), False,
                    ("documents.draft", {"document_id": row.document.id})))
    return wheel
