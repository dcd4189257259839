"""Divergence: the plan's speed, cost or sales KPIs improving period over period while the
customer KPIs of the same people worsen (direction-aware).

Per person and KPI, the least-squares slope of value on period (from grouped sums: n, Σt,
Σt², Σv, Σtv), signed so + is the rewarded direction and divided by the KPI's within-period
SD of the plan. Per person, the mean slope of the pull KPIs and of the customer KPIs; only
people with both count ("the same population"). Per plan, the mean of each side over people
with its standard error.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from policycheck.analyze.frames import pooled_sd
from policycheck.codes import per_distinct
from policycheck.errors import spoken_list


def person_slopes(rows: pd.DataFrame, min_periods: int) -> pd.DataFrame:
    """Signed, standardised slope per person × plan × KPI (SD per period)."""
    t = rows["period_idx"].astype("float64")
    work = pd.DataFrame({"plan_idx": rows["plan_idx"], "kpi": rows["kpi"],
                         "unit": rows["unit"], "t": t, "tt": t * t, "v": rows["value"],
                         "tv": t * rows["value"]})
    sums = work.groupby(["plan_idx", "kpi", "unit"], observed=True).agg(
        n=("t", "size"), t=("t", "sum"), tt=("tt", "sum"), v=("v", "sum"), tv=("tv", "sum"))
    sums = sums[sums["n"] >= min_periods]
    denom = sums["n"] * sums["tt"] - sums["t"] ** 2
    slope = (sums["n"] * sums["tv"] - sums["t"] * sums["v"]) / denom.replace(0, np.nan)
    out = slope.rename("slope").reset_index()
    named = ["kpi_name"] if "kpi_name" in rows else []
    first = rows.drop_duplicates(["kpi"])[["kpi", "sign", "side", *named]].set_index("kpi")
    out = out.join(first, on="kpi").join(pooled_sd(rows), on=["plan_idx", "kpi"])
    out["z_slope"] = out["slope"] * out["sign"] / out["sd"].replace(0, np.nan)
    return out.dropna(subset=["z_slope"])


def divergence(rows: pd.DataFrame, p: Mapping[str, float]) -> pd.DataFrame:
    """Per plan: pull and customer slopes (mean, se, people), and whether they diverge."""
    slopes = person_slopes(rows[rows["side"] != "other"], int(p["divergence.min_periods"]))
    per_person = slopes.pivot_table(index=["plan_idx", "unit"], columns="side",
                                    values="z_slope", aggfunc="mean", observed=True)
    if not {"pull", "customer"} <= set(per_person.columns):
        return pd.DataFrame(columns=["plan_idx", "flag"])
    both = per_person[["pull", "customer"]].dropna()
    grouped = both.groupby(level="plan_idx")
    stats = grouped.agg(["mean", "std", "size"])
    out = pd.DataFrame({
        "pull": stats[("pull", "mean")], "customer": stats[("customer", "mean")],
        "units": stats[("pull", "size")],
        "se_pull": stats[("pull", "std")] / np.sqrt(stats[("pull", "size")]),
        "se_customer": stats[("customer", "std")] / np.sqrt(stats[("customer", "size")]),
    }).reset_index()
    kpis = slopes.groupby(["plan_idx", "side"], observed=True)["kpi"].agg(
        lambda k: ",".join(sorted(set(map(str, k))))).unstack()
    out = out.join(kpis.rename(columns={"pull": "pull_kpis", "customer": "customer_kpis"}),
                   on="plan_idx")
    # the same KPIs by name, in the same order, for the message: once per distinct list
    named = slopes.drop_duplicates("kpi")
    name = dict(zip(named["kpi"].astype(str), (named["kpi_name"] if "kpi_name" in named
                                                else named["kpi"]).astype(str), strict=True))
    for ids, names in (("pull_kpis", "pull_names"), ("customer_kpis", "customer_names")):
        out[names] = per_distinct(out[ids], lambda v: "" if v is None else spoken_list(
            [name.get(k, k) for k in str(v).split(",")]))
    low, z = p["divergence.min_slope"], p["divergence.min_z"]
    out["population"] = out["plan_idx"].map(populations(rows)).fillna("people")
    out["flag"] = ((out["pull"] >= low) & (out["pull"] / out["se_pull"] >= z)
                   & (out["customer"] <= -low) & (-out["customer"] / out["se_customer"] >= z)
                   & (out["units"] >= p["divergence.min_units"]))
    return out


def populations(rows: pd.DataFrame) -> pd.Series:
    """Per plan, who its values belong to: "people" (``employee_id``), "teams"
    (``team_id``) or "people or teams"."""
    if "unit_kind" not in rows:
        return pd.Series(dtype=object)
    codes = pd.Series(rows["unit_kind"].cat.codes.to_numpy())
    kinds = codes.groupby(rows["plan_idx"].to_numpy()).agg(["min", "max"])
    return pd.Series(np.where(kinds["min"] == kinds["max"],
                              np.where(kinds["min"] == 0, "people", "teams"),
                              "people or teams"), index=kinds.index)


def side_trends(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean signed z-score per plan × side × period, for the chart (standardised against
    the plan × KPI over all periods, so trends show)."""
    keys = [rows["plan_idx"], rows["kpi"].cat.codes]
    grouped = rows["value"].groupby(keys, observed=True, sort=False)
    overall = (rows["value"] - grouped.transform("mean")) / grouped.transform("std") \
        * rows["sign"]
    frame = pd.DataFrame({"plan_idx": rows["plan_idx"], "side": rows["side"],
                          "period_idx": rows["period_idx"], "z": overall})
    frame = frame[frame["side"] != "other"]
    return frame.groupby(["plan_idx", "side", "period_idx"], observed=True)["z"].mean() \
        .reset_index()
