"""Trainings (utbildningar) and who completed them.

A completion is never changed or deleted: a correction is a new row that names the row it
supersedes, and the history shows both. The latest row per training and person holds.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organizations import Organization
from app.models.people import Person, _enum


class ProofMethod(enum.StrEnum):
    """How completion is proven: the person confirms, the platform's file is imported, or both."""

    SELF = "self"
    IMPORT = "import"
    BOTH = "both"


class CompletionSource(enum.StrEnum):
    SELF = "self"
    IMPORT = "import"
    ATTENDANCE = "attendance"  # a närvarolista registered by the coordinator
    CORRECTION = "correction"


class Training(db.Model):
    """A training for one period, with an audience (the same rule as governing documents)."""

    __tablename__ = "training"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(1000), default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    period_label: Mapped[str] = mapped_column(String(40))
    period_starts_on: Mapped[date] = mapped_column(Date())
    period_ends_on: Mapped[date] = mapped_column(Date())
    due_on: Mapped[date] = mapped_column(Date())
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    proof: Mapped[ProofMethod] = mapped_column(_enum(ProofMethod), default=ProofMethod.BOTH)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("training.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime())

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<Training {self.title} {self.period_label}>"


class TrainingCompletion(db.Model):
    """One record that a person completed a training (or, as a correction, did not).

    `completed_on` is None only on a correction that takes a completion back.
    `recorded_by` is who recorded it: the person themself, or the coordinator who
    imported the file or registered the attendance list.
    """

    __tablename__ = "training_completion"
    __table_args__ = (
        Index("ix_training_completion_training_person", "training_id", "person_id"),
        # One first record per training and person; everything later supersedes a row. So a
        # double-submitted confirmation cannot start a second, parallel history.
        Index("uq_training_completion_first", "training_id", "person_id", unique=True,
              sqlite_where=text("supersedes_id IS NULL"),
              postgresql_where=text("supersedes_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("training.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    completed_on: Mapped[date | None] = mapped_column(Date())
    recorded_at: Mapped[datetime] = mapped_column(DateTime())
    source: Mapped[CompletionSource] = mapped_column(_enum(CompletionSource))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("training_completion.id"),
                                                      unique=True)

    training: Mapped[Training] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    recorded_by: Mapped[Person | None] = relationship(foreign_keys=[recorded_by_id])
