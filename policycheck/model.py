"""The data contract: every entity of the normalised model and its fields, as one table.

This table drives the YAML and table readers, type parsing, the pandera schemas and the
documentation, so a field is declared once. Field names are the public input format
(SPEC section 3): extend, never rename.

The normalised model is one DataFrame per entity. Every frame carries its key columns
(``plan_id`` and the entity's own id), the typed fields below, and the source location
columns ``src_file``, ``src_sheet``, ``src_line`` and ``src_col``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from policycheck.errors import Problem

ROLE_KINDS = (
    "service", "sales", "advice", "retention", "collections", "claims",
    "field_service", "back_office", "manager",
)
BASES = ("individual", "team", "branch", "company")
PERIODS = ("day", "week", "month", "quarter", "year")
CURVES = ("linear", "stepped", "accelerating", "decelerating", "retroactive")
GATE_EFFECTS = ("zero", "reduce")
COMPETITION_BASES = ("rank", "first_n", "threshold")
CONSEQUENCE_ACTIONS = ("pip", "demotion", "salary_band_change", "termination", "hours_cut")
CLAWBACK_TRIGGERS = (
    "rework", "complaint_upheld", "cancellation", "mis_sale", "repeat_contact", "repeat_visit",
)
DIRECTIONS = ("lower", "higher")
DATA_SOURCES = (
    "system", "self_reported", "agent_triggered_survey", "independent_survey",
    "independent_qa", "manager_judgement", "audit",
)
RISK_LEVELS = ("critical", "high", "medium", "low")

#: KPI categories grouped into the pressures the checker weighs against each other.
PRESSURES: dict[str, tuple[str, ...]] = {
    "speed": ("speed", "throughput"),
    "cost": ("cost_efficiency", "remedy_cost"),
    "sales": (
        "sales_volume", "cross_sell", "price_terms", "retention_save", "collections",
    ),
    "customer": ("quality", "resolution", "cx_perception", "customer_outcome", "compliance"),
    "neutral": ("workforce", "company_financial"),
}
CATEGORIES = tuple(c for cats in PRESSURES.values() for c in cats)
PRESSURE_OF_CATEGORY = {c: p for p, cats in PRESSURES.items() for c in cats}

#: Weights are held as integer basis points (1 % = 100) so that sums and threshold
#: comparisons give the same answer whatever order pandas, numpy or Python add them in.
BASIS_POINTS = 10_000
#: Weights of a plan must sum to 100 % within this many basis points (0.1 %).
WEIGHT_TOLERANCE_BP = 10

SOURCE_COLUMNS = ("src_file", "src_sheet", "src_line", "src_col")


@dataclass(frozen=True)
class FieldSpec:
    """One field of an entity.

    ``kind`` is one of: ``str``, ``enum``, ``num``, ``int``, ``bool``, ``date``, ``weight``
    (a share of pay: ``0.5`` or ``"50%"``, held as basis points), ``share`` (the same
    syntax, held as a fraction), ``list`` (strings; ``;``-separated in tables),
    ``applies`` (``all`` or a list of component ids), ``points`` and ``rates`` (held in
    their own frames).
    """

    name: str
    kind: str
    required: bool = False
    default: object = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""
    #: How a percent written in this number field is meant, for the hint that says how to
    #: write it: ``multiple`` (a cap of 150% is 1.5), ``hundred`` (50% is 50) or ``measure``
    #: (85% is 85 on a percent measure); empty: a percent means nothing here.
    percent: str = ""
    #: For a date that starts or ends a period (``start``, ``end``): a day past the years
    #: kept on that side is no date, as HR systems write an open period (9999-12-31 for no
    #: end date, 0001-01-01 for no start date); empty: such a day is a problem.
    period: str = ""
    #: A sum of money: a text of digits grouped in threes by dots (``32.000``, as Excel
    #: writes 32,000 where the decimal mark is a comma) is refused, being thirty-two
    #: thousand in one locale and 32 in another; no pay is written to three decimals.
    amount: bool = False


@dataclass(frozen=True)
class EntitySpec:
    """An entity: its frame name, key column, where it sits in plan YAML, its fields."""

    name: str
    key: str
    yaml_key: str
    label: str
    fields: tuple[FieldSpec, ...]
    default_id: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


F = FieldSpec

PLAN = EntitySpec(
    name="plans", key="plan_id", yaml_key="plan", label="plan",
    aliases={"id": "plan_id"},
    fields=(
        F("name", "str", doc="display name"),
        F("role", "str", doc="job title the plan applies to"),
        F("role_kind", "enum", required=True, choices=ROLE_KINDS),
        F("customer_facing", "bool", default=True, doc="assumed true unless stated"),
        F("serves_vulnerable", "bool", default=False),
        F("headcount", "int", minimum=0),
        F("currency", "str"),
        F("base_pay", "num", required=True, minimum=0, doc="annual base per employee",
          amount=True),
        F("pay_floor", "num", minimum=0, doc="guaranteed annual minimum", amount=True),
        F("target_variable", "num", required=True, minimum=0, amount=True),
        F("max_variable", "num", minimum=0, doc="null or absent: uncapped", amount=True),
        F("effective_from", "date", period="start"),
        F("effective_to", "date", period="end"),
        F("owner", "str"),
        F("duties", "list"),
        F("clawback_triggers", "list", choices=CLAWBACK_TRIGGERS),
        F("clawback_window_days", "int", minimum=0),
        F("deferral_share", "share", default=0.0, minimum=0, maximum=1),
        F("deferral_months", "int", default=0, minimum=0),
        F("discretion_exists", "bool", default=False),
        F("discretion_documented_criteria", "bool", default=False),
    ),
)

COMPONENT = EntitySpec(
    name="components", key="component_id", yaml_key="components", label="component",
    default_id=("kpi",), aliases={"id": "component_id"},
    fields=(
        F("kpi", "str", required=True),
        F("weight", "weight", required=True, minimum=0, maximum=BASIS_POINTS),
        F("basis", "enum", default="individual", choices=BASES),
        F("period", "enum", default="month", choices=PERIODS),
        F("target", "num", percent="measure"),
        F("threshold", "num", percent="measure"),
        F("cap", "num", minimum=0, doc="max payout as a multiple of target payout",
          percent="multiple"),
        F("curve", "enum", default="linear", choices=CURVES),
        F("curve_points", "points"),
        F("rates", "rates"),
    ),
)

GATE = EntitySpec(
    name="gates", key="gate_id", yaml_key="gates", label="gate",
    default_id=("kpi",), aliases={"id": "gate_id"},
    fields=(
        F("kpi", "str", required=True),
        F("min", "num", percent="measure"),
        F("max", "num", percent="measure"),
        F("applies_to", "applies", default="all"),
        F("effect", "enum", default="zero", choices=GATE_EFFECTS),
        F("reduce_pct", "num", minimum=0, maximum=100, percent="hundred"),
        F("override_by", "str"),
    ),
)

MODIFIER = EntitySpec(
    name="modifiers", key="modifier_id", yaml_key="modifiers", label="modifier",
    default_id=("kpi",), aliases={"id": "modifier_id"},
    fields=(
        F("kpi", "str", required=True),
        F("applies_to", "applies", default="all"),
        F("factor_min", "num", minimum=0, percent="multiple"),
        F("factor_max", "num", minimum=0, percent="multiple"),
    ),
)

COMPETITION = EntitySpec(
    name="competitions", key="competition_id", yaml_key="competitions", label="competition",
    default_id=("name",), aliases={"id": "competition_id"},
    fields=(
        F("name", "str", required=True),
        F("kpi", "str", required=True),
        F("basis", "enum", default="rank", choices=COMPETITION_BASES),
        F("prize", "num", minimum=0, amount=True),
        F("duration_days", "int", minimum=0),
    ),
)

CONSEQUENCE = EntitySpec(
    name="consequences", key="consequence_id", yaml_key="consequences", label="consequence",
    default_id=("kpi", "action"), aliases={"id": "consequence_id"},
    fields=(
        F("kpi", "str", required=True),
        F("trigger", "str"),
        F("action", "enum", required=True, choices=CONSEQUENCE_ACTIONS),
    ),
)

CAMPAIGN = EntitySpec(
    name="campaigns", key="campaign_id", yaml_key="campaigns", label="campaign",
    default_id=("name",), aliases={"id": "campaign_id"},
    fields=(
        F("name", "str", required=True),
        F("kpi", "str", required=True),
        F("multiplier", "num", minimum=0, percent="multiple"),
        F("start", "date", period="start"),
        F("end", "date", period="end"),
    ),
)

KPI = EntitySpec(
    name="kpis", key="kpi_id", yaml_key="kpis", label="KPI",
    aliases={"id": "kpi_id"},
    fields=(
        F("name", "str"),
        F("category", "enum", required=True, choices=CATEGORIES),
        F("direction", "enum", required=True, choices=DIRECTIONS),
        F("unit", "str"),
        F("data_source", "enum", default="system", choices=DATA_SOURCES),
        F("affects_customer_entitlement", "bool", default=False),
        F("employee_sets_price_or_terms", "bool", default=False),
        F("counts_without_usage_check", "bool", default=False),
        F("min_sample_per_period", "int", minimum=0),
        F("description", "str"),
        F("gaming", "str"),
        F("risk_if_paid_alone", "enum", choices=RISK_LEVELS),
        F("sources", "list"),
    ),
)

EMPLOYEE = EntitySpec(
    name="employees", key="employee_id", yaml_key="employees", label="employee",
    fields=(
        F("base_pay", "num", minimum=0, amount=True),
        F("org_unit", "str"),
    ),
)

#: Entities that belong to a plan, in the order they appear in plan YAML.
CHILDREN: tuple[EntitySpec, ...] = (COMPONENT, GATE, MODIFIER, COMPETITION, CONSEQUENCE, CAMPAIGN)
ENTITIES: dict[str, EntitySpec] = {
    e.name: e for e in (PLAN, *CHILDREN, KPI, EMPLOYEE)
}
#: Nested plan mappings that tables flatten with ``_`` (SPEC 3.2).
NESTED_PLAN_FIELDS: dict[str, tuple[str, ...]] = {
    "clawback": ("triggers", "window_days"),
    "deferral": ("share", "months"),
    "discretion": ("exists", "documented_criteria"),
}
#: Frames derived from component fields, one row per point or product.
POINTS_COLUMNS = ("plan_id", "component_id", "seq", "attainment", "payout")
RATES_COLUMNS = ("plan_id", "component_id", "product", "amount")


#: A plan without a usable id is named by where it is, so that it can be reported and counted.
STAND_IN_PREFIX = "<plan at "
#: The error at a plan that has no id, in any input form.
NO_ID = "plan has no id; expected an 'id' unique across all inputs"


def stand_in_id(place: str) -> str:
    """The name of a plan without a usable id, at ``place`` (file:line or file, sheet:line)."""
    return f"{STAND_IN_PREFIX}{place}>"


def stand_in_place(name: str) -> str:
    """Where the plan a ``stand_in_id`` names is: ``plans.csv:3``."""
    return name[len(STAND_IN_PREFIX):-1]


def are_stand_ins(ids: pd.Series) -> np.ndarray:
    """Which plan ids are ``stand_in_id`` names, as a boolean array."""
    return ids.str.startswith(STAND_IN_PREFIX).to_numpy(dtype=bool, na_value=False)


def files_read(files: tuple[str, ...], skipped: tuple[str, ...],
               unread: tuple[str, ...]) -> int:
    """How many of the input files opened (``files``) gave plans, KPIs or rows: neither
    skipped (no plan data) nor unread (opened, then not parsed)."""
    return len(set(files).difference(skipped, unread))


@dataclass(frozen=True)
class Model:
    """The valid plans of a run, one frame per entity, and what was wrong with the rest.

    ``frames`` holds ``plans``, ``components``, ``gates``, ``modifiers``, ``competitions``,
    ``consequences``, ``campaigns``, ``curve_points``, ``rates``, ``kpis`` (library with
    the organisation's catalog laid over it) and ``employees``. ``files_unread``: the input
    files that could not be read at all, in input order (``loading.Loaded.files_unread``);
    some of them are among ``files`` (found and opened, then not parsed), others not (not
    opened, or refused for their size).
    """

    frames: dict[str, pd.DataFrame]
    problems: tuple[Problem, ...]
    plans_read: int
    invalid_plans: tuple[str, ...]
    files: tuple[str, ...]
    skipped: tuple[str, ...]
    files_unread: tuple[str, ...] = ()

    @property
    def plans(self) -> pd.DataFrame:
        return self.frames["plans"]

    @property
    def files_read(self) -> int:
        """The input files that gave plans, KPIs or rows: ``files`` less those that could
        not be read and those skipped, as the summaries count them."""
        return files_read(self.files, self.skipped, self.files_unread)

    @property
    def plans_valid(self) -> int:
        return len(self.frames["plans"])

    @property
    def plans_invalid(self) -> int:
        """Plan definitions left out (a duplicated id counts once per definition), where
        ``invalid_plans`` names each of their ids once."""
        return self.plans_read - self.plans_valid

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors
