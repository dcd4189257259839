"""How the evaluator holds each type's values as a column, and how it gets them so.

Values are represented by type as::

    number  float64, missing = NaN          bool  bool, never missing
    string  object array, missing = None    date  datetime64, missing = NaT
    list    object array of `;`-joined strings; None and '' are the empty list

This module holds those dtypes and missing values, the column of a literal, the coercion of a
column the context or a scope function returns (`shaped`, which also checks its length) and the
missing-value mask of a column of each type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from policycheck.expression.lists import canonical_lists
from policycheck.expression.syntax import Boolean, Null, Number, String
from policycheck.expression.typesystem import Type, Typed

Array = npt.NDArray[Any]

DTYPES: dict[Type, Any] = {
    Type.NUMBER: np.float64,
    Type.BOOL: np.bool_,
    Type.STRING: object,
    Type.LIST: object,
}
_MISSING: dict[Type, Any] = {
    Type.NUMBER: np.nan,
    Type.STRING: None,
    Type.LIST: None,
    Type.DATE: np.datetime64("NaT", "ns"),
}


def constant(typed: Typed) -> Any:
    node = typed.node
    if isinstance(node, Null):
        return _MISSING[typed.type]
    if typed.type is Type.DATE and isinstance(node, String):
        return np.datetime64(node.value, "ns")
    assert isinstance(node, Number | String | Boolean)
    return node.value


def shaped(values: Any, type_: Type, size: int, what: str) -> Array:
    array = np.asarray(values)
    if array.shape != (size,):
        raise ValueError(f"{what} has shape {array.shape}; the context has {size} rows")
    if not array.flags.writeable and array.dtype == _CLEAN_DTYPES.get(type_):
        # A read-only column of the right dtype is one the engine cached already clean:
        # numbers as float64 with NaN, strings and lists as objects with None.
        return array
    return _COERCE[type_](array)


_CLEAN_DTYPES: dict[Type, Any] = {
    Type.NUMBER: np.dtype(np.float64),
    Type.BOOL: np.dtype(np.bool_),
    Type.STRING: np.dtype(object),
    Type.LIST: np.dtype(object),
    Type.DATE: np.dtype("datetime64[ns]"),
}


def strings(values: Array) -> Array:
    objects = values.astype(object)
    objects[pd.isna(objects)] = None
    return objects


def _dates(values: Array) -> Array:
    if values.dtype.kind == "M":
        return values
    series = pd.Series(values.astype(object), dtype=object)
    return np.asarray(pd.to_datetime(series, errors="coerce", format="ISO8601").to_numpy())


_COERCE: dict[Type, Callable[[Array], Array]] = {
    Type.NUMBER: lambda values: pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan),
    Type.BOOL: lambda values: pd.Series(values).to_numpy(dtype=np.bool_, na_value=False),
    Type.STRING: strings,
    Type.LIST: strings,
    Type.DATE: _dates,
}


def is_missing(values: Array, type_: Type) -> Array:
    if type_ is Type.NUMBER:
        return np.isnan(values)
    if type_ is Type.DATE:
        return np.isnat(values)
    if type_ is Type.LIST:
        return np.asarray(canonical_lists(values) == "", dtype=np.bool_)
    if type_ is Type.STRING:
        return np.asarray(pd.isna(values), dtype=np.bool_)
    return np.zeros(len(values), dtype=np.bool_)
