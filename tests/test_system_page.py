"""A system's page: KLASSA classification, risk analyses and the action plan, recorded and
approved over HTTP by the people the system names, as plain posts and as HTMX fragments."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.clock import today
from app.extensions import db
from app.models import (
    ActionPlanItem,
    ActionStatus,
    ActionStatusChange,
    AuditEvent,
    Classification,
    InformationSystem,
    Person,
    Risk,
    RiskAnalysis,
    Role,
)
from tests.factories import (
    create_action_item,
    create_classification,
    create_person,
    create_risk_analysis,
    create_system,
    grant,
)
from tests.helpers import post_form, sign_in_as, text_of

FRAGMENT = {"HX-Request": "true"}


class Team:
    """A system with its owner, administrator and a coordinator, each in a browser."""

    def __init__(self, app, **system_values: object) -> None:
        self.owner = create_person("agnes.agare", display_name="Agnes Ägare")
        self.administrator = create_person("filip.forvaltare", display_name="Filip Förvaltare")
        self.coordinator = create_person("sam.samordnare", display_name="Sam Samordnare")
        grant(self.coordinator, Role.COORDINATOR)
        self.system = create_system("Ekonomisystem", owner=self.owner,
                                    administrators=(self.administrator,), **system_values)
        db.session.commit()
        self._app = app
        self._clients: dict[int, FlaskClient] = {}

    def as_(self, person: Person) -> FlaskClient:
        """A browser signed in as the person."""
        if person.id not in self._clients:
            client = self._app.test_client()
            sign_in_as(client, person.id)
            self._clients[person.id] = client
        return self._clients[person.id]

    @property
    def page(self) -> str:
        return f"/system/{self.system.id}"

    def post(self, person: Person, path: str, data: dict, **kwargs):
        return post_form(self.as_(person), self.page + path, data, token_from="/", **kwargs)

    def view(self, person: Person | None = None):
        response = self.as_(person or self.owner).get(self.page)
        assert response.status_code == 200
        return response


@pytest.fixture
def team(app) -> Team:
    return Team(app)


def first_of_month(months_back: int = 0) -> date:
    """The first day of this month, or of a month before it."""
    day = today().replace(day=1)
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def classification_form(**values: object) -> dict:
    data = {"classified_on": (first_of_month() - timedelta(days=20)).isoformat(),
            "klassa_version": "KLASSA 2.0", "participants": "Filip Förvaltare\nAgnes Ägare",
            "confidentiality": "2", "integrity": "3", "availability": "1",
            "traceability": "0", "notes": "Årlig översyn"}
    data.update(values)
    return {f"classification-{key}": value for key, value in data.items()}


def section(response, section_id: str) -> str:
    """The HTML of one section of the page."""
    html = response.get_data(as_text=True)
    start = html.index(f'<section id="{section_id}"')
    return html[start:html.index("</section>", start)]


def visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def chips_of(response) -> list[str]:
    """The status chips shown at the top of the system's page."""
    html = response.get_data(as_text=True)
    start = html.index('<div id="system-chips"')
    block = html[start:html.index("</ul>", start)]
    return [visible(chip) for chip in re.findall(r'<li class="chip[^"]*">(.*?)</li>', block,
                                                 flags=re.S)]


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(model: type, id_: int):
    db.session.expire_all()
    return db.session.get(model, id_)


# -- classification --------------------------------------------------------------------

