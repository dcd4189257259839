"""A table's sheet made a table frame, from its cells as calamine or openpyxl give them.

A sheet read whole comes as the rows of the rectangle from A1 to its last cell
(``read_rows``); a sheet far larger than its cells as the cells its XML holds
(``filled_cells``, ``read_cells``), in time and memory in proportion to them. Either way the
header is the first row that is not blank, past a report's title, and each cell is given as
openpyxl gives it (a whole number an int, a date a datetime), so that both readers make the
same frame; a column of text is kept coded, as a CSV file's is (``tables.stripped``).
``workbooks`` opens the workbook and chooses the reader of each sheet.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from policycheck.model import EntitySpec
from policycheck.tables import (
    TITLE_ROWS,
    TableFrames,
    add_frame,
    stripped,
    title_problem,
    title_rows,
)


def read_rows(rows: list[Any], sheet: str, spec: EntitySpec, shown: str,
              out: TableFrames) -> int:
    """Read the rows of one table's sheet: its header is the first row that is not blank
    (past a report's title), and blank rows after the last are dropped. Returns the header's
    row number (0: an empty sheet)."""
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    top = next((i for i, r in enumerate(rows) if not all(_blank(c) for c in r)), 0)
    if not rows:
        return 0
    title = title_rows(rows[top:top + TITLE_ROWS], spec)
    if title:  # a report's title above the header
        out.problems.append(title_problem(title, top + title + 1, shown, sheet))
        top += title
    header = ["" if c is None else str(_value(c)) for c in rows[top]]
    count = len(rows) - top - 1
    # by column (zip_longest pads a short row)
    columns = itertools.islice(itertools.zip_longest(*rows[top + 1:]), len(header))
    cells = [_column(np.fromiter(column, dtype=object, count=count)) for column in columns]
    cells += [_column(np.full(count, None, dtype=object))] * (len(header) - len(cells))
    body = [values for values, _ in cells]
    blank = (np.logical_and.reduce([missing for _, missing in cells]) if cells
             else np.zeros(0, dtype=bool))
    add_frame(header, body, blank, shown, sheet, spec, out, header_row=top + 1)
    return top + 1


#: The cells of a sheet that hold something, by row and column.
_Filled: TypeAlias = "dict[int, dict[int, Any]]"


def filled_cells(cells: Iterable[tuple[int, int, Any]]) -> _Filled:
    """The cells that are not blank among ``cells`` (row, column, value); a cell given
    twice holds the last value given, as in calamine's rectangle."""
    filled: _Filled = {}
    for row, column, value in cells:
        if not _blank(value):
            filled.setdefault(row, {})[column] = value
    return filled


def read_cells(filled: _Filled, sheet: str, spec: EntitySpec, shown: str,
               out: TableFrames) -> int:
    """Read a table's sheet from its cells that hold something, as ``read_rows`` reads the
    rows of the rectangle from A1 to its last cell, in time and memory in proportion to the
    cells: a blank cell far away is nothing, and a value far away is one more cell of its
    row (a row whose only value is past the header's columns is a row of missing values,
    there as here). Returns the header's row number (0: an empty sheet)."""
    if not filled:
        return 0
    numbers = sorted(filled)
    top = numbers[0]
    title = title_rows([list(filled.get(top + i, {}).values()) for i in range(TITLE_ROWS)],
                       spec)
    if title:  # a report's title above the header
        out.problems.append(title_problem(title, top + title, shown, sheet))
    first = top + title
    lines = [number for number in numbers if number > first
             and any(_value(value) is not None for value in filled[number].values())]
    # as wide as the rectangle's: a value past the header's last name is in a column
    # without a name, said as one (``tables._nameless``)
    valued = {column for number in lines for column, value in filled[number].items()
              if _value(value) is not None}
    header = [""] * max(max(filled[first]), max(valued, default=0))
    for column, value in filled[first].items():
        header[column - 1] = str(_value(value))
    count = len(lines)
    absent = np.full(count, None, dtype=object)  # a column no field is read from
    body = [_column(np.fromiter((filled[number].get(column) for number in lines),
                                dtype=object, count=count))[0]
            if name or column in valued else absent
            for column, name in enumerate(header, start=1)]
    add_frame(header, body, np.zeros(count, dtype=bool), shown, sheet, spec, out,
              header_row=first, lines=np.array(lines, dtype=np.int64))
    return first


def _column(cells: np.ndarray) -> tuple[np.ndarray | pd.Categorical[Any], np.ndarray]:
    """A column's cells as a table frame holds them, and the mask of missing ones. A column
    of text only is kept as a code per cell into its distinct texts, stripped once each, as
    a CSV file's column is (``tables.stripped``): the typing then parses each text once."""
    if pd.api.types.infer_dtype(cells, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(cells)
        return stripped(codes, uniques.tolist())
    values = np.fromiter(((v.strip() or None) if type(v) is str else None if v is None
                          else _value(v) for v in cells), dtype=object, count=len(cells))
    return values, pd.isna(values)


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


#: From 1e16 a whole float is written with an exponent (repr, and openpyxl, which writes
#: ``1.2e+16`` and reads it back as a float); below it, as digits, which openpyxl reads as
#: an int (``9126321540433800``, past 2**53 too): kept a float from there, as openpyxl does.
_WHOLE = 1e16


def _value(value: Any) -> Any:
    """A cell as openpyxl gives it: a whole number as an int (the sheet's XML does not say
    which numbers are integers; calamine gives floats), a date as a datetime."""
    if isinstance(value, float):
        if value != value:  # NaN: a missing cell, as in every table frame
            return None
        return int(value) if value.is_integer() and abs(value) < _WHOLE else value
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value
