"""The diff (``diffing.Diff``) in words: text for a terminal, JSON for tools, markdown for
a pull request's comment, each a pure function of the Diff, listed in ``RENDERERS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck import __version__
from policycheck.codes import per_distinct
from policycheck.diffing import MONEY_MEASURES, PAY_MEASURES, Diff
from policycheck.formats.jsontext import number
from policycheck.wording import is_missing

#: How the text and markdown name each share.
MIX_WORDS = {"customer_controlled": "customer (employee-controlled)"}
#: The title of the changes of pay.
PAY_TITLE = "Pay and headcount"
#: The title of the changes of mix (text).
MIX_TITLE = "Incentive mix (share of target variable pay)"
#: The status a resolved finding is shown with (its status in the old version is kept as
#: ``old_status`` in JSON): the old version is checked without waivers or a baseline, so
#: that status was always "open", which said the opposite of what happened.
RESOLVED = "resolved"
#: Rows of each table in the markdown comment, to stay well inside GitHub's comment limit.
MARKDOWN_ROWS = 50


def percent(share: Any) -> str:
    return f"{round(float(share) * 100, 1):g} %"


def mix_texts(mix: pd.DataFrame) -> pd.Series:
    """Each plan's changes of mix (``Diff.mix``, in plan order) in words, by plan id:
    "speed 50 % → 30 %, customer (employee-controlled) 20 % → 40 %"."""
    if mix.empty:
        return pd.Series([], dtype=object)
    words = mix["pressure"].map(lambda p: MIX_WORDS.get(p, p)).to_numpy(dtype=object)
    before, after = (per_distinct(mix[side].to_numpy(dtype=np.float64), percent)
                     for side in ("old", "new"))
    return _by_plan(mix["plan_id"].to_numpy(dtype=object),
                    words + " " + before + " → " + after, ", ")


def _by_plan(plans: np.ndarray, phrases: np.ndarray, separator: str) -> pd.Series:
    """Each plan's ``phrases`` joined by ``separator``, by plan id, the rows being in plan
    order; joined by Arrow (a groupby joining them plan by plan took 0.9 s for 100,000
    plans, and a filter of the whole frame per plan was quadratic)."""
    starts = np.flatnonzero(np.append(True, plans[1:] != plans[:-1]))
    lists = pa.LargeListArray.from_arrays(pa.array(np.append(starts, len(plans))),
                                          pa.array(phrases, type=pa.large_string()))
    joined = pc.binary_join(lists, pa.scalar(separator, type=pa.large_string()))
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=plans[starts], dtype=object)


def _figure(value: Any) -> str:
    """A figure of pay as a diff writes it: with thousands separators, and cents where it
    has some; text (a currency, the redaction mark) as it is; ``n/a`` when missing."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return "n/a"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def pay_texts(pay: pd.DataFrame) -> pd.Series:
    """Each plan's changes of pay (``Diff.pay``) in words, by plan id, in order: "target
    variable pay EUR 3,200 → 6,400; pay at stake EUR 51,200 → 102,400". An amount is
    written in its version's currency, named again after the arrow when it is another (or
    was not said: no currency before "n/a")."""
    if pay.empty:
        return pd.Series([], dtype=object)
    money = pay["measure"].isin(MONEY_MEASURES).to_numpy(dtype=bool)
    was, now = (pay[f"{side}_currency"].fillna("").astype(str).to_numpy(dtype=object)
                for side in ("old", "new"))
    before, after = (per_distinct(pay[side].to_numpy(dtype=object), _figure)
                     for side in ("old", "new"))
    said = money & (was != "") & (before != "n/a")
    phrases = (pay["measure"].map(PAY_MEASURES).to_numpy(dtype=object) + " "
               + np.where(said, was + " ", "") + before + " → "
               + np.where(money & (now != "") & (after != "n/a") & (~said | (now != was)),
                          now + " ", "") + after)
    return _by_plan(pay["plan_id"].to_numpy(dtype=object), phrases, "; ")


def _records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    plain = findings.astype(object).where(findings.notna(), None)
    return cast(list[dict[str, Any]], plain.to_dict("records"))


def _finding(row: dict[str, Any]) -> str:
    from policycheck.formats.text_format import text_line

    line = text_line(row)
    if row.get("old_severity"):
        line = line.replace(f" {row['severity']} ", f" {row['severity']} (was "
                            f"{row['old_severity']}) ", 1)
    return line  # finding_line already tags a finding that is not open


