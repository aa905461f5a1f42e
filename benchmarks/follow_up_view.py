"""Measure the follow-up views (issue 8) on a municipal group of 50 000: a team leader's
team of 12, the municipal director's first level and the expansion of one sector head,
and the coordinator's group view.

For each database backend — SQLite (a temp file) always, PostgreSQL when --postgres URL or
PORTAL_TEST_DATABASE_URL is given (a throwaway database named lis_bench_followup_…,
dropped afterwards) — it builds a migrated app and writes the group of benchmarks/bigdata.py
in bulk (--people active people below the director, 50 000 by default; 10 documents that
ask for acknowledgement, 3 trainings of this year, 200 systems, this year's checklists;
about 60 % done). PostgreSQL is ANALYZEd after the load, as autovacuum would have done in
production; SQLite is left without statistics, as the portal leaves it.

It then times, in-process, each page through the Flask test client signed in with the
demo sign-in form, and each service call inside a fresh request context (a fresh session,
as a request has):

  * team of 12        GET /min-enhet/ as the team leader;
                      requirements.current() + unit_status.direct_reports() (which
                      counts with figures_under)
  * director          GET /min-enhet/ as the municipal director; GET
                      /min-enhet/<sector head>/personer with HX-Request (the expansion);
                      direct_reports() of the director and of the sector head;
                      unit_status.search() over the director's 50 000 (only not done,
                      most left first: the list a search or a filter shows; no target)
  * group view        GET /samordning/ as the coordinator for the whole group;
                      group_status.build()
  * stored progress   requirements.current() when every person's stored bits must be
                      computed from nothing, and when one requirement's bit is wrong for
                      everyone (a new major version at worst); 3 calls each, the set-up
                      before each call not timed; no target

The views count from the stored progress (app/services/progress.py): the first call of
each view is the warm-up, so its one-off computation is not in the view's figures but in
the two "stored progress" lines.

It prints, per view, the median and fastest of --runs calls after one warm-up call (3
calls when the warm-up took over a second, 1 when it took over three, so the whole run
stays within minutes), the SQL statements per call (transaction control left out;
min–max when they vary) and whether the median meets the issue's target (≤ 50 ms for
the team, ≤ 300 ms for the director's first level and its expansion, ≤ 500 ms for the
group view: SQLite on a 2-core machine). A page that does not answer 200 is reported with
its status rather than timed. The service results are checked (the team has 12 people,
the director's figures add up to everyone below, the group view counts every active
person).

PostgreSQL's JIT compiler (on by default) compiles these wide statements for seconds;
--pg-jit off measures with `jit=off` for the app's connections, --pg-jit both measures
both ways on the same data.

Usage: .venv/bin/python benchmarks/follow_up_view.py [--people N] [--runs R]
                                                     [--postgres URL]
                                                     [--pg-jit server|off|both]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import case, delete, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import Person, RequirementSlot  # noqa: E402
from app.services import group_status, progress, requirements, unit_status  # noqa: E402
from app.services.system_access import CoordinatorScope  # noqa: E402
from benchmarks import bigdata  # noqa: E402
from benchmarks.documents_view import Counter  # noqa: E402
from tests.conftest import migrated_app  # noqa: E402
from tests.databases import throwaway_postgres_database  # noqa: E402
from tests.helpers import sign_in_as  # noqa: E402

TEAM_MS, DIRECTOR_MS, GROUP_MS = 50, 300, 500
SLOW_S = 1.0  # a warm-up call slower than this: 3 timed runs; over 3 s: 1
JIT_OFF = {"options": "-c jit=off"}  # libpq options for the PostgreSQL pass without JIT


@dataclass
class Result:
    backend: str
    view: str
    target_ms: int | None
    median_ms: float | None = None
    min_ms: float | None = None
    queries: str = ""
    runs: int = 0
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.median_ms is None:
            return "–"
        if self.target_ms is None:
            return ""
        return "yes" if self.median_ms <= self.target_ms else "NO"


def timed(counter: Counter, call: Callable[[], Any], runs: int,
          warm_up: float | None = None) -> tuple[list[float], list[int], Any]:
    """One warm-up call (unless the caller made it, taking `warm_up` seconds), then `runs`
    timed and counted calls — fewer when a call takes seconds, so that a slow view cannot
    stretch the run to many minutes; the last call's answer."""
    answer = None
    if warm_up is None:
        start = time.perf_counter()
        answer = call()
        warm_up = time.perf_counter() - start
    if warm_up > SLOW_S:
        runs = min(runs, 1 if warm_up > 3 * SLOW_S else 3)
    times, counts = [], []
    with counter:
        for _ in range(runs):
            counter.statements.clear()
            start = time.perf_counter()
            answer = call()
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(counter.statements))
    return times, counts, answer


