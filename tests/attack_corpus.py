"""Hostile input in one place: the strings an attacker (or an unlucky directory entry) sends,
and the check that a page shows them as text rather than running them.

tests/test_hostile_input.py drives these through the real sync, forms, searches, static
files and exports; tests/test_markdown.py keeps its own, longer list for the sanitiser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# -- cross-site scripting ------------------------------------------------------------------

XSS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    "{{7*7}}",  # template injection: must be shown as typed, never as 49
    "</textarea><script>alert(1)</script>",
    "<iframe src=//evil>",
    "&lt;script&gt;",  # already escaped: shown as typed, neither decoded nor escaped twice
    '" autofocus onfocus="alert(1)',
)

# Attacks written in Markdown itself, for the fields the portal renders (document bodies,
# training descriptions, checklist help texts, management review texts); XSS is sent to
# those fields too.
XSS_MARKDOWN = (
    "[klicka](javascript:alert(1))",
    '[klicka](javascript&#58;alert(1) "t")',
    "![x](x onerror=alert(1))",
    "<div onmouseover=alert(1)>hover</div>",
    "<a href=' javascript:alert(1)'>x</a>",
)

# -- LDAP filter injection (RFC 4515 specials, wildcards, a NUL) ---------------------------

LDAP_INJECTION = (
    "*",
    "*)(uid=*",
    "admin)(|(uid=*",
    "*)(|(objectClass=*)",
    "\\2a",
    "(",
    ")",
    "\x00",
    "anna*",
    "a)(userPassword=*",
    "maria.nilsson)(|(uid=*",
    "maria.nilsson*",
    "maria.nilsson\x00",
    "*)(&",
)

# -- SQL-ish search input: LIKE wildcards, quotes, escapes ---------------------------------

SQL_SEARCH = (
    "' OR 1=1 --",
    "\" OR \"\"=\"",
    "%",
    "_",
    "\\",
    "%%",
    "_%",
    "'; DROP TABLE person; --",
    "/",
    "[a-z]",
)

# -- path traversal against /static/ -------------------------------------------------------

TRAVERSAL = (
    "../app/__init__.py",
    "../../app/config.py",
    "..%2fapp%2f__init__.py",
    "..%2f..%2fetc/passwd",
    "%2e%2e/app/__init__.py",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//app/__init__.py",
    "..%252f..%252fetc/passwd",
    "/etc/passwd",
    "//etc/passwd",
    "%2fetc%2fpasswd",
    "..\\app\\__init__.py",
    "..%5capp%5c__init__.py",
    "css/..\\..\\__init__.py",
    "htmx-2.0.11.min.js%00.py",
    "css/%00/../../__init__.py",
    "..%c0%af..%c0%afetc/passwd",
    "C:/Windows/win.ini",
)

# -- spreadsheet formula injection ---------------------------------------------------------

FORMULAS = (
    '=HYPERLINK("http://evil","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# -- what "inert" means --------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "srcdoc", "hx-get", "hx-post"}
FORBIDDEN_TAGS = {"iframe", "frame", "object", "embed", "base", "applet"}
_CONTROL = re.compile(r"[\x00-\x20]")


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def live_markup(html: str) -> list[str]:
    """What in the page would run in a browser though the portal did not write it: inline
    scripts or scripts from elsewhere, event-handler attributes, javascript: URLs, frames.
    The portal's own pages have none (CSP forbids them too), so anything found is injected.
    """
    found = []
    for tag, attrs in parse(html).tags:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            found.append(f"<script {values}>")
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag} {values}>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value is not None:
                url = _CONTROL.sub("", value).lower()
                if url.startswith(("javascript:", "vbscript:", "data:text/html")):
                    found.append(f"<{tag} {name}={value!r}>")
    if re.search(r"<script[^>]*>\s*alert", html, re.I):
        found.append("<script>alert")
    return found


def shown_as_typed(html: str, payload: str) -> bool:
    """Whether the payload reaches the reader exactly as typed: as text or as the whole
    of an attribute value (a form field, a title), neither run nor escaped twice."""
    page = parse(html)
    if payload in " ".join("".join(page.texts).split()):
        return True
    return any(value is not None and payload in value for _, attrs in page.tags
               for _, value in attrs)


def neutralised(cell: object) -> bool:
    """Whether a spreadsheet cell is safe: not text, or text not starting a formula."""
    return not isinstance(cell, str) or not cell.startswith(FORMULA_STARTS)
