"""The system register's own rules: creating and editing systems, who may do what, the
roles that follow from being owner or administrator, and the go-live rule."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import (
    ActionStatusChange,
    AuditEvent,
    Classification,
    InformationSystem,
    LifecycleStatus,
    Person,
    Role,
    SystemStatusChange,
)
from app.services import people
from tests.factories import (
    create_action_item,
    create_classification,
    create_organization,
    create_person,
    create_risk_analysis,
    create_system,
    create_unit,
    grant,
)
from tests.helpers import post_form, sign_in_as, text_of

REGISTER = "/systemregister/"
NEW = "/systemregister/nytt"

BOOLEAN_FIELDS = ("personal_data", "welfare_technology", "vital_service")


def post(client, path: str, data: dict, **kwargs):
    return post_form(client, path, data, token_from="/", **kwargs)


def signed_in(client, username: str, role: Role | None = None, **kwargs) -> Person:
    person = create_person(username, **kwargs)
    if role:
        grant(person, role)
    db.session.commit()
    sign_in_as(client, person.id)
    return person


def register_form(system: InformationSystem | None = None, **values: object) -> dict:
    """The register form as a browser sends it: the system's current values, then changes."""
    data: dict[str, object] = {
        "name": "", "organization_id": "", "unit_id": "", "owner": "", "administrators": "",
        "description": "", "supplier": "", "status": "in_use", "exception_reason": "",
        "notes": "", "personal_data": False, "welfare_technology": False,
        "vital_service": False}
    if system is not None:
        data.update({
            "name": system.name, "organization_id": system.organization_id,
            "unit_id": system.unit_id or "",
            "owner": system.owner.username if system.owner else "",
            "administrators": "\n".join(link.person.username
                                        for link in system.administrator_links),
            "description": system.description, "supplier": system.supplier,
            "status": system.status.value, "notes": system.notes,
            **{name: getattr(system, name) for name in BOOLEAN_FIELDS}})
    data.update(values)
    # An unticked checkbox is not sent at all.
    return {key: ("y" if value is True else value) for key, value in data.items()
            if value is not False}


def system_named(name: str) -> InformationSystem | None:
    return db.session.scalar(select(InformationSystem).where(InformationSystem.name == name)
                             .execution_options(populate_existing=True))


