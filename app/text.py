"""Swedish text helpers: folded search text and Swedish sort order."""

from __future__ import annotations

import unicodedata

_SWEDISH_LETTERS = "åäö"
# In Swedish order the alphabet ends ... X Y Z Å Ä Ö; these stand-ins sort after "z".
_SORT_TAIL = {"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"}


def _strip_accents(text: str) -> str:
    """Drop accents (é → e, č → c) but keep å, ä and ö, which are letters of their own."""
    out = []
    for ch in text:
        if ch in _SWEDISH_LETTERS:
            out.append(ch)
        else:
            out.append(unicodedata.normalize("NFD", ch)[0])
    return "".join(out)


def fold(text: str) -> str:
    """Text for case-insensitive search; stored beside names since SQLite folds ASCII only."""
    return _strip_accents(text.casefold())


def swedish_sort_key(text: str) -> str:
    """Key that sorts strings in Swedish order: Å before Ä before Ö, after Z."""
    return "".join(_SORT_TAIL.get(ch, ch) for ch in fold(text))
