"""What each person sees: start page, navigation by role, the manager's unit, language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Person, Role, SyncRun
from tests.factories import create_organization, create_person, create_unit, grant
from tests.helpers import csrf_token, sign_in_as, text_of


def person_named(username: str) -> Person:
    return db.session.scalar(select(Person).where(Person.username == username))


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/logga-in")


def test_demo_sign_in_lists_people_grouped_by_role(client, demo_people):
    page = text_of(client.get("/logga-in"))
    for heading in ("Informationssäkerhetssamordnare (2)", "Portaladministratörer (2)",
                    "Chefer", "Medarbetare", "Konsulter (8)", "Förtroendevalda (15)",
                    "Styrelseledamöter (10)"):
        assert heading in page


def test_a_demo_manager_sees_name_unit_and_manager_in_swedish(client, demo_people):
    sign_in_as(client, person_named("maria.nilsson").id)
    page = text_of(client.get("/"))
    assert "Mina uppgifter" in page
    assert "Maria Nilsson" in page and "Enhetschef hemtjänst" in page
    assert "Socialtjänst / Äldreomsorg / Hemtjänst Norr" in page
    assert person_named("maria.nilsson").manager.display_name in page
    assert "Chef" in page and "Exempelby kommun" in page


@pytest.mark.parametrize("username,visible,hidden", [
    ("maria.nilsson", ["Min enhet"], ["Samordning", "Administration"]),
    ("karin.holm", ["Samordning"], ["Administration"]),
    ("erik.sandberg", ["Min enhet", "Administration"], ["Samordning"]),
    ("karin.lundgren", [], ["Min enhet", "Samordning", "Administration"]),
])
def test_navigation_shows_only_what_the_roles_allow(client, demo_people, username, visible,
                                                     hidden):
    sign_in_as(client, person_named(username).id)
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index("<nav"):html.index("</nav>")]
    for label in visible:
        assert label in nav
    for label in hidden:
        assert label not in nav


@pytest.mark.parametrize("path", ["/min-enhet/", "/samordning/", "/administration/"])
def test_pages_outside_ones_role_answer_403_in_swedish(client, demo_people, path):
    sign_in_as(client, person_named("karin.lundgren").id)
    response = client.get(path)
    assert response.status_code == 403
    assert "Du har inte behörighet" in text_of(response)


def test_a_manager_sees_everyone_reporting_directly_or_indirectly(client):
    org = create_organization()
    unit = create_unit(org, "Socialtjänst")
    chief = create_person("chef", display_name="Sektorchef Ek", unit=unit)
    middle = create_person("mellan", display_name="Öst Mellanchef", manager=chief, unit=unit)
    create_person("anna", display_name="Anna Ahl", manager=middle, unit=unit)
    create_person("ake", display_name="Åke Berg", manager=middle, unit=unit)
    create_person("borta", display_name="Borta Person", manager=middle, active=False)
    create_person("annan", display_name="Annan Enhet")
    db.session.commit()
    sign_in_as(client, chief.id)
    page = text_of(client.get("/min-enhet/"))
    assert "3 personer rapporterar till dig" in page
    assert "Öst Mellanchef" in page and "Visa 2 personer" in page
    assert "Borta Person" not in page and "Annan Enhet" not in page
    below = text_of(client.get(f"/min-enhet/{middle.id}/personer",
                               headers={"HX-Request": "true"}))
    # Swedish order: Å after A.
    assert below.index("Anna Ahl") < below.index("Åke Berg")
    assert "Borta Person" not in below


def test_the_unit_page_needs_the_same_number_of_queries_for_3_or_30_reports(client,
                                                                             count_queries):
    chief = create_person("chef")
    for i in range(3):
        create_person(f"a{i}", manager=chief)
    db.session.commit()
    sign_in_as(client, chief.id)
    with count_queries() as small:
        assert client.get("/min-enhet/").status_code == 200
    for i in range(27):
        create_person(f"b{i}", manager=chief)
    db.session.commit()
    with count_queries() as large:
        assert client.get("/min-enhet/").status_code == 200
    assert large.count == small.count


def test_the_coordinator_sees_each_organization_with_people_per_kind(client, demo_people):
    sign_in_as(client, person_named("karin.holm").id)
    page = text_of(client.get("/samordning/"))
    assert "Exempelby kommun 262" in page and "Exempelby Bostäder AB 20" in page


def test_the_admin_sees_sync_runs_and_the_run_behind_each(client, demo_people):
    sign_in_as(client, person_named("erik.sandberg").id)
    page = text_of(client.get("/administration/"))
    assert "Senaste körningar" in page and "Klar 302 0 0 0 0 Schemalagd körning" in page
    run_id = db.session.scalar(select(SyncRun.id))
    page = text_of(client.get(f"/administration/synkronisering/{run_id}"))
    assert "Klar" in page and "306 ändringar" in page
    page = text_of(client.get(f"/administration/synkronisering/{run_id}?typ=role-granted"))
    assert "4 ändringar" in page
    assert "Karin Holm (karin.holm) Roll tilldelad Roll: Informationssäkerhetssamordnare" in page


def test_the_run_page_pages_through_changes_in_bounded_queries(client, demo_people,
                                                                count_queries):
    sign_in_as(client, person_named("erik.sandberg").id)
    run_id = db.session.scalar(select(SyncRun.id))
    path = f"/administration/synkronisering/{run_id}"
    with count_queries() as first:
        page = text_of(client.get(path))
    assert "Sida 1 av 4" in page
    with count_queries() as last:
        page = text_of(client.get(path + "?sida=4"))
    assert "Sida 4 av 4" in page and first.count == last.count


def test_a_grant_scoped_to_a_company_is_shown_with_the_company(client):
    company = create_organization("Exempelby Energi AB")
    person = create_person("kontakt")
    grant(person, Role.COORDINATOR, organization=company)
    db.session.commit()
    sign_in_as(client, person.id)
    assert "Informationssäkerhetssamordnare (Exempelby Energi AB)" in text_of(client.get("/"))


def test_english_can_be_chosen_and_is_remembered_on_the_person(app, client):
    person = create_person("anna")
    db.session.commit()
    sign_in_as(client, person.id)
    token = csrf_token(client, "/")
    response = client.post("/sprak", data={"csrf_token": token, "locale": "en", "next": "/"})
    assert response.headers["Location"] == "/"
    assert "My tasks" in text_of(client.get("/"))
    # A new browser (no session) signing in as the same person gets English again.
    fresh = app.test_client()
    sign_in_as(fresh, person.id)
    page = fresh.get("/")
    assert "My tasks" in text_of(page) and 'lang="en"' in page.get_data(as_text=True)


def test_swedish_is_the_default_language(client):
    html = client.get("/logga-in").get_data(as_text=True)
    assert '<html lang="sv">' in html and "Logga in" in html


def test_an_unknown_language_is_refused_and_changes_nothing(client):
    token = csrf_token(client)
    response = client.post("/sprak", data={"csrf_token": token, "locale": "xx"})
    assert response.status_code == 400
    assert '<html lang="sv">' in client.get("/logga-in").get_data(as_text=True)
