"""What a reminder lists: per person, the documents, trainings and checklist items they
have left, with due dates; per manager, under which direct report someone has something
overdue. Each in a fixed number of queries however many people it covers."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    ChecklistAssignment,
    ChecklistItem,
    ChecklistTemplate,
    InformationSystem,
    ItemCheck,
    Person,
    SubjectType,
)
from app.services import checklist_progress
from app.services.requirements import DOCUMENT, TRAINING, Requirement

CHECKLIST = "checklist"


@dataclass(frozen=True)
class Line:
    """One thing a person has left, with the day it is (or was) due."""

    kind: str
    id: int
    title: str
    due_on: date
    overdue: bool
    assignment_id: int | None = None  # for a checklist item

    @property
    def label(self) -> str:
        """What to do, in the reader's words (read while rendering, so in Swedish)."""
        if self.kind == DOCUMENT:
            return _("Läs och kvittera: %(title)s", title=self.title)
        if self.kind == TRAINING:
            return _("Genomför utbildningen: %(title)s", title=self.title)
        return _("Checklistpunkt: %(title)s", title=self.title)

    def as_json(self) -> dict[str, Any]:
        """What Reminder.items keeps of the line."""
        found: dict[str, Any] = {"kind": self.kind, "id": self.id, "title": self.title,
                                 "due_on": self.due_on.isoformat(), "overdue": self.overdue}
        if self.assignment_id is not None:
            found["assignment_id"] = self.assignment_id
        return found


@dataclass
class Holder:
    """A person and what they have left."""

    id: int
    name: str
    mail: str | None
    active: bool
    lines: list[Line] = field(default_factory=list)

    def sort_lines(self) -> None:
        self.lines.sort(key=lambda line: (line.due_on, line.kind, line.title))


def requirement_lines(requirements: list[Requirement], day: date, horizon: date | None,
                      *where: ColumnElement[bool]) -> dict[int, Holder]:
    """Everyone matching `where`, each with the documents and trainings they have not done:
    all of them, or with a horizon those due before it (the overdue included); one query."""
    count = len(requirements)
    columns = [r.status(day) for r in requirements]
    if horizon is not None:
        columns += [case((r.due_before(horizon), 1), else_=0) for r in requirements]
    query = select(Person.id, Person.display_name, Person.mail, Person.active,
                   Person.organization_id, Person.unit_id, Person.created_at,
                   *columns).where(*where)
    found: dict[int, Holder] = {}
    for person_id, name, address, active, org_id, unit_id, created_at, *values in (
            db.session.execute(query)):
        holder = found[person_id] = Holder(person_id, name, address, bool(active))
        for n, requirement in enumerate(requirements):
            if values[n] not in ("open", "overdue"):
                continue
            if horizon is not None and not values[count + n]:
                continue
            holder.lines.append(Line(requirement.kind, requirement.id, requirement.title,
                                     requirement.due_on(org_id, unit_id, created_at),
                                     values[n] == "overdue"))
    return found


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def checklist_lines(day: date, *where: ColumnElement[bool]) -> dict[int, Holder]:
    """The items of this year's checklists that were due by the end of this month and are
    not ticked (their latest check is no tick), per holder matching `where`; one query.

    Only the holder is reminded: a system's other administrators may tick its checklist
    too, but the holder is the one who answers for it.
    """
    period = day.year
    latest = checklist_progress.latest_checks(ChecklistAssignment.period == period)
    last = aliased(ItemCheck)
    subject = aliased(Person)
    query = (select(Person.id, Person.display_name, Person.mail, Person.active,
                    ChecklistAssignment.id, ChecklistItem.id, ChecklistItem.title,
                    ChecklistItem.due_month, ChecklistTemplate.title,
                    func.coalesce(InformationSystem.name, subject.display_name))
             .select_from(ChecklistAssignment)
             .join(Person, Person.id == ChecklistAssignment.assignee_id)
             .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistAssignment.template_id)
             .join(ChecklistItem, ChecklistItem.template_id == ChecklistAssignment.template_id)
             .outerjoin(latest, and_(latest.c.assignment_id == ChecklistAssignment.id,
                                     latest.c.item_id == ChecklistItem.id))
             .outerjoin(last, last.id == latest.c.id)
             .outerjoin(InformationSystem, and_(
                 ChecklistAssignment.subject_type == SubjectType.SYSTEM,
                 InformationSystem.id == ChecklistAssignment.subject_id))
             .outerjoin(subject, and_(ChecklistAssignment.subject_type == SubjectType.PERSON,
                                      subject.id == ChecklistAssignment.subject_id))
             .where(ChecklistAssignment.period == period, checklist_progress.in_period(period),
                    ChecklistItem.due_month.is_not(None), ChecklistItem.due_month <= day.month,
                    or_(last.id.is_(None), last.checked.is_(False)), *where))
    found: dict[int, Holder] = {}
    for (person_id, name, address, active, assignment_id, item_id, item, month, template,
         subject_name) in db.session.execute(query):
        holder = found.setdefault(person_id, Holder(person_id, name, address, bool(active)))
        title = f"{item} ({template}: {subject_name or '–'})"
        holder.lines.append(Line(CHECKLIST, item_id, title, _last_day(period, month),
                                 month < day.month, assignment_id))
    return found


def merge(into: dict[int, Holder], more: dict[int, Holder]) -> dict[int, Holder]:
    """Both sets of holders, each with the lines of both, in due order."""
    for person_id, holder in more.items():
        if person_id in into:
            into[person_id].lines.extend(holder.lines)
        else:
            into[person_id] = holder
    for holder in into.values():
        holder.sort_lines()
    return into


@dataclass
class Gap:
    """One direct report's part of a manager's unit: how many people there (the direct
    report included) have something overdue, and how many overdue things in all."""

    person_id: int
    name: str
    people: int = 0
    overdue: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "name": self.name, "people": self.people,
                "overdue": self.overdue}


def unit_gaps(requirements: list[Requirement], day: date) -> dict[int, list[Gap]]:
    """Per manager, the direct reports under whom someone active has an overdue document
    or training; in two queries.

    One recursive query per manager (unit_status.subtree) would make the run's query count
    grow with the number of managers; instead the reporting lines are read once and each
    overdue person is walked up to every manager above them. Like the subtree's UNION,
    the walk stops where the reporting lines loop back.
    """
    if not requirements:
        return {}
    overdue = [r.due_before(day) for r in requirements]
    items = sum((case((condition, 1), else_=0) for condition in overdue[1:]),
                case((overdue[0], 1), else_=0))
    late = db.session.execute(select(Person.id, items).where(
        Person.active.is_(True), or_(*overdue))).tuples().all()
    if not late:
        return {}
    up: dict[int, int | None] = {}
    names: dict[int, str] = {}
    for person_id, manager_id, name in db.session.execute(
            select(Person.id, Person.manager_id, Person.display_name)):
        up[person_id], names[person_id] = manager_id, name
    tally: dict[int, dict[int, Gap]] = {}
    for person_id, count in late:
        seen, below, boss = {person_id}, person_id, up.get(person_id)
        while boss is not None and boss not in seen:
            gaps = tally.setdefault(boss, {})
            if below not in gaps:
                gaps[below] = Gap(below, names[below])
            gap = gaps[below]
            gap.people += 1
            gap.overdue += int(count)
            seen.add(boss)
            below, boss = boss, up.get(boss)
    return {manager: list(gaps.values()) for manager, gaps in tally.items()}
