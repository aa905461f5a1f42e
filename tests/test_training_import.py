"""Importing completions from the training platform's CSV file: the coordinator uploads the
file, sees what each row would do, and records every row in one go, or nothing at all."""

from __future__ import annotations

import hashlib
import io
import re
import time
from datetime import date
from html import unescape

import pytest
from flask import Flask
from flask_login import login_user
from sqlalchemy import func, insert, select, text

from app.clock import utcnow
from app.extensions import db
from app.models import (
    AuditEvent,
    CompletionSource,
    OrganizationKind,
    Person,
    ProofMethod,
    Role,
    Training,
    TrainingCompletion,
)
from app.services import DomainError, Forbidden, completions, training_file, training_import
from app.services.csv_upload import FileRefused
from app.services.training_file import parse_date
from app.services.training_import import ImportRefused
from tests.factories import create_organization, create_person, grant
from tests.helpers import csrf_token, sign_in_as, text_of

TODAY = date(2026, 11, 23)
REFUSED = "Inget importerades: rätta de avvisade raderna och ladda upp filen igen."
CHANGED = ("Inget importerades: innehållet har ändrats sedan förhandsgranskningen. Ladda upp "
           "filen igen.")
AMBIGUOUS = ("Datumet {} är tvetydigt: dag och månad kan ha bytt plats. Skriv det som "
             "ÅÅÅÅ-MM-DD, till exempel 2026-03-01.")
FAILED = ("Inget importerades: raderna kunde inte sparas. Försök igen, och kontakta supporten "
          "om felet kvarstår.")


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dates below are checked against 23 November 2026, whenever the tests run."""
    monkeypatch.setattr("app.services.training_import.today", lambda: TODAY)
    monkeypatch.setattr("app.services.checks.today", lambda: TODAY)


def make_training(organization, *, audience: dict | None = None,
                  proof: ProofMethod = ProofMethod.BOTH,
                  title: str = "Informationssäkerhet för alla") -> Training:
    now = utcnow()
    training = Training(
        title=title, description="", link="", organization_id=organization.id,
        period_label="2026", period_starts_on=date(2026, 1, 1),
        period_ends_on=date(2026, 12, 31), due_on=date(2026, 11, 30),
        audience=audience if audience is not None else {"organization_ids": [organization.id]},
        proof=proof, created_at=now, updated_at=now)
    db.session.add(training)
    db.session.flush()
    return training


@pytest.fixture
def group(app: Flask) -> dict:
    """A municipality and a company, people with Swedish letters, one who has left, and
    the municipality's training for 2026 (audience: the municipality's people)."""
    municipality = create_organization("Exempelby kommun")
    company = create_organization("Exempelby Energi AB", OrganizationKind.COMPANY)
    people = {}
    for key, username, name, number, organization in [
        ("asa", "åsa.öberg", "Åsa Öberg", "1001", municipality),
        ("orjan", "örjan.ärlig", "Örjan Ärlig", "1002", municipality),
        ("bo", "bo.berg", "Bo Berg", "1003", municipality),
        ("eva", "eva.energi", "Eva Energi", "2001", company),
    ]:
        people[key] = create_person(username, display_name=name, organization=organization)
        people[key].employee_number = number
    people["sven"] = create_person("sven.slutat", display_name="Sven Slutat", active=False,
                                   organization=municipality)
    people["sven"].employee_number = "1004"
    training = make_training(municipality)
    db.session.flush()
    return {"municipality": municipality, "company": company, "training": training, **people}


def coordinator(organization=None, username: str = "sara") -> Person:
    person = create_person(username, display_name="Sara Samordnare")
    grant(person, Role.COORDINATOR, organization)
    return person


def signed_in_coordinator(client, organization=None, username: str = "sara") -> Person:
    person = coordinator(organization, username)
    db.session.commit()
    sign_in_as(client, person.id)
    return person


def url(training: Training, suffix: str = "") -> str:
    return f"/utbildningar/{training.id}/import{suffix}"


def upload(client, training: Training, content: str | bytes, identify_by: str = "username",
           file_name: str = "plattform.csv", encoding: str = "utf-8", token_from: str = "/"):
    data = content if isinstance(content, bytes) else content.encode(encoding)
    return client.post(url(training), data={
        "file": (io.BytesIO(data), file_name), "identify_by": identify_by,
        "csrf_token": csrf_token(client, token_from)}, content_type="multipart/form-data")


def apply_fields(response, training: Training) -> dict[str, str]:
    """The hidden fields of the preview's apply form, as the browser would send them."""
    html = response.get_data(as_text=True)
    action = f'action="{url(training, "/genomfor")}"'
    assert action in html, "the preview offers no import"
    form = html.split(action, 1)[1].split("</form>", 1)[0]
    return {name: unescape(value) for name, value in
            re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', form)}


def apply_previewed(client, preview, training: Training, **headers):
    return client.post(url(training, "/genomfor"), data=apply_fields(preview, training),
                       content_type="multipart/form-data", headers=headers)


def signed_apply(app: Flask, client, person: Person, training: Training, content: str,
                 identify_by: str = "username", file_name: str = "plattform.csv"):
    """Post text straight to the import, correctly signed, as if the preview had been
    skipped or the key were known: the import must check every row itself."""
    # Imported here, once the app has loaded every blueprint in its own order.
    from app.blueprints.trainings import importing

    sha = hashlib.sha256(content.encode()).hexdigest()
    with app.test_request_context():
        login_user(person)
        signature = importing._signature(training.id, identify_by, file_name, sha, content)
    return client.post(url(training, "/genomfor"), data={
        "text": content, "file_name": file_name, "identify_by": identify_by, "sha256": sha,
        "signature": signature, "csrf_token": csrf_token(client, "/")},
        content_type="multipart/form-data")


def completion_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TrainingCompletion)) or 0


