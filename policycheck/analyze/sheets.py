"""The ``kpi_actuals`` sheet of a workbook: found as the plan loader finds it (``KPI
Actuals``, ``kpi-actuals``), read by calamine, and the cells it gives as empty explained.

calamine gives the value a formula last had (what the actuals are: a workbook of actuals is
often a report of formulas), and an empty cell where a formula has no value saved (a
workbook written by a program that does not calculate) or where the cell holds an error
value (``#N/A``). For the cells a row needs, those are told from blank ones by the sheet's
XML, read only when such a cell is empty.
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from policycheck.analyze.reading import ACTUALS, EXPECTED_COLUMNS
from policycheck.errors import InputError, Location, Problem, did_you_mean, quote
from policycheck.sheetscan import column_number, contents
from policycheck.tablefiles import is_evidence_table
from policycheck.tables import TITLE_ROWS, column_key, title_problem, title_rows

SHEET = "kpi_actuals"


def read_sheet(path: Path, shown: str, problems: list[Problem]
               ) -> tuple[pd.DataFrame, list[str], int, str]:
    """The cells below the header of the workbook's actuals sheet (an empty one missing),
    its header as written, the header's row and the sheet's name."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # zipfile, calamine raise many types
        raise _unopened(shown, exc) from None
    try:
        names = [meta.name for meta in book.sheets_metadata
                 if meta.typ == SheetTypeEnum.WorkSheet]
        sheet = _actuals_sheet(names, shown)
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # a sheet's XML broken past its metadata
        raise _unopened(shown, exc) from None
    finally:
        book.close()
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    top = next((i for i, row in enumerate(rows) if not all(_blank(c) for c in row)), None)
    if top is None:
        raise InputError(f"{shown}: cannot read the KPI actuals", [Problem(
            Location(shown, sheet), "empty sheet: expected a header row with the kpi_actuals "
            f"columns {EXPECTED_COLUMNS}", "empty-table")])
    title = title_rows(rows[top:top + TITLE_ROWS], ACTUALS)
    if title:  # a report's title above the header
        problems.append(title_problem(title, top + title + 1, shown, sheet))
        top += title
    header = ["" if c is None else str(c) for c in rows[top]]
    frame = pd.DataFrame(rows[top + 1:], columns=range(len(header)), dtype=object)
    return frame.mask(frame == ""), header, top + 1, sheet


def _unopened(shown: str, exc: Exception) -> InputError:
    reason = str(exc).strip() or type(exc).__name__
    return InputError(f"{shown}: cannot read the KPI actuals", [Problem(
        Location(shown), f"cannot open as an .xlsx workbook: {reason}", "bad-workbook")])


def _actuals_sheet(names: list[str], shown: str) -> str:
    """The one sheet named as the plan loader names evidence tables (and passes over)."""
    found = [name for name in names if is_evidence_table(name)]
    if len(found) == 1:
        return found[0]
    if found:
        text = (f"sheets {', '.join(quote(name) for name in found)} each hold KPI actuals; "
                "expected one")
    else:
        text = (f"no sheet named {SHEET} (or 'KPI actuals', 'kpi-actuals'): expected the KPI "
                "actuals on a sheet of that name; the workbook's sheets are "
                + ", ".join(quote(name) for name in names))
        close = next((name for name in names
                      if did_you_mean(column_key(name), [SHEET], cutoff=0.8)), None)
        if close is not None:
            text += f"; rename {quote(close)} if it holds them"
    raise InputError(f"{shown}: cannot read the KPI actuals",
                     [Problem(Location(shown), text, "no-sheet")])


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def explained(path: Path, sheet: str, wanted: dict[int, np.ndarray]) -> dict[int, pd.Series]:
    """Of the ``wanted`` cells (column → rows, numbered from 1 as the sheet numbers them),
    those that hold an error value (its text, ``#N/A``) or a formula with no value saved
    (its text, ``=A2/B2``): by column, a text per row."""
    found: dict[int, dict[int, str]] = {column: {} for column in wanted}
    sets = {column: set(rows.tolist()) for column, rows in wanted.items()}
    part = _sheet_part(path, sheet)
    if part is None:
        return {}
    for row, column, text in _cells(path, part):
        if row in sets.get(column, ()):
            found[column][row] = text
    return {column: pd.Series(cells, dtype=object) for column, cells in found.items() if cells}


#: Where a cell holds a formula (``<f>``, ``<f t="shared" .../>``) or an error (``t="e"``).
_MARK = re.compile(rb'<(?:\w+:)?f[\s/>]|\bt="e"')
_REF = re.compile(rb'\br="([A-Za-z]+)(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?>(.*?)</(?:\w+:)?f>", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_CHUNK = 4 << 20


def _cells(path: Path, part: str) -> Iterator[tuple[int, int, str]]:
    """(row, column, text) of every cell of the sheet's XML that holds an error value or a
    formula with no value saved; read in chunks, each cut before its last cell's start."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
            tail = b""
            while True:
                chunk = stream.read(_CHUNK)
                data = tail + chunk
                cut = max(data.rfind(b"<c "), data.rfind(b":c ")) if chunk else len(data)
                cut = len(data) if cut <= 0 else cut
                yield from _marked(data[:cut])
                tail = data[cut:]
                if not chunk:
                    return
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return


def _marked(data: bytes) -> Iterator[tuple[int, int, str]]:
    done = -1
    for mark in _MARK.finditer(data):
        start = max(data.rfind(b"<c ", 0, mark.start() + 1),
                    data.rfind(b":c ", 0, mark.start() + 1))
        if start <= done or start < 0:
            continue  # a cell seen already (an error value with its formula)
        done = start
        opened = data.find(b">", start)
        end = data.find(b"c>", opened)
        if opened < 0 or end < 0:
            continue
        ref = _REF.search(data, start, opened)
        if ref is None:
            continue
        inner = data[opened + 1:end]
        value = _VALUE.search(inner)
        if b't="e"' in data[start:opened] and value:
            text = value.group(1)
        elif value and value.group(1).strip():
            continue  # a formula with its value: calamine gave it
        else:
            formula = _FORMULA.search(inner)
            text = b"=" + (formula.group(1) if formula else b"")
        yield (int(ref.group(2)), column_number(ref.group(1).decode()),
               html.unescape(text.decode("utf-8", "replace")))


def _sheet_part(path: Path, sheet: str) -> str | None:
    """The zip member holding ``sheet``'s XML (``sheetscan.contents``); None where the
    workbook does not say."""
    try:
        return contents(path)[1].get(sheet)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return None
