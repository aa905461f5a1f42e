"""The coordinator's view of the group ("Samordning") and the people behind its figures."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_login import current_user

from app.clock import today
from app.extensions import db
from app.models import Role
from app.services import (
    audit,
    charts,
    coordination,
    group_status,
    role_checklists,
    unit_status,
)
from app.services.audience import kind_labels
from app.web import coordinator_scope, render, require_role

bp = Blueprint("coordination", __name__, url_prefix="/samordning")


def _organization_arg() -> int | None:
    value = request.args.get("organisation", "")
    if not value:
        return None
    if not value.isdigit():
        abort(404)
    return int(value)


@bp.get("/")
@require_role(Role.COORDINATOR)
def index():
    """The group at a glance: people, documents, trainings, checklists, systems, trend."""
    scope = coordinator_scope()
    page = coordination.overview(scope, _organization_arg())
    return render("coordination/index.html", view=page, group=page.status,
                  bar=charts.share_bar, percent=charts.percent, sparkline=charts.trend,
                  month_label=charts.month_label, kinds=kind_labels())


def _people_query() -> coordination.PeopleQuery:
    return coordination.PeopleQuery(
        organization_id=_organization_arg(), sector=request.args.get("sektor", "")[:20],
        requirement=request.args.get("krav", "")[:40],
        kind=request.args.get("kategori", "")[:20],
        only_open=request.args.get("visa", "") == "ej-klara")


@bp.get("/personer")
@require_role(Role.COORDINATOR)
def people():
    """The people behind a figure of the group view, with their status per requirement."""
    scope = coordinator_scope()
    listing = coordination.people(scope, _people_query())
    return render("coordination/people.html", listing=listing, args=_args(listing),
                  statuses=unit_status.status_labels(), kinds=kind_labels())


@bp.get("/personer.csv")
@require_role(Role.COORDINATOR)
def people_csv():
    """The same people as CSV; exporting names is itself logged."""
    scope = coordinator_scope()
    listing = coordination.people(scope, _people_query(), limit=None)
    audit.record(current_user, "coordination.people_exported", "person", None,
                 {"people": listing.total, **_args(listing)})
    db.session.commit()
    response = Response(coordination.csv_text(listing), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="personer-{today().isoformat()}.csv"')
    return response


@bp.get("/checklistor/<role>")
@require_role(Role.COORDINATOR)
def checklists(role: str):
    """The checklists of one role behind the group view's figure, least done first."""
    view, organization = coordination.narrowed(coordinator_scope(), _organization_arg())
    held = role_checklists.of_role(view, role)
    return render("coordination/checklists.html", held=held, organization=organization,
                  role_label=group_status.checklist_role_labels()[role], bar=charts.share_bar)


def _args(listing: coordination.PeopleListing) -> dict[str, str]:
    """The listing's filters as query-string arguments, for its links."""
    query = listing.query
    args = {"organisation": str(query.organization_id or ""), "sektor": query.sector,
            "krav": query.requirement, "kategori": query.kind,
            "visa": "ej-klara" if query.only_open else ""}
    return {key: value for key, value in args.items() if value}
