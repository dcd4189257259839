"""Five representative default rules written twice for the peer comparison of benchmarks/run.py:
in CEL (cel-python, evaluated plan by plan over a per-plan dict) and as a plain Python loop.

Only the firing decision (``when`` and ``condition``) is reproduced, with the default
parameters read from the rules themselves. Values follow policycheck's conventions so that
the three give the same findings: weights are integer basis points, a missing number is NaN
(every comparison with it is false, as in numpy), a missing text is "" and never matches.

    pay.variable-share-high     plan       ratios of pay
    weight.single-kpi           component  a list membership and a threshold
    curve.uncapped              component  a missing value
    gate.missing                plan       nested exists over components and gates
    weight.speed-cost-dominant  plan       sums of weights (a ``sum`` function added to CEL)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

RULE_IDS = ("pay.variable-share-high", "weight.single-kpi", "curve.uncapped", "gate.missing",
            "weight.speed-cost-dominant")

_FIXED = ("(plan.base_pay > 0.0 ? plan.base_pay : "
          "(plan.pay_floor == plan.pay_floor ? plan.pay_floor : 0.0))")
_MAXV = "(plan.max_variable == plan.max_variable ? plan.max_variable : plan.target_variable)"
_SHARE = "double(sum(plan.components.filter(c, {test}).map(c, c.weight))) / 10000.0"

#: rule id -> (per-plan or per-component, CEL expression giving a bool / a list of bools)
CEL: dict[str, str] = {
    "pay.variable-share-high": (
        f"plan.target_variable > 0.0 && (plan.target_variable / ({_FIXED} + plan.target_variable)"
        f" > p_vsh.max_variable_share || {_MAXV} / {_FIXED} > p_vsh.max_variable_to_fixed)"),
    "weight.single-kpi": (
        "plan.components.map(c, c.category != '' && !(c.category in p_wsk.exempt_categories)"
        " && c.basis != '' && !(c.basis in p_wsk.exempt_bases)"
        " && double(c.weight) / 10000.0 >= p_wsk.max_weight)"),
    "curve.uncapped": (
        "plan.components.map(c, c.weight > 0 && c.pressure in p_cu.pressures"
        " && c.cap != c.cap)"),
    "gate.missing": (
        _SHARE.format(test="c.pressure in p_gm.pressures") + " > 0.0"
        " && !plan.components.exists(c, c.pressure in p_gm.pressures && c.weight > 0"
        " && plan.gates.exists(g, g.category in p_gm.gate_categories"
        " && ('all' in g.applies || c.id in g.applies)))"),
    "weight.speed-cost-dominant": (
        "plan.target_variable > 0.0"
        f" && {_SHARE.format(test='c.pressure in p_wsc.pressures')} >= p_wsc.min_share"
        f" && {_SHARE.format(test='c.category in p_wsc.counterweight_categories')}"
        f" < p_wsc.counterweight_ratio * {_SHARE.format(test='c.pressure in p_wsc.pressures')}"
        " && !('rework' in plan.clawback_triggers || 'complaint_upheld' in plan.clawback_triggers"
        " || 'repeat_contact' in plan.clawback_triggers"
        " || 'repeat_visit' in plan.clawback_triggers)"),
}
PARAM_NAMES = {"pay.variable-share-high": "p_vsh", "weight.single-kpi": "p_wsk",
               "curve.uncapped": "p_cu", "gate.missing": "p_gm",
               "weight.speed-cost-dominant": "p_wsc"}


def _num(value: Any) -> float:
    return float("nan") if value is None or value is pd.NA or pd.isna(value) else float(value)


def _text(value: Any) -> str:
    missing = value is None or value is pd.NA or (isinstance(value, float) and value != value)
    return "" if missing else str(value)


def _items(value: Any) -> list[str]:
    return [i.strip() for i in _text(value).split(";") if i.strip()]


def plan_dicts(frames: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """One plain dict per plan, with its components and gates and their KPI's fields."""
    kpis = frames["kpis"].set_index("kpi_id")
    category = kpis["category"].to_dict()
    pressure = kpis["pressure"].to_dict()
    plans = frames["plans"]
    out = [{"id": pid, "target_variable": _num(tv), "base_pay": _num(bp),
            "pay_floor": _num(pf), "max_variable": _num(mv),
            "clawback_triggers": _items(ct), "components": [], "gates": []}
           for pid, tv, bp, pf, mv, ct in zip(
               plans["plan_id"], plans["target_variable"], plans["base_pay"],
               plans["pay_floor"], plans["max_variable"], plans["clawback_triggers"], strict=True)]
    comps = frames["components"]
    for idx, cid, kpi, weight, basis, cap in zip(
            comps["plan_idx"], comps["component_id"], comps["kpi"], comps["weight"],
            comps["basis"], comps["cap"], strict=True):
        out[idx]["components"].append({
            "id": _text(cid), "weight": 0 if pd.isna(weight) else int(weight),
            "category": _text(category.get(kpi)), "pressure": _text(pressure.get(kpi)),
            "basis": _text(basis), "cap": _num(cap)})
    gates = frames["gates"]
    for idx, kpi, applies in zip(gates["plan_idx"], gates["kpi"], gates["applies_to"],
                                  strict=True):
        out[idx]["gates"].append({"category": _text(category.get(kpi)),
                                  "applies": _items(applies) if _text(applies) else ["all"]})
    return out


