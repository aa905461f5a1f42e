"""Ledningens genomgång (ISO/IEC 27001 9.3) per year, of the group or one organization — for a
company, the board's report. The coordinator writes the texts of a draft, which shows the
figures as they are now; freezing stores `group_status.as_figures` of that moment, and from
then on a database trigger refuses any change or deletion, so next year's review compares
itself with exactly what this year's said.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.clock import today, utcnow
from app.extensions import db
from app.models import ManagementReview, Organization, OrganizationKind, Person, scope_key_of
from app.services import DomainError, Forbidden, NotFound, audit, checks, group_status, roles
from app.services.system_access import CoordinatorScope
from app.text import swedish_sort_key

MAX_TEXT = 20_000
MAX_INCIDENTS = 100_000
FIRST_YEAR = 2000
GROUP = "group"


class Frozen(DomainError):
    """The review is frozen and can no longer change (409)."""


@dataclass
class ReviewTexts:
    """What the coordinator writes; `incidents` as typed (empty or a whole number)."""

    previous_decisions: str = ""
    issue_changes: str = ""
    incidents: str = ""
    incidents_note: str = ""
    proposals: str = ""


def _text_labels() -> dict[str, str]:
    return {"previous_decisions": _("status för beslut från föregående genomgång"),
            "issue_changes": _("förändringar i externa och interna frågor"),
            "incidents_note": _("kommentar om incidenter"),
            "proposals": _("förslag till förbättringar")}


def figure_scope(review: ManagementReview) -> CoordinatorScope:
    """The scope the review's figures are computed over (not the viewer's)."""
    return CoordinatorScope.of(review.organization_id)


def may_see(scope: CoordinatorScope, organization_id: int | None) -> bool:
    """A group review only for a coordinator of everything; an organization's for its own."""
    return scope.everything if organization_id is None else scope.covers(organization_id)


def scope_label(review: ManagementReview) -> str:
    return _("Koncernen") if review.organization is None else review.organization.name


def scope_in_text(review: ManagementReview) -> str:
    """The scope inside a sentence: "för hela koncernen", "för Exempelby Energi AB"."""
    return _("hela koncernen") if review.organization is None else review.organization.name


def title_of(review: ManagementReview) -> str:
    return _("Ledningens genomgång %(year)d – %(scope)s", year=review.year,
             scope=scope_label(review))


def is_board_report(review: ManagementReview) -> bool:
    return review.organization is not None and \
        review.organization.kind == OrganizationKind.COMPANY


def file_name(review: ManagementReview) -> str:
    """`ledningens-genomgang-2026-koncernen.md`: ASCII, so every mail client keeps it."""
    folded = unicodedata.normalize("NFKD", scope_label(review).casefold())
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in folded).split()
    return f"ledningens-genomgang-{review.year}-{'-'.join(words) or 'organisation'}.md"


def listed(scope: CoordinatorScope) -> list[ManagementReview]:
    """Reviews the coordinator may see: newest year first, the group before organizations."""
    query = select(ManagementReview).options(joinedload(ManagementReview.organization),
                                             joinedload(ManagementReview.frozen_by))
    if not scope.everything:
        query = query.where(ManagementReview.organization_id.in_(scope.organization_ids))
    found = list(db.session.scalars(query))
    return sorted(found, key=lambda r: (-r.year, r.organization_id is not None,
                                        swedish_sort_key(scope_label(r))))


def scope_choices(scope: CoordinatorScope) -> list[tuple[str, str]]:
    """(value, label) of what the coordinator may start a review for."""
    choices = [(GROUP, _("Koncernen"))] if scope.everything else []
    return choices + [(scope_key_of(o.id), o.name) for o in roles.organizations()
                      if scope.covers(o.id)]


def parse_scope(value: str | None) -> int | None:
    """The organization id of a scope choice ("group" → None)."""
    value = (value or "").strip()
    if value == GROUP:
        return None
    number = value.removeprefix("org-")
    if value.startswith("org-") and number.isdigit():
        return int(number)
    raise DomainError(_("Välj koncernen eller en organisation."), field="scope")


def _year(value: object) -> int:
    last = today().year + 1
    try:
        year = int(str(value).strip())
    except ValueError:
        year = None
    if year is None or not FIRST_YEAR <= year <= last:
        raise DomainError(_("Ange ett årtal från %(first)d till %(last)d.",
                            first=FIRST_YEAR, last=last), field="year")
    return year