def test_the_administrator_records_and_the_owner_approves_a_classification(team):
    response = team.post(team.administrator, "/klassningar", classification_form())

    assert response.status_code == 303
    assert response.headers["Location"] == f"{team.page}#classification"
    [classification] = db.session.scalars(select(Classification))
    assert classification.levels() == {"confidentiality": 2, "integrity": 3,
                                       "availability": 1, "traceability": 0}
    assert classification.participants == ["Filip Förvaltare", "Agnes Ägare"]
    assert classification.recorded_by_id == team.administrator.id
    page = team.view(team.administrator)
    text = text_of(page)
    assert "Klassningen är registrerad och väntar på systemägarens godkännande." in text
    assert "Klassad, ej godkänd" in chips_of(page)
    assert ("Konfidentialitet 2 – Betydande Riktighet 3 – Allvarlig Tillgänglighet 1 – Måttlig "
            "Spårbarhet 0 – Ingen/försumbar") in text
    assert "Nej, väntar på systemägarens godkännande" in text
    assert "Godkänn klassningen" not in text  # only the owner approves
    [recorded] = audit_events("classification.recorded")
    assert (recorded.actor_id, recorded.object_id) == (team.administrator.id,
                                                       str(team.system.id))
    assert recorded.details["confidentiality"] == 2 and recorded.details["traceability"] == 0

    decided = first_of_month()
    response = team.post(team.owner, f"/klassningar/{classification.id}/godkann",
                         {"classification_approval-approved_on": decided.isoformat()})

    assert response.status_code == 303
    page = team.view(team.owner)
    text = text_of(page)
    assert "Klassningen är godkänd." in text
    assert "Klassad och godkänd" in chips_of(page)
    assert f"Godkänd {decided.isoformat()} av Agnes Ägare" in text
    next_review = decided.replace(year=decided.year + 1)
    assert f"Nästa översyn {next_review.isoformat()}" in text and "(försenad)" not in text
    [approved] = audit_events("classification.approved")
    assert approved.actor_id == team.owner.id
    assert approved.details == {"classification_id": classification.id,
                                "approved_on": decided.isoformat()}
    kept = fresh(Classification, classification.id)
    assert (kept.approved_on, kept.approved_by_id) == (decided, team.owner.id)


@pytest.mark.parametrize("who", ["administrator", "coordinator"])
def test_nobody_but_the_owner_may_approve(team, who):
    classification = create_classification(team.system)
    db.session.commit()
    response = team.post(getattr(team, who), f"/klassningar/{classification.id}/godkann",
                         {"classification_approval-approved_on": today().isoformat()})
    assert response.status_code == 403
    assert fresh(Classification, classification.id).approved_at is None
    assert not audit_events("classification.approved")
    assert "Klassad, ej godkänd" in chips_of(team.view(getattr(team, who)))


def test_the_owner_cannot_record_a_classification_only_approve_it(team):
    response = team.post(team.owner, "/klassningar", classification_form())
    assert response.status_code == 403
    assert count(Classification) == 0
    assert "Registrera klassning" not in text_of(team.view(team.owner))


def test_a_coordinator_may_record_a_classification(team):
    response = team.post(team.coordinator, "/klassningar", classification_form())
    assert response.status_code == 303 and count(Classification) == 1


def test_a_classification_cannot_be_approved_twice(team):
    classification = create_classification(team.system, approved_on=first_of_month(),
                                           classified_on=first_of_month(1))
    db.session.commit()
    response = team.post(team.owner, f"/klassningar/{classification.id}/godkann",
                         {"classification_approval-approved_on": today().isoformat()})
    assert response.status_code == 422
    assert "Klassningen är redan godkänd." in text_of(response)
    kept = fresh(Classification, classification.id)
    assert kept.approved_on == first_of_month()
    assert not audit_events("classification.approved")


def test_only_the_latest_classification_can_be_approved(team):
    older = create_classification(team.system, classified_on=first_of_month(2))
    create_classification(team.system, (3, 3, 3, 3), classified_on=first_of_month(1))
    db.session.commit()
    response = team.post(team.owner, f"/klassningar/{older.id}/godkann",
                         {"classification_approval-approved_on": today().isoformat()})
    assert response.status_code == 422
    assert "En senare klassning har registrerats; godkänn den i stället." in text_of(response)
    assert fresh(Classification, older.id).approved_at is None


