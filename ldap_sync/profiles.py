"""Attribute mappings per directory product, each overridable attribute by attribute."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

# Values of the kind attribute that mean each person kind; anything else is an employee.
DEFAULT_KIND_VALUES: dict[str, str] = {
    "employee": "employee", "anställd": "employee", "medarbetare": "employee",
    "consultant": "consultant", "konsult": "consultant", "contractor": "consultant",
    "elected": "elected", "förtroendevald": "elected", "politiker": "elected",
    "board": "board", "styrelseledamot": "board", "styrelse": "board",
}


@dataclass(frozen=True)
class Profile:
    """Which directory attribute holds which fact about a person."""

    name: str
    stable_id: str
    username: str
    display_name: tuple[str, ...]
    given_name: str
    surname: str
    mail: str
    title: str
    manager: str
    kind: str
    employee_number: str
    person_object_class: str
    group_object_class: str
    group_member: str
    # LDAP filter that selects people (PORTAL_LDAP_USER_FILTER overrides it).
    user_filter: str
    # None: the unit is the path of `ou` RDNs in the entry's DN.
    unit_attribute: str | None = None
    # "text": the stable id is a string; "guid": 16 bytes read as a little-endian GUID (AD).
    stable_id_format: str = "text"
    # Attribute on the person listing the groups they belong to (AD's memberOf); when
    # None, the configured groups are read and their member lists used instead.
    member_of: str | None = None
    # Attribute whose bit 2 marks a disabled account (AD's userAccountControl).
    account_control: str | None = None
    # Attribute naming the person's organization when PORTAL_LDAP_ORGANIZATIONS names none.
    organization_attribute: str | None = None
    # Other attributes a person may type as username when signing in.
    login_aliases: tuple[str, ...] = ()
    kind_values: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KIND_VALUES))

    @property
    def person_attributes(self) -> list[str]:
        """Attributes to request when searching for people."""
        names = [self.stable_id, self.username, *self.display_name, self.given_name,
                 self.surname, self.mail, self.title, self.manager, self.kind,
                 self.employee_number, "objectClass", *self.login_aliases]
        for optional in (self.unit_attribute, self.member_of, self.account_control,
                         self.organization_attribute):
            if optional:
                names.append(optional)
        return list(dict.fromkeys(names))


OPENLDAP = Profile(
    name="openldap",
    stable_id="entryuuid",
    username="uid",
    display_name=("displayname", "cn"),
    given_name="givenname",
    surname="sn",
    mail="mail",
    title="title",
    manager="manager",
    kind="employeetype",
    employee_number="employeenumber",
    person_object_class="inetorgperson",
    group_object_class="groupofnames",
    group_member="member",
    user_filter="(objectClass=inetOrgPerson)",
)

ACTIVE_DIRECTORY = Profile(
    name="ad",
    stable_id="objectguid",
    stable_id_format="guid",
    username="samaccountname",
    login_aliases=("userprincipalname",),
    display_name=("displayname", "cn"),
    given_name="givenname",
    surname="sn",
    mail="mail",
    title="title",
    manager="manager",
    kind="employeetype",
    employee_number="employeeid",
    person_object_class="user",
    group_object_class="group",
    group_member="member",
    # objectCategory keeps computer accounts (also objectClass user) out.
    user_filter="(&(objectCategory=person)(objectClass=user))",
    unit_attribute="department",
    # Large groups exceed AD's range retrieval limit on `member`; memberOf does not.
    member_of="memberof",
    account_control="useraccountcontrol",
    organization_attribute="company",
)

PROFILES = {p.name: p for p in (OPENLDAP, ACTIVE_DIRECTORY)}


def get_profile(name: str, overrides: dict[str, Any] | None = None) -> Profile:
    """The named profile with attribute overrides applied (names compared in lower case)."""
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown directory profile {name!r}; known: {sorted(PROFILES)}")
    changes: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key not in OVERRIDABLE:
            raise ValueError(f"unknown directory attribute setting {key!r}; known: "
                             f"{sorted(OVERRIDABLE)}")
        if key == "kind_values":
            changes[key] = {str(k).lower(): str(v) for k, v in value.items()}
        elif isinstance(value, (list, tuple)):
            changes[key] = tuple(str(v).lower() for v in value)
        elif key == "user_filter":
            changes[key] = str(value)
        else:
            changes[key] = None if value is None else str(value).lower()
    return replace(profile, **changes)


OVERRIDABLE = frozenset(f.name for f in fields(Profile)) - {"name"}
