"""Demo snapshots of the follow-up figures, so the coordinator's "Utveckling" shows how the
year went rather than a single point.

`flask --app wsgi demo-follow-up` runs after the other demo commands (`make run` runs it
after demo-checklists). It takes today's figures — of the group and of each organization,
exactly as `flask --app wsgi snapshots take` would — and files eleven earlier versions of
them under the eleven months before this one, as if the monthly snapshot had run on the
first of each month at night. Going back in time, fewer people had acknowledged and
completed, fewer systems were classified and fewer checklist items were ticked: each
month back removes a share of what is done today (RATES), moved a little up or down by a
stable hash of the snapshot, the month and the figure (never by chance, so the same load
gives the same trend). Who is asked stays as it is today. Every demo snapshot says
`"demo": true` in its figures, so nobody mistakes it for a measurement.

This month is left to `snapshots take` (the page shows today's figures for it anyway).
Months that already have a snapshot are skipped (the table is append-only), so a second
run stores nothing. One audit event, `follow_up.demo_loaded`, records a load that stored
something.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Organization
from app.models.follow_up import FollowUpSnapshot, scope_key_of
from app.services import audit, group_status, roles
from app.services.classifications import add_months
from app.services.system_access import CoordinatorScope

MONTHS_BACK = 11
# The share of today's done that each month back takes away, per kind of figure.
RATES = {"documents": 0.06, "trainings": 0.075, "systems": 0.035, "checklists": 0.08}
WOBBLE = 0.02
SYSTEM_COUNTS = ("classified", "approved", "with_action_plan", "risk_analysed",
                 "welfare_risk_analysed")


def _wobble(*parts: object) -> float:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return (int.from_bytes(digest[:4], "big") / 0xFFFFFFFF * 2 - 1) * WOBBLE


def _factors(months_back: int, key: str, month: date) -> dict[str, float]:
    return {family: min(1.0, max(0.0, 1 - rate * months_back + _wobble(key, month, family)))
            for family, rate in RATES.items()}


def _scale(part: dict[str, Any], name: str, factor: float) -> None:
    part[name] = min(part[name], max(0, round(part[name] * factor)))


def _family(requirement_key: str) -> str:
    return "documents" if requirement_key.startswith("document") else "trainings"


def earlier(figures: dict[str, Any], months_back: int, key: str, month: date
            ) -> dict[str, Any]:
    """Today's figures as they might have stood `months_back` months ago, marked demo."""
    factors = _factors(months_back, key, month)
    past = copy.deepcopy(figures)
    past["demo"] = True
    for requirement in past["requirements"]:
        _scale(requirement, "done", factors[_family(requirement["key"])])
    for part in (past["total"], *past["organizations"], *past["kinds"]):
        _scale(part["documents"], "done", factors["documents"])
        _scale(part["trainings"], "done", factors["trainings"])
    for kind in past["kinds"]:
        for requirement_key, tally in kind.get("per_requirement", {}).items():
            _scale(tally, "done", factors[_family(requirement_key)])
    for checklist in past["checklists"]:
        _scale(checklist, "done", factors["checklists"])
        _scale(checklist, "complete", factors["checklists"] ** 2)
    for name in SYSTEM_COUNTS:
        _scale(past["systems"], name, factors["systems"])
    return past


def load_demo_follow_up(today: date) -> int:
    """Store the demo snapshots for the months before this one that have none (the caller
    commits); return how many were stored. Raises LookupError when there is no group yet
    (run the demo directory sync first)."""
    organizations = roles.organizations()
    if not organizations:
        raise LookupError("no organizations: run the demo directory sync first")
    this_month = today.replace(day=1)
    months = [add_months(this_month, -back) for back in range(1, MONTHS_BACK + 1)]
    taken = set(db.session.execute(select(FollowUpSnapshot.month, FollowUpSnapshot.scope_key)
                                   .where(FollowUpSnapshot.month.in_(months))).tuples())
    targets: list[tuple[Organization | None, CoordinatorScope]] = [
        (None, CoordinatorScope(True, frozenset()))]
    targets += [(org, CoordinatorScope(False, frozenset({org.id}))) for org in organizations]
    stored = 0
    for organization, scope in targets:
        key = scope_key_of(organization.id if organization else None)
        missing = [(back, month) for back, month in enumerate(months, 1)
                   if (month, key) not in taken]
        if not missing:
            continue
        now = group_status.as_figures(group_status.build(scope))
        for back, month in missing:
            db.session.add(FollowUpSnapshot(
                month=month, scope_key=key,
                organization_id=organization.id if organization else None,
                taken_at=datetime.combine(month, time(2, 0)),
                figures=earlier(now, back, key, month)))
            stored += 1
    db.session.flush()
    if stored:
        audit.record(None, "follow_up.demo_loaded", "follow_up_snapshot", None,
                     {"snapshots": stored, "months": MONTHS_BACK})
    return stored
