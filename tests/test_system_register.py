"""The coordinator's register: coverage figures, filters, Swedish order, pages, the CSV
export, a bounded number of queries whatever its size — and "Mina system"."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
import time
from datetime import date, timedelta

import pytest

from app.clock import today
from app.extensions import db
from app.models import OrganizationKind, Person, Role
from tests.factories import (
    create_action_item,
    create_classification,
    create_organization,
    create_person,
    create_risk_analysis,
    create_system,
    create_systems_in_bulk,
    grant,
)
from tests.helpers import sign_in_as, text_of

REGISTER = "/systemregister/"
CSV = "/systemregister.csv"


def signed_in_coordinator(client) -> Person:
    coordinator = create_person("sam.samordnare", display_name="Sam Samordnare")
    grant(coordinator, Role.COORDINATOR)
    db.session.commit()
    sign_in_as(client, coordinator.id)
    return coordinator


def first_of_month(months_back: int = 0) -> date:
    day = today().replace(day=1)
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def visible(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def names(response) -> list[str]:
    """The systems listed in the results table, in the order shown."""
    html = response.get_data(as_text=True)
    return [html_lib.unescape(name) for name in
            re.findall(r'<th scope="row"><a href="/system/\d+">(.*?)</a>', html)]


def coverage_rows(response) -> dict[str, str]:
    """Each row of the coverage table: the organization and its nine figures."""
    html = response.get_data(as_text=True)
    start = html.index("Täckning per organisation")
    table = html[start:html.index("</table>", start)]
    rows = [visible(row).split() for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)]
    return {" ".join(row[:-9]): " ".join(row[-9:]) for row in rows if row[0] != "Organisation"}


# -- coverage --------------------------------------------------------------------------

def build_group() -> None:
    """80 live systems in two organizations, and three retired ones that do not count.

    Exempelby kommun, 50 systems: 12 classified (5 approved, one of them 13 months ago),
    10 with an action plan, 6 risk-analysed (3 approved), 4 welfare technology (2
    analysed), 3 planned and 2 phasing out, 5 without owner or administrator.
    Exempelby Energi AB, 30 systems: 6 classified (2 approved), 7 with an action plan,
    4 risk-analysed (1 approved), 2 without owner or administrator.
    """
    municipality = create_organization()
    company = create_organization("Exempelby Energi AB", OrganizationKind.COMPANY)
    owner = create_person("agnes.agare")
    administrator = create_person("filip.forvaltare")
    approved_now = {"classified_on": first_of_month(1), "approved_on": first_of_month()}

    def system(org, name: str, staffed: bool, **kwargs):
        people = {"owner": owner, "administrators": (administrator,)} if staffed else {}
        return create_system(name, organization=org, **people, **kwargs)

    for i in range(50):
        status = "planned" if i in (40, 41, 42) else "phasing_out" if i in (43, 44) \
            else "in_use"
        s = system(municipality, f"Kommunsystem {i:02d}", i < 45, status=status,
                   welfare_technology=i in (14, 15, 30, 31))
        if i == 0:
            create_classification(s, classified_on=first_of_month(14),
                                  approved_on=first_of_month(13))
        elif i < 5:
            create_classification(s, **approved_now)
        elif i < 12:
            create_classification(s)
        if 8 <= i < 18:
            create_action_item(s)
        if 10 <= i < 16:
            create_risk_analysis(s, approved_on=date(2026, 3, 1) if i < 13 else None)
    for j in range(30):
        s = system(company, f"Bolagssystem {j:02d}", j < 28)
        if j < 6:
            create_classification(s, **(approved_now if j < 2 else {}))
        if 3 <= j < 10:
            create_action_item(s)
        if 20 <= j < 24:
            create_risk_analysis(s, approved_on=date(2026, 3, 1) if j == 20 else None)
    for k in range(3):
        s = system(municipality, f"Avvecklat {k}", k == 0, status="retired",
                   welfare_technology=True)
        create_classification(s, **approved_now)
        create_action_item(s, due_on=date(2020, 1, 1))
        create_risk_analysis(s)
    db.session.commit()


def test_coverage_figures_for_the_group_and_each_organization(client):
    signed_in_coordinator(client)
    build_group()

    response = client.get(REGISTER)

    assert response.status_code == 200
    # System, I drift, Klassade, Godkända, Med handlingsplan, Riskanalyserade,
    # Välfärdsteknik riskanalyserad, Saknar ägare eller förvaltare, Översyn försenad.
    assert coverage_rows(response) == {
        "Exempelby Energi AB": "30 30 6 2 7 4 0/0 2 0",
        "Exempelby kommun": "50 45 12 5 10 6 2/4 5 1",
        "Hela koncernen": "80 75 18 7 17 10 2/4 7 1",
    }
    assert list(coverage_rows(response)) == ["Exempelby Energi AB", "Exempelby kommun",
                                             "Hela koncernen"]
    page = text_of(response)
    for figure in ("80 system i registret", "75 i drift", "18 klassade",
                   "7 med godkänd klassning", "17 med handlingsplan", "10 riskanalyserade",
                   "2/4 välfärdsteknik riskanalyserad"):
        assert figure in page
    assert "80 system matchar filtret." in page


def test_the_coverage_figures_do_not_change_with_the_filters(client):
    signed_in_coordinator(client)
    build_group()
    company = create_organization("Exempelby Energi AB")
    response = client.get(f"{REGISTER}?organisation={company.id}&status=planned")
    assert coverage_rows(response)["Hela koncernen"] == "80 75 18 7 17 10 2/4 7 1"
    assert "0 system matchar filtret." in text_of(response)


# -- filters, search, order, pages -----------------------------------------------------

@pytest.fixture
def small_register(client) -> dict[str, object]:
    signed_in_coordinator(client)
    municipality = create_organization()
    company = create_organization("Exempelby Energi AB", OrganizationKind.COMPANY)
    owner = create_person("agnes.agare", display_name="Agnes Ägare")
    administrator = create_person("filip.forvaltare", display_name="Filip Förvaltare")
    staffed = {"owner": owner, "administrators": (administrator,)}
    create_system("Ärendehantering", organization=municipality, personal_data=True,
                  supplier="Formpipe", **staffed)
    create_system("Zeta lön", organization=municipality, status="procurement", **staffed)
    create_system("Åtkomstsystem", organization=company, welfare_technology=True, **staffed)
    create_system("Öppna data", organization=municipality, administrators=(administrator,))
    create_system("Arkiv", organization=municipality, status="retired", **staffed)
    booking = create_system("bokning", organization=company, **staffed)
    create_action_item(booking, due_on=today() - timedelta(days=1))
    db.session.commit()
    return {"municipality": municipality, "company": company}


LIVE_IN_ORDER = ["bokning", "Zeta lön", "Åtkomstsystem", "Ärendehantering", "Öppna data"]


def test_the_register_lists_live_systems_in_swedish_order(client, small_register):
    response = client.get(REGISTER)
    assert names(response) == LIVE_IN_ORDER
    assert names(client.get(f"{REGISTER}?fallande=1")) == LIVE_IN_ORDER[::-1]
    assert names(client.get(f"{REGISTER}?sortera=nonsense")) == LIVE_IN_ORDER
    assert names(client.get(f"{REGISTER}?sortera=status")) == [
        "Zeta lön", "bokning", "Åtkomstsystem", "Ärendehantering", "Öppna data"]
    assert names(client.get(f"{REGISTER}?sortera=organization")) == [
        "bokning", "Åtkomstsystem", "Zeta lön", "Ärendehantering", "Öppna data"]


@pytest.mark.parametrize("query,expected", [
    ("organisation={company}", ["bokning", "Åtkomstsystem"]),
    ("status=procurement", ["Zeta lön"]),
    ("status=retired", ["Arkiv"]),
    ("status=all", ["Arkiv", *LIVE_IN_ORDER]),
    ("status=nonsense", LIVE_IN_ORDER),
    ("valfardsteknik=1", ["Åtkomstsystem"]),
    ("personuppgifter=1", ["Ärendehantering"]),
    ("saknar_ansvarig=1", ["Öppna data"]),
    ("forsenade=1", ["bokning"]),
    ("q=ärende", ["Ärendehantering"]),
    ("q=%C3%84RENDE", ["Ärendehantering"]),
    ("q=formpipe", ["Ärendehantering"]),
    ("q=BOKN", ["bokning"]),
    ("q=system+åtkomst", ["Åtkomstsystem"]),
    ("q=lön+ärende", []),
    ("organisation={municipality}&status=all&fallande=1",
     ["Öppna data", "Ärendehantering", "Zeta lön", "Arkiv"]),
])
def test_filters_narrow_the_register(client, small_register, query, expected):
    query = query.format(company=small_register["company"].id,
                         municipality=small_register["municipality"].id)
    response = client.get(f"{REGISTER}?{query}")
    assert response.status_code == 200
    assert names(response) == expected
    count = len(expected)
    assert f"{count} system matchar filtret." in text_of(response)
    if not expected:
        assert "Inga system matchar filtret." in text_of(response)


def test_a_filter_request_from_htmx_gets_only_the_results(client, small_register):
    response = client.get(f"{REGISTER}?q=ärende", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Täckning" not in html and names(response) == ["Ärendehantering"]
    page = client.get(REGISTER).get_data(as_text=True)
    assert 'hx-target="#register-results"' in page and 'id="register-results"' in page


def results_table(response) -> str:
    """The visible text of the results table's body (after the coverage table)."""
    html = response.get_data(as_text=True)
    return visible(html[html.rindex("<tbody>"):html.rindex("</tbody>")])


