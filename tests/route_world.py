"""One small world in which every route of the app can be asked for with real ids.

Two organizations — the municipality ("M") and a company ("C") — each with a published
document (two versions, a draft, an acknowledgement), a training, a system (owner,
administrator, a classification and a risk analysis awaiting approval, an action item),
a system administrator's checklist, a draft management review and a manual role grant;
a manager with a report, a sync run and an audit event. `World.url(rule, side)` fills
every `<...>` of a rule with the id of side "M" or "C"; the authorization matrix, the
CSRF test and the header walk all ask through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    Acknowledgement,
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    CompletionSource,
    Document,
    OrganizationKind,
    Person,
    Role,
    SubjectType,
    SyncRun,
    SyncStatus,
    SyncTrigger,
    TrainingCompletion,
)
from app.services import audit, checklist_assignments, documents
from app.services import management_reviews as reviews
from app.services.system_access import CoordinatorScope
from app.web import HTMX_FILE
from tests import factories as f
from tests.factories import create_organization, create_person, grant

MUNICIPALITY = "Exempelby kommun"
COMPANY = "Exempelby Energi AB"
SIDES = ("M", "C")
SESSION_COOKIE = "portal_session"
ADMIN_CHECKLIST = ChecklistRole.SYSTEM_ADMINISTRATOR.value


@dataclass(frozen=True)
class Column:
    """Who asks (a persona, None when not signed in) and which organization's objects
    the URL points at ("M" the municipality's, "C" the company's)."""

    code: str
    persona: str | None
    side: str
    says: str


# The columns of the authorization matrix, in its order.
COLUMNS = (
    Column("anon", None, "M", "not signed in"),
    Column("emp", "employee", "M", "employee without roles (municipality)"),
    Column("mgr", "manager", "M", "manager; a person = their report, inside their subtree"),
    Column("mgr~", "manager", "C", "manager; a person = the company's, outside the subtree"),
    Column("own", "owner", "M", "system owner; the system = their own"),
    Column("own~", "owner", "C", "system owner; the system = another's (the company's)"),
    Column("sa", "administrator", "M", "system administrator; the system = their own"),
    Column("sa~", "administrator", "C", "system administrator; another's system"),
    Column("crd", "coordinator", "M", "coordinator for the whole group"),
    Column("sco", "scoped", "C", "the company's coordinator; the company's objects"),
    Column("sco~", "scoped", "M", "the company's coordinator; the municipality's objects"),
    Column("adm", "admin", "M", "portal administrator (Role.ADMIN)"),
)

# A minimal body where an empty one would not reach the decision under test: the reminder
# names the person (inside or outside the manager's subtree), the language a valid choice.
BODIES: dict[str, dict[str, str]] = {
    "unit.remind": {"person_id": "{person_id}"},
    "auth.choose_language": {"locale": "sv", "next": "/"},
}
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def first_column(statuses: dict[str, int], wanted: set[int]) -> Column:
    """The first column (in COLUMNS' order) whose expected status is one of `wanted`:
    who to ask when a test needs someone the route lets in."""
    for column in COLUMNS:
        if statuses[column.code] in wanted and not (column.persona is None
                                                   and statuses[column.code] == 302):
            return column
    raise LookupError(f"nobody gets {sorted(wanted)}")


def routes(app: Flask) -> list[Rule]:
    """Every rule the app registers, in a stable order."""
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def route_key(app: Flask, rule: Rule) -> str:
    """The rule's name in the tables: its endpoint, with the rule's arguments when one
    endpoint has several rules ("unit.export(fmt,person_id)")."""
    siblings = [r for r in app.url_map.iter_rules() if r.endpoint == rule.endpoint]
    if len(siblings) == 1:
        return rule.endpoint
    return f"{rule.endpoint}({','.join(sorted(ARGUMENT.findall(rule.rule)))})"


def methods_of(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


@dataclass
class World:
    """The world's people (by persona) and ids (by side, then rule argument)."""

    app: Flask
    people: dict[str, Person] = field(default_factory=dict)
    ids: dict[str, dict[str, object]] = field(default_factory=lambda: {"M": {}, "C": {}})
    _clients: dict[str, tuple[FlaskClient, str]] = field(default_factory=dict)

    def value(self, endpoint: str, name: str, side: str) -> object:
        """The id for a rule argument: per blueprint where a name means different things
        (`item_id` is a checklist item there and an action plan item for systems)."""
        found = self.ids[side]
        blueprint = endpoint.split(".", 1)[0]
        for key in (f"{blueprint}:{name}", name):
            if key in found:
                return found[key]
        raise KeyError(f"the world has no {name} for {endpoint}")

    def url(self, rule: Rule, side: str = "M") -> str:
        """The rule with each `<converter:name>` filled from the side's objects."""
        return ARGUMENT.sub(lambda m: str(self.value(rule.endpoint, m.group(1), side)),
                            rule.rule)

    def body(self, rule: Rule, side: str = "M") -> dict[str, str]:
        """The minimal form a POST carries (besides the CSRF token)."""
        return {key: value.format(**{k: str(v) for k, v in self.ids[side].items()
                                     if ":" not in k})
                for key, value in BODIES.get(rule.endpoint, {}).items()}

    def client(self, persona: str | None, base_url: str = "http://localhost"
               ) -> tuple[FlaskClient, str]:
        """A browser signed in as the persona (not signed in for None) through the demo
        form, and its CSRF token; one per persona for the whole test."""
        key = f"{persona}@{base_url}"
        if key not in self._clients:
            client = self.app.test_client()
            html = client.get("/logga-in", base_url=base_url).get_data(as_text=True)
            token = _token_in(html)
            if persona is not None:
                # Over HTTPS Flask-WTF also wants a same-site Referer, as browsers send.
                response = client.post("/demo/logga-in", base_url=base_url, data={
                    "csrf_token": token, "person_id": self.people[persona].id},
                    headers={"Referer": f"{base_url}/logga-in"})
                assert response.status_code == 303, (persona, response.status_code)
                # Signing in starts a new session, and with it a new token.
                html = client.get("/", base_url=base_url).get_data(as_text=True)
                token = _token_in(html)
            self._clients[key] = (client, token)
        return self._clients[key]

    @contextmanager
    def isolated(self, client: FlaskClient) -> Iterator[None]:
        """Whatever the requests inside change — rows, the session cookie (a sign-out, a
        language) — is undone afterwards, so the next cell meets the same world."""
        cookie = client.get_cookie(SESSION_COOKIE)
        # The test's session is bound to the connection that holds the test's transaction
        # (tests/conftest.py); a savepoint on it wraps every request's own savepoints.
        savepoint = db.session.bind.begin_nested()
        try:
            yield
        finally:
            savepoint.rollback()
            db.session.expire_all()
            if cookie is not None:
                client.set_cookie(SESSION_COOKIE, cookie.value, domain=cookie.domain,
                                  path=cookie.path)
            else:
                client.delete_cookie(SESSION_COOKIE)


def _token_in(html: str) -> str:
    """The CSRF token of a page: a form's hidden field, or the header htmx sends."""
    match = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
             or re.search(r'"X-CSRFToken": "([^"]+)"', html))
    assert match, "no CSRF token on the page"
    return match.group(1)


