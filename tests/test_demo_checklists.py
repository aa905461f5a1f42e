"""The demo checklists: this year's assignments over the demo register and directory, a
realistic share of what is due ticked by the holders, a few unticks, loaded once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (
    AuditEvent,
    ChecklistAssignment,
    ChecklistRole,
    InformationSystem,
    ItemCheck,
    LifecycleStatus,
    Person,
    SubjectType,
    SystemAdministrator,
)
from app.services import checklists
from demo.checklists import load_demo_checklists
from demo.systems import load_demo_systems

TODAY = date(2026, 11, 23)


def _load() -> int:
    """The systems as of TODAY, the checklists from the real today (the services compare
    with the real today)."""
    load_demo_systems(TODAY)
    return load_demo_checklists(clock.today())


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _assignments() -> list[ChecklistAssignment]:
    return list(db.session.scalars(select(ChecklistAssignment).where(
        ChecklistAssignment.period == clock.today().year).order_by(ChecklistAssignment.id)))


def _subjects(role: ChecklistRole) -> dict[int, int | None]:
    return {a.subject_id: a.assignee_id for a in _assignments() if a.template.role == role}


def test_every_system_with_an_active_owner_and_every_manager_has_a_checklist(demo_people):
    _load()
    live = InformationSystem.status != LifecycleStatus.RETIRED
    owners = dict(db.session.execute(
        select(InformationSystem.id, InformationSystem.owner_id).join(
            Person, Person.id == InformationSystem.owner_id).where(live, Person.active)).all())
    assert len(owners) == 74
    assert _subjects(ChecklistRole.SYSTEM_OWNER) == owners

    administered = {system_id for (system_id,) in db.session.execute(
        select(SystemAdministrator.system_id).join(InformationSystem).join(
            Person, Person.id == SystemAdministrator.person_id).where(live, Person.active))}
    administrators = _subjects(ChecklistRole.SYSTEM_ADMINISTRATOR)
    assert set(administrators) == administered and len(administered) == 75
    for system_id, holder in administrators.items():
        assert db.session.get(SystemAdministrator, (system_id, holder)) is not None

    manager = Person.__table__.alias()
    managers = set(db.session.scalars(select(Person.manager_id).join(
        manager, manager.c.id == Person.manager_id).where(Person.active, manager.c.active)))
    assert _subjects(ChecklistRole.MANAGER) == {m: m for m in managers}
    assert all(a.subject_type == (SubjectType.PERSON if a.template.role == ChecklistRole.MANAGER
                                  else SubjectType.SYSTEM) for a in _assignments())


def test_a_realistic_share_of_past_due_items_is_ticked_by_the_holders(demo_people):
    ticked = _load()
    today, now = clock.today(), clock.utcnow()
    views = checklists.views(_assignments())
    past_due = [(view, state) for view in views for state in view.items
                if state.item.due_month is not None and state.item.due_month < today.month]
    done = sum(1 for _view, state in past_due if state.done)
    if today.month >= 3:  # in January and February nothing is past due yet
        # About half (47–57 % through 2026; a little less in a year the demo register has
        # no classification or risk analysis in, as the facts then are missing).
        assert 0.3 <= done / len(past_due) <= 0.85, (done, len(past_due))
        # Some holders have done everything due, some little: not one flat rate.
        shares = [sum(s.done for s in v.items if s.item.due_month
                      and s.item.due_month < today.month)
                  / max(1, sum(1 for s in v.items if s.item.due_month
                               and s.item.due_month < today.month)) for v in views]
        assert min(shares) < 0.5 < max(shares)
    assert ticked == sum(view.done for view in views)
    # Nothing due later than this month is ticked.
    assert all(state.item.due_month is not None and state.item.due_month <= today.month
               for view in views for state in view.items if state.done)

    holder = {a.id: a.assignee_id for a in _assignments()}
    items = {state.item.id: state.item for view in views for state in view.items}
    seen: set[tuple[int, int]] = set()
    for check in db.session.scalars(select(ItemCheck).order_by(ItemCheck.id)):
        assert check.by_id == holder[check.assignment_id]
        assert check.at <= now and check.on_behalf_reason == ""
        item = items[check.item_id]
        if (check.assignment_id, item.id) not in seen:
            # The first tick of an item falls in its due month (a later one may not).
            assert check.checked and item.due_month is not None
            assert (check.at.year, check.at.month) == (today.year, item.due_month)
        seen.add((check.assignment_id, item.id))
        if check.checked and item.requires_note:
            assert check.note.strip() or check.evidence_link
        assert not check.evidence_link or check.evidence_link.startswith("https://")
    assert db.session.scalar(select(func.count()).where(
        ItemCheck.note.like("Behörighetsgranskning genomförd%"))) > 0


def test_a_few_ticks_were_undone_later_and_the_history_keeps_both(demo_people):
    _load()
    unticks = db.session.scalars(select(ItemCheck).where(ItemCheck.checked.is_(False))).all()
    if clock.today().month < 3:
        pytest.skip("too early in the year for ticks to undo")
    assert 1 <= len(unticks) <= 4
    for untick in unticks:
        assignment = db.session.get(ChecklistAssignment, untick.assignment_id)
        history = checklists.history(assignment)[untick.item_id]  # newest first
        assert untick in history and history[-1].checked
        earlier = history[history.index(untick) + 1]
        assert earlier.checked and earlier.at < untick.at and earlier.id < untick.id
        assert untick.note
    # One was ticked again since.
    assert any(checklists.history(db.session.get(ChecklistAssignment, u.assignment_id))[
        u.item_id][0].checked for u in unticks)


def test_the_systems_come_first(demo_people):
    with pytest.raises(LookupError, match="demo-systems"):
        load_demo_checklists(clock.today())
    assert _count(ItemCheck) == 0


def test_loading_again_adds_nothing(demo_people):
    assert _load() > 0
    counts = [_count(ChecklistAssignment), _count(ItemCheck), _count(AuditEvent)]
    assert load_demo_checklists(clock.today()) == 0
    assert [_count(ChecklistAssignment), _count(ItemCheck), _count(AuditEvent)] == counts
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "checklist.demo_loaded")).one()
    assert event.details["ticked"] == sum(v.done for v in checklists.views(_assignments()))
    assert event.details["assignments"] == len(_assignments())
