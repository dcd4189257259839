"""The plan-level functions of the rule language, on small plans computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ci_plans import run, workdir, write

from policycheck.expression import compile_expression
from policycheck.scopes import Frames, RowContext, build_scopes
from policycheck.validation import load_model

__all__ = ["workdir"]

PLANS = """
plans:
  - id: speedy
    role: Team lead
    role_kind: service
    base_pay: 30000
    target_variable: 3000
    components:
      - {id: aht, kpi: aht, weight: 10%}
      - {id: tickets, kpi: tickets_closed, weight: 20%}
      - {id: hold, kpi: hold_time, weight: 20%}
      - {id: fcr, kpi: fcr, weight: 50%,
         curve_points: [[80, 0], [100, 100], [101, 130], [120, 200]],
         rates: {gold: 300, silver: 100}}
    gates:
      - {id: qa, kpi: qa_score, min: 80, applies_to: [aht]}
    modifiers:
      - {kpi: csat, applies_to: all, factor_min: 0.8, factor_max: 1.2}
  - id: plain
    role: Agent
    role_kind: service
    base_pay: 30000
    target_variable: 3000
    components:
      - {id: fcr, kpi: fcr, weight: 100%}
    gates:
      - {kpi: fcr, min: 70, override_by: team lead}
"""


def frames_of(folder: Path, plans: str) -> Frames:
    """The frames of a valid model read from ``plans`` written in ``folder``."""
    (folder / "plans.yaml").write_text(plans)
    model = load_model([folder])
    assert model.ok, [str(p) for p in model.problems]
    return Frames(model.frames)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Frames:
    return frames_of(tmp_path_factory.mktemp("plans"), PLANS)


def values(frames: Frames, scope: str, expression: str) -> list[object]:
    compiled = compile_expression(expression, scope, build_scopes({}))
    return np.asarray(compiled.evaluate(RowContext(frames, scope, {}))).tolist()


def test_share_of_pressure_lands_exactly_on_the_threshold(frames: Frames) -> None:
    # 10 % + 20 % + 20 % in floats is 0.5000000000000001; in basis points it is exactly 5000.
    assert values(frames, "plan", "share('speed')") == [0.0, 0.5]
    assert values(frames, "plan", "share('speed') >= 50%") == [False, True]
    assert values(frames, "plan", "share('speed') > 50%") == [False, False]
    assert values(frames, "plan", "share('throughput')") == [0.0, 0.2]


def test_share_where_and_collection_aggregates(frames: Frames) -> None:
    assert values(frames, "plan", "share_where(kpi.direction == 'lower')") == [0.0, 0.3]
    assert values(frames, "plan", "count_of(components)") == [1, 4]
    assert values(frames, "plan", "count_of(gates, kpi.pressure == 'customer')") == [1, 1]
    assert values(frames, "plan", "any_of(modifiers, kpi.id == 'csat')") == [False, True]
    assert values(frames, "plan", "all_of(modifiers, kpi.id == 'nps')") == [True, False]
    assert values(frames, "plan", "sum_of(components, weight, basis == 'individual')") == [1.0, 1.0]
    assert values(frames, "plan", "max_of(components, weight)") == [1.0, 0.5]
    assert values(frames, "plan", "min_of(gates, min) == null") == [False, False]
    assert values(frames, "plan", "max_of(modifiers, factor_max) == null") == [True, False]


def test_sum_of_lands_exactly_on_the_threshold(frames: Frames) -> None:
    """10 % + 20 % in floats is 0.30000000000000004, above 0.3: a sum is rounded to 9
    decimal places, as a share is summed in basis points."""
    tenth_and_fifth = "sum_of(components, weight, kpi.id in ['aht', 'tickets_closed'])"
    assert values(frames, "plan", tenth_and_fifth) == [0.0, 0.3]
    assert values(frames, "plan", f"{tenth_and_fifth} > 0.3") == [False, False]
    assert values(frames, "plan", f"{tenth_and_fifth} >= 30%") == [False, True]
    assert values(frames, "plan", "sum_of(components, weight * 3000, kpi.pressure == 'speed')"
                  ) == [0.0, 1500.0]


def test_sum_of_keeps_a_sum_too_large_for_nine_decimals(tmp_path: Path) -> None:
    """Past 9,007,199 a float has no ninth decimal: rounding would move a sum by a step,
    or make an infinite one of 1e300."""
    plain = PLANS.index("id: plain")
    frames = frames_of(tmp_path, PLANS[:plain] + PLANS[plain:].replace(
        "target_variable: 3000", "target_variable: 8158535541.22"))
    # rounded to 9 places it read 8158535541.220001
    assert values(frames, "plan", "sum_of(components, weight * plan.target_variable)") == [
        8158535541.22, 3000.0]
    huge = "(1e15 ** 4) ** 4 * 1e15 ** 4"  # about 1e300: a literal is at most 1e15
    [one, _] = values(frames, "plan", huge)
    assert values(frames, "plan", f"sum_of(components, {huge})") == [one, 4 * one]


def sum_rule(comparison: str, fire: str, passes: str) -> str:
    """A rule comparing the weight on speed (aht, tickets_closed) with 30 %, and its
    examples: plans with those weights on aht and tickets_closed, the rest on fcr."""
    def plan(weights: str) -> str:
        aht, tickets = weights.split()
        rest = 100 - int(aht) - int(tickets)
        return ("{role_kind: service, base_pay: 30000, target_variable: 3000, components: ["
                f"{{id: aht, kpi: aht, weight: {aht}%}}, "
                f"{{id: tickets, kpi: tickets_closed, weight: {tickets}%}}, "
                f"{{id: fcr, kpi: fcr, weight: {rest}%}}]}}")
    return f"""\
