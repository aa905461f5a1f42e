"""The demo trainings: loaded once over the demo directory and systems, with the completion
rates a coordinator follows up computed through the same services the pages use, and the
import file in demo/ that a user can try on this year's annual training."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, or_, select

from app import clock
from app.extensions import db
from app.models import (
    AuditEvent,
    CompletionSource,
    InformationSystem,
    LifecycleStatus,
    Organization,
    Person,
    ProofMethod,
    Role,
    SystemAdministrator,
    Training,
    TrainingCompletion,
)
from app.services import completions, training_import, training_status
from app.services.system_access import CoordinatorScope
from demo.systems import load_demo_systems
from demo.trainings import load_demo_trainings

TODAY = date(2026, 11, 23)
EVERYTHING = CoordinatorScope(True, frozenset())
IMPORT_FILE = Path(__file__).resolve().parent.parent / "demo" / "utbildning-import.csv"

ORGANIZATIONS = {"Exempelby kommun", "Exempelby Bostäder AB", "Exempelby Energi AB"}
KINDS = ("Medarbetare", "Konsulter", "Förtroendevalda", "Styrelseledamöter")
# Completed, out of the audience, per kind: the figures in demo/trainings.py's docstring
# (who completed does not depend on the day of loading).
THIS_YEAR_FIGURES = {"Medarbetare": (188, 269), "Konsulter": (6, 8),
                     "Förtroendevalda": (5, 15), "Styrelseledamöter": (1, 10)}
LAST_YEAR_FIGURES = {"Medarbetare": (172, 269), "Konsulter": (5, 8),
                     "Förtroendevalda": (4, 15), "Styrelseledamöter": (1, 10)}
# The share completed (percent) the issue promises for this year's annual training.
BANDS = {"Medarbetare": (60, 80), "Konsulter": (60, 80), "Förtroendevalda": (20, 40),
         "Styrelseledamöter": (0, 20)}


def _load() -> int:
    """The systems first (they make the system owners and administrators), then the
    trainings. These count from the real today, not TODAY: the services compare dates
    with the real today."""
    load_demo_systems(TODAY)
    return load_demo_trainings(clock.today())


def _titles() -> dict[str, str]:
    year = clock.today().year
    return {"this": f"Informationssäkerhet för alla {year}",
            "last": f"Informationssäkerhet för alla {year - 1}",
            "roles": f"Informationssäkerhet för systemägare och systemförvaltare {year}"}


def _trainings() -> dict[str, Training]:
    by_title = {t.title: t for t in db.session.scalars(select(Training))}
    return {key: by_title[title] for key, title in _titles().items()}


def _person(username: str) -> Person:
    return db.session.scalars(select(Person).where(Person.username == username,
                                                   Person.active)).one()


def _report(training: Training) -> training_status.TrainingReport:
    return training_status.report(training, _person("karin.holm"), {Role.COORDINATOR},
                                  EVERYTHING)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_annual_training_has_the_promised_rates_per_kind(demo_people):
    assert _load() == 3
    trainings = _trainings()
    assert len(db.session.scalars(select(Training)).all()) == 3
    result = _report(trainings["this"])

    kinds = {t.label: t for t in result.kinds}
    assert list(kinds) == list(KINDS)
    for label, (low, high) in BANDS.items():
        assert low <= kinds[label].percent <= high, label
        assert (kinds[label].done, kinds[label].total) == THIS_YEAR_FIGURES[label], label
    assert (result.total.done, result.total.total) == (200, 302)
    assert {t.label for t in result.organizations} == ORGANIZATIONS
    # Every organization and sector has some done and some not.
    assert all(0 < t.done < t.total for t in result.organizations)

    last = {t.label: (t.done, t.total) for t in _report(trainings["last"]).kinds}
    assert last == LAST_YEAR_FIGURES
    assert 55 <= _report(trainings["last"]).total.percent <= 65


def test_the_annual_training_is_this_year_and_copied_from_last_year(demo_people):
    _load()
    trainings = _trainings()
    this, last = trainings["this"], trainings["last"]
    year = clock.today().year
    kommun = db.session.scalar(select(Organization).where(
        Organization.name == "Exempelby kommun"))
    karin = _person("karin.holm")

    assert this.copied_from_id == last.id
    assert last.copied_from_id is None and trainings["roles"].copied_from_id is None
    assert (this.period_label, this.period_starts_on, this.period_ends_on, this.due_on) == (
        str(year), date(year, 1, 1), date(year, 12, 31), date(year, 11, 30))
    assert (last.period_label, last.due_on) == (str(year - 1), date(year - 1, 11, 30))
    for field in ("description", "link", "audience", "proof", "organization_id"):
        assert getattr(this, field) == getattr(last, field), field
    assert this.proof == ProofMethod.BOTH
    assert this.link.startswith("https://")
    assert "30 minuter" in this.description and "DISA" in this.description
    assert {o.name for o in db.session.scalars(select(Organization).where(
        Organization.id.in_(this.audience["organization_ids"])))} == ORGANIZATIONS
    assert sorted(this.audience["kinds"]) == ["board", "consultant", "elected", "employee"]
    assert this.audience["roles"] == []
    for training in trainings.values():
        assert training.organization_id == kommun.id
        assert training.created_by_id == karin.id
        assert training.created_at <= clock.utcnow()
        assert training.period_starts_on <= training.due_on <= training.period_ends_on
    assert last.created_at < this.created_at < clock.utcnow()


def test_the_role_training_reaches_exactly_the_system_owners_and_administrators(demo_people):
    _load()
    training = _trainings()["roles"]
    assert training.proof == ProofMethod.SELF
    assert sorted(training.audience["roles"]) == ["system_administrator", "system_owner"]
    assert training.due_on == date(clock.today().year, 10, 31)

    live = InformationSystem.status != LifecycleStatus.RETIRED
    owners = set(db.session.scalars(select(InformationSystem.owner_id).where(
        live, InformationSystem.owner_id.is_not(None))))
    administrators = set(db.session.scalars(select(SystemAdministrator.person_id).join(
        InformationSystem, InformationSystem.id == SystemAdministrator.system_id).where(live)))
    expected = set(db.session.scalars(select(Person.id).join(Organization).where(
        Person.id.in_(owners | administrators), Person.active,
        Organization.name.in_(ORGANIZATIONS))))

    result = _report(training)
    assert {m.person_id for m in result.members} == expected
    assert result.total.total == len(expected) == 98
    assert result.total.done == 39
    assert 35 <= result.total.percent <= 45
    done = {person_id for (_t, person_id), row in completions.current([training.id]).items()
            if row.completed_on is not None}
    assert done <= expected
    assert {row.source for row in completions.current([training.id]).values()} == {
        CompletionSource.SELF}


def test_a_corrected_date_keeps_both_rows_and_counts_on_the_new_date(demo_people):
    _load()
    training = _trainings()["this"]
    corrections = db.session.scalars(select(TrainingCompletion).where(
        TrainingCompletion.training_id == training.id,
        TrainingCompletion.source == CompletionSource.CORRECTION)).all()
    assert len(corrections) == 1
    correction = corrections[0]
    rows = completions.history(training, correction.person_id)
    assert [r.source for r in rows] == [CompletionSource.CORRECTION, CompletionSource.SELF]
    first = rows[1]
    assert correction.supersedes_id == first.id
    assert first.recorded_by_id == first.person_id
    assert correction.recorded_by_id == _person("karin.holm").id
    assert correction.note.startswith("Rättat datum")
    assert training.period_starts_on <= correction.completed_on < first.completed_on
    assert first.recorded_at < correction.recorded_at <= clock.utcnow()

    member = next(m for m in _report(training).members if m.person_id == correction.person_id)
    assert member.done_at == correction.completed_on
    assert member.detail == "Rättelse"
    assert completions.current([training.id], [correction.person_id])[
        (training.id, correction.person_id)].id == correction.id


def test_the_rows_are_whole_and_consistent(demo_people):
    _load()
    today, now = clock.today(), clock.utcnow()
    karin = _person("karin.holm")
    trainings = {t.id: t for t in db.session.scalars(select(Training))}
    kinds = {p.id: p.kind.value for p in db.session.scalars(select(Person))}
    seen: set[tuple[int, int]] = set()
    sources: dict[int, set[CompletionSource]] = {}
    for row in db.session.scalars(select(TrainingCompletion).order_by(TrainingCompletion.id)):
        training = trainings[row.training_id]
        assert row.completed_on is not None
        assert training.period_starts_on <= row.completed_on <= min(today,
                                                                    training.period_ends_on)
        assert row.completed_on <= row.recorded_at.date() and row.recorded_at <= now
        sources.setdefault(row.training_id, set()).add(row.source)
        if row.source == CompletionSource.SELF:
            assert row.recorded_by_id == row.person_id and row.note == ""
        else:
            assert row.recorded_by_id == karin.id
        if row.source == CompletionSource.IMPORT:
            assert row.note.startswith("Import från utbildningsplattformen: disa-export-")
            assert row.note.endswith(".csv")
            assert kinds[row.person_id] in {"employee", "consultant"}
        if row.source == CompletionSource.ATTENDANCE:
            assert row.note.startswith("Närvarolista")
            assert kinds[row.person_id] in {"elected", "board"}
        if row.supersedes_id is None:
            assert (row.training_id, row.person_id) not in seen  # one record each
            seen.add((row.training_id, row.person_id))
    this = _trainings()["this"]
    assert {CompletionSource.SELF, CompletionSource.IMPORT, CompletionSource.ATTENDANCE,
            CompletionSource.CORRECTION} == sources[this.id]
    # Only the audience has records.
    for training in trainings.values():
        members = {m.person_id for m in _report(training).members}
        assert {p for t, p in seen if t == training.id} <= members
    # The demo staff have been employed for years, so nobody is a newcomer.
    employed = today - timedelta(days=4 * 365)
    assert db.session.scalar(select(func.count()).select_from(Person).where(or_(
        Person.created_at.is_(None), func.date(Person.created_at) > employed))) == 0
    assert all(m.due_on == this.due_on for m in _report(this).members)

    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "training.demo_loaded"))
    assert event.details == {"trainings": 3, "completions": _count(TrainingCompletion) - 1,
                             "corrections": 1}


def test_the_systems_come_first(demo_people):
    """Without the register the role training would have nobody in it, for good."""
    with pytest.raises(LookupError, match="demo-systems"):
        load_demo_trainings(clock.today())
    assert _count(Training) == 0


def test_loading_again_adds_nothing(demo_people):
    assert _load() == 3
    counts = [_count(Training), _count(TrainingCompletion)]
    assert load_demo_trainings(clock.today()) == 0
    assert [_count(Training), _count(TrainingCompletion)] == counts
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.action == "training.demo_loaded")) == 1


def _import_rows() -> tuple[bytes, list[list[str]]]:
    raw = IMPORT_FILE.read_bytes()
    return raw, list(csv.reader(raw.decode("cp1252").splitlines(), delimiter=";"))


def test_the_import_file_adds_people_who_have_not_completed(demo_people):
    _load()
    raw, rows = _import_rows()
    # Windows-1252, as Swedish Excel saves it: not UTF-8, no BOM, CRLF, semicolons.
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "Användarnamn".encode("cp1252") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.count(b"\r\n") == len(rows)
    assert rows[0] == ["Användarnamn", "Genomförd"]
    assert all(len(row) == 2 for row in rows)

    people = {p.username: p for p in db.session.scalars(select(Person).where(Person.active))}
    lines = {n: row for n, row in enumerate(rows, start=1)}
    unknown = [n for n, (username, _day) in lines.items() if n > 1 and username not in people]
    bad_dates = [n for n, (_u, day) in lines.items() if day == "31/02/2026"]
    seen: set[tuple[str, str]] = set()
    duplicates = []
    for n, row in list(lines.items())[1:]:
        if tuple(row) in seen:
            duplicates.append(n)
        seen.add(tuple(row))
    # The line numbers demo/README.md names (the header is line 1).
    assert (unknown, bad_dates, duplicates) == ([11], [19], [25])

    good = {username: date.fromisoformat(day) for n, (username, day) in lines.items()
            if n > 1 and n not in unknown + bad_dates + duplicates}
    assert len(good) == 25
    assert all(date(2026, 1, 1) <= day <= date(2026, 11, 20) for day in good.values())
    # Everyone to add is in the directory and has not completed this year's training.
    training = _trainings()["this"]
    audience = {m.username: m for m in _report(training).members}
    assert set(good) <= set(audience)
    assert all(audience[username].done_at is None for username in good)
    assert not db.session.scalar(select(func.count()).select_from(TrainingCompletion).where(
        TrainingCompletion.person_id.in_([people[u].id for u in good])
        & (TrainingCompletion.training_id == training.id)))
    # The row with the impossible date names a real person too: only the date is wrong.
    assert lines[19][0] in people


def test_the_import_file_previews_and_imports_as_demo_readme_says(demo_people):
    _load()
    training = _trainings()["this"]
    karin = _person("karin.holm")
    raw = IMPORT_FILE.read_bytes()
    result = training_import.preview(karin, training, raw, IMPORT_FILE.name, "username")
    counts = result.counts()
    assert (counts["rows"], counts["add"], counts["already"], counts["rejected"]) == (
        28, 25, 0, 3)
    assert counts["outside_audience"] == 0
    assert [row.line for row in result.of("rejected")] == [11, 19, 25]
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.action == "training.imported")) == 0

    # All or nothing: as shipped the file is refused whole.
    before = _count(TrainingCompletion)
    with pytest.raises(training_import.ImportRefused):
        training_import.apply(karin, training, result.text, "username")
    assert _count(TrainingCompletion) == before

    # Without the three rejected lines it adds 25; again, nothing.
    lines = result.text.split("\n")
    fixed = "\n".join(line for n, line in enumerate(lines, start=1) if n not in (11, 19, 25))
    added = training_import.apply(karin, training, fixed, "username").counts()
    assert (added["add"], added["rejected"]) == (25, 0)
    assert _count(TrainingCompletion) == before + 25
    assert _report(training).total.done == 225
    again = training_import.apply(karin, training, fixed, "username").counts()
    assert (again["add"], again["already"]) == (0, 25)
