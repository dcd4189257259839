"""The model as the tables HR keeps: every cell as text, read back as the same frames.

This is the inverse of the table readers (SPEC 3.2): lists are ``;``-separated, nested
plan fields flattened with ``_``, weights written as percents, curve points as
``80:0;100:100`` and product rates as ``gold=120;silver=80``. Reading the output back gives
the same frames, which the test suite checks. A value no table cell can hold as it is (a
product holding ``;`` or ``=``, a product named twice in a component) is refused with a
problem at its place, before anything is written. ``export`` writes these tables to CSV
files or a workbook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.catalog import LIBRARY_NAME
from policycheck.cellproblems import Rows
from policycheck.codes import per_distinct
from policycheck.errors import Problem, UsageError, number_text, quote
from policycheck.model import CHILDREN, EMPLOYEE, KPI, PLAN, EntitySpec, Model


def _number(value: float) -> str:
    """The shortest text that reads back as exactly this number (``1500000``, ``0.1``)."""
    text = number_text(value)
    return text if float(text) == value else repr(float(value))


def _text(value: object) -> object:
    """A cell as text. Every cell is text, so that a column of whole numbers with a gap is
    not written as ``16.0`` (pandas would make the column float)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, (float, np.floating)):
        return _number(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return value


def _percent(points: object) -> object:
    if points is None or points is pd.NA or pd.isna(points):  # type: ignore[call-overload]
        return None
    return f"{int(points) / 100:g}%"  # type: ignore[call-overload]


def _cells(column: pd.Series, text: Callable[[Any], object]) -> np.ndarray:
    """``column.map(text)``, worked out once per distinct value (a column of 100,000 plans'
    components has 536,000 cells and a few hundred values; cell by cell took 5 s); a
    missing value is None. A column of Python objects other than text or truth values,
    which factorize could merge (1, 1.0 and True are one key), goes cell by cell."""
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) not in (
            "string", "boolean", "empty"):
        return column.map(text).to_numpy(dtype=object)
    return per_distinct(column, lambda value: None if value is None else text(value))


def table_frames(model: Model) -> dict[str, pd.DataFrame]:
    """The model as the tables HR keeps: column names as in SPEC 3.2, cells as text.

    UsageError, with a problem for each, when a product of ``rates`` holds what a rates
    cell separates with (``;`` or ``=``), or a component names a product twice: no table
    reads such a value back as it is, and the table syntax has no escape (so nothing is
    written: the writers call this first). A list item holding ``;`` is refused when the
    plans are read (``parsing.SEPARATOR_HINT``)."""
    frames = model.frames
    out: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for spec in (PLAN, *CHILDREN, KPI, EMPLOYEE):
        frame = frames[spec.name]
        if spec is KPI:
            frame = frame[frame["src_file"] != LIBRARY_NAME]
        out[spec.name] = _table(spec, frame, frames, problems)
    if problems:
        count = f"{len(problems)} value{'s' if len(problems) > 1 else ''}"
        raise UsageError(f"{count} cannot be written in a table cell, which would read "
                         "back as other values; nothing was written",
                         # by place, each place's values in the order they are written
                         sorted(problems, key=lambda problem: problem.sort_key()[:4]))
    return out


def _table(spec: EntitySpec, frame: pd.DataFrame, frames: dict[str, pd.DataFrame],
           problems: list[Problem] | None = None) -> pd.DataFrame:
    """``spec``'s table of ``frame``; a product no rates cell can hold is a problem added
    to ``problems`` (None: not looked for)."""
    columns: dict[str, pd.Series] = {}
    if spec is EMPLOYEE:
        columns["employee_id"] = frame["employee_id"]
        columns["plan_id"] = frame["plan_id"]
    elif spec in (PLAN, KPI):
        columns["id"] = frame[spec.key]
    else:
        columns["plan_id"] = frame["plan_id"]
        columns["id"] = frame[spec.key]
    for f in spec.fields:
        if f.kind == "points":
            columns[f.name] = _component_text(frame, frames["curve_points"], "curve_points")
        elif f.kind == "rates":
            columns[f.name] = _component_text(frame, frames["rates"], "rates", problems)
        elif f.kind == "weight":
            columns[f.name] = pd.Series(_cells(frame[f.name], _percent), index=frame.index,
                                        dtype=object)
        else:
            columns[f.name] = pd.Series(_cells(frame[f.name], _text), index=frame.index,
                                        dtype=object)
    table = pd.DataFrame(columns)
    return table.astype(object).where(table.notna(), None).reset_index(drop=True)


