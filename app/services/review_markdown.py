"""A management review as text: the figures as the page and the export both word them, and
the whole report as Markdown — the same sections as the printable page, for the minutes of
the meeting or the board's papers. The coordinator's texts go in as they were written (they
are Markdown already)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.clock import local_time, utcnow
from app.models import ManagementReview
from app.services import management_reviews as reviews
from app.services.audience import kind_labels

# The person kinds a municipality must be able to show training for, even when none exist.
REPORTED_KINDS = ("elected", "board")


# The figures in words, from their plain JSON: what the page and the export both show.

def percent(tally: dict[str, int]) -> int | None:
    total = tally.get("total", 0)
    return round(100 * tally.get("done", 0) / total) if total else None


def rate(tally: dict[str, int]) -> str:
    """'85 % (170 av 200)', or '–' when nobody is asked."""
    share = percent(tally)
    if share is None:
        return "–"
    counts = _("%(done)d av %(total)d", done=tally["done"], total=tally["total"])
    return f"{share} % ({counts})"


def kind_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Each person kind with its figures; elected officials and board members always."""
    rows = list(figures.get("kinds", []))
    present = {row["kind"] for row in rows}
    labels = kind_labels()
    empty = {"done": 0, "total": 0}
    rows += [{"kind": kind, "label": labels[kind], "people": 0, "documents": empty,
              "trainings": empty, "per_requirement": {}}
             for kind in REPORTED_KINDS if kind not in present]
    return rows


def checklist_totals(figures: dict[str, Any]) -> dict[str, int]:
    rows = figures.get("checklists", [])
    return {"done": sum(r["complete"] for r in rows), "total": sum(r["checklists"] for r in rows)}


def key_figures(figures: dict[str, Any], incidents: int | None) -> list[tuple[str, str]]:
    """The headline figures as (label, value), the rows of the year-on-year comparison."""
    total = figures.get("total", {})
    systems = figures.get("systems", {})
    actions = figures.get("actions", {})
    rows = [(_("Personer i omfattningen"), str(total.get("people", 0))),
            (_("Kvittenser av styrdokument"), rate(total.get("documents", {}))),
            (_("Genomförda utbildningar"), rate(total.get("trainings", {})))]
    rows += [(_("Utbildning: %(group)s", group=row["label"]), rate(row["trainings"]))
             for row in kind_rows(figures)]
    rows += [(_("System i registret"), str(systems.get("systems", 0))),
             (_("Klassade system"), str(systems.get("classified", 0))),
             (_("System med handlingsplan"), str(systems.get("with_action_plan", 0))),
             (_("Riskanalyserade system"), str(systems.get("risk_analysed", 0))),
             (_("Välfärdsteknik, system"), str(systems.get("welfare_technology", 0))),
             (_("Välfärdsteknik, riskanalyserade"), str(systems.get("welfare_risk_analysed", 0))),
             (_("Färdiga checklistor"), rate(checklist_totals(figures))),
             (_("Öppna åtgärder"), str(actions.get("open", 0))),
             (_("Försenade åtgärder"), str(actions.get("overdue", 0))),
             (_("Styrdokument med passerat översynsdatum"),
              str(len(figures.get("reviews_due", [])))),
             (_("Incidenter"), _("inte angivet") if incidents is None else str(incidents))]
    return rows


def comparison(review: ManagementReview, figures: dict[str, Any],
               earlier: ManagementReview | None) -> list[tuple[str, str, str]]:
    """(label, this year, last year) for every headline figure either year has."""
    if earlier is None:
        return []
    this = dict(key_figures(figures, review.incidents))
    last = dict(key_figures(earlier.figures or {}, earlier.incidents))
    labels = list(this) + [label for label in last if label not in this]
    return [(label, this.get(label, "–"), last.get(label, "–")) for label in labels]


# The Markdown export.

