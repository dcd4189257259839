"""The default pack's calibration and wording after the domain review: each duty measured by
its own kind of measure, severities stepped down where a plan keeps a conflict small and
checked from outside, and messages a compensation committee can read as they are.

Each test runs a small plan through the rules it is about (``select_ids``) and asserts the
rule ids, severities and messages exactly: messages are API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import policycheck
from policycheck.ruleset import load_rules

Found = list[tuple[str, str, str, str]]

COMMON = """\
    role: {role}
    role_kind: {kind}
    customer_facing: true
    currency: GBP
    base_pay: {base}
    target_variable: {target}
    max_variable: {max}
"""


def plan(plan_id: str, kind: str, body: str, *, role: str = "Employee", base: int = 30000,
         target: int = 6000, max_variable: int | str = 9000) -> str:
    """One plan of a ``plans:`` list: the common fields, then ``body`` (indented by four)."""
    head = COMMON.format(role=role, kind=kind, base=base, target=target, max=max_variable)
    return f"  - id: {plan_id}\n{head}{body}"


@pytest.fixture
def check(inputs: Callable[[dict[str, str]], Path]) -> Callable[..., Found]:
    """Check plans written into a folder of their own with the selected rules; every finding
    as (plan, rule, severity, message), sorted."""

    def run(plans: list[str], select: list[str], kpis: str = "") -> Found:
        inputs({"plans.yaml": "plans:\n" + "".join(plans),
                **({"kpis.yaml": kpis} if kpis else {})})
        report = policycheck.check(".", select_ids=select)
        rows = report.findings[["plan_id", "rule_id", "severity", "message"]]
        return sorted(tuple(row) for row in rows.itertuples(index=False))

    return run


# -- design.unmeasured-duty: each declared duty needs a measure of its own kind -------------

ADVICE_AND_VULNERABLE = """\
    duties: [suitable_advice, help_vulnerable_customer]
    components:
      - {id: sold, kpi: units_sold, weight: 60%, cap: 1.5}
      - {id: cancels, kpi: early_cancellation, weight: 40%, cap: 1.5}
"""


def test_each_declared_duty_is_checked_and_named(check: Callable[..., Found]) -> None:
    """An early-cancellation component measured neither the advice nor the care of vulnerable
    customers, yet any outcome KPI used to satisfy every duty."""
    found = check([plan("p1", "sales", ADVICE_AND_VULNERABLE)], ["design.unmeasured-duty"])
    assert found == [(
        "p1", "design.unmeasured-duty", "high",
        "Declared duties (suitable_advice, help_vulnerable_customer): suitable advice has no "
        "independent file check, QA or compliance measure; help for vulnerable customers has "
        "no independent QA, audit or outcome review; meanwhile a single speed, cost or sales "
        "measure carries 60% of variable pay")]


def test_only_the_unmeasured_duty_is_named(check: Callable[..., Found]) -> None:
    """A QA gate checks how vulnerable customers are handled, not whether the issue was
    resolved."""
    body = """\
    duties: [resolve_issue, help_vulnerable_customer]
    components:
      - {id: aht, kpi: aht, weight: 50%, cap: 1.5}
      - {id: qa, kpi: qa_score, weight: 50%, cap: 1.5}
    gates:
      - {id: qa-floor, kpi: qa_score, min: 80, applies_to: all, effect: zero}
"""
    found = check([plan("p1", "service", body)], ["design.unmeasured-duty"])
    assert found == [(
        "p1", "design.unmeasured-duty", "high",
        "Declared duties (resolve_issue, help_vulnerable_customer): resolving the issue has no "
        "independent resolution measure (customer-reported first-contact resolution, "
        "first-time fix, repeat contacts or visits); meanwhile a single speed, cost or sales "
        "measure carries 50% of variable pay")]


def test_every_duty_measured_by_its_own_kind_passes(check: Callable[..., Found]) -> None:
    body = ADVICE_AND_VULNERABLE + """\
    gates:
      - {id: files, kpi: file_check_pass, min: 90, applies_to: all, effect: zero}
      - {id: conduct, kpi: compliance_breaches, max: 0, applies_to: all, effect: zero}
