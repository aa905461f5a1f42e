"""Trainings over HTTP: "Mina uppgifter" and self-confirmation (HTMX and plain posts) with
their refusals, role-specific trainings, the coordinator's editor and copying to the next
period, the follow-up per organization, sector and kind with its CSV (for coordinators and
managers), the attendance list, corrections with their history — and a number of queries
that does not grow with the number of people. (The CSV import has its own test file.)"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
import uuid
from datetime import date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    AuditEvent,
    CompletionSource,
    Organization,
    OrganizationKind,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    ProofMethod,
    Role,
    Training,
    TrainingCompletion,
)
from app.services.audience import AudienceRule
from tests import factories
from tests.factories import (
    create_organization,
    create_person,
    create_system,
    create_unit,
    grant,
)
from tests.helpers import (
    browser,
    day_text,
    html_of,
    moment_text,
    post,
    visible,
)

FRAGMENT = {"HX-Request": "true"}
# Swedish abbreviated months as the portal writes them (CLDR's, without the period).
LONG_AGO = datetime(2020, 1, 1, 8, 0)
MUNICIPALITY = "Exempelby kommun"
ENERGY = "Exempelby Energi AB"
HOUSING = "Exempelby Bostäder AB"
DESCRIPTION = ("# Innehåll\n\nLösenord och **nätfiske**, ungefär 20 minuter.\n\n"
               "<script>alert(1)</script>\n")
FORBIDDEN = "Utbildningen gäller inte dig."


# -- helpers ---------------------------------------------------------------------------













def page_text(response) -> str:
    """What a person reads on the page (entities decoded, whitespace collapsed)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html_of(response), flags=re.S)
    return visible(html)


def training_tasks(client: FlaskClient) -> str:
    """The visible text of "Mina uppgifter"'s list of trainings ('' if none)."""
    response = client.get("/")
    assert response.status_code == 200
    match = re.search(r'<ul class="task-list" id="training-tasks">(.*?)</ul>',
                      html_of(response), flags=re.S)
    return visible(match.group(1)) if match else ""


def tally_rows(response, caption: str) -> list[str]:
    """The rows of one tally table of a follow-up ("Per organisation" …) as text."""
    html = html_of(response)
    match = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", html, re.S)
    assert match, caption
    body = match.group(1).split("<tbody>", 1)[1]
    return [visible(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def member_rows(response) -> dict[str, str]:
    """The people a follow-up lists by name: name → the rest of their row."""
    html = html_of(response)
    section = html[html.index('id="members-heading"'):]
    return {visible(name): visible(rest) for name, rest in re.findall(
        r'<tr>\s*<th scope="row">(.*?)</th>(.*?)</tr>', section, re.S)}


def sector_link(response, label: str) -> str:
    """Where the tally row of a sector (or organization) leads."""
    html = html_of(response)
    match = re.search(r'<th scope="row"><a href="([^"]+)">' + re.escape(html_lib.escape(label))
                      + "</a>", html)
    assert match, label
    return html_lib.unescape(match.group(1))


def audit_events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def completion_rows(training: Training | None = None, person: Person | None = None
                    ) -> list[TrainingCompletion]:
    db.session.expire_all()
    query = select(TrainingCompletion)
    if training is not None:
        query = query.where(TrainingCompletion.training_id == training.id)
    if person is not None:
        query = query.where(TrainingCompletion.person_id == person.id)
    return list(db.session.scalars(query.order_by(TrainingCompletion.id)))


def training_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Training))


def create_training(title: str = "Informationssäkerhet för alla", *,
                    description: str = DESCRIPTION,
                    link: str = "https://lar.exempelby.se/kurs/infosak", **kwargs) -> Training:
    """The factory's training, with this file's description and link."""
    return factories.create_training(title, description=description, link=link, **kwargs)


def completed(training: Training, person: Person, on: date | None = None, *,
              source: CompletionSource = CompletionSource.SELF,
              by: Person | None = None, note: str = "") -> TrainingCompletion:
    """A first record that the person completed the training."""
    row = TrainingCompletion(training_id=training.id, person_id=person.id,
                             completed_on=on or today() - timedelta(days=3),
                             recorded_at=utcnow() - timedelta(hours=2), source=source,
                             recorded_by_id=(by or person).id, note=note)
    db.session.add(row)
    db.session.flush()
    return row


def create_people_in_bulk(count: int, *, organization: Organization, prefix: str,
                          unit: OrgUnit | None = None) -> list[Person]:
    """Many people at once, added in one flush (for the size tests)."""
    people = []
    for n in range(count):
        username = f"{prefix}.{n:04d}"
        person = Person(
            directory_id=str(uuid.uuid4()), username=username,
            display_name=f"{prefix.title()} {n:04d}", title="Handläggare",
            mail=f"{username}@exempelby.se", kind=PersonKind.EMPLOYEE,
            organization=organization, unit=unit, active=True, source=PersonSource.DIRECTORY,
            given_name="", surname="", created_at=LONG_AGO)
        person.refresh_search_text()
        people.append(person)
    db.session.add_all(people)
    db.session.flush()
    return people


def completed_in_bulk(training: Training, people: list[Person]) -> None:
    """Imported completions of the training by these people, added in one flush."""
    db.session.add_all([TrainingCompletion(
        training_id=training.id, person_id=p.id, completed_on=today() - timedelta(days=1),
        recorded_at=utcnow(), source=CompletionSource.IMPORT, note="") for p in people])
    db.session.flush()


def member(name: str, organization: Organization, unit: OrgUnit | None = None, *,
           kind: PersonKind = PersonKind.EMPLOYEE, manager: Person | None = None,
           source: PersonSource = PersonSource.DIRECTORY) -> Person:
    """A long-standing member of staff (or official, or board member)."""
    username = re.sub(r"[^a-z]+", ".", name.lower().translate(str.maketrans("åäö", "aao")))
    person = create_person(username.strip("."), display_name=name, organization=organization,
                           unit=unit, kind=kind, manager=manager, source=source)
    person.created_at = LONG_AGO
    db.session.flush()
    return person


class Group:
    """The municipality with two sectors, a company, an employee and a coordinator."""

    def __init__(self, app) -> None:
        self.app = app
        self.municipality = create_organization()
        self.company = create_organization(ENERGY, OrganizationKind.COMPANY)
        self.care = create_unit(self.municipality, "Vård och omsorg / Hemtjänst")
        self.school = create_unit(self.municipality, "Barn och utbildning / Grundskola")
        self.employee = member("Eva Medarbetare", self.municipality, self.care)
        self.coordinator = member("Sam Samordnare", self.municipality)
        grant(self.coordinator, Role.COORDINATOR)
        db.session.commit()
        self._clients: dict[int, FlaskClient] = {}

    def as_(self, person: Person) -> FlaskClient:
        if person.id not in self._clients:
            self._clients[person.id] = browser(self.app, person)
        return self._clients[person.id]

    def training(self, title: str = "Informationssäkerhet för alla", **kwargs) -> Training:
        kwargs.setdefault("organization", self.municipality)
        training = create_training(title, **kwargs)
        db.session.commit()
        return training


@pytest.fixture
def group(app) -> Group:
    return Group(app)


