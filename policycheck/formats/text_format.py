"""Text: one line per finding, ``path:line:col: severity rule-id message``, then a summary.

Colour is added by the CLI when the output is a terminal; this renderer is plain text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from policycheck.errors import Location
from policycheck.formats.cells import plain_column
from policycheck.report import Report


def finding_line(row: dict[str, object]) -> str:
    return _line(*(row.get(name) for name in _LINE_COLUMNS))


def summary(report: Report) -> str:
    counts = report.counts()
    shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    lines = [
        f"Checked {report.plans_checked} of {report.plans_read} plans with "
        f"{len(report.rules)} rules: {len(report.findings)} findings ({shown}).",
    ]
    if report.plans_invalid:
        lines.append(f"{report.plans_invalid} invalid plan"
                     f"{'s were' if report.plans_invalid != 1 else ' was'} not checked: "
                     "see the errors above.")
    if report.fail_on != "none":
        lines.append(f"{report.failing_count} finding{'s' * (report.failing_count != 1)} at or "
                     f"above '{report.fail_on}'.")
    return "\n".join(lines)


#: Findings per piece of the stream (a line is about 250 bytes).
CHUNK = 50_000


def chunks(report: Report) -> Iterator[bytes]:
    """The text in UTF-8 pieces: the problems, the findings ``CHUNK`` lines at a time, then
    the summary; each piece ends its last line."""
    if report.problems:
        yield ("\n".join(str(p) for p in report.problems) + "\n").encode("utf-8")
    findings = report.findings
    for start in range(0, len(findings), CHUNK):
        lines = finding_lines(findings.iloc[start:start + CHUNK])
        yield ("\n".join(lines) + "\n").encode("utf-8")
    yield (summary(report) + "\n").encode("utf-8")


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")


_LINE_COLUMNS = ("src_file", "src_sheet", "src_line", "src_col", "severity", "rule_id",
                 "plan_id", "scope", "entity_id", "message", "status", "waiver")


def finding_lines(findings: pd.DataFrame) -> list[str]:
    """``finding_line`` of every finding, reading each column once (a million findings are
    too many to turn into records first)."""
    columns = [plain_column(findings, name) for name in _LINE_COLUMNS]
    return [_line(*values) for values in zip(*columns, strict=True)]


def _line(file: object, sheet: object, line: object, column: object, severity: object,
          rule_id: object, plan_id: object, scope: object, entity_id: object, message: object,
          status: object, waiver: object) -> str:
    where = str(Location(str(file), str(sheet or ""), int(line or 0),  # type: ignore[call-overload]
                         int(column or 0)))  # type: ignore[call-overload]
    entity = f" {scope} '{entity_id}'" if entity_id else ""
    status = status or "open"
    tag = "" if status == "open" else f" [{status}" + (f": {waiver}]" if waiver else "]")
    return f"{where}: {severity} {rule_id}: plan '{plan_id}'{entity}: {message}{tag}"
