"""Markdown: a pull-request comment.

A headline with the verdict against ``fail_on`` and the counts by severity; a table of the
open findings at or above medium (the first 50); a collapsed ``<details>`` with the rest (the
overflow, lower severities, waived and baselined findings; at most 500 rows); and the
incentive mix of the plans with findings. GitHub refuses a comment of more than 65,536
characters: the comment keeps within ``COMMENT_BUDGET``, listing fewer rows where they would
not fit, and says how many more there are.
Everything taken from the input is escaped (``escape``): it can neither inject HTML nor break
a table, mention a user or link an issue. Pay is redacted by default. A file inside a git
work tree is named by its path from the root of that work tree, whatever the current folder,
as SARIF names it (``paths.RepoPaths``): not by the folder a checkout lies in; any other file
as it was given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from policycheck.codes import among
from policycheck.engine import SEVERITY_RANK, severity_ranks
from policycheck.formats.cells import SUPPRESSED, records
from policycheck.formats.paths import RepoPaths
from policycheck.formats.text_format import CONTROLS, unread_said
from policycheck.report import Report

TABLE_ROWS = 50
DETAILS_ROWS = 500
#: Characters a comment keeps within: GitHub refuses one of more than 65,536, and a workflow
#: may add a few lines around it.
COMMENT_BUDGET = 60_000
#: Room kept for the lines around a table's rows that say how many more there are.
_NOTES = 200
#: A customer measure the employee controls (an agent-sent survey) apart from the others,
#: as the leadership report shows it: pay moved onto one is not pay moved to the customer.
MIX_COLUMNS = (("speed", "share_speed"), ("cost", "share_cost"), ("sales", "share_sales"),
               ("customer", "share_customer_trusted"),
               ("customer, employee-controlled", "share_customer_controlled"),
               ("protected", "protected_share"))
# HTML special characters as entities; markdown punctuation backslash-escaped; "@" and "#"
# as entities so that a plan id cannot mention a user or link an issue; line breaks would
# end a table row. The other control and hidden characters are shown as the text output
# shows them (``\u202e``): a right-to-left override would make a comment read other than
# it is.
_ESCAPES = str.maketrans({**CONTROLS,
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
    return table_head(header) + [table_row(row) for row in rows]


def table_head(header: Sequence[str]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]


def table_row(row: Sequence[str]) -> str:
    return "| " + " | ".join(row) + " |"


def fitting(lines: Sequence[str], room: float) -> int:
    """How many of ``lines`` (each ended by a line break) fit in ``room`` characters."""
    used = np.cumsum([len(line) + 1 for line in lines])
    return int(np.searchsorted(used, room, side="right"))


def size(lines: Sequence[str]) -> int:
    """The characters ``lines`` take, each ended by a line break."""
    return sum(len(line) + 1 for line in lines)


def headline(report: Report, room: float = math.inf) -> list[str]:
    """The verdict, the counts and the input problems (at most TABLE_ROWS, and those that fit
    in ``room`` characters)."""
    counts = report.counts()
    failing = report.failing_count
    if report.errors:
        verdict = "⚠️ could not check every plan"
    elif failing:
        verdict = "❌ fail"
    else:
        verdict = "✅ pass"
    shown = ", ".join(f"{n:,} {s}" for s, n in counts.items())
    total = len(report.findings)
    lines = [f"## policycheck: {verdict}", "",
             f"**{total:,} finding{'s' * (total != 1)}** ({shown}) from {len(report.rules):,} "
             f"rule{'s' * (len(report.rules) != 1)} over {report.plans_checked:,} of "
             f"{report.plans_read:,} plan{'s' * (report.plans_read != 1)}."]
    if report.fail_on == "none":
        lines.append("No severity fails this check (`--fail-on none`).")
    else:
        lines.append(f"**{failing:,}** open finding{'s' * (failing != 1)} at or above "
                     f"`{report.fail_on}` fail{'s' * (failing == 1)} this check.")
    if report.problems:
        problems, unread = len(report.problems), len(report.files_unread)
        lines += ["", f"**{problems:,} input problem{'s' * (problems != 1)}**; "
                  f"{report.plans_invalid:,} invalid "
                  f"plan{'s were' if report.plans_invalid != 1 else ' was'} not checked"
                  + (f"; {unread_said(unread)}" if unread else "") + ":", ""]
        paths = RepoPaths()
        listed = [f"- {escape(paths.location(p.location))}: {escape(p.severity)}: "
                  f"{escape(p.message)} \\[{escape(p.code)}\\]"
                  for p in report.problems[:TABLE_ROWS]]
        listed = listed[:fitting(listed, room - size(lines) - _NOTES)]
        lines += listed
        if len(report.problems) > len(listed):
            lines.append(f"- and {len(report.problems) - len(listed):,} more")
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
                     shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                     room: float = math.inf) -> list[str]:
    """The open findings at or above medium (the first TABLE_ROWS), then the others in a
    collapsed list (the first DETAILS_ROWS), as many of each as fit in ``room`` characters.
    Only the rows listed are made records (a million findings are too many), through
    ``shown`` when given (the redaction)."""
    findings = report.findings
    ranks = severity_ranks(findings["severity"])
    order = np.argsort(ranks, kind="stable")  # most severe first, report order within
    open_ = ~findings["status"].isin(SUPPRESSED).to_numpy(dtype=bool)
    chosen = order[(open_ & (ranks <= SEVERITY_RANK["medium"]))[order]]
    rest_order = order[~np.isin(order, chosen[:TABLE_ROWS])]
    listed = findings.iloc[np.concatenate([chosen[:TABLE_ROWS], rest_order[:DETAILS_ROWS]])]
    rows = records(listed if shown is None else shown(listed))
    split = min(len(chosen), TABLE_ROWS)
    top = [table_row(_finding_row(r, False)) for r in rows[:split]]
    rest = [table_row(_finding_row(r, True)) for r in rows[split:]]
    lines = ["", "### Open findings at or above medium", ""]
    room -= size(lines) + 2 * _NOTES + 300  # the tables' heads and the details' summary
    top = top[:fitting(top, room)]
    rest = rest[:fitting(rest, room - size(top))]
    if top:
        lines += table_head(("severity", "rule", "plan", "message")) + top
    else:
        lines.append("None.")
    if len(top) < split:  # out of room: the rest are not listed below
        lines += ["", f"…and {len(chosen) - len(top):,} more: see the SARIF or JSON output."]
    elif len(chosen) > len(top):
        lines += ["", f"…and {len(chosen) - len(top):,} more, listed below."]
    if len(rest_order):
        lines += ["", "<details>", f"<summary>{len(rest_order):,} more finding"
                  f"{'s' * (len(rest_order) != 1)} (lower severity, "
                  "waived, baselined or beyond the first "
                  f"{TABLE_ROWS})</summary>", ""]
        lines += table_head(("severity", "status", "rule", "plan", "message")) + rest
        if len(rest_order) > len(rest):
            lines += ["", f"…and {len(rest_order) - len(rest):,} more: see the SARIF or JSON "
                      "output."]
        lines += ["", "</details>"]
    return lines


def mix_section(report: Report, room: float = math.inf) -> list[str]:
    """The incentive mix of the plans with findings (the first TABLE_ROWS, and those that
    fit in ``room`` characters)."""
    profiles = report.profiles
    if profiles.empty or report.findings.empty:
        return []
    counts = report.findings["plan_id"].value_counts()
    flagged = profiles[among(profiles["plan_id"], counts.index)]
    rows = [[escape(p["plan_id"]), escape(p["role_kind"]),
             *(percent(p.get(column)) for _, column in MIX_COLUMNS),
             f"{int(counts[p['plan_id']]):,}"]
            for p in flagged.head(TABLE_ROWS).to_dict("records")]
    lines = ["", "### Incentive mix of the plans with findings", "",
             "Share of target variable pay on each pressure (customer measures the employee "
             "controls, such as agent-sent surveys, apart), and the share protected by a "
             "customer-side gate or modifier.", ""]
    lines += table_head(("plan", "role", *(name for name, _ in MIX_COLUMNS), "findings"))
    listed = [table_row(row) for row in rows]
    listed = listed[:fitting(listed, room - size(lines) - _NOTES)]
    lines += listed
    if len(flagged) > len(listed):
        lines += ["", f"…and {len(flagged) - len(listed):,} more plans."]
    return lines


def render(report: Report) -> str:
    return _comment(report, report)


def _comment(report: Report, outside: Report,
             shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> str:
    """The comment of ``report`` within ``COMMENT_BUDGET``: the headline and the mix (of
    ``outside``: the report, or its problems and profiles redacted) take at most a quarter
    each, the findings what is left."""
    head = headline(outside, COMMENT_BUDGET / 4)
    mix = mix_section(outside, COMMENT_BUDGET / 4)
    body = findings_section(report, shown, COMMENT_BUDGET - size(head) - size(mix))
    return "\n".join(head + body + mix) + "\n"


def render_redacted(report: Report) -> str:
    """``render(redact(report))``, redacting only what the comment shows: the problems, the
    plans' mix and the findings it lists (at most TABLE_ROWS + DETAILS_ROWS), where
    redacting every finding took about a second at a hundred thousand plans."""
    from policycheck.formats.redact import redact_around, redact_findings

    return _comment(report, redact_around(report),
                    lambda findings: redact_findings(findings, report.rules))
