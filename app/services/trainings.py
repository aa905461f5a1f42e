"""Trainings (utbildningar): create and change them, copy a recurring one to the next period,
and the coordinator's list with each training's completion rate.

Only a coordinator whose scope covers the training's organization manages it. The audience
is the same rule as for governing documents (services.audience).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Exists, select
from sqlalchemy.orm import aliased, joinedload

from app.clock import utcnow
from app.extensions import db
from app.models import Organization, Person, ProofMethod, Training, TrainingCompletion
from app.services import DomainError, Forbidden, NotFound, audit, checks
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.audience_report import Tally, rates_in_one_query
from app.services.classifications import add_months
from app.services.system_access import CoordinatorScope
from app.text import swedish_sort_key

MAX_DESCRIPTION = 20_000


def proof_labels() -> dict[str, str]:
    return {
        ProofMethod.SELF.value: _("Egen bekräftelse"),
        ProofMethod.IMPORT.value: _("Import från utbildningsplattformen"),
        ProofMethod.BOTH.value: _("Egen bekräftelse eller import"),
    }


def period_label(starts_on: date, ends_on: date) -> str:
    """"2026" for a calendar year, else the two dates."""
    if (starts_on.month, starts_on.day, ends_on.month, ends_on.day) == (1, 1, 12, 31) \
            and starts_on.year == ends_on.year:
        return str(starts_on.year)
    return f"{starts_on.isoformat()} – {ends_on.isoformat()}"


@dataclass
class TrainingFields:
    """What the coordinator sets about a training."""

    title: str
    description: str
    link: str
    organization_id: int | None
    period_starts_on: date | None
    period_ends_on: date | None
    due_on: date | None
    proof: str
    audience: AudienceRule


def get(training_id: int) -> Training:
    training = db.session.scalar(select(Training).options(joinedload(Training.organization))
                                 .where(Training.id == training_id))
    if training is None:
        raise NotFound(_("Utbildningen finns inte."))
    return training


def require_manager(scope: CoordinatorScope | None, training: Training) -> None:
    """Only a coordinator whose scope covers the training's organization changes it."""
    if scope is None or not scope.covers(training.organization_id):
        raise Forbidden(_("Du får inte ändra den här utbildningen."))


def follows(scope: CoordinatorScope | None, training: Training) -> bool:
    """A coordinator follows up a training of their organization or one whose audience
    names their organization (a company's contact person and a group-wide training)."""
    named = AudienceRule.from_json(training.audience).organization_ids
    return scope is not None and any(scope.covers(o) for o in (training.organization_id,
                                                                 *named))


def _link(value: str) -> str:
    link = checks.text(value, "link", 1000, _("länk"))
    if link and not link.lower().startswith(("https://", "http://")):
        raise DomainError(_("Länken ska börja med https:// eller http://."), field="link")
    return link


def _apply(training: Training, fields: TrainingFields, scope: CoordinatorScope) -> None:
    training.title = checks.text(fields.title, "title", 300, _("titel"), required=True)
    training.description = checks.text(fields.description, "description", MAX_DESCRIPTION,
                                       _("beskrivning"))
    training.link = _link(fields.link)
    organization = db.session.get(Organization, fields.organization_id or 0)
    if organization is None:
        raise DomainError(_("Välj en organisation."), field="organization_id")
    if not scope.covers(organization.id):
        raise Forbidden(_("Du får inte ändra den organisationens utbildningar."))
    training.organization_id = organization.id
    if fields.period_starts_on is None or fields.period_ends_on is None:
        raise DomainError(_("Ange periodens första och sista dag (ÅÅÅÅ-MM-DD)."),
                          field="period_starts_on")
    if fields.period_ends_on < fields.period_starts_on:
        raise DomainError(_("Perioden kan inte sluta innan den börjar."),
                          field="period_ends_on")
    if fields.due_on is None:
        raise DomainError(_("Ange sista dag att genomföra utbildningen (ÅÅÅÅ-MM-DD)."),
                          field="due_on")
    if not fields.period_starts_on <= fields.due_on <= fields.period_ends_on:
        raise DomainError(_("Sista dagen ska ligga inom perioden."), field="due_on")
    try:
        training.proof = ProofMethod(fields.proof)
    except ValueError:
        raise DomainError(_("Välj hur genomförandet visas."), field="proof") from None
    training.period_starts_on = fields.period_starts_on
    training.period_ends_on = fields.period_ends_on
    training.period_label = period_label(fields.period_starts_on, fields.period_ends_on)
    training.due_on = fields.due_on
    training.audience = fields.audience.to_json()