"""
    assert check([plan("p1", "sales", body)], ["design.unmeasured-duty"]) == []


def test_advice_and_vulnerable_customers_need_an_independent_check(
        check: Callable[..., Found]) -> None:
    """A rework count (system data) checks neither the advice nor the care of vulnerable
    customers; an independent review of vulnerable customers' outcomes checks the latter."""
    reviewed = """\
kpis:
  - {id: vulnerable_case_review, name: Vulnerable case review, category: customer_outcome,
     direction: higher, data_source: independent_qa}
"""
    rework = ADVICE_AND_VULNERABLE + """\
    gates:
      - {id: rework, kpi: rework_rate, max: 5, applies_to: all, effect: zero}
"""
    review = ADVICE_AND_VULNERABLE + """\
    gates:
      - {id: review, kpi: vulnerable_case_review, min: 90, applies_to: all, effect: zero}
"""
    found = check([plan("p1", "sales", rework), plan("p2", "sales", review)],
                  ["design.unmeasured-duty"], kpis=reviewed)
    assert [(p, m.split(": ", 1)[1].split("; meanwhile")[0]) for p, _, _, m in found] == [
        ("p1", "suitable advice has no independent file check, QA or compliance measure; help "
               "for vulnerable customers has no independent QA, audit or outcome review"),
        ("p2", "suitable advice has no independent file check, QA or compliance measure")]


def test_a_self_coded_resolution_measure_does_not_measure_the_resolution_duty(
        check: Callable[..., Found]) -> None:
    body = """\
    duties: [resolve_issue]
    components:
      - {id: aht, kpi: aht, weight: 40%, cap: 1.5}
      - {id: fcr, kpi: fcr_self_coded, weight: 60%, cap: 1.5}
"""
    found = check([plan("p1", "service", body)], ["design.unmeasured-duty"])
    assert found == [(
        "p1", "design.unmeasured-duty", "high",
        "Declared duties (resolve_issue): resolving the issue has no independent resolution "
        "measure (customer-reported first-contact resolution, first-time fix, repeat contacts "
        "or visits); meanwhile a single speed, cost or sales measure carries 40% of variable "
        "pay")]


def test_a_duty_the_rule_does_not_know_needs_any_trusted_outcome_measure(
        check: Callable[..., Found]) -> None:
    unmeasured = """\
    duties: [correct_billing]
    components:
      - {id: tickets, kpi: tickets_closed, weight: 70%, cap: 1.5}
      - {id: csat, kpi: csat, weight: 30%, cap: 1.5}
"""
    measured = unmeasured.replace("kpi: csat,", "kpi: rework_rate,")
    found = check([plan("p1", "back_office", unmeasured), plan("p2", "back_office", measured)],
                  ["design.unmeasured-duty"])
    assert found == [(
        "p1", "design.unmeasured-duty", "high",
        "Declared duties (correct_billing): nothing measures quality, resolution, customer "
        "outcomes or compliance at all; meanwhile a single speed, cost or sales measure "
        "carries 70% of variable pay")]


# -- role.diagnose-and-sell: medium behind a zeroing quality gate and a clawback ------------

MORTGAGE_ADVISER = """\
    duties: [suitable_advice]
    components:
      - {id: file-review, kpi: file_check_pass, weight: 40%, period: quarter, cap: 1.5}
      - {id: completions, kpi: units_sold, weight: 30%, period: quarter, cap: 1.5}
      - {id: complaints, kpi: complaint_volume, weight: 15%, period: year, cap: 1.5}
      - {id: cancellations, kpi: early_cancellation, weight: 15%, period: year, cap: 1.5}
    gates:
      - {id: suitability, kpi: file_check_pass, min: 95, applies_to: all, effect: zero}
    clawback: {triggers: [mis_sale, complaint_upheld, cancellation], window_days: 365}
    deferral: {share: 0.25, months: 12}
"""
CONTROLLED = ("; a quality gate that zeroes the pay and a clawback on mis-sales, complaints or "
              "cancellations of at least 90 days both cover it")
