"""The type system of the expression language: value types, scopes, and the checked tree.

`Type` is what a value can be. A `Scope` is what an expression can name where it runs: its
fields (`Field`), the functions the engine registers on it (`Function`, each parameter a
`Param`) and its collections, the rows an aggregate runs its lambda over. The engine declares
the scopes (`policycheck.scopes`); the checker checks a syntax tree against them and hands the
evaluator a tree of `Typed` nodes, every one with its type and, for a call, what it resolved to.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.expression.syntax import Node

#: The years a date holds, field or literal: dates are datetime64[ns], which reaches from
#: 1677-09-21 to 2262-04-11 (numpy wraps a day past it: 9999-12-31 became 1816-03-29).
DATE_YEARS = (1678, 2261)


class Type(enum.Enum):
    NUMBER = "number"  # float64, missing = NaN
    BOOL = "bool"  # never missing
    STRING = "string"  # object array of str, missing = None
    DATE = "date"  # datetime64, missing = NaT
    LIST = "list"  # `;`-joined strings; None or '' is the empty list
    NULL = "null"  # only the literal `null`


@dataclass(frozen=True)
class Field:
    type: Type
    doc: str = ""
    choices: frozenset[str] | None = None  # allowed values of an enum-like string field
    kpi_ids: bool = False  # its values are KPI ids (the catalog is known once plans are read)
    fraction: bool = False  # a share of 0 to 1 (a weight: 0.5 is 50 %)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "value", "collection" or "lambda"
    type: Type | None = None  # of a value, or of a lambda's result
    scope: str | None = None  # a lambda's scope; None: the preceding collection's rows
    optional: bool = False
    choices: frozenset[str] | None = None  # a string value must be a literal from this set


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[Param, ...]
    returns: Type
    doc: str
    implementation: Callable[..., Any]
    fraction: bool = False  # returns a share of 0 to 1


@dataclass(frozen=True)
class Scope:
    name: str
    fields: Mapping[str, Field]
    functions: Mapping[str, Function]
    collections: Mapping[str, str]  # collection name -> name of the scope of its rows


@dataclass(frozen=True)
class Typed:
    """A checked node: its type and checked children, ready to evaluate."""

    node: Node
    type: Type
    args: tuple[Typed, ...] = ()  # operands or arguments in source order; a lambda's body
    function: Function | None = None  # the scope function a Call resolved to
    role: str = "value"  # how a scope function receives it: "value", "collection" or "lambda"
