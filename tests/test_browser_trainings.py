"""Trainings (utbildningar) in a real browser: a person confirms "Jag har genomfört
utbildningen" (with htmx in place, and as a plain form without JavaScript), the training is
then done on "Mina uppgifter", a date in the future is refused in place, and axe-core finds
no WCAG 2.1 AA violations on the person's and the coordinator's training pages, all under
the strict CSP.

The portal is the demo group of `tests/test_browser.py` with the demo trainings loaded (for
the coordinator's realistic follow-up), plus a few test trainings for everyone in the
municipality that nobody has completed, one for each test that confirms, so the tests do
not depend on each other's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.clock import today
from app.extensions import db
from app.models import (
    CompletionSource,
    Organization,
    Person,
    ProofMethod,
    Training,
    TrainingCompletion,
)
from app.services import trainings
from app.services.audience import AudienceRule
from app.services.system_access import CoordinatorScope
from demo.trainings import load_demo_trainings
from tests.test_browser import (
    COORDINATOR_OPTION,
    MARIA,
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
COORDINATOR = "karin.holm"
MARIA_USERNAME = "maria.nilsson"  # the demo has more than one Maria Nilsson
# One training per test that confirms, so the tests do not depend on each other's order.
HTMX_TRAINING = "Säker hantering av e-post"
PLAIN_TRAINING = "Säkert distansarbete"
AXE_TRAINING = "Informationssäkerhet på resa"
DESCRIPTION = """Utbildningen tar ungefär **20 minuter**.

## Innehåll

- hur du känner igen nätfiske,
- hur du rapporterar en incident.
"""
FAILED_422 = re.compile(r"^Failed to load resource: the server responded with a status of 422 ")
COMPLETE = "Jag har genomfört utbildningen"
DATE_LABEL = "Datum då du genomförde utbildningen"


def _day(value: date) -> str:
    """A date as the portal shows it (app.web.day): "23 nov 2026"."""
    return format_date(value, "d MMM y", locale="sv").replace(".", "")


@dataclass(frozen=True)
class TrainingPortal:
    """The live portal with the demo and test trainings, and what the tests look up."""

    portal: Portal
    app: Flask
    ids: dict[str, int]
    annual: str  # this year's demo annual training, "Informationssäkerhet för alla 2026"
    period: str  # its period label, "2026"
    participant_id: int  # someone with a record (a correction, when the demo made one)
    participant: str

    def url(self, path: str) -> str:
        return self.portal.url(path)


def _add_trainings() -> tuple[dict[str, int], int, str]:
    """The demo trainings, then the test trainings for everyone in the municipality (this
    calendar year, due on its last day, self-confirmation); return the ids of all trainings
    by title, and the participant whose page the coordinator opens."""
    load_demo_trainings(today())
    municipality = db.session.scalars(
        select(Organization).where(Organization.name == MUNICIPALITY)).one()
    coordinator = db.session.scalars(select(Person).where(Person.username == COORDINATOR)).one()
    year = today().year
    for title in (HTMX_TRAINING, PLAIN_TRAINING, AXE_TRAINING):
        trainings.create(coordinator, trainings.TrainingFields(
            title=title, description=DESCRIPTION,
            link="https://larande.exempelby.se/kurser/lis", organization_id=municipality.id,
            period_starts_on=date(year, 1, 1), period_ends_on=date(year, 12, 31),
            due_on=date(year, 12, 31), proof=ProofMethod.SELF.value,
            audience=AudienceRule(organization_ids=(municipality.id,))),
            CoordinatorScope(True, frozenset()))
    db.session.commit()
    ids = dict(db.session.execute(select(Training.title, Training.id)).tuples().all())

    # The person whose history the coordinator opens: the one the demo corrected (two
    # records), or, early in a year when the demo made no correction, the first recorded.
    annual = ids[f"Informationssäkerhet för alla {year}"]
    records = select(TrainingCompletion).where(TrainingCompletion.training_id == annual)
    record = db.session.scalars(records.where(
        TrainingCompletion.source == CompletionSource.CORRECTION)).first() or \
        db.session.scalars(records.order_by(TrainingCompletion.id)).first()
    assert record is not None, "the demo annual training has no completions"
    person = db.session.get(Person, record.person_id)
    assert person is not None
    # Maria has none of the test trainings yet: the tests below confirm each of them.
    maria = db.session.scalars(select(Person).where(Person.username == MARIA_USERNAME)).one()
    assert maria.display_name == MARIA
    assert db.session.scalar(select(TrainingCompletion.id).where(
        TrainingCompletion.person_id == maria.id,
        TrainingCompletion.training_id.in_([ids[t] for t in (
            HTMX_TRAINING, PLAIN_TRAINING, AXE_TRAINING)]))) is None
    return ids, person.id, person.display_name


@pytest.fixture(scope="module")
def trainings_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainingPortal]:
    """Live demo portal with trainings plus headless Chromium, shared by this module."""
    require_chromium()
    app = _demo_app(tmp_path_factory.mktemp("browser-trainings") / "portal.sqlite3")
    with app.app_context():
        ids, participant_id, participant = _add_trainings()
    year = today().year
    with serve_in_chromium(app) as running:
        yield TrainingPortal(running, app, ids, f"Informationssäkerhet för alla {year}",
                             str(year), participant_id, participant)


@pytest.fixture
def portal(trainings_portal: TrainingPortal) -> Portal:
    return trainings_portal.portal


def _task(page: Page, title: str) -> Locator:
    """The item of one training in "Utbildningar" on "Mina uppgifter"."""
    link = page.get_by_role("link", name=title, exact=True)
    return page.locator("#training-tasks > li").filter(has=link)


def _open_from_my_tasks(page: Page, title: str) -> None:
    """From "Mina uppgifter", follow the training's link and see its description."""
    expect(page.get_by_role("heading", name="Utbildningar", exact=True)).to_be_visible()
    item = _task(page, title)
    expect(item).to_contain_text(f"genomför senast {_day(date(today().year, 12, 31))}")
    item.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    body = page.locator(".document-body")
    expect(body.get_by_role("heading", name="Innehåll")).to_be_visible()
    expect(body.locator("strong")).to_have_text("20 minuter")
    expect(body.locator("ul > li")).to_have_count(2)
    expect(page.get_by_role("link", name=f"Gå till utbildningen {title}")).to_have_attribute(
        "href", "https://larande.exempelby.se/kurser/lis")