UNCONTROLLED = ("; a quality gate that zeroes the pay and a clawback on mis-sales, complaints or "
                "cancellations of at least 90 days do not both cover it")


def test_a_controlled_adviser_plan_is_medium(check: Callable[..., Found]) -> None:
    """The reviewer's mortgage adviser: product-neutral completions behind a suitability gate
    that zeroes the pay and a year-long clawback (it was high, and ranked most exposed)."""
    found = check([plan("g2", "advice", MORTGAGE_ADVISER, base=38000, target=7600,
                        max_variable=11400)], ["role"])
    assert found == [("g2", "role.diagnose-and-sell", "medium",
                      "This advice role tells customers what they need and earns 30% of its "
                      "variable pay on Units sold" + CONTROLLED)]


@pytest.mark.parametrize("change", [
    ("window_days: 365", "window_days: 60"),  # too short to see mis-sales
    ("effect: zero}", "effect: zero, override_by: Team leader}"),  # the gate can be waived
    ("kpi: file_check_pass, min: 95", "kpi: csat_post_call, min: 95"),  # an agent-sent survey
])
def test_without_both_controls_the_adviser_plan_is_high(check: Callable[..., Found],
                                                        change: tuple[str, str]) -> None:
    body = MORTGAGE_ADVISER.replace(*change)
    found = check([plan("g2", "advice", body, base=38000, target=7600, max_variable=11400)],
                  ["role"])
    assert found == [("g2", "role.diagnose-and-sell", "high",
                      "This advice role tells customers what they need and earns 30% of its "
                      "variable pay on Units sold" + UNCONTROLLED)]


def test_role_kinds_read_as_words_and_a_declared_duty_is_named(
        check: Callable[..., Found]) -> None:
    repairs = """\
    components:
      - {id: repairs-sold, kpi: revenue, weight: 50%, cap: 1.5}
      - {id: ftf, kpi: first_time_fix, weight: 50%, cap: 1.5}
"""
    adviser = """\
    duties: [suitable_advice]
    components:
      - {id: policies, kpi: units_sold, weight: 40%, cap: 1.5}
      - {id: files, kpi: file_check_pass, weight: 60%, cap: 1.5}
"""
    found = check([plan("fs", "field_service", repairs), plan("bo", "back_office", adviser)],
                  ["role"])
    assert found == [
        ("bo", "role.diagnose-and-sell", "high",
         "This back office role, with the declared duty suitable_advice, tells customers what "
         "they need and earns 40% of its variable pay on Units sold" + UNCONTROLLED),
        ("fs", "role.diagnose-and-sell", "high",
         "This field service role tells customers what they need and earns 50% of its "
         "variable pay on Revenue" + UNCONTROLLED)]


def test_the_diagnose_and_sell_rationale_cites_advice_sources() -> None:
    """FCA TR14/4's point is about non-advised staff, which does not fit an advice role."""
    rule = {r.id: r for r in load_rules()}["role.diagnose-and-sell"]
    assert "FCA-TR14" not in rule.references
    assert "[FCA-TR14]" not in rule.rationale
    assert {"SEARS", "FSA-2012-EX", "FSA-GC12"} <= set(rule.references)


# -- small, capped, pooled, gated volume pay: medium, not high -----------------------------

BRANCH_MANAGER = """\
    components:
      - {id: team-mystery, kpi: mystery_shop, weight: 30%, basis: team, cap: 1.5}
      - {id: team-complaints, kpi: complaint_volume, weight: 25%, basis: team, cap: 1.5}
      - {id: team-usage, kpi: product_usage, weight: 25%, basis: team, cap: 1.5}
      - {id: team-revenue, kpi: revenue, weight: 20%, basis: team, cap: 1.2}
    gates:
      - {id: conduct, kpi: compliance_breaches, max: 0, applies_to: all, effect: zero}
"""
MANAGER_MESSAGE = ("The manager earns 20% of variable pay on the team's sales, volume, speed or "
                   "cost (20% on sales) while being responsible for how that team treats "
                   "customers")


