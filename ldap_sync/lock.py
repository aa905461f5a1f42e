"""One directory sync at a time, across processes and hosts, through a database row.

A row in sync_lock names the holder and when its claim expires. Taking the lock is an
INSERT (the primary key makes it atomic on SQLite and PostgreSQL alike) or, when the
holder's claim has expired, an UPDATE that only matches the expired row — so a killed
process never keeps it, and two processes never both win. Each step commits at once:
other processes must see the claim while the run is still reading the directory.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.extensions import db
from app.models import SyncLock

SYNC_LOCK = "directory-sync"
# A run renews its claim after every page it reads; only a stuck or killed run lets
# it lapse.
LEASE = timedelta(minutes=10)


class SyncLocked(Exception):
    """Another run holds the lock."""


def new_owner() -> str:
    """An owner name that says where the run is (host and process), and is unique."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(owner: str, name: str = SYNC_LOCK) -> None:
    """Take the lock for `owner` and commit, or raise SyncLocked naming the holder."""
    now = utcnow()
    try:
        with db.session.begin_nested():
            db.session.execute(insert(SyncLock).values(
                name=name, owner=owner, acquired_at=now, expires_at=now + LEASE))
    except IntegrityError:
        taken = db.session.execute(
            update(SyncLock).where(SyncLock.name == name, SyncLock.expires_at < now)
            .values(owner=owner, acquired_at=now, expires_at=now + LEASE),
            execution_options={"synchronize_session": False}).rowcount
        if not taken:
            holder = db.session.get(SyncLock, name, populate_existing=True)
            db.session.rollback()
            raise SyncLocked(_(
                "En annan katalogsynkronisering pågår redan (%(owner)s, startad "
                "%(started)s UTC). Försök igen när den är klar.",
                owner=holder.owner if holder else "?",
                started=holder.acquired_at.strftime("%Y-%m-%d %H:%M") if holder else "?"))
    db.session.commit()


def renew(owner: str, name: str = SYNC_LOCK) -> None:
    """Extend the owner's claim and commit; raises SyncLocked if it was lost meanwhile."""
    now = utcnow()
    kept = db.session.execute(
        update(SyncLock).where(SyncLock.name == name, SyncLock.owner == owner)
        .values(expires_at=now + LEASE),
        execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    if not kept:
        raise SyncLocked(_("Synkroniseringens lås gick förlorat; körningen avbröts."))


def release(owner: str, name: str = SYNC_LOCK) -> None:
    """Give the lock up (only if this owner still holds it) and commit."""
    db.session.execute(delete(SyncLock).where(SyncLock.name == name, SyncLock.owner == owner),
                       execution_options={"synchronize_session": False})
    db.session.commit()


def holder(name: str = SYNC_LOCK) -> SyncLock | None:
    """The current, unexpired claim, if any."""
    lock = db.session.get(SyncLock, name, populate_existing=True)
    return lock if lock is not None and lock.expires_at >= utcnow() else None
