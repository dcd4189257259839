"""The tables of SPEC 3.2 built from the draws of benchmarks/orgdraws.py: plans,
components, gates, modifiers, competitions, consequences, campaigns and employees, as
DataFrames of text cells (``None`` for an empty cell) in the columns and row order
``policycheck.export`` writes them.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from benchmarks.orgdraws import choose, flatten, pick, set_templates
from benchmarks.orgroles import (
    CAMPAIGN_NAMES,
    COMPONENT_SLUG,
    CONTESTS,
    EFFECTIVE,
    GATE_BOUNDS,
    HIGHER,
    KINDS,
    KPI_IDS,
    KPI_INDEX,
    ORG_UNITS,
    OWNERS,
    ROLES,
)
from policycheck.model import EMPLOYEE, ENTITIES, PLAN, EntitySpec


def build_tables(rng: np.random.Generator, p: dict[str, np.ndarray], c: dict[str, np.ndarray],
                 employees: bool = False) -> dict[str, pd.DataFrame]:
    """Every table of the drawn plans ``p`` and components ``c``, in the order
    ``policycheck.export`` writes them; employees only when asked for."""
    tables = {
        "plans": _plan_table(rng, p, c),
        "components": _component_table(c),
        "gates": _gates(rng, p, c),
        "modifiers": _modifiers(rng, p, c),
        "competitions": _competitions(rng, p, c),
        "consequences": _consequences(rng, p, c),
        "campaigns": _campaigns(rng, p, c),
    }
    if employees:
        tables["employees"] = _employees(rng, p)
    return tables


def _component_table(c: dict[str, np.ndarray]) -> pd.DataFrame:
    percents = np.array([f"{w}%" for w in range(101)], dtype=object)
    return _frame(ENTITIES["components"], {
        "plan_id": c["plan_id"], "id": c["id"], "kpi": np.asarray(KPI_IDS, object)[c["kpi"]],
        "weight": percents[c["weight"]], "basis": c["basis"], "period": c["period"],
        "target": c["target"], "threshold": c["threshold"], "cap": c["cap"],
        "curve": c["curve"], "curve_points": c["points"], "rates": c["rates"],
    })


def _plan_table(rng: np.random.Generator, p: dict[str, np.ndarray],
                c: dict[str, np.ndarray]) -> pd.DataFrame:
    n, kind, red = len(p["kind"]), p["kind"], p["red"]
    low = np.array([r.base[0] for r in ROLES])[kind]
    high = np.array([r.base[1] for r in ROLES])[kind]
    base = (rng.uniform(low, high) / 500).round().astype(np.int64) * 500
    share = np.where(red, rng.uniform(0.08, 0.7, n), rng.uniform(0.05, 0.2, n))
    target = (base * share / 50).round().astype(np.int64) * 50
    var100 = p["var100"]
    base = np.where(var100, 0, base)
    target = np.where(var100, (rng.uniform(20000, 45000, n) / 500).round() * 500, target)
    target = target.astype(np.int64)
    floor = np.where(var100 & (rng.random(n) < 0.6),
                     (rng.uniform(12000, 18000, n) / 500).round() * 500, np.nan)
    factor = np.where(red, choose(rng, n, (1.5, 2.0, 2.5), (0.3, 0.5, 0.2)).astype(float),
                      choose(rng, n, (1.5, 2.0), (0.6, 0.4)).astype(float))
    maximum = np.where(p["uncapped"], np.nan, target * factor)
    headcount = np.clip(np.round(rng.lognormal(2.2, 1.0, n)), 1, 2500).astype(np.int64)
    headcount = np.where(kind == KINDS.index("manager"), np.clip(headcount // 8, 1, 40),
                         headcount)
    p["headcount"], p["base"] = headcount, base
    facing = np.where(kind == KINDS.index("back_office"), rng.random(n) < 0.1,
                      np.where(kind == KINDS.index("manager"), rng.random(n) < 0.8, True))
    duties = pick(rng, kind, flatten([r.duties for r in ROLES]))
    vulnerable_duty = p["vulnerable"] & (kind == KINDS.index("collections"))
    duties[vulnerable_duty] = duties[vulnerable_duty] + ";help_vulnerable_customer"
    duties[rng.random(n) >= 0.5] = None
    claw_triggers, claw_days = _clawbacks(rng, p)
    deferred = ~red & np.isin(kind, [KINDS.index("advice"), KINDS.index("manager"),
                                     KINDS.index("claims")]) & (rng.random(n) < 0.5)
    deferral_share = np.where(deferred, choose(rng, n, ("0.2", "0.3"), (0.6, 0.4)), "0")
    deferral_months = np.where(deferred, choose(rng, n, ("6", "12"), (0.5, 0.5)), "0")
    discretion = p["discretion"] | (~red & (rng.random(n) < 0.1))
    documented = discretion & (~red | (rng.random(n) < 0.3))
    frm, to = (np.asarray([e[i] for e in EFFECTIVE], dtype=object)[p["effective"]]
               for i in (0, 1))
    return _frame(PLAN, {
        "id": p["id"], "name": p["title"] + " incentive 2027 #" + p["number"],
        "role": p["title"], "role_kind": np.asarray(KINDS, dtype=object)[kind],
        "customer_facing": _bool_text(facing), "serves_vulnerable": _bool_text(p["vulnerable"]),
        "headcount": headcount.astype(str).astype(object),
        "currency": choose(rng, n, ("EUR", "GBP", "USD"), (0.6, 0.25, 0.15)),
        "base_pay": base.astype(str).astype(object), "pay_floor": _int_text(floor),
        "target_variable": target.astype(str).astype(object), "max_variable": _int_text(maximum),
        "effective_from": frm, "effective_to": to,
        "owner": choose(rng, n, OWNERS, (0.55, 0.2, 0.15, 0.1)),
        "duties": duties, "clawback_triggers": claw_triggers, "clawback_window_days": claw_days,
        "deferral_share": deferral_share.astype(object),
        "deferral_months": deferral_months.astype(object),
        "discretion_exists": _bool_text(discretion),
        "discretion_documented_criteria": _bool_text(documented),
    })


def _clawbacks(rng: np.random.Generator, p: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    n, kind = len(p["kind"]), p["kind"]
    selling = np.isin(kind, [KINDS.index(k) for k in ("sales", "advice", "retention")])
    fixing = kind == KINDS.index("field_service")
    has = p["clawback"] | (~p["red"] & (selling | fixing | (rng.random(n) < 0.2)))
    triggers = np.where(selling, choose(rng, n, ("mis_sale;cancellation", "cancellation",
                                                 "mis_sale;cancellation;complaint_upheld"),
                                        (0.5, 0.2, 0.3)),
                        np.where(fixing, choose(rng, n, ("rework;repeat_visit", "repeat_visit"),
                                                (0.7, 0.3)),
                                 choose(rng, n, ("repeat_contact", "complaint_upheld;rework"),
                                        (0.5, 0.5))))
    days = choose(rng, n, ("30", "60", "90", "180"), (0.3, 0.3, 0.25, 0.15))
    return np.where(has, triggers, None), np.where(has, days, None)


def _bool_text(values: np.ndarray) -> np.ndarray:
    return np.where(values, "true", "false").astype(object)


def _int_text(values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    present = ~np.isnan(values)
    out[present] = values[present].astype(np.int64).astype(str)
    return out


def _frame(spec: EntitySpec, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    names = _table_columns(spec)
    assert list(columns) == names, (spec.name, list(columns), names)
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()},
                        columns=names)


def _table_columns(spec: EntitySpec) -> list[str]:
    """The columns policycheck.export writes for an entity."""
    if spec is EMPLOYEE:
        return ["employee_id", "plan_id", *spec.field_names]
    if spec is PLAN:
        return ["id", *spec.field_names]
    return ["plan_id", "id", *spec.field_names]


def _rows(plans: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Order of child rows: by plan, then slot."""
    return np.lexsort((slot, plans))


