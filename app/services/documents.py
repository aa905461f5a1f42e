"""Governing documents: create, set the audience, write a draft, publish it frozen, withdraw.

Only a coordinator whose scope covers the document's organization manages it. A version
is a draft until published; publishing gives it its place in the order of versions and
the SHA-256 of its text, and the database refuses any later change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from app.clock import utcnow
from app.extensions import db
from app.models import ChangeKind, Document, DocumentVersion, Organization, Person
from app.services import DomainError, Forbidden, NotFound, audit, checks, people
from app.services.audience import AudienceRule
from app.services.markdown_render import sha256_of
from app.services.system_access import CoordinatorScope
from app.text import fold

MAX_BODY = 200_000
VERSION_NUMBER = re.compile(r"^\d{1,4}(\.\d{1,4})?$")


def kind_labels() -> dict[str, str]:
    """The kinds of governing documents, built in and added by PORTAL_DOCUMENT_KINDS."""
    labels = {
        "policy": _("Policy"),
        "guideline": _("Riktlinje"),
        "application_instruction": _("Tillämpningsanvisning"),
        "instruction": _("Instruktion"),
        "routine": _("Rutin"),
    }
    labels.update(current_app.config.get("DOCUMENT_KINDS", {}))
    return labels


def change_kind_label(kind: ChangeKind) -> str:
    return _("Större ändring") if kind == ChangeKind.MAJOR else _("Redaktionell ändring")


@dataclass
class DocumentFields:
    """What the coordinator sets about a document (not its text)."""

    title: str
    kind: str
    organization_id: int | None
    responsible: str
    requires_acknowledgement: bool
    review_interval_months: int | None
    acknowledgement_days: int | None
    audience: AudienceRule


@dataclass
class DraftFields:
    """A draft version's text and the decision behind it."""

    number: str
    body: str
    change_kind: str
    change_summary: str
    decided_by: str
    decision_date: date | None
    reference: str
    valid_from: date | None


def get(document_id: int) -> Document:
    document = db.session.scalar(select(Document).options(
        joinedload(Document.organization), joinedload(Document.responsible)).where(
        Document.id == document_id))
    if document is None:
        raise NotFound(_("Dokumentet finns inte."))
    return document


def require_manager(scope: CoordinatorScope | None, document: Document) -> None:
    """Only a coordinator whose scope covers the document's organization changes it."""
    if scope is None or not scope.covers(document.organization_id):
        raise Forbidden(_("Du får inte ändra det här dokumentet."))


def _whole(value: int | None, field: str, label: str, low: int, high: int) -> int:
    if value is None or not low <= value <= high:
        raise DomainError(_("%(label)s ska vara ett heltal från %(low)d till %(high)d.",
                            label=label, low=low, high=high), field=field)
    return value


def _apply_fields(document: Document, fields: DocumentFields, scope: CoordinatorScope) -> None:
    document.title = checks.text(fields.title, "title", 300, _("titel"), required=True)
    if fields.kind not in kind_labels():
        raise DomainError(_("Välj en dokumenttyp."), field="kind")
    document.kind = fields.kind
    organization = db.session.get(Organization, fields.organization_id or 0)
    if organization is None:
        raise DomainError(_("Välj en organisation."), field="organization_id")
    if not scope.covers(organization.id):
        raise Forbidden(_("Du får inte ändra den organisationens dokument."))
    document.organization_id = organization.id
    responsible = fields.responsible.strip()
    document.responsible_id = (people.resolve_person(responsible, "responsible").id
                               if responsible else None)
    document.requires_acknowledgement = fields.requires_acknowledgement
    document.review_interval_months = _whole(fields.review_interval_months,
                                             "review_interval_months",
                                             _("Intervallet för översyn"), 1, 60)
    document.acknowledgement_days = _whole(fields.acknowledgement_days, "acknowledgement_days",
                                           _("Tiden för kvittens"), 1, 365)
    document.audience = fields.audience.to_json()


