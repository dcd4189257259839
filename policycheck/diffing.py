"""Diff: what a change to the plans does, for pull requests.

``diff_reports(old, new)`` is a pure function of two reports: per plan the change in
incentive mix (share of target variable pay by pressure: "speed 30 % → 55 %") and in pay
("target variable pay EUR 3,200 → 6,400; pay at stake EUR 51,200 → 102,400"), the findings
introduced and resolved (matched by fingerprint, so moving a plan or reordering a file
changes nothing), findings whose severity was raised, and the plans added and removed.
Findings of a plan the new version could not check (invalid in it) are not resolved: they
are "not checked", apart, since nothing says whether the change fixed them. The
gate (``Diff.exit_code``) looks only at what the change brings: an introduced or raised
finding, still open, at or above ``fail_on``. The diff in words (text, JSON, markdown) is
``formats.diff``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from policycheck.codes import among, distinct, positions
from policycheck.engine import SEVERITY_RANK, fill_fingerprints, severity_ranks
from policycheck.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USER_ERROR
from policycheck.model import PRESSURES
from policycheck.report import FAILING_STATUSES, Report

#: The mix a diff compares, by the name it says: a customer measure the employee controls
#: (an agent-sent survey) apart, as the report and the check's comment keep it, so that pay
#: moved onto one does not read as pay moved to the customer.
MIX_SHARES = {**{p: f"share_{p}" for p in PRESSURES if p != "customer"},
              "customer": "share_customer_trusted",
              "customer_controlled": "share_customer_controlled"}
MIX_ORDER = ("speed", "cost", "sales", "customer", "customer_controlled", "neutral")
#: The figures of a plan's pay a diff compares, in the order it says them, with their words.
PAY_MEASURES = {"target_variable": "target variable pay", "headcount": "headcount",
                "pay_at_stake": "pay at stake", "currency": "currency"}
#: Those of them that are amounts in the plan's currency: hidden in a redacted diff.
MONEY_MEASURES = ("target_variable", "pay_at_stake")


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
