"""Audit log viewer: filters, pages, the HTMX fragment and the CSV export."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Person, Role
from app.services import audit_log
from app.services.audit_log import safe_cell
from tests.factories import create_person, grant
from tests.helpers import sign_in_as, text_of

LOG = "/administration/logg"
CSV = "/administration/logg.csv"


def download(client, path: str):
    """GET a streamed response and read it whole, as a browser's download does.

    Buffered, so the stream is read inside the request's own context: the test client
    runs each request in a copied context, while a real server iterates the response in
    the context the view ran in.
    """
    return client.get(path, buffered=True)


def signed_in_admin(client) -> Person:
    admin = create_person("admin", display_name="Ada Admin")
    grant(admin, Role.ADMIN)
    db.session.commit()
    sign_in_as(client, admin.id)
    return admin


def add_event(actor: Person | None, action: str, about: Person | None = None,
              at: datetime | None = None, details: dict | None = None,
              object_type: str | None = None, object_id: str | None = None) -> AuditEvent:
    event = AuditEvent(occurred_at=at or datetime(2026, 3, 10, 12, 0), action=action,
                       actor_id=actor.id if actor else None,
                       object_type=object_type or ("person" if about else "directory"),
                       object_id=object_id or (str(about.id) if about else None),
                       details=details or {})
    db.session.add(event)
    db.session.flush()
    return event


def rows(response) -> list[str]:
    """The visible text of each row of the results table."""
    html = response.get_data(as_text=True)
    body = html[html.index("<tbody>"):html.index("</tbody>")] if "<tbody>" in html else ""
    return [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", r)).split())
            for r in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


def exported_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "audit.exported")))


@pytest.mark.parametrize("role", [None, Role.COORDINATOR])
@pytest.mark.parametrize("path", [LOG, CSV, f"{LOG}?action=role.granted"])
def test_everyone_but_admins_gets_403(client, role, path):
    person = create_person("not.admin")
    if role:
        grant(person, role)
    db.session.commit()
    sign_in_as(client, person.id)
    assert download(client, path).status_code == 403
    assert not exported_events()


@pytest.mark.parametrize("path", [LOG, CSV])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/logga-in")


def test_the_log_shows_newest_first_with_names_and_details(client):
    admin = signed_in_admin(client)
    anna = create_person("anna", display_name="Anna Ahl")
    add_event(None, "person.created", about=anna, at=datetime(2026, 3, 1, 8, 0, 5),
              details={"username": "anna", "source": "ldap"})
    add_event(admin, "role.granted", about=anna, at=datetime(2026, 3, 2, 8, 0, 0),
              details={"role": "coordinator", "organization_id": None,
                       "note": "<script>alert(1)</script>"})
    db.session.commit()
    response = client.get(f"{LOG}?person=anna")
    assert response.status_code == 200
    assert rows(response) == [
        # Stored as UTC, shown in Swedish time (UTC+1 in March before summer time).
        f"2026-03-02 09:00:00 Ada Admin role.granted Anna Ahl (person {anna.id}) role: "
        "coordinator organization_id: null note: <script>alert(1)</script>",
        f"2026-03-01 09:00:05 Systemet person.created Anna Ahl (person {anna.id}) username: "
        "anna source: ldap",
    ]
    html = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "2 händelser matchar filtret." in text_of(response)
    assert '<th scope="col">Tidpunkt</th>' in html and "<caption" in html
    for name in ("person", "action", "object_type", "object_id", "date_from", "date_to"):
        assert f'<label for="{name}">' in html


def test_the_person_filter_matches_actor_or_subject_case_and_accent_insensitively(client):
    signed_in_admin(client)
    asa = create_person("asa.oberg", display_name="Åsa Öberg")
    bertil = create_person("bertil", display_name="Bertil Berg")
    add_event(asa, "document.published")                     # Åsa did it
    add_event(bertil, "role.granted", about=asa)              # it concerned Åsa
    add_event(bertil, "role.granted", about=bertil)           # neither
    add_event(None, "directory.synced")                       # neither
    add_event(bertil, "x", object_type="organization", object_id=str(asa.id))  # not a person
    db.session.commit()
    found = rows(client.get(f"{LOG}?person=ÅSA+öb"))
    assert len(found) == 2
    assert any("Åsa Öberg document.published" in r for r in found)
    assert any("Bertil Berg role.granted Åsa Öberg" in r for r in found)
    assert rows(client.get(f"{LOG}?person=%25")) == []  # LIKE wildcards are plain text


def test_the_action_and_object_filters_narrow_the_results(client):
    signed_in_admin(client)
    anna = create_person("anna", display_name="Anna Ahl")
    add_event(None, "person.created", about=anna)
    add_event(None, "person.updated", about=anna)
    add_event(None, "directory.synced")
    db.session.commit()
    page = client.get(f"{LOG}?action=person.updated")
    assert [r.split()[3] for r in rows(page)] == ["person.updated"]
    html = page.get_data(as_text=True)
    assert '<option selected value="person.updated">' in html
    assert '<option value="directory.synced">' in html
    assert len(rows(client.get(f"{LOG}?object_type=directory"))) == 1
    assert len(rows(client.get(f"{LOG}?object_type=person&object_id={anna.id}"))) == 2


def test_dates_are_inclusive_swedish_days(client):
    signed_in_admin(client)
    # 2026-03-01 23:30 UTC is already 2 March in Sweden (UTC+1).
    add_event(None, "a.late", at=datetime(2026, 3, 1, 23, 30))
    add_event(None, "b.morning", at=datetime(2026, 3, 2, 6, 0))
    add_event(None, "c.next", at=datetime(2026, 3, 3, 12, 0))
    add_event(None, "d.early", at=datetime(2026, 2, 28, 22, 59))  # 23:59 on 28 Feb in Sweden
    db.session.commit()

    def actions(query: str) -> set[str]:
        return {r.split()[3] for r in rows(client.get(f"{LOG}?{query}"))}

    assert actions("date_from=2026-03-02&date_to=2026-03-02") == {"a.late", "b.morning"}
    assert actions("date_from=2026-03-03") >= {"c.next"}
    assert "b.morning" not in actions("date_from=2026-03-03")
    assert actions("date_to=2026-03-01") == {"d.early"}


@pytest.mark.parametrize("query,message", [
    ("date_from=2026-13-01", "Ange datumet som ÅÅÅÅ-MM-DD, till exempel"),
    ("date_to=1%2F3%2F2026", "Ange datumet som ÅÅÅÅ-MM-DD, till exempel"),
    ("date_from=0001-01-01", "Ange ett datum mellan år 1900 och 9998."),
    ("date_from=2026-03-05&date_to=2026-03-01",
     "Till och med-datumet får inte vara före från och med-datumet."),
])
def test_invalid_dates_get_a_swedish_message_and_422(client, query, message):
    signed_in_admin(client)
    response = client.get(f"{LOG}?{query}")
    assert response.status_code == 422
    assert message in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    csv_response = download(client, f"{CSV}?{query}")
    assert csv_response.status_code == 422 and not exported_events()


def test_an_htmx_filter_request_gets_only_the_results(client):
    signed_in_admin(client)
    add_event(None, "directory.synced")
    db.session.commit()
    response = client.get(f"{LOG}?action=directory.synced", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "<table" in html
    assert "1 händelse matchar filtret." in text_of(response)
    bad = client.get(f"{LOG}?date_from=igår", headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    assert "Ange datumet som ÅÅÅÅ-MM-DD" in text_of(bad)
    page = client.get(LOG).get_data(as_text=True)
    assert 'hx-get="/administration/logg"' in page and 'hx-target="#audit-results"' in page
    assert 'hx-push-url="true"' in page and 'method="get"' in page


def test_fifty_a_page_with_previous_and_next(client):
    signed_in_admin(client)
    start = datetime(2026, 1, 1, 12, 0)
    for i in range(120):
        add_event(None, "bulk.event", at=start + timedelta(minutes=i), details={"n": i})
    db.session.commit()
    first = client.get(f"{LOG}?action=bulk.event")
    assert len(rows(first)) == 50 and "n: 119" in rows(first)[0]
    page = text_of(first)
    assert "120 händelser matchar filtret." in page and "Sida 1 av 3." in page
    html = first.get_data(as_text=True)
    assert 'aria-label="Sidor i granskningsloggen"' in html
    assert "Nästa" in page and "Föregående" not in page
    assert '/administration/logg?page=2&amp;action=bulk.event' in html
    last = client.get(f"{LOG}?action=bulk.event&page=3")
    assert len(rows(last)) == 20 and "n: 0" in rows(last)[-1]
    assert "Föregående" in text_of(last) and "Nästa sida" not in text_of(last)
    assert client.get(f"{LOG}?action=bulk.event&page=abc").status_code == 200


def test_csv_export_for_swedish_excel_with_formula_cells_neutralised(client):
    admin = signed_in_admin(client)
    evil = create_person("evil", display_name="=HYPERLINK(\"http://x\")")
    add_event(evil, "role.granted", about=admin, details={"role": "admin", "n": -5})
    add_event(None, "directory.synced", details={"created": 3})
    db.session.commit()
    response = download(client, f"{CSV}?action=role.granted")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="granskningslogg-\d{4}-\d{2}-\d{2}\.csv"',
                        response.headers["Content-Disposition"])
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Tidpunkt", "Utförd av", "Användarnamn", "Händelse", "Objekttyp",
                        "Objekt-id", "Objekt", "Detaljer"]
    assert lines[1] == ["2026-03-10 13:00:00", "'=HYPERLINK(\"http://x\")", "evil",
                        "role.granted", "person", str(admin.id), "Ada Admin",
                        "role: admin, n: -5"]
    assert len(lines) == 2  # the filter applies: no directory.synced row


def test_the_export_is_itself_logged_with_its_filters(client):
    admin = signed_in_admin(client)
    response = download(client, f"{CSV}?person=anna&date_from=2026-03-01")
    assert response.status_code == 200
    [event] = exported_events()
    assert event.actor_id == admin.id and event.object_type == "audit_log"
    assert event.details["filters"] == {"person": "anna", "date_from": "2026-03-01"}
    assert "audit.exported" in text_of(client.get(LOG))


def test_csv_export_has_every_matching_row_without_pagination(client, monkeypatch):
    monkeypatch.setattr(audit_log, "CSV_CHUNK", 40)  # several batches, names looked up each
    admin = signed_in_admin(client)
    for i in range(130):
        add_event(None if i % 2 else admin, "bulk.event", details={"n": i})
    db.session.commit()
    lines = download(client, f"{CSV}?action=bulk.event").get_data().decode("utf-8-sig").splitlines()
    assert len(lines) == 131
    assert {line.split(";")[1] for line in lines[1:]} == {"Systemet", "Ada Admin"}


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+46", "'+46"), ("-5", "'-5"), ("@SUM", "'@SUM"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Anna", "Anna"), ("", ""),
])
def test_formula_injection_is_neutralised(value, expected):
    assert safe_cell(value) == expected


def test_the_page_needs_the_same_number_of_queries_for_5_or_50_events(client, count_queries):
    admin = signed_in_admin(client)

    def add(n: int) -> None:
        for i in range(n):
            about = create_person(display_name=f"Ämne {i}")
            add_event(admin, "role.granted", about=about, details={"role": "coordinator"})
        db.session.commit()

    add(5)
    with count_queries() as few:
        assert client.get(f"{LOG}?action=role.granted").status_code == 200
    add(45)
    with count_queries() as many:
        assert client.get(f"{LOG}?action=role.granted").status_code == 200
    assert many.count == few.count
