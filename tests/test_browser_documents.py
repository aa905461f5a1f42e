"""Governing documents (styrdokument) in a real browser: a person reads a document and
acknowledges it (with htmx in place, and as a plain form without JavaScript), the task
leaves "Mina uppgifter", the coordinator's audience count follows the form, and axe-core
finds no WCAG 2.1 AA violations on the document pages, all under the strict CSP.

The portal is the demo group of `tests/test_browser.py` with the demo documents loaded,
plus a few test documents for the municipality that each test acknowledges on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select

from app.clock import today
from app.extensions import db
from app.models import Document, Organization, Person, PersonKind
from demo.documents import load_demo_documents
from tests.factories import create_document, publish_version
from tests.test_browser import (
    COORDINATOR_OPTION,
    Portal,
    _axe_report,
    _axe_violations,
    _axe_with_details_open,
    _demo_app,
    _nav_link,
    _sign_in_as_maria,
    _sign_in_from_group,
    _watch_console,
    require_chromium,
    serve_in_chromium,
)

pytestmark = pytest.mark.browser

MUNICIPALITY = "Exempelby kommun"
# One document per test that acknowledges, so the tests do not depend on each other's order.
HTMX_DOCUMENT = "Rutin för skärmlås"
PLAIN_DOCUMENT = "Rutin för lösenord"
AXE_DOCUMENT = "Instruktion för säker utskrift"
TWO_VERSIONS = "Instruktion för besökare"
DEMO_POLICY = "Informationssäkerhetspolicy"
BODY = """# Syfte

Rutinen gäller alla som arbetar i Exempelby kommun.

## Ansvar

| Roll | Ansvar |
|------|--------|
| Chef | Ser till att medarbetarna känner till rutinen |
| Medarbetare | Läser och följer rutinen |

## Så gör du

1. Lås skärmen med Windows-tangenten och L när du lämnar datorn.
2. Rapportera en misstänkt incident till servicedesken.
"""
FAILED_422 = re.compile(r"^Failed to load resource: the server responded with a status of 422 ")
ACKNOWLEDGED = re.compile(r"^Kvitterad \d{1,2} \w+ \d{4} \d{2}:\d{2}, version 1$")


@dataclass(frozen=True)
class DocumentPortal:
    """The live portal with the demo and test documents, and the ids of the documents."""

    portal: Portal
    app: Flask
    ids: dict[str, int]

    def url(self, path: str) -> str:
        return self.portal.url(path)


def _add_documents() -> dict[str, int]:
    """The demo documents (for realistic reports, adoptions and versions) and the test
    documents for everyone in the municipality, each with one published version."""
    load_demo_documents(today())
    municipality = db.session.scalars(
        select(Organization).where(Organization.name == MUNICIPALITY)).one()
    audience = {"organization_ids": [municipality.id]}
    for title in (HTMX_DOCUMENT, PLAIN_DOCUMENT, AXE_DOCUMENT):
        create_document(title, organization=municipality, audience=audience, body=BODY,
                        kind="routine")
    visitors = create_document(TWO_VERSIONS, organization=municipality, audience=audience,
                               body=BODY, kind="instruction")
    publish_version(visitors, BODY.replace("alla som arbetar", "alla som arbetar eller besöker"),
                    number="2")
    db.session.commit()
    return dict(db.session.execute(select(Document.title, Document.id)).tuples().all())


@pytest.fixture(scope="module")
def documents_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentPortal]:
    """Live demo portal with documents plus headless Chromium, shared by this module."""
    require_chromium()
    app = _demo_app(tmp_path_factory.mktemp("browser-documents") / "portal.sqlite3")
    with app.app_context():
        ids = _add_documents()
    with serve_in_chromium(app) as running:
        yield DocumentPortal(running, app, ids)


@pytest.fixture
def portal(documents_portal: DocumentPortal) -> Portal:
    return documents_portal.portal


def _task_link(page: Page, title: str) -> Locator:
    """The link to one document in "Styrdokument att kvittera" on "Mina uppgifter"."""
    return page.locator("#document-tasks").get_by_role("link", name=title, exact=True)


def _open_from_my_tasks(page: Page, title: str) -> None:
    """From "Mina uppgifter", follow the task's link and see the rendered document."""
    expect(page.get_by_role("heading", name="Styrdokument att kvittera")).to_be_visible()
    _task_link(page, title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    _expect_rendered_body(page)


def _expect_rendered_body(page: Page) -> None:
    """The Markdown of BODY is shown as headings, a table and a numbered list."""
    body = page.locator(".document-body")
    expect(body.get_by_role("heading", name="Ansvar")).to_be_visible()
    table = body.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="Medarbetare")).to_contain_text(
        "Läser och följer rutinen")
    expect(body.locator("ol > li")).to_have_count(2)


