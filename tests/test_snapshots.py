"""Monthly snapshots of the follow-up figures: `snapshots take` stores the group's and each
organization's figures once a month (a second run stores nothing), the database refuses to
change or delete one, the group view draws the trend from them (a company's coordinator
from their organizations' added up) — and the demo's eleven months of history."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.clock import today, utcnow
from app.commands.snapshots import demo_follow_up_command
from app.extensions import db
from app.models import Acknowledgement, AuditEvent, OrganizationKind, PersonKind, Role
from app.models.follow_up import FollowUpSnapshot
from app.services import charts, group_status, snapshots
from app.services.classifications import add_months
from app.services.system_access import CoordinatorScope
from demo.follow_up import load_demo_follow_up
from tests.factories import (
    create_classification,
    create_document,
    create_organization,
    create_person,
    create_system,
    grant,
)
from tests.helpers import browser, html_of, visible

MUNICIPALITY = "Exempelby kommun"
ENERGY = "Exempelby Energi AB"
EVERYTHING = CoordinatorScope(True, frozenset())
THIS_MONTH = today().replace(day=1)


class Group:
    """The municipality with three people and the energy company with a board member; a
    policy for both acknowledged by one, two systems of which one is classified."""

    def __init__(self) -> None:
        self.municipality = create_organization(MUNICIPALITY)
        self.company = create_organization(ENERGY, OrganizationKind.COMPANY)
        self.coordinator = create_person("sam", display_name="Sam Samordnare",
                                         organization=self.municipality)
        self.anna = create_person("anna", organization=self.municipality)
        create_person("bo", organization=self.municipality)
        self.board = create_person("stina", organization=self.company, kind=PersonKind.BOARD)
        grant(self.coordinator, Role.COORDINATOR)
        policy = create_document(organization=self.municipality, audience={
            "organization_ids": [self.municipality.id, self.company.id]})
        version = policy.versions[0]
        db.session.add(Acknowledgement(person_id=self.anna.id, document_id=policy.id,
                                       version_id=version.id, content_sha256=version.sha256,
                                       acknowledged_at=utcnow(), method="web"))
        create_classification(create_system("Journalsystem", organization=self.municipality))
        create_system("Driftövervakning", organization=self.company)
        db.session.commit()


@pytest.fixture
def group(app) -> Group:
    return Group()


def stored() -> list[FollowUpSnapshot]:
    db.session.expire_all()
    return list(db.session.scalars(select(FollowUpSnapshot).order_by(FollowUpSnapshot.id)))


def figures(documents: tuple[int, int], trainings: tuple[int, int] = (0, 0),
            systems: tuple[int, int] = (0, 0), checklists: tuple[int, int] = (0, 0)) -> dict:
    """Snapshot figures with the key figures given as (done, total)."""
    def tally(pair: tuple[int, int]) -> dict:
        return {"done": pair[0], "total": pair[1]}

    return {"total": {"people": documents[1], "documents": tally(documents),
                      "trainings": tally(trainings)},
            "systems": {"systems": systems[1], "classified": systems[0]},
            "checklists": [{"role": "manager", **tally(checklists)}] if checklists[1] else []}


def snapshot(month: date, organization_id: int | None, values: dict) -> None:
    db.session.add(FollowUpSnapshot(
        month=month, scope_key="group" if organization_id is None else f"org-{organization_id}",
        organization_id=organization_id, taken_at=datetime.combine(month, datetime.min.time()),
        figures=values))
    db.session.commit()


# -- taking snapshots -------------------------------------------------------------------

def test_take_stores_the_group_and_each_organization_for_the_month(group):
    result = snapshots.take()

    assert result.month == THIS_MONTH
    assert result.stored == ["Koncernen", MUNICIPALITY, ENERGY] and result.skipped == []
    db.session.commit()
    rows = stored()
    assert [(r.month, r.scope_key, r.organization_id) for r in rows] == [
        (THIS_MONTH, "group", None),
        (THIS_MONTH, f"org-{group.municipality.id}", group.municipality.id),
        (THIS_MONTH, f"org-{group.company.id}", group.company.id)]
    assert rows[0].figures == group_status.as_figures(group_status.build(EVERYTHING))
    company = rows[2].figures
    assert company == group_status.as_figures(group_status.build(
        CoordinatorScope(False, frozenset({group.company.id}))))
    assert company["total"] == {"people": 1, "documents": {"done": 0, "total": 1},
                                "trainings": {"done": 0, "total": 0}}
    assert rows[0].figures["total"]["documents"] == {"done": 1, "total": 4}
    assert (rows[0].figures["systems"]["systems"], rows[0].figures["systems"]["classified"]) \
        == (2, 1)


def test_a_second_take_in_the_same_month_stores_nothing(app, group):
    runner = app.test_cli_runner()
    month = charts.month_label(THIS_MONTH)

    first = runner.invoke(args=["snapshots", "take"])
    again = runner.invoke(args=["snapshots", "take"])

    assert first.exit_code == 0, first.output
    assert first.output == (f"Ögonblicksbilder för {month}: 3 sparade, 0 fanns redan.\n"
                            f"  sparad: Koncernen\n  sparad: {MUNICIPALITY}\n"
                            f"  sparad: {ENERGY}\n")
    assert again.exit_code == 0, again.output
    assert again.output == f"Ögonblicksbilderna för {month} fanns redan, inget sparades.\n"
    assert len(stored()) == 3
    # An organization that came later this month gets its snapshot; the others stay as taken.
    housing = create_organization("Exempelby Bostäder AB", OrganizationKind.COMPANY)
    db.session.commit()
    result = snapshots.take()
    assert (result.stored, len(result.skipped)) == (["Exempelby Bostäder AB"], 3)
    db.session.commit()
    assert [r.scope_key for r in stored()][-1] == f"org-{housing.id}"


def test_the_command_files_the_figures_under_the_month_asked(app, group):
    runner = app.test_cli_runner()

    result = runner.invoke(args=["snapshots", "take", "--month", "2026-01"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Ögonblicksbilder för januari 2026: 3 sparade")
    assert {r.month for r in stored()} == {date(2026, 1, 1)}
    for nonsense in ("2026-13", "januari", "2026"):
        refused = runner.invoke(args=["snapshots", "take", "--month", nonsense])
        assert refused.exit_code == 2
        assert "Ange månaden som ÅÅÅÅ-MM, till exempel 2026-11." in refused.output
    future = add_months(THIS_MONTH, 1)
    refused = runner.invoke(args=["snapshots", "take", "--month", f"{future:%Y-%m}"])
    assert refused.exit_code == 2 and "Månaden har inte börjat än." in refused.output
    assert len(stored()) == 3


def test_the_database_refuses_to_change_or_delete_a_snapshot(group):
    snapshots.take()
    db.session.commit()
    row = stored()[0]
    original = dict(row.figures)

    for statement in ("UPDATE follow_up_snapshot SET figures = '{}' WHERE id = :id",
                      "UPDATE follow_up_snapshot SET month = '2020-01-01' WHERE id = :id",
                      "DELETE FROM follow_up_snapshot WHERE id = :id"):
        with pytest.raises(DatabaseError, match="follow_up_snapshot is append-only"), \
                db.session.begin_nested():
            db.session.execute(text(statement), {"id": row.id})

    assert stored()[0].figures == original
    assert db.session.scalar(select(func.count()).select_from(FollowUpSnapshot)) == 3


# -- the trend --------------------------------------------------------------------------

def month_rows(response) -> dict[str, str]:
    """The "Månad för månad" table: month → the four key figures."""
    html = html_of(response)
    body = html.split("<caption>Nyckeltalen månad för månad (procent)</caption>", 1)[1]
    body = body.split("</table>", 1)[0].split("</thead>", 1)[1]
    return {visible(month): visible(rest) for month, rest in re.findall(
        r'<th scope="row">(.*?)</th>(.*?)</tr>', body, re.S)}


def test_the_group_view_shows_the_stored_months_and_today(app, group):
    two_ago, last = add_months(THIS_MONTH, -2), add_months(THIS_MONTH, -1)
    snapshot(add_months(THIS_MONTH, -12), None, figures((4, 4)))  # too old to show
    snapshot(two_ago, None, figures((0, 4), systems=(0, 2), checklists=(1, 4)))
    snapshot(last, None, figures((1, 4), systems=(1, 2), checklists=(3, 4)))
    snapshot(last, group.company.id, figures((1, 1)))  # a company's: not the group's trend

    response = browser(app, group.coordinator).get("/samordning/")

    rows = month_rows(response)
    assert len(rows) == 12
    assert next(iter(rows)) == charts.month_label(add_months(THIS_MONTH, -11))
    assert rows[charts.month_label(two_ago)] == "0 % – 0 % 25 %"
    assert rows[charts.month_label(last)] == "25 % – 50 % 75 %"
    assert rows[f"{charts.month_label(THIS_MONTH)} (i dag)"] == "25 % – 50 % –"
    assert rows[charts.month_label(add_months(THIS_MONTH, -3))] == "– – – –"
    html = html_of(response)
    assert (f'aria-label="Kvitterade styrdokument: från 0 % i {charts.month_label(two_ago)} '
            f'till 25 % i {charts.month_label(THIS_MONTH)}"') in html
    assert (f"<title>Avbockade checklistpunkter: från 25 % i {charts.month_label(two_ago)} "
            f"till 75 % i {charts.month_label(last)}</title>") in html


def test_a_coordinator_of_several_organizations_sees_their_counts_added_up(group):
    housing = create_organization("Exempelby Bostäder AB", OrganizationKind.COMPANY)
    two_ago, last = add_months(THIS_MONTH, -2), add_months(THIS_MONTH, -1)
    snapshot(two_ago, group.company.id, figures((1, 4)))
    snapshot(last, group.company.id, figures((2, 4)))
    snapshot(last, housing.id, figures((4, 4)))
    snapshot(last, group.municipality.id, figures((0, 100)))  # outside the scope
    snapshot(last, None, figures((0, 100)))                   # the group's

    series = snapshots.trend(CoordinatorScope(False, frozenset({group.company.id, housing.id})))

    documents = dict(series[0].points)
    assert series[0].label == "Kvitterade styrdokument"
    assert documents[two_ago] == 25        # only the company had a snapshot then
    assert documents[last] == 75           # 2 + 4 of 4 + 4
    assert documents[THIS_MONTH] is None   # no snapshot yet and no current figures given
    assert len(series[0].points) == 12
    assert [s.key for s in series] == ["documents", "trainings", "classified", "checklists"]


# -- the demo ---------------------------------------------------------------------------

def test_the_demo_gets_eleven_months_of_rising_figures_once(app, group):
    count = load_demo_follow_up(today())
    db.session.commit()

    rows = stored()
    months = [add_months(THIS_MONTH, -back) for back in range(11, 0, -1)]
    assert count == 33 == len(rows)
    assert {r.month for r in rows} == set(months)
    assert all(r.figures["demo"] is True for r in rows)
    group_rows = sorted((r for r in rows if r.scope_key == "group"), key=lambda r: r.month)
    now = group_status.as_figures(group_status.build(EVERYTHING))
    acknowledged = [r.figures["total"]["documents"]["done"] for r in group_rows]
    assert acknowledged == sorted(acknowledged)
    assert acknowledged[-1] <= now["total"]["documents"]["done"]
    assert {r.figures["total"]["documents"]["total"] for r in group_rows} == {4}
    classified = [r.figures["systems"]["classified"] for r in group_rows]
    assert classified == sorted(classified) and classified[-1] <= 1

    again = app.test_cli_runner().invoke(demo_follow_up_command)
    assert again.exit_code == 0, again.output
    assert again.output == "Demons ögonblicksbilder inlästa: 0\n"
    assert len(stored()) == 33
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "follow_up.demo_loaded")))
    assert [e.details for e in events] == [{"snapshots": 33, "months": 11}]


def test_the_demo_fills_only_the_months_that_have_no_snapshot(group):
    last = add_months(THIS_MONTH, -1)
    snapshot(last, None, figures((1, 4)))

    assert load_demo_follow_up(today()) == 32
    db.session.commit()
    assert [r.figures for r in stored() if r.month == last and r.scope_key == "group"] == [
        figures((1, 4))]
    assert load_demo_follow_up(today()) == 0
