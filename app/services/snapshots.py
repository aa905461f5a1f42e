"""Monthly snapshots of the follow-up figures, and the trend the coordinator's page draws
from them.

`take` keeps, for one month, the group's figures and each organization's (exactly what
`group_status.as_figures` says for that scope, so the trend and the page agree). The table
is append-only — a database trigger refuses UPDATE and DELETE — so a month already taken is
skipped, never refreshed: the first figures of a month are the month's figures.

The trend of a coordinator who answers for several organizations (and not the whole group)
adds up those organizations' counts month by month — done and asked are summed before the
percentage is taken, so a large organization weighs more than a small one. A month counts
the organizations that have a snapshot for it (an organization that joined the portal in
June adds to the trend from June on); a month with none is a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.clock import today, utcnow
from app.extensions import db
from app.models.follow_up import FollowUpSnapshot, scope_key_of
from app.services import group_status, roles
from app.services.audience_report import Tally
from app.services.classifications import add_months
from app.services.system_access import CoordinatorScope

# The key figures of the trend, in the order the page shows them.
KEY_FIGURES = ("documents", "trainings", "classified", "checklists")


def key_figure_labels() -> dict[str, str]:
    return {
        "documents": _("Kvitterade styrdokument"),
        "trainings": _("Genomförda utbildningar"),
        "classified": _("Klassade system"),
        "checklists": _("Avbockade checklistpunkter"),
    }


def month_of(day: date) -> date:
    """The first day of the day's month: what a snapshot's `month` holds."""
    return day.replace(day=1)


@dataclass
class TakeResult:
    """What one run stored and what it found already taken (labels: "Koncernen", names)."""

    month: date
    stored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def take(month: date | None = None) -> TakeResult:
    """Store the month's snapshots of the group and of each organization that has none
    yet (the caller commits); figures are today's, whichever month they are filed under."""
    month = month_of(month or today())
    result = TakeResult(month)
    taken = set(db.session.scalars(select(FollowUpSnapshot.scope_key).where(
        FollowUpSnapshot.month == month)))
    targets: list[tuple[int | None, str]] = [(None, _("Koncernen"))]
    targets += [(org.id, org.name) for org in roles.organizations()]
    for organization_id, label in targets:
        key = scope_key_of(organization_id)
        if key in taken:
            result.skipped.append(label)
            continue
        figures = group_status.as_figures(group_status.build(
            CoordinatorScope.of(organization_id)))
        try:
            # A second run at the same moment loses the race on the unique constraint.
            with db.session.begin_nested():
                db.session.add(FollowUpSnapshot(
                    month=month, scope_key=key, organization_id=organization_id,
                    taken_at=utcnow(), figures=figures))
        except IntegrityError:
            result.skipped.append(label)
            continue
        result.stored.append(label)
    return result


def key_figures(figures: dict[str, Any]) -> dict[str, Tally]:
    """Done out of asked for each key figure of a snapshot's (or the page's) figures."""

    def tally(part: dict[str, Any] | None) -> Tally:
        part = part or {}
        return Tally("", int(part.get("total", 0)), int(part.get("done", 0)))

    total = figures.get("total", {})
    systems = figures.get("systems", {})
    checklists = figures.get("checklists", [])
    return {
        "documents": tally(total.get("documents")),
        "trainings": tally(total.get("trainings")),
        "classified": Tally("", int(systems.get("systems", 0)), int(systems.get("classified", 0))),
        "checklists": Tally("", sum(int(c.get("total", 0)) for c in checklists),
                            sum(int(c.get("done", 0)) for c in checklists)),
    }


def scope_keys(scope: CoordinatorScope) -> list[str]:
    """The snapshots a scope's trend reads: the group's, or its organizations'."""
    if scope.everything:
        return [scope_key_of(None)]
    return [scope_key_of(org_id) for org_id in sorted(scope.organization_ids)]


@dataclass
class Series:
    """One key figure month by month: (first day of the month, percent or None)."""

    key: str
    label: str
    points: list[tuple[date, int | None]]

    @property
    def values(self) -> list[int]:
        return [value for _month, value in self.points if value is not None]


def trend(scope: CoordinatorScope, months: int = 12, current: dict[str, Any] | None = None,
          day: date | None = None) -> list[Series]:
    """Each key figure over `months` months up to this one, from the snapshots of the
    scope; `current` (the page's live figures) stands for this month. One query."""
    this_month = month_of(day or today())
    first = add_months(this_month, -(months - 1))
    sums: dict[date, dict[str, Tally]] = {}
    for month, figures in db.session.execute(
            select(FollowUpSnapshot.month, FollowUpSnapshot.figures)
            .where(FollowUpSnapshot.scope_key.in_(scope_keys(scope)),
                   FollowUpSnapshot.month >= first, FollowUpSnapshot.month <= this_month)):
        into = sums.setdefault(month, {key: Tally("") for key in KEY_FIGURES})
        for key, tally in key_figures(figures).items():
            into[key].total += tally.total
            into[key].done += tally.done
    if current is not None:
        sums[this_month] = key_figures(current)
    calendar = [add_months(first, n) for n in range(months)]
    series = []
    for key, label in key_figure_labels().items():
        points = []
        for month in calendar:
            tally = sums.get(month, {}).get(key)
            points.append((month, tally.percent if tally and tally.total else None))
        series.append(Series(key, label, points))
    return series
