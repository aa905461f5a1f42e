"""Checklists as people use them: what each person has to do, who may see and tick which
checklist, ticking and unticking (each a new ItemCheck), history and progress.

Rights: the holder ticks; for a system's administrator checklist every current
administrator of the system does; the system's owner sees the administrators' checklist
(and they the owner's) read-only; a coordinator in scope sees all and may tick on someone's
behalf with a recorded reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    InformationSystem,
    ItemCheck,
    LifecycleStatus,
    Person,
    SubjectType,
    SystemAdministrator,
)
from app.services import DomainError, Forbidden, NotFound, audit, checks, system_access
from app.services.system_access import CoordinatorScope, SystemAccess
from app.text import swedish_sort_key


@dataclass(frozen=True)
class Access:
    view: bool
    tick: bool
    on_behalf: bool


def access_of(person: Person, scope: CoordinatorScope | None,
              assignment: ChecklistAssignment) -> Access:
    """What the person may do with the assignment; for a system, the owner, administrator
    and coordinator facts come from system_access like everywhere else."""
    holder = assignment.assignee_id == person.id
    if assignment.subject_type == SubjectType.SYSTEM:
        system = db.session.get(InformationSystem, assignment.subject_id)
        if system is None or system.status == LifecycleStatus.RETIRED:
            facts = SystemAccess(coordinator=system is not None and scope is not None
                                 and scope.covers(system.organization_id),
                                 owner=False, administrator=False)
        else:
            facts = system_access.access_of(system, person, scope)
        coordinator, owner, administrator = facts.coordinator, facts.owner, facts.administrator
    else:
        subject = db.session.get(Person, assignment.subject_id)
        coordinator = scope is not None and subject is not None and (
            scope.everything or (subject.organization_id is not None
                                 and scope.covers(subject.organization_id)))
        owner = administrator = False
    ticks = holder or (administrator
                       and assignment.template.role == ChecklistRole.SYSTEM_ADMINISTRATOR)
    return Access(view=ticks or owner or administrator or coordinator, tick=ticks,
                  on_behalf=coordinator and not ticks)


def get(assignment_id: int, person: Person, scope: CoordinatorScope | None
        ) -> tuple[ChecklistAssignment, Access]:
    assignment = db.session.scalar(select(ChecklistAssignment).options(
        joinedload(ChecklistAssignment.template), joinedload(ChecklistAssignment.assignee))
        .where(ChecklistAssignment.id == assignment_id))
    if assignment is None:
        raise NotFound(_("Checklistan finns inte."))
    access = access_of(person, scope, assignment)
    if not access.view:
        raise Forbidden(_("Du får inte se den här checklistan."))
    return assignment, access


@dataclass
class ItemState:
    item: ChecklistItem
    latest: ItemCheck | None
    period: int

    @property
    def done(self) -> bool:
        return self.latest is not None and self.latest.checked

    @property
    def overdue(self) -> bool:
        due = self.item.due_month
        return not self.done and due is not None and (self.period, due) < (
            today().year, today().month)


@dataclass
class ChecklistView:
    """One assignment with its items of the period and their state."""

    assignment: ChecklistAssignment
    subject: str
    items: list[ItemState] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for state in self.items if state.done)

    @property
    def percent(self) -> int:
        return round(100 * self.done / len(self.items)) if self.items else 100


def subject_names(assignments: list[ChecklistAssignment]) -> dict[tuple, str]:
    systems = [a.subject_id for a in assignments if a.subject_type == SubjectType.SYSTEM]
    people = [a.subject_id for a in assignments if a.subject_type == SubjectType.PERSON]
    names: dict[tuple, str] = {}
    if systems:
        names.update({(SubjectType.SYSTEM, i): n for i, n in db.session.execute(
            select(InformationSystem.id, InformationSystem.name)
            .where(InformationSystem.id.in_(systems)))})
    if people:
        names.update({(SubjectType.PERSON, i): n for i, n in db.session.execute(
            select(Person.id, Person.display_name).where(Person.id.in_(people)))})
    return names


def views(assignments: list[ChecklistAssignment]) -> list[ChecklistView]:
    """The assignments with their items and states, in four queries however many."""
    if not assignments:
        return []
    templates = {t.id: t for t in db.session.scalars(select(ChecklistTemplate).options(
        joinedload(ChecklistTemplate.items)).where(ChecklistTemplate.id.in_(
            {a.template_id for a in assignments}))).unique()}
    latest: dict[tuple[int, int], ItemCheck] = {}
    for check in db.session.scalars(select(ItemCheck).options(joinedload(ItemCheck.by)).where(
            ItemCheck.assignment_id.in_([a.id for a in assignments])).order_by(ItemCheck.id)):
        latest[(check.assignment_id, check.item_id)] = check
    names = subject_names(assignments)
    result = []
    for assignment in assignments:
        items = sorted((i for i in templates[assignment.template_id].items
                        if i.in_period(assignment.period)), key=lambda i: (i.position, i.id))
        result.append(ChecklistView(
            assignment, names.get((assignment.subject_type, assignment.subject_id), "–"),
            [ItemState(i, latest.get((assignment.id, i.id)), assignment.period) for i in items]))
    return result


def mine(person: Person, period: int | None = None) -> list[ChecklistView]:
    """The checklists the person holds in the period (or may tick as an administrator)."""
    period = period or today().year
    # Systems the person administers that are not retired: a retired system's checklists
    # are nobody's until it is back in use (checklist_assignments.generate unassigns them).
    shared = select(SystemAdministrator.system_id).join(
        InformationSystem, InformationSystem.id == SystemAdministrator.system_id).where(
        SystemAdministrator.person_id == person.id,
        InformationSystem.status != LifecycleStatus.RETIRED)
    assignments = list(db.session.scalars(select(ChecklistAssignment).options(
        joinedload(ChecklistAssignment.template)).where(
        ChecklistAssignment.period == period,
        or_(ChecklistAssignment.assignee_id == person.id,
            (ChecklistAssignment.subject_type == SubjectType.SYSTEM)
            & ChecklistAssignment.subject_id.in_(shared)
            & ChecklistAssignment.template.has(role=ChecklistRole.SYSTEM_ADMINISTRATOR)))))
    found = [v for v in views(assignments) if v.items]
    found.sort(key=lambda v: (v.assignment.template.role.value, swedish_sort_key(v.subject)))
    return found


def _check_tickable(assignment: ChecklistAssignment, item: ChecklistItem) -> None:
    if item.template_id != assignment.template_id:
        raise NotFound(_("Punkten finns inte i den här checklistan."))
    if assignment.period < today().year:
        raise DomainError(_("Perioden %(year)d är avslutad; dess bockar kan inte ändras.",
                            year=assignment.period))
    if not item.in_period(assignment.period):
        raise DomainError(_("Punkten är borttagen ur mallen och kan inte bockas av."))


def set_checked(actor: Person, access: Access, assignment: ChecklistAssignment,
                item: ChecklistItem, checked: bool, note: str = "", evidence_link: str = "",
                on_behalf_reason: str = "") -> ItemCheck:
    """Tick or untick an item: a new ItemCheck either way, never a change to an old one."""
    if not (access.tick or access.on_behalf):
        raise Forbidden(_("Bara den som har checklistan bockar av dess punkter."))
    _check_tickable(assignment, item)
    # One tick at a time per checklist: the same tick from two tabs, or by two of a
    # system's administrators, at the same moment would otherwise both find the item
    # open and both be written (PostgreSQL; SQLite's POST already holds the write lock).
    db.session.execute(select(ChecklistAssignment.id).where(
        ChecklistAssignment.id == assignment.id).with_for_update())
    latest = db.session.scalar(select(ItemCheck).where(
        ItemCheck.assignment_id == assignment.id, ItemCheck.item_id == item.id)
        .order_by(ItemCheck.id.desc()).limit(1))
    if (latest.checked if latest is not None else False) == checked and latest is not None:
        return latest  # ticked (or unticked) already, perhaps from another tab
    if latest is None and not checked:
        raise DomainError(_("Punkten är inte avbockad."))
    note = checks.text(note, "note", 2000, _("anteckning"))
    evidence_link = checks.text(evidence_link, "evidence_link", 1000, _("länk till underlag"))
    if evidence_link and not evidence_link.lower().startswith(("https://", "http://")):
        raise DomainError(_("Länken ska börja med https:// eller http://."),
                          field="evidence_link")
    if checked and item.requires_note and not (note or evidence_link):
        raise DomainError(_("Den här punkten kräver en anteckning eller en länk till underlag, "
                            "till exempel vad som kontrollerades."), field="note")
    reason = ""
    if not access.tick:
        reason = checks.text(on_behalf_reason, "on_behalf_reason", 1000,
                             _("skäl att bocka av för någon annan"), required=True)
    row = ItemCheck(assignment_id=assignment.id, item_id=item.id, checked=checked,
                    by_id=actor.id, at=utcnow(), note=note, evidence_link=evidence_link,
                    on_behalf_reason=reason)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "checklist.ticked" if checked else "checklist.unticked",
                 "checklist_assignment", assignment.id,
                 {"item": item.title, "item_id": item.id, "on_behalf": bool(reason)})
    return row


def history(assignment: ChecklistAssignment) -> dict[int, list[ItemCheck]]:
    """Every tick and untick of the assignment per item, newest first."""
    by_item: dict[int, list[ItemCheck]] = {}
    for check in db.session.scalars(select(ItemCheck).options(joinedload(ItemCheck.by)).where(
            ItemCheck.assignment_id == assignment.id).order_by(ItemCheck.id.desc())):
        by_item.setdefault(check.item_id, []).append(check)
    return by_item


def siblings(assignment: ChecklistAssignment) -> list[ChecklistAssignment]:
    """The other checklists of the same system in the period (the owner's and the
    administrators'), which each side may read."""
    if assignment.subject_type != SubjectType.SYSTEM:
        return []
    return list(db.session.scalars(select(ChecklistAssignment).options(
        joinedload(ChecklistAssignment.template)).where(
        ChecklistAssignment.subject_type == SubjectType.SYSTEM,
        ChecklistAssignment.subject_id == assignment.subject_id,
        ChecklistAssignment.period == assignment.period,
        ChecklistAssignment.id != assignment.id)))


def open_count(person: Person) -> int:
    """How many items the person has left this period (for the navigation)."""
    return sum(len(v.items) - v.done for v in mine(person))

