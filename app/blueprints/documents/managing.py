"""The coordinator's side: the document list, creating a document and setting its
audience (with a live count), writing and publishing versions, withdrawing."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import htmx
from app.blueprints.documents.forms import (
    AudienceForm,
    DocumentForm,
    DraftForm,
    WithdrawForm,
    fill_choices,
    rule_form_data,
)
from app.blueprints.documents.routes import bp
from app.clock import today
from app.extensions import db
from app.models import ChangeKind, Document, Role
from app.services import (
    DomainError,
    Forbidden,
    adoptions,
    audience,
    document_status,
    documents,
)
from app.services.acknowledgements import Chain
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.document_library import review_due_on
from app.services.markdown_render import render
from app.services.system_access import CoordinatorScope
from app.web import coordinator_scope, require_role
from app.web import render as render_page


def _managed(document_id: int) -> tuple[Document, CoordinatorScope]:
    """The document, if the coordinator's scope covers it (404/403 before any input)."""
    document = documents.get(document_id)
    scope = coordinator_scope()
    documents.require_manager(scope, document)
    return document, scope


@bp.get("/styrdokument/")
@require_role(Role.COORDINATOR)
def manage():
    """The coordinator's documents: current version, drafts, review dates, withdrawn."""
    scope = coordinator_scope()
    rows = document_status.managed(scope)
    rates = document_status.rates([r.document for r in rows],
                                  {r.document.id: r.versions for r in rows if r.versions}, scope)
    return render_page("documents/manage.html", rows=rows, kinds=documents.kind_labels(),
                       today=today(), rates=rates,
                       review_due_on=lambda r: review_due_on(r.document, Chain(r.versions)))


def _audience_count(rule: AudienceRule, document: Document | None) -> int:
    adopted = adoptions.adopted_since([document.id]).get(document.id, {}) if document else {}
    return audience.count(Audience.of(rule, UnitTree.load(), adopted))


def _settings_page(form: DocumentForm, document: Document | None, status: int = 200) -> Any:
    try:
        matched = _audience_count(form.rule(), document)
    except DomainError:
        matched = None
    return render_page("documents/settings.html", form=form, document=document,
                       matched=matched, status=status)


def _save_settings(form: DocumentForm, scope: CoordinatorScope, document: Document | None
                   ) -> Any:
    if not form.validate_on_submit():
        return _settings_page(form, document, 422)
    try:
        if document is None:
            document = documents.create(current_user, form.fields(), scope)
            message = _("%(title)s är skapat. Skriv texten i utkastet och publicera.",
                        title=document.title)
            target = url_for("documents.draft", document_id=document.id)
        else:
            documents.update_settings(current_user, document, form.fields(), scope)
            message = _("Inställningarna för %(title)s är sparade.", title=document.title)
            target = url_for("documents.manage")
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, Forbidden):
            raise
        form.add_error(error)
        return _settings_page(form, document, 422)
    db.session.commit()
    flash(message, "info")
    return htmx.redirect(target)


