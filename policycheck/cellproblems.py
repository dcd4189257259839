"""Problems with single cells: where a cell is (its file, row or YAML line and column) and
how a message names it ("plan 'x', component 'y': weight: got 50, expected ...").

A check finds its failing rows with whole-frame operations; ``Rows`` then takes each column
it needs out of the frame once for all of them, so that a messy input with hundreds of
thousands of bad cells costs a list lookup per cell, not a pandas lookup.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from policycheck.codes import per_distinct_typed
from policycheck.errors import Location, Problem, quote
from policycheck.numberhints import SPREADSHEET_ERROR, spreadsheet_error_hint


class Rows:
    """Some rows of a frame (``at``: their positions), for messages about them: the cells
    of each column as Python values, taken out of the frame at the first use."""

    def __init__(self, frame: pd.DataFrame, at: np.ndarray | Iterable[int]) -> None:
        self.frame = frame
        self.at = np.asarray(at, dtype=np.int64)
        self._values: dict[str, list[Any]] = {}

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
        fields = self._row_fields
        if field and fields is not None and isinstance(fields[i], dict) and field in fields[i]:
            line, col = fields[i][field]
            row = self._row_locations[i]
            return Location(row.file, row.sheet, int(line), int(col))
        return self._row_locations[i]

    @functools.cached_property
    def _row_locations(self) -> list[Location]:
        """Each row's location, made a column at a time."""
        return list(map(Location, map(str, self.values("src_file")),
                        map(str, self.values("src_sheet")), map(int, self.values("src_line")),
                        map(int, self.values("src_col"))))

    @functools.cached_property
    def _row_fields(self) -> list[Any] | None:
        """Each row's YAML positions of its fields (None: no row has any, as in a table, or
        the frame keeps none, as the model's do)."""
        if "src_fields" not in self.frame:
            return None
        fields = self.values("src_fields")
        return fields if any(issubclass(kind, dict) for kind in set(map(type, fields))) \
            else None

    def names(self, label: str, key: str | None) -> Iterator[str]:
        """"plan 'x', component 'y'" for each row in turn, for messages (made as they are
        used: a list of them all, freed after the messages are made, would leave the
        messages' memory full of holes)."""
        plans = self.texts("plan_id")
        if label == "plan":
            return (f"plan '{plan}'" for plan in plans)
        owns = (label if own is None else f"{label} '{own}'" for own in self.texts(key))
        return (own if plan is None else f"plan '{plan}', {own}"
                for plan, own in zip(plans, owns, strict=True))

    def problems(self, field: str, code: str, label: str, key: str | None,
                 texts: Iterable[str], severity: str = "error") -> list[Problem]:
        """One problem per row, at its ``field``: "<its name>: <its text>"."""
        wheres = self._row_locations if self._row_fields is None else \
            [self.location(i, field) for i in range(len(self))]
        return [Problem(where, f"{name}: {text}", code, plan, severity, field=field)
                for where, name, plan, text in zip(wheres, self.names(label, key),
                                                   self.texts("plan_id"), texts, strict=True)]


def masked_problems(frame: pd.DataFrame, mask: np.ndarray | pd.Series, field: str, code: str,
                    label: str, key: str | None,
                    text: Callable[[Rows], Iterable[str]]) -> list[Problem]:
    """A problem for each masked row, its message the row's name and its item of ``text``
    (the texts of all the rows, in order)."""
    rows = Rows(frame, np.flatnonzero(np.asarray(mask, dtype=bool)))
    return rows.problems(field, code, label, key, text(rows)) if len(rows) else []


def report_cells(frame: pd.DataFrame, raw: pd.Series | np.ndarray, at: np.ndarray,
                 field: str, label: str, key: str | None, expected: str, code: str,
                 hints: pd.Series | None = None,
                 shown: Callable[[Any], str] | None = None) -> list[Problem]:
    """One problem per cell of ``raw`` at the positions ``at``: "plan 'x', component 'y':
    weight: got 50, expected ..."; ``hints`` (text or not) end a message; ``shown`` writes
    a value (a mapping as "a mapping", by default)."""
    rows = Rows(frame, at)
    show = shown or _shown
    # a messy column repeats its bad values ("heavy", "n/a", a lookup's "#N/A"): each is
    # written, and told whether it is a spreadsheet's error value, once
    got = per_distinct_typed(raw.take(rows.at).tolist(),
                             lambda value: (show(value), spreadsheet_error_hint(value)))
    ends = hints.take(rows.at).tolist() if hints is not None else [""] * len(rows)
    return rows.problems(field, code, label, key, (
        f"{field}: got {value}, expected {expected}"
        f"{end if isinstance(end, str) and end else error}"
        for (value, error), end in zip(got, ends, strict=True)))


def report_spreadsheet_errors(frame: pd.DataFrame, raw: pd.Series, at: np.ndarray, field: str,
                              label: str, key: str | None) -> list[Problem]:
    """A warning per text cell of ``raw`` at the positions ``at`` that holds a spreadsheet's
    error value: kept as written (an owner, a name, an id), but its value was lost."""
    rows = Rows(frame, at)
    return rows.problems(field, "spreadsheet-error", label, key, (
        f"{field}: {quote(value)} is {SPREADSHEET_ERROR}; it is kept as written"
        for value in raw.take(rows.at).tolist()), severity="warning")


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return quote(list(value))
    return quote(value)