def _expect_done(slot: Locator, on: date) -> None:
    """The section shows the confirmation instead of the form."""
    expect(slot.locator(".confirmation strong")).to_have_text(f"Genomförd {_day(on)}")
    expect(slot.locator(".confirmation")).to_contain_text("(Egen bekräftelse)")
    expect(slot.get_by_role("button")).to_have_count(0)
    expect(slot.get_by_role("alert")).to_have_count(0)


def _expect_done_on_my_tasks(page: Page, title: str, on: date) -> None:
    _nav_link(page, "Mina uppgifter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina uppgifter")
    item = _task(page, title)
    expect(item.locator(".chip")).to_have_text(f"Genomförd {_day(on)}")
    expect(item).not_to_contain_text("genomför senast")


def test_a_person_confirms_a_training_in_place(trainings_portal: TrainingPortal,
                                               page: Page) -> None:
    portal = trainings_portal.portal
    training_url = trainings_portal.url(f"/utbildning/{trainings_portal.ids[HTMX_TRAINING]}")
    problems = _watch_console(page, allowed=FAILED_422)
    _sign_in_as_maria(portal, page)
    _open_from_my_tasks(page, HTMX_TRAINING)
    expect(page).to_have_url(training_url)

    slot = page.locator("#complete-slot")
    expect(slot.get_by_role("heading", name="Ditt genomförande")).to_be_visible()
    completed_on = slot.get_by_label(DATE_LABEL, exact=True)
    expect(completed_on).to_have_value(today().isoformat())
    page.evaluate("window.__marker = 1")

    # A day in the future: refused in place, in Swedish, with focus on the summary.
    future = today() + timedelta(days=7)
    completed_on.fill(future.isoformat())
    slot.get_by_role("button", name=COMPLETE).click()
    summary = slot.get_by_role("alert")
    expect(summary).to_contain_text("Inget sparades. Rätta uppgifterna och försök igen:")
    error = (f"Datum då utbildningen genomfördes kan inte ligga i framtiden "
             f"({future.isoformat()}).")
    expect(summary.get_by_role("link", name=f"{DATE_LABEL}: {error}")).to_have_attribute(
        "href", "#completed_on")
    expect(summary).to_be_focused()
    completed_on = slot.get_by_label(DATE_LABEL, exact=True)
    expect(completed_on).to_have_attribute("aria-invalid", "true")
    expect(completed_on).to_have_value(future.isoformat())
    expect(slot.locator("#completed_on-error-1")).to_have_text(error)
    expect(page.locator("#messages")).not_to_contain_text("Tack!")
    assert page.evaluate("window.__marker === 1"), "expected an htmx swap, not a new page"

    # Following the error's link takes the keyboard user to the field.
    summary.get_by_role("link", name=f"{DATE_LABEL}: {error}").click()
    expect(completed_on).to_be_focused()
    completed_on.fill(today().isoformat())
    slot.get_by_role("button", name=COMPLETE).click()

    _expect_done(slot, today())
    heading = slot.get_by_role("heading", name="Ditt genomförande")
    expect(heading).to_be_focused()
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.id]")
    assert focused == ["H2", "complete-heading"]
    expect(page.locator("#messages")).to_have_text(
        f"Tack! Det är registrerat att du har genomfört {HTMX_TRAINING}.")
    assert page.evaluate("window.__marker === 1"), "expected an htmx swap, not a new page"

    _expect_done_on_my_tasks(page, HTMX_TRAINING, today())
    # A reload shows the same confirmation: it was stored, not only shown.
    page.goto(training_url)
    _expect_done(page.locator("#complete-slot"), today())
    assert problems == [], "\n".join(problems)


