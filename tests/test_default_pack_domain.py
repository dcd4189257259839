"""The default pack against the domain review of its findings (the probe plans of a
compensation-design review, cut down): each defect it found now draws the rule and severity
the domain material asks for, and plans a reward committee would approve stay quiet.

Every test runs ``policycheck check`` on a few small plans and compares the findings as
(plan, rule, severity, entity), exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from policycheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "policycheck" / "data" / "kpis.yaml"

Finding = tuple[str, str, str, str]


def plan(plan_id: str, *components: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": plan_id, "role": f"Role of {plan_id}", "role_kind": "sales",
                            "base_pay": 30000, "target_variable": 6000, "max_variable": 9000}
    return body | fields | {"components": list(components)}


def comp(cid: str, kpi: str, weight: str, **fields: Any) -> dict[str, Any]:
    return {"id": cid, "kpi": kpi, "weight": weight, "period": "quarter", "cap": 1.5} | fields


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], plans: list[dict[str, Any]],
          *options: str) -> list[Finding]:
    """The findings of ``policycheck check`` on the plans (one file), sorted."""
    folder = tmp_path / "plans"
    folder.mkdir(exist_ok=True)
    (folder / "plans.yaml").write_text(yaml.safe_dump({"plans": plans}, sort_keys=False),
                                       encoding="utf-8")
    code = main(["check", str(folder), "--format", "json", *options])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    return sorted((f["plan_id"], f["rule_id"], f["severity"], f["entity_id"] or "")
                  for f in json.loads(out)["findings"])


def select(*rules: str) -> list[str]:
    return [option for rule in rules for option in ("--select", rule)]


# --- 1. a discretionary rate commission pooled over the desk (A20) -----------------------

def margin_plan(plan_id: str, basis: str) -> dict[str, Any]:
    return plan(plan_id, comp("margin", "rate_margin", "100%", basis=basis, target=2.5,
                              threshold=1.5, cap=2.0))


def test_pay_on_price_is_critical_for_the_employee_and_the_desk_and_high_for_a_branch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plans = [margin_plan(f"margin-{b}", b) for b in ("individual", "team", "branch", "company")]
    assert check(tmp_path, capsys, plans, *select("terms")) == [
        ("margin-branch", "terms.pay-on-price", "high", "margin"),
        ("margin-individual", "terms.pay-on-price", "critical", "margin"),
        ("margin-team", "terms.pay-on-price", "critical", "margin"),
    ]


def test_pay_on_price_keeps_a_pack_s_own_bases_critical(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``bases`` still names where the finding is critical; ``pooled_bases`` adds the pooled
    ones at high, and emptied it gives back the rule as it was."""
    plans = [margin_plan(f"margin-{b}", b) for b in ("individual", "team", "branch")]
    own = ("--param", "terms.pay-on-price.bases=individual")
    assert check(tmp_path, capsys, plans, *select("terms"), *own) == [
        ("margin-branch", "terms.pay-on-price", "high", "margin"),
        ("margin-individual", "terms.pay-on-price", "critical", "margin"),
        ("margin-team", "terms.pay-on-price", "high", "margin"),
    ]
    assert check(tmp_path, capsys, plans, *select("terms"), *own,
                 "--param", "terms.pay-on-price.pooled_bases=") == [
        ("margin-individual", "terms.pay-on-price", "critical", "margin")]


# --- 2. customer retention paid to the retention desk (A34) ------------------------------

def test_customer_retention_paid_to_a_retention_role_is_a_save_rate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    retention = {"role_kind": "retention", "base_pay": 18000, "target_variable": 9000,
                 "max_variable": 13500}
    plans = [
        plan("desk-individual", comp("kept", "customer_retention", "100%", period="month"),
             **retention),
        plan("desk-team-month", comp("qa", "qa_score", "60%"),
             comp("kept", "customer_retention", "40%", basis="team", period="month"),
             **retention),
        plan("desk-persistency", comp("kept", "persistency", "100%"), **retention),
        # the exemption: team retention measured over a year
        plan("desk-team-year", comp("qa", "qa_score", "60%"),
             comp("kept", "customer_retention", "40%", basis="team", period="year"),
             **retention),
        # a seller's own customers' retention is a counterweight to the sales
        plan("seller", comp("sold", "units_sold", "30%"), comp("qa", "qa_score", "40%"),
             comp("kept", "customer_retention", "30%", period="month")),
    ]
    assert check(tmp_path, capsys, plans, *select("cs.retention-save")) == [
        ("desk-individual", "cs.retention-save", "high", "kept"),
        ("desk-persistency", "cs.retention-save", "high", "kept"),
        ("desk-team-month", "cs.retention-save", "high", "kept"),
    ]


