"""Role checklists over HTTP: generation and "Mina uppgifter", ticking and unticking with
HTMX and as plain form posts (with the history of both), the refusals — a missing note,
someone else's checklist, the owner who only reads, the coordinator who ticks on someone's
behalf only with a reason, CSRF, unknown ids —, the coordinator's template editor (this
year or the next, order, retiring), the annual wheel, the navigation's count, and a number
of queries that does not grow with the number of assignments in the group."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

import app.services.checklists as checklists_service
from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    AuditEvent,
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    InformationSystem,
    ItemCheck,
    Person,
    Role,
    SubjectType,
    SystemAdministrator,
)
from app.services import checklist_assignments, checklists
from tests.factories import (
    create_organization,
    create_person,
    create_system,
    create_systems_in_bulk,
    grant,
)
from tests.helpers import browser, html_of, moment_text, post, visible

FRAGMENT = {"HX-Request": "true"}
SYSTEM = "Ekonomisystemet"
OTHER_SYSTEM = "Lönesystemet"
# Default items of the administrators' template (app.services.checklist_templates).
CLASSIFY = "Genomför informationsklassning enligt KLASSA"  # February, no note required
ACTION_PLAN = "Dokumentera handlingsplan"  # March
RISK = "Genomför riskanalys"  # April
ACCESS_REVIEW = "Genomför behörighetsgranskning"  # May, note required
BACKUP = "Testa återläsning av säkerhetskopia"  # September, note required
CONTINUITY = "Uppdatera kontinuitetsplan"  # October
ADMIN_ITEMS = 8
NOTE_REQUIRED = ("Den här punkten kräver en anteckning eller en länk till underlag, till "
                 "exempel vad som kontrollerades.")
ADMIN_ROLE = ChecklistRole.SYSTEM_ADMINISTRATOR.value
TEMPLATES = "/checklistmallar"


# -- helpers ---------------------------------------------------------------------------

def page_text(response) -> str:
    """What a person reads on the page (entities decoded, whitespace collapsed)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html_of(response), flags=re.S)
    return visible(html)


def item_of(role: ChecklistRole, title: str) -> ChecklistItem:
    return db.session.scalars(select(ChecklistItem).join(ChecklistTemplate).where(
        ChecklistTemplate.role == role, ChecklistItem.title == title)).one()


def assignment_of(role: ChecklistRole, system: InformationSystem,
                  period: int | None = None) -> ChecklistAssignment:
    return db.session.scalars(select(ChecklistAssignment).join(ChecklistTemplate).where(
        ChecklistTemplate.role == role, ChecklistAssignment.subject_type == SubjectType.SYSTEM,
        ChecklistAssignment.subject_id == system.id,
        ChecklistAssignment.period == (period or today().year))).one()


def item_block(html: str, assignment: ChecklistAssignment, item: ChecklistItem) -> str:
    """The HTML of one item of a checklist on a page ('' when it is not there)."""
    start = html.find(f'<li id="item-{assignment.id}-{item.id}"')
    if start == -1:
        return ""
    rest = html[start:]
    ends = [i for i in (rest.find('<li id="item-', 1), rest.find("</section>")) if i != -1]
    return rest[:min(ends)] if ends else rest


def item_titles(html: str, assignment: ChecklistAssignment) -> list[str]:
    """The titles of a checklist's items in the order the page lists them."""
    return [visible(re.sub(r'<span class="chip[^"]*">.*?</span>', "", title, flags=re.S))
            for title in re.findall(
                rf'<h3 class="item-title" id="item-title-{assignment.id}-\d+"[^>]*>(.*?)</h3>',
                html, re.S)]


def checks_of(assignment: ChecklistAssignment, item: ChecklistItem | None = None
              ) -> list[ItemCheck]:
    db.session.expire_all()
    query = select(ItemCheck).where(ItemCheck.assignment_id == assignment.id)
    if item is not None:
        query = query.where(ItemCheck.item_id == item.id)
    return list(db.session.scalars(query.order_by(ItemCheck.id)))


def audit_events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def tick(client: FlaskClient, assignment: ChecklistAssignment, item: ChecklistItem,
         note: str = "", *, do: str = "tick", evidence_link: str = "",
         reason: str | None = None, headers: dict | None = None):
    """Post the tick form of one item as the page has it."""
    prefix = f"item-{item.id}"
    data = {f"{prefix}-note": note, f"{prefix}-evidence_link": evidence_link, "do": do}
    if reason is not None:
        data[f"{prefix}-on_behalf_reason"] = reason
    return post(client, f"/checklista/{assignment.id}/punkt/{item.id}", data,
                headers=headers or {})


def month_entries(response, number: int) -> str:
    """The text of one month of the annual wheel."""
    html = html_of(response)
    match = re.search(rf'<h2 id="month-{number}">(.*?)</li>\s*(?=<li class="wheel-month|</ol>)',
                      html, re.S)
    assert match, number
    return visible(match.group(1))


def as_needed(response) -> str:
    html = html_of(response)
    match = re.search(r'<h2 id="as-needed-heading">(.*?)</section>', html, re.S)
    return visible(match.group(1)) if match else ""


def open_count(client: FlaskClient) -> str:
    response = client.get("/checklistor/antal")
    assert response.status_code == 200
    assert "<html" not in html_of(response)
    return visible(html_of(response))


