"""The coordinator's group view ("Samordning") over HTTP: the figures per organization and
sector, per document and training, per person kind, per checklist role and of the system
register, the documents due for review; a company's coordinator seeing only their company;
narrowing to one organization; the people behind a figure with their status per
requirement, the limit and the CSV — and a number of queries that does not grow with the
number of people or systems."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
import uuid
from datetime import date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    Acknowledgement,
    AuditEvent,
    ChecklistAssignment,
    ChecklistRole,
    ChecklistTemplate,
    CompletionSource,
    Document,
    Organization,
    OrganizationKind,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    Role,
    Training,
    TrainingCompletion,
)
from app.services import checklist_assignments, checklists
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
from tests.helpers import browser, html_of, visible

ENERGY = "Exempelby Energi AB"
MUNICIPALITY = "Exempelby kommun"
LONG_AGO = datetime(2020, 1, 1, 8, 0)
PLACES = ("Andel kvitterade styrdokument och genomförda utbildningar, per organisation och "
          "dess sektorer")
PER_REQUIREMENT = "Andel klara per styrdokument och utbildning; namnet leder till dess uppföljning"
PER_KIND = ("Andel genomförda utbildningar för medarbetare, konsulter, förtroendevalda och "
            "styrelseledamöter")
SYSTEMS = "Systemregistrets täckning per organisation (avvecklade system räknas inte)"
REVIEWS = "Gällande styrdokument vars översynsdatum har passerat"
MATRIX = "Status per styrdokument och utbildning"


# -- helpers ---------------------------------------------------------------------------

def shown(html: str) -> str:
    """What a sighted reader sees of an HTML fragment: no SVG, no visually hidden text."""
    html = re.sub(r"<svg\b.*?</svg>", " ", html, flags=re.S)
    html = re.sub(r'<span class="visually-hidden">.*?</span>', " ", html, flags=re.S)
    return visible(html)


def table_of(response, caption: str) -> str:
    match = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>",
                      html_of(response), re.S)
    assert match, caption
    return match.group(1)


def rows_of(response, caption: str) -> list[str]:
    """The body rows of the table with this caption, as a sighted reader sees them."""
    body = table_of(response, caption).split("</thead>", 1)[1]
    return [shown(row) for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body, re.S)]


def link_in(response, caption: str, row_start: str, column: int) -> str:
    """Where the link in a cell leads: the row whose visible text starts with `row_start`,
    the `column`-th cell after the row header (0-based)."""
    body = table_of(response, caption).split("</thead>", 1)[1]
    for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body, re.S):
        if shown(row).startswith(row_start):
            cell = re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)[column]
            match = re.search(r'<a href="([^"]+)"', cell)
            assert match, cell
            return html_lib.unescape(match.group(1))
    raise AssertionError(row_start)


def listed(response) -> dict[str, str]:
    """The people of a list behind a figure: name → the rest of their row."""
    body = table_of(response, MATRIX).split("</thead>", 1)[1]
    return {shown(name): shown(rest) for name, rest in re.findall(
        r'<tr>\s*<th scope="row">(.*?)</th>(.*?)</tr>', body, re.S)}


def member(name: str, organization: Organization, unit: OrgUnit | None = None,
           kind: PersonKind = PersonKind.EMPLOYEE) -> Person:
    username = name.split()[0].lower()
    person = create_person(username, display_name=name, organization=organization, unit=unit,
                           kind=kind)
    person.created_at = LONG_AGO
    return person


def people_in_bulk(count: int, organization: Organization, prefix: str) -> list[Person]:
    people = []
    for n in range(count):
        person = Person(
            directory_id=str(uuid.uuid4()), username=f"{prefix}.{n:04d}",
            display_name=f"{prefix.title()} {n:04d}", title="Handläggare",
            mail=f"{prefix}.{n:04d}@exempelby.se", kind=PersonKind.EMPLOYEE,
            organization=organization, active=True, source=PersonSource.DIRECTORY,
            given_name="", surname="", created_at=LONG_AGO)
        person.refresh_search_text()
        people.append(person)
    db.session.add_all(people)
    db.session.flush()
    return people


class Group:
    """Exempelby kommun with the sectors Vård och omsorg (and its Hemtjänst) and Barn och
    utbildning, Exempelby Energi AB with Drift; eight people of every kind, a policy
    acknowledged by three, a training completed by three, two systems, and two
    coordinators: Sam for the group, Fredrik for the company only."""

    def __init__(self, app) -> None:
        self.app = app
        self.municipality = create_organization(MUNICIPALITY)
        self.company = create_organization(ENERGY, OrganizationKind.COMPANY)
        self.care = create_unit(self.municipality, "Vård och omsorg")
        self.home_care = create_unit(self.municipality, "Vård och omsorg / Hemtjänst")
        self.home_care.parent_id = self.care.id
        self.school = create_unit(self.municipality, "Barn och utbildning")
        self.operations = create_unit(self.company, "Drift")
        self.anna = member("Anna Andersson", self.municipality, self.care)
        self.bo = member("Bo Berg", self.municipality, self.home_care)
        self.cecilia = member("Cecilia Cederlund", self.municipality, self.care,
                              PersonKind.CONSULTANT)
        self.david = member("David Dahl", self.municipality, self.school)
        self.eva = member("Eva Ek", self.municipality, kind=PersonKind.ELECTED)
        self.sam = member("Sam Samordnare", self.municipality)
        self.fredrik = member("Fredrik Frost", self.company, self.operations)
        self.greta = member("Greta Gran", self.company, kind=PersonKind.BOARD)
        grant(self.sam, Role.COORDINATOR)
        grant(self.fredrik, Role.COORDINATOR, self.company)
        self.policy = create_document(
            organization=self.municipality, published_at=utcnow() - timedelta(days=60),
            audience={"organization_ids": [self.municipality.id, self.company.id]})
        self.training = self._training()
        for person in (self.anna, self.cecilia, self.fredrik):
            self.acknowledge(person)
        for person in (self.anna, self.eva, self.greta):
            self.complete(person)
        journal = create_system("Journalsystem", organization=self.municipality,
                                welfare_technology=True, owner=self.anna,
                                administrators=(self.bo,))
        create_classification(journal)
        create_risk_analysis(journal)
        create_action_item(journal, due_on=today() - timedelta(days=5))
        create_system("Driftövervakning", organization=self.company)
        db.session.commit()
        self._clients: dict[int, FlaskClient] = {}

    def _training(self) -> Training:
        return create_training(
            organization=self.municipality,
            audience={"organization_ids": [self.municipality.id, self.company.id]},
            starts_on=today() - timedelta(days=100), ends_on=today() + timedelta(days=100))

    def complete(self, person: Person) -> None:
        db.session.add(TrainingCompletion(
            training_id=self.training.id, person_id=person.id,
            completed_on=today() - timedelta(days=2), recorded_at=utcnow(),
            source=CompletionSource.SELF, recorded_by_id=person.id, note=""))
        db.session.flush()

    def acknowledge(self, person: Person, document: Document | None = None) -> None:
        document = document or self.policy
        version = document.versions[0]
        db.session.add(Acknowledgement(
            person_id=person.id, document_id=document.id, version_id=version.id,
            content_sha256=version.sha256, acknowledged_at=utcnow(), method="web"))
        db.session.flush()

    def as_(self, person: Person) -> FlaskClient:
        if person.id not in self._clients:
            self._clients[person.id] = browser(self.app, person)
        return self._clients[person.id]


@pytest.fixture
def group(app) -> Group:
    return Group(app)


# -- the group view ---------------------------------------------------------------------

def test_the_group_coordinator_sees_each_organization_and_sector(group):
    response = group.as_(group.sam).get("/samordning/")

    assert response.status_code == 200
    assert rows_of(response, PLACES) == [
        "Hela koncernen 8 38 % 3 av 8 38 % 3 av 8",
        "Exempelby kommun 6 33 % 2 av 6 33 % 2 av 6",
        "Barn och utbildning 1 0 % 0 av 1 0 % 0 av 1",
        "Vård och omsorg 3 67 % 2 av 3 33 % 1 av 3",
        "Utan enhet 2 0 % 0 av 2 50 % 1 av 2",
        "Exempelby Energi AB 2 50 % 1 av 2 50 % 1 av 2",
        "Drift 1 100 % 1 av 1 0 % 0 av 1",
        "Utan enhet 1 0 % 0 av 1 100 % 1 av 1",
    ]
    html = html_of(response)
    # Each bar says in words what it shows; the sector's row header names its organization.
    assert '<title>67 % av 3</title>' in html
    assert '<th scope="row">Vård och omsorg<span class="visually-hidden">, Exempelby kommun' \
        in html


def test_a_percentage_leads_to_exactly_the_people_not_done(group):
    client = group.as_(group.sam)
    page = client.get("/samordning/")
    link = link_in(page, PLACES, "Vård och omsorg", 1)

    response = client.get(link)

    assert link.startswith("/samordning/personer?")
    assert f"sektor={group.care.id}" in link and "krav=dokument" in link
    # Bo works in Hemtjänst, a unit under Vård och omsorg; Anna and Cecilia acknowledged.
    assert listed(response) == {"Bo Berg": "Exempelby kommun Vård och omsorg / Hemtjänst "
                                           "Medarbetare Försenad"}
    assert "1 person." in shown(html_of(response))
    whole = client.get(link_in(page, PLACES, "Hela koncernen", 1))
    assert list(listed(whole)) == ["Bo Berg", "David Dahl", "Eva Ek", "Greta Gran",
                                   "Sam Samordnare"]
    untrained = client.get(link_in(page, PLACES, "Exempelby Energi AB", 2))
    assert list(listed(untrained)) == ["Fredrik Frost"]


def test_the_list_shows_each_persons_status_per_requirement(group):
    response = group.as_(group.sam).get(
        f"/samordning/personer?organisation={group.municipality.id}")

    assert response.status_code == 200
    header = shown(table_of(response, MATRIX).split("</thead>", 1)[0])
    assert header == ("Namn Organisation Enhet Kategori Informationssäkerhetspolicy "
                      "Informationssäkerhet för alla")
    rows = listed(response)
    assert rows["Anna Andersson"] == "Exempelby kommun Vård och omsorg Medarbetare Klar Klar"
    assert rows["Bo Berg"] == ("Exempelby kommun Vård och omsorg / Hemtjänst Medarbetare "
                               "Försenad Ej klar")
    assert rows["Eva Ek"] == "Exempelby kommun Förtroendevalda Försenad Klar"
    assert list(rows) == ["Anna Andersson", "Bo Berg", "Cecilia Cederlund", "David Dahl",
                          "Eva Ek", "Sam Samordnare"]


def test_the_list_narrows_to_a_person_kind_and_one_requirement(group):
    client = group.as_(group.sam)
    page = client.get("/samordning/")
    link = link_in(page, PER_KIND, "Medarbetare", 0)

    response = client.get(link)

    assert f"krav=training-{group.training.id}" in link and "kategori=employee" in link
    assert list(listed(response)) == ["Bo Berg", "David Dahl", "Fredrik Frost",
                                      "Sam Samordnare"]
    assert shown(table_of(response, MATRIX).split("</thead>", 1)[0]) == (
        "Namn Organisation Enhet Kategori Informationssäkerhet för alla")
    everyone = client.get(f"/samordning/personer?krav=training-{group.training.id}"
                          "&kategori=employee")
    assert list(listed(everyone)) == ["Anna Andersson", "Bo Berg", "David Dahl",
                                      "Fredrik Frost", "Sam Samordnare"]


def test_each_document_and_training_has_its_row_and_its_follow_up(group):
    response = group.as_(group.sam).get("/samordning/")

    assert rows_of(response, PER_REQUIREMENT) == [
        "Informationssäkerhetspolicy Styrdokument 8 3 38 % 3 av 8",
        "Informationssäkerhet för alla Utbildning 8 3 38 % 3 av 8",
    ]
    html = html_of(response)
    assert f'<a href="/styrdokument/{group.policy.id}/kvittenser">Informationssäkerhetspolicy' \
        in html
    assert f'<a href="/utbildningar/{group.training.id}/uppfoljning">Informationssäkerhet ' \
        in html


def test_training_per_person_kind_includes_elected_officials_and_board_members(group):
    response = group.as_(group.sam).get("/samordning/")

    assert rows_of(response, PER_KIND) == [
        "Medarbetare 20 % 1 av 5 20 % 1 av 5",
        "Konsulter 0 % 0 av 1 0 % 0 av 1",
        "Förtroendevalda 100 % 1 av 1 100 % 1 av 1",
        "Styrelseledamöter 100 % 1 av 1 100 % 1 av 1",
    ]


def test_the_system_register_figures_link_to_the_register(group):
    response = group.as_(group.sam).get("/samordning/")

    assert rows_of(response, SYSTEMS) == [
        "Exempelby Energi AB 1 0 (0 %) 0 (0 %) 0 (0 %) 0 (0 %) – 1 0",
        "Exempelby kommun 1 1 (100 %) 0 (0 %) 1 (100 %) 1 (100 %) 1 av 1 (100 %) 0 1",
        "Hela koncernen 2 1 (50 %) 0 (0 %) 1 (50 %) 1 (50 %) 1 av 1 (100 %) 1 1",
    ]
    assert link_in(response, SYSTEMS, "Exempelby kommun", 0) == (
        f"/systemregister/?organisation={group.municipality.id}")
    assert link_in(response, SYSTEMS, "Exempelby kommun", 7) == (
        f"/systemregister/?organisation={group.municipality.id}&forsenade=1&sortera=actions")
    assert link_in(response, SYSTEMS, "Exempelby Energi AB", 6) == (
        f"/systemregister/?organisation={group.company.id}&saknar_ansvarig=1")
    assert link_in(response, SYSTEMS, "Hela koncernen", 5) == "/systemregister/?valfardsteknik=1"


def test_documents_due_for_review_link_to_their_versions(group):
    page = group.as_(group.sam).get("/samordning/")
    reviews = html_of(page).split('id="reviews-heading"', 1)[1].split("</section>")[0]
    assert "Inga styrdokument har passerat sitt översynsdatum." in shown(reviews)

    old = create_document("Riktlinjer för loggning", organization=group.municipality,
                          decision_date=date(2020, 3, 1),
                          published_at=datetime(2020, 3, 2, 9, 0))
    db.session.commit()
    response = group.as_(group.sam).get("/samordning/")

    rows = rows_of(response, REVIEWS)
    assert len(rows) == 1 and rows[0].startswith("Riktlinjer för loggning ")
    assert "Översyn försenad" in rows[0]
    assert f'<a href="/styrdokument/{old.id}/utkast">Riktlinjer för loggning</a>' in \
        html_of(response)


def test_the_group_coordinator_narrows_the_page_to_one_organization(group):
    response = group.as_(group.sam).get(f"/samordning/?organisation={group.company.id}")

    assert response.status_code == 200
    assert "<h1>Samordning: Exempelby Energi AB</h1>" in html_of(response)
    assert rows_of(response, PLACES) == [
        "Exempelby Energi AB 2 50 % 1 av 2 50 % 1 av 2",
        "Drift 1 100 % 1 av 1 0 % 0 av 1",
        "Utan enhet 1 0 % 0 av 1 100 % 1 av 1",
    ]
    assert f'<option value="{group.company.id}" selected>' in html_of(response)
    assert group.as_(group.sam).get("/samordning/?organisation=99999").status_code == 404
    assert group.as_(group.sam).get("/samordning/?organisation=x").status_code == 404


# -- scope and rights -------------------------------------------------------------------

def test_a_company_coordinator_sees_only_their_company(group):
    client = group.as_(group.fredrik)

    response = client.get("/samordning/")

    assert response.status_code == 200
    assert rows_of(response, PLACES) == [
        "Exempelby Energi AB 2 50 % 1 av 2 50 % 1 av 2",
        "Drift 1 100 % 1 av 1 0 % 0 av 1",
        "Utan enhet 1 0 % 0 av 1 100 % 1 av 1",
    ]
    assert rows_of(response, PER_KIND) == [
        "Medarbetare 0 % 0 av 1 0 % 0 av 1",
        "Styrelseledamöter 100 % 1 av 1 100 % 1 av 1",
    ]
    assert rows_of(response, SYSTEMS) == ["Exempelby Energi AB 1 0 (0 %) 0 (0 %) 0 (0 %) "
                                          "0 (0 %) – 1 0"]
    assert "<h1>Samordning: Exempelby Energi AB</h1>" in html_of(response)
    assert MUNICIPALITY not in shown(html_of(response))
    assert 'name="organisation"' not in html_of(response)  # nothing to choose between
    assert list(listed(client.get("/samordning/personer"))) == ["Fredrik Frost", "Greta Gran"]


@pytest.mark.parametrize("path", [
    "/samordning/?organisation={municipality}",
    "/samordning/personer?organisation={municipality}",
    "/samordning/personer.csv?organisation={municipality}",
    "/samordning/personer?sektor={care}",
])
def test_a_company_coordinator_is_refused_another_organization(group, path):
    url = path.format(municipality=group.municipality.id, care=group.care.id)
    response = group.as_(group.fredrik).get(url)
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/samordning/", "/samordning/personer",
                                  "/samordning/personer.csv",
                                  "/samordning/personer?organisation=x&krav=nonsense"])
def test_someone_who_is_not_a_coordinator_is_refused(group, path):
    assert group.as_(group.anna).get(path).status_code == 403


def test_a_requirement_that_does_not_apply_is_not_found(group):
    client = group.as_(group.sam)
    assert client.get("/samordning/personer?krav=document-99999").status_code == 404
    assert client.get("/samordning/personer?kategori=robot").status_code == 404
    assert client.get("/samordning/personer?sektor=abc").status_code == 404


# -- the checklists behind a role's figure ------------------------------------------------
CHECKLISTS_TABLE = ("Årets checklistor: hur många, hur många helt klara och andelen "
                    "avbockade punkter")


def tick_one(person: Person, role: ChecklistRole) -> None:
    """The person ticks the first item of their checklist of the role this year."""
    assignment = db.session.scalars(select(ChecklistAssignment).join(ChecklistTemplate).where(
        ChecklistTemplate.role == role, ChecklistAssignment.assignee_id == person.id,
        ChecklistAssignment.period == today().year)).first()
    item = next(i for i in sorted(assignment.template.items, key=lambda i: i.position)
                if i.in_period(today().year) and not i.requires_note)
    checklists.set_checked(person, checklists.access_of(person, None, assignment), assignment,
                           item, True)


def test_a_roles_checklist_figure_leads_to_its_checklists_least_done_first(group):
    create_system("Elevregister", organization=group.municipality, owner=group.david)
    create_system("Elnät", organization=group.company, owner=group.fredrik)
    checklist_assignments.generate()
    tick_one(group.anna, ChecklistRole.SYSTEM_OWNER)
    db.session.commit()
    client = group.as_(group.sam)
    page = client.get("/samordning/")
    href = link_in(page, CHECKLISTS_TABLE, "Systemägare", 0)
    assert href == "/samordning/checklistor/system_owner"

    response = client.get(href)
    assert response.status_code == 200
    rows = rows_of(response, "3 checklistor")
    # Nothing ticked comes first (by name), Anna's one ticked item last.
    assert [row.split(" ")[0:2] for row in rows] == [
        ["David", "Dahl"], ["Fredrik", "Frost"], ["Anna", "Andersson"]]
    assert "Journalsystem" in rows[2] and "1 av" in rows[2]
    assert "Elnät" in rows[1] and "0 %" in rows[1]
    assert 'href="/checklista/' in html_of(response)


def test_a_company_coordinator_sees_only_their_companys_checklists(group):
    create_system("Elnät", organization=group.company, owner=group.fredrik)
    checklist_assignments.generate()
    db.session.commit()
    client = group.as_(group.fredrik)
    rows = rows_of(client.get("/samordning/checklistor/system_owner"), "1 checklista")
    assert len(rows) == 1 and rows[0].startswith("Fredrik Frost")
    assert client.get(f"/samordning/checklistor/system_owner?organisation="
                      f"{group.municipality.id}").status_code == 403
    assert client.get("/samordning/checklistor/robot").status_code == 404
    assert group.as_(group.anna).get("/samordning/checklistor/system_owner").status_code == 403


def test_the_checklists_of_a_role_need_the_same_queries_for_1_or_5_holders(group,
                                                                           count_queries):
    checklist_assignments.generate()
    db.session.commit()
    client = group.as_(group.sam)
    path = "/samordning/checklistor/system_owner"
    assert client.get(path).status_code == 200
    with count_queries() as one:
        assert client.get(path).status_code == 200
    for n, owner in enumerate((group.bo, group.cecilia, group.david, group.eva)):
        create_system(f"System {n}", organization=group.municipality, owner=owner)
    checklist_assignments.generate()
    db.session.commit()
    with count_queries() as five:
        assert len(rows_of(client.get(path), "5 checklistor")) == 5
    assert five.count == one.count


# -- the list's limit and CSV -------------------------------------------------------------

def test_the_list_shows_at_most_250_and_says_how_many_there_are(group):
    people_in_bulk(251, group.company, "extra")
    db.session.commit()

    response = group.as_(group.sam).get(
        f"/samordning/personer?organisation={group.company.id}&visa=ej-klara")

    assert "Visar 250 av 253. Hela listan finns i CSV-filen." in shown(html_of(response))
    assert len(listed(response)) == 250


def test_the_csv_has_everyone_in_the_list_and_is_logged(group):
    client = group.as_(group.sam)
    response = client.get(f"/samordning/personer.csv?organisation={group.municipality.id}"
                          f"&sektor={group.care.id}")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    # Title and checklist progress as in the manager's export (no checklists in this group).
    assert rows == [
        ["Namn", "Användarnamn", "Organisation", "Befattning", "Enhet", "Kategori",
         "Informationssäkerhetspolicy", "Informationssäkerhet för alla", "Checklistor klara"],
        ["Anna Andersson", "anna", MUNICIPALITY, "Handläggare", "Vård och omsorg",
         "Medarbetare", "Klar", "Klar", ""],
        ["Bo Berg", "bo", MUNICIPALITY, "Handläggare", "Vård och omsorg / Hemtjänst",
         "Medarbetare", "Försenad", "Ej klar", ""],
        ["Cecilia Cederlund", "cecilia", MUNICIPALITY, "Handläggare", "Vård och omsorg",
         "Konsulter", "Klar", "Ej klar", ""],
    ]
    db.session.expire_all()
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "coordination.people_exported")))
    assert [(e.actor_id, e.details["people"]) for e in events] == [(group.sam.id, 3)]


# -- a constant number of queries ---------------------------------------------------------

def test_the_group_view_and_its_lists_need_the_same_queries_for_5_or_50_people_and_1_or_5_systems(
        app, count_queries):
    municipality = create_organization(MUNICIPALITY)
    coordinator = member("Sam Samordnare", municipality)
    grant(coordinator, Role.COORDINATOR)
    create_document(organization=municipality)
    first = people_in_bulk(4, municipality, "few")
    create_classification(create_system("System 0", organization=municipality))
    db.session.commit()
    client = browser(app, coordinator)
    listing = "/samordning/personer?krav=dokument&visa=ej-klara"
    assert client.get("/samordning/").status_code == 200
    with count_queries() as few:
        assert client.get("/samordning/").status_code == 200
    with count_queries() as few_listed:
        assert client.get(listing).status_code == 200

    people_in_bulk(45, municipality, "many")
    db.session.commit()
    with count_queries() as many_people:
        response = client.get("/samordning/")
    with count_queries() as many_listed:
        assert "50 personer." in shown(html_of(client.get(listing)))
    for n in range(1, 5):
        system = create_system(f"System {n}", organization=municipality, owner=first[n - 1])
        create_classification(system)
        create_action_item(system, due_on=today() - timedelta(days=n))
    db.session.commit()
    with count_queries() as many_systems:
        more = client.get("/samordning/")

    assert "50 0 % 0 av 50" in rows_of(response, PLACES)[0]
    assert rows_of(more, SYSTEMS)[0].startswith("Exempelby kommun 5 5 (100 %)")
    assert many_people.count == few.count
    assert many_listed.count == few_listed.count
    assert many_systems.count == few.count
