"""Trainings (utbildningar) through their services: creating and copying them, audiences over
the demo group, self-confirmation, completions that nothing can alter, corrections, the
coordinator's attendance list, due dates for newcomers, the follow-up per organization,
sector and kind (for coordinators and managers) with its CSV, and the coordinator's list
with its rates — in a number of queries that does not grow with the number of people."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import or_, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from app.clock import local_time, today, utcnow
from app.extensions import db
from app.models import (
    CompletionSource,
    InformationSystem,
    LifecycleStatus,
    Organization,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    ProofMethod,
    Role,
    SystemAdministrator,
    Training,
    TrainingCompletion,
)
from app.services import DomainError, Forbidden, NotFound, completions, trainings
from app.services import training_status as status
from app.services.audience import AudienceRule
from app.services.completions import NEWCOMER_DAYS
from app.services.trainings import TrainingFields, period_label
from demo.systems import load_demo_systems
from tests.factories import create_organization, create_person, create_system, create_unit
from tests.group_helpers import (
    ENERGY,
    EVERYTHING,
    HOUSING,
    LONG_AGO,
    MUNICIPALITY,
    company,
    coordinator,
    count_of,
    events,
    joined,
    only,
    refused,
    roles,
)

DEMO_DAY = date(2026, 11, 23)


# -- helpers ----------------------------------------------------------------------------------

def member(name: str, organization: Organization, place: OrgUnit | None = None, *,
           kind: PersonKind = PersonKind.EMPLOYEE, manager: Person | None = None,
           source: PersonSource = PersonSource.DIRECTORY) -> Person:
    """A long-standing member of staff (or official, or board member)."""
    return joined(create_person(display_name=name, organization=organization, unit=place,
                                kind=kind, manager=manager, source=source), LONG_AGO)


def fields(organization: Organization, **changes: object) -> TrainingFields:
    """The training form as a coordinator fills it in: a period running now, due in two
    months, for everyone in the organization, proven either way."""
    values: dict[str, object] = {
        "title": "Informationssäkerhet – grundutbildning", "description": "Årlig utbildning.",
        "link": "https://lar.exempelby.se/kurs/infosak", "organization_id": organization.id,
        "period_starts_on": today() - timedelta(days=200),
        "period_ends_on": today() + timedelta(days=165), "due_on": today() + timedelta(days=60),
        "proof": "both", "audience": AudienceRule(organization_ids=(organization.id,))}
    values.update(changes)
    return TrainingFields(**values)  # type: ignore[arg-type]


def new_training(actor: Person, organization: Organization, **changes: object) -> Training:
    training = trainings.create(actor, fields(organization, **changes), EVERYTHING)
    db.session.flush()
    return training


def confirm(person: Person, training: Training, day: date | None = None,
            note: str = "") -> TrainingCompletion:
    row = completions.confirm_self(person, roles(person), training, day or today(), note)
    db.session.flush()
    return row


def task(person: Person, training: Training) -> completions.TrainingTask | None:
    return completions.task_for(person, roles(person), training)


def rows_of(training: Training, person: Person | None = None) -> list[TrainingCompletion]:
    db.session.flush()
    query = select(TrainingCompletion).where(TrainingCompletion.training_id == training.id)
    if person is not None:
        query = query.where(TrainingCompletion.person_id == person.id)
    return list(db.session.scalars(query.order_by(TrainingCompletion.id)))


def tallies(found: list) -> list[tuple[str, int, int]]:
    return [(t.label, t.total, t.done) for t in found]


# -- creating and changing --------------------------------------------------------------------

def test_period_labels():
    assert period_label(date(2026, 1, 1), date(2026, 12, 31)) == "2026"
    assert period_label(date(2026, 8, 1), date(2027, 7, 31)) == "2026-08-01 – 2027-07-31"
    assert period_label(date(2026, 1, 1), date(2027, 12, 31)) == "2026-01-01 – 2027-12-31"
    assert period_label(date(2026, 1, 2), date(2026, 12, 31)) == "2026-01-02 – 2026-12-31"


def test_a_training_is_created_for_its_period_with_an_audit_event(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    rule = AudienceRule(organization_ids=(kommun.id,), kinds=("consultant", "employee"))

    training = trainings.create(actor, fields(
        kommun, title="  Informationssäkerhet 2026  ", period_starts_on=date(2026, 1, 1),
        period_ends_on=date(2026, 12, 31), due_on=date(2026, 12, 15), proof="self",
        audience=rule), EVERYTHING)
    db.session.flush()

    stored = trainings.get(training.id)
    assert stored.title == "Informationssäkerhet 2026"
    assert stored.period_label == "2026"
    assert (stored.period_starts_on, stored.period_ends_on, stored.due_on) == (
        date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 15))
    assert stored.proof == ProofMethod.SELF
    assert stored.link == "https://lar.exempelby.se/kurs/infosak"
    assert AudienceRule.from_json(stored.audience) == rule
    assert stored.created_by_id == actor.id and stored.copied_from_id is None
    [created] = events("training.created")
    assert (created.actor_id, created.object_type, created.object_id) == (
        actor.id, "training", str(training.id))
    assert created.details["title"] == "Informationssäkerhet 2026"
    assert created.details["period"] == "2026" and created.details["proof"] == "self"

    school_year = new_training(actor, kommun, title="Dataskydd för skolan",
                               period_starts_on=date(2026, 8, 1),
                               period_ends_on=date(2027, 7, 31), due_on=date(2026, 10, 31))
    assert school_year.period_label == "2026-08-01 – 2027-07-31"
    with pytest.raises(NotFound):
        trainings.get(school_year.id + 1000)


def test_bad_training_input_is_refused_and_names_its_field(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    cases = [
        ({"title": "   "}, "title"),
        ({"title": "Å" * 301}, "title"),
        ({"link": "lar.exempelby.se/kurs"}, "link"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "ftp://lar.exempelby.se/kurs"}, "link"),
        ({"organization_id": None}, "organization_id"),
        ({"organization_id": kommun.id + 1000}, "organization_id"),
        ({"period_starts_on": None}, "period_starts_on"),
        ({"period_ends_on": None}, "period_starts_on"),
        ({"period_starts_on": start, "period_ends_on": start - timedelta(days=1),
          "due_on": start}, "period_ends_on"),
        ({"period_starts_on": start, "period_ends_on": end, "due_on": None}, "due_on"),
        ({"period_starts_on": start, "period_ends_on": end,
          "due_on": start - timedelta(days=1)}, "due_on"),
        ({"period_starts_on": start, "period_ends_on": end,
          "due_on": end + timedelta(days=1)}, "due_on"),
        ({"proof": "email"}, "proof"),
        ({"proof": ""}, "proof"),
    ]
    for changes, field in cases:
        with pytest.raises(DomainError) as error:
            trainings.create(actor, fields(kommun, **changes), EVERYTHING)
        refused(error, field)
    assert count_of(Training) == 0
    assert events("training.created") == []

    # The period's first and last day are both allowed as due dates; a link may be left out.
    for due in (start, end):
        made = new_training(actor, kommun, period_starts_on=start, period_ends_on=end,
                            due_on=due, link="")
        assert made.due_on == due and made.link == ""
    assert new_training(actor, kommun, link="HTTP://intranat.exempelby.se/kurs").link == (
        "HTTP://intranat.exempelby.se/kurs")
    assert count_of(Training) == 3


def test_only_a_coordinator_covering_the_organization_creates_and_changes(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)

    with pytest.raises(Forbidden):
        trainings.create(actor, fields(kommun), only(bostader))
    with pytest.raises(Forbidden):
        trainings.create(actor, fields(kommun), None)
    assert count_of(Training) == 0
    training = trainings.create(actor, fields(kommun), only(kommun))
    db.session.flush()

    with pytest.raises(Forbidden):
        trainings.update(actor, training, fields(kommun, title="Ändrad"), only(bostader))
    with pytest.raises(Forbidden):
        trainings.update(actor, training, fields(kommun, title="Ändrad"), None)
    with pytest.raises(Forbidden):  # moving it to an organization outside the scope
        trainings.update(actor, training, fields(bostader), only(kommun))
    assert events("training.changed") == []

    db.session.expire_all()
    training = trainings.get(training.id)
    trainings.update(actor, training, fields(
        kommun, title="Informationssäkerhet 2026", period_starts_on=date(2026, 1, 1),
        period_ends_on=date(2026, 12, 31), due_on=date(2026, 11, 30), proof="import"),
        only(kommun))
    db.session.flush()
    db.session.expire_all()
    changed = trainings.get(training.id)
    assert (changed.title, changed.period_label, changed.due_on, changed.proof) == (
        "Informationssäkerhet 2026", "2026", date(2026, 11, 30), ProofMethod.IMPORT)
    [event] = events("training.changed")
    assert event.actor_id == actor.id and event.object_id == str(training.id)
    assert event.details["before"]["title"] == "Informationssäkerhet – grundutbildning"
    assert event.details["before"]["proof"] == "both"
    assert event.details["after"]["title"] == "Informationssäkerhet 2026"
    assert event.details["after"]["period"] == "2026"
    assert event.details["after"]["due_on"] == "2026-11-30"


# -- copying to the next period ---------------------------------------------------------------

def test_a_recurring_training_is_copied_to_the_next_period(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    rule = AudienceRule(organization_ids=(kommun.id, bostader.id), kinds=("elected", "board"),
                        roles=("manager",))
    original = new_training(actor, kommun, title="Informationssäkerhet för förtroendevalda",
                            period_starts_on=date(2026, 1, 1), period_ends_on=date(2026, 12, 31),
                            due_on=date(2026, 6, 30), proof="import", audience=rule)

    with pytest.raises(Forbidden):
        trainings.copy_to_next_period(actor, original, only(bostader))
    with pytest.raises(Forbidden):
        trainings.copy_to_next_period(actor, original, None)

    copy = trainings.copy_to_next_period(actor, original, only(kommun))
    db.session.flush()
    db.session.expire_all()
    copy = trainings.get(copy.id)
    assert copy.id != original.id
    assert copy.title == "Informationssäkerhet för förtroendevalda"
    assert copy.description == original.description and copy.link == original.link
    assert copy.organization_id == kommun.id
    assert AudienceRule.from_json(copy.audience) == rule
    assert copy.proof == ProofMethod.IMPORT
    assert (copy.period_starts_on, copy.period_ends_on, copy.due_on) == (
        date(2027, 1, 1), date(2027, 12, 31), date(2027, 6, 30))
    assert copy.period_label == "2027"
    assert copy.copied_from_id == original.id and copy.created_by_id == actor.id
    [copied] = events("training.copied")
    assert copied.object_id == str(copy.id) and copied.details["from"] == original.id
    assert copied.details["period"] == "2027"

    with pytest.raises(DomainError) as error:
        trainings.copy_to_next_period(actor, original, EVERYTHING)
    assert "2027" in refused(error, None)
    assert count_of(Training) == 2 and len(events("training.copied")) == 1

    # The copy is itself copied on, and a school year keeps its shape.
    assert trainings.copy_to_next_period(actor, copy, EVERYTHING).period_label == "2028"
    school_year = new_training(actor, kommun, period_starts_on=date(2026, 8, 1),
                               period_ends_on=date(2027, 7, 31), due_on=date(2026, 9, 30))
    next_year = trainings.copy_to_next_period(actor, school_year, EVERYTHING)
    assert next_year.period_label == "2027-08-01 – 2028-07-31"
    assert next_year.due_on == date(2027, 9, 30)


# -- audiences over the demo group ------------------------------------------------------------

def organization(name: str) -> Organization:
    return db.session.scalars(select(Organization).where(Organization.name == name)).one()


def unit(path: str) -> OrgUnit:
    return db.session.scalars(select(OrgUnit).where(OrgUnit.path == path)).one()


def active_ids(*where: object) -> set[int]:
    """Active people matching plain conditions, computed without the audience code."""
    return set(db.session.scalars(select(Person.id).outerjoin(OrgUnit, OrgUnit.id == Person.unit_id)
                                  .where(Person.active.is_(True), *where)))


def under(path: str) -> object:
    return or_(OrgUnit.path == path, OrgUnit.path.startswith(path + " / "))


def report_ids(training: Training) -> set[int]:
    result = status.report(training, demo_coordinator(), set(), EVERYTHING)
    return {m.person_id for m in result.members}


def demo_coordinator() -> Person:
    return db.session.scalars(select(Person).where(Person.username == "osten.lindqvist")).one()


def live_system_people() -> tuple[set[int], set[int]]:
    """Owners and administrators of systems not retired, by plain queries."""
    live = InformationSystem.status != LifecycleStatus.RETIRED
    owners = set(db.session.scalars(select(InformationSystem.owner_id).where(
        live, InformationSystem.owner_id.is_not(None))))
    administrators = set(db.session.scalars(select(SystemAdministrator.person_id).join(
        InformationSystem, InformationSystem.id == SystemAdministrator.system_id).where(live)))
    return owners, administrators


def test_audiences_over_the_demo_group(demo_people):
    load_demo_systems(DEMO_DAY)
    kommun, bostader, energi = (organization(n) for n in (MUNICIPALITY, HOUSING, ENERGY))
    actor = demo_coordinator()
    group = (kommun.id, bostader.id, energi.id)
    staff = new_training(actor, kommun, title="Alla medarbetare och konsulter",
                         audience=AudienceRule(organization_ids=(kommun.id,),
                                               kinds=("employee", "consultant")))
    elected = new_training(actor, kommun, title="Förtroendevalda",
                           audience=AudienceRule(organization_ids=(kommun.id,),
                                                 kinds=("elected",)))
    systems = new_training(actor, kommun, title="Systemägare och systemförvaltare",
                           audience=AudienceRule(organization_ids=group, roles=(
                               "system_owner", "system_administrator")))
    social = new_training(actor, kommun, title="Socialtjänsten",
                          audience=AudienceRule(unit_ids=(unit("Socialtjänst").id,)))
    social_only = new_training(actor, kommun, title="Socialtjänstens ledning",
                               audience=AudienceRule(unit_ids=(unit("Socialtjänst").id,),
                                                     include_sub_units=False))
    everything = [staff, elected, systems, social, social_only]

    expected_staff = active_ids(Person.organization_id == kommun.id, Person.kind.in_(
        (PersonKind.EMPLOYEE, PersonKind.CONSULTANT)))
    expected_elected = active_ids(Person.organization_id == kommun.id,
                                  Person.kind == PersonKind.ELECTED)
    owners, administrators = live_system_people()
    expected_systems = active_ids(Person.id.in_(owners | administrators))
    expected_social = active_ids(under("Socialtjänst"))
    expected_social_only = active_ids(OrgUnit.path == "Socialtjänst")
    assert len(expected_staff) == 247 and len(expected_elected) == 15
    assert owners and administrators and len(expected_social) > len(expected_social_only) > 0
    # Owning or running only retired systems makes nobody a system owner or administrator.
    retired_only = db.session.scalars(select(Person).where(
        Person.organization_id == kommun.id, Person.active.is_(True),
        Person.kind == PersonKind.EMPLOYEE, Person.id.not_in(expected_systems))
        .order_by(Person.id)).all()[:2]
    create_system("Gamla diariet", organization=kommun, owner=retired_only[0],
                  administrators=(retired_only[1],), status="retired")
    assert not {p.id for p in retired_only} & expected_systems

    expected = {staff.id: expected_staff, elected.id: expected_elected,
                systems.id: expected_systems, social.id: expected_social,
                social_only.id: expected_social_only}
    for training in everything:
        assert report_ids(training) == expected[training.id], training.title

    # Mina uppgifter agrees with the reports for every person in the group.
    for person in db.session.scalars(select(Person)):
        mine = {t.training.id for t in completions.tasks_for(person, roles(person), everything)}
        assert mine == {t for t, ids in expected.items() if person.id in ids}, person.username

    # A role-specific training appears only to people with the role.
    owner = db.session.get(Person, min(owners))
    administrator = db.session.get(Person, min(administrators - owners))
    assert Role.SYSTEM_OWNER in roles(owner)
    assert Role.SYSTEM_ADMINISTRATOR in roles(administrator)
    for person in (owner, administrator):
        assert systems.id in {t.training.id for t in completions.tasks_for(person, roles(person))}
    for plain in retired_only:
        assert not roles(plain) & {Role.SYSTEM_OWNER, Role.SYSTEM_ADMINISTRATOR}
        assert systems.id not in {
            t.training.id for t in completions.tasks_for(plain, roles(plain))}
        assert staff.id in {t.training.id for t in completions.tasks_for(plain, roles(plain))}
        assert task(plain, systems) is None
        with pytest.raises(Forbidden):
            completions.confirm_self(plain, roles(plain), systems, today())
    assert confirm(owner, systems).person_id == owner.id
    assert confirm(administrator, systems).person_id == administrator.id


# -- self-confirmation ------------------------------------------------------------------------

def test_a_person_confirms_a_training_once(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = member("Anna Andersson", kommun)
    training = new_training(actor, kommun)
    before = task(reader, training)
    assert before is not None and not before.done and before.completion is None

    first = confirm(reader, training, today(), "Gick kursen på APT")
    again = confirm(reader, training, today() - timedelta(days=3))

    assert again.id == first.id
    [row] = rows_of(training)
    assert (row.person_id, row.completed_on, row.source, row.recorded_by_id, row.note) == (
        reader.id, today(), CompletionSource.SELF, reader.id, "Gick kursen på APT")
    assert row.supersedes_id is None and row.recorded_at is not None
    now = task(reader, training)
    assert now.done and now.completion.id == first.id and not now.overdue
    [listed] = completions.tasks_for(reader, roles(reader))
    assert listed.training.id == training.id and listed.done
    [event] = events("training.completed")
    assert event.actor_id == reader.id and event.object_id == str(training.id)
    assert event.details == {"completion_id": first.id, "completed_on": today().isoformat(),
                             "source": "self"}


def test_self_confirmation_dates_are_checked(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = member("Anna Andersson", kommun)
    starts = today() - timedelta(days=40)
    training = new_training(actor, kommun, period_starts_on=starts)

    for day in (today() + timedelta(days=1), None):
        with pytest.raises(DomainError) as error:
            completions.confirm_self(reader, roles(reader), training, day)
        refused(error, "completed_on")
    with pytest.raises(DomainError) as error:
        completions.confirm_self(reader, roles(reader), training, starts - timedelta(days=1))
    assert starts.isoformat() in refused(error, "completed_on")
    with pytest.raises(DomainError) as error:
        completions.confirm_self(reader, roles(reader), training, today(), "x" * 501)
    refused(error, "note")
    assert rows_of(training) == [] and events("training.completed") == []

    assert confirm(reader, training, starts).completed_on == starts  # the first day counts


def test_a_training_proven_by_import_is_not_self_confirmed(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = member("Anna Andersson", kommun)
    imported = new_training(actor, kommun, proof="import")

    with pytest.raises(DomainError) as error:
        completions.confirm_self(reader, roles(reader), imported, today())
    assert "utbildningsplattformen" in error.value.message
    assert not isinstance(error.value, Forbidden)
    assert rows_of(imported) == []
    assert not task(reader, imported).done

    self_only = new_training(actor, kommun, title="Egen bekräftelse", proof="self")
    assert confirm(reader, self_only).source == CompletionSource.SELF


def test_only_the_audience_confirms(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    outsider = member("Olle Utanför", bostader)
    consultant = member("Kim Konsult", kommun, kind=PersonKind.CONSULTANT)
    leaver = member("Lena Lämnat", kommun)
    leaver.active = False
    training = new_training(actor, kommun, audience=AudienceRule(
        organization_ids=(kommun.id,), kinds=("employee",)))

    for person in (outsider, consultant, leaver):
        with pytest.raises(Forbidden):
            completions.confirm_self(person, roles(person), training, today())
        assert task(person, training) is None
    assert rows_of(training) == []


# -- completions cannot be altered ------------------------------------------------------------

def test_a_second_first_record_cannot_start_a_parallel_history(app):
    """Two confirmations submitted at once: the database keeps one history per person."""
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = member("Anna Andersson", kommun)
    training = new_training(actor, kommun)
    first = confirm(reader, training, today() - timedelta(days=2))

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(TrainingCompletion(
            training_id=training.id, person_id=reader.id, completed_on=today(),
            recorded_at=utcnow(), source=CompletionSource.SELF, recorded_by_id=reader.id,
            note=""))

    assert [r.id for r in rows_of(training, reader)] == [first.id]


def test_a_completion_cannot_be_changed_or_deleted(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = member("Anna Andersson", kommun)
    other = member("Bo Berg", kommun)
    training = new_training(actor, kommun)
    row = confirm(reader, training, today() - timedelta(days=2), "Klar")

    def stored() -> tuple:
        return db.session.execute(text(
            "SELECT person_id, training_id, completed_on, source, note, recorded_at "
            "FROM training_completion WHERE id = :id"), {"id": row.id}).one()._tuple()

    original = stored()
    attempts = [
        lambda: setattr(row, "completed_on", today() - timedelta(days=30)),
        lambda: setattr(row, "completed_on", None),
        lambda: setattr(row, "person_id", other.id),
        lambda: setattr(row, "note", "Ändrad i efterhand"),
        lambda: db.session.delete(row),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            attempt()
            db.session.flush()
        db.session.expire_all()
        assert stored() == original
    for statement in ("UPDATE training_completion SET completed_on = NULL WHERE id = :id",
                      "UPDATE training_completion SET note = 'x' WHERE id = :id",
                      "UPDATE training_completion SET source = 'import' WHERE id = :id",
                      "DELETE FROM training_completion WHERE id = :id",
                      "DELETE FROM training_completion"):
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": row.id})
        assert stored() == original, statement
    assert count_of(TrainingCompletion) == 1
    assert task(reader, training).completion.id == row.id


# -- corrections ------------------------------------------------------------------------------

def test_a_correction_supersedes_the_record_and_the_history_keeps_both(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = member("Anna Andersson", kommun)
    training = new_training(actor, kommun)
    first = confirm(reader, training, today())
    corrected_on = today() - timedelta(days=10)

    correction = completions.correct(actor, training, reader.id, corrected_on,
                                     "Kursen gicks redan på APT", only(kommun))
    db.session.flush()

    assert (correction.completed_on, correction.source, correction.supersedes_id,
            correction.recorded_by_id, correction.note) == (
        corrected_on, CompletionSource.CORRECTION, first.id, actor.id,
        "Kursen gicks redan på APT")
    assert completions.current([training.id])[(training.id, reader.id)].id == correction.id
    assert task(reader, training).completion.id == correction.id
    assert task(reader, training).done
    assert [r.id for r in completions.history(training, reader.id)] == [correction.id,
                                                                          first.id]
    assert completions.history(training, reader.id)[0].recorded_by.id == actor.id
    db.session.expire_all()
    assert db.session.get(TrainingCompletion, first.id).completed_on == today()
    [event] = events("training.completion_corrected")
    assert event.details["supersedes"] == first.id and event.details["person_id"] == reader.id
    assert event.details["completed_on"] == corrected_on.isoformat()

    # The person's own confirmation does not overwrite the correction.
    assert confirm(reader, training).id == correction.id
    assert len(rows_of(training)) == 2


def test_a_correction_to_not_completed_lets_the_person_confirm_again(app):
    kommun = create_organization()
    actor = coordinator(company(HOUSING))
    reader = member("Anna Andersson", kommun)
    training = new_training(actor, kommun)
    first = confirm(reader, training)

    taken_back = completions.correct(actor, training, reader.id, None,
                                     "Bekräftade fel utbildning", EVERYTHING)
    db.session.flush()
    assert taken_back.completed_on is None and taken_back.supersedes_id == first.id
    now = task(reader, training)
    assert not now.done and now.completion.id == taken_back.id
    result = status.report(training, actor, set(), EVERYTHING)
    assert [m.person_id for m in result.missing] == [reader.id]
    assert trainings.managed(EVERYTHING)[0].rate.done == 0
    assert events("training.completion_corrected")[0].details["completed_on"] is None

    third = confirm(reader, training, today() - timedelta(days=1))
    assert third.id not in (first.id, taken_back.id)
    assert (third.supersedes_id, third.source) == (taken_back.id, CompletionSource.SELF)
    assert task(reader, training).done
    assert [r.id for r in completions.history(training, reader.id)] == [
        third.id, taken_back.id, first.id]
    assert len(events("training.completed")) == 2


def test_corrections_need_a_note_a_record_and_a_coordinator(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    reader = member("Anna Andersson", kommun)
    idle = member("Bo Berg", kommun)
    training = new_training(actor, kommun)
    confirm(reader, training)

    for note in ("", "   "):
        with pytest.raises(DomainError) as error:
            completions.correct(actor, training, reader.id, today(), note, EVERYTHING)
        refused(error, "note")
    with pytest.raises(DomainError) as error:
        completions.correct(actor, training, reader.id, today() + timedelta(days=1), "Fel",
                            EVERYTHING)
    refused(error, "completed_on")
    with pytest.raises(DomainError) as error:
        completions.correct(actor, training, reader.id,
                            training.period_starts_on - timedelta(days=1), "Fel", EVERYTHING)
    refused(error, "completed_on")
    with pytest.raises(NotFound):
        completions.correct(actor, training, idle.id, today(), "Gick kursen", EVERYTHING)
    for scope in (None, only(bostader)):
        with pytest.raises(Forbidden):
            completions.correct(reader, training, reader.id, None, "Ångrar", scope)
    assert len(rows_of(training)) == 1
    assert events("training.completion_corrected") == []


# -- attendance lists -------------------------------------------------------------------------

def test_the_coordinator_registers_an_attendance_list(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    board = create_unit(bostader, "Styrelsen")
    chair = member("Britt Ordförande", bostader, board, kind=PersonKind.BOARD,
                   source=PersonSource.LOCAL)
    elected = member("Göran Ledamot", kommun, kind=PersonKind.ELECTED)
    done = member("Anna Andersson", kommun, kind=PersonKind.ELECTED)
    taken_back = member("Bo Berg", kommun, kind=PersonKind.ELECTED)
    assert chair.directory_id is None and chair.source == PersonSource.LOCAL
    training = new_training(actor, kommun, title="Informationssäkerhet för förtroendevalda",
                            audience=AudienceRule(organization_ids=(kommun.id, bostader.id),
                                                  kinds=("elected", "board")))
    own = confirm(done, training)
    wrong = confirm(taken_back, training)
    completions.correct(actor, training, taken_back.id, None, "Fel person", EVERYTHING)
    day = today() - timedelta(days=7)

    # Bostäder is not in scope: refused, without telling that coordinator her name.
    with pytest.raises(DomainError, match="ingår inte i det du samordnar") as refused:
        completions.register_attendance(actor, training, [chair.id, elected.id], day, "",
                                        only(kommun))
    assert "Britt" not in refused.value.message
    result = completions.register_attendance(
        actor, training, [chair.id, elected.id, done.id, taken_back.id, chair.id], day,
        "Närvarolista från fullmäktiges utbildningsdag", EVERYTHING)
    db.session.flush()

    assert {p.id for p in result.added} == {chair.id, elected.id, taken_back.id}
    assert [p.id for p in result.already] == [done.id]
    assert [r.id for r in rows_of(training, done)] == [own.id]
    for person in (chair, elected, taken_back):
        [*_, row] = rows_of(training, person)
        assert (row.completed_on, row.source, row.recorded_by_id, row.note) == (
            day, CompletionSource.ATTENDANCE, actor.id,
            "Närvarolista från fullmäktiges utbildningsdag")
        assert row.recorded_by.display_name == "Siv Samordnare"
        assert task(person, training).done
    assert len(rows_of(training, chair)) == 1
    assert rows_of(training, taken_back)[-1].supersedes_id == rows_of(
        training, taken_back)[1].id != wrong.id
    [event] = events("training.attendance_registered")
    assert event.actor_id == actor.id
    assert sorted(event.details["people"]) == sorted(
        [chair.username, elected.username, taken_back.username])
    assert event.details["already"] == [done.username]

    again = completions.register_attendance(actor, training, [chair.id], today(), "",
                                            EVERYTHING)
    assert again.added == [] and [p.id for p in again.already] == [chair.id]
    assert len(rows_of(training, chair)) == 1


def test_an_attendance_list_with_bad_people_or_dates_is_refused(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    boss = member("Chef Chefsson", kommun)
    staff = member("Anna Andersson", kommun, manager=boss)
    leaver = member("Lena Lämnat", kommun)
    leaver.active = False
    training = new_training(actor, kommun)
    db.session.flush()

    cases = [
        (([staff.id, leaver.id], today()), "person_ids"),
        (([staff.id, leaver.id + 1000], today()), "person_ids"),
        (([], today()), "person_ids"),
        (([staff.id], today() + timedelta(days=1)), "completed_on"),
        (([staff.id], training.period_starts_on - timedelta(days=1)), "completed_on"),
        (([staff.id], None), "completed_on"),
    ]
    for (ids, day), field in cases:
        with pytest.raises(DomainError) as error:
            completions.register_attendance(actor, training, ids, day, "", EVERYTHING)
        refused(error, field)
    # A manager cannot confirm for their staff, nor a coordinator of another organization.
    assert Role.MANAGER in roles(boss)
    for who, scope in ((boss, None), (actor, only(bostader))):
        with pytest.raises(Forbidden):
            completions.register_attendance(who, training, [staff.id], today(), "", scope)
    assert rows_of(training) == []
    assert events("training.attendance_registered") == []


# -- due dates --------------------------------------------------------------------------------

def test_due_dates_for_long_standing_staff_and_newcomers(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    due = today() - timedelta(days=10)
    training = new_training(actor, kommun, due_on=due)
    veteran = member("Vera Veteran", kommun)
    unknown = joined(create_person(organization=kommun), None)
    newcomer = joined(create_person(organization=kommun), utcnow() - timedelta(days=5))
    newcomer_joined = local_time(newcomer.created_at).date()

    assert completions.due_on(training, None) == due
    assert completions.due_on(training, due - timedelta(days=NEWCOMER_DAYS)) == due
    assert completions.due_on(training, due - timedelta(days=NEWCOMER_DAYS - 1)) == (
        due + timedelta(days=1))
    assert completions.due_on(training, date(2020, 1, 1)) == due

    old = task(veteran, training)
    assert old.due_on == due and old.overdue
    assert task(unknown, training).due_on == due and task(unknown, training).overdue
    fresh = task(newcomer, training)
    assert fresh.due_on == newcomer_joined + timedelta(days=30) and not fresh.overdue

    confirm(veteran, training)
    assert task(veteran, training).done and not task(veteran, training).overdue
    rows = {m.person_id: m for m in status.report(training, actor, set(), EVERYTHING).members}
    assert rows[veteran.id].due_on == due and not rows[veteran.id].overdue
    assert rows[unknown.id].overdue
    assert rows[newcomer.id].due_on == fresh.due_on and not rows[newcomer.id].overdue

    later = new_training(actor, kommun, title="Senare", due_on=today() + timedelta(days=100))
    ordered = completions.tasks_for(veteran, roles(veteran), [later, training])
    assert [t.training.id for t in ordered] == [training.id, later.id]  # soonest due first


def test_finished_periods_leave_mina_uppgifter(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = member("Anna Andersson", kommun)
    ended = new_training(actor, kommun, title="Förra året",
                         period_starts_on=today() - timedelta(days=400),
                         period_ends_on=today() - timedelta(days=1),
                         due_on=today() - timedelta(days=30))
    running = new_training(actor, kommun, title="I år", period_ends_on=today(),
                           due_on=today())
    assert [t.training.id for t in completions.tasks_for(reader, roles(reader))] == [
        running.id]
    assert task(reader, ended) is not None  # still reachable from the training's page


# -- the follow-up ----------------------------------------------------------------------------

def report_group() -> dict:
    """Two organizations in the audience, one outside; every kind of person."""
    kommun = create_organization()
    bostader = company(HOUSING)
    energi = company(ENERGY)
    actor = coordinator(energi)
    elderly = create_unit(kommun, "Socialtjänst / Äldreomsorg")
    social = create_unit(kommun, "Socialtjänst")
    school = create_unit(kommun, "Utbildning / Förskola")
    council = create_unit(kommun, "Förtroendevalda / Kommunfullmäktige")
    letting = create_unit(bostader, "Uthyrning")
    board = create_unit(bostader, "Styrelsen")
    group = {
        "kommun": kommun, "bostader": bostader, "energi": energi, "actor": actor,
        "anna": member("Anna Andersson", kommun, elderly),
        "bo": member("Bo Berg", kommun, elderly),
        "cecilia": member("Cecilia Carlsson", kommun, social, kind=PersonKind.CONSULTANT),
        "david": member("David Dahl", kommun, school),
        "eva": member("Eva Ek", kommun, council, kind=PersonKind.ELECTED),
        "fredrik": member("Fredrik Fors", kommun, council, kind=PersonKind.ELECTED),
        "gun": member("Gun Gran", kommun, None, kind=PersonKind.ELECTED),
        "erik": member("Erik Ek", bostader, letting),
        "frida": member("=HYPERLINK(\"http://x\") Frida", bostader, letting),
        "harald": member("Harald Holm", bostader, board, kind=PersonKind.BOARD,
                         source=PersonSource.LOCAL),
        "ingrid": member("Ingrid Isaksson", bostader, board, kind=PersonKind.BOARD),
        "outsider": member("Olle Energi", energi),
    }
    leaver = member("Lena Lämnat", kommun, elderly)
    training = new_training(actor, kommun, audience=AudienceRule(
        organization_ids=(kommun.id, bostader.id)))
    for name in ("anna", "bo", "erik"):
        confirm(group[name], training, today() - timedelta(days=3))
    confirm(leaver, training)
    leaver.active = False
    completions.correct(actor, training, group["bo"].id, None, "Fel utbildning", EVERYTHING)
    completions.register_attendance(actor, training, [
        group[n].id for n in ("cecilia", "eva", "harald")], today() - timedelta(days=1),
        "Närvarolista", EVERYTHING)
    db.session.flush()
    group["training"] = training
    return group


def test_the_report_counts_per_organization_sector_and_kind(app):
    group = report_group()
    training, actor = group["training"], group["actor"]

    result = status.report(training, actor, roles(actor), EVERYTHING)

    assert (result.total.total, result.total.done) == (11, 5)
    assert result.total.percent == 45
    assert not result.mine_only and result.training.id == training.id
    assert tallies(result.organizations) == [(HOUSING, 4, 2), (MUNICIPALITY, 7, 3)]
    assert tallies(result.sectors) == [
        (f"{HOUSING} / Styrelsen", 2, 1), (f"{HOUSING} / Uthyrning", 2, 1),
        (MUNICIPALITY, 1, 0), (f"{MUNICIPALITY} / Förtroendevalda", 2, 1),
        (f"{MUNICIPALITY} / Socialtjänst", 3, 2), (f"{MUNICIPALITY} / Utbildning", 1, 0)]
    assert tallies(result.kinds) == [("Medarbetare", 5, 2), ("Konsulter", 1, 1),
                                     ("Förtroendevalda", 3, 1), ("Styrelseledamöter", 2, 1)]
    assert {m.person_id for m in result.missing} == {
        group[n].id for n in ("bo", "david", "fredrik", "gun", "frida", "ingrid")}
    details = {m.person_id: (m.done_at, m.detail) for m in result.members if m.done_at}
    assert details == {
        group["anna"].id: (today() - timedelta(days=3), "Egen bekräftelse"),
        group["erik"].id: (today() - timedelta(days=3), "Egen bekräftelse"),
        group["cecilia"].id: (today() - timedelta(days=1), "Närvarolista"),
        group["eva"].id: (today() - timedelta(days=1), "Närvarolista"),
        group["harald"].id: (today() - timedelta(days=1), "Närvarolista")}
    assert [m.name for m in result.only(sector=f"{MUNICIPALITY} / Socialtjänst")] == [
        "Anna Andersson", "Bo Berg", "Cecilia Carlsson"]

    scoped = status.report(training, actor, roles(actor), only(group["kommun"]))
    assert {m.person_id for m in scoped.members} == {
        group[n].id for n in ("anna", "bo", "cecilia", "david", "eva", "fredrik", "gun")}
    assert tallies(scoped.organizations) == [(MUNICIPALITY, 7, 3)]
    # A company named in the audience has its contact person follow up its own people.
    housing = status.report(training, actor, roles(actor), only(group["bostader"]))
    assert tallies(housing.organizations) == [(HOUSING, 4, 2)]
    for scope in (only(group["energi"]), None):
        with pytest.raises(Forbidden):
            status.report(training, actor, roles(actor), scope)


def test_a_manager_follows_up_the_people_reporting_to_them(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    boss = member("Karin Chef", kommun)
    middle = member("Mats Mellanchef", kommun, manager=boss)
    direct = member("Anna Andersson", kommun, manager=boss)
    below = member("Bo Berg", kommun, manager=middle)
    consultant = member("Kim Konsult", kommun, kind=PersonKind.CONSULTANT, manager=middle)
    leaver = member("Lena Lämnat", kommun, manager=middle)
    leaver.active = False
    elsewhere = member("Olle Annan", kommun)
    training = new_training(actor, kommun, audience=AudienceRule(
        organization_ids=(kommun.id,), kinds=("employee",)))
    confirm(below, training)

    mine = status.report(training, boss, roles(boss), None)
    assert mine.mine_only
    assert [m.person_id for m in mine.members] == [direct.id, below.id, middle.id]
    assert (mine.total.total, mine.total.done) == (3, 1)
    assert [m.person_id for m in mine.missing] == [direct.id, middle.id]
    assert {m.person_id for m in status.report(training, middle, roles(middle), None).members
            } == {below.id}

    # A coordinator asking for "my people" gets the same; without it, everyone.
    everyone = status.report(training, boss, roles(boss), EVERYTHING)
    assert not everyone.mine_only
    assert {m.person_id for m in everyone.members} == {
        boss.id, middle.id, direct.id, below.id, elsewhere.id, actor.id}
    narrowed = status.report(training, boss, roles(boss), EVERYTHING, mine_only=True)
    assert narrowed.mine_only
    assert [m.person_id for m in narrowed.members] == [direct.id, below.id, middle.id]

    assert consultant.id not in {m.person_id for m in mine.members}
    for plain in (direct, elsewhere):
        assert Role.MANAGER not in roles(plain)
        with pytest.raises(Forbidden):
            status.report(training, plain, roles(plain), None)
        with pytest.raises(Forbidden):
            status.report(training, plain, roles(plain), None, mine_only=True)


def test_the_report_as_swedish_excel_csv(app):
    group = report_group()
    actor = group["actor"]
    result = status.report(group["training"], actor, roles(actor), EVERYTHING)

    lines = list(status.csv_lines(result))
    assert lines[0] == ("\ufeffNamn;Användarnamn;Organisation;Enhet;Kategori;Status;"
                        "Genomförd;Källa;Senast\r\n")
    rows = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1 + 11 and all(len(r) == 9 for r in rows)
    named = {r[0]: r for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\") Frida" in named
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    anna = named["Anna Andersson"]
    assert anna[2:6] == [MUNICIPALITY, "Socialtjänst / Äldreomsorg", "Medarbetare",
                         "Genomförd"]
    assert anna[6:9] == [(today() - timedelta(days=3)).isoformat(), "Egen bekräftelse",
                         group["training"].due_on.isoformat()]
    assert named["Harald Holm"][4:8] == ["Styrelseledamöter", "Genomförd",
                                         (today() - timedelta(days=1)).isoformat(),
                                         "Närvarolista"]
    assert named["Bo Berg"][5:8] == ["Ej genomförd", "", ""]
    assert named["Gun Gran"][2:5] == [MUNICIPALITY, "", "Förtroendevalda"]


def test_an_overdue_person_is_marked_in_the_csv(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    member("Anna Andersson", kommun)
    training = new_training(actor, kommun, due_on=today() - timedelta(days=1))
    rows = list(csv.reader(io.StringIO("".join(status.csv_lines(status.report(
        training, actor, set(), EVERYTHING))).lstrip("\ufeff")), delimiter=";"))
    assert {r[0]: r[5] for r in rows[1:]}["Anna Andersson"] == "Försenad"


def test_rates_per_kind_against_the_demo_group(demo_people):
    load_demo_systems(DEMO_DAY)
    kommun, bostader, energi = (organization(n) for n in (MUNICIPALITY, HOUSING, ENERGY))
    actor = demo_coordinator()
    training = new_training(actor, kommun, title="Informationssäkerhet 2026",
                            audience=AudienceRule(organization_ids=(kommun.id, bostader.id,
                                                                    energi.id)))
    everyone = list(db.session.scalars(select(Person).where(Person.active.is_(True))
                                       .order_by(Person.id)))
    took_part = [p for n, p in enumerate(everyone) if n % 3 == 0]
    completions.register_attendance(actor, training, [p.id for p in took_part],
                                    today(), "", EVERYTHING)

    result = status.report(training, actor, roles(actor), EVERYTHING)
    labels = {PersonKind.EMPLOYEE: "Medarbetare", PersonKind.CONSULTANT: "Konsulter",
              PersonKind.ELECTED: "Förtroendevalda", PersonKind.BOARD: "Styrelseledamöter"}
    expected = [(labels[kind], sum(p.kind == kind for p in everyone),
                 sum(p.kind == kind for p in took_part)) for kind in labels]
    assert tallies(result.kinds) == expected
    assert [total for _label, total, _done in expected] == [269, 8, 15, 10]
    assert (result.total.total, result.total.done) == (len(everyone), len(took_part))
    assert {m.person_id for m in result.missing} == {p.id for p in everyone} - {
        p.id for p in took_part}
    by_org = {t.label: (t.total, t.done) for t in result.organizations}
    for org in (kommun, bostader, energi):
        assert by_org[org.name] == (sum(p.organization_id == org.id for p in everyone),
                                    sum(p.organization_id == org.id for p in took_part))
    [row] = trainings.managed(EVERYTHING)
    assert (row.rate.total, row.rate.done) == (len(everyone), len(took_part))


# -- the coordinator's list -------------------------------------------------------------------

def test_managed_rates_match_the_reports(app):
    group = report_group()
    kommun, bostader, actor = group["kommun"], group["bostader"], group["actor"]
    elected = new_training(actor, kommun, title="Förtroendevalda", audience=AudienceRule(
        organization_ids=(kommun.id,), kinds=("elected",)))
    confirm(group["fredrik"], elected)
    housing = new_training(actor, bostader, title="Bostädernas utbildning",
                           period_starts_on=today() - timedelta(days=500),
                           period_ends_on=today() - timedelta(days=135),
                           due_on=today() - timedelta(days=200))
    nobody = new_training(actor, kommun, title="Ingen målgrupp", audience=AudienceRule())
    all_four = [group["training"], elected, housing, nobody]

    listed = trainings.managed(EVERYTHING)
    assert [r.training.id for r in listed] == [elected.id, group["training"].id, nobody.id,
                                               housing.id]
    for row in listed:
        result = status.report(row.training, actor, set(), EVERYTHING)
        assert (row.rate.total, row.rate.done) == (result.total.total, result.total.done)
    rates = {r.training.id: (r.rate.total, r.rate.done) for r in listed}
    assert rates == {group["training"].id: (11, 5), elected.id: (3, 1), housing.id: (4, 0),
                     nobody.id: (0, 0)}
    assert {r.training.id for r in listed} == {t.id for t in all_four}

    scoped = trainings.managed(only(kommun))
    assert {r.training.id for r in scoped} == {group["training"].id, elected.id, nobody.id}
    for row in scoped:
        result = status.report(row.training, actor, set(), only(kommun))
        assert (row.rate.total, row.rate.done) == (result.total.total, result.total.done)
    assert {r.training.id: (r.rate.total, r.rate.done) for r in scoped}[
        group["training"].id] == (7, 3)
    # Bostäder's contact person follows its own training and the group-wide one naming it.
    assert {r.training.id for r in trainings.managed(only(bostader))} == {
        housing.id, group["training"].id}
    assert trainings.managed(only(group["energi"])) == []


def people_in_bulk(count: int, organization: Organization, manager: Person) -> list[Person]:
    """Many people at once, added in one flush."""
    batch = []
    for n in range(count):
        username = f"bulk{uuid.uuid4().hex[:10]}"
        person = Person(directory_id=str(uuid.uuid4()), username=username,
                        display_name=f"Bulk {n:04d}", title="Handläggare",
                        mail=f"{username}@exempelby.se", kind=PersonKind.EMPLOYEE,
                        organization=organization, manager=manager, active=True,
                        source=PersonSource.DIRECTORY, given_name="", surname="",
                        created_at=LONG_AGO)
        person.refresh_search_text()
        batch.append(person)
    db.session.add_all(batch)
    db.session.flush()
    return batch


def completed_in_bulk(training: Training, batch: list[Person]) -> None:
    db.session.add_all([TrainingCompletion(
        training_id=training.id, person_id=p.id, completed_on=today(), recorded_at=utcnow(),
        source=CompletionSource.IMPORT, note="") for p in batch[::2]])
    db.session.flush()


def test_query_counts_do_not_grow_with_people(app, count_queries):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    boss = member("Karin Chef", kommun)
    owner = member("Olle Ägare", kommun, manager=boss)
    create_system("Ekonomisystemet", organization=kommun, owner=owner)
    created = [
        new_training(actor, kommun, title="Alla"),
        new_training(actor, kommun, title="Systemägare", audience=AudienceRule(
            organization_ids=(kommun.id,), roles=("system_owner",))),
        new_training(actor, kommun, title="Chefer", audience=AudienceRule(
            organization_ids=(kommun.id,), roles=("manager",))),
        new_training(actor, bostader, title="Bostäder", audience=AudienceRule(
            organization_ids=(bostader.id,))),
    ]
    owner_roles, boss_roles = roles(owner), roles(boss)

    def measure() -> tuple[list[int], list]:
        db.session.flush()
        db.session.expire_all()
        for person in (actor, boss, owner):
            db.session.refresh(person)
        training = db.session.get(Training, created[0].id)
        counts = []
        with count_queries() as counter:
            listed = trainings.managed(EVERYTHING)
            assert all(r.training.organization.name for r in listed)
        counts.append(counter.count)
        with count_queries() as counter:
            listed_scoped = trainings.managed(only(kommun))
        counts.append(counter.count)
        with count_queries() as counter:
            for_coordinator = status.report(training, actor, set(), EVERYTHING)
            lines = list(status.csv_lines(for_coordinator))
        counts.append(counter.count)
        with count_queries() as counter:
            for_manager = status.report(training, boss, boss_roles, None)
        counts.append(counter.count)
        with count_queries() as counter:
            tasks = completions.tasks_for(owner, owner_roles)
        counts.append(counter.count)
        figures = [[(r.training.title, r.rate.total, r.rate.done) for r in listed],
                   [(r.training.title, r.rate.total, r.rate.done) for r in listed_scoped],
                   (for_coordinator.total.total, for_coordinator.total.done),
                   (for_manager.total.total, for_manager.total.done), len(lines),
                   [t.training.title for t in tasks]]
        return counts, figures

    completed_in_bulk(created[0], people_in_bulk(10, kommun, boss))
    small, small_figures = measure()
    completed_in_bulk(created[0], people_in_bulk(990, kommun, boss))
    people_in_bulk(500, bostader, boss)
    big, big_figures = measure()

    assert small == big
    assert small[0] <= 3 and small[4] <= 3  # as the services promise
    # The figures are right for both sizes: actor, boss and owner are in the municipality.
    assert small_figures[0] == [("Alla", 13, 5), ("Bostäder", 0, 0), ("Chefer", 1, 0),
                                ("Systemägare", 1, 0)]
    assert big_figures[0] == [("Alla", 1003, 500), ("Bostäder", 500, 0), ("Chefer", 1, 0),
                              ("Systemägare", 1, 0)]
    assert big_figures[1] == [("Alla", 1003, 500), ("Chefer", 1, 0), ("Systemägare", 1, 0)]
    assert (small_figures[2], big_figures[2]) == ((13, 5), (1003, 500))
    assert (small_figures[3], big_figures[3]) == ((11, 5), (1001, 500))
    assert (small_figures[4], big_figures[4]) == (1 + 13, 1 + 1003)
    assert small_figures[5] == big_figures[5] == ["Alla", "Systemägare"]
