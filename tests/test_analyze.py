"""Outcome evidence (docs/analyze.md): every planted pattern is found with its size within
20 %, and a clean control draws no finding, on seeded synthetic actuals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from policycheck.analyze import analyse_actuals
from policycheck.analyze.actuals import _coded, _typed
from policycheck.analyze.params import resolve
from policycheck.analyze.synthetic import Plant, generate
from policycheck.errors import Location, UsageError
from policycheck.validation import Model, load_model

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "yaml"
#: plan → (pattern, the finding's rule, the evidence field that estimates the planted size)
PLANTS = {
    "cc-agent-core-2027": (Plant("bunching", 0.8, "aht"), "evidence.threshold-bunching",
                           "excess"),
    "bo-billing-ops-2027": (Plant("bunching", 0.8, "tickets_closed"),
                            "evidence.threshold-bunching", "excess"),
    "rb-banker-solutions-2027": (Plant("divergence", 0.05), "evidence.divergence",
                                 "pull_slope_sd"),
    "fs-tech-flatrate-2027": (Plant("payout", 0.6), "evidence.payout-vs-customer",
                              "customer_gap_sd"),
    "cc-agent-resolve-2027": (Plant("survey-small", 0.4, "fcr"),
                              "evidence.survey-small-sample", "share_below_min"),
    "mf-broker-desk-2027": (Plant("survey-top", 0.35, "csat"), "evidence.survey-top-scores",
                            "share_at_top"),
    "col-agent-recovery-2027": (Plant("survey-gap", 0.6, "csat"),
                                "evidence.survey-source-gap", "gap_sd"),
}


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model([SAMPLE])


def run(model: Model, plants: dict[str, Plant], seed: int, people: int = 1500
        ) -> tuple[pd.DataFrame, dict[str, float]]:
    raw, truth = generate(model.frames, plants, people=people, seed=seed)
    actuals = _coded(_typed(raw, Location("synthetic")), model.plans)
    return analyse_actuals(model, actuals, resolve({})).report.findings, truth


@pytest.mark.parametrize("seed", [11, 12])
def test_planted_patterns_found_within_20_percent(model: Model, seed: int) -> None:
    findings, truth = run(model, {p: spec[0] for p, spec in PLANTS.items()}, seed)
    for plan_id, (_, rule_id, field) in PLANTS.items():
        found = findings[(findings["plan_id"] == plan_id) & (findings["rule_id"] == rule_id)]
        assert len(found) == 1, (plan_id, rule_id, findings[["plan_id", "rule_id"]])
        estimate = found["evidence"].iat[0][field]
        assert estimate == pytest.approx(truth[plan_id], rel=0.2), (plan_id, estimate)
    divergence = findings[findings["rule_id"] == "evidence.divergence"]["evidence"].iat[0]
    assert -divergence["customer_slope_sd"] == pytest.approx(0.05, rel=0.2)
    planted = set(PLANTS)
    assert set(findings["plan_id"]) == planted  # nothing found in the unplanted plans


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_clean_control_draws_no_finding(model: Model, seed: int) -> None:
    findings, _ = run(model, {}, seed)
    assert findings.empty, findings[["plan_id", "rule_id", "message"]].to_string()


def test_findings_have_the_engine_columns(model: Model) -> None:
    from policycheck.engine import FINDING_COLUMNS

    findings, _ = run(model, {"cc-agent-core-2027": Plant("bunching", 0.6, "aht")}, 3, 800)
    assert tuple(findings.columns) == FINDING_COLUMNS
    row = findings.iloc[0]
    assert (row["scope"], row["entity_id"], row["component_id"]) == (
        "component", "handle-time:threshold", "handle-time")
    assert row["src_file"].endswith("contact-centre.yaml") and row["status"] == "open"


def test_generator_is_seeded(model: Model) -> None:
    one, _ = generate(model.frames, {}, people=5, seed=4)
    two, _ = generate(model.frames, {}, people=5, seed=4)
    pd.testing.assert_frame_equal(one, two)


def test_unknown_parameter_suggests_the_closest() -> None:
    with pytest.raises(UsageError, match=r"did you mean 'bunching\.degree'"):
        resolve({"bunching.degre": 3})
    with pytest.raises(UsageError, match="expected a number"):
        resolve({"bunching.degree": "high"})
    assert resolve({"survey.min_z": "2"})["survey.min_z"] == 2.0


#: Each signal's message: the finding in words (KPIs by name), then the statistic in
#: brackets.
MESSAGES = {
    "evidence.threshold-bunching": r"(Average handle time|Tickets closed): \d+ more results "
    r"than expected sit just on the paying side of the threshold \(\d+ or (less|more) "
    r"pays\), out of 18,000: a sign of results steered to the pay line \(bunching b = "
    r"\d\.\d\d ± \d\.\d\d, the excess per bin of the smooth counterfactual\)",
    "evidence.divergence": r"Accounts opened and Products per customer improved period "
    r"after period while Post-contact satisfaction \(agent-sent survey\) worsened, for the "
    r"same 1,500 people \(per period: \+0\.\d{3} SD ± 0\.\d{3} on the speed, cost or sales "
    r"measures, −0\.\d{3} SD ± 0\.\d{3} on the customer ones\)",
    "evidence.payout-vs-customer": r"The 375 top earners \(paid \d\.\d\d× target, the rest "
    r"\d\.\d\d×\) score lower on customer measures than the rest, and \d+% of them are below "
    r"the median \(0\.\d\d SD lower ± 0\.\d\d\)",
    "evidence.survey-small-sample": r"First-contact resolution \(customer-reported\): \d+% "
    r"of 18,000 results \(one per person and period\) rest on fewer than 20 survey returns "
    r"\(share ± \d+%\)",
    "evidence.survey-top-scores": r"Post-contact satisfaction \(agent-sent survey\): \d+% of "
    r"18,000 scores sit at the top of the scale, 100 \(share ± \d+%\)",
    "evidence.survey-source-gap": r"Post-contact satisfaction \(agent-sent survey\): surveys "
    r"the employee sends score higher than independent ones, \d+(\.\d)? against \d+(\.\d)? "
    r"on average \(0\.\d\d SD higher, z = \d+\.\d\)",
}


def test_every_signal_says_its_finding_in_words_first(model: Model) -> None:
    import re

    findings, _ = run(model, {p: spec[0] for p, spec in PLANTS.items()}, 11)
    assert set(findings["rule_id"]) == set(MESSAGES)
    for rule_id, message in zip(findings["rule_id"], findings["message"], strict=True):
        assert re.fullmatch(MESSAGES[rule_id], message), message


def test_a_table_without_names_says_the_kpi_ids() -> None:
    """A signal table made without ``kpi_name`` (the Python API) still has a message."""
    from policycheck.analyze.messages import divergence_rows
    from policycheck.errors import spoken_list

    assert [spoken_list(n) for n in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == [
        "", "a", "a and b", "a, b and c"]
    table = pd.DataFrame({"plan_idx": [0], "pull": [0.02], "se_pull": [0.001],
                          "customer": [-0.019], "se_customer": [0.001], "units": [40],
                          "population": ["people"], "pull_kpis": ["aht,units_sold"],
                          "customer_kpis": ["csat"], "flag": [True]})
    rows = divergence_rows(table, pd.DataFrame({"plan_id": ["p"]}))
    assert rows["message"].iat[0].startswith("aht and units_sold improved period after "
                                             "period while csat worsened")
