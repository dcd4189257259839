"""The alignment score, the exposure ranking, the org roll-ups and the protection rules of
the pressure profile (docs/alignment-score.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.profile import employee_controlled, pressure_profile
from policycheck.scoring import (
    SEVERITIES,
    ScoreWeights,
    alignment,
    by_org_unit,
    by_role_kind,
    counted,
    exposure_rank,
    severity_counts,
)
from policycheck.validation import load_model

ROOT = Path(__file__).resolve().parent.parent


def profiles(**columns: Any) -> pd.DataFrame:
    n = len(columns["plan_id"])
    base = {"role_kind": ["service"] * n, "pull_share": [0.0] * n,
            "guarded_pull_share": [0.0] * n, "headcount": [10] * n,
            "target_variable": [1000.0] * n, "pay_at_stake": [10000.0] * n,
            "currency": ["EUR"] * n}
    frame = pd.DataFrame(base | columns)
    frame["headcount"] = frame["headcount"].astype("Int64")
    return frame


def findings(*rows: tuple[str | None, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["plan_id", "severity", "status"])


def test_worked_example_of_the_documentation() -> None:
    """docs/alignment-score.md: 80 % of pay on handle time and escalations, nothing
    guarded, 7 high and 3 medium flags; 50 people on 4,050 target variable pay."""
    plan = profiles(plan_id=["cc"], pull_share=[0.8], headcount=[50],
                    target_variable=[4050.0])
    flags = findings(*[("cc", "high", "open")] * 7, *[("cc", "medium", "open")] * 3)
    row = alignment(plan, flags).iloc[0]
    assert (row["pull_points"], row["worst_points"], row["breadth_points"]) == (32, 25, 6)
    assert row["score"] == 37 and row["band"] == "misaligned"
    assert row["misalignment"] == pytest.approx(0.63)
    assert row["exposure"] == pytest.approx(50 * 4050 * 0.63)


def test_guarded_pull_counts_half_and_flags_cap() -> None:
    plan = profiles(plan_id=["a", "b", "c"], pull_share=[1.0, 1.0, 0.0],
                    guarded_pull_share=[0.0, 1.0, 0.0])
    flags = findings(*[("c", "critical", "open")] * 30, ("c", "low", "open"))
    scored = alignment(plan, flags)
    assert scored["pull_points"].tolist() == [40, 20, 0]
    assert scored["score"].tolist() == [60, 80, 100 - 40 - 20]
    assert scored["band"].tolist() == ["at risk", "aligned", "misaligned"]


def test_waived_and_baselined_findings_do_not_count() -> None:
    plan = profiles(plan_id=["a", "b"])
    flags = findings(("a", "critical", "waived"), ("a", "high", "baselined"),
                     ("b", "high", "reopened"))
    assert alignment(plan, flags)["score"].tolist() == [100, 75]


def test_score_weights_are_parameters() -> None:
    plan = profiles(plan_id=["a"], pull_share=[0.5])
    flags = findings(("a", "medium", "open"))
    weights = ScoreWeights(pull_points=60, worst_points={"medium": 5.0})
    assert alignment(plan, flags, weights)["score"].tolist() == [100 - 30 - 5]


def test_ranking_by_exposure_is_deterministic() -> None:
    plan = profiles(plan_id=["b", "a", "c", "d"], pull_share=[1.0, 1.0, 0.5, 1.0],
                    headcount=[10, 10, 10, pd.NA])
    scored = alignment(plan, findings())
    # a and b tie on exposure: the plan id decides; unknown headcount ranks last
    assert scored.sort_values("rank")["plan_id"].tolist() == ["a", "b", "c", "d"]
    assert exposure_rank(scored).tolist() == scored["rank"].tolist()


def test_severity_counts_keep_plan_order() -> None:
    counts = severity_counts(findings(("b", "high", "open"), ("b", "info", "open")),
                             ["a", "b"])
    assert counts.to_dict("list") == {"critical": [0, 0], "high": [0, 1], "medium": [0, 0],
                                      "low": [0, 0], "info": [0, 1]}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]),
                               st.sampled_from([*SEVERITIES, "odd"]),
                               st.sampled_from(["open", "waived", "baselined", "reopened"])),
                     max_size=40),
       plans=st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=6))
def test_severity_counts_are_those_of_a_crosstab(
        rows: list[tuple[str | None, str, str]], plans: list[str]) -> None:
    """Counted by codes, as pandas' crosstab counts them: set-aside findings, findings of
    no plan or of an unknown severity left out, a plan listed twice counted twice."""
    found = findings(*rows)
    counts = severity_counts(found, plans)
    open_ = counted(found)
    table = (pd.crosstab(open_["plan_id"], open_["severity"]) if len(open_)
             else pd.DataFrame())
    expected = table.reindex(index=np.asarray(plans, dtype=object), columns=list(SEVERITIES),
                             fill_value=0).fillna(0).astype(np.int64).reset_index(drop=True)
    pd.testing.assert_frame_equal(counts, expected, check_index_type=False,
                                  check_column_type=False, check_names=False)


def test_rollups_by_role_kind_and_org_unit() -> None:
    plan = profiles(plan_id=["a", "b"], role_kind=["sales", "service"], pull_share=[1, 0],
                    headcount=[2, 1])
    scored = alignment(plan, findings(("a", "critical", "open")))
    roles = by_role_kind(plan, scored).set_index("role_kind")
    assert roles.loc["sales", "people_misaligned"] == 2
    assert roles.loc["service", "people_misaligned"] == 0
    employees = pd.DataFrame({"plan_idx": [0, 0, 1], "org_unit": ["NA", "APAC", "NA"]})
    units = by_org_unit(employees, plan, scored).set_index("org_unit")
    assert units.loc["NA", "people"] == 2 and units.loc["NA", "people_misaligned"] == 1
    assert units.loc["NA", "score"] == np.round((20 + 100) / 2)
    assert by_org_unit(pd.DataFrame(), plan, scored).empty


def test_sample_org_unit_na_is_north_america() -> None:
    frames = load_model([ROOT / "sample_data" / "yaml"]).frames
    profile = pressure_profile(frames)
    units = by_org_unit(frames["employees"], profile, alignment(profile, findings()))
    assert "NA" in set(units["org_unit"])
    assert units["people"].sum() == 385


def plan_frames(tmp_path: Path, **plan: Any) -> Any:
    body = {"id": "p", "role_kind": "sales", "base_pay": 30000, "target_variable": 10000,
            "components": [{"id": "sales", "kpi": "units_sold", "weight": "60%"},
                           {"id": "fcr", "kpi": "fcr", "weight": "40%"}], **plan}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"plan": body}), encoding="utf-8")
    loaded = load_model([tmp_path / "p.yaml"])
    assert not loaded.errors, [str(p) for p in loaded.errors]
    return loaded.frames


@pytest.mark.parametrize("plan,protected,guarded,ignored", [
    ({}, 0.0, 0.0, 0),
    ({"gates": [{"kpi": "qa_score", "min": 80}]}, 1.0, 0.6, 0),
    ({"gates": [{"kpi": "qa_score", "min": 80, "applies_to": ["fcr"]}]}, 0.4, 0.0, 0),
    # the employee controls these measures: not protection (principle 3)
    ({"gates": [{"kpi": "fcr_self_coded", "min": 80}]}, 0.0, 0.0, 1),
    ({"modifiers": [{"kpi": "csat_post_call", "factor_min": 0.8, "factor_max": 1.2}]},
     0.0, 0.0, 1),
    # a gate that cuts little or can be waived does not protect
    ({"gates": [{"kpi": "qa_score", "min": 80, "effect": "reduce", "reduce_pct": 20}]},
     0.0, 0.0, 0),
    ({"gates": [{"kpi": "qa_score", "min": 80, "override_by": "Manager"}]}, 0.0, 0.0, 0),
    ({"gates": [{"kpi": "qa_score", "min": 80, "effect": "reduce", "reduce_pct": 50}]},
     1.0, 0.6, 0),
    # a modifier protects as a gate does: when missing its measure costs half the pay
    ({"modifiers": [{"kpi": "qa_score", "factor_min": 0.5, "factor_max": 1.1}]}, 1.0, 0.6, 0),
    ({"modifiers": [{"kpi": "qa_score", "factor_min": 0.8, "factor_max": 1.1}]}, 0.0, 0.0, 0),
    ({"modifiers": [{"kpi": "qa_score", "factor_min": 0.98, "factor_max": 1.02}]},
     0.0, 0.0, 0),
    ({"clawback": {"triggers": ["mis_sale"], "window_days": 90}}, 0.0, 0.6, 0),
])
def test_what_counts_as_customer_protection(tmp_path: Path, plan: dict[str, Any],
                                            protected: float, guarded: float,
                                            ignored: int) -> None:
    row = pressure_profile(plan_frames(tmp_path, **plan)).iloc[0]
    assert row["protected_share"] == pytest.approx(protected)
    assert row["guarded_pull_share"] == pytest.approx(guarded)
    assert row["untrusted_protection"] == ignored
    assert row["pull_share"] == pytest.approx(0.6)


def test_profile_keeps_its_columns(tmp_path: Path) -> None:
    row = pressure_profile(plan_frames(tmp_path)).iloc[0]
    for column in ("plan_id", "role_kind", "share_speed", "share_cost", "share_sales",
                   "share_customer", "share_neutral", "customer_gates", "customer_modifiers",
                   "protected_share", "clawback", "headcount", "base_pay", "target_variable",
                   "variable_share", "pay_at_stake"):
        assert column in row.index
    assert row["share_customer_trusted"] == pytest.approx(0.4)
    assert row["share_customer_controlled"] == 0.0


@settings(max_examples=200, deadline=None, derandomize=True)
@given(rows=st.lists(st.tuples(st.sampled_from(["p2", "p1", "p10", "é"]),
                               st.sampled_from([*SEVERITIES, "odd"]),
                               st.sampled_from(["r.b", "r.a", "q"]),
                               st.sampled_from(["open", "waived", "baselined", "reopened"])),
                     max_size=40))
def test_worst_finding_of_each_plan_is_the_sorted_frames_first(
        rows: list[tuple[str, str, str, str]]) -> None:
    """Most severe first, then rule id, then file order; set-aside findings left out; by
    plan id. The reference sorts the frame by its columns, as the report did."""
    from policycheck.engine import SEVERITY_RANK
    from policycheck.leadership.analysis import worst_findings

    found = pd.DataFrame(rows, columns=["plan_id", "severity", "rule_id", "status"]
                         ).astype("str").assign(position=range(len(rows)))
    open_ = counted(found)
    expected = (open_.assign(_rank=open_["severity"].map(SEVERITY_RANK),
                             _order=np.arange(len(open_)))
                .sort_values(["plan_id", "_rank", "rule_id", "_order"], kind="stable")
                .drop_duplicates("plan_id").set_index("plan_id")
                .drop(columns=["_rank", "_order"]))
    pd.testing.assert_frame_equal(worst_findings(found), expected)


def testkpi_attributes_are_looked_up_per_row() -> None:
    """A KPI the catalog does not hold, or a row with none, has no attribute (NaN)."""
    from policycheck.profile import kpi_attribute

    kpis = pd.DataFrame({"kpi_id": ["aht", "csat"], "pressure": ["speed", "customer"]})
    rows = pd.DataFrame({"kpi": ["csat", "aht", "unknown", None, "csat"]})
    got = kpi_attribute(rows, kpis, "pressure")
    assert got[[0, 1, 4]].tolist() == ["customer", "speed", "customer"]
    assert all(isinstance(v, float) and np.isnan(v) for v in got[[2, 3]])
    kpis = kpis.assign(data_source=["system", "agent_triggered_survey"],
                       min_sample_per_period=pd.array([5, None], dtype="Int64"))
    # csat: a survey the agent sends; aht: a sample too small to trust; unknown: neither
    assert employee_controlled(rows, kpis).tolist() == [True, True, False, False, True]
    assert employee_controlled(rows, kpis.assign(min_sample_per_period=[50, 50]),
                               untrusted_sources=()).tolist() == [False] * 5
