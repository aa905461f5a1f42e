"""A bounded load test under gunicorn (sync workers) on SQLite (WAL) and PostgreSQL, with a
check afterwards that nothing was lost or written twice.

Per database: a fresh database loaded with the demo group as `make run` does it (SQLite in
a temp directory; PostgreSQL in a throwaway database on --postgres, dropped afterwards),
then a new major version of each document to acknowledge, as at the yearly review, so
everyone has acknowledgements to give;
gunicorn on a free port on 127.0.0.1 serving the portal plus a benchmark-only `POST
/_floor` (benchmarks/load_wsgi.py); every simulated person signed in through the demo
sign-in. Then, over --connections concurrent connections:

  1. floor     --floor-seconds of `POST /_floor`: one INSERT and a commit, nothing else;
  2. mixed     --seconds of --users people round-robined over the connections, each in turn
               opening Mina uppgifter and posting their next task: an acknowledgement, a
               training confirmation or a checklist tick; people out of work re-post an
               acknowledgement already given (idempotent, counted apart);
  3. ack only  up to --floor-seconds of first acknowledgements (POST /dokument/<id>/kvittera)
               by the people outside the mix, until they have none left: the throughput to
               compare with the floor.

It prints requests, req/s and p50/p95/p99 per kind, then checks in the database that every
2xx acknowledgement, completion and tick is stored exactly once with one audit event each,
that nothing else was written, no answer was 5xx or "database is locked", and every request
was answered within its timeout. It exits 1 when a check fails; the targets for the ack-only
phase (throughput ≥ 40 % of the floor's, p99 ≤ 100 ms) are printed, and fail the run only
with --strict.

Usage: .venv/bin/python benchmarks/load_test.py [--seconds 60] [--users 64] [--connections 16]
           [--workers N] [--floor-seconds 10] [--postgres URL] [--strict]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.clock import today  # noqa: E402
from app.extensions import db  # noqa: E402
from benchmarks import load_client as client  # noqa: E402
from benchmarks import load_data as data  # noqa: E402
from benchmarks.load_wsgi import create_floor_table  # noqa: E402
from tests.databases import throwaway_postgres_database  # noqa: E402

READY_SECONDS = 60  # gunicorn must answer within this, or the run stops


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn with sync workers on a free port; returns once it answers (bounded)."""
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "--workers", str(workers), "--worker-class", "sync", "--bind",
         f"127.0.0.1:{port}", "--timeout", "60", "--backlog", "256",
         "benchmarks.load_wsgi:create()"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            # Answered, not only listening: a worker has loaded the portal.
            status, _ = client.Connection(port, 5).send("GET", "/logga-in")
            if status == 200:
                return process, port
        except OSError:
            pass
        try:
            process.wait(0.05)  # the poll interval doubles as noticing an early exit
        except subprocess.TimeoutExpired:
            continue
    stop(process)
    raise RuntimeError(f"gunicorn did not answer within {READY_SECONDS} s")


