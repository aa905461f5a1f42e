"""Markdown bodies of governing documents (styrdokument) rendered to HTML that is safe to show.

Anyone allowed to write a document could otherwise put script into every reader's browser,
so safety is layered: Markdown itself is told not to pass raw HTML through (it comes out as
visible text), and the result is then cleaned by nh3 to a short allow-list of tags,
attributes and URL schemes. Either layer alone would stop the usual payloads; both together
mean a parser quirk in one is not a hole.

Nothing here needs a Flask app, so the renderer can be used from the CLI and tested alone.
"""

from __future__ import annotations

import functools
import hashlib

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "ALLOWED_URL_SCHEMES", "HEADING_ID_PREFIX",
           "render", "render_cached", "sha256_of"]

# Heading anchors share the page's id namespace; the prefix keeps a heading called "Main"
# or "Content" from clobbering the layout's own ids (skip links, htmx targets).
HEADING_ID_PREFIX = "avsnitt-"

ALLOWED_TAGS: frozenset[str] = frozenset({
    "p", "br", "hr",
    "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li",
    "a",
    "table", "thead", "tbody", "tr", "th", "td",
})

# Only what the Markdown extensions in use emit. `rel` is deliberately absent: nh3 sets it.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "ol": {"start"},
    "a": {"href", "title"},
}

# Column alignment from the tables extension, as the `align` attribute rather than an inline
# style (no `style` is allowed anywhere), and only with the three values it can produce.
_ALIGN_VALUES = {"left", "center", "right"}
_TAG_ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {
    "th": {"align": _ALIGN_VALUES},
    "td": {"align": _ALIGN_VALUES},
}

# Relative links and #anchors have no scheme and are kept; anything else (javascript:,
# data:, vbscript:, ftp:, ...) loses its href.
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

_LINK_REL = "noopener noreferrer"

# Markdown parts that would let raw HTML or images through. Deregistered rather than
# post-filtered so `<b>x</b>` reaches the reader as the literal text the author typed, and
# `![x](url)` stays visible as source text instead of silently vanishing (documents have no
# images). The `entity` pattern is kept so `&auml;` and `&amp;` still work.
_REMOVED_PREPROCESSORS = ("html_block",)
_REMOVED_INLINE_PATTERNS = ("html", "image_link", "image_reference", "short_image_ref")

_CACHE_SIZE = 256


def _heading_slug(value: str, separator: str) -> str:
    """A heading id that keeps Swedish letters ("Åtgärder" → "avsnitt-åtgärder")."""
    return HEADING_ID_PREFIX + slugify_unicode(value, separator)


def _new_markdown() -> markdown.Markdown:
    """A fresh converter: Markdown instances keep state between calls and are not thread safe."""
    md = markdown.Markdown(
        extensions=["tables", "sane_lists", "toc"],
        extension_configs={
            "tables": {"use_align_attribute": True},
            # The page's <h1> is the document title, so the body's `#` becomes <h2>.
            # An empty marker turns off [TOC] expansion, whose <div class> would be stripped.
            "toc": {"baselevel": 2, "slugify": _heading_slug, "marker": ""},
        },
        output_format="html",
    )
    for name in _REMOVED_PREPROCESSORS:
        md.preprocessors.deregister(name)
    for name in _REMOVED_INLINE_PATTERNS:
        md.inlinePatterns.deregister(name)
    return md


def _sanitise(html: str) -> str:
    """Everything not on the allow-list goes, whatever the Markdown step let through."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=_TAG_ATTRIBUTE_VALUES,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=_LINK_REL,
        strip_comments=True,
    )


def render(text: str) -> Markup:
    """The document body as safe HTML, ready to put in a template without `|safe` doubts."""
    return Markup(_sanitise(_new_markdown().convert(text)))  # noqa: S704 - cleaned by nh3 above


class _NotPartOfKey:
    """Carries the text through lru_cache without being hashed or compared.

    Bodies run to 200 000 characters; hashing and comparing them on every lookup would cost
    more than the cache saves. The caller's key (the version's SHA-256) already identifies it.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NotPartOfKey)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _render_for_key(key: str, text: _NotPartOfKey) -> Markup:
    return render(text.text)


def render_cached(key: str, text: str) -> Markup:
    """`render(text)`, remembered in this process by `key`.

    Published versions never change, so their SHA-256 (`sha256_of`) is a safe key; the
    text is only read on a miss. Passing one key with different texts returns whichever was
    rendered first. The cache is bounded, so old versions fall out as new ones are read.
    """
    return _render_for_key(key, _NotPartOfKey(text))


def sha256_of(text: str) -> str:
    """Hex SHA-256 of the exact UTF-8 text, with no normalisation.

    A version is keyed and verified by it, so any change at all (even whitespace or Unicode
    composition) must give a new value.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
