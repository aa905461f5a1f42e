"""Fault drills: the database connection, the disk or a worker goes away mid-request.

Each drill checks what the person sees (a Swedish page saying nothing was saved), that
nothing half-written is left behind, and that the portal works again afterwards. The
requests are stopped at the right moment by the pause point in app/faults.py, never by
sleeping. The directory and SMTP drills live with their features:
test_ldap_live_sync.py::test_slapd_dying_between_pages_aborts_and_changes_nothing and
test_reminders.py::test_an_smtp_failure_midway_keeps_what_was_sent_and_fails_the_command.
"""

from __future__ import annotations

import http.client
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app import create_app, faults
from app.extensions import db
from app.models import Acknowledgement, AuditEvent, DocumentVersion, Role
from tests.conftest import ROOT, IsolatedClient, base_config, migrated_app, new_postgres_database
from tests.factories import create_document, create_organization, create_person, grant
from tests.helpers import csrf_token, post, sign_in_as, text_of

POINT = "acknowledgement.before_commit"
UNAVAILABLE = ("Databasen svarar inte just nu. Inget av det du gjorde sparades. "
               "Försök igen om en stund.")
FULL = ("Ändringen kunde inte sparas eftersom databasen är full. Inget av det du gjorde "
        "sparades. Kontakta supporten.")
READ_ONLY = ("Ändringen kunde inte sparas eftersom databasen är skrivskyddad just nu. Inget "
             "av det du gjorde sparades. Du kan fortfarande läsa i portalen.")
WAIT_SECONDS = 30.0


# -- helpers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class World:
    """A person and a published document that asks them for a kvittens."""

    person_id: int
    document_id: int
    version_id: int

    @property
    def acknowledge_path(self) -> str:
        return f"/dokument/{self.document_id}/kvittera"

    def acknowledge_form(self) -> dict[str, str]:
        return {"version_id": str(self.version_id), "confirm": "y"}


def make_world(app: Flask, coordinator: bool = False) -> World:
    with app.app_context():
        organization = create_organization()
        person = create_person("eva.medarbetare", display_name="Eva Medarbetare",
                               organization=organization)
        if coordinator:
            grant(person, Role.COORDINATOR)
        document = create_document(organization=organization)
        version_id = db.session.scalar(select(DocumentVersion.id).where(
            DocumentVersion.document_id == document.id))
        db.session.commit()
        return World(person.id, document.id, version_id)


def written(app: Flask, world: World) -> tuple[int, int]:
    """(kvittenser of the document, its `document.acknowledged` audit events)."""
    with app.app_context():
        acks = db.session.scalar(select(func.count()).select_from(Acknowledgement).where(
            Acknowledgement.document_id == world.document_id))
        events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "document.acknowledged",
            AuditEvent.object_id == str(world.document_id)))
        return acks, events


def audit_event_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def signed_in(app: Flask, person_id: int) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, person_id)
    return client


class Pause:
    """The test's side of a pause point: wait until a request is there, then let it go."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.reached = Path(f"{base}.reached")

    @property
    def setting(self) -> str:
        return f"{POINT}:{self.base}"

    def wait_reached(self) -> int:
        """The paused process's id, once it is paused; fails after WAIT_SECONDS."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not self.reached.exists():
            assert time.monotonic() < deadline, "the request never reached the pause point"
            time.sleep(0.01)
        return int(self.reached.read_text("ascii"))

    def release(self) -> None:
        Path(f"{self.base}.release").touch()


