"""Following up an audience: who in it is done (acknowledged a document, completed a
training) and who is not — overall, per organization, per sector and per person kind —
in one query for the people however many there are. Governing documents and trainings
both build their follow-up on this."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, case, func, literal, select, union_all

from app.clock import local_time, today
from app.extensions import db
from app.models import Organization, OrgUnit, Person
from app.services.audience import Audience, kind_labels
from app.services.audit_log import csv_line
from app.text import swedish_sort_key


@dataclass
class Tally:
    """Done out of all, for one group of people."""

    label: str
    total: int = 0
    done: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class MemberRow:
    """One person in the audience and where they stand: `done_at` is when they acknowledged
    or completed (None if not yet), `detail` what (a version number, a source)."""

    person_id: int
    name: str
    username: str
    organization: str
    unit: str
    sector: str
    kind: str
    due_on: date
    done_at: datetime | date | None
    detail: str | None

    @property
    def overdue(self) -> bool:
        return self.done_at is None and self.due_on < today()


@dataclass
class AudienceReport:
    """Everyone in the audience (Swedish name order) and the tallies."""

    members: list[MemberRow] = field(default_factory=list)
    total: Tally = field(default_factory=lambda: Tally(""))
    organizations: list[Tally] = field(default_factory=list)
    sectors: list[Tally] = field(default_factory=list)
    kinds: list[Tally] = field(default_factory=list)

    @property
    def missing(self) -> list[MemberRow]:
        return [m for m in self.members if m.done_at is None]

    def only(self, organization: str = "", sector: str = "") -> list[MemberRow]:
        """The members of one organization or sector (the label a tally shows)."""
        return [m for m in self.members if (not organization or m.organization == organization)
                and (not sector or m.sector == sector)]


DueOn = Callable[[date | None, date | None], date]


def build(audience: Audience, done: dict[int, tuple[datetime | date, str | None]], due: DueOn,
          restrict: ColumnElement[bool] | None = None) -> AudienceReport:
    """The report for the audience's active people (narrowed by `restrict`): `done` maps a
    person to when and what they did; `due(since, joined)` gives their due date from when
    their company adopted (or None) and when they joined the portal (or None)."""
    query = (select(Person.id, Person.display_name, Person.username, Person.organization_id,
                    Person.unit_id, Person.kind, Person.created_at, Organization.name,
                    OrgUnit.path)
             .outerjoin(Organization, Organization.id == Person.organization_id)
             .outerjoin(OrgUnit, OrgUnit.id == Person.unit_id)
             .where(audience.condition()))
    if restrict is not None:
        query = query.where(restrict)
    kinds = kind_labels()
    result = AudienceReport(total=Tally(_("Totalt")))
    tallies: dict[str, dict[str, Tally]] = {"organization": {}, "sector": {}, "kind": {}}
    for (person_id, name, username, org_id, unit_id, kind, created_at, org_name,
         path) in db.session.execute(query):
        _inside, since = audience.place_since(org_id, unit_id)
        joined = local_time(created_at).date() if created_at else None
        moment, detail = done.get(person_id, (None, None))
        organization = org_name or _("Ingen organisation")
        sector = f"{organization} / {path.split(' / ')[0]}" if path else organization
        for group, label in (("organization", organization), ("sector", sector),
                             ("kind", kinds[kind.value])):
            tally = tallies[group].setdefault(label, Tally(label))
            tally.total += 1
            tally.done += moment is not None
        result.total.total += 1
        result.total.done += moment is not None
        result.members.append(MemberRow(person_id, name, username, organization, path or "",
                                        sector, kinds[kind.value], due(since, joined), moment,
                                        detail))
    result.members.sort(key=lambda m: swedish_sort_key(m.name))
    result.organizations = sorted(tallies["organization"].values(),
                                  key=lambda t: swedish_sort_key(t.label))
    result.sectors = sorted(tallies["sector"].values(), key=lambda t: swedish_sort_key(t.label))
    order = list(kinds.values())
    result.kinds = sorted(tallies["kind"].values(), key=lambda t: order.index(t.label))
    return result


def rates_in_one_query(counts: dict[int, tuple[ColumnElement[bool], ColumnElement[bool]]]
                       ) -> dict[int, Tally]:
    """Done out of all for several audiences at once: `counts` maps a key to (who is in the
    audience, who of them is done) as conditions on Person; one UNION ALL of counts."""
    if not counts:
        return {}
    parts = [select(literal(key), func.count(), func.count(case((is_done, 1))))
             .select_from(Person).where(members) for key, (members, is_done) in counts.items()]
    return {key: Tally("", total, done)
            for key, total, done in db.session.execute(union_all(*parts))}


class Status(enum.StrEnum):
    DONE = "done"
    OVERDUE = "overdue"
    OPEN = "open"


def status_of(member: MemberRow) -> Status:
    if member.done_at is not None:
        return Status.DONE
    return Status.OVERDUE if member.overdue else Status.OPEN


def csv_lines(report: AudienceReport, labels: dict[Status, str], done_heading: str,
              detail_heading: str) -> Iterator[str]:
    """The audience as Swedish-Excel CSV (BOM, ';'), every cell safe from formulas."""
    yield "\ufeff" + csv_line([_("Namn"), _("Användarnamn"), _("Organisation"), _("Enhet"),
                               _("Kategori"), _("Status"), done_heading, detail_heading,
                               _("Senast")])
    for m in report.members:
        when = ""
        if isinstance(m.done_at, datetime):
            when = local_time(m.done_at).strftime("%Y-%m-%d %H:%M")
        elif m.done_at is not None:
            when = m.done_at.isoformat()
        yield csv_line([m.name, m.username, m.organization, m.unit, m.kind,
                        labels[status_of(m)], when, m.detail or "", m.due_on.isoformat()])