def test_the_decision_cannot_predate_the_classification(team):
    classification = create_classification(team.system, classified_on=first_of_month())
    db.session.commit()
    day_before = first_of_month() - timedelta(days=1)
    response = team.post(team.owner, f"/klassningar/{classification.id}/godkann",
                         {"classification_approval-approved_on": day_before.isoformat()})
    assert response.status_code == 422
    assert "Beslutsdatum kan inte ligga före klassningens datum." in text_of(response)
    assert fresh(Classification, classification.id).approved_at is None


def tomorrow() -> str:
    return (today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("values,message", [
    ({"confidentiality": "5"}, "Konfidentialitet ska vara en nivå från 0 till 4."),
    ({"integrity": "-1"}, "Riktighet ska vara en nivå från 0 till 4."),
    ({"traceability": "x"}, "Spårbarhet ska vara en nivå från 0 till 4."),
    ({"availability": ""}, "Tillgänglighet ska vara en nivå från 0 till 4."),
    ({"classified_on": "tomorrow"}, "Datum för klassningen kan inte ligga i framtiden"),
    ({"classified_on": "2026-13-01"}, "Ange datumet som ÅÅÅÅ-MM-DD."),
    ({"classified_on": ""}, "Fyll i datum för klassningen (ÅÅÅÅ-MM-DD)."),
    ({"participants": " \n \n"}, "Ange vilka som deltog, minst en person."),
])
def test_a_bad_classification_is_refused_in_swedish_and_nothing_is_saved(team, values,
                                                                         message):
    if values.get("classified_on") == "tomorrow":
        values = {"classified_on": tomorrow()}
    team.as_(team.administrator)
    events = count(AuditEvent)
    response = team.post(team.administrator, "/klassningar", classification_form(**values))
    assert response.status_code == 422
    text = text_of(response)
    assert message in text
    assert "Inget sparades. Rätta uppgifterna och försök igen:" in text
    assert 'aria-invalid="true"' in section(response, "classification")
    assert count(Classification) == 0 and count(AuditEvent) == events
    assert "Ej klassad" in chips_of(response)


def test_an_approval_thirteen_months_old_is_overdue_for_review(team, config):
    approved = first_of_month(13)
    create_classification(team.system, classified_on=approved - timedelta(days=10),
                          approved_on=approved)
    db.session.commit()
    due = first_of_month(1)
    page = team.view()
    assert f"Översyn försenad sedan {due.isoformat()}" in chips_of(page)
    assert f"Nästa översyn {due.isoformat()} (försenad)" in text_of(page)

    config(CLASSIFICATION_REVIEW_MONTHS=24)
    page = team.view()
    assert "Klassad och godkänd" in chips_of(page)
    assert not any(chip.startswith("Översyn försenad") for chip in chips_of(page))
    assert f"Nästa översyn {first_of_month(13 - 24).isoformat()}" in text_of(page)


def test_level_4_in_any_aspect_calls_for_a_separate_analysis(team):
    create_classification(team.system, (1, 1, 4, 0))
    db.session.commit()
    page = team.view()
    assert "Nivå 4: separat analys" in chips_of(page)
    assert ("Minst en aspekt har nivå 4. KLASSA:s kravkatalog täcker inte den nivån: en "
            "separat analys av skyddet behövs.") in text_of(page)
    assert '<td class="level-4">4 – Synnerligen allvarlig</td>' in section(page,
                                                                           "classification")


def test_level_3_everywhere_needs_no_separate_analysis(team):
    create_classification(team.system, (3, 3, 3, 3))
    db.session.commit()
    page = team.view()
    assert "Nivå 4: separat analys" not in chips_of(page)
    assert "separat analys" not in text_of(page)


def test_the_level_names_can_be_configured(team, config):
    config(KLASSA_LEVEL_LABELS=["A", "B", "C", "D", "E"])
    create_classification(team.system, (2, 4, 0, 1))
    db.session.commit()
    text = text_of(team.view())
    assert "Konfidentialitet 2 – C" in text and "Riktighet 4 – E" in text
    assert "Tillgänglighet 0 – A" in text and "Spårbarhet 1 – B" in text
    assert "Betydande" not in text


# -- risk analyses ---------------------------------------------------------------------

def analysis_form(**values: object) -> dict:
    data = {"performed_on": (today() - timedelta(days=3)).isoformat(),
            "method": "MSB riskanalys", "participants": "Filip Förvaltare\nAgnes Ägare",
            "summary": "Åtkomst och kontinuitet gicks igenom.",
            "links": "https://dokument.exempelby.se/riskanalys/ekonomi.pdf"}
    data.update(values)
    return {f"analysis-{key}": value for key, value in data.items()}


def risk_form(analysis_id: int, description: str, likelihood: object,
              consequence: object) -> dict:
    return {f"risk-{analysis_id}-description": description,
            f"risk-{analysis_id}-likelihood": str(likelihood),
            f"risk-{analysis_id}-consequence": str(consequence)}


def matrix_counts(html: str) -> dict[tuple[int, int], int]:
    """The risk matrix as {(likelihood, consequence): number of risks}; empty cells left out."""
    table = html[html.index('<table class="risk-matrix">'):]
    table = table[:table.index("</table>")]
    counts: dict[tuple[int, int], int] = {}
    for likelihood, cells in re.findall(
            r'<tr><th scope="row">Sannolikhet (\d)</th>(.*?)</tr>', table, flags=re.S):
        for consequence, number in enumerate(
                re.findall(r'<td class="risk-\w+">(\d*)<span', cells), 1):
            if number and int(number):
                counts[(int(likelihood), consequence)] = int(number)
    return counts


def test_a_risk_analysis_is_recorded_and_its_risks_fill_the_matrix(team):
    response = team.post(team.administrator, "/riskanalyser", analysis_form())
    assert response.status_code == 303
    assert response.headers["Location"] == f"{team.page}#risk_analyses"
    [analysis] = db.session.scalars(select(RiskAnalysis))
    assert analysis.links == ["https://dokument.exempelby.se/riskanalys/ekonomi.pdf"]
    assert "Inga risker är tillagda ännu." in text_of(team.view(team.administrator))

    for description, likelihood, consequence in [
            ("Obehörig åtkomst till leverantörsregistret", 3, 4),
            ("Felaktiga utbetalningar", 3, 4), ("Driftavbrott vid bokslut", 2, 2),
            ("Förlorad logg", 1, 1)]:
        response = team.post(team.administrator, f"/riskanalyser/{analysis.id}/risker",
                             risk_form(analysis.id, description, likelihood, consequence))
        assert response.status_code == 303

    page = team.view(team.administrator)
    text = text_of(page)
    assert "Risken är tillagd med riskvärde 1." in text
    assert "Obehörig åtkomst till leverantörsregistret 3 4 12 (Mycket hög)" in text
    assert "Driftavbrott vid bokslut 2 2 4 (Medel)" in text
    assert "Förlorad logg 1 1 1 (Låg)" in text
    assert "Riskanalys" in chips_of(page)
    html = section(page, "risk_analyses")
    assert matrix_counts(html) == {(3, 4): 2, (2, 2): 1, (1, 1): 1}
    row = re.search(r'<tr><th scope="row">Sannolikhet 3</th>(.*?)</tr>', html, re.S).group(1)
    assert visible(row.split("</td>")[3]).startswith("2 risker (12, Mycket hög)")
    assert [e.details["value"] for e in audit_events("risk.added")] == [12, 12, 4, 1]
    assert audit_events("risk_analysis.recorded")[0].actor_id == team.administrator.id


def test_an_approved_analysis_takes_no_more_risks(team):
    analysis = create_risk_analysis(team.system, ((2, 3),),
                                    performed_on=today() - timedelta(days=7))
    db.session.commit()
    response = team.post(team.owner, f"/riskanalyser/{analysis.id}/godkann",
                         {f"approve-analysis-{analysis.id}-approved_on": today().isoformat()})
    assert response.status_code == 303
    assert "Riskanalysen är godkänd." in text_of(team.view())
    assert fresh(RiskAnalysis, analysis.id).approved_by_id == team.owner.id
    assert audit_events("risk_analysis.approved")[0].actor_id == team.owner.id
    assert "Lägg till en risk" not in text_of(team.view(team.administrator))

    response = team.post(team.administrator, f"/riskanalyser/{analysis.id}/risker",
                         risk_form(analysis.id, "En risk för mycket", 4, 4))

    assert response.status_code == 422
    assert ("Riskanalysen är godkänd och kan inte ändras. Registrera en ny analys för att "
            "revidera den.") in text_of(response)
    assert count(Risk) == 1 and not audit_events("risk.added")


def test_only_the_owner_approves_a_risk_analysis(team):
    analysis = create_risk_analysis(team.system, ((2, 3),))
    db.session.commit()
    for person in (team.administrator, team.coordinator):
        response = team.post(person, f"/riskanalyser/{analysis.id}/godkann", {
            f"approve-analysis-{analysis.id}-approved_on": today().isoformat()})
        assert response.status_code == 403
    assert fresh(RiskAnalysis, analysis.id).approved_at is None


@pytest.mark.parametrize("likelihood,consequence,message", [
    (5, 2, "Sannolikhet ska vara en nivå från 1 till 4."),
    (0, 2, "Sannolikhet ska vara en nivå från 1 till 4."),
    (2, "x", "Konsekvens ska vara en nivå från 1 till 4."),
])
def test_a_risk_outside_the_scale_is_refused(team, likelihood, consequence, message):
    analysis = create_risk_analysis(team.system)
    db.session.commit()
    response = team.post(team.administrator, f"/riskanalyser/{analysis.id}/risker",
                         risk_form(analysis.id, "Risk", likelihood, consequence))
    assert response.status_code == 422
    assert message in text_of(response)
    assert count(Risk) == 0


@pytest.mark.parametrize("link", [
    "ftp://filer.exempelby.se/riskanalys.pdf",
    "javascript:alert(1)",
    "dokument.exempelby.se/riskanalys.pdf",
])
def test_document_links_must_be_web_addresses(team, link):
    response = team.post(team.administrator, "/riskanalyser",
                         analysis_form(links=f"https://dokument.exempelby.se/ok\n{link}"))
    assert response.status_code == 422
    assert f"Länken {link} är inte en webbadress (https://…)." in text_of(response)
    assert count(RiskAnalysis) == 0 and not audit_events("risk_analysis.recorded")


# -- action plan -----------------------------------------------------------------------

def status_form(item_id: int, status: str, note: str = "") -> dict:
    return {f"item-{item_id}-status": status, f"item-{item_id}-note": note}


def test_an_action_item_moves_through_its_statuses_and_keeps_its_history(team):
    classification = create_classification(team.system)
    db.session.commit()
    due = today() + timedelta(days=60)
    response = team.post(team.owner, "/handlingsplan", {
        "item-description": "Inför tvåfaktorsinloggning", "item-responsible": "filip.forvaltare",
        "item-due_on": due.isoformat(), "item-source": f"classification:{classification.id}"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{team.page}#action_plan"
    [item] = db.session.scalars(select(ActionPlanItem))
    assert (item.responsible_id, item.classification_id, item.status) == (
        team.administrator.id, classification.id, ActionStatus.OPEN)
    page = team.view()
    assert "Handlingsplan: 1 öppna, 0 försenade" in chips_of(page)
    assert (f"Status: Öppen · Klar senast {due.isoformat()} · Ansvarig: Filip Förvaltare"
            in text_of(page))

    assert team.post(team.administrator, f"/handlingsplan/{item.id}/status",
                     status_form(item.id, "in_progress")).status_code == 303
    assert team.post(team.owner, f"/handlingsplan/{item.id}/status",
                     status_form(item.id, "done", "Infört för alla användare")
                     ).status_code == 303

    changes = list(db.session.scalars(select(ActionStatusChange).where(
        ActionStatusChange.item_id == item.id).order_by(ActionStatusChange.id)))
    assert [(c.from_status, c.to_status, c.changed_by_id, c.note) for c in changes] == [
        (None, ActionStatus.OPEN, team.owner.id, ""),
        (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, team.administrator.id, ""),
        (ActionStatus.IN_PROGRESS, ActionStatus.DONE, team.owner.id,
         "Infört för alla användare")]
    assert fresh(ActionPlanItem, item.id).status == ActionStatus.DONE
    page = team.view()
    text = visible(section(page, "action_plan"))
    assert "Status: Klar" in text
    assert re.search(r"Öppen \(Agnes Ägare\).*Pågår \(Filip Förvaltare\).*"
                     r"Klar \(Agnes Ägare\): Infört för alla användare", text)
    assert "Handlingsplan: 0 öppna, 0 försenade" in chips_of(page)
    assert [e.details["to"] for e in audit_events("action_item.status_changed")] == [
        "in_progress", "done"]


def test_accepting_a_risk_needs_a_justification(team):
    item = create_action_item(team.system)
    db.session.commit()
    response = team.post(team.administrator, f"/handlingsplan/{item.id}/status",
                         status_form(item.id, "accepted_risk", "   "))
    assert response.status_code == 422
    assert "Motivera varför risken accepteras." in text_of(response)
    assert fresh(ActionPlanItem, item.id).status == ActionStatus.OPEN
    assert count(ActionStatusChange) == 1

    response = team.post(team.administrator, f"/handlingsplan/{item.id}/status",
                         status_form(item.id, "accepted_risk", "Kostnaden överstiger nyttan"))
    assert response.status_code == 303
    assert fresh(ActionPlanItem, item.id).status == ActionStatus.ACCEPTED_RISK
    assert "Accepterad risk (Filip Förvaltare): Kostnaden överstiger nyttan" in visible(
        section(team.view(), "action_plan"))


def test_the_same_status_again_or_an_unknown_one_is_refused(team):
    item = create_action_item(team.system)
    db.session.commit()
    response = team.post(team.owner, f"/handlingsplan/{item.id}/status",
                         status_form(item.id, "open"))
    assert response.status_code == 422
    assert "Åtgärden har redan status Öppen." in text_of(response)
    response = team.post(team.owner, f"/handlingsplan/{item.id}/status",
                         status_form(item.id, "forgotten"))
    assert response.status_code == 422
    assert "Välj en status i listan." in text_of(response)
    assert count(ActionStatusChange) == 1


def test_an_item_past_its_due_date_is_overdue(team):
    create_action_item(team.system, due_on=today() - timedelta(days=1),
                       description="Byt lösenord för tjänstekontot")
    create_action_item(team.system, due_on=today(), description="Granska behörigheter")
    create_action_item(team.system, due_on=today() - timedelta(days=30), status="done",
                       description="Avsluta gamla konton")
    db.session.commit()
    page = team.view()
    assert "Handlingsplan: 2 öppna, 1 försenade" in chips_of(page)
    items = re.findall(r'<li class="action-item">(.*?)</details>',
                       section(page, "action_plan"), flags=re.S)
    texts = {visible(item).split(" Status")[0]: visible(item) for item in items}
    assert "försenad" in texts["Byt lösenord för tjänstekontot"]
    assert "försenad" not in texts["Granska behörigheter"]
    assert "försenad" not in texts["Avsluta gamla konton"]


def test_an_action_item_needs_a_description_and_a_due_date(team):
    response = team.post(team.owner, "/handlingsplan", {
        "item-description": "", "item-responsible": "", "item-due_on": tomorrow()})
    assert response.status_code == 422 and "Fyll i åtgärd." in text_of(response)
    response = team.post(team.owner, "/handlingsplan", {
        "item-description": "Något", "item-responsible": "", "item-due_on": ""})
    assert response.status_code == 422
    assert "Fyll i när åtgärden ska vara klar (ÅÅÅÅ-MM-DD)." in text_of(response)
    assert count(ActionPlanItem) == 0


# -- HTMX fragments --------------------------------------------------------------------

def test_an_htmx_post_answers_with_the_section_and_out_of_band_chips(team):
    response = team.post(team.administrator, "/klassningar", classification_form(),
                         headers=FRAGMENT)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="classification"')
    assert '<div id="system-chips" hx-swap-oob="true">' in html
    assert "Klassad, ej godkänd" in chips_of(response)
    assert 'id="messages"' in html and 'hx-swap-oob="true"' in html
    assert "Klassningen är registrerad och väntar på systemägarens godkännande." in html
    assert "Konfidentialitet 2 – Betydande" in visible(section(response, "classification"))
    assert count(Classification) == 1


def test_a_refused_htmx_post_answers_422_with_the_section_and_an_alert(team):
    response = team.post(team.administrator, "/klassningar",
                         classification_form(confidentiality="5"), headers=FRAGMENT)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'hx-swap-oob' not in html
    assert html.lstrip().startswith('<section id="classification"')
    assert 'role="alert"' in html
    assert "Konfidentialitet ska vara en nivå från 0 till 4." in visible(html)
    assert count(Classification) == 0


def test_an_htmx_action_item_post_answers_with_the_action_plan(team):
    response = team.post(team.owner, "/handlingsplan", {
        "item-description": "Dokumentera backup", "item-responsible": "",
        "item-due_on": tomorrow()}, headers=FRAGMENT)
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith('<section id="action_plan"')
    assert "Handlingsplan: 1 öppna, 0 försenade" in chips_of(response)


def test_an_htmx_request_without_rights_gets_a_short_403(team):
    outsider = create_person("olle.utanfor")
    db.session.commit()
    response = post_form(team.as_(outsider), f"{team.page}/klassningar",
                         classification_form(), token_from="/", headers=FRAGMENT)
    assert response.status_code == 403
    assert "<html" not in response.get_data(as_text=True)
    assert count(Classification) == 0


def test_the_page_needs_the_same_queries_for_a_short_or_long_history(team, count_queries):
    def add_history(n: int) -> None:
        for _ in range(n):
            create_classification(team.system, approved_on=first_of_month())
            create_risk_analysis(team.system, ((1, 2), (3, 4)))
            item = create_action_item(team.system, responsible=team.administrator)
            item.changes.append(ActionStatusChange(
                from_status=ActionStatus.OPEN, to_status=ActionStatus.IN_PROGRESS,
                changed_at=item.created_at, changed_by_id=team.owner.id))
            item.status = ActionStatus.IN_PROGRESS
        db.session.commit()

    team.as_(team.administrator)
    add_history(1)
    with count_queries() as few:
        team.view(team.administrator)
    add_history(15)
    with count_queries() as many:
        team.view(team.administrator)
    assert many.count == few.count, "\n".join(many.statements)


def test_ids_of_another_system_are_not_found(team):
    other = create_system("Annat system", owner=team.owner,
                          administrators=(team.administrator,))
    classification = create_classification(other)
    analysis = create_risk_analysis(other)
    item = create_action_item(other)
    db.session.commit()
    assert team.post(team.owner, f"/klassningar/{classification.id}/godkann", {
        "classification_approval-approved_on": today().isoformat()}).status_code == 404
    assert team.post(team.administrator, f"/riskanalyser/{analysis.id}/risker",
                     risk_form(analysis.id, "Risk", 1, 1)).status_code == 404
    assert team.post(team.owner, f"/handlingsplan/{item.id}/status",
                     status_form(item.id, "done")).status_code == 404
    assert fresh(InformationSystem, other.id) is not None
    assert fresh(Classification, classification.id).approved_at is None
