"""The model's frames as rule expressions read them, prepared once per run.

``Frames`` holds every lookup that rules share: fields as numpy arrays in the expression
language's run-time representation, integer codes of fields and of the combinations of fields
that row-wise expressions read (``distinct``), and the results of aggregates keyed by what
they compute (``memo``). ``RowContext`` is the rows of one scope for one rule, the context
``Compiled.evaluate`` runs over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from policycheck.expression import Type
from policycheck.model import BASIS_POINTS, CHILDREN, KPI, PLAN, EntitySpec

KIND_TYPES = {
    "str": Type.STRING, "enum": Type.STRING, "num": Type.NUMBER, "int": Type.NUMBER,
    "share": Type.NUMBER, "weight": Type.NUMBER, "bool": Type.BOOL, "date": Type.DATE,
    "list": Type.LIST, "applies": Type.LIST,
}

SCOPE_ENTITIES: dict[str, EntitySpec] = {"plan": PLAN, **{c.label: c for c in CHILDREN}}


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

    def forget(self) -> None:
        """Drop what the rules' lookups cached (a few hundred MB at 100,000 plans), once
        every rule has run: the findings are assembled in that room. Asked again, a lookup
        is worked out again."""
        self._columns.clear()
        self._memo.clear()
        self._shared.clear()
        self._kpi_rows.clear()

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
        return self._shared[key]

    def plan_ids(self) -> pa.Array:
        """The plans' ids as Arrow text, gathered per finding into the findings frame."""
        if "plan_ids" not in self._shared:
            self._shared["plan_ids"] = pa.array(self.plans["plan_id"].to_numpy(dtype=object),
                                                type=pa.large_string(), from_pandas=True)
        return self._shared["plan_ids"]

    def entity(self, scope: str) -> pd.DataFrame:
        return self.plans if scope == "plan" else self.frames[SCOPE_ENTITIES[scope].name]

    def kpi_rows(self, scope: str) -> np.ndarray:
        """Each row's KPI as a row of the KPI table (every KPI a row names is defined: the
        model is validated). Looked up once per distinct KPI id, not per row."""
        if scope not in self._kpi_rows:
            codes, uniques = self.codes(scope, "kpi")
            if (codes < 0).any():
                raise ValueError(f"{scope} rows without a KPI: the model is not validated")
            # an id the KPI table does not define is missing, and fails the conversion
            self._kpi_rows[scope] = self._kpi_codes.reindex(uniques).to_numpy(
                dtype=np.int64)[codes]
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
        return self._shared[key]

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
        return self._shared[key]

    def component_keys(self, plan_idx: np.ndarray | None = None,
                       component_ids: np.ndarray | pd.Series | None = None) -> np.ndarray:
        """(plan row, component id) pairs as one integer, -1 for an id no component has;
        without arguments, the keys of the components frame's own rows."""
        ids, uniques = self.codes("component", "component_id")
        if plan_idx is None or component_ids is None:
            plan_idx, codes = self.entity("component")["plan_idx"].to_numpy(np.int64), ids
        else:
            if "component_ids" not in self._shared:
                self._shared["component_ids"] = pd.Index(uniques)
            # looked up once per distinct id (Arrow text is factorized without a Python
            # string per row)
            given, distinct = pd.factorize(component_ids)
            found = self._shared["component_ids"].get_indexer(distinct)
            codes = np.where(given >= 0, np.append(found, -1)[given], -1)
        return np.where(codes >= 0, plan_idx * (len(uniques) + 1) + codes, -1)

    def column_at(self, scope: str, name: str, rows: np.ndarray) -> np.ndarray:
        """``column(scope, name)[rows]``. A field of the row's KPI or plan is read from that
        KPI's or plan's own column: a few representative rows (``distinct``) never build a
        column as long as the scope."""
        whole = self._columns.get((scope, name))
        if whole is not None:
            part = whole[rows]
        elif name.startswith("kpi."):
            part = self._kpi_column(name[4:])[self.kpi_rows(scope)[rows]]
        elif name.startswith("plan.") and scope != "plan":
            part = self.column("plan", name[5:])[self.plan_rows(scope)[rows]]
        else:
            part = self.column(scope, name)[rows]
        part.flags.writeable = False  # as clean as the column it comes from
        return part

    def _kpi_column(self, name: str) -> np.ndarray:
        key = ("kpis", name)
        if key not in self._columns:
            column = np.array(_runtime(self.frames["kpis"], name, KPI))
            column.flags.writeable = False
            self._columns[key] = column
        return self._columns[key]

    def plan_rows(self, scope: str) -> np.ndarray:
        """Each row's plan, as a row of the plans frame (read once per run and scope: every
        rule and every aggregate asks)."""
        key = ("plan_rows", scope)
        if key not in self._shared:
            rows = (np.arange(self.n_plans) if scope == "plan"
                    else self.entity(scope)["plan_idx"].to_numpy(dtype=np.int64))
            rows.flags.writeable = False
            self._shared[key] = rows
        return self._shared[key]

    def _fetch(self, scope: str, name: str) -> np.ndarray:
        if name.startswith("kpi."):
            return self._kpi_column(name[4:])[self.kpi_rows(scope)]
        if name.startswith("plan.") and scope != "plan":
            return self.column("plan", name[5:])[self.plan_rows(scope)]
        return _runtime(self.entity(scope), name, SCOPE_ENTITIES[scope])


