"""Role checklists and the annual wheel (årshjul) through their services: the default
templates and the coordinator's changes per period, assignments generated from the register
and the directory's reporting lines (idempotent, following role changes), ticking and
unticking with notes, rights and an append-only history, the facts shown beside items, the
wheel for a person and for the group — in a number of queries that does not grow with the
number of assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.clock import today
from app.extensions import db
from app.models import (
    AssignmentHolder,
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    InformationSystem,
    ItemCheck,
    LifecycleStatus,
    Organization,
    Person,
    SubjectType,
    Training,
)
from app.services import (
    DomainError,
    Forbidden,
    NotFound,
    acknowledgements,
    annual_wheel,
    checklist_assignments,
    checklist_facts,
    checklist_templates,
    checklists,
    completions,
    trainings,
)
from app.services.audience import AudienceRule
from app.services.checklist_templates import ItemFields
from app.services.system_access import CoordinatorScope
from app.services.trainings import TrainingFields
from demo.systems import load_demo_systems
from tests.factories import (
    create_action_item,
    create_classification,
    create_document,
    create_organization,
    create_person,
    create_risk_analysis,
    create_system,
    create_systems_in_bulk,
)
from tests.group_helpers import (
    EVERYTHING,
    HOUSING,
    LONG_AGO,
    company,
    coordinator,
    count_of,
    events,
    joined,
    only,
    refused,
    roles,
)

OWNER = ChecklistRole.SYSTEM_OWNER
ADMINISTRATOR = ChecklistRole.SYSTEM_ADMINISTRATOR
MANAGER = ChecklistRole.MANAGER
EMPLOYEE = ChecklistRole.EMPLOYEE

ADMINISTRATOR_TITLES = [
    "Genomför informationsklassning enligt KLASSA",
    "Dokumentera handlingsplan",
    "Genomför riskanalys",
    "Genomför behörighetsgranskning",
    "Kontrollera loggning och loggranskning",
    "Testa återläsning av säkerhetskopia",
    "Uppdatera kontinuitetsplan",
    "Kontrollera att leverantörsavtalet omfattar incidentrapportering",
]
OWNER_TITLES = [
    "Godkänn informationsklassningen",
    "Säkerställ att riskanalys genomförts",
    "Besluta om åtgärder i handlingsplanen",
    "Säkerställ att förvaltaren har tid och kompetens",
    "Genomgå utbildning för systemägare",
]
MANAGER_TITLES = [
    "Säkerställ att medarbetarna genomfört årets utbildning",
    "Säkerställ att medarbetarna kvitterat informationssäkerhetspolicyn",
    "Gå igenom incidentrutinen på en arbetsplatsträff",
    "Ta upp informationssäkerhet i verksamhetsplaneringen",
    "Följ upp behörigheter vid anställningsförändringar",
]
# Swedish abbreviated months as the facts show them (without the abbreviation's dot).
SWEDISH_MONTHS = ["jan", "feb", "mars", "apr", "maj", "juni", "juli", "aug", "sep", "okt",
                  "nov", "dec"]


# -- helpers ----------------------------------------------------------------------------------

def year() -> int:
    return today().year


def swedish(day: date) -> str:
    return f"{day.day} {SWEDISH_MONTHS[day.month - 1]} {day.year}"


def member(name: str, organization: Organization, *, manager: Person | None = None,
           active: bool = True) -> Person:
    """A long-standing member of staff."""
    return joined(create_person(display_name=name, organization=organization, manager=manager,
                                active=active), LONG_AGO)


def template(role: ChecklistRole) -> ChecklistTemplate:
    return checklist_templates.template_of(role.value)


def titles(role: ChecklistRole) -> list[str]:
    """The template's items in their order, retired ones too."""
    db.session.flush()
    db.session.expire_all()
    return [i.title for i in sorted(template(role).items, key=lambda i: (i.position, i.id))]


def item(role: ChecklistRole, title: str) -> ChecklistItem:
    return next(i for i in template(role).items if i.title == title)


def fields(**changes: object) -> ItemFields:
    values: dict[str, object] = {"title": "Kontrollera brandväggsreglerna", "help_text": "",
                                 "document_id": None, "requires_note": False, "due_month": 5}
    values.update(changes)
    return ItemFields(**values)  # type: ignore[arg-type]


def templates_from(period: int) -> None:
    """As if the default templates had been made in an earlier period."""
    checklist_templates.ensure_defaults()
    for each in db.session.scalars(select(ChecklistItem)):
        each.first_period = min(each.first_period, period)
    db.session.flush()


def generate(period: int | None = None) -> checklist_assignments.GenerateResult:
    result = checklist_assignments.generate(period)
    db.session.flush()
    return result


def outcome(result: checklist_assignments.GenerateResult) -> tuple[int, int, int]:
    return result.created, result.reassigned, result.unassigned


def subject_of(subject: InformationSystem | Person) -> tuple[SubjectType, int]:
    if isinstance(subject, InformationSystem):
        return SubjectType.SYSTEM, subject.id
    return SubjectType.PERSON, subject.id


def assignment_of(role: ChecklistRole, subject: InformationSystem | Person,
                  period: int | None = None) -> ChecklistAssignment:
    subject_type, subject_id = subject_of(subject)
    return db.session.scalars(select(ChecklistAssignment).join(ChecklistTemplate).where(
        ChecklistTemplate.role == role, ChecklistAssignment.subject_type == subject_type,
        ChecklistAssignment.subject_id == subject_id,
        ChecklistAssignment.period == (period or year()))).one()


def held(period: int | None = None) -> set[tuple[str, str, int, int | None]]:
    """Every assignment of the period as (role, subject type, subject id, assignee id)."""
    db.session.flush()
    return {(role.value, subject_type.value, subject_id, assignee_id)
            for role, subject_type, subject_id, assignee_id in db.session.execute(
                select(ChecklistTemplate.role, ChecklistAssignment.subject_type,
                       ChecklistAssignment.subject_id, ChecklistAssignment.assignee_id)
                .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistAssignment.template_id)
                .where(ChecklistAssignment.period == (period or year())))}


def holders_of(assignment: ChecklistAssignment) -> list[int | None]:
    db.session.flush()
    return list(db.session.scalars(select(AssignmentHolder.person_id).where(
        AssignmentHolder.assignment_id == assignment.id).order_by(AssignmentHolder.id)))


def access(person: Person, assignment: ChecklistAssignment,
           scope: CoordinatorScope | None = None) -> checklists.Access:
    return checklists.access_of(person, scope, assignment)


def tick(actor: Person, assignment: ChecklistAssignment, what: ChecklistItem,
         checked: bool = True, *, scope: CoordinatorScope | None = None,
         **values: str) -> ItemCheck:
    row = checklists.set_checked(actor, access(actor, assignment, scope), assignment, what,
                                 checked, **values)
    db.session.flush()
    return row


def view_of(person: Person, assignment: ChecklistAssignment,
            period: int | None = None) -> checklists.ChecklistView:
    return next(v for v in checklists.mine(person, period)
                if v.assignment.id == assignment.id)


def listed(person: Person, period: int | None = None) -> set[tuple[str, str]]:
    """The person's checklists as (role, subject name)."""
    return {(v.assignment.template.role.value, v.subject)
            for v in checklists.mine(person, period)}


def item_titles(view: checklists.ChecklistView) -> list[str]:
    return [state.item.title for state in view.items]


