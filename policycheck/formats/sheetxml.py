"""Worksheet rows written as the XML openpyxl writes for them, from whole columns.

openpyxl makes an object of every cell and serialises it through ElementTree, tens of
microseconds a cell; a workbook of a million findings has eighteen million. The workbook is
still made and saved by openpyxl, with the first row of a sheet; the other rows are written
here, byte for byte as openpyxl would (``tests/test_formats.py`` compares the two), and put
into the saved sheet. A column is held as its distinct cells and a code per row: each
distinct cell's XML is written once, and the rows are joined from those pieces by Arrow.
Only plain values take this path: None, text, integers and finite floats (``cell_columns``
says None for anything else, and the caller lets openpyxl write it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.codes import per_distinct_typed
from policycheck.formats.arrowtext import concatenated, word
from policycheck.formats.cells import (
    FINDING_FIELDS,
    FORMULA_STARTS,
    flat_codes,
    neutralise,
)
from policycheck.formats.xmltext import ELEMENT, element_text, escaped_array, xml_safe
from policycheck.wording import is_missing

#: Texts openpyxl stores as error values rather than text (``openpyxl.cell.cell``).
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
#: openpyxl cuts text to what a cell holds.
MAX_TEXT = 32767


class _NotPlain(Exception):
    """A value only openpyxl knows how to write or refuse."""


@dataclass(frozen=True)
class Column:
    """A sheet column's cells: the distinct ones, and for each row the one it holds."""

    distinct: list[Any]
    codes: np.ndarray  # per row, an index into distinct

    @classmethod
    def of(cls, values: Sequence[Any]) -> Column:
        """The column of ``values``, told apart by type too (1, 1.0 and True are equal keys
        that are written differently)."""
        index: dict[tuple[type, Any], int] = {}
        codes = [index.setdefault((type(v), v), len(index)) for v in values]
        return cls([value for _, value in index], np.array(codes, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.codes)

    def rows(self, start: int, stop: int) -> Column:
        """The column of rows ``start`` to ``stop`` (its distinct cells all kept)."""
        return Column(self.distinct, self.codes[start:stop])

    def head(self, count: int) -> list[Any]:
        """The cells of the first ``count`` rows."""
        return [self.distinct[code] for code in self.codes[:count].tolist()]

    def width(self) -> int:
        """The longest text of the column's distinct cells (a missing value is 0 long):
        every one is some row's, but in a part of a longer column (``rows``), which is as
        wide as the whole."""
        return max((len(v) if type(v) is str else len(str(v)) for v in self.distinct
                    if v is not None), default=0)

    def tails(self, style: str) -> pa.Array:
        """Each distinct cell after its reference: ``style`` and its ``_tail`` (null for a
        missing value without a style: no cell)."""
        return pa.array([style + _tail(v) if style or v is not None else None
                         for v in self.distinct], type=pa.large_string())


@dataclass(frozen=True)
class TextColumn:
    """A column of text cells, as ``Column`` but its distinct cells held as Arrow text (a
    missing one null): messages and fingerprints are nearly all distinct, and a million of
    them made into cells and XML text by text took about 5 s of a workbook's 14."""

    texts: pa.Array
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def rows(self, start: int, stop: int) -> TextColumn:
        return TextColumn(self.texts, self.codes[start:stop])

    def head(self, count: int) -> list[Any]:
        return cast("list[Any]", self.texts.take(pa.array(self.codes[:count])).to_pylist())

    def width(self) -> int:
        longest = pc.max(pc.utf8_length(self.texts)).as_py()
        return 0 if longest is None else int(longest)

    def tails(self, style: str) -> pa.Array:
        tails = _text_tails(self.texts)
        if not style:
            return tails
        return pc.fill_null(pc.binary_join_element_wise(word(style), tails, word("")),
                            word(style + _tail(None)))


#: A sheet column, either way held.
SheetColumn = Column | TextColumn


def cell_columns(findings: pd.DataFrame) -> list[SheetColumn] | None:
    """The findings' flat columns (``cells.flat_record``) as the workbook's cells show them
    (``xlsx_format._cell``: formula-like text neutralised, characters XML cannot carry
    replaced), worked out once per distinct value where the column allows, by Arrow for
    a column of distinct texts; None when a value is not plain."""
    try:
        columns: list[SheetColumn] = []
        for field in FINDING_FIELDS:
            codes, cells = flat_codes(findings, field)
            if codes is None:
                columns.append(Column.of(per_distinct_typed(cells, _cell)))
            elif cells[-1] is None and all(type(v) is str for v in cells[:-1]):
                columns.append(TextColumn(text_cells(pa.array(cells, pa.large_string())),
                                          codes))
            else:
                columns.append(Column(list(map(_cell, cells)), codes))
    except _NotPlain:
        return None
    return columns


def frame_columns(frame: pd.DataFrame) -> list[SheetColumn] | None:
    """A frame's columns as cells (``series_column``); None when a value is not plain."""
    try:
        return [series_column(frame[name]) for name in frame.columns]
    except _NotPlain:
        return None


def series_column(values: pd.Series) -> SheetColumn:
    """A frame column's cells as ``plain_columns`` makes them of its Python values after
    ``xlsx_format._cell`` (missing values None, NumPy numbers Python ones): numbers by
    factorizing, texts by Arrow, others value by value; ``_NotPlain`` for a value that is
    not plain (an infinite number)."""
    dtype = values.dtype
    numeric = (pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype))
    if numeric and not pd.api.types.is_bool_dtype(dtype):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        distinct = np.asarray(uniques, dtype=np.float64 if pd.api.types.is_float_dtype(dtype)
                              else np.int64)
        if not np.isfinite(distinct).all():
            raise _NotPlain("float")
        return Column([*distinct.tolist(), None], np.where(codes < 0, len(distinct), codes))
    cells = values.astype(object).tolist()
    if all(type(v) is str or v is None or (type(v) is float and v != v) for v in cells):
        encoded = pa.array(cells, type=pa.large_string(), from_pandas=True).dictionary_encode()
        return TextColumn(text_cells(pa.concat_arrays(
            [encoded.dictionary, pa.nulls(1, pa.large_string())])),
            encoded.indices.fill_null(len(encoded.dictionary)).to_numpy())
    column = Column.of([None if is_missing(v) else v.item() if hasattr(v, "item") else v
                        for v in cells])
    return Column([_cell(v) for v in column.distinct], column.codes)