def confirm(client: FlaskClient, training: Training, on: date | str | None = None,
            note: str = "", **kwargs):
    value = on.isoformat() if isinstance(on, date) else (on if on is not None
                                                         else today().isoformat())
    return post(client, f"/utbildning/{training.id}/genomford",
                {"completed_on": value, "note": note}, **kwargs)


# -- 1. self-confirmation --------------------------------------------------------------

def test_mina_uppgifter_lists_the_trainings_that_apply_with_their_due_dates(group):
    due = today() + timedelta(days=60)
    group.training("Informationssäkerhet för alla", due_on=due)
    group.training("Incidentövning", due_on=today() - timedelta(days=5))
    group.training("Bolagets utbildning", organization=group.company)
    group.training("Förra årets utbildning", starts_on=today() - timedelta(days=500),
                   ends_on=today() - timedelta(days=135), due_on=today() - timedelta(days=200))
    group.training("Bara konsulter", audience={"organization_ids": [group.municipality.id],
                                               "kinds": ["consultant"]})

    tasks = training_tasks(group.as_(group.employee))

    assert tasks == (f"Incidentövning genomför senast {day_text(today() - timedelta(days=5))} "
                     f"Försenad Informationssäkerhet för alla genomför senast {day_text(due)}")
    outsider = member("Olle Energi", group.company)
    db.session.commit()
    assert training_tasks(group.as_(outsider)) == (
        f"Bolagets utbildning genomför senast {day_text(due)}")


def test_someone_without_trainings_is_told_so(group):
    group.training(organization=group.company)

    response = group.as_(group.employee).get("/")

    assert training_tasks(group.as_(group.employee)) == ""
    assert "Du har inga utbildningar att genomföra just nu." in page_text(response)


def test_the_training_page_shows_the_rendered_description_and_the_form(group):
    training = group.training(due_on=today() + timedelta(days=60))

    response = group.as_(group.employee).get(f"/utbildning/{training.id}")

    assert response.status_code == 200
    html = html_of(response)
    assert '<h2 id="avsnitt-innehåll">Innehåll</h2>' in html
    assert "<strong>nätfiske</strong>" in html
    assert "# Innehåll" not in html
    assert "<script>alert(1)</script>" not in html  # HTML in the description is shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r'<a href="https://lar\.exempelby\.se/kurs/infosak"[^>]*>Gå till '
                     r'utbildningen', html)
    page = page_text(response)
    assert (f"Period {training.period_label} · genomförd senast "
            f"{day_text(training.due_on)}") in page
    assert (f"Genomför utbildningen senast {day_text(training.due_on)} och bekräfta sedan här."
            in page)
    assert "Jag har genomfört utbildningen" in page
    field = re.search(r'<input[^>]*name="completed_on"[^>]*>', html)
    assert field and f'value="{today().isoformat()}"' in field.group(0)
    assert re.search(rf'<form method="post" action="/utbildning/{training.id}/genomford"', html)
    assert 'name="csrf_token"' in html


def test_confirming_with_htmx_replaces_the_form_and_updates_mina_uppgifter(group):
    training = group.training("Informationssäkerhet för alla")
    group.training("Incidentövning")
    client = group.as_(group.employee)
    assert "Informationssäkerhet för alla genomför senast" in training_tasks(client)

    response = confirm(client, training, today(), note="Tog den på e-lärandeplattformen",
                       headers=FRAGMENT)

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    assert '<h2 id="complete-heading" data-focus>' in html
    assert f"Genomförd {day_text(today())} (Egen bekräftelse)" in visible(html)
    assert 'name="completed_on"' not in html
    messages = re.search(r'<div id="messages"[^>]*hx-swap-oob="true">(.*?)</div>', html, re.S)
    assert messages, html
    assert (visible(messages.group(1))
            == "Tack! Det är registrerat att du har genomfört Informationssäkerhet för alla.")
    [row] = completion_rows(training)
    assert (row.person_id, row.completed_on, row.source) == (
        group.employee.id, today(), CompletionSource.SELF)
    assert (row.recorded_by_id, row.note, row.supersedes_id) == (
        group.employee.id, "Tog den på e-lärandeplattformen", None)
    [event] = audit_events("training.completed")
    assert (event.actor_id, event.object_id) == (group.employee.id, str(training.id))

    tasks = training_tasks(client)
    assert f"Informationssäkerhet för alla Genomförd {day_text(today())}" in tasks
    assert "Informationssäkerhet för alla genomför senast" not in tasks
    assert "Incidentövning genomför senast" in tasks


def test_confirming_without_javascript_redirects_back_to_the_confirmation(group):
    training = group.training()
    client = group.as_(group.employee)
    yesterday = today() - timedelta(days=1)

    response = confirm(client, training, yesterday)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/utbildning/{training.id}#genomford"
    page = page_text(client.get(f"/utbildning/{training.id}"))
    assert f"Genomförd {day_text(yesterday)} (Egen bekräftelse)" in page
    assert "Tack! Det är registrerat att du har genomfört Informationssäkerhet för alla." in page
    assert "Jag har genomfört utbildningen" not in page
    assert [r.completed_on for r in completion_rows(training)] == [yesterday]
    assert f"Genomförd {day_text(yesterday)}" in training_tasks(client)


@pytest.mark.parametrize("headers", [{}, FRAGMENT], ids=["plain", "htmx"])
@pytest.mark.parametrize(("value", "message"), [
    ("future", "Datum då utbildningen genomfördes kan inte ligga i framtiden ({date})."),
    ("before", "Datumet ligger före utbildningens period, som börjar {start}."),
    ("", "Fyll i datum då utbildningen genomfördes (ÅÅÅÅ-MM-DD)."),
    ("1 mars", "Ange datumet som ÅÅÅÅ-MM-DD."),
], ids=["future", "before-period", "empty", "not-a-date"])
def test_a_bad_completion_date_is_refused_and_nothing_is_saved(group, headers, value, message):
    training = group.training()
    tomorrow = today() + timedelta(days=1)
    sent = {"future": tomorrow.isoformat(),
            "before": (training.period_starts_on - timedelta(days=1)).isoformat()}.get(value,
                                                                                      value)

    response = confirm(group.as_(group.employee), training, sent, headers=headers)

    assert response.status_code == 422
    expected = message.format(date=tomorrow.isoformat(),
                              start=training.period_starts_on.isoformat())
    assert expected in page_text(response)
    assert ("<html" in html_of(response)) is not bool(headers)
    field = re.search(r'<input[^>]*name="completed_on"[^>]*>', html_of(response))
    assert field and 'aria-invalid="true"' in field.group(0)
    assert "Inget sparades." in page_text(response)
    assert completion_rows() == []
    assert audit_events("training.completed") == []
    assert "Informationssäkerhet för alla genomför senast" in training_tasks(
        group.as_(group.employee))


