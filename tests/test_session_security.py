"""Session security: time limits, fixation, cookie flags, sign-out, HSTS and open redirects.

Time is moved through app.clock.utcnow, which the session limits read; nothing sleeps.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import AuditEvent, Person
from tests.factories import create_person
from tests.helpers import csrf_token, post, post_form, sign_in_as, text_of

COOKIE = "portal_session"
GOOD = "/dokument/"
GOOD_WITH_QUERY = "/dokument/?q=a%2Fb"
# Each of these, given as next=, must land on the start page and nowhere else.
EVIL = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\evil.example",
    "/\\/evil.example",
    "http:evil.example",
    "/%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    " //evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "/%5Cevil.example",
    "///evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "/\r\nSet-Cookie:x=1",
    "",
]


@pytest.fixture
def move_clock(monkeypatch: pytest.MonkeyPatch):
    """`move_clock(hours=8)` moves the portal's clock forward from the test's start."""
    start = clock.utcnow()
    offset = [timedelta(0)]
    monkeypatch.setattr(clock, "utcnow", lambda: start + offset[0])

    def move(**delta: float) -> None:
        offset[0] += timedelta(**delta)

    return move


def copy_of(app, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return other


def sends_to_sign_in(response) -> bool:
    return response.status_code in (302, 303) and response.headers["Location"].startswith(
        "/logga-in")


def set_cookie_of(response) -> dict[str, str | bool]:
    """The portal's Set-Cookie header as {attribute (lower case): value or True}."""
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    attributes: dict[str, str | bool] = {}
    for part in headers[0].split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attributes[key.lower()] = value or True
    return attributes


# --- Idle timeout and absolute lifetime ---------------------------------------------------

def test_a_sign_in_unused_for_eight_hours_ends_on_the_server_with_a_swedish_message(
        app, client, move_clock):
    person = create_person("anna")
    sign_in_as(client, person.id)
    copied = copy_of(app, client)
    for _ in range(4):
        move_clock(hours=2)
        assert copied.get("/").status_code == 200
    move_clock(minutes=1)
    response = client.get("/dokument/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/logga-in?next=/dokument/"
    page = text_of(client.get(response.headers["Location"]))
    assert ("Du loggades ut eftersom du inte använt portalen på 8 timmar. Logga in igen."
            in page)
    assert sends_to_sign_in(client.get("/"))
    # The copy was used a minute ago, yet the sign-in it belongs to has ended.
    assert sends_to_sign_in(copied.get("/"))
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "auth.session_expired"))
    assert event.actor_id == person.id and event.details == {"reason": "idle"}


def test_a_copied_cookie_left_unused_stops_working_after_the_idle_time(app, client,
                                                                       move_clock):
    sign_in_as(client, create_person("anna").id)
    copied = copy_of(app, client)
    move_clock(hours=8, seconds=1)
    assert sends_to_sign_in(copied.get("/"))
    assert sends_to_sign_in(client.get("/"))


def test_requests_keep_the_sign_in_alive_until_its_absolute_limit(client, move_clock):
    sign_in_as(client, create_person("anna").id)
    for _ in range(4):
        move_clock(hours=2, minutes=29)
        assert client.get("/").status_code == 200
    move_clock(minutes=30)  # ten hours and a minute after signing in
    response = client.get("/")
    assert sends_to_sign_in(response)
    assert ("Du loggades ut eftersom en inloggning gäller i högst 10 timmar. Logga in igen."
            in text_of(client.get("/logga-in")))


def test_the_idle_limit_is_configurable(client, config, move_clock):
    config(SESSION_IDLE_LIFETIME=timedelta(hours=1))
    sign_in_as(client, create_person("anna").id)
    move_clock(minutes=59)
    assert client.get("/").status_code == 200
    move_clock(minutes=61)
    assert sends_to_sign_in(client.get("/"))
    assert ("Du loggades ut eftersom du inte använt portalen på 1 timme. Logga in igen."
            in text_of(client.get("/logga-in")))


