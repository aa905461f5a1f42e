"""Governing documents over HTTP: reading and acknowledging (HTMX and plain posts), the
refusals, the coordinator's editor, audience and withdrawal, the follow-up with its CSV,
companies' adoptions, the library — and a bounded number of queries whatever the size."""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import uuid
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.clock import local_time, today, utcnow
from app.extensions import db
from app.models import (
    Acknowledgement,
    AuditEvent,
    Document,
    DocumentAdoption,
    DocumentVersion,
    Organization,
    OrganizationKind,
    Person,
    PersonKind,
    PersonSource,
    Role,
)
from tests.factories import (
    create_document,
    create_organization,
    create_person,
    create_unit,
    grant,
    publish_version,
)
from tests.helpers import (
    browser,
    day_text,
    html_of,
    moment_text,
    post,
    text_of,
    visible,
)

FRAGMENT = {"HX-Request": "true"}
# Swedish abbreviated months as the portal writes them (CLDR's, without the period).

BODY = ("# Syfte\n\nAlla ska skydda informationen.\n\n"
        "## Ansvar\n\n| Roll | Ansvar |\n|------|--------|\n| Systemägare | Klassar |\n")


# -- helpers ---------------------------------------------------------------------------















def open_tasks_on_start_page(client: FlaskClient) -> str:
    """The visible text of "Mina uppgifter"'s list of documents to acknowledge ('' if none)."""
    response = client.get("/")
    assert response.status_code == 200
    match = re.search(r'<ul class="task-list" id="document-tasks">(.*?)</ul>', html_of(response),
                      flags=re.S)
    return visible(match.group(1)) if match else ""


def acknowledgement_count(document: Document | None = None) -> int:
    query = select(func.count()).select_from(Acknowledgement)
    if document is not None:
        query = query.where(Acknowledgement.document_id == document.id)
    return db.session.scalar(query)


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def current_version(document: Document) -> DocumentVersion:
    return db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.sequence.is_not(None))
        .order_by(DocumentVersion.sequence.desc())).first()


def draft_of(document_id: int) -> DocumentVersion | None:
    db.session.expire_all()
    return db.session.scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document_id, DocumentVersion.published_at.is_(None)))


def long_ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def create_people_in_bulk(count: int, *, organization: Organization, prefix: str,
                          unit=None) -> list[Person]:
    """Many people at once, added in one flush (for the size tests)."""
    people = []
    for n in range(count):
        person = Person(
            directory_id=str(uuid.uuid4()), username=f"{prefix}.{n:04d}",
            display_name=f"{prefix.title()} {n:04d}", title="Handläggare",
            mail=f"{prefix}.{n:04d}@exempelby.se", kind=PersonKind.EMPLOYEE,
            organization=organization, unit=unit, active=True, source=PersonSource.DIRECTORY,
            given_name="", surname="")
        person.refresh_search_text()
        people.append(person)
    db.session.add_all(people)
    db.session.flush()
    return people


def acknowledge_in_bulk(people: list[Person], version: DocumentVersion) -> None:
    """Kvittenser of the version by these people, added in one flush."""
    db.session.add_all([Acknowledgement(
        person_id=p.id, document_id=version.document_id, version_id=version.id,
        content_sha256=version.sha256, acknowledged_at=utcnow() - timedelta(hours=1),
        method="web") for p in people])
    db.session.flush()


class Group:
    """The municipality with two sectors, a company, an employee and a coordinator."""

    def __init__(self, app) -> None:
        self.app = app
        self.municipality = create_organization()
        self.company = create_organization("Exempelby Energi AB", OrganizationKind.COMPANY)
        self.care = create_unit(self.municipality, "Vård och omsorg / Hemtjänst")
        self.school = create_unit(self.municipality, "Barn och utbildning / Grundskola")
        self.employee = create_person("eva.medarbetare", display_name="Eva Medarbetare",
                                      organization=self.municipality, unit=self.care)
        self.coordinator = create_person("sam.samordnare", display_name="Sam Samordnare",
                                         organization=self.municipality)
        grant(self.coordinator, Role.COORDINATOR)
        db.session.commit()
        self._clients: dict[int, FlaskClient] = {}

    def as_(self, person: Person) -> FlaskClient:
        if person.id not in self._clients:
            self._clients[person.id] = browser(self.app, person)
        return self._clients[person.id]


@pytest.fixture
def group(app) -> Group:
    return Group(app)


def acknowledge(client: FlaskClient, document: Document, version_id: int | None = None,
                confirm: bool = True, **kwargs):
    data = {"version_id": str(version_id if version_id is not None
                              else current_version(document).id)}
    if confirm:
        data["confirm"] = "y"
    return post(client, f"/dokument/{document.id}/kvittera", data, **kwargs)


# -- 1. reading and acknowledging ------------------------------------------------------

