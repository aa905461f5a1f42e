"""Small factories for test data: people and organizations in the database, LDIF text."""

from __future__ import annotations

import io
import itertools
import uuid
from datetime import date, datetime, timedelta

import ldif as ldif_module

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    ActionPlanItem,
    ActionStatus,
    ActionStatusChange,
    ChangeKind,
    Classification,
    Document,
    DocumentVersion,
    GrantSource,
    InformationSystem,
    LifecycleStatus,
    Organization,
    OrganizationKind,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    ProofMethod,
    Risk,
    RiskAnalysis,
    Role,
    RoleGrant,
    SystemAdministrator,
    Training,
)
from app.services.trainings import period_label

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


def create_system(name: str | None = None, *, organization: Organization | None = None,
                  owner: Person | None = None, administrators: tuple[Person, ...] = (),
                  status: str = "in_use", welfare_technology: bool = False,
                  personal_data: bool = False, unit: OrgUnit | None = None,
                  supplier: str = "") -> InformationSystem:
    """A system in the register, written directly (no audit event, no go-live rule)."""
    now = utcnow()
    system = InformationSystem(
        name=name or f"System {next(_numbers)}", organization=organization or
        create_organization(), owner=owner, status=LifecycleStatus(status),
        welfare_technology=welfare_technology, personal_data=personal_data, unit=unit,
        supplier=supplier, description="", notes="", created_at=now, updated_at=now)
    system.refresh_search_text()
    system.administrator_links = [SystemAdministrator(person=p) for p in administrators]
    db.session.add(system)
    db.session.flush()
    return system


def create_classification(system: InformationSystem,
                          levels: tuple[int, int, int, int] = (2, 2, 1, 1), *,
                          classified_on: date | None = None,
                          approved_on: date | None = None,
                          approved_by: Person | None = None) -> Classification:
    """A classification, approved when approved_on is given."""
    c, i, a, t = levels
    classification = Classification(
        system_id=system.id, classified_on=classified_on or date(2026, 1, 15),
        klassa_version="KLASSA 2.0", participants=["Förvaltare", "Ägare"], confidentiality=c,
        integrity=i, availability=a, traceability=t, notes="", recorded_at=utcnow(),
        approved_on=approved_on, approved_at=utcnow() if approved_on else None,
        approved_by_id=(approved_by or system.owner).id if approved_on and
        (approved_by or system.owner) else None)
    db.session.add(classification)
    db.session.flush()
    return classification


def create_risk_analysis(system: InformationSystem, risks: tuple[tuple[int, int], ...] = (),
                         *, performed_on: date | None = None,
                         approved_on: date | None = None) -> RiskAnalysis:
    """A risk analysis with risks given as (likelihood, consequence)."""
    analysis = RiskAnalysis(
        system_id=system.id, performed_on=performed_on or date(2026, 2, 1),
        method="MSB riskanalys", participants=["Förvaltare"], summary="", links=[],
        recorded_at=utcnow(), approved_on=approved_on,
        approved_at=utcnow() if approved_on else None)
    analysis.risks = [Risk(description=f"Risk {n}", likelihood=likelihood,
                           consequence=consequence)
                      for n, (likelihood, consequence) in enumerate(risks, 1)]
    db.session.add(analysis)
    db.session.flush()
    return analysis


def create_action_item(system: InformationSystem, *, due_on: date | None = None,
                       status: str = "open", description: str = "Åtgärd",
                       responsible: Person | None = None) -> ActionPlanItem:
    """An action plan item with its opening status change."""
    now = utcnow()
    item = ActionPlanItem(system_id=system.id, description=description,
                          due_on=due_on or date(2027, 6, 30), status=ActionStatus(status),
                          responsible=responsible, created_at=now)
    item.changes = [ActionStatusChange(from_status=None, to_status=ActionStatus(status),
                                       changed_at=now)]
    db.session.add(item)
    db.session.flush()
    return item


