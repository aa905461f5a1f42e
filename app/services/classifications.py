"""KLASSA classifications: recorded by an administrator, approved by the system owner.

A classification is never edited: a correction or a review is a new classification, and
the latest recorded one is the system's current classification. An unapproved current
classification counts as "klassad, ej godkänd".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.clock import utcnow
from app.extensions import db
from app.models import Classification, InformationSystem, Person
from app.models.systems import ASPECTS
from app.services import DomainError, Forbidden, NotFound, audit, checks


def aspect_labels() -> dict[str, str]:
    """The four KLASSA aspects in their Swedish names and order."""
    return {"confidentiality": _("Konfidentialitet"), "integrity": _("Riktighet"),
            "availability": _("Tillgänglighet"), "traceability": _("Spårbarhet")}


def level_labels() -> list[str]:
    """Names of levels 0–4: configured (PORTAL_KLASSA_LEVEL_LABELS) or KLASSA's own."""
    return current_app.config.get("KLASSA_LEVEL_LABELS") or [
        _("Ingen/försumbar"), _("Måttlig"), _("Betydande"), _("Allvarlig"),
        _("Synnerligen allvarlig")]


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def review_due_on(approved_on: date | None) -> date | None:
    """When an approved classification is due for review (PORTAL_CLASSIFICATION_REVIEW_MONTHS)."""
    if approved_on is None:
        return None
    return add_months(approved_on, current_app.config.get("CLASSIFICATION_REVIEW_MONTHS", 12))


def needs_separate_analysis(levels: dict[str, int] | tuple[int, ...]) -> bool:
    """Level 4 anywhere: KLASSA's requirement catalogue does not cover it."""
    values = levels.values() if isinstance(levels, dict) else levels
    return any(value == 4 for value in values)


@dataclass
class ClassificationInput:
    """A classification as filled in: levels as given, participants one per line."""

    classified_on: date | None
    klassa_version: str
    participants: str
    levels: dict[str, object]
    notes: str = ""


def record(actor: Person, system: InformationSystem,
           values: ClassificationInput) -> Classification:
    """Record a classification for the system; it becomes the current one."""
    labels = aspect_labels()
    levels = {aspect: checks.level(values.levels.get(aspect), aspect, labels[aspect], 0, 4)
              for aspect in ASPECTS}
    classification = Classification(
        system_id=system.id,
        classified_on=checks.past_date(values.classified_on, "classified_on",
                                       _("datum för klassningen")),
        klassa_version=checks.text(values.klassa_version, "klassa_version", 50,
                                   _("KLASSA-version")),
        participants=checks.participants(values.participants),
        notes=checks.text(values.notes, "notes", 5000, _("kommentar")),
        recorded_at=utcnow(), recorded_by_id=actor.id, **levels)
    db.session.add(classification)
    db.session.flush()
    audit.record(actor, "classification.recorded", "system", system.id, {
        "classification_id": classification.id, **levels,
        "classified_on": classification.classified_on.isoformat(),
        "participants": classification.participants})
    return classification


def get(system: InformationSystem, classification_id: int) -> Classification:
    """One of the system's classifications, or NotFound."""
    classification = db.session.get(Classification, classification_id)
    if classification is None or classification.system_id != system.id:
        raise NotFound(_("Klassningen finns inte."))
    return classification


def approve(actor: Person, system: InformationSystem, classification: Classification,
            approved_on: date | None) -> Classification:
    """The owner's decision to approve the system's current classification."""
    if system.owner_id != actor.id:
        raise Forbidden(_("Bara systemägaren kan godkänna klassningen."))
    if classification.approved_at is not None:
        raise DomainError(_("Klassningen är redan godkänd."))
    if classification.id != current(system).id:
        raise DomainError(_("En senare klassning har registrerats; godkänn den i stället."))
    decided = checks.past_date(approved_on, "approved_on", _("beslutsdatum"))
    if decided < classification.classified_on:
        raise DomainError(_("Beslutsdatum kan inte ligga före klassningens datum."),
                          field="approved_on")
    classification.approved_on = decided
    classification.approved_at = utcnow()
    classification.approved_by_id = actor.id
    db.session.flush()
    audit.record(actor, "classification.approved", "system", system.id, {
        "classification_id": classification.id, "approved_on": decided.isoformat()})
    return classification


def current(system: InformationSystem) -> Classification | None:
    """The latest recorded classification of the system."""
    return db.session.scalar(select(Classification).where(
        Classification.system_id == system.id).order_by(Classification.id.desc()).limit(1))


def history(system: InformationSystem) -> list[Classification]:
    """Every classification of the system, newest first, with who recorded and approved."""
    return list(db.session.scalars(select(Classification).options(
        joinedload(Classification.recorded_by), joinedload(Classification.approved_by))
        .where(Classification.system_id == system.id).order_by(Classification.id.desc())))
