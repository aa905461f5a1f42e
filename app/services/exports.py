"""Tables for spreadsheets: Swedish-Excel CSV and `.xlsx`, with every text cell that a
spreadsheet would read as a formula neutralised — names and titles come from the
directory and from coordinators, and must never become a formula on someone's computer."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.services.audit_log import csv_line, safe_cell

Cell = str | int | float | None

MIN_WIDTH, MAX_WIDTH = 8, 60
# Excel refuses these in a sheet's name, and names longer than 31 characters.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _text(value: Cell) -> str:
    return "" if value is None else str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The table as CSV for Swedish Excel: BOM, ';' between cells, CRLF, formulas
    neutralised (audit_log.csv_line)."""
    lines = ["\ufeff" + csv_line([_text(c) for c in header])]
    lines += [csv_line([_text(c) for c in row]) for row in rows]
    return "".join(lines)


def _xlsx_value(value: Cell) -> Cell:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    value = _text(value)
    # Control characters make openpyxl refuse the cell (and Excel the file).
    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))


def sheet_name(title: str) -> str:
    return SHEET_NAME_FORBIDDEN.sub("-", title).strip("'")[:31] or "Blad1"


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The table as an Excel workbook: one sheet named `title`, bold header row that stays
    in view when scrolling, a filter on every column, widths after the content. Numbers
    stay numbers; text is neutralised as in the CSV."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name(title)
    sheet.append([_xlsx_value(c) for c in header])
    widths = [len(_text(c)) for c in header]
    for row in rows:
        values = [_xlsx_value(c) for c in row]
        sheet.append(values)
        for n, value in enumerate(values):
            length = len(_text(value))
            if n >= len(widths):
                widths.append(length)
            elif length > widths[n]:
                widths[n] = length
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    if sheet.max_column and header:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{sheet.max_row}"
    for n, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(n)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