@dataclass
class Group:
    """A small municipality: a manager with two reports, owners and administrators of
    systems, a retired system, a deactivated owner and people who manage nobody active."""

    kommun: Organization
    siv: Person  # coordinator
    karin: Person  # manager of olle and anna
    olle: Person  # owns Ekonomisystemet, Lönesystemet and the retired Gamla diariet
    anna: Person  # administers Ekonomisystemet (first), Kartan and Gamla diariet
    bo: Person  # administers Ekonomisystemet (second) and Lönesystemet; owns Arkivet
    dag: Person  # deactivated owner of Kartan
    lars: Person  # manager of a deactivated person only
    mona: Person  # deactivated manager of nils
    nils: Person
    former: Person  # deactivated; reported to lars; administers Arkivet
    ekonomi: InformationSystem
    lon: InformationSystem
    kartan: InformationSystem
    gamla: InformationSystem
    arkivet: InformationSystem
    agarlost: InformationSystem


def small_group() -> Group:
    kommun = create_organization()
    siv = joined(coordinator(kommun), LONG_AGO)
    karin = member("Karin Chef", kommun)
    olle = member("Olle Ägare", kommun, manager=karin)
    anna = member("Anna Förvaltare", kommun, manager=karin)
    bo = member("Bo Förvaltare", kommun)
    dag = member("Dag Slutat", kommun, active=False)
    lars = member("Lars Chef", kommun)
    former = member("Fia Slutat", kommun, manager=lars, active=False)
    mona = member("Mona Slutat", kommun, active=False)
    nils = member("Nils Medarbetare", kommun, manager=mona)
    return Group(
        kommun, siv, karin, olle, anna, bo, dag, lars, mona, nils, former,
        ekonomi=create_system("Ekonomisystemet", organization=kommun, owner=olle,
                              administrators=(anna, bo)),
        lon=create_system("Lönesystemet", organization=kommun, owner=olle, administrators=(bo,)),
        kartan=create_system("Kartan", organization=kommun, owner=dag, administrators=(anna,)),
        gamla=create_system("Gamla diariet", organization=kommun, owner=olle,
                            administrators=(anna,), status="retired"),
        arkivet=create_system("Arkivet", organization=kommun, owner=bo, administrators=(former,)),
        agarlost=create_system("Ägarlöst", organization=kommun))


def expected_assignments(g: Group) -> set[tuple[str, str, int, int | None]]:
    return {("system_owner", "system", g.ekonomi.id, g.olle.id),
            ("system_owner", "system", g.lon.id, g.olle.id),
            ("system_owner", "system", g.arkivet.id, g.bo.id),
            ("system_administrator", "system", g.ekonomi.id, g.anna.id),
            ("system_administrator", "system", g.lon.id, g.bo.id),
            ("system_administrator", "system", g.kartan.id, g.anna.id),
            ("manager", "person", g.karin.id, g.karin.id)}


def training_fields(organization: Organization, **changes: object) -> TrainingFields:
    """A training of this calendar year for the organization, due at midsummer."""
    values: dict[str, object] = {
        "title": "Informationssäkerhet grund", "description": "", "link": "",
        "organization_id": organization.id, "period_starts_on": date(year(), 1, 1),
        "period_ends_on": date(year(), 12, 31), "due_on": date(year(), 6, 30),
        "proof": "both", "audience": AudienceRule(organization_ids=(organization.id,))}
    values.update(changes)
    return TrainingFields(**values)  # type: ignore[arg-type]


def new_training(actor: Person, organization: Organization, **changes: object) -> Training:
    training = trainings.create(actor, training_fields(organization, **changes), EVERYTHING)
    db.session.flush()
    return training


# -- templates --------------------------------------------------------------------------------

def test_default_templates_are_made_once_with_the_swedish_items(app):
    made = checklist_templates.ensure_defaults()
    assert [t.role for t in made] == [OWNER, ADMINISTRATOR, MANAGER, EMPLOYEE]
    assert titles(ADMINISTRATOR) == ADMINISTRATOR_TITLES
    assert titles(OWNER) == OWNER_TITLES
    assert titles(MANAGER) == MANAGER_TITLES
    assert titles(EMPLOYEE) == []
    for role in ChecklistRole:
        ordered = sorted(template(role).items, key=lambda i: i.position)
        assert [i.position for i in ordered] == list(range(len(ordered)))
        assert all(i.first_period == year() and i.retired_from_period is None
                   and i.in_period(year()) for i in ordered)
    assert item(ADMINISTRATOR, "Testa återläsning av säkerhetskopia").requires_note
    assert not item(OWNER, "Godkänn informationsklassningen").requires_note
    assert item(OWNER, "Godkänn informationsklassningen").due_month == 3
    assert item(MANAGER, "Följ upp behörigheter vid anställningsförändringar").due_month is None
    assert item(ADMINISTRATOR, "Genomför informationsklassning enligt KLASSA").fact == (
        "classification")

    ids = {t.role: t.id for t in made}
    again = checklist_templates.ensure_defaults()
    assert {t.role: t.id for t in again} == ids
    assert count_of(ChecklistTemplate) == 4
    assert count_of(ChecklistItem) == len(ADMINISTRATOR_TITLES) + len(OWNER_TITLES) + len(
        MANAGER_TITLES)
    # Retiring every item of a template does not bring the defaults back.
    for each in template(OWNER).items:
        each.retired_from_period = year()
    checklist_templates.ensure_defaults()
    assert count_of(ChecklistItem) == 18
    with pytest.raises(NotFound):
        checklist_templates.template_of("styrelse")


def test_an_added_item_applies_from_the_next_period_unless_applied_now(app):
    g = small_group()
    generate()
    administrators = assignment_of(ADMINISTRATOR, g.ekonomi)

    later = checklist_templates.add_item(g.siv, template(ADMINISTRATOR),
                                         fields(title="  Granska brandväggsreglerna  "),
                                         False, EVERYTHING)
    db.session.flush()
    assert later.title == "Granska brandväggsreglerna"
    assert (later.first_period, later.retired_from_period) == (year() + 1, None)
    assert not later.in_period(year()) and later.in_period(year() + 1)
    assert later.position == len(ADMINISTRATOR_TITLES)
    assert item_titles(view_of(g.anna, administrators)) == ADMINISTRATOR_TITLES

    now = checklist_templates.add_item(g.siv, template(ADMINISTRATOR), fields(
        title="Kontrollera säkerhetsloggarna", due_month=None, requires_note=True,
        help_text="Se **rutinen**."), True, EVERYTHING)
    db.session.flush()
    assert now.first_period == year() and now.in_period(year())
    assert (now.due_month, now.requires_note, now.help_text) == (None, True, "Se **rutinen**.")
    assert now.position == len(ADMINISTRATOR_TITLES) + 1
    assert item_titles(view_of(g.anna, administrators)) == [
        *ADMINISTRATOR_TITLES, "Kontrollera säkerhetsloggarna"]
    assert titles(ADMINISTRATOR) == [*ADMINISTRATOR_TITLES, "Granska brandväggsreglerna",
                                     "Kontrollera säkerhetsloggarna"]

    added = events("checklist.item_added")
    assert [(e.actor_id, e.object_type, e.object_id) for e in added] == [
        (g.siv.id, "checklist_item", str(later.id)), (g.siv.id, "checklist_item", str(now.id))]
    assert added[0].details == {"role": "system_administrator",
                                "title": "Granska brandväggsreglerna",
                                "first_period": year() + 1}
    assert added[1].details["first_period"] == year()


