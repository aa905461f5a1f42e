"""Hostile input against the whole portal (tests/attack_corpus.py): script in names from the
directory and in what users type, LDAP filter injection at sign-in, SQL wildcards in the
search boxes, path traversal against /static/, oversize bodies, and spreadsheet formulas
in every export."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import openpyxl
import pytest
from flask.testing import FlaskClient
from ldap.dn import escape_dn_chars
from sqlalchemy import func, select

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    ActionPlanItem,
    AuditEvent,
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    Document,
    InformationSystem,
    Organization,
    Person,
    RiskAnalysis,
    Role,
    SyncRun,
    Training,
    TrainingCompletion,
)
from app.services import audit as audit_service
from app.services import checklist_assignments, reminders
from app.services.directory import directory_from_config
from app.text import fold
from ldap_sync import sync
from ldap_sync.source import LdifSource
from tests.attack_corpus import (
    FORMULAS,
    LDAP_INJECTION,
    SQL_SEARCH,
    TRAVERSAL,
    XSS,
    XSS_MARKDOWN,
    live_markup,
    neutralised,
    parse,
    shown_as_typed,
)
from tests.factories import (
    SUFFIX,
    create_document,
    create_organization,
    create_person,
    create_system,
    create_training,
    dn,
    grant,
    ldif,
    ldif_group,
    ldif_person,
)
from tests.group_helpers import LONG_AGO
from tests.helpers import browser, csrf_token, html_of, post, post_form, text_of

FRAGMENT = {"HX-Request": "true"}
CSV_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def assert_inert(response, where: str, payload: str | None = None,
                 statuses: tuple[int, ...] = (200, 422)) -> None:
    """The page answered, nothing injected runs in it, and (when given) the payload is
    there as the user or the directory wrote it."""
    html = html_of(response)
    assert response.status_code in statuses, (where, response.status_code)
    assert live_markup(html) == [], (where, live_markup(html))
    if payload is not None:
        assert shown_as_typed(html, payload), (where, payload)


# -- 1. script in names from the directory ---------------------------------------------------

def hostile_entry(uid: str, payload: str, name: str, manager: str | None = None) -> str:
    """A person whose title, unit (an `ou` of the DN) and organization (`o`) are the payload,
    written as a directory would: escaped in the DN, plain in the attributes."""
    escaped = escape_dn_chars(payload)
    entry = ldif_person(uid, ou=f"ou={escaped},ou=Verksamhetsstöd", org=payload, name=name,
                        title=payload, manager=manager)
    first, rest = entry.split("\n", 1)
    return first.replace(f",o={payload},", f",o={escaped},") + "\n" + rest


def hostile_dn(uid: str, payload: str) -> str:
    escaped = escape_dn_chars(payload)
    return f"uid={uid},ou={escaped},ou=Verksamhetsstöd,o={escaped},{SUFFIX}"


@dataclass
class Hostile:
    """Chef (name, title, unit and organization all the payload) and Vera reporting to her,
    loaded through the real directory sync; a coordinator and an admin from directory groups;
    a document, a system and a training in the payload's organization."""

    app: object
    payload: str
    chief: Person
    worker: Person
    coordinator: Person
    admin: Person
    organization: Organization
    run_id: int
    document: Document | None = None
    system: InformationSystem | None = None
    training: Training | None = None
    clients: dict[int, FlaskClient] = field(default_factory=dict)

    def as_(self, person: Person) -> FlaskClient:
        if person.id not in self.clients:
            self.clients[person.id] = browser(self.app, person)
        return self.clients[person.id]

    def exports(self) -> dict[str, FlaskClient]:
        """Every spreadsheet export that holds these people's names, and who may fetch it."""
        coordinator, chief = self.as_(self.coordinator), self.as_(self.chief)
        return {"/min-enhet/export.csv": chief, "/min-enhet/export.xlsx": chief,
                "/samordning/personer.csv": coordinator,
                f"/styrdokument/{self.document.id}/kvittenser.csv": coordinator,
                f"/utbildningar/{self.training.id}/uppfoljning.csv": coordinator,
                "/systemregister.csv": coordinator,
                "/administration/logg.csv": self.as_(self.admin)}


