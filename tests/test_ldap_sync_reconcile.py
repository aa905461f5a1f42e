"""The pure middle of the directory sync, tested with plain data (no LDAP, no database)."""

from __future__ import annotations

from dataclasses import replace

from ldap_sync.mapping import DirectoryPerson, DirectorySnapshot
from ldap_sync.organizations import OrganizationMap, OrganizationRef
from ldap_sync.reconcile import KnownGrant, KnownPerson, desired_fields, reconcile

KOMMUN = OrganizationRef("Exempelby kommun", "municipality")


def person(directory_id: str, username: str, manager_dn: str | None = None,
           title: str = "Handläggare") -> DirectoryPerson:
    dn = f"uid={username},ou=IT,o=Exempelby kommun"
    return DirectoryPerson(
        directory_id=directory_id, dn=dn, dn_norm=dn.lower(), username=username,
        display_name=username.title(), given_name="", surname="", mail=None, title=title,
        employee_number=None, kind="employee", organization=KOMMUN, unit_path=("IT",),
        manager_dn_norm=manager_dn)


def snapshot(*people: DirectoryPerson, groups: dict[str, set[str]] | None = None):
    return DirectorySnapshot(people={p.directory_id: p for p in people},
                             group_members=groups or {})


def known(person_id: int, p: DirectoryPerson, active: bool = True,
          manager: str | None = None) -> KnownPerson:
    return KnownPerson(id=person_id, directory_id=p.directory_id, is_local=False,
                       active=active, fields=desired_fields(p, manager))


def test_new_people_are_created_and_their_manager_resolved_by_dn():
    boss = person("b", "boss")
    worker = person("w", "worker", manager_dn=boss.dn_norm)
    plan = reconcile(snapshot(boss, worker), [], [], {})
    assert {p.username for p in plan.creates} == {"boss", "worker"}
    assert plan.desired["w"]["manager"] == "b"
    assert plan.unresolved_managers == []


def test_a_manager_dn_that_matches_nobody_is_reported_not_fatal():
    worker = person("w", "worker", manager_dn="uid=gone,ou=it,o=exempelby kommun")
    plan = reconcile(snapshot(worker), [], [], {})
    assert [p.username for p, _ in plan.unresolved_managers] == ["worker"]
    assert plan.desired["w"]["manager"] is None
    assert len(plan.creates) == 1


def test_unchanged_people_give_an_empty_plan():
    a = person("a", "anna")
    plan = reconcile(snapshot(a), [known(1, a)], [], {})
    assert plan.is_empty


def test_a_changed_title_is_an_update_of_the_same_person():
    before = person("a", "anna", title="Handläggare")
    after = person("a", "anna", title="Enhetschef")
    plan = reconcile(snapshot(after), [known(1, before)], [], {})
    assert [(pid, changes) for pid, _, changes in plan.updates] == [
        (1, {"title": ("Handläggare", "Enhetschef")})]
    assert not plan.creates


def test_a_renamed_username_updates_the_person_with_the_same_stable_id():
    before, after = person("a", "anna"), person("a", "anna.berg")
    plan = reconcile(snapshot(after), [known(1, before)], [], {})
    assert not plan.creates
    assert plan.updates[0][2]["username"] == ("anna", "anna.berg")


def test_people_missing_from_a_full_read_are_deactivated_but_not_from_a_partial_one():
    a, b = person("a", "anna"), person("b", "bo")
    full = reconcile(snapshot(a), [known(1, a), known(2, b)], [], {})
    assert full.deactivations == [2]
    partial = reconcile(snapshot(a), [known(1, a), known(2, b)], [], {}, full_read=False)
    assert partial.deactivations == []


def test_local_people_are_never_touched_by_the_sync():
    local = KnownPerson(id=9, directory_id=None, is_local=True, active=True, fields={})
    plan = reconcile(snapshot(person("a", "anna")), [local], [], {})
    assert 9 not in plan.deactivations
    assert all(pid != 9 for pid, _, _ in plan.updates)


def test_a_returning_person_is_reactivated():
    a = person("a", "anna")
    plan = reconcile(snapshot(a), [known(1, a, active=False)], [], {})
    assert plan.reactivations == [1]


def test_group_membership_grants_and_revokes_roles():
    a, b = person("a", "anna"), person("b", "bo")
    group = "cn=lis-samordnare,ou=grupper"
    plan = reconcile(snapshot(a, b, groups={group: {a.dn_norm}}),
                     [known(1, a), known(2, b)],
                     [KnownGrant(id=7, person_id=2, role="coordinator")],
                     {group: "coordinator"})
    assert plan.grants_to_add == [("a", "coordinator")]
    assert [g.id for g in plan.grants_to_revoke] == [7]


def test_organization_from_base_wins_over_attribute_and_unknown_names_are_companies():
    orgs = OrganizationMap({
        "attribute": "o",
        "organizations": {"Exempelby kommun": "municipality"},
        "bases": {"ou=Bostäder,dc=exempelby,dc=se": {"name": "Exempelby Bostäder AB",
                                                     "kind": "company"}},
    })
    in_base = orgs.resolve("uid=x,ou=bostäder,dc=exempelby,dc=se", {"o": [b"Fel AB"]})
    assert in_base == OrganizationRef("Exempelby Bostäder AB", "company")
    by_attribute = orgs.resolve("uid=y,dc=exempelby,dc=se", {"o": [b"Exempelby kommun"]})
    assert by_attribute == OrganizationRef("Exempelby kommun", "municipality")
    unknown = orgs.resolve("uid=z,dc=exempelby,dc=se", {"o": [b"Exempelby Vatten AB"]})
    assert unknown == OrganizationRef("Exempelby Vatten AB", "company")


def disabled(p: DirectoryPerson) -> DirectoryPerson:
    return replace(p, disabled=True)


def test_a_disabled_account_is_deactivated_and_loses_its_group_role_but_is_not_new():
    anna = person("a", "anna")
    group = "cn=lis-samordnare"
    before = [known(1, anna)]
    grants = [KnownGrant(id=7, person_id=1, role="coordinator")]
    plan = reconcile(snapshot(disabled(anna), groups={group: {anna.dn_norm}}), before, grants,
                     {group: "coordinator"})
    assert plan.deactivations == [1] and not plan.creates
    assert [g.id for g in plan.grants_to_revoke] == [7] and not plan.grants_to_add


def test_re_enabling_reactivates_and_an_unchanged_person_is_counted():
    anna, lars = person("a", "anna"), person("l", "lars")
    plan = reconcile(snapshot(anna, lars), [known(1, anna, active=False), known(2, lars)], [], {})
    assert plan.reactivations == [1] and plan.unchanged == 1 and plan.is_empty is False
    assert plan.labels[1] == ("anna", "Anna")


def test_an_already_inactive_disabled_account_changes_nothing():
    anna = person("a", "anna")
    plan = reconcile(snapshot(disabled(anna)), [known(1, anna, active=False)], [], {})
    assert plan.is_empty and plan.unchanged == 1