def snapshot() -> tuple[int, int]:
    """Completions and audit events: what an import would add to."""
    return completion_count(), db.session.scalar(
        select(func.count()).select_from(AuditEvent)) or 0


def recorded(training: Training) -> dict[int, TrainingCompletion]:
    return {person_id: row for (_t, person_id), row in
            completions.current([training.id]).items()}


def imported_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "training.imported").order_by(AuditEvent.id)))


# --- Dates -------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("2026-03-01", date(2026, 3, 1)),
    ("2026-3-1", date(2026, 3, 1)),
    ("2026-03-01 14:22", date(2026, 3, 1)),
    ("2026-03-01 14:22:05", date(2026, 3, 1)),
    ("2026-03-01T14:22:05.123", date(2026, 3, 1)),
    ("2026-03-01T23:30:00Z", date(2026, 3, 2)),  # 00:30 in Sweden
    ("2026-03-01T00:30:00+01:00", date(2026, 3, 1)),
    (" 2026-03-01 ", date(2026, 3, 1)),
])
def test_iso_dates_and_timestamps_are_read(app, value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["01/03/2026", "1/3/2026", "3/1/26",
                                   "3/1/2026 14:22"])
def test_dates_with_slashes_are_refused_as_ambiguous(app, value):
    assert parse_date(value) == AMBIGUOUS.format(value)


@pytest.mark.parametrize("value", ["2026-02-30", "1 mars 2026", "20260301", "01.03.2026",
                                   "2026/03/01", "2026-03-01 25:00", "igår"])
def test_other_dates_cannot_be_read(app, value):
    assert parse_date(value) == (f"Datumet {value} kunde inte läsas. Skriv det som "
                                 "ÅÅÅÅ-MM-DD, till exempel 2026-03-01.")


# --- The page ----------------------------------------------------------------------------

