"""The alignment score of each plan, the ranking by exposure and the organisation roll-ups.

The score (docs/alignment-score.md) starts at 100 and loses three kinds of points:

* mix, up to ``pull_points`` (40): that many points times the share of variable pay on speed,
  cost and sales measures, where the part of it guarded by a customer gate, modifier or
  clawback counts ``guarded_factor`` (half);
* worst flag, up to 40: ``worst_points`` of the most severe open finding (critical 40,
  high 25, medium 10, low 3);
* breadth, up to ``max_breadth_points`` (20): one point for every further open high or
  critical finding.

Misalignment is ``1 − score/100``; exposure is headcount × target variable pay × misalignment,
that is the part of the pay at stake that the plan's design puts at odds with the customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from policycheck.codes import positions
from policycheck.engine import severity_ranks
from policycheck.rulesections import SEVERITIES

WORST_POINTS = {"critical": 40.0, "high": 25.0, "medium": 10.0, "low": 3.0, "info": 0.0}
BANDS = ("misaligned", "at risk", "aligned")
#: Finding statuses that are shown but do not count (a reopened waiver counts again).
SET_ASIDE = ("waived", "baselined")


@dataclass(frozen=True)
class ScoreWeights:
    """The constants of the score; the defaults are the documented formula."""

    pull_points: float = 40.0
    guarded_factor: float = 0.5
    worst_points: Mapping[str, float] = field(default_factory=lambda: dict(WORST_POINTS))
    breadth_points: float = 1.0
    max_breadth_points: float = 20.0
    serious: tuple[str, ...] = ("critical", "high")
    #: Scores below ``misaligned_below`` are "misaligned"; from ``aligned_from`` "aligned".
    misaligned_below: float = 50.0
    aligned_from: float = 80.0


def counted(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings that count: all but the waived and baselined ones."""
    if "status" not in findings:
        return findings
    return findings[~findings["status"].isin(SET_ASIDE)]


def severity_counts(findings: pd.DataFrame, plan_ids: pd.Series | np.ndarray) -> pd.DataFrame:
    """Counted findings per plan and severity, one column per severity, in plan order.

    Counted by codes (a crosstab aggregates group by group in Python: 2.7 s for 833,392
    findings of 100,000 plans)."""
    open_ = counted(findings)
    width = len(SEVERITIES)
    plans, distinct = pd.factorize(open_["plan_id"])  # as held: no Python object a finding
    # a severity's rank is its column (-1: none, or not a severity)
    severity = np.nan_to_num(severity_ranks(open_["severity"]), nan=-1).astype(np.int64)
    known = (plans >= 0) & (severity >= 0)  # a finding without a plan or of no severity
    per_plan = np.bincount(plans[known] * width + severity[known],
                           minlength=len(distinct) * width).reshape(len(distinct), width)
    at = positions(plan_ids, distinct)
    counts = np.vstack([per_plan, np.zeros((1, width), dtype=np.int64)])[at]  # -1: none
    return pd.DataFrame(counts.astype(np.int64), columns=list(SEVERITIES))


def alignment(profiles: pd.DataFrame, findings: pd.DataFrame,
              weights: ScoreWeights | None = None) -> pd.DataFrame:
    """One row per plan (profile order): score parts, score, band, misalignment, exposure."""
    weights = weights or ScoreWeights()
    counts = severity_counts(findings, profiles["plan_id"])
    pull = profiles["pull_share"].to_numpy(dtype=np.float64)
    guarded = profiles["guarded_pull_share"].to_numpy(dtype=np.float64)
    pull_points = weights.pull_points * ((pull - guarded) + weights.guarded_factor * guarded)
    present = counts.to_numpy() > 0
    worst = np.array([weights.worst_points.get(s, 0.0) for s in counts.columns])
    worst_points = np.where(present, worst, 0.0).max(axis=1, initial=0.0)
    serious = counts[[s for s in counts.columns if s in weights.serious]].to_numpy().sum(axis=1)
    breadth_points = np.minimum(weights.breadth_points * np.maximum(serious - 1, 0),
                                weights.max_breadth_points).astype(np.float64)
    score = np.clip(np.round(100.0 - pull_points - worst_points - breadth_points), 0, 100)
    band = np.where(score < weights.misaligned_below, BANDS[0],
                    np.where(score >= weights.aligned_from, BANDS[2], BANDS[1]))
    headcount = profiles["headcount"].astype("float64").to_numpy(na_value=np.nan)
    target = profiles["target_variable"].to_numpy(dtype=np.float64)
    misalignment = 1.0 - score / 100.0
    out = pd.DataFrame({"plan_id": profiles["plan_id"].to_numpy()})
    out[list(counts.columns)] = counts.to_numpy()
    out["pull_points"] = np.round(pull_points, 1)
    out["worst_points"] = worst_points
    out["breadth_points"] = breadth_points
    out["score"] = score.astype(np.int64)
    out["band"] = band
    out["misalignment"] = misalignment
    out["exposure"] = np.round(headcount * target * misalignment, 2)
    out["rank"] = exposure_rank(out)
    return out