def terminate_backends(url: str, state: str | None = None) -> list[int]:
    """pg_terminate_backend every other connection to this database (in `state` if given),
    waiting until each is gone; the ids of those terminated."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # Choose first, kill second: only these ids are ever passed to the kill.
            pids = list(connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND (CAST(:state AS text) IS NULL "
                "OR state = :state)"), {"state": state}).scalars())
            return [pid for pid in pids if connection.execute(
                text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar()]
    finally:
        engine.dispose()


# -- 1. the database connection is killed mid-request (PostgreSQL) ---------------------

if os.environ.get("PORTAL_TEST_DATABASE_URL"):
    # Collected only with a PostgreSQL server: killing a server connection is the drill.

    @pytest.fixture
    def postgres_app() -> Iterator[Flask]:
        with new_postgres_database() as url:
            application = migrated_app(url)
            yield application
            with application.app_context():
                db.engine.dispose()

    def test_a_connection_killed_mid_transaction_gives_a_swedish_page_and_the_next_request_works(
            postgres_app, tmp_path, monkeypatch):
        app, url = postgres_app, postgres_app.config["SQLALCHEMY_DATABASE_URI"]
        world = make_world(app)
        client = signed_in(app, world.person_id)
        pause = Pause(tmp_path / "ack")
        monkeypatch.setenv(faults.ENVIRONMENT_VARIABLE, pause.setting)
        data = {"csrf_token": csrf_token(client, "/"), **world.acknowledge_form()}

        with ThreadPoolExecutor(1) as pool:
            try:
                pending = pool.submit(client.post, world.acknowledge_path, data=data)
                pause.wait_reached()
                # The paused request is the only open transaction, its rows sent, not committed.
                assert len(terminate_backends(url, "idle in transaction")) == 1
            finally:
                pause.release()
            response = pending.result(timeout=WAIT_SECONDS)

        assert response.status_code == 503
        assert UNAVAILABLE in text_of(response)
        assert written(app, world) == (0, 0)

        # The same browser carries on: the dead connection was replaced.
        assert client.get(f"/dokument/{world.document_id}").status_code == 200
        again = post(client, world.acknowledge_path, world.acknowledge_form())
        assert again.status_code == 303, text_of(again)
        assert written(app, world) == (1, 1)

        # Idle pooled connections killed between requests: pre-ping finds and replaces them.
        assert terminate_backends(url)
        assert client.get(f"/dokument/{world.document_id}").status_code == 200


# -- 2. the disk is full (SQLite) --------------------------------------------------------

def test_a_full_disk_refuses_the_change_with_a_clear_page_and_writes_nothing(tmp_path):
    """SQLite only: `PRAGMA max_page_count` caps the file as a full disk would. PostgreSQL
    has no such switch; its disk_full error (53100) gets the same page (app/errors.py)."""
    app = migrated_app(f"sqlite:///{tmp_path / 'full.sqlite3'}")
    world = make_world(app, coordinator=True)
    client = signed_in(app, world.person_id)
    base = f"/styrdokument/{world.document_id}"
    assert post(client, f"{base}/utkast/ny", {}).status_code == 303
    draft = {"number": "2", "change_kind": "major", "change_summary": "Omskriven",
             "decided_by": "Kommunfullmäktige", "decision_date": "2026-02-01",
             "reference": "KS 2026/9", "valid_from": "", "do": "save",
             "body": "# Syfte\n\n" + "Alla ska skydda informationen. " * 5000}
    with app.app_context():
        engine = db.engine
        raw = engine.raw_connection()
        raw.cursor().execute("VACUUM")  # no free pages left to reuse: new text needs new ones
        raw.close()
    events_before = audit_event_count(app)

    def full(dbapi_connection, _record) -> None:
        # The cap cannot go below the current size, so 1 means "exactly as big as now".
        dbapi_connection.execute("PRAGMA max_page_count = 1")

    event.listen(engine, "connect", full)
    engine.dispose()
    try:
        token = csrf_token(client, f"{base}/utkast")
        response = client.post(f"{base}/utkast", data={"csrf_token": token, **draft})
    finally:
        event.remove(engine, "connect", full)
        engine.dispose()

    assert response.status_code == 503
    assert FULL in text_of(response)
    assert audit_event_count(app) == events_before
    with app.app_context():
        bodies = db.session.scalars(select(DocumentVersion.body).where(
            DocumentVersion.document_id == world.document_id)).all()
    assert draft["body"] not in bodies

    # With room again the very same form is saved.
    assert post(client, f"{base}/utkast", draft).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DocumentVersion).where(
            DocumentVersion.body == draft["body"])) == 1


# -- 3. the database is read-only ----------------------------------------------------------

@contextmanager
def read_only(app: Flask) -> Iterator[Flask]:
    """The portal on its database made read-only: SQLite opened with `mode=ro` (tests run
    as root, so file permissions would prove nothing); PostgreSQL with every new
    transaction read-only, as on a standby."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        reader = create_app(base_config(f"sqlite:///file:{url.database}?mode=ro&uri=true"))
        reader.test_client_class = IsolatedClient
        try:
            yield reader
        finally:
            with reader.app_context():
                db.engine.dispose()
        return
    server = create_engine(os.environ["PORTAL_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(
                f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on'))
        yield app
    finally:
        with server.connect() as connection:
            connection.execute(text(
                f'ALTER DATABASE "{url.database}" RESET default_transaction_read_only'))
        server.dispose()
        with app.app_context():
            db.engine.dispose()


def test_a_read_only_database_shows_every_page_and_refuses_a_change_clearly(standalone_app):
    app = standalone_app
    world = make_world(app)
    writer = signed_in(app, world.person_id)
    events_before = audit_event_count(app)

    with read_only(app) as reader_app:
        reader = reader_app.test_client()
        reader.set_cookie("portal_session", writer.get_cookie("portal_session").value)
        for path in ("/", "/dokument/", f"/dokument/{world.document_id}"):
            page = reader.get(path)
            assert page.status_code == 200, (path, text_of(page))
        assert "Eva Medarbetare" in text_of(reader.get("/"))
        response = post(reader, world.acknowledge_path, world.acknowledge_form())
        assert response.status_code == 503
        assert READ_ONLY in text_of(response)

    assert written(app, world) == (0, 0)
    assert audit_event_count(app) == events_before
    # Writable again, the same kvittens is saved.
    assert post(writer, world.acknowledge_path, world.acknowledge_form()).status_code == 303
    assert written(app, world) == (1, 1)


# -- 4. a worker is SIGKILLed mid-acknowledgement -------------------------------------

@dataclass
class Gunicorn:
    """The real portal under gunicorn on a free loopback port."""

    process: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    def log_text(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)",
                                                self.log_text())]

    def wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log_text()}"
            assert time.monotonic() < deadline, f"gunicorn: no {what}:\n{self.log_text()}"
            time.sleep(0.02)


