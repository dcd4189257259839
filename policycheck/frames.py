"""The model's frames as rule expressions read them, prepared once per run.

``Frames`` holds every lookup that rules share: fields as numpy arrays in the expression
language's run-time representation, integer codes of fields and of the combinations of fields
that row-wise expressions read (``distinct``), and the results of aggregates keyed by what
they compute (``memo``). The codes are worked out in ``codes``; the rows of one scope for one
rule, the context ``Compiled.evaluate`` runs over, are a ``rowcontext.RowContext``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from policycheck.codes import combine, row_per_code, too_varied, value_codes
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
        fields = tuple(sorted(n for n in names if not n.startswith("param.")))
        key = ("distinct", scope, fields)
        if key not in self._shared:
            combined = self._combined(scope, fields) if len(self.entity(scope)) else None
            self._shared[key] = None if combined is None else (
                combined[0], row_per_code(*combined))
        return self._shared[key]

    def _combined(self, scope: str, fields: tuple[str, ...]) -> tuple[np.ndarray, int] | None:
        """The codes of the combinations of ``fields`` in a scope and how many there are,
        made from those of all the fields but the last: rules read overlapping fields, and
        the default pack's 100 sets of fields have 87 distinct prefixes where they would
        combine 207 columns one by one. None when a field has no codes or the combinations
        are not much fewer than the rows (more fields only add combinations)."""
        key = ("combined", scope, fields)
        if key not in self._shared:
            size = len(self.entity(scope))
            found: tuple[np.ndarray, int] | None = (np.zeros(size, dtype=np.int8), 1)
            if fields:
                found = self._combined(scope, fields[:-1])
                codes = self.value_codes(scope, fields[-1])
                if codes is None:
                    found = None
                elif found is not None and not any(  # kpi.* fields share the KPI's row
                        codes is self.value_codes(scope, f) for f in fields[:-1]):
                    found = combine(*found, codes)
                    if too_varied(found[1], size):
                        found = None
            self._shared[key] = found
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
                codes = value_codes(self.column(scope, name))
            self._shared[key] = codes
        return self._shared[key]

    def component_keys(self, plan_idx: np.ndarray | None = None,
                       component_ids: np.ndarray | pd.Series | None = None) -> np.ndarray:
        """(plan row, component id) pairs as one integer, -1 for an id no component has;
        without arguments, the keys of the components frame's own rows (worked out once per
        run, and read-only)."""
        ids, uniques = self.codes("component", "component_id")
        if plan_idx is None or component_ids is None:
            if "component_keys" not in self._shared:
                own = self.entity("component")["plan_idx"].to_numpy(np.int64)
                keys = _pair_keys(own, ids, len(uniques))
                keys.flags.writeable = False
                self._shared["component_keys"] = keys
            return cast(np.ndarray, self._shared["component_keys"])
        if "component_ids" not in self._shared:
            self._shared["component_ids"] = pd.Index(uniques)
        # looked up once per distinct id (Arrow text is factorized without a Python string
        # per row)
        given, distinct = pd.factorize(component_ids)
        found = self._shared["component_ids"].get_indexer(distinct)
        return _pair_keys(plan_idx, np.where(given >= 0, np.append(found, -1)[given], -1),
                          len(uniques))

    def component_groups(self, frame_name: str) -> tuple[pd.CategoricalIndex, np.ndarray]:
        """The rows of a frame that names components (curve points, rates) grouped by their
        component, worked out once per run for every statistic of that frame: a group per
        row (missing for a row of no component) as a categorical index, which pandas groups
        by its codes without hashing them again, and each component's group (-1: no rows)."""
        key = ("component_groups", frame_name)
        if key not in self._shared:
            rows = self.frames[frame_name]
            keys = self.component_keys(rows["plan_idx"].to_numpy(dtype=np.int64),
                                       rows["component_id"])
            group, distinct = pd.factorize(keys)
            group[keys < 0] = -1  # no component: in no group
            of_components = pd.Index(distinct).get_indexer(self.component_keys())
            groups = pd.CategoricalIndex(pd.Categorical.from_codes(
                group, categories=pd.RangeIndex(len(distinct))))
            self._shared[key] = (groups, of_components)
        return self._shared[key]

    def targets(self, frame_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What each row of a gates or modifiers frame applies to, worked out once per run
        for every predicate over it: whether it applies to all its plan's components, and
        the components it names, as (row, component key) pairs (key -1: no such id)."""
        key = ("targets", frame_name)
        if key not in self._shared:
            rows = self.frames[frame_name]
            applies = rows["applies_to"].fillna("all").to_numpy(dtype=object)
            named = np.flatnonzero(applies != "all")
            split = pd.Series(applies[named], dtype=object).str.split(";").explode()
            row = named[split.index.to_numpy()]
            keys = self.component_keys(rows["plan_idx"].to_numpy(dtype=np.int64)[row],
                                       split.to_numpy(dtype=object))
            self._shared[key] = (applies == "all", row, keys)
        return self._shared[key]

    def column_at(self, scope: str, name: str, rows: np.ndarray) -> np.ndarray:
        """``column(scope, name)[rows]``. A field of the row's KPI or plan is read from that
        KPI's or plan's own column: a few representative rows (``distinct``) never build a
        column as long as the scope."""
        whole = self._columns.get((scope, name))
        if whole is not None:
            part = whole[rows]
        elif name.startswith("kpi."):
            part = self.kpi_column(name[4:])[self.kpi_rows(scope)[rows]]
        elif name.startswith("plan.") and scope != "plan":
            part = self.column("plan", name[5:])[self.plan_rows(scope)[rows]]
        else:
            part = self.column(scope, name)[rows]
        part.flags.writeable = False  # as clean as the column it comes from
        return part

    def kpi_column(self, name: str) -> np.ndarray:
        """A field of the KPI table, one value per KPI, in the run-time representation."""
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
            return self.kpi_column(name[4:])[self.kpi_rows(scope)]
        if name.startswith("plan.") and scope != "plan":
            return self.column("plan", name[5:])[self.plan_rows(scope)]
        return _runtime(self.entity(scope), name, SCOPE_ENTITIES[scope])


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


def _pair_keys(plan_idx: np.ndarray, codes: np.ndarray, count: int) -> np.ndarray:
    """(plan row, component id code) pairs as one integer; -1 where the code is -1 (an id
    no component has)."""
    return np.where(codes >= 0, plan_idx * (count + 1) + codes, -1)
