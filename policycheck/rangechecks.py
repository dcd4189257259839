"""Checks within a row: a range between two of its fields (dates, factors, a plan's maximum
and target pay), a gate's bounds, a threshold on the wrong side of its target, a curve whose
attainment goes back.

Like ``checks``, each finds its failing rows with whole-frame operations; only those rows
are turned into problems.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from policycheck.cellproblems import Rows, masked_problems
from policycheck.errors import Problem, number_text


def within_rows(frames: dict[str, pd.DataFrame], twice: pd.Series) -> list[Problem]:
    """The problems of each table's rows on their own; ``twice``: plan ids defined more than
    once, whose curve points are left out (they would read as one curve going back)."""
    problems = _plan_ranges(frames["plans"])
    problems += _gates(frames["gates"])
    problems += _threshold_sides(frames["components"], frames["kpis"])
    problems += _between(frames["modifiers"], "factor_min", "factor_max", "modifier",
                         "modifier_id", ("is above", "at most"))
    problems += _between(frames["campaigns"], "start", "end", "campaign", "campaign_id",
                         ("is after", "on or before"))
    problems += _curve_points(without_plans(frames["curve_points"], twice),
                              without_plans(frames["components"], twice))
    return problems


def _plan_ranges(plans: pd.DataFrame) -> list[Problem]:
    problems = _between(plans, "effective_from", "effective_to", "plan", "plan_id",
                        ("is after", "on or before"))
    below = plans["max_variable"].notna() & (plans["max_variable"] < plans["target_variable"])
    problems += masked_problems(
        plans, below, "max_variable", "out-of-range", "plan", "plan_id",
        lambda rows: (f"max_variable: got {number_text(most)}, expected at least "
                      f"target_variable ({number_text(target)})"
                      for most, target in zip(rows.values("max_variable"),
                                              rows.values("target_variable"),
                                              strict=True)))
    return problems


def _between(frame: pd.DataFrame, low: str, high: str, label: str, key: str,
             words: tuple[str, str]) -> list[Problem]:
    """``low`` must not pass ``high``; ``words`` say how it passed it and what was expected,
    e.g. ("is after", "on or before")."""
    reversed_ = frame[low].notna() & frame[high].notna() & (frame[low] > frame[high])

    def show(value: object) -> str:
        return value.date().isoformat() if isinstance(value, pd.Timestamp) else \
            number_text(value)  # type: ignore[arg-type]

    return masked_problems(
        frame, reversed_, low, "reversed-range", label, key,
        lambda rows: (f"{low} {show(a)} {words[0]} {high} {show(b)}; expected {low} "
                      f"{words[1]} {high}" for a, b in zip(rows.values(low),
                                                          rows.values(high),
                                                          strict=True)))


def _gates(gates: pd.DataFrame) -> list[Problem]:
    both = gates["min"].notna() & gates["max"].notna()
    neither = gates["min"].isna() & gates["max"].isna()

    def got(low: float, high: float) -> str:
        if pd.isna(low):  # neither is given
            return "got neither min nor max"
        return f"got both min {number_text(low)} and max {number_text(high)}"

    problems = masked_problems(
        gates, both | neither, "min", "gate-bound", "gate", "gate_id",
        lambda rows: (f"{got(low, high)}; expected exactly one of them (min for a "
                      "KPI where higher is better, max where lower is better)"
                      for low, high in zip(rows.values("min"), rows.values("max"),
                                           strict=True)))
    no_pct = (gates["effect"] == "reduce") & gates["reduce_pct"].isna()
    problems += masked_problems(
        gates, no_pct, "reduce_pct", "missing-field", "gate", "gate_id",
        lambda rows: ["effect is 'reduce' but reduce_pct is missing; expected a "
                      "percentage from 0 to 100"] * len(rows))
    return problems


def _threshold_sides(components: pd.DataFrame, kpis: pd.DataFrame) -> list[Problem]:
    """A warning for a threshold past the target on its KPI's better side (above it where
    higher is better): pay would start only beyond the target, which the curve pays in
    full. Kept, since it may be meant, but read so it moves the payout sensitivity without a
    word (a threshold of 78 with a target of 65 made FCR's step worth a fifth)."""
    target = components["target"].to_numpy(dtype=np.float64, na_value=np.nan)
    threshold = components["threshold"].to_numpy(dtype=np.float64, na_value=np.nan)
    both = ~np.isnan(target) & ~np.isnan(threshold) & (target != threshold)
    if not both.any():
        return []
    direction = pd.Series(kpis["direction"].to_numpy(dtype=object),
                          index=kpis["kpi_id"].to_numpy(dtype=object))
    directions = components["kpi"].map(direction).to_numpy(dtype=object)
    higher = directions == "higher"
    wrong = both & np.where(higher, threshold > target, (directions == "lower") & (threshold
                                                                                   < target))
    rows = Rows(components, np.flatnonzero(wrong))
    return rows.problems("threshold", "threshold-side", "component", "component_id", (
        f"threshold {number_text(low)} is {'above' if up else 'below'} target "
        f"{number_text(goal)}, though {'higher' if up else 'lower'} is better for "
        f"'{kpi}': pay starts only past the target; expected a threshold "
        f"{'below' if up else 'above'} the target"
        for low, goal, up, kpi in zip(rows.values("threshold"), rows.values("target"),
                                      higher[rows.at].tolist(), rows.values("kpi"),
                                      strict=True)), severity="warning") if len(rows) else []


def without_plans(frame: pd.DataFrame, plan_ids: pd.Series) -> pd.DataFrame:
    """The rows of other plans than these, numbered from 0."""
    if plan_ids.empty:
        return frame
    return frame[~frame["plan_id"].isin(plan_ids)].reset_index(drop=True)


def _curve_points(points: pd.DataFrame, components: pd.DataFrame) -> list[Problem]:
    """Attainment must rise from point to point; payout may not be negative."""
    if points.empty:
        return []
    same = points["component_id"].eq(points["component_id"].shift()) & \
        points["plan_id"].eq(points["plan_id"].shift())
    previous = points["attainment"].shift()
    not_rising = same & (points["attainment"] <= previous)
    negative = points["payout"] < 0
    bad = points[not_rising | negative].drop_duplicates(["plan_id", "component_id"])
    if bad.empty:
        return []
    # Only the first bad point of each component is described: one problem per component.
    why = [f"payout {number_text(p)} at attainment {number_text(a)} is below 0"
           if p < 0 else f"attainment {number_text(a)} comes after {number_text(b)}"
           for a, p, b in zip(bad["attainment"], bad["payout"], previous[bad.index],
                              strict=True)]
    found = bad[["plan_id", "component_id"]].assign(_why=why)
    reasons = components[["plan_id", "component_id"]].merge(
        found, on=["plan_id", "component_id"], how="left")["_why"]
    return masked_problems(
        components, reasons.notna().to_numpy(), "curve_points", "invalid-value",
        "component", "component_id",
        lambda rows: (f"curve_points: {reason}; expected attainment rising from point "
                      "to point and payouts of 0 or more"
                      for reason in reasons.take(rows.at).tolist()))