def _value_codes(values: np.ndarray) -> np.ndarray | None:
    if values.dtype.kind in "fM":  # by bits: -0.0 keeps its sign, as it may show in text
        keys = values.view(f"i{values.dtype.itemsize}")  # float32 too, though none is made
    elif values.dtype.kind in "biu" or pd.api.types.infer_dtype(values, skipna=True) in (
            "string", "empty"):  # text only: no 1 == True == 1.0 among the keys
        keys = values
    else:
        return None
    codes, uniques = pd.factorize(keys)
    return compact(codes, len(uniques))


def _distinct_rows(codes: list[np.ndarray | None], size: int
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """Combined codes of several columns, and one row per combination; None when a column
    has no codes or the combinations are not much fewer than the rows."""
    if size == 0 or any(c is None for c in codes):
        return None
    combined, count = np.zeros(size, dtype=np.int8), 1
    seen: list[np.ndarray] = []
    for column in codes:
        assert column is not None
        if any(column is s for s in seen):
            continue  # kpi.* fields share the KPI's row as their code
        seen.append(column)
        width = int(column.max()) + 2
        # count and width stay below the row count, so the pair fits an int64
        pairs = combined.astype(np.int64) * width + (column + 1)
        combined, count = _renumber(pairs, count * width, size)
        if count * 4 > size:
            return None  # another column only adds combinations
    rows = np.empty(count, dtype=np.int64)
    rows[combined] = np.arange(size)  # any row of a combination stands for all of them
    return combined, rows


def _renumber(keys: np.ndarray, bound: int, size: int) -> tuple[np.ndarray, int]:
    """Keys in ``[0, bound)`` numbered densely from 0, as the smallest integer type that
    holds them, and how many distinct keys there are."""
    if bound <= 4 * size:
        # a table as long as the keys' range: no hashing, which is most of factorize
        present = np.zeros(bound, dtype=np.bool_)
        present[keys] = True
        number = np.cumsum(present, dtype=np.int64) - 1
        count = int(number[-1]) + 1
        return compact(number[keys], count), count
    numbered, uniques = pd.factorize(keys)
    return compact(numbered, len(uniques)), len(uniques)


def compact(codes: np.ndarray, count: int) -> np.ndarray:
    """Codes below ``count`` (or -1) in the smallest signed integer type that holds them:
    the codes of every field and combination are kept for the whole run."""
    for kind in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(kind).max:
            return codes.astype(kind, copy=False)
    return codes.astype(np.int64, copy=False)


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
        self.size = len(frames.entity(scope))
        self.plan_idx = frames.plan_rows(scope)
        self._params: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        if name.startswith("param."):
            if name not in self._params:
                self._params[name] = self._param(name, self.size)
            return self._params[name]
        return self.frames.column(self.scope, name)

    def column_at(self, name: str, rows: np.ndarray) -> np.ndarray:
        """``column(name)[rows]``, without building the whole column where it can."""
        if name.startswith("param."):
            return self._param(name, len(rows))
        return self.frames.column_at(self.scope, name, rows)

    def _param(self, name: str, size: int) -> np.ndarray:
        value = self.values[name[6:]]
        if isinstance(value, list):
            value = ";".join(value)
        out = np.empty(size, dtype=object if isinstance(value, str) else None)
        out[:] = value
        out.flags.writeable = False
        return out

    def distinct(self, names: frozenset[str]) -> tuple[np.ndarray, np.ndarray] | None:
        return self.frames.distinct(self.scope, names)

    def child(self, scope: str) -> RowContext:
        return RowContext(self.frames, scope, self.values)


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


def lambda_key(ctx: RowContext, *parts: Any) -> tuple[Any, ...] | None:
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
