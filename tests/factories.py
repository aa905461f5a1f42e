"""Small factories for test data: people and organizations in the database, LDIF text."""

from __future__ import annotations

import io
import itertools
import uuid

import ldif as ldif_module

from app.clock import utcnow
from app.extensions import db
from app.models import (
    GrantSource,
    Organization,
    OrganizationKind,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    Role,
    RoleGrant,
)

_numbers = itertools.count(1)


def create_organization(name: str = "Exempelby kommun",
                        kind: OrganizationKind = OrganizationKind.MUNICIPALITY) -> Organization:
    org = db.session.scalar(db.select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    return org


def create_unit(organization: Organization, path: str) -> OrgUnit:
    unit = OrgUnit(organization=organization, name=path.split(" / ")[-1], path=path)
    db.session.add(unit)
    db.session.flush()
    return unit


def create_person(username: str | None = None, *, display_name: str | None = None,
                  manager: Person | None = None, organization: Organization | None = None,
                  unit: OrgUnit | None = None, kind: PersonKind = PersonKind.EMPLOYEE,
                  active: bool = True, source: PersonSource = PersonSource.DIRECTORY,
                  title: str = "Handläggare") -> Person:
    n = next(_numbers)
    username = username or f"person{n}"
    person = Person(
        directory_id=str(uuid.uuid4()) if source == PersonSource.DIRECTORY else None,
        username=username, display_name=display_name or f"Person {n}", title=title,
        mail=f"{username}@exempelby.se", kind=kind, manager=manager,
        organization=organization or create_organization(), unit=unit, active=active,
        source=source, given_name="", surname="")
    person.refresh_search_text()
    db.session.add(person)
    db.session.flush()
    return person


def grant(person: Person, role: Role, organization: Organization | None = None) -> RoleGrant:
    role_grant = RoleGrant(person_id=person.id, role=role, organization=organization,
                           source=GrantSource.MANUAL, granted_at=utcnow())
    db.session.add(role_grant)
    db.session.flush()
    return role_grant


SUFFIX = "dc=exempelby,dc=se"


def ldif_person(uid: str, *, ou: str = "ou=IT-enheten,ou=Verksamhetsstöd",
                org: str = "Exempelby kommun", name: str | None = None,
                manager: str | None = None, kind: str = "employee",
                entry_uuid: str | None = None, title: str = "Handläggare") -> str:
    """One inetOrgPerson entry as LDIF text (UTF-8 values written plainly, as slapcat may)."""
    name = name or uid.replace(".", " ").title()
    given, _, surname = name.partition(" ")
    lines = [
        f"dn: uid={uid},{ou},o={org},{SUFFIX}",
        "objectClass: inetOrgPerson",
        f"entryUUID: {entry_uuid or uuid.uuid5(uuid.NAMESPACE_DNS, uid)}",
        f"uid: {uid}", f"cn: {name}", f"displayName: {name}", f"givenName: {given}",
        f"sn: {surname or given}", f"mail: {uid}@exempelby.se", f"title: {title}",
        f"o: {org}", f"employeeType: {kind}",
    ]
    if manager:
        lines.append(f"manager: {manager}")
    return "\n".join(lines) + "\n"


def ldif_group(cn: str, members: list[str]) -> str:
    lines = [f"dn: cn={cn},ou=Grupper,{SUFFIX}", "objectClass: groupOfNames", f"cn: {cn}"]
    lines += [f"member: {m}" for m in members]
    return "\n".join(lines) + "\n"


def ldif(*entries: str) -> str:
    """Entries joined into an LDIF document."""
    return "version: 1\n\n" + "\n".join(entries)


def dn(uid: str, ou: str = "ou=IT-enheten,ou=Verksamhetsstöd",
       org: str = "Exempelby kommun") -> str:
    return f"uid={uid},{ou},o={org},{SUFFIX}"


SERVICE_ACCOUNT = "cn=portal-sync,ou=Tjänstekonton," + SUFFIX
SERVICE_ACCOUNT_PASSWORD = "sync-test-2026"


def _container(dn_text: str) -> dict[str, list[bytes]]:
    attr, _, value = dn_text.split(",", 1)[0].partition("=")
    classes = {"dc": [b"top", b"dcObject", b"organization"], "o": [b"top", b"organization"],
               "ou": [b"top", b"organizationalUnit"]}[attr.lower()]
    entry = {"objectClass": classes, attr: [value.encode()]}
    if attr.lower() == "dc":
        entry["o"] = [b"Exempelby"]
    return entry


def directory_ldif(*entries: str) -> str:
    """A whole directory for slapadd: the entries, every parent they need, the service
    account the sync binds as, and ou=Grupper. Written by LDIFWriter, so non-ASCII
    values are base64 as RFC 2849 (and slapadd) require."""
    parsed = ldif_module.LDIFRecordList(io.StringIO(ldif(*entries)))
    parsed.parse()
    records = [(SERVICE_ACCOUNT, {"objectClass": [b"organizationalRole",
                                                  b"simpleSecurityObject"],
                                  "cn": [b"portal-sync"],
                                  "userPassword": [SERVICE_ACCOUNT_PASSWORD.encode()]}),
               *parsed.all_records]
    containers: dict[str, dict[str, list[bytes]]] = {}
    for record_dn, _attrs in [*records, (f"cn=x,ou=Grupper,{SUFFIX}", {})]:
        parent = record_dn.split(",", 1)[1]
        while True:
            containers.setdefault(parent, _container(parent))
            if parent == SUFFIX:
                break
            parent = parent.split(",", 1)[1]
    out = io.StringIO()
    writer = ldif_module.LDIFWriter(out)
    for container_dn in sorted(containers, key=lambda d: d.count(",")):
        if container_dn not in {r[0] for r in records}:
            writer.unparse(container_dn, containers[container_dn])
    for record_dn, attrs in records:
        writer.unparse(record_dn, attrs)
    return out.getvalue()
