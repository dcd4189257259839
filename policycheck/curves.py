"""Statistics of a component's payout curve and product rates, for the component scope.

Curve points and rates name their component by plan and component id; their rows are grouped
by component once per run (``Frames.component_groups``), so each statistic is a groupby on
codes already made, spread back to the components by an array lookup: no join on two text
columns, and no hashing of the keys again for every statistic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

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
    so a first point that already pays is a jump too (0 where the curve has no such step)."""
    width_limit = float(max_points[0]) if len(max_points) else 1.0

    def stat(points: pd.DataFrame, groups: pd.CategoricalIndex) -> pd.Series:
        same, rise, width = _segments(points, groups)
        narrow = same & (width <= width_limit)
        jumps = (rise / 100.0).where(narrow, 0.0).clip(lower=0.0)
        first = (~same) & (points["attainment"] > 0)
        jumps = jumps.where(~first, (points["payout"] / 100.0).clip(lower=0.0))
        return jumps.groupby(groups, observed=False).max()

    return _component_stat(ctx, "curve_points", stat, 0.0, ("cliff_jump", width_limit))


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
