"""The incentive-pressure profile of each plan: where its variable pay points.

For every plan: the share of target variable pay on each pressure (speed, cost, sales,
customer, neutral), whether the customer side is protected (a gate or a modifier on a
customer-side KPI, a clawback) and over what share of the pay, and the pay at stake per
employee and in total. Shares are computed from integer basis points, so they are exact.
All of it is whole-frame work: one merge and a few bincounts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from policycheck.model import BASIS_POINTS, CATEGORIES, PRESSURES

PRESSURE_COLUMNS = tuple(f"share_{p}" for p in PRESSURES)


def _kpi_attribute(frame: pd.DataFrame, kpis: pd.DataFrame, column: str) -> np.ndarray:
    lookup = pd.Series(kpis[column].to_numpy(), index=kpis["kpi_id"].to_numpy())
    return lookup.reindex(frame["kpi"].to_numpy()).to_numpy(dtype=object)


def _per_plan(codes: np.ndarray, values: np.ndarray, n_plans: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=n_plans)


def _covered_components(components: pd.DataFrame, rows: pd.DataFrame,
                        customer: np.ndarray) -> np.ndarray:
    """Components to which a customer-side gate (or modifier) applies."""
    applies = rows["applies_to"].fillna("all").to_numpy(dtype=object)
    chosen = rows[customer]
    to_all = set(chosen.loc[applies[customer] == "all", "plan_idx"].astype(int))
    named = chosen[applies[customer] != "all"]
    pairs = named.assign(target=named["applies_to"].str.split(";")).explode("target")
    keys = pd.MultiIndex.from_arrays([components["plan_idx"], components["component_id"]])
    hit = keys.isin(pd.MultiIndex.from_arrays([pairs["plan_idx"], pairs["target"]]))
    return components["plan_idx"].isin(to_all).to_numpy() | hit


def pressure_profile(frames: Mapping[str, pd.DataFrame],
                     headcount: np.ndarray | None = None) -> pd.DataFrame:
    """One row per valid plan, in plan order."""
    plans, components, kpis = frames["plans"], frames["components"], frames["kpis"]
    n = len(plans)
    codes = components["plan_idx"].to_numpy(dtype=np.int64)
    points = components["weight"].to_numpy(dtype=np.int64)
    pressure = _kpi_attribute(components, kpis, "pressure")
    out = pd.DataFrame({"plan_id": plans["plan_id"].to_numpy(),
                        "role_kind": plans["role_kind"].to_numpy()})
    for name in PRESSURES:
        out[f"share_{name}"] = _per_plan(codes, np.where(pressure == name, points, 0), n) \
            / BASIS_POINTS
    protected = np.zeros(len(components), dtype=bool)
    for kind in ("gates", "modifiers"):
        rows = frames[kind]
        customer = _kpi_attribute(rows, kpis, "pressure") == "customer"
        covered = _covered_components(components, rows, customer)
        out[f"customer_{kind}"] = _per_plan(rows["plan_idx"].to_numpy(dtype=np.int64),
                                            customer.astype(float), n).astype(int)
        protected |= covered
    out["protected_share"] = _per_plan(codes, np.where(protected, points, 0), n) / BASIS_POINTS
    out["clawback"] = plans["clawback_triggers"].notna().to_numpy()
    if headcount is None:
        headcount = plans["headcount"].astype("float64").to_numpy(na_value=np.nan)
    target = plans["target_variable"].astype("float64").to_numpy()
    base = plans["base_pay"].astype("float64").to_numpy()
    out["headcount"] = pd.array(np.where(np.isnan(headcount), pd.NA, headcount), dtype="Int64")
    out["base_pay"] = base
    out["target_variable"] = target
    out["variable_share"] = np.divide(target, base + target, out=np.zeros(n),
                                      where=(base + target) > 0)
    out["pay_at_stake"] = np.round(target * headcount, 2)
    return out


def category_shares(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Share of target variable pay per plan and KPI category (long form, non-zero only)."""
    components, kpis = frames["components"], frames["kpis"]
    category = _kpi_attribute(components, kpis, "category")
    table = pd.DataFrame({"plan_id": components["plan_id"].to_numpy(), "category": category,
                          "points": components["weight"].to_numpy(dtype=np.int64)})
    summed = table.groupby(["plan_id", "category"], sort=True)["points"].sum().reset_index()
    summed["share"] = summed.pop("points") / BASIS_POINTS
    order = {c: i for i, c in enumerate(CATEGORIES)}
    summed["_order"] = summed["category"].map(order)
    return summed.sort_values(["plan_id", "_order"]).drop(columns="_order").reset_index(drop=True)