def cel_programs(values: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compiled CEL programs per rule, and the parameter activation they share."""
    import celpy
    from celpy import celtypes

    def cel_sum(items: Any) -> Any:
        return celtypes.IntType(sum(int(i) for i in items))

    env = celpy.Environment()
    programs = {rule: env.program(env.compile(src), functions={"sum": cel_sum})
                for rule, src in CEL.items()}
    params = {PARAM_NAMES[rule]: celpy.json_to_cel(values[rule]) for rule in CEL}
    return programs, params


def run_cel(plans: list[dict[str, Any]], programs: dict[str, Any],
            params: dict[str, Any]) -> dict[str, int]:
    """Findings per rule, evaluating each rule's CEL program plan by plan."""
    import celpy

    counts = dict.fromkeys(CEL, 0)
    for plan in plans:
        activation = dict(params, plan=celpy.json_to_cel(plan))
        for rule, program in programs.items():
            result = program.evaluate(activation)
            if isinstance(result, list):
                counts[rule] += sum(1 for r in result if bool(r))
            else:
                counts[rule] += int(bool(result))
    return counts


def run_python(plans: list[dict[str, Any]], values: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The same five rules as a plain Python loop over the same dicts."""
    vsh = values["pay.variable-share-high"]
    wsk, cu = values["weight.single-kpi"], values["curve.uncapped"]
    gm, wsc = values["gate.missing"], values["weight.speed-cost-dominant"]
    counts = dict.fromkeys(CEL, 0)
    with np.errstate(all="ignore"):
        for plan in plans:
            tv = plan["target_variable"]
            fixed = plan["base_pay"] if plan["base_pay"] > 0 else (
                plan["pay_floor"] if not math.isnan(plan["pay_floor"]) else 0.0)
            maxv = plan["max_variable"] if not math.isnan(plan["max_variable"]) else tv
            if tv > 0 and (_div(tv, fixed + tv) > vsh["max_variable_share"]
                           or _div(maxv, fixed) > vsh["max_variable_to_fixed"]):
                counts["pay.variable-share-high"] += 1
            comps = plan["components"]
            for c in comps:
                if (c["category"] and c["category"] not in wsk["exempt_categories"]
                        and c["basis"] and c["basis"] not in wsk["exempt_bases"]
                        and c["weight"] / 10000 >= wsk["max_weight"]):
                    counts["weight.single-kpi"] += 1
                if c["weight"] > 0 and c["pressure"] in cu["pressures"] and math.isnan(c["cap"]):
                    counts["curve.uncapped"] += 1
            exposed = sum(c["weight"] for c in comps if c["pressure"] in gm["pressures"])
            if exposed / 10000 > 0 and not any(
                    c["pressure"] in gm["pressures"] and c["weight"] > 0
                    and any(g["category"] in gm["gate_categories"]
                            and ("all" in g["applies"] or c["id"] in g["applies"])
                            for g in plan["gates"]) for c in comps):
                counts["gate.missing"] += 1
            speed = sum(c["weight"] for c in comps if c["pressure"] in wsc["pressures"]) / 10000
            counter = sum(c["weight"] for c in comps
                          if c["category"] in wsc["counterweight_categories"]) / 10000
            triggers = plan["clawback_triggers"]
            if (tv > 0 and speed >= wsc["min_share"]
                    and counter < wsc["counterweight_ratio"] * speed
                    and not any(t in triggers for t in ("rework", "complaint_upheld",
                                                        "repeat_contact", "repeat_visit"))):
                counts["weight.speed-cost-dominant"] += 1
    return counts


def _div(a: float, b: float) -> float:
    """IEEE division, as numpy does it: x/0 is ±inf, 0/0 NaN."""
    if b == 0:
        return float("nan") if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b