def create(actor: Person, fields: DocumentFields, scope: CoordinatorScope | None) -> Document:
    """A new document with an empty first draft (version 1) to write its text in."""
    if scope is None:
        raise Forbidden(_("Bara informationssäkerhetssamordnaren skapar styrdokument."))
    now = utcnow()
    document = Document(created_at=now, created_by_id=actor.id, withdrawal_reason="",
                        search_text="")
    _apply_fields(document, fields, scope)
    document.search_text = fold(document.title)
    db.session.add(document)
    db.session.flush()
    db.session.add(DocumentVersion(document_id=document.id, number="1", body="",
                                   change_kind=ChangeKind.MAJOR, created_at=now,
                                   updated_at=now, created_by_id=actor.id))
    audit.record(actor, "document.created", "document", document.id,
                 {"title": document.title, "kind": document.kind,
                  "audience": document.audience})
    return document


def update_settings(actor: Person, document: Document, fields: DocumentFields,
                    scope: CoordinatorScope | None) -> Document:
    """Change title, kind, owner, audience and periods; the versions stay as they are."""
    require_manager(scope, document)
    before = {"title": document.title, "audience": document.audience}
    _apply_fields(document, fields, scope)  # type: ignore[arg-type]
    current = db.session.scalar(select(DocumentVersion.body).where(
        DocumentVersion.document_id == document.id, DocumentVersion.sequence.is_not(None))
        .order_by(DocumentVersion.sequence.desc()).limit(1))
    document.search_text = fold(f"{document.title} {current or ''}")
    audit.record(actor, "document.settings_changed", "document", document.id,
                 {"before": before, "after": {"title": document.title,
                                              "audience": document.audience}})
    return document


def published(document: Document) -> list[DocumentVersion]:
    """The document's published versions, oldest first."""
    return list(db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.sequence.is_not(None))
        .order_by(DocumentVersion.sequence)))


def draft_of(document: Document) -> DocumentVersion | None:
    """The version being written, if any (there is at most one)."""
    return db.session.scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.published_at.is_(None)))


def number_key(number: str) -> tuple[int, int]:
    major, _sep, minor = number.partition(".")
    return int(major), int(minor or 0)


def suggested_number(latest: str | None, change_kind: ChangeKind) -> str:
    """The next version number: 3 → 4 for a major change, 3 → 3.1 for an editorial one."""
    if latest is None:
        return "1"
    major, minor = number_key(latest)
    return str(major + 1) if change_kind == ChangeKind.MAJOR else f"{major}.{minor + 1}"


def start_draft(actor: Person, document: Document, scope: CoordinatorScope | None
                ) -> DocumentVersion:
    """A new draft starting from the current text, or the draft already being written."""
    require_manager(scope, document)
    if document.withdrawn_at is not None:
        raise DomainError(_("Dokumentet är upphävt och kan inte få nya versioner."))
    existing = draft_of(document)
    if existing is not None:
        return existing
    versions = published(document)
    latest = versions[-1] if versions else None
    now = utcnow()
    draft = DocumentVersion(
        document_id=document.id, body=latest.body if latest else "",
        number=suggested_number(latest.number if latest else None, ChangeKind.MAJOR),
        change_kind=ChangeKind.MAJOR, decided_by=latest.decided_by if latest else "",
        created_at=now, updated_at=now, created_by_id=actor.id)
    db.session.add(draft)
    db.session.flush()
    audit.record(actor, "document.draft_started", "document_version", draft.id,
                 {"document_id": document.id})
    return draft


def _check_number(document: Document, number: str, draft: DocumentVersion) -> str:
    number = number.strip()
    if not VERSION_NUMBER.match(number):
        raise DomainError(_("Ange versionsnumret som 3 eller 3.1."), field="number")
    latest = db.session.scalar(select(DocumentVersion.number).where(
        DocumentVersion.document_id == document.id, DocumentVersion.sequence.is_not(None),
        DocumentVersion.id != draft.id).order_by(DocumentVersion.sequence.desc()).limit(1))
    if latest is not None and number_key(number) <= number_key(latest):
        raise DomainError(_("Versionsnumret måste vara högre än den gällande versionens "
                            "(%(latest)s).", latest=latest), field="number")
    return number


