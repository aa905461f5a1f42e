"""Risk analyses of a system: method, participants, summary, risks on a 4×4 matrix, and
the owner's approval. Risks can be added until the analysis is approved; after that it is
a record, and a new analysis is the way to revise it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.clock import utcnow
from app.extensions import db
from app.models import InformationSystem, Person, Risk, RiskAnalysis
from app.services import DomainError, Forbidden, NotFound, audit, checks

SCALE = (1, 2, 3, 4)


def risk_level(value: int) -> str:
    """The band of a risk value (likelihood × consequence): low, medium, high, critical."""
    if value >= 12:
        return "critical"
    if value >= 8:
        return "high"
    if value >= 4:
        return "medium"
    return "low"


def level_label(band: str) -> str:
    return {"low": _("Låg"), "medium": _("Medel"), "high": _("Hög"),
            "critical": _("Mycket hög")}[band]


@dataclass
class MatrixCell:
    likelihood: int
    consequence: int
    risks: list[Risk] = field(default_factory=list)

    @property
    def value(self) -> int:
        return self.likelihood * self.consequence

    @property
    def band(self) -> str:
        return risk_level(self.value)


def matrix(risks: list[Risk]) -> list[list[MatrixCell]]:
    """Rows from likelihood 4 down to 1, columns consequence 1 to 4, each with its risks."""
    cells = {(l_, c): MatrixCell(l_, c) for l_ in SCALE for c in SCALE}
    for risk in risks:
        cells[(risk.likelihood, risk.consequence)].risks.append(risk)
    return [[cells[(l_, c)] for c in SCALE] for l_ in reversed(SCALE)]


def _links(value: str) -> list[str]:
    links = checks.lines(value.replace(",", "\n").replace(";", "\n")) if value else []
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 1000:
            raise DomainError(_("Länken %(link)s är inte en webbadress (https://…).", link=link),
                              field="links")
    if len(links) > 20:
        raise DomainError(_("Ange högst 20 länkar."), field="links")
    return links


@dataclass
class AnalysisInput:
    performed_on: date | None
    method: str
    participants: str
    summary: str = ""
    links: str = ""


def record(actor: Person, system: InformationSystem, values: AnalysisInput) -> RiskAnalysis:
    """Record a risk analysis; its risks are added one by one."""
    analysis = RiskAnalysis(
        system_id=system.id,
        performed_on=checks.past_date(values.performed_on, "performed_on",
                                      _("datum för analysen")),
        method=checks.text(values.method, "method", 200, _("metod"), required=True),
        participants=checks.participants(values.participants),
        summary=checks.text(values.summary, "summary", 10000, _("sammanfattning")),
        links=_links(values.links), recorded_at=utcnow(), recorded_by_id=actor.id)
    db.session.add(analysis)
    db.session.flush()
    audit.record(actor, "risk_analysis.recorded", "system", system.id, {
        "risk_analysis_id": analysis.id, "method": analysis.method,
        "performed_on": analysis.performed_on.isoformat()})
    return analysis


def get(system: InformationSystem, analysis_id: int) -> RiskAnalysis:
    """One of the system's risk analyses, or NotFound."""
    analysis = db.session.get(RiskAnalysis, analysis_id)
    if analysis is None or analysis.system_id != system.id:
        raise NotFound(_("Riskanalysen finns inte."))
    return analysis


def add_risk(actor: Person, system: InformationSystem, analysis: RiskAnalysis,
             description: str, likelihood: object, consequence: object) -> Risk:
    """Add an identified risk to an analysis that is not yet approved."""
    if analysis.approved_at is not None:
        raise DomainError(_("Riskanalysen är godkänd och kan inte ändras. Registrera en ny "
                            "analys för att revidera den."))
    risk = Risk(analysis_id=analysis.id,
                description=checks.text(description, "description", 2000,
                                        _("beskrivning av risken"), required=True),
                likelihood=checks.level(likelihood, "likelihood", _("sannolikhet"), 1, 4),
                consequence=checks.level(consequence, "consequence", _("konsekvens"), 1, 4))
    db.session.add(risk)
    db.session.flush()
    audit.record(actor, "risk.added", "system", system.id, {
        "risk_analysis_id": analysis.id, "risk_id": risk.id, "likelihood": risk.likelihood,
        "consequence": risk.consequence, "value": risk.value})
    return risk


def approve(actor: Person, system: InformationSystem, analysis: RiskAnalysis,
            approved_on: date | None) -> RiskAnalysis:
    """The owner's decision to approve a risk analysis."""
    if system.owner_id != actor.id:
        raise Forbidden(_("Bara systemägaren kan godkänna riskanalysen."))
    if analysis.approved_at is not None:
        raise DomainError(_("Riskanalysen är redan godkänd."))
    decided = checks.past_date(approved_on, "approved_on", _("beslutsdatum"))
    if decided < analysis.performed_on:
        raise DomainError(_("Beslutsdatum kan inte ligga före analysens datum."),
                          field="approved_on")
    analysis.approved_on = decided
    analysis.approved_at = utcnow()
    analysis.approved_by_id = actor.id
    db.session.flush()
    audit.record(actor, "risk_analysis.approved", "system", system.id, {
        "risk_analysis_id": analysis.id, "approved_on": decided.isoformat()})
    return analysis


def of_system(system: InformationSystem) -> list[RiskAnalysis]:
    """The system's risk analyses, newest first, with their risks."""
    return list(db.session.scalars(select(RiskAnalysis).options(
        selectinload(RiskAnalysis.risks), joinedload(RiskAnalysis.approved_by))
        .where(RiskAnalysis.system_id == system.id).order_by(RiskAnalysis.id.desc())))
