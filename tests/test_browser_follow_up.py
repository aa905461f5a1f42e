"""Follow-up pages in a real browser: a sector head opens the people below their managers in
place by keyboard, two levels deep, and closes them again (focus on the first new row, the
toggle's aria-expanded follows); without JavaScript the same control is a plain link to the
manager's page; the filters give a flat list of the whole subtree; Maria Nilsson reminds two
people through a real SMTP server on loopback (aiosmtpd), and a second press a moment later
sends nothing; a coordinator starts, writes and freezes a management review; and axe-core
finds no WCAG 2.1 AA violations on Min enhet, Samordning (the whole group and a company's
coordinator) with a list behind one of its figures, and Rapporter.

The portal is the demo group of `tests/test_browser.py` with the demo documents, trainings,
checklists and monthly snapshots loaded, and e-mail sent to the test's SMTP server.
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
from app.models import Organization, Person, Role
from app.services import mail, requirements, roles, unit_status
from app.services.unit_status import LIST_LIMIT
from app.text import swedish_sort_key
from demo.checklists import load_demo_checklists
from demo.documents import load_demo_documents
from demo.follow_up import load_demo_follow_up
from demo.trainings import load_demo_trainings
from tests.smtp_server import SmtpServer, smtp_server
from tests.test_browser import (
    COORDINATOR_OPTION,
    MARIA,
    MARIA_OPTION,
    Portal,
    _axe_report,
    _axe_violations,
    _axe_with_details_open,
    _demo_app,
    _describe,
    _nav_link,
    _sign_in_from_group,
    _watch_console,
    require_chromium,
    serve_in_chromium,
)

pytestmark = pytest.mark.browser

SECTOR_HEAD = "Ulf Jonsson"  # Sektorchef socialtjänst: Minh Korhonen reports to him
SECTOR_HEAD_OPTION = re.compile(r"^Ulf Jonsson – ")
MIDDLE = "Minh Korhonen"  # Verksamhetschef äldreomsorg: Maria Nilsson reports to him
# A company's coordinator: in the demo both coordinators cover the whole group (directory
# group), so the fixture grants Energi's operations manager the role for Energi only.
COMPANY = "Exempelby Energi AB"
COMPANY_COORDINATOR = "cecilia.hassan"
COMPANY_COORDINATOR_OPTION = re.compile(r"^Cecilia Hassan – ")
MY_UNIT = "Personer som rapporterar till dig"


@dataclass(frozen=True)
class FollowUpPortal:
    """The live portal, its SMTP server and what the tests look up in the demo data."""

    portal: Portal
    app: Flask
    smtp: SmtpServer
    ids: dict[str, int]  # display name → person id, for the managers the tests open
    reports: dict[str, list[str]]  # manager's name → their direct reports' names, in order
    below: dict[str, int]  # manager's name → everyone below them, all levels
    to_remind: list[tuple[str, str]]  # two of Maria's people with something left: name, mail

    def url(self, path: str) -> str:
        return self.portal.url(path)


def _person(username: str) -> Person:
    return db.session.scalars(select(Person).where(Person.username == username)).one()


def _look_up() -> tuple[dict[str, int], dict[str, list[str]], dict[str, int],
                        list[tuple[str, str]]]:
    """The reporting lines and whom Maria can remind, straight from the database."""
    people = db.session.execute(select(Person.id, Person.display_name, Person.manager_id,
                                       Person.mail).where(Person.active.is_(True))).all()
    children: dict[int, list] = {}
    for person in people:
        children.setdefault(person.manager_id, []).append(person)
    # By username: the demo has two people named Maria Nilsson.
    ids = {name: _person(username).id for name, username in (
        (SECTOR_HEAD, "ulf.jonsson"), (MIDDLE, "minh.korhonen"), (MARIA, "maria.nilsson"))}

    def everyone_below(person_id: int) -> int:
        return sum(1 + everyone_below(c.id) for c in children.get(person_id, []))

    reports = {name: sorted((c.display_name for c in children.get(person_id, [])),
                            key=swedish_sort_key) for name, person_id in ids.items()}
    below = {name: everyone_below(person_id) for name, person_id in ids.items()}
    found = requirements.current()
    left = [row for row in unit_status.direct_reports(ids[MARIA], found)
            if {"open", "overdue"} & set(row.statuses.values())]
    address = {p.id: p.mail for p in people}
    chosen = [(row.name, address[row.id]) for row in left
              if mail.usable_address(address[row.id])]
    assert len(chosen) >= 2, "the demo gives Maria fewer than two people with something left"
    return ids, reports, below, sorted(chosen[:2], key=lambda c: swedish_sort_key(c[0]))


def _company_coordinator() -> None:
    """Energi's operations manager becomes coordinator for Energi only, granted by hand by
    an administrator as the role page does."""
    energi = db.session.scalars(select(Organization).where(Organization.name == COMPANY)).one()
    roles.grant_role(_person("erik.sandberg"), COMPANY_COORDINATOR, Role.COORDINATOR, energi.id)


@pytest.fixture(scope="module")
def follow_up_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FollowUpPortal]:
    """Live demo portal with the demo follow-up data, an SMTP server and headless Chromium."""
    require_chromium()
    app = _demo_app(tmp_path_factory.mktemp("browser-follow-up") / "portal.sqlite3")
    with app.app_context():
        for load in (load_demo_documents, load_demo_trainings, load_demo_checklists,
                     load_demo_follow_up):
            load(today())
            db.session.commit()
        _company_coordinator()
        db.session.commit()
        looked_up = _look_up()
    with smtp_server() as server:
        app.config.update(server.config())
        with serve_in_chromium(app) as running:
            yield FollowUpPortal(running, app, server, *looked_up)


@pytest.fixture
def portal(follow_up_portal: FollowUpPortal) -> Portal:
    return follow_up_portal.portal


def _is_focused(locator: Locator) -> bool:
    return locator.evaluate("e => e === document.activeElement")


def _press_until_focused(page: Page, target: Locator, key: str = "Tab", limit: int = 80) -> None:
    """Press `key` until `target` has the keyboard focus, as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press(key)
        if _is_focused(target):
            return
    active = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    pytest.fail(f"{key} never reached {target}; the focus is on {active}")


