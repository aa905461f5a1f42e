"""Pure comparison of what the directory says with what the database holds → a plan.

No database and no LDAP here: plain records in, a plan out, so every rule of the sync
is tested with plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ldap_sync.dn import normalize_dn
from ldap_sync.mapping import DirectoryPerson, DirectorySnapshot

# The facts the sync owns; anything else on a person (locale, session) is the portal's.
SYNCED_FIELDS = ("directory_dn", "username", "display_name", "given_name", "surname", "mail",
                 "title", "employee_number", "kind", "organization", "unit", "manager")


@dataclass(frozen=True)
class KnownPerson:
    """A person as the database holds them, in the same terms as `desired_fields`."""

    id: int
    directory_id: str | None
    is_local: bool
    active: bool
    fields: dict[str, Any]


@dataclass(frozen=True)
class KnownGrant:
    """An active role grant that came from a directory group."""

    id: int
    person_id: int
    role: str


@dataclass
class Plan:
    """What applying the snapshot would change."""

    creates: list[DirectoryPerson] = field(default_factory=list)
    updates: list[tuple[int, DirectoryPerson, dict[str, tuple[Any, Any]]]] = field(
        default_factory=list)
    deactivations: list[int] = field(default_factory=list)
    reactivations: list[int] = field(default_factory=list)
    unchanged: int = 0
    unresolved_managers: list[tuple[DirectoryPerson, str]] = field(default_factory=list)
    grants_to_add: list[tuple[str, str]] = field(default_factory=list)
    grants_to_revoke: list[KnownGrant] = field(default_factory=list)
    desired: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Deactivations of accounts the directory still holds but marks disabled.
    disabled: set[int] = field(default_factory=set)
    # Person id of every directory id the database already holds.
    known_ids: dict[str, int] = field(default_factory=dict)
    # (username, display name) of every known person the plan touches, for its report.
    labels: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.creates or self.updates or self.deactivations or self.reactivations
                    or self.grants_to_add or self.grants_to_revoke)


def desired_fields(person: DirectoryPerson, manager_id: str | None) -> dict[str, Any]:
    """The synced facts of a person; `manager` is the manager's stable directory id."""
    org = person.organization
    return {
        "directory_dn": person.dn,
        "username": person.username,
        "display_name": person.display_name,
        "given_name": person.given_name,
        "surname": person.surname,
        "mail": person.mail,
        "title": person.title,
        "employee_number": person.employee_number,
        "kind": person.kind,
        "organization": org.name if org else None,
        "unit": (org.name, " / ".join(person.unit_path)) if org and person.unit_path else None,
        "manager": manager_id,
    }


def _resolve_managers(snapshot: DirectorySnapshot, known: list[KnownPerson],
                      plan: Plan) -> dict[str, str | None]:
    """Manager DNs → stable ids: from the snapshot, else (partial reads) from the database."""
    by_dn = {dn: p.directory_id for dn, p in snapshot.by_dn().items()}
    known_by_dn: dict[str, str] | None = None
    managers: dict[str, str | None] = {}
    for person in snapshot.people.values():
        manager_id = None
        wanted = person.manager_dn_norm
        if wanted:
            manager_id = by_dn.get(wanted)
            if manager_id is None:
                if known_by_dn is None:
                    known_by_dn = {normalize_dn(k.fields["directory_dn"]): k.directory_id
                                   for k in known if k.directory_id and k.fields.get(
                                       "directory_dn") and k.active}
                manager_id = known_by_dn.get(wanted)
            if manager_id is None:
                plan.unresolved_managers.append((person, wanted))
            elif manager_id == person.directory_id:
                manager_id = None
        managers[person.directory_id] = manager_id
    return managers


def reconcile(snapshot: DirectorySnapshot, known: list[KnownPerson], grants: list[KnownGrant],
              group_roles: dict[str, str], full_read: bool = True) -> Plan:
    """Compare and plan. `group_roles` maps a normalised group DN to the role it grants.

    With `full_read`, directory people missing from the snapshot are deactivated and
    their group grants revoked; a partial read (one person at sign-in) touches only
    the people it read.
    """
    plan = Plan()
    managers = _resolve_managers(snapshot, known, plan)
    by_directory_id = {k.directory_id: k for k in known if k.directory_id and not k.is_local}
    plan.known_ids = {d: k.id for d, k in by_directory_id.items()}
    for directory_id, person in snapshot.people.items():
        wanted = desired_fields(person, managers[directory_id])
        plan.desired[directory_id] = wanted
        existing = by_directory_id.get(directory_id)
        if existing is None:
            # A disabled account is created inactive: it exists, so it must not look new
            # (and then deleted) each night, but its person may not sign in.
            plan.creates.append(person)
            continue
        changes = {name: (existing.fields.get(name), value) for name, value in wanted.items()
                   if existing.fields.get(name) != value}
        if changes:
            plan.updates.append((existing.id, person, changes))
        if person.disabled and existing.active:
            plan.deactivations.append(existing.id)
            plan.disabled.add(existing.id)
        elif not person.disabled and not existing.active:
            plan.reactivations.append(existing.id)
        elif not changes:
            plan.unchanged += 1
    if full_read:
        plan.deactivations += [k.id for k in by_directory_id.values()
                               if k.active and k.directory_id not in snapshot.people]
    touched = {pid for pid, _, _ in plan.updates} | set(plan.deactivations) | set(
        plan.reactivations)
    for known_person in by_directory_id.values():
        if known_person.id in touched:
            plan.labels[known_person.id] = (known_person.fields["username"],
                                            known_person.fields["display_name"])

    by_dn = snapshot.by_dn()
    wanted_grants = {(by_dn[member].directory_id, role)
                     for group, role in group_roles.items()
                     for member in snapshot.group_members.get(group, set())
                     if member in by_dn and not by_dn[member].disabled}
    id_of = {k.id: k.directory_id for k in by_directory_id.values()}
    have = set()
    for grant in grants:
        key = (id_of.get(grant.person_id), grant.role)
        in_read = key[0] in snapshot.people
        if key in wanted_grants:
            have.add(key)
        elif in_read or full_read:
            plan.grants_to_revoke.append(grant)
    plan.grants_to_add = sorted(wanted_grants - have)
    return plan
