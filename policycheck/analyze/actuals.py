"""Reading and validating ``kpi_actuals``: one observed KPI value per person (or team),
plan, period and KPI (SPEC 3.4, section 9).

Columns: ``employee_id`` or ``team_id``, ``plan_id``, ``period``, ``kpi``, ``value``; optional
``sample_size`` (survey returns behind the value) and ``source`` (a KPI data source, e.g.
``independent_survey`` beside the agent-triggered scores). CSV, Parquet (needs pyarrow: the
``parquet`` extra) and .xlsx (a ``kpi_actuals`` sheet). Text columns are held as
categoricals, so 10 million rows cost a few hundred MB; every check works on the category
codes, never row by row. Problems name their rows; any error stops the analysis (exit 2).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pandera.pandas as pa

from policycheck.codes import rows_by_code
from policycheck.errors import InputError, Location, Problem, UsageError, display_path, quote
from policycheck.model import DATA_SOURCES
from policycheck.numberhints import number_hints, spreadsheet_error_hint, written_date_hint
from policycheck.parsing import LARGEST, bounded
from policycheck.tables import column_key, separator
from policycheck.yamlsource import decode

UNIT_COLUMNS = ("employee_id", "team_id")
REQUIRED = ("plan_id", "period", "kpi", "value")
OPTIONAL = ("sample_size", "source")
TEXT = (*UNIT_COLUMNS, "plan_id", "period", "kpi", "source")
#: Rows listed per kind of problem; the rest are counted in one more problem.
ROWS_SHOWN = 20
SCHEMA = pa.DataFrameSchema({
    "plan_id": pa.Column(nullable=False), "period": pa.Column(nullable=False),
    "kpi": pa.Column(nullable=False), "value": pa.Column(float, nullable=False),
    "sample_size": pa.Column(float, pa.Check.ge(0), nullable=True, required=False),
    "source": pa.Column(checks=pa.Check.isin(list(DATA_SOURCES)), nullable=True,
                        required=False),
}, strict=False, name="kpi_actuals")


def read_table(path: Path) -> tuple[pd.DataFrame, str, int]:
    """The raw table, the sheet it came from, and the line of its first data row."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path), "", 1
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        raise UsageError(f"{path}: expected a .csv, .parquet or .xlsx file of KPI actuals")
    from python_calamine import CalamineError

    try:
        if suffix == ".csv":
            return _read_csv(path), "", 2
        # calamine, as for the plans' workbooks (``policycheck.workbooks``): the values a
        # formula last gave, as pandas' openpyxl reader gives them too, three times as fast
        return (pd.read_excel(path, sheet_name="kpi_actuals", dtype=object, engine="calamine"),
                "kpi_actuals", 2)
    except (ValueError, UnicodeDecodeError, OSError, pd.errors.ParserError,
            CalamineError) as exc:
        # a missing sheet, a broken workbook, text that is not UTF-8 CSV
        raise InputError(f"{path}: cannot read the KPI actuals: {str(exc).strip()}; expected "
                         "a UTF-8 CSV file or a workbook with a 'kpi_actuals' sheet") from None


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV export of actuals read as the plans' tables are: UTF-8 or UTF-16 with its
    mark, or the encoding named (``--encoding``), a byte that is none said with its line;
    cells separated as its header line says (commas, semicolons or tabs); every cell text,
    only an empty one missing. A UTF-8 file is parsed from the file, not from its text:
    the text of 2 million rows (120 MB) doubled the peak memory."""
    options: dict[str, Any] = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    with path.open("rb") as stream:
        header = stream.readline(1 << 16).decode("latin-1")  # separators are ASCII
    try:
        return pd.read_csv(path, sep=separator(header), encoding="utf-8-sig", **options)
    except UnicodeDecodeError:  # another encoding: said as for the plans' tables, or named
        shown = display_path(path)
        problems: list[Problem] = []
        text = decode(path.read_bytes(), shown, problems, table=True)
        if text is None:
            raise InputError(f"{shown}: cannot read the KPI actuals", problems) from None
        return pd.read_csv(io.StringIO(text), sep=separator(text), **options)


def parquet_module() -> Any:
    """``pyarrow.parquet``; imported here, so only Parquet users need pyarrow."""
    import pyarrow.parquet

    return pyarrow.parquet


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        pq = parquet_module()
    except ImportError:
        raise UsageError(f"{path}: reading Parquet needs pyarrow; install the extra: "
                         "pip install 'policycheck[parquet]'") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise InputError(f"{path}: cannot read as Parquet: {exc}") from None
    return table.to_pandas()


def load_actuals(path: str | Path, plans: pd.DataFrame, kpis: pd.DataFrame,
                 skipped_plans: tuple[str, ...] = ()) -> pd.DataFrame:
    """The typed, validated actuals; ``InputError`` listing every problem otherwise.
    Rows of ``skipped_plans`` (invalid plans, reported by validation) are left out."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--actuals {path}: no such file")
    raw, sheet, first = read_table(path)
    raw.columns = [column_key(str(c)) for c in raw.columns]
    where = Location(display_path(path), sheet)
    frame = _typed(raw, where)
    problems = _schema_problems(frame, where, first)
    known = pd.concat([plans["plan_id"].astype(str), pd.Series(skipped_plans, dtype=str)])
    problems += _cross_problems(frame, known, kpis, where, first)
    if problems:
        raise InputError(f"{display_path(path)}: the KPI actuals are invalid ({len(problems)} "
                         f"problem{'s' * (len(problems) != 1)} above)", problems)
    return _coded(frame, plans)