def text_cells(texts: pa.Array) -> pa.Array:
    """``_cell`` of each text of ``texts`` (null stays null): formula-like text neutralised,
    then characters XML cannot carry replaced."""
    formula = pc.fill_null(pc.match_substring_regex(texts, _FORMULA_START), False)
    if pc.any(formula).as_py():
        texts = pc.if_else(formula, pc.binary_join_element_wise(word("'"), texts, word("")),
                           texts)
    return escaped_array(texts, (), safe=True)


def _text_tails(cells: pa.Array) -> pa.Array:
    """``_tail`` of each text of ``cells`` (null stays null), by Arrow for the texts written
    plainly, by ``_tail`` for the few it writes otherwise: empty, longer than a cell holds,
    an error code, or with white space at an end (``xml:space``)."""
    lengths = pc.utf8_length(cells)
    odd = pc.fill_null(pc.or_(pc.or_(pc.equal(lengths, 0), pc.greater(lengths, MAX_TEXT)),
                              pc.or_(pc.is_in(cells, pa.array(sorted(ERROR_CODES))),
                                     pc.match_substring_regex(cells, _EDGE_SPACE))), False)
    tails = pc.binary_join_element_wise(word(' t="inlineStr"><is><t>'),
                                        escaped_array(cells, ELEMENT, safe=False),
                                        word("</t></is></c>"), word(""))
    rows = np.flatnonzero(odd.to_numpy(zero_copy_only=False))
    if not len(rows):
        return tails
    return pc.replace_with_mask(tails, odd, pa.array(
        [_tail(v) for v in cells.take(pa.array(rows)).to_pylist()], type=pa.large_string()))