def test_a_manager_with_a_small_capped_gated_team_measure_is_medium(
        check: Callable[..., Found]) -> None:
    uncapped = BRANCH_MANAGER.replace("basis: team, cap: 1.2}", "basis: team}")
    individual = BRANCH_MANAGER.replace("revenue, weight: 20%, basis: team",
                                        "revenue, weight: 20%, basis: individual")
    found = check([plan("m1", "manager", BRANCH_MANAGER), plan("m2", "manager", uncapped),
                   plan("m3", "manager", individual)], ["mgr"])
    assert found == [
        ("m1", "mgr.team-volume", "medium",
         MANAGER_MESSAGE + "; that pay is a capped team or branch measure behind a gate that "
         "zeroes it, which tempers the conflict"),
        ("m2", "mgr.team-volume", "high", MANAGER_MESSAGE),
        ("m3", "mgr.team-volume", "high", MANAGER_MESSAGE)]


COLLECTIONS_MIXED = """\
    serves_vulnerable: true
    components:
      - {id: call-qa, kpi: qa_score, weight: 60%, cap: 1.5}
      - {id: complaints, kpi: complaint_volume, weight: 20%, basis: team, cap: 1.5}
      - {id: team-collected, kpi: amount_collected, weight: 20%, basis: team, cap: 1.2}
    gates:
      - {id: vulnerable-handling, kpi: compliance_breaches, max: 0, applies_to: all, effect: zero}
      - {id: qa-floor, kpi: qa_score, min: 80, applies_to: all, effect: zero}
"""
VULNERABLE_MESSAGE = ("Amount collected carries 20% of variable pay (20% on sales, volume and "
                      "collection measures in all) in a plan for staff who serve vulnerable "
                      "customers")


def test_a_small_capped_gated_team_volume_measure_for_vulnerable_customers_is_medium(
        check: Callable[..., Found]) -> None:
    ungated = COLLECTIONS_MIXED.split("    gates:")[0]
    found = check([plan("v1", "collections", COLLECTIONS_MIXED),
                   plan("v2", "collections", ungated)], ["segment"])
    assert found == [
        ("v1", "segment.vulnerable-volume", "medium",
         VULNERABLE_MESSAGE + "; it is a capped team or branch measure behind a gate that "
         "zeroes it"),
        ("v2", "segment.vulnerable-volume", "high", VULNERABLE_MESSAGE)]


SALES_NO_COUNTERWEIGHT = """\
    components:
      - {id: sold, kpi: units_sold, weight: 40%, cap: 1.5}
      - {id: qa, kpi: qa_score, weight: 60%, cap: 1.5}
"""


def test_an_independent_qa_gate_counts_as_a_sales_counterweight(
        check: Callable[..., Found]) -> None:
    """Independent QA of the sales calls is the conduct control: a gate on it that zeroes the
    sales pay protects it (the finding said "no such gate" next to one)."""
    qa_gated = SALES_NO_COUNTERWEIGHT + """\
    gates:
      - {id: qa-floor, kpi: qa_score, min: 80, applies_to: all, effect: zero}
"""
    found = check([plan("s1", "sales", SALES_NO_COUNTERWEIGHT), plan("s2", "sales", qa_gated)],
                  ["counterweight.sales-volume"])
    assert found == [(
        "s1", "counterweight.sales-volume", "high",
        "Units sold carries 40% of variable pay (40% on sales and cross-sell measures in all); "
        "usage, cancellation, complaint and conduct measures carry 0%, and no usage, "
        "cancellation, complaint, conduct or independent QA gate protects this component")]


def test_small_capped_pooled_sales_pay_behind_a_trusted_gate_is_medium(
        check: Callable[..., Found]) -> None:
    pooled = """\
    components:
      - {id: team-revenue, kpi: revenue, weight: 30%, basis: team, cap: 1.2}
      - {id: qa, kpi: qa_score, weight: 70%, cap: 1.5}
    gates:
      - {kpi: fcr, min: 70, applies_to: all, effect: zero}
"""
    over_a_third = pooled.replace("weight: 30%", "weight: 40%").replace("weight: 70%",
                                                                        "weight: 60%")
    found = check([plan("t1", "sales", pooled), plan("t2", "sales", over_a_third)],
                  ["counterweight.sales-volume"])
    assert [(p, r, s) for p, r, s, _ in found] == [
        ("t1", "counterweight.sales-volume", "medium"),
        ("t2", "counterweight.sales-volume", "high")]


