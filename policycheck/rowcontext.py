"""The rows of one scope for one rule, and the memo keys of functions over them.

``RowContext`` is the context ``Compiled.evaluate`` runs over: the columns of a scope's rows
(read from ``Frames``) and the rule's parameters. ``lambda_key`` says what a function applied
to lambdas computes, so that rules asking the same question share one answer
(``Frames.memo``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from policycheck.frames import Frames


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