def test_a_retired_item_stays_with_its_ticks(app):
    g = small_group()
    generate()
    owner_checklist = assignment_of(OWNER, g.ekonomi)
    later = item(OWNER, "Säkerställ att förvaltaren har tid och kompetens")
    at_once = item(OWNER, "Genomgå utbildning för systemägare")
    ticked = tick(g.olle, owner_checklist, at_once)

    checklist_templates.retire_item(g.siv, later, False, EVERYTHING)
    checklist_templates.retire_item(g.siv, at_once, True, EVERYTHING)
    db.session.flush()
    db.session.expire_all()
    assert db.session.get(ChecklistItem, later.id).retired_from_period == year() + 1
    assert db.session.get(ChecklistItem, at_once.id).retired_from_period == year()
    # Retired this period: gone from the checklist; from the next: still there this year.
    assert item_titles(view_of(g.olle, owner_checklist)) == OWNER_TITLES[:4]
    # Never deleted: the row and the tick pointing at it are still there.
    assert titles(OWNER) == OWNER_TITLES
    assert db.session.get(ItemCheck, ticked.id).item_id == at_once.id
    assert [c.id for c in checklists.history(owner_checklist)[at_once.id]] == [ticked.id]

    with pytest.raises(DomainError) as error:
        checklist_templates.retire_item(g.siv, db.session.get(ChecklistItem, later.id), True,
                                        EVERYTHING)
    assert str(year() + 1) in refused(error, None)
    assert db.session.get(ChecklistItem, later.id).retired_from_period == year() + 1

    # An item added for next year and retired now never applies, and is kept all the same.
    planned = checklist_templates.add_item(g.siv, template(OWNER), fields(), False, EVERYTHING)
    checklist_templates.retire_item(g.siv, planned, True, EVERYTHING)
    assert planned.retired_from_period == planned.first_period == year() + 1
    assert not planned.in_period(year()) and not planned.in_period(year() + 1)

    retired = events("checklist.item_retired")
    assert [(e.object_id, e.details) for e in retired] == [
        (str(later.id), {"from_period": year() + 1}), (str(at_once.id), {"from_period": year()}),
        (str(planned.id), {"from_period": year() + 1})]
    assert count_of(ChecklistItem) == 19


def test_items_move_up_and_down_and_are_renumbered(app):
    siv = coordinator(create_organization())
    checklist_templates.ensure_defaults()
    manager = template(MANAGER)
    last = item(MANAGER, MANAGER_TITLES[-1])

    checklist_templates.move_item(siv, manager, last, -1, EVERYTHING)
    assert titles(MANAGER) == [*MANAGER_TITLES[:3], MANAGER_TITLES[4], MANAGER_TITLES[3]]
    first = item(MANAGER, MANAGER_TITLES[0])
    checklist_templates.move_item(siv, template(MANAGER), first, +1, EVERYTHING)
    assert titles(MANAGER) == [MANAGER_TITLES[1], MANAGER_TITLES[0], MANAGER_TITLES[2],
                               MANAGER_TITLES[4], MANAGER_TITLES[3]]
    assert sorted(i.position for i in template(MANAGER).items) == [0, 1, 2, 3, 4]

    # The top one cannot go further up, nor the bottom one down: nothing changes.
    top = item(MANAGER, MANAGER_TITLES[1])
    checklist_templates.move_item(siv, template(MANAGER), top, -1, EVERYTHING)
    bottom = item(MANAGER, MANAGER_TITLES[3])
    checklist_templates.move_item(siv, template(MANAGER), bottom, +1, EVERYTHING)
    assert titles(MANAGER) == [MANAGER_TITLES[1], MANAGER_TITLES[0], MANAGER_TITLES[2],
                               MANAGER_TITLES[4], MANAGER_TITLES[3]]

    # Positions with gaps or ties (from retirements or old data) are renumbered by a move.
    for each, position in zip(template(MANAGER).items, (10, 10, 30, 40, 50), strict=True):
        each.position = position
    db.session.flush()
    third = sorted(template(MANAGER).items, key=lambda i: (i.position, i.id))[2]
    checklist_templates.move_item(siv, template(MANAGER), third, -1, EVERYTHING)
    assert sorted(i.position for i in template(MANAGER).items) == [0, 1, 2, 3, 4]
    assert titles(MANAGER).index(third.title) == 1

    moved = events("checklist.item_moved")
    assert [(e.actor_id, e.object_id) for e in moved[:2]] == [(siv.id, str(last.id)),
                                                              (siv.id, str(first.id))]
    assert moved[0].details == {"position": 3} and moved[1].details == {"position": 1}


def test_only_the_group_coordinator_changes_templates(app):
    kommun = create_organization()
    siv = coordinator(kommun)
    checklist_templates.ensure_defaults()
    owner = template(OWNER)
    first = item(OWNER, OWNER_TITLES[0])
    for scope in (only(kommun), only(company(HOUSING)), None):
        with pytest.raises(Forbidden):
            checklist_templates.add_item(siv, owner, fields(), True, scope)
        with pytest.raises(Forbidden):
            checklist_templates.change_item(siv, first, fields(title="Ändrad"), scope)
        with pytest.raises(Forbidden):
            checklist_templates.move_item(siv, owner, first, +1, scope)
        with pytest.raises(Forbidden):
            checklist_templates.retire_item(siv, first, True, scope)
    db.session.expire_all()
    assert titles(OWNER) == OWNER_TITLES
    assert item(OWNER, OWNER_TITLES[0]).retired_from_period is None
    assert count_of(ChecklistItem) == 18
    for action in ("added", "changed", "moved", "retired"):
        assert events(f"checklist.item_{action}") == []


def test_bad_item_input_is_refused_and_names_its_field(app):
    kommun = create_organization()
    siv = coordinator(kommun)
    checklist_templates.ensure_defaults()
    cases = [({"due_month": 13}, "due_month"), ({"due_month": 0}, "due_month"),
             ({"due_month": -1}, "due_month"), ({"title": ""}, "title"),
             ({"title": "   "}, "title"), ({"title": "Å" * 301}, "title"),
             ({"help_text": "x" * 5001}, "help_text"), ({"document_id": 999999}, "document_id")]
    for changes, field in cases:
        with pytest.raises(DomainError) as error:
            checklist_templates.add_item(siv, template(OWNER), fields(**changes), True,
                                         EVERYTHING)
        refused(error, field)
    assert count_of(ChecklistItem) == 18
    assert events("checklist.item_added") == []

    # Every month and "vid behov" are fine; a governing document may be linked.
    document = create_document(organization=kommun)
    for month in (1, 12, None):
        made = checklist_templates.add_item(siv, template(OWNER), fields(due_month=month,
                                            document_id=document.id), True, EVERYTHING)
        assert (made.due_month, made.document_id) == (month, document.id)

    # A change is checked the same way and recorded with before and after.
    target = item(OWNER, OWNER_TITLES[1])
    with pytest.raises(DomainError) as error:
        checklist_templates.change_item(siv, target, fields(due_month=13), EVERYTHING)
    refused(error, "due_month")
    db.session.expire(target)  # as the page's rollback would
    assert target.title == OWNER_TITLES[1]
    checklist_templates.change_item(siv, target, fields(
        title="Säkerställ att riskanalysen är gjord", due_month=6, requires_note=True),
        EVERYTHING)
    [changed] = events("checklist.item_changed")
    assert changed.object_id == str(target.id)
    assert changed.details == {
        "before": {"title": OWNER_TITLES[1], "due_month": 5, "requires_note": False},
        "after": {"title": "Säkerställ att riskanalysen är gjord", "due_month": 6,
                  "requires_note": True}}


# -- assignments ------------------------------------------------------------------------------