def _figures(result: Result, times: list[float], counts: list[int]) -> Result:
    result.median_ms, result.min_ms, result.runs = statistics.median(times), min(times), len(times)
    result.queries = (str(counts[0]) if min(counts) == max(counts)
                      else f"{min(counts)}–{max(counts)}")
    return result


def time_page(counter: Counter, app: Flask, person_id: int, url: str, expected: str,
              runs: int, result: Result, htmx: bool = False) -> Result:
    """GET `url` as the person; a page that is not there (yet) is reported, not timed."""
    client = app.test_client()
    sign_in_as(client, person_id)
    headers = {"HX-Request": "true"} if htmx else {}
    start = time.perf_counter()
    first = client.get(url, headers=headers)  # the warm-up
    warm_up = time.perf_counter() - start
    if first.status_code != 200:
        result.note = f"HTTP {first.status_code}: not measured"
        return result
    times, counts, response = timed(counter, lambda: client.get(url, headers=headers), runs,
                                    warm_up)
    assert response.status_code == 200, (url, response.status_code)
    if expected not in response.get_data(as_text=True):
        result.note = f"{expected!r} not on the page"
    result.note = f"{len(response.data) / 1024:.0f} KiB" + (f"; {result.note}" if result.note
                                                          else "")
    return _figures(result, times, counts)


def time_service(counter: Counter, app: Flask, call: Callable[[], Any], runs: int,
                 check: Callable[[Any], str], result: Result) -> Result:
    """Time the call in a fresh request context each time (a fresh session, as a request
    has); `check` asserts the answer and says what it was."""

    def in_request() -> Any:
        with app.test_request_context():
            answer = call()
            return check(answer)

    times, counts, summary = timed(counter, in_request, runs)
    result.note = summary
    return _figures(result, times, counts)


def time_recompute(counter: Counter, app: Flask, runs: int, every_bit: bool,
                   result: Result) -> Result:
    """Time requirements.current() when stored progress must be computed again: every
    bit from nothing (the first use after this migration), or one requirement's bit with
    every person's bit wrong (the worst case of a new version). The set-up before each
    call is not timed."""
    mask = 1 << 0

    def spoil() -> None:
        with app.app_context():
            if every_bit:
                db.session.execute(delete(RequirementSlot))
                db.session.execute(update(Person).values(requirement_done_bits=0))
            else:
                db.session.execute(update(RequirementSlot).where(RequirementSlot.bit == 0)
                                   .values(digest="stale"))
                flipped = case((progress.done_bit(0), Person.requirement_done_bits - mask),
                               else_=Person.requirement_done_bits + mask)
                db.session.execute(update(Person).values(requirement_done_bits=flipped))
            db.session.commit()

    def recompute() -> int:
        with app.test_request_context():
            found = requirements.current()
            return sum(1 for r in found if "requirement_done_bits" in str(r.done))

    times, counts = [], []
    for _ in range(runs):
        spoil()
        with counter:
            counter.statements.clear()
            start = time.perf_counter()
            bound = recompute()
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(counter.statements))
    result.note = f"{bound} requirements read from stored bits afterwards"
    return _figures(result, times, counts)


def _first_report(manager_id: int) -> str:
    """The display name of one active direct report, to find on the manager's page."""
    return db.session.scalar(select(Person.display_name).where(
        Person.manager_id == manager_id, Person.active.is_(True)).order_by(Person.id).limit(1))


def build(app: Flask, backend: str, below: int) -> bigdata.Group:
    """Write the group (PostgreSQL then ANALYZEd) and say how long it took."""
    with app.app_context():
        start = time.perf_counter()
        group = bigdata.build(below)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        built = time.perf_counter() - start
    print(f"{backend}: built in {built:.1f} s — {group.active} active people, "
          f"{group.below_director} below the director; rows: "
          + ", ".join(f"{table} {n}" for table, n in group.rows.items()), flush=True)
    with app.test_request_context():  # the stored progress, as the first page would
        start = time.perf_counter()
        requirements.current()
        print(f"{backend}: stored progress computed in {time.perf_counter() - start:.2f} s",
              flush=True)
    return group


