"""Statistics of a component's payout curve and product rates, for the component scope.

Curve points and rates name their component by plan and component id; their rows are grouped
by component once per run (``Frames.component_groups``), so each statistic is a groupby on
codes already made, spread back to the components by an array lookup: no join on two text
columns, and no hashing of the keys again for every statistic.

A component without curve points follows the curve model of the payout sensitivity
(docs/sensitivity.md): nothing is paid below its threshold, and from there the payout line
runs to the target payout at 100 % attainment. A threshold at (or just below) target is
therefore a step of the whole target payout, which ``cliff_jump`` counts as the points'
steps are counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from policycheck.sensitivity import CurveParams, attainment

if TYPE_CHECKING:
    from policycheck.rowcontext import RowContext

Stat = Callable[[pd.DataFrame, pd.CategoricalIndex], pd.Series]


def _component_stat(ctx: RowContext, frame_name: str, stat: Stat, empty: float,
                    key: tuple[Any, ...]) -> np.ndarray:
    """A statistic per component (computed once per run and key)."""
    return ctx.frames.memo(("component_stat", frame_name, *key),
                           lambda: _component_stat_of(ctx, frame_name, stat, empty))


def _component_stat_of(ctx: RowContext, frame_name: str, stat: Stat,
                       empty: float) -> np.ndarray:
    rows = ctx.frames.frames[frame_name]
    components = ctx.frames.entity("component")
    if rows.empty:
        return np.full(len(components), empty)
    groups, of_components = ctx.frames.component_groups(frame_name)
    per_group = stat(rows, groups).to_numpy(dtype=np.float64, na_value=np.nan)
    per_component = np.append(per_group, np.nan)[of_components]  # -1: the trailing NaN
    return np.where(np.isnan(per_component), empty, per_component)


def _segments(points: pd.DataFrame, groups: pd.CategoricalIndex
              ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Consecutive curve points of one component: is-same-component, rise, width."""
    codes = groups.codes
    same = np.zeros(len(codes), dtype=bool)
    same[1:] = (codes[1:] == codes[:-1]) & (codes[1:] >= 0)
    rise = points["payout"] - points["payout"].shift()
    width = points["attainment"] - points["attainment"].shift()
    return pd.Series(same, index=points.index), rise, width


def cliff_jump(ctx: RowContext, max_points: np.ndarray) -> np.ndarray:
    """Largest payout rise, as a fraction of target payout, between two curve points no more
    than ``max_points`` attainment points apart. Below its first point a curve pays nothing,
    so a first point that already pays is a jump too (0 where the curve has no such step).
    A component without curve points steps at its threshold (``threshold_jump``)."""
    width_limit = float(max_points[0]) if len(max_points) else 1.0

    def stat(points: pd.DataFrame, groups: pd.CategoricalIndex) -> pd.Series:
        same, rise, width = _segments(points, groups)
        narrow = same & (width <= width_limit)
        jumps = (rise / 100.0).where(narrow, 0.0).clip(lower=0.0)
        first = (~same) & (points["attainment"] > 0)
        jumps = jumps.where(~first, (points["payout"] / 100.0).clip(lower=0.0))
        return jumps.groupby(groups, observed=False).max()

    def all_components() -> np.ndarray:
        drawn = _component_stat(ctx, "curve_points", stat, 0.0, ("cliff_jump", width_limit))
        frames = ctx.frames
        has_points = (frames.component_groups("curve_points")[1] >= 0
                      if len(frames.frames["curve_points"]) else np.zeros(len(drawn), bool))
        lower = frames.column("component", "kpi.direction") == "lower"
        at = attainment(frames.column("component", "threshold"),
                        frames.column("component", "target"), lower, CurveParams())
        return np.where(has_points, drawn, threshold_jump(at, width_limit))

    return ctx.frames.memo(("cliff_jump", width_limit), all_components)


def threshold_jump(threshold_att: np.ndarray, max_points: float,
                   threshold_payout: float = CurveParams().threshold_payout) -> np.ndarray:
    """The payout rise (fraction of target payout) within ``max_points`` attainment points
    that a threshold makes on a curve without points, as the sensitivity model draws it:
    nothing below the threshold's attainment ``a``, ``threshold_payout`` % at it, a straight
    line to 100 % at target. A threshold at or past target pays at once what the line pays
    there (at least the target payout); one below target rises to it within ``100 - a``
    points. 0 without a threshold (NaN attainment)."""
    with np.errstate(invalid="ignore"):
        late = threshold_att >= 100.0
        ramp = (100.0 - threshold_att) <= max_points
        first = np.where(threshold_att > 0, threshold_payout / 100.0, 0.0)
        early = np.where(ramp, np.maximum(first, 1.0 - threshold_payout / 100.0), first)
        jump = np.where(late, threshold_att / 100.0, early)
    return np.where(np.isfinite(threshold_att), np.maximum(jump, 0.0), 0.0)


def slope_ratio(ctx: RowContext) -> np.ndarray:
    """Steepest payout slope above 100 % attainment over the average slope up to 100 %
    (total payout rise over total attainment width): above 1 the curve accelerates.
    Missing where the curve points do not say."""
    def stat(points: pd.DataFrame, groups: pd.CategoricalIndex) -> pd.Series:
        same, rise, width = _segments(points, groups)
        start = points["attainment"].shift()
        above = (rise / width).where(same & (start >= 100)).groupby(groups, observed=False).max()
        below_mask = same & (points["attainment"] <= 100)
        below_rise = rise.where(below_mask, 0.0).groupby(groups, observed=False).sum()
        below_width = width.where(below_mask, 0.0).groupby(groups, observed=False).sum()
        below = below_rise / below_width.where(below_width > 0)
        return above / below.where(below > 0)

    return _component_stat(ctx, "curve_points", stat, np.nan, ("slope_ratio",))


def rate_ratio(ctx: RowContext) -> np.ndarray:
    """Highest over lowest per-product rate of a component (missing with fewer than two)."""
    def stat(rates: pd.DataFrame, groups: pd.CategoricalIndex) -> pd.Series:
        grouped = rates["amount"].groupby(groups, observed=False)
        low, high = grouped.min(), grouped.max()
        # A product paying nothing beside one that pays is the widest spread there is.
        ratio = (high / low.where(low > 0)).where(low > 0, np.where(high > 0, np.inf, 1.0))
        return ratio.where(grouped.count() >= 2)

    return _component_stat(ctx, "rates", stat, np.nan, ("rate_ratio",))
