"""Governing documents (styrdokument) through their services: publishing frozen versions,
major and editorial changes, acknowledgements (kvittenser) that nothing can alter, audience
rules over the demo group, adoptions by companies, newcomers' due dates, the coordinator's
follow-up with its CSV, and the document library."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import DatabaseError

from app.clock import local_time, today, utcnow
from app.extensions import db
from app.models import (
    Acknowledgement,
    AdoptionAction,
    ChangeKind,
    Document,
    DocumentAdoption,
    DocumentVersion,
    Organization,
    OrgUnit,
    Person,
    PersonKind,
    Role,
)
from app.services import (
    DomainError,
    Forbidden,
    NotFound,
    acknowledgements,
    adoptions,
    document_status,
    documents,
)
from app.services.acknowledgements import Chain
from app.services.audience import Audience, AudienceRule, UnitTree, count, parse_rule
from app.services.document_library import Reader, diff, library, readable
from app.services.documents import MAX_BODY, DocumentFields, DraftFields, suggested_number
from tests.factories import (
    create_document,
    create_organization,
    create_person,
    create_system,
    create_unit,
    publish_version,
)
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

BODY = "# Syfte\n\nAlla som arbetar i koncernen skyddar informationen.\n"


# -- helpers ----------------------------------------------------------------------------------

def settings(organization: Organization, **changes: object) -> DocumentFields:
    """The document form as a coordinator fills it in; without changes it applies to
    everyone in the organization."""
    values: dict[str, object] = {
        "title": "Informationssäkerhetspolicy", "kind": "policy",
        "organization_id": organization.id, "responsible": "",
        "requires_acknowledgement": True, "review_interval_months": 12,
        "acknowledgement_days": 30, "audience": AudienceRule(organization_ids=(organization.id,))}
    values.update(changes)
    return DocumentFields(**values)  # type: ignore[arg-type]


def draft_fields(**changes: object) -> DraftFields:
    """The draft form, complete enough to publish."""
    values: dict[str, object] = {
        "number": "1", "body": BODY, "change_kind": "major", "change_summary": "",
        "decided_by": "Kommunfullmäktige", "decision_date": today() - timedelta(days=5),
        "reference": "KS 2026/148", "valid_from": None}
    values.update(changes)
    return DraftFields(**values)  # type: ignore[arg-type]


def new_document(actor: Person, organization: Organization, **changes: object) -> Document:
    document = documents.create(actor, settings(organization, **changes), EVERYTHING)
    db.session.flush()
    return document


def publish(actor: Person, document: Document, body: str = BODY, *, number: str | None = None,
            change_kind: ChangeKind = ChangeKind.MAJOR, summary: str = "Ny lydelse"
            ) -> DocumentVersion:
    """Write and publish the next version through the services, as the editor does."""
    draft = documents.start_draft(actor, document, EVERYTHING)
    latest = documents.published(document)
    documents.save_draft(actor, document, draft, draft_fields(
        number=number or draft.number, body=body, change_kind=change_kind.value,
        change_summary=summary if latest else ""), EVERYTHING)
    version = documents.publish(actor, document, draft, EVERYTHING)
    db.session.flush()
    return version


def task(person: Person, document: Document) -> acknowledgements.DocumentTask | None:
    return acknowledgements.task_for(person, roles(person), document)


def acknowledge(person: Person, document: Document, version: DocumentVersion) -> Acknowledgement:
    ack = acknowledgements.acknowledge(person, roles(person), document, version.id)
    db.session.flush()
    return ack


# -- publishing and versions ------------------------------------------------------------------

def test_a_new_document_is_a_draft_that_asks_nobody(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = create_person(organization=kommun)

    document = new_document(actor, kommun)

    draft = documents.draft_of(document)
    assert draft is not None and draft.number == "1" and draft.body == ""
    assert not draft.is_published and draft.sequence is None and draft.sha256 is None
    assert documents.published(document) == []
    assert acknowledgements.tasks_for(reader, roles(reader)) == []
    assert acknowledgements.task_for(reader, roles(reader), document) is None
    assert library(Reader(reader, roles(reader), None)) == []
    [created] = events("document.created")
    assert created.object_id == str(document.id)
    assert created.actor_id == actor.id
    assert created.details["title"] == "Informationssäkerhetspolicy"


def test_publishing_freezes_the_exact_text_with_its_hash(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = create_person(organization=kommun)
    document = new_document(actor, kommun)
    body = "# Syfte\n\nÅtgärder mot   dubbla mellanslag\r\noch radslut.\n"
    decided = today() - timedelta(days=3)

    draft = documents.draft_of(document)
    documents.save_draft(actor, document, draft, draft_fields(body=body, decision_date=decided),
                         EVERYTHING)
    version = documents.publish(actor, document, draft, EVERYTHING)
    db.session.flush()

    assert version.sequence == 1
    assert version.sha256 == hashlib.sha256(body.encode("utf-8")).hexdigest()
    assert version.published_at is not None and version.published_by_id == actor.id
    assert version.valid_from == decided  # follows the decision when not given
    assert documents.draft_of(document) is None
    assert [v.id for v in documents.published(document)] == [version.id]
    [published] = events("document.published")
    assert published.object_id == str(version.id)
    assert published.details["sha256"] == version.sha256
    assert published.details["number"] == "1"

    with pytest.raises(DomainError, match="publicerad"):
        documents.save_draft(actor, document, version, draft_fields(body="Ändrad"), EVERYTHING)
    with pytest.raises(DomainError, match="publicerad"):
        documents.publish(actor, document, version, EVERYTHING)
    [reader_task] = acknowledgements.tasks_for(reader, roles(reader))
    assert reader_task.document.id == document.id and not reader_task.done
    assert reader_task.chain.current.id == version.id


def test_the_database_refuses_to_change_a_published_version(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    document = new_document(actor, kommun)
    version = publish(actor, document)
    draft = documents.start_draft(actor, document, EVERYTHING)
    db.session.flush()

    def stored(version_id: int) -> tuple:
        return db.session.execute(text(
            "SELECT number, body, sha256 FROM document_version WHERE id = :id"),
            {"id": version_id}).one()._tuple()

    original = stored(version.id)
    for statement in ("UPDATE document_version SET body = 'Förfalskad' WHERE id = :id",
                      "UPDATE document_version SET number = '9', sha256 = NULL WHERE id = :id",
                      "DELETE FROM document_version WHERE id = :id"):
        with pytest.raises(DatabaseError, match="frozen"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": version.id})
        assert stored(version.id) == original, statement

    with pytest.raises(DatabaseError, match="frozen"), db.session.begin_nested():
        version.body = "Ändrad via ORM"
        db.session.flush()
    db.session.expire_all()
    assert stored(version.id) == original

    # The draft is still a draft: it can be written.
    with db.session.begin_nested():
        changed = db.session.execute(text(
            "UPDATE document_version SET body = 'Nytt utkast' WHERE id = :id"), {"id": draft.id})
    assert changed.rowcount == 1
    assert stored(draft.id)[1] == "Nytt utkast"


def test_version_numbers_only_go_forwards(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    document = new_document(actor, kommun)
    publish(actor, document)
    publish(actor, document, BODY + "\nTillägg.\n", number="2")
    draft = documents.start_draft(actor, document, EVERYTHING)
    assert draft.number == "3"

    for backwards in ("1", "2", "1.9", "2.0"):
        with pytest.raises(DomainError) as error:
            documents.save_draft(actor, document, draft, draft_fields(
                number=backwards, change_summary="Ändrad"), EVERYTHING)
        assert "(2)" in refused(error, "number")
    for malformed in ("v2", "3a", "", "3.1.1", "-3"):
        with pytest.raises(DomainError) as error:
            documents.save_draft(actor, document, draft, draft_fields(
                number=malformed, change_summary="Ändrad"), EVERYTHING)
        assert "3.1" in refused(error, "number")

    documents.save_draft(actor, document, draft, draft_fields(
        number="2.1", change_kind="editorial", change_summary="Stavfel"), EVERYTHING)
    version = documents.publish(actor, document, draft, EVERYTHING)
    assert (version.number, version.sequence, version.change_kind) == (
        "2.1", 3, ChangeKind.EDITORIAL)


def test_bad_input_is_refused_and_names_its_field(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    with pytest.raises(DomainError) as error:
        documents.create(actor, settings(kommun, title="   "), EVERYTHING)
    refused(error, "title")
    assert count_of(Document) == 0

    document = new_document(actor, kommun)
    draft = documents.draft_of(document)
    with pytest.raises(DomainError) as error:
        documents.save_draft(actor, document, draft, draft_fields(
            decision_date=today() + timedelta(days=1)), EVERYTHING)
    refused(error, "decision_date")

    with pytest.raises(DomainError) as error:
        documents.save_draft(actor, document, draft, draft_fields(body="å" * (MAX_BODY + 1)),
                             EVERYTHING)
    refused(error, "body")
    longest = "ö" * (MAX_BODY - 1) + "\n"
    documents.save_draft(actor, document, draft, draft_fields(body=longest), EVERYTHING)
    assert len(draft.body) == MAX_BODY == 200_000

    documents.save_draft(actor, document, draft, draft_fields(body=longest, decided_by=""),
                         EVERYTHING)
    with pytest.raises(DomainError) as error:
        documents.publish(actor, document, draft, EVERYTHING)
    refused(error, "decided_by")
    documents.save_draft(actor, document, draft, draft_fields(body=longest, decision_date=None),
                         EVERYTHING)
    with pytest.raises(DomainError) as error:
        documents.publish(actor, document, draft, EVERYTHING)
    refused(error, "decision_date")
    documents.save_draft(actor, document, draft, draft_fields(body="  \n"), EVERYTHING)
    with pytest.raises(DomainError) as error:
        documents.publish(actor, document, draft, EVERYTHING)
    refused(error, "body")
    assert documents.published(document) == []

    documents.save_draft(actor, document, draft, draft_fields(body=longest), EVERYTHING)
    first = documents.publish(actor, document, draft, EVERYTHING)
    assert first.sha256 == hashlib.sha256(longest.encode()).hexdigest()

    second = documents.start_draft(actor, document, EVERYTHING)
    documents.save_draft(actor, document, second, draft_fields(number="2", change_summary=""),
                         EVERYTHING)
    with pytest.raises(DomainError) as error:
        documents.publish(actor, document, second, EVERYTHING)
    refused(error, "change_summary")
    assert [v.number for v in documents.published(document)] == ["1"]


def test_only_a_coordinator_covering_the_organization_manages_the_document(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    document = new_document(actor, kommun)
    draft = documents.draft_of(document)

    with pytest.raises(Forbidden):
        documents.create(actor, settings(kommun), only(bostader))
    with pytest.raises(Forbidden):
        documents.create(actor, settings(kommun), None)
    with pytest.raises(Forbidden):
        documents.save_draft(actor, document, draft, draft_fields(), only(bostader))
    with pytest.raises(Forbidden):
        documents.publish(actor, document, draft, only(bostader))
    documents.save_draft(actor, document, draft, draft_fields(), only(kommun))
    assert documents.publish(actor, document, draft, only(kommun)).sequence == 1


# -- major and editorial changes --------------------------------------------------------------

def test_suggested_numbers():
    assert suggested_number(None, ChangeKind.MAJOR) == "1"
    assert suggested_number("3", ChangeKind.MAJOR) == "4"
    assert suggested_number("3", ChangeKind.EDITORIAL) == "3.1"
    assert suggested_number("3.1", ChangeKind.EDITORIAL) == "3.2"
    assert suggested_number("3.1", ChangeKind.MAJOR) == "4"


def test_an_editorial_change_keeps_acknowledgements_and_a_major_one_asks_again(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = create_person(organization=kommun)
    idle = create_person(organization=kommun)
    document = new_document(actor, kommun)

    v1 = publish(actor, document, "Version ett.\n")
    first = acknowledge(reader, document, v1)
    assert task(reader, document).done

    v2 = publish(actor, document, "Version ett, stavfel rättat.\n", number="2",
                 change_kind=ChangeKind.EDITORIAL, summary="Stavfel rättat")
    now = task(reader, document)
    assert now.done and now.acknowledgement.id == first.id
    assert now.chain.current.id == v2.id and now.chain.base.id == v1.id
    assert now.chain.valid_ids == {v1.id, v2.id}
    assert not task(idle, document).done

    v3 = publish(actor, document, "Version tre med nya krav.\n", number="3",
                 change_kind=ChangeKind.MAJOR, summary="Nya krav på lösenord")
    now = task(reader, document)
    assert not now.done
    assert now.chain.base.id == v3.id and now.chain.valid_ids == {v3.id}
    assert now.due_on == local_time(v3.published_at).date() + timedelta(days=30)
    # The earlier kvittens stays, tied to the version it was given for.
    [kept] = acknowledgements.acknowledgements_of(reader, document)
    assert (kept.id, kept.version_id, kept.content_sha256) == (first.id, v1.id, v1.sha256)

    third = acknowledge(reader, document, v3)
    assert third.version_id == v3.id and third.content_sha256 == v3.sha256
    assert task(reader, document).done

    v31 = publish(actor, document, "Version tre med nya krav, förtydligad.\n", number="3.1",
                  change_kind=ChangeKind.EDITORIAL, summary="Förtydligande")
    now = task(reader, document)
    assert now.done and now.acknowledgement.id == third.id
    assert now.chain.base.id == v3.id and now.chain.valid_ids == {v3.id, v31.id}
    assert [a.version_id for a in acknowledgements.acknowledgements_of(reader, document)
            ] == [v3.id, v1.id]
    assert not task(idle, document).done


def test_the_first_version_counts_as_major_even_if_marked_editorial(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    document = new_document(actor, kommun)
    version = publish(actor, document, change_kind=ChangeKind.EDITORIAL)
    assert version.change_kind == ChangeKind.MAJOR
    assert Chain([version]).base.id == version.id


# -- acknowledgements -------------------------------------------------------------------------

def test_acknowledging_twice_keeps_one_row_and_one_event(app):
    kommun = create_organization()
    reader = create_person(organization=kommun)
    document = create_document(organization=kommun)
    version = document.versions[0]

    first = acknowledge(reader, document, version)
    again = acknowledge(reader, document, version)

    assert again.id == first.id
    assert count_of(Acknowledgement) == 1
    assert len(events("document.acknowledged")) == 1
    assert first.person_id == reader.id and first.document_id == document.id
    assert first.version_id == version.id and first.method == "web"
    assert first.content_sha256 == version.sha256 == hashlib.sha256(
        version.body.encode()).hexdigest()
    assert task(reader, document).acknowledgement.id == first.id


def test_an_acknowledgement_cannot_be_changed_or_deleted(app):
    kommun = create_organization()
    reader = create_person(organization=kommun)
    document = create_document(organization=kommun)
    other = create_document("Riktlinjer för informationssäkerhet", organization=kommun)
    ack = acknowledge(reader, document, document.versions[0])

    def stored() -> tuple:
        return db.session.execute(text(
            "SELECT person_id, version_id, content_sha256, acknowledged_at "
            "FROM acknowledgement WHERE id = :id"), {"id": ack.id}).one()._tuple()

    original = stored()
    attempts = [
        lambda: setattr(ack, "acknowledged_at", datetime(2020, 1, 1)),
        lambda: setattr(ack, "version_id", other.versions[0].id),
        lambda: setattr(ack, "content_sha256", "0" * 64),
        lambda: db.session.delete(ack),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            attempt()
            db.session.flush()
        db.session.expire_all()
        assert stored() == original
    for statement in ("UPDATE acknowledgement SET acknowledged_at = NULL WHERE id = :id",
                      "UPDATE acknowledgement SET content_sha256 = 'x' WHERE id = :id",
                      "DELETE FROM acknowledgement WHERE id = :id"):
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": ack.id})
        assert stored() == original, statement
    assert count_of(Acknowledgement) == 1
    assert task(reader, document).acknowledgement.id == ack.id


def test_an_adoption_decision_cannot_be_changed_or_deleted(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    document = create_document(organization=kommun)
    decision = adoptions.record(actor, document, bostader.id, "adopted", "Styrelsen",
                                today() - timedelta(days=3), "BO 2026/4", EVERYTHING)
    for statement in ("UPDATE document_adoption SET decided_by = 'Någon annan' WHERE id = :id",
                      "DELETE FROM document_adoption WHERE id = :id"):
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": decision.id})
    assert db.session.execute(text("SELECT decided_by FROM document_adoption WHERE id = :id"),
                              {"id": decision.id}).scalar_one() == "Styrelsen"


def test_acknowledging_a_superseded_version_points_to_the_current_one(app):
    kommun = create_organization()
    reader = create_person(organization=kommun)
    document = create_document(organization=kommun, number="3")
    old = document.versions[0]
    current = publish_version(document, "Ny text.\n", number="4")

    with pytest.raises(DomainError) as error:
        acknowledgements.acknowledge(reader, roles(reader), document, old.id)
    message = refused(error, None)
    assert "version 4" in message and "3" in message
    assert count_of(Acknowledgement) == 0
    assert acknowledge(reader, document, current).version_id == current.id


def test_a_withdrawn_document_is_no_longer_acknowledged(app):
    kommun = create_organization()
    actor = coordinator(kommun)
    reader = create_person(organization=kommun)
    document = create_document(organization=kommun)
    documents.withdraw(actor, document, "Ersatt av en ny policy", EVERYTHING)

    with pytest.raises(DomainError, match="upphävt"):
        acknowledgements.acknowledge(reader, roles(reader), document, document.versions[0].id)
    assert count_of(Acknowledgement) == 0
    assert acknowledgements.tasks_for(reader, roles(reader)) == []
    assert task(reader, document) is None
    with pytest.raises(DomainError, match="upphävt"):
        documents.start_draft(actor, document, EVERYTHING)


def test_a_document_that_does_not_apply_cannot_be_acknowledged(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    outsider = create_person(organization=bostader)
    reader = create_person(organization=kommun)
    document = create_document(organization=kommun)

    with pytest.raises(Forbidden):
        acknowledgements.acknowledge(outsider, roles(outsider), document,
                                     document.versions[0].id)
    assert count_of(Acknowledgement) == 0

    other = create_document("Rutin för incidenter", organization=kommun)
    with pytest.raises(NotFound):
        acknowledgements.acknowledge(reader, roles(reader), document, other.versions[0].id)
    actor = coordinator(kommun)
    draft = documents.start_draft(actor, document, EVERYTHING)
    with pytest.raises(NotFound):
        acknowledgements.acknowledge(reader, roles(reader), document, draft.id)
    assert count_of(Acknowledgement) == 0


# -- audiences over the demo group ------------------------------------------------------------

def organization(name: str) -> Organization:
    return db.session.scalars(select(Organization).where(Organization.name == name)).one()


def unit(path: str) -> OrgUnit:
    return db.session.scalars(select(OrgUnit).where(OrgUnit.path == path)).one()


def audience_of(rule: AudienceRule, adopted: dict[int, date] | None = None) -> Audience:
    return Audience.of(rule, UnitTree.load(), adopted)


def sql_ids(audience: Audience) -> set[int]:
    ids = set(db.session.scalars(select(Person.id).where(audience.condition())))
    assert count(audience) == len(ids)
    return ids


def active_ids(*where: object) -> set[int]:
    """Active people matching plain conditions, computed without the audience code."""
    return set(db.session.scalars(select(Person.id).outerjoin(OrgUnit, OrgUnit.id == Person.unit_id)
                                  .where(Person.active.is_(True), *where)))


def under(path: str) -> object:
    return or_(OrgUnit.path == path, OrgUnit.path.startswith(path + " / "))


def first_in(path: str) -> Person:
    return db.session.scalars(select(Person).join(OrgUnit, OrgUnit.id == Person.unit_id).where(
        OrgUnit.path == path, Person.active.is_(True)).order_by(Person.id)).first()


def test_a_unit_with_sub_units_includes_the_units_below(demo_people):
    social = unit("Socialtjänst")
    elderly = unit("Socialtjänst / Äldreomsorg")
    north = first_in("Socialtjänst / Äldreomsorg / Hemtjänst Norr")

    with_sub_units = audience_of(AudienceRule(unit_ids=(social.id,), include_sub_units=True))
    ids = sql_ids(with_sub_units)
    assert ids == active_ids(under("Socialtjänst"))
    assert north.id in ids and with_sub_units.matches(north, roles(north)) == (True, None)

    alone = audience_of(AudienceRule(unit_ids=(social.id,), include_sub_units=False))
    assert sql_ids(alone) == active_ids(OrgUnit.path == "Socialtjänst")
    assert north.id not in sql_ids(alone)
    assert alone.matches(north, roles(north)) == (False, None)

    elderly_all = sql_ids(audience_of(AudienceRule(unit_ids=(elderly.id,))))
    assert elderly_all == active_ids(under("Socialtjänst / Äldreomsorg"))
    assert len(elderly_all) > len(active_ids(OrgUnit.path == "Socialtjänst / Äldreomsorg")) > 0
    assert sql_ids(audience_of(AudienceRule(unit_ids=(elderly.id,), include_sub_units=False))
                   ) == active_ids(OrgUnit.path == "Socialtjänst / Äldreomsorg")


def test_kinds_narrow_the_audience(demo_people):
    kommun = organization(MUNICIPALITY)
    elected = audience_of(AudienceRule(organization_ids=(kommun.id,), kinds=("elected",)))
    ids = sql_ids(elected)
    expected = db.session.scalar(select(func.count()).select_from(Person).where(
        Person.organization_id == kommun.id, Person.kind == PersonKind.ELECTED,
        Person.active.is_(True)))
    assert expected > 0 and len(ids) == expected == count(elected)
    matched = db.session.scalars(select(Person).where(Person.id.in_(ids))).all()
    assert {p.kind for p in matched} == {PersonKind.ELECTED}

    board_everywhere = audience_of(AudienceRule(
        organization_ids=tuple(o.id for o in db.session.scalars(select(Organization))),
        kinds=("board",)))
    assert sql_ids(board_everywhere) == active_ids(Person.kind == PersonKind.BOARD)
    assert sql_ids(board_everywhere)


def test_roles_narrow_the_audience_to_system_owners_administrators_and_managers(demo_people):
    kommun = organization(MUNICIPALITY)
    owner = first_in("Verksamhetsstöd / IT-enheten")
    administrator = first_in("Verksamhetsstöd / Ekonomienheten")
    create_system("Ekonomisystemet", organization=kommun, owner=owner,
                  administrators=(administrator,))

    owners = audience_of(AudienceRule(organization_ids=(kommun.id,), roles=("system_owner",)))
    assert sql_ids(owners) == {owner.id}
    assert owners.matches(owner, roles(owner))[0]
    assert not owners.matches(administrator, roles(administrator))[0]
    administrators = audience_of(AudienceRule(organization_ids=(kommun.id,),
                                              roles=("system_administrator",)))
    assert sql_ids(administrators) == {administrator.id}
    both = audience_of(AudienceRule(organization_ids=(kommun.id,),
                                    roles=("system_owner", "system_administrator")))
    assert sql_ids(both) == {owner.id, administrator.id}

    managers = audience_of(AudienceRule(organization_ids=(kommun.id,), roles=("manager",)))
    with_reports = set(db.session.scalars(select(Person.manager_id).where(
        Person.active.is_(True), Person.manager_id.is_not(None))))
    expected = active_ids(Person.organization_id == kommun.id, Person.id.in_(with_reports))
    assert expected and sql_ids(managers) == expected
    manager = db.session.get(Person, min(expected))
    assert managers.matches(manager, roles(manager))[0]
    employee = db.session.scalars(select(Person).where(
        Person.organization_id == kommun.id, Person.active.is_(True),
        Person.id.not_in(expected))).first()
    assert not managers.matches(employee, roles(employee))[0]


def test_organizations_and_adoptions_in_the_audience(demo_people):
    kommun, bostader, energi = (organization(n) for n in (MUNICIPALITY, HOUSING, ENERGY))
    assert sql_ids(audience_of(AudienceRule(organization_ids=(bostader.id,)))) == active_ids(
        Person.organization_id == bostader.id)
    both = sql_ids(audience_of(AudienceRule(organization_ids=(bostader.id, energi.id))))
    assert both == active_ids(Person.organization_id.in_((bostader.id, energi.id)))
    assert not both & active_ids(Person.organization_id == kommun.id)

    since = today() - timedelta(days=40)
    adopted = audience_of(AudienceRule(organization_ids=(kommun.id,)), {energi.id: since})
    assert sql_ids(adopted) == active_ids(Person.organization_id.in_((kommun.id, energi.id)))
    engineer = db.session.scalars(select(Person).where(
        Person.organization_id == energi.id, Person.active.is_(True))).first()
    assert adopted.matches(engineer, roles(engineer)) == (True, since)


def test_an_empty_rule_matches_nobody(demo_people):
    nobody = audience_of(AudienceRule())
    assert count(nobody) == 0 and sql_ids(nobody) == set()
    everyone = db.session.scalars(select(Person)).all()
    assert everyone
    assert not any(nobody.matches(p, {Role.EMPLOYEE})[0] for p in everyone)
    only_kinds = audience_of(AudienceRule(kinds=("employee",), roles=("manager",)))
    assert count(only_kinds) == 0


def test_a_deactivated_person_never_matches(demo_people):
    bostader = organization(HOUSING)
    rule = AudienceRule(organization_ids=(bostader.id,))
    before = sql_ids(audience_of(rule))
    leaver = first_in("Uthyrning")
    assert leaver.id in before
    leaver.active = False
    leaver.deactivated_at = utcnow()
    db.session.flush()

    audience = audience_of(rule)
    assert sql_ids(audience) == before - {leaver.id}
    assert audience.matches(leaver, roles(leaver)) == (False, None)
    unit_rule = audience_of(AudienceRule(unit_ids=(leaver.unit_id,)))
    assert leaver.id not in sql_ids(unit_rule)
    assert not unit_rule.matches(leaver, roles(leaver))[0]


def test_the_rule_in_python_and_in_sql_agree_for_everyone(demo_people):
    kommun, bostader, energi = (organization(n) for n in (MUNICIPALITY, HOUSING, ENERGY))
    owner = first_in("Elnät")
    administrator = first_in("Utbildning / Förskola")
    create_system("Driftövervakning", organization=energi, owner=owner,
                  administrators=(administrator,))
    leaver = first_in("Socialtjänst / Äldreomsorg / Hemtjänst Söder")
    leaver.active = False
    db.session.flush()
    everyone = [(p, roles(p)) for p in db.session.scalars(select(Person))]

    rules = [
        (AudienceRule(unit_ids=(unit("Socialtjänst").id,), kinds=("employee",)), None),
        (AudienceRule(organization_ids=(bostader.id,),
                      unit_ids=(unit("Utbildning / Grundskola").id,), include_sub_units=False,
                      roles=("manager",)), None),
        (AudienceRule(organization_ids=(kommun.id,), kinds=("elected", "board")), None),
        (AudienceRule(organization_ids=(kommun.id,),
                      roles=("system_owner", "system_administrator")), None),
        (AudienceRule(unit_ids=(unit("Utbildning").id,)), {energi.id: today()}),
        (AudienceRule(organization_ids=(energi.id,), kinds=("board", "consultant")), None),
    ]
    for rule, adopted in rules:
        audience = audience_of(rule, adopted)
        in_python = {p.id for p, r in everyone if audience.matches(p, r)[0]}
        in_sql = sql_ids(audience)
        assert in_python == in_sql, rule
        assert 0 < len(in_sql) < len(everyone), rule
        assert leaver.id not in in_sql


def test_a_forged_rule_is_refused(app):
    kommun = create_organization()
    social = create_unit(kommun, "Socialtjänst")
    rule = parse_rule([str(kommun.id), kommun.id], [str(social.id)], False,
                      ["elected", "board", "elected"], ["manager"])
    assert rule == AudienceRule((kommun.id,), (social.id,), False, ("board", "elected"),
                                ("manager",))
    assert AudienceRule.from_json(rule.to_json()) == rule

    forged = [
        (([kommun.id + 1000], [], True, [], []), "organization_ids"),
        ((["kommun"], [], True, [], []), "organization_ids"),
        (([], [social.id + 1000], True, [], []), "unit_ids"),
        (([], ["1; DROP TABLE person"], True, [], []), "unit_ids"),
        (([kommun.id], [], True, ["admin"], []), "kinds"),
        (([kommun.id], [], True, [], ["coordinator"]), "roles"),
        (([kommun.id], [], True, [], ["admin"]), "roles"),
    ]
    for values, field in forged:
        with pytest.raises(DomainError) as error:
            parse_rule(*values)
        refused(error, field)


# -- adoption by companies --------------------------------------------------------------------

def test_a_company_adopts_a_municipality_document(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    tenant = joined(create_person(organization=bostader), LONG_AGO)
    document = create_document(organization=kommun,
                               published_at=utcnow() - timedelta(days=60))
    assert task(tenant, document) is None
    assert acknowledgements.tasks_for(tenant, roles(tenant)) == []

    decided = today() - timedelta(days=10)
    decision = adoptions.record(actor, document, bostader.id, "adopted",
                                "Styrelsen för Exempelby Bostäder AB", decided, "BO 2026/7",
                                EVERYTHING)
    assert decision.action == AdoptionAction.ADOPTED and decision.recorded_by_id == actor.id
    assert adoptions.adopted_since([document.id]) == {document.id: {bostader.id: decided}}
    now = task(tenant, document)
    assert now is not None and not now.done
    assert now.due_on == decided + timedelta(days=30)
    assert [t.document.id for t in acknowledgements.tasks_for(tenant, roles(tenant))
            ] == [document.id]
    acknowledge(tenant, document, document.versions[0])
    assert task(tenant, document).done
    [recorded] = events("document.adoption_adopted")
    assert recorded.details["organization"] == HOUSING

    adoptions.record(actor, document, bostader.id, "ended", "Styrelsen", today(), "BO 2026/9",
                     EVERYTHING)
    assert task(tenant, document) is None
    assert adoptions.adopted_since([document.id]) == {}
    assert [d.action for d in adoptions.history(document)] == [AdoptionAction.ENDED,
                                                               AdoptionAction.ADOPTED]


def test_an_adoption_before_publication_runs_from_the_publication(app):
    kommun = create_organization()
    energi = company(ENERGY)
    engineer = joined(create_person(organization=energi), LONG_AGO)
    published = utcnow() - timedelta(days=20)
    document = create_document(organization=kommun, published_at=published)
    adoptions.record(coordinator(kommun), document, energi.id, "adopted", "Styrelsen",
                     today() - timedelta(days=200), "", EVERYTHING)
    assert task(engineer, document).due_on == local_time(published).date() + timedelta(days=30)


def test_adoptions_that_are_not_allowed_are_refused(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    energi = company(ENERGY)
    actor = coordinator(kommun)
    document = create_document(organization=kommun)
    company_document = create_document("Bolagets policy", organization=bostader)
    past = today() - timedelta(days=2)

    cases = [
        ((document, bostader.id, "adopted", "Styrelsen", today() + timedelta(days=1)),
         "decision_date"),
        ((document, bostader.id, "adopted", "Styrelsen", None), "decision_date"),
        ((document, bostader.id, "adopted", "", past), "decided_by"),
        ((document, kommun.id, "adopted", "Kommunfullmäktige", past), "organization_id"),
        ((company_document, bostader.id, "adopted", "Styrelsen", past), "organization_id"),
        ((company_document, kommun.id, "adopted", "Kommunfullmäktige", past), "organization_id"),
        ((document, bostader.id, "ended", "Styrelsen", past), "action"),
        ((document, bostader.id, "forged", "Styrelsen", past), "action"),
        ((document, None, "adopted", "Styrelsen", past), "organization_id"),
    ]
    for (target, org_id, action, decided_by, decided_on), field in cases:
        with pytest.raises(DomainError) as error:
            adoptions.record(actor, target, org_id, action, decided_by, decided_on, "",
                             EVERYTHING)
        refused(error, field)
    with pytest.raises(Forbidden):
        adoptions.record(actor, document, bostader.id, "adopted", "Styrelsen", past, "",
                         only(energi))
    with pytest.raises(Forbidden):
        adoptions.record(actor, document, bostader.id, "adopted", "Styrelsen", past, "", None)
    assert count_of(DocumentAdoption) == 0
    assert adoptions.record(actor, document, bostader.id, "adopted", "Styrelsen", past, "",
                            only(bostader)).organization_id == bostader.id


def test_the_overview_shows_what_each_company_has_adopted(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    energi = company(ENERGY)
    actor = coordinator(kommun)
    policy = create_document("Informationssäkerhetspolicy", organization=kommun)
    create_document("Riktlinjer för informationssäkerhet", organization=kommun,
                    kind="guideline")
    own = create_document("Bostädernas rutin", organization=bostader, kind="routine")
    withdrawn = create_document("Gammal instruktion", organization=kommun)
    documents.withdraw(actor, withdrawn, "Inaktuell", EVERYTHING)
    new_document(actor, kommun, title="Bara ett utkast")
    adoptions.record(actor, policy, bostader.id, "adopted", "Styrelsen",
                     today() - timedelta(days=30), "BO 2026/2", EVERYTHING)

    overview = adoptions.overview(EVERYTHING)
    assert [c.organization.name for c in overview] == [HOUSING, ENERGY]
    housing, energy = overview
    assert [(d.title, decision.action if decision else None) for d, decision in housing.rows
            ] == [("Informationssäkerhetspolicy", AdoptionAction.ADOPTED),
                  ("Riktlinjer för informationssäkerhet", None)]
    assert housing.adopted_count == 1
    assert [(d.title, decision) for d, decision in energy.rows] == [
        ("Bostädernas rutin", None), ("Informationssäkerhetspolicy", None),
        ("Riktlinjer för informationssäkerhet", None)]
    assert energy.adopted_count == 0
    assert own.id not in {d.id for d, _ in housing.rows}

    assert [c.organization.name for c in adoptions.overview(only(energi))] == [ENERGY]
    assert adoptions.overview(only(kommun)) == []

    adoptions.record(actor, policy, bostader.id, "ended", "Styrelsen", today(), "", EVERYTHING)
    assert adoptions.overview(only(bostader))[0].adopted_count == 0


def test_a_re_adoption_keeps_the_original_since_date(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    tenant = joined(create_person(organization=bostader), LONG_AGO)
    document = create_document(organization=kommun,
                               published_at=utcnow() - timedelta(days=300))
    first_on = today() - timedelta(days=100)
    adoptions.record(actor, document, bostader.id, "adopted", "Styrelsen", first_on, "BO 1",
                     EVERYTHING)
    v2 = publish_version(document, "Ny lydelse.\n", number="2",
                         published_at=utcnow() - timedelta(days=200))
    again = adoptions.record(actor, document, bostader.id, "adopted", "Styrelsen",
                             today() - timedelta(days=10), "BO 2", EVERYTHING)

    assert again.version_id == v2.id  # the decision names the version current at the time
    assert adoptions.adopted_since([document.id])[document.id] == {bostader.id: first_on}
    assert task(tenant, document).due_on == first_on + timedelta(days=30)
    assert task(tenant, document).overdue

    adoptions.record(actor, document, bostader.id, "ended", "Styrelsen",
                     today() - timedelta(days=5), "BO 3", EVERYTHING)
    adoptions.record(actor, document, bostader.id, "adopted", "Styrelsen", today(), "BO 4",
                     EVERYTHING)
    assert adoptions.adopted_since([document.id])[document.id] == {bostader.id: today()}
    assert len(adoptions.history(document)) == 4


def test_an_end_dated_before_the_adoption_it_ends_is_refused(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    document = create_document(organization=kommun)
    adoptions.record(actor, document, bostader.id, "adopted", "Styrelsen",
                     today() - timedelta(days=10), "BO 1", EVERYTHING)

    with pytest.raises(DomainError) as refused:
        adoptions.record(actor, document, bostader.id, "ended", "Styrelsen",
                         today() - timedelta(days=20), "BO 2", EVERYTHING)

    assert refused.value.field == "decision_date"
    assert "före" in refused.value.message
    assert adoptions.adopted_since([document.id])[document.id] == {
        bostader.id: today() - timedelta(days=10)}
    assert len(adoptions.history(document)) == 1


# -- people who come later ---------------------------------------------------------------------

def test_people_who_join_later_get_the_task_from_when_they_joined(app):
    kommun = create_organization()
    published = utcnow() - timedelta(days=100)
    document = create_document(organization=kommun, published_at=published,
                               acknowledgement_days=30)
    veteran = joined(create_person(organization=kommun), LONG_AGO)
    unknown = joined(create_person(organization=kommun), None)
    newcomer = joined(create_person(organization=kommun), utcnow() - timedelta(days=5))

    fresh = task(newcomer, document)
    assert fresh is not None
    assert fresh.due_on == local_time(newcomer.created_at).date() + timedelta(days=30)
    assert not fresh.overdue

    old = task(veteran, document)
    assert old.due_on == local_time(published).date() + timedelta(days=30)
    assert old.due_on < today() and old.overdue
    assert task(unknown, document).due_on == old.due_on

    rows = {m.person_id: m for m in document_status.report(document, EVERYTHING).members}
    assert rows[newcomer.id].due_on == fresh.due_on and not rows[newcomer.id].overdue
    assert rows[veteran.id].due_on == old.due_on and rows[veteran.id].overdue


# -- the coordinator's follow-up --------------------------------------------------------------

def test_a_company_named_in_the_audience_is_followed_up_by_its_own_coordinator(app):
    kommun = create_organization()
    energi = company(ENERGY)
    lineworker = joined(create_person(display_name="Gustav Gran", organization=energi),
                        LONG_AGO)
    create_person(display_name="Anna Andersson", organization=kommun)
    document = create_document(organization=kommun,
                               audience={"organization_ids": [kommun.id, energi.id]})

    scoped = document_status.report(document, only(energi))

    assert [m.person_id for m in scoped.members] == [lineworker.id]
    with pytest.raises(Forbidden):
        document_status.report(document, only(company(HOUSING)))


def test_the_report_counts_per_organization_and_sector(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    energi = company(ENERGY)
    hamn = company("Exempelby Hamn AB")
    actor = coordinator(hamn)  # outside the audience
    elderly = create_unit(kommun, "Socialtjänst / Äldreomsorg")
    social = create_unit(kommun, "Socialtjänst")
    school = create_unit(kommun, "Utbildning / Förskola")
    letting = create_unit(bostader, "Uthyrning")

    def member(name: str, organization: Organization, place: OrgUnit | None) -> Person:
        return joined(create_person(display_name=name, organization=organization, unit=place),
                      LONG_AGO)

    anna = member("Anna Andersson", kommun, elderly)
    bo = member("Bo Berg", kommun, elderly)
    cecilia = member("Cecilia Carlsson", kommun, social)
    david = member("David Dahl", kommun, school)
    erik = member("Erik Ek", bostader, letting)
    frida = member("=HYPERLINK(\"http://x\") Frida", bostader, letting)
    gustav = member("Gustav Gran", energi, None)
    member("Harald Hamn", hamn, None)
    leaver = member("Ingrid Inaktiv", kommun, elderly)
    leaver.active = False

    document = create_document(organization=kommun, number="1",
                               published_at=utcnow() - timedelta(days=10))
    old = document.versions[0]
    acknowledge(bo, document, old)  # only the superseded major version
    for company_ in (bostader, energi):
        adoptions.record(actor, document, company_.id, "adopted", "Styrelsen",
                         today() - timedelta(days=20), "", EVERYTHING)
    current = publish_version(document, "Skärpta krav.\n", number="2")
    for person in (anna, david, erik):
        acknowledge(person, document, current)

    result = document_status.report(document, EVERYTHING)
    assert result.chain.current.id == current.id
    assert (result.total.total, result.total.done) == (7, 3)
    assert [(t.label, t.total, t.done) for t in result.organizations] == [
        (HOUSING, 2, 1), (ENERGY, 1, 0), (MUNICIPALITY, 4, 2)]
    assert [(t.label, t.total, t.done) for t in result.sectors] == [
        (f"{HOUSING} / Uthyrning", 2, 1), (ENERGY, 1, 0),
        (f"{MUNICIPALITY} / Socialtjänst", 3, 1), (f"{MUNICIPALITY} / Utbildning", 1, 1)]
    assert {m.person_id for m in result.missing} == {bo.id, cecilia.id, frida.id, gustav.id}
    done = {m.person_id: m for m in result.members if m.done_at}
    assert set(done) == {anna.id, david.id, erik.id}
    assert {m.detail for m in done.values()} == {"2"}
    assert result.total.percent == 43

    scoped = document_status.report(document, only(energi))
    assert [m.person_id for m in scoped.members] == [gustav.id]
    assert {m.person_id for m in document_status.report(document, only(kommun)).members} == {
        anna.id, bo.id, cecilia.id, david.id}
    with pytest.raises(Forbidden):
        document_status.report(document, only(hamn))
    with pytest.raises(Forbidden):
        document_status.report(document, None)

    lines = list(document_status.csv_lines(result))
    assert lines[0].startswith("\ufeffNamn;Användarnamn;Organisation;")
    rows = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1 + 7 and all(len(r) == 9 for r in rows)
    named = {r[0]: r for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\") Frida" in named
    assert not any(r[0].startswith("=") for r in rows)
    assert named["Anna Andersson"][2:4] == [MUNICIPALITY, "Socialtjänst / Äldreomsorg"]
    assert named["Anna Andersson"][5] == "Kvitterad" and named["Anna Andersson"][7] == "2"
    assert named["Bo Berg"][5:8] == ["Ej kvitterad", "", ""]


# -- the document library ---------------------------------------------------------------------

def test_the_library_finds_by_folded_text_and_filters(app):
    kommun = create_organization()
    bostader = company(HOUSING)
    actor = coordinator(kommun)
    reader = create_person(organization=kommun)
    outsider = create_person(organization=bostader)
    as_reader = Reader(reader, roles(reader), None)

    incidents = new_document(actor, kommun, title="Rutin för incidenter", kind="routine")
    publish(actor, incidents, "# Rutin\n\nRapportera incidenter.\n")
    publish(actor, incidents, "# Rutin\n\nRapportera incidenter.\n\n## Åtgärder\n\nStäng av.\n",
            number="2")
    policy = create_document("Informationssäkerhetspolicy", organization=kommun,
                             body="Ledningen ansvarar.")
    housing = create_document("Bostädernas instruktion", organization=bostader,
                              kind="instruction", body="Åtgärda fel i trapphus.")

    def titles(who: Reader, **filters: object) -> list[str]:
        return [e.document.title for e in library(who, **filters)]

    assert titles(as_reader) == ["Informationssäkerhetspolicy", "Rutin för incidenter"]
    for query in ("åtgärd", "ÅTGÄRDER", "åtgärder stäng", "incidenter ÅTGÄRD"):
        assert titles(as_reader, query=query) == ["Rutin för incidenter"], query
    assert titles(as_reader, query="åtgärd ledningen") == []
    assert titles(as_reader, query="POLICY") == ["Informationssäkerhetspolicy"]
    assert titles(as_reader, kind="routine") == ["Rutin för incidenter"]
    assert titles(as_reader, kind="guideline") == []
    assert titles(as_reader, organization_id=kommun.id) == [
        "Informationssäkerhetspolicy", "Rutin för incidenter"]

    as_outsider = Reader(outsider, roles(outsider), None)
    assert titles(as_outsider) == ["Bostädernas instruktion"]
    assert titles(as_outsider, query="åtgärd") == ["Bostädernas instruktion"]
    with pytest.raises(Forbidden):
        readable(as_outsider, policy)
    assert readable(as_reader, policy).current.id == policy.versions[0].id
    with pytest.raises(Forbidden):
        readable(as_reader, housing)
    everything = Reader(actor, roles(actor), EVERYTHING)
    assert len(titles(everything)) == 3

    documents.withdraw(actor, policy, "Ersatt", EVERYTHING)
    assert titles(as_reader) == ["Rutin för incidenter"]
    assert titles(as_reader, withdrawn=True) == ["Informationssäkerhetspolicy"]
    assert titles(as_reader, withdrawn=True, query="ledningen") == ["Informationssäkerhetspolicy"]


def test_the_diff_marks_removed_and_added_lines(app):
    kommun = create_organization()
    document = create_document(organization=kommun,
                               body="# Syfte\nRad ett\nRad två\nRad tre\n")
    newer = publish_version(document, "# Syfte\nRad ett\nRad 2\nRad tre\nRad fyra\n",
                            number="2")
    [hunk] = diff(document.versions[0], newer)
    assert [(line.change, line.text) for line in hunk] == [
        ("same", "# Syfte"), ("same", "Rad ett"), ("removed", "Rad två"), ("added", "Rad 2"),
        ("same", "Rad tre"), ("added", "Rad fyra")]
    assert diff(newer, newer) == []