def load_directory(app, text: str, folder: Path) -> int:
    path = folder / "hostile.ldif"
    path.write_text(text, encoding="utf-8")
    sync.run(LdifSource(path), sync.SyncSettings.from_config(app.config))
    return db.session.scalar(select(func.max(SyncRun.id)))


def by_username(username: str) -> Person:
    return db.session.scalar(select(Person).where(Person.username == username))


def directory_world(app, payload: str, folder: Path) -> Hostile:
    """Hostile's people through the sync, with a document everyone is late to acknowledge,
    a system they own and administer and a training, all in the payload's organization."""
    run_id = load_directory(app, ldif(
        hostile_entry("chef.fientlig", payload, payload),
        hostile_entry("vera.fientlig", payload, f"Vera {payload}",
                      manager=hostile_dn("chef.fientlig", payload)),
        ldif_person("sam.samordnare", name="Sam Samordnare"),
        ldif_person("ada.admin", name="Ada Admin"),
        ldif_group("LIS-samordnare", [dn("sam.samordnare")]),
        ldif_group("Portaladministratörer", [dn("ada.admin")])), folder)
    chief, worker = by_username("chef.fientlig"), by_username("vera.fientlig")
    for person in (chief, worker):
        person.created_at = LONG_AGO  # in the portal long before the document was due
    world = Hostile(app, payload, chief, worker, by_username("sam.samordnare"),
                    by_username("ada.admin"), chief.organization, run_id)
    world.document = create_document("Policy", organization=world.organization,
                                      acknowledgement_days=5,
                                      published_at=utcnow() - timedelta(days=10))
    world.system = create_system("Journal", organization=world.organization, owner=chief,
                                 administrators=(worker,), unit=chief.unit)
    world.training = create_training(organization=world.organization)
    db.session.commit()
    return world


@pytest.fixture(params=XSS)
def hostile(app, request, tmp_path) -> Hostile:
    return directory_world(app, request.param, tmp_path)


def test_the_sync_stores_the_directory_values_as_they_are(hostile):
    chief = hostile.chief
    assert (chief.display_name, chief.title, chief.unit.name, chief.organization.name) == (
        hostile.payload,) * 4
    assert hostile.worker.manager_id == chief.id


def test_names_from_the_directory_are_shown_as_text_on_every_page(hostile):
    payload = hostile.payload
    document, system, training = hostile.document, hostile.system, hostile.training
    admin, coordinator = hostile.as_(hostile.admin), hostile.as_(hostile.coordinator)
    granted = post(admin, "/administration/roller", {
        "person": "chef.fientlig", "role": "coordinator",
        "organization": str(hostile.organization.id)})
    assert granted.status_code == 303, text_of(granted)

    shown = {  # path: the reader, and whether the payload must be visible there
        "/": (hostile.as_(hostile.chief), True),
        "/min-enhet/": (hostile.as_(hostile.chief), True),
        f"/dokument/{document.id}": (hostile.as_(hostile.worker), True),
        "/samordning/": (coordinator, True),
        "/samordning/personer": (coordinator, True),
        "/systemregister/": (coordinator, True),
        f"/system/{system.id}": (coordinator, True),
        f"/styrdokument/{document.id}/kvittenser": (coordinator, True),
        f"/utbildningar/{training.id}/uppfoljning": (coordinator, True),
        "/administration/roller": (admin, True),
        "/administration/logg": (admin, True),
        f"/administration/synkronisering/{hostile.run_id}": (admin, True),
        "/administration/": (admin, False),
        "/system/": (hostile.as_(hostile.chief), True),
        "/arshjul": (coordinator, False),
    }
    for path, (client, visible) in shown.items():
        assert_inert(client.get(path), path, payload if visible else None)
        assert_inert(client.get(path, headers=FRAGMENT), f"{path} (htmx)")


def download(client: FlaskClient, path: str):
    """Read a (possibly streamed) export whole inside its request's context, as
    tests/test_audit_log.py explains."""
    return client.get(path, buffered=True)


