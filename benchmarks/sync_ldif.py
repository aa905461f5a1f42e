"""Measure the directory sync from LDIF: first load, an unchanged re-run, and 1 % changes.

Usage: .venv/bin/python benchmarks/sync_ldif.py [PEOPLE ...]   (default 2000 10000)
Prints wall-clock seconds per phase on a fresh SQLite file (or PORTAL_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from ldap_sync import sync  # noqa: E402
from ldap_sync.source import LdifSource  # noqa: E402

SUFFIX = "o=Bench kommun,dc=exempelby,dc=se"


def write_ldif(path: Path, people: int, title_suffix: str = "", changed_every: int = 0) -> None:
    """A directory of `people` in 20 units of 5 sub-units, each reporting to a unit head."""
    with path.open("w", encoding="utf-8") as out:
        out.write("version: 1\n\n")
        for i in range(people):
            unit, sub = i % 20, (i // 20) % 5
            head = (unit * 5 + sub) % max(people, 1)
            title = "Handläggare"
            if changed_every and i % changed_every == 0:
                title += title_suffix
            manager = f"uid=p{head},ou=Del {sub},ou=Enhet {unit},{SUFFIX}" if i != head else ""
            out.write(
                f"dn: uid=p{i},ou=Del {sub},ou=Enhet {unit},{SUFFIX}\n"
                "objectClass: inetOrgPerson\n"
                f"entryUUID: {uuid.uuid5(uuid.NAMESPACE_OID, str(i))}\n"
                f"uid: p{i}\ncn: Person {i}\nsn: {i}\ngivenName: Person\n"
                f"mail: p{i}@exempelby.se\ntitle: {title}\no: Bench kommun\n"
                "employeeType: employee\n" + (f"manager: {manager}\n" if manager else "") + "\n")


def timed(label: str, action) -> None:
    start = time.perf_counter()
    plan = action()
    elapsed = time.perf_counter() - start
    counts = sync.summary(plan)
    print(f"  {label:<28} {elapsed:7.2f} s   created {counts['created']:>6}  "
          f"updated {counts['updated']:>6}  deactivated {counts['deactivated']:>5}")


def bench(people: int, workdir: Path) -> None:
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "LDAP_ORGANIZATIONS": {"attribute": "o", "organizations": {
                          "Bench kommun": "municipality"}}})
    full, changed = workdir / f"full-{people}.ldif", workdir / f"changed-{people}.ldif"
    write_ldif(full, people)
    write_ldif(changed, people, title_suffix=" II", changed_every=100)
    settings = sync.SyncSettings.from_config(app.config)
    print(f"{people} people ({url.split(':')[0]}):")
    with app.app_context():
        flask_migrate.upgrade()
        timed("first load", lambda: sync.run(LdifSource(full), settings))
        timed("unchanged re-run", lambda: sync.run(LdifSource(full), settings))
        timed("1 % changed titles", lambda: sync.run(LdifSource(changed), settings))
        db.engine.dispose()


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 10000]
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            bench(size, Path(tmp))
