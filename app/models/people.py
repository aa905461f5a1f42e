"""People from the directory (or registered in the portal) and their granted roles."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.organizations import Organization, OrgUnit
from app.text import fold


def _enum(cls: type[enum.Enum]) -> Enum:
    """Store an enum as its value in a VARCHAR, the same on SQLite and PostgreSQL."""
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


def search_text_of(display_name: str, username: str, mail: str | None, title: str | None) -> str:
    """The folded text a person is found by: name, username, e-mail and title."""
    return fold(" ".join(p for p in (display_name, username, mail, title) if p))


class PersonKind(enum.StrEnum):
    EMPLOYEE = "employee"
    CONSULTANT = "consultant"
    ELECTED = "elected"
    BOARD = "board"


class PersonSource(enum.StrEnum):
    DIRECTORY = "directory"
    LOCAL = "local"


class Role(enum.StrEnum):
    """Every role; only COORDINATOR and ADMIN are ever stored as grants."""

    EMPLOYEE = "employee"
    MANAGER = "manager"
    SYSTEM_OWNER = "system_owner"
    SYSTEM_ADMINISTRATOR = "system_administrator"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


GRANTABLE_ROLES = (Role.COORDINATOR, Role.ADMIN)


class GrantSource(enum.StrEnum):
    DIRECTORY_GROUP = "directory-group"
    MANUAL = "manual"


class Person(db.Model):
    """A member of staff, consultant, elected official or board member."""

    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_search_text", "search_text"),
        # Unique among active people only: a new hire may get the username of someone who
        # left, whose deactivated record keeps it with their history.
        Index("uq_person_active_username", "username", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    directory_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    directory_dn: Mapped[str | None] = mapped_column(String(1000))
    username: Mapped[str] = mapped_column(String(200), index=True)
    display_name: Mapped[str] = mapped_column(String(300))
    given_name: Mapped[str] = mapped_column(String(200), default="")
    surname: Mapped[str] = mapped_column(String(200), default="")
    mail: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300), default="")
    employee_number: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[PersonKind] = mapped_column(_enum(PersonKind), default=PersonKind.EMPLOYEE)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime())
    source: Mapped[PersonSource] = mapped_column(
        _enum(PersonSource), default=PersonSource.DIRECTORY
    )
    last_seen_in_directory: Mapped[datetime | None] = mapped_column(DateTime())
    # When the person first came into the portal: a document's acknowledgement period
    # starts for a newcomer from here. Unknown (None) for people from before it was kept.
    created_at: Mapped[datetime | None] = mapped_column(DateTime(), default=utcnow)
    search_text: Mapped[str] = mapped_column(String(1000), default="")
    locale: Mapped[str | None] = mapped_column(String(10))
    # Rotated at sign-in and sign-out; the session cookie carries it (see services.auth).
    session_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Derived, never evidence: one bit per current requirement (see RequirementSlot) that
    # says the person has done it. Database triggers set it when an acknowledgement or a
    # training completion is written; app.services.progress recomputes a bit whenever its
    # requirement changes. Deferred: only SQL statements read it.
    requirement_done_bits: Mapped[int] = mapped_column(BigInteger, default=0,
                                                       server_default="0", deferred=True)

    organization: Mapped[Organization | None] = relationship()
    unit: Mapped[OrgUnit | None] = relationship()
    manager: Mapped[Person | None] = relationship(remote_side=[id])
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="person", foreign_keys="RoleGrant.person_id"
    )

    def refresh_search_text(self) -> None:
        """Keep the folded search text in step with the searchable fields."""
        self.search_text = search_text_of(self.display_name, self.username, self.mail,
                                          self.title)

    # Flask-Login protocol: the id in the cookie is the revocable session token.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    def __repr__(self) -> str:
        return f"<Person {self.username}>"


class RoleGrant(db.Model):
    """A granted role, optionally scoped to one organization; revoked, never deleted."""

    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    source: Mapped[GrantSource] = mapped_column(_enum(GrantSource))
    granted_at: Mapped[datetime] = mapped_column(DateTime())
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    person: Mapped[Person] = relationship(back_populates="grants", foreign_keys=[person_id])
    organization: Mapped[Organization | None] = relationship()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        if self.role not in GRANTABLE_ROLES:
            raise ValueError(f"{self.role} is derived from facts and is never granted")