# --- 3. a gate line management can waive (A13) -------------------------------------------

def overridden(override_by: str | None) -> dict[str, Any]:
    gate = {"id": "qa-gate", "kpi": "qa_score", "min": 80, "applies_to": "all",
            "effect": "zero", "override_by": override_by}
    return plan(f"seller-{override_by or 'none'}".lower().replace(" ", "-"),
                comp("sales", "units_sold", "30%"), comp("qa", "qa_score", "40%"),
                comp("cancels", "early_cancellation", "30%"),
                role="Sales consultant", gates=[gate],
                clawback={"triggers": ["mis_sale"], "window_days": 180})


def test_a_gate_waivable_by_line_management_is_medium_and_high_when_proven(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plans = [overridden("Team leader"), overridden("Compliance officer"), overridden(None)]
    assert check(tmp_path, capsys, plans, *select("gate")) == [
        ("seller-team-leader", "gate.conflicted-override", "medium", "qa-gate")]
    leader = plan("team-leader", comp("team-sales", "units_sold", "30%", basis="team"),
                  comp("team-qa", "qa_score", "70%", basis="team"),
                  role="Team leader", role_kind="manager")
    found = check(tmp_path, capsys, [*plans, leader], *select("gate.conflicted-override"))
    assert found == [("seller-team-leader", "gate.conflicted-override", "high", "qa-gate")]


def test_an_organisation_names_its_own_independent_function(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plans = [overridden("Second line")]
    assert check(tmp_path, capsys, plans, *select("gate.conflicted-override")) == [
        ("seller-second-line", "gate.conflicted-override", "medium", "qa-gate")]
    assert check(tmp_path, capsys, plans, *select("gate.conflicted-override"), "--param",
                 "gate.conflicted-override.independent_roles=compliance,second line") == []


# --- 4. all or nothing at target (A17) ---------------------------------------------------

def champagne(plan_id: str, threshold: float, curve: str = "stepped") -> dict[str, Any]:
    return plan(plan_id, comp("sold", "units_sold", "40%", target=60, threshold=threshold,
                              curve=curve),
                comp("qa", "qa_score", "60%", target=90, threshold=75),
                gates=[{"id": "qa-gate", "kpi": "qa_score", "min": 80, "applies_to": "all",
                        "effect": "zero"}],
                clawback={"triggers": ["mis_sale"], "window_days": 180})


def test_a_threshold_at_target_is_a_cliff_without_curve_points(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plans = [champagne("at-target", 60), champagne("at-target-linear", 60, "linear"),
             champagne("within-a-point", 59.5), champagne("ramp", 48),
             plan("aht-at-target", comp("aht", "aht", "50%", target=300, threshold=300),
                  comp("fcr", "fcr", "50%", target=75, threshold=60), role_kind="service")]
    assert check(tmp_path, capsys, plans, *select("curve.cliff")) == [
        ("aht-at-target", "curve.cliff", "high", "aht"),
        ("at-target", "curve.cliff", "high", "sold"),
        ("at-target-linear", "curve.cliff", "high", "sold"),
        ("within-a-point", "curve.cliff", "high", "sold"),
    ]


def test_the_payout_sensitivity_values_the_step_at_target(tmp_path: Path) -> None:
    """One step short of a threshold at target pays nothing, so the step that reaches
    target is worth the whole pay at target: 40 % × 6,000 = 2,400, against 1,800 for the
    QA step (capped at 1.5)."""
    from policycheck.sensitivity import plan_sensitivity, sensitivity
    from policycheck.validation import load_model

    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"plans": [
        champagne("at-target", 60), champagne("ramp", 48)]}), encoding="utf-8")
    rows = sensitivity(load_model([tmp_path / "p.yaml"]).frames)
    by = {(r.plan_id, r.component_id): r for r in rows.itertuples()}
    step = by[("at-target", "sold")]
    assert (step.extra_pay, step.step_to_target, step.payout_at_target) == (2400.0, True, 100.0)
    assert not step.component_capped and not step.plan_capped
    assert by[("at-target", "qa")].extra_pay == pytest.approx(1800.0)
    # a ramp from 80 % of target: the step above target is valued, as before (slope 5,
    # capped at 1.5: 50 % of 2,400)
    ramp = by[("ramp", "sold")]
    assert (ramp.extra_pay, ramp.step_to_target) == (pytest.approx(1200.0), False)
    summary = plan_sensitivity(rows, ["at-target"]).iloc[0]
    assert summary["pull_extra_pay"] == 2400.0 and summary["ratio"] == pytest.approx(4 / 3)


# --- 5. rewards for declining claims (A33) -----------------------------------------------