@bp.route("/styrdokument/nytt", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def new():
    """Create a document: title, kind, owner, audience; its text follows in the draft."""
    scope = coordinator_scope()
    if request.method == "POST":
        form = DocumentForm()
        fill_choices(form, scope)
        return _save_settings(form, scope, None)
    form = DocumentForm(formdata=None, data={"responsible": current_user.username})
    fill_choices(form, scope)
    first = next((value for value, _label in form.organization_id.choices if value), "")
    form.organization_id.data = first
    form.organization_ids.data = [first] if first else []
    return _settings_page(form, None)


@bp.route("/styrdokument/<int:document_id>/installningar", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def settings(document_id: int):
    """Change a document's title, kind, owner, audience and periods."""
    document, scope = _managed(document_id)
    if request.method == "POST":
        form = DocumentForm()
        fill_choices(form, scope)
        return _save_settings(form, scope, document)
    form = DocumentForm(formdata=None, obj=document, data={
        "organization_id": str(document.organization_id),
        "responsible": document.responsible.username if document.responsible else "",
        **rule_form_data(AudienceRule.from_json(document.audience))})
    fill_choices(form, scope)
    return _settings_page(form, document)


@bp.get("/styrdokument/malgrupp")
@require_role(Role.COORDINATOR)
def audience_count():
    """How many active people the audience on the form matches right now (HTMX)."""
    scope = coordinator_scope()
    form = AudienceForm(formdata=request.args)
    fill_choices(form, scope)
    document_id = request.args.get("dokument", "")
    document = documents.get(int(document_id)) if document_id.isdigit() else None
    try:
        matched, error = _audience_count(form.rule(), document), None
    except DomainError as refused:
        matched, error = None, refused.message
    return render_template("_audience_count.html", matched=matched, error=error)


def _draft_page(document: Document, form: DraftForm | None, status: int = 200,
                preview: Any = None, withdraw_form: WithdrawForm | None = None) -> Any:
    draft = documents.draft_of(document)
    versions = documents.published(document)
    if form is None and draft is not None:
        form = DraftForm(formdata=None, obj=draft, data={"change_kind": draft.change_kind.value})
    return render_page("documents/draft.html", document=document, draft=draft, form=form,
                       versions=versions, preview=preview, status=status,
                       withdraw_form=withdraw_form or WithdrawForm(formdata=None),
                       suggested={kind.value: documents.suggested_number(
                           versions[-1].number if versions else None, kind)
                           for kind in ChangeKind})


@bp.get("/styrdokument/<int:document_id>/utkast")
@require_role(Role.COORDINATOR)
def draft(document_id: int):
    """The draft being written, or a button to start the next version."""
    document, _scope = _managed(document_id)
    return _draft_page(document, None)


@bp.post("/styrdokument/<int:document_id>/utkast/ny")
@require_role(Role.COORDINATOR)
def start_draft(document_id: int):
    """Start the next version from the current text."""
    document, scope = _managed(document_id)
    try:
        documents.start_draft(current_user, document, scope)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return htmx.redirect(url_for("documents.draft", document_id=document.id))
    db.session.commit()
    return htmx.redirect(url_for("documents.draft", document_id=document.id))


@bp.post("/styrdokument/<int:document_id>/utkast")
@require_role(Role.COORDINATOR)
def save_draft(document_id: int):
    """Save the draft, preview it (without JavaScript) or save and publish it."""
    document, scope = _managed(document_id)
    current = documents.draft_of(document)
    if current is None:
        abort(404)
    form = DraftForm()
    action = request.form.get("do", "save")
    if not form.validate_on_submit():
        return _draft_page(document, form, 422)
    if action == "preview":
        return _draft_page(document, form, preview=render(form.body.data or ""))
    try:
        documents.save_draft(current_user, document, current, form.fields(), scope)
        if action == "publish":
            documents.publish(current_user, document, current, scope)
    except DomainError as error:
        db.session.rollback()
        form.add_error(error)
        return _draft_page(document, form, 422)
    db.session.commit()
    if action == "publish":
        flash(_("Version %(number)s av %(title)s är publicerad.", number=current.number,
                title=document.title), "info")
        return htmx.redirect(url_for("documents.show", document_id=document.id))
    flash(_("Utkastet är sparat."), "info")
    return htmx.redirect(url_for("documents.draft", document_id=document.id))


@bp.post("/styrdokument/<int:document_id>/forhandsgranska")
@require_role(Role.COORDINATOR)
def preview(document_id: int):
    """The draft's text rendered as readers will see it (HTMX, nothing saved)."""
    _managed(document_id)
    body = request.form.get("body", "")
    return render_template("documents/_preview.html", preview=render(body),
                           too_long=len(body) > documents.MAX_BODY)


@bp.post("/styrdokument/<int:document_id>/upphav")
@require_role(Role.COORDINATOR)
def withdraw(document_id: int):
    """Withdraw the document: archived with its history, no longer acknowledged."""
    document, scope = _managed(document_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            documents.withdraw(current_user, document, form.reason.data or "", scope)
        except DomainError as error:
            db.session.rollback()
            form.add_error(error)
        else:
            db.session.commit()
            flash(_("%(title)s är upphävt.", title=document.title), "info")
            return htmx.redirect(url_for("documents.manage"))
    return _draft_page(document, None, 422, withdraw_form=form)
