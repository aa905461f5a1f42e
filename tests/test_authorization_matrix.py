"""Who gets what on every route: one table, one row per route and method, one column per
persona. A route the app registers without a row here fails the test.

Columns (tests/route_world.py builds the world; "M" is the municipality's object, "C" the
company's, `~` marks a column asking for an object that is not the persona's own):

    anon  not signed in                                   M
    emp   employee without roles (municipality)           M
    mgr   manager; <person_id> = their report (subtree)   M
    mgr~  manager; <person_id> = outside their subtree    C
    own   system owner; their own system                  M
    own~  system owner; another's system                  C
    sa    system administrator; their own system          M
    sa~   system administrator; another's system          C
    crd   coordinator for the whole group                 M
    sco   the company's coordinator; the company's        C
    sco~  the company's coordinator; the municipality's   M
    adm   portal administrator                            M

Every POST carries a valid CSRF token and an empty body (a minimal one where route_world's
BODIES says so). An authorised persona gets what the empty form earns: 422 where it is
refused, 303 where it is enough (each cell is undone afterwards). Everyone else gets 403
— rights are checked before input is validated — and anonymous visitors 302 to sign-in.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from flask import Flask
from werkzeug.routing import Rule

from app.clock import today, utcnow
from app.extensions import db
from app.models import CompletionSource, TrainingCompletion
from tests.helpers import text_of
from tests.route_world import (
    COLUMNS,
    Column,
    World,
    build_world,
    changed_tables,
    database_state,
    methods_of,
    route_key,
    routes,
)

MATRIX = """
method endpoint                     anon emp  mgr  mgr~ own  own~ sa   sa~  crd  sco  sco~ adm
# -- public and personal pages ----------------------------------------------------------
GET  main.accessibility_statement   200  200  200  200  200  200  200  200  200  200  200  200
GET  main.index                     302  200  200  200  200  200  200  200  200  200  200  200
GET  static                         200  200  200  200  200  200  200  200  200  200  200  200
# Signed in, the sign-in page sends you home; every sign-in, sign-out and language form
# answers with a redirect (an empty demo form back to the sign-in page, flashed).
GET  auth.sign_in                   200  303  303  303  303  303  303  303  303  303  303  303
POST auth.sign_in                   422  303  303  303  303  303  303  303  303  303  303  303
POST auth.demo_sign_in              303  303  303  303  303  303  303  303  303  303  303  303
POST auth.sign_out                  302  303  303  303  303  303  303  303  303  303  303  303
POST auth.choose_language           303  303  303  303  303  303  303  303  303  303  303  303
# -- portal administration: admins only --------------------------------------------------
GET  admin.index                    302  403  403  403  403  403  403  403  403  403  403  200
GET  admin.audit_log_page           302  403  403  403  403  403  403  403  403  403  403  200
GET  admin.audit_log_csv            302  403  403  403  403  403  403  403  403  403  403  200
GET  admin.roles_page               302  403  403  403  403  403  403  403  403  403  403  200
POST admin.grant_role               302  403  403  403  403  403  403  403  403  403  403  422
POST admin.revoke_grant             302  403  403  403  403  403  403  403  403  403  403  303
# No directory is configured in the tests: the admin is told so (422).
POST admin.start_sync               302  403  403  403  403  403  403  403  403  403  403  422
GET  admin.sync_run                 302  403  403  403  403  403  403  403  403  403  403  200
# -- checklists: the system administrator's checklist of the M or C system ---------------
# The owner reads the administrators' checklist but does not tick it; a coordinator in
# scope ticks on someone's behalf only with a reason (the empty form: 422).
GET  checklists.show                302  403  403  403  200  403  200  403  200  200  403  403
POST checklists.tick                302  403  403  403  403  403  422  403  422  422  403  403
GET  checklists.open_count          302  200  200  200  200  200  200  200  200  200  200  200
GET  checklists.wheel               302  200  200  200  200  200  200  200  200  200  200  200
# Every coordinator reads the templates; only the group's coordinator edits them.
GET  checklists.templates           302  403  403  403  403  403  403  403  302  302  302  403
GET  checklists.template            302  403  403  403  403  403  403  403  200  200  200  403
POST checklists.add_item            302  403  403  403  403  403  403  403  422  403  403  403
POST checklists.change_item         302  403  403  403  403  403  403  403  422  403  403  403
POST checklists.move_item           302  403  403  403  403  403  403  403  303  403  403  403
POST checklists.retire_item         302  403  403  403  403  403  403  403  303  403  403  403
# -- coordination: the company's coordinator sees the company (filtered, not refused) -----
GET  coordination.index             302  403  403  403  403  403  403  403  200  200  200  403
GET  coordination.people            302  403  403  403  403  403  403  403  200  200  200  403
GET  coordination.people_csv        302  403  403  403  403  403  403  403  200  200  200  403
GET  coordination.checklists        302  403  403  403  403  403  403  403  200  200  200  403
# -- documents: the M or C policy (audience: its own organization) -----------------------
GET  documents.library_page         302  200  200  200  200  200  200  200  200  200  200  200
GET  documents.show                 302  200  200  403  200  403  200  403  200  200  403  200
GET  documents.compare              302  200  200  403  200  403  200  403  200  200  403  200
POST documents.acknowledge          302  422  422  403  422  403  422  403  422  422  403  422
GET  documents.manage               302  403  403  403  403  403  403  403  200  200  200  403
GET  documents.new                  302  403  403  403  403  403  403  403  200  200  200  403
POST documents.new                  302  403  403  403  403  403  403  403  422  422  422  403
GET  documents.audience_count       302  403  403  403  403  403  403  403  200  200  200  403
GET  documents.settings             302  403  403  403  403  403  403  403  200  200  403  403
POST documents.settings             302  403  403  403  403  403  403  403  422  422  403  403
GET  documents.draft                302  403  403  403  403  403  403  403  200  200  403  403
# A draft exists already: "start a draft" says so and goes back to it (303).
POST documents.start_draft          302  403  403  403  403  403  403  403  303  303  403  403
POST documents.save_draft           302  403  403  403  403  403  403  403  422  422  403  403
POST documents.preview              302  403  403  403  403  403  403  403  200  200  403  403
POST documents.withdraw             302  403  403  403  403  403  403  403  422  422  403  403
GET  documents.report               302  403  403  403  403  403  403  403  200  200  403  403
GET  documents.report_csv           302  403  403  403  403  403  403  403  200  200  403  403
GET  documents.adoption_overview    302  403  403  403  403  403  403  403  200  200  200  403
# A company adopts another organization's document: the company's coordinator records it
# for the municipality's policy (sco~), not for the company's own (sco).
GET  documents.adoption             302  403  403  403  403  403  403  403  200  403  200  403
POST documents.adoption             302  403  403  403  403  403  403  403  422  403  422  403
# -- management reviews: a draft for the M or C organization ------------------------------
GET  reports.index                  302  403  403  403  403  403  403  403  200  200  200  403
POST reports.create                 302  403  403  403  403  403  403  403  422  422  422  403
GET  reports.show                   302  403  403  403  403  403  403  403  200  200  403  403
GET  reports.markdown               302  403  403  403  403  403  403  403  200  200  403  403
POST reports.save                   302  403  403  403  403  403  403  403  303  303  403  403
POST reports.freeze                 302  403  403  403  403  403  403  403  303  303  403  403
# -- systems: the M or C system ------------------------------------------------------------
GET  systems.mine                   302  200  200  200  200  200  200  200  200  200  200  200
GET  systems.show                   302  403  403  403  200  403  200  403  200  200  403  403
# The owner and the coordinator keep the description; administrators and the coordinator
# record; only the owner approves; all three keep the action plan.
POST systems.save_description       302  403  403  403  303  403  403  403  303  303  403  403
POST systems.record_classification  302  403  403  403  403  403  422  403  422  422  403  403
POST systems.approve_classification 302  403  403  403  422  403  403  403  403  403  403  403
POST systems.record_analysis        302  403  403  403  403  403  422  403  422  422  403  403
POST systems.add_risk               302  403  403  403  403  403  422  403  422  422  403  403
POST systems.approve_analysis       302  403  403  403  422  403  403  403  403  403  403  403
POST systems.add_action_item        302  403  403  403  422  403  422  403  422  422  403  403
POST systems.change_action_status   302  403  403  403  422  403  422  403  422  422  403  403
GET  systems.edit                   302  403  403  403  403  403  403  403  200  200  403  403
POST systems.edit                   302  403  403  403  403  403  403  403  422  422  403  403
GET  systems.register               302  403  403  403  403  403  403  403  200  200  200  403
GET  systems.register_csv           302  403  403  403  403  403  403  403  200  200  200  403
GET  systems.new                    302  403  403  403  403  403  403  403  200  200  200  403
POST systems.new                    302  403  403  403  403  403  403  403  422  422  422  403
GET  systems.import_form            302  403  403  403  403  403  403  403  200  200  200  403
POST systems.import_preview         302  403  403  403  403  403  403  403  422  422  422  403
POST systems.import_apply           302  403  403  403  403  403  403  403  422  422  422  403
# -- trainings: the M or C training (audience: its own organization) ----------------------
# A manager sees any training's page and follows up their own people in it (mgr~).
GET  trainings.show                 302  200  200  200  200  403  200  403  200  200  403  200
POST trainings.complete             302  422  422  403  422  403  422  403  422  422  403  422
GET  trainings.report               302  403  200  200  403  403  403  403  200  200  403  403
GET  trainings.report_csv           302  403  200  200  403  403  403  403  200  200  403  403
GET  trainings.manage               302  403  403  403  403  403  403  403  200  200  200  403
GET  trainings.new                  302  403  403  403  403  403  403  403  200  200  200  403
POST trainings.new                  302  403  403  403  403  403  403  403  422  422  422  403
GET  trainings.edit                 302  403  403  403  403  403  403  403  200  200  403  403
POST trainings.edit                 302  403  403  403  403  403  403  403  422  422  403  403
POST trainings.copy                 302  403  403  403  403  403  403  403  303  303  403  403
GET  trainings.attendance           302  403  403  403  403  403  403  403  200  200  403  403
POST trainings.attendance           302  403  403  403  403  403  403  403  422  422  403  403
# <person_id>: the M side's report, the C side's company employee (both have a record).
GET  trainings.participant          302  403  403  403  403  403  403  403  200  200  403  403
POST trainings.correct              302  403  403  403  403  403  403  403  422  422  403  403
GET  trainings.import_form          302  403  403  403  403  403  403  403  200  200  403  403
POST trainings.import_preview       302  403  403  403  403  403  403  403  422  422  403  403
POST trainings.import_apply         302  403  403  403  403  403  403  403  422  422  403  403
# -- the manager's unit: <person_id> inside the subtree (mgr) or outside (mgr~) ------------
GET  unit.index                     302  403  200  200  403  403  403  403  403  403  403  403
GET  unit.people                    302  403  200  403  403  403  403  403  403  403  403  403
GET  unit.export(fmt)               302  403  200  200  403  403  403  403  403  403  403  403
GET  unit.export(fmt,person_id)     302  403  200  403  403  403  403  403  403  403  403  403
# No mail server in the tests: a reminder to one's own report is refused with a message
# (303 back to the unit); one to someone outside the unit is 403 before that.
POST unit.remind                    302  403  303  403  403  403  403  403  403  403  403  403
"""


def parse(table: str) -> dict[tuple[str, str], dict[str, int]]:
    """{(route key, method): {column code: status}} from the table above."""
    lines = [line.split() for line in table.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    header, rows = lines[0], lines[1:]
    assert header[2:] == [column.code for column in COLUMNS], header
    expected: dict[tuple[str, str], dict[str, int]] = {}
    for method, key, *statuses in rows:
        assert (key, method) not in expected, f"two rows for {method} {key}"
        assert len(statuses) == len(COLUMNS), f"{method} {key}: {len(statuses)} columns"
        expected[(key, method)] = dict(zip(header[2:], map(int, statuses), strict=True))
    return expected


EXPECTED = parse(MATRIX)
AREAS = sorted({key.split(".")[0].split("(")[0] for key, _method in EXPECTED})


def registered(app: Flask) -> dict[tuple[str, str], Rule]:
    """(route key, method) → rule, for every rule the app registers (HEAD, OPTIONS aside)."""
    return {(route_key(app, rule), method): rule
            for rule in routes(app) for method in methods_of(rule)}


def ask(world: World, column: Column, rule: Rule, method: str,
        asked: dict[tuple, tuple[int, str, str]]) -> tuple[int, str, str]:
    """The column's persona asks for the rule, filled with the column's side, and the
    change is undone after: (status, Location, visible text). A request already made
    (a rule without ids asked for by the same persona in its two columns) is not
    repeated: the world is the same, so is the answer."""
    client, token = world.client(column.persona)
    url, body = world.url(rule, column.side), world.body(rule, column.side)
    key = (column.persona, method, url, tuple(sorted(body.items())))
    if key not in asked:
        with world.isolated(client):
            if method == "GET":
                response = client.get(url, buffered=True)
            else:
                response = client.post(url, data={"csrf_token": token, **body},
                                       buffered=True)
        asked[key] = (response.status_code, response.headers.get("Location", ""),
                      text_of(response) if response.status_code == 403 else "")
    return asked[key]


def test_the_table_has_a_row_for_every_route_and_method(app):
    routes_now = set(registered(app))
    assert sorted(routes_now - set(EXPECTED)) == [], "routes without a row in MATRIX"
    assert sorted(set(EXPECTED) - routes_now) == [], "rows for routes the app does not have"


@pytest.mark.parametrize("area", AREAS)
def test_each_persona_gets_what_the_table_says(app, area):
    world = build_world(app)
    for column in COLUMNS:
        world.client(column.persona)
    before = database_state()
    rules = registered(app)
    asked: dict[tuple, tuple[int, str, str]] = {}
    wrong = []
    for (key, method), statuses in EXPECTED.items():
        if not key.startswith(f"{area}.") and key != area:
            continue
        actual = {}
        for column in COLUMNS:
            status, location, text = ask(world, column, rules[(key, method)], method, asked)
            actual[column.code] = status
            if status == 403:
                # The Swedish refusal page, never the form with its fields.
                assert "Åtkomst nekad" in text, (key, method, column.code)
            if column.persona is None and status == 302:
                assert location.startswith("/logga-in"), (key, method, location)
        if actual != statuses:
            wrong.append(f"{method:<5}{key:<31}"
                         + " ".join(f"{actual[c.code]:<4}" for c in COLUMNS)
                         + "   differs in: " + ", ".join(
                             c.code for c in COLUMNS if actual[c.code] != statuses[c.code]))
    assert not wrong, "actual statuses:\n" + "\n".join(wrong)
    assert changed_tables(before, database_state()) == [], "a cell left a change behind"


def test_a_method_a_route_does_not_take_is_405(app):
    """DELETE and PUT nowhere, POST to a page, GET of a form's target: 405 in Swedish,
    for visitors and the signed-in alike (the method is checked before anything else)."""
    world = build_world(app)
    # One path may have a rule per method (a page and the form's target): what it takes.
    taken_by_path: dict[str, set[str]] = defaultdict(set)
    for rule in routes(app):
        taken_by_path[rule.rule].update(methods_of(rule))
    wrong = defaultdict(list)
    for persona in (None, "coordinator"):
        client, token = world.client(persona)
        for rule in routes(app):
            taken = taken_by_path[rule.rule]
            url = world.url(rule)
            others = ["DELETE", "PUT", *(m for m in ("GET", "POST") if m not in taken)]
            for method in others:
                with world.isolated(client):
                    response = client.open(url, method=method, data={"csrf_token": token},
                                           buffered=True)
                if response.status_code != 405 or "Otillåten metod" not in text_of(response):
                    wrong[persona].append(f"{method} {rule.rule}: {response.status_code}")
    assert dict(wrong) == {}


def test_the_company_coordinator_sees_a_municipal_participant_only_with_a_record(app):
    """The participant page names the person and their unit: the company's coordinator
    gets it, for their own training, for someone outside the company only when that
    person has a record for the training (an import may name them)."""
    world = build_world(app)
    client, token = world.client("scoped")
    own, outsider = world.ids["C"]["training_id"], world.ids["M"]["person_id"]
    page = f"/utbildningar/{own}/deltagare/{outsider}"
    assert client.get(page).status_code == 403
    response = client.post(page + "/rattelse", data={"csrf_token": token})
    assert response.status_code == 403 and "Åtkomst nekad" in text_of(response)

    db.session.add(TrainingCompletion(
        training_id=own, person_id=outsider, completed_on=today(), recorded_at=utcnow(),
        source=CompletionSource.IMPORT, recorded_by_id=world.people["scoped"].id, note=""))
    db.session.commit()
    assert client.get(page).status_code == 200
    assert client.post(page + "/rattelse", data={"csrf_token": token}).status_code == 422
