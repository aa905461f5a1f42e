"""Reading and acknowledging: the document library, a document's page, the kvittens form
(in place with HTMX, or a plain post), and the comparison of two versions."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import faults, htmx
from app.blueprints.documents.forms import AcknowledgeForm
from app.blueprints.documents.routes import bp
from app.extensions import db
from app.models import Document
from app.services import DomainError, Forbidden, NotFound, acknowledgements, documents, roles
from app.services.document_library import Reader, diff, library, readable, review_due_on, version
from app.services.markdown_render import render_cached
from app.services.system_access import scope_from_grants
from app.web import current_grants, current_roles, render


def reader() -> Reader:
    return Reader(current_user, current_roles(), scope_from_grants(current_grants()))


@bp.get("/dokument/")
@login_required
def library_page():
    """Every published document the person may read: search, kind, organization."""
    kind = request.args.get("typ", "")
    org = request.args.get("organisation", "")
    withdrawn = request.args.get("upphavda", "") == "1"
    query = request.args.get("q", "")[:200]
    kinds = documents.kind_labels()
    entries = library(reader(), query, kind if kind in kinds else "",
                      int(org) if org.isdigit() else None, withdrawn)
    tasks = {t.document.id: t for t in acknowledgements.tasks_for(current_user, current_roles())}
    return render("documents/library.html", "documents/_library_results.html", entries=entries,
                  tasks=tasks, kinds=kinds, organizations=roles.organizations(), q=query,
                  kind=kind, organization=org, withdrawn=withdrawn)


def _page_context(document: Document, version_id: int | None = None,
                  form: AcknowledgeForm | None = None, **extra: Any) -> dict[str, Any]:
    who = reader()
    chain = readable(who, document)
    if chain is None:
        raise NotFound(_("Dokumentet är inte publicerat ännu."))
    shown = version(document, version_id) if version_id else chain.current
    tasks = acknowledgements.tasks_for(current_user, current_roles())
    task = next((t for t in tasks if t.document.id == document.id), None)
    return {
        "document": document, "chain": chain, "shown": shown,
        "body": render_cached(shown.sha256 or "", shown.body), "task": task,
        "open_tasks": [t for t in tasks if not t.done],
        "form": form or AcknowledgeForm(formdata=None, version_id=chain.current.id),
        "kind_label": documents.kind_labels().get(document.kind, document.kind),
        "change_kind_label": documents.change_kind_label,
        "review_due_on": review_due_on(document, chain),
        "history": acknowledgements.acknowledgements_of(current_user, document),
        "manager": who.scope is not None and who.scope.covers(document.organization_id),
        **extra,
    }


@bp.get("/dokument/<int:document_id>")
@login_required
def show(document_id: int):
    """The document as its reader sees it, with the kvittens form at the bottom."""
    document = documents.get(document_id)
    version_id = request.args.get("version", "")
    return render("documents/show.html", **_page_context(
        document, int(version_id) if version_id.isdigit() else None))


def _acknowledge_refused(document: Document, form: AcknowledgeForm, message: str | None) -> Any:
    db.session.rollback()
    if message:
        form.form_errors.append(message)
    context = _page_context(document, form=form)
    if htmx.wants_fragment():
        return render_template("documents/_acknowledge.html", **context), 422
    return render("documents/show.html", status=422, **context)


@bp.post("/dokument/<int:document_id>/kvittera")
@login_required
def acknowledge(document_id: int):
    """"Jag har läst och förstått": the kvittens of the current version."""
    document = documents.get(document_id)
    # Every task once: this document's decides the rights, all of them make the answer's
    # list of what is left.
    tasks = acknowledgements.tasks_for(current_user, current_roles())
    task = next((t for t in tasks if t.document.id == document.id), None)
    # Rights before input: someone the document does not ask gets 403, not the form.
    if document.withdrawn_at is None and document.requires_acknowledgement and task is None:
        raise Forbidden(_("Dokumentet gäller inte dig, så du kan inte kvittera det."))
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _acknowledge_refused(document, form, None)
    if not form.confirm.data:
        form.confirm.errors = [_("Kryssa i att du har läst och förstått dokumentet.")]
        return _acknowledge_refused(document, form, None)
    version_id = form.version_id.data or ""
    try:
        ack = acknowledgements.acknowledge(current_user, current_roles(), document,
                                           int(version_id) if version_id.isdigit() else None,
                                           task)
    except (Forbidden, NotFound):
        raise
    except DomainError as error:
        return _acknowledge_refused(document, form, error.message)
    message = _("Tack! Din kvittens av %(title)s är sparad.", title=document.title)
    # The answer is rendered before the commit, from what this request already read:
    # after it every loaded row would be expired and read again, one query each. A commit
    # that fails still answers with the error page, never with this confirmation.
    answer = _acknowledged(document, tasks, task, ack, message) \
        if htmx.wants_fragment() else None
    db.session.flush()  # kvittens and audit event both in the open transaction at the pause
    faults.pause_point("acknowledgement.before_commit")
    db.session.commit()
    if answer is not None:
        return answer
    flash(message, "info")
    return htmx.redirect(url_for("documents.show", document_id=document.id) + "#kvittens")


def _acknowledged(document: Document, tasks: list[acknowledgements.DocumentTask],
                  task: acknowledgements.DocumentTask | None, ack: Any, message: str) -> str:
    """The kvittens section now confirmed, what is left to acknowledge and the message."""
    if task is None:  # only for a document that asks nobody, which acknowledge() refuses
        return render_template("documents/_acknowledge_response.html", message=message,
                               just_acknowledged=ack, **_page_context(document))
    chain = task.chain
    return render_template(
        "documents/_acknowledge_response.html", message=message, just_acknowledged=ack,
        document=document, task=task, chain=chain, shown=chain.current,
        open_tasks=[t for t in tasks if not t.done],
        form=AcknowledgeForm(formdata=None, version_id=chain.current.id),
        history=acknowledgements.acknowledgements_of(current_user, document))


@bp.get("/dokument/<int:document_id>/jamfor")
@login_required
def compare(document_id: int):
    """What changed between two versions, line by line."""
    document = documents.get(document_id)
    chain = readable(reader(), document)
    if chain is None or len(chain.versions) < 2:
        raise NotFound(_("Dokumentet har bara en version."))
    ids = [v.id for v in chain.versions]
    wanted_from, wanted_to = request.args.get("fran", ""), request.args.get("till", "")
    newer_id = int(wanted_to) if wanted_to.isdigit() and int(wanted_to) in ids else ids[-1]
    older_default = ids[max(ids.index(newer_id) - 1, 0)]
    older_id = int(wanted_from) if wanted_from.isdigit() and int(wanted_from) in ids \
        else older_default
    older, newer = version(document, older_id), version(document, newer_id)
    return render("documents/compare.html", document=document, chain=chain, older=older,
                  newer=newer, hunks=diff(older, newer))

