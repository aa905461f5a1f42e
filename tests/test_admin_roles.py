"""Role grants page: an administrator grants and revokes coordinator/admin by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.models import AuditEvent, GrantSource, Person, Role, RoleGrant
from tests.factories import create_organization, create_person, grant
from tests.helpers import csrf_token, post_form, sign_in_as, text_of

ROLES = "/administration/roller"


def signed_in_admin(client, username: str = "admin") -> Person:
    admin = create_person(username, display_name="Ada Admin")
    grant(admin, Role.ADMIN)
    db.session.commit()
    sign_in_as(client, admin.id)
    return admin


def grants_of(person: Person) -> list[RoleGrant]:
    return list(db.session.scalars(select(RoleGrant).where(RoleGrant.person_id == person.id)
                                   .execution_options(populate_existing=True)))


def grant_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RoleGrant))


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def post(client, path: str, data: dict | None = None, **kwargs):
    return post_form(client, path, data or {}, token_from="/", **kwargs)


@pytest.mark.parametrize("role", [None, Role.COORDINATOR])
def test_everyone_but_admins_gets_403_on_every_route(client, role):
    other = create_person("someone")
    target = grant(other, Role.COORDINATOR)
    person = create_person("not.admin")
    if role:
        grant(person, role)
    db.session.commit()
    before = grant_count()
    sign_in_as(client, person.id)
    assert client.get(ROLES).status_code == 403
    assert post(client, ROLES, {"person": "someone", "role": "admin"}).status_code == 403
    assert post(client, f"{ROLES}/{target.id}/aterkalla").status_code == 403
    assert grants_of(other)[0].revoked_at is None and grant_count() == before
    assert not audit_events("role.granted") and not audit_events("role.revoked")


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(ROLES)
    assert response.status_code == 302 and response.headers["Location"].startswith("/logga-in")


def test_the_page_lists_manual_grants_with_person_scope_and_granter(client):
    admin = signed_in_admin(client)
    company = create_organization("Exempelby Energi AB")
    person = create_person("kontakt", display_name="Kim Kontakt", organization=company)
    db.session.add(RoleGrant(person_id=person.id, role=Role.COORDINATOR, organization=company,
                             source=GrantSource.MANUAL, granted_at=utcnow(),
                             granted_by_id=admin.id))
    db.session.commit()
    response = client.get(ROLES)
    assert response.status_code == 200
    page = text_of(response)
    assert "Manuellt tilldelade roller" in page
    assert ("Informationssäkerhetssamordnare Kim Kontakt (kontakt, Exempelby Energi AB) "
            "Exempelby Energi AB") in page
    assert "Ada Admin" in page and "Återkalla" in page
    html = response.get_data(as_text=True)
    for label in ('<label for="person">', '<label for="role">', '<label for="organization">'):
        assert label in html
    assert '<th scope="col">' in html and "<caption" in html


def test_granting_a_role_lists_the_person_and_gives_them_access(app, client):
    admin = signed_in_admin(client)
    person = create_person("karin.ny", display_name="Karin Ny")
    db.session.commit()
    response = post(client, ROLES, {"person": "karin.ny", "role": "coordinator",
                                    "organization": ""})
    assert response.status_code == 303 and response.headers["Location"] == ROLES
    page = text_of(client.get(ROLES))
    assert "Karin Ny har fått rollen Informationssäkerhetssamordnare (Hela koncernen)." in page
    assert "Karin Ny (karin.ny, Exempelby kommun) Hela koncernen" in page
    [new_grant] = grants_of(person)
    assert (new_grant.role, new_grant.source, new_grant.granted_by_id) == (
        Role.COORDINATOR, GrantSource.MANUAL, admin.id)
    [event] = audit_events("role.granted")
    assert (event.actor_id, event.object_type, event.object_id) == (admin.id, "person",
                                                                    str(person.id))
    assert event.details["role"] == "coordinator" and event.details["source"] == "manual"
    assert event.details["organization_id"] is None
    other_browser = app.test_client()
    sign_in_as(other_browser, person.id)
    assert other_browser.get("/samordning/").status_code == 200


def test_a_role_can_be_granted_by_email_and_scoped_to_a_company(client):
    signed_in_admin(client)
    company = create_organization("Exempelby Bostäder AB")
    person = create_person("bo.bolag", display_name="Bo Bolag")
    db.session.commit()
    response = post(client, ROLES, {"person": "  BO.BOLAG@exempelby.se ", "role": "admin",
                                    "organization": str(company.id)})
    assert response.status_code == 303
    [new_grant] = grants_of(person)
    assert (new_grant.role, new_grant.organization_id) == (Role.ADMIN, company.id)
    assert "Bo Bolag har fått rollen Portaladministratör (Exempelby Bostäder AB)." in text_of(
        client.get(ROLES))
    [event] = audit_events("role.granted")
    assert event.details["organization_id"] == company.id
    assert event.details["organization"] == "Exempelby Bostäder AB"


def test_an_htmx_grant_answers_with_hx_redirect(client):
    signed_in_admin(client)
    create_person("hx.person")
    db.session.commit()
    response = client.post(ROLES, data={"person": "hx.person", "role": "coordinator"},
                           headers={"X-CSRFToken": csrf_token(client, "/"), "HX-Request": "true",
                                    "HX-Boosted": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == ROLES


@pytest.mark.parametrize("data,message", [
    ({"person": "finns.inte", "role": "coordinator"},
     "Ingen aktiv person har användarnamnet eller e-postadressen finns.inte."),
    ({"person": "", "role": "coordinator"}, "Fyll i användarnamn eller e-postadress."),
    ({"person": "mottagare", "role": "manager"}, "Välj en roll i listan."),
    ({"person": "mottagare", "role": "coordinator", "organization": "999999"},
     "Välj en organisation i listan."),
    ({"person": "mottagare", "role": "coordinator", "organization": "x"},
     "Välj en organisation i listan."),
])
def test_invalid_grants_are_refused_in_swedish_and_change_nothing(client, data, message):
    signed_in_admin(client)
    create_person("mottagare")
    db.session.commit()
    before = grant_count()
    response = post(client, ROLES, data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert grant_count() == before and not audit_events("role.granted")


def test_granting_to_an_inactive_person_is_refused(client):
    signed_in_admin(client)
    create_person("slutat", display_name="Sven Slutat", active=False)
    db.session.commit()
    response = post(client, ROLES, {"person": "slutat", "role": "coordinator"})
    assert response.status_code == 422
    assert "Sven Slutat (slutat) är avaktiverad och kan inte få en roll." in text_of(response)
    assert grant_count() == 1 and not audit_events("role.granted")


def test_an_email_shared_by_two_active_people_asks_for_the_username(client):
    signed_in_admin(client)
    for username in ("delad1", "delad2"):
        person = create_person(username)
        person.mail = "delad@exempelby.se"
    db.session.commit()
    response = post(client, ROLES, {"person": "delad@exempelby.se", "role": "coordinator"})
    assert response.status_code == 422
    assert ("Flera aktiva personer har e-postadressen delad@exempelby.se. Ange "
            "användarnamnet i stället.") in text_of(response)
    assert grant_count() == 1


def test_a_duplicate_grant_is_refused_but_another_scope_is_allowed(client):
    signed_in_admin(client)
    company = create_organization("Exempelby Energi AB")
    person = create_person("dubbel", display_name="Dora Dubbel")
    grant(person, Role.COORDINATOR)
    db.session.commit()
    response = post(client, ROLES, {"person": "dubbel", "role": "coordinator"})
    assert response.status_code == 422
    assert ("Dora Dubbel har redan rollen Informationssäkerhetssamordnare (Hela koncernen)."
            in text_of(response))
    assert len(grants_of(person)) == 1
    response = post(client, ROLES, {"person": "dubbel", "role": "coordinator",
                                    "organization": str(company.id)})
    assert response.status_code == 303 and len(grants_of(person)) == 2


def test_revoking_removes_access_and_keeps_the_grant_as_history(app, client):
    admin = signed_in_admin(client)
    person = create_person("återkallas", display_name="Åsa Återkallad")
    target = grant(person, Role.COORDINATOR)
    db.session.commit()
    other_browser = app.test_client()
    sign_in_as(other_browser, person.id)
    assert other_browser.get("/samordning/").status_code == 200
    response = post(client, f"{ROLES}/{target.id}/aterkalla")
    assert response.status_code == 303 and response.headers["Location"] == ROLES
    assert other_browser.get("/samordning/").status_code == 403
    [kept] = grants_of(person)
    assert kept.revoked_at is not None and kept.revoked_by_id == admin.id
    page = text_of(client.get(ROLES))
    assert ("Rollen Informationssäkerhetssamordnare (Hela koncernen) är återkallad för "
            "Åsa Återkallad.") in page
    revoked_section = page[page.index("Återkallade roller tas aldrig bort"):]
    assert "Åsa Återkallad" in revoked_section and "Ada Admin" in revoked_section
    [event] = audit_events("role.revoked")
    assert (event.actor_id, event.object_id) == (admin.id, str(person.id))
    assert event.details["role"] == "coordinator" and event.details["source"] == "manual"
    # A second revoke of the same grant changes nothing more.
    again = post(client, f"{ROLES}/{target.id}/aterkalla")
    assert again.status_code == 422 and "Rollen är redan återkallad." in text_of(again)
    assert len(audit_events("role.revoked")) == 1


def test_a_directory_group_grant_cannot_be_revoked_here(client):
    signed_in_admin(client)
    person = create_person("gruppmedlem", display_name="Gun Grupp")
    directory_grant = RoleGrant(person_id=person.id, role=Role.COORDINATOR,
                                source=GrantSource.DIRECTORY_GROUP, granted_at=utcnow())
    db.session.add(directory_grant)
    db.session.commit()
    page = client.get(ROLES)
    assert "Styrs av kataloggruppen LIS-samordnare." in text_of(page)
    assert f"{ROLES}/{directory_grant.id}/aterkalla" not in page.get_data(as_text=True)
    response = post(client, f"{ROLES}/{directory_grant.id}/aterkalla")
    assert response.status_code == 422
    assert "Rollen styrs av kataloggruppen och kan bara ändras där" in text_of(response)
    assert grants_of(person)[0].revoked_at is None and not audit_events("role.revoked")


def test_an_admin_cannot_revoke_their_own_admin_grant(client):
    admin = signed_in_admin(client)
    [own] = grants_of(admin)
    page = client.get(ROLES).get_data(as_text=True)
    assert f"{ROLES}/{own.id}/aterkalla" not in page
    response = post(client, f"{ROLES}/{own.id}/aterkalla")
    assert response.status_code == 422
    assert "Du kan inte återkalla din egen administratörsroll" in text_of(response)
    assert grants_of(admin)[0].revoked_at is None
    assert client.get(ROLES).status_code == 200


def test_revoking_an_unknown_grant_is_404(client):
    signed_in_admin(client)
    assert post(client, f"{ROLES}/999999/aterkalla").status_code == 404


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(client):
    signed_in_admin(client)
    person = create_person("utan.token")
    target = grant(person, Role.COORDINATOR)
    db.session.commit()
    response = client.post(ROLES, data={"person": "utan.token", "role": "admin"})
    assert response.status_code == 400
    assert "Formuläret saknade en giltig säkerhetstoken" in text_of(response)
    response = client.post(f"{ROLES}/{target.id}/aterkalla")
    assert response.status_code == 400
    assert [g.revoked_at for g in grants_of(person)] == [None]


def test_demo_directory_group_admins_are_shown_read_only(client, demo_people):
    erik = db.session.scalar(select(Person).where(Person.username == "erik.sandberg"))
    sign_in_as(client, erik.id)
    page = text_of(client.get(ROLES))
    directory_section = page[page.index("Roller från kataloggrupper"):]
    assert "Karin Holm" in directory_section
    assert "Styrs av kataloggruppen Portaladministratörer." in directory_section


def test_the_page_needs_the_same_number_of_queries_for_few_or_many_grants(client,
                                                                          count_queries):
    admin = signed_in_admin(client)
    company = create_organization("Exempelby Energi AB")

    def add_grants(n: int, prefix: str) -> None:
        for i in range(n):
            person = create_person(f"{prefix}{i}")
            db.session.add(RoleGrant(person_id=person.id, role=Role.COORDINATOR,
                                     organization=company if i % 2 else None,
                                     source=GrantSource.MANUAL, granted_at=utcnow(),
                                     granted_by_id=admin.id,
                                     revoked_at=utcnow() if i % 3 == 0 else None,
                                     revoked_by_id=admin.id if i % 3 == 0 else None))
        db.session.commit()

    add_grants(3, "a")
    with count_queries() as few:
        assert client.get(ROLES).status_code == 200
    add_grants(30, "b")
    with count_queries() as many:
        assert client.get(ROLES).status_code == 200
    assert many.count == few.count
