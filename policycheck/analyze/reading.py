"""Reading a ``kpi_actuals`` table as written, into its cells by field and the row number
of each: a CSV file, the ``kpi_actuals`` sheet of a workbook (``sheets``) or Parquet.

As the plans' tables are read (``policycheck.tables``): the separator is the header line's,
a report's title above the header is skipped with a warning, blank rows are skipped and
every other row keeps its own line, headers written for people name fields (``Sample
Size``), and an unknown column is said with the closest field: an error where one is close
(its values would be lost), a warning otherwise.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from policycheck.csvtables import SEPARATOR_NAMES, separator
from policycheck.documents import is_extension_key
from policycheck.errors import InputError, Location, Problem, UsageError, did_you_mean, quote
from policycheck.model import EntitySpec, FieldSpec
from policycheck.tables import (
    COLUMN_CUTOFF,
    FREE_TEXT_COLUMNS,
    TITLE_ROWS,
    column_key,
    title_problem,
    title_rows,
)
from policycheck.yamlsource import decode

UNIT_COLUMNS = ("employee_id", "team_id")
REQUIRED = ("plan_id", "period", "kpi", "value")
OPTIONAL = ("sample_size", "source")
FIELDS = (*UNIT_COLUMNS, *REQUIRED, *OPTIONAL)
#: The table as the plans' table readers know tables (``tables.title_rows`` finds the header
#: below a report's title by the columns it names).
ACTUALS = EntitySpec(name="kpi_actuals", key="employee_id", yaml_key="kpi_actuals",
                     label="KPI actual", fields=tuple(
                         FieldSpec(name, "str", required=name in REQUIRED)
                         for name in FIELDS if name not in ("employee_id", "plan_id")))
EXPECTED_COLUMNS = "employee_id or team_id, plan_id, period, kpi, value"


@dataclass(frozen=True)
class Table:
    """The cells of a ``kpi_actuals`` table (text as written, missing where empty; a
    workbook's numbers and dates as they are) under their field names, blank rows left
    out; the row number of each (a CSV file's line, a sheet's row; Parquet's from 1)."""

    cells: pd.DataFrame
    lines: np.ndarray
    where: Location
    header_row: int
    #: field → the column (from 1) that holds it in the file or sheet
    columns: dict[str, int]
    #: the header's: a title skipped, an unknown, repeated or missing column
    problems: tuple[Problem, ...]


def read_table(path: Path, shown: str) -> Table:
    """The table of ``path`` (shown as ``shown``); ``InputError`` if it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".parquet"):
        raise UsageError(f"{shown}: expected a .csv, .parquet or .xlsx file of KPI actuals")
    problems: list[Problem] = []
    if suffix == ".parquet":
        frame, header, header_row, sheet = _read_parquet(path, shown), None, 0, ""
    elif suffix == ".csv":
        frame, header, header_row = _read_csv(path, shown, problems)
        sheet = ""
    else:
        from policycheck.analyze.sheets import read_sheet

        frame, header, header_row, sheet = read_sheet(path, shown, problems)
    where = Location(shown, sheet)
    written = [str(c) for c in frame.columns] if header is None else header
    columns, column_problems = _fields(written, where, header_row)
    problems += column_problems
    frame.columns = pd.RangeIndex(frame.shape[1])
    cells = frame[list(columns.values())].set_axis(list(columns), axis=1)
    first = header_row + 1 if header_row else 1
    lines = np.arange(first, first + len(frame), dtype=np.int64)
    blank = frame.isna().all(axis=1).to_numpy()
    if blank.any():  # filtering copies every column: only when there is a blank row
        cells, lines = cells[~blank].reset_index(drop=True), lines[~blank]
    return Table(cells, lines, where, header_row, {f: i + 1 for f, i in columns.items()},
                 tuple(problems))


def _fields(header: Sequence[str], where: Location, header_row: int
            ) -> tuple[dict[str, int], list[Problem]]:
    """Which column holds which field, and the problems of the header: a field given twice,
    an unknown column (an error when close to a field not given: its values would be lost),
    a required column missing."""
    names = [column_key(h) for h in header]
    given = set(names)
    keep: dict[str, int] = {}
    problems: list[Problem] = []
    for index, (name, written) in enumerate(zip(names, header, strict=True)):
        at = Location(where.file, where.sheet, header_row, index + 1)
        if name in FIELDS and name in keep:
            first = keep[name]
            problems.append(Problem(at, f"column {quote(written.strip())} repeats column "
                                    f"{first + 1} ({quote(header[first].strip())}); expected "
                                    "each field in one column", "duplicate-column"))
        elif name in FIELDS:
            keep[name] = index
        elif name and not is_extension_key(name) and name not in FREE_TEXT_COLUMNS:
            hint = did_you_mean(name, [f for f in FIELDS if f not in given],
                                cutoff=COLUMN_CUTOFF)
            text = hint or "; ignored (start the name with 'x_' to mark a column of your own)"
            problems.append(Problem(
                at, f"unknown column {quote(written.strip())} in the kpi_actuals table{text}",
                "unknown-column", severity="error" if hint else "warning"))
    missing = [f"'{m}'" for m in REQUIRED if m not in keep]
    if not any(unit in keep for unit in UNIT_COLUMNS):
        missing.insert(0, "'employee_id' or 'team_id'")
    if missing:
        problems.append(Problem(Location(where.file, where.sheet, header_row),
                                f"the kpi_actuals table has no {', '.join(missing)} column; "
                                f"expected the columns {EXPECTED_COLUMNS}", "missing-column"))
    return keep, problems


#: The bytes of a CSV file looked at for its header (below blank lines and a title).
_HEAD_BYTES = 64 * 1024
_OPTIONS: dict[str, Any] = {"dtype": str, "keep_default_na": False, "na_values": [""],
                            "skip_blank_lines": False}


def _read_csv(path: Path, shown: str, problems: list[Problem]
              ) -> tuple[pd.DataFrame, list[str], int]:
    """A CSV export of actuals, its header as written and the header's line: UTF-8 or
    UTF-16 with its mark, or the encoding named (``--encoding``), a byte that is none said
    with its line; cells separated as its header line says (commas, semicolons or tabs);
    every cell text, only an empty one missing. A UTF-8 file is parsed from the file, not
    from its text: the text of 2 million rows (120 MB) doubled the peak memory."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES).decode("utf-8", "replace").removeprefix("\ufeff")
    before = len(problems)
    skip, header = _header_line(head, shown, problems)
    sep = separator(header)
    try:
        try:
            frame = pd.read_csv(path, sep=sep, skiprows=skip, encoding="utf-8-sig", **_OPTIONS)
        except UnicodeDecodeError:  # another encoding: said as for the plans' tables, or named
            del problems[before:]  # the header is found again in the text
            text = decode(path.read_bytes(), shown, problems, table=True)
            if text is None:
                raise InputError(f"{shown}: cannot read the KPI actuals", problems) from None
            skip, header = _header_line(text[:_HEAD_BYTES], shown, problems)
            sep = separator(header)
            frame = pd.read_csv(io.StringIO(text), sep=sep, skiprows=skip, **_OPTIONS)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except pd.errors.ParserError as exc:
        problems.append(_malformed(exc, shown, sep))
        raise InputError(f"{shown}: cannot read the KPI actuals", problems) from None
    written = next(csv.reader([header], delimiter=sep), [])
    if frame.empty and not len(frame.columns):
        problems.append(Problem(Location(shown), "empty table: expected a header row with the "
                                f"kpi_actuals columns {EXPECTED_COLUMNS}", "empty-table"))
        raise InputError(f"{shown}: cannot read the KPI actuals", problems)
    # pandas names a header's empty cell 'Unnamed: 4' and a repeated one 'value.1'
    return frame, written if len(written) == frame.shape[1] else list(frame.columns), skip + 1


def _header_line(head: str, shown: str, problems: list[Problem]) -> tuple[int, str]:
    """The lines above the header (blank ones and a report's title, said as the plans'
    tables say it) and the header line itself."""
    lines = head.split("\n")
    top = next((i for i, line in enumerate(lines) if line.strip()), 0)
    rows = [line.split(separator(line)) for line in lines[top:top + TITLE_ROWS]]
    title = title_rows(rows, ACTUALS)
    if title:
        problems.append(title_problem(title, top + title + 1, shown, ""))
    return top + title, lines[top + title].rstrip("\r")


def _malformed(exc: Exception, shown: str, sep: str) -> Problem:
    """pandas says "Expected 4 fields in line 3, saw 5": said with the line in front."""
    text = str(exc).strip().removeprefix("Error tokenizing data. C error: ")
    unclosed = re.search(r"EOF inside string starting at row (\d+)", text)
    if unclosed:  # pandas counts the file's rows from 0, those skipped above the header too
        return Problem(Location(shown, "", int(unclosed.group(1)) + 1),
                       "malformed CSV: a quoted cell starting on this row is never closed; "
                       "expected a closing '\"'", "bad-csv")
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if found is None:
        return Problem(Location(shown), f"malformed CSV: {text}", "bad-csv")
    columns, line, cells = found.groups()
    return Problem(Location(shown, "", int(line)),
                   f"malformed CSV: this row has {cells} cells but the header has {columns}; "
                   "expected one cell per column (quote a cell that contains a "
                   f"{SEPARATOR_NAMES[sep]})", "bad-csv")


def _read_parquet(path: Path, shown: str) -> pd.DataFrame:
    import pyarrow.parquet as pq  # imported when needed: not at start-up

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise InputError(f"{shown}: cannot read as Parquet: {exc}") from None
    return table.to_pandas()
