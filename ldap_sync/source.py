"""Where directory entries come from. The LDIF file source; the live source is in ldap_sync.live.

An entry is `(dn, attributes)` with attribute names lower-cased and values as bytes,
the same shape python-ldap's search returns, so mapping treats both sources alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import ldif

Entry = tuple[str, dict[str, list[bytes]]]


class SourceError(Exception):
    """The directory could not be read completely; nothing may be changed."""


def lower_keys(attrs: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    """Attribute names are case-insensitive in LDAP; use one spelling."""
    out = {name.lower(): values for name, values in attrs.items()}
    if len(out) == len(attrs):
        return out  # the usual case: no name given twice in different case
    out = {}
    for name, values in attrs.items():
        out.setdefault(name.lower(), []).extend(values)
    return out


class LdifSource:
    """Reads every entry of an LDIF file (e.g. a slapcat or ldapsearch export)."""

    full_read = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"LDIF {self.path}"

    def redact(self, text: str) -> str:
        return text  # a file holds no secret of ours

    def entries(self, on_progress: Callable[[int], None] | None = None) -> Iterator[Entry]:
        """Yield all entries; a file that cannot be parsed raises SourceError."""
        try:
            with self.path.open("rb") as handle:
                parser = ldif.LDIFRecordList(handle)
                parser.parse()
        except (OSError, ValueError) as error:
            raise SourceError(f"{self.path}: {error}") from error
        if on_progress is not None:
            on_progress(len(parser.all_records))
        for dn, attrs in parser.all_records:
            yield dn, lower_keys(attrs)