def test_assignments_come_from_the_register_and_the_reporting_lines(app):
    g = small_group()
    result = generate()
    assert result.period == year()
    assert outcome(result) == (7, 0, 0)
    assert held() == expected_assignments(g)
    assert count_of(AssignmentHolder) == 7
    for role, subject in ((OWNER, g.ekonomi), (ADMINISTRATOR, g.kartan), (MANAGER, g.karin)):
        assignment = assignment_of(role, subject)
        assert holders_of(assignment) == [assignment.assignee_id]
    [generated] = events("checklist.assignments_generated")
    assert (generated.actor_id, generated.object_type, generated.object_id) == (
        None, "checklist", str(year()))
    assert generated.details == {"created": 7, "reassigned": 0, "unassigned": 0}

    # Idempotent: nothing new, nothing moved, no rows added, no further event.
    again = generate()
    assert outcome(again) == (0, 0, 0)
    assert held() == expected_assignments(g)
    assert (count_of(ChecklistAssignment), count_of(AssignmentHolder)) == (7, 7)
    assert len(events("checklist.assignments_generated")) == 1

    # Each person sees their own checklists (an administrator every system they run).
    assert listed(g.olle) == {("system_owner", "Ekonomisystemet"),
                              ("system_owner", "Lönesystemet")}
    assert listed(g.anna) == {("system_administrator", "Ekonomisystemet"),
                              ("system_administrator", "Kartan")}
    assert listed(g.bo) == {("system_owner", "Arkivet"),
                            ("system_administrator", "Ekonomisystemet"),
                            ("system_administrator", "Lönesystemet")}
    assert listed(g.karin) == {("manager", "Karin Chef")}
    for nobody in (g.siv, g.lars, g.nils):
        assert listed(nobody) == set()
        assert checklists.open_count(nobody) == 0
    assert checklists.open_count(g.olle) == 2 * len(OWNER_TITLES)

    # Another period is generated on its own.
    assert outcome(generate(year() - 1)) == (7, 0, 0)
    assert count_of(ChecklistAssignment) == 14


def test_a_new_owner_takes_over_the_checklist_and_the_ticks_stay(app):
    g = small_group()
    generate()
    checklist = assignment_of(OWNER, g.ekonomi)
    first = item(OWNER, OWNER_TITLES[0])
    olles_tick = tick(g.olle, checklist, first)

    pia = member("Pia Ny Ägare", g.kommun)
    g.ekonomi.owner = pia
    db.session.flush()
    result = generate()
    assert outcome(result) == (0, 1, 0)
    assert events("checklist.assignments_generated")[-1].details == {
        "created": 0, "reassigned": 1, "unassigned": 0}
    db.session.expire_all()
    assert assignment_of(OWNER, g.ekonomi).id == checklist.id
    assert assignment_of(OWNER, g.ekonomi).assignee_id == pia.id
    assert holders_of(checklist) == [g.olle.id, pia.id]
    assert count_of(ChecklistAssignment) == 7

    # Olle's tick stays his; the checklist with its open items is Pia's now.
    assert db.session.get(ItemCheck, olles_tick.id).by_id == g.olle.id
    taken_over = view_of(pia, checklist)
    assert [s.done for s in taken_over.items] == [True, False, False, False, False]
    assert taken_over.items[0].latest.by_id == g.olle.id
    assert listed(g.olle) == {("system_owner", "Lönesystemet")}
    assert access(g.olle, checklist) == checklists.Access(False, False, False)
    assert access(pia, checklist).tick
    second = tick(pia, checklist, item(OWNER, OWNER_TITLES[1]))
    assert second.by_id == pia.id
    with pytest.raises(Forbidden):
        tick(g.olle, checklist, item(OWNER, OWNER_TITLES[2]))
    assert outcome(generate()) == (0, 0, 0)


def test_retired_systems_and_deactivated_owners_leave_the_checklist_unassigned(app):
    g = small_group()
    generate()
    owner_checklist = assignment_of(OWNER, g.lon)
    administrator_checklist = assignment_of(ADMINISTRATOR, g.lon)
    tick(g.bo, administrator_checklist, item(ADMINISTRATOR, ADMINISTRATOR_TITLES[0]))

    g.lon.status = LifecycleStatus.RETIRED
    db.session.flush()
    assert outcome(generate()) == (0, 0, 2)
    db.session.expire_all()
    assert assignment_of(OWNER, g.lon).assignee_id is None
    assert assignment_of(ADMINISTRATOR, g.lon).assignee_id is None
    assert holders_of(owner_checklist) == [g.olle.id, None]
    assert holders_of(administrator_checklist) == [g.bo.id, None]
    # Nobody has the retired system's checklists among their tasks; the history remains.
    assert listed(g.olle) == {("system_owner", "Ekonomisystemet")}
    assert listed(g.bo) == {("system_owner", "Arkivet"),
                            ("system_administrator", "Ekonomisystemet")}
    assert len(checklists.history(administrator_checklist)) == 1

    # The owner leaves the organization: his checklists wait for the next owner.
    g.olle.active = False
    db.session.flush()
    assert outcome(generate()) == (0, 0, 1)
    assert assignment_of(OWNER, g.ekonomi).assignee_id is None
    # The manager loses her last active report: no manager checklist for her.
    g.anna.active = False
    db.session.flush()
    assert outcome(generate()) == (0, 1, 2)  # Ekonomisystemet's administrators go to Bo
    assert assignment_of(ADMINISTRATOR, g.ekonomi).assignee_id == g.bo.id
    assert assignment_of(ADMINISTRATOR, g.kartan).assignee_id is None
    assert assignment_of(MANAGER, g.karin).assignee_id is None
    assert outcome(generate()) == (0, 0, 0)

    # A new owner of a system without an owner gets the checklist at once.
    g.ekonomi.owner = g.karin
    db.session.flush()
    assert outcome(generate()) == (0, 1, 0)
    assert ("system_owner", "Ekonomisystemet") in listed(g.karin)
    assert holders_of(assignment_of(OWNER, g.ekonomi)) == [g.olle.id, None, g.karin.id]
    assert count_of(ChecklistAssignment) == 7


def test_a_new_system_owner_gets_their_checklist_at_once(app):
    g = small_group()
    generate()
    pia = member("Pia Ny Ägare", g.kommun)
    assert listed(pia) == set()
    tjanst = create_system("Nya e-tjänsten", organization=g.kommun, owner=pia,
                           administrators=(g.nils,))
    assert outcome(generate()) == (2, 0, 0)
    assert listed(pia) == {("system_owner", "Nya e-tjänsten")}
    assert listed(g.nils) == {("system_administrator", "Nya e-tjänsten")}
    assert assignment_of(OWNER, tjanst).assignee_id == pia.id
    assert item_titles(view_of(pia, assignment_of(OWNER, tjanst))) == OWNER_TITLES
    assert held() == expected_assignments(g) | {
        ("system_owner", "system", tjanst.id, pia.id),
        ("system_administrator", "system", tjanst.id, g.nils.id)}


def test_the_employee_checklist_comes_once_it_has_items_in_the_period(app):
    g = small_group()
    assert outcome(generate()) == (7, 0, 0)
    assert not {a for a in held() if a[0] == "employee"}

    checklist_templates.add_item(g.siv, template(EMPLOYEE), fields(
        title="Lås skärmen när du lämnar datorn"), False, EVERYTHING)
    assert outcome(generate()) == (0, 0, 0)
    active = set(db.session.scalars(select(Person.id).where(Person.active.is_(True))))
    assert len(active) == 7

    # Next year's employees' checklist is there for next year.
    assert {a[2] for a in held(year() + 1) if a[0] == "employee"} == set()
    generate(year() + 1)
    assert {(a[2], a[3]) for a in held(year() + 1) if a[0] == "employee"} == {
        (i, i) for i in active}

    checklist_templates.add_item(g.siv, template(EMPLOYEE), fields(
        title="Gå igenom rutinen för incidentrapportering"), True, EVERYTHING)
    assert outcome(generate()) == (len(active), 0, 0)
    assert {(a[2], a[3]) for a in held() if a[0] == "employee"} == {(i, i) for i in active}
    employee_checklist = assignment_of(EMPLOYEE, g.nils)
    assert listed(g.nils) == {("employee", "Nils Medarbetare")}
    assert item_titles(view_of(g.nils, employee_checklist)) == [
        "Gå igenom rutinen för incidentrapportering"]
    assert outcome(generate()) == (0, 0, 0)


