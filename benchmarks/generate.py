"""Synthetic organisations: seeded, deterministic, vectorised plan generation.

    python benchmarks/generate.py --plans 100000 --seed 7 --out /tmp/org
    python benchmarks/generate.py --plans 500 --seed 7 --out /tmp/org --formats csv,yaml,xlsx

Writes N compensation plans in the table format of SPEC 3.2, byte for byte as
``policycheck.export`` writes it (so loading a generated folder and exporting it again gives
the same files), and optionally as YAML plan files and one .xlsx workbook. With one format the
files go straight into ``--out``; with several, each format gets its own sub-folder
(``csv/``, ``yaml/``, ``xlsx/``) so that no folder holds the same plan twice.

The mix is meant to look like a large company: nine role kinds in realistic proportions, 2-8
components per plan (about 5.4 on average) drawing KPIs of the built-in library that fit the
role, weights in whole percents (mostly 5 % steps) summing to exactly 100 %, all five curve
kinds, curve points, per-product rates, gates, modifiers, clawbacks, deferrals, competitions,
consequences and campaigns. About 30 % of plans are built balanced (customer measures carry
the weight, capped curves, a customer gate on everything, clawback where selling); the rest
are built around one risky signature KPI of their role and draw red flags of
shared/domain/red-flags.md at role-dependent rates (uncapped accelerators, retroactive curves,
cliffs, 100 % variable pay, remedy-cost KPIs, short periods, contests, campaigns, partial or
overridable gates, volume-triggered consequences, undocumented discretion ...).

Same seed and N give byte-identical files; ``generate(n, seed)`` gives the frames.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from policycheck.export import EPOCH, atomic_write, save_workbook
from policycheck.model import CHILDREN, EMPLOYEE, ENTITIES, NESTED_PLAN_FIELDS, PLAN, EntitySpec

TABLE_NAMES = ("plans", *(c.name for c in CHILDREN), "employees")
MAX_COMPONENTS = 8
BALANCED_SHARE = 0.30
XLSX_MAX_PLANS = 10_000
YAML_PLANS_PER_FILE = 100

# --------------------------------------------------------------------------------------------
# The built-in KPI library and a plausible target for each KPI (in its own unit).

_LIBRARY = yaml.load(resources.files("policycheck").joinpath("data/kpis.yaml").read_text("utf-8"),
                     Loader=yaml.CSafeLoader)["kpis"]
KPI_IDS = tuple(k["id"] for k in _LIBRARY)
KPI_INDEX = {k: i for i, k in enumerate(KPI_IDS)}
_CATEGORY = np.array([k["category"] for k in _LIBRARY], dtype=object)
_HIGHER = np.array([k["direction"] == "higher" for k in _LIBRARY])
#: Percentages and scores that cannot pass 100.
_AT_MOST_100 = np.array([k["unit"] in ("percent", "score") and k["id"] != "quota_attainment"
                         for k in _LIBRARY])

TARGETS = {
    "aht": 300, "talk_time": 240, "wrap_time": 45, "hold_time": 30, "speed_of_answer": 20,
    "time_to_resolve": 48, "mttr": 4, "time_to_site": 120, "appointment_wait": 5,
    "queue_time_target": 60, "covered_days_vs_predicted": 1, "refunds_issued": 1500,
    "claims_paid": 180000, "claim_severity": 4200, "loss_ratio": 65, "complaint_uphold_rate": 35,
    "goodwill_spend": 800, "contacts_per_hour": 9, "tickets_closed": 120, "jobs_per_day": 6,
    "flagged_hours": 45, "units_installed": 8, "sales_per_hour": 1.5, "utilisation": 85,
    "cost_per_contact": 4.5, "parts_cost": 60, "dispatches_avoided": 30, "escalation_rate": 8,
    "transfer_rate": 10, "units_sold": 40, "revenue": 250000, "accounts_opened": 4,
    "quota_attainment": 100, "products_per_customer": 8, "attach_rate": 35, "opt_in_rate": 40,
    "referrals_preferred": 20, "rate_margin": 2.5, "discount_depth": 10, "fee_income": 15000,
    "save_rate": 60, "agent_churn": 5, "amount_collected": 25000, "promises_to_pay": 120,
    "qa_score": 85, "file_check_pass": 90, "rework_rate": 3, "mystery_shop": 85,
    "compliance_breaches": 0, "schedule_adherence": 92, "attendance": 97, "fcr": 75,
    "fcr_self_coded": 80, "repeat_contact": 15, "first_time_fix": 85, "repeat_visit": 8,
    "reopen_rate": 5, "csat": 85, "csat_post_call": 90, "nps": 40, "ces": 2.5,
    "complaint_volume": 3, "early_cancellation": 5, "product_usage": 70, "ombudsman_upheld": 2,
    "customer_retention": 90, "company_profit": 410000000, "branch_profit": 1200000,
}
#: The bound of a gate on the KPI (min for higher-is-better KPIs, max for lower).
GATE_BOUNDS = {
    "qa_score": 80, "fcr": 70, "repeat_contact": 20, "csat": 80, "mystery_shop": 80,
    "product_usage": 60, "early_cancellation": 8, "ombudsman_upheld": 2, "file_check_pass": 90,
    "complaint_volume": 5, "first_time_fix": 75, "repeat_visit": 10, "rework_rate": 5,
    "compliance_breaches": 0, "csat_post_call": 85,
}
VOLUME_CATEGORIES = ("sales_volume", "cross_sell", "price_terms", "retention_save", "collections",
                     "throughput")
CUSTOMER_CATEGORIES = ("quality", "resolution", "cx_perception", "customer_outcome", "compliance")
RATE_KPIS = ("units_sold", "accounts_opened", "save_rate", "products_per_customer",
             "attach_rate", "revenue", "fee_income", "opt_in_rate")


def _sig3(values: np.ndarray) -> np.ndarray:
    """Round to three significant digits (targets people would write)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore"):
        digits = np.where(values == 0, 0, 2 - np.floor(np.log10(np.abs(values)))).astype(int)
    return np.array([round(float(v), int(d)) for v, d in zip(values, digits, strict=True)])


