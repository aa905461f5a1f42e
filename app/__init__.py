"""LIS-portalen: the application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as portal_config
from app.extensions import babel, csrf, db, login_manager, migrate, wants_write_lock

DEMO_SECRET_KEY = "demo-not-secret"  # noqa: S105 - only ever used in demo and test mode


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the portal; `test_config` overrides the environment (used by tests)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(portal_config.FIXED)
    app.config.update(portal_config.from_environment())
    if test_config:
        app.config.update(test_config)
    if (app.config["PORTAL_DEMO"] or app.config.get("TESTING")) and not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = DEMO_SECRET_KEY
    portal_config.check_secret_key(app.config)
    # A mistyped profile or attribute setting must stop the portal now, not the first
    # nightly sync.
    from ldap_sync.profiles import get_profile

    get_profile(app.config["LDAP_PROFILE"], app.config.get("LDAP_ATTRIBUTES"))
    _relative_sqlite_to_root(app)
    _postgres_options(app)
    # A connection the server dropped (restart, pg_terminate_backend, failover) is found
    # and replaced before a request uses it, instead of failing that request.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)

    if app.config["PROXY_FIX"]:
        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from app import errors, i18n, security, web
    from app.blueprints import register_blueprints
    from app.cli import register_cli

    babel.init_app(app, locale_selector=i18n.select_locale)
    security.init_app(app)
    errors.init_app(app)
    web.init_app(app)
    register_blueprints(app)
    register_cli(app)
    return app


def _postgres_options(app: Flask) -> None:
    """PostgreSQL: no JIT compilation. The follow-up's wide counting statements are
    estimated far above jit_above_cost, and compiling them took ~5 s per call where running
    them takes well under one (benchmarks/follow_up_view.py)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("options", "-c jit=off")


def _relative_sqlite_to_root(app: Flask) -> None:
    """Resolve `sqlite:///instance/...` against the project directory, not the cwd.

    A `sqlite:///file:...?uri=true` URL (e.g. `mode=ro`) is left to Flask-SQLAlchemy."""
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    prefix = "sqlite:///"
    if (uri.startswith(prefix) and not uri.startswith((prefix + "/", prefix + "file:"))
            and ":memory:" not in uri):
        path = Path(app.root_path).parent / uri[len(prefix):]
        path.parent.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = prefix + str(path)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys and let SQLAlchemy, not pysqlite, manage transactions."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        # pysqlite's own BEGIN handling breaks SAVEPOINT; see SQLAlchemy's pysqlite notes.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    """SQLite: a request that may write takes the write lock when its transaction begins.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer got in between (the busy timeout cannot help it), so
    POST requests begin IMMEDIATE and wait their turn instead. Pages that only read keep
    a deferred transaction and never wait for writers (WAL).
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _writing_request() else "BEGIN")


def _writing_request() -> bool:
    from flask import has_request_context, request

    if wants_write_lock():
        return True
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
