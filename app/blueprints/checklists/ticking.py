"""A checklist's page and ticking its items in place with HTMX (or by plain form posts):
the item, the checklist's progress bar and — through `HX-Trigger` — the count in the
navigation update without a reload."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import htmx
from app.blueprints.checklists.forms import TickForm
from app.blueprints.checklists.routes import bp
from app.extensions import db
from app.models import ChecklistAssignment, ChecklistItem
from app.services import DomainError, Forbidden, NotFound, checklist_facts, checklists
from app.services.checklists import Access
from app.services.system_access import scope_from_grants
from app.web import current_grants, render


def _get(assignment_id: int) -> tuple[ChecklistAssignment, Access]:
    return checklists.get(assignment_id, current_user, scope_from_grants(current_grants()))


def _context(assignment: ChecklistAssignment, access: Access, **extra: Any) -> dict[str, Any]:
    [view] = checklists.views([assignment])
    return {"view": view, "access": access, "facts": checklist_facts.facts_for([view]),
            "siblings": checklists.siblings(assignment),
            "history": checklists.history(assignment), "forms": extra.pop("forms", {}),
            **extra}


@bp.get("/checklista/<int:assignment_id>")
@login_required
def show(assignment_id: int):
    """One checklist: its items for the period, facts beside them, history."""
    assignment, access = _get(assignment_id)
    return render("checklists/show.html", **_context(assignment, access))


@bp.get("/checklistor/antal")
@login_required
def open_count():
    """The navigation's count of open checklist items (fetched by HTMX, refreshed on
    `checklist-changed`)."""
    return render_template("checklists/_count.html", count=checklists.open_count(current_user))


def _item(assignment: ChecklistAssignment, item_id: int) -> ChecklistItem:
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.template_id != assignment.template_id:
        raise NotFound(_("Punkten finns inte i den här checklistan."))
    return item


@bp.post("/checklista/<int:assignment_id>/punkt/<int:item_id>")
@login_required
def tick(assignment_id: int, item_id: int):
    """Tick or untick one item (`do` = tick | untick); each is a new recorded event."""
    assignment, access = _get(assignment_id)
    item = _item(assignment, item_id)
    # Rights before input: a reader who may not tick gets 403, not the form's errors.
    if not (access.tick or access.on_behalf):
        raise Forbidden(_("Bara den som har checklistan bockar av dess punkter."))
    form = TickForm(prefix=f"item-{item.id}")
    checked = request.form.get("do", "tick") != "untick"
    error = None
    if form.validate_on_submit():
        try:
            checklists.set_checked(current_user, access, assignment, item, checked,
                                   form.note.data or "", form.evidence_link.data or "",
                                   form.on_behalf_reason.data or "")
        except (Forbidden, NotFound):
            raise
        except DomainError as refused:
            db.session.rollback()
            error = refused
            form.add_error(refused)
    if error is not None or form.errors:
        return _refused(assignment, access, item, form)
    db.session.commit()
    message = (_("%(title)s är avbockad.", title=item.title) if checked
               else _("Avbockningen av %(title)s är ångrad.", title=item.title))
    if htmx.wants_fragment():
        db.session.expire_all()
        response = render_template("checklists/_tick_response.html", item_id=item.id,
                                   message=message, **_context(assignment, access))
        return response, 200, {"HX-Trigger": json.dumps({"checklist-changed": item.id})}
    flash(message, "info")
    return htmx.redirect(url_for("checklists.show", assignment_id=assignment.id)
                         + f"#item-{assignment.id}-{item.id}")


def _refused(assignment: ChecklistAssignment, access: Access, item: ChecklistItem,
             form: TickForm) -> Any:
    context = _context(assignment, access, forms={item.id: form})
    state = next((s for s in context["view"].items if s.item.id == item.id), None)
    if state is None:
        # The item left the checklist after the page was loaded (retired "now"): say why
        # and, with htmx, take it off the page.
        message = " ".join(error for errors in form.errors.values() for error in errors)
        if htmx.wants_fragment():
            return render_template("checklists/_tick_response.html", item_id=item.id,
                                   message=message, **context), 422
        flash(message, "error")
    elif htmx.wants_fragment():
        return render_template("checklists/_item.html", state=state, refused=True,
                               **context), 422
    return render("checklists/show.html", status=422, **context)
