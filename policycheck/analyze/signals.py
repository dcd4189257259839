"""The outcome-evidence signals as rules: ids, titles, severities, rationale, remedies.

They are not expressions over plans, so they are not in the YAML rule pack; they are
``Rule`` values so that every output format (SARIF rule descriptors, JUnit cases, redaction)
treats their findings like any other.
"""

from __future__ import annotations

from policycheck.rulefile import Rule

DOC = "docs/analyze.md"


def _rule(rule_id: str, title: str, severity: str, rationale: str, remediation: str) -> Rule:
    return Rule(id=rule_id, title=title, severity=severity, scope="plan", condition="true",
                message=title, rationale=rationale, remediation=remediation, path=DOC)


RULES: dict[str, Rule] = {r.id: r for r in (
    _rule("evidence.threshold-bunching", "Observed KPI values bunch just past a payout "
          "threshold", "high",
          "An excess of results just past the point where pay starts or steps up is the "
          "footprint of threshold effects: effort, timing or recording aimed at the cut-off "
          "(Bevan & Hood; Oyer; Larkin). Red flag A17.",
          "Replace the cliff with a continuous curve, audit the records just past the "
          "threshold, and pay on a measure the employee cannot time or re-code."),
    _rule("evidence.divergence", "Paid speed, cost or sales KPIs improve while the same "
          "people's customer KPIs worsen", "high",
          "The plan rewards what is improving; the customer side of the same work is "
          "getting worse for the same people: the trade-off the design flags predicted.",
          "Gate or modify the pull measures on the customer KPIs that fall, and review the "
          "cases behind the decline."),
    _rule("evidence.payout-vs-customer", "Top earners have worse customer outcomes than "
          "their peers", "high",
          "When the people the plan pays most serve customers worse than the median, the "
          "plan is buying the wrong behaviour.",
          "Add a customer gate or modifier, and review the top earners' cases."),
    _rule("evidence.survey-small-sample", "Survey scores rest on fewer returns than the "
          "KPI's minimum sample", "medium",
          "Scores from a handful of returns are noise, and agents can choose who answers "
          "(red flag A36).",
          "Pay only on periods with at least min_sample_per_period returns, or pool periods."),
    _rule("evidence.survey-top-scores", "An implausible share of survey scores sits at the "
          "top of the scale", "medium",
          "Coached or selected respondents push scores to the ceiling (Bain on NPS; A36).",
          "Sample respondents independently (ACD-triggered), and audit who was surveyed."),
    _rule("evidence.survey-source-gap", "Agent-triggered survey scores are well above "
          "independently sampled ones", "high",
          "When the person paid chooses who is asked, reported scores drift above what an "
          "independent sample finds: 96 % reported vs 77 % surveyed (Bevan & Hood; A37).",
          "Pay on the independent sample only."),
)}
