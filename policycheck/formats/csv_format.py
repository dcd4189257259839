"""CSV: one row per finding, the JSON finding flattened, for spreadsheets and scripts.

Cells that a spreadsheet would run as a formula start with an apostrophe (``cells.neutralise``);
numbers stay numbers. Rows in report order; CRLF line ends as RFC 4180 has them (so a field
holding a lone carriage return is quoted too); UTF-8 without a byte-order mark.
"""

from __future__ import annotations

import csv
import io

from policycheck.formats.cells import FINDING_FIELDS, finding_dicts, flat_record, neutralise
from policycheck.report import Report


def render(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FINDING_FIELDS)
    for row in finding_dicts(report):
        writer.writerow([neutralise(v) for v in flat_record(row).values()])
    return out.getvalue()
