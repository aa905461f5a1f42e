"""The coordinator's follow-up of documents: the list with each one's acknowledgement rate,
and per document who in the audience has acknowledged — per organization and sector, and
who has not — in a handful of queries however many people there are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import joinedload

from app.clock import local_time, today
from app.extensions import db
from app.models import (
    Acknowledgement,
    Document,
    DocumentVersion,
    Organization,
    OrgUnit,
    Person,
)
from app.services import Forbidden, adoptions
from app.services.acknowledgements import Chain, due_on
from app.services.audience import Audience, AudienceRule, UnitTree, kind_labels
from app.services.audit_log import csv_line
from app.services.documents import version_headers
from app.services.system_access import CoordinatorScope
from app.text import swedish_sort_key


@dataclass
class Tally:
    """Acknowledged out of all, for one group of people."""

    label: str
    total: int = 0
    done: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class MemberRow:
    """One person in the audience and where they stand."""

    person_id: int
    name: str
    username: str
    organization: str
    unit: str
    kind: str
    due_on: date
    acknowledged_at: datetime | None
    version: str | None
    sector: str = ""

    @property
    def overdue(self) -> bool:
        return self.acknowledged_at is None and self.due_on < today()


@dataclass
class DocumentReport:
    """The audience's status for the document's current counting version."""

    document: Document
    chain: Chain | None
    members: list[MemberRow] = field(default_factory=list)
    total: Tally = field(default_factory=lambda: Tally(""))
    organizations: list[Tally] = field(default_factory=list)
    sectors: list[Tally] = field(default_factory=list)

    @property
    def missing(self) -> list[MemberRow]:
        return [m for m in self.members if m.acknowledged_at is None]


@dataclass
class ManagedDocument:
    """A row of the coordinator's document list."""

    document: Document
    versions: list[DocumentVersion]
    has_draft: bool

    @property
    def current(self) -> DocumentVersion | None:
        return self.versions[-1] if self.versions else None


def managed(scope: CoordinatorScope) -> list[ManagedDocument]:
    """The documents of the organizations in the coordinator's scope, in three queries."""
    query = select(Document).options(joinedload(Document.organization))
    if not scope.everything:
        query = query.where(Document.organization_id.in_(scope.organization_ids))
    found = list(db.session.scalars(query))
    headers = version_headers([d.id for d in found])
    drafts = set(db.session.scalars(select(DocumentVersion.document_id).where(
        DocumentVersion.published_at.is_(None),
        DocumentVersion.document_id.in_([d.id for d in found]))))
    rows = [ManagedDocument(d, headers.get(d.id, []), d.id in drafts) for d in found]
    rows.sort(key=lambda r: (r.document.withdrawn_at is not None,
                             swedish_sort_key(r.document.title)))
    return rows


def may_follow(scope: CoordinatorScope | None, document: Document,
               adopters: dict[int, date]) -> bool:
    """A coordinator follows up a document of their organizations, adopted by them, or
    whose audience names one of them."""
    named = AudienceRule.from_json(document.audience).organization_ids
    return scope is not None and any(scope.covers(o) for o in (
        document.organization_id, *adopters, *named))


