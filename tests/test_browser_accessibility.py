"""axe-core on every page of the demo, as each role sees it, and the accessibility statement.

The other browser tests run axe-core on the pages their features touch, in the states they
bring about. This module is the sweep behind them: the demo portal as `make run` loads it
(the directory, 80 systems, the documents, trainings, checklists and monthly snapshots,
plus one management review), visited as an employee, a manager, a system owner, a system
administrator, a coordinator and an administrator. Each visits every page of the menu they
have and a sample of pages about one thing (a document, a system, a training, a checklist,
a review, a sync run), and axe-core must find no WCAG 2.1 A/AA violation, with every
<details> open so the forms in them are checked too. Signed out, the sign-in page, the
accessibility statement (also on a phone-sized screen) and the 404 page are checked.

`test_every_page_without_arguments_is_visited` keeps the sweep complete: a new page in the
app's URL map must be added to someone's list here, or named as not a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app import create_app
from app.clock import today
from app.extensions import db
from app.models import (
    ActionPlanItem,
    ChecklistAssignment,
    ChecklistRole,
    ChecklistTemplate,
    Classification,
    Document,
    InformationSystem,
    Person,
    RiskAnalysis,
    SyncRun,
    SystemAdministrator,
    Training,
)
from app.services import management_reviews
from app.services.system_access import CoordinatorScope
from demo.checklists import load_demo_checklists
from demo.documents import load_demo_documents
from demo.follow_up import load_demo_follow_up
from demo.systems import load_demo_systems
from demo.trainings import load_demo_trainings
from ldap_sync import sync
from ldap_sync.source import LdifSource
from tests.conftest import DEMO_LDIF, base_config
from tests.test_browser import (
    Portal,
    _axe_report,
    _axe_with_details_open,
    _demo_select,
    _sign_in,
    _watch_console,
    require_chromium,
    serve_in_chromium,
)

pytestmark = pytest.mark.browser

STATEMENT = "/tillganglighetsredogorelse"
POLICY = "Informationssäkerhetspolicy"
OWNED_SYSTEM = "Trygghetslarm Trygga Hem"  # Minh Korhonen's: classified, analysed, actions
MARIAS_SYSTEM = "Nyckelfri Omsorg"

# Argument-free GET routes that are not pages: static files, downloads and htmx fragments.
NOT_PAGES = {"static", "checklists.open_count", "documents.audience_count",
             "admin.audit_log_csv", "coordination.people_csv", "systems.register_csv"}
# Seen signed out (the sign-in page sends a signed-in person home).
SIGNED_OUT = ["/logga-in", STATEMENT]
EVERYONE = ["/", "/arshjul", "/dokument/", "/system/"]
# The pages of each role's menu, beside what everyone has.
MENU = {
    "employee": [],
    "manager": ["/min-enhet/"],
    "system_owner": ["/min-enhet/"],
    "system_administrator": [],
    "coordinator": ["/systemregister/", "/systemregister/nytt", "/systemregister/import",
                    "/styrdokument/", "/styrdokument/nytt", "/styrdokument/antaganden",
                    "/utbildningar/", "/utbildningar/ny", "/checklistmallar/",
                    "/samordning/", "/samordning/personer", "/rapporter/"],
    "admin": ["/min-enhet/", "/administration/", "/administration/roller",
              "/administration/logg"],
}


@dataclass(frozen=True)
class Persona:
    """Someone to sign in as: their demo sign-in group and username."""

    key: str
    group: str
    username: str


PERSONAS = [
    Persona("employee", "employee", "agneta.berglund"),
    Persona("manager", "manager", "maria.nilsson"),
    Persona("system_owner", "system_owner", "minh.korhonen"),
    Persona("system_administrator", "system_administrator", "karin.lundgren"),
    Persona("coordinator", "coordinator", "karin.holm"),
    Persona("admin", "admin", "erik.sandberg"),
]


@dataclass(frozen=True)
class SweepPortal:
    """The live demo portal, and per persona their option's text and their pages by id."""

    portal: Portal
    names: dict[str, str]  # username → display name
    titles: dict[str, str]  # username → title (the option reads "name – title")
    pages_with_ids: dict[str, list[str]]  # persona key → paths

    def url(self, path: str) -> str:
        return self.portal.url(path)


