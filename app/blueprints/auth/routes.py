"""Sign-in with the directory password, demo sign-in, sign-out and language choice."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app import htmx, security
from app.blueprints.auth.forms import DemoSignInForm, LanguageForm, SignInForm
from app.extensions import db
from app.services import DomainError, auth, people
from app.web import render

bp = Blueprint("auth", __name__)


def _plain_path(target: str) -> bool:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _own_path(target: str | None) -> str | None:
    """The target if it is a path on this site, else None: an open redirect helps phishing.

    Browsers are lenient: they drop tabs and newlines inside URLs, read a backslash as a
    slash and `//host` as another site, and some proxies decode %2F and %5C before routing.
    So a target must start with a single slash and hold no control character or
    backslash, and its path must stay so when percent-decoded (up to three times).
    """
    if not target or len(target) > 2000:
        return None
    layers = [target]
    for _round in range(3):
        layers.append(unquote(urlsplit(layers[-1]).path))
    return target if all(_plain_path(layer) for layer in layers) else None


def _safe_next(target: str | None) -> str:
    """Where to go after signing in or choosing a language: own paths only, else home."""
    return _own_path(target) or url_for("main.index")


def _finish_sign_in(person) -> object:
    auth.start_session(person)
    locale = session.get("locale")
    if person.locale is None and locale:
        people.set_locale(person, locale)
    db.session.commit()
    target = _safe_next(request.values.get("next"))
    # Against session fixation: nothing from before the sign-in survives but the language.
    security.begin_session(locale)
    login_user(person)
    return htmx.redirect(target)


@bp.route("/logga-in", methods=["GET", "POST"])
def sign_in():
    """The directory sign-in form."""
    if current_user.is_authenticated:
        return htmx.redirect(url_for("main.index"))
    form = SignInForm()
    if request.method == "GET":
        # The form carries the page asked for (login_required's ?next=) through the POST.
        form.next.data = _own_path(request.args.get("next"))
    ldap_enabled = bool(current_app.config["LDAP_URL"])
    if form.validate_on_submit():
        try:
            person = auth.sign_in_with_password(form.username.data, form.password.data,
                                                request.remote_addr or "", current_app.config)
        except DomainError as error:
            db.session.commit()  # keep the failed attempt for the rate limit
            form.form_errors.append(error.message)
        else:
            return _finish_sign_in(person)
    status = 422 if form.errors or form.form_errors else 200
    return render("auth/sign_in.html", form=form, ldap_enabled=ldap_enabled,
                  demo_form=DemoSignInForm(), status=status,
                  demo_groups=people.demo_groups() if current_app.config["PORTAL_DEMO"] else [])


@bp.post("/demo/logga-in")
def demo_sign_in():
    """Sign in as a demo person, without a password (demo mode only)."""
    if not current_app.config["PORTAL_DEMO"]:
        abort(404)
    form = DemoSignInForm()
    if not form.validate_on_submit():
        flash(_("Välj en person."), "error")
        return htmx.redirect(url_for("auth.sign_in"))
    try:
        person = auth.demo_sign_in(form.person_id.data, demo_enabled=True)
    except DomainError as error:
        flash(error.message, "error")
        return htmx.redirect(url_for("auth.sign_in"))
    return _finish_sign_in(person)


@bp.post("/logga-ut")
@login_required
def sign_out():
    """End the session everywhere."""
    locale = current_user.locale or session.get("locale")
    auth.end_session(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale  # the sign-in page stays in the chosen language
    flash(_("Du är utloggad."), "info")
    return htmx.redirect(url_for("auth.sign_in"))


@bp.post("/sprak")
def choose_language():
    """Switch language; remembered on the person, or in the session before sign-in."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        people.set_locale(current_user, form.locale.data)
        db.session.commit()
    return htmx.redirect(_safe_next(form.next.data))
