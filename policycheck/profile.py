"""The incentive-pressure profile of each plan: where its variable pay points.

For every plan: the share of target variable pay on each pressure (speed, cost, sales,
customer, neutral), whether the customer side is protected (a gate or a modifier on a
customer-side KPI, a clawback) and over what share of the pay, and the pay at stake per
employee and in total. Shares are computed from integer basis points, so they are exact.
All of it is whole-frame work: one merge and a few bincounts.

What counts as protection (SPEC principle 3): a gate or modifier on a customer-side KPI that
the employee does not control. A KPI is *employee-controlled* when its data source is one
of ``untrusted_sources`` (self-reported, agent-triggered surveys) or its survey sample is
below ``min_sample`` responses per period; such a gate or modifier is counted in
``untrusted_protection`` and protects nothing. A gate or modifier counts only when it is
material: missing it costs at least ``min_cut_pct`` percent of the pay it applies to (a
gate that zeroes the payout or cuts that much, a modifier whose lowest factor takes that
much: ±2 % on a survey guards nothing), and nobody may waive it (``override_by`` empty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from policycheck.codes import positions
from policycheck.model import BASIS_POINTS, PRESSURES

PRESSURE_COLUMNS = tuple(f"share_{p}" for p in PRESSURES)
#: Pressures that pull away from the customer.
PULL_PRESSURES = ("speed", "cost", "sales")
UNTRUSTED_SOURCES = ("self_reported", "agent_triggered_survey")
MIN_SAMPLE = 20
MIN_CUT_PCT = 50.0


def kpi_attribute(frame: pd.DataFrame, kpis: pd.DataFrame, column: str) -> np.ndarray:
    """Each row's KPI's ``column`` (NaN for a KPI not in ``kpis``)."""
    return by_kpi(kpi_rows(frame, kpis), kpis[column].to_numpy(dtype=object), np.nan)


def kpi_rows(frame: pd.DataFrame, kpis: pd.DataFrame) -> np.ndarray:
    """The row of ``kpis`` of each row's KPI (-1 for one it does not hold), looked up once
    per distinct KPI: a plan has a few, a table of components hundreds of thousands of
    rows."""
    codes, distinct = pd.factorize(frame["kpi"].to_numpy(dtype=object))
    at = positions(distinct, kpis["kpi_id"].to_numpy(dtype=object))
    return np.append(at, -1)[codes]  # code -1 (a row without a KPI): none


def by_kpi(rows: np.ndarray, values: np.ndarray, missing: Any) -> np.ndarray:
    """``values`` (one per KPI) at ``rows`` (``kpi_rows``), ``missing`` at -1."""
    return np.append(np.asarray(values, dtype=object), missing)[rows]


def _per_plan(codes: np.ndarray, values: np.ndarray, n_plans: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=n_plans)


def employee_controlled(frame: pd.DataFrame, kpis: pd.DataFrame,
                        untrusted_sources: Sequence[str] = UNTRUSTED_SOURCES,
                        min_sample: float = MIN_SAMPLE) -> np.ndarray:
    """For each row with a ``kpi``: is the measure one the employee controls? (A KPI not
    in the catalog is not.)"""
    source = kpis["data_source"].to_numpy(dtype=object).astype(str)
    sample = pd.to_numeric(kpis["min_sample_per_period"], errors="coerce")
    controlled = (np.isin(source, list(untrusted_sources))
                  | (sample.astype("float64").to_numpy() < min_sample))
    return by_kpi(kpi_rows(frame, kpis), controlled, False).astype(bool)


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


def bites(kind: str, rows: pd.DataFrame, min_cut_pct: float = MIN_CUT_PCT) -> np.ndarray:
    """Which gates (or modifiers) take at least ``min_cut_pct`` percent of the pay when
    missed: a gate that zeroes it or cuts that much, a modifier whose lowest factor does."""
    if kind == "modifiers":
        low = rows["factor_min"].astype("float64").to_numpy(na_value=np.nan)
        return low <= 1 - min_cut_pct / 100 + 1e-9  # 1 - 0.5 is 0.5; 1 - 0.8 is not 0.2
    cut = rows["reduce_pct"].astype("float64").to_numpy(na_value=np.nan)
    return (rows["effect"].to_numpy(dtype=object) == "zero") | (cut >= min_cut_pct)


def _material(kind: str, rows: pd.DataFrame, min_cut_pct: float) -> np.ndarray:
    """A gate or modifier protects only when it bites and nobody may waive it."""
    waivable = (rows["override_by"].notna().to_numpy() if "override_by" in rows
                else np.zeros(len(rows), dtype=bool))
    return bites(kind, rows, min_cut_pct) & ~waivable


def pressure_profile(frames: Mapping[str, pd.DataFrame],
                     headcount: np.ndarray | None = None, *,
                     untrusted_sources: Sequence[str] = UNTRUSTED_SOURCES,
                     min_sample: float = MIN_SAMPLE,
                     min_cut_pct: float = MIN_CUT_PCT) -> pd.DataFrame:
    """One row per valid plan, in plan order."""
    plans, components, kpis = frames["plans"], frames["components"], frames["kpis"]
    n = len(plans)
    codes = components["plan_idx"].to_numpy(dtype=np.int64)
    points = components["weight"].to_numpy(dtype=np.int64)
    pressure = kpi_attribute(components, kpis, "pressure")
    out = pd.DataFrame({"plan_id": plans["plan_id"].to_numpy(),
                        "role_kind": plans["role_kind"].to_numpy()})
    for name in PRESSURES:
        out[f"share_{name}"] = _per_plan(codes, np.where(pressure == name, points, 0), n) \
            / BASIS_POINTS
    protected = np.zeros(len(components), dtype=bool)
    ignored = np.zeros(n)
    for kind in ("gates", "modifiers"):
        rows = frames[kind]
        on_customer = kpi_attribute(rows, kpis, "pressure") == "customer"
        controlled = employee_controlled(rows, kpis, untrusted_sources, min_sample)
        customer = on_customer & ~controlled & _material(kind, rows, min_cut_pct)
        row_codes = rows["plan_idx"].to_numpy(dtype=np.int64)
        out[f"customer_{kind}"] = _per_plan(row_codes, customer.astype(float), n).astype(int)
        ignored += _per_plan(row_codes, (on_customer & controlled).astype(float), n)
        protected |= _covered_components(components, rows, customer)
    out["protected_share"] = _per_plan(codes, np.where(protected, points, 0), n) / BASIS_POINTS
    out["clawback"] = plans["clawback_triggers"].notna().to_numpy()
    _add_trust_columns(out, frames, pressure, protected, ignored,
                       untrusted_sources=untrusted_sources, min_sample=min_sample)
    _add_pay_columns(out, plans, headcount)
    return out


def _add_trust_columns(out: pd.DataFrame, frames: Mapping[str, pd.DataFrame],
                       pressure: np.ndarray, protected: np.ndarray, ignored: np.ndarray, *,
                       untrusted_sources: Sequence[str], min_sample: float) -> None:
    """Customer pay the employee controls, and how much of the pull is guarded."""
    components, kpis = frames["components"], frames["kpis"]
    n = len(out)
    codes = components["plan_idx"].to_numpy(dtype=np.int64)
    points = components["weight"].to_numpy(dtype=np.int64)
    controlled = employee_controlled(components, kpis, untrusted_sources, min_sample)
    customer = pressure == "customer"
    pull = np.isin(pressure.astype(str), PULL_PRESSURES)
    clawback = out["clawback"].to_numpy(dtype=bool)
    guarded = pull & (protected | clawback[codes])

    def share(mask: np.ndarray) -> np.ndarray:
        return _per_plan(codes, np.where(mask, points, 0), n) / BASIS_POINTS

    out["share_customer_controlled"] = share(customer & controlled)
    out["share_customer_trusted"] = share(customer & ~controlled)
    out["untrusted_protection"] = ignored.astype(int)
    out["pull_share"] = share(pull)
    out["guarded_pull_share"] = share(guarded)


def _add_pay_columns(out: pd.DataFrame, plans: pd.DataFrame,
                     headcount: np.ndarray | None) -> None:
    n = len(plans)
    if headcount is None:
        headcount = plans["headcount"].astype("float64").to_numpy(na_value=np.nan)
    target = plans["target_variable"].astype("float64").to_numpy()
    base = plans["base_pay"].astype("float64").to_numpy()
    floor = plans["pay_floor"].astype("float64").to_numpy(na_value=np.nan)
    # fixed pay as the pay rules read it: the base pay, or the guaranteed floor without one
    fixed = np.where(base > 0, base, np.nan_to_num(floor))
    out["headcount"] = pd.array(headcount, dtype="Float64").astype("Int64")  # NaN: missing
    out["base_pay"] = base
    out["pay_floor"] = floor
    out["target_variable"] = target
    out["variable_share"] = np.divide(target, fixed + target, out=np.zeros(n),
                                      where=(fixed + target) > 0)
    out["pay_at_stake"] = np.round(target * headcount, 2)
    for column in ("name", "role", "currency", "max_variable"):
        out[column] = plans[column].to_numpy()