def test_the_upload_page_explains_the_file(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    response = client.get(url(training))
    assert response.status_code == 200
    html, page = response.get_data(as_text=True), text_of(response)
    assert "<h1>Importera genomföranden: Informationssäkerhet för alla 2026</h1>" in html
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert '<label for="file">CSV-fil från utbildningsplattformen</label>' in html
    assert 'aria-describedby="file-hint"' in html and 'name="csrf_token"' in html
    assert "<legend>Personerna i filen identifieras med</legend>" in html
    for n, value in enumerate(training_file.IDENTIFY_BY):
        assert re.search(f'<input id="identify_by-{n}" name="identify_by" [^>]*type="radio" '
                         f'value="{value}">', html)
        assert f'<label for="identify_by-{n}">' in html
    assert re.search(r"<caption[^>]*>Kolumner som läses</caption>", html)
    for name in ("användarnamn", "e-post", "anställningsnummer", "datum", "slutförd"):
        assert f"<code>{name}</code>" in html
    assert "personnummer" not in page
    assert "Datum med snedstreck, som 01/03/2026 eller 1/3/2026, avvisas" in page
    assert "En tidpunkt som 2026-03-01 14:22 går också bra" in page
    assert "högst 5 MB och 50 000 rader" in page
    assert f'href="/utbildningar/{training.id}/uppfoljning"' in html
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_signed_out_visitors_are_sent_to_sign_in(client, group):
    response = client.get(url(group["training"]))
    assert response.status_code == 302 and response.headers["Location"].startswith("/logga-in")


def test_only_a_coordinator_of_the_trainings_organization_may_import(app, client, group):
    training = group["training"]
    content = "användarnamn;datum\nbo.berg;2026-03-01\n"
    employee = group["bo"]
    db.session.commit()
    sign_in_as(client, employee.id)
    assert client.get(url(training)).status_code == 403
    assert upload(client, training, content).status_code == 403
    assert signed_apply(app, client, employee, training, content).status_code == 403
    # The rights come before the body: a huge upload still gets 403, not a size message.
    huge = upload(client, training, b"x" * (6 * 1024 * 1024))
    assert huge.status_code == 403
    client.post("/logga-ut", data={"csrf_token": csrf_token(client, "/")})

    other = signed_in_coordinator(client, group["company"], username="kalle")
    assert client.get(url(training)).status_code == 403
    assert upload(client, training, content).status_code == 403
    assert signed_apply(app, client, other, training, content).status_code == 403
    assert completion_count() == 0 and imported_events() == []
    with pytest.raises(Forbidden):
        training_import.preview(other, training, content.encode(), "a.csv", "username")
    with pytest.raises(Forbidden):
        training_import.apply(other, training, content, "username")
    with pytest.raises(Forbidden):
        training_import.apply(group["bo"], training, content, "username")


def test_a_company_coordinator_imports_to_the_companys_training(client, group):
    signed_in_coordinator(client, group["company"], username="kalle")
    training = make_training(group["company"], title="Energisäkerhet")
    db.session.commit()
    preview = upload(client, training, "användarnamn;datum\neva.energi;2026-05-05\n")
    assert "1 läggs till" in text_of(preview)
    assert apply_previewed(client, preview, training).status_code == 303
    assert recorded(training)[group["eva"].id].completed_on == date(2026, 5, 5)


def test_a_training_proven_by_self_confirmation_only_takes_no_import(app, client, group):
    coordinator_person = signed_in_coordinator(client)
    training = make_training(group["municipality"], proof=ProofMethod.SELF)
    db.session.commit()
    message = "Utbildningen visas bara genom egen bekräftelse, så det går inte att importera"
    page = client.get(url(training))
    assert page.status_code == 200 and message in text_of(page)
    assert 'type="file"' not in page.get_data(as_text=True)
    response = upload(client, training, "användarnamn;datum\nbo.berg;2026-03-01\n")
    assert response.status_code == 422 and message in text_of(response)
    content = "användarnamn;datum\nbo.berg;2026-03-01\n"
    assert signed_apply(app, client, coordinator_person, training, content).status_code == 422
    with pytest.raises(DomainError, match="bara genom egen bekräftelse"):
        training_import.apply(coordinator_person, training, content, "username")
    assert completion_count() == 0


# --- Upload, preview, apply --------------------------------------------------------------

def test_upload_preview_and_import_record_the_completions(client, group):
    sara = signed_in_coordinator(client)
    training = group["training"]
    content = ("Namn;Användarnamn;Kurs;Slutförd\r\n"
               "Åsa Öberg;ÅSA.ÖBERG;Informationssäkerhet;2026-03-01\r\n"
               "Örjan Ärlig;örjan.ärlig;Informationssäkerhet;2026-3-4\r\n"
               "Bo Berg;Bo.Berg;Informationssäkerhet;2026-03-05 14:22\r\n")
    data = content.encode("cp1252")
    before = snapshot()
    preview = upload(client, training, data, file_name="export från plattformen.csv")
    assert preview.status_code == 200
    page = text_of(preview)
    assert "Förhandsgranskning av export från plattformen.csv" in page
    assert ("3 rader i filen 3 matchar personer 0 redan registrerade 3 läggs till "
            "0 utanför målgruppen 0 avvisade") in page
    assert "Kolumner som inte läses: Namn, Kurs." in page
    assert "1 ÅSA.ÖBERG Åsa Öberg 2026-03-01" not in page  # line numbers count the header
    assert "2 ÅSA.ÖBERG Åsa Öberg 2026-03-01 I målgruppen" in page
    assert "3 örjan.ärlig Örjan Ärlig 2026-03-04" in page
    assert "4 Bo.Berg Bo Berg 2026-03-05" in page
    assert "Allt sparas i en enda transaktion: 3 genomföranden registreras" in page
    ids = re.findall(r'\sid="([^"]+)"', preview.get_data(as_text=True))
    assert len(ids) == len(set(ids))
    assert snapshot() == before

    response = apply_previewed(client, preview, training)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/utbildningar/{training.id}/uppfoljning")
    rows = recorded(training)
    assert {person_id: row.completed_on for person_id, row in rows.items()} == {
        group["asa"].id: date(2026, 3, 1), group["orjan"].id: date(2026, 3, 4),
        group["bo"].id: date(2026, 3, 5)}
    for row in rows.values():
        assert row.source == CompletionSource.IMPORT and row.recorded_by_id == sara.id
        assert row.note == ("Import från utbildningsplattformen: "
                            "export från plattformen.csv")
        assert row.supersedes_id is None
    [event] = imported_events()
    assert (event.actor_id, event.object_type, event.object_id) == (
        sara.id, "training", str(training.id))
    assert event.details == {
        "file": "export från plattformen.csv", "sha256": hashlib.sha256(data).hexdigest(),
        "identify_by": "username", "rows": 3, "added": 3, "already": 0,
        "outside_audience": 0}
    assert snapshot() == (before[0] + 3, before[1] + 1)
    assert ("Importen från export från plattformen.csv är klar: 3 genomföranden "
            "registrerades, 0 fanns redan.") in text_of(client.get(response.headers["Location"]))


def test_a_comma_separated_utf8_file_with_bom_is_read_by_e_mail(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    content = ("\ufeffE-post,Namn,Genomförd\n"
               "ÅSA.ÖBERG@exempelby.se,\"Öberg, Åsa\",2026-03-01\n"
               "bo.berg@EXEMPELBY.se,\"Berg, Bo\",2026-3-1\n")
    preview = upload(client, training, content.encode("utf-8"), identify_by="mail")
    assert "2 läggs till" in text_of(preview) and "0 avvisade" in text_of(preview)
    assert apply_previewed(client, preview, training).status_code == 303
    assert set(recorded(training)) == {group["asa"].id, group["bo"].id}


def test_people_are_found_by_employee_number(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    preview = upload(client, training, "anst.nr;datum\n1001;2026-03-01\n 1003 ;2026-04-01\n",
                     identify_by="employee_number")
    assert "2 läggs till" in text_of(preview)
    assert apply_previewed(client, preview, training).status_code == 303
    assert set(recorded(training)) == {group["asa"].id, group["bo"].id}


def test_a_shared_employee_number_takes_the_person_in_the_audience(app, group):
    sara = coordinator()
    # Employee numbers are unique per organization only.
    group["eva"].employee_number = "1003"
    result = training_import.preview(sara, group["training"], b"employee_number;date\n1003;"
                                     b"2026-03-01\n", "a.csv", "employee_number")
    [row] = result.rows
    assert (row.action, row.person_id) == ("add", group["bo"].id)
    company_training = make_training(group["company"], audience={"organization_ids": []})
    result = training_import.preview(sara, company_training, b"employee_number;date\n1003;"
                                     b"2026-03-01\n", "a.csv", "employee_number")
    [row] = result.rows
    assert row.action == "rejected"
    assert row.reasons == ["1003 hör till flera aktiva personer (Bo Berg, Eva Energi). "
                           "Identifiera personerna på annat sätt."]


def test_mixed_date_formats_are_read_or_refused_as_documented(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    before = snapshot()
    response = upload(client, training, "användarnamn;datum\n"
                                        "åsa.öberg;2026-03-01\n"
                                        "örjan.ärlig;2026-3-1\n"
                                        "bo.berg;01/03/2026\n"
                                        "eva.energi;1/3/2026\n")
    page = text_of(response)
    assert "2 läggs till" in page and "2 avvisade" in page
    assert "4 bo.berg 01/03/2026 " + AMBIGUOUS.format("01/03/2026") in page
    assert "5 eva.energi 1/3/2026 " + AMBIGUOUS.format("1/3/2026") in page
    assert ("Importen kan inte genomföras förrän alla rader godtas. Rätta de avvisade raderna "
            "i filen och ladda upp den igen.") in page
    assert 'action="' + url(training, "/genomfor") not in response.get_data(as_text=True)
    assert snapshot() == before


def test_each_rejected_row_gets_its_line_and_every_reason(app, client, group):
    sara = signed_in_coordinator(client)
    training = group["training"]
    content = ("användarnamn;datum;kurs\n"
               "åsa.öberg;2026-03-01;ok\n"                   # 2: fine
               "finns.inte;2026-03-01;okänd\n"                # 3
               "sven.slutat;2026-03-01;avaktiverad\n"         # 4
               "ÅSA.ÖBERG;2026-03-02;dubblett\n"              # 5
               ";2026-03-01;tomt namn\n"                      # 6
               "bo.berg;;tomt datum\n"                        # 7
               "\n"                                           # 8: skipped
               "örjan.ärlig;2025-12-31;före perioden\n"       # 9
               "eva.energi;2026-11-24;i framtiden\n"          # 10
               "finns.inte.heller;mars;två fel\n")             # 11
    before = snapshot()
    response = upload(client, training, content)
    assert response.status_code == 200
    page = text_of(response)
    # Åsa twice, Bo, Örjan and Eva: five rows name an active person.
    assert "9 rader i filen 5 matchar personer 0 redan registrerade 1 läggs till" in page
    assert "8 avvisade" in page and "Avvisade rader (8)" in page
    for line, cells, reasons in [
        (3, "finns.inte 2026-03-01", ["Ingen aktiv person har användarnamnet finns.inte."]),
        (4, "sven.slutat 2026-03-01", ["Sven Slutat (sven.slutat) är avaktiverad."]),
        (5, "ÅSA.ÖBERG 2026-03-02", ["Samma person finns redan på rad 2."]),
        (6, "– 2026-03-01", ["Fyll i användarnamn."]),
        (7, "bo.berg –", ["Fyll i datum."]),
        (9, "örjan.ärlig 2025-12-31", ["Datumet ligger före utbildningens period, som "
                                       "börjar 2026-01-01."]),
        (10, "eva.energi 2026-11-24", ["Datum då utbildningen genomfördes kan inte ligga i "
                                       "framtiden (2026-11-24)."]),
        (11, "finns.inte.heller mars", [
            "Ingen aktiv person har användarnamnet finns.inte.heller.",
            "Datumet mars kunde inte läsas. Skriv det som ÅÅÅÅ-MM-DD, till exempel "
            "2026-03-01."]),
    ]:
        assert f"{line} {cells} {' '.join(reasons)}" in page
    assert snapshot() == before
    # Skipping the preview changes nothing: the import checks every row itself.
    refused = signed_apply(app, client, sara, training, content)
    assert refused.status_code == 422
    assert REFUSED in text_of(refused) and "Samma person finns redan på rad 2." in text_of(
        refused)
    assert 'role="alert"' in refused.get_data(as_text=True)
    assert snapshot() == before


def test_people_already_recorded_add_nothing_and_a_second_import_adds_nothing(app, group):
    sara, training = coordinator(), group["training"]
    confirmed = completions._add(training, group["asa"].id, date(2026, 2, 2),
                                 CompletionSource.SELF, group["asa"], "")
    db.session.flush()
    content = "användarnamn;datum\nåsa.öberg;2026-03-01\nbo.berg;2026-03-01\n"
    first = training_import.apply(sara, training, content, "username", file_name="a.csv")
    assert first.counts() == {"rows": 2, "add": 1, "already": 1, "rejected": 0, "matched": 2,
                              "outside_audience": 0}
    [already] = first.of("already")
    assert (already.person_id, already.recorded_on) == (group["asa"].id, date(2026, 2, 2))
    assert completion_count() == 2
    assert recorded(training)[group["asa"].id].id == confirmed.id
    before = snapshot()
    second = training_import.apply(sara, training, content, "username", file_name="a.csv")
    assert second.counts()["add"] == 0 and second.counts()["already"] == 2
    assert completion_count() == before[0]
    assert [e.details["added"] for e in imported_events()] == [1, 0]


def test_the_preview_of_a_file_already_imported_offers_nothing_to_import(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    content = "användarnamn;datum\nåsa.öberg;2026-03-01\n"
    assert apply_previewed(client, upload(client, training, content), training
                           ).status_code == 303
    again = upload(client, training, content)
    page = text_of(again)
    assert "1 matchar personer 1 redan registrerade 0 läggs till" in page
    assert "Alla personer i filen är redan registrerade." in page
    assert "Redan registrerade (1)" in page
    assert 'action="' + url(training, "/genomfor") not in again.get_data(as_text=True)


def test_an_import_supersedes_a_completion_that_was_taken_back(app, group):
    sara, training = coordinator(), group["training"]
    first = completions._add(training, group["bo"].id, date(2026, 2, 2),
                             CompletionSource.SELF, group["bo"], "")
    db.session.flush()
    taken_back = completions._add(training, group["bo"].id, None, CompletionSource.CORRECTION,
                                  sara, "Fel person", supersedes=first)
    db.session.flush()
    result = training_import.apply(sara, training, "användarnamn;datum\nbo.berg;2026-03-01\n",
                                   "username")
    assert result.counts()["add"] == 1
    holds = recorded(training)[group["bo"].id]
    assert holds.supersedes_id == taken_back.id and holds.completed_on == date(2026, 3, 1)
    assert len(completions.history(training, group["bo"].id)) == 3
    # The import's own light query of the records that hold agrees with completions.current.
    completions._add(training, group["asa"].id, date(2026, 4, 4), CompletionSource.SELF,
                     group["asa"], "")
    db.session.flush()
    assert {person_id: (held.id, held.completed_on) for person_id, held in
            training_import._holding(training).items()} == {
        person_id: (row.id, row.completed_on) for person_id, row in recorded(training).items()}


def test_people_outside_the_audience_are_recorded_and_named_in_the_preview(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    preview = upload(client, training, "användarnamn;datum\nåsa.öberg;2026-03-01\n"
                                       "eva.energi;2026-03-02\n")
    page = text_of(preview)
    assert "2 läggs till 1 utanför målgruppen 0 avvisade" in page
    assert "Personer utanför målgruppen (1)" in page
    assert "3 eva.energi Eva Energi 2026-03-02" in page
    assert "Deras genomföranden registreras ändå" in page
    assert apply_previewed(client, preview, training).status_code == 303
    assert set(recorded(training)) == {group["asa"].id, group["eva"].id}
    [event] = imported_events()
    assert event.details["outside_audience"] == 1


# --- All or nothing ----------------------------------------------------------------------

def test_a_person_deactivated_after_the_preview_stops_the_whole_import(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    preview = upload(client, training, "användarnamn;datum\nåsa.öberg;2026-03-01\n"
                                       "bo.berg;2026-03-02\nörjan.ärlig;2026-03-03\n")
    assert "3 läggs till" in text_of(preview)
    group["bo"].active = False
    db.session.commit()
    before = snapshot()
    response = apply_previewed(client, preview, training)
    assert response.status_code == 422
    page = text_of(response)
    assert REFUSED in page and "3 bo.berg 2026-03-02 Bo Berg (bo.berg) är avaktiverad." in page
    assert snapshot() == before and recorded(training) == {}


def _fail_inserts_for(person_id: int) -> None:
    """A trigger that refuses a completion for this person, as a database failure would."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"""
            CREATE FUNCTION test_refuse_import() RETURNS trigger AS $$
            BEGIN
              IF NEW.person_id = {int(person_id)} THEN RAISE EXCEPTION 'forced failure'; END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql"""))
        db.session.execute(text("CREATE TRIGGER test_refuse_import BEFORE INSERT ON "
                                "training_completion FOR EACH ROW EXECUTE FUNCTION "
                                "test_refuse_import()"))
    else:
        db.session.execute(text(f"""
            CREATE TRIGGER test_refuse_import BEFORE INSERT ON training_completion
            WHEN NEW.person_id = {int(person_id)}
            BEGIN SELECT RAISE(ABORT, 'forced failure'); END"""))
    db.session.commit()  # ends the test's savepoint; the test's transaction drops it


def test_a_database_failure_in_the_middle_leaves_nothing_written(app, group):
    sara, training = coordinator(), group["training"]
    db.session.commit()
    _fail_inserts_for(group["bo"].id)
    before = snapshot()
    content = ("användarnamn;datum\nåsa.öberg;2026-03-01\nörjan.ärlig;2026-03-02\n"
               "bo.berg;2026-03-03\neva.energi;2026-03-04\n")
    with pytest.raises(ImportRefused) as refused:
        training_import.apply(sara, training, content, "username", file_name="mitt.csv")
    assert refused.value.message == FAILED
    assert refused.value.result.counts()["add"] == 4
    assert snapshot() == before and completion_count() == 0 and imported_events() == []
    # The session is still usable, and the rows before the failing one were not kept.
    assert recorded(training) == {}


def test_a_database_failure_through_the_page_is_reported_and_nothing_kept(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    preview = upload(client, training, "användarnamn;datum\nåsa.öberg;2026-03-01\n"
                                       "bo.berg;2026-03-03\nörjan.ärlig;2026-03-02\n")
    _fail_inserts_for(group["bo"].id)
    before = snapshot()
    response = apply_previewed(client, preview, training)
    assert response.status_code == 500
    assert FAILED in text_of(response)
    assert snapshot() == before and completion_count() == 0


# --- Files that cannot be imported -------------------------------------------------------

FIVE_MB = 5 * 1024 * 1024


@pytest.mark.parametrize("content,identify_by,messages", [
    (b"", "username", ["Filen är tom. Den ska ha en rubrikrad och en rad per person"]),
    (b"anv\xe4ndarnamn;datum\r\n;\r\n", "username",
     ["Filen har inga rader med genomföranden under rubrikraden."]),
    (b"hej och v\xe4lkommen\nbo.berg 2026-03-01\n", "username", [
        "Filen saknar en kolumn med användarnamn. Första raden ska ange kolumnernas namn; "
        "kolumnen kan heta användarnamn, anvandarnamn, username,",
        "Filen saknar en kolumn med datum då utbildningen genomfördes; kolumnen kan heta "
        "datum, genomförd,"]),
    (b"e-post;datum\nbo.berg@exempelby.se;2026-03-01\n", "username", [
        "Filen har en kolumn med e-postadress: välj E-postadress som det som identifierar "
        "personerna och ladda upp filen igen."]),
    (b"username;login;date;completed\nbo.berg;bo.berg;2026-03-01;2026-03-01\n", "username", [
        "Filen har flera kolumner med användarnamn: username, login. Behåll en.",
        "Filen har flera datumkolumner: date, completed. Behåll en."]),
    (b"anvandarnamn;datum\n" + b"bo.berg;2026-03-01\n" * 50_001, "username",
     ["Filen har fler än 50000 rader. Dela upp den i flera filer."]),
    (b"anvandarnamn;datum\n" + b"x" * FIVE_MB, "username",
     ["Filen är större än 5 MB. Dela upp den i flera filer."]),
    ("användarnamn;datum\nbo.berg;2026-03-01\n".encode("utf-16"), "username",
     ["Filen kunde inte läsas som text. Spara den som CSV och försök igen."]),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "username",
     ["Filen kunde inte läsas som text. Spara den som CSV och försök igen."]),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00[Content_Types].xml", "username",
     ["Filen är en Excel-arbetsbok, inte en CSV-fil."]),
])
def test_a_file_that_cannot_be_imported_is_refused_as_a_whole(client, group, content,
                                                              identify_by, messages):
    signed_in_coordinator(client)
    training = group["training"]
    before = snapshot()
    response = upload(client, training, content, identify_by=identify_by)
    assert response.status_code == 422
    page = text_of(response)
    for message in messages:
        assert message in page
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "data-focus" in html
    assert 'action="' + url(training, "/genomfor") not in html
    assert snapshot() == before


def test_a_request_far_over_the_limit_gets_the_same_swedish_message(client, group):
    signed_in_coordinator(client)
    response = upload(client, group["training"], b"anvandarnamn;datum\n" + b"x" * (2 * FIVE_MB))
    assert response.status_code == 422
    assert "Filen är större än 5 MB. Dela upp den i flera filer." in text_of(response)


def test_a_file_of_exactly_five_megabytes_is_read(client, group):
    signed_in_coordinator(client)
    row = b"finns.inte;2026-03-01;" + b"x" * 1000 + b"\n"
    head = b"anvandarnamn;datum;kommentar\n"
    rows, rest = divmod(FIVE_MB - len(head), len(row))
    data = head + row * rows + b"bo.berg;2026-03-01;" + b"x" * (rest - 20) + b"\n"
    assert len(data) == FIVE_MB
    response = upload(client, group["training"], data)
    assert response.status_code == 200
    assert f"1 läggs till 0 utanför målgruppen {rows} avvisade" in text_of(response)
    assert f"Visar de första 500 av {rows} raderna." in text_of(response)


def test_the_file_and_the_choice_are_asked_for(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    response = client.post(url(training), data={"csrf_token": csrf_token(client, "/")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = text_of(response)
    assert "Välj en fil att ladda upp." in page
    assert "Välj vad som identifierar personerna i filen." in page
    assert 'href="#identify_by"' in response.get_data(as_text=True)
    forged = upload(client, training, "användarnamn;datum\nbo.berg;2026-03-01\n",
                    identify_by="personnummer")
    assert forged.status_code == 422
    assert "Välj vad som identifierar personerna i filen." in text_of(forged)


def test_the_service_refuses_an_unknown_choice_and_an_oversized_text(app, group):
    sara, training = coordinator(), group["training"]
    with pytest.raises(FileRefused, match="Välj vad som identifierar personerna i filen"):
        training_import.preview(sara, training, b"personnummer;datum\n1;2026-03-01\n",
                                "a.csv", "personnummer")
    with pytest.raises(FileRefused, match="Filen är större än 5 MB"):
        training_import.preview(sara, training, b"x" * (FIVE_MB + 1), "a.csv", "username")
    with pytest.raises(FileRefused, match="Filen är större än 5 MB"):
        training_import.apply(sara, training, "x" * (FIVE_MB + 1), "username")


# --- The signed text and CSRF ------------------------------------------------------------

def test_a_changed_text_choice_or_training_is_refused_and_nothing_imported(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    other = make_training(group["municipality"], title="Phishing")
    db.session.commit()
    preview = upload(client, training, "användarnamn;datum\nåsa.öberg;2026-03-01\n")
    before = snapshot()
    for change in ({"text": "användarnamn;datum\nåsa.öberg;2026-03-01\nbo.berg;2026-03-01\n"},
                   {"identify_by": "mail"}, {"file_name": "annat.csv"},
                   {"sha256": "0" * 64}, {"signature": "0" * 64}):
        fields = {**apply_fields(preview, training), **change}
        response = client.post(url(training, "/genomfor"), data=fields)
        assert response.status_code == 422, change
        assert CHANGED in text_of(response)
    moved = client.post(url(other, "/genomfor"), data=apply_fields(preview, training))
    assert moved.status_code == 422 and CHANGED in text_of(moved)
    assert snapshot() == before


def test_the_import_needs_a_csrf_token(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    preview = upload(client, training, "användarnamn;datum\nåsa.öberg;2026-03-01\n")
    fields = apply_fields(preview, training)
    del fields["csrf_token"]
    before = snapshot()
    assert client.post(url(training, "/genomfor"), data=fields).status_code == 400
    response = client.post(url(training), data={
        "file": (io.BytesIO(b"anvandarnamn;datum\nbo.berg;2026-03-01\n"), "a.csv"),
        "identify_by": "username"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert snapshot() == before


def test_an_htmx_import_answers_with_hx_redirect(client, group):
    signed_in_coordinator(client)
    training = group["training"]
    preview = upload(client, training, "användarnamn;datum\nåsa.öberg;2026-03-01\n")
    response = apply_previewed(client, preview, training,
                               **{"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/utbildningar/{training.id}/uppfoljning")


# --- Speed -------------------------------------------------------------------------------

def _many_people(count: int, organization) -> None:
    now = utcnow()
    db.session.execute(insert(Person), [
        {"username": f"massa.{n:05d}", "display_name": f"Massa {n:05d}", "mail": None,
         "organization_id": organization.id, "source": "local", "search_text": "",
         "created_at": now} for n in range(count)])


def _file(count: int) -> bytes:
    return ("användarnamn;datum\n" + "".join(
        f"MASSA.{n:05d};2026-{n % 9 + 1}-{n % 27 + 1} 08:{n % 60:02d}\n"
        for n in range(count))).encode("cp1252")


def test_the_queries_do_not_grow_with_the_rows(app, group, count_queries):
    sara, training = coordinator(), group["training"]
    _many_people(300, group["municipality"])
    counts = []
    for rows in (10, 300):
        with count_queries() as counter:
            result = training_import.preview(sara, training, _file(rows), "a.csv", "username")
        assert result.counts()["add"] == rows
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_fifty_thousand_rows_are_previewed_and_imported(app, group):
    """The limit itself is accepted; run with -s to see how long it takes."""
    sara, training = coordinator(), group["training"]
    _many_people(50_000, group["municipality"])
    data = _file(50_000)
    started = time.perf_counter()
    result = training_import.preview(sara, training, data, "stor.csv", "username")
    previewed = time.perf_counter()
    assert result.counts()["add"] == 50_000
    training_import.apply(sara, training, result.text, "username", file_name="stor.csv",
                          sha256=result.sha256)
    db.session.flush()
    applied = time.perf_counter()
    assert completion_count() == 50_000
    again = training_import.preview(sara, training, data, "stor.csv", "username")
    assert again.counts()["already"] == 50_000
    repeated = time.perf_counter()
    print(f"\n50 000 rows on {db.session.get_bind().dialect.name}: "
          f"preview {previewed - started:.2f} s, apply {applied - previewed:.2f} s, "
          f"preview when all are recorded {repeated - applied:.2f} s")
