"""A manager's unit in the services: who is in it (direct and indirect reports, loops and
self-managers in the directory's reporting lines, inactive people), each person's status
per document and training, the figures per person kind, the search behind the matrix's
filters — and a number of queries that does not grow with the unit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.clock import today, utcnow
from app.extensions import db
from app.models import (
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    Person,
    PersonKind,
    Role,
)
from app.services import (
    Forbidden,
    acknowledgements,
    checklist_assignments,
    checklists,
    completions,
    requirements,
    unit_status,
)
from tests.factories import create_document, create_organization, create_person, create_training

LONG_AGO = datetime(2020, 1, 1, 8, 0)
EMPLOYEE = {Role.EMPLOYEE}


def joined_long_ago(*people: Person) -> None:
    for person in people:
        person.created_at = LONG_AGO
    db.session.flush()


def ids_below(manager: Person) -> set[int]:
    tree = unit_status.subtree(manager.id)
    return set(db.session.scalars(select(tree.c.id)))


def names(rows) -> list[str]:
    return [row.name for row in rows]


@pytest.fixture
def unit():
    """Chef Ek ← Öst Mellanchef ← Anna Ahl, Åke Berg; Bo Direkt reports straight to the
    chief; Olle Annan is elsewhere."""
    chief = create_person("chef", display_name="Chef Ek")
    middle = create_person("mellan", display_name="Öst Mellanchef", manager=chief)
    anna = create_person("anna", display_name="Anna Ahl", manager=middle)
    ake = create_person("ake", display_name="Åke Berg", manager=middle)
    bo = create_person("bo", display_name="Bo Direkt", manager=chief)
    other = create_person("olle", display_name="Olle Annan")
    return {"chief": chief, "middle": middle, "anna": anna, "ake": ake, "bo": bo,
            "other": other}


def test_the_subtree_holds_direct_and_indirect_reports_under_their_direct_report(app, unit):
    chief, middle = unit["chief"], unit["middle"]
    tree = unit_status.subtree(chief.id)
    roots = dict(db.session.execute(select(tree.c.id, tree.c.root)).tuples().all())
    assert roots == {middle.id: middle.id, unit["anna"].id: middle.id,
                     unit["ake"].id: middle.id, unit["bo"].id: unit["bo"].id}
    assert unit_status.may_view(chief, unit["ake"].id)
    assert unit_status.may_view(chief, chief.id)
    assert not unit_status.may_view(chief, unit["other"].id)
    assert not unit_status.may_view(middle, unit["bo"].id)
    assert unit_status.require_view(chief, unit["anna"].id) == unit["anna"]
    with pytest.raises(Forbidden):
        unit_status.require_view(middle, chief.id)
    with pytest.raises(Forbidden):
        unit_status.require_view(chief, 987654)


def test_direct_reports_come_in_swedish_order_with_the_figures_of_managers(app, unit):
    rows = unit_status.direct_reports(unit["chief"].id, [])
    assert names(rows) == ["Bo Direkt", "Öst Mellanchef"]
    bo, middle = rows
    assert not bo.is_manager and bo.below is None
    # The figures of a direct report count them and everyone below them.
    assert middle.is_manager and middle.below.people == 3
    assert names(unit_status.direct_reports(unit["middle"].id, [])) == ["Anna Ahl", "Åke Berg"]


def test_a_loop_in_the_reporting_lines_ends_and_is_named(app):
    a = create_person("a", display_name="Anna A")
    b = create_person("b", display_name="Bertil B", manager=a)
    c = create_person("c", display_name="Cecilia C", manager=b)
    a.manager = c
    outside = create_person("d", display_name="David D", manager=c)
    db.session.flush()

    assert ids_below(a) == {a.id, b.id, c.id, outside.id}
    assert unit_status.loop_through(a) == ["Anna A", "Cecilia C", "Bertil B"]
    assert unit_status.loop_through(b) == ["Bertil B", "Anna A", "Cecilia C"]
    # Below the loop, not in it.
    assert unit_status.loop_through(outside) == []
    per_root, per_kind = unit_status.figures_under(a.id, [])
    # The manager is not counted among their own people.
    assert per_kind["employee"].people == 3
    assert per_root[b.id].people == 3
    assert names(unit_status.direct_reports(a.id, [])) == ["Bertil B"]
    assert names(unit_status.search(a.id, [], "").rows) == ["Bertil B", "Cecilia C", "David D"]


def test_a_manager_who_is_their_own_manager_sees_their_reports_not_themself(app):
    boss = create_person("boss", display_name="Berit Boss")
    boss.manager_id = boss.id  # as the directory sync writes it
    create_person("r1", display_name="Rut Ett", manager=boss)
    create_person("r2", display_name="Rolf Två", manager=boss)
    db.session.flush()

    assert names(unit_status.direct_reports(boss.id, [])) == ["Rolf Två", "Rut Ett"]
    assert names(unit_status.search(boss.id, [], "").rows) == ["Rolf Två", "Rut Ett"]
    assert unit_status.figures_under(boss.id, [])[1]["employee"].people == 2
    assert unit_status.loop_through(boss) == ["Berit Boss"]


def test_people_without_a_manager_and_without_reports(app):
    alone = create_person("ensam", display_name="Ensam Person")
    assert alone.manager_id is None
    assert unit_status.loop_through(alone) == []
    assert unit_status.direct_reports(alone.id, []) == []
    assert unit_status.figures_under(alone.id, []) == ({}, {})
    assert unit_status.search(alone.id, [], "").total == 0


def test_inactive_people_are_not_counted_or_listed(app, unit):
    gone = create_person("borta", display_name="Borta Person", manager=unit["middle"],
                         active=False)
    create_person("under.borta", display_name="Under Borta", manager=gone)
    per_root, per_kind = unit_status.figures_under(unit["chief"].id, [])
    # Someone below a person who left still belongs to the unit; the one who left does not.
    assert per_kind["employee"].people == 5
    assert per_root[unit["middle"].id].people == 4
    assert "Borta Person" not in names(unit_status.direct_reports(unit["middle"].id, []))
    assert "Borta Person" not in names(unit_status.search(unit["chief"].id, [], "").rows)


def tick_first_item(person: Person, role: ChecklistRole) -> int:
    """Tick one item of the person's checklist of this year; the items they hold in all."""
    year = today().year
    assignment = db.session.scalars(select(ChecklistAssignment).join(ChecklistTemplate).where(
        ChecklistTemplate.role == role, ChecklistAssignment.assignee_id == person.id,
        ChecklistAssignment.period == year)).one()
    item = next(i for i in assignment.template.items
                if i.in_period(year) and not i.requires_note)
    checklists.set_checked(person, checklists.access_of(person, None, assignment), assignment,
                           item, True)
    db.session.flush()
    return sum(1 for each in db.session.scalars(
        select(ChecklistItem).join(ChecklistAssignment, ChecklistAssignment.template_id
                                   == ChecklistItem.template_id)
        .where(ChecklistAssignment.assignee_id == person.id,
               ChecklistAssignment.period == year)) if each.in_period(year))