def test_a_person_reads_and_acknowledges_a_document_in_place(documents_portal: DocumentPortal,
                                                              page: Page) -> None:
    portal = documents_portal.portal
    document_url = documents_portal.url(f"/dokument/{documents_portal.ids[HTMX_DOCUMENT]}")
    problems = _watch_console(page, allowed=FAILED_422)
    _sign_in_as_maria(portal, page)
    expect(_task_link(page, HTMX_DOCUMENT)).to_be_visible()
    _open_from_my_tasks(page, HTMX_DOCUMENT)
    expect(page).to_have_url(document_url)
    expect(page.locator("#my-tasks")).to_contain_text(f"{HTMX_DOCUMENT} (det här dokumentet)")

    slot = page.locator("#acknowledge-slot")
    expect(slot.get_by_role("heading", name="Kvittens", exact=True)).to_be_visible()
    confirm = slot.get_by_label("Jag har läst och förstått")
    expect(confirm).not_to_be_checked()
    page.evaluate("window.__marker = 1")

    # Without the tick: refused in place, with the Swedish message and focus on it.
    slot.get_by_role("button", name="Kvittera version 1").click()
    summary = slot.get_by_role("alert")
    expect(summary).to_contain_text("Inget sparades. Rätta uppgifterna och försök igen:")
    error = "Jag har läst och förstått: Kryssa i att du har läst och förstått dokumentet."
    expect(summary.get_by_role("link", name=error)).to_have_attribute("href", "#confirm")
    expect(summary).to_be_focused()
    confirm = slot.get_by_label("Jag har läst och förstått")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(slot.locator("#confirm-error")).to_have_text(
        "Kryssa i att du har läst och förstått dokumentet.")
    assert page.evaluate("window.__marker === 1"), "expected an htmx swap, not a new page"

    # Following the error's link takes the keyboard user to the checkbox.
    summary.get_by_role("link", name=error).click()
    expect(confirm).to_be_focused()
    page.keyboard.press("Space")
    expect(confirm).to_be_checked()
    slot.get_by_role("button", name="Kvittera version 1").click()

    expect(slot.locator(".confirmation")).to_have_text(ACKNOWLEDGED)
    expect(slot.get_by_role("button")).to_have_count(0)
    expect(slot.get_by_role("alert")).to_have_count(0)
    heading = slot.get_by_role("heading", name="Kvittens", exact=True)
    expect(heading).to_be_focused()
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.id]")
    assert focused == ["H2", "acknowledge-heading"]
    assert page.evaluate("window.__marker === 1"), "expected an htmx swap, not a new page"
    expect(page.locator("#messages")).to_have_text(
        f"Tack! Din kvittens av {HTMX_DOCUMENT} är sparad.")
    # The aside was swapped out of band: this document has left what is left to do.
    next_tasks = page.locator("#my-tasks")
    expect(next_tasks.get_by_role("heading", name="Kvar att kvittera")).to_be_visible()
    expect(next_tasks.get_by_role("link", name=PLAIN_DOCUMENT, exact=True)).to_be_visible()
    expect(next_tasks).not_to_contain_text(HTMX_DOCUMENT)

    _nav_link(page, "Mina uppgifter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")
    expect(_task_link(page, PLAIN_DOCUMENT)).to_be_visible()
    expect(_task_link(page, HTMX_DOCUMENT)).to_have_count(0)

    # A reload shows the same confirmation: it was stored, not only shown.
    page.goto(document_url)
    expect(page.locator("#acknowledge-slot .confirmation")).to_have_text(ACKNOWLEDGED)
    expect(page.get_by_role("region", name="Kvittens", exact=True)).to_contain_text(
        re.compile(r"Dina kvittenser\s*Version 1, kvitterad "))
    assert problems == [], "\n".join(problems)


