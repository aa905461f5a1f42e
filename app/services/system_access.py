"""Who may see and change a system: the coordinator (within their scope), its owner and
its administrators. Every system route asks through `get_for_person`."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import InformationSystem, Person, Role, SystemAdministrator
from app.services import Forbidden, NotFound, people


@dataclass(frozen=True)
class CoordinatorScope:
    """The organizations a coordinator answers for: all of them, or those granted."""

    everything: bool
    organization_ids: frozenset[int]

    def covers(self, organization_id: int) -> bool:
        return self.everything or organization_id in self.organization_ids

    @classmethod
    def of(cls, organization_id: int | None) -> CoordinatorScope:
        """The whole group (None), or one organization."""
        if organization_id is None:
            return cls(True, frozenset())
        return cls(False, frozenset({organization_id}))


def scope_from_grants(grants: list[tuple[Role, int | None]]) -> CoordinatorScope | None:
    """The coordinator scope that the grants give, or None when they make no coordinator."""
    scopes = [org_id for role, org_id in grants if role == Role.COORDINATOR]
    if not scopes:
        return None
    return CoordinatorScope(None in scopes, frozenset(s for s in scopes if s is not None))


@dataclass(frozen=True)
class SystemAccess:
    """What one person may do with one system."""

    coordinator: bool
    owner: bool
    administrator: bool

    @property
    def can_view(self) -> bool:
        return self.coordinator or self.owner or self.administrator

    @property
    def can_edit_register(self) -> bool:
        """Organization, owner, administrators, flags and lifecycle status."""
        return self.coordinator

    @property
    def can_edit_description(self) -> bool:
        return self.coordinator or self.owner

    @property
    def can_record(self) -> bool:
        """Record classifications and risk analyses."""
        return self.coordinator or self.administrator

    @property
    def can_approve(self) -> bool:
        """Only the system owner approves, never on someone else's behalf."""
        return self.owner

    @property
    def can_manage_actions(self) -> bool:
        return self.coordinator or self.owner or self.administrator


def access_of(system: InformationSystem, person: Person,
              scope: CoordinatorScope | None) -> SystemAccess:
    """The person's access to a system whose administrator links are loaded."""
    return SystemAccess(
        coordinator=scope is not None and scope.covers(system.organization_id),
        owner=system.owner_id == person.id,
        administrator=any(link.person_id == person.id for link in system.administrator_links),
    )


def coordinator_scope(person: Person) -> CoordinatorScope | None:
    """The person's coordinator scope, or None when they are not a coordinator."""
    return scope_from_grants(people.grants_of(person))


def get_for_person(system_id: int, person: Person, need: str = "can_view",
                   grants: list[tuple[Role, int | None]] | None = None
                   ) -> tuple[InformationSystem, SystemAccess]:
    """The system and the person's access; NotFound (404) or Forbidden (403) otherwise.

    `need` names the SystemAccess property the action requires; `grants` saves a query
    when the caller already has the person's grants.
    """
    system = db.session.scalar(select(InformationSystem).options(
        joinedload(InformationSystem.organization), joinedload(InformationSystem.unit),
        joinedload(InformationSystem.owner),
        selectinload(InformationSystem.administrator_links)
        .joinedload(SystemAdministrator.person),
    ).where(InformationSystem.id == system_id))
    if system is None:
        raise NotFound(_("Systemet finns inte."))
    scope = scope_from_grants(grants if grants is not None else people.grants_of(person))
    access = access_of(system, person, scope)
    if not access.can_view or not getattr(access, need):
        raise Forbidden(_("Du har inte behörighet till det här systemet."))
    return system, access
