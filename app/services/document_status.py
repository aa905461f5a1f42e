"""The coordinator's follow-up of documents: the list with each one's acknowledgement rate,
and per document who in the audience has acknowledged — per organization and sector, and
who has not — in a handful of queries however many people there are."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Acknowledgement,
    Document,
    DocumentVersion,
    Person,
)
from app.services import Forbidden, adoptions, audience_report
from app.services.acknowledgements import Chain, due_on
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.audience_report import AudienceReport, Status, Tally
from app.services.documents import version_headers
from app.services.system_access import CoordinatorScope
from app.text import swedish_sort_key


@dataclass
class DocumentReport(AudienceReport):
    """The audience's status for the version of the document that counts."""

    document: Document | None = None
    chain: Chain | None = None


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
        return DocumentReport(document=document)
    chain = Chain(chains[document.id])
    audience = Audience.of(AudienceRule.from_json(document.audience), UnitTree.load(), adopters)
    numbers = {v.id: v.number for v in chain.versions}
    acknowledged = {person_id: (moment, numbers[version_id]) for person_id, moment, version_id
                    in db.session.execute(
                        select(Acknowledgement.person_id, func.max(Acknowledgement.acknowledged_at),
                               func.max(Acknowledgement.version_id))
                        .where(Acknowledgement.version_id.in_(chain.valid_ids))
                        .group_by(Acknowledgement.person_id))}
    built = audience_report.build(
        audience, acknowledged, lambda since, joined: due_on(document, chain, since, joined),
        None if scope.everything  # type: ignore[union-attr]
        else Person.organization_id.in_(scope.organization_ids))  # type: ignore[union-attr]
    return DocumentReport(**vars(built), document=document, chain=chain)


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
    counts = {}
    for document in wanted:
        audience = Audience.of(AudienceRule.from_json(document.audience), tree,
                               adopted.get(document.id))
        condition = audience.condition()
        if not scope.everything:
            condition = condition & Person.organization_id.in_(scope.organization_ids)
        counts[document.id] = (condition, select(Acknowledgement.id).where(
            Acknowledgement.person_id == Person.id,
            Acknowledgement.version_id.in_(Chain(chains[document.id]).valid_ids)).exists())
    return audience_report.rates_in_one_query(counts)


def csv_lines(result: DocumentReport) -> Iterator[str]:
    """The audience and their kvittenser as Swedish-Excel CSV."""
    return audience_report.csv_lines(result, {
        Status.DONE: _("Kvitterad"), Status.OVERDUE: _("Försenad"),
        Status.OPEN: _("Ej kvitterad")}, _("Kvitterad"), _("Version"))
