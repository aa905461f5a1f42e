"""Companies adopting the municipality's governing documents with their own decisions.

Each decision is a row: adopted (from its decision date, covering later versions too) or
ended. The latest decision per document and organization holds; the rows before it are
the history. An adopted document applies to the company's people as if it were theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    AdoptionAction,
    Document,
    DocumentAdoption,
    Organization,
    OrganizationKind,
    Person,
)
from app.services import DomainError, Forbidden, audit, checks
from app.services.system_access import CoordinatorScope
from app.text import swedish_sort_key


def _latest(document_ids: list[int] | None) -> dict[tuple[int, int], DocumentAdoption]:
    """The decision that holds per (document, organization): the latest by date, then id."""
    query = select(DocumentAdoption).order_by(DocumentAdoption.decision_date,
                                              DocumentAdoption.id)
    if document_ids is not None:
        query = query.where(DocumentAdoption.document_id.in_(document_ids))
    latest: dict[tuple[int, int], DocumentAdoption] = {}
    for decision in db.session.scalars(query):
        if decision.decision_date <= today():
            latest[(decision.document_id, decision.organization_id)] = decision
    return latest


def adopted_since(document_ids: list[int] | None = None) -> dict[int, dict[int, date]]:
    """Per document: the organizations whose adoption holds today, and since when.

    "Since" is the first adoption decision of the unbroken run that holds now, so a
    re-adoption of a new version does not restart the company's acknowledgement period.
    """
    query = select(DocumentAdoption).where(DocumentAdoption.decision_date <= today()).order_by(
        DocumentAdoption.decision_date, DocumentAdoption.id)
    if document_ids is not None:
        query = query.where(DocumentAdoption.document_id.in_(document_ids))
    since: dict[tuple[int, int], date | None] = {}
    for decision in db.session.scalars(query):
        key = (decision.document_id, decision.organization_id)
        if decision.action == AdoptionAction.ENDED:
            since[key] = None
        elif since.get(key) is None:
            since[key] = decision.decision_date
    result: dict[int, dict[int, date]] = {}
    for (document_id, organization_id), start in since.items():
        if start is not None:
            result.setdefault(document_id, {})[organization_id] = start
    return result


def record(actor: Person, document: Document, organization_id: int | None, action: str,
           decided_by: str, decision_date: date | None, reference: str,
           scope: CoordinatorScope | None) -> DocumentAdoption:
    """Record a company's decision to adopt the document, or to stop applying it; the
    decision names the version that was current when it was recorded."""
    organization = db.session.get(Organization, organization_id or 0)
    if organization is None:
        raise DomainError(_("Välj ett bolag."), field="organization_id")
    if scope is None or not scope.covers(organization.id):
        raise Forbidden(_("Du får inte registrera beslut för %(name)s.", name=organization.name))
    if organization.id == document.organization_id:
        raise DomainError(_("Dokumentet är %(name)s eget och behöver inte antas.",
                            name=organization.name), field="organization_id")
    if organization.kind != OrganizationKind.COMPANY:
        raise DomainError(_("Bara bolag antar kommunens styrdokument."), field="organization_id")
    try:
        kind = AdoptionAction(action)
    except ValueError:
        raise DomainError(_("Välj antagande eller upphörande."), field="action") from None
    if document.withdrawn_at is not None and kind == AdoptionAction.ADOPTED:
        raise DomainError(_("Dokumentet är upphävt och kan inte antas."))
    holds = _latest([document.id]).get((document.id, organization.id))
    if kind == AdoptionAction.ENDED and (holds is None or holds.action != AdoptionAction.ADOPTED):
        raise DomainError(_("%(name)s har inte antagit dokumentet.", name=organization.name),
                          field="action")
    decided_on = checks.past_date(decision_date, "decision_date", _("beslutsdatum"))
    if holds is not None and decided_on < holds.decision_date:
        # Decisions hold in date order; an earlier one would be silently overruled.
        raise DomainError(_("Beslutsdatumet kan inte ligga före bolagets senaste beslut om "
                            "dokumentet (%(date)s).", date=holds.decision_date.isoformat()),
                          field="decision_date")
    from app.services.documents import version_headers

    versions = version_headers([document.id]).get(document.id, [])
    decision = DocumentAdoption(
        document_id=document.id, organization_id=organization.id, action=kind,
        version_id=versions[-1].id if versions else None,
        decided_by=checks.text(decided_by, "decided_by", 200, _("beslutat av"), required=True),
        decision_date=decided_on,
        reference=checks.text(reference, "reference", 100, _("diarienummer")),
        recorded_at=utcnow(), recorded_by_id=actor.id)
    db.session.add(decision)
    db.session.flush()
    audit.record(actor, f"document.adoption_{kind.value}", "document", document.id,
                 {"organization": organization.name, "decided_by": decision.decided_by,
                  "decision_date": decision.decision_date.isoformat(),
                  "reference": decision.reference})
    return decision


def history(document: Document) -> list[DocumentAdoption]:
    """Every adoption decision about the document, newest first."""
    return list(db.session.scalars(select(DocumentAdoption).options(
        joinedload(DocumentAdoption.organization), joinedload(DocumentAdoption.version))
        .where(DocumentAdoption.document_id == document.id)
        .order_by(DocumentAdoption.decision_date.desc(), DocumentAdoption.id.desc())))


@dataclass
class CompanyAdoptions:
    """One company and, for each document it could adopt, the decision that holds."""

    organization: Organization
    rows: list[tuple[Document, DocumentAdoption | None]]

    @property
    def adopted_count(self) -> int:
        return sum(1 for _d, decision in self.rows
                   if decision is not None and decision.action == AdoptionAction.ADOPTED)


def overview(scope: CoordinatorScope) -> list[CompanyAdoptions]:
    """For each company in scope: every document of another organization in force, and
    whether the company adopted it — in three queries."""
    companies = [o for o in db.session.scalars(select(Organization).where(
        Organization.kind == OrganizationKind.COMPANY)) if scope.covers(o.id)]
    from app.services.documents import version_headers

    documents = list(db.session.scalars(select(Document).where(Document.withdrawn_at.is_(None))))
    published_ids = set(version_headers([d.id for d in documents]))
    documents = sorted((d for d in documents if d.id in published_ids),
                       key=lambda d: swedish_sort_key(d.title))
    latest = _latest([d.id for d in documents])
    return [CompanyAdoptions(company, [(d, latest.get((d.id, company.id))) for d in documents
                                      if d.organization_id != company.id])
            for company in sorted(companies, key=lambda o: swedish_sort_key(o.name))]
