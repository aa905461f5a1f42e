"""Role checklists and the annual wheel (årshjul): templates per role, their items, the
assignments derived from the register and the directory, and every tick and untick.

Nothing is deleted: a retired item keeps its past ticks, a change of assignee is a row
of its own, and an untick is a new ItemCheck, never the removal of the tick.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import Person, _enum


class ChecklistRole(enum.StrEnum):
    """Whose checklist: per owned system, per administered system, per manager, per person."""

    SYSTEM_OWNER = "system_owner"
    SYSTEM_ADMINISTRATOR = "system_administrator"
    MANAGER = "manager"
    EMPLOYEE = "employee"


class SubjectType(enum.StrEnum):
    SYSTEM = "system"
    PERSON = "person"


class ChecklistTemplate(db.Model):
    """The checklist of one role; its items are added, reordered and retired by period."""

    __tablename__ = "checklist_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[ChecklistRole] = mapped_column(_enum(ChecklistRole), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime())

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="template", order_by="ChecklistItem.position")


class ChecklistItem(db.Model):
    """One task of a template. It belongs to the periods from `first_period` up to (not
    including) `retired_from_period`; `due_month` 1–12, or None for "vid behov"."""

    __tablename__ = "checklist_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_template.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    requires_note: Mapped[bool] = mapped_column(default=False)
    due_month: Mapped[int | None]
    # A fact the portal already knows and shows beside the checkbox (services.checklist_facts).
    fact: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    first_period: Mapped[int]
    retired_from_period: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(DateTime())

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")

    def in_period(self, period: int) -> bool:
        return self.first_period <= period and (self.retired_from_period is None
                                                or period < self.retired_from_period)


class ChecklistAssignment(db.Model):
    """One template for one subject (a system, or a person) in one period, and who holds it
    now; who held it before is in AssignmentHolder."""

    __tablename__ = "checklist_assignment"
    __table_args__ = (UniqueConstraint("template_id", "subject_type", "subject_id", "period"),
                      Index("ix_checklist_assignment_assignee_period", "assignee_id",
                            "period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_template.id"))
    subject_type: Mapped[SubjectType] = mapped_column(_enum(SubjectType))
    subject_id: Mapped[int]
    period: Mapped[int]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime())

    template: Mapped[ChecklistTemplate] = relationship()
    assignee: Mapped[Person | None] = relationship()


class AssignmentHolder(db.Model):
    """Who held an assignment from when (append-only)."""

    __tablename__ = "assignment_holder"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("checklist_assignment.id"),
                                               index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    since: Mapped[datetime] = mapped_column(DateTime())

    person: Mapped[Person | None] = relationship()


class ItemCheck(db.Model):
    """A tick (checked) or an untick (not checked) of one item of one assignment, with who,
    when, the note or evidence link, and the reason when done on someone's behalf. The
    latest per assignment and item is the item's state (append-only)."""

    __tablename__ = "item_check"
    __table_args__ = (Index("ix_item_check_assignment_item", "assignment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("checklist_assignment.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"))
    checked: Mapped[bool]
    by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime] = mapped_column(DateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_link: Mapped[str] = mapped_column(String(1000), default="")
    on_behalf_reason: Mapped[str] = mapped_column(Text, default="")

    by: Mapped[Person] = relationship()