def measure(app: Flask, backend: str, group: bigdata.Group, runs: int) -> list[Result]:
    """Time every view on the group already written."""
    head = group.sector_head_ids[0]
    with app.app_context():
        engine = db.engine
        names = {key: _first_report(person) for key, person in (
            ("team", group.team_leader_id), ("director", group.director_id), ("head", head))}
    counter = Counter(engine)
    scope = CoordinatorScope(True, frozenset())

    def reports_of(manager_id: int) -> Callable[[], Any]:
        return lambda: unit_status.direct_reports(manager_id, requirements.current())

    def team(rows: list[unit_status.PersonRow]) -> str:
        assert len(rows) == bigdata.TEAM, len(rows)
        return f"{len(rows)} rows"

    def first_level(rows: list[unit_status.PersonRow]) -> str:
        people = sum(r.below.people if r.below else 1 for r in rows)
        assert people == group.below_director, (people, group.below_director)
        return f"{len(rows)} rows, {people} people below"

    def expansion(rows: list[unit_status.PersonRow]) -> str:
        return f"{len(rows)} rows, {sum(r.below.people if r.below else 1 for r in rows)} below"

    def listing(found: unit_status.Listing) -> str:
        return f"{len(found.rows)} of {found.total} shown"

    def whole_group(status: group_status.GroupStatus) -> str:
        assert status.total.people == group.active, (status.total.people, group.active)
        return (f"{status.total.people} people, {len(status.requirements)} requirements, "
                f"{status.systems.systems} systems")

    def page(person: int, url: str, expected: str, htmx: bool = False
             ) -> Callable[[Result], Result]:
        return lambda result: time_page(counter, app, person, url, expected, runs, result, htmx)

    def service(call: Callable[[], Any], check: Callable[[Any], str]
                ) -> Callable[[Result], Result]:
        return lambda result: time_service(counter, app, call, runs, check, result)

    views = [
        ("team of 12: GET /min-enhet/", TEAM_MS,
         page(group.team_leader_id, "/min-enhet/", names["team"])),
        ("team of 12: current + direct_reports", TEAM_MS,
         service(reports_of(group.team_leader_id), team)),
        ("director: GET /min-enhet/", DIRECTOR_MS,
         page(group.director_id, "/min-enhet/", names["director"])),
        ("director: GET /min-enhet/<id>/personer (HX)", DIRECTOR_MS,
         page(group.director_id, f"/min-enhet/{head}/personer", names["head"], htmx=True)),
        ("director: current + direct_reports", DIRECTOR_MS,
         service(reports_of(group.director_id), first_level)),
        ("director: direct_reports of a sector head", DIRECTOR_MS,
         service(reports_of(head), expansion)),
        ("director: search(only open, by status)", None,
         service(lambda: unit_status.search(group.director_id, requirements.current(),
                                            only_open=True, sort="status"), listing)),
        ("group: GET /samordning/", GROUP_MS,
         page(group.coordinator_id, "/samordning/", "Exempelby kommun")),
        ("group: group_status.build", GROUP_MS,
         service(lambda: group_status.build(scope), whole_group)),
        ("stored progress: every bit from nothing", None,
         lambda result: time_recompute(counter, app, 3, True, result)),
        ("stored progress: one bit, everyone changed", None,
         lambda result: time_recompute(counter, app, 3, False, result)),
    ]
    results = []
    for label, target, measure_view in views:
        results.append(measure_view(Result(backend, label, target)))
        print(f"  {backend} {label}: {results[-1].median_ms or 0:.1f} ms", flush=True)
    return results


def run(backend: str, url: str, below: int, runs: int, jit: str = "server") -> list[Result]:
    """Build the group in the database at `url`, then measure; on PostgreSQL with the
    server's JIT setting, with JIT off for the app's connections, or both."""
    app = migrated_app(url)
    try:
        group = build(app, backend, below)
        if backend != "postgresql" or jit == "server":
            return measure(app, backend, group, runs)
        without = make_url(url).update_query_dict(JIT_OFF).render_as_string(hide_password=False)
        results = measure(app, backend, group, runs) if jit == "both" else []
        other = migrated_app(without)
        try:
            return results + measure(other, f"{backend} jit=off", group, runs)
        finally:
            with other.app_context():
                db.engine.dispose()
    finally:
        with app.app_context():
            db.engine.dispose()


def print_table(results: list[Result]) -> None:
    print(f"{'backend':<19}{'view':<46}{'target':>7}{'median ms':>10}{'min ms':>8}"
          f"{'runs':>5}{'queries':>8}  {'met':<4} note")
    for r in results:
        target = f"≤{r.target_ms}" if r.target_ms else "–"
        median = f"{r.median_ms:.1f}" if r.median_ms is not None else "–"
        fastest = f"{r.min_ms:.1f}" if r.min_ms is not None else "–"
        print(f"{r.backend:<19}{r.view:<46}{target:>7}{median:>10}{fastest:>8}{r.runs:>5}"
              f"{r.queries or '–':>8}  {r.verdict:<4} {r.note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000,
                        help="active people below the municipal director (50000)")
    parser.add_argument("--runs", type=int, default=7,
                        help="timed calls per view, after one warm-up call (7)")
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL; a throwaway database is made there")
    parser.add_argument("--pg-jit", choices=("server", "off", "both"), default="server",
                        help="PostgreSQL: the server's JIT setting (default), JIT off for the "
                             "app's connections, or both passes on the same data")
    args = parser.parse_args()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        results = run("sqlite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.people,
                      args.runs)
    if args.postgres:
        with throwaway_postgres_database(args.postgres, prefix="lis_bench_followup") as url:
            results += run("postgresql", url, args.people, args.runs, args.pg_jit)
    print_table(results)
    print(f"whole run: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
