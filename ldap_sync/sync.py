"""One sync run: read the whole source, reconcile, apply in one transaction (or not at all)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from app.extensions import db
from app.services import audit
from ldap_sync.apply import apply_plan, load_known
from ldap_sync.dn import normalize_dn
from ldap_sync.mapping import DirectorySnapshot, map_entries
from ldap_sync.organizations import OrganizationMap
from ldap_sync.profiles import get_profile
from ldap_sync.reconcile import Plan, reconcile
from ldap_sync.source import Entry


class Source(Protocol):
    full_read: bool

    def entries(self) -> Iterable[Entry]: ...

    def describe(self) -> str: ...


class SyncRefused(Exception):
    """The run looked unsafe and changed nothing."""


@dataclass(frozen=True)
class SyncSettings:
    """What the sync needs from the portal's configuration."""

    profile: str = "openldap"
    profile_overrides: dict[str, Any] | None = None
    organizations: dict[str, Any] | None = None
    coordinator_group: str = ""
    admin_group: str = ""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SyncSettings:
        return cls(profile=config["LDAP_PROFILE"], organizations=config["LDAP_ORGANIZATIONS"],
                   coordinator_group=config["LDAP_COORDINATOR_GROUP"],
                   admin_group=config["LDAP_ADMIN_GROUP"])

    def group_roles(self) -> dict[str, str]:
        roles = {}
        if self.coordinator_group:
            roles[normalize_dn(self.coordinator_group)] = "coordinator"
        if self.admin_group:
            roles[normalize_dn(self.admin_group)] = "admin"
        return roles


def read(entries: Iterable[Entry], settings: SyncSettings) -> DirectorySnapshot:
    """Map raw entries into a snapshot with the configured profile and organizations."""
    profile = get_profile(settings.profile, settings.profile_overrides)
    return map_entries(entries, profile, OrganizationMap(settings.organizations),
                       group_dns=settings.group_roles())


def plan_for(snapshot: DirectorySnapshot, settings: SyncSettings, full_read: bool,
             force: bool = False) -> Plan:
    """Compare a snapshot with the database; refuses an empty full read unless forced."""
    known, grants = load_known()
    anyone_active = any(k.active and not k.is_local for k in known)
    if full_read and not force and not snapshot.people and anyone_active:
        raise SyncRefused("the directory returned no people; refusing to deactivate everyone")
    return reconcile(snapshot, known, grants, settings.group_roles(), full_read=full_read)


def run(source: Source, settings: SyncSettings, dry_run: bool = False,
        force: bool = False) -> Plan:
    """Sync from a source; commits on success, rolls back on any error or on a dry run."""
    try:
        snapshot = read(source.entries(), settings)
        plan = plan_for(snapshot, settings, source.full_read, force=force)
        if dry_run:
            return plan
        apply_plan(plan, snapshot, source.describe())
        audit.record(None, "directory.synced", "directory", None, summary(plan))
        db.session.commit()
        return plan
    finally:
        db.session.rollback()


def summary(plan: Plan) -> dict[str, int]:
    """Counts of what a plan changes, for the audit log and the command's output."""
    return {
        "created": len(plan.creates),
        "updated": len(plan.updates),
        "deactivated": len(plan.deactivations),
        "reactivated": len(plan.reactivations),
        "unresolved_managers": len(plan.unresolved_managers),
        "grants_added": len(plan.grants_to_add),
        "grants_revoked": len(plan.grants_to_revoke),
    }
