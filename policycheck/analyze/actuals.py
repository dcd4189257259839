"""Reading and validating ``kpi_actuals``: one observed KPI value per person (or team),
plan, period and KPI (SPEC 3.4, section 9).

Columns: ``employee_id`` or ``team_id``, ``plan_id``, ``period``, ``kpi``, ``value``; optional
``sample_size`` (survey returns behind the value) and ``source`` (a KPI data source, e.g.
``independent_survey`` beside the agent-triggered scores). CSV, Parquet (needs pyarrow: the
``parquet`` extra) and .xlsx (a ``kpi_actuals`` sheet), read by ``reading``. Text columns
are held as categoricals, so 10 million rows cost a few hundred MB; every check works on
the category codes, never row by row (``problems``). Problems name their rows; any error,
and a table with no row, stops the analysis (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from policycheck.analyze.problems import Found, cross_problems, parse_period, value_problems
from policycheck.analyze.reading import UNIT_COLUMNS, Table, read_table
from policycheck.dateparsing import written_day
from policycheck.errors import InputError, Location, Problem, UsageError, display_path, quote
from policycheck.numberparsing import LARGEST


@dataclass(frozen=True)
class Actuals:
    """The typed, coded actuals (``_coded``) and the warnings met reading them."""

    frame: pd.DataFrame
    warnings: tuple[Problem, ...] = ()


def load_actuals(path: str | Path, plans: pd.DataFrame, kpis: pd.DataFrame,
                 skipped_plans: tuple[str, ...] = ()) -> Actuals:
    """The typed, validated actuals; ``InputError`` listing every problem otherwise.
    Rows of ``skipped_plans`` (invalid plans, reported by validation) are left out."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--actuals {path}: no such file")
    table = read_table(path, display_path(path))
    found = Found(list(table.problems))
    if not found.errors:  # without its columns, no row can be read
        frame = _typed(_explained(path, table), table.where)
        value_problems(frame, table, found)
        known = pd.concat([plans["plan_id"].astype(str), pd.Series(skipped_plans, dtype=str)])
        cross_problems(frame, known, kpis, table, found)
        if frame.empty:
            found.add(Problem(Location(table.where.file, table.where.sheet, table.header_row),
                              "no rows below the header: expected a row per person or team, "
                              "plan, period and KPI", "empty-table"))
    if found.errors:
        raise InputError(found.summary(table.where.file), found.problems)
    return Actuals(_coded(frame, plans), tuple(found.problems))


def _explained(path: Path, table: Table) -> pd.DataFrame:
    """The cells, with those of a workbook that calamine gave as empty but hold an error
    value or a formula with no value saved written as they are (``sheets.explained``), so
    that they are said as such, as a CSV file's ``#N/A`` is. The sheet's XML is read only
    where a cell a row needs is empty."""
    cells = table.cells
    if not table.where.sheet:
        return cells
    units = [f for f in UNIT_COLUMNS if f in cells]
    no_unit = cells[units].isna().all(axis=1).to_numpy()
    empty = {f: np.flatnonzero(no_unit if f in units else cells[f].isna().to_numpy())
             for f in (*units, "plan_id", "period", "kpi", "value")}
    if not any(len(rows) for rows in empty.values()):
        return cells
    from policycheck.analyze.sheets import explained

    texts = explained(path, table.where.sheet, {
        table.columns[field]: table.lines[rows] for field, rows in empty.items() if len(rows)})
    cells = cells.copy()
    for field in empty:
        given = texts.get(table.columns[field])
        if given is not None:
            column = cells[field].to_numpy(dtype=object, copy=True)
            column[np.searchsorted(table.lines, given.index.to_numpy())] = given.to_numpy()
            cells[field] = column
    return cells