def _cell(value: object) -> str:
    """A table cell: a pipe or a line break in a title would end the cell or the row."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _table(head: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in head) + " |",
             "|" + "|".join(" --- " for _h in head) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _text(value: str) -> list[str]:
    return [value.strip() or _("_Ingen text ännu._"), ""]


def _status(review: ManagementReview) -> str:
    if review.frozen_at is not None:
        who = review.frozen_by.display_name if review.frozen_by else ""
        return _("Fastställd %(date)s av %(name)s",
                 date=f"{local_time(review.frozen_at):%Y-%m-%d %H:%M}", name=who)
    return _("UTKAST – preliminära siffror, beräknade %(time)s",
             time=f"{local_time(utcnow()):%Y-%m-%d %H:%M}")


def _introduction(review: ManagementReview, figures: dict[str, Any]) -> list[str]:
    lines = [f"## {_('1 Inledning och omfattning')}", "",
             _("Ledningens genomgång av ledningssystemet för informationssäkerhet (LIS) enligt "
               "SS-EN ISO/IEC 27001 avsnitt 9.3, för %(scope)s år %(year)d. Underlaget omfattar "
               "%(people)d personer i portalen.", scope=reviews.scope_in_text(review),
               year=review.year, people=figures.get("total", {}).get("people", 0)), ""]
    if reviews.is_board_report(review):
        lines += [_("Rapporten är underlag till bolagets styrelse och visar vad uppföljningen "
                    "har funnit saknas."), ""]
    organizations = figures.get("organizations", [])
    if len(organizations) > 1:
        lines += _table([_("Organisation"), _("Personer"), _("Kvittenser"), _("Utbildningar")],
                        [[o["name"], o["people"], rate(o["documents"]), rate(o["trainings"])]
                         for o in organizations])
    return lines


def _results(review: ManagementReview, figures: dict[str, Any]) -> list[str]:
    requirements = figures.get("requirements", [])
    documents = [r for r in requirements if r["kind"] == "document"]
    trainings = [r for r in requirements if r["kind"] == "training"]
    due = figures.get("reviews_due", [])
    kinds = kind_rows(figures)
    systems = figures.get("systems", {})
    actions = figures.get("actions", {})
    lines = [f"## {_('4 Informationssäkerhetens resultat')}", "",
             f"### {_('4.1 Styrdokument och översyn')}", "",
             _("%(count)d styrdokument i kraft kräver kvittens. %(due)d styrdokument har "
               "passerat sitt översynsdatum.", count=len(documents), due=len(due)), ""]
    if due:
        lines += _table([_("Styrdokument"), _("Skulle ha setts över")],
                        [[d["title"], d["due_on"]] for d in due])
    lines += [f"### {_('4.2 Kvittenser av styrdokument')}", ""]
    lines += _table([_("Styrdokument"), _("Kvitterat")],
                    [[d["title"], rate(d)] for d in documents]) if documents else \
        [_("Inga styrdokument kräver kvittens."), ""]
    lines += _table([_("Grupp"), _("Personer"), _("Kvitterat")],
                    [[k["label"], k["people"], rate(k["documents"])] for k in kinds])
    lines += [f"### {_('4.3 Utbildning per grupp')}", ""]
    lines += _table([_("Grupp"), _("Personer"), _("Genomfört")],
                    [[k["label"], k["people"], rate(k["trainings"])] for k in kinds])
    if trainings:
        lines += _table([_("Utbildning"), _("Alla"), *[k["label"] for k in kinds]],
                        [[t["title"], rate(t), *[rate(k["per_requirement"].get(t["key"], {}))
                                                 for k in kinds]] for t in trainings])
    else:
        lines += [_("Inga utbildningar under perioden."), ""]
    lines += [f"### {_('4.4 Informationsklassning och riskanalys')}", "",
              _("Av %(systems)d system är %(classified)d klassade (%(approved)d godkända), "
                "%(plans)d har handlingsplan och %(risk)d är riskanalyserade.",
                systems=systems.get("systems", 0), classified=systems.get("classified", 0),
                approved=systems.get("approved", 0), plans=systems.get("with_action_plan", 0),
                risk=systems.get("risk_analysed", 0)), "",
              _("Saknar systemägare eller systemförvaltare: %(owner)d system. Har passerat "
                "tiden för ny klassning: %(review)d system.",
                owner=systems.get("missing_owner", 0), review=systems.get("review_overdue", 0)),
              "",
              f"### {_('4.5 Välfärdsteknik')}", "",
              _("Välfärdsteknik: %(welfare)d system, varav %(risk)d riskanalyserade.",
                welfare=systems.get("welfare_technology", 0),
                risk=systems.get("welfare_risk_analysed", 0)), "",
              f"### {_('4.6 Checklistor per roll')}", ""]
    checklists = figures.get("checklists", [])
    lines += _table([_("Roll"), _("Checklistor"), _("Färdiga"), _("Punkter avbockade")],
                    [[c["label"], c["checklists"], c["complete"], rate(c)]
                     for c in checklists]) if checklists else \
        [_("Inga checklistor under året."), ""]
    lines += [f"### {_('4.7 Handlingsplaner')}", "",
              _("Öppna åtgärder i handlingsplanerna: %(open)d, varav försenade: %(overdue)d.",
                open=actions.get("open", 0), overdue=actions.get("overdue", 0)), "",
              f"### {_('4.8 Incidenter')}", "",
              _("Antal incidenter: %(count)s.", count=_("inte angivet")
                if review.incidents is None else review.incidents), "",
              _("Incidentrapportering finns ännu inte i portalen; antalet har förts in av "
                "samordnaren."), ""]
    if review.incidents_note.strip():
        lines += _text(review.incidents_note)
    return lines


def to_markdown(review: ManagementReview, figures: dict[str, Any],
                previous: ManagementReview | None) -> str:
    """The whole report as Markdown, in the order of ISO/IEC 27001 9.3."""
    lines = [f"# {reviews.title_of(review)}", ""]
    if reviews.is_board_report(review):
        lines += [f"*{_('Underlag till styrelsen')}*", ""]
    lines += [f"**{_status(review)}**", ""]
    lines += _introduction(review, figures)
    lines += [f"## {_('2 Status för beslut från föregående genomgång')}", "",
              *_text(review.previous_decisions),
              f"## {_('3 Förändringar i externa och interna frågor')}", "",
              *_text(review.issue_changes)]
    lines += _results(review, figures)
    lines += [f"## {_('5 Förslag till förbättringar')}", "", *_text(review.proposals)]
    rows = comparison(review, figures, previous)
    if previous is not None:
        lines += [f"## {_('6 Jämförelse med föregående år')}", ""]
        lines += _table([_("Mått"), str(review.year), str(previous.year)],
                        [list(row) for row in rows])
    return "\n".join(lines).rstrip() + "\n"
