"""Problems with single cells: where a cell is (its file, row or YAML line and column) and
how a message names it ("plan 'x', component 'y': weight: got 50, expected ...")."""

from __future__ import annotations

from typing import Any, SupportsInt, cast

import numpy as np
import pandas as pd

from policycheck.errors import Location, Problem, quote


def location_of(frame: pd.DataFrame, row: int, field: str | None) -> Location:
    """The location of one cell: the field's own line and column when YAML gave one."""
    fields = frame["src_fields"].iat[row]
    line = int(cast(SupportsInt, frame["src_line"].iat[row]))
    col = int(cast(SupportsInt, frame["src_col"].iat[row]))
    if field and isinstance(fields, dict) and field in fields:
        line, col = fields[field]
    return Location(str(frame["src_file"].iat[row]), str(frame["src_sheet"].iat[row]), line, col)


def text_at(frame: pd.DataFrame, column: str | None, row: int) -> str | None:
    """The text of one cell of an id column; None where it is missing or the frame has no
    such column (a table's coded column gives NaN for a missing cell, YAML's None)."""
    if not column or column not in frame:
        return None
    value: object = frame[column].iat[row]
    return None if value is None or value is pd.NA or value != value else str(value)


def describe(frame: pd.DataFrame, row: int, label: str, key: str | None) -> str:
    """"plan 'x', component 'y'" for messages."""
    plan = text_at(frame, "plan_id", row)
    own = text_at(frame, key, row)
    parts = []
    if plan is not None and label != "plan":
        parts.append(f"plan '{plan}'")
    if label == "plan":
        parts.append(f"plan '{plan}'")
    elif own is not None:
        parts.append(f"{label} '{own}'")
    else:
        parts.append(label)
    return ", ".join(parts)


def report_cells(frame: pd.DataFrame, raw: pd.Series, mask: np.ndarray, field: str,
                 label: str, key: str | None, expected: str, code: str,
                 hints: pd.Series | None = None) -> list[Problem]:
    """One problem per masked cell: "plan 'x', component 'y': weight: got 50, expected ..."."""
    problems = []
    for row in np.flatnonzero(mask).tolist():
        value = raw.iat[row]
        hint: object = hints.iat[row] if hints is not None and isinstance(hints.iat[row], str) \
            else ""
        problems.append(Problem(
            location_of(frame, row, field),
            f"{describe(frame, row, label, key)}: {field}: got {_shown(value)}, expected "
            f"{expected}{hint}",
            code, text_at(frame, "plan_id", row), field=field))
    return problems


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return quote(list(value))
    return quote(value)
