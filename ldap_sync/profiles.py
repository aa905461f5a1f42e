"""Attribute mappings per directory product, each overridable attribute by attribute."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    # None: the unit is the path of `ou` RDNs in the entry's DN.
    unit_attribute: str | None = None
    kind_values: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KIND_VALUES))

    @property
    def person_attributes(self) -> list[str]:
        """Attributes to request when searching for people."""
        names = [self.stable_id, self.username, *self.display_name, self.given_name,
                 self.surname, self.mail, self.title, self.manager, self.kind,
                 self.employee_number, "objectClass"]
        if self.unit_attribute:
            names.append(self.unit_attribute)
        return names


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
)

PROFILES = {OPENLDAP.name: OPENLDAP}


def get_profile(name: str, overrides: dict[str, Any] | None = None) -> Profile:
    """The named profile with attribute overrides applied (names compared in lower case)."""
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown directory profile {name!r}; known: {sorted(PROFILES)}")
    changes: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key == "kind_values":
            changes[key] = {str(k).lower(): str(v) for k, v in value.items()}
        elif isinstance(value, (list, tuple)):
            changes[key] = tuple(str(v).lower() for v in value)
        else:
            changes[key] = None if value is None else str(value).lower()
    return replace(profile, **changes)
