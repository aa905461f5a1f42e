"""Role grants page: grant coordinator/admin by hand, revoke manual grants, see history."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app import htmx
from app.blueprints.admin.routes import bp
from app.extensions import db
from app.models import Role
from app.models.people import GRANTABLE_ROLES
from app.services import DomainError, NotFound, roles
from app.web import render, require_role


class GrantRoleForm(FlaskForm):
    """Who gets which role, for the whole group or one organization."""

    person = StringField(_l("Person"), validators=[
        DataRequired(_l("Fyll i användarnamn eller e-postadress.")),
        Length(max=300, message=_l("Högst %(max)d tecken."))])
    # Choices are checked by the service, which gives a Swedish message for a forged value.
    role = SelectField(_l("Roll"), validate_choice=False)
    organization = SelectField(_l("Gäller"), validate_choice=False)

    def validate_organization(self, field: SelectField) -> None:
        if field.data and not str(field.data).isdigit():
            raise ValidationError(_("Välj en organisation i listan."))

    def organization_id(self) -> int | None:
        """The chosen organization, or None for the whole group."""
        return int(self.organization.data) if self.organization.data else None


FORM_FIELDS = ("person", "role", "organization")


def _grant_form(organizations: list[Any]) -> GrantRoleForm:
    form = GrantRoleForm()
    form.role.choices = [(role.value, roles.role_label(role)) for role in GRANTABLE_ROLES]
    form.organization.choices = [("", _("Hela koncernen"))] + [
        (str(org.id), org.name) for org in organizations]
    return form


def _group_names() -> dict[Role, str]:
    """The short name (first RDN value) of each configured directory group."""
    config = {Role.COORDINATOR: current_app.config.get("LDAP_COORDINATOR_GROUP") or "",
              Role.ADMIN: current_app.config.get("LDAP_ADMIN_GROUP") or ""}
    return {role: dn.split(",", 1)[0].partition("=")[2] or dn
            for role, dn in config.items() if dn}


def _page(form: GrantRoleForm | None = None, overview: roles.RolesOverview | None = None,
          revoke_error: str | None = None, status: int = 200) -> Any:
    overview = overview or roles.overview()
    form = form or _grant_form(overview.organizations)
    return render("admin/roles.html", form=form, overview=overview, revoke_error=revoke_error,
                  group_names=_group_names(), role_label=roles.role_label,
                  scope_label=roles.scope_label,
                  revoked_limit=roles.REVOKED_HISTORY_LIMIT, status=status)


@bp.get("/roller")
@require_role(Role.ADMIN)
def roles_page():
    """Manual and directory-group grants, the grant form and the revocation history."""
    return _page()


@bp.post("/roller")
@require_role(Role.ADMIN)
def grant_role():
    """Grant a role; on a refusal the form comes back with the message (422)."""
    overview = roles.overview()
    form = _grant_form(overview.organizations)
    if form.validate_on_submit():
        try:
            grant = roles.grant_role(current_user, form.person.data, form.role.data,
                                     form.organization_id())
        except DomainError as error:
            db.session.rollback()
            target = getattr(form, error.field, None) if error.field in FORM_FIELDS else None
            (target.errors if target is not None else form.form_errors).append(error.message)
        else:
            db.session.commit()
            flash(_("%(name)s har fått rollen %(role)s (%(scope)s).",
                    name=grant.person.display_name, role=roles.role_label(grant.role),
                    scope=roles.scope_label(grant.organization)), "info")
            return htmx.redirect(url_for("admin.roles_page"))
    return _page(form=form, overview=overview, status=422)


@bp.post("/roller/<int:grant_id>/aterkalla")
@require_role(Role.ADMIN)
def revoke_grant(grant_id: int):
    """Revoke a manual grant (404 if it does not exist; 422 with the reason if refused)."""
    try:
        grant = roles.revoke_grant(current_user, grant_id)
    except NotFound:
        raise  # the app's error handler answers 404 in Swedish
    except DomainError as error:
        db.session.rollback()
        return _page(revoke_error=error.message, status=422)
    db.session.commit()
    flash(_("Rollen %(role)s (%(scope)s) är återkallad för %(name)s.",
            role=roles.role_label(grant.role), scope=roles.scope_label(grant.organization),
            name=grant.person.display_name), "info")
    return htmx.redirect(url_for("admin.roles_page"))
