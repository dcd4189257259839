"""Payout sensitivity against hand-computed cases, for every curve kind, with and without
thresholds, caps, curve points and the plan maximum (docs/sensitivity.md).

Every plan here has a target variable pay of 10,000 and, unless said otherwise, one
component of weight 100 %, so the extra pay of a step is 100 × the rise in payout %.
``units_sold`` is a higher-is-better count, ``aht`` lower-is-better seconds and
``first_time_fix`` a higher-is-better percentage (built-in KPI library).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.sensitivity import (
    CurveParams,
    attainment_step,
    formula_payout,
    plan_sensitivity,
    points_payout,
    sensitivity,
)
from policycheck.validation import load_model

ROOT = Path(__file__).resolve().parent.parent


def model(tmp_path: Path, components: list[dict[str, Any]], **plan: Any) -> Any:
    body = {"id": "p", "role_kind": "sales", "base_pay": 30000, "target_variable": 10000,
            **plan, "components": components}
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump({"plan": body}), encoding="utf-8")
    loaded = load_model([tmp_path / "plan.yaml"])
    assert not loaded.errors, [str(p) for p in loaded.errors]
    return loaded.frames


def extra(tmp_path: Path, params: CurveParams | None = None, plan: dict[str, Any] | None = None,
          **component: Any) -> pd.Series:
    """The sensitivity row of a one-component plan."""
    spec = {"id": "c", "kpi": "units_sold", "weight": "100%", "target": 100, **component}
    return sensitivity(model(tmp_path, [spec], **(plan or {})), params).iloc[0]


# (curve, threshold, cap, extra pay, capped by the component cap) for units_sold, target 100.
CASES = [
    # linear: payout % = attainment %; with a threshold, the line through (80, 0) and
    # (100, 100) has slope 5 and carries on above target
    ("linear", None, None, 1000.0, False),
    ("linear", 80, None, 5000.0, False),
    ("linear", 80, 1.2, 2000.0, True),
    ("linear", None, 1.05, 500.0, True),
    # accelerating: slope × 2 above target
    ("accelerating", None, None, 2000.0, False),
    ("accelerating", 80, None, 10000.0, False),
    ("accelerating", 80, 1.5, 5000.0, True),
    # decelerating: slope × 0.5 above target
    ("decelerating", None, None, 500.0, False),
    ("decelerating", 80, None, 2500.0, False),
    ("decelerating", 80, 1.1, 1000.0, True),
    # stepped: the line at the last 10-point step reached; +10 points lands on a step
    ("stepped", None, None, 1000.0, False),
    ("stepped", 80, None, 5000.0, False),
    ("stepped", 80, 1.3, 3000.0, True),
    # retroactive: the tier rate (× 1.2 from 110 %) applies to every unit: 110 × 1.2 = 132
    ("retroactive", None, None, 3200.0, False),
    ("retroactive", 80, None, 8000.0, False),
    ("retroactive", 80, 1.5, 5000.0, True),
]


@pytest.mark.parametrize("curve,threshold,cap,expected,capped", CASES)
def test_every_curve_kind_against_hand_computed_values(
        tmp_path: Path, curve: str, threshold: float | None, cap: float | None,
        expected: float, capped: bool) -> None:
    fields = {"curve": curve} | ({"threshold": threshold} if threshold is not None else {}) \
        | ({"cap": cap} if cap is not None else {})
    row = extra(tmp_path, **fields)
    assert row["extra_pay"] == pytest.approx(expected)
    assert bool(row["component_capped"]) is capped
    assert row["step_value"] == pytest.approx(10.0)
    assert row["step_points"] == pytest.approx(10.0)


def test_lower_is_better_mirror_and_ratio(tmp_path: Path) -> None:
    # aht target 300 s, threshold 420 s. Mirror: a = 100·(2 − x/t), so the threshold sits at
    # 60 %, the slope is 100/40 = 2.5 and cutting 30 s pays 25 % more.
    row = extra(tmp_path, kpi="aht", target=300, threshold=420)
    assert row["step_value"] == pytest.approx(-30.0)
    assert row["extra_pay"] == pytest.approx(2500.0)
    # Ratio: a = 100·t/x: the threshold at 71.43 %, slope 3.5, 270 s is 111.11 %.
    ratio = extra(tmp_path, CurveParams(lower_attainment="ratio"), kpi="aht", target=300,
                  threshold=420)
    assert ratio["step_points"] == pytest.approx(100 / 9)
    assert ratio["extra_pay"] == pytest.approx(3.5 * 100 / 9 * 100)


def test_curve_points_override_the_curve_kind(tmp_path: Path) -> None:
    points = [[80, 0], [100, 100], [120, 150]]
    for curve in ("linear", "accelerating", "decelerating", "retroactive"):
        row = extra(tmp_path, curve=curve, threshold=50, curve_points=points)
        assert row["extra_pay"] == pytest.approx(2500.0), curve  # 100 → 125


def test_stepped_curve_points_hold_each_payout_until_the_next_point(tmp_path: Path) -> None:
    points = [[84, 0], [85, 100], [110, 150]]
    assert extra(tmp_path, curve="stepped", curve_points=points)["extra_pay"] == 5000.0
    half = extra(tmp_path, CurveParams(step=0.05), curve="stepped", curve_points=points)
    assert half["extra_pay"] == 0.0  # 105 % is still on the 85 % step
    # the same points read as a line pay 130 % at target and 150 % at 110 %
    assert extra(tmp_path, curve="linear", curve_points=points)["extra_pay"] == 2000.0


def test_beyond_the_last_point_extend_or_flat(tmp_path: Path) -> None:
    points = [[50, 0], [100, 100], [105, 110]]
    assert extra(tmp_path, curve_points=points)["extra_pay"] == pytest.approx(2000.0)
    flat = extra(tmp_path, CurveParams(beyond_last_point="flat"), curve_points=points)
    assert flat["extra_pay"] == pytest.approx(1000.0)


def test_points_whose_target_payout_is_not_100(tmp_path: Path) -> None:
    row = extra(tmp_path, curve_points=[[0, 0], [90, 100], [110, 150]])
    assert row["payout_at_target"] == pytest.approx(125.0)
    assert row["extra_pay"] == pytest.approx(2500.0)


def test_nothing_is_paid_below_the_first_point(tmp_path: Path) -> None:
    row = extra(tmp_path, curve_points=[[120, 0], [130, 100]])
    assert (row["payout_at_target"], row["extra_pay"]) == (0.0, 0.0)


def test_a_percentage_cannot_pass_100(tmp_path: Path) -> None:
    row = extra(tmp_path, kpi="first_time_fix", target=95)
    assert row["step_value"] == pytest.approx(5.0)
    assert row["extra_pay"] == pytest.approx(10000 * 5 / 95)


def test_the_plan_maximum_limits_the_extra(tmp_path: Path) -> None:
    frames = model(tmp_path, [
        {"id": "a", "kpi": "units_sold", "weight": "50%", "target": 100, "threshold": 80},
        {"id": "b", "kpi": "aht", "weight": "50%", "target": 300}], max_variable=10300)
    rows = sensitivity(frames)
    assert rows["extra_pay"].tolist() == pytest.approx([300.0, 300.0])
    assert rows["plan_capped"].tolist() == [True, True]
    uncapped = sensitivity(model(tmp_path, [
        {"id": "a", "kpi": "units_sold", "weight": "50%", "target": 100, "threshold": 80},
        {"id": "b", "kpi": "aht", "weight": "50%", "target": 300}]))
    assert uncapped["extra_pay"].tolist() == pytest.approx([2500.0, 500.0])


@pytest.mark.parametrize("params,expected", [
    (CurveParams(accelerating_slope=3.0), 3000.0),
    (CurveParams(decelerating_slope=0.25), 250.0),
    (CurveParams(step_points=20.0), 0.0),
    (CurveParams(retroactive_uplift=0.5), 6500.0),
    (CurveParams(retroactive_tier_points=20.0), 1000.0),
])
def test_the_constants_are_parameters(tmp_path: Path, params: CurveParams,
                                      expected: float) -> None:
    curve = {3000.0: "accelerating", 250.0: "decelerating", 0.0: "stepped"}.get(
        expected, "retroactive")
    assert extra(tmp_path, params, curve=curve)["extra_pay"] == pytest.approx(expected)


def test_threshold_payout_starts_the_line_above_zero(tmp_path: Path) -> None:
    row = extra(tmp_path, CurveParams(threshold_payout=50.0), threshold=80)
    assert row["extra_pay"] == pytest.approx(2500.0)  # (80, 50) to (100, 100): slope 2.5


@pytest.mark.parametrize("bad", [{"step": 0}, {"accelerating_slope": 1.0},
                                 {"decelerating_slope": 1.0}, {"step_points": 0},
                                 {"lower_attainment": "inverse"},
                                 {"beyond_last_point": "wrap"}])
def test_bad_parameters_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CurveParams(**bad)


def test_functions_work_on_whole_columns() -> None:
    att = np.array([90.0, 100.0, 110.0, 110.0, 110.0])
    curve = np.array(["linear", "linear", "accelerating", "stepped", "retroactive"], object)
    got = formula_payout(att, curve, np.full(5, np.nan), CurveParams())
    assert got.tolist() == pytest.approx([90.0, 100.0, 120.0, 110.0, 132.0])
    move, points = attainment_step(np.array([300.0, 100.0]), np.array([True, False]),
                                   np.array([False, False]), CurveParams())
    assert move.tolist() == [-30.0, 10.0] and points.tolist() == [10.0, 10.0]
    pts = pd.DataFrame({"row": [0, 0, 1, 1], "attainment": [0.0, 100, 0, 100],
                        "payout": [0.0, 100, 0, 200]})
    drawn = points_payout(np.array([0, 1, -1]), np.array([50.0, 50.0, 50.0]), pts,
                          np.array([False, False]), CurveParams())
    assert drawn[:2].tolist() == [50.0, 100.0] and np.isnan(drawn[2])


def test_each_plan_is_computed_alone(tmp_path: Path) -> None:
    """One pass over the whole company gives what each file gives on its own."""
    files = sorted((ROOT / "sample_data" / "yaml" / "plans").glob("*.yaml"))
    kpis = ROOT / "sample_data" / "yaml" / "kpis.yaml"
    together = sensitivity(load_model([*files, kpis]).frames)
    alone = pd.concat([sensitivity(load_model([f, kpis]).frames) for f in files])
    key = ["plan_id", "component_id"]
    pd.testing.assert_frame_equal(together.sort_values(key).reset_index(drop=True),
                                  alone.sort_values(key).reset_index(drop=True))


def test_plan_summary_compares_pull_with_trusted_customer_measures(tmp_path: Path) -> None:
    frames = model(tmp_path, [
        {"id": "speed", "kpi": "aht", "weight": "50%", "target": 300, "threshold": 420},
        {"id": "fcr", "kpi": "fcr", "weight": "30%", "target": 80},
        {"id": "csat", "kpi": "csat_post_call", "weight": "20%", "target": 90,
         "threshold": 80}], role_kind="service")
    rows = sensitivity(frames)
    summary = plan_sensitivity(rows, frames["plans"]["plan_id"]).iloc[0]
    assert summary["pull_kpi_name"] == "Average handle time"
    assert summary["pull_extra_pay"] == pytest.approx(1250.0)  # 5,000 × 25 %
    assert summary["customer_extra_pay"] == pytest.approx(300.0)  # 3,000 × 10 %
    assert summary["ratio"] == pytest.approx(1250 / 300)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(rows=st.lists(st.tuples(st.sampled_from(["p1", "p2", "p3"]),
                               st.sampled_from(["speed", "sales", "customer", "neutral", None]),
                               st.booleans(),
                               st.sampled_from([0.0, 10.0, 25.5, float("nan")]),
                               st.sampled_from(["AHT", "CSAT", "<b>"])), max_size=25),
       plans=st.lists(st.sampled_from(["p1", "p2", "p3", "p4"]), max_size=5))
def test_best_step_of_each_plan_is_the_sorted_frames_first(
        rows: list[tuple[str, str | None, bool, float, str]], plans: list[str]) -> None:
    """Per plan and side, the best-paid step (a missing pay last, the first component at a
    tie), as sorting the frame and keeping each plan's first row gives it; a plan with no
    such component has none (NaN)."""
    from policycheck.profile import PULL_PRESSURES

    components = pd.DataFrame(rows, columns=["plan_id", "pressure", "controlled", "extra_pay",
                                             "kpi_name"]).assign(
        direction=lambda f: np.where(f["extra_pay"] > 10, "lower", "higher"),
        step_value=lambda f: np.arange(len(f), dtype=np.float64),
        target=lambda f: np.arange(len(f), dtype=np.float64) * 2)
    components = components.astype({"extra_pay": "float64", "controlled": bool})
    got = plan_sensitivity(components, plans)
    # the reference: the frame sorted by its columns, each plan's first row
    ranked = components.assign(_order=np.arange(len(components)))
    out = pd.DataFrame({"plan_id": np.asarray(plans, dtype=object)})
    sides = {"pull": ranked["pressure"].isin(PULL_PRESSURES),
             "customer": (ranked["pressure"] == "customer") & ~ranked["controlled"]}
    for side, mask in sides.items():
        best = (ranked[mask].sort_values(["plan_id", "extra_pay", "_order"],
                                         ascending=[True, False, True], kind="stable")
                .drop_duplicates("plan_id").set_index("plan_id"))
        for column in ("kpi_name", "direction", "step_value", "target", "extra_pay"):
            out[f"{side}_{column}"] = best[column].reindex(out["plan_id"]).to_numpy()
    pd.testing.assert_frame_equal(got.drop(columns="ratio"), out, check_dtype=False)


def test_a_percentage_unit_is_read_as_catalogs_write_it() -> None:
    """An organisation's catalog wrote `unit: pct`: its step went past 100 % ("+9.5 pct"
    from a target of 95, paying for a conversion rate of 104.5 %)."""
    from policycheck.sensitivity import percent_unit

    assert percent_unit(np.array(["percent", "pct", " PCT ", "%", "Percentage", "count",
                                  None, "percentile"], dtype=object)).tolist() == [
        True, True, True, True, True, False, False, False]


def test_one_step_is_written_for_a_reader() -> None:
    """"+2.4e+05 currency" in a board pack: whole thousands grouped, money in the plan's
    currency, percentages in points, counts bare."""
    from policycheck.leadership.words import step_text

    steps = pd.Series([240000.0, -9.2, 5.0, 0.8, -30.0, 1012.5, 0.123456, float("nan")])
    units = pd.Series(["currency", "currency", "pct", "ratio", "seconds", "count", "percent",
                       "count"])
    currency = pd.Series(["EUR", "GBP", "EUR", "EUR", "EUR", "EUR", "EUR", "EUR"])
    assert step_text(steps, units, currency).tolist() == [
        "+240,000 EUR", "−9.2 GBP", "+5 points", "+0.8 ratio", "−30 seconds", "+1,012",
        "+0.123 points", "+n/a"]