class Group:
    """A municipality with a system (owner and administrator), a second system the
    administrator also administers, a plain employee and a coordinator for the group;
    this year's checklists generated."""

    def __init__(self, app) -> None:
        self.app = app
        self.municipality = create_organization()
        self.owner = create_person("olle.agare", display_name="Olle Ägare")
        self.administrator = create_person("anna.forvaltare", display_name="Anna Förvaltare")
        self.employee = create_person("eva.medarbetare", display_name="Eva Medarbetare")
        self.coordinator = create_person("sam.samordnare", display_name="Sam Samordnare")
        grant(self.coordinator, Role.COORDINATOR)
        self.system = create_system(SYSTEM, owner=self.owner,
                                    administrators=(self.administrator,))
        self.generate()
        self._clients: dict[int, FlaskClient] = {}

    def generate(self) -> checklist_assignments.GenerateResult:
        result = checklist_assignments.generate()
        db.session.commit()
        return result

    def as_(self, person: Person) -> FlaskClient:
        if person.id not in self._clients:
            self._clients[person.id] = browser(self.app, person)
        return self._clients[person.id]

    @property
    def admin_list(self) -> ChecklistAssignment:
        return assignment_of(ChecklistRole.SYSTEM_ADMINISTRATOR, self.system)

    @property
    def owner_list(self) -> ChecklistAssignment:
        return assignment_of(ChecklistRole.SYSTEM_OWNER, self.system)

    def item(self, title: str, role: ChecklistRole = ChecklistRole.SYSTEM_ADMINISTRATOR
             ) -> ChecklistItem:
        return item_of(role, title)


@pytest.fixture
def group(app) -> Group:
    return Group(app)


@pytest.fixture
def mid_year(monkeypatch: pytest.MonkeyPatch) -> date:
    """The 1st of July this year for the checklists' "overdue" (items due January–June)."""
    day = date(today().year, 7, 1)
    monkeypatch.setattr(checklists_service, "today", lambda: day)
    return day


# -- 1. generation and "Mina uppgifter" -------------------------------------------------

def test_mina_uppgifter_shows_the_administrators_checklist_with_due_months(group, mid_year):
    html = html_of(group.as_(group.administrator).get("/"))
    assignment = group.admin_list
    section = html[html.index('<section aria-labelledby="checklists-heading">'):
                   html.index('<section class="card" aria-labelledby="documents-heading">')]

    assert visible(section).startswith("Checklistor Punkter som återstår i dina checklistor "
                                       "i år. Årshjulet")
    year = today().year
    assert (f'<a href="/checklista/{assignment.id}">Systemförvaltare (per system): {SYSTEM}</a>'
            f' <span class="hint">{year}</span>') in section
    assert f"0 av {ADMIN_ITEMS} punkter avbockade" in visible(section)
    assert len(item_titles(section, assignment)) == ADMIN_ITEMS
    classify = visible(item_block(section, assignment, group.item(CLASSIFY)))
    assert classify.startswith(f"Försenad {CLASSIFY} Ska göras i februari")
    review = visible(item_block(section, assignment, group.item(ACCESS_REVIEW)))
    assert review.startswith(f"Försenad {ACCESS_REVIEW} Ska göras i maj · kräver anteckning "
                             "eller underlag")
    assert "Bocka av" in review
    backup = visible(item_block(section, assignment, group.item(BACKUP)))
    assert backup.startswith(f"{BACKUP} Ska göras i september")
    assert "Försenad" not in backup
    # The owner's checklist of the same system is the owner's task, not the administrator's.
    assert "Systemägare (per system)" not in section
    owner_html = html_of(group.as_(group.owner).get("/"))
    assert f"Systemägare (per system): {SYSTEM}" in visible(owner_html)
    assert "Systemförvaltare (per system)" not in visible(owner_html)


def test_generating_again_changes_nothing(group):
    before = db.session.scalar(select(func.count()).select_from(ChecklistAssignment))
    result = group.generate()
    assert (result.created, result.reassigned, result.unassigned) == (0, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(ChecklistAssignment)) == before


def test_someone_without_checklists_has_no_checklist_section(group):
    html = html_of(group.as_(group.employee).get("/"))
    assert 'id="checklists-heading"' not in html
    assert open_count(group.as_(group.employee)) == ""


# -- 2. ticking and unticking -----------------------------------------------------------

def test_ticking_with_htmx_returns_the_item_the_progress_and_the_message(group):
    client, assignment, item = group.as_(group.administrator), group.admin_list, \
        group.item(CLASSIFY)

    response = tick(client, assignment, item, "Klassat tillsammans med verksamheten",
                    headers=FRAGMENT)

    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    assert html.lstrip().startswith(f'<li id="item-{assignment.id}-{item.id}" '
                                    'class="checklist-item done">')
    [row] = checks_of(assignment, item)
    assert (row.checked, row.by_id, row.note) == (True, group.administrator.id,
                                                   "Klassat tillsammans med verksamheten")
    block = visible(item_block(html, assignment, item))
    assert block.startswith(f"Klar {CLASSIFY} Ska göras i februari Avbockad "
                            f"{moment_text(row.at)} av Anna Förvaltare: Klassat tillsammans "
                            "med verksamheten")
    assert "Ångra avbockningen" in block
    # The heading takes the focus after the swap.
    assert (f'id="item-title-{assignment.id}-{item.id}" data-focus tabindex="-1" '
            'autofocus') in html
    progress = re.search(rf'<p id="progress-{assignment.id}" class="progress" '
                         r'hx-swap-oob="true">(.*?)</p>', html, re.S)
    assert progress and visible(progress.group(1)).startswith(
        f"1 av {ADMIN_ITEMS} punkter avbockade")
    assert 'value="1"' in progress.group(1)
    message = re.search(r'<div id="messages"[^>]*hx-swap-oob="true">(.*?)</div>', html, re.S)
    assert message and visible(message.group(1)) == f"{CLASSIFY} är avbockad."
    assert json.loads(response.headers["HX-Trigger"]) == {"checklist-changed": item.id}
    assert len(audit_events("checklist.ticked")) == 1


