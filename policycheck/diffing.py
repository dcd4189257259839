"""Diff: what a change to the plans does, for pull requests.

``diff_reports(old, new)`` is a pure function of two reports: per plan the change in
incentive mix (share of target variable pay by pressure: "speed 30 % → 55 %") and in pay
("target variable pay EUR 3,200 → 6,400; pay at stake EUR 51,200 → 102,400"), the findings
introduced and resolved (matched by fingerprint, so moving a plan or reordering a file
changes nothing), findings whose severity was raised, and the plans added and removed.
Findings of a plan the new version could not check (invalid in it) are not resolved: they
are "not checked", apart, since nothing says whether the change fixed them. The
gate (``Diff.exit_code``) looks only at what the change brings: an introduced or raised
finding, still open, at or above ``fail_on``. Renderers: ``RENDERERS`` (text, json,
markdown), each a pure function of the Diff.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck import __version__
from policycheck.codes import among, distinct, per_distinct, positions
from policycheck.engine import SEVERITY_RANK, fill_fingerprints, severity_ranks
from policycheck.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USER_ERROR
from policycheck.formats.jsontext import number
from policycheck.model import PRESSURES
from policycheck.report import FAILING_STATUSES, Report
from policycheck.wording import is_missing

#: The mix a diff compares, by the name it says: a customer measure the employee controls
#: (an agent-sent survey) apart, as the report and the check's comment keep it, so that pay
#: moved onto one does not read as pay moved to the customer.
MIX_SHARES = {**{p: f"share_{p}" for p in PRESSURES if p != "customer"},
              "customer": "share_customer_trusted",
              "customer_controlled": "share_customer_controlled"}
MIX_ORDER = ("speed", "cost", "sales", "customer", "customer_controlled", "neutral")
#: How the text and markdown name each share.
MIX_WORDS = {"customer_controlled": "customer (employee-controlled)"}
#: The figures of a plan's pay a diff compares, in the order it says them, with their words.
PAY_MEASURES = {"target_variable": "target variable pay", "headcount": "headcount",
                "pay_at_stake": "pay at stake", "currency": "currency"}
#: Those of them that are amounts in the plan's currency: hidden in a redacted diff.
MONEY_MEASURES = ("target_variable", "pay_at_stake")
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


@dataclasses.dataclass(frozen=True)
class Diff:
    old: Report
    new: Report
    plans_added: tuple[str, ...]
    plans_removed: tuple[str, ...]
    #: plan_id, pressure, old, new: one row per share that changed, plans in order.
    mix: pd.DataFrame
    #: plan_id, measure (``PAY_MEASURES``), old, new, old_currency, new_currency: one row
    #: per figure of a plan's pay that changed, plans in order (``pay_changes``).
    pay: pd.DataFrame
    introduced: pd.DataFrame
    resolved: pd.DataFrame
    #: Findings of both versions now more severe; ``old_severity`` says what it was.
    raised: pd.DataFrame
    #: Findings of the old version whose plans are invalid in the new one, so unchecked.
    not_checked: pd.DataFrame

    @property
    def fail_on(self) -> str:
        return self.new.fail_on

    @property
    def failing(self) -> pd.DataFrame:
        """Introduced or raised findings, still open, at or above ``fail_on``."""
        brought = pd.concat([self.introduced, self.raised.drop(columns="old_severity")],
                            ignore_index=True)
        if self.fail_on == "none" or brought.empty:
            return brought.iloc[0:0]
        rank = severity_ranks(brought["severity"])
        return brought[(rank <= SEVERITY_RANK[self.fail_on])
                       & brought["status"].isin(FAILING_STATUSES).to_numpy(dtype=bool)]

    @property
    def exit_code(self) -> int:
        if self.new.errors:
            return EXIT_USER_ERROR
        return EXIT_FINDINGS if len(self.failing) else EXIT_OK

    @property
    def mix_plans(self) -> list[str]:
        return list(dict.fromkeys(self.mix["plan_id"]))

    @property
    def pay_plans(self) -> list[str]:
        return list(dict.fromkeys(self.pay["plan_id"]))


def _invalid_ids(report: Report) -> set[str]:
    return {p.plan_id for p in report.errors if p.plan_id}


def _unchecked(findings: pd.DataFrame, report: Report) -> np.ndarray:
    """Which of ``findings`` are of plans ``report`` could not check (invalid in it): that
    it has none of them says nothing of whether they are fixed."""
    invalid = pd.Series(sorted(_invalid_ids(report)), dtype=object)
    return among(findings["plan_id"], invalid)


def mix_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The pressure shares that differ between the two profiles, for plans in both."""
    columns = ["plan_id", *(MIX_SHARES[name] for name in MIX_ORDER)]
    both = old[columns].merge(new[columns], on="plan_id", suffixes=("_old", "_new"))
    long = pd.concat([pd.DataFrame({
        "plan_id": both["plan_id"], "pressure": name, "order": index,
        "old": both[f"{MIX_SHARES[name]}_old"].astype("float64"),
        "new": both[f"{MIX_SHARES[name]}_new"].astype("float64")})
        for index, name in enumerate(MIX_ORDER)], ignore_index=True)
    # Shares come from integer basis points: a real change is at least 0.0001.
    changed = long[(long["new"] - long["old"]).abs() > 1e-9]
    return changed.sort_values(["plan_id", "order"]).drop(columns="order") \
        .reset_index(drop=True)