id: org.sum
title: T
severity: medium
scope: plan
patterns: [A06]
principles: [1]
condition: sum_of(components, weight, kpi.pressure == 'speed') {comparison} 0.3
message: speed
rationale: r
remediation: r
references: []
examples:
  fire:
    - {plan(fire)}
  pass:
    - {plan(passes)}
"""


@pytest.mark.parametrize("comparison, fire, passes", [
    (">", "20 20", "10 20"),  # 10 % and 20 % fired: 0.30000000000000004 > 0.3
    (">=", "10 20", "10 10"),
])
def test_a_rule_on_sum_of_weights_fires_exactly_at_its_threshold(
        workdir: Path, capsys: pytest.CaptureFixture[str], comparison: str, fire: str,
        passes: str) -> None:
    write(workdir, {"pack/org.sum.yaml": sum_rule(comparison, fire, passes)})
    assert run(capsys, "rules", "test", "pack") == (
        0, "ok   org.sum (2 examples)\n1 rule passed, 0 failed.\n", "")


def test_aggregates_in_a_child_scope_mean_the_rows_plan(frames: Frames) -> None:
    # components are sorted by plan id, then in the order written
    assert values(frames, "component", "plan.id") == ["plain", "speedy", "speedy", "speedy",
                                                      "speedy"]
    assert values(frames, "component", "share('speed')") == [0.0, 0.5, 0.5, 0.5, 0.5]


def test_gated_and_modified_follow_applies_to(frames: Frames) -> None:
    assert values(frames, "component", "gated(kpi.id == 'qa_score')") == [
        False, True, False, False, False]
    assert values(frames, "component", "gated(true)") == [True, True, False, False, False]
    assert values(frames, "component", "modified(kpi.id == 'csat')") == [
        False, True, True, True, True]


def test_curve_and_rate_functions(frames: Frames) -> None:
    # fcr of 'speedy': a 30-point payout rise within one attainment point
    assert values(frames, "component", "cliff_jump(1)") == [0.0, 0.0, 0.0, 0.0, 0.3]
    ratio = values(frames, "component", "slope_ratio()")
    assert ratio[4] == pytest.approx(30 / 5)  # 30 per point above target vs 5 per point below
    assert np.isnan(ratio[0])
    assert values(frames, "component", "rate_ratio()")[4] == 3.0


def test_plans_of_role_links_a_gate_override_to_the_overriders_plan(frames: Frames) -> None:
    assert values(frames, "gate", "plans_of_role(override_by, share('speed') >= 50%)") == [
        True, False]
    # the roles that satisfy a predicate are kept per predicate, never another's
    assert values(frames, "gate", "plans_of_role(override_by, false)") == [False, False]
    assert values(frames, "gate", "plans_of_role(lower(override_by), share('speed') >= 50%)"
                  ) == [True, False]


CURVES = """
plans:
  - id: curves
    role: Agent
    role_kind: service
    base_pay: 30000
    target_variable: 3000
    components:
      - {id: back, kpi: fcr, weight: 40%, curve_points: [[0, 0], [90, 10], [100, 100], [150, 200]]}
      - {id: late, kpi: qa_score, weight: 30%, curve_points: [[90, 80], [100, 100]],
         rates: {broadband: 0, tv: 40}}
      - {id: flat, kpi: csat, weight: 30%, rates: {a: 10, b: 10}}
    gates:
      - {kpi: qa_score, min: 80, override_by: Team Lead}
  - id: lead
    role: team lead
    role_kind: manager
    base_pay: 40000
    target_variable: 0
    duties: [resolve_issue, coach]