def test_mina_uppgifter_lists_documents_to_acknowledge_with_due_dates_and_overdue(group):
    old = create_document("Informationssäkerhetspolicy", organization=group.municipality,
                          published_at=long_ago(100), acknowledgement_days=30)
    new = create_document("Rutin för incidenter", organization=group.municipality,
                          kind="routine", acknowledgement_days=30)
    group.employee.created_at = long_ago(200)
    db.session.commit()

    tasks = open_tasks_on_start_page(group.as_(group.employee))

    old_due = local_time(old.versions[0].published_at).date() + timedelta(days=30)
    new_due = local_time(new.versions[0].published_at).date() + timedelta(days=30)
    assert tasks == (f"Rutin för incidenter version 1, kvittera senast {day_text(new_due)} "
                     f"Informationssäkerhetspolicy version 1, kvittera senast "
                     f"{day_text(old_due)} Försenad"), tasks
    assert "Du har 2 dokument att läsa och kvittera." in text_of(
        group.as_(group.employee).get("/"))


def test_the_document_page_shows_the_rendered_text_and_the_form(group):
    document = create_document(organization=group.municipality, body=BODY)
    db.session.commit()

    response = group.as_(group.employee).get(f"/dokument/{document.id}")

    assert response.status_code == 200
    html = html_of(response)
    assert '<h2 id="avsnitt-syfte">Syfte</h2>' in html
    assert "<table>" in html and "<td>Systemägare</td>" in html
    assert "# Syfte" not in html
    page = text_of(response)
    assert "Jag har läst och förstått" in page
    assert "Kvittera version 1" in page
    hidden = re.search(r'<input[^>]*name="version_id"[^>]*>', html)
    assert hidden and f'value="{document.versions[0].id}"' in hidden.group(0)
    assert re.search(r'<input[^>]*name="confirm"[^>]*type="checkbox"', html)


def test_acknowledging_with_htmx_replaces_the_form_and_updates_the_tasks(group):
    document = create_document("Informationssäkerhetspolicy", organization=group.municipality)
    other = create_document("Instruktion för distansarbete", organization=group.municipality,
                            kind="instruction")
    db.session.commit()
    client = group.as_(group.employee)
    assert "Informationssäkerhetspolicy" in open_tasks_on_start_page(client)

    response = acknowledge(client, document, headers=FRAGMENT)

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    ack = db.session.scalars(select(Acknowledgement).where(
        Acknowledgement.person_id == group.employee.id)).one()
    assert ack.version_id == document.versions[0].id
    assert ack.content_sha256 == hashlib.sha256(
        document.versions[0].body.encode("utf-8")).hexdigest()
    assert ack.method == "web"
    assert f"Kvitterad {moment_text(ack.acknowledged_at)}, version 1" in visible(html)
    assert f"Kvitterad {day_text(today())}" in visible(html)
    assert '<h2 id="acknowledge-heading" data-focus>' in html
    assert 'name="confirm"' not in html
    tasks = re.search(r'<aside id="my-tasks"[^>]*hx-swap-oob="true">(.*?)</aside>', html, re.S)
    assert tasks, html
    assert "Instruktion för distansarbete" in visible(tasks.group(1))
    assert "Informationssäkerhetspolicy" not in visible(tasks.group(1))
    messages = re.search(r'<div id="messages"[^>]*hx-swap-oob="true">(.*?)</div>', html, re.S)
    assert messages, html
    assert "Tack! Din kvittens av Informationssäkerhetspolicy är sparad." in visible(
        messages.group(1))

    remaining = open_tasks_on_start_page(client)
    assert "Informationssäkerhetspolicy" not in remaining
    assert "Instruktion för distansarbete" in remaining
    assert "1 dokument kvitterat." in text_of(client.get("/"))
    assert other.title in remaining


def test_acknowledging_without_javascript_redirects_back_to_the_confirmation(group):
    document = create_document(organization=group.municipality)
    db.session.commit()
    client = group.as_(group.employee)

    response = acknowledge(client, document)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/dokument/{document.id}#kvittens"
    page = text_of(client.get(f"/dokument/{document.id}"))
    ack = db.session.scalars(select(Acknowledgement)).one()
    assert f"Kvitterad {moment_text(ack.acknowledged_at)}, version 1" in page
    assert "Tack! Din kvittens av Informationssäkerhetspolicy är sparad." in page
    assert "Jag har läst och förstått" not in page
    assert open_tasks_on_start_page(client) == ""
    assert "Du har kvitterat alla styrdokument som gäller dig." in text_of(client.get("/"))


def test_acknowledging_twice_keeps_one_row_and_is_no_error(group):
    document = create_document(organization=group.municipality)
    db.session.commit()
    client = group.as_(group.employee)

    first = acknowledge(client, document, headers=FRAGMENT)
    first_row = db.session.scalars(select(Acknowledgement)).one()
    moment = first_row.acknowledged_at
    second = acknowledge(client, document, headers=FRAGMENT)
    third = acknowledge(client, document)

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 303)
    db.session.expire_all()
    rows = list(db.session.scalars(select(Acknowledgement)))
    assert len(rows) == 1
    assert rows[0].acknowledged_at == moment
    assert f"Kvitterad {moment_text(moment)}, version 1" in visible(html_of(second))
    assert len(audit_events("document.acknowledged")) == 1


@pytest.mark.parametrize("headers", [{}, FRAGMENT], ids=["plain", "htmx"])
def test_acknowledging_without_the_checkbox_is_refused_and_saves_nothing(group, headers):
    document = create_document(organization=group.municipality)
    db.session.commit()

    response = acknowledge(group.as_(group.employee), document, confirm=False, headers=headers)

    assert response.status_code == 422
    assert "Kryssa i att du har läst och förstått dokumentet." in text_of(response)
    assert ("<html" in html_of(response)) is not bool(headers)
    assert 'aria-invalid="true"' in html_of(response)
    assert acknowledgement_count() == 0
    assert "Informationssäkerhetspolicy" in open_tasks_on_start_page(group.as_(group.employee))


