"""Stored progress (Person.requirement_done_bits, app/services/progress.py): whatever path
writes the evidence — the services, a direct insert, an import's bulk insert, a correction
that supersedes a completion — the stored bits say exactly what the acknowledgements and
completions say; a new major version, an editorial one, a new training and a period that
begins are noticed; a bit is recomputed only when its requirement changed, in a number of
queries that does not grow with the people; and a database that refuses the write still
gets right figures."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select, text

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    Acknowledgement,
    ChangeKind,
    CompletionSource,
    Person,
    RequirementSlot,
    Role,
    TrainingCompletion,
)
from app.services import acknowledgements, completions, progress, requirements, unit_status
from app.services.system_access import CoordinatorScope
from tests.factories import (
    create_document,
    create_organization,
    create_person,
    create_training,
    publish_version,
)

EMPLOYEE = {Role.EMPLOYEE}


def statuses(found: list[requirements.Requirement]) -> dict[int, tuple]:
    """Every person's status per requirement ('done', 'open', 'overdue' or None)."""
    rows = db.session.execute(select(Person.id, *(r.status() for r in found)))
    return {row[0]: tuple(row[1:]) for row in rows}


def stored_and_evidence() -> tuple[list, list]:
    db.session.commit()  # as a page begins: the recomputation never commits others' writes
    return requirements.current(), requirements.from_evidence()


def assert_bits_agree_with_the_evidence() -> list[requirements.Requirement]:
    stored, evidence = stored_and_evidence()
    assert [r.key for r in stored] == [r.key for r in evidence]
    assert all(reads_bits(r) for r in stored), "every requirement reads its stored bit"
    assert statuses(stored) == statuses(evidence)
    return stored


def reads_bits(requirement: requirements.Requirement) -> bool:
    return "requirement_done_bits" in str(requirement.done)


def done_of(person: Person, found: list, key: str) -> str | None:
    requirement = next(r for r in found if r.key == key)
    return db.session.scalar(select(requirement.status()).where(Person.id == person.id))


@pytest.fixture
def world():
    org = create_organization()
    people = [create_person(f"p{n}", organization=org) for n in range(6)]
    for person in people:
        person.created_at = utcnow() - timedelta(days=400)
    policy = create_document("Policy", organization=org,
                             published_at=utcnow() - timedelta(days=100))
    rules = create_document("Regler för konsulter", organization=org,
                            audience={"organization_ids": [org.id], "kinds": ["consultant"]})
    course = create_training("Grundkurs", organization=org, due_on=today() - timedelta(days=5))
    db.session.flush()
    return {"org": org, "people": people, "policy": policy, "rules": rules, "course": course}


def version_of(document) -> int:
    return max(v.id for v in document.versions if v.sequence is not None)


def test_every_way_of_writing_evidence_keeps_the_stored_bits_true(app, world):
    people, policy, course = world["people"], world["policy"], world["course"]
    # Evidence from before the bits existed is counted when they are first computed.
    db.session.add(Acknowledgement(person_id=people[0].id, document_id=policy.id,
                                   version_id=version_of(policy), acknowledged_at=utcnow(),
                                   content_sha256="x", method="web"))
    db.session.flush()
    found = assert_bits_agree_with_the_evidence()
    assert done_of(people[0], found, f"document-{policy.id}") == "done"
    assert done_of(people[1], found, f"document-{policy.id}") == "overdue"

    # After that the triggers keep them: the service, …
    acknowledgements.acknowledge(people[1], EMPLOYEE, policy, version_of(policy))
    completions.confirm_self(people[2], EMPLOYEE, course, today() - timedelta(days=1))
    # … a bulk insert, as the training import writes …
    db.session.execute(insert(TrainingCompletion), [
        {"training_id": course.id, "person_id": people[3].id, "completed_on": today(),
         "recorded_at": utcnow(), "source": CompletionSource.IMPORT, "note": ""}])
    # … and a correction saying someone did not complete it after all.
    completions.correct(people[5], course, people[2].id, None, "Fel person",
                        CoordinatorScope.of(None))
    db.session.flush()
    found = assert_bits_agree_with_the_evidence()
    key = f"training-{course.id}"
    assert [done_of(p, found, key) for p in people[:4]] == ["overdue", "overdue", "overdue",
                                                            "done"]
    assert done_of(people[1], found, f"document-{policy.id}") == "done"


