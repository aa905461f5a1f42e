"""Sign-in with the directory password, demo sign-in, sign-out and language choice."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app import htmx
from app.blueprints.auth.forms import DemoSignInForm, LanguageForm, SignInForm
from app.extensions import db
from app.services import DomainError, auth, people
from app.web import render

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.index")


def _finish_sign_in(person) -> object:
    auth.start_session(person)
    if person.locale is None and session.get("locale"):
        people.set_locale(person, session["locale"])
    db.session.commit()
    session.permanent = True
    login_user(person)
    return htmx.redirect(_safe_next(request.values.get("next")))


@bp.route("/logga-in", methods=["GET", "POST"])
def sign_in():
    """The directory sign-in form."""
    if current_user.is_authenticated:
        return htmx.redirect(url_for("main.index"))
    form = SignInForm()
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
