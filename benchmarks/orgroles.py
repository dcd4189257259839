"""The catalogue a synthetic organisation is drawn from (benchmarks/generate.py): the
built-in KPI library with a plausible target and gate bound for each KPI, the nine role
kinds (their share of plans, titles, pay and the KPIs that fit them) and the fixed choices
of curves, rates, dates, contests, owners and org units.

Everything here is computed once at import and is the same for every seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import yaml

from policycheck.model import ENTITIES

MAX_COMPONENTS = 8
BALANCED_SHARE = 0.30

# --------------------------------------------------------------------------------------------
# A plausible target for each KPI of the built-in library (in its own unit), and the KPIs.

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
#: The KPIs of the library that have a target above, in the library's order. A KPI added to
#: the library later is left out, so that a seed draws the same organisation as the library
#: grows and benchmark runs of different versions read the same data.
_LIBRARY = [k for k in yaml.load(resources.files("policycheck").joinpath("data/kpis.yaml")
                                 .read_text("utf-8"), Loader=yaml.CSafeLoader)["kpis"]
            if k["id"] in TARGETS]
KPI_IDS = tuple(k["id"] for k in _LIBRARY)
KPI_INDEX = {k: i for i, k in enumerate(KPI_IDS)}
CATEGORY = np.array([k["category"] for k in _LIBRARY], dtype=object)
HIGHER = np.array([k["direction"] == "higher" for k in _LIBRARY])
#: Percentages and scores that cannot pass 100.
_AT_MOST_100 = np.array([k["unit"] in ("percent", "score") and k["id"] != "quota_attainment"
                         for k in _LIBRARY])

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
_THRESHOLDS = [np.where(HIGHER, _sig3(_BASE_TARGET * f * 0.85),
                        np.where(_BASE_TARGET == 0, 1, _sig3(_BASE_TARGET * f * 1.2)))
               for f in (0.9, 1.0, 1.1)]
THRESHOLD_TEXT = np.stack([_num_text(t) for t in _THRESHOLDS], axis=1)
IS_VOLUME = np.isin(CATEGORY, VOLUME_CATEGORIES)
IS_CUSTOMER = np.isin(CATEGORY, CUSTOMER_CATEGORIES)
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
SHARES = np.array([r.share for r in ROLES])
assert abs(SHARES.sum() - 1) < 1e-9
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


LOGP = _pool_logp()
RISKY = np.zeros((len(ROLES), len(KPI_IDS)), dtype=bool)
for _r, _role in enumerate(ROLES):
    RISKY[_r, [KPI_INDEX[k] for k in _role.risky + _role.moderate]] = True

# --------------------------------------------------------------------------------------------
# The fixed choices of the other fields: curve shapes, rates, dates, names, owners, units.

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