def test_ticking_without_javascript_redirects_back_to_the_checklist(group):
    client, assignment, item = group.as_(group.administrator), group.admin_list, \
        group.item(BACKUP)

    response = tick(client, assignment, item, "Återläsning av en hel databas fungerade")

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(f"/checklista/{assignment.id}#")
    page = client.get(location)
    html = html_of(page)
    assert f'id="{location.split("#", 1)[1]}"' in html, "the anchor names the item"
    assert f"{BACKUP} är avbockad." in page_text(page)
    block = visible(item_block(html, assignment, item))
    assert block.startswith(f"Klar {BACKUP}")
    assert "Avbockad" in block and "Återläsning av en hel databas fungerade" in block
    assert f"1 av {ADMIN_ITEMS} punkter avbockade" in page_text(page)


def test_unticking_is_a_new_event_and_the_history_shows_both(group):
    client, assignment, item = group.as_(group.administrator), group.admin_list, \
        group.item(RISK)

    assert tick(client, assignment, item, headers=FRAGMENT).status_code == 200
    response = tick(client, assignment, item, do="untick", headers=FRAGMENT)

    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"checklist-changed": item.id}
    assert [c.checked for c in checks_of(assignment, item)] == [True, False]
    block = visible(item_block(html_of(response), assignment, item))
    assert "Bocka av" in block and "Ångra avbockningen" not in block
    assert f"Avbockningen av {RISK} är ångrad." in visible(html_of(response))
    assert f"0 av {ADMIN_ITEMS} punkter avbockade" in visible(html_of(response))

    page = html_of(client.get(f"/checklista/{assignment.id}"))
    history = re.search(r"<summary>Historik \(2\).*?</details>",
                        item_block(page, assignment, item), re.S)
    assert history, "the history of the item is shown"
    entries = [visible(e) for e in re.findall(r"<li>(.*?)</li>", history.group(0), re.S)]
    assert [e.split(" ")[0] for e in entries] == ["Avbockning", "Avbockad"]
    assert entries[0].startswith("Avbockning ångrad") and entries[0].endswith(
        "– Anna Förvaltare")
    assert entries[1].endswith("– Anna Förvaltare")
    assert len(audit_events("checklist.unticked")) == 1


@pytest.mark.parametrize("headers", [{}, FRAGMENT], ids=["plain", "htmx"])
def test_a_required_note_missing_is_refused_and_nothing_is_saved(group, headers):
    client, assignment, item = group.as_(group.administrator), group.admin_list, \
        group.item(ACCESS_REVIEW)

    response = tick(client, assignment, item, "   ", headers=headers)

    assert response.status_code == 422
    html = html_of(response)
    assert ("<html" in html) is not bool(headers)
    block = item_block(html, assignment, item)
    assert NOTE_REQUIRED in visible(block)
    assert "Inget sparades. Rätta uppgifterna och försök igen:" in visible(block)
    assert re.search(r"<details open\s+class=\"tick-details\">", block)
    # The summary's link leads to the note field (whose id carries the checklist's).
    note_id = f"item-{item.id}-note-{assignment.id}"
    assert f'<a href="#{note_id}">Anteckning: {NOTE_REQUIRED}</a>' in block
    assert re.search(rf'<textarea id="{note_id}"[^>]*aria-invalid="true"', block)
    # The error summary, not the heading, takes the focus after the swap.
    assert block.count("data-focus") == 1
    assert re.search(r'<div class="form-errors" role="alert" tabindex="-1" data-focus '
                     r'autofocus>', block)
    assert checks_of(assignment) == []
    assert audit_events("checklist.ticked") == []

    # With an evidence link instead of a note it is saved.
    response = tick(client, assignment, item,
                    evidence_link="https://ärende.exempelby.se/behorighet/2026",
                    headers=FRAGMENT)
    assert response.status_code == 200
    [row] = checks_of(assignment, item)
    assert row.evidence_link == "https://ärende.exempelby.se/behorighet/2026"


def test_ticking_twice_keeps_one_row(group):
    client, assignment, item = group.as_(group.administrator), group.admin_list, \
        group.item(CLASSIFY)

    first = tick(client, assignment, item, "Första", headers=FRAGMENT)
    second = tick(client, assignment, item, "Andra", headers=FRAGMENT)
    third = tick(client, assignment, item, "Tredje")

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 303)
    [row] = checks_of(assignment, item)
    assert row.note == "Första"
    assert len(audit_events("checklist.ticked")) == 1
    assert f"1 av {ADMIN_ITEMS} punkter avbockade" in visible(html_of(second))


def test_a_second_administrator_ticks_the_shared_checklist(group):
    colleague = create_person("bo.forvaltare", display_name="Bo Förvaltare")
    group.system.administrator_links.append(SystemAdministrator(person=colleague))
    db.session.commit()
    group.generate()
    assignment = group.admin_list
    assert assignment.assignee_id == group.administrator.id

    response = tick(group.as_(colleague), assignment, group.item(CLASSIFY), headers=FRAGMENT)

    assert response.status_code == 200
    [row] = checks_of(assignment)
    assert (row.by_id, row.on_behalf_reason) == (colleague.id, "")
    assert f"Systemförvaltare (per system): {SYSTEM}" in page_text(group.as_(colleague).get("/"))


@pytest.mark.parametrize("headers", [{}, FRAGMENT], ids=["plain", "htmx"])
def test_a_closed_period_is_not_ticked(group, headers):
    year = today().year
    checklist_assignments.generate(year - 1)
    db.session.commit()
    last_year = assignment_of(ChecklistRole.SYSTEM_ADMINISTRATOR, group.system, year - 1)

    response = tick(group.as_(group.administrator), last_year, group.item(CLASSIFY), "Sent",
                    headers=headers)

    assert response.status_code == 422
    assert (f"Perioden {year - 1} är avslutad; dess bockar kan inte ändras."
            in visible(html_of(response)))
    assert checks_of(last_year) == []


