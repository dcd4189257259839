"""Threshold bunching: an excess of observations just past a payout threshold or target.

The standard bunching estimator of public finance (Saez 2010; Chetty et al. 2011; Kleven
2016): histogram the values of a plan's KPI around each cut-off, in the direction the plan
rewards; fit a polynomial to the bin counts outside an excluded window (``missing_bins``
before the cut-off, ``window_bins`` past it); the counterfactual in the window is the
polynomial. Excess ``B`` = observed − counterfactual in the bins just past the cut-off; the
normalised excess ``b`` = ``B`` / counterfactual per bin there. The standard error comes
from a residual bootstrap of the fit plus the Poisson noise of the observed window counts.

Every step is grouped array work: one ``bincount`` builds all histograms, one least-squares
solve with many right-hand sides fits every cut-off and every bootstrap replicate at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def cutoffs(components: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    """One row per (plan, component, threshold or target): where pay starts or steps up."""
    parts = []
    for kind in ("threshold", "target"):
        part = components[["plan_idx", "plan_id", "component_id", "kpi", kind]]
        part = part.rename(columns={kind: "cutoff"}).assign(kind=kind)
        parts.append(part[part["cutoff"].notna()])
    table = pd.concat(parts, ignore_index=True)
    table["sign"] = table["kpi"].map(kpis["sign"]).fillna(1.0).to_numpy()
    names = kpis["name"] if "name" in kpis else pd.Series(dtype=object)
    table["kpi_name"] = table["kpi"].map(names).fillna(table["kpi"]).astype(str).to_numpy()
    return table.drop_duplicates(["plan_idx", "kpi", "cutoff"]).reset_index(drop=True)


def histograms(actuals: pd.DataFrame, cuts: pd.DataFrame, p: Mapping[str, float]
               ) -> tuple[pd.DataFrame, np.ndarray]:
    """Bin counts (cut-offs × bins), bin 0 starting at the cut-off in the rewarded
    direction; the range of each histogram is the 1st–99th percentile of its plan's KPI."""
    nbins = int(p["bunching.bins"])
    keys = ["plan_idx", "kpi_code"]  # integer keys: grouping and joining on text is slow
    cuts = cuts.assign(kpi_code=pd.Index(actuals["kpi"].cat.categories).get_indexer(cuts["kpi"]))
    keyed = actuals[[*keys, "value"]]
    quantiles = keyed.groupby(keys)["value"].quantile(np.array([0.01, 0.99]))
    spread = quantiles.unstack().rename(columns={0.01: "q01", 0.99: "q99"})
    counts = keyed.groupby(keys).size().rename("n")
    cuts = cuts.join(spread.join(counts), on=keys, how="inner")
    cuts = cuts[(cuts["n"] >= p["bunching.min_obs"]) & (cuts["q99"] > cuts["q01"])]
    cuts = cuts.reset_index(drop=True)
    cuts["width"] = (cuts["q99"] - cuts["q01"]) / nbins
    rows = keyed.merge(cuts[[*keys, "cutoff", "sign", "width"]].reset_index(names="cut"),
                       on=keys, how="inner")
    offset = rows["sign"] * (rows["value"] - rows["cutoff"]) / rows["width"]
    index = np.floor(offset.to_numpy()) + nbins // 2
    inside = (index >= 0) & (index < nbins)
    flat = rows["cut"].to_numpy()[inside] * nbins + index[inside].astype(np.int64)
    grid = np.bincount(flat, minlength=len(cuts) * nbins).reshape(len(cuts), nbins)
    return cuts, grid.astype("float64")


def _design(nbins: int, degree: int) -> np.ndarray:
    x = (np.arange(nbins) - nbins // 2 + 0.5) / (nbins / 2)
    return np.vander(x, degree + 1, increasing=True)


def estimate(grid: np.ndarray, p: Mapping[str, float]) -> pd.DataFrame:
    """Excess mass, ``b`` and their standard errors for every histogram (rows of grid)."""
    nbins, half = grid.shape[1], grid.shape[1] // 2
    window = np.arange(half, half + int(p["bunching.window_bins"]))
    fit_rows = np.ones(nbins, dtype=bool)
    fit_rows[half - int(p["bunching.missing_bins"]): window[-1] + 1] = False
    design = _design(nbins, int(p["bunching.degree"]))
    coef = np.linalg.lstsq(design[fit_rows], grid[:, fit_rows].T, rcond=None)[0]
    fitted = (design @ coef).T  # cut-offs × bins
    counter = fitted[:, window].sum(axis=1)
    excess = grid[:, window].sum(axis=1) - counter
    per_bin = np.maximum(counter / len(window), 1e-9)
    boot = _bootstrap(grid, fitted, fit_rows, design, window, p)
    se_excess = np.sqrt(boot.var(axis=0) + grid[:, window].sum(axis=1))
    return pd.DataFrame({"excess": excess, "counterfactual": counter, "b": excess / per_bin,
                         "se_b": se_excess / per_bin, "se_excess": se_excess})


def _bootstrap(grid: np.ndarray, fitted: np.ndarray, fit_rows: np.ndarray,
               design: np.ndarray, window: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """Counterfactual window sums of residual-bootstrap refits (replicates × cut-offs)."""
    reps = max(int(p["bunching.bootstrap"]), 2)
    rng = np.random.default_rng(int(p["bunching.seed"]))
    resid = (grid - fitted)[:, fit_rows]  # cut-offs × fit bins
    pick = rng.integers(0, resid.shape[1], size=(reps, resid.shape[0], resid.shape[1]))
    drawn = np.take_along_axis(np.broadcast_to(resid, pick.shape), pick, axis=2)
    sample = fitted[None, :, fit_rows] + drawn  # reps × cut-offs × fit bins
    rhs = sample.reshape(-1, sample.shape[2]).T
    coef = np.linalg.lstsq(design[fit_rows], rhs, rcond=None)[0]
    window_sum = (design[window] @ coef).sum(axis=0)
    return window_sum.reshape(reps, grid.shape[0])


def bunching(actuals: pd.DataFrame, components: pd.DataFrame, kpis: pd.DataFrame,
             p: Mapping[str, float]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every tested cut-off with its estimate (``flag`` marks the reported ones), and the
    histograms and counterfactuals for the charts."""
    cuts, grid = histograms(actuals, cutoffs(components, kpis), p)
    if cuts.empty:
        return cuts.assign(flag=False), grid, grid
    est = estimate(grid, p)
    table = pd.concat([cuts, est], axis=1)
    z = table["b"] / table["se_b"].replace(0, np.nan)
    table["z"] = z
    table["flag"] = (table["b"] >= p["bunching.min_excess"]) & (z >= p["bunching.min_z"])
    design = _design(grid.shape[1], int(p["bunching.degree"]))
    return table, grid, _counterfactual(grid, design, p)


def _counterfactual(grid: np.ndarray, design: np.ndarray, p: Mapping[str, float]
                    ) -> np.ndarray:
    half = grid.shape[1] // 2
    rows = np.ones(grid.shape[1], dtype=bool)
    rows[half - int(p["bunching.missing_bins"]): half + int(p["bunching.window_bins"])] = False
    coef = np.linalg.lstsq(design[rows], grid[:, rows].T, rcond=None)[0]
    return (design @ coef).T