def spreadsheet_rows(response) -> list[list[object]]:
    """An export read back as a spreadsheet program would: CSV for Swedish Excel, or xlsx
    (where no cell may be a formula)."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype in CSV_TYPES, response.mimetype
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.mimetype == "text/csv":
        text = response.get_data(as_text=True)
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_exports_and_reminder_mail_carry_directory_names_as_text(hostile):
    payload = hostile.payload
    for path, client in hostile.exports().items():
        cells = [cell for row in spreadsheet_rows(download(client, path)) for cell in row]
        assert payload in cells, (path, cells)

    planned = reminders.send_due(dry_run=True).planned
    mails = [(outgoing.person_id, outgoing.template, outgoing.compose()) for outgoing in planned]
    assert {(person_id, template) for person_id, template, _mail in mails} >= {
        (hostile.chief.id, "digest"), (hostile.chief.id, "unit_digest"),
        (hostile.worker.id, "digest")}
    for person_id, template, mail in mails:
        assert live_markup(mail.html) == [], (template, live_markup(mail.html))
        name = payload if person_id == hostile.chief.id else f"Vera {payload}"
        assert shown_as_typed(mail.html, f"Hej {name}!"), mail.html
        assert f"Hej {name}!" in mail.text  # plain text is not HTML: no escaping there


# -- 2. script in what users type -------------------------------------------------------------

@dataclass
class Office:
    """A coordinator, an admin, a system owner and a system administrator in the municipality
    (ordinary names: here the fields they type are the attack)."""

    app: object
    organization: Organization
    coordinator: Person
    admin: Person
    owner: Person
    administrator: Person
    clients: dict[int, FlaskClient] = field(default_factory=dict)

    def as_(self, person: Person) -> FlaskClient:
        if person.id not in self.clients:
            self.clients[person.id] = browser(self.app, person)
        return self.clients[person.id]


@pytest.fixture
def office(app) -> Office:
    organization = create_organization()
    coordinator = create_person("sam.samordnare", display_name="Sam Samordnare",
                                organization=organization)
    admin = create_person("ada.admin", display_name="Ada Admin", organization=organization)
    grant(coordinator, Role.COORDINATOR)
    grant(admin, Role.ADMIN)
    owner = create_person("olle.agare", display_name="Olle Ägare", organization=organization)
    administrator = create_person("filip.forvaltare", display_name="Filip Förvaltare",
                                  organization=organization)
    db.session.commit()
    return Office(app, organization, coordinator, admin, owner, administrator)


def created_id(response, pattern: str) -> int:
    assert response.status_code == 303, text_of(response)
    match = re.fullmatch(pattern, response.headers["Location"].split("#")[0])
    assert match, response.headers["Location"]
    return int(match.group(1))


def type_into_the_system_register(office: Office, payload: str) -> dict[str, FlaskClient]:
    """A system, its action item with a status note, a risk analysis and a risk, each with
    the payload in every text field; the pages that show them."""
    coordinator = office.as_(office.coordinator)
    form = {"name": payload, "organization_id": str(office.organization.id), "unit_id": "",
            "owner": "olle.agare", "administrators": "filip.forvaltare",
            "description": payload, "supplier": payload[:200], "status": "in_use",
            "exception_reason": "", "notes": payload}
    refused = post(coordinator, "/systemregister/nytt", {**form, "owner": payload})
    assert refused.status_code == 422
    assert_inert(refused, "refused system form", payload)
    system_id = created_id(post(coordinator, "/systemregister/nytt", form), r"/system/(\d+)")
    base = f"/system/{system_id}"
    owner = office.as_(office.owner)
    assert post(owner, f"{base}/handlingsplan", {
        "item-description": payload, "item-responsible": "filip.forvaltare",
        "item-due_on": (today() + timedelta(days=30)).isoformat(), "item-source": ""},
    ).status_code == 303
    item_id = db.session.scalar(select(func.max(ActionPlanItem.id)))
    assert post(owner, f"{base}/handlingsplan/{item_id}/status", {
        f"item-{item_id}-status": "in_progress", f"item-{item_id}-note": payload},
    ).status_code == 303
    administrator = office.as_(office.administrator)
    analysis = {"analysis-performed_on": today().isoformat(), "analysis-method": payload[:200],
                "analysis-participants": payload, "analysis-summary": payload,
                "analysis-links": payload}
    refused = post(administrator, f"{base}/riskanalyser", analysis)
    assert refused.status_code == 422  # a link that is no web address
    assert_inert(refused, "refused risk analysis", payload)
    assert post(administrator, f"{base}/riskanalyser", {
        # One link a line, split at ";" and "," too: the payload goes in URL-quoted.
        **analysis, "analysis-links": "https://dokument.exempelby.se/?q=" + quote(payload),
    }).status_code == 303
    analysis_id = db.session.scalar(select(func.max(RiskAnalysis.id)))
    assert post(administrator, f"{base}/riskanalyser/{analysis_id}/risker", {
        f"risk-{analysis_id}-description": payload, f"risk-{analysis_id}-likelihood": "2",
        f"risk-{analysis_id}-consequence": "3"}).status_code == 303
    return {base: coordinator, f"{base}/redigera": coordinator, "/systemregister/": coordinator,
            "/system/": owner, f"{base}?visa=alla": administrator}


def type_a_document(office: Office, payload: str) -> dict[str, FlaskClient]:
    """A document with the payload as title, change summary and Markdown body, published."""
    coordinator = office.as_(office.coordinator)
    org = str(office.organization.id)
    document_id = created_id(post(coordinator, "/styrdokument/nytt", {
        "title": payload, "kind": "policy", "organization_id": org,
        "responsible": "sam.samordnare", "requires_acknowledgement": "y",
        "review_interval_months": "12", "acknowledgement_days": "30",
        "organization_ids": [org], "include_sub_units": "y"}), r"/styrdokument/(\d+)/utkast")
    base = f"/styrdokument/{document_id}"
    draft = {"number": "1", "change_kind": "major", "change_summary": payload,
             "decided_by": payload[:200], "decision_date": today().isoformat(),
             "reference": payload[:100], "valid_from": "",
             "body": f"# Syfte\n\n{payload}\n\n- {payload}\n\n> {payload}\n", "do": "save"}
    assert post(coordinator, f"{base}/utkast", draft).status_code == 303
    preview = post(coordinator, f"{base}/forhandsgranska", {"body": draft["body"]},
                   headers=FRAGMENT)
    assert_inert(preview, "markdown preview")
    assert post(coordinator, f"{base}/utkast", {**draft, "do": "publish"}).status_code == 303
    reader = office.as_(office.owner)
    return {f"/dokument/{document_id}": reader, "/dokument/": reader, "/": reader,
            base + "/utkast": coordinator, base + "/installningar": coordinator,
            base + "/kvittenser": coordinator, "/styrdokument/": coordinator}


def type_a_training(office: Office, payload: str) -> dict[str, FlaskClient]:
    """A training with the payload as title and description; a link that is not a web
    address is refused, one with the payload in its query is kept and escaped."""
    coordinator = office.as_(office.coordinator)
    year, org = today().year, str(office.organization.id)
    form = {"title": payload, "description": payload, "link": payload,
            "organization_id": org, "period_starts_on": f"{year}-01-01",
            "period_ends_on": f"{year}-12-31", "due_on": f"{year}-12-31", "proof": "both",
            "organization_ids": [org], "include_sub_units": "y",
            "kinds": ["employee", "consultant"]}
    refused = post(coordinator, "/utbildningar/ny", form)
    assert refused.status_code == 422
    assert "Länken ska börja med https:// eller http://." in text_of(refused)
    assert_inert(refused, "refused training form", payload)
    link = "https://lar.exempelby.se/kurs?q=" + payload
    training_id = created_id(post(coordinator, "/utbildningar/ny", {**form, "link": link}),
                             r"/utbildningar/(\d+)/uppfoljning")
    assert db.session.get(Training, training_id).link == link
    reader = office.as_(office.owner)
    return {f"/utbildning/{training_id}": reader, "/": reader,
            "/utbildningar/": coordinator, f"/utbildningar/{training_id}/uppfoljning":
            coordinator, f"/utbildningar/{training_id}/redigera": coordinator}


def administrators_checklist(office: Office) -> ChecklistAssignment:
    """This year's checklist of the system administrator (a system is made if none is)."""
    query = select(ChecklistAssignment).join(ChecklistTemplate).where(
        ChecklistTemplate.role == ChecklistRole.SYSTEM_ADMINISTRATOR,
        ChecklistAssignment.assignee_id == office.administrator.id)
    if db.session.scalar(query) is None:
        create_system("Ekonomisystem", organization=office.organization, owner=office.owner,
                      administrators=(office.administrator,))
        checklist_assignments.generate()
        db.session.commit()
    return db.session.scalars(query).first()


