"""Error pages in Swedish, as whole pages or as short HTMX fragments."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.htmx import wants_fragment
from app.services import Forbidden, NotFound

# SQLite primary result codes and PostgreSQL SQLSTATEs meaning "the database is there but
# takes no writes", which a retry in a minute will not cure.
_SQLITE_FULL, _SQLITE_READONLY = 13, 8
_POSTGRES_DISK_FULL, _POSTGRES_READ_ONLY = "53100", "25006"


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Felaktig begäran"), _("Begäran kunde inte tolkas. Ladda om sidan och "
                                       "försök igen.")),
        403: (_("Åtkomst nekad"), _("Du har inte behörighet att se eller ändra det här.")),
        404: (_("Sidan finns inte"), _("Sidan eller uppgiften du söker finns inte.")),
        405: (_("Otillåten metod"), _("Sidan kan inte användas på det sättet.")),
        413: (_("För mycket på en gång"), _("Det du skickade är för stort för att tas emot. "
                                             "Inget har sparats. Korta texten eller dela upp "
                                             "den och försök igen.")),
        500: (_("Något gick fel"), _("Ett oväntat fel inträffade. Inget har sparats. "
                                     "Försök igen, och kontakta supporten om felet kvarstår.")),
    }


def _database_messages() -> dict[str, tuple[str, str]]:
    return {
        "unavailable": (_("Databasen svarar inte"),
                        _("Databasen svarar inte just nu. Inget av det du gjorde sparades. "
                          "Försök igen om en stund.")),
        "full": (_("Ändringen kunde inte sparas"),
                 _("Ändringen kunde inte sparas eftersom databasen är full. Inget av det du "
                   "gjorde sparades. Kontakta supporten.")),
        "read-only": (_("Ändringen kunde inte sparas"),
                      _("Ändringen kunde inte sparas eftersom databasen är skrivskyddad just "
                        "nu. Inget av det du gjorde sparades. Du kan fortfarande läsa i "
                        "portalen.")),
    }


def database_fault(error: BaseException) -> str | None:
    """"full", "read-only" or "unavailable" for a fault of the database itself; None for
    anything else (a constraint or a bug in a statement is the portal's error, not the
    database's)."""
    original = getattr(error, "orig", None)
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if sqlite_code is not None and sqlite_code & 0xFF in (_SQLITE_FULL, _SQLITE_READONLY):
        return "full" if sqlite_code & 0xFF == _SQLITE_FULL else "read-only"
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in (_POSTGRES_DISK_FULL, _POSTGRES_READ_ONLY):
        return "full" if sqlstate == _POSTGRES_DISK_FULL else "read-only"
    if isinstance(error, sa_exc.TimeoutError):  # every pooled connection busy
        return "unavailable"
    if isinstance(error, sa_exc.DBAPIError) and (
            error.connection_invalidated or isinstance(error, sa_exc.OperationalError)):
        return "unavailable"
    return None


def _render(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = _messages().get(status, _messages()[500])
    template = "errors/_message.html" if wants_fragment() else "errors/error.html"
    return render_template(template, status=status, title=title or default_title,
                           message=message or default_message), status


def init_app(app: Flask) -> None:
    """Register the handlers."""

    def rollback() -> None:
        # Whatever the request wrote is undone; a rollback on a dead connection may fail
        # too, and must not hide the page that says so.
        try:
            db.session.rollback()
        except Exception:
            app.logger.exception("rollback after an error failed")

    def render_or_text(status: int, title: str, message: str, text: str | None = None):
        try:
            return _render(status, title, message)
        except Exception:
            # The page itself needs the database (the signed-in person, the menu).
            app.logger.exception("error page failed")
            return text or message, status, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return _render(400, _("Formuläret kunde inte skickas"),
                       _("Formuläret saknade en giltig säkerhetstoken, till exempel för att "
                         "sidan varit öppen länge. Ladda om sidan och försök igen."))

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        return _render(404, message=error.message)

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden):
        return _render(403, message=error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _render(error.code or 500)

    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.TimeoutError)
    def database_error(error: Exception):
        fault = database_fault(error)
        if fault is None:
            return unexpected(error)
        rollback()
        app.logger.error("database %s during %s %s: %s", fault, request.method, request.path,
                         getattr(error, "orig", None) or error, exc_info=error)
        title, message = _database_messages()[fault]
        return render_or_text(503, title, message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        rollback()
        app.logger.exception("unhandled error", exc_info=error)
        title, message = _messages()[500]
        return render_or_text(500, title, message, _("Något gick fel. Inget har sparats."))
