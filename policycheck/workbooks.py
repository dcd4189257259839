"""Reading plans kept as the sheets of one .xlsx workbook.

Each sheet named after a table (``plans``, ``components``, ...) is read like a CSV file of
that name (``tables``): cells as openpyxl gives them, formulas as their text. What a
spreadsheet can do that a CSV file cannot is said plainly: merged cells (an error: rows
would lose their value), hidden sheets (read, with a warning), a zip that unpacks to far
more than its size (refused).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from policycheck.errors import Location, Problem
from policycheck.model import EntitySpec
from policycheck.tables import TableFrames, add_frame, entity_for_name


def read_workbook(path: Path, shown: str, out: TableFrames) -> list[str]:
    """Read every recognised sheet of a workbook; return the names of sheets not used."""
    import openpyxl  # imported here: only workbook users pay for it

    unpacked = _unpacked_size(path)
    if unpacked > MAX_UNPACKED_BYTES:
        out.problems.append(Problem(Location(shown), f"workbook unpacks to {unpacked:,} bytes; "
                                    f"the limit is {MAX_UNPACKED_BYTES:,} (a zip bomb?)",
                                    "file-too-large"))
        return []
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken file
        out.problems.append(Problem(Location(shown), f"cannot open as an .xlsx workbook: "
                                    f"{exc}", "bad-workbook"))
        return []
    unused: list[str] = []
    try:
        for sheet in book.worksheets:
            spec = entity_for_name(sheet.title)
            if spec is None:
                unused.append(sheet.title)
                continue
            _read_sheet(book, sheet, spec, shown, out)
    finally:
        book.close()
    return unused


def _read_sheet(book: Any, sheet: Any, spec: EntitySpec, shown: str, out: TableFrames) -> None:
    """Read the sheet of one table: its header is the first row that is not blank, and
    blank rows after the last are dropped."""
    _sheet_warnings(book, sheet, shown, out)
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    top = next((i for i, r in enumerate(rows) if not all(_blank(c) for c in r)), 0)
    if not rows:
        return
    header = ["" if c is None else str(c) for c in rows[top]]
    body = pd.DataFrame([[_cell(r, i) for i in range(len(header))]
                         for r in rows[top + 1:]],
                        columns=range(len(header)), dtype=object)
    missing = body.isna()
    body = body.where(~missing, None)  # frames of tables hold None for a missing cell
    blank = missing.all(axis=1).to_numpy()
    add_frame(header, [body[c].to_numpy() for c in body.columns], blank, shown,
              sheet.title, spec, out, header_row=top + 1)


#: An .xlsx is a zip: its sheets may unpack to far more than the file's size.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Za-z0-9:$]+)"')


def _unpacked_size(path: Path) -> int:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0  # not a zip: openpyxl says so below


def _merged_ranges(book: Any, sheet: Any) -> list[str]:
    """The merged ranges of a sheet. openpyxl's read-only sheets do not expose them, so the
    sheet's XML is scanned in chunks (the ranges follow the cell data)."""
    found: list[str] = []
    try:
        stream = book._archive.open(sheet._worksheet_path)
    except (AttributeError, KeyError, OSError):
        return found
    with stream:
        tail = b""
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            found += [m.decode() for m in _MERGE.findall(data)]
            tail = data[-256:]  # a range cut by the chunk boundary; repeats are dropped below
    return sorted(set(found), key=_cell_position)


def _cell_position(ref: str) -> tuple[int, int]:
    """(row, column) of the first cell of a range like ``B4:B5``."""
    found = re.match(r"\$?([A-Za-z]+)\$?(\d+)", ref)
    if found is None:
        return 0, 0
    column = 0
    for letter in found.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return int(found.group(2)), column


def _sheet_warnings(book: Any, sheet: Any, shown: str, out: TableFrames) -> None:
    """Merged cells put one value in the first cell and leave the others empty, so rows of
    a table would silently lose it: an error. A hidden table sheet is read, with a warning:
    its rows count although nobody sees them."""
    merged = _merged_ranges(book, sheet)
    if merged:
        listed = ", ".join(merged[:5]) + (f" and {len(merged) - 5} more" if len(merged) > 5
                                           else "")
        row, column = _cell_position(merged[0])
        out.problems.append(Problem(
            Location(shown, sheet.title, row, column), f"merged cells {listed}: only the "
            "first cell of a merged range holds its value; expected one value per cell "
            "(unmerge and fill each row)", "merged-cells"))
    if getattr(sheet, "sheet_state", "visible") != "visible":
        out.problems.append(Problem(
            Location(shown, sheet.title), f"sheet '{sheet.title}' is {sheet.sheet_state} in "
            "the workbook; its rows are read all the same", "hidden-sheet",
            severity="warning"))


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _cell(row: list[Any], index: int) -> Any:
    if index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = value.strip()
        return value if value else None
    return value
