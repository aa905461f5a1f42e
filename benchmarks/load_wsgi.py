"""The portal as gunicorn serves it in benchmarks/load_test.py, plus the floor endpoint.

`POST /_floor` inserts one row into a throwaway table (`load_floor`) and commits: the
cheapest write the same server, workers and database can do, so the load test can say how
far the real acknowledgement is from it. It exists only here: the product's `wsgi.py`
never imports this module, so the product has no such route.

    gunicorn --worker-class sync 'benchmarks.load_wsgi:create()'

A factory, not a module-level app: the load test imports this module for the table without
building a portal from its own environment.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert
from sqlalchemy.engine import Engine

from app import create_app
from app.clock import utcnow
from app.extensions import csrf, db

# Its own metadata: the table is no part of the product's models or migrations.
FLOOR_METADATA = MetaData()
FLOOR_TABLE = Table("load_floor", FLOOR_METADATA,
                    Column("id", Integer, primary_key=True),
                    Column("at", DateTime(), nullable=False))


def create_floor_table(engine: Engine) -> None:
    """Made by the load test before gunicorn starts (workers racing a CREATE would fail)."""
    FLOOR_METADATA.create_all(engine)


def add_floor_endpoint(portal: Flask) -> None:
    """Register `POST /_floor`: one INSERT and a commit through the portal's session."""

    @csrf.exempt
    def floor() -> tuple[str, int]:
        db.session.execute(insert(FLOOR_TABLE).values(at=utcnow()))
        db.session.commit()
        return "", 204

    portal.add_url_rule("/_floor", "load_floor", floor, methods=["POST"])


def create() -> Flask:
    """The portal from the `PORTAL_*` environment, with the floor endpoint."""
    portal = create_app()
    add_floor_endpoint(portal)
    return portal