def _typed(raw: pd.DataFrame, where: Location) -> pd.DataFrame:
    units = [c for c in UNIT_COLUMNS if c in raw]
    missing = [c for c in REQUIRED if c not in raw] + ([] if units else ["employee_id"])
    if missing:
        raise InputError(f"{where.file}: the kpi_actuals table has no "
                         f"{', '.join(quote(m) for m in missing)} column; expected "
                         "employee_id or team_id, plan_id, period, kpi, value")
    out = pd.DataFrame(index=raw.index)
    unit = raw[units[0]] if len(units) == 1 else raw[units[0]].fillna(raw[units[1]])
    out["unit"] = categorical(unit)
    out["unit_kind"] = units[0] if len(units) == 1 else "employee_id"
    for name in ("plan_id", "period", "kpi", "source"):
        if name in raw:
            out[name] = categorical(raw[name])
    out["value_text"] = raw["value"]
    value = pd.to_numeric(raw["value"], errors="coerce").astype("float64")
    # inf, as NaN, is no measurement; past LARGEST, as in a plan's number fields
    out["value"] = value.where(np.isfinite(value) & value.abs().le(LARGEST))
    if "sample_size" in raw:
        out["sample_size"] = pd.to_numeric(raw["sample_size"], errors="coerce")
        out["sample_size"] = out["sample_size"].astype("float64")
    return out


def categorical(values: pd.Series) -> pd.Series:
    """Text as a categorical with stripped categories. The strip works on the categories,
    not the rows: Parquet dictionary columns arrive as categoricals already."""
    cat = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    names = pd.Index(cat.cat.categories.astype(str)).str.strip()
    codes, uniques = pd.factorize(names)
    old = cat.cat.codes.to_numpy()
    new = np.where(old < 0, -1, codes[np.maximum(old, 0)]) if len(codes) else old
    empty = uniques == ""
    new = np.where(np.isin(new, np.flatnonzero(empty)), -1, new)
    return pd.Series(pd.Categorical.from_codes(new, categories=pd.Index(uniques, dtype=object)),
                     index=values.index)


def _rows(mask: np.ndarray, frame: pd.DataFrame, where: Location, first: int, field: str,
          text: str, code: str) -> list[Problem]:
    """One problem per bad row (the first ROWS_SHOWN), then one that counts the rest."""
    rows = np.flatnonzero(mask)
    shown = rows[:ROWS_SHOWN]
    values = frame[field].take(shown).tolist() if field in frame else [None] * len(shown)
    return _rows_at(rows, values, where, first, field, text, code)


def _rows_at(rows: np.ndarray, values: list[Any], where: Location, first: int, field: str,
             text: str, code: str, ends: list[str] | None = None) -> list[Problem]:
    """``_rows`` of the bad ``rows`` (positions, in order), the first ROWS_SHOWN of them
    with their ``values`` (and, with ``ends``, a hint after each)."""
    ends = ends or [""] * len(values)
    out = [Problem(Location(where.file, where.sheet, row + first),
                   text.format(value=quote(value)) + end, code, field=field)
           for row, value, end in zip(rows[:ROWS_SHOWN].tolist(), values, ends, strict=True)]
    if len(rows) > ROWS_SHOWN:
        out.append(Problem(where, f"{len(rows) - ROWS_SHOWN:,} more rows: "
                           + text.format(value="…"), code, field=field))
    return out