def type_a_checklist_item(office: Office, payload: str) -> dict[str, FlaskClient]:
    """An item for system administrators with the payload as title and help text, ticked
    with the payload as note."""
    coordinator = office.as_(office.coordinator)
    role = ChecklistRole.SYSTEM_ADMINISTRATOR.value
    assert post(coordinator, f"/checklistmallar/{role}/punkter", {
        "new-title": payload[:300], "new-help_text": payload, "new-document_id": "",
        "new-due_month": "", "new-apply_now": "y"}).status_code == 303
    item = db.session.scalar(select(ChecklistItem).where(ChecklistItem.title == payload[:300]))
    assignment = administrators_checklist(office)
    administrator = office.as_(office.administrator)
    tick = f"/checklista/{assignment.id}/punkt/{item.id}"
    for link, status in ((payload, 422), ("https://underlag.exempelby.se/?q=" + payload, 200)):
        ticked = post(administrator, tick, {f"item-{item.id}-note": payload,
                                            f"item-{item.id}-evidence_link": link,
                                            "do": "tick"}, headers=FRAGMENT)
        assert ticked.status_code == status, (link, ticked.status_code)
        assert_inert(ticked, "ticked item (htmx)", payload)
    return {f"/checklista/{assignment.id}": administrator, "/": administrator,
            f"/checklistmallar/{role}": coordinator, "/arshjul": coordinator}