# -- 2. refusals -----------------------------------------------------------------------

@pytest.mark.parametrize("confirm", [True, False], ids=["confirmed", "no-checkbox"])
def test_acknowledging_a_document_that_does_not_apply_is_forbidden(group, confirm):
    consultants_only = create_document(
        "Instruktion för konsulter", organization=group.municipality,
        audience={"organization_ids": [group.municipality.id], "kinds": ["consultant"]})
    company_document = create_document("Bolagets rutin", organization=group.company)
    db.session.commit()
    client = group.as_(group.employee)

    for document in (consultants_only, company_document):
        response = acknowledge(client, document, confirm=confirm)
        assert response.status_code == 403, document.title
        assert "Dokumentet gäller inte dig, så du kan inte kvittera det." in text_of(response)
    assert acknowledgement_count() == 0


def test_acknowledging_a_superseded_version_points_to_the_current_one(group):
    document = create_document(organization=group.municipality, published_at=long_ago(60))
    first = document.versions[0]
    publish_version(document, BODY + "\nNytt stycke.\n", number="2")
    db.session.commit()
    client = group.as_(group.employee)

    plain = acknowledge(client, document, version_id=first.id)
    fragment = acknowledge(client, document, version_id=first.id, headers=FRAGMENT)

    assert plain.status_code == 422
    assert ("Version 1 är ersatt av version 2. Läs och kvittera den gällande versionen."
            in text_of(plain))
    assert fragment.status_code == 422
    assert "<html" not in html_of(fragment)
    assert "ersatt av version 2" in text_of(fragment)
    assert acknowledgement_count() == 0


def test_acknowledging_a_withdrawn_document_is_refused(group):
    document = create_document(organization=group.municipality)
    document.withdrawn_at = utcnow()
    document.withdrawal_reason = "Ersatt av ny policy, KS 2026/200"
    db.session.commit()

    response = acknowledge(group.as_(group.employee), document)

    assert response.status_code == 422
    page = text_of(response)
    assert "Kvittens Dokumentet är upphävt och ska inte kvitteras." in page
    assert "Skäl: Ersatt av ny policy, KS 2026/200" in page
    assert "Jag har läst och förstått" not in page
    assert acknowledgement_count() == 0


def test_acknowledging_without_a_csrf_token_is_refused(group):
    document = create_document(organization=group.municipality)
    db.session.commit()
    client = group.as_(group.employee)

    for headers in ({}, FRAGMENT):
        response = client.post(f"/dokument/{document.id}/kvittera", headers=headers, data={
            "version_id": str(document.versions[0].id), "confirm": "y"})
        assert response.status_code == 400
        page = text_of(response)
        assert ("Formuläret saknade en giltig säkerhetstoken, till exempel för att sidan varit "
                "öppen länge. Ladda om sidan och försök igen.") in page
        assert ("Formuläret kunde inte skickas" in page) is not bool(headers)
        assert ("<html" in html_of(response)) is not bool(headers)
    assert acknowledgement_count() == 0


def test_an_employee_may_not_open_or_post_to_any_coordinator_page(group):
    document = create_document(organization=group.municipality)
    db.session.commit()
    client = group.as_(group.employee)
    base = f"/styrdokument/{document.id}"
    pages = ["/styrdokument/", "/styrdokument/nytt", f"{base}/installningar",
             f"/styrdokument/malgrupp?organization_ids={group.municipality.id}",
             f"{base}/utkast", f"{base}/kvittenser", f"{base}/kvittenser?visa=alla",
             f"{base}/kvittenser.csv", "/styrdokument/antaganden", f"{base}/antaganden"]
    posts = {
        "/styrdokument/nytt": {"title": "Egen policy", "kind": "policy",
                               "organization_id": str(group.municipality.id),
                               "acknowledgement_days": "30", "review_interval_months": "12"},
        f"{base}/installningar": {"title": "Kapad", "kind": "policy",
                                  "organization_id": str(group.municipality.id),
                                  "acknowledgement_days": "30",
                                  "review_interval_months": "12"},
        f"{base}/utkast/ny": {},
        f"{base}/utkast": {"number": "2", "body": "Kapad", "do": "publish"},
        f"{base}/forhandsgranska": {"body": "# Rubrik"},
        f"{base}/upphav": {"reason": "Kapad"},
        f"{base}/antaganden": {"organization_id": str(group.company.id),
                               "action": "adopted", "decided_by": "Styrelsen",
                               "decision_date": today().isoformat()},
    }

    for path in pages:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Åtkomst nekad" in text_of(response), path
    for path, data in posts.items():
        response = post(client, path, data)
        assert response.status_code == 403, path
        assert "Åtkomst nekad" in text_of(response), path

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1
    assert db.session.scalar(select(func.count()).select_from(DocumentVersion)) == 1
    assert db.session.scalar(select(func.count()).select_from(DocumentAdoption)) == 0
    assert db.session.get(Document, document.id).title == "Informationssäkerhetspolicy"
    assert db.session.get(Document, document.id).withdrawn_at is None


