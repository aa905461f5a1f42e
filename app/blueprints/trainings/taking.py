"""Taking a training: its page for the person it applies to, and "Jag har genomfört
utbildningen" confirmed in place with HTMX (or as a plain form post)."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import htmx
from app.blueprints.trainings.forms import CompleteForm
from app.blueprints.trainings.routes import bp
from app.clock import today
from app.extensions import db
from app.models import ProofMethod, Role, Training
from app.services import DomainError, Forbidden, completions, trainings
from app.services.markdown_render import render as render_markdown
from app.services.system_access import scope_from_grants
from app.web import current_grants, current_roles, render


def _context(training: Training, form: CompleteForm | None = None, **extra: Any
             ) -> dict[str, Any]:
    task = completions.task_for(current_user, current_roles(), training)
    scope = scope_from_grants(current_grants())
    manager = scope is not None and scope.covers(training.organization_id)
    if task is None and not manager and Role.MANAGER not in current_roles():
        raise Forbidden(_("Utbildningen gäller inte dig."))
    return {
        "training": training, "task": task, "manager": manager,
        "description": render_markdown(training.description),
        "form": form or CompleteForm(formdata=None, completed_on=today()),
        "self_confirm": training.proof != ProofMethod.IMPORT,
        "history": completions.history(training, current_user.id) if task else [],
        "source_label": completions.source_labels(), **extra,
    }


@bp.get("/utbildning/<int:training_id>")
@login_required
def show(training_id: int):
    """The training as the person it applies to sees it."""
    return render("trainings/show.html", **_context(trainings.get(training_id)))


def _refused(training: Training, form: CompleteForm) -> Any:
    db.session.rollback()
    context = _context(training, form=form)
    if htmx.wants_fragment():
        return render_template("trainings/_complete.html", **context), 422
    return render("trainings/show.html", status=422, **context)


@bp.post("/utbildning/<int:training_id>/genomford")
@login_required
def complete(training_id: int):
    """The person's own confirmation that they completed the training."""
    training = trainings.get(training_id)
    # Rights before input: someone the training does not ask gets 403, not the form.
    if completions.task_for(current_user, current_roles(), training) is None:
        raise Forbidden(_("Utbildningen gäller inte dig."))
    form = CompleteForm()
    if not form.validate_on_submit():
        return _refused(training, form)
    try:
        completions.confirm_self(current_user, current_roles(), training,
                                 form.completed_on.data, form.note.data or "")
    except Forbidden:
        raise
    except DomainError as error:
        form.add_error(error)
        return _refused(training, form)
    db.session.commit()
    message = _("Tack! Det är registrerat att du har genomfört %(title)s.", title=training.title)
    if htmx.wants_fragment():
        return render_template("trainings/_complete_response.html", message=message,
                               just_completed=True, **_context(training))
    flash(message, "info")
    return htmx.redirect(url_for("trainings.show", training_id=training.id) + "#genomford")
