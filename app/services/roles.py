"""Granting and revoking the stored roles (coordinator, admin) by hand.

Grants are never deleted: revoking stamps `revoked_at`/`revoked_by_id`, so the history of
who could do what stays readable. Grants from directory groups belong to the directory
sync and are read-only here. The caller commits; every change records its audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app.clock import utcnow
from app.extensions import db
from app.models import GrantSource, Organization, Person, Role, RoleGrant
from app.models.people import GRANTABLE_ROLES
from app.services import DomainError, NotFound, audit, people
from app.text import swedish_sort_key

REVOKED_HISTORY_LIMIT = 50


@dataclass
class RolesOverview:
    """Everything the roles page shows, loaded in a fixed number of queries."""

    manual: list[RoleGrant]
    directory: list[RoleGrant]
    revoked: list[RoleGrant]
    organizations: list[Organization]
    # Who granted or revoked, by person id (those ids are plain columns, not relationships).
    people: dict[int, Person] = field(default_factory=dict)


def role_label(role: Role | str) -> str:
    """The Swedish name of a grantable role."""
    return _("Informationssäkerhetssamordnare") if Role(role) == Role.COORDINATOR \
        else _("Portaladministratör")


def scope_label(organization: Organization | None) -> str:
    """What a grant applies to: one organization or the whole group."""
    return organization.name if organization is not None else _("Hela koncernen")


def _grants_query():
    return select(RoleGrant).options(
        joinedload(RoleGrant.person).joinedload(Person.organization),
        joinedload(RoleGrant.organization))


def _grant_order(grant: RoleGrant) -> tuple[str, str, str]:
    return (grant.role.value, swedish_sort_key(grant.person.display_name),
            swedish_sort_key(scope_label(grant.organization)))


def organizations() -> list[Organization]:
    """Organizations to scope a grant to: the municipality first, then Swedish order."""
    orgs = db.session.scalars(select(Organization))
    return sorted(orgs, key=lambda o: (o.kind.value != "municipality", swedish_sort_key(o.name)))


def overview() -> RolesOverview:
    """Active grants split by source, the latest revocations, and the people behind them."""
    active = list(db.session.scalars(_grants_query().where(RoleGrant.revoked_at.is_(None))))
    revoked = list(db.session.scalars(
        _grants_query().where(RoleGrant.revoked_at.is_not(None))
        .order_by(RoleGrant.revoked_at.desc(), RoleGrant.id.desc())
        .limit(REVOKED_HISTORY_LIMIT)))
    actor_ids = {g.granted_by_id for g in active + revoked} | {g.revoked_by_id for g in revoked}
    actor_ids.discard(None)
    people = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.id.in_(actor_ids)))} if actor_ids else {}
    active.sort(key=_grant_order)
    return RolesOverview(
        manual=[g for g in active if g.source == GrantSource.MANUAL],
        directory=[g for g in active if g.source == GrantSource.DIRECTORY_GROUP],
        revoked=revoked, organizations=organizations(), people=people)


def resolve_person(identifier: str) -> Person:
    """The active person with this username or e-mail address (case-insensitive)."""
    try:
        return people.resolve_person(identifier, field="person")
    except people.InactivePerson as error:
        raise DomainError(_("%(name)s (%(value)s) är avaktiverad och kan inte få en roll.",
                            name=error.person.display_name, value=identifier.strip()),
                          field="person") from None


def _details(grant: RoleGrant, organization: Organization | None) -> dict[str, object]:
    return {"role": grant.role.value, "grant_id": grant.id,
            "organization_id": organization.id if organization else None,
            "organization": organization.name if organization else None,
            "source": GrantSource.MANUAL.value}


def grant_role(actor: Person, person_identifier: str, role: Role | str,
               organization_id: int | None) -> RoleGrant:
    """Grant a role by hand to the active person named by username or e-mail.

    Raises DomainError (with the form field it concerns) and changes nothing when the
    role is not grantable, the person is unknown or inactive, the organization does not
    exist, or the same active manual grant already exists.
    """
    try:
        wanted_role = Role(role)
    except ValueError:
        wanted_role = None
    if wanted_role not in GRANTABLE_ROLES:
        raise DomainError(_("Välj en roll i listan."), field="role")
    organization = None
    if organization_id is not None:
        organization = db.session.get(Organization, organization_id)
        if organization is None:
            raise DomainError(_("Välj en organisation i listan."), field="organization")
    person = resolve_person(person_identifier)
    duplicate = db.session.scalar(select(RoleGrant.id).where(
        RoleGrant.person_id == person.id, RoleGrant.role == wanted_role,
        RoleGrant.source == GrantSource.MANUAL, RoleGrant.revoked_at.is_(None),
        RoleGrant.organization_id.is_(None) if organization is None
        else RoleGrant.organization_id == organization.id).limit(1))
    if duplicate is not None:
        raise DomainError(_("%(name)s har redan rollen %(role)s (%(scope)s).",
                            name=person.display_name, role=role_label(wanted_role),
                            scope=scope_label(organization)), field="person")
    grant = RoleGrant(person_id=person.id, role=wanted_role, organization_id=organization_id,
                      source=GrantSource.MANUAL, granted_at=utcnow(), granted_by_id=actor.id)
    db.session.add(grant)
    db.session.flush()  # the grant id goes into the audit event
    audit.record(actor, "role.granted", "person", person.id, _details(grant, organization))
    return grant


def revoke_grant(actor: Person, grant_id: int) -> RoleGrant:
    """Revoke a manual grant: stamped as revoked, never deleted.

    Refused for directory-group grants (the next sync would bring them back), for the
    admin's own admin grant (so nobody locks themselves out) and for revoked grants.
    """
    grant = db.session.scalar(_grants_query().where(RoleGrant.id == grant_id))
    if grant is None:
        raise NotFound(_("Rolltilldelningen finns inte."))
    if grant.source != GrantSource.MANUAL:
        raise DomainError(_("Rollen styrs av kataloggruppen och kan bara ändras där: ta bort "
                            "personen ur gruppen i katalogen."))
    if grant.person_id == actor.id and grant.role == Role.ADMIN:
        raise DomainError(_("Du kan inte återkalla din egen administratörsroll, då skulle du "
                            "låsa ute dig själv. Be en annan administratör om det."))
    now = utcnow()
    # Conditional update: of two admins revoking at once, only one succeeds and logs it.
    result = db.session.execute(
        update(RoleGrant).where(RoleGrant.id == grant.id, RoleGrant.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=actor.id)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise DomainError(_("Rollen är redan återkallad."))
    db.session.refresh(grant)
    audit.record(actor, "role.revoked", "person", grant.person_id,
                 _details(grant, grant.organization))
    return grant
