"""Error pages in Swedish, as whole pages or as short HTMX fragments."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.htmx import wants_fragment
from app.services import Forbidden, NotFound


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


def _render(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = _messages().get(status, _messages()[500])
    template = "errors/_message.html" if wants_fragment() else "errors/error.html"
    return render_template(template, status=status, title=title or default_title,
                           message=message or default_message), status


def init_app(app: Flask) -> None:
    """Register the handlers."""

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

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error", exc_info=error)
        try:
            return _render(500)
        except Exception:
            app.logger.exception("error page failed")
            return _("Något gick fel. Inget har sparats."), 500
