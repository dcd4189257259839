"""CSV: one row per finding, the JSON finding flattened, for spreadsheets and scripts.

Cells that a spreadsheet would run as a formula start with an apostrophe (``cells.neutralise``);
numbers stay numbers. Rows in report order; CRLF line ends as RFC 4180 has them (so a field
holding a lone carriage return is quoted too); UTF-8 without a byte-order mark.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.evidencearray import compact, styled_texts
from policycheck.findings import encoded_parts
from policycheck.formats.arrowtext import arrow_text, piece, word
from policycheck.formats.cells import (
    FINDING_FIELDS,
    FLAT_SOURCES,
    FLAT_VALUES,
    FORMULA_STARTS,
    flat_column,
    neutralise,
)
from policycheck.report import Report
from policycheck.streams import Piece

#: Findings per piece of the stream (a few MB of text).
CHUNK = 20_000


def chunks(report: Report) -> Iterator[Piece]:
    """The CSV text in UTF-8 pieces, the header first, then ``CHUNK`` findings at a time, each
    piece's cells read column by column."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(FINDING_FIELDS)
    yield out.getvalue().encode("utf-8")
    memo: dict[int, Any] = {}  # each rule's evidence values, encoded once for every piece

    def encoded(part: pd.DataFrame) -> Piece:
        fields = [_column(part, name, memo) for name in FINDING_FIELDS]
        return piece(pc.binary_join_element_wise(
            pc.binary_join_element_wise(*fields, word(",")), word("\r\n"), word("")))

    yield from encoded_parts(report.findings, CHUNK, encoded)


def _column(findings: pd.DataFrame, name: str, memo: dict[int, Any]) -> pa.Array:
    """A field's cells as Arrow text: by Arrow where its values are text (or missing), else
    through ``_cell`` value by value; the same cells either way."""
    source = FLAT_SOURCES[name]
    if source == "evidence" and source in findings:
        texts = styled_texts(findings["evidence"], compact(), memo)
        if texts is not None:
            return _cells(texts)
    elif source not in FLAT_VALUES or source == "src_sheet":  # "" is written as missing is
        text = arrow_text(findings, source)
        if text is not None:
            return _cells(text)
    return pa.array(flat_column(findings, name, _cell, memo), type=pa.large_string())


#: A text a spreadsheet would run as a formula (``cells.neutralise``).
_FORMULA = "^[" + "".join(re.escape(c) for c in FORMULA_STARTS) + "]"


def _cells(text: pa.Array) -> pa.Array:
    """``_cell`` of each text (missing: empty), worked out by Arrow once per distinct text:
    the formula apostrophe, then the quoting ``field`` does."""
    encoded = pc.cast(text, pa.large_string()).dictionary_encode()
    distinct = encoded.dictionary
    formula = pc.match_substring_regex(distinct, _FORMULA)
    distinct = pc.if_else(formula, pc.binary_join_element_wise(word("'"), distinct,
                                                               word("")), distinct)
    quote = pc.match_substring(distinct, '"')
    doubled = pc.binary_join_element_wise(
        word('"'), pc.replace_substring(distinct, '"', '""'), word('"'), word(""))
    plain = pc.match_substring_regex(distinct, "[,\n\r]")
    quoted = pc.binary_join_element_wise(word('"'), distinct, word('"'), word(""))
    cells = pc.if_else(quote, doubled, pc.if_else(plain, quoted, distinct))
    return pc.fill_null(cells.take(encoded.indices), "")


def _cell(value: Any) -> str:
    return field(neutralise(value))


def field(value: Any) -> str:
    """A cell as Python's csv writer writes it with the default dialect: minimal quoting,
    doubled quotes, floats (numpy's too) by ``float.__repr__``, missing values empty; quoted
    when the text holds the delimiter, the quote or a line-end character. Column at a time
    this is several times faster than the writer, which copies every character on its own."""
    text = ("" if value is None else float.__repr__(value) if isinstance(value, float)
            else str(value))
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")
