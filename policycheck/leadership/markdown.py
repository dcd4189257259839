"""The leadership summary as Markdown, for a pull-request comment or an e-mail.

``render_markdown(leadership) -> str``: the headline, the key figures, what to change first,
the most exposed plans and the roll-up by role. Pay figures leave the company in this
format, so the CLI redacts them unless told otherwise. Every text from the input is escaped
for Markdown and for the HTML that Markdown renderers let through.
"""

from __future__ import annotations

import re
from typing import Any

from policycheck.leadership import sections
from policycheck.leadership.analysis import Leadership
from policycheck.leadership.html import headline
from policycheck.leadership.words import REDACTED, money_column, people, set_aside

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
TABLE_ROWS = 10


def escape(text: object) -> str:
    """Text that renders as itself in Markdown (GitHub flavour) and never as HTML.

    The redaction mark stays readable ("[redacted]", not "\\[redacted\\]"); what follows
    it cannot turn it into a link, since a "(" or "[" right after it is escaped."""
    value = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = " ".join(value.split())  # no line breaks inside a table cell or list item
    parts = [_SPECIAL.sub(r"\\\1", part) for part in value.split(REDACTED)]
    parts[1:] = [("\\" + part) if part.startswith("(") else part for part in parts[1:]]
    return REDACTED.join(parts)


def _people(value: Any) -> str:
    return "n/a" if value is None or value != value else f"{int(value):,}"


def render_markdown(lead: Leadership, *, title: str = "Incentive alignment report",
                    date: str | None = None, redact: bool = True, top: int = TABLE_ROWS) -> str:
    lead = lead.shown(redact)
    head = headline(lead, redact)
    t = head["totals"]
    report = lead.report
    findings = head["findings"]
    lines = [f"# {escape(title)}", ""]
    if date:
        lines += [f"_{escape(date)}_", ""]
    lines += [f"**{escape(head['sentence'])}**" + (f" {escape(head['hold'])}" if head["hold"]
                                                    else ""), "",
              "| | |", "|---|---|",
              f"| Plans checked | {report.plans_checked:,} ({report.plans_invalid:,} could not "
              "be checked) |",
              f"| People on plans that pull away from the customer | "
              f"{t['people_misaligned']:,} of {t['people']:,} |",
              f"| Variable pay on those plans | {escape(head['pay_misaligned'])} |",
              f"| Pay on speed, cost or sales with no customer check | "
              f"{escape(head['pay_pull_unguarded'])} |",
              "| Red flags | " + (", ".join(f"{n:,} {s}" for s, n in findings.items() if n)
                                  or "none") + set_aside(t["set_aside"]) + " |", ""]
    actions = sections.actions(lead, redact)
    if actions:
        lines += ["## What to change first", ""]
        for i, a in enumerate(actions, 1):
            lines.append(f"{i}. **{escape(a['label'])}** ({people(a['headcount'])}, "
                         f"{escape(a['pay'])} at stake, score {a['score']}/100). "
                         f"{escape(a['sensitivity'])}"
                         + (f" Change: {escape(a['remedy_text'])}" if a["remedy_text"] else ""))
        lines.append("")
    lines += _exposed(lead, redact, top) + _roles(lead)
    lines += ["Score: 100 minus points for pay on speed, cost and sales measures and for red "
              "flags; below 50 a plan pulls away from the customer. Full report: "
              "`policycheck report PATH -o report.html`.", ""]
    from policycheck.leadership.evidence import append_markdown

    return append_markdown("\n".join(lines), lead)


def _exposed(lead: Leadership, redact: bool, top: int) -> list[str]:
    plans = lead.plans.head(top)
    if plans.empty:
        return []
    rows = plans.assign(label=sections.labels(plans),
                        pay=money_column(plans["pay_at_stake"], plans["currency"],
                                                  redact))
    lines = ["## Most exposed plans", "", "| # | Plan | People | Pay at stake | Score | "
             "Main issue |", "|---:|---|---:|---:|---:|---|"]
    for r in sections.records(rows):
        issue = r["worst_title"] if isinstance(r["worst_title"], str) else "no red flag"
        lines.append(f"| {r['rank']} | {escape(r['label'])} | {_people(r['headcount'])} | "
                     f"{escape(r['pay'])} | {r['score']} | {escape(issue)} |")
    return [*lines, ""]


def _roles(lead: Leadership) -> list[str]:
    table = lead.by_role_kind
    if table.empty:
        return []
    lines = ["## By kind of role", "", "| Role | People | On misaligned plans | Avg. score |",
             "|---|---:|---:|---:|"]
    for r in sections.records(table):
        score = "n/a" if r["score"] != r["score"] else f"{int(r['score'])}"
        lines.append(f"| {escape(str(r['role_kind']).replace('_', ' '))} | {r['people']:,} | "
                     f"{r['people_misaligned']:,} | {score} |")
    return [*lines, ""]
