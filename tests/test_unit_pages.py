""""Min enhet" over HTTP: the figures and the matrix of a manager's unit, a manager's people
opened in place (htmx) or as a page of their own, the filters, CSV and Excel exports read
back, "Påminn"'s refusals, 403 for anyone outside the unit — and a number of queries that
does not grow with the unit."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    AuditEvent,
    ChecklistAssignment,
    Person,
    PersonKind,
    Role,
)
from app.services import (
    acknowledgements,
    checklist_assignments,
    checklists,
    completions,
    exports,
)
from tests.factories import (
    create_document,
    create_organization,
    create_person,
    create_training,
    create_unit,
)
from tests.helpers import browser, html_of, post, visible
from tests.smtp_server import smtp_server

FRAGMENT = {"HX-Request": "true"}
LONG_AGO = datetime(2020, 1, 1, 8, 0)
FORMULA = '=HYPERLINK("x")'
EMPLOYEE = {Role.EMPLOYEE}


@pytest.fixture
def unit() -> dict[str, Person]:
    """Chef Ek's unit: Bo Direkt (a consultant, new), the formula-named person and Öst
    Mellanchef report to him; Anna Ahl (late with everything) and Åke Berg (done with
    everything) report to Öst. Olga Annan manages Rut Annan elsewhere. A policy published
    100 days ago and a training due ten days ago ask the whole municipality."""
    org = create_organization()
    place = create_unit(org, "Socialtjänst / Hemtjänst Norr")
    chief = create_person("chef", display_name="Chef Ek", organization=org, unit=place,
                          title="Sektorchef")
    middle = create_person("mellan", display_name="Öst Mellanchef", manager=chief,
                           organization=org, unit=place, title="Enhetschef")
    anna = create_person("anna", display_name="Anna Ahl", manager=middle, organization=org,
                         unit=place, title="Undersköterska")
    ake = create_person("ake", display_name="Åke Berg", manager=middle, organization=org,
                        unit=place)
    bo = create_person("bo", display_name="Bo Direkt", manager=chief, organization=org,
                       kind=PersonKind.CONSULTANT)
    formula = create_person("formel", display_name=FORMULA, manager=chief, organization=org,
                            title="-Titel")
    olga = create_person("olga", display_name="Olga Annan", organization=org)
    rut = create_person("rut", display_name="Rut Annan", manager=olga, organization=org)
    for person in (chief, middle, anna, ake, formula, olga, rut):
        person.created_at = LONG_AGO
    document = create_document("Informationssäkerhetspolicy", organization=org,
                               published_at=utcnow() - timedelta(days=100))
    training = create_training("Grundkurs i informationssäkerhet", organization=org,
                               due_on=today() - timedelta(days=10))
    acknowledgements.acknowledge(ake, EMPLOYEE, document, document.versions[0].id)
    completions.confirm_self(ake, EMPLOYEE, training, today() - timedelta(days=20))
    db.session.commit()
    return {"chief": chief, "middle": middle, "anna": anna, "ake": ake, "bo": bo,
            "formula": formula, "olga": olga, "rut": rut}


def page_text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html_of(response), flags=re.S)
    return visible(html)


def matrix_rows(html: str) -> dict[str, str]:
    """The matrix's rows: person's name → the visible text of the rest of the row."""
    rows = {}
    for row in re.findall(r"<tr[^>]*data-key=[^>]*>(.*?)</tr>", html, flags=re.S):
        name = visible(re.search(r'<span class="person-name">(.*?)</span>', row, re.S)[1])
        rows[name] = visible(row)
    return rows


def figures_row(response, label: str) -> str:
    html = html_of(response)
    table = html[html.index('class="table unit-figures"'):]
    table = table[:table.index("</table>")]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        text = visible(row)
        if text.startswith(label + " "):
            return text
    raise AssertionError(f"no row {label}")


def exported_csv(client: FlaskClient, path: str) -> tuple[str, list[list[str]]]:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/csv")
    text = response.get_data(as_text=True)
    return text, list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def exported_sheet(client: FlaskClient, path: str):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.get_data())).active


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# -- the page --------------------------------------------------------------------------


def test_the_manager_sees_the_figures_of_the_whole_unit(app, unit):
    response = browser(app, unit["chief"]).get("/min-enhet/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Min enhet" in text
    assert "5 personer rapporterar till dig, direkt eller via andra chefer." in text
    # Employees: Öst and the formula person late, Anna late, Åke done.
    assert figures_row(response, "Medarbetare") == (
        "Medarbetare 4 1 av 4 (25 %) 1 av 4 (25 %) –")
    assert figures_row(response, "Konsulter") == "Konsulter 1 0 av 1 (0 %) 0 av 1 (0 %) –"
    assert figures_row(response, "Totalt") == "Totalt 5 1 av 5 (20 %) 1 av 5 (20 %) –"
    assert "Förtroendevalda" not in text


def test_the_matrix_shows_a_status_per_person_and_requirement(app, unit):
    response = browser(app, unit["chief"]).get("/min-enhet/")
    html = html_of(response)
    assert "Personer som rapporterar till dig" in html
    header = visible(html[html.index("<thead><tr>", html.index('class="table matrix"')):
                          html.index("</thead>", html.index('class="table matrix"'))])
    assert header == ("Välj Person Styrdokument Informationssäkerhetspolicy 20 % klara "
                      "Utbildning Grundkurs i informationssäkerhet 20 % klara "
                      "Checklistor Personer under")
    rows = matrix_rows(html)
    # Only the direct reports, in Swedish order (Ö last, "=" before letters).
    assert list(rows) == [FORMULA, "Bo Direkt", "Öst Mellanchef"]
    assert rows["Bo Direkt"] == (
        "Välj Bo Direkt Bo Direkt Handläggare ○ Ej klar ○ Ej klar – Ingen checklista")
    assert rows["Öst Mellanchef"] == (
        "Välj Öst Mellanchef Öst Mellanchef Enhetschef · Socialtjänst / Hemtjänst Norr "
        "Visa 2 personer under Öst Mellanchef ! Försenad ! Försenad – Ingen checklista "
        "2 personer · 50 %")
    toggle = re.search(r'<a class="unit-toggle"[^>]*>', html)[0]
    middle = unit["middle"].id
    assert f'href="/min-enhet/{middle}/personer"' in toggle
    assert f'hx-get="/min-enhet/{middle}/personer?niva=1"' in toggle
    assert 'aria-expanded="false"' in toggle and f'aria-controls="under-0-{middle}"' in toggle
    assert re.search(r'<div class="matrix-scroll" tabindex="0" role="region" '
                     r'aria-labelledby="matrix-caption">', html)
    assert 'src="/static/js/unit.js"' in html


def test_someone_not_asked_shows_a_dash_read_as_not_applicable(app, unit):
    company = create_organization("Exempelby Energi AB")
    create_person("bolag", display_name="Bea Bolag", manager=unit["chief"],
                  organization=company)
    db.session.commit()
    rows = matrix_rows(html_of(browser(app, unit["chief"]).get("/min-enhet/")))
    assert rows["Bea Bolag"] == (
        "Välj Bea Bolag Bea Bolag Handläggare – Gäller inte – Gäller inte – Ingen checklista")


def test_a_loop_in_the_reporting_lines_is_pointed_out(app, unit):
    unit["chief"].manager = unit["anna"]
    db.session.commit()
    response = browser(app, unit["chief"]).get("/min-enhet/")
    assert response.status_code == 200
    assert re.search(r'<div class="warning" role="alert">', html_of(response))
    assert ("Rapportvägarna i katalogen bildar en slinga: Chef Ek → Anna Ahl → Öst Mellanchef "
            "→ Chef Ek. Rätta chefsattributet i katalogen.") in page_text(response)


def test_a_managers_people_open_under_their_row(app, unit):
    client = browser(app, unit["chief"])
    middle = unit["middle"].id
    response = client.get(f"/min-enhet/{middle}/personer?niva=1", headers=FRAGMENT)
    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html and html.lstrip().startswith("<tr")
    rows = matrix_rows(html)
    assert list(rows) == ["Anna Ahl", "Åke Berg"]
    assert rows["Anna Ahl"].endswith("! Försenad ! Försenad – Ingen checklista")
    assert rows["Åke Berg"].endswith("✓ Klar ✓ Klar – Ingen checklista")
    first = re.search(r"<tr[^>]*>", html)[0]
    assert f'data-parent="0-{middle}"' in first and f'id="under-0-{middle}"' in first
    assert 'class="depth-1"' in first
    # The first row takes the focus after the swap.
    assert re.search(r'<th scope="row" tabindex="-1" data-first>\s*<span class="person-name">'
                     r"Anna Ahl", html)


def test_deeper_levels_open_the_same_way(app, unit):
    leader = create_person("lag", display_name="Lena Lagledare", manager=unit["anna"])
    create_person("djup", display_name="Dag Djup", manager=leader)
    db.session.commit()
    client = browser(app, unit["chief"])
    rows = matrix_rows(html_of(client.get(f"/min-enhet/{unit['middle'].id}/personer?niva=1",
                                          headers=FRAGMENT)))
    assert "Visa 2 personer under Anna Ahl" in rows["Anna Ahl"]
    html = html_of(client.get(f"/min-enhet/{leader.id}/personer?niva=3", headers=FRAGMENT))
    assert list(matrix_rows(html)) == ["Dag Djup"]
    assert 'class="depth-3"' in html and f'data-parent="2-{leader.id}"' in html


def test_without_javascript_a_managers_people_are_a_page_of_their_own(app, unit):
    response = browser(app, unit["chief"]).get(f"/min-enhet/{unit['middle'].id}/personer")
    assert response.status_code == 200
    html = html_of(response)
    text = page_text(response)
    assert "<h1>Enheten under Öst Mellanchef</h1>" in html
    assert re.search(r'<nav aria-label="Brödsmulor"[^>]*>\s*<ol>\s*<li><a href="/min-enhet/">'
                     r"Min enhet</a></li>", html)
    assert "2 personer rapporterar till Öst Mellanchef" in text
    assert list(matrix_rows(html)) == ["Anna Ahl", "Åke Berg"]
    assert figures_row(response, "Totalt") == "Totalt 2 1 av 2 (50 %) 1 av 2 (50 %) –"
    assert f'href="/min-enhet/{unit["middle"].id}/export.csv"' in html


def test_the_filters_come_from_the_query_string(app, unit):
    client = browser(app, unit["chief"])
    response = client.get("/min-enhet/?q=anna")
    assert list(matrix_rows(html_of(response))) == ["Anna Ahl"]
    assert "1 person matchar." in page_text(response)
    assert 'value="anna"' in html_of(response)

    response = client.get("/min-enhet/?ej_klara=1")
    # Everyone below, not only the direct reports; Åke is done.
    assert list(matrix_rows(html_of(response))) == [FORMULA, "Anna Ahl", "Bo Direkt",
                                                     "Öst Mellanchef"]
    assert re.search(r'name="ej_klara" value="1" checked', html_of(response))

    response = client.get("/min-enhet/?sortera=status")
    assert list(matrix_rows(html_of(response))) == [FORMULA, "Anna Ahl", "Öst Mellanchef",
                                                     "Bo Direkt", "Åke Berg"]
    assert re.search(r'<option value="status" selected>', html_of(response))
    # Flat lists link a manager's page instead of opening rows in place.
    assert "Visa enheten under Öst Mellanchef" in page_text(response)

    response = client.get("/min-enhet/?q=finns+inte")
    assert "Ingen matchar sökningen." in page_text(response)


def test_a_long_list_says_how_much_is_left_out(app, unit):
    org = unit["chief"].organization
    db.session.add_all([Person(username=f"massa.{n:03d}", display_name=f"Massa {n:03d}",
                               title="", mail=None, kind=PersonKind.EMPLOYEE,
                               organization=org, manager=unit["bo"], active=True,
                               given_name="", surname="", search_text=f"massa {n:03d}")
                        for n in range(251)])
    db.session.commit()
    response = browser(app, unit["chief"]).get("/min-enhet/?q=massa")
    assert len(matrix_rows(html_of(response))) == 250
    assert ("Visar 250 av 251. Sök på ett namn, eller ladda ned hela listan som CSV eller "
            "Excel.") in page_text(response)


# -- exports ---------------------------------------------------------------------------


def test_the_csv_export_has_everyone_with_formulas_neutralised(app, unit):
    client = browser(app, unit["chief"])
    text, rows = exported_csv(client, "/min-enhet/export.csv")
    assert text.startswith("\ufeffNamn;Användarnamn;Befattning;Enhet;Kategori;")
    assert rows[0] == ["Namn", "Användarnamn", "Befattning", "Enhet", "Kategori",
                       "Informationssäkerhetspolicy", "Grundkurs i informationssäkerhet",
                       "Checklistor klara"]
    by_name = {row[0]: row for row in rows[1:]}
    assert list(by_name) == ["'" + FORMULA, "Anna Ahl", "Bo Direkt", "Åke Berg",
                             "Öst Mellanchef"]
    assert by_name["'" + FORMULA] == ["'" + FORMULA, "formel", "'-Titel", "", "Medarbetare",
                                      "Försenad", "Försenad", ""]
    assert by_name["Åke Berg"][5:] == ["Klar", "Klar", ""]
    assert by_name["Bo Direkt"][3:] == ["", "Konsulter", "Ej klar", "Ej klar", ""]
    assert by_name["Anna Ahl"][3] == "Socialtjänst / Hemtjänst Norr"
    [event] = events("unit.exported")
    assert event.actor_id == unit["chief"].id
    assert event.details["format"] == "csv" and event.details["people"] == 5


def test_the_export_follows_the_filters_and_names_the_file_by_date(app, unit):
    client = browser(app, unit["chief"])
    response = client.get("/min-enhet/export.csv?ej_klara=1&sortera=status")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="min-enhet-{today().isoformat()}.csv"')
    _text, rows = exported_csv(client, "/min-enhet/export.csv?ej_klara=1&sortera=status")
    assert [row[0] for row in rows[1:]] == ["'" + FORMULA, "Anna Ahl", "Öst Mellanchef",
                                            "Bo Direkt"]
    _text, rows = exported_csv(client, f"/min-enhet/{unit['middle'].id}/export.csv?q=berg")
    assert [row[0] for row in rows[1:]] == ["Åke Berg"]
    html = html_of(client.get("/min-enhet/?q=anna&ej_klara=1"))
    assert 'href="/min-enhet/export.xlsx?q=anna&amp;ej_klara=1"' in html


def test_the_excel_export_reads_back_with_the_same_cells(app, unit):
    client = browser(app, unit["chief"])
    sheet = exported_sheet(client, "/min-enhet/export.xlsx")
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Namn", "Användarnamn", "Befattning", "Enhet", "Kategori",
                       "Informationssäkerhetspolicy", "Grundkurs i informationssäkerhet",
                       "Checklistor klara"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    by_name = {row[0]: row for row in rows[1:]}
    # openpyxl would have written a formula; the apostrophe keeps it text.
    assert by_name["'" + FORMULA][:3] == ["'" + FORMULA, "formel", "'-Titel"]
    assert all(cell.data_type == "s" for cell in sheet["A"][1:])
    assert by_name["Åke Berg"][5:7] == ["Klar", "Klar"]
    assert by_name["Anna Ahl"][5:7] == ["Försenad", "Försenad"]
    assert by_name["Bo Direkt"][5:7] == ["Ej klar", "Ej klar"]
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["E"].width
    assert events("unit.exported")[0].details["format"] == "xlsx"


def test_checklist_progress_shows_as_ticked_items_out_of_all(app, unit):
    checklist_assignments.generate()
    assignment = db.session.scalars(select(ChecklistAssignment).where(
        ChecklistAssignment.assignee_id == unit["middle"].id)).one()
    items = [i for i in assignment.template.items if i.in_period(today().year)]
    first = next(i for i in items if not i.requires_note)
    checklists.set_checked(unit["middle"], checklists.access_of(unit["middle"], None, assignment),
                           assignment, first, True)
    db.session.commit()
    client = browser(app, unit["chief"])
    response = client.get("/min-enhet/")
    share = round(100 / len(items))
    assert figures_row(response, "Totalt").endswith(f"1 av {len(items)} ({share} %)")
    assert f"! Försenad 1 av {len(items)} 2 personer" in matrix_rows(html_of(response))[
        "Öst Mellanchef"]
    _text, rows = exported_csv(client, "/min-enhet/export.csv?q=mellanchef")
    assert rows[1][-1] == f"1 av {len(items)}"


def test_the_export_helpers_neutralise_every_text_cell_and_keep_numbers(app):
    text = exports.csv_text(["=Rubrik", "Antal"], [["@namn", 3], ["+1", None]])
    assert text == "\ufeff'=Rubrik;Antal\r\n'@namn;3\r\n'+1;\r\n"
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(
        "Min: enhet?", ["=Rubrik", "Antal"], [["@namn", 3], ["a\x01b", 2.5]]))).active
    assert sheet.title == "Min- enhet-"
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["'=Rubrik", "Antal"], ["'@namn", 3], ["ab", 2.5]]


# -- who may see what ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/min-enhet/{id}/personer", "/min-enhet/{id}/export.csv",
                                  "/min-enhet/{id}/export.xlsx"])
def test_a_manager_opening_another_unit_by_url_gets_403(app, unit, path):
    client = browser(app, unit["olga"])
    for person in ("middle", "anna", "chief"):
        response = client.get(path.format(id=unit[person].id))
        assert response.status_code == 403
        assert "Personen finns inte i din enhet." in page_text(response)
    response = client.get(path.format(id=unit["middle"].id), headers=FRAGMENT)
    assert response.status_code == 403
    # Nor upwards: Öst may not open his own manager's unit.
    assert browser(app, unit["middle"]).get(path.format(id=unit["chief"].id)).status_code == 403
    assert events("unit.exported") == []


@pytest.mark.parametrize("path", ["/min-enhet/", "/min-enhet/export.csv",
                                  "/min-enhet/export.xlsx", "/min-enhet/{id}/personer"])
def test_someone_who_is_not_a_manager_gets_403(app, unit, path):
    response = browser(app, unit["anna"]).get(path.format(id=unit["anna"].id))
    assert response.status_code == 403
    assert "Du har inte behörighet" in page_text(response)


def test_an_unknown_export_format_is_404_after_the_rights(app, unit):
    assert browser(app, unit["chief"]).get("/min-enhet/export.pdf").status_code == 404
    client = browser(app, unit["olga"])
    assert client.get(f"/min-enhet/{unit['anna'].id}/export.pdf").status_code == 403


# -- Påminn ----------------------------------------------------------------------------


def test_the_matrix_rows_can_be_chosen_for_a_reminder(app, unit):
    html = html_of(browser(app, unit["chief"]).get("/min-enhet/?q=a"))
    form = html[html.index('<form method="post" action="/min-enhet/paminn"'):]
    assert re.search(r'<input type="hidden" name="q" value="a">', form)
    bo = unit["bo"].id
    assert re.search(rf'<input type="checkbox" name="person_id" value="{bo}" id="select-0-{bo}">'
                     rf'\s*<label for="select-0-{bo}" class="visually-hidden">Välj Bo Direkt'
                     r"</label>", form)
    assert '<button type="submit" aria-describedby="remind-hint">Påminn valda</button>' in form


def test_reminding_someone_outside_the_unit_is_403(app, unit, config):
    config(SMTP_HOST="smtp.invalid")
    client = browser(app, unit["chief"])
    response = post(client, "/min-enhet/paminn",
                    {"person_id": [str(unit["bo"].id), str(unit["rut"].id)]})
    assert response.status_code == 403
    response = post(browser(app, unit["anna"]), "/min-enhet/paminn",
                    {"person_id": [str(unit["anna"].id)]})
    assert response.status_code == 403


def test_reminding_no_one_says_so_in_swedish(app, unit):
    client = browser(app, unit["chief"])
    response = post(client, "/min-enhet/paminn", {"q": "anna", "ej_klara": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/min-enhet/?q=anna&ej_klara=1"
    page = client.get(response.headers["Location"])
    assert re.search(r'<p class="message message-error">Välj minst en person att påminna.</p>',
                     html_of(page))


def test_reminding_without_e_mail_configured_says_so_in_swedish(app, unit, config):
    config(SMTP_HOST="")
    client = browser(app, unit["chief"])
    response = post(client, "/min-enhet/paminn",
                    {"person_id": [str(unit["anna"].id)], "enhet": str(unit["middle"].id)})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/min-enhet/{unit['middle'].id}/personer"
    text = page_text(client.get(response.headers["Location"]))
    assert "E-post är inte inställd i portalen, så ingen påminnelse kunde skickas." in text


def test_the_outcome_of_a_reminder_is_told_group_by_group(app, unit, config):
    unit["formula"].mail = None
    db.session.commit()
    client = browser(app, unit["chief"])
    chosen = [str(unit[p].id) for p in ("anna", "ake", "bo", "formula")]
    with smtp_server() as server:
        config(**server.config())
        response = post(client, "/min-enhet/paminn", {"person_id": chosen, "sortera": "status"})
        assert response.status_code == 303
        assert response.headers["Location"] == "/min-enhet/?sortera=status"
        first = html_of(client.get(response.headers["Location"]))
        again = html_of(client.get(post(client, "/min-enhet/paminn",
                                         {"person_id": chosen}).headers["Location"]))
    assert sorted(m.to for m in server.messages) == ["Anna Ahl <anna@exempelby.se>",
                                                     "Bo Direkt <bo@exempelby.se>"]
    messages = html_of_messages(first)
    assert "Påminnelse skickad till 2 personer: Anna Ahl, Bo Direkt." in messages
    assert "Har inget kvar att göra och påmindes inte: Åke Berg." in messages
    assert f"Saknar e-postadress och kunde inte påminnas: {FORMULA}." in messages
    assert ("Inte påminda igen, de fick en påminnelse för mindre än sju dagar sedan: "
            "Anna Ahl, Bo Direkt.") in html_of_messages(again)
    assert "Påminnelse skickad" not in html_of_messages(again)


def html_of_messages(html: str) -> str:
    """The text of the page's status messages (the flashed ones)."""
    region = re.search(r'<div id="messages" class="messages" role="status"[^>]*>(.*?)</div>',
                       html, re.S)
    return visible(region[1])


# -- queries ---------------------------------------------------------------------------


def test_the_page_needs_the_same_number_of_queries_for_3_or_30_direct_reports(
        app, unit, count_queries):
    org = unit["chief"].organization

    def measure(client: FlaskClient) -> tuple[int, int]:
        with count_queries() as page:
            assert client.get("/min-enhet/").status_code == 200
        with count_queries() as rows:
            assert client.get(f"/min-enhet/{unit['middle'].id}/personer",
                              headers=FRAGMENT).status_code == 200
        return page.count, rows.count

    client = browser(app, unit["chief"])
    client.get("/min-enhet/")  # stored progress made current first (tests/test_progress.py)
    small = measure(client)
    for n in range(27):
        create_person(f"fler.{n}", manager=unit["chief"] if n % 3 else unit["middle"],
                      organization=org)
    db.session.commit()
    assert measure(client) == small
