"""A system's page: facts, KLASSA classification, risk analyses and action plan, each
section edited in place with HTMX (and by plain form posts without JavaScript)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import htmx
from app.blueprints.systems import forms as f
from app.blueprints.systems.chips import add_chips
from app.blueprints.systems.routes import bp
from app.clock import today
from app.extensions import db
from app.models import ActionStatus, InformationSystem
from app.services import (
    DomainError,
    Forbidden,
    NotFound,
    action_plans,
    classifications,
    risk_analyses,
    system_register,
    systems,
)
from app.services.system_access import SystemAccess, get_for_person
from app.web import current_grants, render


def _get(system_id: int, need: str = "can_view") -> tuple[InformationSystem, SystemAccess]:
    return get_for_person(system_id, current_user, need=need, grants=current_grants())


def _forms(system: InformationSystem, data: dict[str, Any], bound: dict[str, Any]
           ) -> dict[str, Any]:
    """Every form of the page, fresh, except the one just posted (with its errors)."""
    def make(key: str, cls: type, **kwargs: Any) -> Any:
        return bound[key] if key in bound else cls(prefix=key, formdata=None, **kwargs)

    level_choices = [("", "–")] + [(str(n), f"{n} {label}") for n, label in
                                   enumerate(classifications.level_labels())]
    scale = [(str(n), str(n)) for n in range(1, 5)]
    forms: dict[str, Any] = {
        "description": make("description", f.DescriptionForm, obj=system),
        "classification": make("classification", f.ClassificationForm,
                               classified_on=today(),
                               participants="\n".join(_default_participants(system))),
        "classification_approval": make("classification_approval", f.ApprovalForm,
                                        approved_on=today()),
        "analysis": make("analysis", f.AnalysisForm, performed_on=today(),
                         participants="\n".join(_default_participants(system))),
        "item": make("item", f.ActionItemForm),
    }
    for aspect in ("confidentiality", "integrity", "availability", "traceability"):
        forms["classification"][aspect].choices = level_choices
    forms["item"].source.choices = [("", _("Ingen"))] + [
        (f"classification:{c.id}", _("Klassningen %(date)s", date=c.classified_on.isoformat()))
        for c in data["classifications"]] + [
        (f"risk_analysis:{a.id}", _("Riskanalysen %(date)s", date=a.performed_on.isoformat()))
        for a in data["analyses"]]
    for analysis in data["analyses"]:
        risk = make(f"risk-{analysis.id}", f.RiskForm)
        risk.likelihood.choices = risk.consequence.choices = [("", "–"), *scale]
        forms[f"risk-{analysis.id}"] = risk
        forms[f"approve-analysis-{analysis.id}"] = make(
            f"approve-analysis-{analysis.id}", f.ApprovalForm, approved_on=today())
    for item in data["items"]:
        status = make(f"item-{item.id}", f.ActionStatusForm)
        status.status.choices = [(s.value, action_plans.status_label(s)) for s in ActionStatus
                                 if s != item.status]
        forms[f"item-{item.id}"] = status
    return forms


def _default_participants(system: InformationSystem) -> list[str]:
    people = [link.person for link in system.administrator_links]
    if system.owner is not None:
        people.insert(0, system.owner)
    return [person.display_name for person in people]


def _context(system: InformationSystem, access: SystemAccess,
             bound: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    rows = system_register.load_rows(today(), system_id=system.id)
    system_register.fill_administrators(rows)
    add_chips(rows)
    data = {
        "classifications": classifications.history(system),
        "analyses": risk_analyses.of_system(system),
        "items": action_plans.of_system(system),
    }
    return {
        "system": system, "access": access, "row": rows[0], "today": today(),
        "status_history": systems.status_history(system), **data,
        "forms": _forms(system, data, bound or {}),
        "aspects": classifications.aspect_labels(),
        "level_labels": classifications.level_labels(),
        "review_due_on": classifications.review_due_on,
        "needs_separate_analysis": classifications.needs_separate_analysis,
        "matrix": risk_analyses.matrix, "risk_band": risk_analyses.risk_level,
        "band_label": risk_analyses.level_label,
        "status_label": systems.status_label, "action_status_label": action_plans.status_label,
        "is_overdue": action_plans.is_overdue, **extra,
    }


@bp.get("/system/<int:system_id>")
@login_required
def show(system_id: int):
    """The system's page for its coordinator, owner and administrators."""
    system, access = _get(system_id)
    return render("systems/show.html", **_context(system, access))


def _done(system: InformationSystem, access: SystemAccess, section: str, message: str) -> Any:
    """After a change: the section again (HTMX) or the page (a plain form post)."""
    db.session.commit()
    if htmx.wants_fragment():
        db.session.expire_all()
        return render_template("systems/_section_response.html", section=section,
                               message=message, focus=section,
                               **_context(system, access))
    flash(message, "info")
    return htmx.redirect(url_for("systems.show", system_id=system.id) + "#" + section)


def _refused(system: InformationSystem, access: SystemAccess, section: str, key: str,
             form: Any, error: DomainError | None = None) -> Any:
    """The section (or page) again with the form's errors, and nothing saved (422)."""
    db.session.rollback()
    if isinstance(error, Forbidden | NotFound):
        raise error  # answered 403/404 by the app's error handlers
    section_error = None
    if error is not None and error.field is None:
        # Not about a field: the form may no longer be shown (an approval made meanwhile in
        # another tab), so the section itself says it.
        section_error = error.message
    elif error is not None:
        form.add_error(error)
    context = _context(system, access, bound={key: form}, section_error=section_error)
    if htmx.wants_fragment():
        return render_template(f"systems/_{section}.html", **context), 422
    return render("systems/show.html", status=422, **context)


