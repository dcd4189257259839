"""GitHub Actions workflow commands: one annotation per finding, then the summary.

``::error file=F,line=L,col=C,title=RULE::plan 'p': message``, with ``error`` for critical
and high, ``warning`` for medium and ``notice`` for low and info (the SARIF levels). Waived
and baselined findings are not annotated; problems of invalid inputs are, as errors. Data is
escaped as GitHub's runner unescapes it (``%``, CR, LF), property values also ``:`` and
``,``. Pay is redacted by default.
"""

# No ``from __future__ import annotations``: the module defines a function of that name.
from typing import Any

import pandas as pd

from policycheck.errors import Location
from policycheck.formats.cells import SEVERITY_LEVELS, SUPPRESSED, plain_column
from policycheck.formats.text_format import summary
from policycheck.report import Report

COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: object) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: object) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, location: Location, title: str, message: str) -> str:
    properties = {"file": location.file, "line": location.line or None,
                  "col": location.column or None, "title": title}
    shown = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items()
                     if v is not None)
    return f"::{kind} {shown}::{escape_data(message)}"


def annotation(row: dict[str, Any]) -> str:
    return _annotation(*(row.get(name) for name in _COLUMNS))


_COLUMNS = ("src_file", "src_line", "src_col", "src_sheet", "severity", "rule_id", "plan_id",
            "scope", "entity_id", "message")


def annotations(findings: pd.DataFrame) -> list[str]:
    """``annotation`` of every finding that is not waived or baselined, each column read
    once (a million findings are too many to make records of)."""
    columns = [plain_column(findings, name) for name in _COLUMNS]
    shown = [status not in SUPPRESSED for status in plain_column(findings, "status")]
    rows = zip(*columns, strict=True)
    return [_annotation(*values) for values, show in zip(rows, shown, strict=True) if show]


def _annotation(file: Any, line: Any, column: Any, sheet: Any, severity: Any, rule_id: Any,
                plan_id: Any, scope: Any, entity_id: Any, message: Any) -> str:
    location = Location(str(file), "", int(line or 0), int(column or 0))
    sheet = f"[{sheet}] " if sheet else ""
    entity = f" {scope} '{entity_id}'" if entity_id else ""
    return command(COMMANDS[SEVERITY_LEVELS[severity]], location, str(rule_id),
                   f"{sheet}{severity}: plan '{plan_id}'{entity}: {message}")


def render(report: Report) -> str:
    lines = [command("error" if p.severity == "error" else "warning", p.location,
                     f"policycheck {p.code}", p.message) for p in report.problems]
    lines += annotations(report.findings)
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