def create(actor: Person, scope: CoordinatorScope, year: int | str,
           organization_id: int | None) -> ManagementReview:
    """A draft review for the year and scope; one per year and scope."""
    organization = None
    if organization_id is None:
        if not scope.everything:
            raise Forbidden(_("Bara en samordnare för hela koncernen kan göra koncernens "
                              "genomgång."))
    else:
        organization = db.session.get(Organization, organization_id)
        if organization is None:
            raise NotFound(_("Organisationen finns inte."))
        if not scope.covers(organization_id):
            raise Forbidden(_("Du har inte behörighet till den organisationen."))
    year = _year(year)
    key = scope_key_of(organization_id)
    label = organization.name if organization is not None else _("hela koncernen")
    duplicate = DomainError(_("Ledningens genomgång %(year)d för %(scope)s finns redan.",
                              year=year, scope=label), field="scope")
    if db.session.scalar(select(ManagementReview.id).where(
            ManagementReview.year == year, ManagementReview.scope_key == key)) is not None:
        raise duplicate
    now = utcnow()
    review = ManagementReview(year=year, scope_key=key, organization=organization,
                              previous_decisions="", issue_changes="", incidents=None,
                              incidents_note="", proposals="", created_at=now,
                              created_by_id=actor.id, updated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        # Someone else started the same review a moment ago.
        raise duplicate from None
    audit.record(actor, "management_review.created", "management_review", review.id,
                 {"year": year, "scope": key})
    return review


def get(review_id: int, scope: CoordinatorScope) -> ManagementReview:
    """The review, if the coordinator's scope covers it (NotFound, Forbidden)."""
    review = db.session.scalar(select(ManagementReview).options(
        joinedload(ManagementReview.organization), joinedload(ManagementReview.frozen_by))
        .where(ManagementReview.id == review_id))
    if review is None:
        raise NotFound(_("Genomgången finns inte."))
    if not may_see(scope, review.organization_id):
        raise Forbidden(_("Du har inte behörighet till den här genomgången."))
    return review


def _frozen_error() -> Frozen:
    return Frozen(_("Genomgången är fastställd och kan inte längre ändras."))


def _incidents(value: str) -> int | None:
    value = (value or "").strip().replace(" ", "").replace("\u00a0", "")
    if not value:
        return None
    if not value.isdigit() or int(value) > MAX_INCIDENTS:
        raise DomainError(_("Antalet incidenter ska vara ett heltal från 0 till 100 000, "
                            "eller tomt."), field="incidents")
    return int(value)


def update_texts(actor: Person, review: ManagementReview, fields: ReviewTexts) -> None:
    """Save the texts and the number of incidents of a draft; every value is checked first."""
    if review.frozen_at is not None:
        raise _frozen_error()
    labels = _text_labels()
    values: dict[str, Any] = {name: checks.text(getattr(fields, name), name, MAX_TEXT, label)
                              for name, label in labels.items()}
    values["incidents"] = _incidents(fields.incidents)
    changed = sorted(name for name, value in values.items() if getattr(review, name) != value)
    # Only while still a draft: a freeze in another tab wins, and this save is refused.
    result = db.session.execute(
        update(ManagementReview)
        .where(ManagementReview.id == review.id, ManagementReview.frozen_at.is_(None))
        .values(**values, updated_at=utcnow()))
    if result.rowcount != 1:
        db.session.refresh(review)
        raise _frozen_error()
    audit.record(actor, "management_review.updated", "management_review", review.id,
                 {"year": review.year, "scope": review.scope_key, "fields": changed})


def freeze(actor: Person, review: ManagementReview, scope: CoordinatorScope) -> dict[str, Any]:
    """Compute the figures now and keep them with the time and who; the caller commits."""
    if not may_see(scope, review.organization_id):
        raise Forbidden(_("Du har inte behörighet till den här genomgången."))
    if review.frozen_at is not None:
        raise Frozen(_("Genomgången är redan fastställd."))
    figures = group_status.as_figures(group_status.build(figure_scope(review)))
    now = utcnow()
    result = db.session.execute(
        update(ManagementReview)
        .where(ManagementReview.id == review.id, ManagementReview.frozen_at.is_(None))
        .values(figures=figures, frozen_at=now, frozen_by_id=actor.id, updated_at=now))
    if result.rowcount != 1:
        raise Frozen(_("Genomgången är redan fastställd."))
    db.session.refresh(review)
    audit.record(actor, "management_review.frozen", "management_review", review.id,
                 {"year": review.year, "scope": review.scope_key})
    return figures


def previous(review: ManagementReview) -> ManagementReview | None:
    """Last year's frozen review of the same scope, if there is one."""
    return db.session.scalar(select(ManagementReview).where(
        ManagementReview.year == review.year - 1, ManagementReview.scope_key == review.scope_key,
        ManagementReview.frozen_at.is_not(None)))


def figures_of(review: ManagementReview) -> dict[str, Any]:
    """The frozen figures, or for a draft the figures as they are now."""
    if review.frozen_at is not None:
        return review.figures or {}
    return group_status.as_figures(group_status.build(figure_scope(review)))


def to_markdown(review: ManagementReview, figures: dict[str, Any],
                earlier: ManagementReview | None) -> str:
    """The report as Markdown (services.review_markdown)."""
    from app.services import review_markdown

    return review_markdown.to_markdown(review, figures, earlier)
