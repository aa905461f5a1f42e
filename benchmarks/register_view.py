"""Measure the coordinator's register view: the default page and the all-rows view.

For each register size (default 10 and 1000 systems) and each database backend — SQLite (a
temp file) always, PostgreSQL when --postgres URL or PORTAL_TEST_DATABASE_URL is given (a
throwaway, uniquely named database, dropped afterwards) — it builds a migrated app, writes a
municipal group in bulk (the municipality and five companies, ~300 people, a coordinator and
N systems with owners, administrators, classifications, risk analyses and action items), signs
in as the coordinator through the demo sign-in form, and renders in-process with the Flask
test client:

  * GET /systemregister/        (the default page, 50 rows)
  * GET /systemregister/?alla=1 (every row on one page)

It prints the fastest, median and p95 render time of --renders renders (after two warm-up
renders), the SQL statements per request (counted with a `before_cursor_execute` listener,
transaction control such as SQLite's BEGIN left out; min–max when they vary), the systems
listed on the page and the page size. On a busy machine the fastest render is the steadiest
figure.

Targets (issue): default page <= 20 ms, all rows <= 75 ms, <= 8 queries, the same count for
10 and 1000 systems. This is a benchmark, not a test: it asserts only that pages answer 200.

Usage: .venv/bin/python benchmarks/register_view.py [--systems N ...] [--renders R]
                                                   [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app.clock import today as portal_today  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    ActionPlanItem,
    ActionStatus,
    ActionStatusChange,
    Classification,
    GrantSource,
    InformationSystem,
    LifecycleStatus,
    Organization,
    OrganizationKind,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    Risk,
    RiskAnalysis,
    Role,
    RoleGrant,
    SystemAdministrator,
)
from tests.conftest import migrated_app  # noqa: E402
from tests.databases import throwaway_postgres_database  # noqa: E402
from tests.helpers import sign_in_as  # noqa: E402

DEFAULT_SIZES = [10, 1000]
PEOPLE = 300
SEED = 20261123
ORGANIZATIONS = [("Exempelby kommun", OrganizationKind.MUNICIPALITY),
                 ("Exempelby Bostäder AB", OrganizationKind.COMPANY),
                 ("Exempelby Energi AB", OrganizationKind.COMPANY),
                 ("Exempelby Vatten AB", OrganizationKind.COMPANY),
                 ("Exempelby Hamn AB", OrganizationKind.COMPANY),
                 ("Exempelby Parkering AB", OrganizationKind.COMPANY)]
UNITS = ["Socialtjänst", "Utbildning", "Samhällsbyggnad", "Kultur och fritid",
         "Verksamhetsstöd", "Kommunledning"]
KINDS = ["Ärendehantering", "Verksamhetssystem", "Ekonomisystem", "Bokningssystem",
         "Trygghetslarm", "Skolplattform", "Styrsystem", "E-tjänst", "Journal", "Register"]
STATUSES = [LifecycleStatus.IN_USE] * 7 + [LifecycleStatus.PLANNED, LifecycleStatus.PROCUREMENT,
                                           LifecycleStatus.PHASING_OUT, LifecycleStatus.RETIRED]
# SQLite gets an explicit BEGIN per transaction (see app/__init__.py); not a query.
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)
VIEWS = [("default page", "/systemregister/"), ("all rows", "/systemregister/?alla=1")]


def populate(systems: int, today: date) -> int:
    """Write the group and `systems` systems; return the coordinator's person id."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not a secret
    now = utcnow()
    orgs = [Organization(name=name, kind=kind) for name, kind in ORGANIZATIONS]
    units = [OrgUnit(organization=orgs[0], name=name, path=name) for name in UNITS]
    units += [OrgUnit(organization=org, name="Drift", path="Drift") for org in orgs[1:]]
    db.session.add_all([*orgs, *units])
    people = []
    for i in range(PEOPLE):
        unit = units[i % len(units)]
        person = Person(username=f"person{i}", display_name=f"Person {i:03d} Benchsson",
                        mail=f"person{i}@exempelby.se", title="Handläggare",
                        kind=PersonKind.EMPLOYEE, organization=unit.organization, unit=unit,
                        active=i % 50 != 49, source=PersonSource.LOCAL)
        person.refresh_search_text()
        people.append(person)
    coordinator = people[0]
    db.session.add_all(people)
    db.session.add(RoleGrant(person=coordinator, role=Role.COORDINATOR,
                             source=GrantSource.MANUAL, granted_at=now))
    db.session.flush()

    rows = []
    for i in range(systems):
        unit = units[i % len(units)]
        system = InformationSystem(
            name=f"{KINDS[i % len(KINDS)]} {i:04d}", description="", notes="",
            organization=unit.organization, unit=unit,
            owner=None if i % 23 == 0 else rng.choice(people),
            supplier=f"Leverantör {i % 37} AB", personal_data=i % 2 == 0,
            welfare_technology=i % 9 == 0, vital_service=i % 13 == 0,
            status=STATUSES[i % len(STATUSES)], created_at=now, updated_at=now)
        system.refresh_search_text()
        system.administrator_links = [SystemAdministrator(person=p)
                                      for p in rng.sample(people, rng.choice((1, 2)))]
        rows.append(system)
    db.session.add_all(rows)
    db.session.flush()

    classifications, analyses, items = [], [], []
    for i, system in enumerate(rows):
        kind = i % 10  # 0-3 classified (0 also superseded), 4-5 analysed, 6-8 actions
        if kind <= 3:
            days = [400, 30] if kind == 0 else [rng.randrange(20, 700)]
            for n, ago in enumerate(days):
                approved = kind != 3 or n < len(days) - 1
                classifications.append(_classification(system, today - timedelta(ago),
                                                       approved, rng))
        if kind in (0, 4, 5):
            analyses.append(_analysis(system, today - timedelta(rng.randrange(10, 500)), rng))
        if kind in (0, 1, 6, 7, 8):
            items += [_action(system, today, rng, now) for _ in range(rng.randrange(1, 4))]
    db.session.add_all([*classifications, *analyses, *items])
    db.session.commit()
    return coordinator.id