def _gates(rng: np.random.Generator, p: dict[str, np.ndarray],
           c: dict[str, np.ndarray]) -> pd.DataFrame:
    n, kind, mode = len(p["kind"]), p["kind"], p["gate_mode"]
    gate_kpi = pick(rng, kind, flatten([r.gates for r in ROLES]))
    gate_kpi = np.where(mode == 2, "csat_post_call", gate_kpi)
    first = np.flatnonzero(mode > 0)
    second = np.flatnonzero((mode == 3) & (rng.random(n) < 0.25))
    plans = np.concatenate([first, second])
    slot = np.concatenate([np.zeros(len(first), int), np.ones(len(second), int)])
    order = _rows(plans, slot)
    plans, slot = plans[order], slot[order]
    kpis = np.where(slot == 0, gate_kpi[plans], "compliance_breaches").astype(object)
    higher = HIGHER[[KPI_INDEX[k] for k in kpis]]
    bound = np.array([f"{GATE_BOUNDS[k]:g}" for k in kpis], dtype=object)
    partial = mode[plans] == 1
    m = len(plans)
    # A partial gate covers only the plan's last (smallest) component and reduces, not zeroes.
    last = c["matrix_kpi"][plans, c["k"][plans] - 1]
    applies = np.where(partial, COMPONENT_SLUG[last], "all")
    effect = np.where(partial | (rng.random(m) < 0.2), "reduce", "zero").astype(object)
    reduce_pct = np.where(effect == "reduce",
                          np.where(partial, choose(rng, m, ("20", "25", "30"), (0.4, 0.3, 0.3)),
                                   "50"), None)
    override = np.where(partial & (rng.random(m) < 0.5),
                        pick(rng, kind[plans], flatten([r.overrides for r in ROLES])), None)
    slug = np.array([k.replace("_", "-") for k in kpis], dtype=object)
    return _frame(ENTITIES["gates"], {
        "plan_id": p["id"][plans], "id": slug + np.where(slot == 0, "-gate", "-check"),
        "kpi": kpis, "min": np.where(higher, bound, None), "max": np.where(higher, None, bound),
        "applies_to": applies.astype(object), "effect": effect, "reduce_pct": reduce_pct,
        "override_by": override,
    })


