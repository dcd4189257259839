"""Signal rows → findings with the same columns as the rule engine's (``FINDING_COLUMNS``),
so that analyze findings appear in every output format."""

from __future__ import annotations

import numpy as np
import pandas as pd

from policycheck.analyze.signals import RULES
from policycheck.engine import FINDING_COLUMNS, fingerprints


def kpi_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """KPI attributes by id: pressure, ``sign`` (+1 higher is rewarded, −1 lower), and
    ``name``, what a reader calls it (its id when it has none)."""
    from policycheck.model import PRESSURE_OF_CATEGORY

    table = kpis.set_index("kpi_id")[["category", "direction", "data_source",
                                       "min_sample_per_period"]].copy()
    names = kpis["name"] if "name" in kpis else pd.Series(None, index=kpis.index)
    table["name"] = names.where(names.notna() & (names.astype(str) != ""),
                                kpis["kpi_id"]).astype(str).to_numpy()
    table["pressure"] = table["category"].map(PRESSURE_OF_CATEGORY)
    table["sign"] = np.where(table["direction"] == "lower", -1.0, 1.0)
    return table


def build(rows: pd.DataFrame, plans: pd.DataFrame, headcount: pd.Series) -> pd.DataFrame:
    """``rows``: rule_id, plan_id, scope, entity_id, component_id, message, evidence (dicts),
    severity (optional).
    Findings sit on the plan's own location, in rule-engine order."""
    if rows.empty:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    plan = plans.set_index("plan_id").loc[rows["plan_id"].to_numpy()]
    rules = [RULES[r] for r in rows["rule_id"]]
    severity = rows["severity"] if "severity" in rows else [r.severity for r in rules]
    heads = headcount.reindex(rows["plan_id"].to_numpy()).to_numpy(dtype="float64")
    out = pd.DataFrame({
        "rule_id": rows["rule_id"].to_numpy(), "severity": np.asarray(severity, dtype=object),
        "title": [r.title for r in rules], "scope": rows["scope"].to_numpy(),
        "plan_id": rows["plan_id"].to_numpy(), "message": rows["message"].to_numpy(),
        "evidence": rows["evidence"].to_list(),
        "remediation": [r.remediation for r in rules],
        "src_file": plan["src_file"].to_numpy(), "src_sheet": plan["src_sheet"].to_numpy(),
        "src_line": plan["src_line"].to_numpy(), "src_col": plan["src_col"].to_numpy(),
    })
    # Held as objects: pandas would make a text column of ids and None hold NaN.
    out["entity_id"] = pd.Series(_objects(rows["entity_id"]), dtype=object)
    out["component_id"] = pd.Series(_objects(rows["component_id"]), dtype=object)
    # np.where takes any value; numpy's stubs do not list pd.NA.
    out["headcount"] = pd.array(np.where(np.isnan(heads), pd.NA, heads),  # type: ignore[call-overload]
                                dtype="Int64")
    stake = plan["target_variable"].astype("float64").to_numpy() * heads
    out["pay_at_stake"] = np.round(stake, 2)
    out["fingerprint"] = fingerprints(out)
    out["status"] = "open"
    out["waiver"] = None
    out = out.sort_values(["src_file", "src_sheet", "src_line", "rule_id", "entity_id"],
                          kind="stable")
    return out.reset_index(drop=True)[list(FINDING_COLUMNS)]


def _objects(values: pd.Series) -> np.ndarray:
    """Text or None (pandas turns a None among records into NaN)."""
    return values.astype(object).where(values.notna(), None).to_numpy()


def rounded(value: float, places: int = 4) -> float | None:
    """A JSON-friendly number: rounded, NaN as None."""
    return None if value is None or not np.isfinite(value) else round(float(value), places)
