"""Writing the audit log. Each command records its own event in its own transaction."""

from __future__ import annotations

from typing import Any

from app.clock import utcnow
from app.extensions import db
from app.models import AuditEvent, Person


def record(actor: Person | None, action: str, object_type: str, object_id: object = None,
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
    )
    db.session.add(event)
    return event