def _full_demo_app(database: Path) -> Flask:
    """The demo as `make run` loads it, on its own SQLite file."""
    app = create_app({**base_config(f"sqlite:///{database}"), "LDAP_LDIF": str(DEMO_LDIF)})
    with app.app_context():
        flask_migrate.upgrade()
        sync.run(LdifSource(str(DEMO_LDIF)), sync.SyncSettings.from_config(app.config))
        for load in (load_demo_systems, load_demo_documents, load_demo_trainings,
                     load_demo_checklists, load_demo_follow_up):
            assert load(today()), f"{load.__name__} loaded nothing"
            db.session.commit()
    return app


def _one(statement) -> int:
    found = db.session.scalars(statement.limit(1)).first()
    assert found is not None, f"the demo has nothing for {statement}"
    return found


def _pages_with_ids() -> dict[str, list[str]]:
    """A sample of pages about one thing, from the demo data, for whoever may see them."""
    def person(username: str) -> int:
        return _one(select(Person.id).where(Person.username == username))

    def system(name: str) -> int:
        return _one(select(InformationSystem.id).where(InformationSystem.name == name))

    def checklist(username: str, role: ChecklistRole, subject_id: int | None = None) -> int:
        statement = (select(ChecklistAssignment.id).join(ChecklistTemplate)
                     .where(ChecklistAssignment.assignee_id == person(username),
                            ChecklistTemplate.role == role))
        if subject_id is not None:
            statement = statement.where(ChecklistAssignment.subject_id == subject_id)
        return _one(statement.order_by(ChecklistAssignment.id))

    policy = _one(select(Document.id).where(Document.title == POLICY))
    annual = _one(select(Training.id).where(Training.title == f"Informationssäkerhet för alla "
                                                              f"{today().year}"))
    owned = system(OWNED_SYSTEM)
    for record in (Classification, RiskAnalysis, ActionPlanItem):
        _one(select(record.id).where(record.system_id == owned))
    administered = _one(select(SystemAdministrator.system_id).join(Person)
                        .where(Person.username == "karin.lundgren")
                        .order_by(SystemAdministrator.system_id))
    coordinator = db.session.scalars(select(Person).where(Person.username == "karin.holm")).one()
    review = management_reviews.create(coordinator, CoordinatorScope(True, frozenset()),
                                       today().year, None)
    db.session.commit()
    run = _one(select(SyncRun.id).order_by(SyncRun.id))
    # Pages that other browser tests already check with axe in the states they bring about
    # (document follow-up and adoptions, training follow-up, attendance and import, a
    # manager's people) are left to them.
    return {
        "employee": [f"/dokument/{policy}", f"/utbildning/{annual}"],
        "manager": [f"/checklista/{checklist('maria.nilsson', ChecklistRole.MANAGER)}",
                    f"/system/{system(MARIAS_SYSTEM)}"],
        "system_owner": [
            f"/system/{owned}",
            f"/checklista/{checklist('minh.korhonen', ChecklistRole.SYSTEM_OWNER, owned)}"],
        "system_administrator": [
            f"/system/{administered}",
            f"/checklista/{checklist('karin.lundgren', ChecklistRole.SYSTEM_ADMINISTRATOR)}"],
        "coordinator": [
            f"/system/{owned}", f"/system/{owned}/redigera", f"/styrdokument/{policy}/utkast",
            f"/utbildningar/{annual}/redigera", "/checklistmallar/employee",
            "/samordning/checklistor/system_administrator", f"/rapporter/{review.id}"],
        "admin": [f"/administration/synkronisering/{run}"],
    }


@pytest.fixture(scope="module")
def sweep_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SweepPortal]:
    """The full demo portal and headless Chromium, shared by this module."""
    require_chromium()
    app = _full_demo_app(tmp_path_factory.mktemp("browser-accessibility") / "portal.sqlite3")
    with app.app_context():
        pages = _pages_with_ids()
        people = db.session.scalars(select(Person).where(
            Person.username.in_([p.username for p in PERSONAS]))).all()
        names = {p.username: p.display_name for p in people}
        titles = {p.username: p.title for p in people}
    with serve_in_chromium(app) as running:
        yield SweepPortal(running, names, titles, pages)


@pytest.fixture
def portal(sweep_portal: SweepPortal) -> Portal:
    return sweep_portal.portal


def _visit(sweep: SweepPortal, page: Page, path: str, violations: dict[str, list[dict]],
           refused: list[str]) -> None:
    """Open the page as a person would (a full load), and run axe-core on it when it shows."""
    response = page.goto(sweep.url(path))
    assert response is not None
    if response.status != 200:
        refused.append(f"{path}: {response.status}")
        return
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    violations[path] = _axe_with_details_open(page)


