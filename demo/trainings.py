"""Demo trainings (utbildningar) for the Exempelby group, with a realistic, deterministic mix
of completions, so "Mina uppgifter", the coordinator's list and the follow-up per organization,
sector and person kind have something to show.

`flask --app wsgi demo-trainings` loads them after the demo directory sync and the demo
systems (`make run` does; the training for system owners and administrators finds its
audience through the system register). All three belong to Exempelby kommun and were created
by the coordinator karin.holm; Y is the year of `today`:

- Informationssäkerhet för alla Y-1: last year's mandatory annual training (period Y-1,
  due 30 November Y-1), for every person kind in all three organizations; proof by
  self-confirmation or import. 302 people, 182 completed (60 %): employees 172 of 269,
  consultants 5 of 8, elected officials 4 of 15, board members 1 of 10; the other 120
  are overdue.
- Informationssäkerhet för alla Y: this year's, copied from last year's (`copied_from`),
  same audience and proof, due 30 November Y. 302 people, 200 completed (66 %):
  employees 188 of 269 (70 %), consultants 6 of 8 (75 %), elected officials 5 of 15
  (33 %), board members 1 of 10 (10 %); per organization kommun 182 of 262, Bostäder 10
  of 20, Energi 8 of 20. Most confirmed themselves (149); 45 of the staff came from the
  monthly export from DISA (source import, recorded by karin.holm, note "Import från
  utbildningsplattformen: disa-export-YYYY-MM.csv" as the import writes it); the 6
  elected officials and board members who took it are on the attendance list
  (närvarolista) of a training session. goran.henriksson's self-confirmation was corrected
  by the coordinator to a date three weeks earlier: a correction row supersedes it and
  the history shows both.
- Informationssäkerhet för systemägare och systemförvaltare Y: the system owners and
  administrators of non-retired systems in all three organizations (97 employees and a
  consultant), self-confirmation, due 31 October Y. 98 people, 39 completed (40 %); the
  others are overdue once 31 October has passed.

Who completed is decided by ranking each person kind by a stable hash of the training and
the username and taking the promised share, never by chance: the same people whatever the
day of loading (so `demo/utbildning-import.csv` names people who have not completed this
year's training). Completion dates fall in the period and before `today`; the dates, the
sources and who had a date corrected depend on the day of loading (the figures above are
for 23 November 2026), who completed does not.

Due dates for people who joined the portal less than 30 days before them move (see
services.completions.due_on), so every demo person whose `created_at` is later than four
years back (or unknown) is set to four years back, as demo-documents does: the demo
staff have been employed for years. This does not depend on demo-documents having run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select, update

from app.clock import utcnow
from app.extensions import db
from app.models import (
    CompletionSource,
    InformationSystem,
    Organization,
    Person,
    PersonKind,
    ProofMethod,
    Training,
    TrainingCompletion,
)
from app.services import audit
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.trainings import period_label

ORGS = ("Exempelby kommun", "Exempelby Bostäder AB", "Exempelby Energi AB")
OWNER = "Exempelby kommun"
COORDINATOR = "karin.holm"
EMPLOYED_DAYS = 4 * 365
ALL_KINDS = ("employee", "consultant", "elected", "board")
SYSTEM_ROLES = ("system_owner", "system_administrator")
POLITICAL = {PersonKind.ELECTED, PersonKind.BOARD}
# The note services.training_import writes (in Swedish) on the rows it imports.
IMPORT_NOTE = "Import från utbildningsplattformen: {file}"
# Share of the staff with a completion (self or import) who came through the DISA export.
IMPORTED = 0.25
# Share of the elected officials and board members with a completion on an attendance list.
ATTENDED = 0.75

ANNUAL_DESCRIPTION = """\
Den årliga utbildningen i informationssäkerhet är obligatorisk för alla medarbetare, \
konsulter och förtroendevalda i Exempelby kommun och bolagen. Styrelseledamöterna i \
Exempelby Bostäder AB och Exempelby Energi AB följs också upp.

Utbildningen tar ungefär **30 minuter** och handlar om