def _matrix(page: Page, caption: str = MY_UNIT) -> Locator:
    return page.get_by_role("table", name=caption)


def _row(matrix: Locator, level: int, person_id: int) -> Locator:
    """A person's row; `level` is how deep it sits (0 for the page's direct reports)."""
    return matrix.locator(f'tr[data-key="{level}-{person_id}"]')


def _rows_under(matrix: Locator, level: int, person_id: int) -> Locator:
    """The rows opened under a manager's row."""
    return matrix.locator(f'tr[data-parent="{level}-{person_id}"]')


def _names(rows: Locator) -> list[str]:
    return [name.strip() for name in rows.locator(".person-name").all_text_contents()]


def _people(count: int) -> str:
    return f"{count} person" if count == 1 else f"{count} personer"


def _toggle(row: Locator, verb: str, count: int, name: str) -> Locator:
    return row.get_by_role("link", name=f"{verb} {_people(count)} under {name}", exact=True)


def _messages(page: Page) -> Locator:
    return page.locator("#messages")


def test_a_sector_head_opens_two_levels_by_keyboard_and_closes_them(
        follow_up_portal: FollowUpPortal, page: Page) -> None:
    fp = follow_up_portal
    problems = _watch_console(page)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url)
            if "/personer" in request.url else None)
    _sign_in_from_group(fp.portal, page, "manager", SECTOR_HEAD_OPTION)
    _nav_link(page, "Min enhet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Min enhet")
    matrix = _matrix(page)
    expect(matrix.locator("tbody tr")).to_have_count(len(fp.reports[SECTOR_HEAD]))
    assert _names(matrix.locator("tbody tr")) == fp.reports[SECTOR_HEAD]
    violations = {"/min-enhet/ (sector head)": _axe_violations(page)}

    # Tab to Minh Korhonen's "Visa N personer" and press Enter: his people open below him.
    middle = _row(matrix, 0, fp.ids[MIDDLE])
    toggle = _toggle(middle, "Visa", fp.below[MIDDLE], MIDDLE)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.evaluate("window.stillTheSameDocument = true")
    _press_until_focused(page, toggle)
    page.keyboard.press("Enter")

    opened = _rows_under(matrix, 0, fp.ids[MIDDLE])
    expect(opened).to_have_count(len(fp.reports[MIDDLE]))
    assert _names(opened) == fp.reports[MIDDLE]
    # Directly below his row, in the same table, one step indented.
    expect(middle.locator("xpath=following-sibling::tr[1]").locator(".person-name")
           ).to_have_text(fp.reports[MIDDLE][0])
    expect(opened.first).to_have_class(re.compile(r"\bdepth-1\b"))
    toggle = _toggle(middle, "Dölj", fp.below[MIDDLE], MIDDLE)
    expect(toggle).to_have_attribute("aria-expanded", "true")
    controlled = toggle.get_attribute("aria-controls") or ""
    assert controlled.split()[0] == opened.first.get_attribute("id"), controlled
    first = opened.first.get_by_role("rowheader")
    expect(first).to_be_focused()
    expect(first).to_contain_text(fp.reports[MIDDLE][0])
    assert page.evaluate("window.stillTheSameDocument === true"), "expected an htmx swap"

    # A second level: Maria Nilsson's people open below her, inside Minh's.
    maria = _row(matrix, 1, fp.ids[MARIA])
    maria_toggle = _toggle(maria, "Visa", fp.below[MARIA], MARIA)
    _press_until_focused(page, maria_toggle)
    page.keyboard.press("Enter")
    marias = _rows_under(matrix, 1, fp.ids[MARIA])
    expect(marias).to_have_count(len(fp.reports[MARIA]))
    assert _names(marias) == fp.reports[MARIA]
    expect(marias.first).to_have_class(re.compile(r"\bdepth-2\b"))
    expect(_toggle(maria, "Dölj", fp.below[MARIA], MARIA)).to_have_attribute(
        "aria-expanded", "true")
    expect(marias.first.get_by_role("rowheader")).to_be_focused()
    expect(matrix.locator("tbody tr")).to_have_count(
        len(fp.reports[SECTOR_HEAD]) + len(fp.reports[MIDDLE]) + len(fp.reports[MARIA]))
    violations["/min-enhet/ with two levels open"] = _axe_violations(page)

    # Back to Minh's toggle (Shift+Tab) and Enter: everything below him closes, no request.
    _press_until_focused(page, toggle, key="Shift+Tab", limit=200)
    requests_before = len(fetched)
    page.keyboard.press("Enter")
    toggle = _toggle(middle, "Visa", fp.below[MIDDLE], MIDDLE)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(opened).to_have_count(0)
    expect(marias).to_have_count(0)
    expect(matrix.locator("tbody tr")).to_have_count(len(fp.reports[SECTOR_HEAD]))
    expect(toggle).to_be_focused()
    assert len(fetched) == requests_before == 2, fetched

    # And open again: the rows come back, once each.
    page.keyboard.press("Enter")
    expect(opened).to_have_count(len(fp.reports[MIDDLE]))
    expect(opened.first.get_by_role("rowheader")).to_be_focused()
    expect(_toggle(middle, "Dölj", fp.below[MIDDLE], MIDDLE)).to_have_attribute(
        "aria-expanded", "true")
    assert page.evaluate("window.stillTheSameDocument === true"), "expected htmx swaps"

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)