def test_the_chips_say_what_each_system_lacks(client, small_register):
    row = results_table(client.get(f"{REGISTER}?q=öppna"))
    assert row == ("Öppna data Exempelby kommun I drift – Filip Förvaltare – Ej klassad "
                   "Ingen riskanalys Ingen handlingsplan Saknar ägare")
    row = results_table(client.get(f"{REGISTER}?valfardsteknik=1"))
    assert row.startswith("Åtkomstsystem (välfärdsteknik) Exempelby Energi AB")
    assert "Välfärdsteknik utan riskanalys" in row


def test_fifty_systems_a_page_or_all_on_one(client):
    signed_in_coordinator(client)
    create_systems_in_bulk(120, organization=create_organization())
    db.session.commit()

    first = client.get(REGISTER)
    assert names(first) == [f"Bulksystem {n:04d}" for n in range(50)]
    page = text_of(first)
    assert "120 system matchar filtret. Sida 1 av 3." in page
    assert "Nästa" in page and "Föregående" not in page
    assert "Visa alla 120 på en sida" in page
    html = first.get_data(as_text=True)
    assert 'href="/systemregister/?sida=2"' in html
    assert 'href="/systemregister/?alla=1"' in html

    assert names(client.get(f"{REGISTER}?sida=2"))[0] == "Bulksystem 0050"
    last = client.get(f"{REGISTER}?sida=3")
    assert names(last) == [f"Bulksystem {n:04d}" for n in range(100, 120)]
    assert "Föregående" in text_of(last) and "Nästa sida" not in text_of(last)
    assert names(client.get(f"{REGISTER}?sida=99")) == names(last)
    assert len(names(client.get(f"{REGISTER}?sida=abc"))) == 50

    everything = client.get(f"{REGISTER}?alla=1")
    assert names(everything) == [f"Bulksystem {n:04d}" for n in range(120)]
    assert "Sida 1 av" not in text_of(everything)
    assert "Visa 50 per sida" in text_of(everything)


