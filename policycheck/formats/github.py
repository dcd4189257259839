"""GitHub Actions workflow commands: one annotation per finding, then the summary.

``::error file=F,line=L,col=C,title=RULE::plan 'p': message``, with ``error`` for critical
and high, ``warning`` for medium and ``notice`` for low and info (the SARIF levels). Waived
and baselined findings are not annotated; problems of invalid inputs are, as errors. Data is
escaped as GitHub's runner unescapes it (``%``, CR, LF), property values also ``:`` and
``,``. Pay is redacted by default.
"""

from __future__ import annotations

from typing import Any

from policycheck.errors import Location
from policycheck.formats.cells import SEVERITY_LEVELS, SUPPRESSED, finding_dicts, where
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
    location = Location(str(row["src_file"]), "", int(row["src_line"] or 0),
                        int(row["src_col"] or 0))
    sheet = f"[{row['src_sheet']}] " if row["src_sheet"] else ""
    return command(COMMANDS[SEVERITY_LEVELS[row["severity"]]], location, str(row["rule_id"]),
                   f"{sheet}{row['severity']}: {where(row)}: {row['message']}")


def render(report: Report) -> str:
    lines = [command("error" if p.severity == "error" else "warning", p.location,
                     f"policycheck {p.code}", p.message) for p in report.problems]
    lines += [annotation(row) for row in finding_dicts(report)
              if row["status"] not in SUPPRESSED]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
