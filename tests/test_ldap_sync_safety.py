"""The sync's safety stops and its DN handling, with plain data."""

from __future__ import annotations

import ldap.dn
import pytest

from ldap_sync.dn import normalize_dn, rdn_values
from ldap_sync.mapping import DirectoryPerson, DirectorySnapshot
from ldap_sync.organizations import OrganizationRef
from ldap_sync.reconcile import KnownPerson, Plan, desired_fields
from ldap_sync.safety import SyncRefused, check_deactivations, check_read

KOMMUN = OrganizationRef("Exempelby kommun", "municipality")
BOLAG = OrganizationRef("Exempelby Energi AB", "company")


def reference_normalize(dn: str) -> str:
    """The full RFC 4514 parse that the fast path must agree with."""
    parts = ldap.dn.str2dn(dn.strip())
    return ldap.dn.dn2str([[(a.lower(), v.strip().lower(), f) for a, v, f in rdn]
                           for rdn in parts])


@pytest.mark.parametrize("dn", [
    "uid=anna.berg,ou=IT-enheten,ou=Verksamhetsstöd,o=Exempelby kommun,dc=exempelby,dc=se",
    "UID=Anna.Berg, OU=IT-enheten , O=Exempelby Kommun,DC=exempelby,DC=se",
    "cn=Berg\\, Anna,ou=Personal,dc=ad,dc=exempelby,dc=se",
    'cn="Berg, Anna",ou=Personal,dc=ad',
    "cn=Anna+uid=anna,ou=Personal,dc=ad",
    "cn=\\#hash,dc=se",
    "cn=Åsa Öberg,ou=Östra,dc=se",
    "cn=a\\3Db,dc=se",
])
def test_fast_dn_normalisation_agrees_with_the_full_parser(dn):
    assert normalize_dn(dn) == reference_normalize(dn)


def test_rdn_values_are_read_from_plain_and_escaped_dns():
    assert rdn_values("uid=x,ou=A,ou=B,dc=se", "ou") == ["A", "B"]
    assert rdn_values("uid=x,ou=A\\, B,dc=se", "ou") == ["A, B"]


def person(n: int, org: OrganizationRef = KOMMUN) -> DirectoryPerson:
    dn = f"uid=p{n},o={org.name},dc=se"
    return DirectoryPerson(
        directory_id=str(n), dn=dn, dn_norm=normalize_dn(dn), username=f"p{n}",
        display_name=f"Person {n}", given_name="", surname="", mail=None, title="",
        employee_number=None, kind="employee", organization=org, unit_path=(),
        manager_dn_norm=None)


def known(people: list[DirectoryPerson]) -> list[KnownPerson]:
    return [KnownPerson(id=int(p.directory_id), directory_id=p.directory_id, is_local=False,
                        active=True, fields=desired_fields(p, None)) for p in people]


def plan_leaving(people: list[DirectoryPerson]) -> Plan:
    plan = Plan(deactivations=[int(p.directory_id) for p in people])
    plan.labels = {int(p.directory_id): (p.username, p.display_name) for p in people}
    return plan


def test_exactly_the_limit_passes_and_one_more_is_refused_with_names():
    everyone = [person(n) for n in range(100)]
    check_deactivations(plan_leaving(everyone[:5]), known(everyone), 0.05)
    with pytest.raises(SyncRefused) as refused:
        check_deactivations(plan_leaving(everyone[:30]), known(everyone), 0.05)
    message = str(refused.value)
    assert "30 av 100" in message and "Person 19 (p19)" in message
    assert "Person 20 (p20)" not in message and "och 10 till" in message


def test_an_organization_that_reads_empty_is_never_deactivated():
    kommun = [person(n) for n in range(10)]
    bolag = [person(n, BOLAG) for n in range(10, 13)]
    read = DirectorySnapshot(people={p.directory_id: p for p in kommun})
    with pytest.raises(SyncRefused, match="ingen person i Exempelby Energi AB"):
        check_read(read, known(kommun + bolag), plan_leaving(bolag), bases=[])
    with pytest.raises(SyncRefused, match="Sökbasen o=exempelby energi ab,dc=se"):
        check_read(read, known(kommun + bolag), plan_leaving(bolag),
                   bases=["o=Exempelby Energi AB,dc=se"])


def test_one_leaver_in_an_organization_that_still_reads_is_fine():
    kommun = [person(n) for n in range(10)]
    read = DirectorySnapshot(people={p.directory_id: p for p in kommun[1:]})
    check_read(read, known(kommun), plan_leaving(kommun[:1]), bases=["o=Exempelby kommun,dc=se"])
