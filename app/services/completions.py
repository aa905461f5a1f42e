"""Completing trainings: a person's own confirmation, the coordinator's attendance list and
corrections — each a new TrainingCompletion row, never a change to an old one.

The record that holds for a training and a person is the one no later row supersedes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.clock import local_time, today, utcnow
from app.extensions import db
from app.models import (
    CompletionSource,
    Person,
    ProofMethod,
    Role,
    Training,
    TrainingCompletion,
)
from app.services import DomainError, Forbidden, NotFound, audit, checks, trainings
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.system_access import CoordinatorScope
from app.text import swedish_sort_key

# Someone who joins the audience close to (or after) the due date gets this long.
NEWCOMER_DAYS = 30


def source_labels() -> dict[str, str]:
    return {
        CompletionSource.SELF.value: _("Egen bekräftelse"),
        CompletionSource.IMPORT.value: _("Import"),
        CompletionSource.ATTENDANCE.value: _("Närvarolista"),
        CompletionSource.CORRECTION.value: _("Rättelse"),
    }


def due_on(training: Training, joined: date | None) -> date:
    """The training's due date, or a newcomer's own when they joined too late for it."""
    if joined is not None and joined + timedelta(days=NEWCOMER_DAYS) > training.due_on:
        return joined + timedelta(days=NEWCOMER_DAYS)
    return training.due_on


def current(training_ids: Iterable[int], person_ids: Iterable[int] | None = None
            ) -> dict[tuple[int, int], TrainingCompletion]:
    """The record that holds per (training, person), in one query."""
    query = select(TrainingCompletion).where(
        TrainingCompletion.training_id.in_(list(training_ids)), trainings.holds())
    if person_ids is not None:
        query = query.where(TrainingCompletion.person_id.in_(list(person_ids)))
    holds: dict[tuple[int, int], TrainingCompletion] = {}
    for row in db.session.scalars(query.order_by(TrainingCompletion.id)):
        holds[(row.training_id, row.person_id)] = row
    return holds


@dataclass
class TrainingTask:
    """A training the person should take, with the record that holds if there is one."""

    training: Training
    due_on: date
    completion: TrainingCompletion | None

    @property
    def done(self) -> bool:
        return self.completion is not None and self.completion.completed_on is not None

    @property
    def overdue(self) -> bool:
        return not self.done and self.due_on < today()


def _joined(person: Person) -> date | None:
    return local_time(person.created_at).date() if person.created_at else None


def tasks_for(person: Person, roles: set[Role], among: list[Training] | None = None
              ) -> list[TrainingTask]:
    """The trainings of the current periods that apply to the person, in three queries."""
    if among is None:
        among = list(db.session.scalars(select(Training).where(
            Training.period_starts_on <= today(), Training.period_ends_on >= today())))
    tree = UnitTree.load()
    mine = [t for t in among if Audience.of(AudienceRule.from_json(t.audience), tree)
            .matches(person, roles)[0]]
    holds = current([t.id for t in mine], [person.id]) if mine else {}
    tasks = [TrainingTask(t, due_on(t, _joined(person)), holds.get((t.id, person.id)))
             for t in mine]
    tasks.sort(key=lambda task: task.due_on)
    return tasks


def task_for(person: Person, roles: set[Role], training: Training) -> TrainingTask | None:
    tasks = tasks_for(person, roles, [training])
    return tasks[0] if tasks else None


def _completed_on(training: Training, value: date | None) -> date:
    day = checks.past_date(value, "completed_on", _("datum då utbildningen genomfördes"))
    if day < training.period_starts_on:
        raise DomainError(_("Datumet ligger före utbildningens period, som börjar %(date)s.",
                            date=format_date(training.period_starts_on, "yyyy-MM-dd")),
                          field="completed_on")
    return day


def _add(training: Training, person_id: int, completed_on: date | None,
         source: CompletionSource, recorded_by: Person | None, note: str,
         supersedes: TrainingCompletion | None = None) -> TrainingCompletion:
    row = TrainingCompletion(training_id=training.id, person_id=person_id,
                             completed_on=completed_on, recorded_at=utcnow(), source=source,
                             recorded_by_id=recorded_by.id if recorded_by else None,
                             note=note, supersedes_id=supersedes.id if supersedes else None)
    db.session.add(row)
    return row


def confirm_self(person: Person, roles: set[Role], training: Training,
                 completed_on: date | None, note: str = "") -> TrainingCompletion:
    """"Jag har genomfört utbildningen": the person's own confirmation (once only)."""
    task = task_for(person, roles, training)
    if task is None:
        raise Forbidden(_("Utbildningen gäller inte dig."))
    if training.proof == ProofMethod.IMPORT:
        raise DomainError(_("Genomförandet av den här utbildningen hämtas från "
                            "utbildningsplattformen; du behöver inte bekräfta det här."))
    day = _completed_on(training, completed_on)
    note = checks.text(note, "note", 500, _("kommentar"))
    if task.done:
        return task.completion  # type: ignore[return-value]
    try:
        with db.session.begin_nested():
            row = _add(training, person.id, day, CompletionSource.SELF, person, note,
                       supersedes=task.completion)
    except IntegrityError:
        # Confirmed a moment ago in another tab: that record holds.
        return current([training.id], [person.id])[(training.id, person.id)]
    audit.record(person, "training.completed", "training", training.id,
                 {"completion_id": row.id, "completed_on": day.isoformat(), "source": "self"})
    return row


