"""The database side of benchmarks/load_test.py: load the demo group as `make run` does,
pick the simulated people and their open work, and check afterwards, in the database
itself, that every write the clients saw succeed is there exactly once with its audit
event, and nothing else was written."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from app.clock import today
from app.extensions import db
from app.models import (
    Acknowledgement,
    AuditEvent,
    ChangeKind,
    ItemCheck,
    Person,
    ProofMethod,
    Role,
    RoleGrant,
    TrainingCompletion,
)
from app.services import acknowledgements, checklists, completions, documents, people
from app.services.system_access import CoordinatorScope
from benchmarks.load_client import Person as Simulated
from benchmarks.load_client import Tally
from benchmarks.load_wsgi import FLOOR_TABLE

ROOT = Path(__file__).resolve().parent.parent
DEMO_COMMANDS = (["db", "upgrade"], ["ldap-sync", "--ldif", "demo/exempelby.ldif"],
                 ["demo-systems"], ["demo-documents"], ["demo-trainings"], ["demo-checklists"])


def demo_environment(database_url: str) -> dict[str, str]:
    """The environment of `make run` (demo/demo.env) on the given database."""
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url}
    for line in (ROOT / "demo/demo.env").read_text("utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            env[name.strip()] = value.strip().strip('"')
    return env


def load_demo(env: dict[str, str]) -> None:
    """Migrate and load the demo group with the same commands as the Makefile's `run`."""
    flask = str(Path(sys.executable).parent / "flask")
    for command in DEMO_COMMANDS:
        done = subprocess.run([flask, "--app", "wsgi", *command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stderr[-2000:]}")


def revise_documents(app: Flask) -> int:
    """Publish a new major version of every document that asks for a kvittens, as a
    group coordinator does at the yearly review: everyone in their audiences acknowledges
    again, so the ack-only phase has work for more than a few seconds."""
    with app.app_context():
        coordinator = db.session.scalar(select(Person).join(
            RoleGrant, RoleGrant.person_id == Person.id).where(
            RoleGrant.role == Role.COORDINATOR, RoleGrant.organization_id.is_(None),
            RoleGrant.revoked_at.is_(None), Person.active.is_(True)).limit(1))
        scope, live = CoordinatorScope.of(None), acknowledgements.live_documents()
        for document in live:
            current = documents.published(document)[-1]
            draft = documents.start_draft(coordinator, document, scope)
            documents.save_draft(coordinator, document, draft, documents.DraftFields(
                number=documents.suggested_number(current.number, ChangeKind.MAJOR),
                body=current.body + "\n\nReviderad vid årets översyn.",
                change_kind=ChangeKind.MAJOR.value, change_summary="Årets översyn",
                decided_by=current.decided_by, decision_date=today(),
                reference=current.reference, valid_from=today()), scope)
            documents.publish(coordinator, document, draft, scope)
        db.session.commit()
    return len(live)


def open_work(app: Flask) -> list[Simulated]:
    """Every active person with what they still have to do, as the portal computes it.

    A shared checklist item (a system with several administrators) goes to the first
    person only, so no two simulated people tick the same item."""
    found: list[Simulated] = []
    taken: set[tuple[int, int]] = set()
    with app.app_context():
        for person in db.session.scalars(select(Person).where(Person.active.is_(True))
                                         .order_by(Person.id)):
            roles = people.roles_of(person)
            acks = [(t.document.id, t.chain.current.id)
                    for t in acknowledgements.tasks_for(person, roles) if not t.done]
            trainings = [t.training.id for t in completions.tasks_for(person, roles)
                         if not t.done and t.training.proof != ProofMethod.IMPORT]
            ticks = []
            for view in checklists.mine(person):
                for state in view.items:
                    key = (view.assignment.id, state.item.id)
                    if not state.done and key not in taken:
                        taken.add(key)
                        ticks.append(key)
            found.append(Simulated(person.id, acks, trainings, ticks))
        db.session.rollback()
    return found


def pick(everyone: list[Simulated], users: int) -> tuple[list[Simulated], list[Simulated]]:
    """The `users` people with the most open work (checklist holders first, so every kind
    of post occurs), and the others who still have documents to acknowledge."""
    ranked = sorted(everyone, key=lambda p: (bool(p.ticks), len(p.acks) + len(p.trainings)
                                             + len(p.ticks)), reverse=True)
    mixed = [p for p in ranked[:users] if p.acks or p.trainings or p.ticks]
    rest = [p for p in ranked[users:] if p.acks]
    return mixed, rest


@dataclass
class Marks:
    """The highest id of each append-only table before the load; what is above is new."""

    ack: int
    completion: int
    check: int
    audit: int
    floor: int


def marks(app: Flask) -> Marks:
    with app.app_context():
        top = [db.session.scalar(select(func.coalesce(func.max(column), 0))) for column in (
            Acknowledgement.id, TrainingCompletion.id, ItemCheck.id, AuditEvent.id,
            FLOOR_TABLE.c.id)]
        db.session.rollback()
    return Marks(*top)


def verify(app: Flask, before: Marks, runs: list[Tally], floor: Tally
           ) -> list[tuple[str, bool, str]]:
    """Each check as (what, passed, detail), over the writes of every run after `before`."""
    load = Tally()
    for run in runs:
        load.merge(run)
    with app.app_context():
        return _verify(before, load, floor)


def _same(label: str, seen: list, stored: list) -> tuple[str, bool, str]:
    """The writes the clients saw succeed and the rows stored: the same, each once."""
    seen_count, stored_count = Counter(seen), Counter(stored)
    missing = seen_count - stored_count
    extra = stored_count - seen_count
    repeated = sum(1 for n in stored_count.values() if n > 1)
    passed = not missing and not extra and repeated == 0
    return (label, passed, f"2xx {len(seen)}, rows {len(stored)}, missing {sum(missing.values())}"
            f", unexpected {sum(extra.values())}, twice or more {repeated}")


def _verify(before: Marks, load: Tally, floor: Tally) -> list[tuple[str, bool, str]]:
    session = db.session
    acks = session.execute(select(Acknowledgement.person_id, Acknowledgement.version_id)
                           .where(Acknowledgement.id > before.ack)).all()
    duplicate_acks = session.execute(select(Acknowledgement.person_id, Acknowledgement.version_id)
                                     .group_by(Acknowledgement.person_id,
                                               Acknowledgement.version_id)
                                     .having(func.count() > 1)).all()
    done = session.execute(select(TrainingCompletion.training_id, TrainingCompletion.person_id,
                                  TrainingCompletion.id)
                           .where(TrainingCompletion.id > before.completion)).all()
    ticks = session.execute(select(ItemCheck.assignment_id, ItemCheck.item_id, ItemCheck.by_id)
                            .where(ItemCheck.id > before.check, ItemCheck.checked.is_(True))
                            ).all()
    unticks = session.scalar(select(func.count()).where(ItemCheck.id > before.check,
                                                        ItemCheck.checked.is_(False)))
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.id > before.audit)))
    floor_rows = session.scalar(select(func.count()).select_from(FLOOR_TABLE)
                                .where(FLOOR_TABLE.c.id > before.floor))
    session.rollback()
    by_action: dict[str, list[AuditEvent]] = {}
    for event in events:
        by_action.setdefault(event.action, []).append(event)
    ack_events = [(e.actor_id, e.details.get("version_id"))
                  for e in by_action.pop("document.acknowledged", [])]
    completion_events = [e.details.get("completion_id")
                         for e in by_action.pop("training.completed", [])]
    tick_events = [(int(e.object_id or 0), e.details.get("item_id"), e.actor_id)
                   for e in by_action.pop("checklist.ticked", [])]
    floor_ok = sum(len(v) for k, v in floor.times.items()) - sum(floor.not_2xx.values())
    return [
        ("no 5xx answers", load.server_errors + floor.server_errors == 0,
         str(load.server_errors + floor.server_errors)),
        ('no "database is locked" in any answer', load.locked + floor.locked == 0,
         str(load.locked + floor.locked)),
        ("every request answered in time", not load.failed and not floor.failed,
         ", ".join(f"{k} ×{n}" for k, n in (load.failed + floor.failed).items()) or "0 failed"),
        _same("acknowledgements: each 2xx stored once", [tuple(a) for a in load.acks],
              [tuple(a) for a in acks]),
        ("acknowledgements: no (person, version) twice in the table", not duplicate_acks,
         str(len(duplicate_acks))),
        _same("completions: each 2xx stored once", load.completions,
              [(t, p) for t, p, _ in done]),
        _same("ticks: each 2xx stored once", load.ticks, [tuple(t) for t in ticks]),
        ("ticks: no untick written", unticks == 0, str(unticks)),
        _same("audit: one document.acknowledged per acknowledgement",
              [tuple(a) for a in acks], ack_events),
        _same("audit: one training.completed per completion", [i for _, _, i in done],
              completion_events),
        _same("audit: one checklist.ticked per tick", [tuple(t) for t in ticks], tick_events),
        ("audit: no other events during the load", not by_action,
         ", ".join(f"{k} ×{len(v)}" for k, v in by_action.items()) or "none"),
        ("floor: each 2xx insert stored once", floor_rows == floor_ok,
         f"2xx {floor_ok}, rows {floor_rows}"),
    ]
