"""A manager's unit as a table for CSV and Excel: one row per person with their status per
required document and training, as the matrix on "Min enhet" shows it, and the audit
event that an export of names leaves behind."""

from __future__ import annotations

from flask_babel import gettext as _

from app.models import Person
from app.services import audit, exports, unit_status
from app.services.requirements import Requirement
from app.services.unit_status import PersonRow

FORMATS = ("csv", "xlsx")


def table(requirements: list[Requirement], rows: list[PersonRow],
          organization_of: dict[int, str] | None = None) -> tuple[list[str], list[list[str]]]:
    """The header and one line per person (with their organization when it is given); a
    requirement that does not ask the person is an empty cell."""
    labels = unit_status.status_labels(not_asked="")
    where = [_("Organisation")] if organization_of is not None else []
    header = [_("Namn"), _("Användarnamn"), *where, _("Befattning"), _("Enhet"), _("Kategori"),
              *(r.title for r in requirements), _("Checklistor klara")]
    lines = []
    for row in rows:
        checklist = (_("%(done)d av %(total)d", done=row.checklist.done,
                       total=row.checklist.total) if row.checklist.total else "")
        place = [organization_of.get(row.id, "")] if organization_of is not None else []
        lines.append([row.name, row.username, *place, row.title, row.unit, row.kind,
                      *(labels[row.statuses.get(r.key)] for r in requirements), checklist])
    return header, lines


def export(actor: Person, head: Person, requirements: list[Requirement], query: str,
           only_open: bool, sort: str, fmt: str) -> str | bytes:
    """Everyone in the head's subtree that the filters let through, as CSV text or xlsx
    bytes; records the export (the caller commits)."""
    listing = unit_status.search(head.id, requirements, query, only_open, sort, limit=None)
    header, lines = table(requirements, listing.rows)
    audit.record(actor, "unit.exported", "person", head.id,
                 {"format": fmt, "people": len(lines), "q": query, "only_open": only_open,
                  "sort": sort})
    if fmt == "xlsx":
        return exports.xlsx_bytes(_("Min enhet"), header, lines)
    return exports.csv_text(header, lines)
