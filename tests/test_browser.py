"""The portal in a real browser: headless Chromium against a live server with the demo group.

These tests look at what a person sees and can do: signing in, the menu their role allows,
keyboard use, the language choice, WCAG 2.1 AA checks with axe-core, and a clean console
under the strict Content-Security-Policy (which stays on: `bypass_csp` is never set).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect, sync_playwright

from app import create_app
from app.clock import today, utcnow
from app.extensions import db
from app.models import InformationSystem, LifecycleStatus, Person, SystemAdministrator
from app.services.classifications import add_months
from ldap_sync import sync
from ldap_sync.source import LdifSource
from tests.live_server import LiveServer, start_live_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_SOURCE = ROOT / "tests" / "vendor" / "axe-core-4.14.1.min.js"
# `resultTypes` leaves out the list of every node that passed, which takes most of
# axe-core's time on the big pages and changes nothing about the violations.
AXE_RUN = """() => axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    resultTypes: ['violations']
}).then(result => result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    target: v.nodes.length ? v.nodes[0].target : [], html: v.nodes.length ? v.nodes[0].html : ''
})))"""

MARIA = "Maria Nilsson"
MARIA_OPTION = re.compile(r"^Maria Nilsson – Enhetschef hemtjänst")
MARIA_UNIT = "Socialtjänst / Äldreomsorg / Hemtjänst Norr"
MARIAS_MANAGER = "Minh Korhonen"
MARIAS_REPORT = "Karin Lundgren"
# The test systems of _demo_app: Maria owns them, Karin Lundgren administers them.
SYSTEM = "Trygghetskameror"
OTHER_SYSTEM = "Hemtjänstplanering"
SYSTEM_OWNER = "maria.nilsson"
SYSTEM_ADMINISTRATOR = "karin.lundgren"
COORDINATOR_OPTION = re.compile(r"^Karin Holm – ")


@dataclass(frozen=True)
class Portal:
    """The live portal and the browser that visits it."""

    server: LiveServer
    browser: Browser

    def url(self, path: str) -> str:
        return self.server.url + path


def _demo_app(database: Path) -> Flask:
    """A demo-mode portal on its own SQLite file, migrated and loaded with the demo group."""
    organizations = json.loads((ROOT / "demo" / "organizations.json").read_text("utf-8"))
    app = create_app(test_config={
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "PORTAL_DEMO": True,
        "LDAP_URL": "",
        "LDAP_ORGANIZATIONS": organizations,
        "LDAP_COORDINATOR_GROUP": "cn=LIS-samordnare,ou=Grupper,dc=exempelby,dc=se",
        "LDAP_ADMIN_GROUP": "cn=Portaladministratörer,ou=Grupper,dc=exempelby,dc=se",
        "LDAP_LDIF": str(ROOT / "demo" / "exempelby.ldif"),
    })
    with app.app_context():
        flask_migrate.upgrade()
        sync.run(LdifSource(str(ROOT / "demo" / "exempelby.ldif")),
                 sync.SyncSettings.from_config(app.config))
        _add_test_systems()
    return app


def _add_test_systems() -> None:
    """Two unclassified systems that Maria owns and Karin Lundgren administers: a planned
    welfare technology system (recorded and approved by one test) and one in use (where
    another test is refused), so neither test depends on the other."""
    def person(username: str) -> Person:
        return db.session.scalars(db.select(Person).where(Person.username == username)).one()

    owner, administrator = person(SYSTEM_OWNER), person(SYSTEM_ADMINISTRATOR)
    for name, status, welfare_technology in (
            (SYSTEM, LifecycleStatus.PLANNED, True),
            (OTHER_SYSTEM, LifecycleStatus.IN_USE, False)):
        now = utcnow()
        system = InformationSystem(
            name=name, organization=owner.organization, owner=owner, status=status,
            welfare_technology=welfare_technology, personal_data=False, supplier="",
            description="", notes="", created_at=now, updated_at=now)
        system.refresh_search_text()
        system.administrator_links = [SystemAdministrator(person=administrator)]
        db.session.add(system)
    db.session.commit()


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """Live demo portal plus headless Chromium, shared by the tests of this module."""
    require_chromium()
    app = _demo_app(tmp_path_factory.mktemp("browser") / "portal.sqlite3")
    with serve_in_chromium(app) as running:
        yield running


def require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs the Debian "
                    "chromium package the browser tests need.")


@contextlib.contextmanager
def serve_in_chromium(app: Flask) -> Iterator[Portal]:
    """The app on a loopback live server and a headless Chromium to visit it."""
    server = start_live_server(app)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield Portal(server=server, browser=browser)
        finally:
            browser.close()
    finally:
        playwright.stop()
        server.stop()
        with app.app_context():
            db.engine.dispose()


@contextlib.contextmanager
def open_page(portal: Portal, javascript: bool = True) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies), with the CSP enforced."""
    context = portal.browser.new_context(locale="sv-SE", bypass_csp=False,
                                         java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _demo_select(page: Page, group: str) -> Locator:
    """The demo sign-in <select> of one role group (`manager`, `employee`, ...)."""
    return page.locator(f"select#demo-{group}")


def _option_value(select: Locator, text: re.Pattern[str]) -> str:
    """The value of the one option whose visible text matches `text`."""
    option = select.locator("option").filter(has_text=text)
    expect(option).to_have_count(1)
    value = option.get_attribute("value")
    assert value
    return value


def _sign_in(portal: Portal, page: Page, select: Locator, person: re.Pattern[str]) -> None:
    """Choose `person` in a demo group's select, press its button, land on the start page."""
    select.select_option(_option_value(select, person))
    form = page.locator("form.demo-group").filter(has=select)
    form.get_by_role("button", name=re.compile(r"^(Logga in som vald person|Sign in as)")).click()
    page.wait_for_url(portal.url("/"))


def _sign_in_as_maria(portal: Portal, page: Page) -> None:
    page.goto(portal.url("/logga-in"))
    _sign_in(portal, page, page.get_by_label(re.compile(r"^Chefer")), MARIA_OPTION)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")


def _fact(page: Page, term: str) -> Locator:
    """The <dd> that belongs to the <dt> `term` on the start page."""
    dt = page.locator("dl.facts dt").filter(has_text=re.compile(rf"^{re.escape(term)}$"))
    return dt.locator("xpath=following-sibling::dd[1]")


def _axe_violations(page: Page) -> list[dict]:
    """Inject axe-core through the DevTools protocol (not a <script>) and run WCAG 2.1 AA."""
    page.evaluate(AXE_SOURCE.read_text("utf-8"))
    return page.evaluate(AXE_RUN)


def _describe(violations: list[dict]) -> str:
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    at {v['target']}: {v['html']}"
        for v in violations)