def test_a_training_proven_by_import_has_no_form_and_refuses_a_confirmation(group):
    training = group.training("DISA för förtroendevalda", proof=ProofMethod.IMPORT)
    client = group.as_(group.employee)
    explanation = ("Ditt genomförande hämtas från utbildningsplattformen; du behöver inte "
                   "bekräfta det här.")

    page = client.get(f"/utbildning/{training.id}")
    assert page.status_code == 200
    assert explanation in page_text(page)
    assert 'name="completed_on"' not in html_of(page)
    assert "Jag har genomfört utbildningen" not in page_text(page)
    assert "DISA för förtroendevalda genomför senast" in training_tasks(client)

    for headers in ({}, FRAGMENT):
        response = confirm(client, training, today(), headers=headers)
        assert response.status_code == 422
        assert explanation in page_text(response)
        assert 'name="completed_on"' not in html_of(response)
    assert completion_rows() == []
    assert audit_events("training.completed") == []


def test_someone_outside_the_audience_may_not_confirm_or_open_the_training(group):
    training = group.training(due_on=today() + timedelta(days=60))
    outsider = member("Olle Energi", group.company)
    db.session.commit()
    client = group.as_(outsider)

    for sent in (today().isoformat(), "inte ett datum",
                 (today() + timedelta(days=5)).isoformat()):
        for headers in ({}, FRAGMENT):
            response = confirm(client, training, sent, headers=headers)
            assert response.status_code == 403, (sent, headers)
            assert FORBIDDEN in page_text(response)
            assert "Ange datumet som ÅÅÅÅ-MM-DD." not in page_text(response)
    page = client.get(f"/utbildning/{training.id}")
    assert page.status_code == 403
    assert FORBIDDEN in page_text(page)
    assert "nätfiske" not in page_text(page)
    assert completion_rows() == []
    assert training_tasks(client) == ""


def test_a_coordinator_or_manager_outside_the_audience_may_read_but_not_confirm(group):
    training = group.training()
    coordinator = member("Siv Samordnare", group.company)
    grant(coordinator, Role.COORDINATOR)
    boss = member("Kent Chef", group.company)
    member("Lisa Lagerarbetare", group.company, manager=boss)
    db.session.commit()

    for person in (coordinator, boss):
        client = group.as_(person)
        page = client.get(f"/utbildning/{training.id}")
        assert page.status_code == 200, person.display_name
        assert "nätfiske" in page_text(page)
        assert f"Ditt genomförande {FORBIDDEN}" in page_text(page)
        assert 'name="completed_on"' not in html_of(page)
        # Rights before input: an invalid date is not even looked at.
        for sent in (today().isoformat(), "inte ett datum",
                     (today() + timedelta(days=5)).isoformat()):
            response = confirm(client, training, sent)
            assert response.status_code == 403, (person.display_name, sent)
            assert FORBIDDEN in page_text(response)
            assert "Ange datumet som ÅÅÅÅ-MM-DD." not in page_text(response)
    html = html_of(group.as_(coordinator).get(f"/utbildning/{training.id}"))
    assert f'href="/utbildningar/{training.id}/uppfoljning"' in html
    html = html_of(group.as_(boss).get(f"/utbildning/{training.id}"))
    assert f'href="/utbildningar/{training.id}/uppfoljning?mina=1"' in html
    assert completion_rows() == []


def test_confirming_without_a_csrf_token_is_refused(group):
    training = group.training()
    client = group.as_(group.employee)

    for headers in ({}, FRAGMENT):
        response = client.post(f"/utbildning/{training.id}/genomford", headers=headers,
                               data={"completed_on": today().isoformat()})
        assert response.status_code == 400
        assert ("Formuläret saknade en giltig säkerhetstoken, till exempel för att sidan varit "
                "öppen länge. Ladda om sidan och försök igen.") in page_text(response)
        assert ("<html" in html_of(response)) is not bool(headers)
    assert completion_rows() == []


def test_confirming_twice_keeps_one_row_and_is_no_error(group):
    training = group.training()
    client = group.as_(group.employee)
    first_day = today() - timedelta(days=2)

    first = confirm(client, training, first_day, headers=FRAGMENT)
    second = confirm(client, training, today(), headers=FRAGMENT)
    third = confirm(client, training, today())

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 303)
    [row] = completion_rows(training)
    assert row.completed_on == first_day
    assert f"Genomförd {day_text(first_day)} (Egen bekräftelse)" in visible(html_of(second))
    assert len(audit_events("training.completed")) == 1


# -- 2. role-specific trainings --------------------------------------------------------

def test_a_role_specific_training_appears_only_for_people_with_the_role(group):
    training = group.training("Systemägarutbildning", audience={
        "organization_ids": [group.municipality.id], "roles": ["system_owner"]})
    owner = member("Olof Ägare", group.municipality)
    former = member("Fanny Förra", group.municipality)
    create_system("Ekonomisystemet", organization=group.municipality, owner=owner)
    create_system("Gamla lönesystemet", organization=group.municipality, owner=former,
                  status="retired")
    db.session.commit()

    assert training_tasks(group.as_(owner)).startswith("Systemägarutbildning genomför senast")
    assert training_tasks(group.as_(group.employee)) == ""
    assert training_tasks(group.as_(former)) == ""
    assert group.as_(owner).get(f"/utbildning/{training.id}").status_code == 200
    assert group.as_(group.employee).get(f"/utbildning/{training.id}").status_code == 403
    assert confirm(group.as_(group.employee), training).status_code == 403
    assert confirm(group.as_(owner), training).status_code == 303
    assert [r.person_id for r in completion_rows(training)] == [owner.id]


# -- 3. the coordinator's editor -------------------------------------------------------

def training_form(group: Group, **values) -> dict:
    year = today().year
    data = {"title": f"Informationssäkerhet för alla {year}", "description": DESCRIPTION,
            "link": "https://lar.exempelby.se/kurs/infosak",
            "organization_id": str(group.municipality.id),
            "period_starts_on": f"{year}-01-01", "period_ends_on": f"{year}-12-31",
            "due_on": f"{year}-12-31", "proof": "both",
            "organization_ids": [str(group.municipality.id)], "include_sub_units": "y",
            "kinds": ["employee", "consultant"]}
    data.update(values)
    return data


def test_the_coordinator_creates_a_training(group):
    client = group.as_(group.coordinator)
    form = client.get("/utbildningar/ny")
    assert form.status_code == 200
    assert "Ny utbildning" in page_text(form)

    response = post(client, "/utbildningar/ny", training_form(group))

    assert response.status_code == 303
    [training] = db.session.scalars(select(Training)).all()
    assert response.headers["Location"] == f"/utbildningar/{training.id}/uppfoljning"
    year = today().year
    assert training.title == f"Informationssäkerhet för alla {year}"
    assert (training.period_starts_on, training.period_ends_on, training.due_on) == (
        date(year, 1, 1), date(year, 12, 31), date(year, 12, 31))
    assert training.period_label == str(year)
    assert training.proof == ProofMethod.BOTH
    assert training.link == "https://lar.exempelby.se/kurs/infosak"
    assert training.created_by_id == group.coordinator.id
    assert AudienceRule.from_json(training.audience) == AudienceRule(
        (group.municipality.id,), (), True, ("consultant", "employee"), ())
    [event] = audit_events("training.created")
    assert (event.actor_id, event.object_id) == (group.coordinator.id, str(training.id))
    page = page_text(client.get(response.headers["Location"]))
    assert f"Utbildningen Informationssäkerhet för alla {year} är skapad." in page
    assert f"Uppföljning av Informationssäkerhet för alla {year} {year}" in page
    # Eva (employee) is in the audience; Sam has no unit but is an employee too.
    assert "0/2 personer i målgruppen" in page


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"due_on": "{next_year}-01-15"}, "due_on", "Sista dagen ska ligga inom perioden."),
    ({"link": "ftp://lar.exempelby.se/kurs"}, "link",
     "Länken ska börja med https:// eller http://."),
    ({"link": "javascript:alert(1)"}, "link", "Länken ska börja med https:// eller http://."),
    ({"title": "   "}, "title", "Fyll i titel."),
    ({"period_ends_on": "{last_year}-12-31"}, "period_ends_on",
     "Perioden kan inte sluta innan den börjar."),
    ({"due_on": "30/11"}, "due_on", "Ange datumet som ÅÅÅÅ-MM-DD."),
], ids=["due-outside-period", "ftp-link", "javascript-link", "empty-title", "period-backwards",
        "bad-date"])