def type_a_management_review(office: Office, payload: str) -> dict[str, FlaskClient]:
    coordinator = office.as_(office.coordinator)
    review_id = created_id(post(coordinator, "/rapporter/", {
        "year": str(today().year), "scope": "group"}), r"/rapporter/(\d+)")
    assert post(coordinator, f"/rapporter/{review_id}", {
        "previous_decisions": payload, "issue_changes": payload, "incidents": "",
        "incidents_note": payload, "proposals": payload}).status_code == 303
    exported = coordinator.get(f"/rapporter/{review_id}.md")
    assert exported.status_code == 200
    assert exported.mimetype != "text/html"
    return {f"/rapporter/{review_id}": coordinator, "/rapporter/": coordinator}


@pytest.mark.parametrize("payload", XSS)
def test_what_users_type_is_shown_as_text_wherever_it_is_shown(office, payload):
    pages: dict[str, FlaskClient] = {}
    for typing in (type_into_the_system_register, type_a_document, type_a_training,
                   type_a_checklist_item, type_a_management_review):
        pages.update(typing(office, payload))
    pages["/administration/logg"] = office.as_(office.admin)
    for path, client in pages.items():
        assert_inert(client.get(path), path)
        assert_inert(client.get(path, headers=FRAGMENT), f"{path} (htmx)")
    # Plain-text fields keep what was typed, character for character.
    system = db.session.scalar(select(InformationSystem))
    assert (system.name, system.description, system.notes) == (payload,) * 3
    for path in (f"/system/{system.id}", "/systemregister/"):
        assert shown_as_typed(html_of(office.as_(office.coordinator).get(path)), payload)
    document = db.session.scalar(select(Document))
    assert document.title == payload
    assert shown_as_typed(html_of(office.as_(office.owner).get(f"/dokument/{document.id}")),
                          payload)


@pytest.mark.parametrize("payload", XSS_MARKDOWN)
def test_markdown_fields_render_without_script_handlers_or_javascript_links(office, payload):
    coordinator = office.as_(office.coordinator)
    pages = type_a_document(office, payload)
    pages.update(type_a_training(office, payload))
    pages.update(type_a_management_review(office, payload))
    pages.update(type_a_checklist_item(office, payload))
    for path, client in pages.items():
        assert_inert(client.get(path), path)
    document_id = db.session.scalar(select(Document.id))
    assert_inert(post(coordinator, f"/styrdokument/{document_id}/forhandsgranska",
                      {"body": payload}, headers=FRAGMENT), "preview")


# -- 3. LDAP filter injection at sign-in ------------------------------------------------------

@pytest.mark.parametrize("username", LDAP_INJECTION)
def test_ldap_filter_injection_at_sign_in_signs_nobody_in(client, ldap_config, username):
    # "demo" is every demo person's real password: a username that widened the filter to
    # match one of them would sign in with it.
    for password in ("demo", "fel-lösenord"):
        response = post_form(client, "/logga-in", {"username": username, "password": password})
        assert response.status_code == 422, (password, response.status_code)
        assert "Fel användarnamn eller lösenord." in text_of(response)
        assert_inert(response, "sign-in form")
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "auth.signed_in")) == 0


