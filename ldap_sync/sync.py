"""One sync run: lock, read the whole source, check, reconcile, apply in one transaction.

A run that is not a dry run also regenerates this year's checklist assignments in that
transaction: managers follow the reporting lines, and deactivated people let go of theirs.

Every run leaves a SyncRun row saying how it ended; the people it changed are its
SyncChange rows, and the audit log gets one event per run rather than one per person.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import insert, update

from app.clock import utcnow
from app.extensions import db
from app.models import Person, SyncChange, SyncRun, SyncStatus, SyncTrigger
from app.services import audit, checklist_assignments
from ldap_sync import lock
from ldap_sync.apply import Change, apply_plan, execute_in_chunks, load_known
from ldap_sync.dn import normalize_dn
from ldap_sync.mapping import DirectorySnapshot, MappingError, map_entries
from ldap_sync.organizations import OrganizationMap
from ldap_sync.profiles import Profile, get_profile
from ldap_sync.reconcile import Plan, reconcile
from ldap_sync.safety import SyncRefused, check_deactivations, check_read
from ldap_sync.source import Entry, SourceError

__all__ = ["Plan", "SyncRefused", "SyncSettings", "apply_plan", "plan_for", "read", "run"]

Progress = Callable[[int], None]
PROGRESS_INTERVAL = 0.5  # seconds between progress reports while reading


class Source(Protocol):
    full_read: bool

    def entries(self, on_progress: Progress | None = None) -> Iterable[Entry]: ...

    def describe(self) -> str: ...

    def redact(self, text: str) -> str: ...


@dataclass(frozen=True)
class SyncSettings:
    """What the sync needs from the portal's configuration."""

    profile: str = "openldap"
    profile_overrides: dict[str, Any] | None = None
    organizations: dict[str, Any] | None = None
    coordinator_group: str = ""
    admin_group: str = ""
    base_dns: tuple[str, ...] = field(default_factory=tuple)
    max_deactivate_share: float = 0.05

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SyncSettings:
        overrides = dict(config.get("LDAP_ATTRIBUTES") or {})
        if config.get("LDAP_USER_FILTER"):
            overrides["user_filter"] = config["LDAP_USER_FILTER"]
        return cls(profile=config["LDAP_PROFILE"], profile_overrides=overrides,
                   organizations=config["LDAP_ORGANIZATIONS"],
                   coordinator_group=config["LDAP_COORDINATOR_GROUP"],
                   admin_group=config["LDAP_ADMIN_GROUP"],
                   base_dns=tuple(config.get("LDAP_BASE_DNS") or ()),
                   max_deactivate_share=float(
                       config.get("SYNC_MAX_DEACTIVATE_PERCENT", 5)) / 100)

    def get_profile(self) -> Profile:
        return get_profile(self.profile, self.profile_overrides)

    def organization_map(self) -> OrganizationMap:
        return OrganizationMap(self.organizations, self.get_profile().organization_attribute)

    def person_attributes(self) -> list[str]:
        """Attributes to request for a person: the profile's, and the organization's."""
        organization = self.organization_map().attribute
        return [*self.get_profile().person_attributes, *filter(None, [organization])]

    def group_roles(self) -> dict[str, str]:
        roles = {}
        if self.coordinator_group:
            roles[normalize_dn(self.coordinator_group)] = "coordinator"
        if self.admin_group:
            roles[normalize_dn(self.admin_group)] = "admin"
        return roles


def read(entries: Iterable[Entry], settings: SyncSettings) -> DirectorySnapshot:
    """Map raw entries into a snapshot with the configured profile and organizations."""
    return map_entries(entries, settings.get_profile(), settings.organization_map(),
                       group_dns=settings.group_roles())


def plan_for(snapshot: DirectorySnapshot, settings: SyncSettings, full_read: bool,
             force: bool = False) -> Plan:
    """Compare a snapshot with the database; raises SyncRefused when the read looks unsafe."""
    known, grants = load_known()
    plan = reconcile(snapshot, known, grants, settings.group_roles(), full_read=full_read)
    if full_read:
        bases = [*settings.base_dns, *(base for base, _ in settings.organization_map().bases)]
        check_read(snapshot, known, plan, bases)
        if not force:
            check_deactivations(plan, known, settings.max_deactivate_share)
    return plan


def start_record(source: str, trigger: SyncTrigger = SyncTrigger.COMMAND,
                 started_by_id: int | None = None, dry_run: bool = False,
                 force: bool = False) -> int:
    """Write (and commit) the row of a run that is about to start; returns its id."""
    record = SyncRun(started_at=utcnow(), trigger=trigger, started_by_id=started_by_id,
                     source=source, dry_run=dry_run, forced=force, status=SyncStatus.RUNNING,
                     progress="waiting", details={})
    db.session.add(record)
    db.session.commit()
    return record.id


def _set(run_id: int, **values: Any) -> None:
    db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(**values),
                       execution_options={"synchronize_session": False})


