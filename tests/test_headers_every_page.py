"""Every page the app serves, as someone who may see it, with the security headers: a
Content-Security-Policy that allows scripts from the portal itself only (no inline
scripts, no eval) and no framing, nosniff, and — when the session cookie is secure
(PORTAL_COOKIE_SECURE=1) — Strict-Transport-Security for a year. The HTML has nothing
that policy would block: no inline <script>, no on*= handlers, no javascript: links.

Each GET route is asked for, filled from tests/route_world.py, by the first persona the
authorization matrix gives a 200 (or, for a redirecting route, its first redirect), as a
whole page and as an HTMX fragment; the Swedish error pages are walked too.
"""

from __future__ import annotations

import re

from werkzeug.test import TestResponse

from tests.route_world import World, build_world, first_column, methods_of, route_key, routes
from tests.test_authorization_matrix import EXPECTED

HSTS_MIN_AGE = 31536000
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=""", re.I)
INLINE_JS = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
HTMX_ON = re.compile(r"""\s(?:data-)?hx-on""", re.I)
# The error pages share the layout; one of each kind the walk would otherwise not see.
ERROR_PAGES = {"404": (None, "/finns-inte"), "403": ("employee", "/administration/"),
               "405": (None, "/logga-ut")}


def pages(app, world: World) -> list[tuple[str, str | None, str]]:
    """(what, persona, url) for every GET rule and the error pages."""
    found = []
    for rule in routes(app):
        if "GET" not in methods_of(rule):
            continue
        key = route_key(app, rule)
        statuses = EXPECTED[(key, "GET")]
        try:
            column = first_column(statuses, {200})
        except LookupError:
            column = first_column(statuses, {302, 303})
        found.append((key, column.persona, world.url(rule, column.side)))
    return found + [(f"error {status}", persona, url)
                    for status, (persona, url) in ERROR_PAGES.items()]


def problems(response: TestResponse, secure: bool) -> list[str]:
    """What is wrong with the response's headers and, for HTML, its markup."""
    found = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    if directives.get("script-src") != ["'self'"]:
        found.append(f"script-src is {directives.get('script-src')}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        found.append("unsafe-inline or unsafe-eval in the CSP")
    if directives.get("frame-ancestors") != ["'none'"]:
        found.append(f"frame-ancestors is {directives.get('frame-ancestors')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    hsts = response.headers.get("Strict-Transport-Security")
    if secure:
        age = re.search(r"max-age=(\d+)", hsts or "")
        if age is None or int(age.group(1)) < HSTS_MIN_AGE:
            found.append(f"Strict-Transport-Security is {hsts!r}")
    elif hsts is not None:
        found.append(f"Strict-Transport-Security over plain HTTP: {hsts!r}")
    if response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        for attributes, body in SCRIPT.findall(html):
            if "src=" not in attributes or body.strip():
                found.append(f"inline script: <script{attributes}>{body.strip()[:60]}")
        for tag in TAG.findall(html):
            if EVENT_HANDLER.search(tag) or INLINE_JS.search(tag) or HTMX_ON.search(tag):
                found.append(f"inline handler: {tag[:120]}")
    return found


def walk(app, secure: bool) -> dict[str, list[str]]:
    """Every page as a whole and as an HTMX fragment; {what: problems} where any."""
    world = build_world(app)
    base_url = "https://localhost" if secure else "http://localhost"
    wrong: dict[str, list[str]] = {}
    walked = 0
    for what, persona, url in pages(app, world):
        client, _token = world.client(persona, base_url)
        for variant, headers in (("page", {}), ("htmx", {"HX-Request": "true"})):
            with world.isolated(client):
                response = client.get(url, base_url=base_url, headers=headers, buffered=True)
            expected = 200 if not what.startswith("error") else int(what.split()[1])
            if response.status_code not in (expected, 302, 303):
                wrong[f"{what} ({variant})"] = [f"status {response.status_code} for {url}"]
                continue
            walked += response.status_code == expected
            if found := problems(response, secure):
                wrong[f"{what} ({variant}) {url}"] = found
    assert walked > 100, walked
    return wrong


def test_every_page_has_a_strict_policy_and_no_inline_script(app):
    assert walk(app, secure=False) == {}


def test_with_a_secure_cookie_every_page_asks_for_https_for_a_year(app, config):
    config(SESSION_COOKIE_SECURE=True)
    assert walk(app, secure=True) == {}


def test_the_checks_catch_what_they_look_for():
    """The walk would notice: an inline script, a handler, a javascript: link, hx-on, a
    loose policy, missing nosniff, HSTS missing where wanted and present where not."""
    policy = "default-src 'self'; script-src 'self'; frame-ancestors 'none'"
    good = {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"}
    html_headers = {**good, "Content-Type": "text/html; charset=utf-8"}
    page = ('<html><script src="/static/htmx.js"></script><a href="/" class="one">Hem</a>'
            "<p>Skriv onsdag=ledig i schemat.</p></html>")
    assert problems(TestResponse([page.encode()], "200 OK", html_headers, None), False) == []
    for html in ("<script>alert(1)</script>", '<button onclick="go()">Gå</button>',
                 '<a href="javascript:go()">Gå</a>', '<div hx-on:click="go()"></div>',
                 '<script src="/static/a.js">alert(1)</script>'):
        response = TestResponse([html.encode()], "200 OK", html_headers, None)
        assert len(problems(response, False)) == 1, html
    loose = {**good, "Content-Security-Policy": policy.replace(
        "script-src 'self'", "script-src 'self' 'unsafe-inline'")}
    assert problems(TestResponse([b""], "200 OK", loose, None), False)
    assert problems(TestResponse([b""], "200 OK", {"Content-Security-Policy": policy},
                                 None), False) == ["no X-Content-Type-Options: nosniff"]
    assert problems(TestResponse([b""], "200 OK", good, None), True) == [
        "Strict-Transport-Security is None"]
    hsts = {**good, "Strict-Transport-Security": "max-age=86400"}
    assert problems(TestResponse([b""], "200 OK", hsts, None), True) == [
        "Strict-Transport-Security is 'max-age=86400'"]
    assert problems(TestResponse([b""], "200 OK", hsts, None), False)
