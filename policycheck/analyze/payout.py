"""Payout vs customer outcome: are the plan's top earners its worst customer performers?

Payout per person from the plan's components and their actual KPI values, with a simple
attainment → payout model (docs/analyze.md): the payout share of a component is the
position of the value between threshold (0) and target (1) — direction-aware, since for a
lower-is-better KPI the threshold is above the target — floored at 0 and capped at ``cap``
(``payout.uncapped_multiple`` when uncapped); without a threshold, ``value / target``
(higher) or ``2 − value / target`` (lower). The payout index is the weight-weighted sum of
shares, averaged over periods: 1.0 is pay at target.

Customer score per person: the mean signed z-score (within plan × KPI × period) of their
customer-side KPIs. Per plan: the gap in customer score between the top ``top_share`` of
earners and the rest, its standard error, and the share of top earners below the median.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from policycheck.model import BASIS_POINTS


def payout_index(rows: pd.DataFrame, components: pd.DataFrame, kpis: pd.DataFrame,
                 p: Mapping[str, float]) -> pd.Series:
    """Payout index per plan × person (1.0 = target pay)."""
    comp = components[["plan_idx", "kpi", "weight", "threshold", "target", "cap"]].copy()
    comp["sign"] = comp["kpi"].map(kpis["sign"]).fillna(1.0)
    comp["kpi_code"] = pd.Index(rows["kpi"].cat.categories).get_indexer(comp["kpi"])
    comp = comp[(comp["kpi_code"] >= 0) & comp["target"].notna()].drop(columns="kpi")
    paid = rows[["plan_idx", "kpi_code", "unit", "period_idx", "value"]].merge(
        comp, on=["plan_idx", "kpi_code"], how="inner")
    v, thr, tgt = paid["value"], paid["threshold"], paid["target"]
    ratio = v / tgt.replace(0, np.nan)
    plain = np.where(paid["sign"] > 0, ratio, 2 - ratio)
    span = (tgt - thr).replace(0, np.nan)
    share = pd.Series(np.where(thr.notna(), (v - thr) / span, plain), index=paid.index)
    cap = paid["cap"].fillna(p["payout.uncapped_multiple"])
    share = share.clip(lower=0).where(share.notna(), 0.0).clip(upper=cap)
    paid["pay"] = share * paid["weight"].astype("float64") / BASIS_POINTS
    per_period = paid.groupby(["plan_idx", "unit", "period_idx"], observed=True)["pay"].sum()
    return per_period.groupby(level=[0, 1], observed=True).mean().rename("payout")


def payout_vs_customer(rows: pd.DataFrame, z: pd.Series, components: pd.DataFrame,
                       kpis: pd.DataFrame, p: Mapping[str, float]
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per plan: the statistics and ``flag``; per person: payout, customer score, top."""
    pay = payout_index(rows, components, kpis, p)
    customer = rows["side"].eq("customer").to_numpy()
    score = z[customer].groupby([rows["plan_idx"][customer], rows["unit"][customer]],
                                observed=True).mean().rename("customer")
    if pay.empty or score.empty:  # no one both paid and scored on customer KPIs
        # (pandas' concat failed on an empty side's categorical level: "Buffer dtype
        # mismatch", an internal error, with 128 people or more and no customer KPI)
        people = pd.DataFrame({"plan_idx": pd.Series(dtype=np.int64),
                               "unit": pd.Series(dtype=object),
                               "payout": pd.Series(dtype=np.float64),
                               "customer": pd.Series(dtype=np.float64)})
    else:
        people = pd.concat([pay, score], axis=1, join="inner").dropna().reset_index()
        people.columns = ["plan_idx", "unit", "payout", "customer"]
    rank = people.groupby("plan_idx")["payout"].rank(pct=True, method="first")
    people["top"] = rank > 1 - p["payout.top_share"]
    median = people.groupby("plan_idx")["customer"].transform("median")
    people["below"] = people["customer"] < median
    return _plan_stats(people, p), people


def _plan_stats(people: pd.DataFrame, p: Mapping[str, float]) -> pd.DataFrame:
    g = people.groupby(["plan_idx", "top"])["customer"].agg(["mean", "var", "size"]).unstack()
    if True not in g.columns.get_level_values(1) or False not in g.columns.get_level_values(1):
        return pd.DataFrame(columns=["plan_idx", "flag"])
    out = pd.DataFrame({
        "gap": g[("mean", True)] - g[("mean", False)],
        "se_gap": np.sqrt(g[("var", True)] / g[("size", True)]
                          + g[("var", False)] / g[("size", False)]),
        "top_n": g[("size", True)], "units": g[("size", True)] + g[("size", False)],
        "share_below": people[people["top"]].groupby("plan_idx")["below"].mean(),
        "payout_top": people[people["top"]].groupby("plan_idx")["payout"].mean(),
        "payout_rest": people[~people["top"]].groupby("plan_idx")["payout"].mean(),
    }).reset_index()
    out["z"] = out["gap"] / out["se_gap"].replace(0, np.nan)
    out["flag"] = ((out["gap"] <= p["payout.max_gap"]) & (out["z"] <= -p["payout.min_z"])
                   & (out["units"] >= p["payout.min_units"]))
    return out
