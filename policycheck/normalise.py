"""From raw records and table rows to the normalised model: one typed frame per entity.

YAML records and table rows of an entity are put in one frame, every field is typed by
``parsing`` (problems for every unreadable cell), defaults are filled, child ids that were
left out are derived (a component without ``id`` takes its KPI id, with ``-2``, ``-3`` for
repeats), and curve points and product rates get frames of their own. Frames are sorted by
plan id and position, so the same plans give the same frames whatever form they came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from policycheck.cellproblems import Rows, report_cells, report_spreadsheet_errors
from policycheck.codedcolumns import as_objects, with_default
from policycheck.errors import Location, Problem
from policycheck.model import (
    CHILDREN,
    EMPLOYEE,
    ENTITIES,
    KPI,
    NO_ID,
    PLAN,
    PRESSURE_OF_CATEGORY,
    SOURCE_COLUMNS,
    EntitySpec,
    FieldSpec,
    stand_in_id,
)
from policycheck.parsing import parse_column
from policycheck.points import build_points


@dataclass
class Normalised:
    """Typed frames by entity name, with the problems met while typing them."""

    frames: dict[str, pd.DataFrame]
    problems: list[Problem] = field(default_factory=list)


def key_columns(spec: EntitySpec) -> list[str]:
    if spec is PLAN or spec is KPI:
        return [spec.key]
    return ["plan_id", spec.key]


def frame_columns(spec: EntitySpec) -> list[str]:
    """The columns of an entity's frame, in order."""
    keys = key_columns(spec) if spec is not EMPLOYEE else ["employee_id", "plan_id"]
    fields = [f.name for f in spec.fields if f.kind not in ("points", "rates")]
    if spec is KPI:
        fields.insert(fields.index("category") + 1, "pressure")
    return keys + fields + list(SOURCE_COLUMNS)


