"""refuse TRUNCATE on the append-only evidence tables (PostgreSQL)

Row triggers refuse UPDATE and DELETE, but TRUNCATE fires no row triggers: without this
a single statement could empty the audit log. SQLite has no TRUNCATE.

Revision ID: 3c1d9e0a7b21
Revises: 458bf800ecfe
Create Date: 2026-12-03 19:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3c1d9e0a7b21'
down_revision = '458bf800ecfe'
branch_labels = None
depends_on = None

# The tables whose rows are evidence (tests/test_append_only.py lists the same).
EVIDENCE_TABLES = (
    "acknowledgement", "training_completion", "item_check", "audit_event",
    "assignment_holder", "sync_change", "document_adoption", "document_version",
    "action_status_change", "system_status_change", "reminder", "follow_up_snapshot",
    "management_review",
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""CREATE FUNCTION refuse_truncate() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME; END;
        $$ LANGUAGE plpgsql""")
    for table in EVIDENCE_TABLES:
        op.execute(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()""")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in EVIDENCE_TABLES:
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION refuse_truncate()")
