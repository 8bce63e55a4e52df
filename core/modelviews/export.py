"""Writing a list as CSV or XLSX (openpyxl), safe to open in a spreadsheet program."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A cell starting with one of these is a formula to a spreadsheet program (CSV
# injection): such text gets a leading apostrophe in CSV and is stored as text in XLSX.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def csv_body(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so spreadsheet programs read it as UTF-8)."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + output.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def xlsx_body(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """An XLSX workbook with one sheet: numbers and dates keep their type, text stays text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME.sub(" ", title)[:31] or "Sheet1")
    sheet.append([_xlsx_cell(sheet, value) for value in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _xlsx_cell(sheet, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        # Excel has no time zones: write the wall-clock time the value was given in.
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_XML.sub("", str(value)))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell
