"""Signal tables → finding rows: the message and the numbers behind each finding."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from policycheck.analyze.findings import rounded as r

COLUMNS = ["rule_id", "plan_id", "scope", "entity_id", "component_id", "message", "evidence"]


def _frame(records: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=COLUMNS)


def bunching_rows(table: pd.DataFrame) -> pd.DataFrame:
    out: list[dict[str, object]] = []
    row: Any  # pandas-stubs types each itertuples field as the whole scalar union
    for row in table[table["flag"]].itertuples(index=False):
        way = "≤" if row.sign < 0 else "≥"
        out.append({
            "rule_id": "evidence.threshold-bunching", "plan_id": row.plan_id,
            "scope": "component", "entity_id": f"{row.component_id}:{row.kind}",
            "component_id": row.component_id,
            "message": (f"{row.kpi}: {row.excess:,.0f} more results than a smooth "
                        f"distribution predicts just past the {row.kind} {row.cutoff:g} "
                        f"({way} {row.cutoff:g} pays): b = {row.b:.2f} ± {row.se_b:.2f} "
                        f"(excess per counterfactual bin), over {row.n:,} observations"),
            "evidence": {"kpi": row.kpi, "component_id": row.component_id, "kind": row.kind,
                         "cutoff": r(row.cutoff), "excess": r(row.excess, 1),
                         "counterfactual": r(row.counterfactual, 1), "b": r(row.b),
                         "se_b": r(row.se_b), "z": r(row.z, 2), "observations": int(row.n),
                         "bin_width": r(row.width)}})
    return _frame(out)


def divergence_rows(table: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    out: list[dict[str, object]] = []
    row: Any  # pandas-stubs types each itertuples field as the whole scalar union
    for row in table[table["flag"]].itertuples(index=False):
        out.append({
            "rule_id": "evidence.divergence", "plan_id": plans["plan_id"].iat[row.plan_idx],
            "scope": "plan", "entity_id": None, "component_id": None,
            "message": (f"{row.pull_kpis} improved by {row.pull:.3f} SD per period "
                        f"(± {row.se_pull:.3f}) while {row.customer_kpis} worsened by "
                        f"{-row.customer:.3f} SD per period (± {row.se_customer:.3f}), "
                        f"for the same {int(row.units)} {row.population}"),
            "evidence": {"pull_kpis": row.pull_kpis, "customer_kpis": row.customer_kpis,
                         "pull_slope_sd": r(row.pull), "pull_se": r(row.se_pull),
                         "customer_slope_sd": r(row.customer),
                         "customer_se": r(row.se_customer), "people": int(row.units),
                         "population": row.population}})
    return _frame(out)


def payout_rows(table: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    out: list[dict[str, object]] = []
    row: Any  # pandas-stubs types each itertuples field as the whole scalar union
    for row in table[table["flag"]].itertuples(index=False):
        out.append({
            "rule_id": "evidence.payout-vs-customer",
            "plan_id": plans["plan_id"].iat[row.plan_idx], "scope": "plan",
            "entity_id": None, "component_id": None,
            "message": (f"the top {int(row.top_n)} earners (payout {row.payout_top:.2f}× "
                        f"target vs {row.payout_rest:.2f}× for the rest) score "
                        f"{-row.gap:.2f} SD (± {row.se_gap:.2f}) lower on customer KPIs; "
                        f"{row.share_below:.0%} of them are below the median"),
            "evidence": {"customer_gap_sd": r(row.gap), "se": r(row.se_gap),
                         "z": r(row.z, 2), "share_below_median": r(row.share_below),
                         "top_earners": int(row.top_n), "people": int(row.units),
                         "payout_top": r(row.payout_top), "payout_rest": r(row.payout_rest)}})
    return _frame(out)


def survey_rows(small: pd.DataFrame, top: pd.DataFrame, gap: pd.DataFrame,
                plans: pd.DataFrame) -> pd.DataFrame:
    out: list[dict[str, object]] = []
    row: Any  # pandas-stubs types each itertuples field as the whole scalar union
    ids = plans["plan_id"]
    for row in small[small["flag"]].itertuples(index=False):
        out.append({"rule_id": "evidence.survey-small-sample", "plan_id": ids.iat[row.plan_idx],
                    "scope": "kpi", "entity_id": row.kpi, "component_id": None,
                    "message": (f"{row.kpi}: {row.share:.0%} (± {row.se:.0%}) of "
                                f"{int(row.n):,} person-periods rest on fewer than "
                                f"{row.min_sample:g} survey returns"),
                    "evidence": {"kpi": row.kpi, "share_below_min": r(row.share),
                                 "se": r(row.se), "min_sample": r(row.min_sample),
                                 "observations": int(row.n)}})
    for row in top[top["flag"]].itertuples(index=False):
        out.append({"rule_id": "evidence.survey-top-scores", "plan_id": ids.iat[row.plan_idx],
                    "scope": "kpi", "entity_id": row.kpi, "component_id": None,
                    "message": (f"{row.kpi}: {row.share:.0%} (± {row.se:.0%}) of "
                                f"{int(row.n):,} scores sit at the top of the scale "
                                f"({row.ceiling:g})"),
                    "evidence": {"kpi": row.kpi, "share_at_top": r(row.share),
                                 "se": r(row.se), "ceiling": r(row.ceiling),
                                 "observations": int(row.n)}})
    for row in gap[gap["flag"]].itertuples(index=False):
        out.append({"rule_id": "evidence.survey-source-gap", "plan_id": ids.iat[row.plan_idx],
                    "scope": "kpi", "entity_id": row.kpi, "component_id": None,
                    "message": (f"{row.kpi}: agent-triggered surveys average "
                                f"{row.agent_mean:g}, independent ones {row.independent_mean:g}"
                                + (f": {row.gap:.2f} SD higher (z = {row.z:.1f})"
                                   if np.isfinite(row.gap) else
                                   ": higher, and every score of each source is the same "
                                   "(no spread to measure the gap in SD)")),
                    "evidence": {"kpi": row.kpi, "agent_mean": r(row.agent_mean),
                                 "independent_mean": r(row.independent_mean),
                                 "gap_sd": r(row.gap), "z": r(row.z, 2),
                                 "n_agent": int(row.n_agent),
                                 "n_independent": int(row.n_independent)}})
    return _frame(out)
