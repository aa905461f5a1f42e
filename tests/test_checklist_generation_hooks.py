"""Checklist assignments follow the facts at once: a register change through the systems
service, the system import (once for the whole file), a directory sync (not a dry run),
and `flask --app wsgi checklists generate`, which is idempotent."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (
    AssignmentHolder,
    AuditEvent,
    ChecklistAssignment,
    ChecklistRole,
    ChecklistTemplate,
    InformationSystem,
    ItemCheck,
    Person,
    Role,
    SubjectType,
)
from app.services import checklists, system_import, systems
from ldap_sync import sync
from ldap_sync.source import LdifSource
from tests.factories import (
    create_organization,
    create_person,
    create_system,
    dn,
    grant,
    ldif,
    ldif_person,
)

GENERATED = "checklist.assignments_generated"


def assignment(role: ChecklistRole, subject_type: SubjectType, subject_id: int,
               period: int | None = None) -> ChecklistAssignment | None:
    return db.session.scalar(
        select(ChecklistAssignment).join(ChecklistTemplate)
        .where(ChecklistTemplate.role == role, ChecklistAssignment.subject_type == subject_type,
               ChecklistAssignment.subject_id == subject_id,
               ChecklistAssignment.period == (period or clock.today().year))
        .execution_options(populate_existing=True))


def holders(found: ChecklistAssignment) -> list[int | None]:
    return list(db.session.scalars(select(AssignmentHolder.person_id).where(
        AssignmentHolder.assignment_id == found.id).order_by(AssignmentHolder.id)))


def generated_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == GENERATED)
                                   .order_by(AuditEvent.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fields(system: InformationSystem | None = None, **changes) -> systems.SystemFields:
    """The register's fields as they are for `system`, with the changes."""
    values: dict = {"name": "Lönesystemet", "organization_id": create_organization().id,
                    "owner": "", "administrators": [], "status": "planned"}
    if system is not None:
        values.update(name=system.name, organization_id=system.organization_id,
                      owner=system.owner.username if system.owner else "",
                      administrators=[link.person.username
                                      for link in system.administrator_links],
                      status=system.status.value)
    values.update(changes)
    return systems.SystemFields(**values)


# --- the register ----------------------------------------------------------------------

def test_a_new_owner_gets_the_checklist_at_once_and_the_open_items_move(app):
    coordinator = create_person("sara.samordnare")
    anna, bo = create_person("anna.agare"), create_person("bo.berg")
    admin = create_person("cissi.forvaltare")
    system = systems.create_system(coordinator, fields(owner="anna.agare",
                                                       administrators=["cissi.forvaltare"]))
    owners = assignment(ChecklistRole.SYSTEM_OWNER, SubjectType.SYSTEM, system.id)
    assert owners is not None and owners.assignee_id == anna.id
    administrators = assignment(ChecklistRole.SYSTEM_ADMINISTRATOR, SubjectType.SYSTEM,
                                system.id)
    assert administrators is not None and administrators.assignee_id == admin.id

    # Anna ticks one item before she hands the system over.
    item = next(i for i in owners.template.items if i.in_period(owners.period))
    checklists.set_checked(anna, checklists.access_of(anna, None, owners), owners, item, True)

    changed = systems.update_system(coordinator, system, fields(system, owner="bo.berg"))
    assert changed == ["owner"]
    moved = assignment(ChecklistRole.SYSTEM_OWNER, SubjectType.SYSTEM, system.id)
    assert moved.id == owners.id and moved.assignee_id == bo.id
    assert holders(moved) == [anna.id, bo.id]
    # The tick stays Anna's; the open items are Bo's now, and no longer Anna's.
    tick = db.session.scalars(select(ItemCheck).where(ItemCheck.assignment_id == moved.id)).one()
    assert tick.by_id == anna.id and tick.checked
    assert [v.assignment.id for v in checklists.mine(bo)] == [moved.id]
    assert moved.id not in [v.assignment.id for v in checklists.mine(anna)]
    assert checklists.access_of(bo, None, moved).tick
    assert not checklists.access_of(anna, None, moved).tick
    # The administrators' checklist did not move.
    assert holders(administrators) == [admin.id]


def test_only_a_change_of_owner_administrators_or_status_regenerates(app):
    coordinator = create_person("sara.samordnare")
    create_person("anna.agare")
    system = systems.create_system(coordinator, fields(owner="anna.agare"))
    events = len(generated_events())
    systems.update_system(coordinator, system, fields(system, name="Lönesystemet 2"))
    assert len(generated_events()) == events
    # A new administrator gets the administrators' checklist at once.
    dan = create_person("dan.drift")
    systems.update_system(coordinator, system, fields(system, administrators=["dan.drift"]))
    found = assignment(ChecklistRole.SYSTEM_ADMINISTRATOR, SubjectType.SYSTEM, system.id)
    assert found is not None and found.assignee_id == dan.id
    assert len(generated_events()) == events + 1


def test_retiring_a_system_leaves_its_checklists_without_a_holder(app):
    coordinator = create_person("sara.samordnare")
    anna = create_person("anna.agare")
    system = systems.create_system(coordinator, fields(owner="anna.agare"))
    systems.change_status(coordinator, system, "retired")
    found = assignment(ChecklistRole.SYSTEM_OWNER, SubjectType.SYSTEM, system.id)
    assert found.assignee_id is None
    assert holders(found) == [anna.id, None]
    # Back in use (planned again), the owner holds it again: still one assignment.
    systems.change_status(coordinator, system, "planned")
    found = assignment(ChecklistRole.SYSTEM_OWNER, SubjectType.SYSTEM, system.id)
    assert found.assignee_id == anna.id and holders(found) == [anna.id, None, anna.id]
    assert count(ChecklistAssignment) == 1