def test_evidence_written_later_changes_the_bit_without_recomputing_anything(
        app, world, count_queries):
    people, policy = world["people"], world["policy"]
    assert_bits_agree_with_the_evidence()
    acknowledgements.acknowledge(people[4], EMPLOYEE, policy, version_of(policy))
    db.session.commit()

    with count_queries() as counter:
        found = requirements.current()
    assert not [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE")]
    assert all(reads_bits(r) for r in found)
    assert done_of(people[4], found, f"document-{policy.id}") == "done"
    assert_bits_agree_with_the_evidence()


def test_a_major_version_asks_everyone_again_and_an_editorial_one_does_not(app, world):
    people, policy = world["people"], world["policy"]
    key = f"document-{policy.id}"
    acknowledgements.acknowledge(people[0], EMPLOYEE, policy, version_of(policy))
    found = requirements.current()
    assert done_of(people[0], found, key) == "done"

    publish_version(policy, "# Syfte\n\nRättat stavfel.", number="1.1",
                    change_kind=ChangeKind.EDITORIAL)
    found = assert_bits_agree_with_the_evidence()
    assert done_of(people[0], found, key) == "done"
    acknowledgements.acknowledge(people[1], EMPLOYEE, policy, version_of(policy))
    found = assert_bits_agree_with_the_evidence()
    assert done_of(people[1], found, key) == "done"

    publish_version(policy, "# Syfte\n\nNya regler.", number="2")
    found = assert_bits_agree_with_the_evidence()
    assert {done_of(p, found, key) for p in people} == {"open"}
    acknowledgements.acknowledge(people[0], EMPLOYEE, policy, version_of(policy))
    found = assert_bits_agree_with_the_evidence()
    assert done_of(people[0], found, key) == "done"


def test_a_new_training_and_a_withdrawn_document_are_noticed(app, world):
    people, policy = world["people"], world["policy"]
    assert_bits_agree_with_the_evidence()
    later = create_training("Fördjupning", organization=world["org"])
    completions.confirm_self(people[0], EMPLOYEE, later, today())
    found = assert_bits_agree_with_the_evidence()
    assert done_of(people[0], found, f"training-{later.id}") == "done"

    policy.withdrawn_at = utcnow()
    db.session.flush()
    found = assert_bits_agree_with_the_evidence()
    assert f"document-{policy.id}" not in [r.key for r in found]


def test_more_requirements_than_bits_are_counted_from_the_evidence_and_freed_bits_reused(
        app, world, monkeypatch, count_queries):
    monkeypatch.setattr(progress, "SLOT_COUNT", 2)
    people, policy = world["people"], world["policy"]
    acknowledgements.acknowledge(people[0], EMPLOYEE, policy, version_of(policy))
    stored, evidence = stored_and_evidence()
    assert len(stored) == 3
    assert [reads_bits(r) for r in stored] == [True, True, False]
    assert statuses(stored) == statuses(evidence)
    with count_queries() as counter:  # nothing left to recompute: the usual six queries
        requirements.current()
    assert counter.count == 6, counter.statements

    policy.withdrawn_at = utcnow()
    db.session.flush()
    stored = assert_bits_agree_with_the_evidence()
    assert len(stored) == 2
    assert db.session.scalar(select(RequirementSlot.bit).where(
        RequirementSlot.key == f"training-{world['course'].id}")) in (0, 1)


def test_recomputing_takes_the_same_number_of_queries_for_6_or_60_people(
        app, world, count_queries):
    def measure() -> int:
        publish_version(world["policy"], "# Ny", number=f"v{utcnow().timestamp()}")
        db.session.commit()
        with count_queries() as counter:
            assert all(reads_bits(r) for r in requirements.current())
        return counter.count

    assert_bits_agree_with_the_evidence()
    small = measure()
    for n in range(54):
        create_person(f"fler{n}", organization=world["org"])
    db.session.flush()
    assert measure() == small
    assert_bits_agree_with_the_evidence()


def test_the_unit_figures_from_the_bits_equal_the_figures_from_the_evidence(app, world):
    people, policy, course = world["people"], world["policy"], world["course"]
    chief = create_person("chef", organization=world["org"])
    for n, person in enumerate(people):
        person.manager_id = chief.id if n < 3 else people[0].id
    acknowledgements.acknowledge(people[3], EMPLOYEE, policy, version_of(policy))
    completions.confirm_self(people[4], EMPLOYEE, course, date.today())
    db.session.flush()
    stored, evidence = stored_and_evidence()
    assert unit_status.figures_under(chief.id, stored) == unit_status.figures_under(
        chief.id, evidence)
    assert [r.statuses for r in unit_status.direct_reports(chief.id, stored)] == [
        r.statuses for r in unit_status.direct_reports(chief.id, evidence)]


def test_a_caller_that_has_written_something_gets_the_evidence_and_nothing_committed(
        app, world):
    db.session.commit()
    publish_version(world["policy"], "# Nya regler", number="2")
    newcomer = create_person("nykomling", organization=world["org"])
    newcomer_id = newcomer.id

    found = requirements.current()
    assert not reads_bits(next(r for r in found if r.key == f"document-{world['policy'].id}"))
    assert statuses(found) == statuses(requirements.from_evidence())
    db.session.rollback()
    assert db.session.get(Person, newcomer_id) is None


def test_a_database_that_refuses_the_write_still_gets_figures_from_the_evidence(
        standalone_app):
    from tests.test_fault_drills import make_world, read_only

    world = make_world(standalone_app)
    with read_only(standalone_app) as reader, reader.app_context():
        stored, evidence = stored_and_evidence()
        assert [r.key for r in stored] == [f"document-{world.document_id}"]
        assert not reads_bits(stored[0])
        assert statuses(stored) == statuses(evidence)
        assert db.session.scalar(select(RequirementSlot.key)) is None
    with standalone_app.app_context():
        assert reads_bits(requirements.current()[0])
        assert db.session.scalar(select(RequirementSlot.key)) == f"document-{world.document_id}"


def test_an_acknowledgement_written_while_its_bit_is_recomputed_is_counted(standalone_app):
    """The recomputation waits for evidence being written at that moment (PostgreSQL: a
    SHARE lock; SQLite: the write lock), so neither it nor the trigger misses the row."""
    app = standalone_app
    with app.app_context():
        org = create_organization()
        reader = create_person("lasare", organization=org)
        policy = create_document("Policy", organization=org)
        reader_id, policy_id = reader.id, policy.id
        db.session.commit()
        requirements.current()
        version = publish_version(policy, "# Rättat", number="1.1",
                                  change_kind=ChangeKind.EDITORIAL)
        version_id = version.id
        db.session.commit()

    with app.app_context():
        writer = db.engine.connect()
        writing = writer.begin()
        writer.execute(insert(Acknowledgement).values(
            person_id=reader_id, document_id=policy_id, version_id=version_id,
            content_sha256="x", acknowledged_at=utcnow(), method="web"))
        recomputing = ThreadPoolExecutor(1).submit(_current_in_a_fresh_context, app)
        if writer.dialect.name == "postgresql":
            _wait_until_someone_waits_for_a_lock(app)
        writing.commit()
        writer.close()
        assert recomputing.result(timeout=30)

    with app.app_context():
        found = assert_bits_agree_with_the_evidence()
        assert done_of(db.session.get(Person, reader_id), found,
                       f"document-{policy_id}") == "done"


def _current_in_a_fresh_context(app) -> bool:
    with app.app_context():
        return reads_bits(requirements.current()[0])


def _wait_until_someone_waits_for_a_lock(app) -> None:
    deadline = time.monotonic() + 30
    with app.app_context(), db.engine.connect() as watcher:
        while not watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()")).scalar():
            assert time.monotonic() < deadline, "the recomputation never waited"
            watcher.rollback()