def _modifiers(rng: np.random.Generator, p: dict[str, np.ndarray],
               c: dict[str, np.ndarray]) -> pd.DataFrame:
    n, red = len(p["kind"]), p["red"]
    plans = np.flatnonzero(rng.random(n) < np.where(red, 0.25, 0.3))
    m = len(plans)
    kpi = np.where(red[plans], choose(rng, m, ("csat_post_call", "fcr_self_coded", "nps", "csat"),
                                      (0.4, 0.2, 0.2, 0.2)),
                   choose(rng, m, ("nps", "csat", "customer_retention"), (0.4, 0.4, 0.2)))
    applies = np.where(red[plans] & (rng.random(m) < 0.3),
                       COMPONENT_SLUG[c["matrix_kpi"][plans, 0]], "all")
    slug = np.array([k.replace("_", "-") for k in kpi], dtype=object)
    return _frame(ENTITIES["modifiers"], {
        "plan_id": p["id"][plans], "id": slug + "-modifier", "kpi": kpi.astype(object),
        "applies_to": applies.astype(object),
        "factor_min": choose(rng, m, ("0.8", "0.9"), (0.5, 0.5)),
        "factor_max": choose(rng, m, ("1.1", "1.2"), (0.5, 0.5)),
    })


def _competitions(rng: np.random.Generator, p: dict[str, np.ndarray],
                  c: dict[str, np.ndarray]) -> pd.DataFrame:
    n, red = len(p["kind"]), p["red"]
    plans = np.flatnonzero(p["contest"] | (~red & (rng.random(n) < 0.05)))
    m = len(plans)
    basis = choose(rng, m, ("rank", "first_n", "threshold"), (0.4, 0.3, 0.3))
    basis[~red[plans]] = "threshold"
    name = np.empty(m, dtype=object)
    u = rng.random(m)
    for b, names in CONTESTS.items():
        set_templates(name, basis == b, names, u)
    name[~red[plans]] = "Quality champion"
    kpi = np.where(red[plans], np.asarray(KPI_IDS, object)[c["matrix_kpi"][plans, 0]], "qa_score")
    return _frame(ENTITIES["competitions"], {
        "plan_id": p["id"][plans], "id": name, "name": name, "kpi": kpi.astype(object),
        "basis": basis, "prize": choose(rng, m, ("250", "500", "750", "1000", "2500"),
                                        (0.2, 0.3, 0.2, 0.2, 0.1)),
        "duration_days": choose(rng, m, ("7", "14", "28", "30", "90"), (0.15, 0.15, 0.3, 0.25,
                                                                        0.15)),
    })