def test_bad_training_input_comes_back_beside_its_field_and_saves_nothing(
        group, change, field, message):
    year = today().year
    change = {key: value.format(next_year=year + 1, last_year=year - 1)
              for key, value in change.items()}
    response = post(group.as_(group.coordinator), "/utbildningar/ny",
                    training_form(group, **change))

    assert response.status_code == 422
    html = html_of(response)
    beside = re.search(rf'<p class="error-text" id="{field}-error-1">(.*?)</p>', html)
    assert beside, html
    assert html_lib.unescape(beside.group(1)) == message
    control = re.search(rf'<input[^>]*id="{field}"[^>]*>', html)
    assert control and 'aria-invalid="true"' in control.group(0)
    assert "Inget sparades. Rätta uppgifterna och försök igen:" in page_text(response)
    # What was typed is kept, to be corrected.
    for value in change.values():
        assert f'value="{html_lib.escape(value)}"' in html
    assert training_count() == 0
    assert audit_events("training.created") == []


def test_the_coordinator_changes_a_training(group):
    training = group.training("Informationssäkerhet", proof=ProofMethod.BOTH)
    client = group.as_(group.coordinator)
    form = client.get(f"/utbildningar/{training.id}/redigera")
    assert form.status_code == 200
    assert re.search(r'<input[^>]*id="title"[^>]*value="Informationssäkerhet"', html_of(form))
    new_due = training.due_on + timedelta(days=10)

    response = post(client, f"/utbildningar/{training.id}/redigera", training_form(
        group, title="Informationssäkerhet – grundkurs", proof="self",
        period_starts_on=training.period_starts_on.isoformat(),
        period_ends_on=training.period_ends_on.isoformat(), due_on=new_due.isoformat(),
        kinds=[]))

    assert response.status_code == 303
    assert response.headers["Location"] == f"/utbildningar/{training.id}/uppfoljning"
    db.session.expire_all()
    changed = db.session.get(Training, training.id)
    assert (changed.title, changed.proof, changed.due_on) == (
        "Informationssäkerhet – grundkurs", ProofMethod.SELF, new_due)
    assert training_count() == 1
    [event] = audit_events("training.changed")
    assert event.details["before"]["title"] == "Informationssäkerhet"
    assert event.details["after"]["title"] == "Informationssäkerhet – grundkurs"
    assert ("Ändringarna i Informationssäkerhet – grundkurs är sparade."
            in page_text(client.get(response.headers["Location"])))

    refused = post(client, f"/utbildningar/{training.id}/redigera", training_form(
        group, title="Kapad", link="ftp://x"))
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(Training, training.id).title == "Informationssäkerhet – grundkurs"


def test_a_recurring_training_is_copied_to_the_next_period_once(group):
    year = today().year
    client = group.as_(group.coordinator)
    post(client, "/utbildningar/ny", training_form(group))
    original = db.session.scalars(select(Training)).one()

    response = post(client, f"/utbildningar/{original.id}/kopiera", {})

    assert response.status_code == 303
    copy = db.session.scalar(select(Training).where(Training.copied_from_id == original.id))
    assert copy is not None
    assert response.headers["Location"] == f"/utbildningar/{copy.id}/redigera"
    assert copy.title == f"Informationssäkerhet för alla {year + 1}"
    assert (copy.period_starts_on, copy.period_ends_on, copy.due_on) == (
        date(year + 1, 1, 1), date(year + 1, 12, 31), date(year + 1, 12, 31))
    assert copy.period_label == str(year + 1)
    assert copy.audience == original.audience
    assert (copy.proof, copy.link, copy.description) == (
        original.proof, original.link, original.description)
    edit = page_text(client.get(response.headers["Location"]))
    assert (f"Informationssäkerhet för alla {year + 1} är kopierad till {year + 1}. "
            "Kontrollera datumen.") in edit
    assert f"Ändra Informationssäkerhet för alla {year + 1} {year + 1}" in edit
    assert len(audit_events("training.copied")) == 1

    again = post(client, f"/utbildningar/{original.id}/kopiera", {})

    assert again.status_code == 303
    assert again.headers["Location"] == f"/utbildningar/{original.id}/uppfoljning"
    assert (f"Utbildningen är redan kopierad till {year + 1}."
            in page_text(client.get(again.headers["Location"])))
    assert training_count() == 2
    assert len(audit_events("training.copied")) == 1


def test_an_employee_may_not_open_or_post_to_any_coordinator_page(group):
    training = group.training()
    colleague = member("Anna Andersson", group.municipality, group.care)
    completed(training, colleague)
    db.session.commit()
    client = group.as_(group.employee)
    base = f"/utbildningar/{training.id}"
    participant = f"{base}/deltagare/{colleague.id}"
    pages = ["/utbildningar/", "/utbildningar/ny", f"{base}/redigera", f"{base}/uppfoljning",
             f"{base}/uppfoljning?visa=alla", f"{base}/uppfoljning?mina=1",
             f"{base}/uppfoljning.csv", f"{base}/narvarolista",
             f"{base}/narvarolista?kategori=board", participant]
    posts = {
        "/utbildningar/ny": training_form(group, title="Egen utbildning"),
        f"{base}/redigera": training_form(group, title="Kapad"),
        f"{base}/kopiera": {},
        f"{base}/narvarolista": {"person_ids": [str(group.employee.id)],
                                 "completed_on": today().isoformat()},
        f"{participant}/rattelse": {"completed_on": "", "note": "Kapad"},
    }

    for path in pages:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Åtkomst nekad" in page_text(response), path
    for path, data in posts.items():
        for headers in ({}, FRAGMENT):
            response = post(client, path, data, headers=headers)
            assert response.status_code == 403, path
    assert "Åtkomst nekad" in page_text(post(client, f"{base}/kopiera", {}))

    assert training_count() == 1
    assert db.session.get(Training, training.id).title == "Informationssäkerhet för alla"
    assert [r.person_id for r in completion_rows()] == [colleague.id]
    assert audit_events("training.status_exported") == []


