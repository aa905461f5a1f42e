"""The directory sync against a live OpenLDAP slapd: reading, identity, and every safety stop.

Each test that changes the directory gets its own slapd (it starts in a fraction of a
second), loaded with exactly the people the test is about.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from app.clock import utcnow
from app.extensions import db
from app.models import (
    AuditEvent,
    Person,
    Role,
    RoleGrant,
    SyncChange,
    SyncLock,
    SyncRun,
    SyncStatus,
)
from app.services import directory
from ldap_sync import lock, sync
from ldap_sync.source import SourceError
from tests.conftest import COORDINATOR_GROUP
from tests.factories import (
    SERVICE_ACCOUNT,
    SERVICE_ACCOUNT_PASSWORD,
    SUFFIX,
    directory_ldif,
    dn,
    ldif,
    ldif_group,
    ldif_person,
)
from tests.slapd import SlapdServer, start_slapd

ENERGI = "Exempelby Energi AB"
KOMMUN_BASE = f"o=Exempelby kommun,{SUFFIX}"
ENERGI_BASE = f"o={ENERGI},{SUFFIX}"
ENERGI_OU = "ou=Drift"


def staff(count: int, start: int = 0, ou: str = "ou=IT-enheten,ou=Verksamhetsstöd",
          org: str = "Exempelby kommun") -> list[str]:
    return [ldif_person(f"person{n:05d}", ou=ou, org=org, name=f"Person Nummer{n}")
            for n in range(start, start + count)]


def added_at_runtime(text: str) -> str:
    """LDIF for an LDAP add: the server assigns entryUUID itself."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("entryUUID:"))


def live_sync(app, **kwargs) -> sync.Plan:
    return sync.run(directory.sync_source(app.config), sync.SyncSettings.from_config(app.config),
                    **kwargs)


def active_people() -> int:
    return db.session.scalar(select(func.count()).select_from(Person).where(Person.active))


def last_run() -> SyncRun:
    return db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()


def person(username: str) -> Person:
    return db.session.scalars(select(Person).where(Person.username == username)).one()


@pytest.fixture
def directory_server(tmp_path, config) -> Iterator:
    """Start a slapd holding the given entries and point the portal's sync at it."""
    servers: list[SlapdServer] = []

    def start(*entries: str, size_limit: int | None = None, page_size: int = 500,
              base_dns: list[str] | None = None) -> SlapdServer:
        server = start_slapd(tmp_path / f"slapd{len(servers)}", SUFFIX,
                             ldif_text=directory_ldif(*entries), size_limit=size_limit)
        servers.append(server)
        config(LDAP_URL=server.url, LDAP_BIND_DN=SERVICE_ACCOUNT,
               LDAP_BIND_PASSWORD=SERVICE_ACCOUNT_PASSWORD, LDAP_BASE_DNS=base_dns or [SUFFIX],
               LDAP_PAGE_SIZE=page_size, LDAP_LDIF="", LDAP_COORDINATOR_GROUP="",
               LDAP_ADMIN_GROUP="")
        return server

    yield start
    for server in servers:
        server.stop()


def test_the_demo_group_is_read_over_the_wire_and_the_run_is_recorded(app, ldap_config, config):
    config(LDAP_PAGE_SIZE=100)  # several pages for 302 people
    plan = live_sync(app)
    assert len(plan.creates) == 302 and not plan.unresolved_managers
    assert person("karin.lundgren").manager.username == "maria.nilsson"
    coordinators = set(db.session.scalars(
        select(Person.username).join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == Role.COORDINATOR, RoleGrant.revoked_at.is_(None))))
    assert coordinators == {"karin.holm", "leila.oberg"}
    run = last_run()
    assert (run.status, run.created, run.entries_read) == (SyncStatus.SUCCEEDED, 302, 302)
    assert run.source.startswith(f"LDAP {ldap_config.url}")
    # One audit event for the run, not one per person.
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "directory.synced")).all()
    assert len(events) == 1 and events[0].details["created"] == 302
    assert db.session.scalar(select(func.count()).select_from(SyncChange).where(
        SyncChange.run_id == run.id, SyncChange.change == "created")) == 302

    plan = live_sync(app)
    assert plan.is_empty and plan.unchanged == 302


