"""Following up a training: completion per organization, sector and kind with who has not
completed (for the coordinator, or a manager's own people), CSV, the attendance list for
people without an account, and corrections."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import htmx
from app.blueprints.follow_up import LIST_LIMIT, people_list
from app.blueprints.trainings.forms import AttendanceForm, CorrectionForm
from app.blueprints.trainings.managing import managed_training
from app.blueprints.trainings.routes import bp
from app.clock import today
from app.extensions import db
from app.models import Person, Role, Training
from app.services import (
    DomainError,
    Forbidden,
    NotFound,
    audience,
    audit,
    completions,
    people,
    training_status,
    trainings,
)
from app.services.system_access import CoordinatorScope, scope_from_grants
from app.web import (
    coordinator_scope,
    current_grants,
    current_roles,
    render,
    require_role,
)


def _report(training: Training) -> training_status.TrainingReport:
    return training_status.report(training, current_user, current_roles(),
                                  scope_from_grants(current_grants()),
                                  mine_only=request.args.get("mina") == "1")


@bp.get("/utbildningar/<int:training_id>/uppfoljning")
@login_required
def report(training_id: int):
    """Who has completed the training, and who has not."""
    training = trainings.get(training_id)
    result = _report(training)
    scope = scope_from_grants(current_grants())
    return render("trainings/report.html", report=result, training=training,
                  **people_list(result),
                  manager=scope is not None and scope.covers(training.organization_id),
                  follower=trainings.follows(scope, training),
                  proofs=trainings.proof_labels())


@bp.get("/utbildningar/<int:training_id>/uppfoljning.csv")
@login_required
def report_csv(training_id: int):
    """The follow-up as CSV; exporting names is itself logged."""
    training = trainings.get(training_id)
    result = _report(training)
    audit.record(current_user, "training.status_exported", "training", training.id,
                 {"people": len(result.members), "mine_only": result.mine_only})
    db.session.commit()
    response = Response("".join(training_status.csv_lines(result)),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="utbildning-{training.id}-{today().isoformat()}.csv"')
    return response


def _attendance_page(training: Training, form: AttendanceForm, status: int = 200) -> Any:
    result = training_status.report(training, current_user, current_roles(),
                                     scope_from_grants(current_grants()))
    kind = request.args.get("kategori", "")
    kinds = audience.kind_labels()
    candidates = [m for m in result.missing if not kind or m.kind == kinds.get(kind)]
    form.person_ids.choices = [(str(m.person_id), m.name) for m in candidates]
    return render("trainings/attendance.html", training=training, form=form,
                  candidates=candidates[:LIST_LIMIT], total=len(candidates), kind=kind,
                  kinds=kinds, status=status)


@bp.route("/utbildningar/<int:training_id>/narvarolista", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def attendance(training_id: int):
    """Register who took part from an attendance list (people without an account too)."""
    training = trainings.get(training_id)
    scope = coordinator_scope()
    if not trainings.follows(scope, training):
        raise Forbidden(_("Du får inte registrera närvaro för den här utbildningen."))
    if request.method == "GET":
        return _attendance_page(training, AttendanceForm(formdata=None, completed_on=today()))
    form = AttendanceForm()
    if not form.validate_on_submit():
        return _attendance_page(training, form, 422)
    try:
        ids = [int(value) for value in form.person_ids.data or [] if str(value).isdigit()]
        result = completions.register_attendance(current_user, training, ids,
                                                 form.completed_on.data, form.note.data or "",
                                                 scope)
    except DomainError as error:
        db.session.rollback()
        form.add_error(error)
        return _attendance_page(training, form, 422)
    db.session.commit()
    message = _("Närvarolistan är registrerad: %(added)d nya genomföranden.",
                added=len(result.added))
    if result.already:
        message += " " + _("%(num)d hade redan genomfört utbildningen.",
                           num=len(result.already))
    flash(message, "info")
    return htmx.redirect(url_for("trainings.report", training_id=training.id))


def _participant(training: Training, scope: CoordinatorScope, person_id: int) -> Person:
    """The person whose records the coordinator opens: someone in their organizations, or
    someone with a record for the training (an import may name people outside). 404/403
    before any input, so nobody else's name and unit can be looked up by id."""
    person = people.with_details(person_id)
    if person is None:
        raise NotFound(_("Personen finns inte."))
    in_scope = scope.everything or (person.organization_id is not None
                                    and scope.covers(person.organization_id))
    if not in_scope and not completions.history(training, person.id):
        raise Forbidden(_("Personen ingår inte i det du samordnar."))
    return person


@bp.get("/utbildningar/<int:training_id>/deltagare/<int:person_id>")
@require_role(Role.COORDINATOR)
def participant(training_id: int, person_id: int):
    """One person's records for the training, newest first, and the correction form."""
    training, scope = managed_training(training_id)
    person = _participant(training, scope, person_id)
    return _participant_page(training, person, CorrectionForm(formdata=None))


def _participant_page(training: Training, person: Person, form: CorrectionForm,
                      status: int = 200) -> Any:
    return render("trainings/participant.html", training=training, person=person,
                  history=completions.history(training, person.id), form=form,
                  source_label=completions.source_labels(), status=status)


@bp.post("/utbildningar/<int:training_id>/deltagare/<int:person_id>/rattelse")
@require_role(Role.COORDINATOR)
def correct(training_id: int, person_id: int):
    """Correct one person's record: a new row that supersedes the one that held."""
    training, scope = managed_training(training_id)
    person = _participant(training, scope, person_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _participant_page(training, person, form, 422)
    try:
        completions.correct(current_user, training, person_id, form.completed_on.data,
                            form.note.data or "", scope)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        db.session.rollback()
        form.add_error(error)
        return _participant_page(training, person, form, 422)
    db.session.commit()
    flash(_("Rättelsen är sparad; den tidigare uppgiften finns kvar i historiken."), "info")
    return htmx.redirect(url_for("trainings.participant", training_id=training.id,
                                 person_id=person_id))