def test_a_training_that_does_not_exist_is_404(group):
    for person, path in ((group.employee, "/utbildning/987654"),
                         (group.coordinator, "/utbildningar/987654/uppfoljning"),
                         (group.coordinator, "/utbildningar/987654/redigera")):
        response = group.as_(person).get(path)
        assert response.status_code == 404, path
        assert "Utbildningen finns inte." in page_text(response)
    response = post(group.as_(group.employee), "/utbildning/987654/genomford",
                    {"completed_on": today().isoformat()})
    assert response.status_code == 404
    assert "Utbildningen finns inte." in page_text(response)


# -- 4. the follow-up ------------------------------------------------------------------

def follow_up_group(group: Group) -> dict:
    """A training for the municipality and a housing company, with every kind of person.

    Done: Anna and Erik (themselves), Kim, Fia and Harald (attendance list). Not done:
    Eva, Sam, Bo, Gun, Frida and Ingrid. Outside: Olle (energy company) and Lena (left).
    """
    kommun = group.municipality
    housing = create_organization(HOUSING, OrganizationKind.COMPANY)
    council = create_unit(kommun, "Förtroendevalda / Kommunfullmäktige")
    letting = create_unit(housing, "Uthyrning")
    board = create_unit(housing, "Styrelsen")
    people = {
        "anna": member("Anna Andersson", kommun, group.care),
        "bo": member("Bo Berg", kommun, group.school),
        "kim": member("Kim Konsult", kommun, group.care, kind=PersonKind.CONSULTANT),
        "fia": member("Fia Förtroendevald", kommun, council, kind=PersonKind.ELECTED),
        "gun": member("Gun Gran", kommun, council, kind=PersonKind.ELECTED),
        "erik": member("Erik Ek", housing, letting),
        "frida": member('=HYPERLINK("http://x") Frida', housing, letting),
        "harald": member("Harald Holm", housing, board, kind=PersonKind.BOARD,
                         source=PersonSource.LOCAL),
        "ingrid": member("Ingrid Isaksson", housing, board, kind=PersonKind.BOARD),
        "olle": member("Olle Energi", group.company),
        "lena": member("Lena Lämnat", kommun, group.care),
    }
    training = create_training(organization=kommun, audience={
        "organization_ids": [kommun.id, housing.id]})
    for name in ("anna", "erik", "lena"):
        completed(training, people[name], today() - timedelta(days=3))
    for name in ("kim", "fia", "harald"):
        completed(training, people[name], today() - timedelta(days=1),
                  source=CompletionSource.ATTENDANCE, by=group.coordinator)
    people["lena"].active = False
    db.session.commit()
    return {**people, "housing": housing, "training": training}


def test_the_follow_up_counts_per_organization_sector_and_kind(group):
    found = follow_up_group(group)
    training = found["training"]
    client = group.as_(group.coordinator)

    response = client.get(f"/utbildningar/{training.id}/uppfoljning")

    assert response.status_code == 200
    page = page_text(response)
    assert "45 % har genomfört" in page
    assert "5/11 personer i målgruppen" in page
    assert "0 försenade" in page
    assert tally_rows(response, "Per organisation") == [
        f"{HOUSING} 4 2 50 %", f"{MUNICIPALITY} 7 3 43 %"]
    assert tally_rows(response, "Per sektor") == [
        f"{HOUSING} / Styrelsen 2 1 50 %", f"{HOUSING} / Uthyrning 2 1 50 %",
        f"{MUNICIPALITY} 1 0 0 %", f"{MUNICIPALITY} / Barn och utbildning 1 0 0 %",
        f"{MUNICIPALITY} / Förtroendevalda 2 1 50 %",
        f"{MUNICIPALITY} / Vård och omsorg 3 2 67 %"]
    assert tally_rows(response, "Per personkategori") == [
        "Medarbetare 6 2 33 %", "Konsulter 1 1 100 %", "Förtroendevalda 2 1 50 %",
        "Styrelseledamöter 2 1 50 %"]

    due = day_text(training.due_on)
    missing = member_rows(response)
    assert missing == {
        "Bo Berg": f"{MUNICIPALITY} Barn och utbildning / Grundskola Medarbetare Senast {due}",
        "Eva Medarbetare": f"{MUNICIPALITY} Vård och omsorg / Hemtjänst Medarbetare "
                           f"Senast {due}",
        '=HYPERLINK("http://x") Frida': f"{HOUSING} Uthyrning Medarbetare Senast {due}",
        "Gun Gran": f"{MUNICIPALITY} Förtroendevalda / Kommunfullmäktige Förtroendevalda "
                    f"Senast {due}",
        "Ingrid Isaksson": f"{HOUSING} Styrelsen Styrelseledamöter Senast {due}",
        "Sam Samordnare": f"{MUNICIPALITY} – Medarbetare Senast {due}",
    }
    assert "Som inte har genomfört" in page
    # The coordinator's names lead to each person's records.
    assert (f'<a href="/utbildningar/{training.id}/deltagare/{found["bo"].id}">Bo Berg</a>'
            in html_of(response))

    everyone = client.get(f"/utbildningar/{training.id}/uppfoljning?visa=alla")
    rows = member_rows(everyone)
    assert len(rows) == 11
    assert "Olle Energi" not in rows and "Lena Lämnat" not in rows
    assert rows["Harald Holm"] == (f"{HOUSING} Styrelsen Styrelseledamöter Genomförd "
                                   f"{day_text(today() - timedelta(days=1))} (Närvarolista)")
    assert rows["Anna Andersson"].endswith(
        f"Genomförd {day_text(today() - timedelta(days=3))} (Egen bekräftelse)")


def test_the_follow_up_marks_those_overdue(group):
    training = group.training(due_on=today() - timedelta(days=1))
    completed(training, group.coordinator)
    db.session.commit()

    response = group.as_(group.coordinator).get(f"/utbildningar/{training.id}/uppfoljning")

    assert "1 försenade" in page_text(response)
    assert member_rows(response) == {
        "Eva Medarbetare": f"{MUNICIPALITY} Vård och omsorg / Hemtjänst Medarbetare "
                           f"Försenad sedan {day_text(today() - timedelta(days=1))}"}


def test_the_sector_and_organization_links_filter_the_list(group):
    found = follow_up_group(group)
    training = found["training"]
    client = group.as_(group.coordinator)
    report = client.get(f"/utbildningar/{training.id}/uppfoljning")

    care = client.get(sector_link(report, f"{MUNICIPALITY} / Vård och omsorg"))

    assert care.status_code == 200
    assert "Som inte har genomfört: Exempelby kommun / Vård och omsorg" in page_text(care)
    assert list(member_rows(care)) == ["Eva Medarbetare"]
    # The tallies stay whole; only the list is narrowed.
    assert tally_rows(care, "Per organisation") == [
        f"{HOUSING} 4 2 50 %", f"{MUNICIPALITY} 7 3 43 %"]
    everyone_there = client.get(f"/utbildningar/{training.id}/uppfoljning?visa=alla&sektor="
                                f"{MUNICIPALITY} / Vård och omsorg")
    assert list(member_rows(everyone_there)) == ["Anna Andersson", "Eva Medarbetare",
                                                 "Kim Konsult"]
    assert member_rows(everyone_there)["Kim Konsult"].endswith("(Närvarolista)")

    housing = client.get(sector_link(report, HOUSING))
    assert "Som inte har genomfört: Exempelby Bostäder AB" in page_text(housing)
    assert set(member_rows(housing)) == {'=HYPERLINK("http://x") Frida', "Ingrid Isaksson"}