# -- 3. rights --------------------------------------------------------------------------

def test_another_employee_may_neither_see_nor_tick(group):
    client, assignment = group.as_(group.employee), group.admin_list
    item = group.item(ACCESS_REVIEW)

    response = client.get(f"/checklista/{assignment.id}")
    assert response.status_code == 403
    assert "Du får inte se den här checklistan." in page_text(response)
    for headers in ({}, FRAGMENT):
        # Rights before validation: a missing note and a bad link are not even looked at.
        response = tick(client, assignment, item, "", evidence_link="ftp://x",
                        headers=headers)
        assert response.status_code == 403
        assert ("<html" in html_of(response)) is not bool(headers)
        response = tick(client, assignment, item, do="untick", headers=headers)
        assert response.status_code == 403
    assert "Bocka av" not in page_text(client.get(f"/checklista/{assignment.id}"))
    assert checks_of(assignment) == []


def test_the_owner_reads_the_administrators_checklist_but_may_not_tick_it(group):
    client, assignment, item = group.as_(group.owner), group.admin_list, group.item(CLASSIFY)

    response = client.get(f"/checklista/{assignment.id}")
    assert response.status_code == 200
    text = page_text(response)
    assert f"Systemförvaltare (per system): {SYSTEM} {today().year}" in text
    assert "Ansvarig: Anna Förvaltare · Du ser checklistan men bockar inte av den." in text
    assert "Bocka av" not in text and 'name="do"' not in html_of(response)
    # The owner's own checklist of the system is linked from it, and the other way round.
    assert f'href="/checklista/{group.owner_list.id}"' in html_of(response)
    for headers in ({}, FRAGMENT):
        assert tick(client, assignment, item, "Jag gör det", headers=headers
                    ).status_code == 403
    assert checks_of(assignment) == []

    # And the administrator reads the owner's checklist of the system, read-only too.
    administrator = group.as_(group.administrator)
    response = administrator.get(f"/checklista/{group.owner_list.id}")
    assert response.status_code == 200
    assert "Du ser checklistan men bockar inte av den." in page_text(response)
    owner_item = group.item("Godkänn informationsklassningen", ChecklistRole.SYSTEM_OWNER)
    assert tick(administrator, group.owner_list, owner_item).status_code == 403
    assert checks_of(group.owner_list) == []


@pytest.mark.parametrize("headers", [{}, FRAGMENT], ids=["plain", "htmx"])
def test_the_coordinator_ticks_on_someones_behalf_only_with_a_reason(group, headers):
    client, assignment, item = group.as_(group.coordinator), group.admin_list, \
        group.item(CLASSIFY)
    page = client.get(f"/checklista/{assignment.id}")
    assert page.status_code == 200
    assert ("Du kan bocka av för den ansvariga med ett skäl som sparas."
            in page_text(page))
    assert "Skäl att bocka av för den ansvariga (krävs)" in page_text(page)

    response = tick(client, assignment, item, "Klart", reason=" ", headers=headers)
    assert response.status_code == 422
    block = item_block(html_of(response), assignment, item)
    reason_id = f"item-{item.id}-on_behalf_reason-{assignment.id}"
    assert (f'<a href="#{reason_id}">Skäl att bocka av för den ansvariga: Fyll i skäl att '
            f'bocka av för någon annan.</a>') in block
    assert re.search(rf'<input type="text" id="{reason_id}"[^>]*aria-invalid="true"', block)
    assert checks_of(assignment) == []

    response = tick(client, assignment, item, "Klart", reason="Anna är föräldraledig",
                    headers=headers)
    assert response.status_code == (200 if headers else 303)
    [row] = checks_of(assignment)
    assert (row.checked, row.by_id, row.on_behalf_reason, row.note) == (
        True, group.coordinator.id, "Anna är föräldraledig", "Klart")
    [event] = audit_events("checklist.ticked")
    assert event.details["on_behalf"] is True

    # Undoing on someone's behalf needs a reason too.
    response = tick(client, assignment, item, do="untick", reason="", headers=headers)
    assert response.status_code == 422
    block = item_block(html_of(response), assignment, item)
    undo_id = f"item-{item.id}-on_behalf_reason-undo-{assignment.id}"
    assert (f'<a href="#{undo_id}">Skäl att bocka av för den ansvariga: Fyll i skäl att '
            f'bocka av för någon annan.</a>') in block
    assert re.search(rf'<input type="text" id="{undo_id}"[^>]*aria-invalid="true"', block)
    assert [c.checked for c in checks_of(assignment)] == [True]
    # The history says for whom and why.
    history = page_text(client.get(f"/checklista/{assignment.id}"))
    assert "Avbockad" in history and "Sam Samordnare" in history


def test_ticking_without_a_csrf_token_is_refused(group):
    client, assignment, item = group.as_(group.administrator), group.admin_list, \
        group.item(CLASSIFY)
    for headers in ({}, FRAGMENT):
        response = client.post(f"/checklista/{assignment.id}/punkt/{item.id}",
                               data={f"item-{item.id}-note": "x", "do": "tick"},
                               headers=headers)
        assert response.status_code == 400
        assert ("Formuläret saknade en giltig säkerhetstoken, till exempel för att sidan varit "
                "öppen länge. Ladda om sidan och försök igen.") in page_text(response)
    assert checks_of(assignment) == []


