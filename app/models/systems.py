"""The system register (systemlista): information systems, who owns and administers them,
their KLASSA classifications, risk analyses and action plans.

Nothing here is deleted: a retired system keeps its history, a new classification or risk
analysis is recorded beside the old ones, and every change of an action item's status or a
system's lifecycle status is a row of its own.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organizations import Organization, OrgUnit
from app.models.people import Person, _enum
from app.text import fold

KLASSA_LEVELS = range(0, 5)
RISK_SCALE = range(1, 5)
ASPECTS = ("confidentiality", "integrity", "availability", "traceability")


class LifecycleStatus(enum.StrEnum):
    PLANNED = "planned"
    PROCUREMENT = "procurement"
    IN_USE = "in_use"
    PHASING_OUT = "phasing_out"
    RETIRED = "retired"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ACCEPTED_RISK = "accepted_risk"


OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class InformationSystem(db.Model):
    """One information system of the group, with its owner and business."""

    __tablename__ = "information_system"
    __table_args__ = (Index("ix_information_system_search_text", "search_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(200), default="")
    personal_data: Mapped[bool] = mapped_column(default=False)
    welfare_technology: Mapped[bool] = mapped_column(default=False)
    vital_service: Mapped[bool] = mapped_column(default=False)
    status: Mapped[LifecycleStatus] = mapped_column(_enum(LifecycleStatus),
                                                    default=LifecycleStatus.IN_USE)
    notes: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime())
    updated_at: Mapped[datetime] = mapped_column(DateTime())

    organization: Mapped[Organization] = relationship()
    unit: Mapped[OrgUnit | None] = relationship()
    owner: Mapped[Person | None] = relationship()
    administrator_links: Mapped[list[SystemAdministrator]] = relationship(
        back_populates="system", cascade="all, delete-orphan")

    def refresh_search_text(self) -> None:
        """Keep the folded search text in step with name and supplier."""
        self.search_text = fold(f"{self.name} {self.supplier}")

    def __repr__(self) -> str:
        return f"<InformationSystem {self.name}>"


class SystemAdministrator(db.Model):
    """A person who administers (förvaltar) a system; the register is the only source."""

    __tablename__ = "system_administrator"

    system_id: Mapped[int] = mapped_column(ForeignKey("information_system.id"),
                                           primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True,
                                           index=True)

    system: Mapped[InformationSystem] = relationship(back_populates="administrator_links")
    person: Mapped[Person] = relationship()


class SystemStatusChange(db.Model):
    """A change of lifecycle status; an exception to the go-live rule carries its reason."""

    __tablename__ = "system_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_system.id"), index=True)
    from_status: Mapped[LifecycleStatus | None] = mapped_column(_enum(LifecycleStatus))
    to_status: Mapped[LifecycleStatus] = mapped_column(_enum(LifecycleStatus))
    exception_reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime())
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    changed_by: Mapped[Person | None] = relationship()


def _level_check(column: str, low: int, high: int) -> CheckConstraint:
    return CheckConstraint(f"{column} BETWEEN {low} AND {high}", name=f"{column}_range")


class Classification(db.Model):
    """A KLASSA classification: a level 0–4 for each aspect, recorded then approved."""

    __tablename__ = "classification"
    __table_args__ = tuple(_level_check(a, 0, 4) for a in ASPECTS)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_system.id"), index=True)
    classified_on: Mapped[date] = mapped_column(Date())
    klassa_version: Mapped[str] = mapped_column(String(50), default="")
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidentiality: Mapped[int]
    integrity: Mapped[int]
    availability: Mapped[int]
    traceability: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    approved_on: Mapped[date | None] = mapped_column(Date())
    approved_at: Mapped[datetime | None] = mapped_column(DateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    system: Mapped[InformationSystem] = relationship()
    recorded_by: Mapped[Person | None] = relationship(foreign_keys=[recorded_by_id])
    approved_by: Mapped[Person | None] = relationship(foreign_keys=[approved_by_id])

    def levels(self) -> dict[str, int]:
        """The level of each aspect, in KLASSA's order."""
        return {aspect: getattr(self, aspect) for aspect in ASPECTS}


class RiskAnalysis(db.Model):
    """A risk analysis of a system: method, participants, summary, risks, owner approval."""

    __tablename__ = "risk_analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_system.id"), index=True)
    performed_on: Mapped[date] = mapped_column(Date())
    method: Mapped[str] = mapped_column(String(200))
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    # Links to the documents in the document management system; files are not uploaded here.
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(DateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    approved_on: Mapped[date | None] = mapped_column(Date())
    approved_at: Mapped[datetime | None] = mapped_column(DateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    system: Mapped[InformationSystem] = relationship()
    risks: Mapped[list[Risk]] = relationship(back_populates="analysis", order_by="Risk.id")
    approved_by: Mapped[Person | None] = relationship(foreign_keys=[approved_by_id])


class Risk(db.Model):
    """One identified risk: likelihood and consequence 1–4; its value is their product."""

    __tablename__ = "risk"
    __table_args__ = (_level_check("likelihood", 1, 4), _level_check("consequence", 1, 4))

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("risk_analysis.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    likelihood: Mapped[int]
    consequence: Mapped[int]

    analysis: Mapped[RiskAnalysis] = relationship(back_populates="risks")

    @property
    def value(self) -> int:
        """The risk value, likelihood × consequence (1–16)."""
        return self.likelihood * self.consequence


class ActionPlanItem(db.Model):
    """A measure in a system's action plan (handlingsplan), from a classification or analysis.

    `status` is the latest of the item's status changes, kept here so lists need no
    subquery; the changes themselves are the history and are never altered.
    """

    __tablename__ = "action_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_system.id"), index=True)
    classification_id: Mapped[int | None] = mapped_column(ForeignKey("classification.id"))
    risk_analysis_id: Mapped[int | None] = mapped_column(ForeignKey("risk_analysis.id"))
    description: Mapped[str] = mapped_column(Text)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    due_on: Mapped[date | None] = mapped_column(Date())
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus), default=ActionStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    responsible: Mapped[Person | None] = relationship(foreign_keys=[responsible_id])
    changes: Mapped[list[ActionStatusChange]] = relationship(
        back_populates="item", order_by="ActionStatusChange.id")


class ActionStatusChange(db.Model):
    """One change of an action item's status, with the justification where one is needed."""

    __tablename__ = "action_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_plan_item.id"), index=True)
    from_status: Mapped[ActionStatus | None] = mapped_column(_enum(ActionStatus))
    to_status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime())
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    item: Mapped[ActionPlanItem] = relationship(back_populates="changes")
    changed_by: Mapped[Person | None] = relationship()