def build_world(app: Flask) -> World:
    """Create the world in the test's transaction (rolled back after the test)."""
    world = World(app)
    m = create_organization(MUNICIPALITY)
    c = create_organization(COMPANY, OrganizationKind.COMPANY)
    it = f.create_unit(m, "Verksamhetsstöd / IT-enheten")
    grid = f.create_unit(c, "Elnät / Drift")
    p = world.people
    p["employee"] = create_person("eva", display_name="Eva Medarbetare", organization=m,
                                  unit=it)
    p["manager"] = create_person("maja", display_name="Maja Chef", organization=m, unit=it)
    report = create_person("rolf", display_name="Rolf Rapport", organization=m, unit=it,
                           manager=p["manager"])
    outsider = create_person("olle", display_name="Olle Utanför", organization=c, unit=grid)
    p["owner"] = create_person("ola", display_name="Ola Ägare", organization=m, unit=it)
    p["administrator"] = create_person("sara", display_name="Sara Förvaltare", organization=m,
                                       unit=it)
    other_owner = create_person("cecilia", display_name="Cecilia Ägare", organization=c)
    other_administrator = create_person("conny", display_name="Conny Förvaltare",
                                        organization=c)
    p["coordinator"] = create_person("karin", display_name="Karin Samordnare", organization=m)
    p["scoped"] = create_person("bo", display_name="Bo Bolagssamordnare", organization=c)
    p["admin"] = create_person("erik", display_name="Erik Administratör", organization=m)
    grant(p["coordinator"], Role.COORDINATOR)
    grant(p["scoped"], Role.COORDINATOR, c)
    grant(p["admin"], Role.ADMIN)
    # Grants only there to be revoked: one in each organization.
    grant_m = grant(create_person("greta", organization=m), Role.COORDINATOR, m)
    grant_c = grant(create_person("gustav", organization=c), Role.COORDINATOR, c)

    everything = CoordinatorScope(True, frozenset())
    for side, org, owner, administrator, person, granted in (
            ("M", m, p["owner"], p["administrator"], report, grant_m),
            ("C", c, other_owner, other_administrator, outsider, grant_c)):
        document = f.create_document(f"Policy {org.name}", organization=org,
                                     published_at=utcnow() - timedelta(days=30))
        f.publish_version(document, document.versions[0].body + "\n\nTillägg.", number="2")
        documents.start_draft(p["coordinator"], document, everything)
        training = f.create_training(f"Utbildning {org.name}", organization=org)
        system = f.create_system(f"System {org.name}", organization=org, owner=owner,
                                 administrators=(administrator,))
        classification = f.create_classification(system)
        analysis = f.create_risk_analysis(system, ((2, 3),))
        action = f.create_action_item(system)
        review = reviews.create(p["coordinator"], everything, today().year, org.id)
        # A completion, so a correction of it reaches the form (nothing to correct is 404).
        db.session.add(TrainingCompletion(
            training_id=training.id, person_id=person.id, completed_on=today(),
            recorded_at=utcnow(), source=CompletionSource.SELF, recorded_by_id=person.id,
            note=""))
        world.ids[side].update(
            document_id=document.id, training_id=training.id, system_id=system.id,
            classification_id=classification.id, analysis_id=analysis.id,
            review_id=review.id, person_id=person.id, grant_id=granted.id,
            **{"systems:item_id": action.id})
    db.session.flush()
    document = db.session.get(Document, world.ids["M"]["document_id"])
    version = [v for v in document.versions if v.is_published][-1]
    db.session.add(Acknowledgement(person_id=report.id, document_id=version.document_id,
                                   version_id=version.id, content_sha256=version.sha256,
                                   acknowledged_at=utcnow(), method="web"))
    run = SyncRun(started_at=utcnow(), finished_at=utcnow(), trigger=SyncTrigger.WEB,
                  started_by_id=p["admin"].id, source="world", status=SyncStatus.SUCCEEDED,
                  details={})
    db.session.add(run)
    audit.record(p["admin"], "world.built", "world", None)
    checklist_assignments.generate()
    db.session.flush()
    _checklist_ids(world, run.id)
    db.session.commit()
    return world


