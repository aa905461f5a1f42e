"""The demo systems: loaded once over the demo directory, with the figures the demo promises."""

from __future__ import annotations

from datetime import date

from sqlalchemy import distinct, func, or_, select

from app.extensions import db
from app.models import (
    ActionPlanItem,
    ActionStatus,
    ActionStatusChange,
    AuditEvent,
    Classification,
    InformationSystem,
    LifecycleStatus,
    Person,
    RiskAnalysis,
    SystemAdministrator,
)
from demo.systems import load_demo_systems

TODAY = date(2026, 11, 23)
NOT_RETIRED = InformationSystem.status != LifecycleStatus.RETIRED


def _count(query) -> int:
    return db.session.scalar(query)


def _latest_classifications():
    """The current (latest) classification of each system."""
    latest = select(func.max(Classification.id)).group_by(Classification.system_id)
    return select(Classification).where(Classification.id.in_(latest)).subquery()


def test_the_demo_systems_give_the_promised_figures(demo_people):
    assert load_demo_systems(TODAY) == 80

    assert _count(select(func.count()).select_from(InformationSystem)) == 80
    assert _count(select(func.count()).where(NOT_RETIRED)) == 78
    current = _latest_classifications()
    assert _count(select(func.count()).select_from(current)) == 18
    assert _count(select(func.count()).select_from(current)
                  .where(current.c.approved_on.is_not(None))) == 12
    # Approved more than twelve months ago: due for review.
    assert _count(select(func.count()).select_from(current)
                  .where(current.c.approved_on < date(2025, 11, 23))) == 2
    assert _count(select(func.count()).select_from(current).where(or_(
        current.c.confidentiality == 4, current.c.integrity == 4,
        current.c.availability == 4, current.c.traceability == 4))) == 1
    assert _count(select(func.count(distinct(RiskAnalysis.system_id)))) == 10
    assert _count(select(func.count(distinct(ActionPlanItem.system_id)))) == 17

    analysed = select(RiskAnalysis.system_id)
    welfare_unanalysed = _count(select(func.count()).where(
        InformationSystem.welfare_technology.is_(True),
        InformationSystem.status == LifecycleStatus.IN_USE,
        InformationSystem.id.not_in(analysed)))
    assert welfare_unanalysed == 4
    assert _count(select(func.count()).where(InformationSystem.owner_id.is_(None))) == 4

    overdue = _count(select(func.count()).where(
        ActionPlanItem.status.in_((ActionStatus.OPEN, ActionStatus.IN_PROGRESS)),
        ActionPlanItem.due_on < TODAY))
    assert overdue == 8
    # Every item has its history; an accepted risk carries its justification.
    assert _count(select(func.count()).where(~ActionPlanItem.changes.any())) == 0
    assert _count(select(func.count()).select_from(ActionStatusChange).where(
        ActionStatusChange.to_status == ActionStatus.ACCEPTED_RISK,
        ActionStatusChange.note == "")) == 0
    assert _count(select(func.count()).select_from(ActionPlanItem).where(
        ActionPlanItem.status == ActionStatus.ACCEPTED_RISK)) == 2

    maria = db.session.scalar(select(Person).where(Person.username == "maria.nilsson"))
    karin = db.session.scalar(select(Person).where(Person.username == "karin.lundgren"))
    assert _count(select(func.count()).where(InformationSystem.owner_id == maria.id)) == 3
    assert _count(select(func.count()).select_from(SystemAdministrator)
                  .where(SystemAdministrator.person_id == karin.id)) == 2

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "system.demo_loaded"))
    assert event.details == {"systems": 80}


def test_loading_again_adds_nothing(demo_people):
    assert load_demo_systems(TODAY) == 80
    assert load_demo_systems(TODAY) == 0
    assert _count(select(func.count()).select_from(InformationSystem)) == 80
