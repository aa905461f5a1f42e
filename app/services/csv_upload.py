"""Reading an uploaded CSV file as Excel and other programs write it, for the imports.

The bytes become text as UTF-8 (with or without BOM) or else Windows-1252, what Excel on a
Swedish Windows saves as "CSV (semikolonavgränsad)". The delimiter is a semicolon or a
comma, whichever the first non-empty line has more of. The text is normalised (no BOM, LF
newlines) because that is how it survives the round trip through a preview form.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.services import DomainError

MEGABYTE = 1024 * 1024


class FileRefused(DomainError):
    """The whole file is refused: unreadable, too large, wrong columns or no rows."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


def normalize(text: str) -> str:
    """The text as it survives a round trip through the preview form: no BOM and LF
    newlines (HTML parsing turns CRLF into LF, browsers send CRLF)."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_file(data: bytes) -> str:
    """The uploaded file as text: UTF-8 with or without BOM, else Windows-1252. The
    reader below checks size and content."""
    try:
        return normalize(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        # The five bytes cp1252 leaves undefined become U+FFFD, not an error: a file that
        # is not text at all is refused by the NUL check or by the caller's header check.
        return normalize(data.decode("cp1252", errors="replace"))


def too_large(max_bytes: int) -> str:
    """The message for a file over the limit (a whole number of megabytes)."""
    return _("Filen är större än %(size)d MB. Dela upp den i flera filer.",
             size=max_bytes // MEGABYTE)


def not_text() -> str:
    return _("Filen kunde inte läsas som text. Spara den som CSV och försök igen.")


def delimiter_of(text: str) -> str:
    """";" or ",": whichever the first non-empty line has more of (a tie is ";")."""
    first = next((line for line in io.StringIO(text) if line.strip()), "")
    return "," if first.count(",") > first.count(";") else ";"


@dataclass
class Table:
    """The rows under the header: (line number of the row's first line, its cells)."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def read_table(text: str, *, max_bytes: int, max_rows: int,
               check_header: Callable[[list[str]], list[str]]) -> Table:
    """The header (as `check_header` returns it from the stripped header cells, or
    raises FileRefused) and every non-empty row under it, cells unstripped.

    Refuses the file when the text is longer than `max_bytes` characters (the bytes
    never decode to more), contains NUL (UTF-16, "Unicode text" in Excel, or not text
    at all), has more than `max_rows` rows or cannot be parsed as CSV.
    """
    if len(text) > max_bytes:
        raise FileRefused([too_large(max_bytes)])
    if "\x00" in text:
        raise FileRefused([not_text()])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text))
    table: Table | None = None
    previous = 0
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num  # a quoted cell may span lines
            if not "".join(cells).strip():
                continue
            if table is None:
                table = Table(check_header([cell.strip() for cell in cells]))
                continue
            if len(table.rows) == max_rows:
                raise FileRefused([_("Filen har fler än %(max)d rader. Dela upp den i "
                                     "flera filer.", max=max_rows)])
            table.rows.append((line, cells))
    except csv.Error:
        raise FileRefused([_("Rad %(line)d kunde inte läsas som CSV. Kontrollera "
                             "citattecknen.", line=reader.line_num)]) from None
    return table or Table([])
