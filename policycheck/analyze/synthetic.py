"""Synthetic KPI actuals with planted gaming patterns of known size, and a clean control.

Every value is ``mu + sd · e``: ``mu`` the component's target, ``sd`` = |target − threshold|
/ 1.5 (so the threshold sits 1.5 SD on the unpaid side), ``e`` = 0.6 · a person effect + 0.8 ·
noise, both standard normal (var e = 1). Plans without a customer-side component also get
``csat``. Patterns (``Plant``), planted in units of ``e`` and direction-aware:

* ``bunching``: of the values within 0.4 SD before the KPI's threshold, a share ``size`` is
  moved to within 0.1 SD past it; truth: the number moved (the excess mass);
* ``divergence``: pull KPIs improve and customer KPIs worsen by ``size`` SD per period;
* ``payout``: a quarter of the people ("gamers") are 3 SD better on pull KPIs and ``size`` SD
  worse on customer ones; truth: the customer gap, −size;
* ``survey-small`` / ``survey-top``: a share ``size`` of the survey KPI's person-periods get
  fewer returns than its minimum / the top score (100); truth: the realised share;
* ``survey-gap``: independent-survey rows beside agent-triggered ones ``size`` SD higher.

Seeded: the same arguments give the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from policycheck.analyze.findings import kpi_table
from policycheck.analyze.frames import PULL

EXTRA_CUSTOMER_KPI = "csat"
SCALE_TOP = 100.0


@dataclass(frozen=True)
class Plant:
    kind: str
    size: float
    kpi: str = ""


def _scales(comps: pd.DataFrame, kpi_list: list[str]) -> tuple[np.ndarray, np.ndarray]:
    by_kpi = comps.drop_duplicates("kpi").set_index("kpi")
    tgt = by_kpi["target"].reindex(kpi_list).astype("float64").to_numpy()
    thr = by_kpi["threshold"].reindex(kpi_list).astype("float64").to_numpy()
    sd = np.where(np.isnan(thr), np.abs(tgt) * 0.15, np.abs(tgt - thr) / 1.5)
    mu = np.where(np.isnan(tgt), 80.0, tgt)
    return mu, np.where(np.isnan(sd) | (sd == 0), 6.0, sd)


def _plan_kpis(comps: pd.DataFrame, kpis: pd.DataFrame, extra: Sequence[str] = ()
               ) -> list[str]:
    names = list(dict.fromkeys([*comps["kpi"].astype(str), *extra]))
    if not kpis["pressure"].reindex(names).eq("customer").any():
        names.append(EXTRA_CUSTOMER_KPI)
    return names


def _people(plan_id: str, employees: pd.DataFrame, count: int | None) -> np.ndarray:
    own = employees.loc[employees["plan_id"] == plan_id, "employee_id"].astype(str)
    if count is None and len(own):
        return own.to_numpy()
    return np.array([f"{plan_id}-{i:06d}" for i in range(count or 20)])


def generate(frames: Mapping[str, pd.DataFrame], plants: Mapping[str, Plant] | None = None,
             *, people: int | None = None, periods: int = 12, start: str = "2027-01",
             weekly: bool = False, extra: Sequence[str] = (), seed: int = 0
             ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Actuals for every plan in ``frames`` (a Model's frames) and the planted truths by
    plan id. ``people``: per plan (default: the employees table, else 20); periods are
    months (``2027-01``) or, ``weekly``, weeks named by their Monday (``2027-01-04``);
    ``extra``: KPIs observed for every plan beside its own."""
    rng = np.random.default_rng(seed)
    kpis = kpi_table(frames["kpis"])
    labels = (pd.date_range(start, periods=periods, freq="W-MON").strftime("%Y-%m-%d")
              .to_numpy() if weekly else
              pd.period_range(start, periods=periods, freq="M").astype(str).to_numpy())
    parts, truth = [], {}
    for plan_id in frames["plans"]["plan_id"].astype(str):
        comps = frames["components"][frames["components"]["plan_id"] == plan_id]
        plant = (plants or {}).get(plan_id)
        part, size = _plan_rows(plan_id, _plan_kpis(comps, kpis, extra), comps, kpis,
                                _people(plan_id, frames["employees"], people), labels, plant,
                                rng)
        parts.append(part)
        if plant is not None:
            truth[plan_id] = size
    return pd.concat(parts, ignore_index=True), truth