def test_without_javascript_the_form_is_a_plain_post(documents_portal: DocumentPortal,
                                                     page_without_javascript: Page) -> None:
    portal, page = documents_portal.portal, page_without_javascript
    document_url = documents_portal.url(f"/dokument/{documents_portal.ids[PLAIN_DOCUMENT]}")
    _sign_in_as_maria(portal, page)
    _open_from_my_tasks(page, PLAIN_DOCUMENT)

    slot = page.locator("#acknowledge-slot")
    slot.get_by_role("button", name="Kvittera version 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAIN_DOCUMENT)
    expect(slot.get_by_role("alert")).to_contain_text(
        "Kryssa i att du har läst och förstått dokumentet.")
    expect(slot.get_by_label("Jag har läst och förstått")).to_have_attribute(
        "aria-invalid", "true")

    slot.get_by_label("Jag har läst och förstått").check()
    slot.get_by_role("button", name="Kvittera version 1").click()

    expect(page).to_have_url(document_url + "#kvittens")
    expect(page.locator("#messages")).to_contain_text(
        f"Tack! Din kvittens av {PLAIN_DOCUMENT} är sparad.")
    expect(slot.locator(".confirmation")).to_have_text(ACKNOWLEDGED)
    expect(slot.get_by_role("button")).to_have_count(0)

    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Mina uppgifter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")
    expect(_task_link(page, PLAIN_DOCUMENT)).to_have_count(0)


def test_document_pages_pass_axe_and_the_console_stays_clean(documents_portal: DocumentPortal,
                                                             page: Page) -> None:
    portal, ids = documents_portal.portal, documents_portal.ids
    problems = _watch_console(page)
    _sign_in_as_maria(portal, page)
    expect(_task_link(page, AXE_DOCUMENT)).to_be_visible()
    violations = {"/ (with tasks)": _axe_violations(page)}

    _open_from_my_tasks(page, AXE_DOCUMENT)
    violations["document, before"] = _axe_violations(page)
    slot = page.locator("#acknowledge-slot")
    slot.get_by_label("Jag har läst och förstått").check()
    slot.get_by_role("button", name="Kvittera version 1").click()
    expect(slot.locator(".confirmation")).to_have_text(ACKNOWLEDGED)
    expect(slot.get_by_role("heading", name="Kvittens", exact=True)).to_be_focused()
    violations["document, acknowledged"] = _axe_violations(page)
    page.reload()
    expect(slot.locator(".confirmation")).to_have_text(ACKNOWLEDGED)
    violations["document, acknowledged, reloaded"] = _axe_violations(page)

    _nav_link(page, "Dokument").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dokumentbibliotek")
    expect(page.locator("#library-results")).to_contain_text(DEMO_POLICY)
    violations["/dokument/"] = _axe_violations(page)

    page.goto(documents_portal.url(f"/dokument/{ids[TWO_VERSIONS]}/jamfor"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ändringar i {TWO_VERSIONS}")
    expect(page.locator("ins.diff-line")).to_contain_text("alla som arbetar eller besöker")
    violations["compare"] = _axe_violations(page)
    assert problems == [], "\n".join(problems)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report


def test_coordinator_pages_pass_axe(documents_portal: DocumentPortal, page: Page) -> None:
    portal, ids = documents_portal.portal, documents_portal.ids
    problems = _watch_console(page)
    _sign_in_from_group(portal, page, "coordinator", COORDINATOR_OPTION)
    _nav_link(page, "Styrdokument").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Styrdokument")
    expect(page.get_by_role("row").filter(has_text=DEMO_POLICY)).to_have_count(1)
    violations = {"/styrdokument/": _axe_violations(page)}

    page.get_by_role("link", name="Bolagens antaganden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bolagens antaganden")
    expect(page.get_by_role("region", name="Exempelby Energi AB")).to_contain_text("Antaget")
    violations["/styrdokument/antaganden"] = _axe_violations(page)

    page.goto(documents_portal.url(f"/styrdokument/{ids[DEMO_POLICY]}/kvittenser"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Kvittenser av {DEMO_POLICY}")
    expect(page.get_by_role("table").first).to_be_visible()
    violations["report"] = _axe_violations(page)
    page.goto(documents_portal.url(f"/styrdokument/{ids[DEMO_POLICY]}/kvittenser?visa=alla"))
    violations["report, everyone"] = _axe_violations(page)

    page.goto(documents_portal.url(f"/styrdokument/{ids[DEMO_POLICY]}/installningar"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Inställningar för {DEMO_POLICY}")
    violations["settings, details open"] = _axe_with_details_open(page)

    page.goto(documents_portal.url(f"/styrdokument/{ids[DEMO_POLICY]}/antaganden"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Antagande av {DEMO_POLICY}")
    violations["adoption form"] = _axe_violations(page)

    page.goto(documents_portal.url(f"/dokument/{ids[DEMO_POLICY]}/jamfor"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ändringar i {DEMO_POLICY}")
    violations["compare, demo policy"] = _axe_violations(page)

    page.goto(documents_portal.url("/styrdokument/nytt"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nytt styrdokument")
    violations["/styrdokument/nytt, details open"] = _axe_with_details_open(page)
    expect(page.locator("main details").first).to_have_attribute("open", "")
    page.reload()

    title = "Rutin för tillfälliga behörigheter"
    page.get_by_label("Titel", exact=True).fill(title)
    page.get_by_label("Dokumenttyp", exact=True).select_option(label="Rutin")
    page.get_by_role("button", name="Skapa och skriv texten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Versioner av {title}")
    page.get_by_label("Text (Markdown)", exact=True).fill(BODY)
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="Förhandsgranska").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="Ansvar")).to_be_visible()
    expect(preview.get_by_role("table")).to_be_visible()
    expect(preview.get_by_role("heading", name="Förhandsgranskning")).to_be_focused()
    assert page.evaluate("window.__marker === 1"), "expected an htmx swap, not a new page"
    violations["draft with preview"] = _axe_violations(page)
    assert problems == [], "\n".join(problems)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report


def _active_people(app: Flask, organization_id: int, kinds: tuple[PersonKind, ...] = ()) -> int:
    """Active people of one organization, of some kinds (all when empty), from the database."""
    with app.app_context():
        query = select(func.count()).select_from(Person).where(
            Person.active.is_(True), Person.organization_id == organization_id)
        if kinds:
            query = query.where(Person.kind.in_(kinds))
        return db.session.scalar(query) or 0


def _people_text(count: int) -> str:
    noun = "aktiv person" if count == 1 else "aktiva personer"
    return f"Målgruppen omfattar just nu {count} {noun}."


def test_audience_count_follows_the_form(documents_portal: DocumentPortal, page: Page) -> None:
    portal, app = documents_portal.portal, documents_portal.app
    problems = _watch_console(page)
    _sign_in_from_group(portal, page, "coordinator", COORDINATOR_OPTION)
    page.goto(documents_portal.url("/styrdokument/nytt"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nytt styrdokument")

    organizations = page.get_by_role("group", name="Organisationer")
    checked = organizations.locator("input[type=checkbox]:checked")
    expect(checked).to_have_count(1)
    organization_id = int(checked.get_attribute("value") or "")
    count = page.locator("#audience-count")
    expect(count).to_have_attribute("aria-live", "polite")
    everyone = _active_people(app, organization_id)
    expect(count).to_have_text(_people_text(everyone))

    kinds = page.get_by_role("group", name="Personkategorier")
    page.evaluate("window.__marker = 1")
    kinds.get_by_label("Förtroendevalda", exact=True).check()
    elected = _active_people(app, organization_id, (PersonKind.ELECTED,))
    assert 0 < elected < everyone
    expect(count).to_have_text(_people_text(elected))

    kinds.get_by_label("Konsulter", exact=True).check()
    both = _active_people(app, organization_id, (PersonKind.ELECTED, PersonKind.CONSULTANT))
    assert elected < both < everyone
    expect(count).to_have_text(_people_text(both))

    kinds.get_by_label("Förtroendevalda", exact=True).uncheck()
    kinds.get_by_label("Konsulter", exact=True).uncheck()
    expect(count).to_have_text(_people_text(everyone))
    assert page.evaluate("window.__marker === 1"), "expected htmx requests, not a new page"
    # The count never moves focus away from the checkbox being used.
    expect(kinds.get_by_label("Konsulter", exact=True)).to_be_focused()
    assert problems == [], "\n".join(problems)
