"""Governing documents (styrdokument): documents, their versions, adoptions by companies
and the acknowledgements (kvittenser) that prove who read what.

A published version is frozen: the database refuses to change or delete it, and each
acknowledgement keeps the SHA-256 of the exact text the person confirmed. Acknowledgements
and adoption decisions are rows of their own that are never altered.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organizations import Organization
from app.models.people import Person, _enum


class ChangeKind(enum.StrEnum):
    """Whether a version asks everyone to acknowledge again (major) or not (editorial)."""

    MAJOR = "major"
    EDITORIAL = "editorial"


class AdoptionAction(enum.StrEnum):
    ADOPTED = "adopted"
    ENDED = "ended"


class Document(db.Model):
    """A governing document: its kind, owner, audience and review rhythm.

    `audience` is the rule of who the document applies to (see services.audience); who
    must acknowledge it is computed from the rule when asked, never stored per person.
    """

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    requires_acknowledgement: Mapped[bool] = mapped_column(default=True)
    review_interval_months: Mapped[int] = mapped_column(default=12)
    acknowledgement_days: Mapped[int] = mapped_column(default=30)
    # Folded title and text of the current version, so the library finds å/ä/ö words.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship()
    responsible: Mapped[Person | None] = relationship(foreign_keys=[responsible_id])
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.id")

    def __repr__(self) -> str:
        return f"<Document {self.title}>"


class DocumentVersion(db.Model):
    """One version of a document's text. A draft until published; then never changed.

    `sequence` orders the published versions (1, 2, 3 …); a draft has none.
    """

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    change_kind: Mapped[ChangeKind] = mapped_column(_enum(ChangeKind), default=ChangeKind.MAJOR)
    change_summary: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decision_date: Mapped[date | None] = mapped_column(Date())
    reference: Mapped[str] = mapped_column(String(100), default="")
    valid_from: Mapped[date | None] = mapped_column(Date())
    sequence: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime())
    published_at: Mapped[datetime | None] = mapped_column(DateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    document: Mapped[Document] = relationship(back_populates="versions")
    published_by: Mapped[Person | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class DocumentAdoption(db.Model):
    """A company's decision to adopt a document (or to stop applying it), kept as a row.

    The latest decision per document and organization is what holds; earlier ones are the
    history a board's minutes can be checked against.
    """

    __tablename__ = "document_adoption"
    __table_args__ = (Index("ix_document_adoption_document_org", "document_id",
                            "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    action: Mapped[AdoptionAction] = mapped_column(_enum(AdoptionAction))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    decided_by: Mapped[str] = mapped_column(String(200))
    decision_date: Mapped[date] = mapped_column(Date())
    reference: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    document: Mapped[Document] = relationship()
    organization: Mapped[Organization] = relationship()
    version: Mapped[DocumentVersion | None] = relationship()
    recorded_by: Mapped[Person | None] = relationship()


class Acknowledgement(db.Model):
    """A person's confirmation that they read and understood one exact version."""

    __tablename__ = "acknowledgement"
    __table_args__ = (UniqueConstraint("person_id", "version_id"),
                      Index("ix_acknowledgement_document_person", "document_id", "person_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id"), index=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime())
    method: Mapped[str] = mapped_column(String(20), default="web")

    person: Mapped[Person] = relationship()
    version: Mapped[DocumentVersion] = relationship()