def test_a_document_that_does_not_exist_is_404(group):
    client = group.as_(group.employee)
    for path in ("/dokument/987654", "/dokument/987654/jamfor"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Dokumentet finns inte." in text_of(response)
    response = post(client, "/dokument/987654/kvittera", {"version_id": "1", "confirm": "y"})
    assert response.status_code == 404
    assert "Dokumentet finns inte." in text_of(response)
    response = group.as_(group.coordinator).get("/styrdokument/987654/utkast")
    assert response.status_code == 404


def test_someone_outside_the_audience_in_another_organization_may_not_read_it(group):
    document = create_document(organization=group.municipality, body=BODY)
    outsider = create_person("olle.utanfor", display_name="Olle Utanför",
                             organization=group.company)
    db.session.commit()
    client = group.as_(outsider)

    response = client.get(f"/dokument/{document.id}")

    assert response.status_code == 403
    page = text_of(response)
    assert "Du får inte läsa det här dokumentet." in page
    assert "Alla ska skydda informationen" not in page
    assert "Informationssäkerhetspolicy" not in text_of(client.get("/dokument/"))
    assert group.as_(group.employee).get(f"/dokument/{document.id}").status_code == 200


# -- 3. the coordinator's editor -------------------------------------------------------

def settings_form(group: Group, **values) -> dict:
    data = {"title": "Riktlinjer för informationssäkerhet", "kind": "guideline",
            "organization_id": str(group.municipality.id), "responsible": "sam.samordnare",
            "requires_acknowledgement": "y", "review_interval_months": "12",
            "acknowledgement_days": "30", "organization_ids": [str(group.municipality.id)],
            "include_sub_units": "y"}
    data.update(values)
    return data


def draft_form(body: str = BODY, **values) -> dict:
    data = {"number": "1", "change_kind": "major", "change_summary": "",
            "decided_by": "Kommunfullmäktige",
            "decision_date": (today() - timedelta(days=7)).isoformat(),
            "reference": "KS 2026/148", "valid_from": "", "body": body, "do": "save"}
    data.update(values)
    return data


def new_document(group: Group) -> int:
    """A document created through the form; its id."""
    response = post(group.as_(group.coordinator), "/styrdokument/nytt", settings_form(group))
    assert response.status_code == 303, text_of(response)
    match = re.fullmatch(r"/styrdokument/(\d+)/utkast", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def test_a_coordinator_creates_saves_and_publishes_a_document(group):
    client = group.as_(group.coordinator)
    assert client.get("/styrdokument/nytt").status_code == 200

    document_id = new_document(group)
    document = db.session.get(Document, document_id)
    assert document.title == "Riktlinjer för informationssäkerhet"
    assert document.kind == "guideline"
    assert document.responsible_id == group.coordinator.id
    assert document.audience["organization_ids"] == [group.municipality.id]
    assert "Riktlinjer för informationssäkerhet är skapat." in text_of(
        client.get(f"/styrdokument/{document_id}/utkast"))

    saved = post(client, f"/styrdokument/{document_id}/utkast", draft_form())
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"/styrdokument/{document_id}/utkast"
    draft = draft_of(document_id)
    assert draft.body == BODY
    assert draft.reference == "KS 2026/148"
    assert draft.sequence is None and draft.sha256 is None
    assert "Utkastet är sparat." in text_of(client.get(f"/styrdokument/{document_id}/utkast"))
    assert group.as_(group.employee).get(f"/dokument/{document_id}").status_code == 404

    published = post(client, f"/styrdokument/{document_id}/utkast", draft_form(do="publish"))

    assert published.status_code == 303
    assert published.headers["Location"] == f"/dokument/{document_id}"
    db.session.expire_all()
    version = db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document_id)).one()
    assert version.published_at is not None and version.sequence == 1
    assert version.published_by_id == group.coordinator.id
    assert version.valid_from == today() - timedelta(days=7)
    assert version.sha256 == hashlib.sha256(BODY.encode("utf-8")).hexdigest()
    page = text_of(client.get(f"/dokument/{document_id}"))
    assert "Version 1 av Riktlinjer för informationssäkerhet är publicerad." in page
    assert version.sha256 in page
    assert "Riktlinjer för informationssäkerhet" in open_tasks_on_start_page(
        group.as_(group.employee))


def test_previewing_without_javascript_shows_the_text_and_saves_nothing(group):
    document_id = new_document(group)
    client = group.as_(group.coordinator)
    assert post(client, f"/styrdokument/{document_id}/utkast",
                draft_form("Första utkastet.")).status_code == 303
    events = len(audit_events("document.draft_saved"))

    response = post(client, f"/styrdokument/{document_id}/utkast",
                    draft_form(BODY, do="preview"))

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" in html
    preview = html[html.index('<section id="preview"'):]
    preview = preview[:preview.index("</section>")]
    assert "<table>" in preview and '<h2 id="avsnitt-syfte">Syfte</h2>' in preview
    assert draft_of(document_id).body == "Första utkastet."
    assert len(audit_events("document.draft_saved")) == events