def _num_text(values: np.ndarray) -> np.ndarray:
    """Numbers as policycheck.export writes them (``{:.15g}``); percentages at most 100."""
    values = np.where(_AT_MOST_100, np.minimum(values, 100), values)
    return np.array([f"{float(v):.15g}" for v in values], dtype=object)


_BASE_TARGET = np.array([TARGETS[k] for k in KPI_IDS], dtype=float)
#: (kpi, 3) target choices and their thresholds, as text.
TARGET_TEXT = np.stack([_num_text(_sig3(_BASE_TARGET * f)) for f in (0.9, 1.0, 1.1)], axis=1)
_THRESHOLDS = [np.where(_HIGHER, _sig3(_BASE_TARGET * f * 0.85),
                        np.where(_BASE_TARGET == 0, 1, _sig3(_BASE_TARGET * f * 1.2)))
               for f in (0.9, 1.0, 1.1)]
THRESHOLD_TEXT = np.stack([_num_text(t) for t in _THRESHOLDS], axis=1)
IS_VOLUME = np.isin(_CATEGORY, VOLUME_CATEGORIES)
IS_CUSTOMER = np.isin(_CATEGORY, CUSTOMER_CATEGORIES)
IS_RATE_KPI = np.isin(np.array(KPI_IDS, dtype=object), RATE_KPIS)
COMPONENT_SLUG = np.array([k.replace("_", "-") for k in KPI_IDS], dtype=object)

# --------------------------------------------------------------------------------------------
# Role kinds: how common they are, who they are, which KPIs fit them.


@dataclass(frozen=True)
class Role:
    kind: str
    share: float
    titles: tuple[str, ...]
    base: tuple[int, int]
    good: tuple[str, ...]          # customer-side KPIs: what balanced plans are built from
    moderate: tuple[str, ...]      # fine with a counterweight: a minor share of balanced plans
    risky: tuple[str, ...]         # pulls against the customer when it carries the pay
    signatures: tuple[str, ...]    # the KPI a red-flag plan of this role is built around
    gates: tuple[str, ...]
    duties: tuple[str, ...]
    overrides: tuple[str, ...]     # conflicted roles allowed to waive a gate
    rates: tuple[str, ...] = ()    # per-product rate tables, differential