def reloaded(system: InformationSystem) -> InformationSystem:
    db.session.expire_all()
    return db.session.get(InformationSystem, system.id)


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def counts() -> tuple[int, int]:
    """Systems and audit events in the database."""
    return (db.session.scalar(select(func.count()).select_from(InformationSystem)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


def register_row(client, name: str) -> str:
    """The visible text of the system's row in the register."""
    page = text_of(client.get(f"{REGISTER}?q={name}"))
    assert f"{name} " in page, f"{name} is not in the register"
    return page[page.index(f"{name} "):]


# -- creating and editing --------------------------------------------------------------

def test_a_coordinator_registers_a_system_with_owner_and_administrators(client):
    coordinator = signed_in(client, "samordnare", Role.COORDINATOR)
    org = create_organization()
    owner = create_person("agnes.agare", display_name="Agnes Ägare")
    first = create_person("filip.forvaltare", display_name="Filip Förvaltare")
    second = create_person("fia.forvaltare", display_name="Fia Förvaltare")
    db.session.commit()
    assert Role.SYSTEM_OWNER not in people.roles_of(owner)

    response = post(client, NEW, register_form(
        name="Ärendehantering", organization_id=org.id, owner="agnes.agare",
        administrators="filip.forvaltare\nFIA.FORVALTARE@exempelby.se",
        supplier="Leverantören AB", personal_data=True))

    system = system_named("Ärendehantering")
    assert system is not None
    assert response.status_code == 303
    assert response.headers["Location"] == f"/system/{system.id}"
    assert system.owner_id == owner.id and system.personal_data
    assert {link.person_id for link in system.administrator_links} == {first.id, second.id}
    [event] = audit_events("system.created")
    assert (event.actor_id, event.object_type, event.object_id) == (
        coordinator.id, "system", str(system.id))
    assert event.details["owner"] == "agnes.agare"
    assert event.details["administrators"] == ["fia.forvaltare", "filip.forvaltare"]
    assert Role.SYSTEM_OWNER in people.roles_of(owner)
    assert Role.SYSTEM_ADMINISTRATOR in people.roles_of(first)
    assert Role.SYSTEM_ADMINISTRATOR in people.roles_of(second)
    assert Role.SYSTEM_OWNER not in people.roles_of(first)
    page = text_of(client.get(f"/system/{system.id}"))
    assert "Ärendehantering är registrerat." in page
    assert "Agnes Ägare" in page and "Fia Förvaltare" in page and "Filip Förvaltare" in page


def test_removing_the_last_assignment_removes_the_role(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    owner = create_person("agnes.agare")
    administrator = create_person("filip.forvaltare")
    other = create_person("olle.other")
    system = create_system("Lönesystem", owner=owner, administrators=(administrator,))
    second = create_system("Ekonomisystem", administrators=(other,))
    db.session.commit()
    assert Role.SYSTEM_OWNER in people.roles_of(owner)
    assert Role.SYSTEM_ADMINISTRATOR in people.roles_of(administrator)

    response = post(client, f"/system/{system.id}/redigera",
                    register_form(system, owner="", administrators="olle.other"))

    assert response.status_code == 303
    assert Role.SYSTEM_OWNER not in people.roles_of(owner)
    assert Role.SYSTEM_ADMINISTRATOR not in people.roles_of(administrator)
    assert Role.SYSTEM_ADMINISTRATOR in people.roles_of(other)
    [event] = audit_events("system.updated")
    assert event.details["changes"]["owner"] == ["agnes.agare", None]
    assert event.details["changes"]["administrators"] == [["filip.forvaltare"],
                                                          ["olle.other"]]
    # Still administrator of another system: the role stays until the last one goes.
    response = post(client, f"/system/{system.id}/redigera",
                    register_form(reloaded(system), administrators=""))
    assert response.status_code == 303
    assert Role.SYSTEM_ADMINISTRATOR in people.roles_of(other)
    post(client, f"/system/{second.id}/redigera", register_form(reloaded(second),
                                                                administrators=""))
    assert Role.SYSTEM_ADMINISTRATOR not in people.roles_of(other)


def test_retiring_a_system_removes_the_roles_but_keeps_the_system_and_its_history(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    owner = create_person("agnes.agare")
    administrator = create_person("filip.forvaltare")
    system = create_system("Gamla journalen", owner=owner, administrators=(administrator,))
    classification = create_classification(system, approved_on=date(2026, 2, 1))
    db.session.commit()

    response = post(client, f"/system/{system.id}/redigera",
                    register_form(system, status="retired"))

    assert response.status_code == 303
    assert Role.SYSTEM_OWNER not in people.roles_of(owner)
    assert Role.SYSTEM_ADMINISTRATOR not in people.roles_of(administrator)
    kept = reloaded(system)
    assert kept.status == LifecycleStatus.RETIRED
    assert kept.owner_id == owner.id and [link.person_id for link in
                                          kept.administrator_links] == [administrator.id]
    assert db.session.get(Classification, classification.id) is not None
    [change] = db.session.scalars(select(SystemStatusChange).where(
        SystemStatusChange.system_id == system.id))
    assert (change.from_status, change.to_status) == (LifecycleStatus.IN_USE,
                                                      LifecycleStatus.RETIRED)
    page = text_of(client.get(f"/system/{system.id}"))
    assert "Avvecklat" in page and "Klassning 2026-01-15" in page


def test_the_edit_form_is_filled_with_the_system_as_it_is(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    owner = create_person("agnes.agare")
    administrator = create_person("filip.forvaltare")
    system = create_system("Lönesystem", owner=owner, administrators=(administrator,),
                           supplier="Lön AB")
    db.session.commit()
    html = client.get(f"/system/{system.id}/redigera").get_data(as_text=True)
    assert 'value="Lönesystem"' in html and 'value="agnes.agare"' in html
    assert "filip.forvaltare</textarea>" in html and 'value="Lön AB"' in html
    assert '<option selected value="in_use">' in html


# -- who may do what -------------------------------------------------------------------

def test_an_employee_without_a_role_gets_403_and_an_unknown_system_404(client):
    owner = create_person("agnes.agare")
    system = create_system("Ekonomisystem", owner=owner)
    signed_in(client, "anna.anstalld")
    assert client.get(REGISTER).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.get("/systemregister.csv").status_code == 403
    assert post(client, NEW, register_form(name="Smygsystem",
                                           organization_id=system.organization_id)
                ).status_code == 403
    assert system_named("Smygsystem") is None
    assert client.get(f"/system/{system.id}").status_code == 403
    assert client.get(f"/system/{system.id}/redigera").status_code == 403
    assert post(client, f"/system/{system.id}/beskrivning",
                {"description-description": "Ändrad"}).status_code == 403
    assert reloaded(system).description == ""
    assert client.get("/system/999999").status_code == 404
    assert "Systemet finns inte." in text_of(client.get("/system/999999"))
    assert client.get("/system/999999/redigera").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    system = create_system("Ekonomisystem")
    db.session.commit()
    for path in (REGISTER, NEW, "/system/", f"/system/{system.id}"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/logga-in")


def test_a_coordinator_for_one_company_sees_only_its_systems(client):
    municipality = create_organization()
    company = create_organization("Exempelby Energi AB")
    create_system("Kommunens e-arkiv", organization=municipality)
    ours = create_system("Driftövervakning", organization=company)
    theirs = create_system("Skolplattform", organization=municipality)
    person = create_person("bolagets.samordnare", organization=company)
    grant(person, Role.COORDINATOR, organization=company)
    db.session.commit()
    sign_in_as(client, person.id)

    page = text_of(client.get(REGISTER))
    assert "Driftövervakning" in page
    assert "Kommunens e-arkiv" not in page and "Skolplattform" not in page
    assert "1 system matchar filtret." in page
    assert client.get(f"/system/{ours.id}").status_code == 200
    assert client.get(f"/system/{theirs.id}").status_code == 403
    assert client.get(f"/system/{theirs.id}/redigera").status_code == 403
    csv_text = client.get("/systemregister.csv").get_data().decode("utf-8-sig")
    assert "Driftövervakning" in csv_text and "Skolplattform" not in csv_text
    # The form offers only the company, and a forged organization is refused.
    html = client.get(NEW).get_data(as_text=True)
    assert "Exempelby Energi AB" in html and "Exempelby kommun" not in html


def test_a_company_coordinator_cannot_register_a_system_in_another_organization(client):
    municipality = create_organization()
    company = create_organization("Exempelby Energi AB")
    person = create_person("bolagets.samordnare", organization=company)
    grant(person, Role.COORDINATOR, organization=company)
    db.session.commit()
    sign_in_as(client, person.id)
    ours = create_system("Driftövervakning", organization=company)
    db.session.commit()
    before = counts()
    # The form offers only the company; a forged organization id is refused like any other.
    response = post(client, NEW, register_form(name="Smygsystem",
                                               organization_id=municipality.id))
    assert response.status_code == 422
    assert "Välj en organisation i listan." in text_of(response)
    assert system_named("Smygsystem") is None and counts() == before
    # Nor can the company's own system be moved out of the coordinator's reach.
    response = post(client, f"/system/{ours.id}/redigera",
                    register_form(ours, organization_id=municipality.id))
    assert response.status_code == 422
    assert "Välj en organisation i listan." in text_of(response)
    assert reloaded(ours).organization_id == company.id and counts() == before


def test_the_owner_changes_the_description_but_not_the_register(client):
    owner = signed_in(client, "agnes.agare", display_name="Agnes Ägare")
    administrator = create_person("filip.forvaltare")
    system = create_system("Ekonomisystem", owner=owner, administrators=(administrator,))
    db.session.commit()

    response = post(client, f"/system/{system.id}/beskrivning", {
        "description-description": "Bokföring och reskontra",
        "description-supplier": "Ekonomi AB", "description-notes": "Avtal till 2028"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/system/{system.id}#facts"
    kept = reloaded(system)
    assert (kept.description, kept.supplier, kept.notes) == (
        "Bokföring och reskontra", "Ekonomi AB", "Avtal till 2028")
    [event] = audit_events("system.updated")
    assert event.actor_id == owner.id
    assert event.details["changes"]["supplier"] == ["", "Ekonomi AB"]
    page = text_of(client.get(f"/system/{system.id}"))
    assert "Beskrivningen är sparad." in page and "Bokföring och reskontra" in page
    assert "Ändra uppgifter och status" not in page

    assert client.get(f"/system/{system.id}/redigera").status_code == 403
    response = post(client, f"/system/{system.id}/redigera",
                    register_form(system, name="Omdöpt", owner=""))
    assert response.status_code == 403
    assert reloaded(system).name == "Ekonomisystem"
    assert client.get(REGISTER).status_code == 403


def test_an_administrator_cannot_change_the_description(app, client):
    owner = create_person("agnes.agare")
    administrator = signed_in(client, "filip.forvaltare")
    system = create_system("Ekonomisystem", owner=owner, administrators=(administrator,))
    db.session.commit()
    assert client.get(f"/system/{system.id}").status_code == 200
    response = post(client, f"/system/{system.id}/beskrivning",
                    {"description-description": "Ändrad av förvaltaren"})
    assert response.status_code == 403
    assert reloaded(system).description == ""
    assert not audit_events("system.updated")
    assert client.get(f"/system/{system.id}/redigera").status_code == 403


# -- bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("case,message", [
    ("empty name", "Fyll i namn."),
    ("duplicate name", "Exempelby kommun har redan ett system som heter EKONOMISYSTEM."),
    ("unknown owner", "Ingen aktiv person har användarnamnet eller e-postadressen finns.inte."),
    ("deactivated owner",
     "Sven Slutat (sven.slutat) är avaktiverad och kan inte ansvara för ett system."),
    ("deactivated administrator",
     "Sven Slutat (sven.slutat) är avaktiverad och kan inte ansvara för ett system."),
    ("unit of another organization", "Välj en verksamhet som hör till Exempelby kommun."),
    ("no organization", "Välj en organisation i listan."),
    ("unknown status", "Välj en status i listan."),
])
def test_bad_input_is_refused_in_swedish_and_nothing_is_saved(client, case, message):
    signed_in(client, "samordnare", Role.COORDINATOR)
    org = create_organization()
    company = create_organization("Exempelby Energi AB")
    company_unit = create_unit(company, "Elnät")
    create_person("agnes.agare")
    create_person("sven.slutat", display_name="Sven Slutat", active=False)
    create_system("Ekonomisystem", organization=org)
    db.session.commit()
    data = register_form(name="Nytt system", organization_id=org.id, owner="agnes.agare")
    data.update({
        "empty name": {"name": "   "},
        "duplicate name": {"name": "EKONOMISYSTEM"},
        "unknown owner": {"owner": "finns.inte"},
        "deactivated owner": {"owner": "sven.slutat"},
        "deactivated administrator": {"administrators": "agnes.agare\nsven.slutat"},
        "unit of another organization": {"unit_id": company_unit.id},
        "no organization": {"organization_id": ""},
        "unknown status": {"status": "lost"},
    }[case])
    before = counts()

    response = post(client, NEW, data)

    assert response.status_code == 422
    assert message in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert counts() == before
    assert system_named("Nytt system") is None


def test_the_same_name_is_allowed_in_another_organization_and_after_retirement(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    org = create_organization()
    company = create_organization("Exempelby Energi AB")
    create_system("Ekonomisystem", organization=org)
    create_system("Arkiv", organization=org, status="retired")
    db.session.commit()
    assert post(client, NEW, register_form(name="Ekonomisystem", organization_id=company.id)
                ).status_code == 303
    assert post(client, NEW, register_form(name="Arkiv", organization_id=org.id)
                ).status_code == 303


def test_a_refused_edit_changes_nothing(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    owner = create_person("agnes.agare")
    system = create_system("Ekonomisystem", owner=owner)
    create_system("Lönesystem", organization=system.organization)
    db.session.commit()
    before = counts()
    response = post(client, f"/system/{system.id}/redigera", register_form(
        system, name="Lönesystem", supplier="Ny leverantör", owner=""))
    assert response.status_code == 422
    assert "Exempelby kommun har redan ett system som heter Lönesystem." in text_of(response)
    kept = reloaded(system)
    assert (kept.name, kept.supplier, kept.owner_id) == ("Ekonomisystem", "", owner.id)
    assert counts() == before


# -- the go-live rule ------------------------------------------------------------------

def test_a_system_in_procurement_cannot_go_live_without_classification_and_analysis(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    system = create_system("Nytt ärendesystem", status="procurement")
    db.session.commit()
    before = counts()

    response = post(client, f"/system/{system.id}/redigera",
                    register_form(system, status="in_use"))

    assert response.status_code == 422
    assert ("Nytt ärendesystem kan inte sättas i drift utan en godkänd informationsklassning "
            "och en riskanalys. Registrera dem först, eller ange skälet till ett undantag."
            ) in text_of(response)
    assert reloaded(system).status == LifecycleStatus.PROCUREMENT
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(SystemStatusChange)) == 0


def test_only_what_is_missing_is_named(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    owner = create_person("agnes.agare")
    system = create_system("Nytt ärendesystem", status="planned", owner=owner)
    create_classification(system, approved_on=date(2026, 2, 1))
    db.session.commit()
    response = post(client, f"/system/{system.id}/redigera",
                    register_form(system, status="in_use"))
    assert response.status_code == 422
    page = text_of(response)
    assert "Nytt ärendesystem kan inte sättas i drift utan en riskanalys." in page
    assert "godkänd informationsklassning" not in page
    # An unapproved newer classification is not an approved one.
    create_risk_analysis(system)
    create_classification(system, (3, 3, 3, 3))
    db.session.commit()
    response = post(client, f"/system/{system.id}/redigera",
                    register_form(system, status="in_use"))
    assert response.status_code == 422
    assert ("Nytt ärendesystem kan inte sättas i drift utan en godkänd informationsklassning."
            in text_of(response))


def test_an_exception_lets_the_system_go_live_and_its_reason_is_kept(client):
    coordinator = signed_in(client, "samordnare", Role.COORDINATOR,
                            display_name="Sam Samordnare")
    system = create_system("Nytt ärendesystem", status="procurement")
    db.session.commit()
    reason = "Avtalet med den gamla leverantören upphör; klassning bokad till mars."

    response = post(client, f"/system/{system.id}/redigera",
                    register_form(system, status="in_use", exception_reason=reason))

    assert response.status_code == 303
    assert reloaded(system).status == LifecycleStatus.IN_USE
    [change] = db.session.scalars(select(SystemStatusChange).where(
        SystemStatusChange.system_id == system.id))
    assert (change.from_status, change.to_status) == (LifecycleStatus.PROCUREMENT,
                                                      LifecycleStatus.IN_USE)
    assert change.exception_reason == reason and change.changed_by_id == coordinator.id
    [event] = audit_events("system.status_changed")
    assert event.details == {"from": "procurement", "to": "in_use",
                             "exception_reason": reason}
    page = text_of(client.get(f"/system/{system.id}"))
    assert "Under upphandling → I drift (Sam Samordnare)" in page
    assert f"Undantag: {reason}" in page


def test_welfare_technology_with_approved_classification_and_analysis_goes_live(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    owner = create_person("agnes.agare")
    system = create_system("Trygghetslarm", status="planned", welfare_technology=True,
                           owner=owner)
    create_classification(system, approved_on=date(2026, 2, 1))
    create_risk_analysis(system, ((2, 3),))
    db.session.commit()

    response = post(client, f"/system/{system.id}/redigera",
                    register_form(system, status="in_use"))

    assert response.status_code == 303
    assert reloaded(system).status == LifecycleStatus.IN_USE
    [change] = db.session.scalars(select(SystemStatusChange).where(
        SystemStatusChange.system_id == system.id))
    assert change.exception_reason is None
    [event] = audit_events("system.status_changed")
    assert event.details["exception_reason"] is None


def test_welfare_technology_cannot_be_registered_directly_in_use(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    org = create_organization()
    db.session.commit()
    before = counts()
    response = post(client, NEW, register_form(
        name="Digital tillsyn", organization_id=org.id, welfare_technology=True,
        status="in_use"))
    assert response.status_code == 422
    assert "Digital tillsyn kan inte sättas i drift utan en godkänd informationsklassning " \
           "och en riskanalys." in text_of(response)
    assert counts() == before
    # With a reason it is registered, and the exception is on record.
    response = post(client, NEW, register_form(
        name="Digital tillsyn", organization_id=org.id, welfare_technology=True,
        status="in_use", exception_reason="Övertaget från regionen i drift."))
    assert response.status_code == 303
    system = system_named("Digital tillsyn")
    [change] = db.session.scalars(select(SystemStatusChange).where(
        SystemStatusChange.system_id == system.id))
    assert (change.from_status, change.to_status) == (None, LifecycleStatus.IN_USE)
    assert change.exception_reason == "Övertaget från regionen i drift."


def test_an_ordinary_system_can_be_registered_in_use_without_exception(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    org = create_organization()
    db.session.commit()
    response = post(client, NEW, register_form(name="Befintligt system",
                                               organization_id=org.id, status="in_use"))
    assert response.status_code == 303
    [change] = db.session.scalars(select(SystemStatusChange))
    assert change.exception_reason is None and change.to_status == LifecycleStatus.IN_USE


# -- people who leave ------------------------------------------------------------------

def test_a_deactivated_owner_or_administrator_is_flagged_in_the_register(client):
    signed_in(client, "samordnare", Role.COORDINATOR)
    owner = create_person("agnes.agare", display_name="Agnes Ägare")
    administrator = create_person("filip.forvaltare", display_name="Filip Förvaltare")
    system = create_system("Ekonomisystem", owner=owner, administrators=(administrator,))
    db.session.commit()
    row = register_row(client, "Ekonomisystem")
    assert "Saknar ägare" not in row and "Saknar förvaltare" not in row
    assert "Agnes Ägare" in row and "Filip Förvaltare" in row

    owner.active = False
    db.session.flush()
    db.session.commit()
    row = register_row(client, "Ekonomisystem")
    assert "Saknar ägare" in row and "Agnes Ägare (avaktiverad)" in row
    assert "Saknar förvaltare" not in row

    administrator.active = False
    db.session.flush()
    db.session.commit()
    row = register_row(client, "Ekonomisystem")
    assert "Saknar ägare" in row and "Saknar förvaltare" in row
    assert "Filip Förvaltare" not in row
    page = text_of(client.get(f"/system/{system.id}"))
    assert "Agnes Ägare (avaktiverad – systemet saknar ägare)" in page
    assert "Filip Förvaltare (avaktiverad)" in page
    assert "1 system matchar filtret." in text_of(client.get(f"{REGISTER}?saknar_ansvarig=1"))


# -- history that cannot be changed ----------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE system_status_change SET exception_reason = 'ändrat i efterhand'",
    "DELETE FROM system_status_change",
    "UPDATE action_status_change SET note = 'ändrat i efterhand'",
    "DELETE FROM action_status_change",
])
def test_status_histories_cannot_be_altered_in_the_database(app, statement):
    actor = create_person("samordnare")
    system = create_system("Ekonomisystem")
    db.session.add(SystemStatusChange(system_id=system.id, from_status=None,
                                      to_status=LifecycleStatus.IN_USE,
                                      exception_reason="Skäl", changed_at=datetime(2026, 1, 1),
                                      changed_by_id=actor.id))
    create_action_item(system)
    db.session.flush()

    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text(statement))

    assert db.session.scalar(select(func.count()).select_from(SystemStatusChange)) == 1
    assert db.session.scalar(select(SystemStatusChange.exception_reason)) == "Skäl"
    assert db.session.scalar(select(func.count()).select_from(ActionStatusChange)) == 1
    assert db.session.scalar(select(ActionStatusChange.note)) == ""
