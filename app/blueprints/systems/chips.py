"""Status chips of a system (klassad / godkänd / riskanalys / handlingsplan …) as HTML.

The register shows up to a thousand rows; most share the same few chip sets. Texts are
translated once per request and each distinct set is rendered once, which keeps the
all-rows view fast (a Jinja macro per row costs more than the rest of the row).
"""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.services.system_register import SystemRow


def _texts() -> dict[str, str]:
    # gettext without arguments returns the msgstr with its placeholders unfilled.
    return {
        "unclassified": _("Ej klassad"), "unapproved": _("Klassad, ej godkänd"),
        "review_overdue": _("Översyn försenad sedan %(date)s"),
        "approved": _("Klassad och godkänd"), "level4": _("Nivå 4: separat analys"),
        "analysed": _("Riskanalys"), "welfare_unanalysed": _("Välfärdsteknik utan riskanalys"),
        "unanalysed": _("Ingen riskanalys"),
        "plan": _("Handlingsplan: %(open)d öppna, %(overdue)d försenade"),
        "no_plan": _("Ingen handlingsplan"), "no_owner": _("Saknar ägare"),
        "no_administrator": _("Saknar förvaltare"),
    }


def chip_set(row: SystemRow, texts: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The row's chips as (css class, text), each state said in words."""
    chips = []
    if not row.classified:
        chips.append(("chip-bad", texts["unclassified"]))
    elif not row.approved:
        chips.append(("chip-warn", texts["unapproved"]))
    elif row.review_overdue:
        chips.append(("chip-bad", texts["review_overdue"] % {
            "date": row.review_due_on.isoformat() if row.review_due_on else ""}))
    else:
        chips.append(("chip-ok", texts["approved"]))
    if row.needs_separate_analysis:
        chips.append(("chip-warn", texts["level4"]))
    if row.risk_analysed:
        chips.append(("chip-ok", texts["analysed"]))
    else:
        chips.append(("chip-bad", texts["welfare_unanalysed" if row.welfare_technology
                                           else "unanalysed"]))
    if row.actions:
        chips.append(("chip-bad" if row.overdue_actions else "chip-neutral", texts["plan"] % {
            "open": row.open_actions, "overdue": row.overdue_actions}))
    else:
        chips.append(("chip-neutral", texts["no_plan"]))
    if row.missing_owner:
        chips.append(("chip-bad", texts["no_owner"]))
    if row.missing_administrator:
        chips.append(("chip-bad", texts["no_administrator"]))
    return tuple(chips)


def add_chips(rows: list[SystemRow]) -> None:
    """Give every row its chips as ready HTML (`row.chips`)."""
    texts = _texts()
    rendered: dict[tuple[tuple[str, str], ...], Markup] = {}
    for row in rows:
        chips = chip_set(row, texts)
        if chips not in rendered:
            item = Markup('<li class="chip {}">{}</li>')
            items = Markup("").join(item.format(css, text) for css, text in chips)
            rendered[chips] = Markup('<ul class="chips">{}</ul>').format(items)
        row.chips = rendered[chips]