def test_the_follow_up_as_swedish_excel_csv_is_logged(group):
    found = follow_up_group(group)
    training = found["training"]

    response = group.as_(group.coordinator).get(
        f"/utbildningar/{training.id}/uppfoljning.csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="utbildning-{training.id}-{today().isoformat()}.csv"')
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeffNamn;Användarnamn;Organisation;Enhet;Kategori;Status;"
                           "Genomförd;Källa;Senast\r\n")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1 + 11
    assert all(len(r) == 9 for r in rows)
    named = {r[0]: r for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\") Frida" in named
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    assert named["Harald Holm"][2:8] == [
        HOUSING, "Styrelsen", "Styrelseledamöter", "Genomförd",
        (today() - timedelta(days=1)).isoformat(), "Närvarolista"]
    assert named["Bo Berg"][5:9] == ["Ej genomförd", "", "", training.due_on.isoformat()]
    assert "Olle Energi" not in named and "Lena Lämnat" not in named
    [event] = audit_events("training.status_exported")
    assert (event.actor_id, event.object_id) == (group.coordinator.id, str(training.id))
    assert event.details == {"people": 11, "mine_only": False}


def manager_group(group: Group) -> dict:
    """Karin manages Mats and Anna; Bo reports to Mats. Anna has completed."""
    boss = member("Karin Chef", group.municipality, group.care)
    middle = member("Mats Mellanchef", group.municipality, group.care, manager=boss)
    direct = member("Anna Andersson", group.municipality, group.care, manager=boss)
    below = member("Bo Berg", group.municipality, group.school, manager=middle)
    training = create_training(organization=group.municipality)
    completed(training, direct)
    db.session.commit()
    return {"boss": boss, "middle": middle, "direct": direct, "below": below,
            "training": training}


def test_a_manager_follows_up_only_their_own_people(group):
    found = manager_group(group)
    training, boss = found["training"], found["boss"]
    client = group.as_(boss)
    base = f"/utbildningar/{training.id}/uppfoljning"

    for path in (f"{base}?mina=1&visa=alla", f"{base}?visa=alla"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = page_text(response)
        assert "Dina medarbetare: de som rapporterar till dig, direkt eller indirekt." in page
        assert "1/3 personer i målgruppen" in page
        assert list(member_rows(response)) == ["Anna Andersson", "Bo Berg", "Mats Mellanchef"]
        assert tally_rows(response, "Per organisation") == [f"{MUNICIPALITY} 3 1 33 %"]
        assert "/deltagare/" not in html_of(response)  # corrections are the coordinator's
    assert list(member_rows(client.get(base))) == ["Bo Berg", "Mats Mellanchef"]
    middle = group.as_(found["middle"]).get(f"{base}?mina=1&visa=alla")
    assert list(member_rows(middle)) == ["Bo Berg"]

    export = client.get(f"/utbildningar/{training.id}/uppfoljning.csv?mina=1")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data().decode("utf-8").lstrip("\ufeff")),
                           delimiter=";"))
    assert sorted(r[0] for r in rows[1:]) == ["Anna Andersson", "Bo Berg", "Mats Mellanchef"]
    [event] = audit_events("training.status_exported")
    assert event.details == {"people": 3, "mine_only": True}

    # The coordinator sees the whole audience.
    whole = group.as_(group.coordinator).get(f"{base}?visa=alla")
    assert "1/6 personer i målgruppen" in page_text(whole)
    assert "Alla i utbildningens målgrupp." in page_text(whole)


def test_a_plain_employee_may_not_follow_up(group):
    found = manager_group(group)
    training = found["training"]
    for person in (group.employee, found["direct"], found["below"]):
        client = group.as_(person)
        for path in (f"/utbildningar/{training.id}/uppfoljning",
                     f"/utbildningar/{training.id}/uppfoljning?mina=1",
                     f"/utbildningar/{training.id}/uppfoljning.csv?mina=1"):
            response = client.get(path)
            assert response.status_code == 403, (person.display_name, path)
            assert "Du får inte följa upp den här utbildningen." in page_text(response)
    assert audit_events("training.status_exported") == []


# -- 5. the attendance list ------------------------------------------------------------

def board_group(group: Group) -> dict:
    housing = create_organization(HOUSING, OrganizationKind.COMPANY)
    board = create_unit(housing, "Styrelsen")
    harald = member("Harald Holm", housing, board, kind=PersonKind.BOARD,
                    source=PersonSource.LOCAL)
    ingrid = member("Ingrid Isaksson", housing, board, kind=PersonKind.BOARD)
    erik = member("Erik Ek", housing)
    training = create_training(organization=group.municipality, audience={
        "organization_ids": [group.municipality.id, housing.id]})
    db.session.commit()
    return {"housing": housing, "harald": harald, "ingrid": ingrid, "erik": erik,
            "training": training}


def candidates(response) -> list[str]:
    """The names the attendance list offers to tick."""
    return [visible(n) for n in re.findall(r'<label for="person_ids-\d+">(.*?) <span',
                                           html_of(response))]