def test_the_htmx_preview_renders_a_table_and_escapes_scripts(group):
    document_id = new_document(group)
    body = BODY + '\n<script>alert("x")</script>\n\n[klicka](javascript:alert(1))\n'

    response = post(group.as_(group.coordinator), f"/styrdokument/{document_id}/forhandsgranska",
                    {"body": body}, headers=FRAGMENT)

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    assert "<table>" in html and "<th>Roll</th>" in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert '<h2 id="preview-heading" data-focus' in html
    assert draft_of(document_id).body == ""


def test_publishing_with_a_future_decision_date_changes_nothing(group):
    document_id = new_document(group)
    client = group.as_(group.coordinator)
    assert post(client, f"/styrdokument/{document_id}/utkast", draft_form()).status_code == 303
    future = today() + timedelta(days=3)

    response = post(client, f"/styrdokument/{document_id}/utkast", draft_form(
        BODY + "\nÄndrat i sista stund.\n", decision_date=future.isoformat(), do="publish"))

    assert response.status_code == 422
    assert (f"Beslutsdatum kan inte ligga i framtiden ({future.isoformat()})."
            in text_of(response))
    assert "Inget sparades." in text_of(response)
    draft = draft_of(document_id)
    assert draft.published_at is None and draft.sequence is None and draft.sha256 is None
    assert draft.body == BODY
    assert draft.decision_date == today() - timedelta(days=7)
    assert audit_events("document.published") == []


def test_a_draft_may_lack_its_dates_but_publishing_asks_for_the_decision_date(group):
    document_id = new_document(group)
    client = group.as_(group.coordinator)

    saved = post(client, f"/styrdokument/{document_id}/utkast",
                 draft_form(decision_date="", valid_from=""))

    assert saved.status_code == 303, text_of(saved)
    assert draft_of(document_id).decision_date is None
    refused = post(client, f"/styrdokument/{document_id}/utkast",
                   draft_form(decision_date="", do="publish"))
    assert refused.status_code == 422
    assert "Fyll i beslutsdatum (ÅÅÅÅ-MM-DD)." in text_of(refused)
    assert draft_of(document_id).published_at is None
    malformed = post(client, f"/styrdokument/{document_id}/utkast",
                     draft_form(valid_from="1 maj"))
    assert malformed.status_code == 422
    assert "Gäller från: Ange datumet som ÅÅÅÅ-MM-DD." in text_of(malformed)


def test_the_longest_body_is_accepted_and_one_more_character_is_refused(group):
    document_id = new_document(group)
    client = group.as_(group.coordinator)
    longest = ("åäö " * 50_000)[:200_000]
    assert len(longest) == 200_000

    accepted = post(client, f"/styrdokument/{document_id}/utkast", draft_form(longest))

    assert accepted.status_code == 303, accepted.status_code
    assert draft_of(document_id).body == longest

    refused = post(client, f"/styrdokument/{document_id}/utkast", draft_form(longest + "å"))

    assert refused.status_code == 422
    assert "Texten får vara högst 200 000 tecken; den är 200 001." in text_of(refused)
    assert draft_of(document_id).body == longest


def test_the_longest_body_fits_the_form_limit_when_posted_as_multipart(group, config):
    """Typographic dashes and quotes take 3 bytes each in UTF-8: 200 000 of them are
    600 000 bytes in one multipart text part, over Flask's default limit of 500 000."""
    document_id = new_document(group)
    client = group.as_(group.coordinator)
    typographic = "”–" * 100_000

    response = post(client, f"/styrdokument/{document_id}/utkast", draft_form(typographic),
                    content_type="multipart/form-data")

    assert response.status_code == 303, response.status_code
    assert draft_of(document_id).body == typographic
    config(MAX_FORM_MEMORY_SIZE=500_000)  # Flask's default refuses the same post
    refused = post(client, f"/styrdokument/{document_id}/utkast", draft_form(typographic),
                   content_type="multipart/form-data")
    assert refused.status_code == 413
    assert "Det du skickade är för stort" in refused.get_data(as_text=True)


def test_an_audience_that_matches_nobody_is_saved_with_a_warning(group):
    document_id = new_document(group)
    client = group.as_(group.coordinator)

    response = post(client, f"/styrdokument/{document_id}/installningar",
                    settings_form(group, kinds=["board"]))

    assert response.status_code == 303
    assert response.headers["Location"] == "/styrdokument/"
    db.session.expire_all()
    assert db.session.get(Document, document_id).audience["kinds"] == ["board"]
    page = text_of(client.get(f"/styrdokument/{document_id}/installningar"))
    assert "Målgruppen omfattar ingen aktiv person just nu." in page
    assert "Du kan spara ändå" in page