def fill_register(count: int, prefix: str) -> None:
    """More systems, a few with owner, administrator, classification, analysis and plan."""
    org = create_organization()
    owner = create_person(f"{prefix}.agare")
    administrator = create_person(f"{prefix}.forvaltare")
    staffed = create_systems_in_bulk(5, organization=org, prefix=f"{prefix} bemannat",
                                     owner=owner, administrators=(administrator,))
    create_systems_in_bulk(count - 5, organization=org, prefix=prefix)
    for system in staffed:
        create_classification(system, approved_on=first_of_month())
        create_risk_analysis(system, ((2, 2),))
        create_action_item(system, due_on=today() - timedelta(days=1))
    db.session.commit()


@pytest.mark.parametrize("path", [REGISTER, f"{REGISTER}?alla=1", CSV])
def test_the_register_needs_the_same_few_queries_for_10_or_1000_systems(client,
                                                                       count_queries, path):
    signed_in_coordinator(client)
    fill_register(10, "Litet")
    with count_queries() as few:
        assert client.get(path).status_code == 200
    started = time.perf_counter()
    fill_register(990, "Stort")
    with count_queries() as many:
        response = client.get(path)
    assert response.status_code == 200
    if path == CSV:
        assert len(response.get_data().splitlines()) == 1001
    else:
        assert "1000 system matchar filtret." in text_of(response)
    assert many.count == few.count, many.statements
    assert few.count <= 8, "\n\n".join(few.statements)
    assert time.perf_counter() - started < 5


# -- Mina system -----------------------------------------------------------------------

def test_my_systems_are_those_i_own_or_administer(client):
    me = create_person("agnes.agare", display_name="Agnes Ägare")
    colleague = create_person("filip.forvaltare", display_name="Filip Förvaltare")
    owned = create_system("Ekonomisystem", owner=me, administrators=(colleague,))
    create_classification(owned, approved_on=first_of_month())
    create_system("Lönesystem", owner=colleague, administrators=(colleague, me))
    create_system("Skolplattform", owner=colleague, administrators=(colleague,))
    create_system("Gamla arkivet", owner=me, status="retired")
    db.session.commit()
    sign_in_as(client, me.id)

    response = client.get("/system/")

    assert response.status_code == 200
    assert names_in_mine(response) == ["Ekonomisystem", "Lönesystem"]
    cards = cards_of(response)
    assert cards["Ekonomisystem"].startswith("Ekonomisystem Exempelby kommun · I drift · "
                                             "Du är systemägare")
    assert "Klassad och godkänd" in cards["Ekonomisystem"]
    assert "Ingen riskanalys" in cards["Ekonomisystem"]
    assert "Du är systemförvaltare" in cards["Lönesystem"]
    assert "Ej klassad" in cards["Lönesystem"]
    assert "Mina system" in text_of(client.get("/"))


