"""Text: one line per finding, ``path:line:col: severity rule-id message``, then a summary.

Colour is added by the CLI when the output is a terminal; this renderer is plain text.
"""

from __future__ import annotations

from policycheck.errors import Location
from policycheck.report import Report


def finding_line(row: dict[str, object]) -> str:
    where = Location(str(row["src_file"]), str(row["src_sheet"] or ""),
                     int(row["src_line"] or 0), int(row["src_col"] or 0))  # type: ignore[call-overload]
    entity = f" {row['scope']} '{row['entity_id']}'" if row["entity_id"] else ""
    status = row.get("status") or "open"
    tag = "" if status == "open" else f" [{status}" + (
        f": {row['waiver']}]" if row.get("waiver") else "]")
    return (f"{where}: {row['severity']} {row['rule_id']}: plan '{row['plan_id']}'{entity}: "
            f"{row['message']}{tag}")


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


def render(report: Report) -> str:
    lines = [str(p) for p in report.problems]
    lines += [finding_line(r) for r in report.findings.to_dict("records")]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
