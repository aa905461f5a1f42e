"""Directory sync from an LDIF file into the database, through the real pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEvent,
    Person,
    PersonKind,
    PersonSource,
    Role,
    RoleGrant,
    SyncChange,
    SyncRun,
    SyncStatus,
)
from ldap_sync import lock, sync
from ldap_sync.mapping import MappingError
from ldap_sync.source import LdifSource, SourceError
from tests.conftest import DEMO_LDIF
from tests.factories import create_person, dn, ldif, ldif_group, ldif_person


def run_sync(app, text: str | None = None, path: Path | None = None, **kw) -> sync.Plan:
    if path is None:
        path = Path(app.instance_path) / "test.ldif"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text or "", encoding="utf-8")
    return sync.run(LdifSource(path), sync.SyncSettings.from_config(app.config), **kw)


def people() -> dict[str, Person]:
    return {p.username: p for p in db.session.scalars(select(Person))}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


SMALL = ldif(
    ldif_person("erik.sandberg", name="Erik Sandberg", title="IT-chef"),
    ldif_person("åsa.öberg", name="Åsa Öberg", manager=dn("erik.sandberg")),
    # The manager written in other case and spacing must still resolve.
    ldif_person("lars.berg", name="Lars Berg",
                manager="UID=Erik.Sandberg, OU=IT-enheten, OU=Verksamhetsstöd, "
                        "O=Exempelby kommun, DC=exempelby, DC=se"),
    ldif_person("kim.konsult", name="Kim Konsult", kind="consultant",
                manager=dn("erik.sandberg")),
    ldif_person("dangling", name="Dan Gling", manager=dn("finns.inte")),
    ldif_group("LIS-samordnare", [dn("åsa.öberg")]),
)


def test_demo_group_is_loaded_with_people_units_managers_and_roles(app):
    plan = run_sync(app, path=DEMO_LDIF)
    assert len(plan.creates) == 302
    assert plan.unresolved_managers == []
    everyone = people()
    maria = everyone["maria.nilsson"]
    assert maria.unit.path == "Socialtjänst / Äldreomsorg / Hemtjänst Norr"
    assert maria.organization.name == "Exempelby kommun"
    assert db.session.scalar(select(func.count()).where(Person.manager_id == maria.id)) == 12
    # The LDIF writes karin.lundgren's manager DN in other case and spacing.
    assert everyone["karin.lundgren"].manager is maria
    kinds = {k: sum(1 for p in everyone.values() if p.kind == k) for k in PersonKind}
    assert kinds == {PersonKind.EMPLOYEE: 269, PersonKind.CONSULTANT: 8,
                     PersonKind.ELECTED: 15, PersonKind.BOARD: 10}
    coordinators = db.session.scalars(
        select(Person.username).join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == Role.COORDINATOR, RoleGrant.revoked_at.is_(None)))
    assert set(coordinators) == {"karin.holm", "leila.oberg"}
    assert everyone["leila.oberg"].organization.name == "Exempelby Energi AB"


def test_managers_resolve_even_when_the_dn_is_written_differently(app):
    run_sync(app, SMALL)
    everyone = people()
    assert everyone["åsa.öberg"].manager is everyone["erik.sandberg"]
    assert everyone["lars.berg"].manager is everyone["erik.sandberg"]
    assert everyone["kim.konsult"].kind == PersonKind.CONSULTANT
    assert everyone["åsa.öberg"].unit.path == "Verksamhetsstöd / IT-enheten"


def test_a_dangling_manager_dn_is_reported_and_the_rest_is_synced(app):
    plan = run_sync(app, SMALL)
    assert [(p.username, d) for p, d in plan.unresolved_managers] == [
        ("dangling", dn("finns.inte").lower())]
    assert people()["dangling"].manager is None
    assert len(plan.creates) == 5


def test_running_the_same_sync_twice_changes_nothing(app):
    run_sync(app, SMALL)
    events = count(AuditEvent)
    plan = run_sync(app, SMALL)
    assert plan.is_empty
    # Only the record of the run itself is added.
    assert count(AuditEvent) == events + 1


def test_a_person_removed_from_the_directory_is_deactivated_with_history_kept(app):
    run_sync(app, SMALL)
    lars = people()["lars.berg"]
    lars_id = lars.id
    without_lars = SMALL.replace(ldif_person(
        "lars.berg", name="Lars Berg",
        manager="UID=Erik.Sandberg, OU=IT-enheten, OU=Verksamhetsstöd, "
                "O=Exempelby kommun, DC=exempelby, DC=se"), "")
    # One of five is far above the 5 % a night may deactivate; --force says it is real.
    plan = run_sync(app, without_lars, force=True)
    assert plan.deactivations == [lars_id]
    lars = db.session.get(Person, lars_id)
    assert lars is not None and not lars.active and lars.deactivated_at is not None
    assert lars.manager.username == "erik.sandberg"

    plan = run_sync(app, SMALL)
    assert plan.reactivations == [lars_id]
    lars = db.session.get(Person, lars_id)
    assert lars.active and lars.deactivated_at is None
    history = db.session.scalars(select(SyncChange.change).where(
        SyncChange.person_id == lars_id).order_by(SyncChange.id))
    assert list(history) == ["created", "deactivated", "reactivated"]


def test_a_renamed_person_keeps_their_identity(app):
    run_sync(app, SMALL)
    before = people()["lars.berg"].id
    renamed = SMALL.replace("uid: lars.berg", "uid: lars.bergman")
    plan = run_sync(app, renamed)
    assert not plan.creates and not plan.deactivations
    assert people()["lars.bergman"].id == before


def test_removing_someone_from_the_coordinator_group_revokes_the_role_but_keeps_the_grant(app):
    run_sync(app, SMALL)
    asa = people()["åsa.öberg"]
    run_sync(app, SMALL.replace(f"member: {dn('åsa.öberg')}", f"member: {dn('lars.berg')}"))
    grants = db.session.scalars(select(RoleGrant).where(RoleGrant.person_id == asa.id)).all()
    assert len(grants) == 1 and grants[0].revoked_at is not None


def test_people_registered_in_the_portal_are_never_touched(app):
    board_member = create_person("styrelse.ledamot", source=PersonSource.LOCAL,
                                 kind=PersonKind.BOARD)
    db.session.commit()
    run_sync(app, SMALL)
    assert db.session.get(Person, board_member.id).active


def test_a_broken_ldif_changes_nothing(app):
    run_sync(app, SMALL)
    before = count(Person), count(AuditEvent)
    duplicate = SMALL + "\n" + ldif_person("erik.sandberg", name="Erik Igen",
                                           entry_uuid="00000000-0000-0000-0000-000000000001")
    with pytest.raises(MappingError):
        run_sync(app, duplicate)
    missing_id = SMALL + "\ndn: uid=utan.id,o=Exempelby kommun,dc=exempelby,dc=se\n" \
        "objectClass: inetOrgPerson\nuid: utan.id\ncn: Utan Id\nsn: Id\n"
    with pytest.raises(MappingError):
        run_sync(app, missing_id)
    assert (count(Person), count(AuditEvent)) == before
    assert all(p.active for p in people().values())


def test_an_unreadable_file_is_an_error_that_changes_nothing(app, tmp_path):
    bad = tmp_path / "bad.ldif"
    bad.write_bytes(b"dn: uid=x\n\xff\xfe not utf-8\n")
    with pytest.raises(SourceError):
        run_sync(app, path=bad)
    assert count(Person) == 0


def test_an_empty_directory_read_is_refused_rather_than_deactivating_everyone(app):
    run_sync(app, SMALL)
    with pytest.raises(sync.SyncRefused):
        run_sync(app, ldif(ldif_group("LIS-samordnare", [])))
    assert all(p.active for p in people().values())


def test_dry_run_reports_changes_without_making_them(app):
    plan = run_sync(app, SMALL, dry_run=True)
    assert len(plan.creates) == 5
    assert count(Person) == 0


def test_the_command_prints_what_changed_in_swedish(app):
    path = Path(app.instance_path) / "cli.ldif"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SMALL, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ldap-sync", "--ldif", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Torrkörning, inget ändrades" in result.output
    assert "skapade: 5" in result.output
    assert "dangling: chefen" in result.output
    assert count(Person) == 0
    result = runner.invoke(args=["ldap-sync", "--ldif", str(path)])
    assert "Synkroniseringen klar" in result.output and "skapade: 5" in result.output
    assert count(Person) == 5


def test_the_command_fails_loudly_when_the_sync_is_refused(app, tmp_path):
    run_sync(app, SMALL)
    empty = tmp_path / "empty.ldif"
    empty.write_text("version: 1\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["ldap-sync", "--ldif", str(empty)])
    assert result.exit_code != 0
    assert "Synkroniseringen avbröts, inget ändrades" in result.output
    assert count(Person) == 5


def test_the_sync_lock_belongs_to_its_owner_until_released_or_expired(app):
    lock.acquire("värd-a:1:aaaa")
    with pytest.raises(lock.SyncLocked, match="värd-a:1:aaaa"):
        lock.acquire("värd-b:2:bbbb")
    lock.release("värd-b:2:bbbb")  # not the holder: nothing happens
    assert lock.holder().owner == "värd-a:1:aaaa"
    with pytest.raises(lock.SyncLocked):
        lock.renew("värd-b:2:bbbb")
    lock.release("värd-a:1:aaaa")
    assert lock.holder() is None
    lock.acquire("värd-b:2:bbbb")
    assert lock.holder().owner == "värd-b:2:bbbb"


def test_a_run_whose_process_died_is_closed_by_the_next_run(app):
    abandoned = sync.start_record("LDIF export.ldif")  # its process was killed mid-run
    run_sync(app, SMALL)
    run = db.session.get(SyncRun, abandoned)
    assert run.status == SyncStatus.FAILED and "processen stoppades" in run.error
    assert db.session.scalars(select(SyncRun.status).order_by(SyncRun.id.desc())).first() == \
        SyncStatus.SUCCEEDED