def test_the_directory_look_up_takes_the_username_literally(app, ldap_config):
    directory = directory_from_config(app.config)
    settings = sync.SyncSettings.from_config(app.config)
    attributes = settings.person_attributes()
    assert directory.find_person(["uid"], "maria.nilsson", attributes) is not None
    for username in LDAP_INJECTION:
        assert directory.find_person(["uid", "mail"], username, attributes) is None, username


# -- 4. SQL wildcards and quotes in the search boxes -----------------------------------------

NAMES = ("Anna Andersson", "Rabatt 100% Persson", "Fil_namn Svensson", "Katalog C:\\temp Berg",
         "O'Brien Lind", "Stjärna*Ek", "Snedstreck/Ström")


@dataclass
class Searchable:
    """Everything named once with each of NAMES: documents, systems, Chef's reports, and
    audit events done by those reports."""

    reader: FlaskClient
    coordinator: FlaskClient
    chief: FlaskClient
    admin: FlaskClient
    documents: dict[str, str]  # name: search text
    systems: dict[str, str]
    people: dict[str, str]


@pytest.fixture
def searchable(app) -> Searchable:
    organization = create_organization()
    chief = create_person("chef", display_name="Chef Ek", organization=organization)
    coordinator = create_person("sam", display_name="Sam Samordnare", organization=organization)
    admin = create_person("ada", display_name="Ada Admin", organization=organization)
    grant(coordinator, Role.COORDINATOR)
    grant(admin, Role.ADMIN)
    documents, systems, people = {}, {}, {}
    for n, name in enumerate(NAMES):
        # Not to be acknowledged: a column of Min enhet would show the title whatever the search.
        documents[name] = create_document(name, organization=organization, body="Text.",
                                          requires_acknowledgement=False).search_text
        systems[name] = create_system(name, organization=organization).search_text
        person = create_person(f"person.{n}", display_name=name, manager=chief,
                               organization=organization)
        people[name] = person.search_text
        audit_service.record(person, "test.searched", "test", n)
    db.session.commit()
    chief_browser = browser(app, chief)  # a second sign-in would end the first session
    return Searchable(chief_browser, browser(app, coordinator), chief_browser,
                      browser(app, admin), documents, systems, people)


def listed(response, names) -> set[str]:
    assert response.status_code == 200, response.status_code
    assert live_markup(html_of(response)) == []
    text = " ".join("".join(parse(html_of(response)).texts).split())
    return {name for name in names if name in text}


def literal_matches(search_texts: dict[str, str], query: str, whole: bool = False) -> set[str]:
    """What a literal search finds: every word (or, `whole`, the whole query) is a part of
    the folded search text; no character is a wildcard."""
    words = [fold(query.strip())] if whole else fold(query).split()
    return {name for name, text in search_texts.items() if all(w in text for w in words)}


@pytest.mark.parametrize("query", SQL_SEARCH + LDAP_INJECTION + XSS)
def test_search_boxes_match_literally_and_never_fail(searchable, query):
    boxes = [
        (searchable.reader, "/dokument/", "q", searchable.documents, False),
        (searchable.coordinator, "/systemregister/", "q", searchable.systems, False),
        (searchable.chief, "/min-enhet/", "q", searchable.people, False),
        (searchable.admin, "/administration/logg", "person", searchable.people, True),
    ]
    for client, path, param, texts, whole in boxes:
        for headers in ({}, FRAGMENT):
            response = client.get(path, query_string={param: query}, headers=headers)
            assert listed(response, texts) == literal_matches(texts, query, whole), (
                path, headers)
            if query in XSS and not headers:  # the whole page keeps it in the search box
                assert shown_as_typed(html_of(response), query), path


def test_a_percent_or_underscore_search_finds_only_what_contains_one(searchable):
    for query, name in (("%", "Rabatt 100% Persson"), ("_", "Fil_namn Svensson"),
                        ("\\", "Katalog C:\\temp Berg")):
        assert listed(searchable.reader.get("/dokument/", query_string={"q": query}),
                      NAMES) == {name}
        assert listed(searchable.coordinator.get("/systemregister/",
                                                 query_string={"q": query}), NAMES) == {name}
        assert listed(searchable.chief.get("/min-enhet/", query_string={"q": query}),
                      NAMES) == {name}
        assert listed(searchable.admin.get("/administration/logg",
                                           query_string={"person": query}), NAMES) == {name}


