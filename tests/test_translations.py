"""The English catalog must keep up with the Swedish texts in the code.

Every user-facing text is written in Swedish (`_("Logga in")`); `app/translations/en` holds
the English. These tests extract the texts from the current source, the same way as
`pybabel extract` (see app/translations/README.md), and compare them with the catalog.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
ENGLISH_PO = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# The same as `pybabel extract -k _l -k lazy_gettext`.
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["_l", "lazy_gettext"])}
# Named %-format placeholders: %(name)s, %(count)d, %(share).1f ...
PLACEHOLDER = re.compile(r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")

UPDATE_HELP = "Update the catalog as described in app/translations/README.md."


def _skip_hidden_directories(dirpath: str) -> bool:
    """Like `pybabel extract --ignore-dirs '.*'`: skip .venv and .git, but keep _macros."""
    return not Path(dirpath).name.startswith(".")


def _texts_in_code() -> set[tuple[str, str | None]]:
    """(msgid, context) of every translatable text in the source, as of now."""
    with BABEL_CFG.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, filename=str(BABEL_CFG))
    texts = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS,
        directory_filter=_skip_hidden_directories,
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            texts.add((msgid, context))
    return texts


def _english_catalog() -> Catalog:
    with ENGLISH_PO.open("rb") as po:
        return read_po(po, locale="en")


def _forms(text: str | tuple[str, ...] | list[str] | None) -> list[str]:
    """All forms of a msgid or msgstr; plural entries have several."""
    if text is None:
        return []
    return [text] if isinstance(text, str) else list(text)


def _describe(texts) -> str:
    return "\n".join(
        f"  {msgid!r}" + (f" (context {context!r})" if context else "")
        for msgid, context in sorted(texts, key=lambda t: (t[0], t[1] or ""))
    )


def test_the_extraction_finds_texts_in_python_and_templates():
    texts = {msgid for msgid, _context in _texts_in_code()}

    assert "Logga in" in texts  # templates
    assert "Fyll i ditt användarnamn." in texts  # lazy_gettext as _l in forms
    assert "Synkroniseringen klar:" in texts  # gettext in app/cli.py


def test_every_text_in_the_code_has_an_english_translation():
    catalog = _english_catalog()
    missing = set()
    for msgid, context in _texts_in_code():
        message = catalog.get(msgid, context)
        strings = _forms(message.string) if message else []
        if not message or message.fuzzy or not strings or not all(s.strip() for s in strings):
            missing.add((msgid, context))

    assert not missing, (
        f"{len(missing)} Swedish text(s) have no English translation (missing, empty or "
        f"fuzzy) in {ENGLISH_PO.relative_to(ROOT)}:\n{_describe(missing)}\n{UPDATE_HELP}"
    )


def test_english_translations_keep_their_placeholders():
    wrong = []
    for message in _english_catalog():
        if not message.id:
            continue  # the header
        expected = {p for form in _forms(message.id) for p in PLACEHOLDER.findall(form)}
        for form in _forms(message.string):
            if form and set(PLACEHOLDER.findall(form)) != expected:
                wrong.append(f"  {message.id!r}\n    -> {form!r}\n"
                             f"    expected placeholders {sorted(expected)}")

    assert not wrong, (
        "English translations must keep the placeholders of the Swedish text exactly:\n"
        + "\n".join(wrong)
    )


def test_catalog_has_no_stale_entries():
    in_code = _texts_in_code()
    catalog = _english_catalog()
    in_catalog = {
        (_forms(message.id)[0], message.context) for message in catalog if message.id
    }
    stale = in_catalog - in_code
    obsolete = {
        (_forms(message.id)[0], message.context) for message in catalog.obsolete.values()
    }

    assert not stale, (
        f"{len(stale)} text(s) in {ENGLISH_PO.relative_to(ROOT)} are no longer used in the "
        f"code:\n{_describe(stale)}\n{UPDATE_HELP}"
    )
    assert not obsolete, (
        f"{len(obsolete)} obsolete (#~) entries are left in {ENGLISH_PO.relative_to(ROOT)}; "
        f"update with --ignore-obsolete:\n{_describe(obsolete)}"
    )
