"""Shared grouped steps: KPI attributes on every row, values standardised within their
plan, KPI and period (so KPIs of different units can be averaged)."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

PULL = ("speed", "cost", "sales")


def with_kpi(actuals: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    """``sign``, ``side`` (pull, customer or other) and ``kpi_name`` (a categorical: what a
    reader calls the KPI) mapped by category code."""
    cats = actuals["kpi"].cat.categories
    table = kpis.reindex(cats)
    codes = actuals["kpi"].cat.codes.to_numpy()
    side = np.where(table["pressure"].isin(PULL), "pull",
                    np.where(table["pressure"].eq("customer"), "customer", "other"))
    return actuals.assign(sign=table["sign"].fillna(1.0).to_numpy()[codes],
                          kpi_name=kpi_names(actuals["kpi"], kpis),
                          side=pd.Categorical.from_codes(
                              pd.Categorical(side, categories=["pull", "customer", "other"]
                                             ).codes[codes],
                              categories=pd.Index(["pull", "customer", "other"])))


def kpi_names(kpi: pd.Series, kpis: pd.DataFrame) -> pd.Categorical[str]:
    """The name of each row's KPI (``kpi``: a categorical of ids; ``kpis``: ``kpi_table``),
    sharing its codes: the KPI's name, else its id; "name (id)" when two KPIs share one."""
    ids = pd.Series(kpi.cat.categories.astype(str), index=kpi.cat.categories)
    names = (kpis["name"].reindex(ids.index) if "name" in kpis else
             pd.Series(None, index=ids.index, dtype=object))
    names = names.where(names.notna(), ids).astype(str)
    if names.duplicated().any():
        names = names + " (" + ids + ")"
    return pd.Categorical.from_codes(kpi.cat.codes.to_numpy(), categories=pd.Index(names))


def standardised(rows: pd.DataFrame) -> pd.Series:
    """Signed z-score of each value within its plan × KPI × period: + is the rewarded way."""
    keys = [rows["plan_idx"], rows["kpi"].cat.codes, rows["period_idx"]]
    grouped = rows["value"].groupby(keys, observed=True, sort=False)
    mean = grouped.transform("mean")
    sd = grouped.transform("std").replace(0.0, np.nan)
    return (rows["value"] - mean) / sd * rows["sign"]


def pooled_sd(rows: pd.DataFrame) -> pd.Series:
    """Within-period SD of each plan × KPI: the noise scale, free of trends over time."""
    var = rows.groupby(["plan_idx", "kpi", "period_idx"], observed=True)["value"].var()
    # A ufunc of a Series is a Series; numpy's stubs say ndarray.
    sd = cast(pd.Series, np.sqrt(var.groupby(level=[0, 1], observed=True).mean()))
    return sd.rename("sd")