def _classification(system: InformationSystem, day: date, approved: bool,
                    rng: random.Random) -> Classification:
    c, i, a, t = (rng.randrange(0, 5) for _ in range(4))
    moment = datetime.combine(day, datetime.min.time())
    return Classification(
        system=system, classified_on=day, klassa_version="KLASSA 2.0",
        participants=["Ägare", "Förvaltare"], confidentiality=c, integrity=i,
        availability=a, traceability=t, notes="", recorded_at=moment,
        approved_on=day if approved else None, approved_at=moment if approved else None,
        approved_by_id=system.owner_id if approved else None)


def _analysis(system: InformationSystem, day: date, rng: random.Random) -> RiskAnalysis:
    return RiskAnalysis(
        system=system, performed_on=day, method="MSB:s metodstöd", participants=["Ägare"],
        summary="", links=[], recorded_at=datetime.combine(day, datetime.min.time()),
        approved_on=day if rng.random() < 0.6 else None,
        risks=[Risk(description=f"Risk {n}", likelihood=rng.randrange(1, 5),
                    consequence=rng.randrange(1, 5)) for n in range(rng.randrange(3, 7))])


def _action(system: InformationSystem, today: date, rng: random.Random,
            now: datetime) -> ActionPlanItem:
    status = rng.choice([ActionStatus.OPEN, ActionStatus.OPEN, ActionStatus.IN_PROGRESS,
                         ActionStatus.DONE, ActionStatus.ACCEPTED_RISK])
    changes = [ActionStatusChange(from_status=None, to_status=ActionStatus.OPEN, note="",
                                  changed_at=now)]
    if status != ActionStatus.OPEN:
        changes.append(ActionStatusChange(from_status=ActionStatus.OPEN, to_status=status,
                                          note="Motiverad", changed_at=now))
    return ActionPlanItem(system_id=system.id, description="Åtgärd", status=status,
                          due_on=today + timedelta(days=rng.randrange(-120, 240)),
                          created_at=now, changes=changes)


@dataclass
class Result:
    backend: str
    systems: int
    view: str
    min_ms: float
    median_ms: float
    p95_ms: float
    queries: str
    rows: int
    kib: float


def measure(app: Flask, backend: str, systems: int, renders: int) -> list[Result]:
    """Sign in as the coordinator, then time each view `renders` times."""
    with app.app_context():
        coordinator_id = populate(systems, portal_today())
        engine = db.engine
    client = app.test_client()
    sign_in_as(client, coordinator_id)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not TRANSACTION_CONTROL.match(statement):
            statements.append(statement)

    results = []
    for label, url in VIEWS:
        for _ in range(2):  # warm-up: template compilation, connection pool, caches
            assert client.get(url).status_code == 200, url
        times, counts = [], []
        event.listen(engine, "before_cursor_execute", count)
        try:
            for _ in range(renders):
                statements.clear()
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                counts.append(len(statements))
                assert response.status_code == 200, (url, response.status_code)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        html = response.get_data(as_text=True)
        queries = (str(counts[0]) if min(counts) == max(counts)
                   else f"{min(counts)}–{max(counts)}")
        results.append(Result(backend, systems, label, min(times), statistics.median(times),
                              sorted(times)[max(0, round(0.95 * len(times)) - 1)], queries,
                              len(re.findall(r'<th scope="row"><a href="/system/', html)),
                              len(response.data) / 1024))
    return results


def run(backend: str, url: str, systems: int, renders: int) -> list[Result]:
    app = migrated_app(url)
    try:
        return measure(app, backend, systems, renders)
    finally:
        with app.app_context():
            db.engine.dispose()


def print_table(results: list[Result]) -> None:
    print(f"{'backend':<11}{'systems':>8}  {'view':<13}{'min ms':>7}{'median ms':>10}{'p95 ms':>9}"
          f"{'queries':>9}{'rows':>7}{'KiB':>8}")
    for r in results:
        print(f"{r.backend:<11}{r.systems:>8}  {r.view:<13}{r.min_ms:>7.1f}{r.median_ms:>10.1f}"
              f"{r.p95_ms:>9.1f}"
              f"{r.queries:>9}{r.rows:>7}{r.kib:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", type=int, nargs="+", default=DEFAULT_SIZES,
                        help="register sizes to measure (default: 10 1000)")
    parser.add_argument("--renders", type=int, default=50, help="renders per view (50)")
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL; a throwaway database is made there")
    args = parser.parse_args()
    results = []
    for size in args.systems:
        with tempfile.TemporaryDirectory() as tmp:
            results += run("sqlite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", size,
                           args.renders)
        if args.postgres:
            with throwaway_postgres_database(args.postgres, prefix="portal_bench") as url:
                results += run("postgresql", url, size, args.renders)
    print_table(results)


if __name__ == "__main__":
    main()
