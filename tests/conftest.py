"""Shared fixtures: one migrated app per database backend, a rolled-back transaction per test.

The suite runs on SQLite always and on PostgreSQL too when PORTAL_TEST_DATABASE_URL
points at a server: a uniquely named database is created there and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

from app import create_app
from app.extensions import db
from tests.databases import throwaway_postgres_database
from tests.slapd import SlapdServer, start_slapd

ROOT = Path(__file__).resolve().parent.parent
DEMO_LDIF = ROOT / "demo" / "exempelby.ldif"
DEMO_SUFFIX = "dc=exempelby,dc=se"
COORDINATOR_GROUP = "cn=LIS-samordnare,ou=Grupper,dc=exempelby,dc=se"
ADMIN_GROUP = "cn=Portaladministratörer,ou=Grupper,dc=exempelby,dc=se"
SERVICE_DN = "cn=portal-sync,ou=Tjänstekonton,dc=exempelby,dc=se"
SERVICE_PASSWORD = "sync-demo-2026"


def _backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("PORTAL_TEST_DATABASE_URL"):
        backends.append("postgresql")
    return backends


def base_config(database_url: str) -> dict:
    """Test configuration shared by every app the suite builds."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PORTAL_DEMO": True,
        "LDAP_ORGANIZATIONS": json.loads((ROOT / "demo/organizations.json").read_text("utf-8")),
        "LDAP_COORDINATOR_GROUP": COORDINATOR_GROUP,
        "LDAP_ADMIN_GROUP": ADMIN_GROUP,
        "LDAP_URL": "",
    }


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped when the session ends."""
    with new_postgres_database() as url:
        yield url


def new_postgres_database() -> contextlib.AbstractContextManager[str]:
    """A uniquely named database on the test server, dropped afterwards."""
    return throwaway_postgres_database(os.environ["PORTAL_TEST_DATABASE_URL"])


@pytest.fixture(params=_backends())
def standalone_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database of its own, outside the per-test transaction.

    For code that runs in other threads or processes (a background sync, a second
    `flask ldap-sync`), which cannot see a transaction that is never committed.
    """
    if request.param == "postgresql":
        with new_postgres_database() as url:
            application = migrated_app(url)
            yield application
            with application.app_context():
                db.engine.dispose()
    else:
        application = migrated_app(f"sqlite:///{tmp_path / 'standalone.sqlite3'}")
        yield application
        with application.app_context():
            db.engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    Flask reuses an already pushed app context for a request; the test's own context
    would then share `g` (the signed-in user, the CSRF token) between requests and clients.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        context = contextvars.copy_context()
        context.run(_cv_app.set, None)
        return context.run(super().open, *args, **kwargs)


def migrated_app(database_url: str, **overrides: object) -> Flask:
    """An app whose database schema was made by the real migrations."""
    app = create_app({**base_config(database_url), **overrides})
    app.test_client_class = IsolatedClient
    with app.app_context():
        flask_migrate.upgrade()
    return app


@pytest.fixture(scope="session", params=_backends())
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One migrated app per database backend for the whole session."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_database")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
    application = migrated_app(url)
    yield application
    with application.app_context():
        db.engine.dispose()


class _ExternalTransactionSession(FlaskSession):
    """Flask-SQLAlchemy's session, but bound to the test's connection when one is given."""

    def get_bind(self, *args: object, **kwargs: object):
        if self.bind is not None:
            return self.bind
        return super().get_bind(*args, **kwargs)


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each database test in a transaction that is rolled back afterwards.

    Application code commits as usual; with `create_savepoint` those commits end a
    SAVEPOINT inside the outer transaction, which the fixture finally rolls back.
    """
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({
            "class_": _ExternalTransactionSession, "bind": connection,
            "join_transaction_mode": "create_savepoint"})
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def demo_people(app: Flask) -> None:
    """The demo municipal group, loaded through the real directory sync."""
    from ldap_sync import sync
    from ldap_sync.source import LdifSource

    sync.run(LdifSource(DEMO_LDIF), sync.SyncSettings.from_config(app.config))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def config(app: Flask, monkeypatch: pytest.MonkeyPatch):
    """Change app settings for one test; the old values come back afterwards."""

    def set_config(**values: object) -> None:
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return set_config


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    """A real OpenLDAP server on a free loopback port, loaded with the demo group.

    slapd's default size limit (500 entries for non-root binds) stays in force here.
    """
    server = start_slapd(tmp_path_factory.mktemp("slapd"), DEMO_SUFFIX, DEMO_LDIF)
    yield server
    server.stop()


@pytest.fixture
def ldap_config(slapd: SlapdServer, config) -> SlapdServer:
    """Point the app's sign-in at the test slapd."""
    config(LDAP_URL=slapd.url, LDAP_BIND_DN=SERVICE_DN, LDAP_BIND_PASSWORD=SERVICE_PASSWORD,
           LDAP_BASE_DNS=[DEMO_SUFFIX])
    return slapd


class QueryCounter:
    """Counts SQL statements sent while active (for bounded-query assertions)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK TO)", statement):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):
    """Use as `with count_queries() as counter:`; counter.count is the statements sent."""
    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture
def page(portal):
    """A fresh browser context (no cookies) per test on the module's `portal`, CSP enforced."""
    from tests.test_browser import open_page

    with open_page(portal) as opened:
        yield opened


@pytest.fixture
def page_without_javascript(portal):
    """A fresh browser context with JavaScript turned off: only plain links and forms."""
    from tests.test_browser import open_page

    with open_page(portal, javascript=False) as opened:
        yield opened