def exposure_rank(scored: pd.DataFrame) -> np.ndarray:
    """1 = most exposed. Ties and unknown headcounts (ranked last) break by lower score,
    then plan id, so the order is deterministic."""
    order = np.lexsort((scored["plan_id"].to_numpy(dtype=str),
                        scored["score"].to_numpy(),
                        -scored["exposure"].fillna(-1.0).to_numpy(dtype=np.float64)))
    rank = np.empty(len(scored), dtype=np.int64)
    rank[order] = np.arange(1, len(scored) + 1)
    return rank


def rollup(table: pd.DataFrame, by: str, misaligned: str = BANDS[0]) -> pd.DataFrame:
    """Sum people and pay over ``by`` with a people-weighted mean score.

    ``table`` has one row per person-group: ``by``, ``plan_id``, ``people``, ``pay_at_stake``
    (total for those people), ``score``, ``band`` and ``currency``."""
    work = table.assign(
        weighted=table["score"] * table["people"],
        people_misaligned=table["people"].where(table["band"] == misaligned, 0),
        pay_misaligned=table["pay_at_stake"].where(table["band"] == misaligned, 0.0))
    grouped = work.groupby([by, "currency"], sort=True, dropna=False)
    out = grouped.agg(plans=("plan_id", "nunique"), people=("people", "sum"),
                      people_misaligned=("people_misaligned", "sum"),
                      pay_at_stake=("pay_at_stake", "sum"),
                      pay_misaligned=("pay_misaligned", "sum"), weighted=("weighted", "sum"))
    out["score"] = np.round(out.pop("weighted") / out["people"].where(out["people"] > 0))
    return out.reset_index().sort_values(["people_misaligned", by], ascending=[False, True],
                                         kind="stable").reset_index(drop=True)


def by_role_kind(profiles: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """Roll-up per role kind, from each plan's headcount."""
    people = profiles["headcount"].astype("float64").fillna(0.0)
    table = pd.DataFrame({"role_kind": profiles["role_kind"], "plan_id": profiles["plan_id"],
                          "people": people.astype(np.int64),
                          "pay_at_stake": profiles["pay_at_stake"].fillna(0.0),
                          "score": scored["score"], "band": scored["band"],
                          "currency": profiles["currency"].fillna("")})
    return rollup(table, "role_kind")


def by_org_unit(employees: pd.DataFrame | None, profiles: pd.DataFrame,
                scored: pd.DataFrame) -> pd.DataFrame:
    """Roll-up per org unit from the employees table (one row per employee); empty when
    there is no employees table."""
    if employees is None or employees.empty or "org_unit" not in employees:
        return pd.DataFrame(columns=["org_unit", "currency", "plans", "people",
                                     "people_misaligned", "pay_at_stake", "pay_misaligned",
                                     "score"])
    rows = employees.dropna(subset=["plan_idx"])
    idx = rows["plan_idx"].to_numpy(dtype=np.int64)
    table = pd.DataFrame({
        "org_unit": rows["org_unit"].fillna("(none)").to_numpy(dtype=object),
        "plan_id": profiles["plan_id"].to_numpy()[idx], "people": 1,
        "pay_at_stake": profiles["target_variable"].to_numpy(dtype=np.float64)[idx],
        "score": scored["score"].to_numpy()[idx], "band": scored["band"].to_numpy()[idx],
        "currency": profiles["currency"].fillna("").to_numpy(dtype=object)[idx]})
    return rollup(table, "org_unit")
