"""Acknowledgements (kvittenser): what each person must acknowledge, and the proof.

What counts as acknowledged is a kvittens of the latest major version or of any
editorial version after it. A due date runs from the major version's publication, or
from when the person came into the audience (joined the portal, or their company adopted
the document), plus the document's acknowledgement period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.clock import local_time, today, utcnow
from app.extensions import db
from app.models import Acknowledgement, ChangeKind, Document, DocumentVersion, Person, Role
from app.services import DomainError, Forbidden, NotFound, adoptions, audit
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.documents import version_headers


@dataclass
class Chain:
    """A document's published versions, oldest first, and which of them count."""

    versions: list[DocumentVersion]

    @property
    def current(self) -> DocumentVersion:
        return self.versions[-1]

    @property
    def base(self) -> DocumentVersion:
        """The latest major version: everyone acknowledges it or an editorial one after."""
        return next(v for v in reversed(self.versions) if v.change_kind == ChangeKind.MAJOR
                    or v.sequence == 1)

    @property
    def valid_ids(self) -> set[int]:
        base = self.base.sequence or 0
        return {v.id for v in self.versions if (v.sequence or 0) >= base}


def due_on(document: Document, chain: Chain, since: date | None, joined: date | None) -> date:
    """When the person should have acknowledged the version that counts."""
    start = local_time(chain.base.published_at).date()  # type: ignore[arg-type]
    for later in (since, joined):
        if later is not None and later > start:
            start = later
    return start + timedelta(days=document.acknowledgement_days)


@dataclass
class DocumentTask:
    """One document a person must acknowledge, with their kvittens if they gave one."""

    document: Document
    chain: Chain
    due_on: date
    acknowledgement: Acknowledgement | None

    @property
    def done(self) -> bool:
        return self.acknowledgement is not None

    @property
    def overdue(self) -> bool:
        return not self.done and self.due_on < today()


def _joined(person: Person) -> date | None:
    return local_time(person.created_at).date() if person.created_at else None


def live_documents() -> list[Document]:
    """Documents in force that ask for acknowledgement."""
    return list(db.session.scalars(select(Document).where(
        Document.withdrawn_at.is_(None), Document.requires_acknowledgement.is_(True))))


def tasks_for(person: Person, roles: set[Role], documents: list[Document] | None = None
              ) -> list[DocumentTask]:
    """Every document the person must acknowledge, newest version first, in five queries."""
    documents = live_documents() if documents is None else documents
    ids = [d.id for d in documents]
    chains = version_headers(ids)
    adopted = adoptions.adopted_since(ids)
    tree = UnitTree.load()
    given: dict[int, Acknowledgement] = {}
    for ack in db.session.scalars(select(Acknowledgement).where(
            Acknowledgement.person_id == person.id, Acknowledgement.document_id.in_(ids))
            .order_by(Acknowledgement.acknowledged_at)):
        given[ack.version_id] = ack
    tasks = []
    for document in documents:
        if document.id not in chains:
            continue
        chain = Chain(chains[document.id])
        audience = Audience.of(AudienceRule.from_json(document.audience), tree,
                               adopted.get(document.id))
        applies, since = audience.matches(person, roles)
        if not applies:
            continue
        valid = [given[v] for v in chain.valid_ids if v in given]
        tasks.append(DocumentTask(document, chain, due_on(document, chain, since, _joined(person)),
                                  max(valid, key=lambda a: a.acknowledged_at, default=None)))
    tasks.sort(key=lambda t: t.chain.current.published_at, reverse=True)
    return tasks


def task_for(person: Person, roles: set[Role], document: Document) -> DocumentTask | None:
    """The person's task for this document, or None when it does not ask them."""
    if document.withdrawn_at is not None or not document.requires_acknowledgement:
        return None
    tasks = tasks_for(person, roles, [document])
    return tasks[0] if tasks else None


def acknowledge(person: Person, roles: set[Role], document: Document, version_id: int | None,
                task: DocumentTask | None = None) -> Acknowledgement:
    """Record that the person read and understood the current version (once only).

    `task` is the person's task for the document when the caller already has it from
    `tasks_for` in this transaction (so it is not computed twice); it then carries the
    acknowledgement afterwards, for the answer to show.
    """
    if document.withdrawn_at is not None:
        raise DomainError(_("Dokumentet är upphävt och ska inte längre kvitteras."))
    if not document.requires_acknowledgement:
        raise DomainError(_("Dokumentet behöver inte kvitteras."))
    if task is None or task.document.id != document.id:
        task = task_for(person, roles, document)
    if task is None:
        raise Forbidden(_("Dokumentet gäller inte dig, så du kan inte kvittera det."))
    version = db.session.get(DocumentVersion, version_id or 0)
    if version is None or version.document_id != document.id or not version.is_published:
        raise NotFound(_("Versionen finns inte."))
    if task.acknowledgement is not None:
        # Already acknowledged what counts (perhaps from a form left open in another tab).
        return task.acknowledgement
    current = task.chain.current
    if version.id != current.id:
        raise DomainError(_("Version %(old)s är ersatt av version %(new)s. Läs och kvittera "
                            "den gällande versionen.", old=version.number, new=current.number))
    ack = Acknowledgement(person_id=person.id, document_id=document.id, version_id=version.id,
                          content_sha256=version.sha256, acknowledged_at=utcnow(), method="web")
    try:
        with db.session.begin_nested():
            db.session.add(ack)
    except IntegrityError:
        # The same person acknowledged the same version in another tab a moment ago.
        task.acknowledgement = db.session.scalars(select(Acknowledgement).where(
            Acknowledgement.person_id == person.id,
            Acknowledgement.version_id == version.id)).one()
        return task.acknowledgement
    audit.record(person, "document.acknowledged", "document", document.id,
                 {"version": version.number, "version_id": version.id,
                  "sha256": version.sha256})
    task.acknowledgement = ack
    return ack


def acknowledgements_of(person: Person, document: Document) -> list[Acknowledgement]:
    """The person's kvittenser of every version of the document, newest first."""
    return list(db.session.scalars(select(Acknowledgement).where(
        Acknowledgement.person_id == person.id, Acknowledgement.document_id == document.id)
        .order_by(Acknowledgement.acknowledged_at.desc())))