@pytest.mark.parametrize("identifier", ["%", "_", "*", "' OR 1=1 --", "person.%", "person._"])
def test_granting_a_role_names_one_person_exactly(searchable, identifier):
    response = post(searchable.admin, "/administration/roller",
                    {"person": identifier, "role": "coordinator", "organization": ""})
    assert response.status_code == 422
    assert_inert(response, "grant form", identifier)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "role.granted")) == 0


def test_a_nul_character_in_a_form_is_kept_as_a_replacement_character_not_an_error(office):
    coordinator = office.as_(office.coordinator)
    response = post(coordinator, "/systemregister/nytt", {
        "name": "Ekonomi\x00system", "organization_id": str(office.organization.id),
        "description": "rad\x00två", "status": "in_use"})
    system_id = created_id(response, r"/system/(\d+)")
    system = db.session.get(InformationSystem, system_id)
    assert (system.name, system.description) == ("Ekonomi\ufffdsystem", "rad\ufffdtvå")
    assert coordinator.get(f"/system/{system_id}").status_code == 200
    assert coordinator.get("/systemregister/", query_string={"q": "\x00"}).status_code == 200


# -- 5. path traversal against the static files ----------------------------------------------

STATIC = Path(__file__).resolve().parent.parent / "app" / "static"


@pytest.mark.parametrize("path", TRAVERSAL)
def test_static_files_never_leave_the_static_folder(client, path):
    response = client.get("/static/" + path, follow_redirects=True)
    # "//" is merged by a redirect within /static/, which then finds nothing.
    assert all(urlsplit(r.headers["Location"]).path.startswith("/static/")
               for r in response.history)
    assert response.status_code in (400, 404), (path, response.status_code)
    body = response.get_data()
    for outside in ("def create_app", "root:x:0:0", "[fonts]", "PORTAL_SECRET_KEY"):
        assert outside.encode() not in body, path
    assert response.status_code == 404 or "Felaktig begäran" in text_of(response)


def test_the_static_folder_serves_its_own_files_and_is_the_only_file_route(app, client):
    for file in ("htmx-2.0.11.min.js", "css/portal.css", "js/portal.js"):
        response = client.get(f"/static/{file}")
        assert response.status_code == 200
        assert response.data == (STATIC / file).read_bytes()
        response.close()
    # A route taking a path is how a file route looks; only Flask's own static one has it.
    # (Exports, the .md review and the chart SVGs are generated, never read from disk.)
    assert [rule.endpoint for rule in app.url_map.iter_rules() if "<path:" in rule.rule] == [
        "static"]


# -- 6. oversize bodies -----------------------------------------------------------------------

TOO_LARGE = "För mycket på en gång"
OVER_FORM_LIMIT = 2_600_000  # MAX_FORM_MEMORY_SIZE is 2,500,000 bytes (app/config.py)


def test_an_oversize_form_field_is_answered_413_in_swedish_and_nothing_is_saved(office):
    coordinator = office.as_(office.coordinator)
    big = "x" * OVER_FORM_LIMIT
    form = {"name": "Stort system", "organization_id": str(office.organization.id),
            "status": "in_use", "description": big}
    response = post(coordinator, "/systemregister/nytt", form,
                    content_type="multipart/form-data")
    assert response.status_code == 413
    assert TOO_LARGE in text_of(response) and "Inget har sparats." in text_of(response)
    assert_inert(response, "413", statuses=(413,))

    fragment = post(coordinator, "/systemregister/nytt", form, headers=FRAGMENT,
                    content_type="multipart/form-data")
    assert fragment.status_code == 413
    assert "<html" not in html_of(fragment)
    assert "Det du skickade är för stort" in text_of(fragment)
    assert db.session.scalar(select(func.count()).select_from(InformationSystem)) == 0


def test_an_oversize_url_encoded_body_is_answered_413_before_it_is_read(client):
    # The CSRF check reads the form of every POST, signed in or not.
    response = client.post("/logga-in", data={"username": "x" * 4_000_000, "password": "x"})
    assert response.status_code == 413
    assert TOO_LARGE in text_of(response)


