"""Demo role checklists for the Exempelby group: this year's assignments, with a realistic,
deterministic share of what is already due ticked off, so "Mina uppgifter", the checklists
and the annual wheel (årshjul) have something to show.

`flask --app wsgi demo-checklists` loads them after the demo directory sync and the demo
systems (`make run` runs it after demo-trainings). It generates this year's assignments the
way the portal does (services.checklist_assignments: owners and administrators from the
register, managers from the reporting lines). The assignments and their holders keep the
time they were generated (the history of who held what is append-only, so it is not
redated); the ticks are dated through the year, as if the holders had worked all year.

Then each holder ticks their items whose due month has passed, and a few of this month's
ahead of time. Whether an item is ticked is decided by a stable hash of the checklist's
role, its subject (the system's name or the manager's username) and the item's title,
never by chance: the same items whatever the day of loading, as long as their month has
passed. Some holders are more diligent than others (also by hash), and an item whose fact
the register knows (a classification, approval or risk analysis this year, an action plan)
is ticked far more often when the fact is there than when it is not. The ticks are made by
the holder at a time in the item's due month (never after now), with a note where the item
requires one ("Behörighetsgranskning genomförd, 3 konton borttagna") and now and then a link
to the continuity plan. A few ticks were undone a few days later with a reason (each untick a
later ItemCheck, not a deletion), and one of those was ticked again afterwards.

The figures for the demo loaded on 23 November 2026: 185 assignments — 74 system owners
(the 78 systems not retired, less the 4 without an owner), 75 system administrators, 36
managers. Of the 929 items whose month has passed, 519 are ticked (56 %): managers 69 of
108, system owners 153 of 296, administrators 297 of 525; 14 checklists have everything
due done and 4 nothing at all. 36 of November's 185 items are ticked ahead of time, 555
items in all; 4 ticks were undone, one of them ticked again since; 23 ticks link to the
continuity plan. Which items are ticked depends only on the month of loading (and on the
register's facts of the year).

Does nothing more, and returns 0, once any item has been ticked. One audit event,
`checklist.demo_loaded`, records the load (besides generate's own).
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.extensions import db
from app.models import (
    ActionPlanItem,
    ChecklistAssignment,
    ChecklistItem,
    ChecklistRole,
    ChecklistTemplate,
    Classification,
    InformationSystem,
    ItemCheck,
    Person,
    RiskAnalysis,
    SubjectType,
)
from app.services import audit, checklist_assignments

# The share of a role's items past due that an average holder has ticked; each holder's
# diligence moves it up or down by up to SPREAD.
RATES = {ChecklistRole.SYSTEM_OWNER: 0.7, ChecklistRole.SYSTEM_ADMINISTRATOR: 0.65,
         ChecklistRole.MANAGER: 0.65, ChecklistRole.EMPLOYEE: 0.7}
SPREAD = 0.3
# An item whose fact the register knows: ticked mostly when the fact is there (WITH_FACT),
# and at the holder's rate times WITHOUT_FACT when it is not.
WITH_FACT, WITHOUT_FACT = 0.9, 0.5
# This month's items ticked ahead of time, as a share of the holder's rate.
EARLY = 0.3
# How many ticks were undone a few days later (the first of them ticked again since).
UNTICKS = 4

# Notes for the items that require one; {n}, {supplier} and {day} are filled in.
NOTES = {
    "Genomför behörighetsgranskning": (
        "Behörighetsgranskning genomförd, {n} konton borttagna",
        "Behörighetsgranskning genomförd med verksamhetens chefer, inga avvikelser",
        "Behörigheterna stämda av mot personalsystemet; {n} konton för slutade "
        "medarbetare avslutade",
    ),
    "Kontrollera loggning och loggranskning": (
        "Loggningen fungerar; stickprov på {n} åtkomster utan anmärkning",
        "Loggranskning gjord för halvåret, inga obehöriga slagningar hittades",
        "Loggarna sparas bara tre månader; längre lagring beställd hos {supplier}",
    ),
    "Testa återläsning av säkerhetskopia": (
        "Återläsning till testmiljön lyckades, tog {n} timmar",
        "Återläsning av en enskild databas testad tillsammans med {supplier}, fungerade",
        "Återläsning testad; rutinen uppdaterad med kontaktuppgifter till {supplier}",
    ),
    "Kontrollera att leverantörsavtalet omfattar incidentrapportering": (
        "Avtalet med {supplier} kräver rapport inom 24 timmar",
        "Incidentrapportering saknades i avtalet; tilläggsavtal med {supplier} undertecknat",
    ),
    "Gå igenom incidentrutinen på en arbetsplatsträff": (
        "Genomgång på APT {day}, {n} medarbetare deltog",
        "Incidentrutinen gicks igenom på APT {day} med exempel på nätfiske",
    ),
}
GENERIC_NOTE = "Genomfört enligt rutinen"
# Evidence links for a share of the ticks of these items (as demo/systems.py links its
# risk analyses).
EVIDENCE = {"Uppdatera kontinuitetsplan":
            "https://dokument.exempelby.se/lis/kontinuitet/{system_id}"}
UNDO_NOTES = (
    "Bockade av fel system av misstag",
    "Återöppnad: kontrollen behöver göras om",
    "Återöppnad efter påpekande från informationssäkerhetssamordnaren",
)
REDONE_NOTE = "Klart efter ny kontroll"


def _fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on the parts (the same in every process)."""
    digest = hashlib.sha256(":".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class _Subject:
    key: str  # stable across loads: the system's name or the person's username
    supplier: str = ""


@dataclass
class _Tick:
    assignment: ChecklistAssignment
    item: ChecklistItem
    hash_key: str
    at: datetime


class _Loader:
    def __init__(self, today: date) -> None:
        self.today, self.now, self.year = today, utcnow(), today.year
        self.rows: list[ItemCheck] = []
        self.ticks: list[_Tick] = []
        self.undone = self.redone = 0

    def assignments(self) -> list[ChecklistAssignment]:
        return list(db.session.scalars(select(ChecklistAssignment).options(
            selectinload(ChecklistAssignment.template).selectinload(ChecklistTemplate.items))
            .where(ChecklistAssignment.period == self.year).order_by(ChecklistAssignment.id)))

    def subjects(self) -> dict[tuple[SubjectType, int], _Subject]:
        result = {(SubjectType.SYSTEM, i): _Subject(name, supplier or "leverantören")
                  for i, name, supplier in db.session.execute(select(
                      InformationSystem.id, InformationSystem.name, InformationSystem.supplier))}
        result.update({(SubjectType.PERSON, i): _Subject(username) for i, username in
                       db.session.execute(select(Person.id, Person.username))})
        return result

    def facts(self) -> set[tuple[str, int]]:
        """(fact, system id) for the facts the register knows this year."""
        start, end = date(self.year, 1, 1), date(self.year, 12, 31)
        known: set[tuple[str, int]] = set()
        for fact, column, model in (
                ("classification", Classification.classified_on, Classification),
                ("classification_approved", Classification.approved_on, Classification),
                ("risk_analysis", RiskAnalysis.performed_on, RiskAnalysis)):
            known.update((fact, system_id) for (system_id,) in db.session.execute(
                select(model.system_id).where(column >= start, column <= end).distinct()))
        known.update(("action_plan", system_id) for (system_id,) in db.session.execute(
            select(ActionPlanItem.system_id).distinct()))
        return known

    def moment(self, month: int, last_day: int, *parts: str) -> datetime:
        """A working hour on a day of the month up to `last_day` (never after now)."""
        day = 1 + int(_fraction(*parts, "day") * last_day)
        minutes = int(_fraction(*parts, "time") * 8 * 60)
        return min(datetime.combine(date(self.year, month, day),
                                    time(6 + minutes // 60, minutes % 60)), self.now)

    def tick_items(self, assignments: list[ChecklistAssignment]) -> None:
        subjects, facts = self.subjects(), self.facts()
        for assignment in assignments:
            if assignment.assignee_id is None:
                continue
            role = assignment.template.role
            subject = subjects.get((assignment.subject_type, assignment.subject_id))
            if subject is None:
                continue
            key = f"{role.value}:{subject.key}"
            rate = RATES[role] + (_fraction(key, "diligence") - 0.5) * 2 * SPREAD
            for item in assignment.template.items:
                if not item.in_period(self.year) or item.due_month is None:
                    continue
                self.maybe_tick(assignment, item, subject, key, rate, facts)

    def maybe_tick(self, assignment: ChecklistAssignment, item: ChecklistItem,
                   subject: _Subject, key: str, rate: float,
                   facts: set[tuple[str, int]]) -> None:
        month = item.due_month
        assert month is not None
        if (self.year, month) > (self.today.year, self.today.month):
            return  # not yet due
        if month == self.today.month:
            if self.today.day == 1:
                return
            last_day, rate = self.today.day - 1, rate * EARLY
        else:
            last_day = calendar.monthrange(self.year, month)[1]
        if item.fact and assignment.subject_type == SubjectType.SYSTEM:
            rate = WITH_FACT if (item.fact, assignment.subject_id) in facts else \
                rate * WITHOUT_FACT
        hash_key = f"{key}:{item.title}"
        if _fraction(hash_key, "tick") >= rate:
            return
        at = self.moment(month, last_day, hash_key)
        note = self.note(item, subject, hash_key, at)
        link = ""
        if item.title in EVIDENCE and _fraction(hash_key, "evidence") < 0.5:
            link = EVIDENCE[item.title].format(system_id=assignment.subject_id)
        self.add(assignment, item, True, at, note, link)
        self.ticks.append(_Tick(assignment, item, hash_key, at))

    @staticmethod
    def note(item: ChecklistItem, subject: _Subject, hash_key: str, at: datetime) -> str:
        if not item.requires_note:
            return ""
        choices = NOTES.get(item.title, (GENERIC_NOTE,))
        text = choices[int(_fraction(hash_key, "note") * len(choices))]
        return text.format(n=2 + int(_fraction(hash_key, "n") * 11), supplier=subject.supplier,
                           day=at.date().isoformat())

    def add(self, assignment: ChecklistAssignment, item: ChecklistItem, checked: bool,
            at: datetime, note: str, link: str = "") -> None:
        assert assignment.assignee_id is not None
        self.rows.append(ItemCheck(assignment_id=assignment.id, item_id=item.id,
                                   checked=checked, by_id=assignment.assignee_id, at=at,
                                   note=note, evidence_link=link))

    def undo_a_few(self) -> None:
        """A few ticks undone by the holder some days later; the first one redone since."""
        candidates = [t for t in self.ticks if t.at + timedelta(days=3) <= self.now]
        candidates.sort(key=lambda t: _fraction(t.hash_key, "undo"))
        for n, tick in enumerate(candidates[:UNTICKS]):
            undone = min(tick.at + timedelta(days=1 + int(_fraction(tick.hash_key, "later")
                                                          * 10)), self.now)
            reason = UNDO_NOTES[int(_fraction(tick.hash_key, "reason") * len(UNDO_NOTES))]
            self.add(tick.assignment, tick.item, False, undone, reason)
            self.undone += 1
            redone = undone + timedelta(days=2)
            if n == 0 and redone <= self.now:
                note = REDONE_NOTE if tick.item.requires_note else ""
                self.add(tick.assignment, tick.item, True, redone, note)
                self.redone += 1

    @property
    def ticked(self) -> int:
        """Items ticked now."""
        return len(self.ticks) - self.undone + self.redone

    def save(self) -> None:
        # In time order, so the ids follow the history (the latest row is the item's state).
        self.rows.sort(key=lambda row: row.at)
        db.session.add_all(self.rows)
        db.session.flush()


def load_demo_checklists(today: date) -> int:
    """Generate this year's checklist assignments and tick what the demo holders have done
    (the caller commits); return how many items are ticked.

    Does nothing, and returns 0, when any item has been ticked already. Raises LookupError
    when the register is empty (load demo-systems first).
    """
    if db.session.scalar(select(ItemCheck.id).limit(1)) is not None:
        return 0
    if db.session.scalar(select(InformationSystem.id).limit(1)) is None:
        raise LookupError("no demo systems, so no system owners or administrators: run "
                          "demo-systems first")
    generated = checklist_assignments.generate(today.year)
    loader = _Loader(today)
    assignments = loader.assignments()
    loader.tick_items(assignments)
    loader.undo_a_few()
    loader.save()
    audit.record(None, "checklist.demo_loaded", "checklist", today.year, {
        "assignments": len(assignments), "created": generated.created,
        "ticked": loader.ticked, "unticked": loader.undone, "ticked_again": loader.redone,
        "checks": len(loader.rows)})
    return loader.ticked
