"""Plain-language sentences and number formats for the leadership report, column-wise.

Every function takes and returns whole columns (pandas Series), so a sentence for 100,000
plans is a handful of vectorized string operations, not a loop.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from policycheck.formats.redact import REDACTED
from policycheck.sensitivity import percent_unit
from policycheck.wording import money_text, percent_text

PRESSURE_LABELS = {"speed": "Speed", "cost": "Cost", "sales": "Sales & volume",
                   "neutral": "Neutral", "customer": "Customer"}
BAND_LABELS = {"misaligned": "Pulls away from the customer", "at risk": "At risk",
               "aligned": "Aligned with the customer"}
_CITATION = re.compile(r"\s*\[[A-Z][A-Z0-9-]*\]|\s*\(see [a-z]+\.[a-z0-9.-]*[a-z0-9]\)")


def money(value: float | None, currency: str | None, redact: bool = False,
          compact: bool = False) -> str:
    """``EUR 1,234`` (or ``EUR 1.2m`` when compact); ``n/a`` when unknown."""
    if redact:
        return REDACTED
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    unit = f"{currency} " if currency else ""
    if compact and abs(value) >= 1_000_000:
        return f"{unit}{value / 1_000_000:,.1f}m"
    if compact and abs(value) >= 10_000:
        return f"{unit}{value / 1_000:,.0f}k"
    return f"{unit}{money_text(value)}"


def money_column(values: pd.Series, currency: pd.Series, redact: bool = False) -> pd.Series:
    """Money for a whole column: ``EUR 1,234``."""
    if redact:
        return pd.Series(REDACTED, index=values.index)
    numbers = values.astype("float64")
    plain = numbers.to_numpy()
    whole = pd.Series(np.sign(plain) * np.floor(np.abs(plain) + 0.5),  # halves up, as money_text
                      index=numbers.index)
    # .astype(str): an empty column maps to float64, which a string column cannot add
    text = currency.fillna("").astype(str) + " " + whole.map("{:,.0f}".format).astype(str)
    return text.str.strip().where(numbers.notna(), "n/a")


def percent(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return percent_text(value)


def people(count: Any) -> str:
    """"1 person", "1,200 people"; "headcount unknown" for none."""
    if count is None or count != count:
        return "headcount unknown"
    return f"{int(count):,} {'person' if int(count) == 1 else 'people'}"


def set_aside(count: int) -> str:
    """What the red-flag counts leave out: findings waived or accepted in a baseline (the
    score and the per-rule chart leave them out too)."""
    return (f"; {count:,} more waived or accepted in a baseline, not counted" if count
            else "")


def plain(text: object) -> str:
    """Rule prose without its citation keys ("... [FCA-CP17]") and rule cross-references
    ("(see pay.variable-share-high)"), for a lay reader; "" for none (NaN: a plan the
    score finds misaligned that no rule of the run flags)."""
    return _CITATION.sub("", text).strip() if isinstance(text, str) else ""


def _move(kpi: pd.Series, direction: pd.Series, step: pd.Series, target: pd.Series) -> pd.Series:
    """"cutting Average handle time by 10 %" for each row."""
    verb = pd.Series(np.where(direction == "lower", "cutting ", "raising "), index=kpi.index,
                     dtype=object)
    size = (step.astype("float64").abs() / target.astype("float64").abs()).round(2)
    amount = size.map(lambda v: percent_text(v) if v == v else "one step")
    name: pd.Series = kpi.fillna("").astype(str)
    return verb + name + " by " + amount


def sensitivity_sentence(plans: pd.DataFrame, redact: bool = False) -> pd.Series:
    """What the plan pays for a step on its best-paid pull KPI against its best-paid
    customer KPI: "Pays 6.3× more for cutting Average handle time by 10 % (EUR 506 a year)
    than for raising First-contact resolution by 10 % (EUR 80)."."""
    if plans.empty:
        return pd.Series([], index=plans.index, dtype=object)
    cur = plans["currency"]
    pull = _move(plans["pull_kpi_name"], plans["pull_direction"], plans["pull_step_value"],
                 plans["pull_target"])
    cust = _move(plans["customer_kpi_name"], plans["customer_direction"],
                 plans["customer_step_value"], plans["customer_target"])
    pull_pay = money_column(plans["pull_extra_pay"], cur, redact) + " a year"
    cust_pay = money_column(plans["customer_extra_pay"], cur, redact) + " a year"
    ratio = plans["ratio"].astype("float64")
    pull_amount = plans["pull_extra_pay"].astype("float64").fillna(0.0)
    cust_amount = plans["customer_extra_pay"].astype("float64").fillna(0.0)
    # "6.3×", "249×": a tenth is noise beside hundreds
    times = ratio.map(lambda r: "" if r != r or r == math.inf else f"{r:,.0f}" if r >= 10
                      else f"{r:.1f}")
    texts = [
        "Pays " + times + "× more for " + pull + " (" + pull_pay + ") than for " + cust
        + " (" + cust_pay + ").",
        "Pays " + pull_pay + " for " + pull + ", and nothing for an independently measured "
        "customer outcome.",
        "Pays more for the customer: " + cust_pay + " for " + cust + ", against " + pull_pay
        + " for " + pull + ".",
        "Pays about the same for " + pull + " (" + pull_pay + ") as for " + cust + " ("
        + cust_pay + ").",
        "Pays " + cust_pay + " for " + cust + ", and nothing for speed, cost or sales.",
    ]
    conditions = [
        (pull_amount > 0) & (cust_amount > 0) & (ratio >= 1.25),
        (pull_amount > 0) & (cust_amount <= 0),
        (pull_amount > 0) & (cust_amount > 0) & (ratio <= 0.8),
        (pull_amount > 0) & (cust_amount > 0),
        cust_amount > 0,
    ]
    chosen = np.select([c.to_numpy() for c in conditions], [t.to_numpy() for t in texts],
                       "A better result on any measure adds nothing at target attainment.")
    return pd.Series(chosen, index=plans.index, dtype=object)


