"""Helpers for service tests about the municipal group: scopes, companies, coordinators,
people who have been in the portal for years, audit events and refusals."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Organization, OrganizationKind, Person, Role
from app.services import DomainError, people
from app.services.system_access import CoordinatorScope
from tests.factories import create_organization, create_person

EVERYTHING = CoordinatorScope(True, frozenset())
MUNICIPALITY = "Exempelby kommun"
HOUSING = "Exempelby Bostäder AB"
ENERGY = "Exempelby Energi AB"
LONG_AGO = datetime(2020, 1, 1, 8, 0)


def only(organization: Organization) -> CoordinatorScope:
    """A coordinator who answers for one organization."""
    return CoordinatorScope(False, frozenset({organization.id}))


def company(name: str) -> Organization:
    return create_organization(name, OrganizationKind.COMPANY)


def coordinator(organization: Organization) -> Person:
    return create_person(display_name="Siv Samordnare", organization=organization)


def joined(person: Person, moment: datetime | None) -> Person:
    """Set when the person came into the portal."""
    person.created_at = moment
    db.session.flush()
    return person


def roles(person: Person) -> set[Role]:
    return people.roles_of(person)


def events(action: str) -> list[AuditEvent]:
    db.session.flush()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def count_of(model: type) -> int:
    db.session.flush()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def refused(error: pytest.ExceptionInfo[DomainError], field: str | None) -> str:
    """The refusal's message, after checking that it names the field."""
    assert error.value.field == field, error.value.message
    return error.value.message