def save_draft(actor: Person, document: Document, draft: DocumentVersion, fields: DraftFields,
               scope: CoordinatorScope | None) -> DocumentVersion:
    """Keep the draft's text and decision details; a draft may still be incomplete."""
    require_manager(scope, document)
    if draft.is_published or draft.document_id != document.id:
        raise DomainError(_("Versionen är redan publicerad och kan inte ändras."))
    if len(fields.body) > MAX_BODY:
        raise DomainError(_("Texten får vara högst %(max)s tecken; den är %(length)s.",
                            max=f"{MAX_BODY:,}".replace(",", "\u00a0"),
                            length=f"{len(fields.body):,}".replace(",", "\u00a0")),
                          field="body")
    try:
        # The first version has nothing to differ from: it is always major.
        change_kind = (ChangeKind(fields.change_kind) if published(document)
                       else ChangeKind.MAJOR)
    except ValueError:
        raise DomainError(_("Välj om ändringen är större eller redaktionell."),
                          field="change_kind") from None
    # Every value is checked before any is kept, so a refusal leaves the draft as it was.
    values = {
        "number": _check_number(document, fields.number, draft),
        "body": fields.body,
        "change_kind": change_kind,
        "change_summary": checks.text(fields.change_summary, "change_summary", 2000,
                                      _("sammanfattning av ändringen")),
        "decided_by": checks.text(fields.decided_by, "decided_by", 200, _("beslutat av")),
        "decision_date": (checks.past_date(fields.decision_date, "decision_date",
                                           _("beslutsdatum")) if fields.decision_date else None),
        "reference": checks.text(fields.reference, "reference", 100, _("diarienummer")),
        "valid_from": fields.valid_from,
    }
    for name, value in values.items():
        setattr(draft, name, value)
    draft.updated_at = utcnow()
    audit.record(actor, "document.draft_saved", "document_version", draft.id,
                 {"document_id": document.id, "number": draft.number,
                  "sha256": sha256_of(draft.body)})
    return draft


def publish(actor: Person, document: Document, draft: DocumentVersion,
            scope: CoordinatorScope | None) -> DocumentVersion:
    """Freeze the draft as the document's current version."""
    require_manager(scope, document)
    if document.withdrawn_at is not None:
        raise DomainError(_("Dokumentet är upphävt och kan inte publiceras."))
    if draft.is_published or draft.document_id != document.id:
        raise DomainError(_("Versionen är redan publicerad."))
    versions = published(document)
    _check_number(document, draft.number, draft)
    if not draft.body.strip():
        raise DomainError(_("Skriv dokumentets text innan du publicerar."), field="body")
    checks.text(draft.decided_by, "decided_by", 200, _("beslutat av"), required=True)
    checks.past_date(draft.decision_date, "decision_date", _("beslutsdatum"))
    if draft.valid_from is None:
        draft.valid_from = draft.decision_date
    if not versions:
        draft.change_kind = ChangeKind.MAJOR
    elif not draft.change_summary:
        raise DomainError(_("Beskriv vad som ändrats sedan förra versionen."),
                          field="change_summary")
    draft.sequence = len(versions) + 1
    draft.sha256 = sha256_of(draft.body)
    draft.published_at = utcnow()
    draft.published_by_id = actor.id
    document.search_text = fold(f"{document.title} {draft.body}")
    audit.record(actor, "document.published", "document_version", draft.id,
                 {"document_id": document.id, "number": draft.number,
                  "change_kind": draft.change_kind.value, "sha256": draft.sha256,
                  "reference": draft.reference})
    return draft


def withdraw(actor: Person, document: Document, reason: str,
             scope: CoordinatorScope | None) -> Document:
    """Take the document out of force: it stays in the archive, nobody is asked any more."""
    require_manager(scope, document)
    if document.withdrawn_at is not None:
        raise DomainError(_("Dokumentet är redan upphävt."))
    document.withdrawal_reason = checks.text(reason, "reason", 2000, _("skäl"), required=True)
    document.withdrawn_at = utcnow()
    document.withdrawn_by_id = actor.id
    audit.record(actor, "document.withdrawn", "document", document.id,
                 {"reason": document.withdrawal_reason})
    return document


def version_headers(document_ids: list[int] | None = None) -> dict[int, list[DocumentVersion]]:
    """Published versions per document, oldest first, without their (long) texts."""
    query = select(DocumentVersion).options(defer(DocumentVersion.body)).where(
        DocumentVersion.sequence.is_not(None)).order_by(DocumentVersion.document_id,
                                                       DocumentVersion.sequence)
    if document_ids is not None:
        query = query.where(DocumentVersion.document_id.in_(document_ids))
    chains: dict[int, list[DocumentVersion]] = {}
    for version in db.session.scalars(query):
        chains.setdefault(version.document_id, []).append(version)
    return chains

