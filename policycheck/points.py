"""Curve points and product rates: the frames made from two component fields.

A component's ``curve_points`` (``[[80, 0], [100, 100]]`` in YAML, ``80:0;100:100`` in a
table) and ``rates`` (``{gold: 120}``, ``gold=120``) become rows of frames of their own, one
row per point or product, named by plan and component id; a cell that cannot be read is a
problem of its component. Cells repeat (a curve shared by many components), so each distinct
text is read once. A number in them is read as in a number field: text with digit separators
(``1_000``, in a table cell or quoted in YAML) is refused, and YAML's own ``1_000`` is a
number (``documents``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from policycheck.cellproblems import report_cells
from policycheck.codedcolumns import as_objects
from policycheck.errors import Problem, quote
from policycheck.model import POINTS_COLUMNS, RATES_COLUMNS


def build_points(raw: pd.DataFrame, typed: pd.DataFrame,
                 problems: list[Problem]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Curve points and product rates of components, one row each, plus problems."""
    plan_ids = as_objects(typed["plan_id"]).to_numpy(dtype=object)
    component_ids = as_objects(typed["component_id"]).to_numpy(dtype=object)
    curve_cells = raw["curve_points"].to_numpy(dtype=object)
    rows, within, attainment, payout, bad = _cell_items(curve_cells, lambda v: _pairs(v, ":"))
    problems += _component_problems(typed, bad, "curve_points", curve_cells,
                                    "a list of [attainment %, payout %] pairs, or "
                                    "'80:0;100:100' in a table",
                                    lambda v: _pairs(v, ":", _separated_number))
    point_frame = pd.DataFrame({"plan_id": plan_ids[rows], "component_id": component_ids[rows],
                                "seq": within, "attainment": attainment, "payout": payout},
                               columns=list(POINTS_COLUMNS))
    rate_cells = raw["rates"].to_numpy(dtype=object)
    rows, _, product, amount, bad = _cell_items(rate_cells, _rate_items)
    problems += _component_problems(typed, bad, "rates", rate_cells,
                                    "a mapping of product to amount, or "
                                    "'gold=120;silver=80' in a table",
                                    lambda v: _rate_items(v, _separated_number))
    rate_frame = pd.DataFrame({"plan_id": plan_ids[rows], "component_id": component_ids[rows],
                               "product": product, "amount": amount},
                              columns=list(RATES_COLUMNS))
    point_frame = point_frame.astype({"seq": "int64", "attainment": "float64",
                                      "payout": "float64"})
    return point_frame, rate_frame.astype({"amount": "float64"})


#: Reads one cell into (first, second) pairs, or None when it cannot.
PairParser = Callable[[Any], "list[tuple[Any, float]] | None"]


def _cell_items(cells: np.ndarray, parse: PairParser) -> tuple[np.ndarray, ...]:
    """Every pair of every cell that ``parse`` reads, as columns: the row it came from, its
    position in the cell, its first and its second part; then the rows ``parse`` could not
    read. Text cells repeat (a curve shared by many components), so each distinct text is
    parsed once and its pairs are taken back for every row."""
    present = np.flatnonzero(pd.notna(cells))
    values = cells[present]
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) == "string":
        codes, distinct = pd.factorize(values)
    else:  # YAML lists and mappings: one parse per cell
        codes, distinct = np.arange(len(values)), values
    parsed = [parse(v) for v in distinct]
    unread = np.array([p is None for p in parsed], dtype=bool)
    counts = np.array([len(p) if p else 0 for p in parsed], dtype=np.int64)
    pairs = [pair for p in parsed if p for pair in p]
    firsts = np.array([f for f, _ in pairs], dtype=object)
    seconds = np.array([s for _, s in pairs], dtype=object)
    per_row = counts[codes]
    rows = np.repeat(present, per_row)
    within = np.arange(len(rows), dtype=np.int64) - np.repeat(np.cumsum(per_row) - per_row,
                                                              per_row)
    taken = np.repeat((np.cumsum(counts) - counts)[codes], per_row) + within
    return rows, within, firsts[taken], seconds[taken], present[unread[codes]]


def _number(value: Any) -> float | None:
    """A number, or text that is one written plainly: not ``1_000``, which Python reads."""
    if isinstance(value, str) and "_" in value:
        return None
    return _separated_number(value)


def _separated_number(value: Any) -> float | None:
    """A number, or text that is one, digit separators and all (``1_000``): what a cell
    refused by ``_number`` alone would have been, for ``UNDERSCORES_HINT``."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


#: Why a cell of points or rates that reads but for the underscores in its numbers is refused.
UNDERSCORES_HINT = "; write its numbers without underscores"


def _pairs(value: Any, sep: str,
           number: Callable[[Any], float | None] = _number) -> list[tuple[float, float]] | None:
    if isinstance(value, str):
        value = [item.split(sep) for item in value.split(";") if item.strip()]
    if not isinstance(value, list) or not value:
        return None
    pairs = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            return None
        first, second = number(item[0]), number(item[1])
        if first is None or second is None:
            return None
        pairs.append((first, second))
    return pairs


def _rate_items(value: Any,
                number: Callable[[Any], float | None] = _number) -> list[tuple[str, float]] | None:
    if isinstance(value, str):
        pieces = [item.split("=") for item in value.split(";") if item.strip()]
        if any(len(p) != 2 for p in pieces):
            return None
        value = {p[0].strip(): p[1].strip() for p in pieces}
    if not isinstance(value, dict):
        return None
    items = []
    for product, amount in value.items():
        read = number(amount)
        if read is None or not str(product).strip():
            return None
        items.append((str(product).strip(), read))
    return items


def _component_problems(typed: pd.DataFrame, bad: np.ndarray, field_name: str,
                        cells: np.ndarray, expected: str,
                        separated: Callable[[Any], object]) -> list[Problem]:
    """A problem for each of the components at ``bad``, whose ``cells`` could not be read;
    a mapping or list shown as what it holds, and ``UNDERSCORES_HINT`` where ``separated``
    (the cell's reader, taking ``1_000``) reads it."""
    hints = None
    if len(bad):  # the positions of the problem cells only
        hints = pd.Series("", index=pd.RangeIndex(len(cells)), dtype=object)
        for at in bad.tolist():
            if separated(cells[at]) is not None:
                hints.iat[at] = UNDERSCORES_HINT
    return report_cells(typed, cells, bad, field_name, "component", "component_id", expected,
                        "invalid-value", hints, shown=_shown_whole)


def _shown_whole(value: Any) -> str:
    """A YAML mapping or list quoted as the dict or list it reads as."""
    return quote(dict(value) if isinstance(value, dict) else (
        list(value) if isinstance(value, list) else value))