def test_unknown_checklists_and_items_are_404(group):
    client, assignment = group.as_(group.administrator), group.admin_list
    owner_item = group.item("Godkänn informationsklassningen", ChecklistRole.SYSTEM_OWNER)

    response = client.get("/checklista/987654")
    assert response.status_code == 404
    assert "Checklistan finns inte." in page_text(response)
    for path in ("/checklista/987654/punkt/1", f"/checklista/{assignment.id}/punkt/987654",
                 f"/checklista/{assignment.id}/punkt/{owner_item.id}"):
        for headers in ({}, FRAGMENT):
            response = post(client, path, {"do": "tick"}, headers=headers)
            assert response.status_code == 404, path
    assert "Punkten finns inte i den här checklistan." in page_text(post(
        client, f"/checklista/{assignment.id}/punkt/{owner_item.id}", {"do": "tick"}))
    coordinator = group.as_(group.coordinator)
    assert coordinator.get(f"{TEMPLATES}/okand-roll").status_code == 404
    assert post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter/987654",
                {"item-987654-title": "x"}).status_code == 404
    assert checks_of(assignment) == []


def test_an_employee_gets_403_on_every_template_page(group):
    client, item = group.as_(group.employee), group.item(CLASSIFY)
    base = f"{TEMPLATES}/{ADMIN_ROLE}"
    pages = [f"{TEMPLATES}/", base, f"{TEMPLATES}/manager", f"{TEMPLATES}/okand-roll"]
    posts = {
        f"{base}/punkter": {"new-title": "Kapad", "new-due_month": "3", "new-apply_now": "y"},
        f"{base}/punkter/{item.id}": {f"item-{item.id}-title": "Kapad"},
        f"{base}/punkter/{item.id}/flytta": {"riktning": "ned"},
        f"{base}/punkter/{item.id}/ta-bort": {"nu": "1"},
    }
    for path in pages:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Åtkomst nekad" in page_text(response), path
    for path, data in posts.items():
        for headers in ({}, FRAGMENT):
            assert post(client, path, data, headers=headers).status_code == 403, path
    # Neither may the administrator or the owner, nor a coordinator for one organization.
    company = create_organization("Exempelby Energi AB")
    local = create_person("kim.lokal", display_name="Kim Lokal", organization=company)
    grant(local, Role.COORDINATOR, company)
    db.session.commit()
    for person in (group.administrator, group.owner):
        assert group.as_(person).get(base).status_code == 403
    for path, data in posts.items():
        assert post(group.as_(local), path, data).status_code == 403, path

    db.session.expire_all()
    item = db.session.get(ChecklistItem, item.id)
    assert (item.title, item.position, item.retired_from_period) == (CLASSIFY, 0, None)
    assert db.session.scalar(select(func.count()).select_from(ChecklistItem).where(
        ChecklistItem.title == "Kapad")) == 0
    assert audit_events("checklist.item_added") == []


# -- 4. the template editor -------------------------------------------------------------

def new_item(**values: str) -> dict[str, str]:
    data = {"new-title": "Kontrollera att personuppgiftsbiträdesavtal finns",
            "new-help_text": "Se **avtalsmallen**.", "new-document_id": "",
            "new-due_month": "8"}
    data.update({f"new-{key}": value for key, value in values.items()})
    return data


def test_a_new_item_applies_from_next_year_unless_applied_now(group):
    coordinator, administrator = group.as_(group.coordinator), group.as_(group.administrator)
    year = today().year
    assert coordinator.get(f"{TEMPLATES}/").headers["Location"].endswith(
        f"{TEMPLATES}/{ADMIN_ROLE}")

    response = post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter",
                    new_item(requires_note="y"))
    assert response.status_code == 303
    page = coordinator.get(response.headers["Location"])
    text = page_text(page)
    assert (f"Punkten Kontrollera att personuppgiftsbiträdesavtal finns är tillagd från "
            f"{year + 1}.") in text
    assert (f"Kontrollera att personuppgiftsbiträdesavtal finns Augusti · kräver anteckning · "
            f"gäller från {year + 1}") in text
    added = item_of(ChecklistRole.SYSTEM_ADMINISTRATOR,
                    "Kontrollera att personuppgiftsbiträdesavtal finns")
    assert (added.first_period, added.due_month, added.requires_note, added.position) == (
        year + 1, 8, True, ADMIN_ITEMS)
    assert added.help_text == "Se **avtalsmallen**."
    checklist = html_of(administrator.get(f"/checklista/{group.admin_list.id}"))
    assert "personuppgiftsbiträdesavtal" not in checklist
    assert f"0 av {ADMIN_ITEMS} punkter avbockade" in visible(checklist)
    assert [e.details["first_period"] for e in audit_events("checklist.item_added")] == [
        year + 1]

    response = post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter",
                    new_item(title="Kontrollera leverantörens säkerhetsrapport",
                             due_month="", apply_now="y"))
    assert response.status_code == 303
    assert (f"Punkten Kontrollera leverantörens säkerhetsrapport är tillagd från {year}."
            in page_text(coordinator.get(response.headers["Location"])))
    now = item_of(ChecklistRole.SYSTEM_ADMINISTRATOR,
                  "Kontrollera leverantörens säkerhetsrapport")
    assert (now.first_period, now.due_month) == (year, None)
    page = administrator.get(f"/checklista/{group.admin_list.id}")
    block = visible(item_block(html_of(page), group.admin_list, now))
    assert block.startswith("Kontrollera leverantörens säkerhetsrapport Vid behov")
    assert "Så gör du" in block and "avtalsmallen" in block
    assert f"0 av {ADMIN_ITEMS + 1} punkter avbockade" in page_text(page)
    assert "Kontrollera leverantörens säkerhetsrapport" in page_text(administrator.get("/"))
    assert "personuppgiftsbiträdesavtal" not in page_text(administrator.get("/"))


