"""The `ad` profile over the wire: a slapd that holds Active Directory-shaped accounts.

tests/ad.schema gives the test slapd AD's attributes (objectGUID as 16 raw bytes,
sAMAccountName, userAccountControl, memberOf, company, department), so the mapping is
exercised exactly as it would be against a domain controller's LDAP interface.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Person, PersonKind, Role, RoleGrant, SyncChange
from app.services import directory
from ldap_sync import sync
from tests.ad_directory import (
    AD_SCHEMA,
    AD_SERVICE_DN,
    AD_SERVICE_PASSWORD,
    AD_SUFFIX,
    ad_base_entries,
    ad_dn,
    ad_group,
    ad_guid,
    ad_ldif,
    ad_user,
)
from tests.helpers import post_form, text_of
from tests.slapd import SlapdServer, start_slapd

COORDINATORS = f"cn=LIS-samordnare,ou=Grupper,{AD_SUFFIX}"
ENERGI = "Exempelby Energi AB"


def ad_sync(app) -> sync.Plan:
    return sync.run(directory.sync_source(app.config), sync.SyncSettings.from_config(app.config))


def person(username: str) -> Person:
    return db.session.scalars(select(Person).where(Person.username == username)).one()


def is_coordinator(person_id: int) -> bool:
    return db.session.scalar(select(RoleGrant.id).where(
        RoleGrant.person_id == person_id, RoleGrant.role == Role.COORDINATOR,
        RoleGrant.revoked_at.is_(None))) is not None


@pytest.fixture
def ad(tmp_path, config) -> Iterator[SlapdServer]:
    eva = ad_dn("Eva Chef")
    server = start_slapd(tmp_path / "ad", AD_SUFFIX, extra_schemas=(AD_SCHEMA,), ldif_text=ad_ldif(
        ad_base_entries(),
        ad_user("eva.chef", name="Eva Chef", title="Sektorchef",
                department="Socialtjänst / Äldreomsorg"),
        ad_user("anna.berg", name="Anna Berg", manager=eva, member_of=[COORDINATORS],
                department="Socialtjänst / Äldreomsorg / Hemtjänst Norr"),
        ad_user("ola.öst", name="Ola Öst", disabled=True),
        ad_user("kim.konsult", name="Kim Konsult", company=ENERGI, department="Drift",
                kind="konsult"),
        ad_group("LIS-samordnare", [ad_dn("Anna Berg")]),
    ))
    # AD's own default filter needs objectCategory, which the test schema leaves out.
    config(LDAP_PROFILE="ad", LDAP_URL=server.url, LDAP_BIND_DN=AD_SERVICE_DN,
           LDAP_BIND_PASSWORD=AD_SERVICE_PASSWORD, LDAP_BASE_DNS=[f"ou=Personal,{AD_SUFFIX}"],
           LDAP_USER_FILTER="(objectClass=user)", LDAP_LDIF="",
           LDAP_ORGANIZATIONS={"organizations": {"Exempelby kommun": "municipality",
                                                 ENERGI: "company"}},
           LDAP_COORDINATOR_GROUP=COORDINATORS, LDAP_ADMIN_GROUP="")
    yield server
    server.stop()


def test_ad_accounts_map_guid_names_company_department_and_groups(app, ad):
    plan = ad_sync(app)
    assert len(plan.creates) == 4 and not plan.unresolved_managers
    anna = person("anna.berg")
    # objectGUID's 16 bytes, read little-endian as AD writes GUIDs.
    assert anna.directory_id == str(ad_guid("anna.berg"))
    assert anna.display_name == "Anna Berg" and anna.mail == "anna.berg@exempelby.se"
    assert anna.organization.name == "Exempelby kommun"
    assert anna.unit.path == "Socialtjänst / Äldreomsorg / Hemtjänst Norr"
    assert anna.manager.username == "eva.chef"
    assert is_coordinator(anna.id)  # from memberOf, without reading the group's members
    kim = person("kim.konsult")
    assert kim.organization.name == ENERGI and kim.kind == PersonKind.CONSULTANT
    assert kim.organization.kind.value == "company"


def test_a_disabled_account_is_read_and_kept_inactive_not_treated_as_gone(app, ad):
    ad_sync(app)
    ola = person("ola.öst")
    assert not ola.active and ola.deactivated_at is not None
    plan = ad_sync(app)
    assert plan.is_empty  # neither new nor departed, night after night


def test_disabling_and_re_enabling_an_account(app, ad, config):
    # One of three people is far above the nightly 5 %; this small directory allows it.
    config(SYNC_MAX_DEACTIVATE_PERCENT=50)
    ad_sync(app)
    anna_id = person("anna.berg").id
    ad.modify_replace(ad_dn("Anna Berg"), {"userAccountControl": [b"514"]})
    ad_sync(app)
    anna = db.session.get(Person, anna_id)
    assert not anna.active and not is_coordinator(anna_id)

    ad.modify_replace(ad_dn("Anna Berg"), {"userAccountControl": [b"512"]})
    ad_sync(app)
    anna = db.session.get(Person, anna_id)
    assert anna.active and anna.deactivated_at is None and is_coordinator(anna_id)
    history = db.session.scalars(select(SyncChange.change).where(
        SyncChange.person_id == anna_id).order_by(SyncChange.id))
    assert list(history) == ["created", "role-granted", "deactivated", "role-revoked",
                             "reactivated", "role-granted"]


def test_a_renamed_account_keeps_its_guid_and_its_person(app, ad):
    ad_sync(app)
    anna_id = person("anna.berg").id
    ad.rename(ad_dn("Anna Berg"), "cn=Anna Lind")
    ad.modify_replace(ad_dn("Anna Lind"), {"sAMAccountName": [b"anna.lind"],
                                           "displayName": [b"Anna Lind"]})
    plan = ad_sync(app)
    assert not plan.creates and not plan.deactivations
    anna = db.session.get(Person, anna_id)
    assert (anna.username, anna.display_name) == ("anna.lind", "Anna Lind")


def test_sign_in_with_the_user_principal_name_or_the_account_name(app, ad, client):
    ad_sync(app)
    response = post_form(client, "/logga-in", {"username": "anna.berg@exempelby.se",
                                               "password": "demo"})
    assert response.status_code == 303
    assert "Anna Berg" in text_of(client.get("/"))
    other = app.test_client()
    response = post_form(other, "/logga-in", {"username": "ola.öst", "password": "demo"})
    assert "Ditt konto är inte aktivt" in text_of(response)