def test_claim_declines_and_leakage_are_remedy_suppression(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claims = {"role_kind": "claims", "base_pay": 30000, "target_variable": 3000}
    plans = [
        plan("declines", comp("declines", "claim_decline_rate", "40%"),
             comp("qa", "qa_score", "60%"), **claims),
        plan("leakage", comp("leakage", "claims_leakage", "30%", basis="team"),
             comp("qa", "qa_score", "70%"), **claims),
        plan("ombudsman", comp("qa", "qa_score", "70%"),
             comp("ombudsman", "ombudsman_upheld", "30%"), **claims),
    ]
    assert check(tmp_path, capsys, plans, *select("cs.remedy-suppression")) == [
        ("declines", "cs.remedy-suppression", "critical", "declines"),
        ("leakage", "cs.remedy-suppression", "critical", "leakage"),
    ]


# --- 6. individual pay for fewer complaints (principle 6) --------------------------------

def test_individual_pay_for_fewer_complaints(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    service = {"role_kind": "service", "base_pay": 25000, "target_variable": 2500}
    plans = [
        plan("all-complaints", comp("c", "complaint_volume", "100%", period="month", target=0,
                                    threshold=2), **service),
        plan("half", comp("c", "complaint_volume", "50%"), comp("qa", "qa_score", "50%"),
             **service),
        plan("some", comp("c", "complaint_volume", "15%"), comp("qa", "qa_score", "85%"),
             **service),
        plan("team", comp("c", "complaint_volume", "30%", basis="team"),
             comp("qa", "qa_score", "70%"), **service),
        plan("branch", comp("c", "complaint_volume", "60%", basis="branch"),
             comp("qa", "qa_score", "40%"), **service),
    ]
    assert check(tmp_path, capsys, plans, *select("cs.complaint-penalty")) == [
        ("all-complaints", "cs.complaint-penalty", "high", "c"),
        ("half", "cs.complaint-penalty", "medium", "c"),
        ("some", "cs.complaint-penalty", "medium", "c"),
    ]


# --- 7. a survey gate is not a quality gate (A10, principle 3) ---------------------------

def gated(plan_id: str, *gates: str) -> dict[str, Any]:
    rows = [{"id": f"g-{kpi}", "kpi": kpi, "min": 80, "applies_to": "all", "effect": "zero"}
            for kpi in gates]
    return plan(plan_id, comp("contacts", "contacts_per_hour", "100%"), role_kind="service",
                **({"gates": rows} if rows else {}))


def test_only_a_trusted_customer_side_gate_clears_gate_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plans = [gated("agent-survey", "csat_post_call"), gated("survey", "csat"),
             gated("self-coded", "fcr_self_coded"), gated("none"),
             gated("qa", "qa_score"), gated("survey-and-qa", "csat_post_call", "qa_score"),
             gated("vulnerable-review", "vulnerable_outcome")]
    found = check(tmp_path, capsys, plans, *select("gate.missing", "gate.partial"))
    assert found == [
        ("agent-survey", "gate.missing", "high", ""),
        ("none", "gate.missing", "high", ""),
        ("self-coded", "gate.missing", "high", ""),
        ("survey", "gate.missing", "high", ""),
    ]


def test_a_partial_survey_gate_is_gate_missing_not_gate_partial(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gate = {"id": "g", "kpi": "csat", "min": 80, "applies_to": ["accounts"], "effect": "zero"}
    plans = [plan("p", comp("accounts", "units_sold", "60%"),
                  comp("cross", "products_per_customer", "40%"), gates=[gate])]
    assert check(tmp_path, capsys, plans, *select("gate.missing", "gate.partial")) == [
        ("p", "gate.missing", "high", "")]


# --- 8. branch and team profit are financial measures (A05) ------------------------------

def test_branch_profit_counts_company_profit_does_not(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plans = [plan("branch", comp("p", "branch_profit", "100%", basis="branch", cap=2.0)),
             plan("team", comp("p", "branch_profit", "40%", basis="team"),
                  comp("qa", "qa_score", "60%")),
             plan("company", comp("p", "company_profit", "100%", basis="company")),
             plan("company-no-basis", comp("p", "company_profit", "100%"))]
    assert check(tmp_path, capsys, plans, *select("weight.financial-over-third")) == [
        ("branch", "weight.financial-over-third", "high", ""),
        ("team", "weight.financial-over-third", "medium", ""),
    ]


# --- the reviewer's approved plans stay quiet --------------------------------------------

GOOD = [
    plan("g3-collections-qa", comp("call-qa", "qa_score", "70%", target=90, threshold=75),
         comp("complaints", "complaint_volume", "30%", basis="team", target=2, threshold=5),
         role_kind="collections", serves_vulnerable=True, base_pay=25000,
         target_variable=2500, max_variable=3750,
         duties=["fair_collections", "help_vulnerable_customer"],
         gates=[{"id": "vulnerable-handling", "kpi": "compliance_breaches", "max": 0,
                 "applies_to": "all", "effect": "zero"}]),
    plan("g5-claims", comp("file-qa", "qa_score", "60%", target=90, threshold=75),
         comp("ombudsman", "ombudsman_upheld", "30%", basis="team", period="year", target=2,
              threshold=5),
         comp("company-lr", "company_profit", "10%", basis="company", period="year",
              target=100, threshold=90),
         role_kind="claims", base_pay=32000, target_variable=3200, max_variable=4800,
         duties=["fair_claim_decision"],
         gates=[{"id": "file-gate", "kpi": "file_check_pass", "min": 90, "applies_to": "all",
                 "effect": "zero"}]),
    plan("g7-insurance-sales",
         comp("policies", "units_sold", "30%", target=150, threshold=110),
         comp("qa", "qa_score", "40%", target=90, threshold=75),
         comp("persistency", "early_cancellation", "30%", target=5, threshold=10),
         base_pay=27000, target_variable=4000, max_variable=6000,
         gates=[{"id": "qa-floor", "kpi": "qa_score", "min": 80, "applies_to": "all",
                 "effect": "zero"}],
         clawback={"triggers": ["mis_sale", "cancellation", "complaint_upheld"],
                   "window_days": 180}),
    plan("g8-profit-share", comp("profit", "company_profit", "100%", basis="company",
                                 period="year", target=100, threshold=80, cap=2.0),
         role_kind="service", base_pay=24000, target_variable=1200, max_variable=2400),
]


def test_plans_a_reward_committee_would_approve_draw_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, capsys, GOOD) == []


# --- 15. the KPI library ------------------------------------------------------------------

ADDED = {  # id: (category, direction, data source, affects entitlement)
    "roll_rate": ("collections", "lower", "system", False),
    "cure_rate": ("collections", "higher", "system", False),
    "right_party_contacts": ("collections", "higher", "system", False),
    "arrangement_kept_rate": ("collections", "higher", "system", False),
    "claims_leakage": ("remedy_cost", "lower", "audit", True),
    "claim_decline_rate": ("remedy_cost", "higher", "system", True),
    "persistency": ("customer_outcome", "higher", "system", False),
    "vulnerable_outcome": ("customer_outcome", "higher", "independent_qa", False),
    "occupancy": ("throughput", "higher", "system", False),
    "calls_made": ("throughput", "higher", "system", False),
    "service_level": ("speed", "higher", "system", False),
    "abandon_rate": ("speed", "lower", "system", False),
    "complaint_resolution_time": ("speed", "lower", "system", False),
    "on_time_arrival": ("speed", "higher", "system", False),
    "conversion_rate": ("sales_volume", "higher", "system", False),
    "premium_written": ("sales_volume", "higher", "system", False),
    "loans_originated": ("sales_volume", "higher", "system", False),
    "net_new_money": ("sales_volume", "higher", "system", False),
    "average_order_value": ("sales_volume", "higher", "system", False),
    "first_call_resolution": ("resolution", "higher", "independent_survey", False),
    "affordability_check_pass": ("quality", "higher", "independent_qa", False),
}


def test_the_library_classifies_the_common_kpis_it_lacked() -> None:
    entries = {k["id"]: k for k in yaml.safe_load(LIBRARY.read_text("utf-8"))["kpis"]}
    keys = set(entries["aht"])
    for kpi, (category, direction, source, entitled) in ADDED.items():
        entry = entries[kpi]
        assert set(entry) == keys, kpi  # every attribute the other entries carry
        assert (entry["category"], entry["direction"], entry["data_source"],
                entry["affects_customer_entitlement"]) == (category, direction, source,
                                                           entitled), kpi
        assert entry["description"] and entry["gaming"] and entry["risk_if_paid_alone"], kpi
    # first-call resolution is the library's customer-reported FCR under another name
    same = ("category", "direction", "data_source", "min_sample_per_period",
            "risk_if_paid_alone")
    assert [entries["first_call_resolution"][k] for k in same] == [entries["fcr"][k]
                                                                    for k in same]


def test_a_near_miss_is_pointed_at_a_kpi_of_its_own_kind(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'roll_rates' was pointed at 'rework_rate' (a quality KPI) before the library knew the
    roll rate."""
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"plan": plan(
        "p", comp("r", "roll_rates", "100%"), role_kind="collections")}), encoding="utf-8")
    assert main(["validate", str(tmp_path / "p.yaml")]) == 2
    assert "did you mean 'roll_rate'?" in capsys.readouterr().out
