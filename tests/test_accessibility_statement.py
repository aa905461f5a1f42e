"""The accessibility statement (tillgänglighetsredogörelse) that lag (2018:1937) om
tillgänglighet till digital offentlig service requires: public, with the sections of DIGG's
model statement, a way to report shortcomings, the link to DIGG's reporting service, how
the portal was tested and when, and linked from the footer of every page."""

from __future__ import annotations

import itertools
import re

from app.extensions import db
from app.models import Role
from tests.factories import create_person, grant
from tests.helpers import csrf_token, html_of, sign_in_as, text_of

PATH = "/tillganglighetsredogorelse"
FOOTER_LINK = re.compile(
    r'<footer class="site-footer">.*<a href="/tillganglighetsredogorelse"[^>]*>'
    r"Tillgänglighetsredogörelse</a>.*</footer>", re.S)
# DIGG's model statement, in the order it gives them.
SECTIONS = [
    "Hur tillgänglig är portalen?",
    "Vad kan du göra om du inte kan använda delar av portalen?",
    "Rapportera brister i portalens tillgänglighet",
    "Kontakta tillsynsmyndigheten",
    "Teknisk information om portalens tillgänglighet",
    "Innehåll som inte är tillgängligt",
    "Hur vi testat portalen",
]


def _headings(html: str, level: int) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip()
            for h in re.findall(rf"<h{level}\b[^>]*>(.*?)</h{level}>", html, re.S)]


def test_anyone_can_read_it_without_signing_in(client):
    response = client.get(PATH)

    assert response.status_code == 200
    assert _headings(html_of(response), 1) == ["Tillgänglighetsredogörelse för LIS-portalen"]
    assert "Logga ut" not in text_of(response)


def test_a_signed_in_person_reads_it_too(client):
    person = create_person("anna")
    db.session.commit()
    sign_in_as(client, person.id)

    response = client.get(PATH)

    assert response.status_code == 200
    assert "Logga ut" in text_of(response)
    assert "Tillgänglighetsredogörelse för LIS-portalen" in text_of(response)


def test_it_has_the_sections_of_digg_model_statement_in_order(client):
    html = html_of(client.get(PATH))

    assert _headings(html, 2) == SECTIONS
    assert _headings(html, 3) == ["Bristande förenlighet med lagkraven",
                                  "Oskäligt betungande anpassning",
                                  "Innehåll som inte omfattas av lagkraven"]
    # One h1, and every h3 comes after the h2 it belongs to.
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


def test_it_says_how_accessible_the_portal_is_and_lists_known_shortcomings(client):
    page = text_of(client.get(PATH))

    assert "delvis förenlig med lagen om tillgänglighet till digital offentlig service" in page
    assert "WCAG 2.1 nivå AA" in page and "EN 301 549" in page
    for shortcoming in ("Breda tabeller.",
                        "Diagram.", "Utskrift och PDF.",
                        "Exporterade filer.", "Styrdokumentens text."):
        assert shortcoming in page
    assert "Vi åberopar inte undantag för oskäligt betungande anpassning." in page


def test_it_says_whom_to_contact_and_links_to_digg(client):
    html = html_of(client.get(PATH))
    page = text_of(client.get(PATH))

    assert "kontakta informationssäkerhetssamordnaren" in page
    assert "Myndigheten för digital förvaltning (Digg)" in page
    assert re.search(r'<a href="https://www\.digg\.se/tdosanmalan"[^>]*>'
                     r"Anmäl bristande tillgänglighet till Digg</a>", html)


def test_it_says_how_the_portal_was_tested_and_when(client):
    page = text_of(client.get(PATH))

    assert "självskattning" in page and "axe-core" in page and "Chromium" in page
    assert "Automatiska tester av tangentbordsanvändning" in page
    assert ("Bedömningen gjordes och redogörelsen upprättades den 3 dec 2026. "
            "Redogörelsen uppdaterades senast den 3 dec 2026.") in page
    assert "minst en gång om året" in page


def test_the_footer_links_to_it_on_the_sign_in_page_and_signed_in_pages(client):
    assert FOOTER_LINK.search(html_of(client.get("/logga-in")))

    person = create_person("anna")
    grant(person, Role.COORDINATOR)
    db.session.commit()
    sign_in_as(client, person.id)
    for path in ("/", "/samordning/", PATH):
        response = client.get(path)
        assert response.status_code == 200, path
        assert FOOTER_LINK.search(html_of(response)), path
    # On the statement itself the link says it is the current page.
    assert 'href="/tillganglighetsredogorelse" aria-current="page"' in html_of(client.get(PATH))
    assert 'aria-current="page">Tillgänglighetsredogörelse' not in html_of(client.get("/"))


def test_error_pages_carry_the_footer_link_too(client):
    response = client.get("/finns-inte")

    assert response.status_code == 404
    assert FOOTER_LINK.search(html_of(response))


def test_it_renders_in_english_when_english_is_chosen(client):
    token = csrf_token(client)
    chosen = client.post("/sprak", data={"csrf_token": token, "locale": "en", "next": PATH})
    assert chosen.headers["Location"] == PATH

    response = client.get(PATH)

    assert response.status_code == 200
    assert '<html lang="en">' in html_of(response)
    assert 'href="https://www.digg.se/tdosanmalan"' in html_of(response)
