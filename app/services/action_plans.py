"""A system's action plan (handlingsplan): measures from its classification or risk
analysis, each with a responsible person, a due date and a history of status changes.

The history rows are never changed; the item's `status` mirrors the latest of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.clock import utcnow
from app.extensions import db
from app.models import (
    ActionPlanItem,
    ActionStatus,
    ActionStatusChange,
    Classification,
    InformationSystem,
    Person,
    RiskAnalysis,
)
from app.models.systems import OPEN_ACTION_STATUSES
from app.services import DomainError, NotFound, audit, checks, people


def status_label(status: ActionStatus | str) -> str:
    """The Swedish name of an action item's status."""
    return {ActionStatus.OPEN: _("Öppen"), ActionStatus.IN_PROGRESS: _("Pågår"),
            ActionStatus.DONE: _("Klar"),
            ActionStatus.ACCEPTED_RISK: _("Accepterad risk")}[ActionStatus(status)]


def is_overdue(item: ActionPlanItem, today: date) -> bool:
    """Still open after its due date."""
    return item.status in OPEN_ACTION_STATUSES and item.due_on is not None \
        and item.due_on < today


@dataclass
class ItemInput:
    description: str
    responsible: str
    due_on: date | None
    # "classification:<id>", "risk_analysis:<id>" or "" for neither.
    source: str = ""


def _source(system: InformationSystem, value: str) -> dict[str, int | None]:
    kind, _sep, raw_id = (value or "").partition(":")
    if not kind:
        return {"classification_id": None, "risk_analysis_id": None}
    model = {"classification": Classification, "risk_analysis": RiskAnalysis}.get(kind)
    found = db.session.get(model, int(raw_id)) if model and raw_id.isdigit() else None
    if found is None or found.system_id != system.id:
        raise DomainError(_("Välj en klassning eller riskanalys i listan."), field="source")
    return {"classification_id": found.id if kind == "classification" else None,
            "risk_analysis_id": found.id if kind == "risk_analysis" else None}


def add_item(actor: Person, system: InformationSystem, values: ItemInput) -> ActionPlanItem:
    """Add a measure to the system's action plan, open from the start."""
    description = checks.text(values.description, "description", 2000, _("åtgärd"),
                              required=True)
    if values.due_on is None:
        raise DomainError(_("Fyll i när åtgärden ska vara klar (ÅÅÅÅ-MM-DD)."), field="due_on")
    source = _source(system, values.source)
    responsible = None
    if values.responsible.strip():
        try:
            responsible = people.resolve_person(values.responsible, field="responsible")
        except people.InactivePerson as error:
            raise DomainError(_("%(name)s är avaktiverad och kan inte vara ansvarig.",
                                name=error.person.display_name), field="responsible") from None
    now = utcnow()
    item = ActionPlanItem(system_id=system.id, description=description,
                          responsible=responsible, due_on=values.due_on,
                          status=ActionStatus.OPEN, created_at=now, created_by_id=actor.id,
                          **source)
    db.session.add(item)
    db.session.flush()
    db.session.add(ActionStatusChange(item=item, from_status=None, to_status=ActionStatus.OPEN,
                                      changed_at=now, changed_by_id=actor.id))
    audit.record(actor, "action_item.added", "system", system.id, {
        "action_item_id": item.id, "description": description,
        "responsible": responsible.username if responsible else None,
        "due_on": values.due_on.isoformat(), **source})
    return item


def get(system: InformationSystem, item_id: int) -> ActionPlanItem:
    """One of the system's action items, or NotFound."""
    item = db.session.get(ActionPlanItem, item_id)
    if item is None or item.system_id != system.id:
        raise NotFound(_("Åtgärden finns inte."))
    return item


def change_status(actor: Person, system: InformationSystem, item: ActionPlanItem,
                  status: str, note: str) -> ActionStatusChange:
    """Move an item to a new status; accepting a risk needs a justification."""
    try:
        new = ActionStatus(status)
    except ValueError:
        raise DomainError(_("Välj en status i listan."), field="status") from None
    note = checks.text(note, "note", 2000, _("kommentar"))
    if new == item.status:
        raise DomainError(_("Åtgärden har redan status %(status)s.", status=status_label(new)),
                          field="status")
    if new == ActionStatus.ACCEPTED_RISK and not note:
        raise DomainError(_("Motivera varför risken accepteras."), field="note")
    change = ActionStatusChange(item=item, from_status=item.status, to_status=new, note=note,
                                changed_at=utcnow(), changed_by_id=actor.id)
    db.session.add(change)
    audit.record(actor, "action_item.status_changed", "system", system.id, {
        "action_item_id": item.id, "from": item.status.value, "to": new.value, "note": note})
    item.status = new
    db.session.flush()
    return change


def of_system(system: InformationSystem) -> list[ActionPlanItem]:
    """The action plan: open items first by due date, then the closed ones."""
    items = list(db.session.scalars(select(ActionPlanItem).options(
        joinedload(ActionPlanItem.responsible),
        selectinload(ActionPlanItem.changes).joinedload(ActionStatusChange.changed_by))
        .where(ActionPlanItem.system_id == system.id)))
    return sorted(items, key=lambda i: (i.status not in OPEN_ACTION_STATUSES,
                                        i.due_on or date.max, i.id))
