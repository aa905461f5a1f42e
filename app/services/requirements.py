"""What people are required to do right now — acknowledge the governing documents in force,
complete this period's trainings — as SQL conditions on Person, so that a manager's
subtree, the coordinator's group view and the reminder run can count, filter and sort
fifty thousand people in the database instead of in Python.

A requirement answers, for any person: are they asked (`members`), have they done it
(`done`), and was it due before a given day (`due_before`). The due date follows the same
rules as the person's own task list: a document is due its acknowledgement period after
the latest of its major version's publication, the adoption that brought the person in and
the day they came into the portal; a training on its due date, or 30 days after a late
newcomer came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from sqlalchemy import ColumnElement, and_, case, false, literal, or_, select

from app.clock import local_time, today, utc_start_of
from app.extensions import db
from app.models import Acknowledgement, Document, Person, Training, TrainingCompletion
from app.services import acknowledgements, adoptions, completions, progress, trainings
from app.services.acknowledgements import Chain, live_documents
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.completions import NEWCOMER_DAYS
from app.services.documents import version_headers
from app.text import swedish_sort_key

DOCUMENT = "document"
TRAINING = "training"


def _joined_before(day: date) -> ColumnElement[bool]:
    """The person came into the portal before `day` (or before it was recorded)."""
    return or_(Person.created_at.is_(None), Person.created_at < utc_start_of(day))


@dataclass(frozen=True)
class Requirement:
    """One document to acknowledge or one training to complete."""

    kind: str
    id: int
    title: str
    audience: Audience
    done: ColumnElement[bool]
    document: Document | None = None
    chain: Chain | None = None
    training: Training | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"

    # Built once per requirement: a page puts the same condition into several statements,
    # and building it (roles included) costs more than one would think.
    @cached_property
    def members(self) -> ColumnElement[bool]:
        return self.audience.condition()

    @cached_property
    def overdue(self) -> ColumnElement[bool]:
        return self.due_before(today())

    def due_before(self, day: date) -> ColumnElement[bool]:
        """Asked, not done, and due before `day` (`today()` for overdue)."""
        if self.document is not None:
            threshold = day - timedelta(days=self.document.acknowledgement_days)
            published = local_time(self.chain.base.published_at).date()  # type: ignore[union-attr]
            if published >= threshold:
                return false()
            adopted_early = {org: since for org, since in self.audience.adopted_since.items()
                             if since < threshold}
            place = Audience(self.audience.rule, self.audience.units, adopted_early)
            return and_(place.condition(), ~self.done, _joined_before(threshold))
        training = self.training
        if training.due_on >= day:  # type: ignore[union-attr]
            return false()
        return and_(self.members, ~self.done,
                    _joined_before(day - timedelta(days=NEWCOMER_DAYS)))

    def status(self, day: date | None = None) -> ColumnElement:
        """'done', 'overdue', 'open' or NULL (not asked) for each person, as one column."""
        late = self.overdue if day is None else self.due_before(day)
        return case((~self.members, None), (self.done, literal("done")),
                    (late, literal("overdue")), else_=literal("open"))

    def due_on(self, organization_id: int | None, unit_id: int | None,
               created_at: datetime | None) -> date:
        """The person's due date, for the lines of a reminder."""
        joined = local_time(created_at).date() if created_at else None
        if self.document is not None:
            _inside, since = self.audience.place_since(organization_id, unit_id)
            return acknowledgements.due_on(self.document, self.chain, since,  # type: ignore[arg-type]
                                           joined)
        return completions.due_on(self.training, joined)  # type: ignore[arg-type]


def current() -> list[Requirement]:
    """The documents in force that ask for acknowledgement and the trainings of the
    current period, documents first, each in title order, reading whether each person has
    done them from their stored progress; in six queries (more, and a commit, when a
    requirement changed since its stored progress was computed: see app.services.progress
    — call this before writing anything)."""
    return progress.bind(from_evidence())


def from_evidence() -> list[Requirement]:
    """The same requirements, each deciding "done" by looking up the person's
    acknowledgements and completions: what the stored progress must always agree with.
    In five queries."""
    documents = live_documents()
    chains = version_headers([d.id for d in documents])
    documents = [d for d in documents if d.id in chains]
    adopted = adoptions.adopted_since([d.id for d in documents])
    tree = UnitTree.load()
    found = []
    for document in sorted(documents, key=lambda d: swedish_sort_key(d.title)):
        chain = Chain(chains[document.id])
        done = select(Acknowledgement.id).where(
            Acknowledgement.person_id == Person.id,
            Acknowledgement.version_id.in_(chain.valid_ids)).exists()
        found.append(Requirement(DOCUMENT, document.id, document.title, Audience.of(
            AudienceRule.from_json(document.audience), tree, adopted.get(document.id)),
            done, document=document, chain=chain))
    for training in db.session.scalars(select(Training).where(
            Training.period_starts_on <= today(), Training.period_ends_on >= today())
            .order_by(Training.due_on, Training.title)):
        done = select(TrainingCompletion.id).where(
            TrainingCompletion.person_id == Person.id,
            TrainingCompletion.training_id == training.id,
            TrainingCompletion.completed_on.is_not(None), trainings.holds()).exists()
        found.append(Requirement(TRAINING, training.id, training.title, Audience.of(
            AudienceRule.from_json(training.audience), tree), done, training=training))
    return found

