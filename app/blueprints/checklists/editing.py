"""The coordinator edits the checklist templates: add an item, change it, move it up or
down (plain buttons that work by keyboard), retire it — from next year, or "apply now"."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import htmx
from app.blueprints.checklists.forms import ItemForm
from app.blueprints.checklists.routes import bp
from app.clock import today
from app.extensions import db
from app.models import ChecklistRole, Document, Role
from app.services import DomainError, Forbidden, checklist_templates
from app.services.checklist_templates import role_labels
from app.web import coordinator_scope, render, require_role


def _choices(form: ItemForm) -> None:
    form.due_month.choices = [("", _("Vid behov"))] + [
        (str(m), format_date(date(2026, m, 1), "LLLL").capitalize()) for m in range(1, 13)]
    form.document_id.choices = [("", _("Inget"))] + [
        (str(d.id), d.title) for d in db.session.scalars(
            select(Document).where(Document.withdrawn_at.is_(None)).order_by(Document.title))]


def _page(role: str, new_form: ItemForm | None = None, status: int = 200,
          edit_forms: dict[int, ItemForm] | None = None) -> Any:
    template = checklist_templates.template_of(role)
    if new_form is None:
        new_form = ItemForm(prefix="new", formdata=None)
    _choices(new_form)
    forms = {}
    for item in template.items:
        form = (edit_forms or {}).get(item.id) or ItemForm(
            prefix=f"item-{item.id}", formdata=None, obj=item, data={
                "due_month": str(item.due_month or ""),
                "document_id": str(item.document_id or "")})
        _choices(form)
        forms[item.id] = form
    period = today().year
    return render("checklists/template.html", template=template, roles=role_labels(),
                  new_form=new_form, forms=forms, period=period,
                  fact_labels=checklist_templates.fact_labels(), status=status)


@bp.get("/checklistmallar/")
@require_role(Role.COORDINATOR)
def templates():
    """The templates, one per role: start with the administrators'."""
    return redirect(url_for("checklists.template", role=ChecklistRole.SYSTEM_ADMINISTRATOR.value))


@bp.get("/checklistmallar/<role>")
@require_role(Role.COORDINATOR)
def template(role: str):
    """One role's template with its items in order, for this year and coming ones."""
    return _page(role)


def _done(role: str, message: str) -> Any:
    db.session.commit()
    flash(message, "info")
    return htmx.redirect(url_for("checklists.template", role=role))


def _refused(role: str, error: DomainError, form: ItemForm | None = None,
             item_id: int | None = None) -> Any:
    db.session.rollback()
    if isinstance(error, Forbidden):
        raise error
    if form is None:
        flash(error.message, "error")
        return htmx.redirect(url_for("checklists.template", role=role))
    form.add_error(error)
    if item_id is None:
        return _page(role, new_form=form, status=422)
    return _page(role, status=422, edit_forms={item_id: form})


def _editable(role: str, item_id: int | None = None) -> tuple[Any, Any, Any]:
    """The template (and item) the group's coordinator edits; 403/404 before any input."""
    scope = coordinator_scope()
    checklist_templates.require_group_coordinator(scope)
    template = checklist_templates.template_of(role)
    item = checklist_templates.item_of(template, item_id) if item_id is not None else None
    return scope, template, item


@bp.post("/checklistmallar/<role>/punkter")
@require_role(Role.COORDINATOR)
def add_item(role: str):
    scope, template, _item = _editable(role)
    form = ItemForm(prefix="new")
    _choices(form)
    if not form.validate_on_submit():
        return _page(role, new_form=form, status=422)
    try:
        item = checklist_templates.add_item(current_user, template, form.fields(),
                                            bool(form.apply_now.data), scope)
    except DomainError as error:
        return _refused(role, error, form)
    return _done(role, _("Punkten %(title)s är tillagd från %(year)d.", title=item.title,
                         year=item.first_period))


@bp.post("/checklistmallar/<role>/punkter/<int:item_id>")
@require_role(Role.COORDINATOR)
def change_item(role: str, item_id: int):
    scope, _template, item = _editable(role, item_id)
    form = ItemForm(prefix=f"item-{item.id}")
    _choices(form)
    if not form.validate_on_submit():
        return _page(role, status=422, edit_forms={item.id: form})
    try:
        checklist_templates.change_item(current_user, item, form.fields(), scope)
    except DomainError as error:
        return _refused(role, error, form, item.id)
    return _done(role, _("Punkten %(title)s är ändrad.", title=item.title))


@bp.post("/checklistmallar/<role>/punkter/<int:item_id>/flytta")
@require_role(Role.COORDINATOR)
def move_item(role: str, item_id: int):
    scope, template, item = _editable(role, item_id)
    step = -1 if request.form.get("riktning") == "upp" else 1
    checklist_templates.move_item(current_user, template, item, step, scope)
    return _done(role, _("%(title)s är flyttad.", title=item.title))


@bp.post("/checklistmallar/<role>/punkter/<int:item_id>/ta-bort")
@require_role(Role.COORDINATOR)
def retire_item(role: str, item_id: int):
    scope, _template, item = _editable(role, item_id)
    apply_now = request.form.get("nu") == "1"
    try:
        checklist_templates.retire_item(current_user, item, apply_now, scope)
    except DomainError as error:
        return _refused(role, error)
    return _done(role, _("%(title)s tas bort ur checklistan från %(year)d; gjorda bockar "
                         "finns kvar.", title=item.title, year=item.retired_from_period))
