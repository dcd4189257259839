"""Worksheet rows written as the XML openpyxl writes for them, from whole columns.

openpyxl makes an object of every cell and serialises it through ElementTree, tens of
microseconds a cell; a workbook of a million findings has eighteen million. The workbook is
still made and saved by openpyxl, with the first row of a sheet; the other rows are written
here, byte for byte as openpyxl would (``tests/test_formats.py`` compares the two), and put
into the saved sheet. Only plain values take this path: None, text, integers and finite
floats (``cell_columns`` says None for anything else, and the caller lets openpyxl write it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from policycheck.formats.cells import (
    FINDING_FIELDS,
    NOT_XML,
    flat_column,
    neutralise,
    per_distinct,
    xml_text,
)

#: Texts openpyxl stores as error values rather than text (``openpyxl.cell.cell``).
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
#: openpyxl cuts text to what a cell holds.
MAX_TEXT = 32767


class _NotPlain(Exception):
    """A value only openpyxl knows how to write or refuse."""


def cell_columns(findings: pd.DataFrame) -> list[list[Any]] | None:
    """The findings' flat columns (``cells.flat_record``) as the workbook's cells show them
    (``xlsx_format._cell``: formula-like text neutralised, characters XML cannot carry
    replaced), worked out once per distinct value where the column allows; None when a
    value is not plain."""
    try:
        return [flat_column(findings, field, _cell) for field in FINDING_FIELDS]
    except _NotPlain:
        return None


def all_plain(columns: list[list[Any]]) -> bool:
    """Whether every cell is a value this module writes as openpyxl would."""
    try:
        for column in columns:
            per_distinct(column, _cell)
    except _NotPlain:
        return False
    return True


def _cell(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return NOT_XML.sub("\ufffd", neutralise(value))
    if value is None or kind is int or (kind is float and math.isfinite(value)):
        return value
    raise _NotPlain(kind.__name__)


def width(column: list[Any]) -> int:
    """The longest text of a column's cells (a missing value is 0 long)."""
    if set(map(type, column)) <= {str, type(None)}:
        column = list(set(column))  # text repeats: each distinct value measured once
    return max((len(v) if type(v) is str else len(str(v)) for v in column if v is not None),
               default=0)


#: Rows written at a time.
CHUNK = 20_000


def rows(sheet: Any, columns: list[list[Any]], first: int) -> Iterator[str]:
    """The ``<row>`` elements of the cells from sheet row ``first`` on (row 1 is the header,
    the columns start at row 2), each cell styled as the sheet's saved row 2 has it, a
    ``CHUNK`` of rows at a time."""
    from openpyxl.utils import get_column_letter

    styles = []
    for index in range(1, len(columns) + 1):
        model = sheet.cell(row=2, column=index)
        styles.append(f' s="{model.style_id}"' if model.has_style else "")
    letters = [get_column_letter(index) for index in range(1, len(columns) + 1)]
    for start in range(first - 2, len(columns[0]) if columns else 0, CHUNK):
        cells = []
        for letter, style, column in zip(letters, styles, columns, strict=True):
            tails = per_distinct(column[start:start + CHUNK], _tail if style else _plain_tail)
            cells.append(["" if tail is None else f'<c r="{letter}{row}"{style}{tail}'
                          for row, tail in enumerate(tails, start=start + 2)])
        out = []
        for row, pieces in enumerate(zip(*cells, strict=True), start=start + 2):
            text = "".join(pieces)
            if not text:
                raise ValueError(f"row {row} has no cell")  # openpyxl's empty row not mirrored
            out.append(f'<row r="{row}">{text}</row>')
        yield "".join(out)


def _tail(value: Any) -> str:
    """A cell after its reference and style: its type and value."""
    if value is None:
        return ' t="n" />'
    if type(value) is str:
        text = value[:MAX_TEXT]
        if not text:
            return ' t="inlineStr" />'
        if text in ERROR_CODES:
            return f' t="e"><v>{text}</v></c>'
        stripped = text.strip()
        space = ' xml:space="preserve"' if stripped and stripped != text else ""
        return f' t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'
    return f' t="n"><v>{"%.16g" % value}</v></c>'  # noqa: UP031 (openpyxl's safe_string)


def _plain_tail(value: Any) -> str | None:
    """``_tail`` of an unstyled cell, which openpyxl leaves out when it is empty."""
    return None if value is None else _tail(value)


def extended(saved: bytes, more: Iterable[str], extent: str) -> Iterator[bytes]:
    """A saved sheet's XML with ``more`` rows at the end of its data and ``extent`` as its
    dimension, in UTF-8 pieces (for ``export.fix_workbook_dates``)."""
    text = re.sub(r'<dimension ref="[^"]*" />', f'<dimension ref="{extent}" />',
                  saved.decode("utf-8"), count=1)
    head, tail = text.split("</sheetData>")
    yield head.encode("utf-8")
    for piece in more:
        yield piece.encode("utf-8")
    yield ("</sheetData>" + tail).encode("utf-8")
