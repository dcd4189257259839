"""Evaluating a row-wise expression once per distinct combination of the values it reads.

Text columns hold few distinct values (a component's KPI is one of a few dozen; a plan's role
kind one of a handful), so ``kpi.category in param.categories and basis == 'individual'`` is
the same question on most of half a million rows. When the engine can tell which rows read
equal values (``Context.distinct``), the expression runs over one representative row of each
combination and the answers are spread back by integer codes. Only row-wise expressions
qualify: an aggregate such as ``any_of`` depends on the other rows of the plan.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from policycheck.expression.syntax import Binary, Call, Name, Unary
from policycheck.expression.typesystem import Type, Typed

Array = npt.NDArray[Any]
_TEXT = (Type.STRING, Type.LIST)


def row_wise_names(typed: Typed) -> frozenset[str] | None:
    """The names a row-wise expression reads, or None when some part of it is not row-wise
    (a scope function) or it reads no text column (numbers are fast enough as they are)."""
    names: set[str] = set()
    text = False
    stack = [typed]
    while stack:
        item = stack.pop()
        node = item.node
        if isinstance(node, Call) and item.function is not None:
            return None
        if isinstance(node, Name):
            names.add(node.name)
            text = text or item.type in _TEXT
        stack.extend(item.args)
    return frozenset(names) if text else None


def row_wise(typed: Typed) -> bool:
    """No part of the expression is a scope function (an aggregate over other rows)."""
    stack = [typed]
    while stack:
        item = stack.pop()
        if isinstance(item.node, Call) and item.function is not None:
            return False
        stack.extend(item.args)
    return True


def worth_compressing(typed: Typed) -> bool:
    """Operators and built-in calls; a bare name or literal is already as cheap as it gets."""
    node = typed.node
    return isinstance(node, Binary | Unary) or (isinstance(node, Call) and typed.function is None)


class Subset:
    """The representative rows of a context: one per distinct combination of values."""

    def __init__(self, parent: Any, rows: Array) -> None:
        self.parent = parent
        self.rows = rows
        self.size = len(rows)
        self._columns: dict[str, Array] = {}

    def column(self, name: str) -> Array:
        if name not in self._columns:
            column_at = getattr(self.parent, "column_at", None)
            if column_at is not None:  # the context can read just these rows
                self._columns[name] = np.asarray(column_at(name, self.rows))
                return self._columns[name]
            whole = np.asarray(self.parent.column(name))
            if whole.shape != (self.parent.size,):
                return whole  # wrong as it is: let the evaluator say so
            part = whole[self.rows]
            # as clean as the column it came from (read-only means checked by the engine)
            part.flags.writeable = whole.flags.writeable
            self._columns[name] = part
        return self._columns[name]