def test_the_help_text_is_sanitised(group):
    post(group.as_(group.coordinator), f"{TEMPLATES}/{ADMIN_ROLE}/punkter",
         new_item(title="Punkt med skript", apply_now="y",
                  help_text="Hej <script>alert(1)</script> **fet**"))
    page = html_of(group.as_(group.administrator).get(f"/checklista/{group.admin_list.id}"))
    assert "<strong>fet</strong>" in page
    assert "<script>alert(1)" not in page


def test_an_empty_title_is_refused_beside_its_field(group):
    coordinator = group.as_(group.coordinator)
    before = db.session.scalar(select(func.count()).select_from(ChecklistItem))

    response = post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter", new_item(title="  "))

    assert response.status_code == 422
    html = html_of(response)
    assert "Inget sparades. Rätta uppgifterna och försök igen:" in visible(html)
    assert '<a href="#new-title">Rubrik: Fyll i rubrik.</a>' in html
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="new-title"|'
                     r'<input[^>]*id="new-title"[^>]*aria-invalid="true"', html)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ChecklistItem)) == before

    # Changing an item to an empty title is refused the same way, beside that item.
    item = group.item(CLASSIFY)
    response = post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter/{item.id}",
                    {f"item-{item.id}-title": "", f"item-{item.id}-due_month": "2"})
    assert response.status_code == 422
    assert f'<a href="#item-{item.id}-title">Rubrik: Fyll i rubrik.</a>' in html_of(response)
    db.session.expire_all()
    assert db.session.get(ChecklistItem, item.id).title == CLASSIFY


def test_the_coordinator_changes_an_item(group):
    coordinator, item = group.as_(group.coordinator), group.item(CONTINUITY)
    prefix = f"item-{item.id}"
    response = post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter/{item.id}", {
        f"{prefix}-title": "Uppdatera och öva kontinuitetsplanen",
        f"{prefix}-help_text": "", f"{prefix}-document_id": "", f"{prefix}-due_month": "12",
        f"{prefix}-requires_note": "y"})
    assert response.status_code == 303
    assert "Punkten Uppdatera och öva kontinuitetsplanen är ändrad." in page_text(
        coordinator.get(response.headers["Location"]))
    db.session.expire_all()
    item = db.session.get(ChecklistItem, item.id)
    assert (item.title, item.due_month, item.requires_note) == (
        "Uppdatera och öva kontinuitetsplanen", 12, True)
    block = visible(item_block(html_of(group.as_(group.administrator).get(
        f"/checklista/{group.admin_list.id}")), group.admin_list, item))
    assert block.startswith("Uppdatera och öva kontinuitetsplanen Ska göras i december · "
                            "kräver anteckning")


def test_moving_an_item_up_and_down_changes_the_order(group):
    coordinator, assignment = group.as_(group.coordinator), group.admin_list
    base = f"{TEMPLATES}/{ADMIN_ROLE}/punkter"
    risk = group.item(RISK)

    def order() -> list[str]:
        return item_titles(html_of(group.as_(group.administrator).get(
            f"/checklista/{assignment.id}")), assignment)

    assert order()[:3] == [CLASSIFY, ACTION_PLAN, RISK]
    response = post(coordinator, f"{base}/{risk.id}/flytta", {"riktning": "upp"})
    assert response.status_code == 303
    assert f"{RISK} är flyttad." in page_text(coordinator.get(response.headers["Location"]))
    assert order()[:3] == [CLASSIFY, RISK, ACTION_PLAN]
    post(coordinator, f"{base}/{risk.id}/flytta", {"riktning": "upp"})
    assert order()[:3] == [RISK, CLASSIFY, ACTION_PLAN]
    # At the top it stays; down moves it back.
    post(coordinator, f"{base}/{risk.id}/flytta", {"riktning": "upp"})
    assert order()[:3] == [RISK, CLASSIFY, ACTION_PLAN]
    post(coordinator, f"{base}/{risk.id}/flytta", {"riktning": "ned"})
    assert order()[:3] == [CLASSIFY, RISK, ACTION_PLAN]
    template = html_of(coordinator.get(f"{TEMPLATES}/{ADMIN_ROLE}"))
    headings = [visible(h) for h in re.findall(r'<li class="card[^"]*" id="template-item-\d+">'
                                               r"\s*<h3>(.*?)</h3>", template, re.S)]
    assert headings[:3] == [CLASSIFY, RISK, ACTION_PLAN]
    assert len(headings) == ADMIN_ITEMS
    # The move up at the top changed nothing and recorded nothing.
    assert len(audit_events("checklist.item_moved")) == 3


