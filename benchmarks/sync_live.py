"""Measure the directory sync against a real OpenLDAP slapd holding N generated people.

Per N (default 50,000) it prints:
  * how long slapadd -q plus starting slapd take for the generated directory;
  * two floors for just reading it (best of two runs each): `ldapsearch` paging through every
    person with the attributes the sync requests (output thrown away), and python-ldap's raw
    paged read (`LiveSource.entries()` from `directory.sync_source(config)`, no mapping);
  * per database backend — SQLite always, PostgreSQL when PORTAL_TEST_DATABASE_URL or
    --postgres URL is given (a throwaway, uniquely named database, dropped afterwards) — in
    its own spawned child process, against its own fresh copy of the loaded directory:
      (a) the first full sync into a freshly migrated database,
      (b) an unchanged re-sync,
      (c) a re-sync after 1 % of the people changed in slapd (new title, new manager, or moved
          to a sibling sub-unit) and 0.1 % were added and 0.1 % deleted,
    each with the run's summary counts (checked against what the run should have done) and
    where its time went (read+map, load known, reconcile, apply, changes insert, the rest);
  * the child's peak RSS (VmHWM; getrusage's ru_maxrss would include the parent's peak,
    since Linux carries it over exec), so neither the generator nor the other backend counts.

Targets on a 2-core machine with 50,000 people on SQLite: first sync <= 5 s, unchanged
re-sync <= 3 s, peak RSS <= 400 MB. This is a benchmark, not a test: it asserts nothing
about speed and only reports when a run's counts differ from what it should have done.

Usage: .venv/bin/python benchmarks/sync_live.py [N ...] [--postgres URL] [--profile]
  --profile  run each sync under cProfile and print its top 25 functions by cumulative
             and by own time (the seconds printed are then inflated by the profiler).
slapd binds only 127.0.0.1; it is stopped, and the PostgreSQL database dropped, on any exit.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import math
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, NamedTuple, TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ldap  # noqa: E402
import ldap.modlist  # noqa: E402
import ldif  # noqa: E402
from flask import Flask  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services import directory  # noqa: E402
from demo.generate_ldif import (  # noqa: E402
    FIRST_NAMES,
    KOMMUN,
    MAIL_DOMAINS,
    NAMESPACE,
    SURNAMES,
    ascii_uid,
    ssha,
)
from ldap_sync import sync  # noqa: E402
from tests.conftest import (  # noqa: E402
    ADMIN_GROUP,
    COORDINATOR_GROUP,
    DEMO_SUFFIX,
    SERVICE_DN,
    SERVICE_PASSWORD,
    base_config,
    migrated_app,
)
from tests.databases import throwaway_postgres_database  # noqa: E402
from tests.slapd import SlapdServer, start_slapd  # noqa: E402

SUFFIX = DEMO_SUFFIX
DEFAULT_SIZES = [50_000]
COMPANY_SHARE = 0.05  # of the people, per company (two companies: 10 %)
ELECTED_SHARE = 0.01
BOARD_SIZE = 5
CONSULTANT_SHARE = 0.04
LEAF_SIZE = 48  # people per sub-unit on average: its head, team leaders and staff
TEAM_SIZE = 13  # one team leader per this many in a sub-unit: ~1 manager per 12 people
SUBUNITS_PER_UNIT = 6
CHANGED_SHARE = 0.01
ADDED_SHARE = DELETED_SHARE = 0.001
PROFILE_LINES = 25

# (sector, weight, unit names, staff titles); the companies' top level are departments.
Sector = tuple[str, int, list[str], list[str]]
KOMMUN_SECTORS: list[Sector] = [
    ("Socialtjänst", 40, ["Hemtjänst", "Särskilt boende", "Individ- och familjeomsorg",
                          "Funktionsstöd"],
     ["Undersköterska", "Vårdbiträde", "Sjuksköterska", "Socialsekreterare", "Stödassistent",
      "Biståndshandläggare"]),
    ("Utbildning", 35, ["Grundskola", "Förskola", "Gymnasieskola", "Elevhälsa"],
     ["Lärare", "Förskollärare", "Barnskötare", "Fritidspedagog", "Elevassistent", "Kurator"]),
    ("Samhällsbyggnad", 8, ["Bygglov", "Miljö och hälsoskydd", "Gata och park",
                            "Vatten och avlopp"],
     ["Bygglovshandläggare", "Miljöinspektör", "Parkarbetare", "Anläggningsarbetare",
      "Ingenjör"]),
    ("Kultur och fritid", 5, ["Bibliotek", "Fritidsgårdar", "Idrottsanläggningar"],
     ["Bibliotekarie", "Fritidsledare", "Badmästare"]),
    ("Verksamhetsstöd", 8, ["IT-enheten", "Ekonomienheten", "HR-enheten", "Kommunikation"],
     ["IT-tekniker", "Systemförvaltare", "Ekonom", "HR-specialist", "Lönespecialist",
      "Kommunikatör"]),
    ("Kommunledning", 4, ["Kommunledningskontoret", "Kansli"],
     ["Utredare", "Kommunstrateg", "Nämndsekreterare", "Registrator", "Kommunjurist"]),
]
COMPANIES: dict[str, list[Sector]] = {
    "Exempelby Bostäder AB": [
        ("Förvaltning", 1, ["Fastighetsförvaltning", "Projekt"],
         ["Fastighetsförvaltare", "Projektledare"]),
        ("Uthyrning", 1, ["Uthyrning", "Kundtjänst"],
         ["Uthyrningshandläggare", "Kundtjänstmedarbetare"]),
        ("Fastighetsservice", 2, ["Drift", "Underhåll"], ["Fastighetstekniker",
                                                          "Fastighetsskötare"]),
    ],
    "Exempelby Energi AB": [
        ("Elnät", 2, ["Elnät", "Mätning"], ["Elnätstekniker", "Mättekniker"]),
        ("Fjärrvärme", 1, ["Produktion", "Distribution"], ["Drifttekniker", "Rörmontör"]),
        ("Kundservice", 1, ["Kundservice", "Fakturering"],
         ["Kundtjänstmedarbetare", "Fakturahandläggare"]),
    ],
}
AREAS = ["Norr", "Söder", "Öster", "Väster", "Centrum", "Hamnen", "Åsen", "Dalen", "Bergsjö",
         "Ängby", "Strand", "Skogsby"]
TREES = ["Björken", "Eken", "Linden", "Lönnen", "Aspen", "Granen", "Tallen", "Rönnen",
         "Almen", "Hasseln"]
ELECTED_TITLES = ["Ledamot", "Ledamot", "Ledamot", "Ersättare", "Ersättare", "Ordförande"]


# --- the generated directory ------------------------------------------------------------

class Candidate(NamedTuple):
    """A staff member nobody reports to and in no group: safe to change, move or delete."""

    dn: str
    rdn: str
    subunit: str  # DN of their sub-unit
    unit: str  # DN of that sub-unit's unit
    title: str
    manager: str


@dataclass
class GeneratedDirectory:
    """What the generator wrote, as far as the benchmark needs to know."""

    people: int = 0
    group_members: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)  # sub-unit DN -> its head's DN
    subunits: dict[str, list[str]] = field(default_factory=dict)  # unit DN -> sub-unit DNs


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split into `parts` positive, somewhat uneven numbers (needs total >= parts)."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    for i in range(total - sum(sizes)):
        sizes[i % parts] += 1
    return sizes


def person_attributes(uid: str, given: str, sn: str, org: str, title: str,
                      manager: str | None, kind: str, number: int) -> dict[str, list[str]]:
    """An inetOrgPerson as the municipality's directory holds it (no entryUUID)."""
    name = f"{given} {sn}"
    attrs = {"objectClass": ["top", "person", "organizationalPerson", "inetOrgPerson"],
             "uid": [uid], "cn": [name], "displayName": [name], "givenName": [given],
             "sn": [sn], "mail": [f"{uid}@{MAIL_DOMAINS[org]}"], "title": [title],
             "o": [org], "employeeType": [kind]}
    if kind in ("employee", "consultant"):  # elected and board: no number, no manager
        attrs["employeeNumber"] = [str(number)]
        if manager:
            attrs["manager"] = [manager]
    return attrs


