"""Following up: a document's acknowledgement status per organization and sector with who
has not acknowledged (and CSV), and the companies' adoptions of the group's documents."""

from __future__ import annotations

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import htmx
from app.blueprints.documents.forms import AdoptionForm
from app.blueprints.documents.routes import bp
from app.blueprints.follow_up import people_list
from app.clock import today
from app.extensions import db
from app.models import Organization, OrganizationKind, Role
from app.services import DomainError, Forbidden, adoptions, audit, document_status, documents
from app.web import coordinator_scope, render, require_role


@bp.get("/styrdokument/<int:document_id>/kvittenser")
@require_role(Role.COORDINATOR)
def report(document_id: int):
    """Who in the audience has acknowledged the current version, and who has not."""
    document = documents.get(document_id)
    result = document_status.report(document, coordinator_scope())
    return render("documents/report.html", report=result, kinds=documents.kind_labels(),
                  **people_list(result))


@bp.get("/styrdokument/<int:document_id>/kvittenser.csv")
@require_role(Role.COORDINATOR)
def report_csv(document_id: int):
    """The audience and their status as CSV; exporting names is itself logged."""
    document = documents.get(document_id)
    result = document_status.report(document, coordinator_scope())
    audit.record(current_user, "document.status_exported", "document", document.id,
                 {"people": len(result.members), "format": "csv"})
    db.session.commit()
    response = Response("".join(document_status.csv_lines(result)),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="kvittenser-{document.id}-{today().isoformat()}.csv"')
    return response


@bp.get("/styrdokument/antaganden")
@require_role(Role.COORDINATOR)
def adoption_overview():
    """For each company: which of the group's documents it has adopted, and which not."""
    return render("documents/adoptions.html", companies=adoptions.overview(coordinator_scope()),
                  kinds=documents.kind_labels())


@bp.route("/styrdokument/<int:document_id>/antaganden", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def adoption(document_id: int):
    """Record a company board's decision to adopt the document or to stop applying it."""
    document = documents.get(document_id)
    scope = coordinator_scope()
    companies = [o for o in db.session.query(Organization).filter(
        Organization.kind == OrganizationKind.COMPANY) if scope.covers(o.id)
        and o.id != document.organization_id]
    if not companies:
        raise Forbidden(_("Du registrerar inga beslut för något bolag."))
    form = AdoptionForm(data={"organization_id": request.args.get("bolag", "")}
                        if request.method == "GET" else None)
    form.organization_id.choices = [("", _("Välj…"))] + [(str(c.id), c.name)
                                                         for c in companies]
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            org = form.organization_id.data or ""
            try:
                decision = adoptions.record(
                    current_user, document, int(org) if org.isdigit() else None,
                    form.action.data or "", form.decided_by.data or "", form.decision_date.data,
                    form.reference.data or "", scope)
            except DomainError as error:
                db.session.rollback()
                if isinstance(error, Forbidden):
                    raise
                form.add_error(error)
            else:
                db.session.commit()
                flash(_("Beslutet för %(name)s är registrerat.",
                        name=decision.organization.name), "info")
                return htmx.redirect(url_for("documents.adoption_overview"))
    return render("documents/adoption.html", document=document, form=form,
                  history=adoptions.history(document), status=status)
