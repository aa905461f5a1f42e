"""A manager's unit: figures for everyone below them, the matrix of who has done what (a
manager's people expand in place with htmx), exports, and reminders to the chosen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app import htmx
from app.clock import today
from app.extensions import db
from app.models import Person, Role
from app.services import (
    DomainError,
    Forbidden,
    NotFound,
    reminders,
    requirements,
    unit_export,
    unit_status,
)
from app.services.audience import kind_labels
from app.services.unit_status import Figures
from app.web import render, require_role

bp = Blueprint("unit", __name__, url_prefix="/min-enhet")

SORT_ARGS = {"namn": "name", "status": "status"}
MAX_LEVEL = 50
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ViewFilters:
    """What the matrix is narrowed to, from the query string (or the reminder form)."""

    query: str = ""
    only_open: bool = False
    sort: str = "name"

    @classmethod
    def of(cls, values: MultiDict[str, str]) -> ViewFilters:
        return cls(values.get("q", "").strip()[:200], values.get("ej_klara") == "1",
                   SORT_ARGS.get(values.get("sortera", ""), "name"))

    @property
    def default(self) -> bool:
        """No search, no filter, name order: the tree of direct reports."""
        return not self.query and not self.only_open and self.sort == "name"

    def args(self) -> dict[str, str]:
        found = {"q": self.query, "ej_klara": "1" if self.only_open else "",
                 "sortera": "status" if self.sort == "status" else ""}
        return {key: value for key, value in found.items() if value}


def _number(text: str) -> int | None:
    """A whole number as a form or query string sends it; None for anything else."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _head(person_id: int | None) -> Person:
    """The person whose unit is shown: the signed-in manager, or someone below them."""
    if person_id is None or person_id == current_user.id:
        return current_user._get_current_object()
    return unit_status.require_view(current_user, person_id)


def _unit_page(head: Person, filters: ViewFilters) -> Any:
    own = head.id == current_user.id
    found = requirements.current()
    per_root, per_kind = unit_status.figures_under(head.id, found)
    total = Figures()
    for figures in per_kind.values():
        total.add(figures)
    kinds = [(label, per_kind[kind]) for kind, label in kind_labels().items() if kind in per_kind]
    listing = None
    if filters.default:
        rows = unit_status.direct_reports(head.id, found, below=per_root)
    else:
        listing = unit_status.search(head.id, found, filters.query, filters.only_open,
                                     filters.sort)
        rows = listing.rows
    args = filters.args()
    where = {} if own else {"person_id": head.id}
    here = url_for("unit.index") if own else url_for("unit.people", person_id=head.id)
    up = head.manager if not own and head.manager_id not in (None, current_user.id) else None
    return render("unit/index.html", head=head, own=own, up=up,
                  loop_names=unit_status.loop_through(head), requirements=found, kinds=kinds,
                  total=total, rows=rows, listing=listing, filters=filters, view_args=args,
                  here=here, export_csv=url_for("unit.export", fmt="csv", **where, **args),
                  export_xlsx=url_for("unit.export", fmt="xlsx", **where, **args))


@bp.get("/")
@require_role(Role.MANAGER)
def index():
    """The signed-in manager's unit."""
    return _unit_page(current_user._get_current_object(), ViewFilters.of(request.args))


@bp.get("/<int:person_id>/personer")
@require_role(Role.MANAGER)
def people(person_id: int):
    """The direct reports of someone in the manager's unit: rows to insert under their row
    (htmx), or without JavaScript the whole page of their unit."""
    head = _head(person_id)
    if not htmx.wants_fragment():
        return _unit_page(head, ViewFilters.of(request.args))
    level = min(max(_number(request.args.get("niva", "")) or 1, 1), MAX_LEVEL)
    found = requirements.current()
    # In a loop of reporting lines the signed-in manager would turn up below themselves.
    rows = [r for r in unit_status.direct_reports(head.id, found) if r.id != current_user.id]
    return render_template("unit/_rows.html", head=head, rows=rows, requirements=found,
                           level=level)


@bp.get("/export.<fmt>", defaults={"person_id": None})
@bp.get("/<int:person_id>/export.<fmt>")
@require_role(Role.MANAGER)
def export(fmt: str, person_id: int | None):
    """The current view's people — the whole unit, not only the rows shown — as CSV or
    Excel; exporting names is itself logged."""
    head = _head(person_id)
    if fmt not in unit_export.FORMATS:
        abort(404)
    filters = ViewFilters.of(request.args)
    content = unit_export.export(current_user, head, requirements.current(),
                                  filters.query, filters.only_open, filters.sort, fmt)
    db.session.commit()
    name = "min-enhet" if person_id is None else f"min-enhet-{head.id}"
    response = Response(content, content_type=CONTENT_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-{today().isoformat()}.{fmt}"')
    return response


def _back() -> str:
    """The view the reminder was sent from, rebuilt from the form (never a URL from it)."""
    args = ViewFilters.of(request.form).args()
    unit = _number(request.form.get("enhet", ""))
    if unit is not None and unit != current_user.id:
        return url_for("unit.people", person_id=unit, **args)
    return url_for("unit.index", **args)


def _outcome_messages(result: reminders.RemindResult) -> list[tuple[str, str]]:
    def names(people: list[str]) -> str:
        return ", ".join(people)

    messages = []
    if result.sent:
        messages.append((ngettext("Påminnelse skickad till %(num)d person: %(names)s.",
                                  "Påminnelse skickad till %(num)d personer: %(names)s.",
                                  len(result.sent), names=names(result.sent)), "info"))
    if result.recent:
        messages.append((_("Inte påminda igen, de fick en påminnelse för mindre än sju dagar "
                           "sedan: %(names)s.", names=names(result.recent)), "info"))
    if result.nothing_left:
        messages.append((_("Har inget kvar att göra och påmindes inte: %(names)s.",
                           names=names(result.nothing_left)), "info"))
    if result.no_address:
        messages.append((_("Saknar e-postadress och kunde inte påminnas: %(names)s.",
                           names=names(result.no_address)), "error"))
    if result.failed:
        messages.append((_("Utskicket avbröts: %(reason)s", reason=result.failed), "error"))
    return messages


@bp.post("/paminn")
@require_role(Role.MANAGER)
def remind():
    """"Påminn valda": one e-mail to each chosen person listing what they have left."""
    chosen = (_number(v) for v in request.form.getlist("person_id"))
    person_ids = list(dict.fromkeys(n for n in chosen if n is not None))
    try:
        result = reminders.remind(current_user._get_current_object(), person_ids)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return htmx.redirect(_back())
    db.session.commit()
    for message, category in _outcome_messages(result):
        flash(message, category)
    return htmx.redirect(_back())
