"""Organizations of the municipal group and their unit trees."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.text import fold


class OrganizationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    COMPANY = "company"


class Organization(db.Model):
    """The municipality or one of its companies."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(
        Enum(OrganizationKind, native_enum=False, length=20,
             values_callable=lambda e: [m.value for m in e])
    )

    units: Mapped[list[OrgUnit]] = relationship(back_populates="organization")

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class OrgUnit(db.Model):
    """A sector, unit or sub-unit; `path` is the names from the top, joined by ' / '."""

    __tablename__ = "org_unit"
    __table_args__ = (UniqueConstraint("organization_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(1000))
    search_text: Mapped[str] = mapped_column(String(1000), default="")

    organization: Mapped[Organization] = relationship(back_populates="units")
    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.search_text = fold(self.path or "")

    def __repr__(self) -> str:
        return f"<OrgUnit {self.path}>"