def test_checklist_progress_counts_the_ticked_items_of_this_years_checklists(app, unit):
    checklist_assignments.generate()
    total = tick_first_item(unit["middle"], ChecklistRole.MANAGER)
    rows = {row.name: row for row in unit_status.direct_reports(unit["chief"].id, [])}
    middle = rows["Öst Mellanchef"].checklist
    assert (middle.done, middle.total) == (1, total)
    # The default templates give managers a checklist, not everyone.
    assert rows["Bo Direkt"].checklist.total == 0
    per_root, per_kind = unit_status.figures_under(unit["chief"].id, [])
    assert (per_root[unit["middle"].id].checklists.done,
            per_root[unit["middle"].id].checklists.total) == (1, total)
    # The chief's own checklist is not the unit's.
    assert (per_kind["employee"].checklists.done, per_kind["employee"].checklists.total) == (
        1, total)


@pytest.fixture
def statuses():
    """A document published 100 days ago (30 days to acknowledge) and a training due ten
    days ago, both for the municipality; four people under one manager: one who has done
    both, one who came long ago and has not, a newcomer, and one in another company."""
    org = create_organization()
    company = create_organization("Exempelby Energi AB")
    chief = create_person("chef", display_name="Chef Ek", organization=org)
    done = create_person("klar", display_name="Klara Klar", manager=chief, organization=org)
    late = create_person("sen", display_name="Sigge Sen", manager=chief, organization=org)
    create_person("ny", display_name="Nina Ny", manager=chief, organization=org,
                  kind=PersonKind.CONSULTANT)
    away = create_person("bolag", display_name="Bo Bolag", manager=chief,
                         organization=company)
    joined_long_ago(chief, done, late, away)
    document = create_document("Informationssäkerhetspolicy", organization=org,
                               published_at=utcnow() - timedelta(days=100))
    training = create_training("Grundkurs", organization=org, due_on=today() - timedelta(days=10))
    acknowledgements.acknowledge(done, EMPLOYEE, document, document.versions[0].id)
    completions.confirm_self(done, EMPLOYEE, training, today() - timedelta(days=20))
    db.session.flush()
    return {"chief": chief, "document": document, "training": training,
            "requirements": requirements.current()}


