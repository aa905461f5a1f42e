"""Directory administration: where the sync reads from, starting runs, and their history."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Person, SyncChange, SyncRun, SyncTrigger
from app.services import DomainError, NotFound
from ldap_sync import lock, sync
from ldap_sync.live import Directory, DirectorySettings, LiveSource
from ldap_sync.mapping import MappingError
from ldap_sync.source import LdifSource, SourceError

CHANGES_PER_PAGE = 100
CHANGE_KINDS = ("created", "updated", "deactivated", "reactivated", "role-granted",
                "role-revoked")
# Errors a run records on its own row; the thread has nothing more to do with them.
EXPECTED_ERRORS = (SourceError, MappingError, sync.SyncRefused, lock.SyncLocked)

# Runs started from the web, by run id, so tests (and shutdown) can wait for them.
background_runs: dict[int, threading.Thread] = {}


def directory_settings(config: dict[str, Any]) -> DirectorySettings | None:
    """How to reach the live directory, or None when no LDAP URL is set."""
    if not config["LDAP_URL"]:
        return None
    profile = sync.SyncSettings.from_config(config).get_profile()
    return DirectorySettings(
        url=config["LDAP_URL"], bind_dn=config["LDAP_BIND_DN"],
        bind_password=config["LDAP_BIND_PASSWORD"], base_dns=tuple(config["LDAP_BASE_DNS"]),
        user_filter=profile.user_filter, start_tls=config["LDAP_START_TLS"],
        ca_file=config["LDAP_CA_FILE"], timeout=config["LDAP_TIMEOUT"],
        page_size=config["LDAP_PAGE_SIZE"])


def directory_from_config(config: dict[str, Any]) -> Directory | None:
    """The configured live directory (for sign-in), or None when no LDAP URL is set."""
    settings = directory_settings(config)
    return Directory(settings) if settings else None


def sync_source(config: dict[str, Any], ldif_path: str | None = None) -> sync.Source:
    """Where a sync reads: an LDIF file if given or configured, else the live directory."""
    path = ldif_path or config.get("LDAP_LDIF")
    if path:
        return LdifSource(Path(path))
    settings = directory_settings(config)
    if settings is None:
        raise DomainError(_("Ingen katalog är konfigurerad: ange PORTAL_LDAP_URL (eller "
                            "PORTAL_LDAP_LDIF för en LDIF-fil)."))
    sync_settings = sync.SyncSettings.from_config(config)
    profile = sync_settings.get_profile()
    groups = [] if profile.member_of else list(sync_settings.group_roles())
    return LiveSource(settings, sync_settings.person_attributes(), groups,
                      group_member=profile.group_member)


def start_sync(app: Flask, actor: Person, dry_run: bool = False, force: bool = False) -> int:
    """Start a run in a background thread (a web request must not wait for it); its id.

    The thread takes the same database lock as the nightly command, so the two never
    overlap; a run already going is reported here rather than queued.
    """
    holder = lock.holder()
    if holder is not None:
        raise DomainError(_("En synkronisering pågår redan (startad %(started)s UTC).",
                            started=holder.acquired_at.strftime("%Y-%m-%d %H:%M")))
    source = sync_source(app.config)
    run_id = sync.start_record(source.describe(), SyncTrigger.WEB, actor.id, dry_run, force)
    settings = sync.SyncSettings.from_config(app.config)
    actor_id = actor.id

    def work() -> None:
        with app.app_context():
            try:
                sync.run(source, settings, dry_run=dry_run, force=force,
                         trigger=SyncTrigger.WEB, started_by_id=actor_id, run_id=run_id)
            except EXPECTED_ERRORS:
                pass  # recorded on the run's row, which the page shows
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"directory-sync-{run_id}", daemon=True)
    background_runs[run_id] = thread
    thread.start()
    return run_id


def recent_runs(limit: int = 20) -> list[SyncRun]:
    """The latest sync runs, newest first, with who started them."""
    return list(db.session.scalars(
        select(SyncRun).options(joinedload(SyncRun.started_by))
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)))


def get_run(run_id: int) -> SyncRun:
    """One run, fresh from the database (it may be changing in another thread)."""
    run = db.session.get(SyncRun, run_id, populate_existing=True,
                         options=[joinedload(SyncRun.started_by)])
    if run is None:
        raise NotFound(_("Körningen finns inte."))
    return run


@dataclass(frozen=True)
class ChangePage:
    """One page of a run's changes, filtered by kind."""

    changes: list[SyncChange]
    total: int
    page: int
    pages: int
    kind: str | None


def run_changes(run_id: int, kind: str | None = None, page: int = 1) -> ChangePage:
    """The people a run changed (or would have, in a dry run), a page at a time."""
    query = select(SyncChange).where(SyncChange.run_id == run_id)
    if kind in CHANGE_KINDS:
        query = query.where(SyncChange.change == kind)
    else:
        kind = None
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // CHANGES_PER_PAGE))
    page = min(max(page, 1), pages)
    changes = list(db.session.scalars(query.order_by(SyncChange.id)
                                      .offset((page - 1) * CHANGES_PER_PAGE)
                                      .limit(CHANGES_PER_PAGE)))
    return ChangePage(changes, total, page, pages, kind)

