"""Measure the governing-document and training pages, the acknowledgement (kvittens) and the
training confirmation for a large audience.

For each organization size (default 1,000 and 10,000 active people) and each database
backend — SQLite (a temp file) always, PostgreSQL when --postgres URL or
PORTAL_TEST_DATABASE_URL is given (a throwaway, uniquely named database, dropped afterwards)
— it builds a migrated app and writes in bulk: one municipality with six sectors of three
units each, N active people (every 10th the manager of the next nine, so the manager role
exists; every 20th a consultant), a coordinator, five published documents whose audience is
the whole organization, and acknowledgements of each document by half the people (person i
has acknowledged document k when i + k is even, so everyone has some documents open and
some done); likewise three trainings for the whole organization for this calendar year (due
on December 31, so nobody is overdue) and a completion (the person's own confirmation) of
training k by person i when i + k is even. It signs in through the demo sign-in form and
renders in-process with the Flask test client:

  * GET  /                                   "Mina uppgifter" of one employee
  * GET  /dokument/<id>                      the document page, as that employee
  * GET  /styrdokument/                      the coordinator's list (acknowledgement rates)
  * GET  /styrdokument/<id>/kvittenser       the report (default: only those who have not)
  * GET  /styrdokument/<id>/kvittenser.csv   the report as CSV (every person in the audience)
  * POST /dokument/<id>/kvittera             an HTMX kvittens, a fresh person every request
  * GET  /utbildning/<id>                    the training page, as that employee (not done)
  * GET  /utbildningar/                      the coordinator's list (completion rates)
  * GET  /utbildningar/<id>/uppfoljning      the follow-up (default: only those who have not)
  * GET  /utbildningar/<id>/uppfoljning.csv  the follow-up as CSV (every person in the audience)
  * POST /utbildningar/<id>/import           the import preview of the platform's CSV file:
                                             one row per person, up to IMPORT_ROWS, those who
                                             have not completed first (so at 10,000 people,
                                             5,000 to add and 5,000 already recorded)
  * POST /utbildning/<id>/genomford          an HTMX confirmation, a fresh person every request

It prints the fastest, median and p95 time of --renders renders per page (after two warm-up
renders; --imports import previews, after one; --posts kvittenser and as many
confirmations, after two warm-up posts each), the SQL statements per request (counted with a
`before_cursor_execute` listener, transaction control such as SQLite's BEGIN and the
SAVEPOINT around a kvittens or a confirmation left out; min–max when they vary) and the
response size. The sign-in and the page read before each post (for its CSRF token) are not
timed. Above --big people the pages are rendered --big-renders times, so 10,000 people on
SQLite finish in a few minutes. On a busy machine the fastest render is the steadiest
figure.

This is a benchmark, not a test: it asserts only that pages answer as expected (200).

Usage: .venv/bin/python benchmarks/documents_view.py [--people N ...] [--renders R]
                                                     [--posts P] [--imports I]
                                                     [--postgres URL]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402
from werkzeug.test import TestResponse  # noqa: E402

from app.clock import today, utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Acknowledgement,
    ChangeKind,
    CompletionSource,
    Document,
    DocumentVersion,
    GrantSource,
    Organization,
    OrganizationKind,
    OrgUnit,
    Person,
    PersonKind,
    PersonSource,
    ProofMethod,
    Role,
    RoleGrant,
    Training,
    TrainingCompletion,
)
from app.services.markdown_render import sha256_of  # noqa: E402
from app.services.trainings import period_label  # noqa: E402
from app.text import fold  # noqa: E402
from tests.conftest import migrated_app  # noqa: E402
from tests.databases import throwaway_postgres_database  # noqa: E402
from tests.helpers import sign_in_as  # noqa: E402

DEFAULT_SIZES = [1000, 10000]
SECTORS = ["Socialtjänst", "Utbildning", "Samhällsbyggnad", "Kultur och fritid",
           "Verksamhetsstöd", "Kommunledning"]
SUB_UNITS = ["Stab", "Område norr", "Område söder"]
DOCUMENTS = [("Informationssäkerhetspolicy", "policy", 400),
             ("Riktlinjer för informationssäkerhet", "guideline", 200),
             ("Rutin för hantering av informationssäkerhetsincidenter", "routine", 90),
             ("Instruktion för informationsklassning", "instruction", 45),
             ("Instruktion för distansarbete", "instruction", 10)]  # (title, kind, days ago)
TRAININGS = [("Grundutbildning i informationssäkerhet", "grundutbildning"),
             ("Dataskydd och personuppgifter (GDPR)", "dataskydd"),
             ("Nätfiske och social manipulation", "natfiske")]  # (title, slug of the link)
IMPORT_ROWS = 10_000  # rows in the imported file at most (one per person)
# SQLite gets an explicit BEGIN per transaction (see app/__init__.py); not a query. The
# kvittens is written inside a SAVEPOINT (to catch a double click); not a query either.
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Setup:
    coordinator_id: int
    employee_id: int
    document_id: int  # the first document; the employee has not acknowledged it
    version_id: int
    posters: list[int]  # people who have not acknowledged it either, for the kvittenser
    training_id: int  # the first training; the employee has not completed it
    completers: list[int]  # people who have not completed it either, for the confirmations
    usernames: list[str]  # for the import file: those who have not completed it first


def body_of(title: str) -> str:
    """A governing document's Markdown text of about 8 kB: headings, lists, paragraphs."""
    parts = [f"# {title}", "", "## Syfte", "",
             "Dokumentet beskriver hur Exempelby kommun skyddar sin information: att rätt "
             "person har tillgång till rätt information i rätt tid, att informationen är "
             "korrekt och att det går att se vem som har gjort vad.", ""]
    for n in range(1, 9):
        parts += [f"## {n}. Avsnitt {n}", "",
                  "Varje medarbetare ansvarar för att följa dokumentet i sitt arbete. "
                  "Chefen ser till att medarbetarna känner till det och har förutsättningar "
                  "att följa det. Avvikelser rapporteras till närmaste chef och till "
                  "informationssäkerhetssamordnaren utan dröjsmål.", "",
                  "- Klassa informationen innan ett system tas i bruk.",
                  "- Använd bara de system och tjänster som kommunen har godkänt.",
                  "- Lås skärmen när du lämnar din arbetsplats.",
                  "- Rapportera misstänkta incidenter **samma dag**.", "",
                  "| Nivå | Konsekvens | Exempel |", "|---|---|---|",
                  "| 1 | Försumbar | Allmän information |",
                  "| 2 | Måttlig | Interna arbetsdokument |",
                  "| 3 | Betydande | Personuppgifter |",
                  "| 4 | Allvarlig | Känsliga personuppgifter |", ""]
    return "\n".join(parts)