ROLES = (
    Role("service", 0.30,
         ("Contact centre agent", "Customer service advisor", "Technical support agent",
          "Live chat agent", "Billing enquiries agent"), (24000, 34000),
         ("fcr", "repeat_contact", "qa_score", "csat", "nps", "ces", "reopen_rate",
          "complaint_volume", "customer_retention"),
         ("schedule_adherence", "speed_of_answer", "attendance", "transfer_rate"),
         ("aht", "talk_time", "wrap_time", "hold_time", "contacts_per_hour", "escalation_rate",
          "cost_per_contact", "csat_post_call", "fcr_self_coded", "tickets_closed",
          "sales_per_hour", "attach_rate", "refunds_issued", "goodwill_spend"),
         ("aht", "aht", "aht", "talk_time", "contacts_per_hour", "escalation_rate",
          "csat_post_call", "refunds_issued", "fcr_self_coded", "cost_per_contact"),
         ("qa_score", "fcr", "repeat_contact"), ("resolve_issue",),
         ("Team leader", "Contact centre manager")),
    Role("sales", 0.15,
         ("Store sales associate", "Telesales agent", "Field sales representative",
          "Retail sales consultant", "Business sales executive"), (22000, 38000),
         ("product_usage", "early_cancellation", "mystery_shop", "customer_retention",
          "complaint_volume", "nps", "csat", "ombudsman_upheld"),
         ("revenue", "units_sold", "quota_attainment", "schedule_adherence"),
         ("accounts_opened", "products_per_customer", "attach_rate", "opt_in_rate",
          "referrals_preferred", "sales_per_hour", "discount_depth", "fee_income",
          "csat_post_call"),
         ("units_sold", "revenue", "accounts_opened", "products_per_customer", "attach_rate",
          "opt_in_rate", "quota_attainment"),
         ("mystery_shop", "product_usage", "early_cancellation", "ombudsman_upheld"),
         ("suitable_sale",), ("Store manager", "Sales manager"),
         ("broadband=15;energy_dual_fuel=25;mobile_sim_only=5;tv_bundle=40",
          "add_on_insurance=30;credit_card=25;current_account=10;savings=5")),
    Role("advice", 0.07,
         ("Personal banker", "Mortgage adviser", "Financial adviser", "Motor finance broker",
          "Insurance adviser"), (30000, 55000),
         ("file_check_pass", "mystery_shop", "product_usage", "early_cancellation",
          "ombudsman_upheld", "customer_retention", "nps", "csat", "complaint_volume"),
         ("schedule_adherence", "company_profit"),
         ("revenue", "quota_attainment", "fee_income", "rate_margin", "accounts_opened",
          "products_per_customer", "referrals_preferred", "opt_in_rate", "attach_rate",
          "discount_depth"),
         ("rate_margin", "fee_income", "revenue", "accounts_opened", "products_per_customer",
          "referrals_preferred"),
         ("file_check_pass", "mystery_shop", "ombudsman_upheld"), ("suitable_advice",),
         ("Branch manager", "Sales manager"),
         ("credit_card=80;loan=150;mortgage=400;savings=20",
          "home_insurance=60;life_cover=220;pet_insurance=40")),
    Role("retention", 0.06,
         ("Retention specialist", "Save desk agent", "Cancellations agent"), (24000, 32000),
         ("customer_retention", "complaint_volume", "qa_score", "nps", "ces",
          "ombudsman_upheld", "repeat_contact", "fcr"),
         ("schedule_adherence", "attendance"),
         ("save_rate", "agent_churn", "discount_depth", "attach_rate", "goodwill_spend",
          "refunds_issued", "aht", "csat_post_call"),
         ("save_rate", "save_rate", "agent_churn", "discount_depth"),
         ("qa_score", "complaint_volume", "ombudsman_upheld"), ("honour_cancellation",),
         ("Retention team leader",),
         ("broadband=15;energy_dual_fuel=25;mobile_sim_only=5;tv_bundle=40",)),
    Role("collections", 0.06,
         ("Collections agent", "Recoveries officer", "Financial support specialist",
          "Arrears adviser"), (23000, 32000),
         ("qa_score", "compliance_breaches", "ombudsman_upheld", "complaint_volume",
          "customer_retention", "csat", "nps", "fcr"),
         ("schedule_adherence", "attendance", "speed_of_answer"),
         ("amount_collected", "promises_to_pay", "contacts_per_hour", "aht", "talk_time",
          "escalation_rate", "fee_income"),
         ("amount_collected", "amount_collected", "promises_to_pay", "contacts_per_hour"),
         ("qa_score", "ombudsman_upheld"), ("fair_collections",),
         ("Collections team leader",)),
    Role("claims", 0.07,
         ("Claims handler", "Complex claims handler", "Claims assessor", "Loss adjuster"),
         (27000, 42000),
         ("file_check_pass", "qa_score", "ombudsman_upheld", "csat", "nps",
          "complaint_volume", "reopen_rate", "fcr", "customer_retention"),
         ("time_to_resolve", "schedule_adherence"),
         ("claims_paid", "claim_severity", "loss_ratio", "covered_days_vs_predicted",
          "complaint_uphold_rate", "tickets_closed", "cost_per_contact", "goodwill_spend"),
         ("claims_paid", "claim_severity", "loss_ratio", "covered_days_vs_predicted",
          "complaint_uphold_rate"),
         ("file_check_pass", "qa_score", "ombudsman_upheld"), ("fair_claim_decision",),
         ("Claims team manager",)),
    Role("field_service", 0.12,
         ("Field service technician", "Smart meter installer", "Broadband engineer",
          "Boiler service engineer", "Repair technician"), (26000, 40000),
         ("first_time_fix", "repeat_visit", "qa_score", "csat", "nps", "rework_rate",
          "complaint_volume", "customer_retention"),
         ("time_to_site", "units_installed", "schedule_adherence", "attendance"),
         ("jobs_per_day", "flagged_hours", "mttr", "parts_cost", "dispatches_avoided",
          "utilisation", "appointment_wait", "attach_rate", "sales_per_hour"),
         ("jobs_per_day", "jobs_per_day", "flagged_hours", "parts_cost", "mttr",
          "units_installed", "dispatches_avoided"),
         ("first_time_fix", "repeat_visit", "qa_score", "rework_rate"),
         ("safe_install", "fix_first_time"), ("Field operations manager",)),
    Role("back_office", 0.11,
         ("Billing operations analyst", "Back-office processor", "Web product engineer",
          "Payments operations analyst", "Onboarding analyst"), (26000, 60000),
         ("rework_rate", "qa_score", "reopen_rate", "complaint_volume", "repeat_contact",
          "compliance_breaches", "file_check_pass", "ces", "customer_retention"),
         ("company_profit", "time_to_resolve", "schedule_adherence", "attendance"),
         ("tickets_closed", "refunds_issued", "goodwill_spend", "cost_per_contact",
          "utilisation", "queue_time_target", "escalation_rate"),
         ("refunds_issued", "tickets_closed", "cost_per_contact", "goodwill_spend",
          "utilisation"),
         ("rework_rate", "qa_score", "file_check_pass"), ("correct_billing",),
         ("Operations manager",)),
    Role("manager", 0.06,
         ("Store manager", "Contact centre team leader", "Branch manager",
          "Field operations manager", "Collections team leader"), (38000, 70000),
         ("customer_retention", "nps", "csat", "mystery_shop", "qa_score", "complaint_volume",
          "ombudsman_upheld", "fcr"),
         ("branch_profit", "company_profit", "schedule_adherence", "attendance"),
         ("revenue", "units_sold", "quota_attainment", "agent_churn", "aht", "cost_per_contact",
          "products_per_customer", "amount_collected", "utilisation"),
         ("revenue", "units_sold", "quota_attainment", "branch_profit", "aht",
          "products_per_customer"),
         ("mystery_shop", "qa_score", "complaint_volume"), ("coach_team",),
         ("Regional director",)),
)
KINDS = tuple(r.kind for r in ROLES)
_SHARES = np.array([r.share for r in ROLES])
assert abs(_SHARES.sum() - 1) < 1e-9
assert ENTITIES["plans"].field("role_kind").choices == KINDS


def _pool_logp() -> np.ndarray:
    """log P(kpi) per (role kind, red flag) for the weighted draw of a plan's KPIs."""
    prob = np.zeros((len(ROLES), 2, len(KPI_IDS)))
    for r, role in enumerate(ROLES):
        for names, balanced, red in ((role.good, 1.0, 0.6), (role.moderate, 0.0, 0.6),
                                     (role.risky, 0.0, 1.0)):
            for name in names:
                prob[r, 0, KPI_INDEX[name]] = balanced
                prob[r, 1, KPI_IDS.index(name)] = red
        assert (prob[r] > 0).sum(axis=1).min() >= MAX_COMPONENTS, role.kind
    with np.errstate(divide="ignore"):
        return np.log(prob)


_LOGP = _pool_logp()
_RISKY = np.zeros((len(ROLES), len(KPI_IDS)), dtype=bool)
for _r, _role in enumerate(ROLES):
    _RISKY[_r, [KPI_INDEX[k] for k in _role.risky + _role.moderate]] = True


