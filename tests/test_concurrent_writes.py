"""Concurrent writers: acknowledgements, training confirmations and checklist ticks posted at
the same moment by several people (and by one person from several tabs) are all answered,
none with "database is locked", and each lands in the database exactly once with one
audit event.

The requests go through the real request path (test clients of an app on a database of
its own), one thread per browser, released together by a barrier each round. On SQLite
this rests on WAL, the busy timeout and POST requests beginning their transaction
IMMEDIATE (app/__init__.py); the last tests show why the last of those is needed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text
from sqlalchemy.exc import OperationalError

from app.clock import today, utcnow
from app.extensions import db
from app.models import Acknowledgement, AuditEvent, ItemCheck, Person, TrainingCompletion
from app.services import checklist_assignments, checklists
from tests.conftest import migrated_app
from tests.factories import create_document, create_organization, create_person, create_training
from tests.helpers import csrf_token, sign_in_as

WRITERS = 8
TABS = 4
BARRIER_SECONDS = 60.0  # a thread that never arrives fails the test instead of hanging it
FRAGMENT = {"HX-Request": "true"}
NOTE = "Gick igenom rutinen på arbetsplatsträffen"


@dataclass
class World:
    """Managers (each with one report, so each holds a manager checklist), two documents
    and a training that ask everyone, and each manager's checklist items."""

    managers: list[int]
    documents: list[tuple[int, int]]  # (document id, version id)
    training: int
    items: dict[int, list[tuple[int, int]]]  # manager id -> [(assignment id, item id)]


def build_world(app: Flask, managers: int) -> World:
    with app.app_context():
        organization = create_organization()
        people = [create_person(f"chef{n}", organization=organization)
                  for n in range(managers)]
        for n, manager in enumerate(people):
            create_person(f"medarbetare{n}", organization=organization, manager=manager)
        documents = [create_document(f"Dokument {n}", organization=organization)
                     for n in range(2)]
        training = create_training(organization=organization)
        checklist_assignments.generate()
        db.session.commit()
        items = {p.id: [(view.assignment.id, state.item.id)
                        for view in checklists.mine(p) for state in view.items]
                 for p in people}
        world = World([p.id for p in people], [(d.id, d.versions[0].id) for d in documents],
                      training.id, items)
        db.session.rollback()
    return world


@dataclass
class Browser:
    person_id: int
    client: FlaskClient
    token: str

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        response = self.client.post(path, data={"csrf_token": self.token, **data},
                                    headers={**FRAGMENT, "X-CSRFToken": self.token})
        return response.status_code, response.get_data(as_text=True)


def browser(app: Flask, person_id: int) -> Browser:
    client = app.test_client()
    sign_in_as(client, person_id)
    return Browser(person_id, client, csrf_token(client, "/"))


def tabs(app: Flask, person_id: int, count: int) -> list[Browser]:
    """Several tabs of one browser: one sign-in, its session cookie in each (a second
    sign-in would end the first session)."""
    first = browser(app, person_id)
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = first.client.get_cookie(name)
    assert cookie is not None
    others = []
    for _ in range(count - 1):
        client = app.test_client()
        client.set_cookie(name, cookie.value)
        others.append(Browser(person_id, client, first.token))
    return [first, *others]


def acknowledge(document: tuple[int, int]) -> Callable[[Browser], tuple[int, str]]:
    return lambda b: b.post(f"/dokument/{document[0]}/kvittera",
                            {"version_id": str(document[1]), "confirm": "y"})


def confirm(training: int) -> Callable[[Browser], tuple[int, str]]:
    return lambda b: b.post(f"/utbildning/{training}/genomford",
                            {"completed_on": today().isoformat(), "note": ""})


def tick(assignment: int, item: int) -> Callable[[Browser], tuple[int, str]]:
    return lambda b: b.post(f"/checklista/{assignment}/punkt/{item}",
                            {f"item-{item}-note": NOTE, f"item-{item}-evidence_link": "",
                             "do": "tick"})


def all_at_once(browsers: list[Browser], rounds: list[list[Callable]]
                ) -> list[tuple[int, str]]:
    """Each round, every browser posts its own request of that round at the same moment
    (`rounds[r][i]` for browser i); returns every (status, body)."""
    barrier = threading.Barrier(len(browsers), timeout=BARRIER_SECONDS)

    def run(index: int) -> list[tuple[int, str]]:
        answers = []
        for requests in rounds:
            barrier.wait()
            answers.append(requests[index](browsers[index]))
        return answers

    with ThreadPoolExecutor(len(browsers)) as pool:
        results = list(pool.map(run, range(len(browsers))))
    return [answer for answers in results for answer in answers]


def assert_all_answered(answers: list[tuple[int, str]]) -> None:
    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: len(answers)}, statuses
    assert not [body for _, body in answers if "database is locked" in body]


def stored(app: Flask) -> dict[str, Counter]:
    """What the append-only tables and the audit log hold, as counts per key."""
    with app.app_context():
        session = db.session
        result = {
            "acks": Counter(session.execute(select(Acknowledgement.person_id,
                                                   Acknowledgement.version_id)).all()),
            "completions": Counter(session.execute(select(TrainingCompletion.person_id,
                                                          TrainingCompletion.training_id)
                                                   ).all()),
            "ticks": Counter(session.execute(select(ItemCheck.by_id, ItemCheck.assignment_id,
                                                    ItemCheck.item_id, ItemCheck.checked)
                                             ).all()),
            "ack events": Counter((e.actor_id, e.details["version_id"]) for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "document.acknowledged"))),
            "completion events": Counter((e.actor_id, int(e.object_id)) for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "training.completed"))),
            "tick events": Counter((e.actor_id, int(e.object_id), e.details["item_id"])
                                   for e in session.scalars(select(AuditEvent).where(
                                       AuditEvent.action.in_(("checklist.ticked",
                                                              "checklist.unticked"))))),
        }
        session.rollback()
    return result


