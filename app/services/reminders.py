"""E-mail reminders: the daily run's digests (to each person what is overdue or due within
two weeks, to each manager weekly who in their unit has something overdue) and a manager's
"Påminn" from the unit page.

Every message is recorded as a Reminder only after the SMTP server accepted it, so a run
that fails midway keeps what went out and marks nothing that did not. A person gets at most
one personal reminder (digest or "Påminn") per PERSONAL_INTERVAL_DAYS, a manager one unit
digest per UNIT_INTERVAL_DAYS, counted in Swedish calendar days: a reminder sent on a
Monday blocks the days up to Sunday, whatever the hour of the daily run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, or_, select

from app.clock import local_time, today, utc_start_of, utcnow
from app.extensions import db
from app.models import Person, Reminder, ReminderKind, Role
from app.services import DomainError, Forbidden, audit, mail, people, requirements
from app.services.people import subtree
from app.services.reminder_lines import (
    Gap,
    Holder,
    checklist_lines,
    merge,
    requirement_lines,
    unit_gaps,
)
from app.text import swedish_sort_key

PERSONAL_INTERVAL_DAYS = 7
UNIT_INTERVAL_DAYS = 7
HORIZON_DAYS = 14  # the digest lists what is overdue or due within this many days
# Kinds that count against the personal interval: nobody gets both in the same week.
PERSONAL_KINDS = (ReminderKind.DIGEST, ReminderKind.MANUAL)


def window_start(day: date, days: int) -> datetime:
    """The naive-UTC moment the interval that ends with Swedish `day` began: a reminder
    sent since then was sent within the last `days` days, today included."""
    return utc_start_of(day - timedelta(days=days - 1))


def _reminded_since(kinds: Iterable[ReminderKind], since: datetime) -> ColumnElement[bool]:
    return exists().where(Reminder.person_id == Person.id, Reminder.kind.in_(list(kinds)),
                          Reminder.sent_at >= since)


def _link(path: str) -> str:
    return current_app.config["BASE_URL"] + path


@dataclass
class Outgoing:
    """One message the run means to send; rendered only when it is sent."""

    kind: ReminderKind
    person_id: int
    name: str
    address: str
    subject: str
    template: str
    context: dict[str, Any]
    items: list[dict[str, Any]]

    def compose(self) -> mail.Mail:
        return mail.compose(self.name, self.address, self.subject, self.template,
                            name=self.name, **self.context)


@dataclass
class RunResult:
    """What a run sent (or with dry_run would send), whom it skipped, and how it ended."""

    dry_run: bool
    planned: list[Outgoing] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)  # names; missing or unusable
    refused: list[str] = field(default_factory=list)  # the server's refusals, one a person
    error: str | None = None  # set when the SMTP server failed and the run stopped

    def count(self, kind: ReminderKind, planned: bool = False) -> int:
        return sum(1 for o in (self.planned if planned else self.sent) if o.kind == kind)


def _personal_plan(requirement_list: list[requirements.Requirement], day: date,
                   result: RunResult) -> None:
    not_reminded = ~_reminded_since(PERSONAL_KINDS, window_start(day, PERSONAL_INTERVAL_DAYS))
    horizon = day + timedelta(days=HORIZON_DAYS + 1)
    found: dict[int, Holder] = {}
    if requirement_list:
        found = requirement_lines(requirement_list, day, horizon, Person.active.is_(True),
                                  not_reminded,
                                  or_(*(r.due_before(horizon) for r in requirement_list)))
    merge(found, checklist_lines(day, Person.active.is_(True), not_reminded))
    for holder in sorted(found.values(), key=lambda h: swedish_sort_key(h.name)):
        if not holder.lines:
            continue
        if not mail.usable_address(holder.mail):
            result.no_address.append(holder.name)
            continue
        overdue = sum(1 for line in holder.lines if line.overdue)
        with force_locale(mail.LOCALE):
            subject = ngettext("Påminnelse: %(num)d uppgift i LIS-portalen",
                               "Påminnelse: %(num)d uppgifter i LIS-portalen",
                               len(holder.lines))
            if overdue:
                subject += " " + ngettext("(%(num)d försenad)", "(%(num)d försenade)", overdue)
        result.planned.append(Outgoing(
            ReminderKind.DIGEST, holder.id, holder.name, (holder.mail or "").strip(), subject,
            "digest",
            {"lines": holder.lines, "link": _link("/")},
            [line.as_json() for line in holder.lines]))


def _unit_plan(requirement_list: list[requirements.Requirement], day: date,
               result: RunResult) -> None:
    gaps = unit_gaps(requirement_list, day)
    if not gaps:
        return
    managers = db.session.execute(select(Person.id, Person.display_name, Person.mail).where(
        Person.active.is_(True), people.role_conditions(Person.id)[Role.MANAGER],
        ~_reminded_since([ReminderKind.UNIT_DIGEST], window_start(day, UNIT_INTERVAL_DAYS)))
    ).tuples().all()
    for manager_id, name, address in sorted(managers, key=lambda m: swedish_sort_key(m[1])):
        below: list[Gap] = gaps.get(manager_id, [])
        if not below:
            continue
        if not mail.usable_address(address):
            result.no_address.append(name)
            continue
        below.sort(key=lambda g: (-g.people, swedish_sort_key(g.name)))
        late = sum(g.people for g in below)
        with force_locale(mail.LOCALE):
            subject = ngettext("Din enhet: %(num)d person har något försenat i LIS-portalen",
                               "Din enhet: %(num)d personer har något försenat i LIS-portalen",
                               late)
        result.planned.append(Outgoing(
            ReminderKind.UNIT_DIGEST, manager_id, name, (address or "").strip(), subject,
            "unit_digest",
            {"gaps": below, "people": late, "overdue": sum(g.overdue for g in below),
             "link": _link("/min-enhet/")},
            [g.as_json() for g in below]))


def _record(outgoing: Outgoing, sent_at: datetime, sent_by: Person | None = None) -> None:
    db.session.add(Reminder(person_id=outgoing.person_id, kind=outgoing.kind, sent_at=sent_at,
                            sent_by_id=sent_by.id if sent_by else None,
                            address=outgoing.address, subject=outgoing.subject,
                            items=outgoing.items))


def send_due(dry_run: bool, now: datetime | None = None) -> RunResult:
    """The daily run: plan every digest that is due, then (unless dry_run) send them one by
    one, committing each Reminder as soon as the server accepted its message. Stops at the
    first failure of the server (`error`); a recipient the server refuses is skipped.

    `now` (naive UTC) stands in for the clock, to run as on another day.
    """
    if not dry_run and not mail.enabled():
        raise DomainError(_("E-post är inte inställd (PORTAL_SMTP_HOST är tom); inga "
                            "påminnelser skickades."))
    moment = now or utcnow()
    day = local_time(moment).date()
    requirement_list = requirements.current()
    result = RunResult(dry_run)
    _personal_plan(requirement_list, day, result)
    _unit_plan(requirement_list, day, result)
    if dry_run:
        return result
    with mail.Mailer() as mailer:
        for outgoing in result.planned:
            try:
                mailer.send(outgoing.compose())
            except mail.MailRefused as error:
                result.refused.append(f"{outgoing.name}: {error.message}")
                continue
            except mail.MailError as error:
                result.error = error.message
                break
            _record(outgoing, now or utcnow())
            db.session.commit()
            result.sent.append(outgoing)
    return result


@dataclass
class RemindResult:
    """What "Påminn" did, person by person (names)."""

    sent: list[str] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)  # reminded within the interval, skipped
    nothing_left: list[str] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)
    failed: str | None = None  # the server failed; those after it were not reminded


def _require_in_subtree(actor: Person, person_ids: list[int]) -> None:
    tree = subtree(actor.id)
    inside = set(db.session.scalars(select(tree.c.id).where(tree.c.id.in_(person_ids))))
    inside.add(actor.id)  # as unit_status.may_view: the viewer themselves
    if not set(person_ids) <= inside:
        raise Forbidden(_("Minst en av de valda personerna finns inte i din enhet."))


def remind(actor: Person, person_ids: list[int]) -> RemindResult:
    """E-mail each chosen person in the actor's subtree what they have left, saying who
    asked; skips whoever got a reminder within PERSONAL_INTERVAL_DAYS. Checks every id
    before sending anything. Adds a Reminder per message the server accepted and one audit
    event to the session, also when the server failed midway; the caller commits."""
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        raise DomainError(_("Välj minst en person att påminna."))
    _require_in_subtree(actor, ids)
    if not mail.enabled():
        raise DomainError(_("E-post är inte inställd i portalen, så ingen påminnelse kunde "
                            "skickas. Kontakta portalens administratör."))
    day = today()
    chosen = Person.id.in_(ids)
    recent = set(db.session.scalars(select(Reminder.person_id).where(
        Reminder.person_id.in_(ids), Reminder.kind.in_(PERSONAL_KINDS),
        Reminder.sent_at >= window_start(day, PERSONAL_INTERVAL_DAYS))))
    found = merge(requirement_lines(requirements.current(), day, None, chosen),
                  checklist_lines(day, chosen, Person.active.is_(True)))
    result = RemindResult()
    sent_ids: list[int] = []
    with mail.Mailer() as mailer:
        for holder in sorted(found.values(), key=lambda h: swedish_sort_key(h.name)):
            if not holder.active or not holder.lines:
                result.nothing_left.append(holder.name)
            elif not mail.usable_address(holder.mail):
                result.no_address.append(holder.name)
            elif holder.id in recent:
                result.recent.append(holder.name)
            elif result.failed is None:
                with force_locale(mail.LOCALE):
                    subject = _("%(name)s påminner dig om dina uppgifter i LIS-portalen",
                                name=actor.display_name)
                outgoing = Outgoing(
                    ReminderKind.MANUAL, holder.id, holder.name, (holder.mail or "").strip(),
                    subject,
                    "manual", {"lines": holder.lines, "link": _link("/"),
                               "asked_by": actor.display_name},
                    [line.as_json() for line in holder.lines])
                try:
                    mailer.send(outgoing.compose())
                except mail.MailRefused:
                    result.no_address.append(holder.name)  # the server knows no such address
                    continue
                except mail.MailError as error:
                    result.failed = error.message
                    continue
                _record(outgoing, utcnow(), actor)
                result.sent.append(holder.name)
                sent_ids.append(holder.id)
    if sent_ids:
        audit.record(actor, "unit.reminded", "person", actor.id,
                     {"person_ids": sent_ids, "skipped_recent": sorted(recent & set(ids))})
    db.session.flush()
    return result