def _ragged(lists: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    flat = np.array([item for items in lists for item in items], dtype=object)
    lengths = np.array([len(items) for items in lists])
    return flat, np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths


def _pick(rng: np.random.Generator, kind: np.ndarray,
          table: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """One item per row from the role kind's list (uniformly)."""
    flat, start, length = table
    return flat[start[kind] + (rng.random(len(kind)) * length[kind]).astype(np.int64)]


def _choice(rng: np.random.Generator, n: int, values: tuple, p: tuple) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=np.asarray(p))]


def _by_kind(kind: np.ndarray, **probs: float) -> np.ndarray:
    """A per-row probability from per-kind values (``default`` for kinds not named)."""
    default = probs.pop("default", 0.0)
    table = np.array([probs.get(k, default) for k in KINDS])
    return table[kind]


CURVE_POINTS = {
    "linear": ("80:0;100:100;120:120", "90:0;100:100;110:110", "50:0;100:100;150:150"),
    "stepped": ("90:50;100:100;110:120", "95:80;100:100;105:110"),
    "cliff": ("84:0;85:100;110:150", "99:0;100:100;120:150", "89:0;90:100;100:120"),
    "accelerating": ("70:0;100:100;120:180;140:280", "50:0;100:100;120:150;150:250",
                     "80:0;100:100;110:130;125:200"),
    "decelerating": ("88:0;94:60;100:100;106:130;112:150", "80:0;100:100;120:130",
                     "70:0;100:100;130:140"),
    "retroactive": ("99:0;100:100;125:200", "95:0;100:110;120:180"),
}
NEUTRAL_RATES = "broadband=20;mobile=20;tv=20"
EFFECTIVE = (("2027-01-01", "2027-12-31"), ("2027-04-01", "2028-03-31"),
             ("2027-01-01", "2027-06-30"), ("2027-07-01", "2027-12-31"))
CAMPAIGN_NAMES = ("Jump into January", "Spring push", "Summer sprint", "Quarter-end blitz",
                  "Double points week")
CONTESTS = {"rank": ("Top of the league", "Leaderboard champion", "Team of the quarter"),
            "first_n": ("First 25 to target", "Early bird bonus"),
            "threshold": ("Target club", "Star performer club", "Hundred club")}
OWNERS = ("comp-team@example.com", "reward@example.com", "hr-pay@example.com",
          "sales-comp@example.com")
ORG_UNITS = ("EMEA-North", "EMEA-South", "NA", "APAC", "LATAM")


# --------------------------------------------------------------------------------------------
# Generation.