def test_assignments_over_the_demo_group(demo_people):
    # The directory sync has already given the managers their checklists; the demo systems
    # are written straight into the register, so their checklists come with this generate.
    after_sync = held()
    load_demo_systems(date(2026, 11, 23))
    result = generate()

    # Computed without the generator's queries: in Python over every system and person.
    systems = list(db.session.scalars(select(InformationSystem)))
    live = [s for s in systems if s.status != LifecycleStatus.RETIRED]
    owners = {(s.id, s.owner_id) for s in live if s.owner is not None and s.owner.active}
    administrators = set()
    for system in live:
        active_ids = sorted(link.person_id for link in system.administrator_links
                            if link.person.active)
        if active_ids:
            administrators.add((system.id, active_ids[0]))
    everyone = list(db.session.scalars(select(Person)))
    managers = {(p.manager.id, p.manager.id) for p in everyone
                if p.active and p.manager is not None and p.manager.active}
    assert len(systems) > len(live) > len(owners) > 50
    assert administrators and len(managers) > 20

    found = held()
    assert {(s, a) for role, _type, s, a in found if role == "system_owner"} == owners
    assert {(s, a) for role, _type, s, a in found
            if role == "system_administrator"} == administrators
    assert {(s, a) for role, _type, s, a in found if role == "manager"} == managers
    assert len(found) == len(owners) + len(administrators) + len(managers)
    assert {(s, a) for role, _type, s, a in after_sync} == managers
    assert {role for role, *_rest in after_sync} == {"manager"}
    assert outcome(result) == (len(owners) + len(administrators), 0, 0)
    assert outcome(generate()) == (0, 0, 0)
    assert count_of(ChecklistAssignment) == len(found)


# -- ticking ----------------------------------------------------------------------------------

def test_the_holder_ticks_and_unticks_and_the_history_keeps_both(app):
    g = small_group()
    generate()
    checklist = assignment_of(OWNER, g.ekonomi)
    first = item(OWNER, OWNER_TITLES[0])
    assert access(g.olle, checklist) == checklists.Access(True, True, False)

    ticked = tick(g.olle, checklist, first, note="  Godkänd på ledningsmötet  ")
    assert (ticked.checked, ticked.by_id, ticked.note, ticked.evidence_link,
            ticked.on_behalf_reason) == (True, g.olle.id, "Godkänd på ledningsmötet", "", "")
    assert ticked.at is not None
    assert view_of(g.olle, checklist).items[0].done
    assert checklists.open_count(g.olle) == 2 * len(OWNER_TITLES) - 1

    unticked = tick(g.olle, checklist, first, False)
    assert (unticked.checked, unticked.by_id) == (False, g.olle.id)
    assert unticked.id != ticked.id
    assert [(c.id, c.checked) for c in checklists.history(checklist)[first.id]] == [
        (unticked.id, False), (ticked.id, True)]
    assert not view_of(g.olle, checklist).items[0].done
    assert view_of(g.olle, checklist).items[0].latest.id == unticked.id
    assert checklists.open_count(g.olle) == 2 * len(OWNER_TITLES)
    assert count_of(ItemCheck) == 2

    done, undone = events("checklist.ticked"), events("checklist.unticked")
    assert [(e.actor_id, e.object_type, e.object_id) for e in done + undone] == [
        (g.olle.id, "checklist_assignment", str(checklist.id))] * 2
    assert done[0].details == {"item": OWNER_TITLES[0], "item_id": first.id,
                               "on_behalf": False}

    found, found_access = checklists.get(checklist.id, g.olle, None)
    assert found.id == checklist.id and found_access.tick
    with pytest.raises(NotFound):
        checklists.get(checklist.id + 1000, g.olle, None)


def test_a_required_note_or_evidence_link(app):
    g = small_group()
    generate()
    checklist = assignment_of(ADMINISTRATOR, g.ekonomi)
    restore = item(ADMINISTRATOR, "Testa återläsning av säkerhetskopia")
    assert restore.requires_note
    for values in ({}, {"note": "   "}, {"evidence_link": "  "}):
        with pytest.raises(DomainError) as error:
            tick(g.anna, checklist, restore, **values)
        refused(error, "note")
    for link in ("ftp://filer.exempelby.se/test.pdf", "javascript:alert(1)",
                 "filer.exempelby.se/test.pdf"):
        with pytest.raises(DomainError) as error:
            tick(g.anna, checklist, restore, evidence_link=link)
        refused(error, "evidence_link")
    with pytest.raises(DomainError) as error:
        tick(g.anna, checklist, restore, note="x" * 2001)
    refused(error, "note")
    assert count_of(ItemCheck) == 0

    with_link = tick(g.anna, checklist, restore,
                     evidence_link="https://intranat.exempelby.se/test/aterlasning-2026")
    assert (with_link.note, with_link.evidence_link) == (
        "", "https://intranat.exempelby.se/test/aterlasning-2026")
    # Unticking needs no note; ticking again with a note alone is fine.
    tick(g.anna, checklist, restore, False)
    with_note = tick(g.anna, checklist, restore, note="Återläst testfil från bandet")
    assert with_note.note == "Återläst testfil från bandet"
    # An item without the rule is ticked without a note.
    assert tick(g.anna, checklist, item(ADMINISTRATOR, ADMINISTRATOR_TITLES[0])).note == ""
    assert count_of(ItemCheck) == 4


def test_who_may_see_and_tick_which_checklist(app):
    g = small_group()
    generate()
    administrators = assignment_of(ADMINISTRATOR, g.ekonomi)
    owners = assignment_of(OWNER, g.ekonomi)
    first = item(ADMINISTRATOR, ADMINISTRATOR_TITLES[0])
    assert administrators.assignee_id == g.anna.id

    # A second administrator of the system ticks the administrators' checklist too.
    assert access(g.bo, administrators) == checklists.Access(True, True, False)
    assert tick(g.bo, administrators, first).by_id == g.bo.id
    assert ("system_administrator", "Ekonomisystemet") in listed(g.bo)

    # The owner sees the administrators' checklist, read-only, and they see the owner's.
    assert access(g.olle, administrators) == checklists.Access(True, False, False)
    with pytest.raises(Forbidden):
        tick(g.olle, administrators, item(ADMINISTRATOR, ADMINISTRATOR_TITLES[1]))
    for administrator in (g.anna, g.bo):
        assert access(administrator, owners) == checklists.Access(True, False, False)
        with pytest.raises(Forbidden):
            tick(administrator, owners, item(OWNER, OWNER_TITLES[0]))
    assert checklists.get(administrators.id, g.olle, None)[1].view

    # Anyone else neither sees nor ticks it, nor does an administrator of another system.
    for stranger in (g.nils, g.karin, g.siv):
        assert access(stranger, administrators) == checklists.Access(False, False, False)
        with pytest.raises(Forbidden):
            checklists.get(administrators.id, stranger, None)
        with pytest.raises(Forbidden):
            tick(stranger, administrators, first, note="Jag gjorde det")
    with pytest.raises(Forbidden):
        tick(g.anna, assignment_of(ADMINISTRATOR, g.lon),
             item(ADMINISTRATOR, ADMINISTRATOR_TITLES[0]))
    with pytest.raises(Forbidden):
        tick(g.olle, assignment_of(MANAGER, g.karin), item(MANAGER, MANAGER_TITLES[0]))
    assert count_of(ItemCheck) == 1