class Generator:
    """Writes the directory entry by entry (parents first, as slapadd requires)."""

    def __init__(self, out: TextIO, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
        self.writer = ldif.LDIFWriter(out, cols=76)
        self.result = GeneratedDirectory()
        self.uids: Counter[str] = Counter()

    def entry(self, dn: str, attrs: dict[str, list[str]]) -> str:
        # LDIFWriter base64-encodes the DN and any value that is not plain ASCII.
        self.writer.unparse(dn, {k: [v.encode() for v in vs] for k, vs in attrs.items()})
        return dn

    def ou(self, name: str, parent: str) -> str:
        return self.entry(f"ou={name},{parent}",
                          {"objectClass": ["top", "organizationalUnit"], "ou": [name]})

    def person(self, parent: str, org: str, title: str, manager: str | None,
               kind: str = "employee") -> str:
        self.result.people += 1
        given, sn = self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)
        base = ascii_uid(f"{given} {sn}")
        self.uids[base] += 1  # names hold no digits, so "anna.berg2" is never a base
        uid = base if self.uids[base] == 1 else f"{base}{self.uids[base]}"
        attrs = person_attributes(uid, given, sn, org, title, manager, kind,
                                  100000 + self.result.people)
        attrs["entryUUID"] = [str(uuid.uuid5(NAMESPACE, uid))]  # stable across re-runs
        return self.entry(f"uid={uid},{parent}", attrs)

    def organization(self, org_dn: str, org: str, top: str, sectors: list[Sector],
                     budget: int) -> None:
        """Sectors -> units -> sub-units holding `budget` people, chiefs reporting upwards."""
        total_weight = sum(weight for _, weight, _, _ in sectors)
        wanted = max(len(sectors), round(budget / LEAF_SIZE))
        shape: list[tuple[Sector, list[int]]] = []  # sub-units per unit, for each sector
        for sector in sectors:
            leaves = max(1, round(wanted * sector[1] / total_weight))
            units = math.ceil(leaves / SUBUNITS_PER_UNIT)
            shape.append((sector, [leaves // units + (i < leaves % units)
                                   for i in range(units)]))
        chiefs = len(sectors) + sum(len(units) for _, units in shape)
        leaves = sum(sum(units) for _, units in shape)
        if budget - chiefs < leaves:
            raise ValueError(f"{org}: {budget} people are too few for its units")
        sizes = iter(split(budget - chiefs, leaves, self.rng))
        chief_title = "Sektorchef" if org == KOMMUN else "Avdelningschef"
        for (name, _, unit_names, titles), units in shape:
            sector_dn = self.ou(name, org_dn)
            sector_chief = self.person(sector_dn, org, f"{chief_title} {name.lower()}", top)
            for u, subunit_count in enumerate(units):
                # "Hemtjänst Norr", "Särskilt boende Norr", ..., "Hemtjänst Söder", ...
                stem = unit_names[u % len(unit_names)]
                area = AREAS[(u // len(unit_names)) % len(AREAS)]
                lap = u // (len(unit_names) * len(AREAS))
                unit_name = f"{stem} {area}" + (f" {lap + 1}" if lap else "")
                unit_dn = self.ou(unit_name, sector_dn)
                unit_chief = self.person(unit_dn, org, "Verksamhetschef", sector_chief)
                for s in range(subunit_count):
                    sub_name = f"Grupp {TREES[s % len(TREES)]}" + (
                        f" {s // len(TREES) + 1}" if s >= len(TREES) else "")
                    subunit = self.ou(sub_name, unit_dn)
                    self.result.subunits.setdefault(unit_dn, []).append(subunit)
                    self.subunit(subunit, unit_dn, org, unit_chief, next(sizes), titles)

    def subunit(self, dn: str, unit: str, org: str, chief: str, size: int,
                titles: list[str]) -> None:
        """A head reporting to the unit's chief, team leaders reporting to the head, staff."""
        head = self.person(dn, org, "Enhetschef", chief)
        self.result.heads[dn] = head
        leaders = [self.person(dn, org, "Samordnare", head) for _ in range((size - 1) // TEAM_SIZE)]
        for i in range(size - 1 - len(leaders)):
            manager = leaders[i % len(leaders)] if leaders else head
            consultant = self.rng.random() < CONSULTANT_SHARE
            title = "Konsult" if consultant else self.rng.choice(titles)
            staff = self.person(dn, org, title, manager, "consultant" if consultant else "employee")
            self.result.candidates.append(
                Candidate(staff, staff.split(",", 1)[0], dn, unit, title, manager))

    def body(self, parent: str, name: str, org: str, members: int, kind: str) -> None:
        """Elected officials or a company board: no manager, no employee number."""
        dn = self.ou(name, parent)
        groups = ([self.ou(g, dn) for g in ("Kommunfullmäktige", "Kommunstyrelsen", "Nämnder")]
                  if kind == "elected" else [dn])
        for i in range(members):
            self.person(groups[i % len(groups)], org, self.rng.choice(ELECTED_TITLES), None, kind)


def generate(path: Path, people: int) -> GeneratedDirectory:
    """Write a directory of exactly `people` people, two groups and the sync's account."""
    with path.open("w", encoding="ascii", newline="\n") as out:
        gen = Generator(out, seed=people)
        gen.entry(SUFFIX, {"objectClass": ["top", "dcObject", "organization"],
                           "dc": ["exempelby"], "o": ["Exempelby"]})
        company_people = round(people * COMPANY_SHARE)
        elected = max(3, round(people * ELECTED_SHARE))
        kommun_dn = gen.entry(f"o={KOMMUN},{SUFFIX}",
                              {"objectClass": ["top", "organization"], "o": [KOMMUN]})
        director = gen.person(kommun_dn, KOMMUN, "Kommundirektör", None)
        kommun_budget = people - len(COMPANIES) * company_people - 1 - elected
        gen.organization(kommun_dn, KOMMUN, director, KOMMUN_SECTORS, kommun_budget)
        gen.body(kommun_dn, "Förtroendevalda", KOMMUN, elected, "elected")
        for org, sectors in COMPANIES.items():
            org_dn = gen.entry(f"o={org},{SUFFIX}",
                               {"objectClass": ["top", "organization"], "o": [org]})
            ceo = gen.person(org_dn, org, "VD", None)
            gen.organization(org_dn, org, ceo, sectors, company_people - 1 - BOARD_SIZE)
            gen.body(org_dn, "Styrelsen", org, BOARD_SIZE, "board")
        heads = list(gen.result.heads.values())  # kommun first, the last is Energi AB's
        groups = gen.ou("Grupper", SUFFIX)
        for group, members in ((COORDINATOR_GROUP, [heads[0], heads[-1]]),
                               (ADMIN_GROUP, [heads[1], heads[2]])):
            cn = group.split(",", 1)[0].removeprefix("cn=")
            assert group == f"cn={cn},{groups}"
            gen.entry(group, {"objectClass": ["top", "groupOfNames"], "cn": [cn],
                              "member": members})
            gen.result.group_members += len(members)
        accounts = gen.ou("Tjänstekonton", SUFFIX)
        assert f"cn=portal-sync,{accounts}" == SERVICE_DN
        gen.entry(SERVICE_DN, {
            "objectClass": ["top", "organizationalRole", "simpleSecurityObject"],
            "cn": ["portal-sync"], "description": ["LIS-portalens synkkonto (endast läsrätt)"],
            "userPassword": [ssha(SERVICE_PASSWORD, "portal-sync")]})
    if gen.result.people != people:
        raise AssertionError(f"generated {gen.result.people} people, not {people}")
    return gen.result


# --- the changes between the second and the third run -----------------------------------

@dataclass(frozen=True)
class DirectoryChanges:
    """LDAP writes (as rootdn) that should make the next sync update, create, deactivate."""

    titles: list[tuple[str, str]]  # (dn, new title)
    managers: list[tuple[str, str]]  # (dn, new manager's dn)
    moves: list[tuple[str, str, str, str]]  # (dn, rdn, new parent dn, new manager's dn)
    adds: list[tuple[str, dict[str, list[bytes]]]]
    deletes: list[str]

    @property
    def updated(self) -> int:
        return len(self.titles) + len(self.managers) + len(self.moves)


def plan_changes(generated: GeneratedDirectory, people: int) -> DirectoryChanges:
    """1 % changed (half new titles, a quarter new managers, a quarter moved), 0.1 % added
    and 0.1 % deleted: well under the sync's 5 % deactivation limit."""
    rng = random.Random(people + 1)  # noqa: S311 - reproducible test data, not a secret
    changed = max(1, round(people * CHANGED_SHARE))
    wanted = {"move": changed // 4, "manager": changed // 4,
              "title": changed - 2 * (changed // 4),
              "delete": max(1, round(people * DELETED_SHARE))}
    titles, managers, moves, deletes = [], [], [], []
    pool = generated.candidates[:]
    rng.shuffle(pool)
    for c in pool:
        siblings = [s for s in generated.subunits[c.unit] if s != c.subunit]
        if wanted["move"] and siblings:
            target = rng.choice(siblings)
            moves.append((c.dn, c.rdn, target, generated.heads[target]))
            wanted["move"] -= 1
        elif wanted["manager"] and c.manager != generated.heads[c.subunit]:
            managers.append((c.dn, generated.heads[c.subunit]))  # team leader -> the head
            wanted["manager"] -= 1
        elif wanted["title"]:
            titles.append((c.dn, f"Senior {c.title.lower()}"))
            wanted["title"] -= 1
        elif wanted["delete"]:
            deletes.append(c.dn)
            wanted["delete"] -= 1
        else:
            break
    if any(wanted.values()):
        raise ValueError(f"too few staff to change: still wanted {wanted}")
    adds = []
    subunits = list(generated.heads)
    for i in range(max(1, round(people * ADDED_SHARE))):
        subunit = rng.choice(subunits)
        org = subunit.split(",")[-3].removeprefix("o=")
        uid = f"ny.medarbetare{i + 1}"
        attrs = person_attributes(uid, rng.choice(FIRST_NAMES), rng.choice(SURNAMES), org,
                                  "Handläggare", generated.heads[subunit], "employee", 900000 + i)
        adds.append((f"uid={uid},{subunit}",
                     {k: [v.encode() for v in vs] for k, vs in attrs.items()}))
    return DirectoryChanges(titles, managers, moves, adds, deletes)


def apply_changes(url: str, root_dn: str, root_password: str, changes: DirectoryChanges) -> None:
    """Write the changes over one rootdn connection (entryUUIDs of new people are slapd's)."""
    conn = ldap.initialize(url)
    conn.simple_bind_s(root_dn, root_password)
    try:
        for dn, title in changes.titles:
            conn.modify_s(dn, [(ldap.MOD_REPLACE, "title", [title.encode()])])
        for dn, manager in changes.managers:
            conn.modify_s(dn, [(ldap.MOD_REPLACE, "manager", [manager.encode()])])
        for dn, rdn, parent, manager in changes.moves:
            conn.rename_s(dn, rdn, newsuperior=parent, delold=1)
            conn.modify_s(f"{rdn},{parent}", [(ldap.MOD_REPLACE, "manager", [manager.encode()])])
        for dn, attrs in changes.adds:
            conn.add_s(dn, ldap.modlist.addModlist(attrs))
        for dn in changes.deletes:
            conn.delete_s(dn)
    finally:
        conn.unbind_s()


# --- the child process: one database backend --------------------------------------------

def app_config(ldap_url: str) -> dict[str, Any]:
    """Settings that point the sync at the benchmark's slapd as the service account."""
    return {"LDAP_URL": ldap_url, "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD": SERVICE_PASSWORD, "LDAP_BASE_DNS": [SUFFIX]}


# Functions ldap_sync.sync calls through its module globals, timed by wrapping them there
# (in the child only; the code itself is not changed). "read+map" is split further by timing
# the source's iterator: "ldap" is waiting for and converting entries (python-ldap and
# LiveSource), "progress" the per-page progress callback (a database commit each), "map"
# the remainder. Whatever none of them covers — the run's own rows, the lock, the safety
# checks, the final commit — is "rest".
PHASES = {"read": "read+map", "load_known": "load", "reconcile": "reconcile",
          "apply_plan": "apply", "_write_changes": "changes"}


class PhaseTimer:
    """Seconds spent in each phase of one sync run."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.spent[name] = self.spent.get(name, 0.0) + seconds

    def install(self) -> None:
        for name in PHASES:
            if hasattr(sync, name):  # tolerate the sync module being reorganised
                setattr(sync, name, self._timed(name, getattr(sync, name)))

    def uninstall(self) -> None:
        for name in PHASES:
            wrapped = getattr(sync, name, None)
            if wrapped is not None and hasattr(wrapped, "__wrapped__"):
                setattr(sync, name, wrapped.__wrapped__)

    def _timed(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)
        return timed

    def watch(self, source: Any) -> Any:
        """Time the source's iteration and the progress callbacks made from inside it."""
        entries = source.entries

        def timed_entries(on_progress: Callable[[int], None] | None = None) -> Iterator[Any]:
            progress = self._timed("progress", on_progress) if on_progress else None
            iterator = iter(entries(progress))
            while True:
                start = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    self.add("source", time.perf_counter() - start)
                    return
                self.add("source", time.perf_counter() - start)
                yield item

        source.entries = timed_entries
        return source

    def report(self, total: float) -> str:
        spent = {name: self.spent.get(name, 0.0) for name in [*PHASES, "source", "progress"]}
        read = (f"read+map {spent['read']:.2f} (ldap {spent['source'] - spent['progress']:.2f}"
                f", progress {spent['progress']:.2f}, map {spent['read'] - spent['source']:.2f})")
        others = [f"{label} {spent[name]:.2f}" for name, label in PHASES.items() if name != "read"]
        rest = total - sum(spent[name] for name in PHASES)
        return "  ".join([read, *others, f"rest {rest:.2f}"])


@dataclass(frozen=True)
class Job:
    people: int
    backend: str
    database_url: str
    ldap_url: str
    root_dn: str
    root_password: str
    changes: DirectoryChanges
    group_members: int
    profile: bool


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB.

    From VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over exec, so a spawned
    child would report at least its parent's peak (measured: a 313 MB parent, a 14 MB child,
    ru_maxrss 314 MB).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_sync(app: Flask, label: str, expected: dict[str, int], job: Job) -> float:
    """One sync as the nightly command runs it; prints its time, counts and phases."""
    phases = PhaseTimer()
    phases.install()
    profiler = cProfile.Profile() if job.profile else None
    try:
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        plan = sync.run(phases.watch(directory.sync_source(app.config)),
                        sync.SyncSettings.from_config(app.config))
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - start
    finally:
        phases.uninstall()
    db.session.remove()  # the next run starts from a clean session, as a new command would
    counts = sync.summary(plan)
    shown = {k: v for k, v in counts.items() if v or k in expected}
    wrong = {k: (counts[k], v) for k, v in expected.items() if counts[k] != v}
    verdict = "as expected" if not wrong else "UNEXPECTED (got, wanted): " + ", ".join(
        f"{k} {got} != {want}" for k, (got, want) in wrong.items())
    print(f"    {label:<12} {elapsed:6.2f} s  "
          + " ".join(f"{k} {v}" for k, v in shown.items()) + f"  [{verdict}]", flush=True)
    print(f"    {'':<12} phases: {phases.report(elapsed)}  (peak RSS so far "
          f"{peak_rss_mb():.0f} MB)", flush=True)
    if profiler:
        for order in ("cumulative", "tottime"):
            print(f"    --- profile of {label}, top {PROFILE_LINES} by {order} ---", flush=True)
            pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(PROFILE_LINES)
        sys.stdout.flush()
    return elapsed


def measure_backend(job: Job) -> dict[str, float]:
    """Runs in a fresh spawned process: migrate, then the three syncs; returns seconds, MB."""
    n, changes = job.people, job.changes
    app = migrated_app(job.database_url, **app_config(job.ldap_url))
    before = peak_rss_mb()
    print(f"  {job.backend}: migrated (RSS {before:.0f} MB before the first sync)", flush=True)
    result: dict[str, float] = {"rss_before_mb": before}
    with app.app_context():
        result["first"] = timed_sync(app, "first sync", {
            "created": n, "updated": 0, "deactivated": 0, "unresolved_managers": 0,
            "grants_added": job.group_members}, job)
        result["unchanged"] = timed_sync(app, "unchanged", {
            "created": 0, "updated": 0, "deactivated": 0, "unchanged": n,
            "grants_added": 0}, job)
        start = time.perf_counter()
        apply_changes(job.ldap_url, job.root_dn, job.root_password, changes)
        print(f"    (slapd: {len(changes.titles)} titles, {len(changes.managers)} managers, "
              f"{len(changes.moves)} moves, {len(changes.adds)} added, {len(changes.deletes)} "
              f"deleted in {time.perf_counter() - start:.2f} s)", flush=True)
        result["changed"] = timed_sync(app, "1 % changed", {
            "created": len(changes.adds), "updated": changes.updated,
            "deactivated": len(changes.deletes), "unresolved_managers": 0,
            "unchanged": n - changes.updated - len(changes.deletes)}, job)
        db.engine.dispose()
    result["rss_mb"] = peak_rss_mb()
    sys.stdout.flush()
    return result


# --- the parent: generate, load, floors, one child per backend --------------------------

@contextmanager
def slapd_running(workdir: Path, max_size: int, ldif_path: Path | None = None,
                  ) -> Iterator[SlapdServer]:
    """slapd on 127.0.0.1 without a size limit (it would cap a paged search's total too)."""
    server = start_slapd(workdir, SUFFIX, ldif_path, size_limit=-1, max_size=max_size)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def database(backend: str, workdir: Path, postgres_url: str | None) -> Iterator[str]:
    """A fresh SQLite file, or a throwaway PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'portal.sqlite3'}"
        return
    assert postgres_url
    with throwaway_postgres_database(postgres_url, "portal_bench") as url:
        yield url


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def measure_floors(server: SlapdServer, people: int) -> dict[str, float]:
    """Reading every person with the sync's attributes: ldapsearch, then python-ldap raw."""
    app = create_app({**base_config("sqlite://"), **app_config(server.url)})
    source = directory.sync_source(app.config)
    assert isinstance(source, directory.LiveSource)
    settings = source.settings
    command = ["ldapsearch", "-x", "-LLL", "-H", server.url, "-D", settings.bind_dn,
               "-w", settings.bind_password, "-b", SUFFIX, "-E",
               f"pr={settings.page_size}/noprompt", settings.user_filter, *source.attributes]

    def ldapsearch() -> None:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"ldapsearch failed ({done.returncode}): {done.stderr}")

    read: list[int] = []

    def raw_read() -> None:
        read.append(sum(1 for _ in source.entries()))

    floors = {"ldapsearch": best_of(2, ldapsearch), "python_ldap": best_of(2, raw_read)}
    groups = len(source.group_dns)
    if read[-1] != people + groups:
        raise AssertionError(f"raw read gave {read[-1]} entries, not {people} + {groups} groups")
    print(f"  floors (best of 2): ldapsearch {floors['ldapsearch']:.2f} s, python-ldap raw "
          f"paged read {floors['python_ldap']:.2f} s ({people} people, page size "
          f"{settings.page_size}, attributes: {' '.join(source.attributes)})", flush=True)
    return floors


def bench(people: int, backends: list[str], postgres_url: str | None,
          profile: bool) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix=f"sync-live-{people}-") as tmp:
        work = Path(tmp)
        ldif_path = work / "directory.ldif"
        start = time.perf_counter()
        generated = generate(ldif_path, people)
        changes = plan_changes(generated, people)
        group_members = generated.group_members
        del generated  # keep the parent small: its floors are timed with the GC on
        print(f"{people} people: LDIF of {ldif_path.stat().st_size / 2**20:.1f} MB generated "
              f"in {time.perf_counter() - start:.2f} s", flush=True)
        max_size = max(2**30, people * 16 * 1024)  # mdb map; 50,000 people use ~91 MB
        start = time.perf_counter()
        with slapd_running(work / "slapd-load", max_size, ldif_path) as server:
            load = time.perf_counter() - start
            print(f"  slapadd -q + slapd start: {load:.2f} s", flush=True)
            floors = measure_floors(server, people)
        for backend in backends:
            # Each backend gets the directory as loaded, not as the previous one changed it.
            slapd_dir = work / f"slapd-{backend}"
            slapd_dir.mkdir()
            # data.mdb is a sparse file as large as the map (max_size): keep the holes.
            subprocess.run(["cp", "-r", "--sparse=always", str(work / "slapd-load" / "db"),
                            str(slapd_dir / "db")], check=True)
            with (slapd_running(slapd_dir, max_size) as server,
                  database(backend, work, postgres_url) as url,
                  ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool):
                job = Job(people, backend, url, server.url, server.root_dn,
                          server.root_password, changes, group_members, profile)
                result = pool.submit(measure_backend, job).result()
            rows.append({"people": people, "backend": backend, "load": load, **floors,
                         **result})
    return rows


def print_table(rows: list[dict[str, Any]], note: str = "") -> None:
    header = (f"{'N':>7}  {'backend':<10} {'first s':>8} {'unchanged s':>12} {'1 % s':>7} "
              f"{'peak RSS MB':>12} {'(at start)':>10} {'ldapsearch s':>13} "
              f"{'python-ldap s':>14} {'slapadd+start s':>16}")
    print()
    if note:
        print(note)
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['people']:>7}  {r['backend']:<10} {r['first']:>8.2f} {r['unchanged']:>12.2f} "
              f"{r['changed']:>7.2f} {r['rss_mb']:>12.0f} {r['rss_before_mb']:>10.0f} "
              f"{r['ldapsearch']:>13.2f} {r['python_ldap']:>14.2f} {r['load']:>16.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sizes", nargs="*", type=int, default=DEFAULT_SIZES, metavar="N",
                        help="people in the directory (default 50000)")
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL"),
                        metavar="URL", help="PostgreSQL server to benchmark on as well "
                        "(default: PORTAL_TEST_DATABASE_URL)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile each sync and print its top functions")
    args = parser.parse_args(argv)
    if any(n < 500 for n in args.sizes):
        parser.error("N must be at least 500")
    backends = ["sqlite", *(["postgresql"] if args.postgres else [])]
    rows = []
    for people in args.sizes:
        rows += bench(people, backends, args.postgres, args.profile)
    print_table(rows)


if __name__ == "__main__":
    main()