def test_the_audience_count_matches_the_database(demo_people, app):
    coordinator = db.session.scalar(select(Person).join(Person.organization).where(
        Organization.kind == OrganizationKind.MUNICIPALITY, Person.active.is_(True)))
    grant(coordinator, Role.COORDINATOR)
    db.session.commit()
    client = browser(app, coordinator)
    municipality = coordinator.organization_id

    def shown(query: str) -> int:
        response = client.get(f"/styrdokument/malgrupp?{query}", headers=FRAGMENT)
        assert response.status_code == 200
        assert "<html" not in html_of(response)
        match = re.search(r"Målgruppen omfattar just nu (\d+) aktiva? person", text_of(response))
        assert match, text_of(response)
        return int(match.group(1))

    employees = db.session.scalar(select(func.count()).select_from(Person).where(
        Person.organization_id == municipality, Person.kind == PersonKind.EMPLOYEE,
        Person.active.is_(True)))
    everyone = db.session.scalar(select(func.count()).select_from(Person).where(
        Person.active.is_(True)))
    report = aliased(Person)
    managers = db.session.scalar(select(func.count(func.distinct(Person.id))).join(
        report, report.manager_id == Person.id).where(
        Person.organization_id == municipality, Person.active.is_(True),
        report.active.is_(True)))
    assert employees > 1 and managers > 1

    assert shown(f"organization_ids={municipality}&kinds=employee") == employees
    all_orgs = "&".join(f"organization_ids={o}" for o in
                        db.session.scalars(select(Organization.id)))
    assert shown(all_orgs) == everyone
    assert shown(f"organization_ids={municipality}&roles=manager") == managers

    forged = client.get("/styrdokument/malgrupp?organization_ids=987654", headers=FRAGMENT)
    assert forged.status_code == 200
    assert "En vald organisation finns inte." in text_of(forged)
    assert "omfattar just nu" not in text_of(forged)


def test_withdrawing_needs_a_reason_and_hides_the_document_from_the_library(group):
    document = create_document(organization=group.municipality)
    db.session.commit()
    client = group.as_(group.coordinator)

    refused = post(client, f"/styrdokument/{document.id}/upphav", {"reason": "  "})

    assert refused.status_code == 422
    assert "Fyll i skäl." in text_of(refused)
    db.session.expire_all()
    assert db.session.get(Document, document.id).withdrawn_at is None

    response = post(client, f"/styrdokument/{document.id}/upphav",
                    {"reason": "Ersatt av Riktlinjer, KS 2026/301"})

    assert response.status_code == 303
    db.session.expire_all()
    withdrawn = db.session.get(Document, document.id)
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawal_reason == "Ersatt av Riktlinjer, KS 2026/301"
    reader = group.as_(group.employee)
    assert "Informationssäkerhetspolicy" not in text_of(reader.get("/dokument/"))
    archive = text_of(reader.get("/dokument/?upphavda=1"))
    assert "Informationssäkerhetspolicy" in archive
    assert open_tasks_on_start_page(reader) == ""
    page = text_of(reader.get(f"/dokument/{document.id}"))
    assert "Skäl: Ersatt av Riktlinjer, KS 2026/301" in page


# -- 4. follow-up and adoption ---------------------------------------------------------

def build_follow_up(group: Group) -> Document:
    """A policy for the municipality and the company; three of five have acknowledged."""
    document = create_document(
        organization=group.municipality,
        audience={"organization_ids": [group.municipality.id, group.company.id],
                  "kinds": ["employee"]})
    version = document.versions[0]
    anna = create_person("anna", display_name="Anna Andersson", organization=group.municipality,
                         unit=group.care)
    bertil = create_person("bertil", display_name="Bertil Berg", organization=group.municipality,
                           unit=group.school)
    cecilia = create_person("cecilia", display_name="Cecilia Carlsson",
                            organization=group.company)
    create_person("david", display_name="David Dahl", organization=group.company)
    create_person("konsult", display_name="Kalle Konsult", organization=group.municipality,
                  kind=PersonKind.CONSULTANT)
    acknowledge_in_bulk([anna, cecilia, group.coordinator], version)
    db.session.commit()
    assert bertil.unit_id == group.school.id
    return document


def table_rows(html: str, caption: str) -> list[str]:
    start = html.index(f"<caption>{caption}</caption>")
    table = html[start:html.index("</table>", start)]
    return [visible(row) for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)][1:]


def test_the_follow_up_shows_organizations_sectors_and_who_has_not_acknowledged(group):
    document = build_follow_up(group)
    client = group.as_(group.coordinator)

    response = client.get(f"/styrdokument/{document.id}/kvittenser")

    assert response.status_code == 200
    html = html_of(response)
    assert table_rows(html, "Per organisation") == [
        "Exempelby Energi AB 2 1 50 %", "Exempelby kommun 4 2 50 %"]
    assert table_rows(html, "Per sektor") == [
        "Exempelby Energi AB 2 1 50 %", "Exempelby kommun 1 1 100 %",
        "Exempelby kommun / Barn och utbildning 1 0 0 %",
        "Exempelby kommun / Vård och omsorg 2 1 50 %"]
    page = text_of(response)
    assert "3/6 personer i målgruppen" in page
    members = html[html.index('id="members-heading"'):]
    names = re.findall(r'<th scope="row">(.*?)</th>', members)
    assert names == ["Bertil Berg", "David Dahl", "Eva Medarbetare"]
    assert "Kalle Konsult" not in page

    everyone = client.get(f"/styrdokument/{document.id}/kvittenser?visa=alla")
    html = html_of(everyone)
    members = html[html.index('id="members-heading"'):]
    assert re.findall(r'<th scope="row">(.*?)</th>', members) == [
        "Anna Andersson", "Bertil Berg", "Cecilia Carlsson", "David Dahl", "Eva Medarbetare",
        "Sam Samordnare"]
    assert "Kvitterad" in visible(members) and "(version 1)" in visible(members)


