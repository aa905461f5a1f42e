"""Checklist templates per role: the shipped defaults (from MSB's method support) and the
coordinator's changes — add, reorder, change, retire — which apply from the next period
unless the coordinator chooses "apply now".

Templates are the group's: only a coordinator for the whole group changes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.clock import today, utcnow
from app.extensions import db
from app.models import ChecklistItem, ChecklistRole, ChecklistTemplate, Document, Person
from app.services import DomainError, Forbidden, NotFound, audit, checks
from app.services.system_access import CoordinatorScope

# (title, due month or None for "vid behov", note required, fact shown beside it)
DEFAULTS: dict[ChecklistRole, list[tuple[str, int | None, bool, str | None]]] = {
    ChecklistRole.SYSTEM_ADMINISTRATOR: [
        ("Genomför informationsklassning enligt KLASSA", 2, False, "classification"),
        ("Dokumentera handlingsplan", 3, False, "action_plan"),
        ("Genomför riskanalys", 4, False, "risk_analysis"),
        ("Genomför behörighetsgranskning", 5, True, None),
        ("Kontrollera loggning och loggranskning", 6, True, None),
        ("Testa återläsning av säkerhetskopia", 9, True, None),
        ("Uppdatera kontinuitetsplan", 10, False, None),
        ("Kontrollera att leverantörsavtalet omfattar incidentrapportering", 11, True, None),
    ],
    ChecklistRole.SYSTEM_OWNER: [
        ("Godkänn informationsklassningen", 3, False, "classification_approved"),
        ("Säkerställ att riskanalys genomförts", 5, False, "risk_analysis"),
        ("Besluta om åtgärder i handlingsplanen", 6, False, "action_plan"),
        ("Säkerställ att förvaltaren har tid och kompetens", 9, False, None),
        ("Genomgå utbildning för systemägare", 11, False, None),
    ],
    ChecklistRole.MANAGER: [
        ("Säkerställ att medarbetarna genomfört årets utbildning", 11, False, "training"),
        ("Säkerställ att medarbetarna kvitterat informationssäkerhetspolicyn", 3, False,
         "acknowledgements"),
        ("Gå igenom incidentrutinen på en arbetsplatsträff", 4, True, None),
        ("Ta upp informationssäkerhet i verksamhetsplaneringen", 9, False, None),
        ("Följ upp behörigheter vid anställningsförändringar", None, False, None),
    ],
    ChecklistRole.EMPLOYEE: [],
}


def role_labels() -> dict[str, str]:
    return {ChecklistRole.SYSTEM_OWNER.value: _("Systemägare (per system)"),
            ChecklistRole.SYSTEM_ADMINISTRATOR.value: _("Systemförvaltare (per system)"),
            ChecklistRole.MANAGER.value: _("Chef (för medarbetarna)"),
            ChecklistRole.EMPLOYEE.value: _("Alla medarbetare")}


def fact_labels() -> dict[str, str]:
    return {"classification": _("Klassning i registret"),
            "classification_approved": _("Godkänd klassning"),
            "risk_analysis": _("Riskanalys i registret"),
            "action_plan": _("Handlingsplan i registret"),
            "training": _("Medarbetarnas utbildning"),
            "acknowledgements": _("Medarbetarnas kvittenser")}


def ensure_defaults() -> list[ChecklistTemplate]:
    """A template per role, with the default items the first time; then left alone."""
    existing = {t.role: t for t in db.session.scalars(select(ChecklistTemplate))}
    year, now = today().year, utcnow()
    for role in ChecklistRole:
        if role in existing:
            continue
        template = ChecklistTemplate(role=role, title=role_labels()[role.value], created_at=now)
        template.items = [ChecklistItem(title=title, help_text="", due_month=month,
                                        requires_note=note, fact=fact, position=n,
                                        first_period=year, created_at=now)
                          for n, (title, month, note, fact) in enumerate(DEFAULTS[role])]
        db.session.add(template)
        existing[role] = template
    db.session.flush()
    return [existing[role] for role in ChecklistRole]


def require_group_coordinator(scope: CoordinatorScope | None) -> None:
    if scope is None or not scope.everything:
        raise Forbidden(_("Bara samordnaren för hela koncernen ändrar checklistornas mallar."))


def template_of(role: str) -> ChecklistTemplate:
    try:
        wanted = ChecklistRole(role)
    except ValueError:
        raise NotFound(_("Mallen finns inte.")) from None
    ensure_defaults()
    return db.session.scalars(select(ChecklistTemplate).options(
        selectinload(ChecklistTemplate.items)).where(ChecklistTemplate.role == wanted)).one()


def item_of(template: ChecklistTemplate, item_id: int) -> ChecklistItem:
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.template_id != template.id:
        raise NotFound(_("Punkten finns inte."))
    return item


@dataclass
class ItemFields:
    title: str
    help_text: str
    document_id: int | None
    requires_note: bool
    due_month: int | None


def _apply(item: ChecklistItem, fields: ItemFields) -> None:
    item.title = checks.text(fields.title, "title", 300, _("rubrik"), required=True)
    item.help_text = checks.text(fields.help_text, "help_text", 5000, _("hjälptext"))
    if fields.document_id is not None and db.session.get(Document, fields.document_id) is None:
        raise DomainError(_("Det valda styrdokumentet finns inte."), field="document_id")
    item.document_id = fields.document_id
    if fields.due_month is not None and not 1 <= fields.due_month <= 12:
        raise DomainError(_("Välj en månad eller Vid behov."), field="due_month")
    item.due_month = fields.due_month
    item.requires_note = fields.requires_note


def _from_period(apply_now: bool) -> int:
    return today().year + (0 if apply_now else 1)


def add_item(actor: Person, template: ChecklistTemplate, fields: ItemFields, apply_now: bool,
             scope: CoordinatorScope | None) -> ChecklistItem:
    """A new item, last in the list, from this period ("apply now") or the next."""
    require_group_coordinator(scope)
    item = ChecklistItem(template_id=template.id, created_at=utcnow(),
                         position=max((i.position for i in template.items), default=-1) + 1,
                         first_period=_from_period(apply_now))
    _apply(item, fields)
    # Through the collection, so the template loaded in this session lists it at once (the
    # next item's position, views and generate in the same transaction).
    template.items.append(item)
    db.session.flush()
    audit.record(actor, "checklist.item_added", "checklist_item", item.id,
                 {"role": template.role.value, "title": item.title,
                  "first_period": item.first_period})
    return item


def change_item(actor: Person, item: ChecklistItem, fields: ItemFields,
                scope: CoordinatorScope | None) -> ChecklistItem:
    """Change an item's wording, month, document or note rule; ticks keep pointing at it."""
    require_group_coordinator(scope)
    before = {"title": item.title, "due_month": item.due_month,
              "requires_note": item.requires_note}
    _apply(item, fields)
    audit.record(actor, "checklist.item_changed", "checklist_item", item.id,
                 {"before": before, "after": {"title": item.title, "due_month": item.due_month,
                                              "requires_note": item.requires_note}})
    return item


def move_item(actor: Person, template: ChecklistTemplate, item: ChecklistItem, step: int,
              scope: CoordinatorScope | None) -> None:
    """Move an item one place up (-1) or down (+1) among the template's items."""
    require_group_coordinator(scope)
    ordered = sorted(template.items, key=lambda i: (i.position, i.id))
    index = ordered.index(item)
    target = index + (1 if step > 0 else -1)
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, each in enumerate(ordered):
        each.position = position
    audit.record(actor, "checklist.item_moved", "checklist_item", item.id,
                 {"position": target})


def retire_item(actor: Person, item: ChecklistItem, apply_now: bool,
                scope: CoordinatorScope | None) -> ChecklistItem:
    """Retire an item from this period or the next; it is never deleted."""
    require_group_coordinator(scope)
    if item.retired_from_period is not None:
        raise DomainError(_("Punkten är redan borttagen från %(year)d.",
                            year=item.retired_from_period))
    item.retired_from_period = max(_from_period(apply_now), item.first_period)
    audit.record(actor, "checklist.item_retired", "checklist_item", item.id,
                 {"from_period": item.retired_from_period})
    return item