"""


@pytest.fixture(scope="module")
def curve_frames(tmp_path_factory: pytest.TempPathFactory) -> Frames:
    folder: Path = tmp_path_factory.mktemp("curves")
    (folder / "plans.yaml").write_text(CURVES)
    model = load_model([folder])
    assert model.ok, [str(p) for p in model.problems]
    return Frames(model.frames)


def test_slope_ratio_weighs_segments_by_width(curve_frames: Frames) -> None:
    # below 100 %: 100 points of payout over 100 of attainment = 1; above: 100 over 50 = 2
    assert values(curve_frames, "component", "slope_ratio()")[0] == pytest.approx(2.0)


def test_cliff_jump_counts_a_first_point_that_already_pays(curve_frames: Frames) -> None:
    assert values(curve_frames, "component", "cliff_jump(1)") == [0.0, 0.8, 0.0]


def test_rate_ratio_of_a_zero_rate_is_infinite(curve_frames: Frames) -> None:
    ratios = values(curve_frames, "component", "rate_ratio()")
    assert np.isnan(ratios[0]) and ratios[1] == np.inf and ratios[2] == 1.0


def test_overlaps_contains_and_role_overrides(curve_frames: Frames) -> None:
    assert values(curve_frames, "plan", "overlaps(duties, ['COACH', 'sell'])") == [False, True]
    assert values(curve_frames, "plan", "contains(role, 'LEAD')") == [False, True]
    assert values(curve_frames, "plan", "role_overrides(kpi.category == 'quality')") == [
        False, True]


def test_date_evidence_is_an_iso_date() -> None:
    from policycheck.wording import json_values, plain

    dates = np.array(["2027-01-04", "NaT"], dtype="datetime64[ns]")
    assert json_values(dates).tolist() == ["2027-01-04", None]
    assert plain(dates[0]) == "2027-01-04"


TARGETED = """
plans:
  - id: a-plan
    role_kind: service
    base_pay: 30000
    target_variable: 3000
    components:
      - {id: one, kpi: aht, weight: 40%}
      - {id: two, kpi: fcr, weight: 30%}
      - {id: three, kpi: tickets_closed, weight: 30%}
    gates:
      - {kpi: qa_score, min: 80, applies_to: [one, three]}
      - {kpi: csat, min: 3, applies_to: [two]}
  - id: b-plan
    role_kind: service
    base_pay: 30000
    target_variable: 3000
    components:
      - {id: one, kpi: aht, weight: 100%}
    gates:
      - {kpi: fcr, min: 70, applies_to: all}
"""


def test_gated_by_gates_naming_several_components(tmp_path: Path) -> None:
    frames = frames_of(tmp_path, TARGETED)
    # the targets of every gate are worked out once and serve each predicate
    assert values(frames, "component", "gated(kpi.id == 'qa_score')") == [
        True, False, True, False]
    assert values(frames, "component", "gated(kpi.id == 'csat')") == [False, True, False, False]
    assert values(frames, "component", "gated(kpi.id == 'fcr')") == [False, False, False, True]
    assert values(frames, "component", "gated(kpi.id != 'fcr')") == [True, True, True, False]
