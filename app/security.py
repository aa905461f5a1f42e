"""Security headers, the session cookie and its time limits, and loading the signed-in person.

A sign-in ends after PORTAL_SESSION_IDLE_HOURS without a request and, however busy the
person is, PORTAL_SESSION_HOURS after signing in. Both are checked here on every request
against times kept in the signed session cookie, so a copied cookie stops working at the
same moment as the original: the browser dropping the cookie is not what ends a sign-in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, Response, current_app, flash, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from sqlalchemy.exc import OperationalError

from app import clock, htmx
from app.extensions import db, login_manager
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
HSTS = "max-age=31536000; includeSubDomains"

# Session keys: when the person signed in and when they last made a request, both as
# UTC epoch seconds. "_user_id" is Flask-Login's key for the person's session token.
SINCE = "since"
SEEN = "seen"
USER_KEY = "_user_id"
# The last request time is written back at most this often, so the cookie is not
# rewritten on every request; the idle limit is that much less exact.
SEEN_STEP_SECONDS = 60


class PortalSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, written only when the session changed and expiring in the
    browser when the sign-in's absolute lifetime ends (not a lifetime after each write)."""

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        since = session.get(SINCE)
        if session.permanent and isinstance(since, int):
            return datetime.fromtimestamp(since, UTC) + app.permanent_session_lifetime
        return super().get_expiration_time(app, session)

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return session.modified


def _epoch() -> int:
    return int(clock.utcnow().replace(tzinfo=UTC).timestamp())


def begin_session(locale: str | None) -> None:
    """Start a fresh session for a sign-in: nothing planted before it survives (session
    fixation), only the language chosen on the sign-in page."""
    session.clear()
    if locale:
        session["locale"] = locale
    now = _epoch()
    session[SINCE] = now
    session[SEEN] = now
    session.permanent = True


def _expiry_reason(now: int) -> str | None:
    since, seen = session.get(SINCE), session.get(SEEN)
    if not isinstance(since, int) or not isinstance(seen, int):
        return "unknown"  # a cookie from before the limits existed
    if now - since >= current_app.permanent_session_lifetime.total_seconds():
        return "absolute"
    if now - seen >= current_app.config["SESSION_IDLE_LIFETIME"].total_seconds():
        return "idle"
    return None


def _check_session_age() -> Response | None:
    """Before every request: end a sign-in past its limits, else note the request's time."""
    # Static files need no person; skipping them keeps their responses free of cookies.
    if request.endpoint == "static" or USER_KEY not in session:
        return None
    now = _epoch()
    reason = _expiry_reason(now)
    if reason is None:
        if now - session[SEEN] >= SEEN_STEP_SECONDS:
            session[SEEN] = now
        return None
    return _sign_out_expired(reason)


def _hours(limit: timedelta) -> tuple[float, str]:
    hours = limit.total_seconds() / 3600
    number = int(hours) if hours == int(hours) else hours
    return number, format_decimal(number)


def _sign_out_expired(reason: str) -> Response:
    from app.services import auth

    try:
        person = auth.expire_session(str(session[USER_KEY]), reason)
        db.session.commit()
    except OperationalError:
        # SQLite refuses a read-then-write GET when another writer got in between. This
        # cookie is signed out below all the same, and any copy of it carries the same
        # times and expires on its own; only the audit event and the token are not written.
        db.session.rollback()
        person = None
    locale = (person.locale if person is not None else None) or session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale  # the sign-in page stays in the chosen language
    if reason == "idle":
        number, text = _hours(current_app.config["SESSION_IDLE_LIFETIME"])
        flash(ngettext("Du loggades ut eftersom du inte använt portalen på %(hours)s timme. "
                       "Logga in igen.",
                       "Du loggades ut eftersom du inte använt portalen på %(hours)s timmar. "
                       "Logga in igen.", number, hours=text), "info")
    elif reason == "absolute":
        number, text = _hours(current_app.permanent_session_lifetime)
        flash(ngettext("Du loggades ut eftersom en inloggning gäller i högst %(hours)s timme. "
                       "Logga in igen.",
                       "Du loggades ut eftersom en inloggning gäller i högst %(hours)s timmar. "
                       "Logga in igen.", number, hours=text), "info")
    else:
        flash(_("Din inloggning har gått ut. Logga in igen."), "info")
    # A page asked for by a plain GET is shown again after signing in.
    wanted = None
    if (request.method == "GET" and request.headers.get("HX-Request") != "true"
            and request.blueprint != "auth"):
        wanted = request.full_path if request.query_string else request.path
    return htmx.redirect(url_for("auth.sign_in", next=wanted))


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # Only when the portal is served over HTTPS (PORTAL_COOKIE_SECURE=1). Over plain http,
    # as in the demo, it means nothing, and a browser that once saw it on this host name
    # would refuse the plain-http demo for a year.
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return vary(response)


def init_app(app: Flask) -> None:
    """Register the session handling, the header hook and Flask-Login's loader."""
    app.session_interface = PortalSessionInterface()
    app.before_request(_check_session_age)
    app.after_request(_headers)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Logga in för att se sidan.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_person(token: str):
        from app.services import auth

        return auth.person_for_session(token)