@dataclass
class AttendanceResult:
    added: list[Person]
    already: list[Person]


def register_attendance(actor: Person, training: Training, person_ids: list[int],
                        completed_on: date | None, note: str,
                        scope: CoordinatorScope | None) -> AttendanceResult:
    """The coordinator registers an attendance list (närvarolista): people who took part,
    with or without an account of their own; those already recorded are left as they are.
    A company's coordinator may do it for the company's people on a group-wide training."""
    if not trainings.follows(scope, training):
        raise Forbidden(_("Du får inte registrera närvaro för den här utbildningen."))
    day = _completed_on(training, completed_on)
    note = checks.text(note, "note", 500, _("kommentar"))
    if not person_ids:
        raise DomainError(_("Välj minst en person som deltog."), field="person_ids")
    found = {p.id: p for p in db.session.scalars(select(Person).where(
        Person.id.in_(person_ids), Person.active.is_(True)))}
    if set(person_ids) - set(found):
        raise DomainError(_("En vald person finns inte eller är avaktiverad."),
                          field="person_ids")
    audience = Audience.of(AudienceRule.from_json(training.audience), UnitTree.load())
    inside = set(db.session.scalars(select(Person.id).where(
        Person.id.in_(person_ids), audience.condition(),
        Person.organization_id.in_(scope.organization_ids)  # type: ignore[union-attr]
        if not scope.everything else true())))  # type: ignore[union-attr]
    outside = [found[i] for i in person_ids if i not in inside]
    # Only people the coordinator follows up are named: posting another organization's
    # person ids must not reveal who they are.
    named = [p.display_name for p in outside if scope.everything  # type: ignore[union-attr]
             or p.organization_id in scope.organization_ids]  # type: ignore[union-attr]
    if len(named) < len(outside):
        raise DomainError(_("En eller flera valda personer ingår inte i det du samordnar."),
                          field="person_ids")
    if named:
        raise DomainError(_("Utanför utbildningens målgrupp: %(names)s.",
                            names=", ".join(sorted(named, key=swedish_sort_key))),
                          field="person_ids")
    holds = current([training.id], list(found))
    result = AttendanceResult([], [])
    for person in sorted(found.values(), key=lambda p: swedish_sort_key(p.display_name)):
        previous = holds.get((training.id, person.id))
        if previous is not None and previous.completed_on is not None:
            result.already.append(person)
            continue
        _add(training, person.id, day, CompletionSource.ATTENDANCE, actor, note, previous)
        result.added.append(person)
    db.session.flush()
    audit.record(actor, "training.attendance_registered", "training", training.id,
                 {"completed_on": day.isoformat(), "people": [p.username for p in result.added],
                  "already": [p.username for p in result.already]})
    return result


def correct(actor: Person, training: Training, person_id: int, completed_on: date | None,
            note: str, scope: CoordinatorScope | None) -> TrainingCompletion:
    """A correction by the coordinator: a new date, or (no date) not completed after all.
    It supersedes the record that held; the history keeps both."""
    trainings.require_manager(scope, training)
    previous = current([training.id], [person_id]).get((training.id, person_id))
    if previous is None:
        raise NotFound(_("Det finns inget genomförande att rätta."))
    day = _completed_on(training, completed_on) if completed_on else None
    note = checks.text(note, "note", 500, _("skäl till rättelsen"), required=True)
    row = _add(training, person_id, day, CompletionSource.CORRECTION, actor, note, previous)
    db.session.flush()
    audit.record(actor, "training.completion_corrected", "training", training.id,
                 {"person_id": person_id, "supersedes": previous.id,
                  "completed_on": day.isoformat() if day else None, "note": note})
    return row


def history(training: Training, person_id: int) -> list[TrainingCompletion]:
    """Every record for the person and training, newest first (corrections included)."""
    return list(db.session.scalars(select(TrainingCompletion).options(
        joinedload(TrainingCompletion.recorded_by)).where(
        TrainingCompletion.training_id == training.id,
        TrainingCompletion.person_id == person_id).order_by(TrainingCompletion.id.desc())))
