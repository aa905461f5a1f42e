"""Who has completed a training: overall, per organization, sector and person kind
(elected officials and board members as their own rows), and who has not — for the
coordinator, or for a manager limited to the people who report to them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

from app.models import Person, Role, Training
from app.services import Forbidden, audience_report, completions, people, trainings
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.audience_report import AudienceReport, Status
from app.services.system_access import CoordinatorScope


@dataclass
class TrainingReport(AudienceReport):
    """The audience's completion of one training; `mine_only` when limited to a manager's
    people."""

    training: Training | None = None
    mine_only: bool = False


def report(training: Training, viewer: Person, roles: set[Role],
           scope: CoordinatorScope | None, mine_only: bool = False) -> TrainingReport:
    """The follow-up the viewer may see: a coordinator who follows the training sees the
    people in their scope; a manager the people reporting to them; others get 403."""
    coordinator = trainings.follows(scope, training)
    if not coordinator and Role.MANAGER not in roles:
        raise Forbidden(_("Du får inte följa upp den här utbildningen."))
    restrict = None
    if mine_only or not coordinator:
        restrict = people.reporting_to(viewer)
    elif not scope.everything:  # type: ignore[union-attr]
        restrict = Person.organization_id.in_(scope.organization_ids)  # type: ignore[union-attr]
    audience = Audience.of(AudienceRule.from_json(training.audience), UnitTree.load())
    labels = completions.source_labels()
    done = {person_id: (row.completed_on, labels[row.source.value])
            for (_t, person_id), row in completions.current([training.id]).items()
            if row.completed_on is not None}
    built = audience_report.build(
        audience, done, lambda _since, joined: completions.due_on(training, joined), restrict)
    return TrainingReport(**vars(built), training=training, mine_only=restrict is not None
                          and (mine_only or not coordinator))


def csv_lines(result: TrainingReport) -> Iterator[str]:
    """The audience and their completions as Swedish-Excel CSV."""
    return audience_report.csv_lines(result, {
        Status.DONE: _("Genomförd"), Status.OVERDUE: _("Försenad"),
        Status.OPEN: _("Ej genomförd")}, _("Genomförd"), _("Källa"))
