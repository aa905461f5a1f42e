"""The document library: what a person may read, found by title and text, and the
differences between two versions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Document, DocumentVersion, Person, Role
from app.services import Forbidden, NotFound, adoptions
from app.services.acknowledgements import Chain
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.classifications import add_months
from app.services.documents import version_headers
from app.services.system_access import CoordinatorScope
from app.text import fold, swedish_sort_key


@dataclass
class Reader:
    """Who is reading: the person, their roles and, for a coordinator, their scope."""

    person: Person
    roles: set[Role]
    scope: CoordinatorScope | None


def _may_read(reader: Reader, document: Document, audience: Audience) -> bool:
    org_id = reader.person.organization_id
    if reader.scope is not None and reader.scope.covers(document.organization_id):
        return True
    if org_id is not None and (org_id == document.organization_id
                               or org_id in audience.adopted_since):
        return True
    return audience.matches(reader.person, reader.roles)[0]


@dataclass
class LibraryEntry:
    """A published document the reader may open, with its current version."""

    document: Document
    chain: Chain

    @property
    def current(self) -> DocumentVersion:
        return self.chain.current


def library(reader: Reader, query: str = "", kind: str = "", organization_id: int | None = None,
            withdrawn: bool = False) -> list[LibraryEntry]:
    """Published documents the reader may read, filtered, in Swedish title order."""
    statement = select(Document).options(joinedload(Document.organization))
    statement = statement.where(Document.withdrawn_at.is_not(None) if withdrawn
                                else Document.withdrawn_at.is_(None))
    for word in fold(query).split():
        statement = statement.where(Document.search_text.contains(word, autoescape=True))
    if kind:
        statement = statement.where(Document.kind == kind)
    if organization_id:
        statement = statement.where(Document.organization_id == organization_id)
    documents = list(db.session.scalars(statement))
    ids = [d.id for d in documents]
    chains = version_headers(ids)
    adopted = adoptions.adopted_since(ids)
    tree = UnitTree.load()
    entries = [LibraryEntry(d, Chain(chains[d.id])) for d in documents if d.id in chains
               and _may_read(reader, d, Audience.of(AudienceRule.from_json(d.audience), tree,
                                                    adopted.get(d.id)))]
    entries.sort(key=lambda e: swedish_sort_key(e.document.title))
    return entries


def readable(reader: Reader, document: Document) -> Chain | None:
    """The document's published versions if the reader may read it; 403 if not.

    A document with no published version yet is only its managers' draft (None).
    """
    adopted = adoptions.adopted_since([document.id]).get(document.id, {})
    audience = Audience.of(AudienceRule.from_json(document.audience), UnitTree.load(), adopted)
    if not _may_read(reader, document, audience):
        raise Forbidden(_("Du får inte läsa det här dokumentet."))
    chains = version_headers([document.id])
    return Chain(chains[document.id]) if document.id in chains else None


def version(document: Document, version_id: int) -> DocumentVersion:
    """One published version of the document, with its text."""
    found = db.session.get(DocumentVersion, version_id)
    if found is None or found.document_id != document.id or not found.is_published:
        raise NotFound(_("Versionen finns inte."))
    return found


@dataclass
class DiffLine:
    """A line of a comparison: kept, removed (only in the older) or added (only in the newer)."""

    change: str
    text: str


def diff(older: DocumentVersion, newer: DocumentVersion, context: int = 3) -> list[list[DiffLine]]:
    """The changed passages between two versions' texts, each with a few lines around it."""
    a, b = older.body.splitlines(), newer.body.splitlines()
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", line) for line in a[i1:i2]]
                continue
            lines += [DiffLine("removed", line) for line in a[i1:i2]]
            lines += [DiffLine("added", line) for line in b[j1:j2]]
        hunks.append(lines)
    return hunks


def review_due_on(document: Document, chain: Chain) -> date | None:
    """When the document is next due for review: its interval after the current decision."""
    current = chain.current
    start = current.decision_date or current.valid_from
    if start is None:
        return None
    return add_months(start, document.review_interval_months)
