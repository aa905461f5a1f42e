"""The coordinator's register, "Mina system", and creating and editing systems."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import htmx
from app.blueprints.systems.chips import add_chips
from app.blueprints.systems.forms import SystemForm, system_form_for
from app.blueprints.systems.routes import bp
from app.clock import today
from app.extensions import db
from app.models import Role
from app.services import DomainError, Forbidden, register_filters, roles, system_register, systems
from app.services.system_access import get_for_person, scope_from_grants
from app.web import current_grants, render, require_role


def _flag(name: str) -> bool:
    return request.args.get(name, "") in ("1", "on", "ja")


def _filters() -> register_filters.RegisterFilters:
    """The register's filters from the query string; nonsense falls back to defaults."""
    org = request.args.get("organisation", "")
    page = request.args.get("sida", "1")
    status = request.args.get("status", "")
    sort = request.args.get("sortera", "name")
    return register_filters.RegisterFilters(
        q=request.args.get("q", "")[:200],
        organization_id=int(org) if org.isdigit() else None,
        status=status if status in {"all", *systems.LifecycleStatus} else "",
        welfare_technology=_flag("valfardsteknik"), personal_data=_flag("personuppgifter"),
        missing_owner=_flag("saknar_ansvarig"), overdue=_flag("forsenade"),
        sort=sort if sort in register_filters.SORTS else "name",
        descending=_flag("fallande"), page=int(page) if page.isdigit() else 1,
        show_all=_flag("alla"))


def _scope():
    scope = scope_from_grants(current_grants())
    if scope is None:
        raise Forbidden(_("Bara informationssäkerhetssamordnare ser systemregistret."))
    return scope


@bp.get("/systemregister/")
@require_role(Role.COORDINATOR)
def register():
    """Every system in the coordinator's scope, with chips, filters and coverage."""
    filters = _filters()
    scope = _scope()
    page = register_filters.register_page(scope, filters, today(), _("Hela koncernen"))
    add_chips(page.rows)
    organizations = [org for org in roles.organizations() if scope.covers(org.id)]
    return render("systems/register.html", "systems/_register_results.html", listing=page,
                  filters=filters, organizations=organizations, statuses=systems.LifecycleStatus,
                  status_label=systems.status_labels().__getitem__,
                  system_url=url_for("systems.show", system_id=0)[:-1],
                  page_size=system_register.PAGE_SIZE)


@bp.get("/systemregister.csv")
@require_role(Role.COORDINATOR)
def register_csv():
    """The filtered register as CSV for a spreadsheet."""
    text = register_filters.export_csv(_scope(), _filters(), today())
    response = Response(text, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="systemregister-{today().isoformat()}.csv"')
    return response


@bp.get("/system/")
@login_required
def mine():
    """The systems the signed-in person owns or administers."""
    rows = system_register.load_rows(today(), person_id=current_user.id,
                                     include_retired=False)
    system_register.fill_administrators(rows)
    add_chips(rows)
    rows.sort(key=register_filters.SORT_KEYS["name"])
    return render("systems/mine.html", rows=rows, status_label=systems.status_label)


def _form_page(form: SystemForm, system: Any = None, status: int = 200) -> Any:
    return render("systems/edit.html", form=form, system=system, status=status)


def _save(form: SystemForm, system: Any = None) -> Any:
    """Create or update from a validated form; a refusal comes back on the form (422)."""
    scope = _scope()
    try:
        if system is None:
            system = systems.create_system(current_user, form.fields(), scope=scope)
            message = _("%(name)s är registrerat.", name=system.name)
        else:
            systems.update_system(current_user, system, form.fields(), scope=scope)
            message = _("Ändringarna i %(name)s är sparade.", name=system.name)
    except DomainError as error:
        db.session.rollback()
        form.add_error(error)
        return _form_page(form, system, status=422)
    db.session.commit()
    flash(message, "info")
    return htmx.redirect(url_for("systems.show", system_id=system.id))


@bp.route("/systemregister/nytt", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def new():
    """Register a new system."""
    scope = _scope()
    form = system_form_for(scope)
    if request.method == "POST":
        if form.validate_on_submit():
            return _save(form)
        return _form_page(form, status=422)
    return _form_page(form)


@bp.route("/system/<int:system_id>/redigera", methods=["GET", "POST"])
@login_required
def edit(system_id: int):
    """Change what the coordinator keeps about a system, including its lifecycle status."""
    system, _access = get_for_person(system_id, current_user, need="can_edit_register",
                                     grants=current_grants())
    form = system_form_for(_scope(), system)
    if request.method == "POST":
        if form.validate_on_submit():
            return _save(form, system)
        return _form_page(form, system, status=422)
    return _form_page(form, system)
