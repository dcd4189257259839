"""Markdown: a pull-request comment.

A headline with the verdict against ``fail_on`` and the counts by severity; a table of the
open findings at or above medium (the first 50); a collapsed ``<details>`` with the rest (the
overflow, lower severities, waived and baselined findings; at most 500 rows, to stay well
inside GitHub's 65,536-character comment); and the incentive mix of the plans with findings.
Everything taken from the input is escaped (``escape``): it can neither inject HTML nor break
a table, mention a user or link an issue. Pay is redacted by default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from policycheck.codes import among
from policycheck.engine import SEVERITY_RANK
from policycheck.formats.cells import SUPPRESSED, plain_column, records
from policycheck.report import Report

TABLE_ROWS = 50
DETAILS_ROWS = 500
MIX_COLUMNS = (("speed", "share_speed"), ("cost", "share_cost"), ("sales", "share_sales"),
               ("customer", "share_customer"), ("protected", "protected_share"))
# HTML special characters as entities; markdown punctuation backslash-escaped; "@" and "#"
# as entities so that a plan id cannot mention a user or link an issue; line breaks would
# end a table row.
_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "@": "&#64;", "#": "&#35;",
    "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "|": "\\|",
    "~": "\\~", "$": "\\$", "\n": " ", "\r": " ",
})


def escape(value: object) -> str:
    """Text safe in a markdown paragraph or table cell, HTML included."""
    return str(value).translate(_ESCAPES)


def percent(share: object) -> str:
    if share is None or pd.isna(share):  # type: ignore[call-overload]
        return "n/a"
    return f"{round(float(share) * 100, 1):g}%"  # type: ignore[arg-type]


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def headline(report: Report) -> list[str]:
    counts = report.counts()
    failing = report.failing_count
    if report.errors:
        verdict = "⚠️ could not check every plan"
    elif failing:
        verdict = "❌ fail"
    else:
        verdict = "✅ pass"
    shown = ", ".join(f"{n} {s}" for s, n in counts.items())
    total = len(report.findings)
    lines = [f"## policycheck: {verdict}", "",
             f"**{total} finding{'s' * (total != 1)}** ({shown}) from {len(report.rules)} "
             f"rule{'s' * (len(report.rules) != 1)} over {report.plans_checked} of "
             f"{report.plans_read} plans."]
    if report.fail_on == "none":
        lines.append("No severity fails this check (`--fail-on none`).")
    else:
        lines.append(f"**{failing}** open finding{'s' * (failing != 1)} at or above "
                     f"`{report.fail_on}` fail{'s' * (failing == 1)} this check.")
    if report.problems:
        lines += ["", f"**{len(report.problems)} input problem"
                  f"{'s' * (len(report.problems) != 1)}**; {report.plans_invalid} invalid "
                  f"plan{'s were' if report.plans_invalid != 1 else ' was'} not checked:", ""]
        lines += [f"- {escape(p.location)}: {escape(p.severity)}: {escape(p.message)} "
                  f"\\[{escape(p.code)}\\]" for p in report.problems[:TABLE_ROWS]]
        if len(report.problems) > TABLE_ROWS:
            lines.append(f"- and {len(report.problems) - TABLE_ROWS} more")
    return lines


def _plan(row: dict[str, Any]) -> str:
    text = escape(row["plan_id"])
    if row["entity_id"]:
        text += f"<br>{escape(row['scope'])} {escape(row['entity_id'])}"
    return text


def _finding_row(row: dict[str, Any], with_status: bool) -> list[str]:
    cells = [escape(row["severity"])]
    if with_status:
        cells.append(escape(row["status"]))
    return [*cells, escape(row["rule_id"]), _plan(row), escape(row["message"])]


def findings_section(report: Report,
                     shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> list[str]:
    """The open findings at or above medium (the first TABLE_ROWS), then the others in a
    collapsed list (the first DETAILS_ROWS). Only the rows listed are made records (a
    million findings are too many), through ``shown`` when given (the redaction)."""
    findings = report.findings
    ranks = np.array([SEVERITY_RANK[s] for s in plain_column(findings, "severity")], dtype=int)
    order = np.argsort(ranks, kind="stable")  # most severe first, report order within
    open_ = np.array([s not in SUPPRESSED for s in plain_column(findings, "status")],
                     dtype=bool)
    chosen = order[(open_ & (ranks <= SEVERITY_RANK["medium"]))[order]]
    rest_order = order[~np.isin(order, chosen[:TABLE_ROWS])]
    listed = findings.iloc[np.concatenate([chosen[:TABLE_ROWS], rest_order[:DETAILS_ROWS]])]
    rows = records(listed if shown is None else shown(listed))
    top, rest = rows[:min(len(chosen), TABLE_ROWS)], rows[min(len(chosen), TABLE_ROWS):]
    overflow = len(chosen) - len(top)
    lines = ["", "### Open findings at or above medium", ""]
    if top:
        lines += table(("severity", "rule", "plan", "message"),
                       (_finding_row(r, False) for r in top))
    else:
        lines.append("None.")
    if overflow:
        lines += ["", f"…and {overflow} more, listed below."]
    if len(rest_order):
        lines += ["", "<details>", f"<summary>{len(rest_order)} more finding"
                  f"{'s' * (len(rest_order) != 1)} (lower severity, "
                  "waived, baselined or beyond the first "
                  f"{TABLE_ROWS})</summary>", ""]
        lines += table(("severity", "status", "rule", "plan", "message"),
                       (_finding_row(r, True) for r in rest))
        if len(rest_order) > DETAILS_ROWS:
            lines += ["", f"…and {len(rest_order) - DETAILS_ROWS} more: see the SARIF or JSON "
                      "output."]
        lines += ["", "</details>"]
    return lines


def mix_section(report: Report) -> list[str]:
    profiles = report.profiles
    if profiles.empty or report.findings.empty:
        return []
    counts = report.findings["plan_id"].value_counts()
    flagged = profiles[among(profiles["plan_id"], counts.index)]
    rows = [[escape(p["plan_id"]), escape(p["role_kind"]),
             *(percent(p.get(column)) for _, column in MIX_COLUMNS),
             str(int(counts[p["plan_id"]]))]
            for p in flagged.head(TABLE_ROWS).to_dict("records")]
    lines = ["", "### Incentive mix of the plans with findings", "",
             "Share of target variable pay on each pressure, and the share protected by a "
             "customer-side gate or modifier.", ""]
    lines += table(("plan", "role", *(name for name, _ in MIX_COLUMNS), "findings"), rows)
    if len(flagged) > TABLE_ROWS:
        lines += ["", f"…and {len(flagged) - TABLE_ROWS} more plans."]
    return lines


def render(report: Report) -> str:
    return "\n".join(headline(report) + findings_section(report) + mix_section(report)) + "\n"


def render_redacted(report: Report) -> str:
    """``render(redact(report))``, redacting only what the comment shows: the problems, the
    plans' mix and the findings it lists (at most TABLE_ROWS + DETAILS_ROWS), where
    redacting every finding took about a second at a hundred thousand plans."""
    from policycheck.formats.redact import redact

    parts = redact(dataclasses.replace(report, findings=report.findings.iloc[:0]))
    outside = dataclasses.replace(report, problems=parts.problems, profiles=parts.profiles)

    def shown(findings: pd.DataFrame) -> pd.DataFrame:
        return redact(dataclasses.replace(report, findings=findings)).findings

    return "\n".join(headline(outside) + findings_section(report, shown)
                     + mix_section(outside)) + "\n"
