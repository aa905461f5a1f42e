"""A big municipal group written in bulk, for the benchmarks of the follow-up views.

`build(below)` writes into a freshly migrated database, in seconds rather than minutes
(bulk INSERTs of plain rows, the people one level of the tree at a time):

  * Exempelby kommun with a manager tree: the municipal director (kommundirektör) with a
    staff of five and eight sector heads; each sector head with a staff of three and six
    area managers; below them unit managers, each with about ten team leaders, each team
    leader with a team of about twelve (the first team exactly twelve) — `below` active
    people under the director in all. Every sector, area and unit is an OrgUnit; a team
    shares its unit's. Every 20th person is a consultant, 1 % came into the portal in the
    last three weeks (not yet due), and 2 % more have left (inactive, manager kept);
  * 60 elected officials outside the tree and without a unit, and four companies with a
    CEO, two department heads, eight teams of twelve each and five board members;
  * a coordinator for the whole group (on the director's staff);
  * 10 published documents that ask for acknowledgement: four for the whole group (one of
    them only employees, one only managers), three for the municipality (one of them adopted
    by two companies), one for a sector with its sub-units, one for a company; two have an
    editorial version after the major one, one an earlier major version that some people
    acknowledged and that no longer counts;
  * 3 trainings of this calendar year (one due already, one for the municipality only);
  * kvittenser and completions by about 60 % of each audience, at random (seeded), and
    corrections that take back 1 % of the completions;
  * 200 systems (the register benchmark's mix of statuses, classifications, risk analyses
    and action items) with owners among the managers and one or two administrators;
  * this year's checklist assignments, made by the portal's own generate(), and ticks of
    about 60 % of the items due so far (each holder's diligence drawn at random), 1 % of
    them unticked a few days later.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, literal, null, select, text

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    Acknowledgement,
    AdoptionAction,
    ChangeKind,
    ChecklistAssignment,
    ChecklistItem,
    CompletionSource,
    Document,
    DocumentAdoption,
    DocumentVersion,
    GrantSource,
    InformationSystem,
    ItemCheck,
    Organization,
    OrganizationKind,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    ProofMethod,
    Role,
    RoleGrant,
    SystemAdministrator,
    Training,
    TrainingCompletion,
)
from app.models.people import search_text_of
from app.services import checklist_assignments
from app.services.markdown_render import sha256_of
from app.services.trainings import period_label
from app.text import fold
from benchmarks.documents_view import body_of, description_of
from benchmarks.register_view import KINDS, STATUSES, _action, _analysis, _classification

SEED = 20261203
SHARE = 0.6  # of each audience that has acknowledged / completed, of items ticked
SECTORS = ["Socialtjänst", "Vård och omsorg", "Utbildning", "Barn och familj",
           "Samhällsbyggnad", "Kultur och fritid", "Teknik och service", "Verksamhetsstöd"]
AREAS, STAFF, SECTOR_STAFF, TEAMS_PER_UNIT, TEAM = 6, 5, 3, 10, 12
COMPANIES = ["Exempelby Bostäder AB", "Exempelby Energi AB", "Exempelby Vatten AB",
             "Exempelby Hamn AB"]
GIVEN = ["Anna", "Erik", "Maria", "Lars", "Karin", "Anders", "Eva", "Johan", "Sara", "Per",
         "Åsa", "Örjan", "Elin", "Mikael", "Ingrid", "Björn", "Linnéa", "Göran", "Sofia",
         "Nils", "Emma", "Oskar", "Märta", "Ali", "Fatima", "Jonas", "Helena", "Ulf"]
SURNAMES = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson",
            "Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jönsson",
            "Öberg", "Åkesson", "Lindström", "Bäckström", "Hassan", "Ekström", "Holm",
            "Sjöberg", "Wallin", "Engström", "Lundqvist", "Mäkinen"]


@dataclass
class Member:
    """What the audiences ask about a person."""

    id: int
    organization_id: int
    sector_id: int | None
    kind: PersonKind
    manager: bool = False


@dataclass
class Group:
    """The people the benchmark signs in as, and what was written."""

    director_id: int = 0
    coordinator_id: int = 0
    team_leader_id: int = 0  # the first team leader: exactly TEAM people below
    sector_head_ids: list[int] = field(default_factory=list)
    below_director: int = 0
    active: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)


def _insert(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows in bulk: executemany, or COPY on PostgreSQL, where executemany
    costs a round trip per row (a minute for this group instead of seconds)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{column}"' for column in columns)
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([v.value if isinstance(v, enum.Enum) else v
                            for v in (row[column] for column in columns)])


class _People:
    """Bulk inserts of people, one level of the tree at a time, with the ids given here
    (the database is new), so no INSERT needs to return them."""

    def __init__(self, group: Group, rng: random.Random) -> None:
        self.group, self.rng, self.n, self.now = group, rng, 0, utcnow()

    def add(self, specs: list[dict[str, Any]]) -> list[int]:
        rows = []
        for spec in specs:
            self.n += 1
            given, surname = self.rng.choice(GIVEN), self.rng.choice(SURNAMES)
            name, username = f"{given} {surname}", f"{fold(given)[:3]}{fold(surname)[:3]}{self.n}"
            kind = spec.get("kind") or (PersonKind.CONSULTANT if self.n % 20 == 0
                                        else PersonKind.EMPLOYEE)
            active = spec.get("active", True)
            days = 1 + self.n % 20 if self.n % 100 == 0 else 200 + self.n % 3000
            mail, title = f"{username}@exempelby.se", spec.get("title", "Handläggare")
            rows.append({
                "id": self.n, "username": username, "display_name": name, "given_name": given,
                "surname": surname, "mail": mail, "title": title, "kind": kind,
                "organization_id": spec["organization_id"], "unit_id": spec.get("unit_id"),
                "manager_id": spec.get("manager_id"), "active": active,
                "deactivated_at": None if active else self.now - timedelta(days=days // 2),
                "source": PersonSource.DIRECTORY, "created_at": self.now - timedelta(days=days),
                "search_text": search_text_of(name, username, mail, title)})
        _insert(Person.__table__, rows)
        for row, spec in zip(rows, specs, strict=True):
            if row["active"]:
                self.group.members.append(Member(row["id"], row["organization_id"],
                                                 spec.get("sector_id"), row["kind"],
                                                 spec.get("manager", False)))
        return [row["id"] for row in rows]


def _units(organization: Organization, names: list[str], parent: OrgUnit | None = None
           ) -> list[OrgUnit]:
    units = [OrgUnit(organization=organization, parent=parent, name=name,
                     path=f"{parent.path} / {name}" if parent else name) for name in names]
    db.session.add_all(units)
    return units


def _municipality(people: _People, org: Organization, below: int) -> None:
    """The director's tree: exactly `below` active people under the director."""
    group = people.group
    office = _units(org, ["Kommunledningskontoret"])[0]
    sectors = _units(org, SECTORS)
    areas = [(s, a) for s in sectors
             for a in _units(org, [f"Verksamhetsområde {n + 1}" for n in range(AREAS)], s)]
    top = STAFF + len(SECTORS) * (1 + SECTOR_STAFF + AREAS)
    teams = max(1, round((below - top) / (TEAM + 1)))
    unit_count = math.ceil(teams / TEAMS_PER_UNIT)
    units = [(sector, _units(org, [f"Enhet {n + 1}"], area)[0])
             for n in range(unit_count) for sector, area in [areas[n % len(areas)]]]
    db.session.flush()
    org_id = org.id

    def spec(unit: OrgUnit, sector: OrgUnit | None, manager_id: int | None, title: str,
             manager: bool = False) -> dict[str, Any]:
        return {"organization_id": org_id, "unit_id": unit.id, "manager_id": manager_id,
                "sector_id": sector.id if sector else None, "title": title, "manager": manager}

    director = people.add([spec(office, None, None, "Kommundirektör", True)])[0]
    staff = people.add([spec(office, None, director, "Informationssäkerhetssamordnare"
                             if n == 0 else "Strateg") for n in range(STAFF)])
    heads = people.add([spec(s, s, director, "Sektorchef", True) for s in sectors])
    head_of = dict(zip([s.id for s in sectors], heads, strict=True))
    people.add([spec(s, s, head_of[s.id], "Controller") for s in sectors
                for _ in range(SECTOR_STAFF)])
    area_heads = people.add([spec(a, s, head_of[s.id], "Verksamhetschef", True)
                             for s, a in areas])
    area_head_of = {a.id: h for (_s, a), h in zip(areas, area_heads, strict=True)}
    unit_heads = people.add([spec(u, s, area_head_of[u.parent_id], "Enhetschef", True)
                             for s, u in units])
    leader_specs = [spec(u, s, head, "Arbetsledare", True)
                    for (s, u), head in zip(units, unit_heads, strict=True)
                    for _ in range(TEAMS_PER_UNIT)][:teams]
    leaders = people.add(leader_specs)
    employees = below - top - len(units) - teams
    sizes = [employees // teams + (1 if n < employees % teams else 0) for n in range(teams)]
    sizes.sort(key=lambda size: size != TEAM)  # the first team, the benchmark's, has TEAM
    team_specs = [{**lead, "manager_id": leader, "title": "Handläggare", "manager": False}
                  for lead, leader, size in zip(leader_specs, leaders, sizes, strict=True)
                  for _ in range(size)]
    people.add(team_specs)
    people.add([{**people.rng.choice(team_specs), "active": False}
                for _ in range(below // 50)])
    people.add([{"organization_id": org_id, "kind": PersonKind.ELECTED,
                 "title": "Ledamot i kommunfullmäktige"} for _ in range(60)])
    group.director_id, group.coordinator_id, group.team_leader_id = director, staff[0], leaders[0]
    group.sector_head_ids, group.below_director = heads, below


def _company(people: _People, org: Organization) -> None:
    office, *departments = _units(org, ["Ledning", "Drift", "Kundservice"])
    db.session.flush()
    base = {"organization_id": org.id, "sector_id": None, "manager": True}
    ceo = people.add([{**base, "unit_id": office.id, "title": "VD"}])[0]
    heads = people.add([{**base, "unit_id": d.id, "manager_id": ceo, "sector_id": d.id,
                         "title": "Avdelningschef"} for d in departments])
    leaders = people.add([{**base, "unit_id": d.id, "manager_id": h, "sector_id": d.id,
                           "title": "Arbetsledare"}
                          for d, h in zip(departments, heads, strict=True) for _ in range(8)])
    led_by = [d for d in departments for _ in range(8)]
    people.add([{"organization_id": org.id, "unit_id": d.id, "manager_id": leader,
                 "sector_id": d.id, "title": "Tekniker"}
                for d, leader in zip(led_by, leaders, strict=True) for _ in range(TEAM)])
    people.add([{"organization_id": org.id, "kind": PersonKind.BOARD,
                 "title": "Styrelseledamot"} for _ in range(5)])


def _share(rng: random.Random, members: list[Member]) -> list[Member]:
    return [m for m in members if rng.random() < SHARE]


def _audience(members: list[Member], audience: dict[str, Any], adopters: set[int]
              ) -> list[Member]:
    """The audience rule in Python, for the people of this tree (a unit is a sector, with
    its sub-units; the only role asked for is manager)."""
    places = {*audience.get("organization_ids", ()), *adopters}
    sectors = set(audience.get("unit_ids", ()))
    kinds, managers = set(audience.get("kinds") or ()), bool(audience.get("roles"))
    return [m for m in members
            if (m.organization_id in places or m.sector_id in sectors)
            and (not kinds or m.kind.value in kinds) and (not managers or m.manager)]


def _documents(group: Group, rng: random.Random, orgs: list[Organization],
               sector: int) -> None:
    """Ten documents with their audiences and the kvittenser of about 60 %."""
    now, all_orgs, municipality = utcnow(), [o.id for o in orgs], orgs[0].id
    company = orgs[1].id
    # (title, audience, days since the major version, editorial version, earlier major)
    plans = [
        ("Informationssäkerhetspolicy", {"organization_ids": all_orgs}, 400, True, True),
        ("Riktlinjer för informationssäkerhet", {"organization_ids": all_orgs}, 200, True,
         False),
        ("Rutin för hantering av informationssäkerhetsincidenter",
         {"organization_ids": all_orgs}, 90, False, False),
        ("Riktlinje för chefers ansvar för informationssäkerhet",
         {"organization_ids": all_orgs, "roles": [Role.MANAGER.value]}, 150, False, False),
        ("Rutin för säkerhetskopiering",
         {"organization_ids": all_orgs, "kinds": [PersonKind.EMPLOYEE.value]}, 45, False, False),
        ("Instruktion för distansarbete", {"organization_ids": [municipality]}, 10, False,
         False),
        ("Regler för e-post och kommunikation", {"organization_ids": [municipality]}, 60,
         False, False),
        ("Instruktion för mobila enheter", {"organization_ids": [municipality]}, 150, False,
         False),
        ("Rutin för behörighetshantering i socialtjänsten",
         {"unit_ids": [sector], "include_sub_units": True}, 120, False, False),
        ("Informationssäkerhetspolicy för Exempelby Bostäder AB",
         {"organization_ids": [company]}, 300, False, False),
    ]
    adopters = {o.id for o in orgs[2:4]}
    rows = []
    for n, (title, audience, days, editorial, earlier) in enumerate(plans):
        body = body_of(title)
        moment = now - timedelta(days=days)
        document = Document(title=title, kind="policy" if n < 2 else "routine",
                            organization_id=company if n == 9 else municipality,
                            audience=audience, requires_acknowledgement=True,
                            review_interval_months=12, acknowledgement_days=30,
                            search_text=fold(f"{title} {body}"), created_at=moment,
                            withdrawal_reason="")
        steps = ([(ChangeKind.MAJOR, days + 365)] if earlier else []) + [(ChangeKind.MAJOR, days)]
        steps += [(ChangeKind.EDITORIAL, days // 3)] if editorial else []
        document.versions = [DocumentVersion(
            number=str(i + 1), body=body, change_kind=kind, change_summary="",
            decided_by="Kommunstyrelsen", decision_date=(now - timedelta(days=ago + 7)).date(),
            reference=f"KS 2026/{n}", valid_from=(now - timedelta(days=ago)).date(),
            sequence=i + 1, sha256=sha256_of(body),
            created_at=now - timedelta(days=ago), updated_at=now - timedelta(days=ago),
            published_at=now - timedelta(days=ago)) for i, (kind, ago) in enumerate(steps)]
        db.session.add(document)
        db.session.flush()
        if n == 7:
            db.session.add_all(DocumentAdoption(
                document_id=document.id, organization_id=org_id, action=AdoptionAction.ADOPTED,
                version_id=document.versions[-1].id, decided_by="Bolagsstyrelsen",
                decision_date=(now - timedelta(days=100)).date(), recorded_at=now)
                for org_id in adopters)
        members = _audience(group.members, audience, adopters if n == 7 else set())
        counted = document.versions[1:] if earlier else document.versions
        for m in _share(rng, members):
            version = document.versions[0] if earlier and rng.random() < 0.1 \
                else rng.choice(counted)
            rows.append({"person_id": m.id, "document_id": document.id,
                         "version_id": version.id, "content_sha256": version.sha256,
                         "acknowledged_at": version.published_at
                         + (now - version.published_at) * rng.random(), "method": "web"})
    _insert(Acknowledgement.__table__, rows)
    group.rows["acknowledgement"] = len(rows)


def _trainings(group: Group, rng: random.Random, orgs: list[Organization]) -> None:
    """Three trainings of this year and the completions of about 60 %."""
    now, day = utcnow(), today()
    starts, ends = date(day.year, 1, 1), date(day.year, 12, 31)
    all_orgs, municipality = [o.id for o in orgs], orgs[0].id
    plans = [("Grundutbildning i informationssäkerhet", all_orgs, ends, ()),
             ("Dataskydd och personuppgifter (GDPR)", [municipality],
              max(starts, day - timedelta(days=30)), ()),
             ("Nätfiske och social manipulation", all_orgs, ends,
              (PersonKind.EMPLOYEE.value, PersonKind.CONSULTANT.value))]
    rows = []
    days = (day - starts).days + 1
    for title, org_ids, due, kinds in plans:
        training = Training(
            title=title, description=description_of(title), link="https://utbildning.exempelby.se",
            organization_id=municipality, period_label=period_label(starts, ends),
            period_starts_on=starts, period_ends_on=ends, due_on=due,
            audience={"organization_ids": org_ids, "kinds": list(kinds)},
            proof=ProofMethod.BOTH, created_at=now, created_by_id=group.coordinator_id,
            updated_at=now)
        db.session.add(training)
        db.session.flush()
        members = _audience(group.members, training.audience, set())
        for m in _share(rng, members):
            completed = starts + timedelta(days=rng.randrange(days))
            rows.append({"training_id": training.id, "person_id": m.id,
                         "completed_on": completed, "source": CompletionSource.SELF,
                         "recorded_at": min(now, datetime.combine(completed, time(9))),
                         "recorded_by_id": m.id, "note": "", "supersedes_id": None})
    table = TrainingCompletion.__table__
    _insert(table, rows)
    # A coordinator's corrections take back 1 % of them: a later row that supersedes it.
    taken_back = select(table.c.training_id, table.c.person_id, null(),
                        literal(CompletionSource.CORRECTION.value), table.c.recorded_at,
                        literal(group.coordinator_id), literal("Fel person i filen"),
                        table.c.id).where(table.c.id % 100 == 7)
    db.session.execute(insert(table).from_select(
        ["training_id", "person_id", "completed_on", "source", "recorded_at", "recorded_by_id",
         "note", "supersedes_id"], taken_back))
    group.rows["training_completion"] = db.session.scalar(select(func.count()).select_from(table))


def _systems(group: Group, rng: random.Random, orgs: list[Organization], count: int) -> None:
    """`count` systems like the register benchmark's, owned by managers."""
    now, day = utcnow(), today()
    managers = [m for m in group.members if m.manager]
    others = [m for m in group.members if not m.manager and m.kind == PersonKind.EMPLOYEE]
    systems = []
    for i in range(count):
        owner = rng.choice(managers)
        org_id = owner.organization_id if i % 7 else orgs[0].id
        system = InformationSystem(
            name=f"{KINDS[i % len(KINDS)]} {i:04d}", description="", notes="",
            organization_id=org_id, unit_id=owner.sector_id,
            owner_id=None if i % 23 == 0 else owner.id, supplier=f"Leverantör {i % 37} AB",
            personal_data=i % 2 == 0, welfare_technology=i % 9 == 0, vital_service=i % 13 == 0,
            status=STATUSES[i % len(STATUSES)], created_at=now, updated_at=now)
        system.refresh_search_text()
        system.administrator_links = [SystemAdministrator(person_id=m.id) for m in
                                      rng.sample(others, rng.choice((1, 2)))]
        systems.append(system)
    db.session.add_all(systems)
    db.session.flush()
    extra = []
    for i, system in enumerate(systems):
        kind = i % 10  # as in the register benchmark
        if kind <= 3:
            extra.append(_classification(system, day - timedelta(rng.randrange(20, 700)),
                                         kind != 3, rng))
        if kind in (0, 4, 5):
            extra.append(_analysis(system, day - timedelta(rng.randrange(10, 500)), rng))
        if kind in (0, 1, 6, 7, 8):
            extra += [_action(system, day, rng, now) for _ in range(rng.randrange(1, 4))]
    db.session.add_all(extra)
    db.session.flush()
    group.rows["information_system"] = count


def _checklists(group: Group, rng: random.Random) -> None:
    """This year's assignments, generated; ticks of about 60 % of the items due so far."""
    day, now = today(), utcnow()
    generated = checklist_assignments.generate(day.year)
    items: dict[int, list[tuple[int, int, bool]]] = {}
    for item_id, template_id, month, note in db.session.execute(select(
            ChecklistItem.id, ChecklistItem.template_id, ChecklistItem.due_month,
            ChecklistItem.requires_note).where(ChecklistItem.due_month.is_not(None),
                                               ChecklistItem.due_month <= day.month)):
        items.setdefault(template_id, []).append((item_id, month, note))
    checks = []
    for assignment_id, template_id, holder in db.session.execute(select(
            ChecklistAssignment.id, ChecklistAssignment.template_id,
            ChecklistAssignment.assignee_id).where(ChecklistAssignment.period == day.year,
                                                   ChecklistAssignment.assignee_id.is_not(None))):
        diligence = SHARE + (rng.random() - 0.5) * 0.6
        for item_id, month, note in items.get(template_id, ()):
            if rng.random() >= diligence:
                continue
            last = day.day - 1 if month == day.month else 28
            if last < 1:
                continue
            at = min(now, datetime(day.year, month, rng.randint(1, last), 8 + rng.randrange(9)))
            row = {"assignment_id": assignment_id, "item_id": item_id, "checked": True,
                   "by_id": holder, "at": at, "note": "Genomfört enligt rutinen" if note else "",
                   "evidence_link": "", "on_behalf_reason": ""}
            checks.append(row)
            if rng.random() < 0.01 and at + timedelta(days=3) <= now:
                checks.append({**row, "checked": False, "at": at + timedelta(days=3),
                               "note": "Återöppnad: kontrollen behöver göras om"})
    checks.sort(key=lambda row: row["at"])  # ids in time order: the latest row holds
    _insert(ItemCheck.__table__, checks)
    group.rows["checklist_assignment"] = generated.created
    group.rows["item_check"] = len(checks)


def build(below: int = 50_000, systems: int = 200) -> Group:
    """Write the group (see the module's docstring) and commit."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible benchmark data, not a secret
    group = Group()
    people = _People(group, rng)
    orgs = [Organization(name="Exempelby kommun", kind=OrganizationKind.MUNICIPALITY)]
    orgs += [Organization(name=name, kind=OrganizationKind.COMPANY) for name in COMPANIES]
    db.session.add_all(orgs)
    db.session.flush()
    _municipality(people, orgs[0], below)
    for org in orgs[1:]:
        _company(people, org)
    db.session.add(RoleGrant(person_id=group.coordinator_id, role=Role.COORDINATOR,
                             source=GrantSource.MANUAL, granted_at=utcnow()))
    if db.session.connection().dialect.name == "postgresql":  # the ids were given here
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('person', 'id'), "
                                "(SELECT max(id) FROM person))"))
    group.active = len(group.members)
    group.rows["person"] = people.n
    sector = db.session.scalar(select(OrgUnit.id).where(OrgUnit.path == SECTORS[0]))
    _documents(group, rng, orgs, sector)
    _trainings(group, rng, orgs)
    _systems(group, rng, orgs, systems)
    _checklists(group, rng)
    db.session.commit()
    return group
