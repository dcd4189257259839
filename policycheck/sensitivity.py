"""Payout sensitivity: what one step of improvement on each KPI is worth to the employee.

For every component: the extra annual pay an employee earns by moving the KPI one step
(``CurveParams.step``, 10 % of target by default) in the direction the plan rewards, starting
from target attainment, with the other components at target. The model (docs/sensitivity.md):

* attainment ``a`` (in %) of a KPI value ``x`` with target ``t``: ``100·x/t`` when higher is
  better; when lower is better ``100·(2 − x/t)`` ("mirror", so a 10 % cut is +10 points) or
  ``100·t/x`` ("ratio");
* the base line runs through ``(a_h, p_h)`` and ``(100, 100)``: ``a_h`` is the attainment of
  the threshold, ``p_h`` = ``threshold_payout``; nothing is paid below ``a_h``; without a
  threshold the line is ``payout = attainment``, and so it is from a threshold at or past
  target on (nothing below it: all or nothing at the threshold);
* curves: linear follows the line; accelerating / decelerating multiply its slope above 100 %
  by ``accelerating_slope`` / ``decelerating_slope``; stepped pays the line at the last step
  of ``step_points`` reached (steps anchored at 100 %); retroactive multiplies the whole payout
  by the tier rate reached, ``1 + retroactive_uplift`` per ``retroactive_tier_points`` above
  100 %, so the rate reached applies to every unit;
* ``curve_points`` override the curve: linear interpolation between the points (a step
  function, each point held until the next, when the curve is ``stepped``), nothing below the
  first point, and beyond the last point the last segment extended (``beyond_last_point``);
* caps: a component pays at most ``cap``·100 % of its target pay, and the plan's
  ``max_variable`` limits what the step can add on top of the pay at target;
* all or nothing: where one step short of target pays nothing and target pays (a threshold
  at or within one step of target, curve points that start there), the step valued is the
  one that reaches target, when it pays more than the step above target.

Everything is numpy over all components at once; there is no loop over plans.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policycheck.codes import group_firsts, positions
from policycheck.model import BASIS_POINTS
from policycheck.profile import PULL_PRESSURES, by_kpi, employee_controlled, kpi_rows

_EPS = 1e-9


@dataclass(frozen=True)
class CurveParams:
    """The constants of the curve model; every one can be changed by the caller."""

    step: float = 0.10
    threshold_payout: float = 0.0
    accelerating_slope: float = 2.0
    decelerating_slope: float = 0.5
    step_points: float = 10.0
    retroactive_tier_points: float = 10.0
    retroactive_uplift: float = 0.2
    lower_attainment: str = "mirror"
    beyond_last_point: str = "extend"

    def __post_init__(self) -> None:
        if not 0 < self.step < 1:
            raise ValueError(f"step must be between 0 and 1, got {self.step}")
        if self.accelerating_slope <= 1 or not 0 <= self.decelerating_slope < 1:
            raise ValueError("accelerating_slope must be > 1 and decelerating_slope in [0, 1)")
        if self.step_points <= 0 or self.retroactive_tier_points <= 0:
            raise ValueError("step_points and retroactive_tier_points must be positive")
        if self.lower_attainment not in ("mirror", "ratio"):
            raise ValueError("lower_attainment must be 'mirror' or 'ratio'")
        if self.beyond_last_point not in ("extend", "flat"):
            raise ValueError("beyond_last_point must be 'extend' or 'flat'")


def attainment(value: np.ndarray, target: np.ndarray, lower: np.ndarray,
               params: CurveParams) -> np.ndarray:
    """Attainment in % of KPI values against their targets (NaN where undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = value / target
        if params.lower_attainment == "mirror":
            low = 100.0 * (2.0 - ratio)
        else:
            low = 100.0 * target / value
        out = np.where(lower, low, 100.0 * ratio)
    return np.where(np.isfinite(out) & (target > 0), out, np.nan)


def attainment_step(target: np.ndarray, lower: np.ndarray, percent_unit: np.ndarray,
                    params: CurveParams) -> tuple[np.ndarray, np.ndarray]:
    """The KPI move of one step (signed, in KPI units) and the attainment points it adds.

    A higher-is-better KPI in percent cannot pass 100 %, so its step stops there."""
    move = params.step * np.abs(target)
    room = np.where(percent_unit & ~lower, np.maximum(100.0 - target, 0.0), np.inf)
    move = np.minimum(move, room)
    after = np.where(lower, target - move, target + move)
    points = np.round(attainment(after, target, lower, params) - 100.0, 9)
    relative = 100.0 * (1.0 / (1.0 - params.step) - 1.0)
    default = np.where(lower & (params.lower_attainment == "ratio"), relative,
                       100.0 * params.step)
    return np.where(lower, -move, move), np.where(np.isnan(points), default, points)


def base_line(att: np.ndarray, threshold_att: np.ndarray, params: CurveParams) -> np.ndarray:
    """Payout % on the line through the threshold and (100, 100); 0 below the threshold."""
    has = np.isfinite(threshold_att) & (threshold_att < 100.0)
    start = np.where(has, threshold_att, 0.0)
    floor = np.where(has, params.threshold_payout, 0.0)
    slope = (100.0 - floor) / (100.0 - start)
    line = floor + slope * (att - start)
    return np.where(att < start - _EPS, 0.0, np.maximum(line, 0.0))


def formula_payout(att: np.ndarray, curve: np.ndarray, threshold_att: np.ndarray,
                   params: CurveParams) -> np.ndarray:
    """Payout % of the five curve kinds, without curve points and before caps. A threshold
    at or past target leaves the curve as it is without one, and nothing is paid below it."""
    with np.errstate(invalid="ignore"):
        short = (threshold_att >= 100.0) & (att < threshold_att - _EPS)
    return np.where(short, 0.0, _curve_shape(att, curve, threshold_att, params))


def _curve_shape(att: np.ndarray, curve: np.ndarray, threshold_att: np.ndarray,
                 params: CurveParams) -> np.ndarray:
    line = base_line(att, threshold_att, params)
    at_target = base_line(np.full_like(att, 100.0), threshold_att, params)
    slope = base_line(np.full_like(att, 101.0), threshold_att, params) - at_target
    above = np.maximum(att - 100.0, 0.0)
    stepped_att = 100.0 + params.step_points * np.floor(
        (att - 100.0) / params.step_points + _EPS)
    tiers = np.floor((att - 100.0) / params.retroactive_tier_points + _EPS)
    rate = np.maximum(1.0 + params.retroactive_uplift * tiers, 0.0)
    return np.select(
        [curve == "accelerating", curve == "decelerating", curve == "stepped",
         curve == "retroactive"],
        [np.where(att > 100.0, at_target + params.accelerating_slope * slope * above, line),
         np.where(att > 100.0, at_target + params.decelerating_slope * slope * above, line),
         base_line(stepped_att, threshold_att, params),
         line * rate],
        line)


def points_payout(owner: np.ndarray, att: np.ndarray, points: pd.DataFrame,
                  stepped: np.ndarray, params: CurveParams) -> np.ndarray:
    """Payout % from curve points for query rows (``owner`` = component row, -1 = none).

    ``points`` has columns ``row`` (component row), ``attainment`` and ``payout``."""
    out = np.full(len(att), np.nan)
    ask = (owner >= 0) & np.isfinite(att)
    if points.empty or not ask.any():
        return out
    pts = points.sort_values(["row", "attainment"], kind="stable")
    rows = pts["row"].to_numpy(dtype=np.int64)
    x, y = pts["attainment"].to_numpy(np.float64), pts["payout"].to_numpy(np.float64)
    low, high = x.min(), x.max()
    span = high - low + 1.0
    keys = rows + (x - low) / span  # one sorted axis: component row, then attainment
    who, q = owner[ask], att[ask]
    start = np.searchsorted(rows, who, side="left")
    last = np.maximum(np.searchsorted(rows, who, side="right") - 1, start)
    pos = np.searchsorted(keys, who + (np.clip(q, low, high) - low) / span, side="right") - 1
    pos = np.clip(pos, start, last)
    nxt = np.minimum(pos + 1, last)
    # Between two points: that segment. At or past the last point: the last segment, so
    # that "extend" carries its slope on (a single point has no slope).
    left = np.where((pos == last) & (last > start), last - 1, pos)
    right = np.where(pos == last, last, nxt)
    width = x[right] - x[left]
    slope = np.divide(y[right] - y[left], width, out=np.zeros(len(q)), where=width > 0)
    beyond = q > x[last]
    if params.beyond_last_point == "flat":
        slope = np.where(beyond, 0.0, slope)
    value = np.where(beyond, y[last] + slope * (q - x[last]), y[left] + slope * (q - x[left]))
    value = np.where(stepped[who], y[pos], value)
    out[ask] = np.where(q < x[start], 0.0, np.maximum(value, 0.0))
    return out


def _point_rows(components: pd.DataFrame, curve_points: pd.DataFrame) -> pd.DataFrame:
    """Curve points with the row number of their component."""
    if curve_points.empty:
        return pd.DataFrame({"row": [], "attainment": [], "payout": []})
    keys = pd.MultiIndex.from_arrays([components["plan_idx"].to_numpy(),
                                      components["component_id"].to_numpy()])
    asked = pd.MultiIndex.from_arrays([curve_points["plan_idx"].to_numpy(),
                                       curve_points["component_id"].astype(object).to_numpy()])
    row = keys.get_indexer(asked)
    chosen = row >= 0
    return pd.DataFrame({"row": row[chosen],
                         "attainment": curve_points["attainment"].to_numpy()[chosen],
                         "payout": curve_points["payout"].to_numpy()[chosen]})
def curve_payout(att: np.ndarray, components: pd.DataFrame, threshold_att: np.ndarray,
                 point_rows: pd.DataFrame, params: CurveParams) -> np.ndarray:
    """Payout % of every component at attainments ``att`` (one per component), before caps:
    the curve points where a component has them, the curve formula otherwise."""
    curve = components["curve"].fillna("linear").to_numpy(dtype=object)
    formula = formula_payout(att, curve, threshold_att, params)
    has_points = np.zeros(len(components), dtype=bool)
    has_points[point_rows["row"].to_numpy(dtype=np.int64)] = True
    owner = np.where(has_points, np.arange(len(components)), -1)
    drawn = points_payout(owner, att, point_rows, curve == "stepped", params)
    return np.where(has_points, drawn, formula)


def _kpi_columns(components: pd.DataFrame, kpis: pd.DataFrame,
                 columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    rows = kpi_rows(components, kpis)
    return {c: by_kpi(rows, kpis[c].to_numpy(dtype=object), np.nan) for c in columns}


#: How catalogs write a KPI's unit when it is a percentage (the library writes "percent").
PERCENT_UNITS = ("percent", "pct", "%", "percentage", "per cent")


def percent_unit(units: np.ndarray) -> np.ndarray:
    """Which of ``units`` (a KPI's free-text unit) name a percentage."""
    written = pd.Series(units, dtype=object).fillna("").astype(str).str.strip().str.lower()
    return written.isin(PERCENT_UNITS).to_numpy()


def sensitivity(frames: Mapping[str, pd.DataFrame],
                params: CurveParams | None = None) -> pd.DataFrame:
    """One row per component: the extra annual pay per employee for one step of the KPI."""
    params = params or CurveParams()
    components, plans = frames["components"], frames["plans"]
    kpi = _kpi_columns(components, frames["kpis"], ("name", "pressure", "direction", "unit"))
    codes = components["plan_idx"].to_numpy(dtype=np.int64)
    lower = kpi["direction"] == "lower"
    target = components["target"].astype("float64").to_numpy(na_value=np.nan)
    threshold = components["threshold"].astype("float64").to_numpy(na_value=np.nan)
    cap = components["cap"].astype("float64").to_numpy(na_value=np.nan)
    move, step_points = attainment_step(target, lower, percent_unit(kpi["unit"]), params)
    threshold_att = attainment(threshold, target, lower, params)
    point_rows = _point_rows(components, frames.get("curve_points", pd.DataFrame()))
    limit = np.where(np.isnan(cap), np.inf, 100.0 * cap)
    at_target = np.minimum(curve_payout(np.full(len(components), 100.0), components,
                                        threshold_att, point_rows, params), limit)
    after = curve_payout(100.0 + step_points, components, threshold_att, point_rows, params)
    capped = np.minimum(after, limit)
    before = curve_payout(100.0 - step_points, components, threshold_att, point_rows, params)
    variable = plans["target_variable"].astype("float64").to_numpy()[codes]
    target_pay = variable * components["weight"].to_numpy(dtype=np.float64) / BASIS_POINTS
    extra = target_pay * (capped - at_target) / 100.0
    pay_at_target = np.bincount(codes, weights=target_pay * at_target / 100.0,
                                minlength=len(plans))
    max_variable = plans["max_variable"].astype("float64").to_numpy(na_value=np.nan)
    headroom = np.maximum(np.where(np.isnan(max_variable), np.inf,
                                   max_variable - pay_at_target), 0.0)[codes]
    # all or nothing: one step short of target pays nothing, so the step that reaches
    # target is worth the whole pay at target (inside the plan's pay at target: no headroom)
    to_target = target_pay * at_target / 100.0
    reaches = (before <= 0.0) & (to_target > np.maximum(np.minimum(extra, headroom), 0.0))
    # the text columns as object columns: pandas would make each an Arrow string column,
    # a copy of every text (0.3 s for the 536,606 components of 100,000 plans)
    text = functools.partial(pd.Series, dtype=object, copy=False)
    return pd.DataFrame({
        "plan_id": text(components["plan_id"].to_numpy(dtype=object)),
        "component_id": text(components["component_id"].to_numpy(dtype=object)),
        "kpi": text(components["kpi"].to_numpy(dtype=object)), "kpi_name": text(kpi["name"]),
        "pressure": text(kpi["pressure"]), "direction": text(kpi["direction"]),
        "unit": text(kpi["unit"]),
        "controlled": employee_controlled(components, frames["kpis"]),
        "weight": components["weight"].to_numpy(dtype=np.float64) / BASIS_POINTS,
        "curve": text(components["curve"].fillna("linear").to_numpy(dtype=object)),
        "target": target, "step_value": move, "step_points": step_points,
        "target_pay": target_pay, "payout_at_target": at_target,
        "payout_after_step": capped, "step_to_target": reaches,
        "component_capped": (after > limit) & ~reaches,
        "plan_capped": (extra > headroom) & ~reaches,
        "extra_pay": np.where(reaches, to_target, np.minimum(extra, headroom)),
    })


def plan_sensitivity(components: pd.DataFrame, plan_ids: pd.Series | np.ndarray
                     ) -> pd.DataFrame:
    """Per plan: the best-paid step on a speed, cost or sales KPI against the best-paid step
    on a customer KPI the employee does not control, and their ratio."""
    pressure = components["pressure"].to_numpy(dtype=object)
    pull = np.isin(pressure, list(PULL_PRESSURES))
    customer = (pressure == "customer") & ~components["controlled"].to_numpy(dtype=bool)
    plan, distinct = pd.factorize(components["plan_id"])
    extra = components["extra_pay"].to_numpy(dtype=np.float64)
    at = positions(plan_ids, distinct)
    out = pd.DataFrame({"plan_id": np.asarray(plan_ids, dtype=object)})
    for side, mask in (("pull", pull), ("customer", customer)):
        # each plan's best-paid step, the first component of its plan at a tie (a missing
        # extra pay last): ordered by codes, not by sorting the frame's text
        rows = np.flatnonzero(mask & (plan >= 0))
        order = rows[np.lexsort((-extra[rows], plan[rows]))]  # stable: ties in row order
        firsts = group_firsts(order, plan)
        best = np.full(len(distinct) + 1, -1, dtype=np.int64)  # by plan code; -1: none
        best[plan[firsts]] = firsts
        chosen = best[at]  # -1 for a plan of no such component (or not among them)
        for column in ("kpi_name", "direction", "step_value", "target", "extra_pay"):
            out[f"{side}_{column}"] = np.asarray(  # missing (NaN) at -1
                components[column].array.take(chosen, allow_fill=True))
    pull_pay = out["pull_extra_pay"].astype("float64").to_numpy()
    customer_pay = out["customer_extra_pay"].astype("float64").fillna(0.0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(customer_pay > 0, pull_pay / customer_pay,
                         np.where(pull_pay > 0, np.inf, np.nan))
    out["ratio"] = ratio
    return out
