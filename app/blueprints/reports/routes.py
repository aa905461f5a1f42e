"""Reports: the management review (ledningens genomgång) per year, for the group and for
each organization (a company's board report) — the list, the report with its draft texts,
freezing, and the Markdown export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField, TextAreaField

from app import htmx
from app.blueprints.systems.forms import DomainErrorForm
from app.clock import today, utcnow
from app.extensions import db
from app.models import ManagementReview, Role
from app.services import DomainError, Forbidden, NotFound, review_markdown
from app.services import management_reviews as reviews
from app.services.management_reviews import Frozen, ReviewTexts
from app.services.system_access import CoordinatorScope
from app.web import coordinator_scope, render, require_role

bp = Blueprint("reports", __name__, url_prefix="/rapporter")


class NewReviewForm(DomainErrorForm):
    """Which year and whose review to start; the service checks both again."""

    year = StringField(_l("År"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    scope = SelectField(_l("Omfattning"), validate_choice=False)


TEXT_AREA = {"rows": 10}


class ReviewForm(DomainErrorForm):
    """The texts the coordinator writes; the service checks every value."""

    previous_decisions = TextAreaField(_l("2 Status för beslut från föregående genomgång"),
                                       render_kw=TEXT_AREA)
    issue_changes = TextAreaField(_l("3 Förändringar i externa och interna frågor"),
                                  render_kw=TEXT_AREA)
    incidents = StringField(_l("4.8 Antal incidenter under året"),
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    incidents_note = TextAreaField(_l("4.8 Kommentar om incidenter"), render_kw={"rows": 4})
    proposals = TextAreaField(_l("5 Förslag till förbättringar"), render_kw=TEXT_AREA)

    def texts(self) -> ReviewTexts:
        return ReviewTexts(**{name: getattr(self, name).data or "" for name in (
            "previous_decisions", "issue_changes", "incidents", "incidents_note", "proposals")})


def _index_page(scope: CoordinatorScope, form: NewReviewForm, status: int = 200) -> Any:
    form.scope.choices = reviews.scope_choices(scope)
    return render("reports/index.html", reviews=reviews.listed(scope), form=form,
                  scope_label=reviews.scope_label, status=status)


@bp.get("/")
@require_role(Role.COORDINATOR)
def index():
    """The reviews in the coordinator's scope, and the form to start one."""
    scope = coordinator_scope()
    return _index_page(scope, NewReviewForm(formdata=None, data={"year": str(today().year)}))


@bp.post("/")
@require_role(Role.COORDINATOR)
def create():
    """Start a draft review for a year and the group or one organization."""
    scope = coordinator_scope()
    form = NewReviewForm()
    if not form.validate_on_submit():
        return _index_page(scope, form, 422)
    try:
        review = reviews.create(current_user, scope, form.year.data or "",
                                reviews.parse_scope(form.scope.data))
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, Forbidden | NotFound):
            raise
        form.add_error(error)
        return _index_page(scope, form, 422)
    db.session.commit()
    flash(_("%(title)s är påbörjad som utkast.", title=reviews.title_of(review)), "info")
    return htmx.redirect(url_for("reports.show", review_id=review.id))


def _report_page(review: ManagementReview, form: ReviewForm | None = None, status: int = 200,
                 error: str | None = None) -> Any:
    figures = reviews.figures_of(review)
    earlier = reviews.previous(review)
    if review.frozen_at is None and form is None:
        form = ReviewForm(formdata=None, obj=review, data={
            "incidents": "" if review.incidents is None else str(review.incidents)})
    return render("reports/show.html", review=review, figures=figures, earlier=earlier,
                  comparison=review_markdown.comparison(review, figures, earlier),
                  kinds=review_markdown.kind_rows(figures), rate=review_markdown.rate,
                  title=reviews.title_of(review), board=reviews.is_board_report(review),
                  scope_in_text=reviews.scope_in_text(review), computed_at=utcnow(), form=form,
                  error=error, status=status)


@bp.get("/<int:review_id>")
@require_role(Role.COORDINATOR)
def show(review_id: int):
    """The report: a draft with live figures and its text form, or the frozen record."""
    return _report_page(reviews.get(review_id, coordinator_scope()))


@bp.post("/<int:review_id>")
@require_role(Role.COORDINATOR)
def save(review_id: int):
    """Save the draft's texts and number of incidents."""
    review = reviews.get(review_id, coordinator_scope())
    form = ReviewForm()
    if not form.validate_on_submit():
        return _report_page(review, form, 400)
    try:
        reviews.update_texts(current_user, review, form.texts())
    except Frozen as error:
        db.session.rollback()
        return _report_page(review, None, 409, error.message)
    except DomainError as error:
        db.session.rollback()
        db.session.refresh(review)
        form.add_error(error)
        return _report_page(review, form, 422)
    db.session.commit()
    flash(_("Texterna är sparade."), "info")
    return htmx.redirect(url_for("reports.show", review_id=review.id))


@bp.post("/<int:review_id>/faststall")
@require_role(Role.COORDINATOR)
def freeze(review_id: int):
    """Freeze the review: the figures of this moment are kept, and nothing changes again."""
    scope = coordinator_scope()
    review = reviews.get(review_id, scope)
    try:
        reviews.freeze(current_user, review, scope)
    except Frozen as error:
        db.session.rollback()
        return _report_page(review, None, 409, error.message)
    db.session.commit()
    flash(_("%(title)s är fastställd.", title=reviews.title_of(review)), "info")
    return htmx.redirect(url_for("reports.show", review_id=review.id))


@bp.get("/<int:review_id>.md")
@require_role(Role.COORDINATOR)
def markdown(review_id: int):
    """The report as a Markdown file."""
    review = reviews.get(review_id, coordinator_scope())
    text = reviews.to_markdown(review, reviews.figures_of(review), reviews.previous(review))
    response = Response(text, content_type="text/markdown; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{reviews.file_name(review)}"'
    return response