# -- wording ----------------------------------------------------------------------------------

def test_claims_and_collections_plans_name_the_harm_that_comes_back_months_later(
        check: Callable[..., Found]) -> None:
    claims = """\
    components:
      - {id: paid, kpi: claims_paid, weight: 50%, basis: team, cap: 1.5}
      - {id: cycle, kpi: time_to_resolve, weight: 50%, cap: 1.5}
"""
    service = """\
    components:
      - {id: aht, kpi: aht, weight: 50%, cap: 1.5}
      - {id: fcr, kpi: fcr, weight: 50%, cap: 1.5}
"""
    collections = """\
    components:
      - {id: cash, kpi: amount_collected, weight: 40%, cap: 1.5}
      - {id: qa, kpi: qa_score, weight: 60%, cap: 1.5}
"""
    found = check([plan("c1", "claims", claims), plan("c2", "service", service),
                   plan("c3", "collections", collections)], ["claw.none"])
    assert found == [
        ("c1", "claw.none", "medium",
         "100% of variable pay rides on speed, cost or sales measures and neither a clawback "
         "nor a deferral reaches past 30 days, though a claim, refund or complaint wrongly "
         "turned down can come back months later through complaints and the ombudsman"),
        ("c2", "claw.none", "medium",
         "50% of variable pay rides on speed, cost or sales measures and neither a clawback "
         "nor a deferral covers the 30 days in which mis-sales, cancellations or rework show "
         "up"),
        ("c3", "claw.none", "medium",
         "40% of variable pay rides on speed, cost or sales measures and neither a clawback "
         "nor a deferral reaches past 90 days, though an arrangement the customer cannot "
         "afford can fail and come back months later through complaints and the ombudsman")]


def test_prizes_read_with_their_currency_and_a_prize_in_kind_says_so(
        check: Callable[..., Found]) -> None:
    body = """\
    components:
      - {id: units, kpi: units_sold, weight: 40%, cap: 1.5}
      - {id: usage, kpi: product_usage, weight: 60%, cap: 1.5}
    competitions:
      - {name: First 20 to target, kpi: units_sold, basis: first_n, prize: 750, duration_days: 30}
      - {name: Sun trip, kpi: units_sold, basis: rank, duration_days: 90}
      - {name: Top seller, kpi: units_sold, basis: rank, prize: 2500, duration_days: 90}
"""
    found = check([plan("k1", "sales", body, target=10000, max_variable=15000)], ["contest"])
    assert [(r, s, m) for _, r, s, m in found] == [
        ("contest.prize", "high",
         'Competition "First 20 to target" (first past the post, 30 days) on Units sold pays '
         "a prize of GBP 750 (8% of the annual target variable pay)"),
        ("contest.prize", "high",
         'Competition "Sun trip" (rank, 90 days) on Units sold pays a prize whose cash value '
         "the plan does not state (amount n/a, share of the annual target variable pay n/a)"),
        ("contest.prize", "high",
         'Competition "Top seller" (rank, 90 days) on Units sold pays a prize of GBP 2,500 '
         "(25% of the annual target variable pay)"),
        ("contest.rank-or-leaderboard", "medium",
         'Competition "Sun trip" ranks staff or units on Units sold and pays a prize whose '
         "cash value the plan does not state (amount n/a) to the top"),
        ("contest.rank-or-leaderboard", "medium",
         'Competition "Top seller" ranks staff or units on Units sold and pays GBP 2,500 to '
         "the top")]