def test_an_htmx_request_after_the_idle_time_is_sent_to_sign_in(client, move_clock):
    sign_in_as(client, create_person("anna").id)
    move_clock(hours=9)
    response = client.get("/dokument/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/logga-in"


def test_a_cookie_without_sign_in_times_is_signed_out(client):
    """A cookie from before the time limits existed carries no times: it is signed out."""
    sign_in_as(client, create_person("anna").id)
    with client.session_transaction() as session:
        del session["since"]
    response = client.get("/logga-in")
    assert response.headers["Location"] == "/logga-in"
    assert "Din inloggning har gått ut. Logga in igen." in text_of(client.get("/logga-in"))
    assert sends_to_sign_in(client.get("/"))


def test_the_sign_in_page_stays_in_english_after_an_idle_sign_out(client, move_clock):
    person = create_person("anna")
    person.locale = "en"
    db.session.commit()
    sign_in_as(client, person.id)
    move_clock(hours=9)
    client.get("/")
    assert '<html lang="en"' in client.get("/logga-in").get_data(as_text=True)


def test_the_cookie_is_rewritten_only_when_the_last_request_time_moves(client, move_clock):
    sign_in_as(client, create_person("anna").id)
    client.get("/")  # the first page stores a new CSRF token in the new session
    assert client.get("/static/htmx-2.0.11.min.js").headers.getlist("Set-Cookie") == []
    assert client.get("/").headers.getlist("Set-Cookie") == []
    move_clock(minutes=2)
    refreshed = client.get("/")
    assert refreshed.status_code == 200
    # The new cookie still expires when the sign-in's ten hours are up, not later.
    expires = parsedate_to_datetime(str(set_cookie_of(refreshed)["expires"]))
    signed_in_at = clock.utcnow().replace(tzinfo=UTC) - timedelta(minutes=2)
    assert abs(expires - (signed_in_at + timedelta(hours=10))) < timedelta(seconds=5)
    assert client.get("/static/htmx-2.0.11.min.js").headers.getlist("Set-Cookie") == []


# --- Session fixation ------------------------------------------------------------------

def test_nothing_from_before_sign_in_survives_it_but_the_language(app, client):
    person = create_person("anna")
    token = csrf_token(client)
    assert client.post("/sprak", data={"csrf_token": token, "locale": "en",
                                       "next": "/logga-in"}).status_code == 303
    with client.session_transaction() as planted:
        planted["planted"] = "by someone else"
    before = client.get_cookie(COOKIE).value
    sign_in_as(client, person.id)
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["locale"] == "en"
    assert client.get_cookie(COOKIE).value != before
    # The form token from before sign-in no longer counts: the session is a new one.
    assert client.post("/sprak", data={"csrf_token": token, "locale": "sv"}).status_code == 400
    # The cookie from before sign-in, replayed, is not signed in.
    replayed = app.test_client()
    replayed.set_cookie(COOKIE, before)
    assert sends_to_sign_in(replayed.get("/"))
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_signing_in_again_ends_the_earlier_sign_in_on_every_device(app, client):
    """Decision: one sign-in per person at a time, so a cookie from an earlier sign-in,
    on this device or another, stops working when the person signs in again."""
    person = create_person("anna")
    sign_in_as(client, person.id)
    earlier = client.get_cookie(COOKIE).value
    laptop = app.test_client()
    sign_in_as(laptop, person.id)
    assert laptop.get("/").status_code == 200
    assert sends_to_sign_in(client.get("/"))
    replayed = app.test_client()
    replayed.set_cookie(COOKIE, earlier)
    assert sends_to_sign_in(replayed.get("/"))
    token = db.session.scalar(select(Person.session_token).where(Person.id == person.id))
    assert token and token not in earlier


# --- Cookie flags and HSTS -------------------------------------------------------------

def test_the_session_cookie_flags_and_its_expiry(client):
    response = sign_in_as(client, create_person("anna").id)
    cookie = set_cookie_of(response)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie
    assert "domain" not in cookie
    expires = parsedate_to_datetime(str(cookie["expires"]))
    now = datetime.now(UTC)
    assert now + timedelta(hours=10) - timedelta(minutes=1) <= expires
    assert expires <= now + timedelta(hours=10, seconds=5)
    assert int(cookie.get("max-age", 0)) <= 10 * 3600


def test_the_session_cookie_is_secure_and_short_lived_when_configured(client, config):
    config(SESSION_COOKIE_SECURE=True, PERMANENT_SESSION_LIFETIME=timedelta(hours=2))
    cookie = set_cookie_of(sign_in_as(client, create_person("anna").id))
    assert cookie["secure"] is True and cookie["httponly"] is True
    expires = parsedate_to_datetime(str(cookie["expires"]))
    assert expires <= datetime.now(UTC) + timedelta(hours=2, seconds=5)


def test_hsts_on_every_response_when_cookies_are_secure(client, config):
    config(SESSION_COOKIE_SECURE=True)
    hsts = "max-age=31536000; includeSubDomains"
    for path in ("/logga-in", "/static/htmx-2.0.11.min.js", "/finns-inte", "/"):
        response = client.get(path, base_url="https://localhost")
        assert response.headers.get("Strict-Transport-Security") == hsts, path
    sign_in_as(client, create_person("anna").id)
    assert client.get("/", base_url="https://localhost").headers[
        "Strict-Transport-Security"] == hsts


def test_no_hsts_over_plain_http(client):
    for path in ("/logga-in", "/static/htmx-2.0.11.min.js", "/"):
        assert "Strict-Transport-Security" not in client.get(path).headers


# --- Sign-out ------------------------------------------------------------------------------

def test_sign_out_ends_the_session_for_this_and_any_other_copy_of_the_cookie(app, client):
    sign_in_as(client, create_person("anna").id)
    captured = client.get_cookie(COOKIE).value
    other = copy_of(app, client)
    assert other.get("/").status_code == 200
    response = post(client, "/logga-ut", {})
    assert response.headers["Location"] == "/logga-in"
    assert "Du är utloggad." in text_of(client.get("/logga-in"))
    assert sends_to_sign_in(client.get("/"))
    client.set_cookie(COOKIE, captured)
    assert sends_to_sign_in(client.get("/"))
    assert sends_to_sign_in(other.get("/"))


# --- Open redirects ------------------------------------------------------------------------

def landing(response) -> str:
    assert response.status_code in (303, 204), response.get_data(as_text=True)[:300]
    # Nothing of the target may become a header of its own.
    assert all("x=1" not in h for h in response.headers.getlist("Set-Cookie"))
    return response.headers.get("Location") or response.headers["HX-Redirect"]


def expected() -> dict[str, str]:
    return {target: "/" for target in EVIL} | {GOOD: GOOD, GOOD_WITH_QUERY: GOOD_WITH_QUERY}


def test_demo_sign_in_follows_next_only_to_own_paths(app):
    person = create_person("anna")
    as_form, as_query, as_htmx = {}, {}, {}
    for target in expected():
        client = app.test_client()
        as_form[target] = landing(post_form(client, "/demo/logga-in",
                                            {"person_id": person.id, "next": target}))
        client = app.test_client()
        as_query[target] = landing(post_form(client, "/demo/logga-in",
                                             {"person_id": person.id},
                                             query_string={"next": target}))
        client = app.test_client()
        as_htmx[target] = landing(post_form(client, "/demo/logga-in",
                                            {"person_id": person.id, "next": target},
                                            headers={"HX-Request": "true"}))
    assert as_form == expected()
    assert as_query == expected()
    assert as_htmx == expected()


def test_the_demo_sign_in_forms_carry_the_page_asked_for(app):
    create_person("anna")
    client = app.test_client()
    asked = client.get("/dokument/")
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    demo_forms = page.split('class="demo-groups"')[1]
    assert '<input type="hidden" name="next" value="/dokument/">' in demo_forms
    evil = client.get("/logga-in", query_string={"next": "//evil.example"})
    assert 'name="next" value="//evil.example"' not in evil.get_data(as_text=True)


def test_password_sign_in_follows_next_only_to_own_paths(app, ldap_config):
    landed = {}
    for target in expected():
        client = app.test_client()
        landed[target] = landing(post_form(client, "/logga-in", {
            "username": "maria.nilsson", "password": "demo", "next": target}))
    assert landed == expected()


def test_the_language_form_follows_next_only_to_own_paths(app):
    landed = {}
    for target in expected():
        client = app.test_client()
        landed[target] = landing(post_form(client, "/sprak", {"locale": "en", "next": target}))
    assert landed == expected()
    signed_in = app.test_client()
    sign_in_as(signed_in, create_person("anna").id)
    assert landing(post(signed_in, "/sprak", {"locale": "sv", "next": "//evil.example"})) == "/"
    assert landing(post(signed_in, "/sprak", {"locale": "sv", "next": GOOD})) == GOOD


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"',
                           html) + re.findall(
        r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))


