"""Security headers, CSRF, error pages and HTMX behaviour that every page shares."""

from __future__ import annotations

import re

from tests.factories import create_person
from tests.helpers import csrf_token, sign_in_as, text_of


def test_every_response_carries_the_security_headers(client):
    response = client.get("/logga-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "HX-Request" in response.headers["Vary"]


def test_pages_have_no_inline_scripts_and_use_the_vendored_htmx(client):
    html = client.get("/logga-in").get_data(as_text=True)
    assert '<script src="/static/htmx-2.0.11.min.js"' in html
    assert "<script>" not in html and "onclick=" not in html
    # Every script comes from our own /static/, never from a CDN.
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assert sources and all(src.startswith("/static/") for src in sources)
    assert client.get("/static/htmx-2.0.11.min.js").status_code == 200


def test_a_post_without_csrf_token_is_refused_in_swedish_and_changes_nothing(client):
    person = create_person("anna")
    response = client.post("/demo/logga-in", data={"person_id": person.id})
    assert response.status_code == 400
    assert "Formuläret saknade en giltig säkerhetstoken" in text_of(response)
    assert client.get("/").status_code == 302


def test_the_htmx_header_token_is_accepted(client):
    person = create_person("anna")
    token = csrf_token(client)
    response = client.post("/demo/logga-in", data={"person_id": person.id},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_session_cookie_is_httponly_and_samesite_lax(client):
    person = create_person("anna")
    response = sign_in_as(client, person.id)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookie_when_configured(client, config):
    config(SESSION_COOKIE_SECURE=True)
    person = create_person("anna")
    assert "Secure" in sign_in_as(client, person.id).headers["Set-Cookie"]


def test_unknown_page_gets_a_swedish_404(client):
    response = client.get("/finns-inte")
    assert response.status_code == 404
    assert "Sidan finns inte" in text_of(response)


def test_an_htmx_request_that_fails_gets_a_readable_fragment(client):
    response = client.get("/finns-inte", headers={"HX-Request": "true"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert html.strip().startswith('<p class="error-message" id="error-message"')
    assert "Sidan eller uppgiften du söker finns inte." in html


def test_demo_sign_in_is_not_there_outside_demo_mode(client, config):
    person = create_person("anna")
    config(PORTAL_DEMO=False)
    token = csrf_token(client)
    response = client.post("/demo/logga-in", data={"csrf_token": token, "person_id": person.id})
    assert response.status_code == 404
    assert "Demoläge" not in text_of(client.get("/logga-in"))
    assert client.get("/").status_code == 302


def test_demo_mode_shows_a_banner_on_every_page(client):
    person = create_person("anna")
    assert "Demoläge: inloggning utan lösenord" in text_of(client.get("/logga-in"))
    sign_in_as(client, person.id)
    assert "Demoläge: inloggning utan lösenord" in text_of(client.get("/"))


def test_a_redirect_after_sign_in_stays_on_this_site(client):
    person = create_person("anna")
    token = csrf_token(client)
    response = client.post("/demo/logga-in?next=//evil.example/", data={
        "csrf_token": token, "person_id": person.id})
    assert response.headers["Location"] == "/"
