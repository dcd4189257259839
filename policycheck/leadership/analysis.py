"""Everything the leadership report shows, as frames: one row per plan, one per component.

``analyse(paths, ...)`` runs load → validate → evaluate like ``pipeline.check`` and keeps the
model's frames, which the payout sensitivity and the org roll-ups need and ``Report`` does
not carry; ``build(report, frames)`` is the pure part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from policycheck.leadership.headline import main_findings, pull_share_rules
from policycheck.leadership.words import protection_sentence, sensitivity_sentence
from policycheck.profile import pressure_profile

if TYPE_CHECKING:
    from policycheck.analyze.run import Evidence
from policycheck.report import Report, severity_tally
from policycheck.scoring import ScoreWeights, alignment, by_org_unit, by_role_kind, counted
from policycheck.sensitivity import CurveParams, plan_sensitivity, sensitivity


@dataclass(frozen=True)
class Leadership:
    """The report of a run and the analysis built on it."""

    report: Report
    #: One row per checked plan, most exposed first: profile, score, sensitivity summary.
    plans: pd.DataFrame
    #: One row per component: the payout sensitivity (``sensitivity.sensitivity``).
    components: pd.DataFrame
    by_role_kind: pd.DataFrame
    by_org_unit: pd.DataFrame
    #: The model frames the plan sections describe (gates, modifiers, kpis).
    frames: Mapping[str, pd.DataFrame] = field(repr=False, default_factory=dict)
    curve: CurveParams = field(default_factory=CurveParams)
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    #: Outcome evidence from KPI actuals (``policycheck.analyze``), shown in its own
    #: section when set (``report --actuals``).
    evidence: Evidence | None = field(default=None, repr=False)
    #: Built to be shown redacted: the report's problems and profiles are redacted, and its
    #: findings wherever they are shown (``shown_findings``), not all of them (about a
    #: second and 0.4 GB at a hundred thousand plans, for the few hundred shown).
    redacted: bool = False

    def shown(self, redact: bool) -> Leadership:
        """This analysis as a page shows it: redacted when the page is, even if it was built
        without (its sensitivity sentences name pay, and are written when it is built)."""
        if not redact or self.redacted:
            return self
        from policycheck.formats.redact import redact_around

        plans = self.plans.assign(sensitivity=sensitivity_sentence(self.plans, True))
        return replace(self, report=redact_around(self.report), plans=plans, redacted=True)

    def shown_findings(self, plan_ids: pd.Index, redact: bool) -> pd.DataFrame:
        """The findings of ``plan_ids``, redacted when built or asked to be shown so."""
        findings = self.report.findings
        chosen = findings[findings["plan_id"].isin(plan_ids)]
        if not (redact or self.redacted):
            return chosen
        from policycheck.formats.redact import redact_findings

        return redact_findings(chosen, self.report.rules)

    def totals(self) -> dict[str, Any]:
        """The headline numbers."""
        plans = self.plans
        people = plans["headcount"].astype("float64").fillna(0.0)
        bad = plans["band"] == "misaligned"
        risk = plans["band"] == "at risk"
        pay = plans["pay_at_stake"].fillna(0.0)
        pull_pay = pay * plans["pull_share"]
        return {
            "plans": len(plans), "plans_misaligned": int(bad.sum()),
            "plans_at_risk": int(risk.sum()),
            "people": int(people.sum()), "people_misaligned": int(people[bad].sum()),
            "people_at_risk": int(people[risk].sum()),
            "unknown_headcount": int(plans["headcount"].isna().sum()),
            "pay": _by_currency(pay, plans["currency"]),
            "pay_misaligned": _by_currency(pay[bad], plans["currency"][bad]),
            "pay_pull": _by_currency(pull_pay, plans["currency"]),
            "pay_pull_unguarded": _by_currency(
                pay * (plans["pull_share"] - plans["guarded_pull_share"]), plans["currency"]),
            # as the score and the per-rule chart count them: waived and baselined apart
            "findings": severity_tally(counted(self.report.findings)),
            "set_aside": len(self.report.findings) - len(counted(self.report.findings)),
        }


def _by_currency(values: pd.Series, currency: pd.Series) -> dict[str, float]:
    summed = values.groupby(currency.fillna("").to_numpy(), sort=True).sum()
    return {str(k): float(v) for k, v in summed.items()}


def worst_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """The most severe counted finding of each plan (ties: rule id, then file order), by
    plan id: ``headline.main_findings`` with no weights."""
    return main_findings(findings)


def build(report: Report, frames: Mapping[str, pd.DataFrame],
          curve: CurveParams | None = None, weights: ScoreWeights | None = None,
          redact: bool = False) -> Leadership:
    """Profile, sensitivity and score of every plan, ranked by exposure."""
    curve, weights = curve or CurveParams(), weights or ScoreWeights()
    profiles = report.profiles
    if profiles.empty or "pull_share" not in profiles:
        profiles = pressure_profile(frames)
    components = sensitivity(frames, curve)
    scored = alignment(profiles, report.findings, weights)
    summary = plan_sensitivity(components, profiles["plan_id"])
    plans = pd.concat([profiles.reset_index(drop=True),
                       scored.drop(columns="plan_id"),
                       summary.drop(columns="plan_id")], axis=1)
    plans["sensitivity"] = sensitivity_sentence(plans, redact)
    plans["protection"] = protection_sentence(plans)
    # the main issue: the most severe, then the most variable pay (headline.py)
    worst = main_findings(report.findings, frames, profiles,
                          pull_share_rules(report.rules)).reindex(plans["plan_id"])
    plans["worst_title"] = worst["title"].to_numpy()
    plans["worst_severity"] = worst["severity"].to_numpy()
    plans["remedy"] = worst["remediation"].to_numpy()
    plans = plans.sort_values("rank", kind="stable").reset_index(drop=True)
    rank = pd.Series(plans["rank"].to_numpy(), index=plans["plan_id"].to_numpy())
    components["rank"] = rank.reindex(components["plan_id"].to_numpy()).to_numpy()
    if redact:  # figures are computed from the real pay; only what is shown is redacted
        from policycheck.formats.redact import redact_around

        report = redact_around(report)
    return Leadership(report=report, plans=plans, components=components,
                      by_role_kind=by_role_kind(profiles, scored),
                      by_org_unit=by_org_unit(frames.get("employees"), profiles, scored),
                      frames={k: frames[k] for k in ("gates", "modifiers", "kpis")},
                      curve=curve, weights=weights, redacted=redact)


def analyse(paths: Sequence[str | Path], *, curve: CurveParams | None = None,
            weights: ScoreWeights | None = None, redact: bool = False,
            **check_options: Any) -> Leadership:
    """Check the plans under ``paths`` with ``pipeline.check`` (``check_options`` are its
    keyword arguments: rules, waivers, baseline ...) and analyse them."""
    from policycheck.pipeline import check

    report = check(paths, **check_options)
    # The sensitivity, the protection details and the org roll-ups need the model's frames:
    # the report carries those the findings came from.
    frames = report.model_frames
    if frames is None:
        from policycheck.validation import load_model

        frames = load_model(paths).frames
    return build(report, frames, curve, weights, redact)