def test_the_coordinator_ticks_on_behalf_with_a_reason(app):
    g = small_group()
    bostader = company(HOUSING)
    generate()
    checklist = assignment_of(OWNER, g.ekonomi)
    managers = assignment_of(MANAGER, g.karin)
    first = item(OWNER, OWNER_TITLES[0])

    for scope in (only(g.kommun), EVERYTHING):
        assert access(g.siv, checklist, scope) == checklists.Access(True, False, True)
        assert access(g.siv, managers, scope) == checklists.Access(True, False, True)
    assert access(g.siv, checklist, only(bostader)) == checklists.Access(False, False, False)
    with pytest.raises(Forbidden):
        tick(g.siv, checklist, first, scope=only(bostader), on_behalf_reason="Jag vill")
    for reason in ("", "   "):
        with pytest.raises(DomainError) as error:
            tick(g.siv, checklist, first, scope=only(g.kommun), on_behalf_reason=reason)
        refused(error, "on_behalf_reason")
    assert count_of(ItemCheck) == 0

    row = tick(g.siv, checklist, first, scope=only(g.kommun),
               on_behalf_reason="Olle är föräldraledig; beslutet finns i protokoll 12.")
    assert (row.by_id, row.checked, row.on_behalf_reason) == (
        g.siv.id, True, "Olle är föräldraledig; beslutet finns i protokoll 12.")
    assert view_of(g.olle, checklist).items[0].latest.by_id == g.siv.id
    assert events("checklist.ticked")[-1].details["on_behalf"] is True
    # The holder himself needs no reason even when he is a coordinator as well.
    own = tick(g.olle, checklist, item(OWNER, OWNER_TITLES[1]), scope=EVERYTHING)
    assert own.on_behalf_reason == ""
    assert events("checklist.ticked")[-1].details["on_behalf"] is False


def test_closed_periods_retired_items_and_other_templates_are_refused(app):
    g = small_group()
    templates_from(year() - 1)
    generate(year() - 1)
    generate()
    last_year = assignment_of(OWNER, g.ekonomi, year() - 1)
    this_year = assignment_of(OWNER, g.ekonomi)
    first = item(OWNER, OWNER_TITLES[0])
    assert access(g.olle, last_year).tick
    for checked in (True, False):
        with pytest.raises(DomainError) as error:
            tick(g.olle, last_year, first, checked)
        assert str(year() - 1) in refused(error, None)

    retired = item(OWNER, OWNER_TITLES[4])
    checklist_templates.retire_item(g.siv, retired, True, EVERYTHING)
    with pytest.raises(DomainError) as error:
        tick(g.olle, this_year, retired)
    refused(error, None)
    not_yet = checklist_templates.add_item(g.siv, template(OWNER), fields(), False, EVERYTHING)
    with pytest.raises(DomainError):
        tick(g.olle, this_year, not_yet)

    with pytest.raises(NotFound):
        tick(g.olle, this_year, item(ADMINISTRATOR, ADMINISTRATOR_TITLES[0]))
    with pytest.raises(NotFound):
        tick(g.anna, assignment_of(ADMINISTRATOR, g.ekonomi), first)
    assert count_of(ItemCheck) == 0
    assert events("checklist.ticked") == []
    assert tick(g.olle, this_year, first).checked