- hur du känner igen nätfiske och bedrägeriförsök via e-post, sms och telefon,
- lösenord, tvåstegsverifiering och hur du skyddar dina konton,
- hur du hanterar känslig information och personuppgifter, även på resa och vid \
distansarbete,
- vad du gör när något har hänt: så rapporterar du en informationssäkerhetsincident.

Gör utbildningen i MSB:s DISA (digital informationssäkerhetsutbildning för användare) via \
länken, eller i kommunens lärplattform. Genomförandet i DISA hämtas in en gång i månaden. \
Har du gjort utbildningen på annat sätt bekräftar du själv med knappen \
*Jag har genomfört utbildningen*.

Förtroendevalda och styrelseledamöter kan i stället delta vid ett utbildningstillfälle i \
samband med ett sammanträde; informationssäkerhetssamordnaren registrerar närvaron.
"""

ROLE_DESCRIPTION = """\
För dig som är **systemägare** eller **systemförvaltare** för ett system i \
systemregistret. Utbildningen tar ungefär en timme och går igenom ditt ansvar enligt \
informationssäkerhetspolicyn:

- informationsklassning med KLASSA och när klassningen ska ses över,
- riskanalys och handlingsplan: hur risker bedöms, vem som beslutar och hur åtgärderna \
följs upp,
- behörigheter, loggning och uppföljning av åtkomst,
- avtal med leverantörer, personuppgiftsbiträdesavtal och molntjänster,
- kontinuitet: reservrutiner och återläsning av säkerhetskopior,
- incidenter i systemet och rapportering enligt cybersäkerhetslagen.

