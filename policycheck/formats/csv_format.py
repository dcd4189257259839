"""CSV: one row per finding, the JSON finding flattened, for spreadsheets and scripts.

Cells that a spreadsheet would run as a formula start with an apostrophe (``cells.neutralise``);
numbers stay numbers. Rows in report order; CRLF line ends as RFC 4180 has them (so a field
holding a lone carriage return is quoted too); UTF-8 without a byte-order mark.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from typing import Any

from policycheck.findings import fill_fingerprints
from policycheck.formats.cells import FINDING_FIELDS, flat_column, neutralise
from policycheck.report import Report

#: Findings per piece of the stream (a few MB of text).
CHUNK = 20_000


def chunks(report: Report) -> Iterator[bytes]:
    """The CSV text in UTF-8 pieces, the header first, then ``CHUNK`` findings at a time, each
    piece's cells read column by column."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(FINDING_FIELDS)
    yield out.getvalue().encode("utf-8")
    findings = fill_fingerprints(report.findings)
    memo: dict[int, Any] = {}  # each rule's evidence values, encoded once for every piece
    for start in range(0, len(findings), CHUNK):
        part = findings.iloc[start:start + CHUNK]
        fields = [flat_column(part, name, _cell, memo) for name in FINDING_FIELDS]
        separators = [itertools.repeat(",")] * (len(fields) - 1) + [itertools.repeat("\r\n")]
        columns = itertools.chain.from_iterable(zip(fields, separators, strict=True))
        # the separators repeat for ever: the fields end the rows
        pieces = itertools.chain.from_iterable(zip(*columns, strict=False))
        yield "".join(pieces).encode("utf-8")


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