def description_of(title: str) -> str:
    """A training's Markdown description: a paragraph, a list and a link."""
    return "\n".join([
        f"**{title}** är obligatorisk för alla medarbetare och konsulter i Exempelby kommun "
        "och tar ungefär 30 minuter. Genomför den i utbildningsplattformen och bekräfta "
        "sedan här.", "",
        "Utbildningen tar upp:", "",
        "- hur du klassar information och väljer rätt system,",
        "- hur du känner igen nätfiske och andra försök att lura dig,",
        "- vad du gör när något har gått fel: *rapportera samma dag*.", "",
        "Frågor besvaras av [informationssäkerhetssamordnaren]"
        "(mailto:informationssakerhet@exempelby.se)."])


def populate(size: int) -> Setup:
    """Write the organization, `size` people, five documents and half the kvittenser, three
    trainings and half the completions."""
    now = utcnow()
    org = Organization(name="Exempelby kommun", kind=OrganizationKind.MUNICIPALITY)
    sectors = [OrgUnit(organization=org, name=name, path=name) for name in SECTORS]
    units = [OrgUnit(organization=org, parent=sector, name=sub, path=f"{sector.path} / {sub}")
             for sector in sectors for sub in SUB_UNITS]
    db.session.add_all([org, *sectors, *units])
    people: list[Person] = []
    for i in range(size):
        # A manager and the nine they lead share a unit.
        person = Person(username=f"person{i}", display_name=f"Person {i:05d} Benchsson",
                        mail=f"person{i}@exempelby.se", title="Handläggare",
                        kind=PersonKind.CONSULTANT if i % 20 == 19 else PersonKind.EMPLOYEE,
                        organization=org, unit=units[(i // 10) % len(units)],
                        manager=people[i - i % 10] if i % 10 else None, active=True,
                        source=PersonSource.LOCAL, created_at=now - timedelta(days=4 * 365))
        person.refresh_search_text()
        people.append(person)
    db.session.add_all(people)
    db.session.add(RoleGrant(person=people[0], role=Role.COORDINATOR,
                             source=GrantSource.MANUAL, granted_at=now))
    db.session.flush()  # every person in one flush

    versions = []
    for title, kind, days in DOCUMENTS:
        body = body_of(title)
        moment = now - timedelta(days=days)
        decided = (moment - timedelta(days=7)).date()
        document = Document(
            title=title, kind=kind, organization_id=org.id,
            audience={"organization_ids": [org.id]}, requires_acknowledgement=True,
            review_interval_months=12, acknowledgement_days=30,
            search_text=fold(f"{title} {body}"), created_at=moment, withdrawal_reason="")
        document.versions = [DocumentVersion(
            number="1", body=body, change_kind=ChangeKind.MAJOR, change_summary="",
            decided_by="Kommunfullmäktige", decision_date=decided, reference="KS 2026/1",
            valid_from=decided, sequence=1, sha256=sha256_of(body), created_at=moment,
            updated_at=moment, published_at=moment)]
        db.session.add(document)
        versions.append(document.versions[0])
    db.session.flush()

    rows = [{"person_id": person.id, "document_id": version.document_id,
             "version_id": version.id, "content_sha256": version.sha256,
             "acknowledged_at": version.published_at + timedelta(minutes=i % 20_000),
             "method": "web"}
            for k, version in enumerate(versions)
            for i, person in enumerate(people) if (i + k) % 2 == 0]
    db.session.execute(insert(Acknowledgement), rows)

    day = today()
    starts, ends = date(day.year, 1, 1), date(day.year, 12, 31)
    trainings = [Training(
        title=title, description=description_of(title),
        link=f"https://utbildning.exempelby.se/kurs/{slug}", organization_id=org.id,
        period_label=period_label(starts, ends), period_starts_on=starts, period_ends_on=ends,
        due_on=ends, audience={"organization_ids": [org.id]}, proof=ProofMethod.BOTH,
        created_at=now, created_by_id=people[0].id, updated_at=now)
        for title, slug in TRAININGS]
    db.session.add_all(trainings)
    db.session.flush()
    days = (day - starts).days + 1  # completed within the period, and not after today

    def completion(training: Training, i: int, person: Person) -> dict:
        completed_on = starts + timedelta(days=i % days)
        recorded_at = min(now, datetime.combine(completed_on, datetime.min.time())
                          + timedelta(hours=7, minutes=i % 600))
        return {"training_id": training.id, "person_id": person.id,
                "completed_on": completed_on, "recorded_at": recorded_at,
                "source": CompletionSource.SELF, "recorded_by_id": person.id, "note": "",
                "supersedes_id": None}

    db.session.execute(insert(TrainingCompletion),
                       [completion(training, i, person)
                        for k, training in enumerate(trainings)
                        for i, person in enumerate(people) if (i + k) % 2 == 0])
    db.session.commit()
    first = versions[0]
    # Person 1 is an employee without reports who has document 0 open (1 + 0 is odd), and
    # training 0 too.
    open_ones = [p for i, p in enumerate(people) if i % 2 == 1]
    done_ones = [p for i, p in enumerate(people) if i % 2 == 0]
    return Setup(people[0].id, people[1].id, first.document_id, first.id,
                 [p.id for p in open_ones[1:]], trainings[0].id, [p.id for p in open_ones[1:]],
                 [p.username for p in [*open_ones, *done_ones][:IMPORT_ROWS]])


@dataclass
class Result:
    backend: str
    people: int
    view: str
    min_ms: float
    median_ms: float
    p95_ms: float
    queries: str
    kib: float


class Counter:
    """SQL statements sent to the engine while listening, transaction control left out."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        if not TRANSACTION_CONTROL.match(statement):
            self.statements.append(statement)

    def __enter__(self) -> Counter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def _result(backend: str, size: int, label: str, times: list[float], counts: list[int],
            response: TestResponse) -> Result:
    queries = (str(counts[0]) if min(counts) == max(counts)
               else f"{min(counts)}–{max(counts)}")
    return Result(backend, size, label, min(times), statistics.median(times),
                  sorted(times)[max(0, round(0.95 * len(times)) - 1)], queries,
                  len(response.data) / 1024)


def time_get(counter: Counter, client: FlaskClient, url: str, renders: int, expected: str
             ) -> tuple[list[float], list[int], TestResponse]:
    for _ in range(2):  # warm-up: template compilation, connection pool, caches
        assert client.get(url).status_code == 200, url
    times, counts = [], []
    with counter:
        for _ in range(renders):
            counter.statements.clear()
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(counter.statements))
            assert response.status_code == 200, (url, response.status_code)
    assert expected in response.get_data(as_text=True), (url, expected)
    return times, counts, response


def time_posts(counter: Counter, app: Flask, setup: Setup, posts: int
               ) -> tuple[list[float], list[int], TestResponse]:
    """Each kvittens by a person who has not given it yet, so every POST inserts a row."""
    page = f"/dokument/{setup.document_id}"
    return time_fresh_posts(counter, app, setup.posters, page, f"{page}/kvittera",
                            {"version_id": str(setup.version_id), "confirm": "y"},
                            'name="confirm"', "Tack!", posts)


def time_completions(counter: Counter, app: Flask, setup: Setup, posts: int
                     ) -> tuple[list[float], list[int], TestResponse]:
    """Each confirmation by a person who has not completed the training yet, so every POST
    inserts a row."""
    page = f"/utbildning/{setup.training_id}"
    return time_fresh_posts(counter, app, setup.completers, page, f"{page}/genomford",
                            {"completed_on": today().isoformat(), "note": ""},
                            'name="completed_on"', "Genomförd", posts)


def time_fresh_posts(counter: Counter, app: Flask, people: list[int], page: str, url: str,
                     fields: dict[str, str], form_marker: str, saved: str, posts: int
                     ) -> tuple[list[float], list[int], TestResponse]:
    """An HTMX post of `fields` to `url` by a fresh person each time, signed in (untimed)
    and given the CSRF token of `page`, which must show the form (`form_marker`); the
    response must hold `saved`."""
    posters = iter(people)
    client = app.test_client()
    sign_in_as(client, next(posters))
    html = client.get(page).get_data(as_text=True)
    times, counts = [], []
    for n in range(2 + posts):  # two warm-up posts
        token = CSRF.search(html).group(1)  # type: ignore[union-attr]
        if n:  # the first person is already signed in
            signed_in = client.post("/demo/logga-in",
                                    data={"csrf_token": token, "person_id": next(posters)})
            assert signed_in.status_code in (302, 303, 204), signed_in.status_code
            html = client.get(page).get_data(as_text=True)
            token = CSRF.search(html).group(1)  # type: ignore[union-attr]
        assert form_marker in html, ("the form is missing", page)
        data = {"csrf_token": token, **fields}
        with counter:
            counter.statements.clear()
            start = time.perf_counter()
            response = client.post(url, data=data, headers={"HX-Request": "true"})
            elapsed = (time.perf_counter() - start) * 1000
            statements = len(counter.statements)
        assert response.status_code == 200, (url, response.status_code)
        assert saved in response.get_data(as_text=True), ("nothing was saved", url)
        if n >= 2:
            times.append(elapsed)
            counts.append(statements)
    return times, counts, response


def time_import(counter: Counter, client: FlaskClient, setup: Setup, renders: int
                ) -> tuple[list[float], list[int], TestResponse]:
    """The preview of a platform file with a row per person in setup.usernames (ISO dates
    within the period); a preview writes nothing, so every render reads the same file."""
    page = f"/utbildningar/{setup.training_id}/import"
    html = client.get(page).get_data(as_text=True)
    token = CSRF.search(html).group(1)  # type: ignore[union-attr]
    day = today()
    days = (day - date(day.year, 1, 1)).days + 1
    lines = [f"{name};{(day - timedelta(days=i % days)).isoformat()}"
             for i, name in enumerate(setup.usernames)]
    data = "\r\n".join(["Användarnamn;Genomförd", *lines, ""]).encode()
    adds = sum(1 for name in setup.usernames if int(name.removeprefix("person")) % 2 == 1)
    times, counts = [], []
    for n in range(1 + renders):  # one warm-up preview
        form = {"csrf_token": token, "identify_by": "username",
                "file": (io.BytesIO(data), "utbildningsplattformen.csv")}
        with counter:
            counter.statements.clear()
            start = time.perf_counter()
            response = client.post(page, data=form, content_type="multipart/form-data")
            elapsed = (time.perf_counter() - start) * 1000
            statements = len(counter.statements)
        assert response.status_code == 200, (page, response.status_code)
        if n:
            times.append(elapsed)
            counts.append(statements)
    text = response.get_data(as_text=True)
    for expected in (f'<span class="figure">{len(lines)}</span> rader i filen',
                     f'<span class="figure">{adds}</span> läggs till',
                     '<span class="figure">0</span> avvisade'):
        assert expected in text, (page, expected)
    return times, counts, response


def measure(app: Flask, backend: str, size: int, renders: int, posts: int,
            imports: int) -> list[Result]:
    with app.app_context():
        setup = populate(size)
        engine = db.engine
    counter = Counter(engine)
    employee, coordinator = app.test_client(), app.test_client()
    sign_in_as(employee, setup.employee_id)
    sign_in_as(coordinator, setup.coordinator_id)
    doc = setup.document_id
    half = (size + 1) // 2  # document 0 is acknowledged by the even-numbered people
    views = [
        ("GET / (Mina uppgifter)", employee, "/", "Du har 3 dokument att läsa"),
        ("GET /dokument/<id>", employee, f"/dokument/{doc}", 'name="confirm"'),
        ("GET /styrdokument/", coordinator, "/styrdokument/", f"({half}/{size})"),
        ("GET kvittenser", coordinator, f"/styrdokument/{doc}/kvittenser", f"{half}/{size}"),
        ("GET kvittenser.csv", coordinator, f"/styrdokument/{doc}/kvittenser.csv",
         "Person 00001 Benchsson"),
    ]
    results = []
    for label, client, url, expected in views:
        times, counts, response = time_get(counter, client, url, renders, expected)
        results.append(_result(backend, size, label, times, counts, response))
    times, counts, response = time_posts(counter, app, setup, posts)
    results.append(_result(backend, size, "POST kvittera (HTMX)", times, counts, response))

    training = setup.training_id
    done = (size + 1) // 2  # training 0 is completed by the even-numbered people
    views = [
        ("GET /utbildning/<id>", employee, f"/utbildning/{training}",
         "Jag har genomfört utbildningen"),
        ("GET /utbildningar/", coordinator, "/utbildningar/", f"({done}/{size})"),
        ("GET uppfoljning", coordinator, f"/utbildningar/{training}/uppfoljning",
         f"{done}/{size}"),
        ("GET uppfoljning.csv", coordinator, f"/utbildningar/{training}/uppfoljning.csv",
         "Person 00001 Benchsson"),
    ]
    for label, client, url, expected in views:
        times, counts, response = time_get(counter, client, url, renders, expected)
        results.append(_result(backend, size, label, times, counts, response))
    if imports:  # before the confirmations, so the file's first half is still to add
        times, counts, response = time_import(counter, coordinator, setup, imports)
        label = f"POST import ({len(setup.usernames)} rows)"
        results.append(_result(backend, size, label, times, counts, response))
    times, counts, response = time_completions(counter, app, setup, posts)
    results.append(_result(backend, size, "POST genomford (HTMX)", times, counts, response))
    return results


def run(backend: str, url: str, size: int, renders: int, posts: int, imports: int
        ) -> list[Result]:
    app = migrated_app(url)
    try:
        return measure(app, backend, size, renders, posts, imports)
    finally:
        with app.app_context():
            db.engine.dispose()


def print_table(results: list[Result]) -> None:
    print(f"{'backend':<11}{'people':>7}  {'view':<24}{'min ms':>8}{'median ms':>10}"
          f"{'p95 ms':>9}{'queries':>9}{'KiB':>7}")
    for r in results:
        print(f"{r.backend:<11}{r.people:>7}  {r.view:<24}{r.min_ms:>8.1f}{r.median_ms:>10.1f}"
              f"{r.p95_ms:>9.1f}{r.queries:>9}{r.kib:>7.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=DEFAULT_SIZES,
                        help="active people in the organization (default: 1000 10000)")
    parser.add_argument("--renders", type=int, default=30, help="renders per page (30)")
    parser.add_argument("--posts", type=int, default=50,
                        help="kvittenser, and training confirmations, to time (50)")
    parser.add_argument("--imports", type=int, default=5,
                        help="import previews to time (5; 0 leaves them out)")
    parser.add_argument("--big", type=int, default=5000,
                        help="above this many people use --big-renders (5000)")
    parser.add_argument("--big-renders", type=int, default=10,
                        help="renders per page above --big people (10)")
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL; a throwaway database is made there")
    args = parser.parse_args()
    results = []
    for size in args.people:
        renders = args.renders if size <= args.big else min(args.renders, args.big_renders)
        posts = args.posts
        if size // 2 - 1 < posts + 2:
            sys.exit(f"--people {size} leaves too few people for {posts} kvittenser")
        with tempfile.TemporaryDirectory() as tmp:
            results += run("sqlite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", size,
                           renders, posts, args.imports)
        if args.postgres:
            with throwaway_postgres_database(args.postgres, prefix="portal_bench") as url:
                results += run("postgresql", url, size, renders, posts, args.imports)
    print_table(results)


if __name__ == "__main__":
    main()