def test_every_page_without_arguments_is_visited() -> None:
    app = create_app(base_config("sqlite://"))
    pages = {rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments and rule.endpoint not in NOT_PAGES}
    visited = {*SIGNED_OUT, *EVERYONE, *(path for paths in MENU.values() for path in paths)}
    assert pages == visited, (f"not visited: {sorted(pages - visited)}; "
                              f"not a page: {sorted(visited - pages)}")
    assert set(MENU) == {persona.key for persona in PERSONAS}


# Every role at full width, and the roles with the widest tables again on a phone-sized
# screen (320 CSS pixels, WCAG 1.4.10), where tables must be scrollable by keyboard.
NARROW = ("manager", "coordinator", "admin")
SWEEPS = [(persona, None) for persona in PERSONAS] + [
    (persona, 320) for persona in PERSONAS if persona.key in NARROW]


@pytest.mark.parametrize(("persona", "width"), SWEEPS,
                         ids=[f"{p.key}{f'-{w}px' if w else ''}" for p, w in SWEEPS])
def test_every_page_a_role_reaches_passes_axe(sweep_portal: SweepPortal, page: Page,
                                              persona: Persona, width: int | None) -> None:
    sweep = sweep_portal
    problems = _watch_console(page)
    if width:
        page.set_viewport_size({"width": width, "height": 640})
    page.goto(sweep.url("/logga-in"))
    option = re.compile(rf"^{re.escape(sweep.names[persona.username])} – "
                        rf"{re.escape(sweep.titles[persona.username])}")
    _sign_in(sweep.portal, page, _demo_select(page, persona.group), option)

    violations: dict[str, list[dict]] = {}
    refused: list[str] = []
    for path in [*EVERYONE, *MENU[persona.key], *sweep.pages_with_ids[persona.key]]:
        _visit(sweep, page, path, violations, refused)

    assert refused == [], f"{persona.key} was refused pages of their role: {refused}"
    report = _axe_report(violations)
    assert not report, f"axe-core found WCAG 2.1 AA violations ({persona.key}):\n" + report
    assert problems == [], "\n".join(problems)


def test_signed_out_pages_and_the_statement_pass_axe(sweep_portal: SweepPortal,
                                                     page: Page) -> None:
    sweep = sweep_portal
    problems = _watch_console(page, allowed=re.compile(
        r"^Failed to load resource: the server responded with a status of 404 "))
    violations: dict[str, list[dict]] = {}
    refused: list[str] = []
    for path in SIGNED_OUT:
        _visit(sweep, page, path, violations, refused)
    assert refused == []

    # The statement is found from the footer of the sign-in page, and works without a sign-in.
    page.goto(sweep.url("/logga-in"))
    page.locator("footer").get_by_role("link", name="Tillgänglighetsredogörelse").click()
    expect(page).to_have_url(sweep.url(STATEMENT))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tillgänglighetsredogörelse för LIS-portalen")
    expect(page.get_by_role("link", name="Anmäl bristande tillgänglighet till Digg")) \
        .to_have_attribute("href", "https://www.digg.se/tdosanmalan")
    expect(page.locator("footer").get_by_role("link", name="Tillgänglighetsredogörelse")) \
        .to_have_attribute("aria-current", "page")

    # On a phone-sized screen (320 CSS pixels, WCAG 1.4.10) nothing needs sideways scrolling.
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(sweep.url(STATEMENT))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    violations[f"{STATEMENT} at 320 px"] = _axe_with_details_open(page)

    response = page.goto(sweep.url("/finns-inte"))
    assert response is not None and response.status == 404
    violations["404"] = _axe_with_details_open(page)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)


def test_a_refused_page_passes_axe(sweep_portal: SweepPortal, page: Page) -> None:
    sweep = sweep_portal
    problems = _watch_console(page, allowed=re.compile(
        r"^Failed to load resource: the server responded with a status of 403 "))
    employee = PERSONAS[0]
    page.goto(sweep.url("/logga-in"))
    _sign_in(sweep.portal, page, _demo_select(page, employee.group), re.compile(
        rf"^{re.escape(sweep.names[employee.username])} – "))

    response = page.goto(sweep.url("/samordning/"))

    assert response is not None and response.status == 403
    expect(page.locator("footer").get_by_role("link", name="Tillgänglighetsredogörelse")) \
        .to_be_visible()
    report = _axe_report({"403": _axe_with_details_open(page)})
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)