def test_a_sector_in_the_follow_up_links_to_its_people(group):
    document = build_follow_up(group)
    client = group.as_(group.coordinator)
    overview = html_of(client.get(f"/styrdokument/{document.id}/kvittenser"))
    sector = "Exempelby kommun / Vård och omsorg"
    link = re.search(r'<a href="([^"]+)">' + re.escape(sector) + "</a>", overview)
    assert link, overview

    response = client.get(link.group(1).replace("&amp;", "&"))

    html = html_of(response)
    members = html[html.index('id="members-heading"'):]
    assert f"Som inte har kvitterat: {sector}" in visible(members)
    assert re.findall(r'<th scope="row">(.*?)</th>', members) == ["Eva Medarbetare"]


def test_the_follow_up_exports_csv_and_logs_the_export(group):
    document = build_follow_up(group)
    client = group.as_(group.coordinator)

    response = client.get(f"/styrdokument/{document.id}/kvittenser.csv")

    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeffNamn;")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].split(";")[:3] == ["Namn", "Användarnamn", "Organisation"]
    assert len(lines) == 1 + 6
    by_name = {line.split(";")[0]: line.split(";") for line in lines[1:]}
    assert set(by_name) == {"Anna Andersson", "Bertil Berg", "Cecilia Carlsson", "David Dahl",
                            "Eva Medarbetare", "Sam Samordnare"}
    assert "Kvitterad" in by_name["Anna Andersson"]
    assert "Ej kvitterad" in by_name["Bertil Berg"]
    events = audit_events("document.status_exported")
    assert len(events) == 1
    assert events[0].actor_id == group.coordinator.id
    assert events[0].object_id == str(document.id)
    assert events[0].details["people"] == 6


def adoption_form(group: Group, **values) -> dict:
    data = {"organization_id": str(group.company.id), "action": "adopted",
            "decided_by": "Styrelsen för Exempelby Energi AB",
            "decision_date": (today() - timedelta(days=2)).isoformat(),
            "reference": "Styrelseprotokoll 2026-04 § 7"}
    data.update(values)
    return data


def company_section(html: str, company: Organization) -> str:
    start = html.index(f'aria-labelledby="company-{company.id}"')
    return visible(html[start:html.index("</section>", start)])


def test_a_company_adopts_a_document_and_the_overview_shows_it(group):
    document = create_document(organization=group.municipality)
    worker = create_person("erik.energi", display_name="Erik Energi", organization=group.company)
    db.session.commit()
    client = group.as_(group.coordinator)
    assert "Inte antaget" in company_section(
        html_of(client.get("/styrdokument/antaganden")), group.company)
    assert open_tasks_on_start_page(group.as_(worker)) == ""

    response = post(client, f"/styrdokument/{document.id}/antaganden", adoption_form(group))

    assert response.status_code == 303
    assert response.headers["Location"] == "/styrdokument/antaganden"
    overview = client.get("/styrdokument/antaganden")
    section = company_section(html_of(overview), group.company)
    assert "Informationssäkerhetspolicy Policy Antaget Styrelsen för Exempelby Energi AB" in section
    assert "1 av 1 dokument antagna." in section
    assert "Beslutet för Exempelby Energi AB är registrerat." in text_of(overview)
    assert "Informationssäkerhetspolicy" in open_tasks_on_start_page(group.as_(worker))


def test_an_adoption_decided_in_the_future_is_refused(group):
    document = create_document(organization=group.municipality)
    db.session.commit()
    future = today() + timedelta(days=10)

    response = post(group.as_(group.coordinator), f"/styrdokument/{document.id}/antaganden",
                    adoption_form(group, decision_date=future.isoformat()))

    assert response.status_code == 422
    assert (f"Beslutsdatum kan inte ligga i framtiden ({future.isoformat()})."
            in text_of(response))
    assert db.session.scalar(select(func.count()).select_from(DocumentAdoption)) == 0


def test_a_coordinator_of_one_company_may_not_record_for_another(group):
    document = create_document(organization=group.municipality)
    housing = create_organization("Exempelby Bostäder AB", OrganizationKind.COMPANY)
    scoped = create_person("bo.bostader", display_name="Bo Bostäder", organization=housing)
    grant(scoped, Role.COORDINATOR, organization=housing)
    db.session.commit()
    client = group.as_(scoped)
    assert client.get(f"/styrdokument/{document.id}/antaganden").status_code == 200

    response = post(client, f"/styrdokument/{document.id}/antaganden", adoption_form(group))

    assert response.status_code == 403
    assert "Du får inte registrera beslut för Exempelby Energi AB." in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(DocumentAdoption)) == 0
    allowed = post(client, f"/styrdokument/{document.id}/antaganden",
                   adoption_form(group, organization_id=str(housing.id),
                                 decided_by="Styrelsen för Exempelby Bostäder AB"))
    assert allowed.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(DocumentAdoption)) == 1


# -- 5. the number of queries does not grow with the number of people -----------------