def sign_in_form(page) -> str:
    html = page.get_data(as_text=True)
    return html.split('id="sign-in-form"')[1].split("</form>")[0]


def test_the_sign_in_page_carries_only_an_own_path_through_the_password_form(client,
                                                                            ldap_config):
    page = client.get("/logga-in", query_string={"next": "//evil.example"})
    assert hidden_fields(sign_in_form(page))["next"] == ""
    page = client.get("/logga-in", query_string={"next": "/dokument/?q=a"})
    form = hidden_fields(sign_in_form(page))
    assert form["next"] == "/dokument/?q=a"
    response = client.post("/logga-in", data={**form, "username": "maria.nilsson",
                                              "password": "demo"})
    assert response.headers["Location"] == "/dokument/?q=a"


# --- The sign-in redirect itself -----------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Host": "evil.example"},
                                     {"X-Forwarded-Host": "evil.example"}])
def test_a_page_asked_for_while_signed_out_sends_only_its_path_to_sign_in(client, headers):
    response = client.get("/dokument/?q=policy", headers=headers)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("", "", "/logga-in")
    (next_value,) = parse_qs(location.query)["next"]
    assert next_value == "/dokument/?q=policy"
    target = urlsplit(next_value)
    assert not target.scheme and not target.netloc


def test_after_signing_in_the_person_gets_the_page_they_asked_for(client):
    person = create_person("anna")
    location = client.get("/dokument/").headers["Location"]
    (next_value,) = parse_qs(urlsplit(location).query)["next"]
    response = post_form(client, "/demo/logga-in", {"person_id": person.id,
                                                    "next": next_value})
    assert response.headers["Location"] == "/dokument/"
    assert client.get("/dokument/").status_code == 200