def test_many_people_writing_at_once_are_all_answered_and_stored_once(standalone_app):
    app = standalone_app
    world = build_world(app, WRITERS)
    browsers = [browser(app, person_id) for person_id in world.managers]
    ticks = min(len(world.items[p]) for p in world.managers)
    assert ticks >= 3  # the manager checklist has items to tick

    rounds = [[acknowledge(document)] * WRITERS for document in world.documents]
    rounds.append([confirm(world.training)] * WRITERS)
    rounds += [[tick(*world.items[p][n]) for p in world.managers] for n in range(ticks)]
    answers = all_at_once(browsers, rounds)

    assert_all_answered(answers)
    assert len(answers) == WRITERS * (3 + ticks)
    found = stored(app)
    assert found["acks"] == {(p, v): 1 for p in world.managers for _, v in world.documents}
    assert found["completions"] == {(p, world.training): 1 for p in world.managers}
    expected_ticks = {(p, a, i): 1 for p in world.managers for a, i in world.items[p][:ticks]}
    assert found["ticks"] == {(*key, True): 1 for key in expected_ticks}
    assert found["ack events"] == found["acks"]
    assert found["completion events"] == found["completions"]
    assert found["tick events"] == expected_ticks


def test_one_person_posting_from_several_tabs_at_once_is_stored_once(standalone_app):
    """The same kvittens, confirmation and tick sent at the same moment from four tabs (four
    sessions of one person): each tab is answered as done, one row and one event each."""
    app = standalone_app
    world = build_world(app, 1)
    [person] = world.managers
    assignment, item = world.items[person][0]
    rounds = [[acknowledge(world.documents[0])] * TABS, [confirm(world.training)] * TABS,
              [tick(assignment, item)] * TABS]

    answers = all_at_once(tabs(app, person, TABS), rounds)

    assert_all_answered(answers)
    assert all("Tack! Din kvittens av Dokument 0 är sparad." in body
               for body in [body for _, body in answers[0::3]])
    found = stored(app)
    assert found["acks"] == {(person, world.documents[0][1]): 1}
    assert found["completions"] == {(person, world.training): 1}
    assert found["ticks"] == {(person, assignment, item, True): 1}
    assert found["ack events"] == found["acks"]
    assert found["completion events"] == found["completions"]
    assert found["tick events"] == {(person, assignment, item): 1}


# -- SQLite: why POST requests begin IMMEDIATE ------------------------------------------

@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """An app on a SQLite file of its own, and the file's path."""
    path = tmp_path / "locking.sqlite3"
    application = migrated_app(f"sqlite:///{path}")
    yield application, str(path)
    with application.app_context():
        db.engine.dispose()


def other_writer(path: str) -> sqlite3.Connection:
    """Another process's connection, as a second gunicorn worker would have it; it does
    not wait for a lock (busy timeout 0), so a held write lock shows at once."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA busy_timeout=0")
    return connection


def add_event(connection: sqlite3.Connection) -> None:
    connection.execute("INSERT INTO audit_event (occurred_at, action, object_type, details) "
                       "VALUES (?, 'test.other_writer', 'test', '{}')", (utcnow(),))


def test_sqlite_a_read_then_write_transaction_fails_at_once_when_another_writer_got_in(
        sqlite_app):
    """The failure BEGIN IMMEDIATE prevents: a deferred transaction reads, another
    connection writes and commits, and the first one's write is refused at once with
    "database is locked" — the 5 s busy timeout cannot help, as waiting would not make
    its snapshot current."""
    app, path = sqlite_app
    with app.test_request_context("/", method="GET"):
        db.session.scalar(select(Person.id).limit(1))  # read: a plain, deferred BEGIN
        other = other_writer(path)
        other.execute("BEGIN IMMEDIATE")  # a GET holds no write lock: the other gets it
        add_event(other)
        other.execute("COMMIT")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            db.session.execute(insert(AuditEvent).values(
                occurred_at=utcnow(), action="test.reader", object_type="test", details={}))
        assert time.monotonic() - started < 4  # refused, not after waiting out the timeout
        db.session.rollback()
        other.close()


def test_sqlite_a_post_request_holds_the_write_lock_from_its_first_read(sqlite_app):
    """So the same read-then-write in a POST cannot be overtaken: another writer waits (here,
    with no busy timeout, is refused) until the POST's transaction ends, then goes ahead."""
    app, path = sqlite_app
    other = other_writer(path)
    with app.test_request_context("/", method="POST"):
        db.session.scalar(select(Person.id).limit(1))  # read: BEGIN IMMEDIATE
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.execute(insert(AuditEvent).values(
            occurred_at=utcnow(), action="test.writer", object_type="test", details={}))
        db.session.commit()
    other.execute("BEGIN IMMEDIATE")
    add_event(other)
    other.execute("COMMIT")
    other.close()
    with app.app_context():
        actions = db.session.scalars(text("SELECT action FROM audit_event WHERE action LIKE "
                                          "'test.%' ORDER BY id")).all()
    assert actions == ["test.writer", "test.other_writer"]
