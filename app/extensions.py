"""Flask extensions, created unbound and attached in create_app()."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


# Set while a service writes from a request that otherwise only reads (see app/__init__.py:
# on SQLite such a transaction must begin IMMEDIATE).
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


def wants_write_lock() -> bool:
    return _write_intent.get()


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside take SQLite's write lock at once, as a POST's do."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)
