"""CSV: one row per finding, the JSON finding flattened, for spreadsheets and scripts.

Cells that a spreadsheet would run as a formula start with an apostrophe (``cells.neutralise``);
numbers stay numbers. Rows in report order; CRLF line ends as RFC 4180 has them (so a field
holding a lone carriage return is quoted too); UTF-8 without a byte-order mark.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from policycheck.formats.cells import FINDING_FIELDS, flat_columns, neutralised
from policycheck.report import Report

#: Findings per piece of the stream (a few MB of text).
CHUNK = 20_000


def chunks(report: Report) -> Iterator[bytes]:
    """The CSV text in UTF-8 pieces, the header first, then ``CHUNK`` findings at a time, each
    piece's cells read column by column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FINDING_FIELDS)
    yield out.getvalue().encode("utf-8")
    findings = report.findings
    for start in range(0, len(findings), CHUNK):
        columns = flat_columns(findings.iloc[start:start + CHUNK])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerows(zip(*map(neutralised, columns), strict=True))
        yield out.getvalue().encode("utf-8")


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")