def _typed(raw: pd.DataFrame, where: Location) -> pd.DataFrame:
    units = [c for c in UNIT_COLUMNS if c in raw]
    missing = [c for c in ("plan_id", "period", "kpi", "value") if c not in raw]
    if missing or not units:
        raise InputError(f"{where.file}: the kpi_actuals table has no "
                         f"{', '.join(quote(m) for m in missing or ['employee_id'])} column")
    out = pd.DataFrame(index=raw.index)
    unit = raw[units[0]] if len(units) == 1 else raw[units[0]].fillna(raw[units[1]])
    out["unit"] = categorical(unit)
    kinds = (np.full(len(raw), UNIT_COLUMNS.index(units[0]), dtype=np.int8) if len(units) == 1
             else np.where(raw[units[0]].notna().to_numpy(), 0, 1).astype(np.int8))
    out["unit_kind"] = pd.Categorical.from_codes(kinds, categories=pd.Index(UNIT_COLUMNS))
    for name in ("plan_id", "period", "kpi", "source"):
        if name in raw:
            out[name] = categorical(raw[name], _period_texts if name == "period" else None)
    out["value_text"] = raw["value"]
    value = pd.to_numeric(raw["value"], errors="coerce").astype("float64")
    # inf, as NaN, is no measurement; past LARGEST, as in a plan's number fields
    out["value"] = value.where(np.isfinite(value) & value.abs().le(LARGEST))
    if "sample_size" in raw:
        out["sample_size_text"] = raw["sample_size"]
        out["sample_size"] = pd.to_numeric(raw["sample_size"], errors="coerce")
        out["sample_size"] = out["sample_size"].astype("float64")
    return out


def categorical(values: pd.Series,
                texts: Callable[[pd.Index], Sequence[str]] | None = None) -> pd.Series:
    """Text as a categorical with stripped categories (``texts`` writes them; by default
    ``str``). The strip works on the categories, not the rows: Parquet dictionary columns
    arrive as categoricals already."""
    cat = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    written = cat.cat.categories
    names = pd.Index(texts(written) if texts else written.astype(str), dtype=object).str.strip()
    codes, uniques = pd.factorize(names)
    old = cat.cat.codes.to_numpy()
    new = np.where(old < 0, -1, codes[np.maximum(old, 0)]) if len(codes) else old
    empty = uniques == ""
    new = np.where(np.isin(new, np.flatnonzero(empty)), -1, new)
    return pd.Series(pd.Categorical.from_codes(new, categories=pd.Index(uniques, dtype=object)),
                     index=values.index)


def _period_texts(periods: pd.Index) -> list[str]:
    """Each distinct period as text: a date at midnight (a workbook's date cell, an export's
    ``2027-01-04 00:00:00``) as its day, as the plans' tables read a date; a whole number
    (a year in a number cell) without its ``.0``."""
    out = []
    for value in periods:
        day = written_day(value)
        if day is not None:
            out.append(day.isoformat())
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value))
    return out


def _coded(frame: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Integer codes for grouping: ``plan_idx`` (the plan's row), ``period_idx`` (the
    period's rank in time)."""
    periods = frame["period"].cat.categories
    # Every period parses: one that does not was reported (problems.period_problems).
    starts = [cast(pd.Period, parse_period(str(p))) for p in periods]
    order = sorted(range(len(periods)), key=lambda i: (starts[i].start_time, starts[i].end_time))
    rank = np.empty(len(periods), dtype=np.int32)
    rank[order] = np.arange(len(periods), dtype=np.int32)
    frame = frame.drop(columns=["value_text", "sample_size_text"], errors="ignore")
    frame["period_idx"] = rank[frame["period"].cat.codes.to_numpy()]
    codes = pd.Series(np.arange(len(plans)), index=plans["plan_id"].astype(str).to_numpy())
    frame["plan_idx"] = codes.reindex(frame["plan_id"].cat.categories).to_numpy()[
        frame["plan_id"].cat.codes.to_numpy()]
    frame = frame[~np.isnan(frame["plan_idx"].to_numpy(dtype="float64"))]
    frame["plan_idx"] = frame["plan_idx"].astype(np.int64)
    frame["kpi"] = frame["kpi"].cat.remove_unused_categories()
    frame["kpi_code"] = frame["kpi"].cat.codes.astype(np.int32)
    return frame.reset_index(drop=True)