def test_each_person_has_a_status_per_document_and_training(app, statuses):
    found = statuses["requirements"]
    assert [r.key for r in found] == [f"document-{statuses['document'].id}",
                                      f"training-{statuses['training'].id}"]
    rows = {row.name: row for row in unit_status.direct_reports(statuses["chief"].id, found)}
    document, training = (r.key for r in found)
    assert rows["Klara Klar"].statuses == {document: "done", training: "done"}
    assert rows["Sigge Sen"].statuses == {document: "overdue", training: "overdue"}
    # A newcomer gets their own period before anything is late.
    assert rows["Nina Ny"].statuses == {document: "open", training: "open"}
    assert rows["Bo Bolag"].statuses == {document: None, training: None}
    assert rows["Sigge Sen"].open_count == 2 and rows["Sigge Sen"].overdue_count == 2
    assert rows["Nina Ny"].kind == "Konsulter"


def test_figures_per_person_kind_and_per_requirement(app, statuses):
    found = statuses["requirements"]
    per_root, per_kind = unit_status.figures_under(statuses["chief"].id, found)
    employees, consultants = per_kind["employee"], per_kind["consultant"]
    assert employees.people == 3 and consultants.people == 1
    # Bo Bolag is an employee but not asked: only Klara and Sigge count for the employees.
    assert (employees.documents.done, employees.documents.total) == (1, 2)
    assert (employees.trainings.done, employees.trainings.total) == (1, 2)
    assert (consultants.documents.done, consultants.documents.total) == (0, 1)
    assert employees.documents.percent == 50
    key = f"document-{statuses['document'].id}"
    assert (employees.per_requirement[key].done, employees.per_requirement[key].total) == (1, 2)
    assert sum(f.people for f in per_root.values()) == 4


def test_a_big_unit_is_counted_through_the_recursive_query_with_the_same_figures(
        app, statuses, monkeypatch):
    chief, found = statuses["chief"], statuses["requirements"]
    by_ids = unit_status.figures_under(chief.id, found)
    # Units above SMALL_UNIT people take the other path: it must count the same.
    monkeypatch.setattr(unit_status, "SMALL_UNIT", 1)
    assert unit_status.figures_under(chief.id, found) == by_ids
    assert sum(f.people for f in by_ids[0].values()) == 4


def test_search_by_name_only_not_done_and_by_status(app, statuses):
    chief, found = statuses["chief"].id, statuses["requirements"]
    assert names(unit_status.search(chief, found, "sigge").rows) == ["Sigge Sen"]
    assert names(unit_status.search(chief, found, "SEN sig").rows) == ["Sigge Sen"]
    assert names(unit_status.search(chief, found, "").rows) == [
        "Bo Bolag", "Klara Klar", "Nina Ny", "Sigge Sen"]
    assert names(unit_status.search(chief, found, "", only_open=True).rows) == [
        "Nina Ny", "Sigge Sen"]
    # Most left first: two overdue, then two open, then those with nothing left by name.
    assert names(unit_status.search(chief, found, "", sort="status").rows) == [
        "Sigge Sen", "Nina Ny", "Bo Bolag", "Klara Klar"]
    listing = unit_status.search(chief, found, "", limit=2)
    assert names(listing.rows) == ["Bo Bolag", "Klara Klar"]
    assert listing.total == 4 and listing.truncated
    assert unit_status.search(chief, found, "ingen sådan").total == 0


def test_search_finds_names_whatever_the_case_and_accents(app, unit):
    assert names(unit_status.search(unit["chief"].id, [], "åke").rows) == ["Åke Berg"]
    assert names(unit_status.search(unit["chief"].id, [], "ÖST").rows) == ["Öst Mellanchef"]
    # Only people in the manager's own subtree are searched.
    assert unit_status.search(unit["middle"].id, [], "bo").total == 0


def test_the_unit_needs_the_same_number_of_queries_for_3_or_30_people(app, count_queries):
    org = create_organization()
    create_document("Policy", organization=org, published_at=utcnow() - timedelta(days=100))
    create_training("Grundkurs", organization=org, due_on=today() - timedelta(days=10))
    chief = create_person("chef", organization=org)

    def team(size: int, prefix: str) -> None:
        leader = create_person(f"{prefix}.ledare", manager=chief, organization=org)
        for n in range(size):
            create_person(f"{prefix}.{n}", manager=leader if n % 2 else chief,
                          organization=org)

    def measure() -> int:
        found = requirements.current()
        with count_queries() as counter:
            unit_status.direct_reports(chief.id, found)
            unit_status.figures_under(chief.id, found)
        return counter.count

    team(3, "liten")
    small = measure()
    team(27, "stor")
    assert measure() == small