def demo_environment() -> dict[str, str]:
    """demo/demo.env as `make run` loads it."""
    values = {}
    for line in (ROOT / "demo" / "demo.env").read_text("utf-8").splitlines():
        for word in shlex.split(line, comments=True):
            key, _, value = word.partition("=")
            values[key] = value
    return values


@contextmanager
def gunicorn_portal(database_url: str, tmp_path: Path, extra: dict[str, str]
                    ) -> Iterator[Gunicorn]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("PORTAL_")}
    environment.update(demo_environment())
    environment.update({"PORTAL_DATABASE_URL": database_url, "PORTAL_DEMO": "1",
                        "PORTAL_LDAP_URL": "", **extra})
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1",
             "--bind", "127.0.0.1:0", "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True)
    server = Gunicorn(process, log)
    try:
        server.wait_for(lambda: "Listening at: http://127.0.0.1:" in server.log_text(),
                        "listening socket")
        server.url = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)",
                               server.log_text()).group(1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group holds only this gunicorn
            process.wait(timeout=10)


class HttpBrowser:
    """A browser over real HTTP: keeps cookies, follows redirects, reads CSRF tokens."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=WAIT_SECONDS) as reply:
                return reply.status, reply.read().decode("utf-8")
        except HTTPError as error:
            return error.code, error.read().decode("utf-8", errors="replace")

    def post_form(self, path: str, data: dict[str, str], token_from: str) -> tuple[int, str]:
        _status, page = self.request(token_from)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, f"no CSRF token on {token_from}"
        return self.request(path, {"csrf_token": token.group(1), **data})


def test_a_worker_killed_mid_acknowledgement_leaves_all_or_nothing(standalone_app, tmp_path):
    app = standalone_app
    world = make_world(app)
    with app.app_context():
        db.engine.dispose()  # the portal under gunicorn is the only one using the database
    pause = Pause(tmp_path / "ack")
    document_page = f"/dokument/{world.document_id}"

    with gunicorn_portal(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                         {faults.ENVIRONMENT_VARIABLE: pause.setting}) as portal:
        browser = HttpBrowser(portal.url)
        status, _page = browser.post_form("/demo/logga-in", {"person_id": str(world.person_id)},
                                          token_from="/logga-in")
        assert status == 200
        _status, page = browser.request(document_page)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(browser.request, world.acknowledge_path,
                                  {"csrf_token": token, **world.acknowledge_form()})
            worker = pause.wait_reached()
            assert worker != portal.process.pid and worker in portal.worker_pids()
            os.kill(worker, signal.SIGKILL)
            try:
                status, _page = pending.result(timeout=WAIT_SECONDS)
                assert status >= 500
            except (OSError, http.client.HTTPException):
                pass  # the connection died with the worker, as a browser would see it

        # gunicorn's master starts a new worker; the kvittens is not there, not even half.
        portal.wait_for(lambda: len(portal.worker_pids()) == 2, "new worker")
        assert written(app, world) == (0, 0)

        status, page = browser.post_form(world.acknowledge_path, world.acknowledge_form(),
                                         token_from=document_page)
        assert status == 200 and "Din kvittens av" in page, page
        assert written(app, world) == (1, 1)


# -- the pause point itself ---------------------------------------------------------------

def test_a_stray_pause_setting_never_stalls_a_production_portal(tmp_path, monkeypatch):
    pause = Pause(tmp_path / "stray")
    monkeypatch.setenv(faults.ENVIRONMENT_VARIABLE, pause.setting)
    production = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "PORTAL_DEMO": False,
                             "SECRET_KEY": "a-long-production-secret-key-0123456789"})
    with production.app_context():
        faults.pause_point(POINT)  # would wait WAIT_SECONDS if it paused
    faults.pause_point(POINT)  # outside any app, likewise
    assert not pause.reached.exists()
