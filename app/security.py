"""Security headers on every response, and loading the signed-in person from the session."""

from __future__ import annotations

from flask import Flask, Response
from flask_babel import lazy_gettext as _l

from app.extensions import login_manager
from app.htmx import vary

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return vary(response)


def init_app(app: Flask) -> None:
    """Register the header hook and Flask-Login's loader."""
    app.after_request(_headers)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Logga in för att se sidan.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_person(token: str):
        from app.services import auth

        return auth.person_for_session(token)