def test_demo_manager_signs_in_and_sees_name_unit_and_manager(portal: Portal, page: Page) -> None:
    _sign_in_as_maria(portal, page)

    expect(page.locator(".lead")).to_contain_text(MARIA)
    expect(_fact(page, "Namn")).to_have_text(MARIA)
    expect(_fact(page, "Befattning")).to_have_text("Enhetschef hemtjänst")
    expect(_fact(page, "Enhet")).to_have_text(MARIA_UNIT)
    expect(_fact(page, "Chef")).to_have_text(MARIAS_MANAGER)
    expect(_fact(page, "Roller")).to_contain_text("Chef")


def test_navigation_shows_only_what_the_role_allows(portal: Portal, page: Page) -> None:
    _sign_in_as_maria(portal, page)
    nav = page.get_by_role("navigation", name="Huvudmeny")
    expect(nav.get_by_role("link", name="Min enhet")).to_be_visible()
    expect(nav.get_by_role("link", name="Samordning")).to_have_count(0)
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)

    page.evaluate("window.stillTheSameDocument = true")
    nav.get_by_role("link", name="Min enhet").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Min enhet")
    expect(page).to_have_url(portal.url("/min-enhet/"))
    assert page.evaluate("window.stillTheSameDocument === true"), "expected hx-boost navigation"
    expect(nav.get_by_role("link", name="Min enhet")).to_have_attribute("aria-current", "page")
    table = page.get_by_role("table", name="Personer som rapporterar till dig")
    expect(table.get_by_role("row").filter(has_text=MARIAS_REPORT)).to_have_count(1)
    expect(table.locator("tbody tr")).to_have_count(12)

    expect(page.locator("main h1")).to_be_focused()
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.textContent]")
    assert focused == ["H1", "Min enhet"]