def summary(diff: Diff) -> str:
    counts = (f"{len(diff.introduced)} introduced, {len(diff.raised)} raised, "
              f"{len(diff.resolved)} resolved")
    if len(diff.not_checked):
        counts += f", {len(diff.not_checked)} not checked"
    paid = len(diff.pay_plans)
    text = (f"{len(diff.old.profiles)} → {len(diff.new.profiles)} plans checked: "
            f"{len(diff.mix_plans)} with a changed mix, "
            + (f"{paid} with changed pay or headcount, " if paid else "")
            + f"{len(diff.plans_added)} added, {len(diff.plans_removed)} removed; findings: "
            f"{counts}.")
    if diff.fail_on != "none":
        failing = len(diff.failing)
        text += (f"\n{failing} new finding{'s' * (failing != 1)} at or above "
                 f"'{diff.fail_on}'.")
    return text


def _old_notes(diff: Diff) -> list[str]:
    """What the output says of the old version's errors: how many, and a path missing or
    without a plan on the old side (a typo, or a folder new in this change)."""
    errors = diff.old.errors
    counted = [f"the old version has {len(errors)} error{'s' * (len(errors) != 1)}; its "
               "invalid plans are not compared"] if errors else []
    return counted + [f"the old version's {p.location.file}: {p.message}"
                      for p in diff.old.problems if p.code in ("missing-path", "no-plans")]


#: The title of the findings of plans invalid in the new version, and why they are apart.
NOT_CHECKED = "Findings not checked in the new version"
NOT_CHECKED_WHY = ("their plans are invalid in the new version; fix their errors to know "
                   "whether these findings are resolved")


def _finding_groups(diff: Diff) -> tuple[tuple[str, pd.DataFrame, str, str | None], ...]:
    """Each group of findings the outputs list, in order: its title, its findings, a line
    that says why it is apart ("" when the title says it all), and the status a table shows
    for every one of them (None: each its own)."""
    return (("Introduced findings", diff.introduced, "", None),
            ("Findings with a raised severity", diff.raised, "", None),
            ("Resolved findings", diff.resolved, "", RESOLVED),
            (NOT_CHECKED, diff.not_checked, NOT_CHECKED_WHY, None))


def render_text(diff: Diff) -> str:
    from policycheck.formats.text_format import errors_line

    lines = [str(p) for p in diff.new.problems]
    lines += [f"note: {note}" for note in _old_notes(diff)]
    for title, texts in ((MIX_TITLE, mix_texts(diff.mix)), (PAY_TITLE, pay_texts(diff.pay))):
        if len(texts):
            lines.append(f"{title}:")
            lines += [f"  {plan}: {text}" for plan, text in texts.items()]
    for title, ids in (("Plans added", diff.plans_added), ("Plans removed", diff.plans_removed)):
        if ids:
            lines.append(f"{title}: {', '.join(ids)}")
    # a resolved finding's line says no status, as an open one's: its title says it
    for title, frame, why, _ in _finding_groups(diff):
        if len(frame):
            lines.append(f"{title} ({len(frame)}):")
            lines += [f"  note: {why}"] if why else []
            lines += [f"  {_finding(row)}" for row in _records(frame)]
    lines += summary(diff).split("\n")
    errors = len(diff.new.errors)
    if errors:  # after the count of plans, as check says it: a file that could not be
        # read has no plan to count
        lines.insert(len(lines) - (diff.fail_on != "none"),
                     errors_line(errors, " in the new version"))
    return "\n".join(lines) + "\n"


def _pay_json(pay: pd.DataFrame) -> list[dict[str, Any]]:
    """Per plan, its changes of pay and its currency in the new version (an amount is in
    its version's currency: ``changes.currency`` says the old one where it changed)."""
    plans: dict[str, dict[str, Any]] = {}
    for plan, measure, old, new, unit in zip(
            pay["plan_id"].tolist(), pay["measure"].tolist(), pay["old"].tolist(),
            pay["new"].tolist(), pay["new_currency"].tolist(), strict=True):
        entry = plans.setdefault(plan, {"plan_id": plan, "currency": unit, "changes": {}})
        entry["changes"][measure] = {"old": number(old), "new": number(new)}
    return list(plans.values())


def _mix_json(mix: pd.DataFrame) -> list[dict[str, Any]]:
    plans: dict[str, dict[str, Any]] = {}
    for plan, pressure, old, new in zip(mix["plan_id"].tolist(), mix["pressure"].tolist(),
                                        mix["old"].tolist(), mix["new"].tolist(), strict=True):
        plans.setdefault(plan, {})[pressure] = {"old": round(old, 6), "new": round(new, 6)}
    return [{"plan_id": plan, "changes": changes} for plan, changes in plans.items()]


