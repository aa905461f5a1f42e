"""The coordinator's register view: filters, sorting, pages and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from flask_babel import gettext as _

from app.models import LifecycleStatus, Organization
from app.services import system_register
from app.services.audit_log import csv_line
from app.services.classifications import level_labels
from app.services.system_access import CoordinatorScope
from app.services.system_register import PAGE_SIZE, Coverage, SystemRow
from app.services.systems import status_label
from app.text import swedish_sort_key

STATUS_ORDER = {status: index for index, status in enumerate(LifecycleStatus)}
SORTS = ("name", "organization", "status", "owner", "classification", "actions")


def _classification_rank(row: SystemRow) -> tuple:
    return (row.classified, row.approved, not row.review_overdue)


SORT_KEYS = {
    "name": lambda r: swedish_sort_key(r.name),
    "organization": lambda r: (swedish_sort_key(r.organization), swedish_sort_key(r.name)),
    "status": lambda r: (STATUS_ORDER[r.status], swedish_sort_key(r.name)),
    "owner": lambda r: (r.owner is None, swedish_sort_key(r.owner or ""),
                        swedish_sort_key(r.name)),
    "classification": lambda r: (_classification_rank(r), swedish_sort_key(r.name)),
    "actions": lambda r: (-r.overdue_actions, -r.open_actions, swedish_sort_key(r.name)),
}


@dataclass
class RegisterFilters:
    """What the coordinator asked to see; every field comes from the query string."""

    q: str = ""
    organization_id: int | None = None
    # "" = every status but retired; "all" includes retired ones.
    status: str = ""
    welfare_technology: bool = False
    personal_data: bool = False
    missing_owner: bool = False
    overdue: bool = False
    sort: str = "name"
    descending: bool = False
    page: int = 1
    show_all: bool = False

    def matches(self, row: SystemRow, words: list[str]) -> bool:
        if self.status == "all":
            pass
        elif self.status:
            if row.status.value != self.status:
                return False
        elif row.status == LifecycleStatus.RETIRED:
            return False
        return ((self.organization_id is None or row.organization_id == self.organization_id)
                and (not self.welfare_technology or row.welfare_technology)
                and (not self.personal_data or row.personal_data)
                and (not self.missing_owner or row.missing_owner or row.missing_administrator)
                and (not self.overdue or row.overdue)
                and (not words or system_register.search_matches(row, words)))

    def query_args(self, **changes: object) -> dict[str, object]:
        """The filters as query-string arguments, for links that change one of them."""
        values = replace(self, **changes)
        args = {"q": values.q, "organisation": values.organization_id, "status": values.status,
                "valfardsteknik": int(values.welfare_technology),
                "personuppgifter": int(values.personal_data),
                "saknar_ansvarig": int(values.missing_owner), "forsenade": int(values.overdue),
                "sortera": values.sort, "fallande": int(values.descending),
                "sida": values.page, "alla": int(values.show_all)}
        defaults = {"sortera": "name", "sida": 1}
        return {k: v for k, v in args.items() if v not in (None, "", 0) and defaults.get(k) != v}


@dataclass
class RegisterPage:
    """Everything the register page shows."""

    rows: list[SystemRow]
    matching: int
    page: int
    pages: int
    total: Coverage
    per_organization: list[Coverage]
    organizations: list[Organization] = field(default_factory=list)


def filtered(rows: list[SystemRow], filters: RegisterFilters) -> list[SystemRow]:
    """The rows the filters let through, sorted as asked."""
    words = system_register.fold_query(filters.q)
    chosen = [row for row in rows if filters.matches(row, words)]
    sort = filters.sort if filters.sort in SORTS else "name"
    chosen.sort(key=SORT_KEYS[sort], reverse=filters.descending)
    return chosen


def register_page(scope: CoordinatorScope, filters: RegisterFilters, today: date,
                  group_name: str) -> RegisterPage:
    """One page of the register (or all of it) with the coverage figures on top."""
    rows = system_register.load_rows(today, scope=scope)
    total, per_org = system_register.coverage(rows, group_name)
    chosen = filtered(rows, filters)
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    shown = chosen if filters.show_all else chosen[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    system_register.fill_administrators(shown)
    return RegisterPage(rows=shown, matching=len(chosen), page=page, pages=pages,
                        total=total, per_organization=per_org)


def _yes(value: bool) -> str:
    return _("ja") if value else _("nej")


def export_csv(scope: CoordinatorScope, filters: RegisterFilters, today: date) -> str:
    """The filtered register as semicolon-separated CSV for Swedish spreadsheets."""
    rows = filtered(system_register.load_rows(today, scope=scope), filters)
    system_register.fill_administrators(rows)
    labels = level_labels()
    lines = [csv_line([_("Namn"), _("Organisation"), _("Verksamhet"), _("Status"),
                     _("Systemägare"), _("Systemförvaltare"), _("Leverantör"),
                     _("Personuppgifter"), _("Välfärdsteknik"), _("Samhällsviktig"),
                     _("Konfidentialitet"), _("Riktighet"), _("Tillgänglighet"),
                     _("Spårbarhet"), _("Klassad"), _("Godkänd"), _("Nästa översyn"),
                     _("Riskanalyser"), _("Öppna åtgärder"), _("Försenade åtgärder")])]
    for row in rows:
        levels = [f"{n} {labels[n]}" for n in row.levels] if row.levels else ["", "", "", ""]
        lines.append(csv_line([
            row.name, row.organization, row.unit or "", status_label(row.status),
            row.owner or "", ", ".join(row.administrators), row.supplier,
            _yes(row.personal_data), _yes(row.welfare_technology), _yes(row.vital_service),
            *levels, row.classified_on.isoformat() if row.classified_on else "",
            row.approved_on.isoformat() if row.approved_on else "",
            row.review_due_on.isoformat() if row.review_due_on else "",
            str(row.analyses), str(row.open_actions), str(row.overdue_actions)]))
    return "\ufeff" + "".join(lines)