def _checklist_ids(world: World, run_id: int) -> None:
    # An item that needs a note: an empty tick is refused by validation, never applied.
    item = db.session.scalars(select(ChecklistItem).join(ChecklistTemplate).where(
        ChecklistTemplate.role == ChecklistRole.SYSTEM_ADMINISTRATOR,
        ChecklistItem.requires_note.is_(True)).order_by(ChecklistItem.position)).first()
    assert item is not None and item.in_period(today().year)
    for side in SIDES:
        assignment = db.session.scalars(select(ChecklistAssignment).where(
            ChecklistAssignment.template_id == item.template_id,
            ChecklistAssignment.subject_type == SubjectType.SYSTEM,
            ChecklistAssignment.subject_id == world.ids[side]["system_id"],
            ChecklistAssignment.period == today().year)).one()
        world.ids[side].update(assignment_id=assignment.id, run_id=run_id,
                               role=ADMIN_CHECKLIST, fmt="csv", filename=HTMX_FILE,
                               **{"checklists:item_id": item.id})


def database_state() -> dict[str, list[tuple]]:
    """Every row of every table, to show that a request changed nothing at all."""
    db.session.expire_all()
    return {table.name: [tuple(map(str, row)) for row in db.session.execute(
                select(table).order_by(*table.primary_key.columns)).all()]
            for table in db.metadata.sorted_tables}


def changed_tables(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))