def stop(process: subprocess.Popen) -> None:
    """Graceful stop, then kill: gunicorn never outlives the run."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile, in ms."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def row(kind: str, times: list[float], seconds: float, failed: int = 0) -> str:
    if not times:
        return f"  {kind:<28}{0:>9}"
    return (f"  {kind:<28}{len(times):>9}{len(times) / seconds:>9.1f}"
            f"{percentile(times, .50):>9.1f}{percentile(times, .95):>9.1f}"
            f"{percentile(times, .99):>9.1f}{failed:>9}")


def sign_in_all(port: int, everyone: list[client.Person], connections: int) -> None:
    """Sign everyone in over the connections (not timed)."""
    def sign_in_next(connection: client.Connection, _tally: client.Tally,
                     person: client.Person) -> bool:
        if person.token:
            return False
        client.sign_in(connection, person)
        return True

    client.run_phase(port, 600, spread(everyone, connections), sign_in_next,
                     client.SIGN_IN_TIMEOUT)
    missing = [p.id for p in everyone if not p.token]
    if missing:
        raise RuntimeError(f"sign-in failed for {len(missing)} people, e.g. {missing[:5]}")


def run_backend(label: str, url: str, args: argparse.Namespace, workdir: Path) -> bool:
    print(f"\n== {label}: loading the demo group …", flush=True)
    env = data.demo_environment(url)
    data.load_demo(env)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PORTAL_DEMO": True})
    with app.app_context():
        create_floor_table(db.engine)
    data.revise_documents(app)
    mixed, rest = data.pick(data.open_work(app), args.users)
    work = [sum(len(getattr(p, k)) for p in mixed) for k in ("acks", "trainings", "ticks")]
    print(f"   {len(mixed)} people in the mix with {work[0]} documents, {work[1]} trainings and"
          f" {work[2]} checklist items open; {len(rest)} others with "
          f"{sum(len(p.acks) for p in rest)} documents for the ack-only phase", flush=True)
    server, port = start_gunicorn(env, args.workers, workdir / f"gunicorn-{label}.log")
    try:
        sign_in_all(port, mixed + rest, args.connections)
        before = data.marks(app)
        load_avg = os.getloadavg()
        floor, floor_s = client.run_phase(port, args.floor_seconds,
                                          [[None]] * args.connections,  # type: ignore[list-item]
                                          client.floor_step)
        day = today().isoformat()
        load, load_s = client.run_phase(port, args.seconds, spread(mixed, args.connections),
                                        lambda c, t, p: client.mixed_step(c, t, p, day))
        # After the mix, so every worker has its templates compiled, as a running server has.
        acks_only, acks_s = client.run_phase(
            port, args.floor_seconds, spread(rest, args.connections),
            lambda c, t, p: client.acknowledge(c, t, p))
        load_after = os.getloadavg()
    finally:
        stop(server)
    checks = data.verify(app, before, [acks_only, load], floor)
    with app.app_context():
        db.engine.dispose()
    met = report(label, args, (floor, floor_s), (acks_only, acks_s), (load, load_s),
                 (load_avg, load_after))
    print("  checks:")
    for what, passed, detail in checks:
        print(f"    {'PASS' if passed else 'FAIL'}  {what}: {detail}")
    return all(passed for _, passed, _ in checks) and (met or not args.strict)


def spread(people: list[client.Person], connections: int) -> list[list[client.Person]]:
    """Round-robin the people over the connections (no empty group)."""
    return [g for g in (people[i::connections] for i in range(connections)) if g]


def report(label: str, args: argparse.Namespace, floor_run: tuple[client.Tally, float],
           ack_run: tuple[client.Tally, float], mixed_run: tuple[client.Tally, float],
           loads: tuple) -> bool:
    """The table of one database; True when both targets are met."""
    (floor, floor_s), (acks, acks_s), (load, load_s) = floor_run, ack_run, mixed_run
    before, after = ("/".join(f"{x:.2f}" for x in avg) for avg in loads)
    print(f"\n{label}: gunicorn {args.workers} sync workers, {args.connections} connections;"
          f" load average (1/5/15 min) {before} before, {after} after")
    print(f"  {'':<28}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'non-2xx':>9}")
    print(f" floor, {floor_s:.1f} s:")
    print(row("POST /_floor", floor.times["POST /_floor"], floor_s, sum(floor.not_2xx.values())))
    print(f" mixed, {load_s:.1f} s, {args.users} people:")
    for kind in sorted(load.times):
        failed = sum(n for k, n in load.not_2xx.items() if k.startswith(kind + " "))
        print(row(kind, load.times[kind], load_s, failed))
    print(row("all", [t for times in load.times.values() for t in times], load_s,
              sum(load.not_2xx.values())))
    print(f" ack only, {acks_s:.1f} s, {len(acks.acks)} first acknowledgements:")
    print(row("POST kvittera", acks.times["POST kvittera"], acks_s, sum(acks.not_2xx.values())))
    every = (floor, acks, load)
    print(f"  5xx: {sum(t.server_errors for t in every)}   'database is locked': "
          f"{sum(t.locked for t in every)}   unanswered: "
          f"{sum(sum(t.failed.values()) for t in every)}")
    floor_rate = len(floor.times["POST /_floor"]) / floor_s
    ack_rate = len(acks.times["POST kvittera"]) / acks_s
    share = 100 * ack_rate / floor_rate if floor_rate else 0.0
    ack_times = acks.times["POST kvittera"]
    p99 = percentile(ack_times, .99) if ack_times else float("inf")
    print(f"  target, ack only ≥ 40 % of the floor: {ack_rate:.1f} / {floor_rate:.1f} req/s = "
          f"{share:.0f} % → {'met' if share >= 40 else 'MISSED'}")
    print(f"  target, ack only p99 ≤ 100 ms at {args.connections} connections: {p99:.1f} ms → "
          f"{'met' if p99 <= 100 else 'MISSED'}")
    return share >= 40 and p99 <= 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--floor-seconds", type=float, default=10)
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL (a throwaway "
                        "database on this server, dropped afterwards)")
    parser.add_argument("--strict", action="store_true", help="a missed target fails the run")
    args = parser.parse_args()
    passed = True
    with tempfile.TemporaryDirectory(prefix="portal-load-") as tmp:
        workdir = Path(tmp)
        passed &= run_backend("SQLite (WAL)", f"sqlite:///{workdir / 'load.sqlite3'}", args,
                              workdir)
        if args.postgres:
            with throwaway_postgres_database(args.postgres, prefix="portal_load") as url:
                passed &= run_backend("PostgreSQL", url, args, workdir)
    print("\nPASS" if passed else "\nFAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
