"""Read-side of directory administration: sync runs and granted roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AuditEvent, Person, RoleGrant
from app.text import swedish_sort_key


def recent_runs(limit: int = 20) -> list[AuditEvent]:
    """The latest directory sync runs, newest first."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "directory.synced")
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)))


def current_grants() -> list[RoleGrant]:
    """Active role grants with person and scope, in Swedish name order."""
    grants = db.session.scalars(
        select(RoleGrant).join(RoleGrant.person)
        .options(joinedload(RoleGrant.person).joinedload(Person.organization),
                 joinedload(RoleGrant.organization))
        .where(RoleGrant.revoked_at.is_(None)))
    return sorted(grants, key=lambda g: (g.role.value, swedish_sort_key(g.person.display_name)))
