"""E-mail reminders through a real SMTP server on loopback (aiosmtpd, tests/smtp_server.py):
the daily digest to whoever has something overdue or due within two weeks, the managers'
weekly digest of their unit's gaps, the intervals, a dry run, an SMTP server that fails
midway or refuses an address, STARTTLS with a sign-in, and a manager's "Påminn" — with
its rate limit, its refusal outside the manager's subtree and its route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.clock import local_time, today, utcnow
from app.extensions import db
from app.models import (
    AuditEvent,
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    Document,
    ItemCheck,
    Organization,
    Person,
    Reminder,
    ReminderKind,
    SubjectType,
    Training,
)
from app.services import DomainError, Forbidden, acknowledgements, completions, reminders
from app.services import trainings as training_service
from app.services.audience import AudienceRule
from app.services.trainings import TrainingFields
from tests.factories import create_document, create_organization, create_person
from tests.group_helpers import EVERYTHING, LONG_AGO, joined, roles
from tests.helpers import browser, day_text, post, text_of
from tests.smtp_server import FAILURE, Handler, Received, SmtpServer, smtp_server, tls_options
from tests.tls import TlsFiles, make_tls_files

BASE_URL = "https://lis.exempelby.se"


# -- the group --------------------------------------------------------------------------------

@dataclass
class Group:
    """Dora directs Maja and Olle. Under Maja: Anna (nothing done), Bo (everything done),
    Cecilia (nothing done, no e-mail address) and David (left). Under Olle: Eva, who came
    yesterday. The managers have done everything."""

    kommun: Organization
    policy: Document  # due in 10 days
    guideline: Document  # due in 29 days: not yet in a digest
    training: Training  # was due 5 days ago
    dora: Person
    maja: Person
    olle: Person
    anna: Person
    bo: Person
    cecilia: Person
    david: Person
    eva: Person


def member(organization: Organization, username: str, name: str,
           manager: Person | None = None) -> Person:
    return joined(create_person(username, display_name=name, organization=organization,
                                manager=manager), LONG_AGO)


def due_of(document: Document) -> date:
    return local_time(document.versions[0].published_at).date() + timedelta(
        days=document.acknowledgement_days)


def do_everything(person: Person, group_documents: list[Document], training: Training) -> None:
    for document in group_documents:
        acknowledgements.acknowledge(person, roles(person), document,
                                     document.versions[0].id)
    completions.confirm_self(person, roles(person), training, today())
    db.session.flush()


def make_group() -> Group:
    kommun = create_organization()
    policy = create_document("Informationssäkerhetspolicy", organization=kommun,
                             published_at=utcnow() - timedelta(days=20))
    guideline = create_document("Riktlinje för lösenord", organization=kommun,
                                published_at=utcnow() - timedelta(days=1))
    coordinator = member(kommun, "siv", "Siv Samordnare")
    training = training_service.create(coordinator, TrainingFields(
        title="Grundutbildning i informationssäkerhet", description="", link="",
        organization_id=kommun.id, period_starts_on=today() - timedelta(days=200),
        period_ends_on=today() + timedelta(days=165), due_on=today() - timedelta(days=5),
        proof="both", audience=AudienceRule(organization_ids=(kommun.id,))), EVERYTHING)
    dora = member(kommun, "dora", "Dora Direktör")
    maja = member(kommun, "maja", "Maja Chef", dora)
    olle = member(kommun, "olle", "Olle Chef", dora)
    anna = member(kommun, "anna", "Anna Andersson", maja)
    bo = member(kommun, "bo", "Bo Berg", maja)
    cecilia = member(kommun, "cecilia", "Cecilia Ek", maja)
    cecilia.mail = None
    david = member(kommun, "david", "David Slutat", maja)
    david.active = False
    eva = joined(create_person("eva", display_name="Eva Ny", organization=kommun,
                               manager=olle), utcnow() - timedelta(days=1))
    for person in (coordinator, dora, maja, olle, bo):
        do_everything(person, [policy, guideline], training)
    db.session.flush()
    return Group(kommun, policy, guideline, training, dora, maja, olle, anna, bo, cecilia,
                 david, eva)


@pytest.fixture
def group(app) -> Group:
    return make_group()


@pytest.fixture
def smtp(config) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        config(**server.config(), BASE_URL=BASE_URL)
        yield server


def recorded(kind: ReminderKind | None = None) -> list[Reminder]:
    db.session.expire_all()
    query = select(Reminder).order_by(Reminder.id)
    if kind is not None:
        query = query.where(Reminder.kind == kind)
    return list(db.session.scalars(query))


def to(messages: list[Received]) -> list[str]:
    return [m.rcpt_tos[0] for m in messages]


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["reminders", "send", *args])


# -- the daily run ----------------------------------------------------------------------------

def test_the_digest_goes_to_those_with_something_overdue_or_due_within_two_weeks(group, smtp):
    result = reminders.send_due(dry_run=False)

    assert result.error is None
    assert result.no_address == ["Cecilia Ek"]
    personal = [m for m in smtp.messages if m.subject.startswith("Påminnelse")]
    assert to(personal) == ["anna@exempelby.se"]  # not Bo, Eva (new), David (left), Cecilia
    anna = personal[0]
    assert anna.subject == "Påminnelse: 2 uppgifter i LIS-portalen (1 försenad)"
    assert anna.to == "Anna Andersson <anna@exempelby.se>"
    assert anna.message["From"] == "LIS-portalen <lis-portalen@exempelby.se>"
    assert anna.message["Date"] and anna.message["Message-ID"].endswith("@exempelby.se>")
    assert anna.message["Auto-Submitted"] == "auto-generated"
    assert anna.message["Content-Language"] == "sv"
    assert anna.message.get_content_type() == "multipart/alternative"
    assert b"Subject: =?utf-8?" in anna.raw and "ö".encode() not in anna.raw  # all encoded

    training_line = (f"Genomför utbildningen: Grundutbildning i informationssäkerhet, senast "
                     f"{day_text(today() - timedelta(days=5))} – försenad")
    policy_line = (f"Läs och kvittera: Informationssäkerhetspolicy, senast "
                   f"{day_text(due_of(group.policy))}")
    plain = anna.part("plain")
    assert plain.startswith("Hej Anna Andersson!")
    assert f"- {training_line}\n- {policy_line}\n" in plain  # the overdue first
    assert "Riktlinje för lösenord" not in plain  # due in 29 days
    assert f"Öppna Mina uppgifter i LIS-portalen: {BASE_URL}/" in plain
    html = anna.part("html")
    assert '<html lang="sv">' in html and "style" not in html
    assert f'<a href="{BASE_URL}/">Öppna Mina uppgifter i LIS-portalen</a>' in html
    assert ("<li>Genomför utbildningen: Grundutbildning i informationssäkerhet, senast "
            f"{day_text(today() - timedelta(days=5))} – <strong>försenad</strong></li>") in html
    assert f"<li>{policy_line}</li>" in html

    [row] = recorded(ReminderKind.DIGEST)
    assert (row.person_id, row.address, row.subject) == (group.anna.id, "anna@exempelby.se",
                                                          anna.subject)
    assert [(i["kind"], i["title"], i["overdue"]) for i in row.items] == [
        ("training", "Grundutbildning i informationssäkerhet", True),
        ("document", "Informationssäkerhetspolicy", False)]


def test_nobody_gets_a_digest_again_within_seven_days_but_again_after(group, smtp):
    start = utcnow()
    first = reminders.send_due(dry_run=False, now=start)
    assert len(first.sent) == 3

    for days in (0, 1, 6):
        again = reminders.send_due(dry_run=False, now=start + timedelta(days=days))
        assert (again.planned, again.sent) == ([], []), days
    assert len(smtp.messages) == 3

    week_later = reminders.send_due(dry_run=False, now=start + timedelta(days=7))
    assert sorted(to(smtp.messages[3:])) == ["anna@exempelby.se", "dora@exempelby.se",
                                             "maja@exempelby.se"]
    assert len(week_later.sent) == 3
    assert [r.sent_at for r in recorded()][3:] == [start + timedelta(days=7)] * 3


def test_a_manager_gets_a_weekly_digest_of_the_gaps_in_their_unit(group, smtp):
    reminders.send_due(dry_run=False)

    by_address = {m.rcpt_tos[0]: m for m in smtp.messages}
    assert "olle@exempelby.se" not in by_address  # Eva under him is new: nothing overdue
    maja = by_address["maja@exempelby.se"]
    assert maja.subject == "Din enhet: 2 personer har något försenat i LIS-portalen"
    plain = maja.part("plain")
    assert ("- Anna Andersson: 1 person, 1 försenad uppgift\n"
            "- Cecilia Ek: 1 person, 1 försenad uppgift\n") in plain  # no address, still a gap
    assert "Bo Berg" not in plain and "David" not in plain
    assert f"{BASE_URL}/min-enhet/" in plain
    html = maja.part("html")
    assert "<caption>" in html and '<th scope="row">Anna Andersson</th>' in html
    assert f'<a href="{BASE_URL}/min-enhet/">Öppna Min enhet i LIS-portalen</a>' in html

    dora = by_address["dora@exempelby.se"]  # the whole subtree, per direct report
    assert dora.subject == "Din enhet: 2 personer har något försenat i LIS-portalen"
    assert "- Maja Chef: 2 personer, 2 försenade uppgifter\n" in dora.part("plain")
    assert "Olle" not in dora.part("plain")
    unit = recorded(ReminderKind.UNIT_DIGEST)
    assert {r.person_id for r in unit} == {group.dora.id, group.maja.id}
    assert [g["name"] for g in next(r for r in unit if r.person_id == group.maja.id).items] \
        == ["Anna Andersson", "Cecilia Ek"]


def test_overdue_and_this_months_checklist_items_are_in_the_digest(group, smtp):
    # A fixed day in June, so that May has passed and July has not, whatever today is.
    now = datetime(today().year, 6, 15, 9, 0)
    template = ChecklistTemplate(role=ChecklistRole.MANAGER, title="Chef", created_at=now)
    template.items = [ChecklistItem(title=title, due_month=month, position=n,
                                    first_period=now.year, created_at=now)
                      for n, (title, month) in enumerate([
                          ("Gå igenom behörigheter", 5), ("Introducera nyanställda", 6),
                          ("Följ upp utbildningen", 6), ("Planera nästa år", 7),
                          ("Rapportera incidenter", None), ("Kontrollera loggar", 4)])]
    db.session.add(template)
    db.session.flush()
    checklist = ChecklistAssignment(template_id=template.id, subject_type=SubjectType.PERSON,
                                    subject_id=group.bo.id, period=now.year,
                                    assignee_id=group.bo.id, created_at=now)
    db.session.add(checklist)
    db.session.flush()
    items = {i.title: i for i in template.items}
    for title, checked in (("Introducera nyanställda", True), ("Kontrollera loggar", True),
                           ("Kontrollera loggar", False)):  # ticked, then unticked
        db.session.add(ItemCheck(assignment_id=checklist.id, item_id=items[title].id,
                                 checked=checked, by_id=group.bo.id, at=now))
    db.session.flush()

    reminders.send_due(dry_run=False, now=now)

    [bo] = [m for m in smtp.messages if m.rcpt_tos == ["bo@exempelby.se"]]
    plain = bo.part("plain")
    year = now.year
    assert (f"- Checklistpunkt: Kontrollera loggar (Chef: Bo Berg), senast "
            f"{day_text(date(year, 4, 30))} – försenad\n"
            f"- Checklistpunkt: Gå igenom behörigheter (Chef: Bo Berg), senast "
            f"{day_text(date(year, 5, 31))} – försenad\n"
            f"- Checklistpunkt: Följ upp utbildningen (Chef: Bo Berg), senast "
            f"{day_text(date(year, 6, 30))}\n") in plain
    for not_listed in ("Introducera", "Planera", "Rapportera"):
        assert not_listed not in plain


def test_the_run_takes_the_same_number_of_queries_for_more_people(group, config,
                                                                  count_queries):
    config(SMTP_HOST="")
    with count_queries() as few:
        small = reminders.send_due(dry_run=True)
    for n in range(6):
        boss = member(group.kommun, f"chef{n}", f"Chef {n}", group.dora)
        member(group.kommun, f"medarbetare{n}", f"Medarbetare {n}", boss)
    db.session.flush()
    with count_queries() as many:
        large = reminders.send_due(dry_run=True)
    assert len(large.planned) == len(small.planned) + 12 + 6  # and the six bosses' digests
    assert many.count == few.count


# -- the command ------------------------------------------------------------------------------

def test_the_command_sends_and_sums_up_in_swedish(app, group, smtp):
    result = run(app)

    assert result.exit_code == 0, result.output
    assert ("Skickade 1 påminnelse till personer och 2 till chefer; 1 saknar e-postadress."
            in result.output)
    assert "Saknar användbar e-postadress:\n  Cecilia Ek\n" in result.output
    assert len(smtp.messages) == 3 and len(recorded()) == 3


def test_a_dry_run_prints_who_would_get_what_and_sends_and_records_nothing(app, group, smtp):
    result = run(app, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Torrkörning, inget skickades:" in result.output
    assert ("  Anna Andersson <anna@exempelby.se>: Påminnelse: 2 uppgifter i LIS-portalen "
            "(1 försenad)\n") in result.output
    assert ("  Maja Chef <maja@exempelby.se>: Din enhet: 2 personer har något försenat i "
            "LIS-portalen\n") in result.output
    assert ("Skulle skicka 1 påminnelse till personer och 2 till chefer; 1 saknar "
            "e-postadress.") in result.output
    assert smtp.messages == [] and smtp.handler.attempts == 0
    assert recorded() == []


def test_without_an_smtp_server_the_command_fails_and_a_dry_run_still_works(app, group,
                                                                            config):
    config(SMTP_HOST="")
    result = run(app)
    assert result.exit_code != 0
    assert "E-post är inte inställd" in result.output
    assert recorded() == []
    assert "Skulle skicka 1 påminnelse" in run(app, "--dry-run").output


def test_an_smtp_failure_midway_keeps_what_was_sent_and_fails_the_command(app, group,
                                                                          config):
    with smtp_server(Handler(fail_from=3)) as failing:
        config(**failing.config(), BASE_URL=BASE_URL)
        result = run(app)

    assert result.exit_code != 0
    assert ("Utskicket avbröts, 1 påminnelse skickades inte (den skickas vid nästa körning)"
            in result.output)
    assert FAILURE in result.output
    assert failing.handler.attempts == 3 and len(failing.messages) == 2
    accepted = to(failing.messages)
    assert [r.address for r in recorded()] == accepted  # exactly those, nothing unsent

    with smtp_server() as working:  # the next day's run sends what is left, and only that
        config(**working.config())
        assert run(app).exit_code == 0
    assert len(working.messages) == 1 and to(working.messages)[0] not in accepted
    assert len(recorded()) == 3


def test_an_address_the_server_refuses_is_skipped_and_the_run_goes_on(app, group, config):
    with smtp_server(Handler(refuse={"anna@exempelby.se"})) as server:
        config(**server.config())
        result = run(app)

    assert result.exit_code == 0, result.output
    assert "E-postservern tog inte emot:\n  Anna Andersson: " in result.output
    assert "550 5.1.1" in result.output
    assert sorted(to(server.messages)) == ["dora@exempelby.se", "maja@exempelby.se"]
    assert {r.person_id for r in recorded()} == {group.dora.id, group.maja.id}


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def test_starttls_and_sign_in_when_configured(app, group, config, tls_files, monkeypatch):
    options = tls_options(str(tls_files.server_cert), str(tls_files.server_key), "portal",
                          "hemligt-lösenord")
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca_cert))  # trust the test CA
    with smtp_server(**options) as server:
        for wrong in ("fel-losenord", "fel-lösenord"):
            config(**server.config(SMTP_STARTTLS=True, SMTP_USER="portal",
                                   SMTP_PASSWORD=wrong))
            refused = run(app)
            assert refused.exit_code != 0
            assert "E-postservern godtog inte inloggningen som portal" in refused.output
            assert wrong not in refused.output
        assert recorded() == [] and server.messages == []

        config(SMTP_PASSWORD="hemligt-lösenord")
        result = run(app)
        assert result.exit_code == 0, result.output
    assert len(server.messages) == 3
    assert {m.signed_in_as for m in server.messages} == {"portal"}


def test_a_server_that_demands_starttls_is_not_sent_to_in_the_clear(app, group, config,
                                                                   tls_files):
    options = tls_options(str(tls_files.server_cert), str(tls_files.server_key), "portal",
                          "x")
    with smtp_server(**options) as server:
        config(**server.config())
        result = run(app)
    assert result.exit_code != 0
    assert "E-postservern tog inte emot meddelandet till anna@exempelby.se: 530" in result.output
    assert recorded() == []


def test_the_database_refuses_to_change_or_delete_a_reminder(group, smtp):
    reminders.send_due(dry_run=False)
    row = recorded(ReminderKind.DIGEST)[0]
    for attempt in (lambda: setattr(row, "address", "annan@exempelby.se"),
                    lambda: db.session.delete(row)):
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            attempt()
            db.session.flush()
        db.session.expire_all()
    for statement in ("UPDATE reminder SET sent_at = NULL WHERE id = :id",
                      "DELETE FROM reminder WHERE id = :id"):
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": row.id})
    assert recorded(ReminderKind.DIGEST)[0].address == "anna@exempelby.se"


# -- "Påminn" ---------------------------------------------------------------------------------

def test_remind_mails_what_is_left_and_who_asked(group, smtp):
    result = reminders.remind(group.maja, [group.anna.id, group.bo.id, group.cecilia.id,
                                           group.david.id])

    assert result.sent == ["Anna Andersson"]
    assert result.nothing_left == ["Bo Berg", "David Slutat"]
    assert result.no_address == ["Cecilia Ek"]
    assert (result.recent, result.failed) == ([], None)
    [message] = smtp.messages
    assert message.to == "Anna Andersson <anna@exempelby.se>"
    assert message.subject == "Maja Chef påminner dig om dina uppgifter i LIS-portalen"
    plain = message.part("plain")
    assert "Maja Chef har bett LIS-portalen påminna dig om det du har kvar att göra:" in plain
    assert "Riktlinje för lösenord" in plain  # everything left, not only the next two weeks
    assert "Grundutbildning i informationssäkerhet" in plain and "– försenad" in plain
    assert "Maja Chef har bett" in message.part("html")
    [row] = recorded()
    assert (row.kind, row.person_id, row.sent_by_id) == (ReminderKind.MANUAL, group.anna.id,
                                                          group.maja.id)
    db.session.flush()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "unit.reminded"))
    assert event.actor_id == group.maja.id and event.details["person_ids"] == [group.anna.id]


def test_nobody_is_reminded_twice_within_seven_days_by_hand_or_by_digest(group, smtp):
    assert reminders.remind(group.dora, [group.anna.id]).sent == ["Anna Andersson"]

    again = reminders.remind(group.maja, [group.anna.id])
    assert (again.sent, again.recent) == ([], ["Anna Andersson"])
    run_result = reminders.send_due(dry_run=False)
    assert "anna@exempelby.se" not in [o.address for o in run_result.sent]
    assert len([m for m in smtp.messages if m.rcpt_tos == ["anna@exempelby.se"]]) == 1

    later = utcnow() + timedelta(days=7)
    assert [o.address for o in reminders.send_due(dry_run=False, now=later).sent
            ].count("anna@exempelby.se") == 1


def test_remind_outside_ones_subtree_is_refused_before_anything_is_sent(group, smtp):
    with pytest.raises(Forbidden):
        reminders.remind(group.maja, [group.anna.id, group.eva.id])
    with pytest.raises(Forbidden):
        reminders.remind(group.olle, [group.dora.id])
    assert smtp.messages == [] and recorded() == []
    assert reminders.remind(group.dora, [group.bo.id]).nothing_left == ["Bo Berg"]  # below


def test_remind_refuses_an_empty_choice_and_missing_e_mail(group, config):
    with pytest.raises(DomainError, match="Välj minst en person"):
        reminders.remind(group.maja, [])
    config(SMTP_HOST="")
    with pytest.raises(DomainError, match="E-post är inte inställd"):
        reminders.remind(group.maja, [group.anna.id])


def test_remind_reports_a_server_failure_and_keeps_what_was_sent(group, config):
    others = [member(group.kommun, f"extra{n}", f"Extra {n}", group.maja) for n in range(3)]
    with smtp_server(Handler(fail_from=2)) as failing:
        config(**failing.config())
        result = reminders.remind(group.maja, [group.anna.id, *(p.id for p in others)])
    assert result.sent == ["Anna Andersson"]
    assert result.failed is not None and "451 4.3.0" in result.failed
    assert [r.person_id for r in recorded()] == [group.anna.id]


def test_remind_takes_the_same_number_of_queries_for_more_people(group, smtp, count_queries):
    people = [member(group.kommun, f"p{n}", f"P {n}", group.maja) for n in range(5)]
    db.session.flush()

    def selects(counter) -> int:
        return sum(1 for s in counter.statements if s.lstrip().upper().startswith("SELECT"))

    with count_queries() as one:
        assert len(reminders.remind(group.maja, [people[0].id]).sent) == 1
    with count_queries() as four:
        assert len(reminders.remind(group.maja, [p.id for p in people[1:]]).sent) == 4
    assert selects(four) == selects(one)


def test_the_reminder_button_reminds_the_chosen_and_says_so(app, group, smtp):
    manager = browser(app, group.maja)
    response = post(manager, "/min-enhet/paminn",
                    {"person_id": [str(group.anna.id), str(group.bo.id)]},
                    follow_redirects=True)

    assert response.status_code == 200
    page = text_of(response)
    assert "Påminnelse skickad till 1 person: Anna Andersson." in page
    assert "Har inget kvar att göra och påmindes inte: Bo Berg." in page
    assert to(smtp.messages) == ["anna@exempelby.se"]
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1

    outsider = browser(app, group.olle)
    refused = post(outsider, "/min-enhet/paminn", {"person_id": [str(group.bo.id)]})
    assert refused.status_code == 403
    assert len(smtp.messages) == 1