def create_systems_in_bulk(count: int, *, organization: Organization,
                           prefix: str = "Bulksystem", owner: Person | None = None,
                           administrators: tuple[Person, ...] = ()
                           ) -> list[InformationSystem]:
    """Many systems at once, added in one flush (for the register's size tests)."""
    now = utcnow()
    systems = []
    for n in range(count):
        system = InformationSystem(
            name=f"{prefix} {n:04d}", organization=organization, owner=owner,
            status=LifecycleStatus.IN_USE, description="", supplier="", notes="",
            created_at=now, updated_at=now)
        system.refresh_search_text()
        system.administrator_links = [SystemAdministrator(person=p) for p in administrators]
        systems.append(system)
    db.session.add_all(systems)
    db.session.flush()
    return systems


def create_document(title: str = "Informationssäkerhetspolicy", *,
                    organization: Organization | None = None, audience: dict | None = None,
                    body: str = "# Syfte\n\nAlla ska skydda informationen.", kind: str = "policy",
                    requires_acknowledgement: bool = True, acknowledgement_days: int = 30,
                    published_at: datetime | None = None, number: str = "1",
                    decision_date: date = date(2026, 1, 20)) -> Document:
    """A document with one published version, written directly (no audit event).

    Without an audience it applies to everyone in its organization.
    """
    from app.text import fold

    organization = organization or create_organization()
    now = utcnow()
    document = Document(
        title=title, kind=kind, organization_id=organization.id,
        audience=audience if audience is not None else {"organization_ids": [organization.id]},
        requires_acknowledgement=requires_acknowledgement, review_interval_months=12,
        acknowledgement_days=acknowledgement_days, search_text=fold(f"{title} {body}"),
        created_at=now, withdrawal_reason="")
    db.session.add(document)
    db.session.flush()
    publish_version(document, body, number=number, published_at=published_at,
                    decision_date=decision_date)
    return document


def publish_version(document: Document, body: str, *, number: str,
                    change_kind: ChangeKind = ChangeKind.MAJOR,
                    published_at: datetime | None = None,
                    decision_date: date = date(2026, 1, 20)) -> DocumentVersion:
    """A further published version of the document, written fully formed (it is frozen)."""
    from app.services.markdown_render import sha256_of

    sequence = len([v for v in document.versions if v.sequence is not None]) + 1
    moment = published_at or utcnow() - timedelta(days=1)
    version = DocumentVersion(
        document_id=document.id, number=number, body=body, change_kind=change_kind,
        change_summary="" if sequence == 1 else "Ändrad", decided_by="Kommunfullmäktige",
        decision_date=decision_date, reference="KS 2026/1", valid_from=decision_date,
        sequence=sequence, sha256=sha256_of(body), created_at=moment, updated_at=moment,
        published_at=moment)
    db.session.add(version)
    db.session.flush()
    db.session.refresh(document)
    return version


def create_training(title: str = "Informationssäkerhet för alla", *,
                    organization: Organization, audience: dict | None = None,
                    proof: ProofMethod = ProofMethod.BOTH, starts_on: date | None = None,
                    ends_on: date | None = None, due_on: date | None = None,
                    description: str = "", link: str = "") -> Training:
    """A training written directly (no audit event): by default for everyone in the
    organization, in a period running now, due in two months."""
    starts_on = starts_on or today() - timedelta(days=200)
    ends_on = ends_on or today() + timedelta(days=165)
    now = utcnow()
    training = Training(
        title=title, description=description, link=link, organization_id=organization.id,
        period_starts_on=starts_on, period_ends_on=ends_on,
        period_label=period_label(starts_on, ends_on),
        due_on=due_on or today() + timedelta(days=60),
        audience=audience if audience is not None else {"organization_ids": [organization.id]},
        proof=proof, created_at=now, updated_at=now)
    db.session.add(training)
    db.session.flush()
    return training
