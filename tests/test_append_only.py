"""Nothing is lost: the database itself refuses to change or delete the rows that are the
portal's evidence — acknowledgements, training completions, checklist ticks, audit events
and the other histories — on SQLite and PostgreSQL alike, whatever code (or person with a
SQL prompt) asks. Each row is made the way the portal makes it, then raw SQL tries.

Older single-table checks of the same triggers stay where they are: test_migrations
(audit_event), test_documents (acknowledgement, document_adoption, a published version),
test_trainings (training_completion), test_checklists (item_check), test_systems (status
histories), test_reminders (reminder), test_snapshots (follow_up_snapshot) and
test_management_reviews (a frozen review)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import exc, func, select, text

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    AssignmentHolder,
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    LifecycleStatus,
    ManagementReview,
    OrganizationKind,
    Reminder,
    ReminderKind,
    Role,
    SyncChange,
    SystemStatusChange,
)
from app.services import (
    acknowledgements,
    adoptions,
    audit,
    checklist_assignments,
    checklists,
    completions,
    snapshots,
)
from app.services.system_access import CoordinatorScope
from ldap_sync import sync
from ldap_sync.source import LdifSource
from tests.factories import (
    create_action_item,
    create_document,
    create_organization,
    create_person,
    create_system,
    create_training,
    grant,
    ldif,
    ldif_person,
)

EVERYTHING = CoordinatorScope(True, frozenset())


@dataclass(frozen=True)
class Made:
    """A row as the portal wrote it, and a column to try to change with a new value."""

    id: int
    column: str
    value: object


def acknowledgement(app, folder: Path) -> Made:
    organization = create_organization()
    person = create_person("anna", organization=organization)
    document = create_document(organization=organization)
    row = acknowledgements.acknowledge(person, set(), document, document.versions[0].id)
    return Made(row.id, "method", "förfalskad")


def training_completion(app, folder: Path) -> Made:
    organization = create_organization()
    person = create_person("anna", organization=organization)
    training = create_training(organization=organization)
    row = completions.confirm_self(person, set(), training, today())
    return Made(row.id, "completed_on", date(2020, 1, 1))


def _administered_system() -> tuple:
    owner, administrator = create_person("olle"), create_person("anna")
    create_system("Ekonomisystem", owner=owner, administrators=(administrator,))
    checklist_assignments.generate()
    assignment = db.session.scalars(select(ChecklistAssignment).join(ChecklistTemplate).where(
        ChecklistTemplate.role == ChecklistRole.SYSTEM_ADMINISTRATOR)).one()
    return administrator, assignment


def item_check(app, folder: Path) -> Made:
    administrator, assignment = _administered_system()
    item = db.session.scalars(select(ChecklistItem).where(
        ChecklistItem.template_id == assignment.template_id).order_by(ChecklistItem.position)
    ).first()
    access = checklists.access_of(administrator, None, assignment)
    row = checklists.set_checked(administrator, access, assignment, item, True,
                                 note="Kontrollerat")
    return Made(row.id, "checked", False)


def audit_event(app, folder: Path) -> Made:
    row = audit.record(None, "test.recorded", "test", 1, {"a": 1})
    db.session.flush()
    return Made(row.id, "action", "test.changed")


def assignment_holder(app, folder: Path) -> Made:
    _administrator, assignment = _administered_system()
    row = db.session.scalars(select(AssignmentHolder).where(
        AssignmentHolder.assignment_id == assignment.id)).first()
    return Made(row.id, "person_id", None)


def sync_change(app, folder: Path) -> Made:
    path = folder / "append-only.ldif"
    path.write_text(ldif(ldif_person("anna.berg", name="Anna Berg")), encoding="utf-8")
    sync.run(LdifSource(path), sync.SyncSettings.from_config(app.config))
    row = db.session.scalars(select(SyncChange)).one()
    return Made(row.id, "display_name", "Någon annan")


def document_adoption(app, folder: Path) -> Made:
    municipality = create_organization()
    company = create_organization("Exempelby Energi AB", OrganizationKind.COMPANY)
    coordinator = create_person("sam", organization=municipality)
    grant(coordinator, Role.COORDINATOR)
    document = create_document(organization=municipality)
    row = adoptions.record(coordinator, document, company.id, "adopted", "Styrelsen",
                           today(), "Protokoll 2026:3", EVERYTHING)
    return Made(row.id, "reference", "Protokoll 2026:4")


def published_document_version(app, folder: Path) -> Made:
    document = create_document()
    return Made(document.versions[0].id, "body", "Ändrad i efterhand")


def action_status_change(app, folder: Path) -> Made:
    item = create_action_item(create_system("Ekonomisystem"))
    return Made(item.changes[0].id, "note", "Ändrad i efterhand")


def system_status_change(app, folder: Path) -> Made:
    system = create_system("Ekonomisystem")
    row = SystemStatusChange(system_id=system.id, from_status=None,
                             to_status=LifecycleStatus.IN_USE, exception_reason="Skäl",
                             changed_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return Made(row.id, "exception_reason", "Annat skäl")


def reminder(app, folder: Path) -> Made:
    row = Reminder(person_id=create_person("anna").id, kind=ReminderKind.DIGEST,
                   sent_at=utcnow(), address="anna@exempelby.se", subject="Påminnelse",
                   items=[])
    db.session.add(row)
    db.session.flush()
    return Made(row.id, "subject", "Ändrad")


def follow_up_snapshot(app, folder: Path) -> Made:
    create_organization()
    snapshots.take(today() - timedelta(days=40))
    row_id = db.session.scalar(text("SELECT min(id) FROM follow_up_snapshot"))
    return Made(row_id, "scope_key", "ändrad")


def frozen_management_review(app, folder: Path) -> Made:
    person = create_person("sam")
    now = utcnow()
    row = ManagementReview(year=2025, scope_key="group", created_at=now, created_by_id=person.id,
                           updated_at=now, frozen_at=now, frozen_by_id=person.id, figures={})
    db.session.add(row)
    db.session.flush()
    return Made(row.id, "proposals", "Ändrad efter fastställandet")


# table, how a row is made, what the database says when it refuses
GUARDED: list[tuple[str, Callable[..., Made], str]] = [
    ("acknowledgement", acknowledgement, "acknowledgement is append-only"),
    ("training_completion", training_completion, "training_completion is append-only"),
    ("item_check", item_check, "item_check is append-only"),
    ("audit_event", audit_event, "audit_event is append-only"),
    ("assignment_holder", assignment_holder, "assignment_holder is append-only"),
    ("sync_change", sync_change, "sync_change is append-only"),
    ("document_adoption", document_adoption, "document_adoption is append-only"),
    ("document_version", published_document_version, "a published document version is frozen"),
    ("action_status_change", action_status_change, "action_status_change is append-only"),
    ("system_status_change", system_status_change, "system_status_change is append-only"),
    ("reminder", reminder, "reminder is append-only"),
    ("follow_up_snapshot", follow_up_snapshot, "follow_up_snapshot is append-only"),
    ("management_review", frozen_management_review, "a frozen management_review is kept as it is"),
]


def row_of(table: str, row_id: int) -> tuple | None:
    return db.session.execute(text(f"SELECT * FROM {table} WHERE id = :id"),  # noqa: S608
                              {"id": row_id}).one_or_none()


@pytest.mark.parametrize(("table", "make", "message"), GUARDED, ids=[g[0] for g in GUARDED])
def test_the_database_refuses_to_change_or_delete_the_row(app, tmp_path, table, make,
                                                          message):
    made = make(app, tmp_path)
    db.session.commit()
    before = row_of(table, made.id)
    assert before is not None
    statements = [  # table and column names come from the list above, never from input
        (f"UPDATE {table} SET {made.column} = :value WHERE id = :id",  # noqa: S608
         {"value": made.value, "id": made.id}),
        (f"UPDATE {table} SET id = id", {}),  # noqa: S608 - even one that changes nothing
        (f"DELETE FROM {table} WHERE id = :id", {"id": made.id}),  # noqa: S608
        (f"DELETE FROM {table}", {}),  # noqa: S608
    ]
    for statement, values in statements:
        with pytest.raises(exc.DatabaseError, match=message), db.session.begin_nested():
            db.session.execute(text(statement), values)
    db.session.expire_all()
    assert row_of(table, made.id) == before


def test_postgresql_refuses_to_truncate_an_evidence_table(app, tmp_path):
    """TRUNCATE fires no row triggers; a statement trigger refuses it (SQLite has none)."""
    if db.engine.dialect.name != "postgresql":
        assert db.engine.dialect.name == "sqlite"
        with pytest.raises(exc.OperationalError, match="syntax error"):
            db.session.execute(text("TRUNCATE audit_event"))
        return
    made = audit_event(app, tmp_path)
    db.session.commit()
    for table, _make, _message in GUARDED:
        with pytest.raises(exc.DatabaseError, match=f"{table} is append-only: TRUNCATE"), \
                db.session.begin_nested():
            db.session.execute(text(f"TRUNCATE {table} CASCADE"))
    assert row_of("audit_event", made.id) is not None


def test_every_evidence_table_has_its_triggers(app):
    """The list above is the whole list: the schema guards exactly these tables against
    both UPDATE and DELETE (a new history table needs its trigger, and a row here)."""
    if db.engine.dialect.name == "postgresql":
        # tgtype bits: 2 BEFORE, 8 DELETE, 16 UPDATE (PostgreSQL's pg_trigger.h).
        rows = db.session.execute(text(
            "SELECT c.relname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND t.tgname LIKE '%append_only'")).all()
        guarded = {name for name, kind in rows if kind & 2 and kind & 8 and kind & 16}
    else:
        names = set(db.session.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        guarded = {name[:-len("_no_update")] for name in names if name.endswith("_no_update")
                   and name[:-len("_no_update")] + "_no_delete" in names}
    assert guarded == {table for table, _make, _message in GUARDED}


def test_a_review_not_yet_frozen_can_still_be_edited(app):
    """The guard on reviews (like the one on versions) holds from freezing only."""
    person = create_person("sam")
    now = utcnow()
    review = ManagementReview(year=2026, scope_key="group", created_at=now,
                              created_by_id=person.id, updated_at=now)
    db.session.add(review)
    db.session.commit()
    db.session.execute(text("UPDATE management_review SET proposals = 'Utkast' WHERE id = :id"),
                       {"id": review.id})
    assert db.session.scalar(select(func.count()).select_from(ManagementReview).where(
        ManagementReview.proposals == "Utkast")) == 1
