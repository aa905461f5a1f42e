"""Ledningens genomgång over HTTP: starting a draft for the group or a company, who may see
and start which, writing the texts (sanitised, checked), freezing the figures of that moment
so later changes do not touch them, the database refusing any change to a frozen review, the
Markdown export, and last year's frozen review beside this year's."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    Acknowledgement,
    AuditEvent,
    CompletionSource,
    ManagementReview,
    Organization,
    OrganizationKind,
    Person,
    PersonKind,
    Role,
    Training,
    TrainingCompletion,
)
from app.services import group_status
from app.services.system_access import CoordinatorScope
from tests.factories import (
    create_action_item,
    create_classification,
    create_document,
    create_organization,
    create_person,
    create_risk_analysis,
    create_system,
    create_training,
    create_unit,
    grant,
)
from tests.helpers import browser, html_of, moment_text, post, visible

YEAR = today().year
ENERGY = "Exempelby Energi AB"
EVERYTHING = CoordinatorScope(True, frozenset())
DUPLICATE = "Ledningens genomgång {year} för {scope} finns redan."
BAD_INCIDENTS = "Antalet incidenter ska vara ett heltal från 0 till 100 000, eller tomt."


def page_text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html_of(response), flags=re.S)
    return visible(html)


def table_rows(response, caption: str) -> list[str]:
    """The body rows of the table with this caption, as text."""
    match = re.search(rf"<caption[^>]*>{re.escape(caption)}</caption>(.*?)</table>",
                      html_of(response), re.S)
    assert match, caption
    body = match.group(1).split("<tbody>", 1)[1]
    return [visible(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def reviews() -> list[ManagementReview]:
    db.session.expire_all()
    return list(db.session.scalars(select(ManagementReview).order_by(ManagementReview.id)))


def audit_events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


class Group:
    """The municipality (with an elected official) and an energy company (with a board
    member), a policy and a training, systems, the group's coordinator, the company's
    coordinator and an employee."""

    def __init__(self, app) -> None:
        self.app = app
        self.municipality = create_organization()
        self.company = create_organization(ENERGY, OrganizationKind.COMPANY)
        care = create_unit(self.municipality, "Vård och omsorg / Hemtjänst")
        self.employee = create_person("eva", display_name="Eva Medarbetare",
                                      organization=self.municipality, unit=care)
        self.coordinator = create_person("sam", display_name="Sam Samordnare",
                                         organization=self.municipality)
        self.elected = create_person("olle", display_name="Olle Ledamot",
                                     organization=self.municipality, kind=PersonKind.ELECTED)
        self.company_coordinator = create_person("bo", display_name="Bo Bolagssamordnare",
                                                 organization=self.company)
        self.board = create_person("stina", display_name="Stina Styrelse",
                                   organization=self.company, kind=PersonKind.BOARD)
        grant(self.coordinator, Role.COORDINATOR)
        grant(self.company_coordinator, Role.COORDINATOR, self.company)
        self.policy = create_document(organization=self.municipality)
        create_document("Riktlinjer för e-post", organization=self.municipality,
                        requires_acknowledgement=False, decision_date=date(2020, 3, 1))
        self.training = self._training([self.municipality, self.company])
        for person in (self.elected, self.board):
            self.complete(person)
        journal = create_system("Journalsystem", organization=self.municipality,
                                welfare_technology=True, owner=self.employee)
        create_classification(journal)
        create_risk_analysis(journal)
        create_action_item(journal, due_on=today() - timedelta(days=5))
        create_classification(create_system("Ekonomisystem", organization=self.municipality,
                                            owner=self.employee))
        create_system("Driftövervakning", organization=self.company, owner=self.board)
        db.session.commit()
        self._clients: dict[int, FlaskClient] = {}

    def _training(self, organizations: list[Organization]) -> Training:
        return create_training(
            organization=self.municipality,
            audience={"organization_ids": [o.id for o in organizations]},
            starts_on=today() - timedelta(days=100), ends_on=today() + timedelta(days=100))

    def complete(self, person: Person) -> None:
        db.session.add(TrainingCompletion(
            training_id=self.training.id, person_id=person.id,
            completed_on=today() - timedelta(days=2), recorded_at=utcnow(),
            source=CompletionSource.SELF, recorded_by_id=person.id, note=""))
        db.session.flush()

    def acknowledge(self, person: Person) -> None:
        version = self.policy.versions[0]
        db.session.add(Acknowledgement(
            person_id=person.id, document_id=self.policy.id, version_id=version.id,
            content_sha256=version.sha256, acknowledged_at=utcnow(), method="web"))
        db.session.commit()

    def as_(self, person: Person) -> FlaskClient:
        if person.id not in self._clients:
            self._clients[person.id] = browser(self.app, person)
        return self._clients[person.id]

    def start(self, scope: Organization | None = None, year: int = YEAR,
              by: Person | None = None) -> ManagementReview:
        """A draft started through the page; returns the new review."""
        value = "group" if scope is None else f"org-{scope.id}"
        response = post(self.as_(by or self.coordinator), "/rapporter/",
                        {"year": str(year), "scope": value})
        assert response.status_code == 303, page_text(response)
        review_id = int(response.headers["Location"].rsplit("/", 1)[1])
        return db.session.get(ManagementReview, review_id)


@pytest.fixture
def group(app) -> Group:
    return Group(app)


def texts(**values: str) -> dict[str, str]:
    return {"previous_decisions": "", "issue_changes": "", "incidents": "",
            "incidents_note": "", "proposals": "", **values}


# -- starting a review -----------------------------------------------------------------

def test_the_group_coordinator_starts_a_group_review_and_a_company_board_report(group):
    client = group.as_(group.coordinator)
    form = page_text(client.get("/rapporter/"))
    assert "Ingen genomgång är påbörjad ännu." in form
    assert f'value="{YEAR}"' in html_of(client.get("/rapporter/"))

    whole = group.start()
    board = group.start(group.company)

    assert (whole.year, whole.scope_key, whole.organization_id) == (YEAR, "group", None)
    assert (board.scope_key, board.organization_id) == (f"org-{group.company.id}",
                                                        group.company.id)
    assert whole.created_by_id == group.coordinator.id and whole.frozen_at is None
    assert [(e.object_id, e.details) for e in audit_events("management_review.created")] == [
        (str(whole.id), {"year": YEAR, "scope": "group"}),
        (str(board.id), {"year": YEAR, "scope": f"org-{group.company.id}"})]
    listing = table_rows(client.get("/rapporter/"),
                         "Ledningens genomgångar i ditt ansvar, senaste året först")
    assert listing == [f"Ledningens genomgång {YEAR} – Koncernen Koncernen Utkast",
                       f"Ledningens genomgång {YEAR} – {ENERGY} {ENERGY} Utkast"]

    page = client.get(f"/rapporter/{whole.id}")
    assert page.status_code == 200
    assert f"<h1 id=\"review-title\">Ledningens genomgång {YEAR} – Koncernen</h1>" in \
        html_of(page)
    assert "Underlag till styrelsen" not in page_text(page)
    company_page = page_text(client.get(f"/rapporter/{board.id}"))
    assert f"Ledningens genomgång {YEAR} – {ENERGY} Underlag till styrelsen" in company_page


def test_a_second_review_for_the_same_year_and_scope_is_refused(group):
    group.start()
    group.start(group.company)
    client = group.as_(group.coordinator)

    for scope, label in (("group", "hela koncernen"), (f"org-{group.company.id}", ENERGY)):
        response = post(client, "/rapporter/", {"year": str(YEAR), "scope": scope})
        assert response.status_code == 422
        assert DUPLICATE.format(year=YEAR, scope=label) in page_text(response)
    for year in ("tjugotjugosex", "1999", str(YEAR + 2)):
        response = post(client, "/rapporter/", {"year": year, "scope": "group"})
        assert response.status_code == 422
        assert f"Ange ett årtal från 2000 till {YEAR + 1}." in page_text(response)
    assert len(reviews()) == 2
    # Another year of the same scope is a review of its own.
    assert group.start(year=YEAR - 1).year == YEAR - 1


# -- who may see and do what -----------------------------------------------------------

def test_a_company_coordinator_sees_and_starts_only_their_company_review(group):
    whole = group.start()
    municipal = group.start(group.municipality)
    client = group.as_(group.company_coordinator)

    index = client.get("/rapporter/")
    assert index.status_code == 200
    assert "Ingen genomgång är påbörjad ännu." in page_text(index)
    assert 'value="group"' not in html_of(index)
    assert f'value="org-{group.municipality.id}"' not in html_of(index)
    for scope in ("group", f"org-{group.municipality.id}"):
        assert post(client, "/rapporter/", {"year": str(YEAR), "scope": scope}
                    ).status_code == 403
    assert len(reviews()) == 2

    own = group.start(group.company, by=group.company_coordinator)
    assert [visible(r) for r in re.findall(r'<th scope="row">(.*?)</th>',
                                           html_of(client.get("/rapporter/")), re.S)] == [
        f"Ledningens genomgång {YEAR} – {ENERGY}"]
    assert client.get(f"/rapporter/{own.id}").status_code == 200
    for other in (whole, municipal):
        assert client.get(f"/rapporter/{other.id}").status_code == 403
        assert client.get(f"/rapporter/{other.id}.md").status_code == 403
        assert post(client, f"/rapporter/{other.id}",
                    texts(proposals="Inte mitt")).status_code == 403
        assert post(client, f"/rapporter/{other.id}/faststall", {}).status_code == 403
    assert all(r.proposals == "" and r.frozen_at is None for r in reviews())


def test_someone_who_is_not_a_coordinator_gets_403_and_a_missing_review_404(group):
    review = group.start()
    client = group.as_(group.employee)
    assert client.get("/rapporter/").status_code == 403
    assert post(client, "/rapporter/", {"year": str(YEAR), "scope": "group"}).status_code == 403
    assert client.get(f"/rapporter/{review.id}").status_code == 403
    assert client.get(f"/rapporter/{review.id}.md").status_code == 403
    assert post(client, f"/rapporter/{review.id}", texts(proposals="x")).status_code == 403
    assert post(client, f"/rapporter/{review.id}/faststall", {}).status_code == 403
    assert len(reviews()) == 1 and reviews()[0].frozen_at is None
    assert "Rapporter" not in page_text(client.get("/"))

    coordinator = group.as_(group.coordinator)
    assert coordinator.get(f"/rapporter/{review.id + 1000}").status_code == 404
    assert post(coordinator, f"/rapporter/{review.id + 1000}/faststall", {}).status_code == 404


# -- the draft's texts -----------------------------------------------------------------

def test_the_coordinator_writes_the_texts_and_markdown_is_sanitised(group):
    review = group.start()
    client = group.as_(group.coordinator)
    response = post(client, f"/rapporter/{review.id}", texts(
        previous_decisions="**Beslut 1** är genomfört.\n\n<script>alert(1)</script>",
        issue_changes="- Ny lag om cybersäkerhet",
        incidents="12", incidents_note="Från kommunens ärendesystem.",
        proposals="Utbilda <b onclick=x>styrelserna</b>."))
    assert response.status_code == 303

    stored = reviews()[0]
    assert stored.incidents == 12 and stored.issue_changes == "- Ny lag om cybersäkerhet"
    page = client.get(f"/rapporter/{review.id}")
    html = html_of(page)
    assert "<strong>Beslut 1</strong> är genomfört." in html
    assert "<li>Ny lag om cybersäkerhet</li>" in html
    assert "<script>alert" not in html and "onclick" not in html.replace("onclick=x&gt;", "")
    assert "<b " not in html
    assert "Antal incidenter: 12." in page_text(page)
    assert "Från kommunens ärendesystem." in page_text(page)
    [event] = audit_events("management_review.updated")
    assert event.details["fields"] == ["incidents", "incidents_note", "issue_changes",
                                       "previous_decisions", "proposals"]


@pytest.mark.parametrize("value", ["tolv", "-1", "100001", "1,5"])
def test_a_bad_number_of_incidents_is_refused_and_nothing_is_saved(group, value):
    review = group.start()
    client = group.as_(group.coordinator)
    response = post(client, f"/rapporter/{review.id}",
                    texts(incidents=value, proposals="Ny text som inte ska sparas"))
    assert response.status_code == 422
    assert BAD_INCIDENTS in page_text(response)
    assert 'aria-invalid="true"' in html_of(response)
    assert "Ny text som inte ska sparas" in html_of(response)  # kept in the form to correct
    stored = reviews()[0]
    assert stored.incidents is None and stored.proposals == ""
    assert audit_events("management_review.updated") == []


def test_a_text_over_20000_characters_is_refused(group):
    review = group.start()
    response = post(group.as_(group.coordinator), f"/rapporter/{review.id}",
                    texts(issue_changes="x" * 20_001, incidents="3"))
    assert response.status_code == 422
    assert "får vara högst 20000 tecken" in page_text(response)
    assert reviews()[0].incidents is None and reviews()[0].issue_changes == ""
    assert post(group.as_(group.coordinator), f"/rapporter/{review.id}",
                texts(issue_changes="x" * 20_000)).status_code == 303


# -- freezing --------------------------------------------------------------------------

def test_freezing_stores_the_figures_as_they_are_at_that_moment(group):
    review = group.start()
    client = group.as_(group.coordinator)
    draft = client.get(f"/rapporter/{review.id}")
    assert "Utkast Preliminära siffror, beräknade" in page_text(draft)
    assert 'hidden>UTKAST</p>' in html_of(draft)
    expected = group_status.as_figures(group_status.build(EVERYTHING))

    response = post(client, f"/rapporter/{review.id}/faststall", {})
    assert response.status_code == 303

    db.session.expire_all()
    stored = db.session.get(ManagementReview, review.id)
    assert stored.figures == expected
    assert stored.frozen_by_id == group.coordinator.id and stored.frozen_at is not None
    assert [e.object_id for e in audit_events("management_review.frozen")] == [str(review.id)]
    page = client.get(f"/rapporter/{review.id}")
    assert (f"Fastställd {moment_text(stored.frozen_at)} av Sam Samordnare"
            in page_text(page))
    assert "Spara texterna" not in page_text(page) and "faststall" not in html_of(page)
    assert "Preliminära siffror" not in page_text(page)


def test_the_company_report_is_frozen_with_the_company_figures_only(group):
    # The group's coordinator freezes it: the figures are the company's, not their scope's.
    review = group.start(group.company)
    scope = CoordinatorScope(False, frozenset({group.company.id}))
    expected = group_status.as_figures(group_status.build(scope))
    assert post(group.as_(group.coordinator), f"/rapporter/{review.id}/faststall",
                {}).status_code == 303
    db.session.expire_all()
    assert db.session.get(ManagementReview, review.id).figures == expected
    assert expected["systems"]["systems"] == 1 and expected["total"]["people"] == 2


def test_new_acknowledgements_do_not_change_a_frozen_report(group):
    frozen = group.start(group.municipality)
    client = group.as_(group.coordinator)
    post(client, f"/rapporter/{frozen.id}/faststall", {})
    caption = "Andel som har kvitterat, per styrdokument"
    assert table_rows(client.get(f"/rapporter/{frozen.id}"), caption) == [
        "Informationssäkerhetspolicy 0 % (0 av 3)"]

    group.acknowledge(group.employee)
    group.acknowledge(group.elected)

    assert table_rows(client.get(f"/rapporter/{frozen.id}"), caption) == [
        "Informationssäkerhetspolicy 0 % (0 av 3)"]
    assert "| Informationssäkerhetspolicy | – |" not in client.get(
        f"/rapporter/{frozen.id}.md").get_data(as_text=True)
    assert "| Informationssäkerhetspolicy | 0 % (0 av 3) |" in client.get(
        f"/rapporter/{frozen.id}.md").get_data(as_text=True)
    draft = group.start()
    assert table_rows(client.get(f"/rapporter/{draft.id}"), caption) == [
        "Informationssäkerhetspolicy 67 % (2 av 3)"]


def test_a_frozen_review_refuses_new_texts_and_a_second_freeze(group):
    review = group.start()
    client = group.as_(group.coordinator)
    post(client, f"/rapporter/{review.id}", texts(proposals="Före fastställandet"))
    post(client, f"/rapporter/{review.id}/faststall", {})
    before = reviews()[0]
    frozen_at, figures = before.frozen_at, before.figures

    response = post(client, f"/rapporter/{review.id}", texts(proposals="Efteråt"))
    assert response.status_code == 409
    assert "Genomgången är fastställd och kan inte längre ändras." in page_text(response)
    assert 'id="error-message"' in html_of(response)
    response = post(client, f"/rapporter/{review.id}/faststall", {})
    assert response.status_code == 409
    assert "Genomgången är redan fastställd." in page_text(response)
    after = reviews()[0]
    assert (after.proposals, after.frozen_at, after.figures) == ("Före fastställandet",
                                                                 frozen_at, figures)
    assert len(audit_events("management_review.frozen")) == 1


def test_the_database_refuses_to_change_or_delete_a_frozen_review(group):
    draft = group.start(group.company)
    frozen = group.start()
    post(group.as_(group.coordinator), f"/rapporter/{frozen.id}/faststall", {})

    def stored(review_id: int) -> tuple:
        return db.session.execute(text(
            "SELECT proposals, frozen_at, incidents FROM management_review WHERE id = :id"),
            {"id": review_id}).one()._tuple()

    original = stored(frozen.id)
    for statement in ("UPDATE management_review SET proposals = 'Ändrad' WHERE id = :id",
                      "UPDATE management_review SET frozen_at = NULL WHERE id = :id",
                      "UPDATE management_review SET figures = '{}' WHERE id = :id",
                      "DELETE FROM management_review WHERE id = :id"):
        with pytest.raises(DatabaseError, match="frozen management_review"), \
                db.session.begin_nested():
            db.session.execute(text(statement), {"id": frozen.id})
        assert stored(frozen.id) == original, statement

    with db.session.begin_nested():
        db.session.execute(text("UPDATE management_review SET proposals = 'Utkast', "
                                "incidents = 4 WHERE id = :id"), {"id": draft.id})
    assert stored(draft.id)[0::2] == ("Utkast", 4)
    with db.session.begin_nested():
        db.session.execute(text("DELETE FROM management_review WHERE id = :id"),
                           {"id": draft.id})
    assert db.session.scalar(select(func.count()).select_from(ManagementReview)) == 1


# -- the report's content, Markdown and comparison -------------------------------------

def test_the_report_shows_the_figures_in_the_order_of_9_3(group):
    review = group.start()
    group.acknowledge(group.employee)
    page = group.as_(group.coordinator).get(f"/rapporter/{review.id}")
    words = page_text(page)
    headings = ["1 Inledning och omfattning", "2 Status för beslut från föregående genomgång",
                "3 Förändringar i externa och interna frågor",
                "4 Informationssäkerhetens resultat", "4.1 Styrdokument och översyn",
                "4.2 Kvittenser av styrdokument", "4.3 Utbildning per grupp",
                "4.4 Informationsklassning och riskanalys", "4.5 Välfärdsteknik",
                "4.6 Checklistor per roll", "4.7 Handlingsplaner", "4.8 Incidenter",
                "5 Förslag till förbättringar"]
    positions = [words.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "6 Jämförelse med föregående år" not in words
    assert ("9.3, för hela koncernen år " + str(YEAR) + ". Underlaget omfattar 5 personer i "
            "portalen.") in words
    assert "1 styrdokument i kraft kräver kvittens. 1 styrdokument har passerat sitt " \
           "översynsdatum." in words
    assert table_rows(page, "Styrdokument som skulle ha setts över") == [
        "Riktlinjer för e-post 2021-03-01"]
    assert table_rows(page, "Genomförda utbildningar per grupp") == [
        "Medarbetare 3 0 % (0 av 3)", "Förtroendevalda 1 100 % (1 av 1)",
        "Styrelseledamöter 1 100 % (1 av 1)"]
    assert table_rows(page, "Kvittenser per grupp")[0] == "Medarbetare 3 50 % (1 av 2)"
    assert ("Av 3 system är 2 klassade (0 godkända), 1 har handlingsplan och 1 är "
            "riskanalyserade.") in words
    assert "Välfärdsteknik: 1 system, varav 1 riskanalyserade." in words
    assert "Öppna åtgärder i handlingsplanerna: 1, varav försenade: 1." in words
    assert "Antal incidenter: inte angivet." in words
    assert "Incidentrapportering finns ännu inte i portalen" in words
    assert 'media="print" href="/static/css/print.css"' in html_of(page)


def test_the_markdown_export_has_the_headings_and_the_figures(group):
    review = group.start()
    client = group.as_(group.coordinator)
    post(client, f"/rapporter/{review.id}", texts(proposals="Inför MFA i hela koncernen.",
                                                  incidents="7"))
    response = client.get(f"/rapporter/{review.id}.md")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="ledningens-genomgang-{YEAR}-koncernen.md"')
    body = response.get_data(as_text=True)
    assert body.startswith(f"# Ledningens genomgång {YEAR} – Koncernen\n")
    assert "**UTKAST – preliminära siffror, beräknade" in body
    for heading in ("## 1 Inledning och omfattning",
                    "## 2 Status för beslut från föregående genomgång",
                    "## 4 Informationssäkerhetens resultat", "### 4.3 Utbildning per grupp",
                    "### 4.8 Incidenter", "## 5 Förslag till förbättringar"):
        assert f"\n{heading}\n" in body
    assert "| Förtroendevalda | 1 | 100 % (1 av 1) |" in body
    assert "| Informationssäkerhetspolicy | 0 % (0 av 3) |" in body
    assert "Av 3 system är 2 klassade (0 godkända), 1 har handlingsplan" in body
    assert "Antal incidenter: 7." in body
    assert "Inför MFA i hela koncernen." in body

    board = group.start(group.company)
    company = client.get(f"/rapporter/{board.id}.md")
    assert f'filename="ledningens-genomgang-{YEAR}-exempelby-energi-ab.md"' in \
        company.headers["Content-Disposition"]
    assert "*Underlag till styrelsen*" in company.get_data(as_text=True)


def test_last_years_frozen_review_appears_beside_this_years(group):
    client = group.as_(group.coordinator)
    last = group.start(year=YEAR - 1)
    post(client, f"/rapporter/{last.id}", texts(incidents="7", proposals="Inför **MFA**."))
    post(client, f"/rapporter/{last.id}/faststall", {})
    # A draft of last year for another scope is nothing to compare with.
    group.start(group.company, year=YEAR - 1)
    this = group.start()
    post(client, f"/rapporter/{this.id}", texts(incidents="3"))
    group.complete(group.employee)
    db.session.commit()

    page = client.get(f"/rapporter/{this.id}")
    # Last year's proposals beside the form, for writing the status of those decisions.
    assert f"Förslagen i genomgången för {YEAR - 1} Inför MFA ." in page_text(page)
    rows = table_rows(page, f"Jämförelse mellan {YEAR} och {YEAR - 1}")
    assert "Incidenter 3 7" in rows
    assert "Klassade system 2 2" in rows
    assert "Utbildning: Medarbetare 33 % (1 av 3) 0 % (0 av 3)" in rows
    assert "Utbildning: Styrelseledamöter 100 % (1 av 1) 100 % (1 av 1)" in rows
    body = client.get(f"/rapporter/{this.id}.md").get_data(as_text=True)
    assert f"## 6 Jämförelse med föregående år\n\n| Mått | {YEAR} | {YEAR - 1} |" in body
    assert "| Incidenter | 3 | 7 |" in body
    company = client.get(f"/rapporter/{group.start(group.company).id}")
    assert "6 Jämförelse med föregående år" not in page_text(company)


def test_the_report_page_needs_the_same_number_of_queries_however_much_data(
        group, count_queries):
    path = f"/rapporter/{group.start().id}"
    client = group.as_(group.coordinator)
    client.get(path)
    with count_queries() as before:
        assert client.get(path).status_code == 200
    for n in range(15):
        person = create_person(f"ny{n}", organization=group.company,
                               kind=PersonKind.BOARD if n % 2 else PersonKind.EMPLOYEE)
        group.complete(person)
        create_classification(create_system(f"Nytt system {n}", organization=group.company))
    group.acknowledge(group.employee)
    with count_queries() as after:
        page = client.get(path)
    assert "Styrelseledamöter 8 100 % (8 av 8)" in table_rows(
        page, "Genomförda utbildningar per grupp")
    assert after.count == before.count
