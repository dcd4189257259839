"""Survey gaming (red flags A36, A37): small samples, scores piled at the top of the scale,
and agent-triggered scores above independently sampled ones.

Survey rows are those of ``cx_perception`` KPIs or of KPIs fed by a survey; a row's source
is its ``source`` cell, else the KPI's ``data_source``. All three tests are grouped
aggregations per plan × KPI (× source).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import numpy as np
import pandas as pd

SURVEYS = ("agent_triggered_survey", "independent_survey")


def survey_rows(actuals: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    table = kpis.reindex(actuals["kpi"].cat.categories)
    is_survey = table["category"].eq("cx_perception") | table["data_source"].isin(SURVEYS)
    codes = actuals["kpi"].cat.codes.to_numpy()
    rows = actuals[is_survey.to_numpy()[codes]].copy()
    fallback = rows["kpi"].map(kpis["data_source"]).astype(str)
    given = rows["source"].astype(object) if "source" in rows else pd.Series(None, rows.index)
    rows["src"] = given.where(given.notna(), fallback).astype(str)
    rows["min_sample"] = rows["kpi"].map(kpis["min_sample_per_period"]).astype("float64")
    if "kpi_name" not in rows:
        names = kpis["name"] if "name" in kpis else pd.Series(dtype=object)
        rows["kpi_name"] = rows["kpi"].map(names).astype(object).fillna(rows["kpi"])
    rows["kpi_name"] = rows["kpi_name"].astype(str)
    rows["kpi"] = rows["kpi"].astype(str)
    return rows


def _named(out: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``out`` (a row per plan × KPI id) with the KPI's ``kpi_name`` from ``rows``."""
    if "kpi_name" not in rows or "kpi" not in out:
        return out
    names = rows.groupby("kpi")["kpi_name"].first()
    return out.assign(kpi_name=out["kpi"].map(names).fillna(out["kpi"]).astype(str))


def _share_test(hit: pd.Series, keys: list[pd.Series], limit: float, p: Mapping[str, float]
                ) -> pd.DataFrame:
    stats = hit.groupby(keys).agg(["mean", "size"])
    stats.columns = ["share", "n"]
    stats["se"] = np.sqrt(stats["share"] * (1 - stats["share"]) / stats["n"])
    # A share of 100 % (or 0 %) has no binomial error: z is infinite, + above the limit
    # (every row a hit: the strongest case, not one to drop), − below; NaN only at it.
    stats["z"] = (stats["share"] - limit) / stats["se"]
    stats["flag"] = ((stats["share"] > limit) & (stats["z"] >= p["survey.min_z"])
                     & (stats["n"] >= p["survey.min_obs"]))
    return stats.reset_index()


def small_samples(rows: pd.DataFrame, p: Mapping[str, float]) -> pd.DataFrame:
    """Share of person-periods scored on fewer returns than ``min_sample_per_period``."""
    if "sample_size" not in rows:
        return pd.DataFrame(columns=["plan_idx", "kpi", "flag"])
    known = rows[rows["sample_size"].notna() & rows["min_sample"].notna()]
    hit = known["sample_size"] < known["min_sample"]
    out = _share_test(hit, [known["plan_idx"], known["kpi"]], p["survey.max_small_share"], p)
    mins = known.groupby("kpi")["min_sample"].first()
    return _named(out.assign(min_sample=out["kpi"].map(mins)), known)


def top_scores(rows: pd.DataFrame, p: Mapping[str, float]) -> pd.DataFrame:
    """Share of scores at the top of the scale (the highest value of the KPI anywhere)."""
    signed = rows["value"] * rows["sign"]
    ceiling = signed.groupby(rows["kpi"]).transform("max")
    hit = signed >= ceiling - 1e-9 * np.maximum(ceiling.abs(), 1.0)
    out = _share_test(hit, [rows["plan_idx"], rows["kpi"]], p["survey.max_top_share"], p)
    top = (rows["value"]).groupby(rows["kpi"]).max() if len(rows) else pd.Series(dtype=float)
    return _named(out.assign(ceiling=out["kpi"].map(top)), rows)


def source_gap(rows: pd.DataFrame, p: Mapping[str, float]) -> pd.DataFrame:
    """Agent-triggered minus independent mean score per plan × KPI, in pooled SD."""
    both = rows[rows["src"].isin(SURVEYS)]
    stats = both.groupby(["plan_idx", "kpi", "src"])["value"].agg(["mean", "var", "size"])
    wide = stats.unstack("src")
    if wide.empty or len(wide.columns.get_level_values(1).unique()) < 2:
        return pd.DataFrame(columns=["plan_idx", "kpi", "flag"])
    a, i = SURVEYS
    sign = pd.Series(wide.index.get_level_values("kpi")).map(
        rows.groupby("kpi")["sign"].first()).to_numpy()
    raw = (wide[("mean", a)] - wide[("mean", i)]) * sign
    # A ufunc of a Series is a Series; numpy's stubs say ndarray.
    pooled = cast(pd.Series, np.sqrt((wide[("var", a)] + wide[("var", i)]) / 2))
    se = cast(pd.Series, np.sqrt(wide[("var", a)] / wide[("size", a)]
                                 + wide[("var", i)] / wide[("size", i)]))
    # No spread within either source (every score of each the same): a gap is infinitely
    # many SD and standard errors, as for a share of 100 %; none at all is NaN, dropped.
    out = pd.DataFrame({"agent_mean": wide[("mean", a)], "independent_mean": wide[("mean", i)],
                        "gap": raw / pooled, "z": raw / se,
                        "n_agent": wide[("size", a)], "n_independent": wide[("size", i)]})
    out["flag"] = ((out["gap"] >= p["survey.min_gap"]) & (out["z"] >= p["survey.min_z"])
                   & (out[["n_agent", "n_independent"]].min(axis=1) >= p["survey.min_obs"]))
    return _named(out.dropna(subset=["gap"]).reset_index(), rows)