def _consequences(rng: np.random.Generator, p: dict[str, np.ndarray],
                  c: dict[str, np.ndarray]) -> pd.DataFrame:
    n, red = len(p["kind"]), p["red"]
    first = np.flatnonzero(p["consequence"] | (~red & (rng.random(n) < 0.1)))
    second = first[red[first] & (rng.random(len(first)) < 0.3)]
    plans = np.concatenate([first, second])
    slot = np.concatenate([np.zeros(len(first), int), np.ones(len(second), int)])
    order = _rows(plans, slot)
    plans, slot = plans[order], slot[order]
    m = len(plans)
    kpi_idx = c["matrix_kpi"][plans, slot]
    balanced = ~red[plans]
    kpi = np.where(balanced, "compliance_breaches", np.asarray(KPI_IDS, object)[kpi_idx])
    higher = np.where(balanced, False, HIGHER[kpi_idx])
    months = choose(rng, m, ("2", "3", "6", "9"), (0.2, 0.4, 0.25, 0.15))
    trigger = np.where(higher, "below target for " + months + " consecutive months",
                       "above target for " + months + " consecutive months")
    trigger[balanced] = "repeated breaches after coaching"
    action = choose(rng, m, ("pip", "demotion", "salary_band_change", "termination",
                             "hours_cut"), (0.4, 0.15, 0.15, 0.15, 0.15))
    action[balanced | (slot == 1)] = "pip"
    slug = np.array([k.replace("_", "-") for k in kpi], dtype=object)
    return _frame(ENTITIES["consequences"], {
        "plan_id": p["id"][plans], "id": slug + "-" + action, "kpi": kpi.astype(object),
        "trigger": trigger.astype(object), "action": action,
    })


def _campaigns(rng: np.random.Generator, p: dict[str, np.ndarray],
               c: dict[str, np.ndarray]) -> pd.DataFrame:
    plans = np.flatnonzero(p["campaign"])
    m = len(plans)
    name = choose(rng, m, CAMPAIGN_NAMES, (0.3, 0.2, 0.2, 0.2, 0.1))
    start = np.array([datetime.date.fromisoformat(e[0]) for e in EFFECTIVE])[p["effective"][plans]]
    offset = rng.integers(0, 150, size=m)
    length = choose(rng, m, (6, 13, 27), (0.3, 0.3, 0.4)).astype(int)
    first = np.array([d + datetime.timedelta(days=int(o))
                      for d, o in zip(start, offset, strict=True)])
    last = np.array([d + datetime.timedelta(days=int(x))
                     for d, x in zip(first, length, strict=True)])
    return _frame(ENTITIES["campaigns"], {
        "plan_id": p["id"][plans], "id": name, "name": name,
        "kpi": np.asarray(KPI_IDS, object)[c["matrix_kpi"][plans, 0]],
        "multiplier": choose(rng, m, ("1.25", "1.5", "2"), (0.3, 0.5, 0.2)),
        "start": np.array([d.isoformat() for d in first], dtype=object),
        "end": np.array([d.isoformat() for d in last], dtype=object),
    })


def _employees(rng: np.random.Generator, p: dict[str, np.ndarray]) -> pd.DataFrame:
    count = p["headcount"]
    plans = np.repeat(np.arange(len(count)), count)
    total = len(plans)
    ids = "E" + np.char.zfill(np.arange(1, total + 1).astype(str), max(8, len(str(total))))
    pay = (p["base"][plans] * rng.uniform(0.9, 1.1, total) / 100).round().astype(np.int64) * 100
    return _frame(EMPLOYEE, {
        "employee_id": ids.astype(object), "plan_id": p["id"][plans],
        "base_pay": pay.astype(str).astype(object),
        "org_unit": choose(rng, total, ORG_UNITS, (0.3, 0.25, 0.2, 0.15, 0.1)),
    })