def test_retiring_now_removes_the_item_but_keeps_its_ticks(group):
    coordinator, administrator = group.as_(group.coordinator), group.as_(group.administrator)
    assignment, item = group.admin_list, group.item(CLASSIFY)
    year = today().year
    assert tick(administrator, assignment, item, "Klassat", headers=FRAGMENT
                ).status_code == 200

    response = post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter/{item.id}/ta-bort",
                    {"nu": "1"})

    assert response.status_code == 303
    assert (f"{CLASSIFY} tas bort ur checklistan från {year}; gjorda bockar finns kvar."
            in page_text(coordinator.get(response.headers["Location"])))
    page = administrator.get(f"/checklista/{assignment.id}")
    assert CLASSIFY not in page_text(page)
    assert f"0 av {ADMIN_ITEMS - 1} punkter avbockade" in page_text(page)
    assert CLASSIFY not in page_text(administrator.get("/"))
    [row] = checks_of(assignment, item)
    assert (row.checked, row.note) == (True, "Klassat")
    assert [c.id for c in checklists.history(assignment)[item.id]] == [row.id]
    db.session.expire_all()
    assert db.session.get(ChecklistItem, item.id).retired_from_period == year
    # From a page loaded before: a retired item cannot be unticked (or ticked) any more;
    # with htmx the item leaves the page, and the message says why.
    retired = "Punkten är borttagen ur mallen och kan inte bockas av."
    response = tick(administrator, assignment, item, do="untick", headers=FRAGMENT)
    assert response.status_code == 422
    html = html_of(response)
    assert item_block(html, assignment, item) == ""
    message = re.search(r'<div id="messages"[^>]*hx-swap-oob="true">(.*?)</div>', html, re.S)
    assert message and visible(message.group(1)) == retired
    assert f"0 av {ADMIN_ITEMS - 1} punkter avbockade" in visible(html)
    response = tick(administrator, assignment, item, "Igen")
    assert response.status_code == 422
    assert retired in page_text(response)
    assert len(checks_of(assignment, item)) == 1
    # Nor retired twice.
    again = post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter/{item.id}/ta-bort", {"nu": "1"})
    assert f"Punkten är redan borttagen från {year}." in page_text(
        coordinator.get(again.headers["Location"]))


def test_retiring_from_next_year_keeps_the_item_this_year(group):
    coordinator, assignment, item = group.as_(group.coordinator), group.admin_list, \
        group.item(CONTINUITY)
    year = today().year
    response = post(coordinator, f"{TEMPLATES}/{ADMIN_ROLE}/punkter/{item.id}/ta-bort", {})
    assert (f"{CONTINUITY} tas bort ur checklistan från {year + 1}; gjorda bockar finns kvar."
            in page_text(coordinator.get(response.headers["Location"])))
    assert CONTINUITY in page_text(group.as_(group.administrator).get(
        f"/checklista/{assignment.id}"))
    assert f"gäller {year}–{year}" in page_text(coordinator.get(f"{TEMPLATES}/{ADMIN_ROLE}"))


# -- 5. the annual wheel ----------------------------------------------------------------

def test_a_persons_own_wheel_lists_their_items_by_month_and_as_needed(group):
    create_person("rut.rapport", display_name="Rut Rapport", manager=group.administrator)
    group.generate()  # Anna is a manager now: her manager's checklist too
    client = group.as_(group.administrator)
    assert tick(client, group.admin_list, group.item(RISK), headers=FRAGMENT
                ).status_code == 200

    response = client.get("/arshjul")

    assert response.status_code == 200
    year = today().year
    text = page_text(response)
    assert f"Årshjul {year}" in text
    assert "Dina uppgifter under året" in text
    admin_label = f"Systemförvaltare (per system): {SYSTEM}"
    assert month_entries(response, 2) == f"Februari {CLASSIFY} {admin_label}"
    assert f"Klar {RISK} {admin_label}" in month_entries(response, 4)
    assert "Gå igenom incidentrutinen på en arbetsplatsträff Chef (för medarbetarna): " \
        "Anna Förvaltare" in month_entries(response, 4)
    assert month_entries(response, 9).startswith("September")
    assert BACKUP in month_entries(response, 9)
    assert "Säkerställ att förvaltaren har tid och kompetens" not in text  # the owner's
    assert month_entries(response, 1) == "Januari Inget planerat."
    assert as_needed(response) == ("Vid behov Följ upp behörigheter vid "
                                   "anställningsförändringar Chef (för medarbetarna): "
                                   "Anna Förvaltare")
    html = html_of(response)
    assert f'href="/checklista/{group.admin_list.id}"' in html
    assert "Hela koncernen" not in text and "Bara mina uppgifter" not in text

    # Another year: nothing generated there.
    other = client.get(f"/arshjul?ar={year + 1}")
    assert f"Årshjul {year + 1}" in page_text(other)
    assert CLASSIFY not in page_text(other)


def test_the_coordinators_group_wheel_counts_the_ticks(group):
    second = create_system(OTHER_SYSTEM, owner=group.owner,
                           administrators=(group.administrator,))
    group.generate()
    assert tick(group.as_(group.administrator), group.admin_list, group.item(CLASSIFY),
                headers=FRAGMENT).status_code == 200
    client = group.as_(group.coordinator)

    response = client.get("/arshjul")

    assert response.status_code == 200
    text = page_text(response)
    assert "Koncernens år" in text
    february = month_entries(response, 2)
    assert (f"{CLASSIFY} Systemförvaltare (per system): 1 av 2 avbockade") in february
    assert (f"{ACTION_PLAN} Systemförvaltare (per system): 0 av 2 avbockade"
            in month_entries(response, 3))
    assert ("Godkänn informationsklassningen Systemägare (per system): 0 av 2 avbockade"
            in month_entries(response, 3))
    assert "Chef (för medarbetarna): 0 av 0 avbockade" in month_entries(response, 4)
    assert "Bara mina uppgifter" in text
    assert f'href="{TEMPLATES}/{ADMIN_ROLE}"' in html_of(response)
    # When every checklist has it ticked, it is done.
    assert tick(group.as_(group.administrator), assignment_of(
        ChecklistRole.SYSTEM_ADMINISTRATOR, second), group.item(CLASSIFY),
        headers=FRAGMENT).status_code == 200
    assert (f"Klar {CLASSIFY} Systemförvaltare (per system): 2 av 2 avbockade"
            in month_entries(client.get("/arshjul"), 2))