def protection_sentence(plans: pd.DataFrame) -> pd.Series:
    """Whether and how far the customer side is protected, in one sentence."""
    if plans.empty:
        return pd.Series([], index=plans.index, dtype=object)
    share = plans["protected_share"].astype("float64")
    covered = share.map(percent_text)
    gates = np.where(share >= 1.0, "A customer check (gate or modifier) covers all of the pay",
                     "A customer check (gate or modifier) covers " + covered + " of the pay")
    gates = np.where(share <= 0, "No customer check (gate or modifier) covers the pay", gates)
    claw = np.where(plans["clawback"].astype(bool), "; a clawback can take pay back.",
                    "; there is no clawback.")
    ignored = plans["untrusted_protection"].astype(int)
    note = np.where(ignored > 0, " A check on a measure the employee controls (self-reported "
                    "or agent-sent survey) is not counted.", "")
    text: pd.Series = pd.Series(gates, index=plans.index, dtype=object)
    return text + claw + note


def step_text(step_value: pd.Series, unit: pd.Series, currency: pd.Series) -> pd.Series:
    """The KPI move of one step in its own unit: "−30 seconds", "+0.4", "+5 points",
    "+240,000 EUR" (a KPI in money: the plan's currency)."""
    value = step_value.astype("float64")
    sign: np.ndarray[Any, np.dtype[np.str_]] = np.where(value < 0, "−", "+")
    # .astype(str): an empty column maps to float64, which a string column cannot add
    number = value.abs().map(_kpi_number).astype(str)
    units = unit.fillna("").astype(str)
    units = units.where(~percent_unit(units.to_numpy()), "points").replace({"count": ""})
    units = units.where(units != "currency", currency.fillna("").astype(str))
    return (pd.Series(sign, index=value.index) + number + " " + units).str.strip()


def _kpi_number(value: float) -> str:
    """A KPI value for a reader: whole thousands grouped ("240,000"), smaller values to
    three significant digits ("0.4", "12.5"), never in scientific notation."""
    if value != value:
        return "n/a"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{float(f'{value:.3g}'):g}"  # 999.6: "1000", as :g writes 1e+03