def test_the_coordinator_registers_an_attendance_list(group):
    found = board_group(group)
    training, harald, ingrid = found["training"], found["harald"], found["ingrid"]
    client = group.as_(group.coordinator)
    path = f"/utbildningar/{training.id}/narvarolista"
    offered = client.get(f"{path}?kategori=board")
    assert offered.status_code == 200
    assert candidates(offered) == ["Harald Holm", "Ingrid Isaksson"]
    assert "Eva Medarbetare" in candidates(client.get(path))
    meeting = today() - timedelta(days=2)

    response = post(client, f"{path}?kategori=board", {
        "person_ids": [str(harald.id), str(ingrid.id)], "completed_on": meeting.isoformat(),
        "note": "Styrelsemöte, genomgång av informationssäkerhet"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/utbildningar/{training.id}/uppfoljning"
    rows = completion_rows(training)
    assert [(r.person_id, r.completed_on, r.source, r.recorded_by_id, r.note) for r in rows] == [
        (p.id, meeting, CompletionSource.ATTENDANCE, group.coordinator.id,
         "Styrelsemöte, genomgång av informationssäkerhet") for p in (harald, ingrid)]
    report = client.get(response.headers["Location"])
    assert "Närvarolistan är registrerad: 2 nya genomföranden." in page_text(report)
    assert "Styrelseledamöter 2 2 100 %" in tally_rows(report, "Per personkategori")
    everyone = member_rows(client.get(f"/utbildningar/{training.id}/uppfoljning?visa=alla"))
    assert everyone["Harald Holm"].endswith(f"Genomförd {day_text(meeting)} (Närvarolista)")
    assert everyone["Ingrid Isaksson"].endswith(f"Genomförd {day_text(meeting)} (Närvarolista)")
    [event] = audit_events("training.attendance_registered")
    assert event.actor_id == group.coordinator.id
    assert candidates(client.get(f"{path}?kategori=board")) == []

    again = post(client, path, {"person_ids": [str(harald.id), str(group.employee.id)],
                                "completed_on": today().isoformat(), "note": ""})

    assert again.status_code == 303
    assert ("Närvarolistan är registrerad: 1 nya genomföranden. 1 hade redan genomfört "
            "utbildningen.") in page_text(client.get(again.headers["Location"]))
    assert len(completion_rows(training, harald)) == 1
    assert completion_rows(training, harald)[0].completed_on == meeting
    assert [r.source for r in completion_rows(training, group.employee)] == [
        CompletionSource.ATTENDANCE]
    # Eva sees on her own page that she is done.
    assert f"Genomförd {day_text(today())}" in training_tasks(group.as_(group.employee))


@pytest.mark.parametrize(("data", "message"), [
    ({"completed_on": "today"}, "Välj minst en person som deltog."),
    ({"person_ids": ["harald"], "completed_on": "future"},
     "Datum då utbildningen genomfördes kan inte ligga i framtiden ({future})."),
    ({"person_ids": ["harald", "olle"], "completed_on": "today"},
     "Utanför utbildningens målgrupp: Olle Energi."),
], ids=["nobody", "future-date", "outside-the-audience"])
def test_a_bad_attendance_list_is_refused_and_saves_nothing(group, data, message):
    found = board_group(group)
    outsider = member("Olle Energi", group.company)
    db.session.commit()
    ids = {"harald": str(found["harald"].id), "olle": str(outsider.id)}
    future = today() + timedelta(days=1)
    days = {"today": today().isoformat(), "future": future.isoformat()}
    sent = {"person_ids": [ids[n] for n in data.get("person_ids", [])],
            "completed_on": days[data["completed_on"]], "note": ""}

    response = post(group.as_(group.coordinator),
                    f"/utbildningar/{found['training'].id}/narvarolista", sent)

    assert response.status_code == 422
    assert message.format(future=future.isoformat()) in page_text(response)
    assert "Inget sparades." in page_text(response)
    assert completion_rows() == []
    assert audit_events("training.attendance_registered") == []


def test_a_company_coordinator_registers_only_their_own_people(group):
    found = board_group(group)
    housing, ingrid = found["housing"], found["ingrid"]
    contact = member("Bodil Bostäder", housing)
    grant(contact, Role.COORDINATOR, organization=housing)
    own = create_training("Kommunens egen utbildning", organization=group.municipality)
    db.session.commit()
    client = group.as_(contact)

    response = client.get(f"/utbildningar/{own.id}/narvarolista")
    assert response.status_code == 403
    assert "Du får inte registrera närvaro för den här utbildningen." in page_text(response)
    response = post(client, f"/utbildningar/{own.id}/narvarolista", {
        "person_ids": [str(group.employee.id)], "completed_on": today().isoformat()})
    assert response.status_code == 403
    assert client.get(f"/utbildningar/{own.id}/uppfoljning").status_code == 403
    assert client.get(f"/utbildningar/{own.id}/redigera").status_code == 403

    # A group-wide training whose audience names the company: its own people only.
    training = found["training"]
    path = f"/utbildningar/{training.id}/narvarolista"
    assert candidates(client.get(path)) == ["Bodil Bostäder", "Erik Ek", "Harald Holm",
                                            "Ingrid Isaksson"]
    report = client.get(f"/utbildningar/{training.id}/uppfoljning")
    assert tally_rows(report, "Per organisation") == [f"{HOUSING} 4 0 0 %"]
    assert client.get(f"/utbildningar/{training.id}/redigera").status_code == 403

    refused = post(client, path, {"person_ids": [str(group.employee.id), str(ingrid.id)],
                                  "completed_on": today().isoformat()})
    assert refused.status_code == 422
    # Eva is the municipality's: the company's coordinator is not told her name.
    assert ("En eller flera valda personer ingår inte i det du samordnar."
            in page_text(refused))
    assert "Eva Medarbetare" not in page_text(refused)
    assert completion_rows() == []

    allowed = post(client, path, {"person_ids": [str(ingrid.id)],
                                  "completed_on": today().isoformat()})
    assert allowed.status_code == 303
    assert [(r.person_id, r.recorded_by_id) for r in completion_rows()] == [
        (ingrid.id, contact.id)]


# -- 6. corrections --------------------------------------------------------------------

def history_rows(response) -> list[str]:
    html = html_of(response)
    section = html[html.index('id="history-heading"'):html.index("</section>",
                                                                  html.index("history-heading"))]
    return [visible(r) for r in re.findall(r'<tr><th scope="row">(.*?)</tr>', section, re.S)]


def test_the_coordinator_corrects_a_completion_and_the_history_keeps_both(group):
    training = group.training()
    anna = member("Anna Andersson", group.municipality, group.care)
    done_on = today() - timedelta(days=3)
    first = completed(training, anna, done_on)
    db.session.commit()
    client = group.as_(group.coordinator)
    path = f"/utbildningar/{training.id}/deltagare/{anna.id}"
    assert history_rows(client.get(path)) == [
        f"{day_text(done_on)} (gäller) Egen bekräftelse {moment_text(first.recorded_at)} "
        "Anna Andersson –"]

    refused = post(client, f"{path}/rattelse", {"completed_on": "", "note": "  "})
    assert refused.status_code == 422
    assert "Fyll i skäl till rättelsen." in page_text(refused)
    assert len(completion_rows(training)) == 1

    response = post(client, f"{path}/rattelse", {"completed_on": "",
                                                 "note": "Fel utbildning registrerad"})

    assert response.status_code == 303
    assert response.headers["Location"] == path
    first_row, correction = completion_rows(training)
    assert (correction.completed_on, correction.source, correction.supersedes_id,
            correction.recorded_by_id) == (None, CompletionSource.CORRECTION, first_row.id,
                                           group.coordinator.id)
    assert (first_row.completed_on, first_row.source) == (done_on, CompletionSource.SELF)
    page = client.get(path)
    assert ("Rättelsen är sparad; den tidigare uppgiften finns kvar i historiken."
            in page_text(page))
    assert history_rows(page) == [
        f"Inte genomförd (gäller) Rättelse {moment_text(correction.recorded_at)} "
        "Sam Samordnare Fel utbildning registrerad",
        f"{day_text(done_on)} Egen bekräftelse {moment_text(first.recorded_at)} "
        "Anna Andersson –"]
    [event] = audit_events("training.completion_corrected")
    assert event.details["note"] == "Fel utbildning registrerad"

    report = client.get(f"/utbildningar/{training.id}/uppfoljning")
    assert "Anna Andersson" in member_rows(report)
    assert "0/3 personer i målgruppen" in page_text(report)

    # Anna's own page shows the history, and she can confirm again.
    own = group.as_(anna).get(f"/utbildning/{training.id}")
    own_page = page_text(own)
    assert "Historik" in own_page
    assert "Inte genomförd – Rättelse: Fel utbildning registrerad" in own_page
    assert f"{day_text(done_on)} – Egen bekräftelse" in own_page
    assert "Jag har genomfört utbildningen" in own_page
    assert "Informationssäkerhet för alla genomför senast" in training_tasks(group.as_(anna))


def test_a_correction_to_another_date_holds(group):
    training = group.training()
    anna = member("Anna Andersson", group.municipality, group.care)
    completed(training, anna, today() - timedelta(days=3))
    db.session.commit()
    client = group.as_(group.coordinator)
    path = f"/utbildningar/{training.id}/deltagare/{anna.id}"
    right = today() - timedelta(days=10)

    response = post(client, f"{path}/rattelse", {"completed_on": right.isoformat(),
                                                 "note": "Enligt kursintyg"})

    assert response.status_code == 303
    rows = member_rows(client.get(f"/utbildningar/{training.id}/uppfoljning?visa=alla"))
    assert rows["Anna Andersson"].endswith(f"Genomförd {day_text(right)} (Rättelse)")
    future = post(client, f"{path}/rattelse", {
        "completed_on": (today() + timedelta(days=3)).isoformat(), "note": "Fel"})
    assert future.status_code == 422
    assert len(completion_rows(training)) == 2


def test_there_is_nothing_to_correct_without_a_record(group):
    training = group.training()
    client = group.as_(group.coordinator)
    path = f"/utbildningar/{training.id}/deltagare/{group.employee.id}"

    assert "Inget genomförande registrerat." in page_text(client.get(path))
    response = post(client, f"{path}/rattelse", {"completed_on": "", "note": "Rättelse"})

    assert response.status_code == 404
    assert "Det finns inget genomförande att rätta." in page_text(response)
    assert completion_rows() == []


# -- 7. the number of queries does not grow with the number of people -----------------

def test_mina_uppgifter_needs_the_same_queries_for_10_or_1000_colleagues(app, count_queries):
    organization = create_organization()
    me = member("Maja Mätning", organization)
    created = [create_training(f"Utbildning {n}", organization=organization)
               for n in range(2)]
    created.append(create_training("Systemägarutbildning", organization=organization,
                                   audience={"organization_ids": [organization.id],
                                             "roles": ["system_owner"]}))
    completed(created[0], me)
    completed_in_bulk(created[1], create_people_in_bulk(9, organization=organization,
                                                        prefix="liten"))
    db.session.commit()
    client = browser(app, me)
    client.get("/")

    with count_queries() as few:
        small = client.get("/")
    completed_in_bulk(created[1], create_people_in_bulk(990, organization=organization,
                                                        prefix="stor"))
    db.session.commit()
    with count_queries() as many:
        large = client.get("/")

    assert small.status_code == large.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Person).where(
        Person.organization_id == organization.id)) == 1000
    for response in (small, large):
        tasks = visible(re.search(r'id="training-tasks">(.*?)</ul>', html_of(response),
                                  re.S).group(1))
        assert tasks == (f"Utbildning 0 Genomförd {day_text(today() - timedelta(days=3))} "
                         f"Utbildning 1 genomför senast {day_text(created[1].due_on)}")
    assert many.count == few.count, "\n\n".join(many.statements)


