"""What follow-up keeps: reminders sent, monthly snapshots of the group's figures, and
the management reviews (ledningens genomgång) with their frozen figures."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organizations import Organization
from app.models.people import Person, _enum


class ReminderKind(enum.StrEnum):
    DIGEST = "digest"            # the daily run's digest to one person
    UNIT_DIGEST = "unit-digest"  # the weekly digest to a manager about their unit
    MANUAL = "manual"            # a manager's "Påminn"


class Reminder(db.Model):
    """One e-mail the portal sent to one person; written after the SMTP server accepted it,
    never changed or deleted (a database trigger refuses both)."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_person_kind_sent", "person_id", "kind", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[ReminderKind] = mapped_column(_enum(ReminderKind))
    sent_at: Mapped[datetime] = mapped_column(DateTime())
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    address: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    # What the message listed, so "what was he reminded of?" has an answer later.
    items: Mapped[list] = mapped_column(JSON, default=list)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    sent_by: Mapped[Person | None] = relationship(foreign_keys=[sent_by_id])


def scope_key_of(organization_id: int | None) -> str:
    """'group' for the whole group, 'org-<id>' for one organization: unlike NULL, a value a
    unique constraint can hold once per period."""
    return "group" if organization_id is None else f"org-{organization_id}"


class FollowUpSnapshot(db.Model):
    """The group's or one organization's figures as they stood in one month; append-only."""

    __tablename__ = "follow_up_snapshot"
    __table_args__ = (UniqueConstraint("month", "scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date())  # the first day of the month
    scope_key: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    taken_at: Mapped[datetime] = mapped_column(DateTime())
    figures: Mapped[dict] = mapped_column(JSON, default=dict)


class ManagementReview(db.Model):
    """Ledningens genomgång for one year, of the group or one organization (for a company,
    its board's report). Texts are edited until it is frozen; freezing stores the figures,
    and from then on the database refuses any change or deletion of the row."""

    __tablename__ = "management_review"
    __table_args__ = (UniqueConstraint("year", "scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    scope_key: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    previous_decisions: Mapped[str] = mapped_column(Text, default="")
    issue_changes: Mapped[str] = mapped_column(Text, default="")
    incidents: Mapped[int | None]
    incidents_note: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime())
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime())
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    figures: Mapped[dict | None] = mapped_column(JSON)

    organization: Mapped[Organization | None] = relationship()
    frozen_by: Mapped[Person | None] = relationship(foreign_keys=[frozen_by_id])
