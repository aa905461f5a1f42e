"""The coordinator's group view ("Samordning"): the figures of `group_status` for the
coordinator's scope or one organization in it, the overdue action items per organization,
the trend of the key figures — and the people behind a figure, with their status per
requirement, in a constant number of queries however many people there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, or_, select

from app.extensions import db
from app.models import Organization, OrgUnit, Person, PersonKind

# The unit_status helpers are the manager page's; the coordinator's list shows the same
# matrix, so it builds its rows the same way.
from app.services import (
    Forbidden,
    NotFound,
    exports,
    group_status,
    requirements,
    roles,
    snapshots,
    unit_export,
    unit_status,
)
from app.services.audience import UnitTree, kind_labels
from app.services.group_status import GroupStatus
from app.services.requirements import DOCUMENT, TRAINING, Requirement
from app.services.snapshots import Series
from app.services.system_access import CoordinatorScope
from app.services.unit_status import LIST_LIMIT, PersonRow, open_condition
from app.text import swedish_sort_key

NO_UNIT = "ingen"
ALL_DOCUMENTS, ALL_TRAININGS = "dokument", "utbildning"


def narrowed(scope: CoordinatorScope, organization_id: int | None
             ) -> tuple[CoordinatorScope, Organization | None]:
    """The scope of one organization the coordinator answers for (403 outside the scope,
    404 for one that does not exist), or the whole scope when none is asked for."""
    if organization_id is None:
        return scope, None
    if not scope.covers(organization_id):
        raise Forbidden(_("Organisationen ingår inte i det du samordnar."))
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(_("Organisationen finns inte."))
    return CoordinatorScope.of(organization.id), organization


@dataclass
class Overview:
    """Everything the group view shows."""

    status: GroupStatus
    organization: Organization | None
    everything: bool   # the coordinator answers for the whole group
    whole_group: bool  # and the page shows all of it
    organizations: list[Organization]
    organization_ids: dict[str, int]
    trend: list[Series]


def overview(scope: CoordinatorScope, organization_id: int | None = None) -> Overview:
    """The group view of the coordinator's scope, or of one organization in it."""
    if organization_id is None and not scope.everything and len(scope.organization_ids) == 1:
        # A company's contact person has one organization: the page is about it by name.
        organization_id = next(iter(scope.organization_ids))
    view, organization = narrowed(scope, organization_id)
    status = group_status.build(view)
    organizations = [o for o in roles.organizations() if scope.covers(o.id)]
    return Overview(status, organization, scope.everything, view.everything, organizations,
                    {o.name: o.id for o in organizations},
                    snapshots.trend(view, current=group_status.as_figures(status)))


@dataclass
class PeopleQuery:
    """What the list behind a figure is narrowed to, as the query string asked."""

    organization_id: int | None = None
    sector: str = ""       # a unit id (with its sub-units), or NO_UNIT
    requirement: str = ""  # a requirement's key, ALL_DOCUMENTS, ALL_TRAININGS or "" for all
    kind: str = ""
    only_open: bool = False


@dataclass
class PeopleListing:
    """The people in view (at most the limit of them) and how many there are in all."""

    query: PeopleQuery
    requirements: list[Requirement]
    rows: list[PersonRow]
    total: int
    organization: Organization | None = None
    unit: OrgUnit | None = None
    organization_of: dict[int, str] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _unit(scope: CoordinatorScope, organization: Organization | None, sector: str
          ) -> tuple[OrgUnit | None, ColumnElement[bool] | None]:
    if not sector:
        return None, None
    if sector == NO_UNIT:
        return None, Person.unit_id.is_(None)
    unit = db.session.get(OrgUnit, int(sector)) if sector.isdigit() else None
    if unit is None or (organization is not None and unit.organization_id != organization.id):
        raise NotFound(_("Sektorn finns inte."))
    if not scope.covers(unit.organization_id):
        raise Forbidden(_("Sektorn ingår inte i det du samordnar."))
    return unit, Person.unit_id.in_(UnitTree.load().with_descendants((unit.id,)))


def _chosen(requirement: str) -> list[Requirement]:
    current = requirements.current()
    if not requirement:
        return current
    if requirement in (ALL_DOCUMENTS, ALL_TRAININGS):
        kind = DOCUMENT if requirement == ALL_DOCUMENTS else TRAINING
        return [r for r in current if r.kind == kind]
    chosen = [r for r in current if r.key == requirement]
    if not chosen:
        raise NotFound(_("Styrdokumentet eller utbildningen gäller inte just nu."))
    return chosen


def people(scope: CoordinatorScope, query: PeopleQuery, limit: int | None = LIST_LIMIT
           ) -> PeopleListing:
    """The people in the scope asked by any of the chosen requirements (only those not done
    with one of them, when asked), in Swedish name order: one query picks them, a second
    loads the rows shown."""
    scope, organization = narrowed(scope, query.organization_id)
    unit, in_unit = _unit(scope, organization, query.sector)
    if query.kind and query.kind not in kind_labels():
        raise NotFound(_("Personkategorin finns inte."))
    chosen = _chosen(query.requirement)
    where: list[ColumnElement[bool]] = [
        Person.active.is_(True),
        or_(*(r.members for r in chosen)) if chosen else false()]
    if not scope.everything:
        where.append(Person.organization_id.in_(scope.organization_ids))
    if in_unit is not None:
        where.append(in_unit)
    if query.kind:
        where.append(Person.kind == PersonKind(query.kind))
    if query.only_open:
        where.append(open_condition(chosen))
    found = db.session.execute(
        select(Person.id, Person.display_name, Organization.name)
        .outerjoin(Organization, Organization.id == Person.organization_id).where(*where)).all()
    found.sort(key=lambda r: swedish_sort_key(r[1]))
    picked = found if limit is None else found[:limit]
    rows = unit_status.rows_in_order([row[0] for row in picked], where, chosen,
                                     everyone=limit is None)
    # A column nobody listed is asked by is noise (another company's document, say).
    shown = [r for r in chosen if r.key == query.requirement
             or any(row.statuses[r.key] is not None for row in rows)]
    return PeopleListing(query, shown, rows, len(found), organization, unit,
                         {row[0]: row[2] or "" for row in picked})


def csv_text(listing: PeopleListing) -> str:
    """The listing as CSV for Swedish spreadsheets, as the manager's export has it."""
    return exports.csv_text(*unit_export.table(listing.requirements, listing.rows,
                                               listing.organization_of))