def report(document: Document, scope: CoordinatorScope | None) -> DocumentReport:
    """Everyone the document asks, whether they acknowledged, grouped for follow-up."""
    adopters = adoptions.adopted_since([document.id]).get(document.id, {})
    if not may_follow(scope, document, adopters):
        raise Forbidden(_("Du får inte följa upp det här dokumentet."))
    chains = version_headers([document.id])
    if document.id not in chains:
        return DocumentReport(document, None)
    chain = Chain(chains[document.id])
    audience = Audience.of(AudienceRule.from_json(document.audience), UnitTree.load(), adopters)
    query = (select(Person.id, Person.display_name, Person.username, Person.organization_id,
                    Person.unit_id, Person.kind, Person.created_at, Organization.name,
                    OrgUnit.path)
             .outerjoin(Organization, Organization.id == Person.organization_id)
             .outerjoin(OrgUnit, OrgUnit.id == Person.unit_id)
             .where(audience.condition()))
    if not scope.everything:  # type: ignore[union-attr]
        query = query.where(Person.organization_id.in_(scope.organization_ids))  # type: ignore[union-attr]
    acknowledged = {person_id: (moment, number) for person_id, moment, number in db.session.execute(
        select(Acknowledgement.person_id, func.max(Acknowledgement.acknowledged_at),
               func.max(Acknowledgement.version_id))
        .where(Acknowledgement.version_id.in_(chain.valid_ids))
        .group_by(Acknowledgement.person_id))}
    numbers = {v.id: v.number for v in chain.versions}
    kinds = kind_labels()
    result = DocumentReport(document, chain, total=Tally(_("Totalt")))
    by_org: dict[str, Tally] = {}
    by_sector: dict[str, Tally] = defaultdict(lambda: Tally(""))
    for (person_id, name, username, org_id, unit_id, kind, created_at, org_name,
         path) in db.session.execute(query):
        _inside, since = audience.place_since(org_id, unit_id)
        joined = local_time(created_at).date() if created_at else None
        moment, version_id = acknowledged.get(person_id, (None, None))
        org_label = org_name or _("Ingen organisation")
        sector = f"{org_label} / {path.split(' / ')[0]}" if path else org_label
        for tally in (result.total, by_org.setdefault(org_label, Tally(org_label)),
                      by_sector[sector]):
            tally.total += 1
            tally.done += moment is not None
        by_sector[sector].label = sector
        result.members.append(MemberRow(person_id, name, username, org_label, path or "",
                                        kinds[kind.value], due_on(document, chain, since, joined),
                                        moment, numbers.get(version_id), sector))
    result.members.sort(key=lambda m: swedish_sort_key(m.name))
    result.organizations = sorted(by_org.values(), key=lambda t: swedish_sort_key(t.label))
    result.sectors = sorted(by_sector.values(), key=lambda t: swedish_sort_key(t.label))
    return result


def rates(documents: list[Document], chains: dict[int, list], scope: CoordinatorScope
          ) -> dict[int, Tally]:
    """Acknowledged out of the audience for each published document that asks for it, in
    three queries however many documents and people there are (one UNION ALL of counts)."""
    wanted = [d for d in documents if d.id in chains and d.requires_acknowledgement
              and d.withdrawn_at is None]
    if not wanted:
        return {}
    adopted = adoptions.adopted_since([d.id for d in wanted])
    tree = UnitTree.load()
    parts = []
    for document in wanted:
        audience = Audience.of(AudienceRule.from_json(document.audience), tree,
                               adopted.get(document.id))
        condition = audience.condition()
        if not scope.everything:
            condition = condition & Person.organization_id.in_(scope.organization_ids)
        acknowledged = select(Acknowledgement.id).where(
            Acknowledgement.person_id == Person.id,
            Acknowledgement.version_id.in_(Chain(chains[document.id]).valid_ids)).exists()
        parts.append(select(literal(document.id), func.count(),
                            func.count(case((acknowledged, 1))))
                     .select_from(Person).where(condition))
    return {document_id: Tally("", total, done) for document_id, total, done
            in db.session.execute(union_all(*parts))}


def csv_lines(result: DocumentReport) -> Iterator[str]:
    """The audience as Swedish-Excel CSV (BOM, ';'), every cell safe from formulas."""
    yield "\ufeff" + csv_line([_("Namn"), _("Användarnamn"), _("Organisation"), _("Enhet"),
                               _("Kategori"), _("Status"), _("Kvitterad"), _("Version"),
                               _("Senast")])
    for m in result.members:
        status = (_("Kvitterad") if m.acknowledged_at else
                  _("Försenad") if m.overdue else _("Ej kvitterad"))
        when = (local_time(m.acknowledged_at).strftime("%Y-%m-%d %H:%M")
                if m.acknowledged_at else "")
        yield csv_line([m.name, m.username, m.organization, m.unit, m.kind, status, when,
                        m.version or "", m.due_on.isoformat()])