def combine(spec: EntitySpec, records: list[dict[str, Any]],
            tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One raw object frame from YAML records and table frames of the same entity."""
    columns = [*frame_columns(spec), "src_fields"]
    columns += [f.name for f in spec.fields if f.kind in ("points", "rates")]
    parts = [_records_frame(records, columns)] if records else []
    parts += [_table_frame(t, columns) for t in tables]
    if not parts:
        return pd.DataFrame(columns=columns, dtype=object)
    return _concat(parts) if len(parts) > 1 else parts[0]


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of one entity one after the other. A column coded in every part (a table's
    column, see ``tables``) stays coded; one coded only in some is made objects with None
    for a missing cell, as pandas' own concatenation would leave NaN there."""
    columns = list(parts[0].columns)
    coded = [c for c in columns if all(isinstance(p[c].dtype, pd.CategoricalDtype)
                                       for p in parts)]
    plain = [p.drop(columns=coded).assign(**{
        c: pd.Series(p[c].array.to_numpy(dtype=object, na_value=None), dtype=object,
                     index=p.index)
        for c in p.columns if c not in coded and isinstance(p[c].dtype, pd.CategoricalDtype)})
        for p in parts]
    frame = pd.concat(plain, ignore_index=True)
    for c in coded:
        frame[c] = union_categoricals([p[c].array for p in parts])
    return frame[columns]


def _records_frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """The records' values as YAML gave them, a column of objects per field, with None for
    a key left out (and for a NaN, as a missing value). As objects: pandas would type each
    column first, and a column of whole numbers with a key left out somewhere came back as
    floats (an owner of 4501 as 4501.0, a long number short of digits), one of dates and
    times as pandas Timestamps. pandas takes the records in its own code, no Python per
    cell: 2.5 times as fast as building a column at a time (60,000 records of 40 fields:
    0.18 s against 0.44 s), with the same values."""
    frame = pd.DataFrame(records, columns=columns, dtype=object)
    return frame.where(frame.notna(), None)


def _table_frame(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Table frames already hold object (or categorical) columns with None for an empty
    cell (``tables``), so only the columns a table lacks are added, all None: no pass over
    every cell."""
    absent = pd.Series(np.full(len(table), None, dtype=object), dtype=object, copy=False)
    return pd.DataFrame({c: table[c].reset_index(drop=True) if c in table else absent
                         for c in columns}, index=range(len(table)), copy=False)


def type_frame(spec: EntitySpec, raw: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Type every field of an entity; bad cells become missing and are reported."""
    out = pd.DataFrame(index=raw.index)
    bad_cells = []
    for key in frame_columns(spec)[: len(key_columns(spec)) + (spec is EMPLOYEE)]:
        ids = parse_column("str", raw[key], _ID_FIELD)
        out[key] = ids.values
        if key != "plan_id" or spec is PLAN:  # a child's plan id comes from its plan
            if ids.bad.any() or ids.warned is not None:
                bad_cells.append((_ID_FIELD, raw[key], ids))
        elif ids.bad.any():  # reported with its plan; kept as text to name the plan
            out[key] = _ids(raw[key])
    for spec_field in spec.fields:
        if spec_field.kind in ("points", "rates"):
            continue
        column = raw[spec_field.name]
        parsed = parse_column(spec_field.kind, column, spec_field)
        if parsed.bad.any() or parsed.warned is not None:
            bad_cells.append((spec_field, column, parsed))
        values = parsed.values
        if spec_field.default is not None:
            values = with_default(values, column.isna().to_numpy(), spec_field.default)
        out[spec_field.name] = values
    if spec is KPI:
        out.insert(cast(int, out.columns.get_loc("category")) + 1, "pressure",
                   out["category"].map(PRESSURE_OF_CATEGORY).astype(object))
    for name in (*SOURCE_COLUMNS, "src_fields"):
        out[name] = _file_names(raw[name]) if name in ("src_file", "src_sheet") else \
            raw[name].to_numpy()
    out["src_line"] = out["src_line"].astype("int64")
    out["src_col"] = out["src_col"].astype("int64")
    if spec in CHILDREN:
        out[spec.key] = default_child_ids(spec, out)
    if spec is PLAN:
        out["plan_id"] = _name_unnamed_plans(out, problems)
    # Reported once ids are known, so that a component without an id is named as
    # "component 'fcr'" here as in every later message.
    for spec_field, column, parsed in bad_cells:
        problems.extend(report_cells(out, column, np.flatnonzero(parsed.bad), spec_field.name,
                                     spec.label, spec.key, parsed.expected, "invalid-value",
                                     parsed.hints))
        # a KPI is looked up in the catalog, whose "unknown KPI" says it is an error value
        if parsed.warned is not None and spec_field.name != "kpi":
            problems.extend(report_spreadsheet_errors(out, column, np.flatnonzero(
                parsed.warned), spec_field.name, spec.label, spec.key))
    return out


def _file_names(column: pd.Series) -> Any:
    """pandas' "str" dtype, which it infers for a column of file names: built from the
    few distinct names (a table's are coded already), as converting every cell to Arrow
    one by one costs far more."""
    if isinstance(column.dtype, pd.CategoricalDtype) and len(column) and \
            column.cat.codes.min() >= 0:
        return pd.array(column.cat.categories.to_numpy(dtype=object), dtype="str").take(
            column.cat.codes.to_numpy())
    names = column.to_numpy()
    if len(names) == 0 or pd.api.types.infer_dtype(names, skipna=False) != "string":
        return names  # left to pandas' own inference
    codes, distinct = pd.factorize(names)
    return pd.array(distinct.astype(object), dtype="str").take(codes)


#: How an id column is named in messages: as it is written in YAML and in tables.
_ID_FIELD = FieldSpec("id", "str")


def _name_unnamed_plans(plans: pd.DataFrame, problems: list[Problem]) -> pd.Series:
    """A table row without a plan id is invalid; it is named by where it is so that it can
    be reported and counted (YAML plans get the same stand-in in ``documents``)."""
    missing = plans["plan_id"].isna().to_numpy()
    if not missing.any():
        return plans["plan_id"]
    ids = as_objects(plans["plan_id"]).copy()  # a coded column takes no new text
    rows = Rows(plans, np.flatnonzero(missing))
    names = []
    for i in range(len(rows)):
        where = rows.location(i, None)
        names.append(stand_in_id(str(Location(where.file, where.sheet, where.line))))
        problems.append(Problem(where, NO_ID, "missing-field", names[-1], field="plan_id"))
    ids.iloc[rows.at] = names
    return ids


def _ids(raw: pd.Series) -> pd.Series:
    raw = raw.astype(object)  # a categorical takes no new (stripped) value
    present = raw.notna()
    text = raw.where(~present, raw.astype(str).str.strip())
    return text.where(text != "", None).astype(object)


def default_child_ids(spec: EntitySpec, typed: pd.DataFrame) -> pd.Series:
    """Ids for children written without one: ``kpi`` (or name; kpi-action for consequences),
    then ``-2``, ``-3`` for repeats within the plan, in the order written."""
    given = typed[spec.key]
    missing = given.isna()
    if not missing.any():
        return given
    given = as_objects(given)  # a coded column takes no new text
    base = as_objects(typed[spec.default_id[0]]).astype(object)
    for extra in spec.default_id[1:]:
        # A part that is missing (an action that could not be read) is left out.
        base = base.str.cat(as_objects(typed[extra]).astype(object), sep="-").fillna(base)
    derived = base.where(missing, given).fillna(spec.label)
    seq = derived.groupby([typed["plan_id"], derived], sort=False).cumcount()
    derived = derived.where(seq == 0, derived + "-" + (seq + 1).astype(str))
    return given.where(~missing, derived)


def normalise(records: dict[str, list[dict[str, Any]]],
              tables: dict[str, list[pd.DataFrame]]) -> Normalised:
    """Typed, sorted frames for every entity (empty frames where there was nothing)."""
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    raw_components = None
    for name, spec in ENTITIES.items():
        raw = combine(spec, records.get(name, []), tables.get(name, []))
        typed = type_frame(spec, raw, problems)
        if spec.name == "components":
            raw_components = raw
            typed["_order"] = np.arange(len(typed))
        frames[name] = typed
    assert raw_components is not None
    frames["curve_points"], frames["rates"] = build_points(raw_components,
                                                           frames["components"], problems)
    return Normalised({name: sort_frame(name, frame) for name, frame in frames.items()},
                      problems)


def sort_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Plans by id; children by plan, then in the order written; KPIs by id."""
    order = {"curve_points": ["plan_id", "component_id", "seq"],
             "rates": ["plan_id", "component_id", "product"]}.get(name)
    frame = frame.drop(columns=[c for c in ("_order",) if c in frame])
    if order is not None:
        frame = frame.sort_values(order, kind="stable", na_position="last")
        return frame.reset_index(drop=True)
    # One key: a stable sort keeps children in the order they were written within their
    # plan. Sorted by the rank of each distinct id, an integer, not by comparing texts.
    key = {"plans": "plan_id", "kpis": "kpi_id", "employees": "employee_id"}.get(name,
                                                                                 "plan_id")
    if isinstance(frame[key].dtype, pd.CategoricalDtype):  # a table's: coded already
        categories = frame[key].cat.categories.to_numpy(dtype=object)
        ranks = np.empty(len(categories) + 1, dtype=np.int64)
        ranks[np.argsort(categories, kind="stable")] = np.arange(len(categories))
        ranks[-1] = len(categories)  # a missing id (code -1) sorts last
        codes = ranks[frame[key].cat.codes.to_numpy()]
    elif not frame[key].hasnans and frame[key].is_monotonic_increasing:
        return frame.reset_index(drop=True)  # in order already (exports mostly are by id)
    else:
        codes, uniques = pd.factorize(frame[key].to_numpy(dtype=object), sort=True)
        codes[codes < 0] = len(uniques)  # a missing id sorts last
    if (codes[1:] >= codes[:-1]).all():
        return frame.reset_index(drop=True)
    return frame.take(np.argsort(codes, kind="stable")).reset_index(drop=True)