def _plan_rows(plan_id: str, names: list[str], comps: pd.DataFrame, kpis: pd.DataFrame,
               ids: np.ndarray, labels: np.ndarray, plant: Plant | None,
               rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    n, t, k = len(ids), len(labels), len(names)
    person = rng.standard_normal((n, 1, k))
    e = 0.6 * person + 0.8 * rng.standard_normal((n, t, k))
    sign = kpis["sign"].reindex(names).fillna(1.0).to_numpy()
    side = kpis["pressure"].reindex(names).to_numpy()
    pull, cust = np.isin(side, PULL), side == "customer"
    size = 0.0
    if plant is not None and plant.kind == "divergence":
        trend = np.arange(t)[None, :, None] * plant.size
        e += trend * (pull * sign - cust * sign)[None, None, :]
        size = plant.size
    if plant is not None and plant.kind == "payout":
        gamer = (rng.permutation(n) < n // 4)[:, None, None]
        e += gamer * (3.0 * pull * sign - plant.size * cust * sign)[None, None, :]
        size = -plant.size
    mu, sd = _scales(comps, names)
    value = mu + sd * e
    frame = pd.DataFrame({
        "employee_id": np.repeat(ids, t * k), "plan_id": plan_id,
        "period": np.tile(np.repeat(labels, k), n), "kpi": np.tile(names, n * t),
        "value": value.reshape(-1)})
    frame = _surveys(frame, kpis, rng)
    if plant is not None and plant.kind == "bunching":
        size = _bunch(frame, comps, kpis, plant, rng)
    if plant is not None and plant.kind.startswith("survey"):
        frame, size = _survey_plant(frame, kpis, plant, rng)
    return frame, size


def _surveys(frame: pd.DataFrame, kpis: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Returns per person-period for KPIs with a minimum sample; scores held to 0–100."""
    minimum = frame["kpi"].map(kpis["min_sample_per_period"]).astype("float64").to_numpy()
    has = ~np.isnan(minimum)
    sample = np.where(has, rng.poisson(np.where(has, 3 * minimum, 0.0)) + minimum, np.nan)
    frame["sample_size"] = sample
    cx = frame["kpi"].map(kpis["category"]).eq("cx_perception").to_numpy()
    frame.loc[cx, "value"] = frame.loc[cx, "value"].clip(0.0, SCALE_TOP)
    return frame


def _bunch(frame: pd.DataFrame, comps: pd.DataFrame, kpis: pd.DataFrame, plant: Plant,
           rng: np.random.Generator) -> float:
    """Move values from just before the KPI's threshold to just past it; the count moved."""
    comp = comps[comps["kpi"] == plant.kpi].iloc[0]
    _, sd = _scales(comps, [plant.kpi])
    cut, s = float(comp["threshold"]), float(cast(float, kpis.at[plant.kpi, "sign"]))
    rows = (frame["kpi"] == plant.kpi).to_numpy()
    gap = s * (cut - frame["value"].to_numpy())  # > 0: on the unpaid side
    band = rows & (gap > 0) & (gap <= 0.4 * sd[0]) & (rng.random(len(frame)) < plant.size)
    frame.loc[band, "value"] = cut + s * rng.uniform(0, 0.1 * sd[0], int(band.sum()))
    return float(band.sum())


def _survey_plant(frame: pd.DataFrame, kpis: pd.DataFrame, plant: Plant,
                  rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    rows = (frame["kpi"] == plant.kpi).to_numpy()
    hit = rows & (rng.random(len(frame)) < plant.size)
    if plant.kind == "survey-small":
        low = float(cast(float, kpis.at[plant.kpi, "min_sample_per_period"]))
        frame.loc[hit, "sample_size"] = rng.integers(1, int(low), int(hit.sum()))
        return frame, float(hit.sum() / rows.sum())
    if plant.kind == "survey-top":
        frame.loc[hit, "value"] = SCALE_TOP
        top = frame.loc[rows, "value"] >= SCALE_TOP
        return frame, float(top.mean())
    scores = frame.loc[rows, "value"]
    independent = frame[rows].assign(source="independent_survey", sample_size=np.nan)
    fresh = scores.mean() + scores.std() * (rng.standard_normal(len(scores)) - plant.size)
    independent["value"] = np.clip(fresh, 0.0, SCALE_TOP)
    # np.where takes any value; numpy's stubs do not list None.
    frame["source"] = np.where(rows, "agent_triggered_survey", None)  # type: ignore[call-overload]
    return pd.concat([frame, independent], ignore_index=True), plant.size
