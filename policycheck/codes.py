"""Columns as small integer codes, equal where their values are.

``Frames`` keeps a code per row for each field a row-wise expression reads, and for the
combinations of such fields (``combine``, ``Frames.distinct``; ``distinct_rows`` for a set of
columns at once): an expression then runs once per distinct combination instead of once per
row. Codes are kept for the whole run, so each is stored in
the smallest integer type that holds it (``compact``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def value_codes(values: np.ndarray) -> np.ndarray | None:
    """Integer codes of a column, equal where its values are; None for values without
    cheap codes (objects other than text)."""
    if values.dtype.kind in "fM":  # by bits: -0.0 keeps its sign, as it may show in text
        keys = values.view(f"i{values.dtype.itemsize}")  # float32 too, though none is made
    elif values.dtype.kind in "biu" or pd.api.types.infer_dtype(values, skipna=True) in (
            "string", "empty"):  # text only: no 1 == True == 1.0 among the keys
        keys = values
    else:
        return None
    codes, uniques = pd.factorize(keys)
    return compact(codes, len(uniques))


def distinct_rows(codes: Sequence[np.ndarray | None], size: int, sparse_only: bool = True
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Combined codes of several columns, and one row per combination; None when a column
    has no codes or (``sparse_only``) the combinations are not much fewer than the rows."""
    if size == 0 or any(c is None for c in codes):
        return None
    combined, count = np.zeros(size, dtype=np.int8), 1
    seen: list[np.ndarray] = []
    for column in codes:
        assert column is not None
        if any(column is s for s in seen):
            continue  # kpi.* fields share the KPI's row as their code
        seen.append(column)
        combined, count = combine(combined, count, column)
        if sparse_only and too_varied(count, size):
            return None  # another column only adds combinations
    return combined, row_per_code(combined, count)


def too_varied(count: int, size: int) -> bool:
    """Whether ``count`` combinations over ``size`` rows are too many to be worth working
    an expression out once per combination (more than a quarter of the rows)."""
    return count * 4 > size


