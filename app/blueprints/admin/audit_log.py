"""Audit log viewer: filter, page through and export the log (admins only)."""

from __future__ import annotations

from typing import Any

from flask import Response, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Form, SelectField, StringField
from wtforms.validators import Length, ValidationError

from app.blueprints.admin.routes import bp
from app.clock import today
from app.extensions import db
from app.models import Role
from app.services import DomainError, audit_log
from app.web import render, require_role

FILTER_FIELDS = ("person", "action", "object_type", "object_id", "date_from", "date_to")


def _day(field: StringField) -> Any:
    """The field's date, or None when empty; a Swedish ValidationError when malformed."""
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return audit_log.parse_day(text)
    except DomainError as error:
        raise ValidationError(error.message)


class AuditFilterForm(Form):
    """The filters, read from the query string (a GET form: no CSRF, bookmarkable)."""

    person = StringField(_l("Person"), validators=[
        Length(max=200, message=_l("Högst %(max)d tecken."))])
    action = SelectField(_l("Händelse"), validate_choice=False)
    object_type = SelectField(_l("Objekttyp"), validate_choice=False)
    object_id = StringField(_l("Objekt-id"), validators=[
        Length(max=100, message=_l("Högst %(max)d tecken."))])
    date_from = StringField(_l("Från och med datum"), render_kw={"type": "date"})
    date_to = StringField(_l("Till och med datum"), render_kw={"type": "date"})

    def validate_date_from(self, field: StringField) -> None:
        _day(field)

    def validate_date_to(self, field: StringField) -> None:
        end = _day(field)
        try:
            start = _day(self.date_from)
        except ValidationError:
            return  # that field shows its own message
        if start and end and end < start:
            raise ValidationError(_("Till och med-datumet får inte vara före från och "
                                    "med-datumet."))

    def filters(self) -> audit_log.AuditFilters:
        """The validated filters for the service."""
        return audit_log.AuditFilters(
            person=(self.person.data or "").strip(), action=self.action.data or "",
            object_type=self.object_type.data or "",
            object_id=(self.object_id.data or "").strip(),
            date_from=_day(self.date_from), date_to=_day(self.date_to))

    def query_args(self) -> dict[str, str]:
        """The filters that are set, for links that keep them (pages, CSV)."""
        return {name: str(self[name].data).strip() for name in FILTER_FIELDS
                if (self[name].data or "").strip()}


def _choices(values: list[str], current: str | None) -> list[tuple[str, str]]:
    # A value no longer in the log stays selectable, so the select shows what is filtered.
    if current and current not in values:
        values = [*values, current]
    return [("", _("Alla")), *((v, v) for v in values)]


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.action.choices = _choices(audit_log.actions(), form.action.data)
    form.object_type.choices = _choices(audit_log.object_types(), form.object_type.data)
    return form


def _page_number() -> int:
    number = request.args.get("page", type=int, default=1)
    return number if number and number > 0 else 1


def _render(form: AuditFilterForm, valid: bool) -> Any:
    result = audit_log.search(form.filters(), _page_number()) if valid else None
    return render("admin/audit_log.html", "admin/_audit_log_results.html", form=form,
                  result=result, query_args=form.query_args(), status=200 if valid else 422)


@bp.get("/logg")
@require_role(Role.ADMIN)
def audit_log_page():
    """The log, newest first, 50 a page; the results alone for an HTMX filter request."""
    form = _form()
    return _render(form, form.validate())


@bp.get("/logg.csv")
@require_role(Role.ADMIN)
def audit_log_csv():
    """Every matching event as CSV for Swedish Excel; the export itself is logged."""
    form = _form()
    if not form.validate():
        return _render(form, valid=False)
    filters = form.filters()
    audit_log.record_export(current_user, filters)
    db.session.commit()
    # The rows are read while the response is sent, so the request context (and with it
    # the database session) must stay until the last row.
    response = Response(stream_with_context(audit_log.csv_chunks(filters)),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="granskningslogg-{today().isoformat()}.csv"')
    response.headers["Cache-Control"] = "no-store"  # personal data: not in shared caches
    return response