def test_ticks_and_holders_cannot_be_changed_or_deleted(app):
    g = small_group()
    generate()
    checklist = assignment_of(OWNER, g.ekonomi)
    row = tick(g.olle, checklist, item(OWNER, OWNER_TITLES[0]), note="Klart")
    holder = db.session.scalars(select(AssignmentHolder).where(
        AssignmentHolder.assignment_id == checklist.id)).one()

    def stored() -> tuple:
        return db.session.execute(text(
            "SELECT assignment_id, item_id, checked, by_id, note, evidence_link "
            "FROM item_check WHERE id = :id"), {"id": row.id}).one()._tuple()

    def stored_holder() -> tuple:
        return db.session.execute(text(
            "SELECT assignment_id, person_id FROM assignment_holder WHERE id = :id"),
            {"id": holder.id}).one()._tuple()

    original, original_holder = stored(), stored_holder()
    attempts = [
        lambda: setattr(row, "checked", False),
        lambda: setattr(row, "note", "Ändrad i efterhand"),
        lambda: setattr(row, "by_id", g.siv.id),
        lambda: db.session.delete(row),
        lambda: setattr(holder, "person_id", g.siv.id),
        lambda: db.session.delete(holder),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            attempt()
            db.session.flush()
        db.session.expire_all()
        assert (stored(), stored_holder()) == (original, original_holder)
    for statement in ("UPDATE item_check SET checked = false WHERE id = :id",
                      "UPDATE item_check SET note = 'x' WHERE id = :id",
                      "DELETE FROM item_check WHERE id = :id",
                      "DELETE FROM item_check",
                      "UPDATE assignment_holder SET person_id = NULL",
                      "DELETE FROM assignment_holder"):
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": row.id})
        assert (stored(), stored_holder()) == (original, original_holder), statement
    assert (count_of(ItemCheck), count_of(AssignmentHolder)) == (1, 7)


# -- views and facts --------------------------------------------------------------------------

def test_mina_uppgifter_lists_items_in_order_with_progress_and_overdue(app):
    g = small_group()
    generate()
    checklist_templates.move_item(g.siv, template(OWNER), item(OWNER, OWNER_TITLES[4]), -1,
                                  EVERYTHING)
    reordered = [*OWNER_TITLES[:3], OWNER_TITLES[4], OWNER_TITLES[3]]
    ekonomi = assignment_of(OWNER, g.ekonomi)
    tick(g.olle, ekonomi, item(OWNER, OWNER_TITLES[0]))
    tick(g.olle, ekonomi, item(OWNER, OWNER_TITLES[3]))

    mine = checklists.mine(g.olle)
    assert sorted(v.subject for v in mine) == ["Ekonomisystemet", "Lönesystemet"]
    for view in mine:
        assert item_titles(view) == reordered
        assert view.assignment.template.role == OWNER
    shown = view_of(g.olle, ekonomi)
    assert [s.done for s in shown.items] == [True, False, False, False, True]
    assert (shown.done, shown.percent) == (2, 40)
    untouched = view_of(g.olle, assignment_of(OWNER, g.lon))
    assert (untouched.done, untouched.percent) == (0, 0)
    for state in shown.items:
        assert state.overdue == (not state.done and state.item.due_month < today().month)

    # Manager: "vid behov" is never overdue; the subject is the manager.
    manager = view_of(g.karin, assignment_of(MANAGER, g.karin))
    assert manager.subject == "Karin Chef"
    as_needed = next(s for s in manager.items if s.item.due_month is None)
    assert not as_needed.overdue
    # Last year's open items are all overdue (those with a month).
    templates_from(year() - 1)
    generate(year() - 1)
    old = view_of(g.olle, assignment_of(OWNER, g.ekonomi, year() - 1), year() - 1)
    assert [s.overdue for s in old.items] == [True] * 5
    assert checklists.mine(g.olle, year() - 2) == []

    # All ticked: 100 %; a checklist without items of the period is not listed.
    for state in untouched.items:
        tick(g.olle, untouched.assignment, state.item)
    assert view_of(g.olle, untouched.assignment).percent == 100
    assert not any(s.overdue for s in view_of(g.olle, untouched.assignment).items)
    for each in template(OWNER).items:
        checklist_templates.retire_item(g.siv, each, True, EVERYTHING)
    assert checklists.mine(g.olle) == []
    assert checklists.open_count(g.olle) == 0


def test_facts_are_shown_beside_the_items(app):
    g = small_group()
    this = year()
    create_classification(g.ekonomi, classified_on=date(this, 2, 10),
                          approved_on=date(this, 3, 3))
    create_classification(g.ekonomi, classified_on=date(this - 1, 2, 10),
                          approved_on=date(this - 1, 12, 30))
    create_risk_analysis(g.ekonomi, performed_on=date(this - 1, 6, 1))
    create_risk_analysis(g.ekonomi, performed_on=date(this, 2, 2))
    create_action_item(g.ekonomi, status="open")
    create_action_item(g.ekonomi, status="in_progress")
    create_action_item(g.ekonomi, status="done")
    create_action_item(g.ekonomi, status="accepted_risk")
    # Last year's classification and analysis say nothing about this year.
    create_classification(g.lon, classified_on=date(this - 1, 5, 5),
                          approved_on=date(this - 1, 5, 20))
    create_risk_analysis(g.lon, performed_on=date(this - 1, 5, 5))
    generate()

    owners = view_of(g.olle, assignment_of(OWNER, g.ekonomi))
    administrators = view_of(g.anna, assignment_of(ADMINISTRATOR, g.ekonomi))
    quiet = [view_of(g.olle, assignment_of(OWNER, g.lon)),
             view_of(g.bo, assignment_of(ADMINISTRATOR, g.lon))]
    facts = checklist_facts.facts_for([owners, administrators, *quiet])

    def fact(view: checklists.ChecklistView, title: str) -> str | None:
        state = next(s for s in view.items if s.item.title == title)
        return facts.get((view.assignment.id, state.item.id))

    assert fact(owners, "Godkänn informationsklassningen") == (
        f"Klassning godkänd {swedish(date(this, 3, 3))}")
    assert fact(owners, "Säkerställ att riskanalys genomförts") == (
        f"Riskanalys {swedish(date(this, 2, 2))}")
    assert fact(owners, "Besluta om åtgärder i handlingsplanen") == (
        "Handlingsplan: 4 åtgärder, 2 öppna")
    assert fact(administrators, "Genomför informationsklassning enligt KLASSA") == (
        f"Klassad {swedish(date(this, 2, 10))}")
    assert fact(administrators, "Genomför riskanalys") == (
        f"Riskanalys {swedish(date(this, 2, 2))}")
    assert fact(administrators, "Dokumentera handlingsplan") == (
        "Handlingsplan: 4 åtgärder, 2 öppna")
    assert {key[0] for key in facts} == {owners.assignment.id, administrators.assignment.id}
    assert len(facts) == 6
    assert swedish(date(this, 3, 3)) == f"3 mars {this}"

    # Last year's checklist shows last year's facts.
    templates_from(this - 1)
    generate(this - 1)
    old = view_of(g.olle, assignment_of(OWNER, g.lon, this - 1), this - 1)
    old_facts = checklist_facts.facts_for([old])
    approve = next(s.item for s in old.items if s.item.title == OWNER_TITLES[0])
    assert old_facts[(old.assignment.id, approve.id)] == (
        f"Klassning godkänd {swedish(date(this - 1, 5, 20))}")
    assert checklist_facts.facts_for([]) == {}


def test_a_manager_sees_the_training_and_acknowledgement_rates(app):
    g = small_group()
    generate()
    training = new_training(g.siv, g.kommun, title="Grundkurs")
    completions.confirm_self(g.anna, roles(g.anna), training, today())
    policy = create_document("Informationssäkerhetspolicyn", organization=g.kommun)
    acknowledgements.acknowledge(g.olle, roles(g.olle), policy, policy.versions[-1].id)
    db.session.flush()

    view = view_of(g.karin, assignment_of(MANAGER, g.karin))
    facts = checklist_facts.facts_for([view])
    by_title = {s.item.title: facts.get((view.assignment.id, s.item.id)) for s in view.items}
    assert by_title == {
        MANAGER_TITLES[0]: "Dina medarbetare: 1 av 2 har genomfört Grundkurs",
        MANAGER_TITLES[1]: "Dina medarbetare: 1 av 2 har kvitterat Informationssäkerhetspolicyn",
        MANAGER_TITLES[2]: None, MANAGER_TITLES[3]: None, MANAGER_TITLES[4]: None}


# -- the annual wheel -------------------------------------------------------------------------

def entries(wheel: annual_wheel.Wheel, month: int | None, kind: str = "item"
            ) -> list[tuple[str, str, bool]]:
    found = wheel.as_needed if month is None else wheel.months[month - 1].entries
    return sorted((e.title, e.detail, e.done) for e in found if e.kind == kind)


def test_the_wheel_of_a_person(app):
    g = small_group()
    generate()
    kartan = assignment_of(ADMINISTRATOR, g.kartan)
    tick(g.anna, kartan, item(ADMINISTRATOR, "Testa återläsning av säkerhetskopia"),
         note="Återläst")
    training = new_training(g.siv, g.kommun, title="Grundkurs", due_on=date(year(), 6, 30))
    new_training(g.siv, g.kommun, title="Nästa års kurs",
                 period_starts_on=date(year(), 1, 1), period_ends_on=date(year() + 1, 6, 30),
                 due_on=date(year() + 1, 3, 31))
    policy = create_document("Informationssäkerhetspolicyn", organization=g.kommun,
                             published_at=datetime(year(), 1, 10, 10), acknowledgement_days=30)

    wheel = annual_wheel.for_person(g.anna, roles(g.anna), year())
    assert wheel.period == year()
    assert [m.number for m in wheel.months] == list(range(1, 13))
    assert wheel.months[10].name == "November" and wheel.months[0].name == "Januari"
    label = template(ADMINISTRATOR).title
    assert entries(wheel, 9) == [
        ("Testa återläsning av säkerhetskopia", f"{label}: Ekonomisystemet", False),
        ("Testa återläsning av säkerhetskopia", f"{label}: Kartan", True)]
    assert entries(wheel, 2) == [
        ("Genomför informationsklassning enligt KLASSA", f"{label}: Ekonomisystemet", False),
        ("Genomför informationsklassning enligt KLASSA", f"{label}: Kartan", False)]
    for month in (1, 7, 8, 12):
        assert entries(wheel, month) == []
    assert wheel.as_needed == []
    assert sum(1 for m in wheel.months for e in m.entries if e.kind == "item") == (
        2 * len(ADMINISTRATOR_TITLES))
    assert sum(len(m.entries) for m in wheel.months) == 2 * len(ADMINISTRATOR_TITLES) + 2
    assert entries(wheel, 6, "training") == [("Grundkurs", "Utbildning", False)]
    assert entries(wheel, 2, "document") == [("Informationssäkerhetspolicyn", "Kvittera", False)]
    assert [e.link for e in wheel.months[5].entries if e.kind == "training"] == [
        ("trainings.show", {"training_id": training.id})]
    assert [e.link for e in wheel.months[1].entries if e.kind == "document"] == [
        ("documents.show", {"document_id": policy.id})]
    assert [e.link for m in wheel.months for e in m.entries if e.detail.endswith("Kartan")
            ] == [("checklists.show", {"assignment_id": kartan.id})] * len(ADMINISTRATOR_TITLES)

    # The manager's "vid behov" item goes beside the months.
    karins = annual_wheel.for_person(g.karin, roles(g.karin), year())
    assert entries(karins, None) == [(MANAGER_TITLES[4], f"{template(MANAGER).title}: Karin Chef",
                                      False)]
    assert entries(karins, 4) == [(MANAGER_TITLES[2], f"{template(MANAGER).title}: Karin Chef",
                                   False)]
    # Someone without checklists sees only their training and document.
    nils = annual_wheel.for_person(g.nils, roles(g.nils), year())
    assert [(m.number, e.kind) for m in nils.months for e in m.entries] == [
        (2, "document"), (6, "training")]


def test_the_wheel_of_the_group(app):
    g = small_group()
    generate()
    restore = item(ADMINISTRATOR, "Testa återläsning av säkerhetskopia")
    approve = item(OWNER, "Godkänn informationsklassningen")
    tick(g.anna, assignment_of(ADMINISTRATOR, g.ekonomi), restore, note="Gjort")
    tick(g.bo, assignment_of(ADMINISTRATOR, g.lon), restore, note="Gjort")
    tick(g.bo, assignment_of(ADMINISTRATOR, g.lon), restore, False)
    for system in (g.ekonomi, g.lon, g.arkivet):
        checklist = assignment_of(OWNER, system)
        tick(db.session.get(Person, checklist.assignee_id), checklist, approve)
    checklist_templates.retire_item(g.siv, item(OWNER, OWNER_TITLES[4]), True, EVERYTHING)
    training = new_training(g.siv, g.kommun, title="Grundkurs", due_on=date(year(), 6, 30))
    new_training(g.siv, g.kommun, title="Nästa års kurs",
                 period_starts_on=date(year(), 1, 1), period_ends_on=date(year() + 1, 6, 30),
                 due_on=date(year() + 1, 3, 31))
    review = create_document("Riktlinje för loggning", organization=g.kommun,
                             decision_date=date(year() - 1, 5, 20))
    create_document("Riktlinje för behörigheter", organization=g.kommun,
                    decision_date=date(year() - 2, 5, 20))

    wheel = annual_wheel.for_group(EVERYTHING, year())
    administrator, owner = ("Systemförvaltare (per system)", "Systemägare (per system)")
    assert entries(wheel, 9) == [
        ("Säkerställ att förvaltaren har tid och kompetens", f"{owner}: 0 av 3 avbockade",
         False),
        ("Ta upp informationssäkerhet i verksamhetsplaneringen",
         "Chef (för medarbetarna): 0 av 1 avbockade", False),
        ("Testa återläsning av säkerhetskopia", f"{administrator}: 1 av 3 avbockade", False)]
    assert entries(wheel, 3) == [
        ("Dokumentera handlingsplan", f"{administrator}: 0 av 3 avbockade", False),
        ("Godkänn informationsklassningen", f"{owner}: 3 av 3 avbockade", True),
        ("Säkerställ att medarbetarna kvitterat informationssäkerhetspolicyn",
         "Chef (för medarbetarna): 0 av 1 avbockade", False)]
    assert entries(wheel, 11) == [
        ("Kontrollera att leverantörsavtalet omfattar incidentrapportering",
         f"{administrator}: 0 av 3 avbockade", False),
        ("Säkerställ att medarbetarna genomfört årets utbildning",
         "Chef (för medarbetarna): 0 av 1 avbockade", False)]
    assert entries(wheel, None) == [("Följ upp behörigheter vid anställningsförändringar",
                                     "Chef (för medarbetarna): 0 av 1 avbockade", False)]
    assert sum(len(m.entries) for m in wheel.months) == (
        len(ADMINISTRATOR_TITLES) + len(OWNER_TITLES) - 1 + len(MANAGER_TITLES) - 1 + 1 + 1)
    assert entries(wheel, 6, "training") == [("Grundkurs", "Utbildning ska vara genomförd",
                                              False)]
    assert [e.link for e in wheel.months[5].entries if e.kind == "training"] == [
        ("trainings.report", {"training_id": training.id})]
    assert entries(wheel, 5, "review") == [("Riktlinje för loggning",
                                            "Styrdokument ska ses över", False)]
    assert [e.link for e in wheel.months[4].entries if e.kind == "review"] == [
        ("documents.draft", {"document_id": review.id})]

    # Another year counts that year's items and assignments: none before the templates were
    # made, and none of this year's ticks once last year's templates are there.
    earlier = annual_wheel.for_group(EVERYTHING, year() - 1)
    assert [e for m in earlier.months for e in m.entries if e.kind == "item"] == []
    assert earlier.as_needed == []
    templates_from(year() - 1)
    earlier = annual_wheel.for_group(EVERYTHING, year() - 1)
    assert entries(earlier, 9) == [
        ("Säkerställ att förvaltaren har tid och kompetens", f"{owner}: 0 av 0 avbockade",
         False),
        ("Ta upp informationssäkerhet i verksamhetsplaneringen",
         "Chef (för medarbetarna): 0 av 0 avbockade", False),
        ("Testa återläsning av säkerhetskopia", f"{administrator}: 0 av 0 avbockade", False)]
    # Retired from this year, the owners' training item was still there last year.
    assert entries(earlier, 11) == [
        ("Genomgå utbildning för systemägare", f"{owner}: 0 av 0 avbockade", False),
        ("Kontrollera att leverantörsavtalet omfattar incidentrapportering",
         f"{administrator}: 0 av 0 avbockade", False),
        ("Säkerställ att medarbetarna genomfört årets utbildning",
         "Chef (för medarbetarna): 0 av 0 avbockade", False)]


# -- query counts -----------------------------------------------------------------------------

def test_query_counts_do_not_grow_with_assignments(app, count_queries):
    kommun = create_organization()
    siv = joined(coordinator(kommun), LONG_AGO)
    karin = member("Karin Chef", kommun)
    olle = member("Olle Ägare", kommun, manager=karin)
    anna = member("Anna Förvaltare", kommun, manager=karin)
    new_training(siv, kommun, title="Grundkurs")
    create_document("Informationssäkerhetspolicyn", organization=kommun)
    batch = create_systems_in_bulk(5, organization=kommun, prefix="Liten", owner=olle,
                                   administrators=(olle, anna))
    for system in batch[:2]:
        create_classification(system, classified_on=date(year(), 2, 1),
                              approved_on=date(year(), 2, 2))
        create_risk_analysis(system, performed_on=date(year(), 2, 3))
        create_action_item(system)

    def measure() -> tuple[list[int], list]:
        db.session.flush()
        db.session.expire_all()
        person = db.session.get(Person, olle.id)
        counts = []
        with count_queries() as counter:
            mine = checklists.mine(person)
            facts = checklist_facts.facts_for(mine)
        counts.append(counter.count)
        with count_queries() as counter:
            boss = checklists.mine(db.session.get(Person, karin.id))
            boss_facts = checklist_facts.facts_for(boss)
        counts.append(counter.count)
        with count_queries() as counter:
            wheel = annual_wheel.for_group(EVERYTHING, year())
        counts.append(counter.count)
        figures = [len(mine), sum(len(v.items) for v in mine), len(facts),
                   sorted(boss_facts.values()),
                   [e.detail for e in wheel.months[8].entries if e.kind == "item"]]
        return counts, figures

    assert outcome(generate()) == (11, 0, 0)
    small, small_figures = measure()
    more = create_systems_in_bulk(495, organization=kommun, prefix="Stor", owner=olle,
                                  administrators=(olle, anna))
    for system in more[:50]:
        create_classification(system, classified_on=date(year(), 2, 1),
                              approved_on=date(year(), 2, 2))
        create_action_item(system)
    assert outcome(generate()) == (990, 0, 0)
    tick(olle, assignment_of(OWNER, more[0]), item(OWNER, OWNER_TITLES[3]))
    big, big_figures = measure()

    assert small == big
    assert small[0] <= 8  # a person's checklists in four queries, the systems' facts in four
    assert small_figures[:2] == [10, 5 * (len(OWNER_TITLES) + len(ADMINISTRATOR_TITLES))]
    assert big_figures[:2] == [1000, 500 * (len(OWNER_TITLES) + len(ADMINISTRATOR_TITLES))]
    # Classification, approval, risk analysis and action plan per system where known.
    assert small_figures[2] == 2 * (3 + 3)
    assert big_figures[2] == 2 * 6 + 50 * (2 + 2)
    assert small_figures[3] == big_figures[3] == [
        "Dina medarbetare: 0 av 2 har genomfört Grundkurs",
        "Dina medarbetare: 0 av 2 har kvitterat Informationssäkerhetspolicyn"]
    assert small_figures[4] == [
        "Systemägare (per system): 0 av 5 avbockade",
        "Systemförvaltare (per system): 0 av 5 avbockade",
        "Chef (för medarbetarna): 0 av 1 avbockade"]
    assert big_figures[4] == [
        "Systemägare (per system): 1 av 500 avbockade",
        "Systemförvaltare (per system): 0 av 500 avbockade",
        "Chef (för medarbetarna): 0 av 1 avbockade"]