def test_without_javascript_the_form_is_a_plain_post(trainings_portal: TrainingPortal,
                                                     page_without_javascript: Page) -> None:
    portal, page = trainings_portal.portal, page_without_javascript
    training_url = trainings_portal.url(f"/utbildning/{trainings_portal.ids[PLAIN_TRAINING]}")
    _sign_in_as_maria(portal, page)
    _open_from_my_tasks(page, PLAIN_TRAINING)

    # A day before the period: the page comes back with the error beside the field.
    slot = page.locator("#complete-slot")
    before = date(today().year, 1, 1) - timedelta(days=1)
    slot.get_by_label(DATE_LABEL, exact=True).fill(before.isoformat())
    slot.get_by_role("button", name=COMPLETE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAIN_TRAINING)
    error = (f"Datumet ligger före utbildningens period, som börjar "
             f"{today().year}-01-01.")
    expect(slot.get_by_role("alert")).to_contain_text(error)
    completed_on = slot.get_by_label(DATE_LABEL, exact=True)
    expect(completed_on).to_have_attribute("aria-invalid", "true")
    expect(completed_on).to_have_value(before.isoformat())

    completed_on.fill(today().isoformat())
    slot.get_by_role("button", name=COMPLETE).click()

    expect(page).to_have_url(training_url + "#genomford")
    expect(page.locator("#messages")).to_contain_text(
        f"Tack! Det är registrerat att du har genomfört {PLAIN_TRAINING}.")
    _expect_done(slot, today())
    _expect_done_on_my_tasks(page, PLAIN_TRAINING, today())


def test_training_pages_pass_axe_and_the_console_stays_clean(trainings_portal: TrainingPortal,
                                                             page: Page) -> None:
    portal = trainings_portal.portal
    problems = _watch_console(page)
    _sign_in_as_maria(portal, page)
    expect(_task(page, AXE_TRAINING)).to_be_visible()
    expect(_task(page, trainings_portal.annual)).to_be_visible()
    violations = {"/ (with trainings)": _axe_violations(page)}

    _open_from_my_tasks(page, AXE_TRAINING)
    violations["training, before"] = _axe_violations(page)
    slot = page.locator("#complete-slot")
    slot.get_by_role("button", name=COMPLETE).click()
    _expect_done(slot, today())
    expect(slot.get_by_role("heading", name="Ditt genomförande")).to_be_focused()
    violations["training, confirmed"] = _axe_violations(page)
    page.reload()
    _expect_done(slot, today())
    violations["training, confirmed, reloaded"] = _axe_violations(page)
    assert problems == [], "\n".join(problems)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report


def test_coordinator_training_pages_pass_axe(trainings_portal: TrainingPortal,
                                             page: Page) -> None:
    portal, annual, period = trainings_portal.portal, trainings_portal.annual, \
        trainings_portal.period
    annual_id = trainings_portal.ids[annual]
    problems = _watch_console(page)
    _sign_in_from_group(portal, page, "coordinator", COORDINATOR_OPTION)
    _nav_link(page, "Utbildningar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Utbildningar")
    expect(_nav_link(page, "Utbildningar")).to_have_attribute("aria-current", "page")
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text=annual)).to_have_count(1)
    expect(table.get_by_role("row").filter(has_text=HTMX_TRAINING)).to_have_count(1)
    violations = {"/utbildningar/": _axe_violations(page)}

    page.get_by_role("link", name="Ny utbildning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny utbildning")
    expect(page.locator("#audience-count")).to_contain_text("Målgruppen omfattar just nu")
    violations["/utbildningar/ny, details open"] = _axe_with_details_open(page)
    expect(page.locator("main details").first).to_have_attribute("open", "")

    page.goto(trainings_portal.url(f"/utbildningar/{annual_id}/uppfoljning"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Uppföljning av {annual} {period}")
    expect(page.get_by_role("heading", name="Som inte har genomfört")).to_be_visible()
    violations["follow-up"] = _axe_violations(page)
    page.get_by_role("link", name="Visa alla i målgruppen").click()
    expect(page).to_have_url(re.compile(r"/uppfoljning\?(.*&)?visa=alla(&|$)"))
    expect(page.get_by_role("heading", name="Alla i målgruppen")).to_be_visible()
    violations["follow-up, visa=alla"] = _axe_violations(page)

    page.goto(trainings_portal.url(f"/utbildningar/{annual_id}/narvarolista"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Närvarolista för {annual} {period}")
    violations["attendance"] = _axe_violations(page)

    page.goto(trainings_portal.url(
        f"/utbildningar/{annual_id}/deltagare/{trainings_portal.participant_id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{trainings_portal.participant} – {annual} {period}")
    expect(page.get_by_role("heading", name="Historik")).to_be_visible()
    violations["participant"] = _axe_violations(page)

    page.goto(trainings_portal.url(f"/utbildningar/{annual_id}/import"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Importera genomföranden: {annual} {period}")
    expect(page.get_by_role("button", name="Förhandsgranska")).to_be_visible()
    violations["import"] = _axe_violations(page)
    assert problems == [], "\n".join(problems)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
