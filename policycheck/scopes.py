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
from typing import cast

import numpy as np
import pandas as pd

from policycheck.curves import cliff_jump, rate_ratio, slope_ratio
from policycheck.expression import Field, Function, Param, Scope, Type
from policycheck.frames import KIND_TYPES, SCOPE_ENTITIES, Frames
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
from policycheck.rowcontext import RowContext, lambda_key
from policycheck.ruleparameters import Parameter

# Frames and RowContext lived here before they had modules of their own.
__all__ = ["COLLECTIONS", "KIND_TYPES", "PARAM_TYPES", "SCOPE_ENTITIES", "SHARE_NAMES", "Frames",
           "RowContext", "build_scopes"]

PARAM_TYPES = {"number": Type.NUMBER, "list": Type.LIST, "string": Type.STRING,
               "bool": Type.BOOL}
COLLECTIONS = {c.name: c.label for c in CHILDREN}
SHARE_NAMES = frozenset(PRESSURES) | frozenset(CATEGORIES)


def _field(spec: FieldSpec) -> Field:
    choices = frozenset(spec.choices) if spec.kind == "enum" else None
    return Field(KIND_TYPES[spec.kind], spec.doc, choices, kpi_ids=spec.name == "kpi",
                 fraction=spec.kind in ("share", "weight"))


def _entity_fields(spec: EntitySpec, prefix: str = "") -> dict[str, Field]:
    fields = {f"{prefix}id": Field(Type.STRING, f"the {spec.label} id", kpi_ids=spec is KPI)}
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


Lambda = Callable[[RowContext], np.ndarray]


def _mask(rows: RowContext, predicate: Lambda) -> np.ndarray:
    """A lambda over the rows of a collection, evaluated once per run for equal lambdas."""
    return rows.frames.memo(lambda_key(rows, "mask", predicate), lambda: predicate(rows))


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
        if how != "sum":
            return full.to_numpy(dtype=np.float64)[ctx.plan_idx]
        return _exact_sums(full.fillna(0.0).to_numpy(dtype=np.float64))[ctx.plan_idx]
    return reduce


#: The decimal places a sum is rounded to. Below 2**53 / 10**9 (9,007,199) a float holds all
#: nine; a weight, a share or a ratio is far below.
SUM_DECIMALS = 9
_ROUNDED_BELOW = 2 ** 53 / 10 ** SUM_DECIMALS


def _exact_sums(sums: np.ndarray) -> np.ndarray:
    """``sums`` rounded to SUM_DECIMALS places, so that a sum lands exactly on a threshold
    written in decimals, as ``share`` does by summing basis points: weights of 10 % and 20 %
    sum to 0.30000000000000004 in floats, above 0.3. A sum of 9,007,199 or more has no ninth
    decimal to round (a float's step there is 2**-29): rounding would only move it by a
    step (or overflow, past 1e299), so it is left as summed."""
    small = np.abs(sums) < _ROUNDED_BELOW
    out = sums.copy()
    out[small] = np.round(sums[small], SUM_DECIMALS)
    return out


def share_where(ctx: RowContext, predicate: Lambda) -> np.ndarray:
    """Share of target variable pay on components matching the predicate. Sums are taken in
    integer basis points, so a share lands exactly on a threshold such as 50 %."""
    rows = ctx.child("component")

    def per_plan() -> np.ndarray:
        # whole basis points as floats (bincount sums floats): exact below 2**53, and a
        # product with the mask costs half of np.where over 536,606 components
        points = ctx.frames.memo(("weight_points",), lambda: ctx.frames.entity(
            "component")["weight"].to_numpy(dtype=np.int64).astype(np.float64))
        chosen = _mask(rows, predicate).astype(bool, copy=False)
        sums = np.bincount(rows.plan_idx, weights=points * chosen,
                           minlength=ctx.frames.n_plans)
        return np.rint(sums) / BASIS_POINTS

    key = lambda_key(rows, "share_where", predicate)
    return ctx.frames.memo(key, per_plan)[ctx.plan_idx]


def share(ctx: RowContext, name: np.ndarray) -> np.ndarray:
    """Share of target variable pay on a pressure (speed, cost, ...) or a category."""
    key = str(name[0]) if len(name) else ""
    field = "pressure" if key in PRESSURES else "category"

    def chosen(rows: RowContext) -> np.ndarray:
        # compared once per KPI, then read per component through its KPI's row
        return (ctx.frames.kpi_column(field) == key)[ctx.frames.kpi_rows(rows.scope)]

    shares = ctx.frames.memo(("share", key), lambda: share_where(ctx.child("plan"), chosen))
    return shares[ctx.plan_idx]


def _covered(ctx: RowContext, collection: str, predicate: Lambda) -> np.ndarray:
    """For each component: does a gate (or modifier) matching the predicate apply to it?"""
    rows = ctx.child(COLLECTIONS[collection])
    ok = _mask(rows, predicate)
    to_all, row, targets = ctx.frames.targets(collection)
    # (plan, component id) pairs compared as integers
    named_keys = targets[ok[row]]
    keys = ctx.frames.component_keys()
    to_all = _per_plan_any(ctx, rows, ok & to_all)
    return to_all | (np.isin(keys, named_keys[named_keys >= 0]) & (keys >= 0))


def gated(ctx: RowContext, predicate: Lambda) -> np.ndarray:
    key = lambda_key(ctx.child("gate"), "gated", predicate)
    return ctx.frames.memo(key, lambda: _covered(ctx, "gates", predicate))


def modified(ctx: RowContext, predicate: Lambda) -> np.ndarray:
    key = lambda_key(ctx.child("modifier"), "modified", predicate)
    return ctx.frames.memo(key, lambda: _covered(ctx, "modifiers", predicate))


def plans_of_role(ctx: RowContext, role: np.ndarray, predicate: Lambda) -> np.ndarray:
    """Does a plan whose ``role`` is the given name (any case) satisfy the predicate? The
    plans' roles in lower case, and those of the plans that satisfy a predicate, are
    worked out once per run (a rule asks in its condition, escalation and evidence); each
    distinct name asked is lowered once."""
    plans = ctx.child("plan")
    frames = ctx.frames
    lowered = frames.memo(("plan_roles_lower",), lambda: frames.plans["role"].fillna("")
                          .astype(str).str.lower().to_numpy(dtype=object))
    key = lambda_key(plans, "plans_of_role", predicate)
    satisfied = frames.memo(None if key is None else (*key, "roles"), lambda: pd.unique(
        lowered[_mask(plans, predicate).astype(bool, copy=False)]))
    codes, names = pd.factorize(pd.Series(role, dtype=object).fillna(""))
    found = pd.Index(satisfied).get_indexer([str(name).lower() for name in names]) >= 0
    return np.append(found, False)[codes]


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
        value = cast(str, needle.iat[0]) if len(needle) else ""
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
    return Function(name, params, returns, doc, implementation,
                    fraction=name in ("share", "share_where"))


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
        "sum of a value over matching rows of the collection in this plan, rounded to 9 "
        "decimal places (weights of 10 % and 20 % sum to exactly 0.3)", _reduce_of("sum")),
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