def test_mina_uppgifter_needs_the_same_queries_for_10_or_1000_colleagues(app, count_queries):
    organization = create_organization()
    me = create_person("maja.mätning", display_name="Maja Mätning", organization=organization)
    documents = [create_document(f"Dokument {n}", organization=organization) for n in range(3)]
    acknowledge_in_bulk([me], documents[0].versions[0])
    create_people_in_bulk(9, organization=organization, prefix="liten")
    db.session.commit()
    client = browser(app, me)
    client.get("/")

    with count_queries() as few:
        small = client.get("/")
    create_people_in_bulk(990, organization=organization, prefix="stor")
    db.session.commit()
    with count_queries() as many:
        large = client.get("/")

    assert small.status_code == large.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Person).where(
        Person.organization_id == organization.id)) == 1000
    for response in (small, large):
        assert "Du har 2 dokument att läsa och kvittera." in text_of(response)
        assert "1 dokument kvitterat." in text_of(response)
    assert many.count == few.count, "\n\n".join(many.statements)


def member_rows(response) -> int:
    """How many people the follow-up page lists by name."""
    html = html_of(response)
    return len(re.findall(r'<th scope="row">', html[html.index('id="members-heading"'):]))


@pytest.mark.parametrize(("query", "rows_of_10", "rows_of_1000", "note"), [
    ("", 5, 250, "Visar de första 250 av 500."),
    ("?visa=alla&alla=1", 10, 1000, "Alla i målgruppen"),
], ids=["missing", "everyone"])
def test_the_follow_up_needs_the_same_queries_for_10_or_1000_people(
        app, count_queries, query, rows_of_10, rows_of_1000, note):
    organization = create_organization()
    company = create_organization("Exempelby Energi AB", OrganizationKind.COMPANY)
    unit = create_unit(organization, "Vård och omsorg / Hemtjänst")
    coordinator = create_person("sam.samordnare", organization=company)
    grant(coordinator, Role.COORDINATOR)
    document = create_document(organization=organization)
    version = document.versions[0]
    people = create_people_in_bulk(10, organization=organization, prefix="liten", unit=unit)
    acknowledge_in_bulk(people[:5], version)
    db.session.commit()
    client = browser(app, coordinator)
    path = f"/styrdokument/{document.id}/kvittenser{query}"
    client.get(path)

    with count_queries() as few:
        small = client.get(path)
    more = create_people_in_bulk(990, organization=organization, prefix="stor", unit=unit)
    acknowledge_in_bulk(more[:495], version)
    db.session.commit()
    with count_queries() as many:
        large = client.get(path)

    assert small.status_code == large.status_code == 200
    assert "5/10 personer i målgruppen" in text_of(small)
    assert "500/1000 personer i målgruppen" in text_of(large)
    assert (member_rows(small), member_rows(large)) == (rows_of_10, rows_of_1000)
    assert note in text_of(large)
    assert many.count == few.count, "\n\n".join(many.statements)


# -- 6. the library --------------------------------------------------------------------

def test_the_library_finds_words_without_accents_and_filters_by_kind(group):
    create_document("Rutin för incidenter", organization=group.municipality, kind="routine",
                    body="## Åtgärder\n\nRing IT-supporten direkt.")
    create_document("Informationssäkerhetspolicy", organization=group.municipality)
    create_document("Instruktion för distansarbete", organization=group.municipality,
                    kind="instruction", body="Lås skärmen.")
    db.session.commit()
    client = group.as_(group.employee)

    def titles(query: str) -> list[str]:
        response = client.get(f"/dokument/?{query}")
        assert response.status_code == 200
        return [html_lib.unescape(t) for t in re.findall(
            r'<th scope="row"><a href="/dokument/\d+">(.*?)</a>', html_of(response))]

    assert titles("") == ["Informationssäkerhetspolicy", "Instruktion för distansarbete",
                          "Rutin för incidenter"]
    assert titles("q=%C3%A5tg%C3%A4rd") == ["Rutin för incidenter"]
    assert titles("q=%C3%85TG%C3%84RD") == ["Rutin för incidenter"]
    assert titles("q=s%C3%A4kerhetspolicy") == ["Informationssäkerhetspolicy"]
    assert titles("typ=instruction") == ["Instruktion för distansarbete"]
    assert titles("typ=routine&q=policy") == []
    fragment = client.get("/dokument/?typ=routine", headers=FRAGMENT)
    assert "<html" not in html_of(fragment)
    assert "Rutin för incidenter" in text_of(fragment)


def test_the_comparison_shows_added_and_removed_lines(group):
    document = create_document(organization=group.municipality, published_at=long_ago(30),
                               body="# Syfte\n\nLösenord byts var 90:e dag.\n\nSlut.")
    first = document.versions[0]
    second = publish_version(document, "# Syfte\n\nLösenord ska vara minst 14 tecken.\n\nSlut.",
                             number="2")
    db.session.commit()

    response = group.as_(group.employee).get(
        f"/dokument/{document.id}/jamfor?fran={first.id}&till={second.id}")

    assert response.status_code == 200
    html = html_of(response)
    removed = [visible(d) for d in re.findall(r'<del class="diff-line">(.*?)</del>', html, re.S)]
    added = [visible(i) for i in re.findall(r'<ins class="diff-line">(.*?)</ins>', html, re.S)]
    assert removed == ["Borttaget: − Lösenord byts var 90:e dag."]
    assert added == ["Tillagt: + Lösenord ska vara minst 14 tecken."]
    assert "Version 1 jämförd med version 2." in text_of(response)
