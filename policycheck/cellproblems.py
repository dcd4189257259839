"""Problems with single cells: where a cell is (its file, row or YAML line and column) and
how a message names it ("plan 'x', component 'y': weight: got 50, expected ...").

A check finds its failing rows with whole-frame operations; ``Rows`` then takes each column
it needs out of the frame once for all of them, so that a messy input with hundreds of
thousands of bad cells costs a list lookup per cell, not a pandas lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from policycheck.errors import Location, Problem, quote


class Rows:
    """Some rows of a frame (``at``: their positions), for messages about them: the cells
    of each column as Python values, taken out of the frame at the first use."""

    def __init__(self, frame: pd.DataFrame, at: np.ndarray | Iterable[int]) -> None:
        self.frame = frame
        self.at = np.asarray(at, dtype=np.int64)
        self._values: dict[str, list[Any]] = {}
        self._sources: tuple[list[Any], ...] | None = None

    def __len__(self) -> int:
        return len(self.at)

    def values(self, column: str) -> list[Any]:
        """The rows' cells of ``column``, in order."""
        if column not in self._values:
            self._values[column] = self.frame[column].take(self.at).tolist()
        return self._values[column]

    def texts(self, column: str | None) -> list[str | None]:
        """The rows' cells of an id column as text; None where a cell is missing or the
        frame has no such column (a table's coded column gives NaN for a missing cell,
        YAML's None)."""
        key = f"\0text:{column}"
        if key not in self._values:  # asked once a row: looked for in the frame once
            self._values[key] = [None] * len(self) if not column or column not in self.frame \
                else [None if v is None or v is pd.NA or v != v else str(v)
                      for v in self.values(column)]
        return self._values[key]

    def location(self, i: int, field: str | None) -> Location:
        """Where the ``i``-th row's cell is: the field's own line and column when YAML gave
        one."""
        if self._sources is None:
            self._sources = tuple(self.values(c) for c in (
                "src_file", "src_sheet", "src_line", "src_col", "src_fields"))
        files, sheets, lines, cols, fields = self._sources
        line, col = lines[i], cols[i]
        if field and isinstance(fields[i], dict) and field in fields[i]:
            line, col = fields[i][field]
        return Location(str(files[i]), str(sheets[i]), int(line), int(col))

    def name(self, i: int, label: str, key: str | None) -> str:
        """"plan 'x', component 'y'" for the ``i``-th row, for messages."""
        plan = self.texts("plan_id")[i]
        if label == "plan":
            return f"plan '{plan}'"
        own = self.texts(key)[i]
        named = f"{label} '{own}'" if own is not None else label
        return named if plan is None else f"plan '{plan}', {named}"

    def problems(self, field: str, code: str, label: str, key: str | None,
                 texts: Iterable[str]) -> list[Problem]:
        """One problem per row, at its ``field``: "<its name>: <its text>"."""
        plans = self.texts("plan_id")
        return [Problem(self.location(i, field), f"{self.name(i, label, key)}: {text}", code,
                        plans[i], field=field)
                for i, text in enumerate(texts)]


def report_cells(frame: pd.DataFrame, raw: pd.Series | np.ndarray, at: np.ndarray,
                 field: str, label: str, key: str | None, expected: str, code: str,
                 hints: pd.Series | None = None,
                 shown: Callable[[Any], str] | None = None) -> list[Problem]:
    """One problem per cell of ``raw`` at the positions ``at``: "plan 'x', component 'y':
    weight: got 50, expected ..."; ``hints`` (text or not) end a message; ``shown`` writes
    a value (a mapping as "a mapping", by default)."""
    rows = Rows(frame, at)
    got = raw.take(rows.at).tolist()
    ends = hints.take(rows.at).tolist() if hints is not None else [""] * len(rows)
    show = shown or _shown
    return rows.problems(field, code, label, key, (
        f"{field}: got {show(value)}, expected {expected}{end if isinstance(end, str) else ''}"
        for value, end in zip(got, ends, strict=True)))


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return quote(list(value))
    return quote(value)