def _schema_problems(frame: pd.DataFrame, where: Location, first: int) -> list[Problem]:
    bad = np.flatnonzero(frame["value"].isna().to_numpy()
                         & frame["value_text"].notna().to_numpy())
    values = frame["value_text"].take(bad[:ROWS_SHOWN])
    ends = number_hints(values, np.ones(len(values), dtype=bool))
    # past the bound, where no hint says more (infinity has its own), as in a plan's cells
    bounded(pd.to_numeric(values, errors="coerce"), ends.ne("").to_numpy(), ends)
    problems = _rows_at(bad, values.tolist(), where, first, "value_text",
                        "value {value} is not a number: expected a number", "bad-value",
                        [end or spreadsheet_error_hint(value)
                         for end, value in zip(ends, values, strict=True)])
    problems += _rows(frame["unit"].isna().to_numpy(), frame, where, first, "unit",
                      "employee_id or team_id is required", "missing-field")
    checked = frame.drop(columns=["value_text", "unit", "unit_kind"])
    checked = checked.assign(value=frame["value"].fillna(0.0))  # reported above
    try:
        SCHEMA.validate(checked, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.dropna(subset=["index"])
        for column, group in cases.groupby("column", sort=True):
            mask = np.zeros(len(frame), dtype=bool)
            mask[group["index"].astype(int).to_numpy()] = True
            problems += _rows(mask, frame, where, first, str(column),
                              f"{column}: got {{value}}, {_expected(str(column))}",
                              "out-of-range")
    return problems


def _expected(column: str) -> str:
    if column == "source":
        return "expected one of " + ", ".join(DATA_SOURCES)
    if column == "sample_size":
        return "expected a count of at least 0"
    return "expected a value"


def _cross_problems(frame: pd.DataFrame, plan_ids: pd.Series, kpis: pd.DataFrame,
                    where: Location, first: int) -> list[Problem]:
    from policycheck.errors import Suggestions

    problems: list[Problem] = []
    for column, known, label in (("plan_id", plan_ids, "plan"),
                                 ("kpi", kpis["kpi_id"], "KPI")):
        names = set(known.astype(str))
        suggest = Suggestions(names)
        categories = frame[column].cat.categories.tolist()
        bad = np.array([i for i, c in enumerate(categories) if c not in names], dtype=np.int64)
        # each unknown name's rows, in order, from one sort of the codes (not a pass over
        # every row per name: thousands of unknown plans would take minutes)
        order, bounds = rows_by_code(frame[column].cat.codes.to_numpy(), len(categories))
        for index in bad.tolist():
            name, start, end = categories[index], bounds[index], bounds[index + 1]
            problems += _rows_at(order[start:end], [name] * min(end - start, ROWS_SHOWN),
                                 where, first, column,
                                 f"unknown {label} {{value}}{suggest(name)}",
                                 f"unknown-{label.lower()}")
    problems += _period_problems(frame, where, first)
    keys = ["unit", "plan_id", "period", "kpi"] + (["source"] if "source" in frame else [])
    duplicated = frame.duplicated(keys, keep="first").to_numpy()
    problems += _rows(duplicated, frame, where, first, "kpi",
                      "duplicate row: this person, plan, period and KPI ({value}) is given "
                      "twice; expected one value", "duplicate-row")
    return problems


#: A period as written in KPI actuals: a year, a quarter, a month or a day (a week by its
#: Monday), year first. pandas' Period reads much more, and not alike: '04/01/2027' as the
#: 1st of April, '18/01/2027' as the 18th of January, so that weeks changed order.
_PERIOD = re.compile(r"\d{4}(?:-?Q[1-4]|-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?")


def parse_period(text: str) -> pd.Period | None:
    text = text.strip()
    if not _PERIOD.fullmatch(text):
        return None
    try:
        return pd.Period(text)
    except (ValueError, TypeError):  # a day past the month's end: 2027-02-30
        return None


def _period_problems(frame: pd.DataFrame, where: Location, first: int) -> list[Problem]:
    bad = [c for c in frame["period"].cat.categories if parse_period(str(c)) is None]
    mask = frame["period"].isin(bad).to_numpy()
    rows = np.flatnonzero(mask)
    values = frame["period"].take(rows[:ROWS_SHOWN]).tolist()
    return _rows_at(rows, values, where, first, "period",
                    "period {value} does not parse: expected e.g. 2027-01, 2027-Q1, 2027 or "
                    "a day written YYYY-MM-DD", "bad-period",
                    [written_date_hint(str(value)) for value in values])


def _coded(frame: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Integer codes for grouping: ``plan_idx`` (the plan's row), ``period_idx`` (the
    period's rank in time)."""
    periods = frame["period"].cat.categories
    # Every period parses: one that does not was reported by _period_problems.
    starts = [cast(pd.Period, parse_period(str(p))) for p in periods]
    order = sorted(range(len(periods)), key=lambda i: (starts[i].start_time, starts[i].end_time))
    rank = np.empty(len(periods), dtype=np.int32)
    rank[order] = np.arange(len(periods), dtype=np.int32)
    frame = frame.drop(columns=["value_text"])
    frame["period_idx"] = rank[frame["period"].cat.codes.to_numpy()]
    codes = pd.Series(np.arange(len(plans)), index=plans["plan_id"].astype(str).to_numpy())
    frame["plan_idx"] = codes.reindex(frame["plan_id"].cat.categories).to_numpy()[
        frame["plan_id"].cat.codes.to_numpy()]
    frame = frame[~np.isnan(frame["plan_idx"].to_numpy(dtype="float64"))]
    frame["plan_idx"] = frame["plan_idx"].astype(np.int64)
    frame["kpi"] = frame["kpi"].cat.remove_unused_categories()
    frame["kpi_code"] = frame["kpi"].cat.codes.astype(np.int32)
    return frame.reset_index(drop=True)