def names_in_mine(response) -> list[str]:
    return [html_lib.unescape(n) for n in re.findall(
        r'<h2><a href="/system/\d+">(.*?)</a></h2>', response.get_data(as_text=True))]


def cards_of(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    cards = [visible(card) for card in re.findall(r'<li class="card">(.*?)</ul>\s*</li>', html,
                                                  flags=re.S)]
    return {card.split(" Exempelby")[0]: card for card in cards}


def test_someone_without_systems_has_an_empty_list_and_no_menu_entry(client):
    other = create_person("olle.other")
    create_system("Ekonomisystem", owner=other)
    me = create_person("anna.anstalld")
    db.session.commit()
    sign_in_as(client, me.id)
    response = client.get("/system/")
    assert response.status_code == 200
    assert ("Du är inte systemägare eller systemförvaltare för något system i registret."
            in text_of(response))
    assert names_in_mine(response) == []
    assert 'href="/system/"' not in client.get("/").get_data(as_text=True)


# -- CSV -------------------------------------------------------------------------------

CSV_HEADER = ["Namn", "Organisation", "Verksamhet", "Status", "Systemägare",
              "Systemförvaltare", "Leverantör", "Personuppgifter", "Välfärdsteknik",
              "Samhällsviktig", "Konfidentialitet", "Riktighet", "Tillgänglighet",
              "Spårbarhet", "Klassad", "Godkänd", "Nästa översyn", "Riskanalyser",
              "Öppna åtgärder", "Försenade åtgärder"]


def test_the_csv_export_has_the_filtered_systems_for_swedish_excel(client):
    signed_in_coordinator(client)
    municipality = create_organization()
    company = create_organization("Exempelby Energi AB", OrganizationKind.COMPANY)
    owner = create_person("agnes.agare", display_name="Agnes Ägare")
    administrator = create_person("filip.forvaltare", display_name="Filip Förvaltare")
    system = create_system("Ärendehantering", organization=municipality, owner=owner,
                           administrators=(administrator,), supplier="Formpipe",
                           personal_data=True)
    decided = first_of_month()
    create_classification(system, (2, 3, 1, 4), classified_on=date(2026, 1, 15),
                          approved_on=decided)
    create_risk_analysis(system)
    create_action_item(system, due_on=today() - timedelta(days=2))
    create_action_item(system)
    create_system("=cmd|' /C calc'!A0", organization=municipality)
    create_system("Driftövervakning", organization=company)
    db.session.commit()

    response = client.get(f"{CSV}?organisation={municipality.id}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="systemregister-{today().isoformat()}.csv"')
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == CSV_HEADER
    assert lines[1:] == [
        ["'=cmd|' /C calc'!A0", "Exempelby kommun", "", "I drift", "", "", "", "nej", "nej",
         "nej", "", "", "", "", "", "", "", "0", "0", "0"],
        ["Ärendehantering", "Exempelby kommun", "", "I drift", "Agnes Ägare",
         "Filip Förvaltare", "Formpipe", "ja", "nej", "nej", "2 Betydande", "3 Allvarlig",
         "1 Måttlig", "4 Synnerligen allvarlig", "2026-01-15", decided.isoformat(),
         decided.replace(year=decided.year + 1).isoformat(), "1", "2", "1"],
    ]
    assert b";" in raw.splitlines()[0] and raw.count(b"\r\n") == 3


def test_the_csv_follows_the_search_and_is_not_paged(client):
    signed_in_coordinator(client)
    org = create_organization()
    create_systems_in_bulk(60, organization=org)
    create_system("Ärendehantering", organization=org)
    db.session.commit()
    lines = client.get(f"{CSV}?sida=2").get_data().decode("utf-8-sig").splitlines()
    assert len(lines) == 62
    lines = client.get(f"{CSV}?q=ärende").get_data().decode("utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in lines] == ["Namn", "Ärendehantering"]
    html = client.get(f"{REGISTER}?q=ärende").get_data(as_text=True)
    assert 'href="/systemregister.csv?q=%C3%A4rende"' in html
