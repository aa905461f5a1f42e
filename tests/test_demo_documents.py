"""The demo documents: loaded once over the demo directory and systems, with the figures a
coordinator follows up, computed through the same services the pages use."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (
    Acknowledgement,
    AuditEvent,
    Document,
    DocumentAdoption,
    DocumentVersion,
    Organization,
    Person,
    Role,
)
from app.services import acknowledgements, adoptions, document_status, people
from app.services.markdown_render import sha256_of
from app.services.system_access import CoordinatorScope
from app.text import fold
from demo.documents import load_demo_documents
from demo.systems import load_demo_systems

TODAY = date(2026, 11, 23)
EVERYTHING = CoordinatorScope(True, frozenset())

POLICY = "Informationssäkerhetspolicy"
GUIDELINES = "Riktlinjer för informationssäkerhet"
INCIDENTS = "Rutin för hantering av informationssäkerhetsincidenter"
CLASSIFICATION = "Instruktion för informationsklassning"
REMOTE_WORK = "Instruktion för distansarbete"

# Audience, acknowledged, overdue: the figures in demo/documents.py's docstring.
FIGURES = {
    POLICY: (302, 189, 113),
    GUIDELINES: (262, 140, 122),
    INCIDENTS: (277, 68, 0),
    CLASSIFICATION: (98, 45, 53),
    REMOTE_WORK: (17, 6, 11),
}
# The share acknowledged (percent) that makes the demo look like a real follow-up.
BANDS = {POLICY: (55, 75), GUIDELINES: (45, 65), INCIDENTS: (15, 35),
         CLASSIFICATION: (35, 60), REMOTE_WORK: (25, 55)}


def _load() -> int:
    """The systems first (they make the system owners and administrators), then the
    documents. These count back from the real today, not TODAY: the services compare
    due dates with the real today, so the overdue figures hold on any day."""
    load_demo_systems(TODAY)
    return load_demo_documents(clock.today())


def _documents() -> dict[str, Document]:
    return {d.title: d for d in db.session.scalars(select(Document))}


def _person(username: str) -> Person:
    return db.session.scalars(select(Person).where(Person.username == username,
                                                   Person.active)).one()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_coordinator_sees_a_realistic_follow_up(demo_people):
    assert _load() == 5
    documents = _documents()
    assert set(documents) == set(FIGURES)
    reports = {title: document_status.report(d, EVERYTHING) for title, d in documents.items()}

    for title, (audience, done, overdue) in FIGURES.items():
        result = reports[title]
        low, high = BANDS[title]
        assert result.total.total == audience > 0, title
        assert result.total.done == done, title
        assert low <= result.total.percent <= high, title
        assert sum(m.overdue for m in result.members) == overdue, title

    # The fresh incident routine: nobody's 30 days have run out yet.
    today = clock.today()
    assert all(m.due_on > today for m in reports[INCIDENTS].members)

    # The policy reaches elected officials and board members, who acknowledge far less.
    policy = reports[POLICY]
    by_kind: dict[str, list[bool]] = {}
    for member in policy.members:
        by_kind.setdefault(member.kind, []).append(member.done_at is not None)
    assert set(by_kind) == {"Medarbetare", "Konsulter", "Förtroendevalda", "Styrelseledamöter"}
    staff = by_kind["Medarbetare"] + by_kind["Konsulter"]
    political = by_kind["Förtroendevalda"] + by_kind["Styrelseledamöter"]
    assert sum(political) / len(political) < 0.45 < 0.6 < sum(staff) / len(staff)
    assert {t.label for t in policy.organizations} == {
        "Exempelby kommun", "Exempelby Bostäder AB", "Exempelby Energi AB"}

    # Some acknowledged only version 1: the major version 2 asks them again.
    first, second, _editorial = policy.chain.versions
    assert [v.number for v in policy.chain.versions] == ["1", "2", "2.1"]
    assert policy.chain.base.id == second.id
    only_first = set(db.session.scalars(select(Acknowledgement.person_id).where(
        Acknowledgement.version_id == first.id))) - {
        m.person_id for m in policy.members if m.done_at is not None}
    missing = {m.person_id: m for m in policy.missing}
    assert len(only_first) == 24
    assert only_first <= set(missing)
    assert all(missing[p].overdue for p in only_first)
    # Both version 2 and the editorial 2.1 count.
    assert {m.detail for m in policy.members if m.done_at} == {"2", "2.1"}


def test_the_companies_adopted_the_policy_with_their_own_decisions(demo_people):
    _load()
    today = clock.today()
    documents = _documents()
    names = {o.id: o.name for o in db.session.scalars(select(Organization))}
    since = {names[org]: day for org, day in
             adoptions.adopted_since([documents[POLICY].id])[documents[POLICY].id].items()}
    assert set(since) == {"Exempelby Bostäder AB", "Exempelby Energi AB"}
    # Bostäder's re-adoption of version 2 does not restart its period; Energi adopted
    # the policy this past year.
    assert since["Exempelby Bostäder AB"] < today - timedelta(days=2 * 365)
    assert today - timedelta(days=365) < since["Exempelby Energi AB"] < today
    decisions = adoptions.history(documents[POLICY])
    assert [(d.organization.name, d.version.number) for d in decisions] == [
        ("Exempelby Energi AB", "2"), ("Exempelby Bostäder AB", "2"),
        ("Exempelby Bostäder AB", "1")]
    assert all(d.decided_by == f"Styrelsen för {d.organization.name}" for d in decisions)
    assert all(d.reference for d in decisions)

    guidelines = adoptions.adopted_since([documents[GUIDELINES].id])[documents[GUIDELINES].id]
    assert {names[org] for org in guidelines} == {"Exempelby Bostäder AB"}


def test_each_person_sees_the_documents_that_apply_to_them(demo_people):
    _load()
    # A municipal employee in Kommunledning / Kansli who owns systems: all five, newest first.
    ahmed = _person("ahmed.fredriksson")
    roles = people.roles_of(ahmed)
    assert Role.SYSTEM_OWNER in roles
    tasks = acknowledgements.tasks_for(ahmed, roles)
    assert [t.document.title for t in tasks] == [
        INCIDENTS, REMOTE_WORK, POLICY, CLASSIFICATION, GUIDELINES]
    policy = tasks[2]
    assert policy.chain.current.number == "2.1"
    assert policy.due_on == (clock.local_time(policy.chain.base.published_at).date()
                             + timedelta(days=30))

    # A Bostäder employee who owns a system: the adopted documents, the routine and the
    # classification instruction, not the instruction for Kommunledning.
    johanna = _person("johanna.hedlund")
    assert {t.document.title for t in acknowledgements.tasks_for(
        johanna, people.roles_of(johanna))} == {POLICY, GUIDELINES, INCIDENTS, CLASSIFICATION}

    # A board member of Energi: only the policy, due from the company's adoption.
    board = _person("lena.yilmaz")
    tasks = acknowledgements.tasks_for(board, people.roles_of(board))
    assert [t.document.title for t in tasks] == [POLICY]


def test_the_rows_are_whole_and_consistent(demo_people):
    _load()
    today = clock.today()
    now = clock.utcnow()
    # The demo staff have been employed for years, so their periods run from publication.
    assert {p.created_at.date() for p in db.session.scalars(select(Person))} == {
        today - timedelta(days=4 * 365)}

    versions = {v.id: v for v in db.session.scalars(select(DocumentVersion))}
    assert all(v.sequence and v.published_at and v.sha256 == sha256_of(v.body)
               and v.decided_by and v.decision_date <= v.published_at.date()
               for v in versions.values())
    for ack in db.session.scalars(select(Acknowledgement)):
        version = versions[ack.version_id]
        assert version.document_id == ack.document_id
        assert version.published_at < ack.acknowledged_at < now
        assert ack.content_sha256 == version.sha256
        assert ack.method == "web"
    # Nobody in a company acknowledged before the company adopted the document.
    adopted = adoptions.adopted_since()
    for ack, organization_id in db.session.execute(
            select(Acknowledgement, Person.organization_id).join(Person)):
        since = adopted.get(ack.document_id, {}).get(organization_id)
        if since is not None:
            assert ack.acknowledged_at.date() > since

    for document in _documents().values():
        current = max(document.versions, key=lambda v: v.sequence)
        assert document.search_text == fold(f"{document.title} {current.body}")
    assert "lis-portalen" in _documents()[POLICY].search_text  # only in version 2.1

    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "document.demo_loaded"))
    assert event.details == {"documents": 5, "versions": 7, "adoptions": 4,
                             "acknowledgements": _count(Acknowledgement)}


def test_loading_again_adds_nothing(demo_people):
    assert _load() == 5
    counts = [_count(m) for m in (Document, DocumentVersion, DocumentAdoption, Acknowledgement)]
    assert load_demo_documents(clock.today()) == 0
    assert [_count(m) for m in (Document, DocumentVersion, DocumentAdoption,
                                Acknowledgement)] == counts
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.action == "document.demo_loaded")) == 1