def generate(n: int, seed: int, employees: bool = False) -> dict[str, pd.DataFrame]:
    """``n`` plans as the tables of SPEC 3.2: text cells (``None`` for an empty cell),
    columns in the order ``policycheck.export`` writes them. Deterministic in (n, seed)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    plans = _plans(rng, n)
    comps = _components(rng, plans)
    tables = {
        "plans": _plan_table(rng, plans, comps),
        "components": _component_table(comps),
        "gates": _gates(rng, plans, comps),
        "modifiers": _modifiers(rng, plans, comps),
        "competitions": _competitions(rng, plans, comps),
        "consequences": _consequences(rng, plans, comps),
        "campaigns": _campaigns(rng, plans, comps),
    }
    if employees:
        tables["employees"] = _employees(rng, plans)
    return tables


def _plans(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    kind = rng.choice(len(ROLES), size=n, p=_SHARES)
    red = rng.random(n) >= BALANCED_SHARE
    width = max(6, len(str(n)))
    number = np.char.zfill(np.arange(1, n + 1).astype(str), width).astype(object)
    slug = np.array([k.replace("_", "-") for k in KINDS], dtype=object)[kind]
    p: dict[str, np.ndarray] = {"kind": kind, "red": red, "id": "p" + number + "-" + slug,
                                "number": number}
    p["title"] = _pick(rng, kind, _ragged([r.titles for r in ROLES]))
    p["signature"] = np.array([KPI_INDEX[k] for k in _pick(
        rng, kind, _ragged([r.signatures for r in ROLES]))])
    sales_like = dict(sales=0.45, collections=0.45, advice=0.4, field_service=0.4,
                      manager=0.4, retention=0.4, default=0.3)
    flags = {
        "uncapped": _by_kind(kind, **sales_like),
        "accel": _by_kind(kind, sales=0.35, collections=0.35, advice=0.3, default=0.08),
        "retro": _by_kind(kind, advice=0.25, sales=0.1, default=0.03),
        "cliff": _by_kind(kind, retention=0.4, sales=0.1, default=0.05),
        "var100": _by_kind(kind, sales=0.2, advice=0.15, collections=0.15),
        "short": _by_kind(kind, sales=0.35, collections=0.35, service=0.15,
                          field_service=0.2, default=0.1),
        "contest": _by_kind(kind, sales=0.35, collections=0.3, manager=0.3, service=0.15,
                            retention=0.15, field_service=0.1, default=0.05),
        "campaign": _by_kind(kind, sales=0.3, advice=0.15, retention=0.1, default=0.03),
        "consequence": _by_kind(kind, default=0.45),
        "clawback": _by_kind(kind, default=0.15),
        "rates": _by_kind(kind, retention=0.5, sales=0.4, advice=0.25),
        "discretion": _by_kind(kind, manager=0.4, default=0.15),
    }
    for name, prob in flags.items():
        p[name] = red & (rng.random(n) < prob)
    p["vulnerable"] = rng.random(n) < _by_kind(kind, collections=0.5, claims=0.2, service=0.1,
                                                retention=0.1, default=0.03)
    # Red plans: no gate, a partial (one minor component, reduce only) gate, or a gate on an
    # agent-triggered survey. Balanced plans always gate every component on a customer KPI.
    p["gate_mode"] = np.where(red, rng.choice(3, size=n, p=[0.55, 0.3, 0.15]), 3)
    k_red = rng.choice(np.arange(2, 9), size=n, p=[0.04, 0.08, 0.14, 0.2, 0.2, 0.18, 0.16])
    k_bal = rng.choice(np.arange(3, 7), size=n, p=[0.1, 0.3, 0.35, 0.25])
    p["k"] = np.where(red, k_red, k_bal)
    p["effective"] = rng.choice(len(EFFECTIVE), size=n, p=[0.7, 0.15, 0.08, 0.07])
    return p


def _components(rng: np.random.Generator, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Padded (plan, slot) matrices, then the flat component rows."""
    n, kind, red, k = len(p["kind"]), p["kind"], p["red"], p["k"]
    rows = np.arange(n)
    # Weighted draw without replacement (Gumbel top-k); a red plan's signature KPI comes first.
    keys = _LOGP[kind, red.astype(int)] + rng.gumbel(size=(n, len(KPI_IDS)))
    keys[rows[red], p["signature"][red]] = np.inf
    kpi = np.argsort(-keys, axis=1, kind="stable")[:, :MAX_COMPONENTS]
    # Balanced plans draw customer KPIs only, and 40 % of those not serving vulnerable
    # customers add one moderate KPI (team sales, adherence, a profit share ...) in their
    # last slot, at a small weight. (Advisers get no sales KPI: they diagnose what to sell.)
    moderate = np.flatnonzero(~red & ~p["vulnerable"] & (rng.random(n) < 0.4))
    kpi[moderate, k[moderate] - 1] = [KPI_INDEX[name] for name in _pick(
        rng, kind[moderate], _ragged([r.moderate for r in ROLES]))]
    mask = np.arange(MAX_COMPONENTS) < k[:, None]
    # Raw weights; a red plan's signature takes 35-75 % of the pay, a balanced plan's
    # moderate KPI at most about a quarter.
    raw = rng.gamma(3.0, 1.0, size=(n, MAX_COMPONENTS)) * mask
    soft = ~red[:, None] & _RISKY[kind[:, None], kpi] & mask
    rest = (raw * ~soft).sum(axis=1, keepdims=True)
    raw = np.where(soft, np.minimum(raw * 0.3, 0.3 * rest), raw)
    share = rng.uniform(0.35, 0.75, size=n)
    others = raw[:, 1:].sum(axis=1)
    raw[:, 0] = np.where(red, share / (1 - share) * others, raw[:, 0])
    units = np.where(rng.random(n) < 0.7, 20, 100)  # 5 % steps mostly, 1 % steps otherwise
    weight = _whole_units(raw, mask, units) * (100 // units)[:, None]
    assert (weight.sum(axis=1) == 100).all()
    flat = mask.ravel()
    c: dict[str, np.ndarray] = {
        "plan": np.repeat(rows, k), "slot": np.tile(np.arange(MAX_COMPONENTS), n)[flat],
        "kpi": kpi.ravel()[flat], "weight": weight.ravel()[flat],
        "matrix_kpi": kpi, "k": k,
    }
    c["plan_id"] = p["id"][c["plan"]]
    c["id"] = COMPONENT_SLUG[c["kpi"]]
    _component_fields(rng, p, c)
    return c


def _whole_units(raw: np.ndarray, mask: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of each row to ``units`` whole units, at least one each."""
    k = mask.sum(axis=1)
    scaled = raw / raw.sum(axis=1, keepdims=True) * (units - k)[:, None]
    base = np.floor(scaled).astype(np.int64) + mask
    deficit = units - base.sum(axis=1)
    fraction = np.where(mask, scaled - np.floor(scaled), -1.0)
    order = np.argsort(-fraction, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(raw.shape[1])[None, :].repeat(len(raw), 0), axis=1)
    return base + (rank < deficit[:, None]) * mask


def _component_fields(rng: np.random.Generator, p: dict[str, np.ndarray],
                      c: dict[str, np.ndarray]) -> None:
    m = len(c["kpi"])
    plan, kpi = c["plan"], c["kpi"]
    red, kind = p["red"][plan], p["kind"][plan]
    volume = IS_VOLUME[kpi]
    manager = kind == KINDS.index("manager")
    kpi_name = np.asarray(KPI_IDS, dtype=object)[kpi]
    # basis
    basis = np.full(m, "individual", dtype=object)
    u = rng.random(m)
    basis[(u < 0.12) | (IS_CUSTOMER[kpi] & (u < 0.25))] = "team"
    basis[manager] = _choice(rng, int(manager.sum()), ("team", "branch", "individual"),
                             (0.6, 0.3, 0.1))
    basis[kpi_name == "company_profit"] = "company"
    basis[kpi_name == "branch_profit"] = "branch"
    # period
    period = _choice(rng, m, ("month", "quarter", "week"), (0.65, 0.27, 0.08))
    period[~red & (period == "week")] = "month"
    short = p["short"][plan] & volume
    period[short] = _choice(rng, int(short.sum()), ("day", "week"), (0.4, 0.6))
    period[_CATEGORY[kpi] == "company_financial"] = "year"
    # cap
    cap = _choice(rng, m, (None, "1.5", "2", "3"), (0.15, 0.4, 0.35, 0.1))
    cap[~red] = _choice(rng, int((~red).sum()), ("1.5", "2"), (0.5, 0.5))
    cap[red & volume & p["uncapped"][plan]] = None
    # curve: accelerating or retroactive volume pay, cliffs, else mostly linear
    curve = np.where(red, _choice(rng, m, ("linear", "stepped", "decelerating", "accelerating"),
                                  (0.7, 0.12, 0.08, 0.1)),
                     _choice(rng, m, ("linear", "decelerating", "stepped"), (0.75, 0.2, 0.05)))
    curve = curve.astype(object)
    curve[red & ~volume & (curve == "accelerating")] = "linear"
    # A balanced plan keeps steps off its few speed, cost or sales components (no cliffs).
    curve[~red & _RISKY[kind, kpi] & (curve == "stepped")] = "linear"
    curve[volume & p["accel"][plan]] = "accelerating"
    first = c["slot"] == 0
    cliff = first & p["cliff"][plan]
    curve[cliff] = "stepped"
    curve[first & p["retro"][plan]] = "retroactive"
    # curve points (~16 % of components): many non-linear curves spell out their shape
    points = np.full(m, None, dtype=object)
    u = rng.random(m)
    v = rng.random(m)
    for name, prob in (("linear", 0.03), ("stepped", 0.6), ("decelerating", 0.35),
                       ("accelerating", 0.5), ("retroactive", 0.5)):
        templates = CURVE_POINTS[name]
        chosen = (curve == name) & (u < prob)
        if name == "stepped":
            _set_templates(points, chosen & cliff, CURVE_POINTS["cliff"], v)
            chosen &= ~cliff
        _set_templates(points, chosen, templates, v)
    # per-product rates: differential on red sales plans, product-neutral on a few balanced
    rates = np.full(m, None, dtype=object)
    eligible = IS_RATE_KPI[kpi]
    differential = eligible & p["rates"][plan]
    rate_table = _ragged([r.rates or ("",) for r in ROLES])
    rates[differential] = _pick(rng, kind[differential], rate_table)
    neutral = eligible & ~red & (rng.random(m) < 0.1)
    rates[neutral] = NEUTRAL_RATES
    rates[rates == ""] = None
    # targets and thresholds from the KPI's own scale
    choice = rng.integers(0, 3, size=m)
    target = TARGET_TEXT[kpi, choice]
    threshold = np.where(rng.random(m) < 0.2, None, THRESHOLD_TEXT[kpi, choice])
    c.update(basis=basis, period=period, cap=cap, curve=curve, points=points, rates=rates,
             target=target, threshold=threshold)


def _set_templates(out: np.ndarray, mask: np.ndarray, templates: tuple[str, ...],
                   u: np.ndarray) -> None:
    out[mask] = np.asarray(templates, dtype=object)[(u[mask] * len(templates)).astype(int)]


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
    factor = np.where(red, _choice(rng, n, (1.5, 2.0, 2.5), (0.3, 0.5, 0.2)).astype(float),
                      _choice(rng, n, (1.5, 2.0), (0.6, 0.4)).astype(float))
    maximum = np.where(p["uncapped"], np.nan, target * factor)
    headcount = np.clip(np.round(rng.lognormal(2.2, 1.0, n)), 1, 2500).astype(np.int64)
    headcount = np.where(kind == KINDS.index("manager"), np.clip(headcount // 8, 1, 40),
                         headcount)
    p["headcount"], p["base"] = headcount, base
    facing = np.where(kind == KINDS.index("back_office"), rng.random(n) < 0.1,
                      np.where(kind == KINDS.index("manager"), rng.random(n) < 0.8, True))
    duties = _pick(rng, kind, _ragged([r.duties for r in ROLES]))
    vulnerable_duty = p["vulnerable"] & (kind == KINDS.index("collections"))
    duties[vulnerable_duty] = duties[vulnerable_duty] + ";help_vulnerable_customer"
    duties[rng.random(n) >= 0.5] = None
    claw_triggers, claw_days = _clawbacks(rng, p)
    deferred = ~red & np.isin(kind, [KINDS.index("advice"), KINDS.index("manager"),
                                     KINDS.index("claims")]) & (rng.random(n) < 0.5)
    deferral_share = np.where(deferred, _choice(rng, n, ("0.2", "0.3"), (0.6, 0.4)), "0")
    deferral_months = np.where(deferred, _choice(rng, n, ("6", "12"), (0.5, 0.5)), "0")
    discretion = p["discretion"] | (~red & (rng.random(n) < 0.1))
    documented = discretion & (~red | (rng.random(n) < 0.3))
    frm, to = (np.asarray([e[i] for e in EFFECTIVE], dtype=object)[p["effective"]]
               for i in (0, 1))
    return _frame(PLAN, {
        "id": p["id"], "name": p["title"] + " incentive 2027 #" + p["number"],
        "role": p["title"], "role_kind": np.asarray(KINDS, dtype=object)[kind],
        "customer_facing": _bool_text(facing), "serves_vulnerable": _bool_text(p["vulnerable"]),
        "headcount": headcount.astype(str).astype(object),
        "currency": _choice(rng, n, ("EUR", "GBP", "USD"), (0.6, 0.25, 0.15)),
        "base_pay": base.astype(str).astype(object), "pay_floor": _int_text(floor),
        "target_variable": target.astype(str).astype(object), "max_variable": _int_text(maximum),
        "effective_from": frm, "effective_to": to,
        "owner": _choice(rng, n, OWNERS, (0.55, 0.2, 0.15, 0.1)),
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
    triggers = np.where(selling, _choice(rng, n, ("mis_sale;cancellation", "cancellation",
                                                  "mis_sale;cancellation;complaint_upheld"),
                                         (0.5, 0.2, 0.3)),
                        np.where(fixing, _choice(rng, n, ("rework;repeat_visit", "repeat_visit"),
                                                 (0.7, 0.3)),
                                 _choice(rng, n, ("repeat_contact", "complaint_upheld;rework"),
                                         (0.5, 0.5))))
    days = _choice(rng, n, ("30", "60", "90", "180"), (0.3, 0.3, 0.25, 0.15))
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
    gate_kpi = _pick(rng, kind, _ragged([r.gates for r in ROLES]))
    gate_kpi = np.where(mode == 2, "csat_post_call", gate_kpi)
    first = np.flatnonzero(mode > 0)
    second = np.flatnonzero((mode == 3) & (rng.random(n) < 0.25))
    plans = np.concatenate([first, second])
    slot = np.concatenate([np.zeros(len(first), int), np.ones(len(second), int)])
    order = _rows(plans, slot)
    plans, slot = plans[order], slot[order]
    kpis = np.where(slot == 0, gate_kpi[plans], "compliance_breaches").astype(object)
    higher = _HIGHER[[KPI_INDEX[k] for k in kpis]]
    bound = np.array([f"{GATE_BOUNDS[k]:g}" for k in kpis], dtype=object)
    partial = mode[plans] == 1
    m = len(plans)
    # A partial gate covers only the plan's last (smallest) component and reduces, not zeroes.
    last = c["matrix_kpi"][plans, c["k"][plans] - 1]
    applies = np.where(partial, COMPONENT_SLUG[last], "all")
    effect = np.where(partial | (rng.random(m) < 0.2), "reduce", "zero").astype(object)
    reduce_pct = np.where(effect == "reduce",
                          np.where(partial, _choice(rng, m, ("20", "25", "30"), (0.4, 0.3, 0.3)),
                                   "50"), None)
    override = np.where(partial & (rng.random(m) < 0.5),
                        _pick(rng, kind[plans], _ragged([r.overrides for r in ROLES])), None)
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
    kpi = np.where(red[plans], _choice(rng, m, ("csat_post_call", "fcr_self_coded", "nps", "csat"),
                                       (0.4, 0.2, 0.2, 0.2)),
                   _choice(rng, m, ("nps", "csat", "customer_retention"), (0.4, 0.4, 0.2)))
    applies = np.where(red[plans] & (rng.random(m) < 0.3),
                       COMPONENT_SLUG[c["matrix_kpi"][plans, 0]], "all")
    slug = np.array([k.replace("_", "-") for k in kpi], dtype=object)
    return _frame(ENTITIES["modifiers"], {
        "plan_id": p["id"][plans], "id": slug + "-modifier", "kpi": kpi.astype(object),
        "applies_to": applies.astype(object),
        "factor_min": _choice(rng, m, ("0.8", "0.9"), (0.5, 0.5)),
        "factor_max": _choice(rng, m, ("1.1", "1.2"), (0.5, 0.5)),
    })


def _competitions(rng: np.random.Generator, p: dict[str, np.ndarray],
                  c: dict[str, np.ndarray]) -> pd.DataFrame:
    n, red = len(p["kind"]), p["red"]
    plans = np.flatnonzero(p["contest"] | (~red & (rng.random(n) < 0.05)))
    m = len(plans)
    basis = _choice(rng, m, ("rank", "first_n", "threshold"), (0.4, 0.3, 0.3))
    basis[~red[plans]] = "threshold"
    name = np.empty(m, dtype=object)
    u = rng.random(m)
    for b, names in CONTESTS.items():
        _set_templates(name, basis == b, names, u)
    name[~red[plans]] = "Quality champion"
    kpi = np.where(red[plans], np.asarray(KPI_IDS, object)[c["matrix_kpi"][plans, 0]], "qa_score")
    return _frame(ENTITIES["competitions"], {
        "plan_id": p["id"][plans], "id": name, "name": name, "kpi": kpi.astype(object),
        "basis": basis, "prize": _choice(rng, m, ("250", "500", "750", "1000", "2500"),
                                         (0.2, 0.3, 0.2, 0.2, 0.1)),
        "duration_days": _choice(rng, m, ("7", "14", "28", "30", "90"), (0.15, 0.15, 0.3, 0.25,
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
    higher = np.where(balanced, False, _HIGHER[kpi_idx])
    months = _choice(rng, m, ("2", "3", "6", "9"), (0.2, 0.4, 0.25, 0.15))
    trigger = np.where(higher, "below target for " + months + " consecutive months",
                       "above target for " + months + " consecutive months")
    trigger[balanced] = "repeated breaches after coaching"
    action = _choice(rng, m, ("pip", "demotion", "salary_band_change", "termination",
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
    name = _choice(rng, m, CAMPAIGN_NAMES, (0.3, 0.2, 0.2, 0.2, 0.1))
    start = np.array([datetime.date.fromisoformat(e[0]) for e in EFFECTIVE])[p["effective"][plans]]
    offset = rng.integers(0, 150, size=m)
    length = _choice(rng, m, (6, 13, 27), (0.3, 0.3, 0.4)).astype(int)
    first = np.array([d + datetime.timedelta(days=int(o))
                      for d, o in zip(start, offset, strict=True)])
    last = np.array([d + datetime.timedelta(days=int(x))
                     for d, x in zip(first, length, strict=True)])
    return _frame(ENTITIES["campaigns"], {
        "plan_id": p["id"][plans], "id": name, "name": name,
        "kpi": np.asarray(KPI_IDS, object)[c["matrix_kpi"][plans, 0]],
        "multiplier": _choice(rng, m, ("1.25", "1.5", "2"), (0.3, 0.5, 0.2)),
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
        "org_unit": _choice(rng, total, ORG_UNITS, (0.3, 0.25, 0.2, 0.15, 0.1)),
    })


# --------------------------------------------------------------------------------------------
# Writers.


def write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """One CSV per table, as ``policycheck.export.write_csv_folder`` writes it: empty
    optional tables are left out."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        if table.empty and name not in ("plans", "components"):
            continue
        target = folder / f"{name}.csv"
        atomic_write(target, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        written.append(target)
    return written


def write_xlsx(tables: dict[str, pd.DataFrame], target: Path) -> Path:
    """One sheet per non-empty table, cells as in the CSV (whole-number fields as numbers,
    as policycheck.export writes them); fixed document dates so the bytes are stable."""
    import openpyxl

    if len(tables["plans"]) > XLSX_MAX_PLANS:
        raise ValueError(f"xlsx output is limited to {XLSX_MAX_PLANS:,} plans (it is slow)")
    book = openpyxl.Workbook(write_only=True)
    book.properties.created = book.properties.modified = EPOCH
    for name, table in tables.items():
        if table.empty and name not in ("plans", "components"):
            continue
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        sheet.append(list(table.columns))
        ints = [i for i, col in enumerate(table.columns) if _kind(name, col) == "int"]
        for row in table.itertuples(index=False, name=None):
            values = list(row)
            for i in ints:
                if values[i] is not None:
                    values[i] = int(values[i])
            sheet.append(values)
    return save_workbook(book, target)


def _kind(table: str, column: str) -> str:
    spec = ENTITIES[table]
    return spec.field(column).kind if column in spec.field_names else "str"


def yaml_plans(tables: dict[str, pd.DataFrame]) -> list[dict]:
    """The plans as YAML mappings in the authored form of SPEC 3.1 (nested clawback,
    deferral and discretion; lists as lists; points as pairs; rates as mappings). Odd plans
    write weights as fractions, even ones as percent strings, as authors do."""
    plans = tables["plans"]
    index = pd.Index(plans["id"])
    children: dict[str, list[list[dict]]] = {}
    for spec in CHILDREN:
        table = tables[spec.name]
        records = _typed_records(spec, table)
        grouped: list[list[dict]] = [[] for _ in range(len(plans))]
        for position, record in zip(index.get_indexer(table["plan_id"]), records, strict=True):
            del record["plan_id"]
            grouped[position].append(record)
        children[spec.yaml_key] = grouped
    out = []
    for position, record in enumerate(_typed_records(PLAN, plans)):
        plan: dict = {"id": record.pop("id")}
        for key, value in record.items():
            nested, _, sub = key.partition("_")
            if nested in NESTED_PLAN_FIELDS and sub in NESTED_PLAN_FIELDS[nested]:
                plan.setdefault(nested, {})[sub] = value
            else:
                plan[key] = value
        for spec in CHILDREN:
            items = children[spec.yaml_key][position]
            if items:
                if spec.name == "components" and position % 2:
                    for item in items:
                        item["weight"] = round(int(item["weight"][:-1]) / 100, 2)
                plan[spec.yaml_key] = items
        out.append(plan)
    return out


def _typed_records(spec: EntitySpec, table: pd.DataFrame) -> list[dict]:
    columns = {}
    for name in table.columns:
        kind = spec.field(name).kind if name in spec.field_names else "str"
        columns[name] = [None if v is None else _typed(kind, v) for v in table[name].tolist()]
    names = list(columns)
    return [{k: v for k, v in zip(names, values, strict=True) if v is not None}
            for values in zip(*columns.values(), strict=True)]


def _typed(kind: str, text: str) -> object:
    if kind in ("num", "share"):
        number = float(text)
        return int(number) if number.is_integer() else number
    if kind == "int":
        return int(text)
    if kind == "bool":
        return text == "true"
    if kind == "date":
        return datetime.date.fromisoformat(text)
    if kind == "list":
        return _Flow(text.split(";"))
    if kind == "applies":
        return text if text == "all" else _Flow(text.split(";"))
    if kind == "points":
        return _Flow([_typed("num", a), _typed("num", b)]
                     for a, b in (item.split(":") for item in text.split(";")))
    if kind == "rates":
        return {product: _typed("num", amount)
                for product, amount in (item.split("=") for item in text.split(";"))}
    return text


def write_yaml(tables: dict[str, pd.DataFrame], folder: Path, per_plan: bool = False) -> int:
    """YAML plan files (one per plan, or ``plans:`` lists of 100); employees as CSV beside
    them. Returns the number of files written."""
    folder.mkdir(parents=True, exist_ok=True)
    plans = yaml_plans(tables)
    dump = _yaml_dumper()
    count = 0
    if per_plan:
        for plan in plans:
            atomic_write(folder / f"{plan['id']}.yaml", dump({"plan": plan}))
            count += 1
    else:
        for start in range(0, len(plans), YAML_PLANS_PER_FILE):
            number = start // YAML_PLANS_PER_FILE + 1
            chunk = plans[start:start + YAML_PLANS_PER_FILE]
            atomic_write(folder / f"plans-{number:05d}.yaml", dump({"plans": chunk}))
            count += 1
    employees = tables.get("employees")
    if employees is not None and not employees.empty:
        count += len(write_csv({"employees": employees}, folder))
    return count


class _Flow(list):  # type: ignore[type-arg]
    """A short list written inline, as people write ``[80, 0]`` or ``[rework, mis_sale]``."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def _yaml_dumper():  # type: ignore[no-untyped-def]
    def dump(data: dict) -> bytes:
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=100)
        return text.encode("utf-8")

    return dump


def write(tables: dict[str, pd.DataFrame], out: Path, formats: list[str],
          yaml_per_plan: bool = False) -> dict[str, Path]:
    """Write the tables in each format; one format goes straight into ``out``, several
    into ``out/<format>/``."""
    where = {}
    for fmt in formats:
        folder = out if len(formats) == 1 else out / fmt
        if fmt == "csv":
            write_csv(tables, folder)
        elif fmt == "xlsx":
            write_xlsx(tables, folder / "plans.xlsx")
        elif fmt == "yaml":
            write_yaml(tables, folder, per_plan=yaml_per_plan)
        where[fmt] = folder
    return where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", type=int, required=True, help="number of plans")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--formats", default="csv",
                        help="comma-separated: csv, xlsx, yaml (default csv); with several, "
                        "each goes into its own sub-folder of --out")
    parser.add_argument("--yaml-per-plan", action="store_true",
                        help="one YAML file per plan instead of files of 100 plans")
    parser.add_argument("--employees", action="store_true",
                        help="also write an employees table (one row per head)")
    args = parser.parse_args(argv)
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - {"csv", "xlsx", "yaml"})
    if unknown or not formats:
        parser.error(f"unknown format(s) {', '.join(unknown)}; expected csv, xlsx, yaml")
    if args.plans < 1:
        parser.error("--plans must be at least 1")
    if "xlsx" in formats and args.plans > XLSX_MAX_PLANS:
        parser.error(f"xlsx is limited to {XLSX_MAX_PLANS:,} plans (openpyxl is slow)")
    started = time.perf_counter()
    tables = generate(args.plans, args.seed, employees=args.employees)
    generated = time.perf_counter()
    where = write(tables, args.out, formats, args.yaml_per_plan)
    done = time.perf_counter()
    counts = ", ".join(f"{len(t):,} {name}" for name, t in tables.items())
    print(f"{counts}; generated in {generated - started:.2f} s, written in "
          f"{done - generated:.2f} s to {', '.join(str(p) for p in where.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
