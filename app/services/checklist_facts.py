"""Facts the portal already knows, shown beside a checklist item so nobody has to guess:
"Klassning godkänd 3 mars 2026", "Riskanalys 2 feb 2026", "Handlingsplan: 3 öppna",
"Dina medarbetare: 45 av 60 har genomfört …". Loaded for many checklists at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.clock import today
from app.extensions import db
from app.models import (
    Acknowledgement,
    ActionPlanItem,
    Classification,
    Person,
    RiskAnalysis,
    SubjectType,
    Training,
)
from app.models.systems import OPEN_ACTION_STATUSES
from app.services import adoptions, people
from app.services.acknowledgements import Chain, live_documents
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.audience_report import rates_in_one_query
from app.services.checklists import ChecklistView
from app.services.documents import version_headers
from app.services.trainings import current_completion_exists


def _day(value: date) -> str:
    return format_date(value, "d MMM y").replace(".", "")


def _latest_per_system(model: type, column: Any, system_ids: list[int], period: int
                       ) -> dict[int, date]:
    return dict(db.session.execute(
        select(model.system_id, func.max(column)).where(
            model.system_id.in_(system_ids), column >= date(period, 1, 1),
            column <= date(period, 12, 31))
        .group_by(model.system_id)).tuples().all())


def _system_facts(systems: list[int], period: int) -> dict[tuple[str, int], str]:
    if not systems:
        return {}
    facts: dict[tuple[str, int], str] = {}
    for system_id, day in _latest_per_system(Classification, Classification.classified_on,
                                             systems, period).items():
        facts[("classification", system_id)] = _("Klassad %(date)s", date=_day(day))
    for system_id, day in _latest_per_system(Classification, Classification.approved_on,
                                             systems, period).items():
        facts[("classification_approved", system_id)] = _("Klassning godkänd %(date)s",
                                                           date=_day(day))
    for system_id, day in _latest_per_system(RiskAnalysis, RiskAnalysis.performed_on,
                                             systems, period).items():
        facts[("risk_analysis", system_id)] = _("Riskanalys %(date)s", date=_day(day))
    for system_id, total, still_open in db.session.execute(
            select(ActionPlanItem.system_id, func.count(),
                   func.count().filter(ActionPlanItem.status.in_(OPEN_ACTION_STATUSES)))
            .where(ActionPlanItem.system_id.in_(systems)).group_by(ActionPlanItem.system_id)):
        facts[("action_plan", system_id)] = _("Handlingsplan: %(total)d åtgärder, %(open)d "
                                              "öppna", total=total, open=still_open)
    return facts


def _training_fact(manager_id: int) -> str | None:
    manager = db.session.get(Person, manager_id)
    trainings = list(db.session.scalars(select(Training).where(
        Training.period_starts_on <= today(), Training.period_ends_on >= today())))
    if manager is None or not trainings:
        return None
    tree, mine = UnitTree.load(), people.reporting_to(manager)
    rates = rates_in_one_query({t.id: (Audience.of(AudienceRule.from_json(t.audience), tree)
                                       .condition() & mine, current_completion_exists(t.id))
                                for t in trainings})
    parts = [_("%(done)d av %(total)d har genomfört %(title)s", done=rates[t.id].done,
               total=rates[t.id].total, title=t.title)
             for t in trainings if rates.get(t.id) and rates[t.id].total]
    return _("Dina medarbetare: %(parts)s", parts="; ".join(parts)) if parts else None


def _acknowledgement_fact(manager_id: int) -> str | None:
    manager = db.session.get(Person, manager_id)
    documents = live_documents()
    chains = version_headers([d.id for d in documents])
    adopted = adoptions.adopted_since([d.id for d in documents])
    if manager is None or not chains:
        return None
    tree, mine = UnitTree.load(), people.reporting_to(manager)
    counts = {d.id: (Audience.of(AudienceRule.from_json(d.audience), tree, adopted.get(d.id))
                     .condition() & mine,
                     select(Acknowledgement.id).where(
                         Acknowledgement.person_id == Person.id,
                         Acknowledgement.version_id.in_(Chain(chains[d.id]).valid_ids)).exists())
              for d in documents if d.id in chains}
    rates = rates_in_one_query(counts)
    parts = [_("%(done)d av %(total)d har kvitterat %(title)s", done=rates[d.id].done,
               total=rates[d.id].total, title=d.title)
             for d in documents if rates.get(d.id) and rates[d.id].total]
    return _("Dina medarbetare: %(parts)s", parts="; ".join(parts)) if parts else None


def facts_for(checklists: list[ChecklistView]) -> dict[tuple[int, int], str]:
    """(assignment id, item id) → the fact to show beside the item."""
    systems = sorted({v.assignment.subject_id for v in checklists
                      if v.assignment.subject_type == SubjectType.SYSTEM})
    periods = {v.assignment.period for v in checklists}
    by_period = {period: _system_facts(systems, period) for period in periods}
    result: dict[tuple[int, int], str] = {}
    for view in checklists:
        assignment = view.assignment
        for state in view.items:
            key = state.item.fact
            if key is None:
                continue
            if assignment.subject_type == SubjectType.SYSTEM:
                fact = by_period[assignment.period].get((key, assignment.subject_id))
            elif key == "training":
                fact = _training_fact(assignment.subject_id)
            elif key == "acknowledgements":
                fact = _acknowledgement_fact(assignment.subject_id)
            else:
                fact = None
            if fact:
                result[(assignment.id, state.item.id)] = fact
    return result