Utbildningen finns i kommunens lärplattform. Bekräfta i LIS-portalen när du har \
genomfört den.
"""


@dataclass(frozen=True)
class Session:
    """A training session at a meeting, whose attendance list the coordinator registered."""

    month: int
    day: int
    kind: PersonKind
    note: str  # "{date}" becomes the session's date


SESSIONS = (
    Session(3, 12, PersonKind.ELECTED, "Närvarolista från utbildningstillfället för "
            "förtroendevalda i samband med kommunfullmäktige {date}"),
    Session(9, 17, PersonKind.ELECTED, "Närvarolista från utbildningstillfället för "
            "förtroendevalda i samband med kommunfullmäktige {date}"),
    Session(5, 20, PersonKind.BOARD, "Närvarolista från styrelseutbildningen {date}"),
)


@dataclass(frozen=True)
class DemoTraining:
    key: str  # for the hash: the same people complete whatever the year
    title: str  # "{year}" becomes the period's year
    description: str
    link: str
    proof: ProofMethod
    year_offset: int  # 0 this year, -1 last year
    due: tuple[int, int]  # month, day
    launched: tuple[int, int]  # month, day: when the campaign started
    created: tuple[int, int, int]  # years before the period's year, month, day
    rates: dict[PersonKind, float]
    kinds: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


def _rates(staff: float, elected: float, board: float) -> dict[PersonKind, float]:
    return {PersonKind.EMPLOYEE: staff, PersonKind.CONSULTANT: staff,
            PersonKind.ELECTED: elected, PersonKind.BOARD: board}


ANNUAL = "Informationssäkerhet för alla {year}"
LAST_YEAR = DemoTraining(
    "alla-fjol", ANNUAL, ANNUAL_DESCRIPTION, "https://www.msb.se/disa", ProofMethod.BOTH, -1,
    (11, 30), (1, 15), (1, 12, 1), _rates(0.64, 0.27, 0.10), kinds=ALL_KINDS)
THIS_YEAR = DemoTraining(
    "alla-i-ar", ANNUAL, ANNUAL_DESCRIPTION, "https://www.msb.se/disa", ProofMethod.BOTH, 0,
    (11, 30), (1, 15), (1, 12, 8), _rates(0.70, 0.30, 0.10), kinds=ALL_KINDS)
FOR_SYSTEM_ROLES = DemoTraining(
    "systemroller", "Informationssäkerhet för systemägare och systemförvaltare {year}",
    ROLE_DESCRIPTION, "https://larande.exempelby.se/kurser/lis-systemagare", ProofMethod.SELF,
    0, (10, 31), (2, 2), (0, 1, 26), _rates(0.40, 0.40, 0.40), roles=SYSTEM_ROLES)


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def _fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on the parts (the same in every process)."""
    digest = hashlib.sha256(":".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _share(count: int, rate: float) -> int:
    return int(count * rate + 0.5)


class _Loader:
    def __init__(self, today: date) -> None:
        self.today = today
        self.now = utcnow()
        self.coordinator = db.session.scalar(select(Person).where(
            Person.username == COORDINATOR, Person.active))
        if self.coordinator is None:
            raise LookupError(f"demo person {COORDINATOR!r} not found: run the demo ldap-sync "
                              "first")
        orgs = {o.name: o for o in db.session.scalars(select(Organization))}
        missing = [name for name in ORGS if name not in orgs]
        if missing:
            raise LookupError(f"demo organization {missing[0]!r} not found: run the demo "
                              "ldap-sync first")
        self.orgs = orgs
        if db.session.scalar(select(InformationSystem.id).limit(1)) is None:
            raise LookupError("no demo systems, so no system owners or administrators: run "
                              "demo-systems first")
        self.tree = UnitTree.load()
        self.totals = {"trainings": 0, "completions": 0, "corrections": 0}

    def clamp(self, moment: datetime) -> datetime:
        """Nothing is recorded after now."""
        return min(moment, self.now)

    def training(self, spec: DemoTraining, copied_from: Training | None = None) -> Training:
        year = self.today.year + spec.year_offset
        starts, ends = date(year, 1, 1), date(year, 12, 31)
        created_year, month, day = spec.created
        created = self.clamp(_at(date(year - created_year, month, day)))
        rule = AudienceRule(tuple(self.orgs[name].id for name in ORGS), (), True, spec.kinds,
                            spec.roles)
        training = Training(
            title=spec.title.format(year=year), description=spec.description, link=spec.link,
            organization_id=self.orgs[OWNER].id, period_label=period_label(starts, ends),
            period_starts_on=starts, period_ends_on=ends, due_on=date(year, *spec.due),
            audience=rule.to_json(), proof=spec.proof,
            copied_from_id=copied_from.id if copied_from else None, created_at=created,
            created_by_id=self.coordinator.id, updated_at=created)
        db.session.add(training)
        db.session.flush()
        self.completions(spec, training, rule)
        self.totals["trainings"] += 1
        return training

    def completions(self, spec: DemoTraining, training: Training, rule: AudienceRule) -> None:
        people: dict[PersonKind, list[tuple[int, str]]] = {}
        for person_id, username, kind in db.session.execute(select(
                Person.id, Person.username, Person.kind).where(
                Audience.of(rule, self.tree).condition())):
            people.setdefault(kind, []).append((person_id, username))
        # From the campaign's launch to yesterday (squeezed into the period when early).
        end = max(min(self.today - timedelta(days=1), training.period_ends_on),
                  training.period_starts_on)
        start = max(min(date(training.period_starts_on.year, *spec.launched), end),
                    training.period_starts_on)

        rows: list[tuple[int, str, TrainingCompletion]] = []
        for kind, members in people.items():
            members.sort(key=lambda member: _fraction(spec.key, member[1]))
            for person_id, username in members[:_share(len(members), spec.rates[kind])]:
                rows.append((person_id, username, self.completion(
                    spec, training, kind, person_id, username, start, end)))
        rows.sort(key=lambda row: row[0])
        db.session.add_all(row for _id, _username, row in rows)
        db.session.flush()
        self.totals["completions"] += len(rows)
        if spec is THIS_YEAR:
            self.correction(spec, training, [(u, r) for _id, u, r in rows], start)

    def completion(self, spec: DemoTraining, training: Training, kind: PersonKind,
                   person_id: int, username: str, start: date, end: date) -> TrainingCompletion:
        """One person's record: an attendance list, a DISA import or their own confirmation."""
        source_pick = _fraction(spec.key, username, "source")
        if kind in POLITICAL and spec.proof != ProofMethod.SELF and source_pick < ATTENDED:
            sessions = [s for s in SESSIONS if s.kind == kind and start <= date(
                training.period_starts_on.year, s.month, s.day) <= end - timedelta(days=1)]
            if sessions:
                session = sessions[int(_fraction(spec.key, username, "session") * len(sessions))]
                day = date(training.period_starts_on.year, session.month, session.day)
                return self.row(training, person_id, day, CompletionSource.ATTENDANCE,
                                _at(day + timedelta(days=2), 11),
                                session.note.format(date=day.isoformat()))
        day = self.day(start, end, spec.key, username)
        if kind not in POLITICAL and spec.proof == ProofMethod.BOTH and source_pick < IMPORTED:
            exported = (day.replace(day=1) + timedelta(days=32)).replace(day=5)
            if exported <= self.today:
                return self.row(training, person_id, day, CompletionSource.IMPORT,
                                _at(exported, 8, 15),
                                IMPORT_NOTE.format(file=f"disa-export-{day:%Y-%m}.csv"))
        minutes = int(_fraction(spec.key, username, "time") * 9 * 60)
        return self.row(training, person_id, day, CompletionSource.SELF,
                        _at(day, 7 + minutes // 60, minutes % 60), "", recorded_by=person_id)

    def row(self, training: Training, person_id: int, day: date, source: CompletionSource,
            recorded_at: datetime, note: str, recorded_by: int | None = None
            ) -> TrainingCompletion:
        return TrainingCompletion(
            training_id=training.id, person_id=person_id, completed_on=day,
            recorded_at=self.clamp(recorded_at), source=source,
            recorded_by_id=recorded_by or self.coordinator.id, note=note)

    @staticmethod
    def day(start: date, end: date, *parts: str) -> date:
        """A day from start to end: many take it in the first weeks of the campaign, the
        rest spread over the period so far."""
        span = (end - start).days
        g = _fraction(*parts, "day")
        days = int(g / 0.4 * min(span, 45)) if g < 0.4 else int((g - 0.4) / 0.6 * span)
        return start + timedelta(days=min(days, span))

    def correction(self, spec: DemoTraining, training: Training,
                   rows: list[tuple[str, TrainingCompletion]], start: date) -> None:
        """One person confirmed with the day they clicked, not the day they took it; the
        coordinator corrected it from the DISA export a week later."""
        candidates = [(username, r) for username, r in rows
                      if r.source == CompletionSource.SELF and r.completed_on is not None
                      and start + timedelta(days=30) <= r.completed_on
                      <= self.today - timedelta(days=8)]
        if not candidates:
            return
        _username, first = min(candidates,
                               key=lambda row: _fraction(spec.key, row[0], "correction"))
        assert first.completed_on is not None
        right = first.completed_on - timedelta(days=21)
        db.session.add(TrainingCompletion(
            training_id=training.id, person_id=first.person_id, completed_on=right,
            recorded_at=self.clamp(_at(first.completed_on + timedelta(days=7), 14, 30)),
            source=CompletionSource.CORRECTION, recorded_by_id=self.coordinator.id,
            note=(f"Rättat datum: enligt utdraget ur DISA genomfördes utbildningen "
                  f"{right.isoformat()}. Bekräftelsen gjordes med dagens datum, "
                  f"{first.completed_on.isoformat()}."),
            supersedes_id=first.id))
        db.session.flush()
        self.totals["corrections"] += 1


def load_demo_trainings(today: date) -> int:
    """Add the demo trainings when there are none (the caller commits); return how many.

    Does nothing, and returns 0, when a training already exists. Raises LookupError when
    a demo organization or the coordinator is missing (sync the demo first) or the system
    register is empty (load demo-systems first).
    """
    if db.session.scalar(select(Training.id).limit(1)) is not None:
        return 0
    loader = _Loader(today)
    # The demo staff have been employed for years (see the module docstring).
    employed = _at(today - timedelta(days=EMPLOYED_DAYS), 8)
    db.session.execute(update(Person).where(or_(
        Person.created_at.is_(None), Person.created_at > employed)).values(created_at=employed))
    last_year = loader.training(LAST_YEAR)
    loader.training(THIS_YEAR, copied_from=last_year)
    loader.training(FOR_SYSTEM_ROLES)
    audit.record(None, "training.demo_loaded", "training", None, loader.totals)
    return loader.totals["trainings"]