def test_a_size_limit_aborts_the_run_and_a_short_read_never_looks_like_departures(
        app, directory_server):
    server = directory_server(*staff(450), page_size=100)
    live_sync(app)
    assert active_people() == 450
    # The directory grows past slapd's default limit of 500 entries for a non-admin bind.
    server.add_ldif(added_at_runtime(ldif(*staff(70, start=450))))
    with pytest.raises(SourceError, match="Size limit exceeded"):
        live_sync(app)
    assert active_people() == 450
    assert db.session.scalar(select(func.count()).select_from(Person)) == 450
    run = last_run()
    assert run.status == SyncStatus.FAILED and "Size limit exceeded" in run.error
    assert lock.holder() is None


class KillAfterFirstPage:
    """The live source, with slapd killed once the first page has arrived."""

    full_read = True

    def __init__(self, source: sync.Source, server: SlapdServer) -> None:
        self.source, self.server = source, server

    def describe(self) -> str:
        return self.source.describe()

    def redact(self, text: str) -> str:
        return self.source.redact(text)

    def entries(self, on_progress=None):
        def after_page(read: int) -> None:
            if on_progress is not None:
                on_progress(read)
            if read:
                self.server.kill()

        yield from self.source.entries(after_page)


def test_slapd_dying_between_pages_aborts_and_changes_nothing(app, directory_server):
    server = directory_server(*staff(120), page_size=50)
    live_sync(app)
    server.delete(dn("person00000"))  # would be a departure, if the read were trusted
    with pytest.raises(SourceError):
        sync.run(KillAfterFirstPage(directory.sync_source(app.config), server),
                 sync.SyncSettings.from_config(app.config))
    assert active_people() == 120
    run = last_run()
    assert run.status == SyncStatus.FAILED and "search under" in run.error
    result = app.test_cli_runner().invoke(args=["ldap-sync"])
    assert result.exit_code != 0
    assert "Synkroniseringen avbröts, inget ändrades" in result.output
    assert active_people() == 120


def test_an_empty_search_base_cannot_deactivate_its_organization_even_with_force(
        app, directory_server):
    energi = staff(10, start=100, ou=ENERGI_OU, org=ENERGI)
    server = directory_server(*staff(30), *energi, base_dns=[KOMMUN_BASE, ENERGI_BASE])
    live_sync(app)
    for n in range(100, 110):
        server.delete(dn(f"person{n:05d}", ou=ENERGI_OU, org=ENERGI))
    with pytest.raises(sync.SyncRefused, match="Sökbasen o=exempelby energi ab"):
        live_sync(app, force=True)
    assert active_people() == 40
    assert last_run().status == SyncStatus.REFUSED


def test_an_empty_read_is_refused(app, directory_server, config):
    directory_server(*staff(30))
    live_sync(app)
    config(LDAP_USER_FILTER="(employeeType=finns-inte)")
    with pytest.raises(sync.SyncRefused, match="inga personer"):
        live_sync(app, force=True)
    assert active_people() == 30


def test_more_than_five_percent_leaving_is_refused_until_forced(app, directory_server):
    server = directory_server(*staff(40))
    live_sync(app)
    for n in range(4):  # 10 %
        server.delete(dn(f"person{n:05d}"))
    with pytest.raises(sync.SyncRefused) as refused:
        live_sync(app)
    message = str(refused.value)
    assert "4 av 40" in message and "Person Nummer0 (person00000)" in message
    assert active_people() == 40
    result = app.test_cli_runner().invoke(args=["ldap-sync"])
    assert result.exit_code != 0 and "--force" in result.output

    plan = live_sync(app, force=True)
    assert len(plan.deactivations) == 4 and active_people() == 36
    assert last_run().forced


def test_five_percent_leaving_is_an_ordinary_night(app, directory_server):
    server = directory_server(*staff(40))
    live_sync(app)
    server.delete(dn("person00000"))
    server.delete(dn("person00001"))
    assert len(live_sync(app).deactivations) == 2