@pytest.mark.parametrize(("query", "rows_of_10", "rows_of_1000", "note"), [
    ("", 5, 250, "Visar de första 250 av 500."),
    ("?visa=alla&alla=1", 10, 1000, "Alla i målgruppen"),
], ids=["missing", "everyone"])
def test_the_follow_up_needs_the_same_queries_for_10_or_1000_people(
        app, count_queries, query, rows_of_10, rows_of_1000, note):
    organization = create_organization()
    company = create_organization(ENERGY, OrganizationKind.COMPANY)
    unit = create_unit(organization, "Vård och omsorg / Hemtjänst")
    coordinator = member("Sam Samordnare", company)
    grant(coordinator, Role.COORDINATOR)
    training = create_training(organization=organization)
    people = create_people_in_bulk(10, organization=organization, prefix="liten", unit=unit)
    completed_in_bulk(training, people[:5])
    db.session.commit()
    client = browser(app, coordinator)
    path = f"/utbildningar/{training.id}/uppfoljning{query}"
    client.get(path)

    with count_queries() as few:
        small = client.get(path)
    more = create_people_in_bulk(990, organization=organization, prefix="stor", unit=unit)
    completed_in_bulk(training, more[:495])
    db.session.commit()
    with count_queries() as many:
        large = client.get(path)

    assert small.status_code == large.status_code == 200
    assert "5/10 personer i målgruppen" in page_text(small)
    assert "500/1000 personer i målgruppen" in page_text(large)
    assert (len(member_rows(small)), len(member_rows(large))) == (rows_of_10, rows_of_1000)
    assert note in page_text(large)
    assert "Vård och omsorg 1000 500 50 %" in " ".join(tally_rows(large, "Per sektor"))
    assert many.count == few.count, "\n\n".join(many.statements)


def test_the_follow_up_lists_the_first_250_with_a_link_to_all(app):
    organization = create_organization()
    coordinator = member("Sam Samordnare", create_organization(ENERGY,
                                                              OrganizationKind.COMPANY))
    grant(coordinator, Role.COORDINATOR)
    training = create_training(organization=organization)
    create_people_in_bulk(300, organization=organization, prefix="person")
    db.session.commit()
    client = browser(app, coordinator)

    first = client.get(f"/utbildningar/{training.id}/uppfoljning")

    assert len(member_rows(first)) == 250
    assert "Visar de första 250 av 300. Visa alla 300" in page_text(first)
    link = re.search(r'<a href="([^"]*alla=1[^"]*)">Visa alla 300</a>', html_of(first))
    assert link
    everyone = client.get(html_lib.unescape(link.group(1)))
    assert len(member_rows(everyone)) == 300
    assert "Visar de första" not in page_text(everyone)


def test_the_coordinators_list_needs_the_same_queries_for_10_or_1000_people(
        app, count_queries):
    organization = create_organization()
    company = create_organization(ENERGY, OrganizationKind.COMPANY)
    coordinator = member("Sam Samordnare", company)
    grant(coordinator, Role.COORDINATOR)
    everyone = create_training("Alla", organization=organization)
    create_training("Systemägare", organization=organization, audience={
        "organization_ids": [organization.id], "roles": ["system_owner"]})
    create_training("Bolagets", organization=company)
    people = create_people_in_bulk(10, organization=organization, prefix="liten")
    completed_in_bulk(everyone, people[:5])
    db.session.commit()
    client = browser(app, coordinator)
    client.get("/utbildningar/")

    with count_queries() as few:
        small = client.get("/utbildningar/")
    more = create_people_in_bulk(990, organization=organization, prefix="stor")
    completed_in_bulk(everyone, more[:495])
    db.session.commit()
    with count_queries() as many:
        large = client.get("/utbildningar/")

    def rows(response) -> list[str]:
        return [visible(r) for r in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>",
                                               html_of(response), re.S)]

    assert small.status_code == large.status_code == 200
    label = everyone.period_label
    assert [r.split(f" {label} ")[0] for r in rows(small)] == ["Alla", "Bolagets",
                                                               "Systemägare"]
    assert "50 % (5/10)" in rows(small)[0] and "50 % (500/1000)" in rows(large)[0]
    assert "0 % (0/1)" in rows(large)[1]  # Sam in the company
    assert "0 % (0/0)" in rows(large)[2]
    assert many.count == few.count, "\n\n".join(many.statements)