def _submit(system: InformationSystem, access: SystemAccess, section: str, key: str,
            form: Any, perform: Callable[[], Any], message: Callable[[Any], str]) -> Any:
    """Validate the posted form, run the service call, answer with the section or a refusal."""
    if not form.validate_on_submit():
        return _refused(system, access, section, key, form)
    try:
        result = perform()
    except DomainError as error:
        return _refused(system, access, section, key, form, error)
    return _done(system, access, section, message(result))


@bp.post("/system/<int:system_id>/beskrivning")
@login_required
def save_description(system_id: int):
    """The owner (or coordinator) changes description, supplier and notes."""
    system, access = _get(system_id, need="can_edit_description")
    form = f.DescriptionForm(prefix="description")
    return _submit(system, access, "facts", "description", form, lambda: (
        systems.update_description(current_user, system, form.description.data,
                                   form.supplier.data, form.notes.data)),
        lambda _r: _("Beskrivningen är sparad."))


@bp.post("/system/<int:system_id>/klassningar")
@login_required
def record_classification(system_id: int):
    """An administrator (or the coordinator) records a KLASSA classification."""
    system, access = _get(system_id, need="can_record")
    form = f.ClassificationForm(prefix="classification")
    return _submit(system, access, "classification", "classification", form, lambda: (
        classifications.record(current_user, system, classifications.ClassificationInput(
            classified_on=form.classified_on.data, klassa_version=form.klassa_version.data,
            participants=form.participants.data, notes=form.notes.data,
            levels={a: form[a].data for a in classifications.aspect_labels()}))),
        lambda _r: _("Klassningen är registrerad och väntar på systemägarens godkännande."))


@bp.post("/system/<int:system_id>/klassningar/<int:classification_id>/godkann")
@login_required
def approve_classification(system_id: int, classification_id: int):
    """The system owner approves the current classification."""
    system, access = _get(system_id, need="can_approve")
    classification = classifications.get(system, classification_id)
    form = f.ApprovalForm(prefix="classification_approval")
    return _submit(system, access, "classification", "classification_approval", form,
                   lambda: classifications.approve(current_user, system, classification,
                                                   form.approved_on.data),
                   lambda _r: _("Klassningen är godkänd."))


@bp.post("/system/<int:system_id>/riskanalyser")
@login_required
def record_analysis(system_id: int):
    """Record a risk analysis; risks are then added to it."""
    system, access = _get(system_id, need="can_record")
    form = f.AnalysisForm(prefix="analysis")
    return _submit(system, access, "risk_analyses", "analysis", form, lambda: (
        risk_analyses.record(current_user, system, risk_analyses.AnalysisInput(
            performed_on=form.performed_on.data, method=form.method.data,
            participants=form.participants.data, summary=form.summary.data,
            links=form.links.data))),
        lambda _r: _("Riskanalysen är registrerad. Lägg till de risker ni identifierade."))


@bp.post("/system/<int:system_id>/riskanalyser/<int:analysis_id>/risker")
@login_required
def add_risk(system_id: int, analysis_id: int):
    """Add an identified risk to an analysis not yet approved."""
    system, access = _get(system_id, need="can_record")
    analysis = risk_analyses.get(system, analysis_id)
    key = f"risk-{analysis.id}"
    form = f.RiskForm(prefix=key)
    return _submit(system, access, "risk_analyses", key, form, lambda: (
        risk_analyses.add_risk(current_user, system, analysis, form.description.data,
                               form.likelihood.data, form.consequence.data)),
        lambda risk: _("Risken är tillagd med riskvärde %(value)d.", value=risk.value))


@bp.post("/system/<int:system_id>/riskanalyser/<int:analysis_id>/godkann")
@login_required
def approve_analysis(system_id: int, analysis_id: int):
    """The system owner approves a risk analysis."""
    system, access = _get(system_id, need="can_approve")
    analysis = risk_analyses.get(system, analysis_id)
    key = f"approve-analysis-{analysis.id}"
    form = f.ApprovalForm(prefix=key)
    return _submit(system, access, "risk_analyses", key, form,
                   lambda: risk_analyses.approve(current_user, system, analysis,
                                                 form.approved_on.data),
                   lambda _r: _("Riskanalysen är godkänd."))


@bp.post("/system/<int:system_id>/handlingsplan")
@login_required
def add_action_item(system_id: int):
    """Add a measure to the action plan."""
    system, access = _get(system_id, need="can_manage_actions")
    form = f.ActionItemForm(prefix="item")
    return _submit(system, access, "action_plan", "item", form, lambda: (
        action_plans.add_item(current_user, system, action_plans.ItemInput(
            description=form.description.data, responsible=form.responsible.data,
            due_on=form.due_on.data, source=form.source.data or ""))),
        lambda _r: _("Åtgärden är tillagd i handlingsplanen."))


@bp.post("/system/<int:system_id>/handlingsplan/<int:item_id>/status")
@login_required
def change_action_status(system_id: int, item_id: int):
    """Move an action item to a new status, kept in its history."""
    system, access = _get(system_id, need="can_manage_actions")
    item = action_plans.get(system, item_id)
    key = f"item-{item.id}"
    form = f.ActionStatusForm(prefix=key)
    return _submit(system, access, "action_plan", key, form, lambda: (
        action_plans.change_status(current_user, system, item, form.status.data,
                                   form.note.data)),
        lambda change: _("Åtgärden har nu status %(status)s.",
                         status=action_plans.status_label(change.to_status)))