def _re2_class(characters: str) -> str:
    """A character class of ``characters`` for Arrow's regular expressions (RE2)."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in characters) + "]"


#: Text that ``neutralise`` gives an apostrophe.
_FORMULA_START = "^" + _re2_class("".join(FORMULA_STARTS))
#: The characters ``str.strip`` takes off (``str.isspace``).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
              + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000")
_EDGE_SPACE = f"^{_re2_class(WHITESPACE)}|{_re2_class(WHITESPACE)}$"


def plain_columns(columns: Sequence[Sequence[Any]]) -> list[Column] | None:
    """Cells by column as ``Column``s; None when a value is not plain."""
    made = [Column.of(column) for column in columns]
    try:
        for column in made:
            for value in column.distinct:
                _cell(value)
    except _NotPlain:
        return None
    return made


def _cell(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return xml_safe(neutralise(value))
    if value is None or kind is int or (kind is float and math.isfinite(value)):
        return value
    raise _NotPlain(kind.__name__)


#: Rows written at a time.
CHUNK = 20_000


def rows(sheet: Any, columns: Sequence[SheetColumn], first: int) -> Iterator[bytes]:
    """The ``<row>`` elements of the cells from sheet row ``first`` on (row 1 is the header,
    the columns start at row 2) in UTF-8, each cell styled as the sheet's saved row 2 has
    it, a ``CHUNK`` of rows at a time."""
    from openpyxl.utils import get_column_letter

    starts, tails = [], []
    for index, column in enumerate(columns, start=1):
        model = sheet.cell(row=2, column=index)
        style = f' s="{model.style_id}"' if model.has_style else ""
        starts.append(word(f'<c r="{get_column_letter(index)}'))
        tails.append(column.tails(style))
    count = len(columns[0]) if columns else 0
    for start in range(first - 2, count, CHUNK):
        stop = min(start + CHUNK, count)
        numbers = pc.cast(pa.array(np.arange(start + 2, stop + 2)), pa.large_string())
        cells = [pc.binary_join_element_wise(
            begin, numbers, word('"'), tail.take(pa.array(column.codes[start:stop])), word(""))
            for begin, tail, column in zip(starts, tails, columns, strict=True)]
        text = pc.binary_join_element_wise(*(pc.fill_null(c, "") for c in cells), word(""))
        empty = pc.equal(text, "")
        if pc.any(empty).as_py():  # openpyxl's empty row not mirrored
            raise ValueError(f"row {start + 2 + pc.index(empty, True).as_py()} has no cell")
        yield concatenated(pc.binary_join_element_wise(
            word('<row r="'), numbers, word('">'), text, word("</row>"), word("")))


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
        return f' t="inlineStr"><is><t{space}>{element_text(text)}</t></is></c>'
    return f' t="n"><v>{"%.16g" % value}</v></c>'  # noqa: UP031 (openpyxl's safe_string)


def extended(saved: bytes, more: Iterable[bytes], extent: str) -> Iterator[bytes]:
    """A saved sheet's XML with ``more`` rows at the end of its data and ``extent`` as its
    dimension, in UTF-8 pieces (for ``workbookzip.fix_workbook_dates``)."""
    text = re.sub(r'<dimension ref="[^"]*" />', f'<dimension ref="{extent}" />',
                  saved.decode("utf-8"), count=1)
    head, tail = text.split("</sheetData>")
    yield head.encode("utf-8")
    yield from more
    yield ("</sheetData>" + tail).encode("utf-8")


def more_rows(saved: bytes, sheet: Any, columns: Sequence[SheetColumn], first: int,
              extent: str) -> Iterator[bytes]:
    """The saved ``sheet``'s XML with its rows from ``first`` on, written from ``columns``
    (for ``workbookzip.fix_workbook_dates``'s ``rewrite``)."""
    return extended(saved, rows(sheet, columns, first), extent)
