"""Signing in with a directory password against a real slapd, and session handling."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Person, Role, RoleGrant, SignInAttempt
from ldap_sync import sync
from ldap_sync.source import LdifSource
from tests.conftest import DEMO_LDIF
from tests.helpers import post_form, text_of


def sign_in(client, username: str, password: str):
    return post_form(client, "/logga-in", {"username": username, "password": password})


def test_right_password_signs_in_and_shows_the_start_page(client, ldap_config, demo_people):
    response = sign_in(client, "maria.nilsson", "demo")
    assert response.status_code == 303
    page = text_of(client.get("/"))
    assert "Mina uppgifter" in page and "Maria Nilsson" in page
    assert "Socialtjänst / Äldreomsorg / Hemtjänst Norr" in page


def test_username_is_not_case_sensitive(client, ldap_config, demo_people):
    assert sign_in(client, "Maria.Nilsson", "demo").status_code == 303


@pytest.mark.parametrize("username,password", [
    ("maria.nilsson", "fel-lösenord"),
    ("finns.inte", "demo"),
    ("maria.nilsson", "DEMO"),
])
def test_wrong_credentials_are_refused_with_one_swedish_message(client, ldap_config,
                                                                demo_people, username,
                                                                password):
    response = sign_in(client, username, password)
    assert response.status_code == 422
    assert "Fel användarnamn eller lösenord." in text_of(response)
    assert client.get("/").status_code == 302


def test_an_empty_password_is_refused_before_the_directory_is_asked(client, ldap_config,
                                                                    demo_people):
    # An empty password would be an anonymous bind, which LDAP servers accept.
    response = sign_in(client, "maria.nilsson", "")
    assert response.status_code == 422
    assert "Fyll i ditt lösenord." in text_of(response)


def test_a_person_deactivated_in_the_portal_cannot_sign_in(client, ldap_config, demo_people):
    maria = db.session.scalar(select(Person).where(Person.username == "maria.nilsson"))
    maria.active = False
    db.session.commit()
    response = sign_in(client, "maria.nilsson", "demo")
    assert response.status_code == 422
    assert "Ditt konto är inte aktivt i portalen" in text_of(response)


@pytest.mark.parametrize("username", ["*)(uid=*", "admin*", "*", "\\", "maria.nilsson\x00",
                                      "maria.nilsson)(|(uid=*"])
def test_ldap_filter_injection_does_not_sign_anyone_in(client, ldap_config, demo_people,
                                                       username):
    response = sign_in(client, username, "demo")
    assert response.status_code == 422
    assert client.get("/").status_code == 302


def test_someone_hired_since_the_last_sync_is_created_at_sign_in(client, ldap_config,
                                                                 demo_people, slapd):
    slapd.add_ldif(
        "dn: uid=ny.anstalld,ou=IT-enheten,ou=Verksamhetsstöd,o=Exempelby kommun,"
        "dc=exempelby,dc=se\nobjectClass: inetOrgPerson\nuid: ny.anstalld\ncn: Ny Anställd\n"
        "sn: Anställd\ngivenName: Ny\ntitle: IT-tekniker\no: Exempelby kommun\n"
        "employeeType: employee\nuserPassword: nytt-lösen\n"
        "manager: uid=erik.sandberg,ou=IT-enheten,ou=Verksamhetsstöd,o=Exempelby kommun,"
        "dc=exempelby,dc=se\n")
    try:
        assert sign_in(client, "ny.anstalld", "nytt-lösen").status_code == 303
        person = db.session.scalar(select(Person).where(Person.username == "ny.anstalld"))
        assert person.manager.username == "erik.sandberg"
        assert person.unit.path == "Verksamhetsstöd / IT-enheten"
        page = text_of(client.get("/"))
        assert "Ny Anställd" in page and "Erik Sandberg" in page
    finally:
        slapd.delete("uid=ny.anstalld,ou=IT-enheten,ou=Verksamhetsstöd,o=Exempelby kommun,"
                     "dc=exempelby,dc=se")


def test_a_coordinator_signing_in_for_the_first_time_gets_the_role_from_the_group(
        client, ldap_config):
    assert sign_in(client, "karin.holm", "demo").status_code == 303
    karin = db.session.scalar(select(Person).where(Person.username == "karin.holm"))
    roles = db.session.scalars(select(RoleGrant.role).where(RoleGrant.person_id == karin.id))
    assert list(roles) == [Role.COORDINATOR]
    assert "Samordning" in text_of(client.get("/"))


def test_five_failures_lock_that_username_from_that_address_only(app, client, ldap_config,
                                                                 demo_people):
    for _ in range(5):
        assert sign_in(client, "maria.nilsson", "fel").status_code == 422
    response = sign_in(client, "maria.nilsson", "demo")
    assert response.status_code == 422
    assert "För många misslyckade inloggningar" in text_of(response)
    # Another address is not locked out, nor is another username from this address.
    other = app.test_client()
    response = post_form(other, "/logga-in", {"username": "maria.nilsson", "password": "demo"},
                         environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert response.status_code == 303, text_of(response)
    assert sign_in(client, "karin.holm", "demo").status_code == 303


def test_failed_attempts_are_stored_in_the_database_without_the_password(client, ldap_config,
                                                                         demo_people):
    sign_in(client, "maria.nilsson", "hemligt-fel")
    attempts = db.session.scalars(select(SignInAttempt)).all()
    assert [(a.username, a.succeeded) for a in attempts] == [("maria.nilsson", False)]
    stored = " ".join(str(v) for a in attempts for v in vars(a).values())
    assert "hemligt-fel" not in stored


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, client, ldap_config,
                                                            demo_people):
    sign_in(client, "maria.nilsson", "demo")
    stolen = app.test_client()
    cookie = client.get_cookie("portal_session")
    stolen.set_cookie("portal_session", cookie.value)
    assert stolen.get("/").status_code == 200
    post_form(client, "/logga-ut", {}, token_from="/")
    assert client.get("/").status_code == 302
    assert stolen.get("/").status_code == 302


def test_deactivation_by_the_sync_ends_an_open_session(app, client, ldap_config, demo_people,
                                                       tmp_path):
    sign_in(client, "maria.nilsson", "demo")
    assert client.get("/").status_code == 200
    without_maria = tmp_path / "utan-maria.ldif"
    text = DEMO_LDIF.read_text(encoding="utf-8")
    blocks = [b for b in text.split("\n\n") if "uid: maria.nilsson\n" not in b]
    without_maria.write_text("\n\n".join(blocks), encoding="utf-8")
    plan = sync.run(LdifSource(without_maria), sync.SyncSettings.from_config(app.config))
    # One of 302 people is within the 5 % a night may deactivate.
    assert len(plan.deactivations) == 1
    assert client.get("/").status_code == 302


def test_signing_in_is_recorded_in_the_audit_log(client, ldap_config, demo_people):
    sign_in(client, "maria.nilsson", "demo")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "auth.signed_in")) == 1


def test_without_a_configured_directory_the_password_form_explains_itself(client, config):
    config(PORTAL_DEMO=False)
    response = client.get("/logga-in")
    assert "Inloggning mot katalogen är inte konfigurerad." in text_of(response)