def test_language_switch_is_remembered_after_sign_out_and_in(portal: Portal, page: Page) -> None:
    # Someone no other test signs in as, so the remembered English cannot leak into them.
    ulla = re.compile(r"^Ulla Olsson – ")
    page.goto(portal.url("/logga-in"))
    _sign_in(portal, page, _demo_select(page, "employee"), ulla)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")

    page.get_by_label("Språk").select_option("en")
    page.get_by_role("button", name="Byt språk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("form[action$='/logga-ut'] button[type=submit]").click()
    page.wait_for_url(portal.url("/logga-in"))
    # The sign-in page keeps the chosen language after sign-out.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    _sign_in(portal, page, _demo_select(page, "employee"), ulla)

    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_sign_in_and_start_page_have_no_wcag_aa_violations(portal: Portal, page: Page) -> None:
    page.goto(portal.url("/logga-in"))
    sign_in_violations = _axe_violations(page)
    _sign_in(portal, page, page.get_by_label(re.compile(r"^Chefer")), MARIA_OPTION)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")
    start_violations = _axe_violations(page)

    report = ""
    if sign_in_violations:
        report += "/logga-in:\n" + _describe(sign_in_violations) + "\n"
    if start_violations:
        report += "/:\n" + _describe(start_violations) + "\n"
    if report:
        print(report)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report


def test_keyboard_user_can_sign_in_with_tab_and_enter(portal: Portal, page: Page) -> None:
    page.goto(portal.url("/logga-in"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_focused()

    managers = page.get_by_label(re.compile(r"^Chefer"))
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "demo-manager":
            break
    expect(managers).to_be_focused()

    option_count = managers.locator("option").count()
    for _ in range(option_count):
        chosen = managers.evaluate("s => s.options[s.selectedIndex].textContent")
        if MARIA_OPTION.match(chosen):
            break
        page.keyboard.press("ArrowDown")
    expect(managers.locator("option:checked")).to_have_text(MARIA_OPTION)

    page.keyboard.press("Tab")
    button = page.locator("form.demo-group").filter(has=managers).get_by_role("button")
    expect(button).to_be_focused()
    expect(button).to_have_accessible_name("Logga in som vald person (Chefer)")
    page.keyboard.press("Enter")

    page.wait_for_url(portal.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")
    expect(_fact(page, "Namn")).to_have_text(MARIA)


def test_page_loads_without_csp_violations_or_console_errors(portal: Portal,
                                                            page: Page) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    page.goto(portal.url("/logga-in"), wait_until="networkidle")
    page.wait_for_function("() => window.htmx !== undefined")  # the scripts were allowed
    _sign_in(portal, page, page.get_by_label(re.compile(r"^Chefer")), MARIA_OPTION)
    page.goto(portal.url("/"), wait_until="networkidle")
    page.wait_for_function("() => window.htmx !== undefined")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")

    assert problems == [], "\n".join(problems)


def test_admin_starts_a_dry_run_follows_it_and_the_admin_pages_pass_axe(portal: Portal,
                                                                       page: Page) -> None:
    page.goto(portal.url("/logga-in"))
    _sign_in(portal, page, _demo_select(page, "admin"), re.compile(r"^Erik Sandberg – "))
    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    violations = {"/administration/": _axe_violations(page)}

    page.get_by_label("Torrkörning: visa vad som skulle ändras, ändra inget").check()
    page.get_by_role("button", name="Starta synkronisering").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Katalogsynkronisering")
    # The page asks for itself until the run is done; expect() waits for it (no sleep).
    status = page.locator("#run-detail dl.facts dd").first
    expect(status).to_have_text("Torrkörning klar")
    expect(page.locator("#run-detail")).not_to_have_attribute("aria-busy", "true")
    dry_run_note = "Torrkörning: detta skulle ha ändrats. Inget sparades."
    expect(page.get_by_text(dry_run_note)).to_be_visible()
    violations["run"] = _axe_violations(page)

    for path in ("/administration/roller", "/administration/logg"):
        page.goto(portal.url(path))
        violations[path] = _axe_violations(page)
    report = "".join(f"{where}:\n{_describe(found)}\n" for where, found in violations.items()
                     if found)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report


KARIN_LUNDGREN_OPTION = re.compile(rf"^{MARIAS_REPORT} – ")
RECORDED = "Klassningen är registrerad och väntar på systemägarens godkännande."


def _watch_console(page: Page, allowed: re.Pattern[str] | None = None) -> list[str]:
    """Console errors (CSP violations among them) and uncaught errors from now on; console
    errors matching `allowed` are expected (Chromium logs every refused request)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not (allowed and allowed.search(message.text)):
            problems.append(f"console error: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def _sign_in_from_group(portal: Portal, page: Page, group: str, person: re.Pattern[str]) -> None:
    page.goto(portal.url("/logga-in"))
    _sign_in(portal, page, _demo_select(page, group), person)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")


def _sign_out(portal: Portal, page: Page) -> None:
    page.locator("form[action$='/logga-ut'] button[type=submit]").click()
    page.wait_for_url(portal.url("/logga-in"))


def _nav_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name=name)


def _my_system_card(page: Page, name: str) -> Locator:
    """The card of one system on "Mina system"."""
    link = page.get_by_role("link", name=name, exact=True)
    return page.locator("ul.system-list > li").filter(has=link)


def _open_my_system(page: Page, name: str) -> None:
    """Mina system in the menu, then the system's page."""
    _nav_link(page, "Mina system").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina system")
    _my_system_card(page, name).get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def _dd(scope: Locator, term: str) -> Locator:
    """The <dd> of the <dt> `term` inside `scope`."""
    dt = scope.locator("dl.facts dt").filter(has_text=re.compile(rf"^{re.escape(term)}$"))
    return dt.locator("xpath=following-sibling::dd[1]")


def _axe_with_details_open(page: Page) -> list[dict]:
    """axe-core with every <details> of the page open, so the forms in them are checked."""
    page.evaluate("document.querySelectorAll('main details').forEach(d => { d.open = true; })")
    return _axe_violations(page)


def _axe_report(violations: dict[str, list[dict]]) -> str:
    return "".join(f"{where}:\n{_describe(found)}\n" for where, found in violations.items()
                   if found)


def test_administrator_records_a_classification_and_the_owner_approves_it(portal: Portal,
                                                                         page: Page) -> None:
    problems = _watch_console(page)
    _sign_in_from_group(portal, page, "employee", KARIN_LUNDGREN_OPTION)
    _nav_link(page, "Mina system").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina system")
    card = _my_system_card(page, SYSTEM)
    expect(card).to_contain_text("Du är systemförvaltare")
    expect(card.locator(".chips li").first).to_have_text("Ej klassad")
    card.get_by_role("link", name=SYSTEM, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SYSTEM)
    violations = {"unclassified, administrator": _axe_with_details_open(page)}
    page.reload()  # closed <details> again, as the administrator finds them

    section = page.get_by_role("region", name="Informationsklassning (KLASSA)")
    expect(section).to_contain_text("Systemet är inte klassat.")
    expect(page.locator("#system-chips")).to_contain_text("Ej klassad")
    section.locator("summary").filter(has_text="Registrera klassning").click()
    form = section.locator("form")
    expect(form.get_by_label("Datum", exact=True)).to_have_value(today().isoformat())
    form.get_by_label("KLASSA-version", exact=True).fill("KLASSA 2.0")
    form.get_by_label("Deltagare", exact=True).fill(
        "Karin Lundgren\nMaria Nilsson\nKarin Holm")
    confidentiality = form.get_by_label("Konfidentialitet", exact=True)
    confidentiality.focus()
    page.keyboard.press("3")  # type-ahead to "3 Allvarlig", as a keyboard user picks it
    expect(confidentiality).to_have_value("3")
    form.get_by_label("Riktighet", exact=True).select_option("2")
    form.get_by_label("Tillgänglighet", exact=True).select_option("2")
    form.get_by_label("Spårbarhet", exact=True).select_option("1")

    page.evaluate("window.stillTheSameDocument = true")
    form.get_by_role("button", name="Registrera klassningen").click()

    expect(_dd(section, "Godkänd")).to_have_text("Nej, väntar på systemägarens godkännande")
    levels = section.get_by_role("table")
    for aspect, level in (("Konfidentialitet", "3 – Allvarlig"), ("Riktighet", "2 – Betydande"),
                          ("Tillgänglighet", "2 – Betydande"), ("Spårbarhet", "1 – Måttlig")):
        expect(levels.get_by_role("row", name=aspect)).to_contain_text(level)
    expect(_dd(section, "Registrerad av")).to_have_text(MARIAS_REPORT)
    expect(_dd(section, "Deltagare")).to_have_text("Karin Lundgren, Maria Nilsson, Karin Holm")
    expect(page.locator("#system-chips")).to_contain_text("Klassad, ej godkänd")
    expect(page.locator("#system-chips")).not_to_contain_text("Ej klassad")
    expect(page.locator("#messages")).to_have_text(RECORDED)
    expect(page.locator("#messages")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#classification-heading")).to_be_focused()
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.id]")
    assert focused == ["H2", "classification-heading"]
    assert page.evaluate("window.stillTheSameDocument === true"), "expected an htmx swap"
    expect(section.get_by_role("button", name="Godkänn klassningen")).to_have_count(0)
    violations["recorded, administrator"] = _axe_with_details_open(page)

    _sign_out(portal, page)
    _sign_in_as_maria(portal, page)
    _nav_link(page, "Mina system").click()
    card = _my_system_card(page, SYSTEM)
    expect(card).to_contain_text("Du är systemägare")
    expect(card.locator(".chips li").first).to_have_text("Klassad, ej godkänd")
    _open_my_system(page, SYSTEM)
    violations["recorded, owner"] = _axe_with_details_open(page)
    page.reload()

    section = page.get_by_role("region", name="Informationsklassning (KLASSA)")
    expect(section.get_by_label("Beslutsdatum", exact=True)).to_have_value(today().isoformat())
    page.evaluate("window.stillTheSameDocument = true")
    section.get_by_role("button", name="Godkänn klassningen").click()

    expect(_dd(section, "Godkänd")).to_have_text(f"{today().isoformat()} av {MARIA}")
    # A year after the decision, the portal's default review interval.
    expect(_dd(section, "Nästa översyn")).to_have_text(add_months(today(), 12).isoformat())
    expect(page.locator("#system-chips")).to_contain_text("Klassad och godkänd")
    expect(page.locator("#messages")).to_have_text("Klassningen är godkänd.")
    expect(page.locator("#classification-heading")).to_be_focused()
    assert page.evaluate("window.stillTheSameDocument === true"), "expected an htmx swap"
    expect(section.get_by_role("button", name="Godkänn klassningen")).to_have_count(0)
    violations["approved, owner"] = _axe_with_details_open(page)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)


def test_refused_classification_shows_the_error_and_moves_focus_to_it(portal: Portal,
                                                                      page: Page) -> None:
    problems = _watch_console(page, allowed=re.compile(
        r"^Failed to load resource: the server responded with a status of 422 "))
    _sign_in_from_group(portal, page, "employee", KARIN_LUNDGREN_OPTION)
    _open_my_system(page, OTHER_SYSTEM)
    section = page.get_by_role("region", name="Informationsklassning (KLASSA)")
    section.locator("summary").filter(has_text="Registrera klassning").click()
    form = section.locator("form")
    form.get_by_label("KLASSA-version", exact=True).fill("KLASSA 2.0")
    participants = form.get_by_label("Deltagare", exact=True)
    expect(participants).not_to_have_value("")  # the owner and administrators are proposed
    participants.fill("")
    for aspect in ("Konfidentialitet", "Riktighet", "Tillgänglighet", "Spårbarhet"):
        form.get_by_label(aspect, exact=True).select_option("1")

    page.evaluate("window.stillTheSameDocument = true")
    form.get_by_role("button", name="Registrera klassningen").click()

    summary = section.get_by_role("alert")
    expect(summary).to_contain_text("Inget sparades. Rätta uppgifterna och försök igen:")
    message = "Deltagare: Ange vilka som deltog, minst en person."
    expect(summary.get_by_role("link", name=message)).to_have_attribute(
        "href", "#classification-participants")
    expect(summary).to_be_focused()
    assert page.evaluate("window.stillTheSameDocument === true"), "expected an htmx swap"
    participants = section.get_by_label("Deltagare", exact=True)
    expect(participants).to_have_attribute("aria-invalid", "true")
    expect(section.locator("#classification-participants-error-1")).to_have_text(
        "Ange vilka som deltog, minst en person.")
    # What was filled in is kept, and nothing was saved.
    expect(section.get_by_label("KLASSA-version", exact=True)).to_have_value("KLASSA 2.0")
    expect(section).to_contain_text("Systemet är inte klassat.")
    expect(page.locator("#system-chips")).to_contain_text("Ej klassad")
    expect(page.locator("#messages")).not_to_contain_text(RECORDED)
    violations = {"refused": _axe_violations(page)}

    page.reload()
    expect(page.get_by_role("region", name="Informationsklassning (KLASSA)")).to_contain_text(
        "Systemet är inte klassat.")
    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)


def _figure(coverage: Locator, label: str) -> Locator:
    """One key figure of the register's coverage, e.g. "2 system i registret"."""
    return coverage.locator("ul.figures li").filter(has_text=re.compile(rf"\s{label}$"))


def test_register_and_mina_system_pass_axe(portal: Portal, page: Page) -> None:
    problems = _watch_console(page)
    _sign_in_from_group(portal, page, "coordinator", COORDINATOR_OPTION)
    _nav_link(page, "Systemregister").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Systemregister")
    expect(_nav_link(page, "Systemregister")).to_have_attribute("aria-current", "page")

    coverage = page.get_by_role("region", name="Täckning")
    expect(_figure(coverage, "system i registret")).to_have_text("2 system i registret")
    expect(_figure(coverage, "i drift")).to_have_text("1 i drift")
    expect(_figure(coverage, "välfärdsteknik riskanalyserad")).to_have_text(
        "0/1 välfärdsteknik riskanalyserad")
    per_organization = coverage.get_by_role("table")
    expect(per_organization.get_by_role("row", name=re.compile("^Hela koncernen"))).to_be_visible()
    results = page.locator("#register-results")
    expect(results).to_contain_text("2 system matchar filtret.")
    expect(results.get_by_role("row").filter(has_text=SYSTEM)).to_have_count(1)
    expect(results.get_by_role("row").filter(has_text=OTHER_SYSTEM)).to_have_count(1)
    violations = {"/systemregister/": _axe_violations(page)}

    filters = page.get_by_role("search")
    filters.get_by_label("Välfärdsteknik", exact=True).check()
    page.evaluate("window.stillTheSameDocument = true")
    filters.get_by_role("button", name="Visa").click()

    expect(page).to_have_url(re.compile(r"/systemregister/\?(.*&)?valfardsteknik=1(&|$)"))
    count = results.locator("p[data-focus]")
    expect(count).to_have_text("1 system matchar filtret.")
    expect(count).to_be_focused()
    expect(results.get_by_role("row").filter(has_text=SYSTEM)).to_have_count(1)
    expect(results.get_by_role("row").filter(has_text=OTHER_SYSTEM)).to_have_count(0)
    assert page.evaluate("window.stillTheSameDocument === true"), "expected an htmx swap"
    expect(filters.get_by_label("Välfärdsteknik", exact=True)).to_be_checked()
    violations["/systemregister/?valfardsteknik=1"] = _axe_violations(page)

    page.get_by_role("link", name="Registrera ett system").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrera ett system")
    violations["/systemregister/nytt"] = _axe_violations(page)

    _sign_out(portal, page)
    _sign_in_from_group(portal, page, "employee", KARIN_LUNDGREN_OPTION)
    _nav_link(page, "Mina system").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina system")
    expect(_my_system_card(page, SYSTEM)).to_be_visible()
    expect(_my_system_card(page, OTHER_SYSTEM)).to_be_visible()
    violations["/system/"] = _axe_violations(page)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)
