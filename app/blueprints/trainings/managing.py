"""The coordinator's trainings: the list with completion rates, creating and changing a
training (with the same audience form and live count as governing documents), and
copying a recurring training to the next period."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import htmx
from app.blueprints.documents.forms import fill_choices, rule_form_data
from app.blueprints.trainings.forms import TrainingForm
from app.blueprints.trainings.routes import bp
from app.clock import today
from app.extensions import db
from app.models import Role, Training
from app.services import DomainError, Forbidden, audience, trainings
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.system_access import CoordinatorScope
from app.web import coordinator_scope, render, require_role


def managed_training(training_id: int) -> tuple[Training, CoordinatorScope]:
    """The training, if the coordinator's scope covers it (404/403 before any input)."""
    training = trainings.get(training_id)
    scope = coordinator_scope()
    trainings.require_manager(scope, training)
    return training, scope


@bp.get("/utbildningar/")
@require_role(Role.COORDINATOR)
def manage():
    """Trainings of the coordinator's organizations, newest period first, with rates."""
    return render("trainings/manage.html", rows=trainings.managed(coordinator_scope()),
                  proofs=trainings.proof_labels(), today=today())


def _form_page(form: TrainingForm, training: Training | None, status: int = 200) -> Any:
    try:
        matched = audience.count(Audience.of(form.rule(), UnitTree.load()))
    except DomainError:
        matched = None
    return render("trainings/edit.html", form=form, training=training, matched=matched,
                  status=status)


def _save(form: TrainingForm, scope: CoordinatorScope, training: Training | None) -> Any:
    if not form.validate_on_submit():
        return _form_page(form, training, 422)
    try:
        if training is None:
            training = trainings.create(current_user, form.fields(), scope)
            message = _("Utbildningen %(title)s är skapad.", title=training.title)
        else:
            trainings.update(current_user, training, form.fields(), scope)
            message = _("Ändringarna i %(title)s är sparade.", title=training.title)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, Forbidden):
            raise
        form.add_error(error)
        return _form_page(form, training, 422)
    db.session.commit()
    flash(message, "info")
    return htmx.redirect(url_for("trainings.report", training_id=training.id))


@bp.route("/utbildningar/ny", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def new():
    """Create a training for a period."""
    scope = coordinator_scope()
    if request.method == "POST":
        form = TrainingForm()
        fill_choices(form, scope)
        return _save(form, scope, None)
    year = today().year
    form = TrainingForm(formdata=None, data={
        "period_starts_on": date(year, 1, 1), "period_ends_on": date(year, 12, 31),
        "due_on": date(year, 11, 30)})
    fill_choices(form, scope)
    first = next((value for value, _label in form.organization_id.choices if value), "")
    form.organization_id.data = first
    form.organization_ids.data = [first] if first else []
    return _form_page(form, None)


@bp.route("/utbildningar/<int:training_id>/redigera", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def edit(training_id: int):
    """Change a training; completions already recorded stay."""
    training, scope = managed_training(training_id)
    if request.method == "POST":
        form = TrainingForm()
        fill_choices(form, scope)
        return _save(form, scope, training)
    form = TrainingForm(formdata=None, obj=training, data={
        "organization_id": str(training.organization_id), "proof": training.proof.value,
        **rule_form_data(AudienceRule.from_json(training.audience))})
    fill_choices(form, scope)
    return _form_page(form, training)


@bp.post("/utbildningar/<int:training_id>/kopiera")
@require_role(Role.COORDINATOR)
def copy(training_id: int):
    """Copy a recurring training to the next period, keeping its audience."""
    training, scope = managed_training(training_id)
    try:
        copy = trainings.copy_to_next_period(current_user, training, scope)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return htmx.redirect(url_for("trainings.report", training_id=training.id))
    db.session.commit()
    flash(_("%(title)s är kopierad till %(period)s. Kontrollera datumen.", title=copy.title,
            period=copy.period_label), "info")
    return htmx.redirect(url_for("trainings.edit", training_id=copy.id))