def test_without_javascript_the_toggle_opens_the_managers_page(
        follow_up_portal: FollowUpPortal, page_without_javascript: Page) -> None:
    fp, page = follow_up_portal, page_without_javascript
    _sign_in_from_group(fp.portal, page, "manager", SECTOR_HEAD_OPTION)
    _nav_link(page, "Min enhet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Min enhet")

    _toggle(_row(_matrix(page), 0, fp.ids[MIDDLE]), "Visa", fp.below[MIDDLE], MIDDLE).click()
    expect(page).to_have_url(fp.url(f"/min-enhet/{fp.ids[MIDDLE]}/personer"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Enheten under {MIDDLE}")
    matrix = _matrix(page, f"Personer som rapporterar till {MIDDLE}")
    assert _names(matrix.locator("tbody tr")) == fp.reports[MIDDLE]
    expect(page.locator(".lead")).to_have_text(
        f"{fp.below[MIDDLE]} personer rapporterar till {MIDDLE}, direkt eller via andra chefer.")

    # One level further: Maria's page, with the way back in the breadcrumbs.
    _toggle(_row(matrix, 0, fp.ids[MARIA]), "Visa", fp.below[MARIA], MARIA).click()
    expect(page).to_have_url(fp.url(f"/min-enhet/{fp.ids[MARIA]}/personer"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Enheten under {MARIA}")
    assert _names(_matrix(page, f"Personer som rapporterar till {MARIA}").locator(
        "tbody tr")) == fp.reports[MARIA]
    crumbs = page.get_by_role("navigation", name="Brödsmulor")
    expect(crumbs.get_by_role("link")).to_have_text(["Min enhet", MIDDLE, MARIA])
    expect(crumbs.get_by_role("link", name=MARIA)).to_have_attribute("aria-current", "page")
    crumbs.get_by_role("link", name=MIDDLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Enheten under {MIDDLE}")


def _status_weight(row: Locator) -> int:
    """What the sort by status counts: 2 per overdue requirement, 1 per open one."""
    cells = row.locator("td.status").all_text_contents()
    return sum(2 if "Försenad" in c else 1 if "Ej klar" in c else 0 for c in cells)


def test_filters_give_a_flat_list_of_the_whole_unit(follow_up_portal: FollowUpPortal,
                                                    page: Page) -> None:
    fp = follow_up_portal
    problems = _watch_console(page)
    _sign_in_from_group(fp.portal, page, "manager", SECTOR_HEAD_OPTION)
    _nav_link(page, "Min enhet").click()
    filters = page.get_by_role("search", name="Sök och filtrera personer")
    heading = page.get_by_role("heading", level=1)

    # A name from two levels down.
    filters.get_by_label("Sök namn").fill(MARIA)
    page.evaluate("window.stillTheSameDocument = true")
    filters.get_by_role("button", name="Visa", exact=True).click()
    expect(page).to_have_url(re.compile(r"/min-enhet/\?(.*&)?q=Maria(%20|\+)Nilsson(&|$)"))
    matrix = _matrix(page, f"{MY_UNIT} (direkt eller indirekt)")
    expect(matrix.locator("tbody tr")).to_have_count(1)
    expect(matrix.locator(".person-name")).to_have_text(MARIA)
    expect(page.get_by_text("1 person matchar.", exact=True)).to_be_visible()
    expect(heading).to_be_focused()
    assert page.evaluate("window.stillTheSameDocument === true"), "expected a boosted swap"
    expect(filters.get_by_label("Sök namn")).to_have_value(MARIA)
    violations = {"/min-enhet/?q=…": _axe_violations(page)}

    # Her unit's page, from the flat list (a plain link there, no tree).
    matrix.get_by_role("link", name=f"Visa enheten under {MARIA}").click()
    expect(heading).to_have_text(f"Enheten under {MARIA}")
    expect(page).to_have_url(fp.url(f"/min-enhet/{fp.ids[MARIA]}/personer"))
    expect(page.get_by_role("navigation", name="Brödsmulor").get_by_role("link")).to_have_text(
        ["Min enhet", MIDDLE, MARIA])
    violations[f"/min-enhet/{fp.ids[MARIA]}/personer"] = _axe_violations(page)
    page.go_back()
    expect(heading).to_have_text("Min enhet")

    # Only those not done, most left first, in the whole subtree.
    filters.get_by_label("Sök namn").fill("")
    filters.get_by_label("Visa bara ej klara").check()
    filters.get_by_label("Sortera").select_option(label="Status – mest kvar först")
    filters.get_by_role("button", name="Visa", exact=True).click()
    expect(page).to_have_url(re.compile(r"/min-enhet/\?(.*&)?ej_klara=1&sortera=status$"))
    expect(heading).to_be_focused()
    rows = matrix.locator("tbody tr")
    count = page.get_by_text(re.compile(r"^\d+ personer matchar\.$"))
    expect(count).to_be_visible()
    matching = int((count.text_content() or "").split()[0])
    expect(rows).to_have_count(matching)
    assert 0 < matching <= fp.below[SECTOR_HEAD]
    weights = [_status_weight(row) for row in rows.all()]
    assert all(weight > 0 for weight in weights), "a person with nothing left is listed"
    assert weights == sorted(weights, reverse=True), weights
    expect(filters.get_by_label("Visa bara ej klara")).to_be_checked()
    expect(filters.get_by_label("Sortera")).to_have_value("status")
    expect(matrix.get_by_role("link", name=re.compile(r"^Visa \d+ person"))).to_have_count(0)
    violations["/min-enhet/?ej_klara=1&sortera=status"] = _axe_violations(page)

    page.get_by_role("link", name="Visa alla direkt underställda").click()
    expect(_matrix(page).locator("tbody tr")).to_have_count(len(fp.reports[SECTOR_HEAD]))
    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)


def test_a_manager_reminds_two_people_and_not_again_the_same_week(
        follow_up_portal: FollowUpPortal, page: Page) -> None:
    fp = follow_up_portal
    problems = _watch_console(page)
    before = len(fp.smtp.messages)
    _sign_in_from_group(fp.portal, page, "manager", MARIA_OPTION)
    _nav_link(page, "Min enhet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Min enhet")
    (first, first_mail), (second, second_mail) = fp.to_remind

    for name in (first, second):
        page.get_by_label(f"Välj {name}", exact=True).check()
    page.get_by_role("button", name="Påminn valda").click()

    expect(_messages(page)).to_have_text(f"Påminnelse skickad till 2 personer: {first}, {second}.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Min enhet")
    sent = fp.smtp.messages[before:]
    assert sorted(m.rcpt_tos[0] for m in sent) == sorted([first_mail, second_mail])
    assert [len(m.rcpt_tos) for m in sent] == [1, 1]
    for message in sent:
        assert message.subject == f"{MARIA} påminner dig om dina uppgifter i LIS-portalen"
    assert {m.to for m in sent} == {f"{first} <{first_mail}>", f"{second} <{second_mail}>"}
    expect(page.get_by_label(f"Välj {first}", exact=True)).not_to_be_checked()
    violations = _axe_violations(page)

    # Again for the same two: they were reminded a moment ago, so nothing goes out.
    for name in (first, second):
        page.get_by_label(f"Välj {name}", exact=True).check()
    page.get_by_role("button", name="Påminn valda").click()
    expect(_messages(page)).to_have_text(
        "Inte påminda igen, de fick en påminnelse för mindre än sju dagar sedan: "
        f"{first}, {second}.")
    assert len(fp.smtp.messages) == before + 2
    assert not violations, "axe-core found WCAG 2.1 AA violations:\n" + _describe(violations)
    assert problems == [], "\n".join(problems)


def test_a_coordinator_starts_writes_and_freezes_a_review(follow_up_portal: FollowUpPortal,
                                                          page: Page) -> None:
    fp = follow_up_portal
    problems = _watch_console(page)
    year = today().year
    title = f"Ledningens genomgång {year} – Koncernen"
    _sign_in_from_group(fp.portal, page, "coordinator", COORDINATOR_OPTION)
    _nav_link(page, "Rapporter").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Rapporter")
    expect(page.get_by_text("Ingen genomgång är påbörjad ännu.")).to_be_visible()
    violations = {"/rapporter/ (empty)": _axe_violations(page)}

    start = page.get_by_role("region", name="Påbörja en genomgång")
    expect(start.get_by_label("År", exact=True)).to_have_value(str(year))
    start.get_by_label("Omfattning", exact=True).select_option(label="Koncernen")
    start.get_by_role("button", name="Påbörja utkast").click()

    expect(heading).to_have_text(title)
    expect(page).to_have_url(re.compile(r"/rapporter/\d+$"))
    review_url = page.url
    expect(_messages(page)).to_have_text(f"{title} är påbörjad som utkast.")
    expect(page.locator(".review-status")).to_contain_text("Utkast")
    violations["draft"] = _axe_with_details_open(page)
    page.reload()

    texts = page.get_by_role("region", name="Skriv texterna")
    texts.get_by_label("2 Status för beslut från föregående genomgång").fill(
        "Förra årets beslut om **utbildning** är genomfört.")
    texts.get_by_label("4.8 Antal incidenter under året").fill("3")
    texts.get_by_label("5 Förslag till förbättringar").fill(
        "- Klassa alla system i drift\n- Riskanalysera välfärdstekniken")
    texts.get_by_role("button", name="Spara texterna").click()

    expect(_messages(page)).to_have_text("Texterna är sparade.")
    section_2 = page.get_by_role("region", name="2 Status för beslut från föregående genomgång")
    expect(section_2.locator("strong")).to_have_text("utbildning")
    expect(page.get_by_role("region", name="5 Förslag till förbättringar").get_by_role(
        "listitem")).to_have_text(["Klassa alla system i drift",
                                   "Riskanalysera välfärdstekniken"])
    expect(page.get_by_role("region", name="4.8 Incidenter")).to_contain_text(
        "Antal incidenter: 3.")
    expect(page.get_by_role("region", name="Skriv texterna").get_by_label(
        "4.8 Antal incidenter under året")).to_have_value("3")
    violations["draft with texts"] = _axe_with_details_open(page)
    page.reload()

    # Freezing asks first: the button is behind "Fastställ genomgången …".
    freeze = page.get_by_role("region", name="Fastställ genomgången")
    confirm = freeze.get_by_role("button", name=f"Ja, fastställ {title}")
    expect(confirm).to_be_hidden()
    freeze.locator("summary").click()
    expect(freeze).to_contain_text("En fastställd genomgång kan inte ändras")
    confirm.click()

    expect(_messages(page)).to_have_text(f"{title} är fastställd.")
    expect(page).to_have_url(review_url)
    expect(page.locator(".review-status")).to_contain_text(
        re.compile(r"Fastställd .+ av Karin Holm"))
    expect(page.get_by_role("region", name="Skriv texterna")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Ja, fastställ"))).to_have_count(0)
    expect(section_2.locator("strong")).to_have_text("utbildning")
    violations["frozen"] = _axe_with_details_open(page)

    page.get_by_role("link", name="Alla rapporter").click()
    expect(heading).to_have_text("Rapporter")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=re.compile(
        rf"^Ledningens genomgång {year}")))
    expect(row).to_contain_text(re.compile(r"Fastställd .+ av Karin Holm"))
    violations["/rapporter/ (one frozen)"] = _axe_violations(page)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)


def _listed(count: int) -> str:
    """How the list behind a figure counts its people (it shows at most LIST_LIMIT)."""
    if count > LIST_LIMIT:
        return f"Visar {LIST_LIMIT} av {count}. Hela listan finns i CSV-filen."
    return _people(count) + "."


def _header_and_names_stay_in_view(table: Locator) -> None:
    """Scrolled to the far bottom right of its region, the table's header row is still at
    the region's top edge and the names at its left edge (WCAG 1.4.10 with wide tables), on
    a small screen."""
    page = table.page
    before = page.viewport_size
    page.set_viewport_size({"width": 480, "height": 720})
    region = table.locator("xpath=..")
    scrolled = region.evaluate(
        "r => { r.scrollTop = r.scrollHeight; r.scrollLeft = r.scrollWidth;"
        " return [r.scrollTop, r.scrollLeft]; }")
    assert min(scrolled) > 0, f"the region did not scroll both ways: {scrolled}"
    edge = region.evaluate("r => { const b = r.getBoundingClientRect();"
                           " return [b.top + r.clientTop, b.left + r.clientLeft]; }")
    header = table.locator("thead th").first.bounding_box()
    name = table.locator("tbody th[scope=row]").last.bounding_box()
    assert header is not None and name is not None
    assert abs(header["y"] - edge[0]) < 1, (header, edge)
    assert abs(name["x"] - edge[1]) < 1, (name, edge)
    if before is not None:
        page.set_viewport_size(before)


def test_coordination_and_a_list_behind_a_figure_pass_axe(follow_up_portal: FollowUpPortal,
                                                          page: Page) -> None:
    fp = follow_up_portal
    problems = _watch_console(page)
    training = f"Informationssäkerhet för alla {today().year}"
    _sign_in_from_group(fp.portal, page, "coordinator", COORDINATOR_OPTION)
    _nav_link(page, "Samordning").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Samordning")
    expect(page.locator(".lead")).to_contain_text("Hur långt koncernen har kommit")
    expect(page.get_by_role("table", name=re.compile(r"^Andel kvitterade")).get_by_role(
        "rowheader", name="Hela koncernen", exact=True)).to_be_visible()
    violations = {"/samordning/ (group), details open": _axe_with_details_open(page)}
    page.reload()

    # The people behind one figure: those of the training's audience who have not done it.
    row = page.get_by_role("table", name=re.compile(r"^Andel klara per styrdokument")).get_by_role(
        "row").filter(has=page.get_by_role("rowheader", name=training, exact=True))
    cells = row.get_by_role("cell")
    asked, done = int(cells.nth(1).inner_text()), int(cells.nth(2).inner_text())
    assert asked - done > 0, (asked, done)
    row.get_by_role("link", name=re.compile(
        rf"^\d+ %\s*– {re.escape(training)}: visa vilka som inte är klara$")).click()

    expect(heading).to_have_text("Personer som inte är klara")
    expect(page).to_have_url(re.compile(r"/samordning/personer\?"))
    facts = page.locator("dl.facts")
    expect(facts.locator("dt + dd").first).to_have_text("Alla i ditt ansvar")
    expect(facts).to_contain_text(training)
    expect(page.locator("#people-count")).to_have_text(_listed(asked - done))
    listed = page.get_by_role("table", name="Status per styrdokument och utbildning")
    expect(listed.locator("tbody tr")).to_have_count(min(asked - done, LIST_LIMIT))
    column = listed.locator("tbody tr td:last-child")
    assert {c.strip() for c in column.all_inner_texts()} <= {"Ej klar", "Försenad"}
    violations["/samordning/personer (behind a figure)"] = _axe_violations(page)
    page.get_by_role("link", name="Visa alla som det gäller").click()
    expect(heading).to_have_text("Personer")
    expect(page.locator("#people-count")).to_have_text(_listed(asked))
    _header_and_names_stay_in_view(listed)

    # The system owners' checklists behind their figure, least done first.
    page.go_back()
    page.go_back()
    expect(heading).to_have_text("Samordning")
    page.get_by_role("table", name=re.compile(r"^Årets checklistor")).get_by_role(
        "link", name="– Systemägare: avbockade punkter", exact=False).click()
    expect(heading).to_have_text("Checklistor: Systemägare")
    held = page.get_by_role("table", name=re.compile(r"^\d+ checklistor$"))
    expect(held.locator("tbody tr").first).to_be_visible()
    violations["/samordning/checklistor/system_owner"] = _axe_violations(page)
    assert problems == [], "\n".join(problems)

    # A coordinator for one company sees that company only.
    page.locator("form[action$='/logga-ut'] button[type=submit]").click()
    page.wait_for_url(fp.url("/logga-in"))
    _sign_in_from_group(fp.portal, page, "coordinator", COMPANY_COORDINATOR_OPTION)
    _nav_link(page, "Samordning").click()
    expect(heading).to_have_text(f"Samordning: {COMPANY}")
    places = page.get_by_role("table", name=re.compile(r"^Andel kvitterade"))
    expect(places.get_by_role("rowheader", name=COMPANY, exact=True)).to_be_visible()
    expect(places).not_to_contain_text("Exempelby kommun")
    expect(places).not_to_contain_text("Hela koncernen")
    violations["/samordning/ (one company), details open"] = _axe_with_details_open(page)

    report = _axe_report(violations)
    assert not report, "axe-core found WCAG 2.1 AA violations:\n" + report
    assert problems == [], "\n".join(problems)
