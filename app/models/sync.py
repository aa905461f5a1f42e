"""Directory sync runs, what each changed, and the lock that lets only one run at a time."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import Person, _enum


class SyncStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUSED = "refused"


class SyncTrigger(enum.StrEnum):
    COMMAND = "command"
    WEB = "web"


class SyncRun(db.Model):
    """One run of the directory sync: when, from where, what it counted, how it ended.

    The row is written when the run starts (so the admin page can follow it) and
    completed when it ends; the per-person changes are `SyncChange` rows.
    """

    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime())
    trigger: Mapped[SyncTrigger] = mapped_column(_enum(SyncTrigger))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    source: Mapped[str] = mapped_column(String(500), default="")
    dry_run: Mapped[bool] = mapped_column(default=False)
    forced: Mapped[bool] = mapped_column(default=False)
    status: Mapped[SyncStatus] = mapped_column(_enum(SyncStatus), default=SyncStatus.RUNNING)
    progress: Mapped[str] = mapped_column(String(200), default="")
    entries_read: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    deactivated: Mapped[int] = mapped_column(default=0)
    reactivated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    unresolved_managers: Mapped[int] = mapped_column(default=0)
    grants_added: Mapped[int] = mapped_column(default=0)
    grants_revoked: Mapped[int] = mapped_column(default=0)
    # {"warnings": [...], "unresolved_managers": [{"username", "name", "manager_dn"}]}
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    started_by: Mapped[Person | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.status != SyncStatus.RUNNING


class SyncChange(db.Model):
    """One change a run made to one person (or would have made, in a dry run)."""

    __tablename__ = "sync_change"
    __table_args__ = (Index("ix_sync_change_run_change", "run_id", "change"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    username: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(300), default="")
    # created, updated, deactivated, reactivated, role-granted, role-revoked
    change: Mapped[str] = mapped_column(String(30))
    # {"field": [old, new]} for updates, {"role": ...} for roles
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SyncLock(db.Model):
    """A named lock held by one process; it expires so a killed process cannot keep it."""

    __tablename__ = "sync_lock"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime())
    expires_at: Mapped[datetime] = mapped_column(DateTime())