def test_the_import_generates_once_for_the_whole_file_and_the_preview_not_at_all(app):
    coordinator = create_person("sara.samordnare")
    grant(coordinator, Role.COORDINATOR)
    anna, bo = create_person("anna.agare"), create_person("bo.berg")
    create_organization()
    text = "\n".join(["namn;organisation;systemägare;systemförvaltare;status",
                      "Lifecare;Exempelby kommun;anna.agare;bo.berg;I drift",
                      "Procapita;Exempelby kommun;bo.berg;anna.agare;I drift",
                      "Gamla arkivet;Exempelby kommun;anna.agare;;I drift"])
    system_import.preview(coordinator, text, "system.csv")
    assert count(ChecklistAssignment) == 0 and generated_events() == []

    result = system_import.apply(coordinator, text, "system.csv")
    assert result.counts()["create"] == 3
    events = generated_events()
    assert len(events) == 1 and events[0].details["created"] == 5
    by_name = {s.name: s.id for s in db.session.scalars(select(InformationSystem))}
    assert assignment(ChecklistRole.SYSTEM_OWNER, SubjectType.SYSTEM,
                      by_name["Procapita"]).assignee_id == bo.id
    assert assignment(ChecklistRole.SYSTEM_ADMINISTRATOR, SubjectType.SYSTEM,
                      by_name["Procapita"]).assignee_id == anna.id


# --- the directory sync ------------------------------------------------------------------

def run_sync(app, text: str, **kw) -> sync.Plan:
    path = Path(app.instance_path) / "checklist-hooks.ldif"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return sync.run(LdifSource(path), sync.SyncSettings.from_config(app.config), **kw)


BEFORE = (ldif_person("erik.sandberg", name="Erik Sandberg", title="IT-chef"),
          ldif_person("lars.berg", name="Lars Berg", manager=dn("erik.sandberg")))
AFTER = (*BEFORE,
         ldif_person("nora.ny", name="Nora Ny", title="Enhetschef"),
         ldif_person("olle.ny", name="Olle Ny", manager=dn("nora.ny")))


def person(username: str) -> Person:
    return db.session.scalars(select(Person).where(Person.username == username)).one()


def test_a_sync_gives_a_new_manager_the_managers_checklist(app):
    run_sync(app, ldif(*BEFORE))
    erik = person("erik.sandberg")
    found = assignment(ChecklistRole.MANAGER, SubjectType.PERSON, erik.id)
    assert found is not None and found.assignee_id == erik.id

    # A dry run changes nothing, the checklists neither.
    run_sync(app, ldif(*AFTER), dry_run=True)
    assert count(ChecklistAssignment) == 1

    run_sync(app, ldif(*AFTER))
    nora = person("nora.ny")
    found = assignment(ChecklistRole.MANAGER, SubjectType.PERSON, nora.id)
    assert found is not None and found.assignee_id == nora.id
    assert holders(found) == [nora.id]
    assert assignment(ChecklistRole.MANAGER, SubjectType.PERSON, person("olle.ny").id) is None
    assert count(ChecklistAssignment) == 2

    # The same directory again: nothing new, nothing generated.
    events = len(generated_events())
    run_sync(app, ldif(*AFTER))
    assert count(ChecklistAssignment) == 2 and len(generated_events()) == events


def test_a_manager_whose_last_report_leaves_lets_go_of_the_checklist(app):
    run_sync(app, ldif(*AFTER))
    nora = person("nora.ny")
    # Olle leaves: one of four is above the share a night may deactivate, so --force.
    run_sync(app, ldif(*BEFORE, ldif_person("nora.ny", name="Nora Ny", title="Enhetschef")),
             force=True)
    found = assignment(ChecklistRole.MANAGER, SubjectType.PERSON, nora.id)
    assert found.assignee_id is None and holders(found) == [nora.id, None]


# --- the command ---------------------------------------------------------------------------

def test_the_command_generates_and_prints_the_summary_and_a_second_run_adds_nothing(app):
    owner, administrator = create_person("anna.agare"), create_person("bo.berg")
    create_system("Lönesystemet", owner=owner, administrators=(administrator,))
    create_system("Utan ägare")
    create_person("olle.ny", manager=owner)
    db.session.commit()
    year = clock.today().year
    runner = app.test_cli_runner()

    result = runner.invoke(args=["checklists", "generate"])
    assert result.exit_code == 0, result.output
    assert result.output == (f"Checklistor för {year}: 3 nya, 0 bytte ansvarig, "
                             "0 utan ansvarig\n")
    assert count(ChecklistAssignment) == 3

    again = runner.invoke(args=["checklists", "generate"])
    assert again.exit_code == 0, again.output
    assert again.output == f"Checklistor för {year}: 0 nya, 0 bytte ansvarig, 0 utan ansvarig\n"
    assert count(ChecklistAssignment) == 3

    following = runner.invoke(args=["checklists", "generate", "--period", str(year + 1)])
    assert following.exit_code == 0, following.output
    assert following.output.startswith(f"Checklistor för {year + 1}: 3 nya,")
    assert count(ChecklistAssignment) == 6


def test_the_command_refuses_a_period_that_is_not_a_year(app):
    result = app.test_cli_runner().invoke(args=["checklists", "generate", "--period", "26"])
    assert result.exit_code != 0
    assert count(ChecklistAssignment) == 0