def test_a_short_period_says_nothing_of_a_cliff_it_does_not_have(
        check: Callable[..., Found]) -> None:
    daily = """\
    components:
      - {id: units, kpi: units_sold, weight: 40%, period: day, cap: 1.5}
      - {id: usage, kpi: product_usage, weight: 60%, period: quarter, cap: 1.5}
"""
    monthly_cliff = """\
    components:
      - id: saves
        kpi: save_rate
        weight: 70%
        period: month
        cap: 1.5
        curve_points: [[84, 0], [85, 100], [110, 150]]
      - {id: qa, kpi: qa_score, weight: 30%, cap: 1.5}
"""
    found = check([plan("d1", "sales", daily), plan("d2", "retention", monthly_cliff)],
                  ["period.short-volume"])
    assert found == [
        ("d1", "period.short-volume", "high",
         "Units sold (40% of variable pay) is measured per day"),
        ("d2", "period.short-volume", "medium",
         "Save rate (70% of variable pay) is measured per month, and its payout curve has a "
         "cliff, where one more unit at the step moves a large part of the payout")]


def test_a_survey_sample_large_enough_is_not_said_to_fall_short(
        check: Callable[..., Found]) -> None:
    agent_sent = """\
    components:
      - {id: survey, kpi: csat_post_call, weight: 40%, cap: 1.5}
      - {id: fcr, kpi: fcr, weight: 60%, cap: 1.5}
"""
    unstated = """\
kpis:
  - {id: store_survey, name: Store survey, category: cx_perception, direction: higher,
     data_source: agent_triggered_survey}
"""
    found = check([plan("x1", "service", agent_sent),
                   plan("x2", "service", agent_sent.replace("csat_post_call", "store_survey")),
                   plan("x3", "service", agent_sent.replace("csat_post_call", "csat")
                        .replace("kpi: fcr,", "kpi: nps,"))],
                  ["cx.survey-gameable"], kpis=unstated)
    head = ("Customer surveys that staff can influence carry 40% of variable pay; gates on them: "
            "0, modifiers on them: 0; agent-sent or self-reported: yes; smallest sample ")
    assert found == [
        ("x1", "cx.survey-gameable", "medium",
         head + "20 responses per period against a minimum of 20, enough"),
        ("x2", "cx.survey-gameable", "medium",
         head + "n/a responses per period against a minimum of 20 (the KPI catalog states no "
         "sample size)")]


def test_one_gate_is_one_gate(check: Callable[..., Found]) -> None:
    body = "    components:\n" + "".join(
        f"      - {{id: c{n}, kpi: {kpi}, weight: {weight}%, cap: 1.5}}\n"
        for n, (kpi, weight) in enumerate([
            ("qa_score", 30), ("fcr", 10), ("repeat_contact", 10), ("mystery_shop", 10),
            ("schedule_adherence", 10), ("attendance", 10), ("product_usage", 10),
            ("early_cancellation", 10)])) + """\
    gates:
      - {id: qa-floor, kpi: qa_score, min: 80, applies_to: all, effect: zero}
"""
    found = check([plan("z1", "service", body)], ["design.complexity"])
    assert found == [(
        "z1", "design.complexity", "low",
        "The plan has 8 pay components (advice: at most 7) and 1 gate or modifier acting on "
        "them (advice: at most 3)")]


def test_rationales_say_what_the_sources_say() -> None:
    rules = {r.id: r for r in load_rules()}

    def said(rule_id: str) -> str:
        return " ".join(rules[rule_id].rationale.split())

    quality = said("weight.quality-token")
    assert "holds up as poor practice a collections scheme" not in quality
    assert ("sets a collections scheme paid on independently scored call quality against a "
            "sales scheme paid on the number of finance products sold") in quality
    security = said("pay.job-security-tied-to-volume")
    assert "were disciplined" not in security
    assert "under the threat of discipline, up to possible termination [NAVI]" in security
    collections = said("collections.amount")
    assert "names collection targets" not in collections
    assert ("names competitions or promotions designed to increase sales or collections among "
            "the high-risk incentive features") in collections
    assert "lists collections benchmarks among the production incentives it watches " \
           "[CFPB-2016-03]" in collections
    assert "months after the decision" in said("claw.none")
