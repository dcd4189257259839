"""The problems of typed KPI actuals, each said at its row (a CSV file's line, a sheet's row):
a value missing or not a number, an unknown plan or KPI, a period that does not parse, a
row given twice. Every check works on whole columns or on the distinct values of a
categorical, never row by row: the actuals may hold millions of rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from policycheck.analyze.reading import UNIT_COLUMNS, Table
from policycheck.codes import rows_by_code
from policycheck.errors import Location, Problem, Suggestions, quote
from policycheck.model import DATA_SOURCES
from policycheck.numberhints import number_hints, spreadsheet_error_hint, written_date_hint
from policycheck.numberparsing import bounded

#: Rows listed per kind of problem; the rest are counted in one more problem.
ROWS_SHOWN = 20
#: What pandera checks of the typed cells; a missing or unreadable one is said before.
SCHEMA = pa.DataFrameSchema({
    "plan_id": pa.Column(nullable=True), "period": pa.Column(nullable=True),
    "kpi": pa.Column(nullable=True), "value": pa.Column(float, nullable=True),
    "sample_size": pa.Column(float, pa.Check.ge(0), nullable=True, required=False),
    "source": pa.Column(checks=pa.Check.isin(list(DATA_SOURCES)), nullable=True,
                        required=False),
}, strict=False, name="kpi_actuals")
#: A formula's text where its value was expected: the workbook holds no value for it.
FORMULA_HINT = ("; it is a formula with no value saved (the workbook was written by a "
                "program that does not calculate): open and save it in a spreadsheet program")


@dataclass
class Found:
    """The problems found so far, and how many there are: the rows of a kind past the
    first ROWS_SHOWN are one problem that counts them."""

    problems: list[Problem]
    count: int = field(init=False)

    def __post_init__(self) -> None:
        self.count = len(self.problems)

    @property
    def errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.count += 1

    def rows(self, rows: np.ndarray, values: list[Any] | None, table: Table, field: str,
             text: str, code: str, ends: list[str] | None = None) -> None:
        """A problem per bad row (``rows``: positions, in order), the first ROWS_SHOWN of them
        with their ``values`` (and, with ``ends``, a hint after each), then one that counts
        the rest."""
        if values is None:
            values = [None] * min(len(rows), ROWS_SHOWN)
        ends = ends or [""] * len(values)
        where = table.where
        self.problems += [
            Problem(Location(where.file, where.sheet, int(line)),
                    text.format(value=quote(value)) + end, code, field=field)
            for line, value, end in zip(table.lines[rows[:ROWS_SHOWN]].tolist(), values, ends,
                                        strict=True)]
        if len(rows) > ROWS_SHOWN:
            self.problems.append(Problem(where, f"{len(rows) - ROWS_SHOWN:,} more rows: "
                                         + text.format(value="…"), code, field=field))
        self.count += len(rows)

    def summary(self, file: str) -> str:
        shown = len(self.problems)
        counted = (f"{self.count:,} problem{'s' * (self.count != 1)} above"
                   if self.count == shown else
                   f"{self.count:,} problems; the first {ROWS_SHOWN} of each kind above")
        return f"{file}: the KPI actuals are invalid ({counted})"


def _mask_rows(mask: np.ndarray, frame: pd.DataFrame, column: str, table: Table, found: Found,
               text: str, code: str, shown: str = "") -> None:
    """``Found.rows`` of the rows of ``mask``, with their cells of ``shown`` (default:
    ``column``)."""
    rows = np.flatnonzero(mask)
    found.rows(rows, frame[shown or column].take(rows[:ROWS_SHOWN]).tolist(), table, column,
               text, code)


def value_problems(frame: pd.DataFrame, table: Table, found: Found) -> None:
    """Cells missing where a row needs them, numbers that are none, and what pandera checks
    (sample sizes of at least 0, known sources)."""
    units = [c for c in UNIT_COLUMNS if c in table.cells]
    _mask_rows(frame["unit"].isna().to_numpy(), frame, "unit", table, found,
               f"{' or '.join(units)} is required", "missing-field")
    for name in ("plan_id", "period", "kpi"):
        _mask_rows(frame[name].isna().to_numpy(), frame, name, table, found,
                   f"{name} is required", "missing-field")
    _number_problems(frame, "value", table, found, "expected a number", required=True)
    if "sample_size" in frame:
        _number_problems(frame, "sample_size", table, found,
                         "expected a count of at least 0", required=False)
    try:
        # in place: the schema coerces nothing, so pandera's copy would be one for nothing
        SCHEMA.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.dropna(subset=["index"])
        for column, group in cases.groupby("column", sort=True):
            mask = np.zeros(len(frame), dtype=bool)
            mask[group["index"].astype(int).to_numpy()] = True
            name = str(column)
            _mask_rows(mask, frame, name, table, found,
                       f"{name}: got {{value}}, {_expected(name)}", "out-of-range",
                       f"{name}_text" if f"{name}_text" in frame else name)


def _number_problems(frame: pd.DataFrame, name: str, table: Table, found: Found,
                     expected: str, required: bool) -> None:
    """A number column's cells that are missing (if ``required``; a cell of spaces is
    missing) or that hold text that is no number (with a hint at what it is)."""
    text = frame[f"{name}_text"]
    unread = np.flatnonzero(frame[name].isna().to_numpy() & text.notna().to_numpy())
    spaces = text.take(unread).astype(str).str.strip().eq("").to_numpy()
    if required:
        missing = text.isna().to_numpy().copy()
        missing[unread[spaces]] = True
        found.rows(np.flatnonzero(missing), None, table, name, f"{name} is required",
                   "missing-field")
    bad = unread[~spaces]
    values = text.take(bad[:ROWS_SHOWN])
    ends = number_hints(values, np.ones(len(values), dtype=bool))
    # past the bound, where no hint says more (infinity has its own), as in a plan's cells
    bounded(pd.to_numeric(values, errors="coerce"), ends.ne("").to_numpy(), ends)
    found.rows(bad, values.tolist(), table, name,
               f"{name} {{value}} is not a number: {expected}", "bad-value",
               [end or spreadsheet_error_hint(value) or _formula_hint(value)
                for end, value in zip(ends, values, strict=True)])


def _formula_hint(value: object) -> str:
    return FORMULA_HINT if isinstance(value, str) and value.startswith("=") else ""


def _expected(column: str) -> str:
    if column == "source":
        return "expected one of " + ", ".join(DATA_SOURCES)
    if column == "sample_size":
        return "expected a count of at least 0"
    return "expected a value"


def cross_problems(frame: pd.DataFrame, plan_ids: pd.Series, kpis: pd.DataFrame,
                   table: Table, found: Found) -> None:
    """Unknown plans and KPIs (with the closest id), periods that do not parse, and rows
    given twice."""
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
            found.rows(order[start:end], [name] * min(end - start, ROWS_SHOWN), table,
                       column, f"unknown {label} {{value}}{suggest(name)}",
                       f"unknown-{label.lower()}")
    period_problems(frame, table, found)
    keys = ["unit", "plan_id", "period", "kpi"] + (["source"] if "source" in frame else [])
    # a row missing a key was said to be; it is no second row of another
    whole = frame[keys[:4]].notna().all(axis=1).to_numpy()
    duplicated = frame.duplicated(keys, keep="first").to_numpy() & whole
    _mask_rows(duplicated, frame, "kpi", table, found,
               f"duplicate row: this {unit_noun(frame['unit_kind'])}, plan, period and KPI "
               "({value}) is given twice; expected one value", "duplicate-row")


def unit_noun(kinds: pd.Series, plural: bool = False) -> str:
    """Who the rows' values belong to: people, teams, or either (a table with both
    columns)."""
    codes = kinds.cat.codes.to_numpy()
    nouns = ("people", "teams") if plural else ("person", "team")
    present = [noun for code, noun in enumerate(nouns) if (codes == code).any()]
    return " or ".join(present or nouns[:1])


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


def period_problems(frame: pd.DataFrame, table: Table, found: Found) -> None:
    bad = [c for c in frame["period"].cat.categories if parse_period(str(c)) is None]
    rows = np.flatnonzero(frame["period"].isin(bad).to_numpy())
    values = frame["period"].take(rows[:ROWS_SHOWN]).tolist()
    found.rows(rows, values, table, "period",
               "period {value} does not parse: expected e.g. 2027-01, 2027-Q1, 2027 or "
               "a day written YYYY-MM-DD", "bad-period",
               [written_date_hint(str(value)) for value in values])