def test_the_coordinator_sees_their_own_wheel_with_egen(group):
    system = create_system("Samordnarens system", owner=group.owner,
                           administrators=(group.coordinator,))
    group.generate()
    client = group.as_(group.coordinator)

    response = client.get("/arshjul?egen=1")

    assert response.status_code == 200
    text = page_text(response)
    assert "Dina uppgifter under året" in text and "Koncernens år" not in text
    assert "Hela koncernen" in text
    own = f"Systemförvaltare (per system): {system.name}"
    assert f"{CLASSIFY} {own}" in month_entries(response, 2)
    assert "avbockade" not in text
    assert SYSTEM not in text  # the other system's checklists are not the coordinator's
    html = html_of(response)
    assert f'href="/arshjul?ar={today().year + 1}&amp;egen=1"' in html


# -- 6. the navigation's count ----------------------------------------------------------

def test_the_open_count_follows_the_ticks(group):
    client = group.as_(group.administrator)
    assert open_count(client) == f"{ADMIN_ITEMS} öppna checklistpunkter"
    tick(client, group.admin_list, group.item(CLASSIFY), headers=FRAGMENT)
    assert open_count(client) == f"{ADMIN_ITEMS - 1} öppna checklistpunkter"
    tick(client, group.admin_list, group.item(CLASSIFY), do="untick", headers=FRAGMENT)
    assert open_count(client) == f"{ADMIN_ITEMS} öppna checklistpunkter"
    owner = group.as_(group.owner)
    assert open_count(owner) == "5 öppna checklistpunkter"
    assert group.as_(group.employee).get("/checklistor/antal").status_code == 200
    assert group.app.test_client().get("/checklistor/antal").headers["Location"].startswith(
        "/logga-in")


# -- 7. the number of queries does not grow with the group ------------------------------

class Sizes:
    """A person with two checklists (administrator of one system, owner of another), a
    coordinator, and other people's checklists added in bulk, some of them ticked."""

    def __init__(self, app) -> None:
        self.app = app
        self.organization = create_organization()
        self.me = create_person("maja.matning", display_name="Maja Mätning")
        self.coordinator = create_person("sam.samordnare", display_name="Sam Samordnare")
        grant(self.coordinator, Role.COORDINATOR)
        self.others = create_person("olof.ovrig", display_name="Olof Övrig")
        self.mine = create_system(SYSTEM, owner=self.others, administrators=(self.me,))
        create_system(OTHER_SYSTEM, owner=self.me)
        self.bulk = 0
        self.add(10 - 3)  # with the three above (two for Ekonomisystemet): ten in all
        self.checklist = assignment_of(ChecklistRole.SYSTEM_ADMINISTRATOR, self.mine)
        tick_item = item_of(ChecklistRole.SYSTEM_ADMINISTRATOR, CLASSIFY)
        db.session.add(ItemCheck(assignment_id=self.checklist.id, item_id=tick_item.id,
                                 checked=True, by_id=self.me.id, at=utcnow(), note="",
                                 evidence_link="", on_behalf_reason=""))
        db.session.commit()

    def add(self, count: int) -> None:
        """`count` more systems owned by someone else, each with a ticked checklist."""
        systems = create_systems_in_bulk(count, organization=self.organization,
                                         prefix=f"Bulk {self.bulk}", owner=self.others)
        self.bulk += 1
        checklist_assignments.generate()
        item = item_of(ChecklistRole.SYSTEM_OWNER, "Godkänn informationsklassningen")
        lists = db.session.scalars(select(ChecklistAssignment).where(
            ChecklistAssignment.subject_type == SubjectType.SYSTEM,
            ChecklistAssignment.subject_id.in_([s.id for s in systems]))).all()
        db.session.add_all(ItemCheck(assignment_id=a.id, item_id=item.id, checked=True,
                                     by_id=self.others.id, at=utcnow(), note="Godkänd",
                                     evidence_link="", on_behalf_reason="") for a in lists)
        db.session.commit()

    @staticmethod
    def assignments() -> int:
        db.session.expire_all()
        return db.session.scalar(select(func.count()).select_from(ChecklistAssignment))


@pytest.fixture
def sizes(app) -> Sizes:
    return Sizes(app)


@pytest.mark.parametrize(("who", "path"), [
    ("me", "/"), ("me", "checklist"), ("coordinator", "checklist"),
    ("coordinator", "/arshjul"), ("me", "/arshjul"), ("me", "/checklistor/antal"),
], ids=["mina-uppgifter", "checklist", "checklist-coordinator", "group-wheel", "own-wheel",
        "count"])
def test_pages_need_the_same_queries_for_10_or_1000_assignments(app, sizes, count_queries,
                                                                who, path):
    client = browser(app, getattr(sizes, who))
    if path == "checklist":
        path = f"/checklista/{sizes.checklist.id}"
    client.get(path)
    assert sizes.assignments() == 10

    with count_queries() as few:
        small = client.get(path)
    sizes.add(990)
    assert sizes.assignments() == 1000
    with count_queries() as many:
        large = client.get(path)

    assert small.status_code == large.status_code == 200
    if path == "/":
        for response in (small, large):
            text = page_text(response)
            assert f"Systemförvaltare (per system): {SYSTEM}" in text
            assert f"Systemägare (per system): {OTHER_SYSTEM}" in text
            assert "Bulk" not in text
    elif path == "/arshjul" and who == "coordinator":
        assert ("Godkänn informationsklassningen Systemägare (per system): 7 av 9 avbockade"
                in page_text(small))
        assert ("Godkänn informationsklassningen Systemägare (per system): 997 av 999 "
                "avbockade" in page_text(large))
    elif path == "/arshjul":
        assert CLASSIFY in page_text(large) and "Bulk" not in page_text(large)
    elif path == "/checklistor/antal":
        assert page_text(small) == page_text(large) == "12 öppna checklistpunkter"
    else:
        assert f"1 av {ADMIN_ITEMS} punkter avbockade" in page_text(large)
    assert many.count == few.count, "\n\n".join(many.statements)