def _component_text(components: pd.DataFrame, rows: pd.DataFrame, kind: str,
                    problems: list[Problem] | None = None) -> pd.Series:
    """Each component's cell of its curve points or rates (``rows``): its rows' texts in
    order, joined by ``;``. A product no cell can hold is a problem of its component added
    to ``problems`` (None: not looked for)."""
    if rows.empty:
        return pd.Series(None, index=components.index, dtype=object)
    if kind == "curve_points":
        parts = [_cells(rows["attainment"], _number), ":", _cells(rows["payout"], _number)]
    else:
        parts = [rows["product"].to_numpy(dtype=object), "=",
                 _cells(rows["amount"], _number)]
    text = pc.binary_join_element_wise(
        *(pa.array(part, type=pa.large_string(), from_pandas=True) for part in parts[::2]),
        pa.scalar(parts[1], type=pa.large_string()))
    # each component's texts in row order, joined by ";" (by Arrow: a groupby joining them
    # group by group in Python took 2.5 s for 100,000 plans)
    keys = pd.MultiIndex.from_frame(components[["plan_id", "component_id"]].astype(object))
    distinct = keys.unique()
    of = distinct.get_indexer(pd.MultiIndex.from_frame(
        rows[["plan_id", "component_id"]].astype(object)))  # -1: a row of no component
    order = np.argsort(of, kind="stable")
    order = order[of[order] >= 0]
    offsets = np.zeros(len(distinct) + 1, dtype=np.int64)
    np.cumsum(np.bincount(of[order], minlength=len(distinct)), out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), text.take(pa.array(order)))
    joined = pc.binary_join(lists, pa.scalar(";", type=pa.large_string())).to_numpy(
        zero_copy_only=False).astype(object)
    joined[offsets[1:] == offsets[:-1]] = None  # a component without such rows
    at = distinct.get_indexer(keys)
    if kind == "rates" and problems is not None:
        problems += _rate_problems(components, rows, of, at)
    return pd.Series(joined[at], index=components.index, dtype=object)


#: The code of a problem of a value no table cell can hold.
UNEXPORTABLE = "unexportable-value"


def _rate_problems(components: pd.DataFrame, rows: pd.DataFrame, of: np.ndarray,
                   at: np.ndarray) -> list[Problem]:
    """A problem for each product of ``rows`` (a component's rates, ``of`` its component's
    key and ``at`` each component's) that a rates cell cannot hold, and for each product
    a component names twice (a cell's reader keeps its last rate only); each distinct
    product is looked at once."""
    codes, products = pd.factorize(rows["product"].to_numpy(dtype=object),
                                   use_na_sentinel=True)
    why = [_product_trouble(product) for product in products.tolist()]
    bad = np.array([w is not None for w in why] + [False], dtype=bool)[codes] & (of >= 0)
    texts = {int(r): [why[codes[r]]] for r in np.flatnonzero(bad).tolist()}
    # the same product twice in a component: keys of a YAML mapping that differ only in
    # spaces at their ends ("gold", " gold") are one product
    named = pd.DataFrame({"of": of, "code": codes})
    again = named.duplicated(keep="first").to_numpy()
    if again.any():
        twice = named.duplicated(keep=False).to_numpy() & ~again & (of >= 0) & \
            (codes >= 0) & ~bad
        counts = named.groupby(["of", "code"]).size()
        for r in np.flatnonzero(twice).tolist():
            texts[int(r)] = [f"rates: product {quote(products[codes[r]])} is named "
                             f"{counts[(of[r], codes[r])]} times (keys that differ only in "
                             "spaces at their ends are one product), and a rates cell "
                             "keeps its last rate only; expected each product once"]
    if not texts:
        return []
    found = np.array(sorted(texts), dtype=np.int64)
    first = np.full(int(at.max(initial=-1)) + 1, -1, dtype=np.int64)
    first[at[::-1]] = np.arange(len(at))[::-1]  # each key's first component row
    return _problems(components, first[of[found]], [texts[r] for r in found.tolist()], None,
                     "rates")


def _product_trouble(product: object) -> str | None:
    """Why a rates cell (``gold=120;silver=80``) cannot hold ``product``, or None."""
    if not isinstance(product, str):
        return None
    held = [c for c in ";=" if c in product]
    if held:
        why = {";": "which separates the products of a rates cell",
               "=": "which separates a product from its rate in a rates cell"}
        reason = (f"holds {held[0]!r}, {why[held[0]]}" if len(held) == 1 else
                  "holds ';' and '=', which separate the products of a rates cell, and a "
                  "product from its rate")
        expected = "a product without ';' or '='"
    elif product != product.strip() or not product:
        reason = "starts or ends with a space, which a rates cell drops"
        expected = "a product without spaces at its ends"
    else:
        return None
    return f"rates: product {quote(product)} {reason} ('gold=120;silver=80'); expected {expected}"


def _problems(frame: pd.DataFrame, at: np.ndarray, texts: list[list[str]],
              spec: EntitySpec | None, name: str) -> list[Problem]:
    """The problems ``texts`` of the rows of ``frame`` at the positions ``at``, at each
    row's ``name`` field, named as validation names a row ("plan 'x', component 'y'"); a
    spec of None: components."""
    label, key = ("component", "component_id") if spec is None else (spec.label, spec.key)
    rows = Rows(frame, np.repeat(at, [len(row) for row in texts]))
    return rows.problems(name, UNEXPORTABLE, label, key, [text for row in texts for text in row])
