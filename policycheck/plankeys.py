"""Each table row's plan as an integer code, looked up once per validation.

The checks that join tables on the plan id (rows naming no plan, weight sums, plans without
components) and the model, which keeps the rows of the valid plans, all need each row's
plan. Hashing the plan id text of every row is the costly part (half a million components at
100,000 plans), so it is done once here (once per distinct id, for a table's coded column)
and the rest are array lookups and bincounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policycheck.codedcolumns import as_objects

#: Tables that have a plan id but no rows of a plan: the KPI catalog's ids are its own.
_NOT_PER_PLAN = frozenset({"plans", "kpis"})


@dataclass(frozen=True)
class PlanKeys:
    """The plans' distinct ids, and each row's plan as a code into them."""

    #: The distinct plan ids of the plans table, in order of first appearance.
    distinct: pd.Index
    #: Each plans row's code (-1: a missing id).
    plans: np.ndarray
    #: Per table with rows of plans: each row's code (-1: a missing id, or one no plan has).
    rows: Mapping[str, np.ndarray]

    @classmethod
    def of(cls, frames: Mapping[str, pd.DataFrame]) -> PlanKeys:
        codes, distinct = pd.factorize(as_objects(frames["plans"]["plan_id"]).to_numpy())
        index = pd.Index(distinct, dtype=object)
        rows = {name: _codes_in(frame["plan_id"], index) for name, frame in frames.items()
                if name not in _NOT_PER_PLAN and "plan_id" in frame}
        return cls(index, np.asarray(codes, dtype=np.int64), rows)

    def count(self, table: str, where: np.ndarray | None = None) -> np.ndarray:
        """Per distinct plan id: the rows of ``table`` naming it (those ``where`` is true)."""
        code = self.rows[table]
        named = code >= 0 if where is None else (code >= 0) & where
        return np.bincount(code[named], minlength=len(self.distinct))

    def total(self, table: str, values: np.ndarray) -> np.ndarray:
        """Per distinct plan id: the sum of ``values`` (no missing value) over its rows."""
        code = self.rows[table]
        named = code >= 0
        return np.bincount(code[named], weights=values[named], minlength=len(self.distinct))

    def at_plans(self, per_id: np.ndarray, missing: float) -> np.ndarray:
        """A value per distinct plan id, per row of the plans table (``missing`` for a plan
        without an id)."""
        known = self.plans >= 0
        out = np.full(len(self.plans), missing, dtype=np.float64)
        out[known] = per_id[self.plans[known]]
        return out

    def kept_rows(self, table: str, valid: np.ndarray) -> np.ndarray:
        """Each row of ``table``'s plan as a row among the ``valid`` plans, -1 for a row of
        another plan. A valid plan's id is unique: a repeated id makes its plans invalid."""
        position = np.full(len(self.distinct), -1, dtype=np.int64)
        kept = self.plans[valid]
        position[kept[kept >= 0]] = np.flatnonzero(kept >= 0)
        code = self.rows[table]
        out = np.full(len(code), -1, dtype=np.int64)
        named = code >= 0
        out[named] = position[code[named]]
        return out


def _codes_in(ids: pd.Series, index: pd.Index) -> np.ndarray:
    """Each id's position in ``index`` (-1: missing, or not in it); a coded column's
    categories are looked up once each."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        found = np.append(index.get_indexer(ids.cat.categories.astype(object)), -1)
        return found[ids.cat.codes.to_numpy()]
    return index.get_indexer(pd.Index(ids.to_numpy(dtype=object), dtype=object))