def upload(client: FlaskClient, path: str, data: bytes, token_from: str, **fields: str):
    return client.post(path, data={"file": (io.BytesIO(data), "stor.csv"),
                                   "csrf_token": csrf_token(client, token_from), **fields},
                       content_type="multipart/form-data")


def test_an_oversize_upload_is_refused_in_swedish_and_nothing_is_imported(office):
    # The imports catch the size themselves and answer on their own page (422), with the
    # limit in megabytes, rather than with the general 413 page.
    coordinator = office.as_(office.coordinator)
    response = upload(coordinator, "/systemregister/import",
                      b"namn;organisation\n" + b"x" * (3 * 1024 * 1024), "/systemregister/import")
    assert response.status_code == 422
    assert "Filen är större än 2 MB. Dela upp den i flera filer." in text_of(response)
    training = create_training(organization=office.organization)
    db.session.commit()
    response = upload(coordinator, f"/utbildningar/{training.id}/import",
                      b"anvandarnamn;datum\n" + b"x" * (11 * 1024 * 1024), "/",
                      identify_by="username")
    assert response.status_code == 422
    assert "Filen är större än 5 MB. Dela upp den i flera filer." in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(InformationSystem)) == 0
    assert db.session.scalar(select(func.count()).select_from(TrainingCompletion)) == 0


def test_with_a_request_size_cap_every_oversize_body_is_413_and_imports_still_work(
        office, config):
    # What app/config.py needs (reported): a cap over MAX_FORM_MEMORY_SIZE. With it an
    # ordinary form answers 413 to a url-encoded body or a file part of any size, while the
    # imports, which raise the limit for themselves, still take their files.
    config(MAX_CONTENT_LENGTH=3_000_000)
    coordinator = office.as_(office.coordinator)
    form = {"name": "Stort system", "organization_id": str(office.organization.id),
            "status": "in_use", "description": "x" * 3_000_000}
    for headers in ({}, FRAGMENT):
        response = post(coordinator, "/systemregister/nytt", form, headers=headers)
        assert response.status_code == 413
        assert "Det du skickade är för stort" in text_of(response)
    token = csrf_token(coordinator, "/")
    response = coordinator.post("/systemregister/nytt", data={
        "csrf_token": token, "name": "Med bilaga", "organization_id": str(office.organization.id),
        "status": "in_use", "bilaga": (io.BytesIO(b"x" * 4_000_000), "stor.bin")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert TOO_LARGE in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(InformationSystem)) == 0

    row = "Exempelby kommun;" + "x" * 200 + "\n"
    response = upload(coordinator, "/systemregister/import",
                      ("namn;organisation\n" + row * 9000).encode(), "/systemregister/import")
    assert response.status_code in (200, 422)
    assert "Filen är större" not in text_of(response) and TOO_LARGE not in text_of(response)
    training = create_training(organization=office.organization)
    db.session.commit()
    response = upload(coordinator, f"/utbildningar/{training.id}/import",
                      ("anvandarnamn;datum\n" + "finns.inte;2026-03-01\n" * 200_000).encode(),
                      "/", identify_by="username")
    assert response.status_code in (200, 422)
    assert "Filen är större" not in text_of(response) and TOO_LARGE not in text_of(response)


# -- 7. spreadsheet formulas in every export ---------------------------------------------------

@pytest.fixture(params=FORMULAS)
def formulas(app, request, tmp_path) -> Hostile:
    """The directory world with a formula for names, title, unit and organization (the sync
    trims what the directory sends, so a leading tab or CR arrives there as "=…"), and the
    formula exactly as given for the system, the document and the training."""
    payload = request.param
    world = directory_world(app, payload.strip(), tmp_path)
    world.payload = payload
    world.system.name = world.document.title = world.training.title = payload
    db.session.commit()
    return world


def test_every_export_neutralises_cells_that_would_be_formulas(formulas):
    payload, trimmed = formulas.payload, formulas.payload.strip()
    for path, client in formulas.exports().items():
        cells = [cell for row in spreadsheet_rows(download(client, path)) for cell in row]
        assert [cell for cell in cells if not neutralised(cell)] == [], path
        # The value is all there, behind the apostrophe that keeps it text.
        assert {"'" + payload, "'" + trimmed} & set(cells), (path, cells)
