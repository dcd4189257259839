"""Signal tables → finding rows: the message and the numbers behind each finding.

A message says first, in words, what the actuals show (KPIs by name, "more results than
expected", "improved period after period"), and then, in brackets, the statistic behind it
for the analyst (the excess per counterfactual bin, slopes in SD per period, standard
errors). The evidence keeps the ids and the numbers, unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from policycheck.analyze.findings import rounded as r
from policycheck.errors import spoken_list

COLUMNS = ["rule_id", "plan_id", "scope", "entity_id", "component_id", "message", "evidence"]


def _frame(records: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=COLUMNS)


def _name(row: Any) -> str:
    """The KPI of a signal row by name (by id in a table made without names)."""
    name = getattr(row, "kpi_name", None)
    return str(name) if isinstance(name, str) and name else str(row.kpi)


def bunching_rows(table: pd.DataFrame) -> pd.DataFrame:
    out: list[dict[str, object]] = []
    row: Any  # pandas-stubs types each itertuples field as the whole scalar union
    for row in table[table["flag"]].itertuples(index=False):
        way = "or less" if row.sign < 0 else "or more"
        out.append({
            "rule_id": "evidence.threshold-bunching", "plan_id": row.plan_id,
            "scope": "component", "entity_id": f"{row.component_id}:{row.kind}",
            "component_id": row.component_id,
            "message": (f"{_name(row)}: {row.excess:,.0f} more results than expected sit "
                        f"just on the paying side of the {row.kind} ({row.cutoff:g} {way} "
                        f"pays), out of {row.n:,}: a sign of results steered to the pay "
                        f"line (bunching b = {row.b:.2f} ± {row.se_b:.2f}, the excess per "
                        "bin of the smooth counterfactual)"),
            "evidence": {"kpi": row.kpi, "component_id": row.component_id, "kind": row.kind,
                         "cutoff": r(row.cutoff), "excess": r(row.excess, 1),
                         "counterfactual": r(row.counterfactual, 1), "b": r(row.b),
                         "se_b": r(row.se_b), "z": r(row.z, 2), "observations": int(row.n),
                         "bin_width": r(row.width)}})
    return _frame(out)


def _score(value: float) -> str:
    """A mean score to three significant digits, never in scientific notation: "80.1",
    "90", "1230"."""
    return f"{float(f'{value:.3g}'):g}"


def _names(row: Any, side: str) -> str:
    """The KPIs of one side of a divergence row by name ("A and B"), else by id."""
    names = getattr(row, f"{side}_names", None)
    if isinstance(names, str) and names:
        return names
    return spoken_list(str(getattr(row, f"{side}_kpis")).split(","))


def divergence_rows(table: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    out: list[dict[str, object]] = []
    row: Any  # pandas-stubs types each itertuples field as the whole scalar union
    for row in table[table["flag"]].itertuples(index=False):
        out.append({
            "rule_id": "evidence.divergence", "plan_id": plans["plan_id"].iat[row.plan_idx],
            "scope": "plan", "entity_id": None, "component_id": None,
            "message": (f"{_names(row, 'pull')} improved period after period while "
                        f"{_names(row, 'customer')} worsened, for the same "
                        f"{int(row.units):,} {row.population} (per period: "
                        f"+{row.pull:.3f} SD ± {row.se_pull:.3f} on the speed, cost or "
                        f"sales measures, −{-row.customer:.3f} SD ± {row.se_customer:.3f} "
                        "on the customer ones)"),
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
            "message": (f"The {int(row.top_n):,} top earners (paid {row.payout_top:.2f}× "
                        f"target, the rest {row.payout_rest:.2f}×) score lower on customer "
                        f"measures than the rest, and {row.share_below:.0%} of them are "
                        f"below the median ({-row.gap:.2f} SD lower ± {row.se_gap:.2f})"),
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
                    "message": (f"{_name(row)}: {row.share:.0%} of {int(row.n):,} results "
                                f"(one per person and period) rest on fewer than "
                                f"{row.min_sample:g} survey returns (share ± {row.se:.0%})"),
                    "evidence": {"kpi": row.kpi, "share_below_min": r(row.share),
                                 "se": r(row.se), "min_sample": r(row.min_sample),
                                 "observations": int(row.n)}})
    for row in top[top["flag"]].itertuples(index=False):
        out.append({"rule_id": "evidence.survey-top-scores", "plan_id": ids.iat[row.plan_idx],
                    "scope": "kpi", "entity_id": row.kpi, "component_id": None,
                    "message": (f"{_name(row)}: {row.share:.0%} of {int(row.n):,} scores "
                                f"sit at the top of the scale, {row.ceiling:g} "
                                f"(share ± {row.se:.0%})"),
                    "evidence": {"kpi": row.kpi, "share_at_top": r(row.share),
                                 "se": r(row.se), "ceiling": r(row.ceiling),
                                 "observations": int(row.n)}})
    for row in gap[gap["flag"]].itertuples(index=False):
        out.append({"rule_id": "evidence.survey-source-gap", "plan_id": ids.iat[row.plan_idx],
                    "scope": "kpi", "entity_id": row.kpi, "component_id": None,
                    "message": (f"{_name(row)}: surveys the employee sends score higher "
                                f"than independent ones, {_score(row.agent_mean)} against "
                                f"{_score(row.independent_mean)} on average"
                                + (f" ({row.gap:.2f} SD higher, z = {row.z:.1f})"
                                   if np.isfinite(row.gap) else
                                   " (every score of each source is the same: no spread to "
                                   "measure the gap in SD)")),
                    "evidence": {"kpi": row.kpi, "agent_mean": r(row.agent_mean),
                                 "independent_mean": r(row.independent_mean),
                                 "gap_sd": r(row.gap), "z": r(row.z, 2),
                                 "n_agent": int(row.n_agent),
                                 "n_independent": int(row.n_independent)}})
    return _frame(out)
