"""What a rule expression can see: the fields of each scope and the plan-level functions.

A scope is the kind of row a rule runs over (a plan, a component, a gate, ...). In a child
scope, ``kpi.*`` are the fields of the row's KPI and ``plan.*`` those of its plan. In every
scope ``param.*`` are the rule's parameters and the collections ``components``, ``gates``,
``modifiers``, ``competitions``, ``consequences`` and ``campaigns`` are the rows of the same
plan, so aggregates such as ``any_of(gates, kpi.pressure == 'customer')`` mean "in this
row's plan". Every function here works on whole columns with integer plan codes
(``plan_idx``): a bincount or one merge per call, never a loop per plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from policycheck.curves import cliff_jump, rate_ratio, slope_ratio
from policycheck.expression import Field, Function, Param, Scope, Type
from policycheck.model import (
    BASIS_POINTS,
    CATEGORIES,
    CHILDREN,
    KPI,
    PLAN,
    PRESSURES,
    EntitySpec,
    FieldSpec,
)
from policycheck.ruleset import Parameter

KIND_TYPES = {
    "str": Type.STRING, "enum": Type.STRING, "num": Type.NUMBER, "int": Type.NUMBER,
    "share": Type.NUMBER, "weight": Type.NUMBER, "bool": Type.BOOL, "date": Type.DATE,
    "list": Type.LIST, "applies": Type.LIST,
}
PARAM_TYPES = {"number": Type.NUMBER, "list": Type.LIST, "string": Type.STRING,
               "bool": Type.BOOL}
SCOPE_ENTITIES: dict[str, EntitySpec] = {"plan": PLAN, **{c.label: c for c in CHILDREN}}
COLLECTIONS = {c.name: c.label for c in CHILDREN}
SHARE_NAMES = frozenset(PRESSURES) | frozenset(CATEGORIES)


def _field(spec: FieldSpec) -> Field:
    choices = frozenset(spec.choices) if spec.kind == "enum" else None
    return Field(KIND_TYPES[spec.kind], spec.doc, choices)


def _entity_fields(spec: EntitySpec, prefix: str = "") -> dict[str, Field]:
    fields = {f"{prefix}id": Field(Type.STRING, f"the {spec.label} id")}
    for f in spec.fields:
        if f.kind in KIND_TYPES:
            fields[prefix + f.name] = _field(f)
    if spec is KPI:
        fields[f"{prefix}pressure"] = Field(Type.STRING, "the pressure of the category",
                                            frozenset(PRESSURES))
    return fields


def build_scopes(parameters: Mapping[str, Parameter]) -> dict[str, Scope]:
    """The scope registry for one rule (its parameters are fields ``param.*``)."""
    params = {f"param.{p.name}": Field(PARAM_TYPES[p.type], p.doc) for p in parameters.values()}
    scopes = {}
    for name, spec in SCOPE_ENTITIES.items():
        fields = _entity_fields(spec) | params
        if spec is not PLAN:
            fields |= _entity_fields(KPI, "kpi.") | _entity_fields(PLAN, "plan.")
        functions = dict(PLAN_FUNCTIONS)
        if name == "component":
            functions |= COMPONENT_FUNCTIONS
        if name == "gate":
            functions |= GATE_FUNCTIONS
        scopes[name] = Scope(name, fields, functions, COLLECTIONS)
    return scopes


class Frames:
    """The model's frames prepared once per run, with lookups shared by every rule."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self.frames = frames
        self.plans = frames["plans"]
        self.n_plans = len(self.plans)
        kpis = frames["kpis"]
        self._kpi_codes = pd.Series(np.arange(len(kpis)), index=kpis["kpi_id"].to_numpy())
        self._kpi_rows: dict[str, np.ndarray] = {}
        self._columns: dict[tuple[str, str], np.ndarray] = {}
        #: Results shared between rules: lambda masks and per-plan aggregates, keyed by
        #: function, the lambda's checked tree (without source offsets) and the parameter
        #: values it reads. Many default rules ask the same question (``share_where(kpi.
        #: pressure in param.pressures)``, ``slope_ratio()``), each once per run here.
        self._memo: dict[tuple[Any, ...], np.ndarray] = {}
        self._shared: dict[Any, Any] = {}  # other per-run lookups (codes, Arrow columns)
        self.headcount = self._headcount(frames)

    def _headcount(self, frames: Mapping[str, pd.DataFrame]) -> np.ndarray:
        """Employees on each plan: counted from the employees table where it lists the
        plan, the plan's own ``headcount`` otherwise (missing when neither says)."""
        declared = self.plans["headcount"].astype("float64").to_numpy(na_value=np.nan)
        employees = frames["employees"]
        if employees.empty:
            return declared
        listed = np.bincount(employees["plan_idx"].dropna().to_numpy(dtype=np.int64),
                             minlength=self.n_plans).astype(np.float64)
        return np.where(listed > 0, listed, declared)

    def raw(self, scope: str, name: str) -> np.ndarray:
        """A column of a scope's frame as a numpy array, as stored (for findings)."""
        key = (scope, "raw:" + name)
        if key not in self._columns:
            column = self.entity(scope)[name].to_numpy()
            column.flags.writeable = False
            self._columns[key] = column
        return self._columns[key]

    def codes(self, scope: str, name: str) -> tuple[np.ndarray, list[Any]]:
        """A column of a scope's frame as integer codes (-1 where missing) and the distinct
        values they number, for columns with few distinct values such as ``src_file``."""
        key = ("codes", scope, name)
        if key not in self._shared:
            codes, uniques = pd.factorize(self.entity(scope)[name])
            self._shared[key] = (np.asarray(codes, dtype=np.int64), list(uniques))
        return self._shared[key]  # type: ignore[no-any-return]

    def plan_ids(self) -> pa.Array:
        """The plans' ids as Arrow text, gathered per finding into the findings frame."""
        if "plan_ids" not in self._shared:
            self._shared["plan_ids"] = pa.array(self.plans["plan_id"].to_numpy(dtype=object),
                                                type=pa.large_string(), from_pandas=True)
        return self._shared["plan_ids"]  # type: ignore[no-any-return]

    def entity(self, scope: str) -> pd.DataFrame:
        return self.plans if scope == "plan" else self.frames[SCOPE_ENTITIES[scope].name]

    def kpi_rows(self, scope: str) -> np.ndarray:
        if scope not in self._kpi_rows:
            kpi = self.entity(scope)["kpi"].to_numpy()
            self._kpi_rows[scope] = self._kpi_codes.reindex(kpi).to_numpy(dtype=np.int64)
        return self._kpi_rows[scope]

    def memo(self, key: tuple[Any, ...] | None,
             compute: Callable[[], np.ndarray]) -> np.ndarray:
        """``compute()``, once per key (a None key: not shared)."""
        if key is None:
            return compute()
        if key not in self._memo:
            value = np.asarray(compute())
            value.flags.writeable = False
            self._memo[key] = value
        return self._memo[key]

    def column(self, scope: str, name: str) -> np.ndarray:
        """A field as a numpy array in the language's run-time representation."""
        key = (scope, name)
        if key not in self._columns:
            column = np.array(self._fetch(scope, name))
            column.flags.writeable = False  # shared by every rule: clean, never changed
            self._columns[key] = column
        return self._columns[key]

    def distinct(self, scope: str, names: frozenset[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """Rows of a scope that read equal values of the names: a code per row and a row
        per code, or None when they are too varied to be worth it."""
        key = ("distinct", scope, names)
        if key not in self._shared:
            self._shared[key] = _distinct_rows(
                [self.value_codes(scope, n) for n in sorted(names) if not n.startswith(
                    "param.")], len(self.entity(scope)))
        return self._shared[key]  # type: ignore[no-any-return]

    def value_codes(self, scope: str, name: str) -> np.ndarray | None:
        """Integer codes of a field, equal where its values are (None: no cheap codes)."""
        key = ("value_codes", scope, name)
        if key not in self._shared:
            if name.startswith("kpi."):
                codes: np.ndarray | None = self.kpi_rows(scope)
            elif name.startswith("plan.") and scope != "plan":
                of_plans = self.value_codes("plan", name[5:])
                rows = self.entity(scope)["plan_idx"].to_numpy(dtype=np.int64)
                codes = None if of_plans is None else of_plans[rows]
            else:
                codes = _value_codes(self.column(scope, name))
            self._shared[key] = codes
        return self._shared[key]  # type: ignore[no-any-return]

    def component_keys(self, plan_idx: np.ndarray | None = None,
                       component_ids: np.ndarray | None = None) -> np.ndarray:
        """(plan row, component id) pairs as one integer, -1 for an id no component has;
        without arguments, the keys of the components frame's own rows."""
        ids, uniques = self.codes("component", "component_id")
        if plan_idx is None or component_ids is None:
            plan_idx, codes = self.entity("component")["plan_idx"].to_numpy(np.int64), ids
        else:
            if "component_ids" not in self._shared:
                self._shared["component_ids"] = pd.Index(uniques)
            codes = self._shared["component_ids"].get_indexer(component_ids)
        return np.where(codes >= 0, plan_idx * (len(uniques) + 1) + codes, -1)

    def _fetch(self, scope: str, name: str) -> np.ndarray:
        if name.startswith("kpi."):
            kpis = self.frames["kpis"]
            return _runtime(kpis, name[4:], KPI)[self.kpi_rows(scope)]
        if name.startswith("plan.") and scope != "plan":
            rows = self.entity(scope)["plan_idx"].to_numpy(dtype=np.int64)
            return _runtime(self.plans, name[5:], PLAN)[rows]
        return _runtime(self.entity(scope), name, SCOPE_ENTITIES[scope])


def _value_codes(values: np.ndarray) -> np.ndarray | None:
    if values.dtype.kind in "fM":  # by bits: -0.0 keeps its sign, as it may show in text
        return pd.factorize(values.view(np.int64))[0]
    if values.dtype.kind in "biu":
        return pd.factorize(values)[0]
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return pd.factorize(values)[0]  # text only: no 1 == True == 1.0 among the keys
    return None


def _distinct_rows(codes: list[np.ndarray | None], size: int
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """Combined codes of several columns, and one row per combination; None when a column
    has no codes or the combinations are not much fewer than the rows."""
    if size == 0 or any(c is None for c in codes):
        return None
    combined = np.zeros(size, dtype=np.int64)
    seen: list[np.ndarray] = []
    for column in codes:
        assert column is not None
        if any(column is s for s in seen):
            continue  # kpi.* fields share the KPI's row as their code
        seen.append(column)
        # codes < size, so the pair fits an int64; factorize keeps the next step small
        combined = pd.factorize(combined * (int(column.max()) + 2) + (column + 1))[0]
    count = int(combined.max()) + 1
    if count * 4 > size:
        return None
    rows = np.empty(count, dtype=np.int64)
    rows[combined] = np.arange(size)  # any row of a combination stands for all of them
    return combined, rows


def _runtime(frame: pd.DataFrame, name: str, spec: EntitySpec) -> np.ndarray:
    column = frame[spec.key if name == "id" else name]
    kind = "str" if name in ("id", "pressure") else spec.field(name).kind
    kind_type = KIND_TYPES[kind]
    if kind == "weight":
        return column.astype("float64").to_numpy() / BASIS_POINTS
    if kind_type is Type.NUMBER:
        return column.astype("float64").to_numpy(na_value=np.nan)
    if kind_type is Type.BOOL:
        return column.fillna(False).astype(bool).to_numpy()
    if kind_type is Type.DATE:
        return column.to_numpy(dtype="datetime64[ns]")
    return column.astype(object).where(column.notna(), None).to_numpy()


class RowContext:
    """The rows of one scope for one rule: what ``Compiled.evaluate`` reads."""

    def __init__(self, frames: Frames, scope: str, values: Mapping[str, Any]) -> None:
        self.frames = frames
        self.scope = scope
        self.values = values
        entity = frames.entity(scope)
        self.size = len(entity)
        self.plan_idx = (np.arange(self.size) if scope == "plan"
                         else entity["plan_idx"].to_numpy(dtype=np.int64))
        self._params: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        if name.startswith("param."):
            if name not in self._params:
                value = self.values[name[6:]]
                if isinstance(value, list):
                    value = ";".join(value)
                out = np.empty(self.size, dtype=object if isinstance(value, str) else None)
                out[:] = value
                out.flags.writeable = False
                self._params[name] = out
            return self._params[name]
        return self.frames.column(self.scope, name)

    def distinct(self, names: frozenset[str]) -> tuple[np.ndarray, np.ndarray] | None:
        return self.frames.distinct(self.scope, names)

    def child(self, scope: str) -> RowContext:
        return RowContext(self.frames, scope, self.values)


Lambda = Callable[[RowContext], np.ndarray]
_SPAN_FIELDS = frozenset({"offset", "length", "op_offset"})


def _tree_key(typed: Any, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What a checked expression computes, independent of where it was written: node kinds,
    operators, names, literals and the values of the parameters it reads."""
    node = typed.node
    own: list[Any] = [type(node).__name__, typed.type, typed.role]
    for name in getattr(node, "__dataclass_fields__", {}):
        if name in _SPAN_FIELDS:
            continue
        value = getattr(node, name)
        if name in ("operand", "left", "right", "args"):
            continue  # children: keyed through typed.args
        if name == "items":
            value = tuple(item.value for item in value)
        own.append(value)
    name = getattr(node, "name", None)
    if isinstance(name, str) and name.startswith("param."):
        if name[6:] not in values:
            return None
        param = values[name[6:]]
        own.append(tuple(param) if isinstance(param, list) else param)
    children = []
    for child in typed.args:
        key = _tree_key(child, values)
        if key is None:
            return None
        children.append(key)
    try:
        hash((*own, *children))
    except TypeError:
        return None
    return (*own, *children)


def _lambda_key(ctx: RowContext, *parts: Any) -> tuple[Any, ...] | None:
    """A memo key for a function applied to lambdas (partials of the evaluator over a
    checked tree); None when a part is something else."""
    key: list[Any] = [ctx.scope]
    for part in parts:
        if part is None or isinstance(part, (str, int, float)):
            key.append(part)
            continue
        tree = getattr(part, "args", (None,))[:1]
        if not tree or not hasattr(tree[0], "node"):
            return None
        sub = _tree_key(tree[0], ctx.values)
        if sub is None:
            return None
        key.append(sub)
    return tuple(key)


def _mask(rows: RowContext, predicate: Lambda) -> np.ndarray:
    """A lambda over the rows of a collection, evaluated once per run for equal lambdas."""
    return rows.frames.memo(_lambda_key(rows, "mask", predicate), lambda: predicate(rows))


def _per_plan_any(ctx: RowContext, rows: RowContext, mask: np.ndarray) -> np.ndarray:
    counts = np.bincount(rows.plan_idx, weights=mask.astype(np.float64),
                         minlength=ctx.frames.n_plans)
    return (counts > 0)[ctx.plan_idx]


def any_of(ctx: RowContext, collection: str, predicate: Lambda) -> np.ndarray:
    rows = ctx.child(COLLECTIONS[collection])
    return _per_plan_any(ctx, rows, _mask(rows, predicate))


def all_of(ctx: RowContext, collection: str, predicate: Lambda) -> np.ndarray:
    rows = ctx.child(COLLECTIONS[collection])
    return ~_per_plan_any(ctx, rows, ~_mask(rows, predicate))


def count_of(ctx: RowContext, collection: str, predicate: Lambda | None = None) -> np.ndarray:
    rows = ctx.child(COLLECTIONS[collection])
    mask = np.ones(rows.size, bool) if predicate is None else _mask(rows, predicate)
    counts = np.bincount(rows.plan_idx, weights=mask.astype(np.float64),
                         minlength=ctx.frames.n_plans)
    return counts[ctx.plan_idx]


def _reduce_of(how: str) -> Callable[..., np.ndarray]:
    def reduce(ctx: RowContext, collection: str, value: Lambda,
               predicate: Lambda | None = None) -> np.ndarray:
        rows = ctx.child(COLLECTIONS[collection])
        numbers = np.asarray(_mask(rows, value), dtype=np.float64)
        if predicate is not None:
            numbers = np.where(_mask(rows, predicate), numbers, np.nan)
        grouped = pd.Series(numbers).groupby(rows.plan_idx)
        per_plan = getattr(grouped, how)(**({"min_count": 1} if how == "sum" else {}))
        full = per_plan.reindex(np.arange(ctx.frames.n_plans))
        if how == "sum":
            full = full.fillna(0.0)
        return full.to_numpy(dtype=np.float64)[ctx.plan_idx]
    return reduce


def share_where(ctx: RowContext, predicate: Lambda) -> np.ndarray:
    """Share of target variable pay on components matching the predicate. Sums are taken in
    integer basis points, so a share lands exactly on a threshold such as 50 %."""
    rows = ctx.child("component")

    def per_plan() -> np.ndarray:
        points = ctx.frames.entity("component")["weight"].to_numpy(dtype=np.int64)
        chosen = np.where(_mask(rows, predicate), points, 0)
        sums = np.bincount(rows.plan_idx, weights=chosen, minlength=ctx.frames.n_plans)
        return np.rint(sums) / BASIS_POINTS

    key = _lambda_key(rows, "share_where", predicate)
    return ctx.frames.memo(key, per_plan)[ctx.plan_idx]


def share(ctx: RowContext, name: np.ndarray) -> np.ndarray:
    """Share of target variable pay on a pressure (speed, cost, ...) or a category."""
    key = str(name[0]) if len(name) else ""
    column = "kpi.pressure" if key in PRESSURES else "kpi.category"
    shares = ctx.frames.memo(("share", key), lambda: share_where(
        ctx.child("plan"), lambda rows: rows.column(column) == key))
    return shares[ctx.plan_idx]


def _covered(ctx: RowContext, collection: str, predicate: Lambda) -> np.ndarray:
    """For each component: does a gate (or modifier) matching the predicate apply to it?"""
    rows = ctx.child(COLLECTIONS[collection])
    table = ctx.frames.entity(COLLECTIONS[collection])
    ok = _mask(rows, predicate)
    applies = table["applies_to"].fillna("all").to_numpy(dtype=object)
    to_all = _per_plan_any(ctx, rows, ok & (applies == "all"))
    named = pd.DataFrame({"plan_idx": rows.plan_idx, "target": applies})[ok & (applies != "all")]
    named = named.assign(target=named["target"].str.split(";")).explode("target")
    # (plan, component id) pairs compared as integers
    named_keys = ctx.frames.component_keys(named["plan_idx"].to_numpy(dtype=np.int64),
                                           named["target"].to_numpy(dtype=object))
    keys = ctx.frames.component_keys()
    return to_all | (np.isin(keys, named_keys[named_keys >= 0]) & (keys >= 0))


def gated(ctx: RowContext, predicate: Lambda) -> np.ndarray:
    key = _lambda_key(ctx.child("gate"), "gated", predicate)
    return ctx.frames.memo(key, lambda: _covered(ctx, "gates", predicate))


def modified(ctx: RowContext, predicate: Lambda) -> np.ndarray:
    key = _lambda_key(ctx.child("modifier"), "modified", predicate)
    return ctx.frames.memo(key, lambda: _covered(ctx, "modifiers", predicate))


def plans_of_role(ctx: RowContext, role: np.ndarray, predicate: Lambda) -> np.ndarray:
    """Does a plan whose ``role`` is the given name (any case) satisfy the predicate?"""
    plans = ctx.child("plan")
    ok = _mask(plans, predicate)
    roles = pd.Series(ctx.frames.plans["role"].fillna("").str.lower().to_numpy())
    by_role = pd.Series(ok).groupby(roles).any()
    asked = pd.Series(role, dtype=object).fillna("").str.lower()
    return asked.map(by_role).fillna(False).to_numpy(dtype=bool)


def _items(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=object).fillna("").astype(str).str.lower().str.split(";")


def overlaps(ctx: RowContext, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Do two lists share an item (any case)?"""
    left, right = _items(first).explode(), _items(second).explode()
    pairs = pd.DataFrame({"row": left.index, "item": left.to_numpy()})
    other = pd.DataFrame({"row": right.index, "item": right.to_numpy()})
    hit = pairs.merge(other, on=["row", "item"])
    hit = hit[hit["item"] != ""]
    out = np.zeros(len(first), dtype=bool)
    out[hit["row"].unique()] = True
    return out


def contains(ctx: RowContext, text: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Does the text hold the part (any case)? Missing text holds nothing."""
    haystack = pd.Series(text, dtype=object).fillna("").astype(str).str.lower()
    needle = pd.Series(part, dtype=object).fillna("").astype(str).str.lower()
    if needle.nunique() <= 1:
        value = needle.iat[0] if len(needle) else ""
        return haystack.str.contains(value, regex=False).to_numpy(dtype=bool) & (value != "")
    return np.array([n in h and n != "" for h, n in zip(haystack, needle, strict=True)], dtype=bool)


def role_overrides(ctx: RowContext, predicate: Lambda) -> np.ndarray:
    """Does some gate in any plan that matches the predicate name this plan's role in
    ``override_by``: may this role waive another plan's gate?"""
    gates = ctx.child("gate")
    chosen = pd.Series(ctx.frames.entity("gate")["override_by"].to_numpy(dtype=object))
    chosen = chosen.where(_mask(gates, predicate)).dropna().astype(str).str.lower()
    roles = ctx.frames.plans["role"].fillna("").astype(str).str.lower()
    return roles.isin(set(chosen)).to_numpy(dtype=bool)[ctx.plan_idx]


def _fn(name: str, params: tuple[Param, ...], returns: Type, doc: str,
        implementation: Callable[..., np.ndarray]) -> Function:
    return Function(name, params, returns, doc, implementation)


COLL = Param("collection", "collection")
PRED = Param("predicate", "lambda", Type.BOOL)
VALUE = Param("value", "lambda", Type.NUMBER)
OPT_PRED = Param("predicate", "lambda", Type.BOOL, optional=True)

PLAN_FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    _fn("any_of", (COLL, PRED), Type.BOOL,
        "true if a row of the collection in this plan matches", any_of),
    _fn("all_of", (COLL, PRED), Type.BOOL,
        "true if every row of the collection in this plan matches (true when there is none)",
        all_of),
    _fn("count_of", (COLL, OPT_PRED), Type.NUMBER,
        "how many rows of the collection in this plan match", count_of),
    _fn("sum_of", (COLL, VALUE, OPT_PRED), Type.NUMBER,
        "sum of a value over matching rows of the collection in this plan", _reduce_of("sum")),
    _fn("max_of", (COLL, VALUE, OPT_PRED), Type.NUMBER,
        "largest value over matching rows (missing when none)", _reduce_of("max")),
    _fn("min_of", (COLL, VALUE, OPT_PRED), Type.NUMBER,
        "smallest value over matching rows (missing when none)", _reduce_of("min")),
    _fn("share", (Param("name", "value", Type.STRING, choices=SHARE_NAMES),), Type.NUMBER,
        "share of target variable pay on a pressure or KPI category", share),
    _fn("share_where", (Param("predicate", "lambda", Type.BOOL, scope="component"),),
        Type.NUMBER, "share of target variable pay on components matching the predicate",
        share_where),
    _fn("overlaps", (Param("first", "value", Type.LIST), Param("second", "value", Type.LIST)),
        Type.BOOL, "true if two lists share an item (any case)", overlaps),
    _fn("contains", (Param("text", "value", Type.STRING), Param("part", "value", Type.STRING)),
        Type.BOOL, "true if the text holds the part (any case)", contains),
    _fn("role_overrides", (Param("predicate", "lambda", Type.BOOL, scope="gate"),), Type.BOOL,
        "true if a gate matching the predicate, in any plan, names this plan's role in "
        "override_by", role_overrides),
)}
COMPONENT_FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    _fn("gated", (Param("predicate", "lambda", Type.BOOL, scope="gate"),), Type.BOOL,
        "true if a gate matching the predicate applies to this component", gated),
    _fn("modified", (Param("predicate", "lambda", Type.BOOL, scope="modifier"),), Type.BOOL,
        "true if a modifier matching the predicate applies to this component", modified),
    _fn("cliff_jump", (Param("max_points", "value", Type.NUMBER),), Type.NUMBER,
        "largest payout rise (fraction of target payout) within max_points of attainment",
        cliff_jump),
    _fn("slope_ratio", (), Type.NUMBER,
        "steepest payout slope above target over the average slope below it", slope_ratio),
    _fn("rate_ratio", (), Type.NUMBER, "highest over lowest per-product rate", rate_ratio),
)}
GATE_FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    _fn("plans_of_role", (Param("role", "value", Type.STRING),
                          Param("predicate", "lambda", Type.BOOL, scope="plan")), Type.BOOL,
        "true if a plan of the named role matches the predicate", plans_of_role),
)}
