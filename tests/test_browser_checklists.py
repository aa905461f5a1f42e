"""Role checklists in a real browser: a system administrator ticks an item that requires a
note by keyboard only — first without the note (refused in place, focus on the error
summary), then with it (the item, its checklist's progress bar and the navigation's count
update without a reload, focus on the item's heading) — and axe-core finds no WCAG 2.1 AA
violations on "Mina uppgifter", a checklist, the template editor and the annual wheel, all
under the strict CSP.

The portal is the demo group of `tests/test_browser.py` with its two test systems (Maria
Nilsson owns them, Karin Lundgren administers them) and this year's checklists generated.
Each test ticks items no other test touches, so they do not depend on each other's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.clock import today
from app.extensions import db
from app.models import (
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    InformationSystem,
    SubjectType,
)
from app.services import checklist_assignments
from tests.test_browser import (
    COORDINATOR_OPTION,
    KARIN_LUNDGREN_OPTION,
    MARIA_OPTION,
    OTHER_SYSTEM,
    SYSTEM,
    Portal,
    _axe_report,
    _axe_violations,
    _axe_with_details_open,
    _demo_app,
    _nav_link,
    _sign_in_from_group,
    _watch_console,
    require_chromium,
    serve_in_chromium,
)

pytestmark = pytest.mark.browser

FAILED_422 = re.compile(r"^Failed to load resource: the server responded with a status of 422 ")
ADMINISTRATOR = "Karin Lundgren"
ADMIN_LIST = "Systemförvaltare (per system)"
ADMIN_ITEMS = 8
# Default administrator items; each test ticks its own.
KEYBOARD_ITEM = "Genomför behörighetsgranskning"  # requires a note
AXE_ITEM = "Genomför riskanalys"
NOTE_REQUIRED = ("Den här punkten kräver en anteckning eller en länk till underlag, till "
                 "exempel vad som kontrollerades.")
NOTE = "Behörigheterna i Hemtjänstplanering granskade med enhetschefen; två konton stängda."


@dataclass(frozen=True)
class ChecklistPortal:
    """The live portal and the ids the tests need."""

    portal: Portal
    app: Flask
    lists: dict[tuple[str, ChecklistRole], int]  # (system, role) → assignment id
    items: dict[str, int]  # administrator item title → id

    def url(self, path: str) -> str:
        return self.portal.url(path)


def _generate() -> tuple[dict[tuple[str, ChecklistRole], int], dict[str, int]]:
    """This year's checklists for the test systems; the ids of the systems' checklists and
    of the administrators' items."""
    checklist_assignments.generate(today().year)
    db.session.commit()
    lists = {(name, role): assignment_id for name, role, assignment_id in db.session.execute(
        select(InformationSystem.name, ChecklistTemplate.role, ChecklistAssignment.id)
        .join(ChecklistAssignment, (ChecklistAssignment.subject_id == InformationSystem.id)
              & (ChecklistAssignment.subject_type == SubjectType.SYSTEM))
        .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistAssignment.template_id)
        .where(InformationSystem.name.in_([SYSTEM, OTHER_SYSTEM])))}
    assert len(lists) == 4, lists
    items = dict(db.session.execute(
        select(ChecklistItem.title, ChecklistItem.id).join(ChecklistTemplate)
        .where(ChecklistTemplate.role == ChecklistRole.SYSTEM_ADMINISTRATOR)).tuples().all())
    assert len(items) == ADMIN_ITEMS
    return lists, items


@pytest.fixture(scope="module")
def checklist_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChecklistPortal]:
    """Live demo portal with this year's checklists plus headless Chromium."""
    require_chromium()
    app = _demo_app(tmp_path_factory.mktemp("browser-checklists") / "portal.sqlite3")
    with app.app_context():
        lists, items = _generate()
    with serve_in_chromium(app) as running:
        yield ChecklistPortal(running, app, lists, items)


@pytest.fixture
def portal(checklist_portal: ChecklistPortal) -> Portal:
    return checklist_portal.portal


def _item(page: Page, assignment_id: int, item_id: int) -> Locator:
    return page.locator(f"#item-{assignment_id}-{item_id}")


def _button(item: Locator, label: str, title: str) -> Locator:
    """A button named "label: item title" (Chromium puts a space before the colon of the
    visually hidden part)."""
    return item.get_by_role("button", name=re.compile(rf"^{label}\s*: {re.escape(title)}$"))


def _active(page: Page) -> str:
    """Where the keyboard focus is: the item's id, the element's tag and its text."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        const item = e.closest('li.checklist-item');
        return (item ? item.id : '') + '|' + e.tagName + '|' + e.textContent.trim();
    }""")


def _tab_to(page: Page, wanted: str, limit: int = 120) -> None:
    """Press Tab until the focus is where `wanted` (a prefix of `_active`) says."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _active(page).startswith(wanted):
            return
    pytest.fail(f"Tab never reached {wanted!r}; focus is at {_active(page)!r}")


def test_an_administrator_ticks_an_item_with_a_required_note_by_keyboard(
        checklist_portal: ChecklistPortal, page: Page) -> None:
    portal = checklist_portal.portal
    assignment = checklist_portal.lists[(OTHER_SYSTEM, ChecklistRole.SYSTEM_ADMINISTRATOR)]
    item_id = checklist_portal.items[KEYBOARD_ITEM]
    problems = _watch_console(page, allowed=FAILED_422)
    _sign_in_from_group(portal, page, "employee", KARIN_LUNDGREN_OPTION)

    count = page.locator("#task-count")
    expect(count).to_have_text(f"{2 * ADMIN_ITEMS} öppna checklistpunkter")
    checklists = page.locator("section[aria-labelledby=checklists-heading]")
    expect(checklists.get_by_role("heading", level=2, name=f"{ADMIN_LIST}: {OTHER_SYSTEM}")
           ).to_be_visible()
    item = _item(page, assignment, item_id)
    # (May may be past: then the item is marked overdue.)
    expect(item.get_by_role("heading", level=3)).to_have_text(
        re.compile(rf"^\s*(Försenad\s+)?{KEYBOARD_ITEM}\s*$"))
    expect(item).to_contain_text("Ska göras i maj · kräver anteckning eller underlag")
    progress = page.locator(f"#progress-{assignment}")
    expect(progress).to_contain_text(f"0 av {ADMIN_ITEMS} punkter avbockade")
    page.evaluate("window.__marker = 1")

    # Tab to "Bocka av" of the item, Enter opens it.
    element = f"item-{assignment}-{item_id}|"
    _tab_to(page, f"{element}SUMMARY|Bocka av")
    details = item.locator("details.tick-details")
    expect(details).not_to_have_attribute("open", re.compile(".*"))
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    note = item.get_by_label(re.compile(r"^Anteckning \(krävs, eller en länk\)"))
    save = _button(item, "Spara avbockningen", KEYBOARD_ITEM)

    # Without the note first: Tab past the fields to the button, Enter.
    page.keyboard.press("Tab")
    expect(note).to_be_focused()
    _tab_to(page, f"{element}BUTTON|Spara avbockningen", limit=3)
    expect(save).to_be_focused()
    page.keyboard.press("Enter")

    summary = item.get_by_role("alert")
    expect(summary).to_contain_text("Inget sparades. Rätta uppgifterna och försök igen:")
    expect(summary.get_by_role("link", name=f"Anteckning: {NOTE_REQUIRED}")).to_be_visible()
    expect(summary).to_be_focused()
    note = item.get_by_label(re.compile(r"^Anteckning \(krävs, eller en länk\)"))
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(item).not_to_contain_text("Avbockad")
    expect(progress).to_contain_text(f"0 av {ADMIN_ITEMS} punkter avbockade")
    expect(count).to_have_text(f"{2 * ADMIN_ITEMS} öppna checklistpunkter")
    assert page.evaluate("window.__marker === 1"), "expected an htmx swap, not a new page"

    # The summary's link takes the keyboard to the note; type it, Tab to the button, Enter.
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link", name=f"Anteckning: {NOTE_REQUIRED}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(note).to_be_focused()
    page.keyboard.type(NOTE)
    _tab_to(page, f"{element}BUTTON|Spara avbockningen", limit=3)
    page.keyboard.press("Enter")

    heading = item.get_by_role("heading", level=3)
    expect(item).to_contain_text(re.compile(rf"Avbockad \d+ \w+ {today().year} \d\d:\d\d av "
                                            rf"{ADMINISTRATOR}: {re.escape(NOTE)}"))
    expect(heading).to_have_text(re.compile(rf"^\s*Klar\s+{KEYBOARD_ITEM}\s*$"))
    expect(heading).to_be_focused()
    assert page.evaluate("document.activeElement.id") == f"item-title-{assignment}-{item_id}"
    expect(item.get_by_role("alert")).to_have_count(0)
    expect(_button(item, "Ångra avbockningen", KEYBOARD_ITEM)
           ).to_be_visible()
    expect(progress).to_contain_text(f"1 av {ADMIN_ITEMS} punkter avbockade")
    expect(progress.locator("progress")).to_have_attribute("value", "1")
    expect(count).to_have_text(f"{2 * ADMIN_ITEMS - 1} öppna checklistpunkter")
    expect(page.locator("#messages")).to_have_text(f"{KEYBOARD_ITEM} är avbockad.")
    assert page.evaluate("window.__marker === 1"), "expected an htmx swap, not a new page"

    # It was stored: the checklist's page shows it, and "Mina uppgifter" lists it no more.
    page.goto(checklist_portal.url(f"/checklista/{assignment}"))
    expect(_item(page, assignment, item_id)).to_contain_text(f"{ADMINISTRATOR}: {NOTE}")
    _nav_link(page, "Mina uppgifter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")
    expect(_item(page, assignment, item_id)).to_have_count(0)
    expect(page.locator(f"#progress-{assignment}")).to_contain_text(
        f"1 av {ADMIN_ITEMS} punkter avbockade")
    assert problems == [], "\n".join(problems)


def test_checklist_pages_pass_axe(checklist_portal: ChecklistPortal, page: Page) -> None:
    portal = checklist_portal.portal
    assignment = checklist_portal.lists[(SYSTEM, ChecklistRole.SYSTEM_ADMINISTRATOR)]
    item_id = checklist_portal.items[AXE_ITEM]
    problems = _watch_console(page, allowed=FAILED_422)
    _sign_in_from_group(portal, page, "employee", KARIN_LUNDGREN_OPTION)
    expect(page.locator("section.checklist")).to_have_count(2)
    violations = {"/ (with checklists)": _axe_violations(page),
                  "/ (with checklists), details open": _axe_with_details_open(page)}

    page.goto(checklist_portal.url(f"/checklista/{assignment}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{ADMIN_LIST}: {SYSTEM} {today().year}")
    violations["checklist, details open"] = _axe_with_details_open(page)
    page.reload()  # the details closed again

    # A refusal in place (an item that requires a note), then ticked, unticked and ticked
    # again, so the page has an error summary, a done item and a history.
    item = _item(page, assignment, checklist_portal.items["Genomför behörighetsgranskning"])
    item.locator("summary").first.click()
    item.get_by_role("button", name=re.compile(r"^Spara avbockningen")).click()
    expect(item.get_by_role("alert")).to_contain_text(NOTE_REQUIRED)
    violations["checklist, refused"] = _axe_violations(page)

    item = _item(page, assignment, item_id)
    item.locator("summary").first.click()
    _button(item, "Spara avbockningen", AXE_ITEM).click()
    expect(item.get_by_role("heading", level=3)).to_be_focused()
    _button(item, "Ångra avbockningen", AXE_ITEM).click()
    expect(item.get_by_role("heading", level=3)).to_be_focused()
    expect(page.locator("#messages")).to_have_text(f"Avbockningen av {AXE_ITEM} är ångrad.")
    item.locator("summary").first.click()
    _button(item, "Spara avbockningen", AXE_ITEM).click()
    expect(item).to_contain_text(f"av {ADMINISTRATOR}")
    page.reload()
    expect(item.locator("summary", has_text="Historik (3)")).to_be_visible()
    violations["checklist, ticked with history, details open"] = _axe_with_details_open(page)

    _nav_link(page, "Årshjul").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Årshjul {today().year}")
    expect(page.locator("#month-4").locator("xpath=..")).to_contain_text(AXE_ITEM)
    violations["årshjul, own"] = _axe_violations(page)

    # The owner reads the administrators' checklist.
    page.locator("form[action$='/logga-ut'] button[type=submit]").click()
    page.wait_for_url(portal.url("/logga-in"))
    _sign_in_from_group(portal, page, "manager", MARIA_OPTION)
    violations["/ (owner and manager)"] = _axe_with_details_open(page)
    page.goto(checklist_portal.url(f"/checklista/{assignment}"))
    expect(page.get_by_text("Du ser checklistan men bockar inte av den.")).to_be_visible()
    violations["checklist, read-only, details open"] = _axe_with_details_open(page)
    assert problems == [], "\n".join(problems)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report


def test_coordinator_checklist_pages_pass_axe(checklist_portal: ChecklistPortal,
                                              page: Page) -> None:
    portal = checklist_portal.portal
    problems = _watch_console(page, allowed=FAILED_422)
    _sign_in_from_group(portal, page, "coordinator", COORDINATOR_OPTION)

    _nav_link(page, "Checklistmallar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checklistmallar")
    expect(_nav_link(page, "Checklistmallar")).to_have_attribute("aria-current", "page")
    expect(page.locator("ol.template-items > li")).to_have_count(ADMIN_ITEMS)
    violations = {"/checklistmallar/system_administrator, details open":
                  _axe_with_details_open(page)}

    # A refused new item: the error summary and the field in error.
    page.get_by_role("button", name="Lägg till punkten").click()
    summary = page.locator("#new-item-heading").locator("xpath=..").get_by_role("alert")
    expect(summary).to_contain_text("Rubrik: Fyll i rubrik.")
    violations["template, refused"] = _axe_with_details_open(page)

    page.get_by_role("navigation", name="Roller").get_by_role(
        "link", name="Chef (för medarbetarna)").click()
    expect(page.get_by_role("heading", level=2, name="Chef (för medarbetarna)")).to_be_visible()
    violations["/checklistmallar/manager, details open"] = _axe_with_details_open(page)

    _nav_link(page, "Årshjul").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Årshjul {today().year}")
    expect(page.get_by_text("Koncernens år", exact=False)).to_be_visible()
    expect(page.locator("#month-2").locator("xpath=..")).to_contain_text(
        f"{ADMIN_LIST}: 0 av 2 avbockade")
    violations["årshjul, group"] = _axe_violations(page)
    page.get_by_role("link", name="Bara mina uppgifter").click()
    expect(page.get_by_text("Dina uppgifter under året", exact=False)).to_be_visible()
    violations["årshjul, egen=1"] = _axe_violations(page)
    assert problems == [], "\n".join(problems)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