def run(source: Source, settings: SyncSettings, dry_run: bool = False, force: bool = False,
        trigger: SyncTrigger = SyncTrigger.COMMAND, started_by_id: int | None = None,
        run_id: int | None = None) -> Plan:
    """Sync from a source; commits on success, changes nothing on any error or a dry run.

    Raises SourceError, MappingError, SyncRefused or SyncLocked (each recorded on the
    run's row first); anything unexpected is recorded as a failure and re-raised.
    """
    if run_id is None:
        run_id = start_record(source.describe(), trigger, started_by_id, dry_run, force)
    owner = lock.new_owner()
    try:
        lock.acquire(owner)
    except lock.SyncLocked as error:
        _finish(run_id, SyncStatus.REFUSED, error=str(error))
        raise
    _close_abandoned_runs(run_id)
    # Tens of thousands of long-lived entries and rows make the cyclic garbage collector
    # rescan them again and again (measured: a 50,000-person run took 1.6 times as long).
    # The run creates no reference cycles worth collecting before it ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        plan = _run_locked(source, settings, dry_run, force, run_id, owner, started_by_id)
    except (SourceError, MappingError, lock.SyncLocked) as error:
        _fail(run_id, SyncStatus.FAILED, source.redact(str(error)))
        raise
    except SyncRefused as error:
        _fail(run_id, SyncStatus.REFUSED, str(error))
        raise
    except Exception as error:
        _fail(run_id, SyncStatus.FAILED, source.redact(f"{type(error).__name__}: {error}"))
        raise
    finally:
        if collecting:
            gc.enable()
        db.session.rollback()
        lock.release(owner)
    return plan


def _run_locked(source: Source, settings: SyncSettings, dry_run: bool, force: bool,
                run_id: int, owner: str, actor_id: int | None) -> Plan:
    last_report = time.monotonic()

    def on_progress(entries_read: int) -> None:
        nonlocal last_report
        # Each report commits; a few a second keep the page live and the lock renewed.
        if time.monotonic() - last_report >= PROGRESS_INTERVAL:
            last_report = time.monotonic()
            _set(run_id, progress="reading", entries_read=entries_read)
            lock.renew(owner)  # commits the progress too

    _set(run_id, progress="reading")
    lock.renew(owner)
    snapshot = read(source.entries(on_progress), settings)
    _set(run_id, progress="writing", entries_read=len(snapshot.people))
    lock.renew(owner)
    plan = plan_for(snapshot, settings, source.full_read, force=force)
    changes = apply_plan(plan, snapshot, source.describe())
    if dry_run:
        # The dry run went through the very same writes; now they are undone.
        db.session.rollback()
        new_ids = {c.person_id for c in changes if c.change == "created"}
        changes = [Change(None if c.person_id in new_ids else c.person_id, c.username,
                          c.display_name, c.change, c.fields) for c in changes]
    _write_changes(run_id, changes)
    counts = summary(plan)
    _set(run_id, status=SyncStatus.SUCCEEDED, finished_at=utcnow(), progress="",
         details={"unresolved_managers": [
             {"username": p.username, "name": p.display_name, "manager_dn": dn}
             for p, dn in plan.unresolved_managers]},
         **counts)
    if not dry_run:
        actor = db.session.get(Person, actor_id) if actor_id else None
        audit.record(actor, "directory.synced", "sync_run", run_id,
                     {"source": source.describe(), **counts})
        # Managers' checklists follow the reporting lines just written (and people who
        # left stop holding any), in the same transaction: all of it or none of it.
        checklist_assignments.generate()
    db.session.commit()
    return plan


def _close_abandoned_runs(current_id: int) -> None:
    """Runs still marked running while we hold the lock died with their process."""
    db.session.execute(
        update(SyncRun).where(SyncRun.status == SyncStatus.RUNNING, SyncRun.id != current_id)
        .values(status=SyncStatus.FAILED, finished_at=utcnow(), progress="",
                error=_("Körningen avbröts utan att avslutas: processen stoppades."))
        .execution_options(synchronize_session=False))
    db.session.commit()


def _write_changes(run_id: int, changes: list[Change]) -> None:
    rows = [{"run_id": run_id, "person_id": c.person_id, "username": c.username,
             "display_name": c.display_name, "change": c.change, "fields": c.fields}
            for c in changes]
    table = SyncChange.__table__  # Core: no ORM bookkeeping for an append-only log
    execute_in_chunks(insert(table), rows)


def _fail(run_id: int, status: SyncStatus, error: str) -> None:
    db.session.rollback()
    _finish(run_id, status, error)


def _finish(run_id: int, status: SyncStatus, error: str) -> None:
    _set(run_id, status=status, finished_at=utcnow(), progress="", error=error[:4000])
    db.session.commit()


def summary(plan: Plan) -> dict[str, int]:
    """Counts of what a plan changes, for the run's row and the command's output."""
    return {
        "created": len(plan.creates),
        "updated": len(plan.updates),
        "deactivated": len(plan.deactivations),
        "reactivated": len(plan.reactivations),
        "unchanged": plan.unchanged,
        "unresolved_managers": len(plan.unresolved_managers),
        "grants_added": len(plan.grants_to_add),
        "grants_revoked": len(plan.grants_to_revoke),
    }
