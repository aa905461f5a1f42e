"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import exc, text

from app.extensions import db
from app.services import audit


def test_migrated_schema_equals_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_database_refuses_to_change_or_delete_audit_events(app):
    event = audit.record(None, "test.recorded", "test", 1, {"a": 1})
    db.session.commit()
    for statement in ("UPDATE audit_event SET action = 'x' WHERE id = :id",
                      "DELETE FROM audit_event WHERE id = :id"):
        with pytest.raises(exc.DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": event.id})
    assert db.session.get(type(event), event.id).action == "test.recorded"