def render_json(diff: Diff) -> str:
    from policycheck.formats.json_format import finding_json, problem_json

    def findings(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [finding_json(row) | ({"old_severity": row["old_severity"]}
                                     if "old_severity" in row else {})
                | ({"old_status": row["old_status"]} if "old_status" in row else {})
                for row in _records(frame)]

    data = {
        "version": __version__,
        "summary": {"plans_old": len(diff.old.profiles), "plans_new": len(diff.new.profiles),
                    "plans_added": len(diff.plans_added),
                    "plans_removed": len(diff.plans_removed),
                    "mix_changed": len(diff.mix_plans), "pay_changed": len(diff.pay_plans),
                    "introduced": len(diff.introduced),
                    "raised": len(diff.raised), "resolved": len(diff.resolved),
                    "not_checked": len(diff.not_checked), "fail_on": diff.fail_on,
                    "failing": len(diff.failing), "exit_code": diff.exit_code,
                    "old_errors": len(diff.old.errors)},
        "plans_added": list(diff.plans_added), "plans_removed": list(diff.plans_removed),
        "mix": _mix_json(diff.mix), "pay": _pay_json(diff.pay),
        "introduced": findings(diff.introduced), "raised": findings(diff.raised),
        "resolved": findings(diff.resolved.assign(old_status=diff.resolved["status"],
                                                  status=RESOLVED)),
        "not_checked": findings(diff.not_checked),
        "problems": [problem_json(p) for p in diff.new.problems],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _markdown_findings(title: str, frame: pd.DataFrame, room: float,
                       why: str = "", status: str | None = None) -> list[str]:
    """A table of the first MARKDOWN_ROWS findings of ``frame``, those that fit in ``room``
    characters, and how many more there are; under the title, ``why`` they are apart. The
    status column says ``status`` of every finding, else each one's own."""
    from policycheck.formats.markdown import escape, fitting, size, table_head, table_row

    if frame.empty:
        return []
    rows = [table_row((escape(r["severity"]) + (f" (was {escape(r['old_severity'])})"
                                                 if r.get("old_severity") else ""),
                       escape(status or r["status"]), f"`{escape(r['rule_id'])}`",
                       escape(r["plan_id"]),
                       escape(r["message"]))) for r in _records(frame.head(MARKDOWN_ROWS))]
    lines = ["", f"**{title} ({len(frame)})**", "",
             *([f"_{escape(why[:1].upper() + why[1:])}._", ""] if why else []),
             *table_head(("severity", "status", "rule", "plan", "message"))]
    rows = rows[:fitting(rows, room - size(lines) - _NOTE)]
    lines += rows
    if len(frame) > len(rows):
        lines.append(f"\nand {len(frame) - len(rows)} more")
    return lines


#: Room kept for a line that says how many more there are.
_NOTE = 100


def _changes_table(title: str, texts: pd.Series, room: float) -> list[str]:
    """A table of each plan's changes (``texts``, by plan id): the first MARKDOWN_ROWS, those
    that fit in ``room`` characters, and how many more there are."""
    from policycheck.formats.markdown import escape, fitting, table_head, table_row

    if texts.empty:
        return []
    rows = [table_row((escape(plan), escape(text)))
            for plan, text in texts.head(MARKDOWN_ROWS).items()]
    rows = rows[:fitting(rows, room - _NOTE)]
    more = [f"\nand {len(texts) - len(rows)} more plans"] if len(texts) > len(rows) else []
    return ["", title, "", *table_head(("plan", "change")), *rows, *more]


def render_markdown(diff: Diff) -> str:
    """The pull-request comment: within ``markdown.COMMENT_BUDGET`` characters (GitHub
    refuses a comment of more than 65,536); the mix takes at most a quarter, the changes of
    pay and the plans added and removed an eighth each, and the tables of findings share
    what is left."""
    from policycheck.formats.markdown import (
        COMMENT_BUDGET,
        escape,
        fitting,
        size,
    )

    failing = len(diff.failing)
    if diff.new.errors:
        verdict = "⚠️ could not check every plan"
    else:
        verdict = "❌ fail" if failing else "✅ pass"
    lines = [f"## policycheck diff: {verdict}", "", escape(summary(diff)).replace("\n", " ")]
    lines += [f"\n_Note: {escape(note)}._" for note in _old_notes(diff)]
    lines += _changes_table("**Incentive mix** (share of target variable pay)",
                            mix_texts(diff.mix), COMMENT_BUDGET / 4)
    lines += _changes_table(f"**{PAY_TITLE}**", pay_texts(diff.pay), COMMENT_BUDGET / 8)
    for title, ids in (("Plans added", diff.plans_added), ("Plans removed", diff.plans_removed)):
        if ids:
            names = [escape(i) for i in ids[:MARKDOWN_ROWS]]
            names = names[:fitting(names, COMMENT_BUDGET / 8 - _NOTE)]
            more = f" and {len(ids) - len(names)} more" if len(ids) > len(names) else ""
            lines += ["", f"**{title}:** " + ", ".join(names) + more]
    tables = _finding_groups(diff)
    room = COMMENT_BUDGET - size(lines)
    for left, (title, frame, why, status) in zip(range(len(tables), 0, -1), tables,
                                                 strict=True):
        part = _markdown_findings(title, frame, room / left, why, status)
        room -= size(part)
        lines += part
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Diff], str]] = {
    "text": render_text, "json": render_json, "markdown": render_markdown,
}