def _details(training: Training) -> dict:
    return {"title": training.title, "period": training.period_label,
            "due_on": training.due_on.isoformat(), "proof": training.proof.value,
            "audience": training.audience}


def create(actor: Person, fields: TrainingFields, scope: CoordinatorScope | None) -> Training:
    """A new training for a period."""
    if scope is None:
        raise Forbidden(_("Bara informationssäkerhetssamordnaren skapar utbildningar."))
    now = utcnow()
    training = Training(created_at=now, updated_at=now, created_by_id=actor.id)
    _apply(training, fields, scope)
    db.session.add(training)
    db.session.flush()
    audit.record(actor, "training.created", "training", training.id, _details(training))
    return training


def update(actor: Person, training: Training, fields: TrainingFields,
           scope: CoordinatorScope | None) -> Training:
    """Change a training; recorded completions stay as they are."""
    require_manager(scope, training)
    before = _details(training)
    _apply(training, fields, scope)  # type: ignore[arg-type]
    training.updated_at = utcnow()
    audit.record(actor, "training.changed", "training", training.id,
                 {"before": before, "after": _details(training)})
    return training


def copy_to_next_period(actor: Person, training: Training, scope: CoordinatorScope | None
                        ) -> Training:
    """The same training one year on (period, due date and a year in its title), keeping
    its audience."""
    require_manager(scope, training)
    existing = db.session.scalar(select(Training).where(Training.copied_from_id == training.id))
    if existing is not None:
        raise DomainError(_("Utbildningen är redan kopierad till %(period)s.",
                            period=existing.period_label))
    now = utcnow()
    starts, ends = add_months(training.period_starts_on, 12), add_months(training.period_ends_on,
                                                                         12)
    title = training.title
    old_year, new_year = str(training.period_starts_on.year), str(starts.year)
    if old_year in title:  # "Informationssäkerhet för alla 2025" → "… 2026"
        head, _sep, tail = title.rpartition(old_year)
        title = f"{head}{new_year}{tail}"
    copy = Training(title=title, description=training.description,
                    link=training.link, organization_id=training.organization_id,
                    period_starts_on=starts, period_ends_on=ends,
                    period_label=period_label(starts, ends),
                    due_on=add_months(training.due_on, 12), audience=dict(training.audience),
                    proof=training.proof, copied_from_id=training.id, created_at=now,
                    updated_at=now, created_by_id=actor.id)
    db.session.add(copy)
    db.session.flush()
    audit.record(actor, "training.copied", "training", copy.id,
                 {"from": training.id, **_details(copy)})
    return copy


def holds() -> ColumnElement[bool]:
    """SQL condition on TrainingCompletion: the record that holds, which no later row
    supersedes."""
    later = aliased(TrainingCompletion)
    return ~select(later.id).where(later.supersedes_id == TrainingCompletion.id).exists()


def current_completion_exists(training_id: int) -> Exists:
    """SQL condition on Person: their record that holds for the training says completed."""
    return select(TrainingCompletion.id).where(
        TrainingCompletion.person_id == Person.id, TrainingCompletion.training_id == training_id,
        TrainingCompletion.completed_on.is_not(None), holds()).exists()


@dataclass
class ManagedTraining:
    """A row of the coordinator's list of trainings."""

    training: Training
    rate: Tally | None


def managed(scope: CoordinatorScope) -> list[ManagedTraining]:
    """The trainings the coordinator follows, newest period first, each with its completion
    rate among the people in scope — in three queries however many trainings and people."""
    found = [t for t in db.session.scalars(select(Training).options(
        joinedload(Training.organization))) if follows(scope, t)]
    tree = UnitTree.load()
    counts = {}
    for training in found:
        condition = Audience.of(AudienceRule.from_json(training.audience), tree).condition()
        if not scope.everything:
            condition = condition & Person.organization_id.in_(scope.organization_ids)
        counts[training.id] = (condition, current_completion_exists(training.id))
    rates = rates_in_one_query(counts)
    found.sort(key=lambda t: swedish_sort_key(t.title))
    found.sort(key=lambda t: t.period_starts_on, reverse=True)
    return [ManagedTraining(t, rates.get(t.id)) for t in found]
