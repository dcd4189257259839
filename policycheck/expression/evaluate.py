"""Vectorized evaluation of a checked expression, and `compile_expression`, the front door.

Every operation here works on whole columns (numpy ufuncs, `np.where`, pandas `.str` methods):
there is no Python loop over rows, so a condition costs the same few array passes whether the
context holds ten plans or a hundred thousand. How each type's values are held as a column is
in `columns`, the list type's canonical form and search in `lists`; this module holds the walk
over the checked tree, the operators and the implementations of the built-in functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from policycheck.expression.checker import Checked, Vocabulary, check, merge_vocabularies
from policycheck.expression.columns import DTYPES, constant, is_missing, shaped, strings
from policycheck.expression.distinct import Subset, row_wise_names, worth_compressing
from policycheck.expression.lists import canonical_lists, list_contains
from policycheck.expression.parser import parse
from policycheck.expression.substitution import bound
from policycheck.expression.syntax import (
    Binary,
    Boolean,
    Call,
    Limits,
    ListLiteral,
    Name,
    Null,
    Number,
    String,
    Unary,
)
from policycheck.expression.typesystem import Scope, Type, Typed

Array = npt.NDArray[Any]


class Context(Protocol):
    """The rows an expression runs over, supplied by the engine. A context may also offer
    ``distinct(names)``: which rows read equal values of those names, as (a code per row,
    one row per code), or None; row-wise expressions then run once per code."""

    @property
    def size(self) -> int: ...

    def column(self, name: str) -> Array: ...


@dataclass(frozen=True)
class Compiled:
    """A checked expression, ready to evaluate over any context of its scope."""

    source: str
    type: Type
    names: frozenset[str]  # field names read in `scope` itself
    scope: str
    names_by_scope: Mapping[str, frozenset[str]]  # also the names read by lambda arguments
    tree: Typed = field(repr=False, compare=False)
    #: list fields an enumerated field is looked up in, with what their items must be
    #: (``kpi.category in param.categories``: categories); ``checker.check``
    vocabularies: Mapping[str, Vocabulary] = field(default_factory=dict, compare=False)
    #: list fields a KPI id is looked up in (``kpi.id in param.attach_kpis``)
    kpi_lists: frozenset[str] = field(default=frozenset(), compare=False)
    #: KPI ids written as text, with their offsets (``kpi.id == 'aht'``)
    kpi_literals: frozenset[tuple[str, int]] = field(default=frozenset(), compare=False)

    def evaluate(self, ctx: Context) -> Array:
        """One value per row of `ctx`; a bool array for a condition."""
        return _evaluate(self.tree, ctx)


_DEFAULT_LIMITS = Limits()


def compile_expression(
    source: str,
    scope: str,
    scopes: Mapping[str, Scope],
    *,
    expect: Type | None = None,
    limits: Limits = _DEFAULT_LIMITS,
    evidence: Mapping[str, Compiled | None] | None = None,
    named_elsewhere: frozenset[str] = frozenset(),
) -> Compiled:
    """Parse and check `source` in `scope`; raises ExpressionError before anything runs.
    `evidence`: expressions of `scope` (a rule's evidence values, None for one that did
    not compile) that a bare name stands for, as in a message placeholder; see `check`.
    `named_elsewhere`: the evidence names of an expression that is no message."""
    tree = parse(source, limits)
    named = evidence or {}
    if any(value is not None and value.scope != scope for value in named.values()):
        raise ValueError(f"evidence of another scope than '{scope}'")
    found = check(tree, scope, scopes, expect,
                  {name: None if value is None else value.tree for name, value in named.items()},
                  named_elsewhere)
    # the checker refused a name of evidence that did not compile: none of these is None
    used = [value for name in found.evidence_names if (value := named[name.name]) is not None]
    bound(tree, found.evidence_names, [value.tree.node for value in used], limits)
    return _compiled(source, scope, found, used)


def _compiled(source: str, scope: str, found: Checked, used: list[Compiled]) -> Compiled:
    """``found`` ready to run, reading what the evidence it names (``used``) reads: the
    fields, and the list parameters looked up as a field's values or as KPI ids, are
    checked against the plans as they are for any expression of the rule."""
    names, vocabularies = dict(found.names), found.vocabularies
    for value in used:
        for key, read in value.names_by_scope.items():
            names[key] = names.get(key, frozenset()) | read
        vocabularies = merge_vocabularies(vocabularies, value.vocabularies)
    kpi_lists = found.kpi_lists.union(*(value.kpi_lists for value in used))
    # the KPI ids an evidence writes as text are said at the evidence, not again here
    return Compiled(source, found.typed.type, names.get(scope, frozenset()), scope, names,
                    found.typed, vocabularies, kpi_lists, found.kpi_literals)


def _evaluate(typed: Typed, ctx: Context) -> Array:
    # NaN, division by zero and overflow are values here, not events worth a warning
    with np.errstate(all="ignore"):
        return _run(typed, ctx)


def _run(typed: Typed, ctx: Context) -> Array:
    node = typed.node
    distinct = getattr(ctx, "distinct", None)
    if distinct is not None and worth_compressing(typed):
        names = row_wise_names(typed)
        found = None if names is None else distinct(names)
        if found is not None:
            inverse, rows = found
            return np.asarray(_run(typed, Subset(ctx, rows)))[inverse]
    if isinstance(node, Number | String | Boolean | Null):
        # one value seen as a column (read-only, no copy per row): a rule's literals would
        # otherwise fill a column of the scope's size each, every time they run
        value = np.array(constant(typed), dtype=DTYPES.get(typed.type))
        return np.broadcast_to(value, (ctx.size,))
    if isinstance(node, ListLiteral):  # a list argument: the run-time form of a list field
        out = np.empty(ctx.size, dtype=object)
        out[:] = ";".join(str(item.value) for item in node.items)
        return out
    if isinstance(node, Name):
        return shaped(ctx.column(node.name), typed.type, ctx.size, f"column '{node.name}'")
    if isinstance(node, Unary):
        operand = _run(typed.args[0], ctx)
        return -operand if node.op == "-" else ~operand
    if isinstance(node, Binary):
        return _binary(node, typed.args[0], typed.args[1], ctx)
    if isinstance(node, Call):
        return _call(typed, node, ctx)
    raise AssertionError(f"the checker let a bare {type(node).__name__} through")


def _divide(left: Array, right: Array) -> Array:
    return np.where(right == 0, np.nan, left / right)


def _power(base: Array, exponent: float) -> Array:
    if not exponent.is_integer():
        return np.power(base, exponent)  # a negative base gives NaN
    # repeated products (the exponent is a small literal, see Limits.max_exponent) give the
    # same bits on every platform, where np.power may use a vector math library that differs
    # from libm in the last digit
    result = np.where(np.isnan(base), np.nan, 1.0)
    for _ in range(int(abs(exponent))):
        result = result * base
    return np.where(result == 0, np.nan, 1 / result) if exponent < 0 else result


_OPERATIONS: dict[str, Callable[[Array, Array], Array]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": _divide,
    "and": np.logical_and,
    "or": np.logical_or,
}
_COMPARE: dict[str, Callable[[Array, Array], Array]] = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _binary(node: Binary, left: Typed, right: Typed, ctx: Context) -> Array:
    if node.op in ("in", "not in"):
        return _membership(node.op, left, right, ctx)
    if node.op == "**":
        assert isinstance(right.node, Number)
        return _power(_run(left, ctx), right.node.value)
    if Type.NULL in (left.type, right.type):
        return _null_test(node.op, left, right, ctx)
    left_values, right_values = _run(left, ctx), _run(right, ctx)
    if node.op in _OPERATIONS:
        return _OPERATIONS[node.op](left_values, right_values)
    result = np.asarray(_COMPARE[node.op](left_values, right_values), dtype=np.bool_)
    literal = tuple(isinstance(side.node, Number | String | Boolean) for side in (left, right))
    if node.op == "==" and any(literal):
        return result  # a missing value never equals a literal: nothing to mask
    # a comparison with a missing value is false, `!=` included: unknown is not different
    for side, values, is_literal in ((left, left_values, literal[0]),
                                     (right, right_values, literal[1])):
        if not is_literal:
            result &= ~is_missing(values, side.type)
    return result


def _null_test(op: str, left: Typed, right: Typed, ctx: Context) -> Array:
    value = left if right.type is Type.NULL else right
    if value.type is Type.NULL:
        return np.full(ctx.size, op == "==")
    missing = is_missing(_run(value, ctx), value.type)
    return missing if op == "==" else ~missing


def _membership(op: str, left: Typed, right: Typed, ctx: Context) -> Array:
    items = _run(left, ctx)
    if isinstance(right.node, ListLiteral):
        literal = [item.value for item in right.node.items]
        found = pd.Series(items, dtype=DTYPES[left.type]).isin(literal).to_numpy(dtype=np.bool_)
    else:
        # a literal item is searched for as one string, not as a column of copies of it
        needle = left.node.value if isinstance(left.node, String) else items
        found = list_contains(_run(right, ctx), needle)
    return found if op == "in" else np.asarray(~found & ~is_missing(items, left.type))


def _call(typed: Typed, node: Call, ctx: Context) -> Array:
    function = typed.function
    if function is None:
        return BUILTINS[node.name](typed, ctx)
    args = [_argument(arg, ctx) for arg in typed.args]
    result = function.implementation(ctx, *args)
    return shaped(result, function.returns, ctx.size, f"function '{node.name}'")


def _argument(typed: Typed, ctx: Context) -> Any:
    if typed.role == "collection":
        assert isinstance(typed.node, Name)
        return typed.node.name
    if typed.role == "lambda":
        return functools.partial(_evaluate, typed.args[0])
    return _run(typed, ctx)


def _values(typed: Typed, ctx: Context) -> list[Array]:
    return [_run(arg, ctx) for arg in typed.args]


def _coalesce(typed: Typed, ctx: Context) -> Array:
    value, default = _values(typed, ctx)
    return np.where(is_missing(value, typed.args[0].type), default, value)


def _round(typed: Typed, ctx: Context) -> Array:
    digits = typed.args[1].node
    assert isinstance(digits, Number)
    return np.round(_run(typed.args[0], ctx), int(digits.value))  # half to even, as numpy


def _length(typed: Typed, ctx: Context) -> Array:
    canonical = canonical_lists(_run(typed.args[0], ctx))
    return np.where(canonical == "", 0.0, np.strings.count(canonical, ";") + 1.0)


def _lower(typed: Typed, ctx: Context) -> Array:
    values = pd.Series(_run(typed.args[0], ctx), dtype=object)
    return strings(values.str.lower().to_numpy(dtype=object))


BUILTINS: dict[str, Callable[[Typed, Context], Array]] = {
    "abs": lambda typed, ctx: np.abs(_run(typed.args[0], ctx)),
    "min": lambda typed, ctx: functools.reduce(np.fmin, _values(typed, ctx)),
    "max": lambda typed, ctx: functools.reduce(np.fmax, _values(typed, ctx)),
    "coalesce": _coalesce,
    "if": lambda typed, ctx: np.where(*_values(typed, ctx)),
    "round": _round,
    "len": _length,
    "lower": _lower,
}