def combine(combined: np.ndarray, count: int, column: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of the pairs (``combined``'s code, ``column``'s code) row by row, numbered
    densely from 0 in the order of the pairs, and how many distinct pairs there are;
    ``combined`` holds ``count`` codes, ``column`` codes from -1 (missing) up."""
    width = int(column.max()) + 2
    # count and width stay below the row count, so the pair fits an int64
    pairs = combined.astype(np.int64) * width + (column + 1)
    return _renumber(pairs, count * width, len(combined))


def row_per_code(combined: np.ndarray, count: int) -> np.ndarray:
    """A row of each of ``count`` codes (any row of a combination stands for all of them)."""
    rows = np.empty(count, dtype=np.int64)
    rows[combined] = np.arange(len(combined))
    return rows


def _renumber(keys: np.ndarray, bound: int, size: int) -> tuple[np.ndarray, int]:
    """Keys in ``[0, bound)`` numbered densely from 0, as the smallest integer type that
    holds them, and how many distinct keys there are."""
    if bound <= 4 * size:
        # a table as long as the keys' range: no hashing, which is most of factorize. The
        # numbers are looked up as int32 where they fit, by ``take``: half the memory to
        # reach at random, 12 -> 5 ms for 536,606 keys below 2,000,000
        present = np.zeros(bound, dtype=np.bool_)
        present[keys] = True
        number: np.ndarray = np.cumsum(present, dtype=np.int32 if bound < 1 << 31
                                       else np.int64)
        number -= 1
        count = int(number[-1]) + 1
        return compact(np.take(number, keys), count), count
    numbered, uniques = pd.factorize(keys)
    return compact(numbered, len(uniques)), len(uniques)


def compact(codes: np.ndarray, count: int) -> np.ndarray:
    """Codes below ``count`` (or -1) in the smallest signed integer type that holds them:
    the codes of every field and combination are kept for the whole run."""
    for kind in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(kind).max:
            return codes.astype(kind, copy=False)
    return codes.astype(np.int64, copy=False)


def among(values: pd.Series | pd.Index, wanted: pd.Series | pd.Index) -> np.ndarray:
    """``values.isin(wanted)`` as a boolean array: pandas' isin of an Arrow text column
    makes an Arrow scalar of every value it looks for (seconds for a million fingerprints).
    Arrow text against Arrow text is hashed by Arrow, anything else as Python objects."""
    if _arrow_text(values) and _arrow_text(wanted):
        found = pc.is_in(pa.array(values.array), value_set=pa.array(wanted.array))
        return found.to_numpy(zero_copy_only=False)
    return pd.Series(np.asarray(values, dtype=object), dtype=object).isin(
        np.asarray(wanted, dtype=object)).to_numpy(dtype=bool)


def positions(values: pd.Series | pd.Index | np.ndarray,
              wanted: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Where each of ``values`` is in ``wanted`` (distinct values), -1 where it is not:
    pandas' ``get_indexer`` of Arrow text makes Python objects of both sides (0.55 s for a
    million fingerprints). Arrow text against Arrow text is hashed by Arrow (about 0.2 s),
    anything else as Python objects."""
    if _arrow_text(values) and _arrow_text(wanted):
        assert isinstance(values, pd.Series | pd.Index)
        assert isinstance(wanted, pd.Series | pd.Index)
        found = pc.index_in(pa.array(values.array), value_set=pa.array(wanted.array))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
    return pd.Index(np.asarray(wanted, dtype=object)).get_indexer(
        np.asarray(values, dtype=object))


def distinct(column: pd.Series) -> bool:
    """Whether no value of ``column`` comes twice (Arrow text counted by Arrow: its
    ``unique``, about twice as fast as its ``count_distinct`` on a million fingerprints)."""
    if _arrow_text(column):
        return len(pc.unique(pa.array(column.array))) == len(column)
    return bool(column.is_unique)


def _arrow_text(column: object) -> bool:
    """Whether ``column`` is a pandas column or index of Arrow text."""
    return isinstance(getattr(column, "array", None), pd.arrays.ArrowStringArray)


def per_distinct(values: Any, work: Callable[[Any], Any]) -> np.ndarray:
    """``work`` of each value, worked out once per distinct value (a column of a million
    rows holds a few hundred; ``Series.map`` calls it, and makes a Python object, a row at
    a time), as an object array; a missing value comes to ``work`` as None, and only if
    there is one. The values must be of one kind: factorize takes 1, 1.0 and True for one."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    worked = [work(value) for value in distinct.tolist()]
    if (codes < 0).any():
        worked.append(work(None))  # taken by code -1
    return np.asarray(worked + [None] * (not worked), dtype=object)[codes]


#: Values looked at to tell a column of mostly distinct values (``per_distinct_typed``).
_SAMPLE = 64


def typed_key(value: Any) -> tuple[Any, ...]:
    """A dict key of a value that keeps apart values that are equal but are not the same
    value to a user: 1, 1.0 and True (by type), and 0.0 and -0.0 (by sign: text shows it).
    Hashing it raises TypeError for a value that cannot be a key (a mapping, a list)."""
    kind = type(value)
    if kind is float and not value:  # 0.0 or -0.0
        return kind, value, math.copysign(1.0, value)
    return kind, value


def typed_codes(values: list[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes of ``values`` into their distinct values (object array, in order of first
    appearance), told apart as ``typed_key`` does; None when one cannot be a key."""
    seen: dict[tuple[Any, ...], int] = {}
    code = seen.setdefault
    try:
        codes = [code(typed_key(value), len(seen)) for value in values]
    except TypeError:
        return None
    distinct = np.empty(len(seen), dtype=object)
    distinct[:] = [key[1] for key in seen]
    return np.array(codes, dtype=np.int64), distinct


def per_distinct_typed(values: list[Any], encode: Callable[[Any], Any]) -> list[Any]:
    """``encode`` of each value, worked out once per distinct value, told apart as
    ``typed_key`` does (1, 1.0 and True are equal keys but are written differently). A
    column whose first values are mostly distinct (messages, fingerprints), or holding a
    value that cannot be a key (a mapping, a list), is encoded value by value."""
    sample = values[:_SAMPLE]
    if len(sample) == _SAMPLE:
        try:
            mostly_distinct = len(set(map(typed_key, sample))) > _SAMPLE // 2
        except TypeError:  # a mapping or a list among them
            mostly_distinct = True
        if mostly_distinct:
            return list(map(encode, values))
    typed = typed_codes(values)
    if typed is None:
        return list(map(encode, values))
    codes, distinct = typed
    encoded = [encode(value) for value in distinct.tolist()]
    return [encoded[code] for code in codes.tolist()]


def rows_by_code(codes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows of each code ``0 .. count - 1``, from one stable sort of the codes (not a
    pass over every row per code): the rows of code ``c``, in order, are
    ``order[bounds[c]:bounds[c + 1]]``; a row of code -1 is in none."""
    order = np.argsort(codes, kind="stable")
    return order, np.searchsorted(codes[order], np.arange(count + 1))


def group_firsts(order: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The first of ``order`` (rows sorted by their group first, ``np.lexsort``) in each
    group of ``groups`` (a code per row)."""
    return order[np.flatnonzero(np.diff(groups[order], prepend=-2))]