def test_moved_renamed_and_new_manager_update_the_same_person(app, directory_server):
    ekonomi = "ou=Ekonomienheten,ou=Verksamhetsstöd"
    server = directory_server(
        ldif_person("erik.sandberg", name="Erik Sandberg", title="IT-chef"),
        ldif_person("lena.ek", ou=ekonomi, name="Lena Ek", title="Ekonomichef"),
        ldif_person("anna.berg", name="Anna Berg", manager=dn("erik.sandberg")))
    live_sync(app)
    anna_id = person("anna.berg").id
    server.rename(dn("anna.berg"), "uid=anna.lind", f"{ekonomi},{KOMMUN_BASE}")
    server.modify_replace(dn("anna.lind", ou=ekonomi), {"manager": [
        dn("lena.ek", ou=ekonomi).encode()]})
    plan = live_sync(app)
    assert not plan.creates and not plan.deactivations
    anna = db.session.get(Person, anna_id)
    assert anna.username == "anna.lind" and anna.active
    assert anna.unit.path == "Verksamhetsstöd / Ekonomienheten"
    assert anna.manager.username == "lena.ek"
    assert anna.directory_dn == dn("anna.lind", ou=ekonomi)
    change = db.session.scalars(select(SyncChange).where(
        SyncChange.person_id == anna_id, SyncChange.change == "updated")).one()
    assert change.fields["username"] == ["anna.berg", "anna.lind"]
    assert change.fields["manager"] == ["erik.sandberg", "lena.ek"]


def test_a_person_moving_to_a_company_keeps_their_identity(app, directory_server):
    server = directory_server(*staff(3), ldif_person("olle.drift", ou=ENERGI_OU, org=ENERGI),
                              ldif_person("anna.berg", name="Anna Berg"))
    live_sync(app)
    anna_id = person("anna.berg").id
    server.rename(dn("anna.berg"), "uid=anna.berg", f"{ENERGI_OU},{ENERGI_BASE}")
    server.modify_replace(dn("anna.berg", ou=ENERGI_OU, org=ENERGI), {"o": [ENERGI.encode()]})
    live_sync(app)
    anna = db.session.get(Person, anna_id)
    assert anna.organization.name == ENERGI and anna.unit.path == "Drift" and anna.active


def test_a_missing_role_group_aborts_rather_than_revoking_everyone(app, directory_server,
                                                                   config):
    directory_server(*staff(3), ldif_group("LIS-samordnare", [dn("person00001")]))
    config(LDAP_COORDINATOR_GROUP=COORDINATOR_GROUP)
    live_sync(app)
    config(LDAP_COORDINATOR_GROUP=f"cn=Omdöpt grupp,ou=Grupper,{SUFFIX}")
    with pytest.raises(SourceError, match="does not exist"):
        live_sync(app)
    assert db.session.scalar(select(func.count()).select_from(RoleGrant).where(
        RoleGrant.revoked_at.is_(None))) == 1


def test_the_service_password_never_appears_in_errors_or_output(app, directory_server, config):
    directory_server(*staff(3))
    secret = "Hemligt-Lösen-2026"
    config(LDAP_BIND_PASSWORD=secret)
    with pytest.raises(SourceError) as failed:
        live_sync(app)
    assert "Invalid credentials" in str(failed.value) and secret not in str(failed.value)
    run = last_run()
    assert secret not in (run.error or "") and secret not in run.source
    result = app.test_cli_runner().invoke(args=["ldap-sync"])
    assert result.exit_code != 0 and secret not in result.output
    assert "Invalid credentials" in result.output


def test_a_second_sync_while_one_runs_is_refused(app, directory_server):
    directory_server(*staff(5))
    lock.acquire("annan-server:4711:abcd1234")
    with pytest.raises(lock.SyncLocked, match="annan-server:4711"):
        live_sync(app)
    assert active_people() == 0
    assert last_run().status == SyncStatus.REFUSED
    result = app.test_cli_runner().invoke(args=["ldap-sync"])
    assert result.exit_code != 0 and "En annan katalogsynkronisering pågår" in result.output

    # A holder that died lets its claim lapse; the next run takes over.
    db.session.execute(update(SyncLock).values(expires_at=utcnow().replace(year=2000)))
    db.session.commit()
    live_sync(app)
    assert active_people() == 5 and lock.holder() is None


def test_the_person_kind_can_come_from_another_attribute_and_value_map(app, directory_server,
                                                                       config):
    entries = [entry.replace("employeeType: employee", f"departmentNumber: {code}")
               for entry, code in zip(staff(3), ["K", "F", "X"], strict=True)]
    directory_server(*entries)
    config(LDAP_ATTRIBUTES={"kind": "departmentNumber",
                            "kind_values": {"K": "consultant", "F": "elected"}})
    live_sync(app)
    kinds = dict(db.session.execute(select(Person.username, Person.kind)).all())
    assert kinds == {"person00000": "consultant", "person00001": "elected",
                     "person00002": "employee"}