def pay_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The figures of pay (``PAY_MEASURES``) that differ between the two profiles, for
    plans in both, with each version's currency; a figure missing in both is no change."""
    columns = ["plan_id", *PAY_MEASURES]
    both = old[columns].merge(new[columns], on="plan_id", suffixes=("_old", "_new"))
    units = [both[f"currency_{side}"].astype(object).where(both[f"currency_{side}"].notna(),
                                                           None) for side in ("old", "new")]
    parts = []
    for order, name in enumerate(PAY_MEASURES):
        if name == "currency":
            was, now = units
            changed = (was.fillna("") != now.fillna("")).to_numpy(dtype=bool)
        else:
            was, now = (both[f"{name}_{side}"].astype("float64") for side in ("old", "new"))
            a, b = was.to_numpy(), now.to_numpy()
            changed = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        parts.append(pd.DataFrame({
            "plan_id": both["plan_id"][changed], "measure": name, "order": order,
            "old": was[changed].astype(object), "new": now[changed].astype(object),
            "old_currency": units[0][changed], "new_currency": units[1][changed]}))
    changes = pd.concat(parts, ignore_index=True)
    return changes.sort_values(["plan_id", "order"], kind="stable").drop(columns="order") \
        .reset_index(drop=True)


def _raised(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Findings of both versions, more severe in ``after``, with their ``old_severity``."""
    if not distinct(before["fingerprint"]):  # one twice: each pair, as a merge gives it
        pairs = after.merge(before[["fingerprint", "severity"]].rename(
            columns={"severity": "old_severity"}), on="fingerprint")
        return pairs[severity_ranks(pairs["severity"])
                     < severity_ranks(pairs["old_severity"])]
    at = positions(after["fingerprint"], before["fingerprint"])  # -1: not before
    old_rank = np.append(severity_ranks(before["severity"]), np.nan)[at]
    rows = np.flatnonzero(severity_ranks(after["severity"]) < old_rank)
    return after.iloc[rows].assign(
        old_severity=before["severity"].iloc[at[rows]].array)


def _as_old(report: Report) -> Report:
    """``report`` as the old side of a diff: a folder of no plan there is a folder the
    change brings plans to, said in a note (``_old_notes``), not an error of the old version."""
    if not any(p.code == "no-plans" and p.severity == "error" for p in report.problems):
        return report
    return dataclasses.replace(report, problems=tuple(
        dataclasses.replace(p, severity="warning") if p.code == "no-plans" else p
        for p in report.problems))


def diff_reports(old: Report, new: Report) -> Diff:
    """What changed from ``old`` to ``new``; ``new.fail_on`` gates."""
    old = _as_old(old)
    old_ids, new_ids = set(old.profiles["plan_id"]), set(new.profiles["plan_id"])
    before, after = fill_fingerprints(old.findings), fill_fingerprints(new.findings)
    was, now = before["fingerprint"], after["fingerprint"]
    # ``among``: pandas' isin took 11 s for two versions of 100,000 plans
    introduced = after[~among(now, was)]
    gone = before[~among(was, now)]
    unchecked = _unchecked(gone, new)
    raised = _raised(before, after)
    return Diff(old=old, new=new,
                plans_added=tuple(sorted(new_ids - old_ids - _invalid_ids(old))),
                plans_removed=tuple(sorted(old_ids - new_ids - _invalid_ids(new))),
                mix=mix_changes(old.profiles, new.profiles),
                pay=pay_changes(old.profiles, new.profiles),
                introduced=introduced.reset_index(drop=True),
                resolved=gone[~unchecked].reset_index(drop=True),
                raised=raised.reset_index(drop=True),
                not_checked=gone[unchecked].reset_index(drop=True))


def redacted(diff: Diff) -> Diff:
    """``diff`` with pay hidden (``formats.redact``) in all it shows: its findings, and its
    reports' problems and profiles. Its reports keep no findings: a diff shows those it
    found, and redacting every finding of both versions first took 2 s and 0.5 GB at
    100,000 plans."""
    from policycheck.formats.redact import REDACTED, redact_around, redact_findings

    old, new = (dataclasses.replace(redact_around(r), findings=r.findings.iloc[0:0])
                for r in (diff.old, diff.new))
    pay = diff.pay.copy()  # headcount and currency are kept, as in the profiles
    pay.loc[pay["measure"].isin(MONEY_MEASURES).to_numpy(dtype=bool), ["old", "new"]] = REDACTED
    return dataclasses.replace(
        diff, old=old, new=new, pay=pay,
        introduced=redact_findings(diff.introduced, diff.new.rules),
        raised=redact_findings(diff.raised, diff.new.rules),
        resolved=redact_findings(diff.resolved, diff.old.rules),
        not_checked=redact_findings(diff.not_checked, diff.old.rules))


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
