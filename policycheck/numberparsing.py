"""Typing numbers: amounts, whole numbers, shares of pay and component weights.

The parsers of the number kinds of ``model.FieldSpec`` (``num``, ``int``, ``share``,
``weight``), listed with the others in ``parsing.PARSERS``. A number is a number or numeric
text, finite and at most ``LARGEST`` either side of zero; a bool, a date or ``NaN`` is
refused, never coerced, and ``numberhints`` says how to write one formatted for reading
(``32,000``, an amount ``32.000`` from a spreadsheet whose decimal mark is a comma, text
``32_000``). A share is a fraction between 0 and 1 or a percent (``50%``), and one past 1
written without its sign is offered as a percent only where one is likely meant
(``PERCENT_LIKELY``); a weight is a share held as basis points. ``LARGEST`` and ``bounded``
serve the KPI actuals of ``analyze`` too.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from policycheck.errors import number_text
from policycheck.model import BASIS_POINTS, FieldSpec
from policycheck.numberhints import DOT_GROUPED, dot_grouped_hint, number_hints
from policycheck.parsedcolumn import Parsed, cell_types, class_array, present_cells


def _numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Floats from numbers and numeric text; bools, dates and other types are bad."""
    present = present_cells(raw)
    kinds = cell_types(raw)
    wrong_type = np.isin(kinds, class_array(bool, dict, list, dt.date, dt.datetime, pd.Timestamp))
    source = raw.where(~wrong_type, None)
    numbers = pd.to_numeric(source, errors="coerce").astype("float64")
    floats = kinds == float
    if floats.any():  # as they are: among whole numbers, to_numeric makes -0.0 a 0
        numbers[floats] = raw[floats].to_numpy(dtype=np.float64)
    finite = np.isfinite(numbers.to_numpy())
    bad = present & (wrong_type | ~finite)
    return numbers.where(~bad & present, np.nan), bad


#: The largest number a field holds, either side of zero: past it a float no longer holds
#: every whole number, Int64 would overflow, and pay times headcount overflowed a float
#: (1e300 of base pay made the report's exposure infinite, with a numpy warning).
LARGEST = 2**53


LARGEST_HINT = f"; at most {LARGEST:,}"


def bounded(values: pd.Series, bad: np.ndarray, hints: pd.Series) -> np.ndarray:
    """``bad`` with the numbers past ``LARGEST`` too, each given ``LARGEST_HINT`` where no
    other hint says why it is bad (infinity has its own)."""
    huge = values.abs().gt(LARGEST).to_numpy()
    hints[huge & ~bad] = LARGEST_HINT
    return bad | huge


def parse_num(raw: pd.Series, spec: FieldSpec) -> Parsed:
    values, bad = _numbers(raw)
    hints = number_hints(raw, bad, percent_as=spec.percent)
    bad = bounded(values, bad, hints)
    if spec.amount:
        bad = _dot_grouped(raw, bad, hints)
    return Parsed(values.where(~bad, np.nan), bad, "a number", hints)


def _dot_grouped(raw: pd.Series, bad: np.ndarray, hints: pd.Series) -> np.ndarray:
    """``bad`` with the amounts written in groups of three digits after dots (``32.000``),
    each given ``dot_grouped_hint``: read as a number they are a thousand times less than
    the export of a spreadsheet where the decimal mark is a comma meant."""
    grouped = (cell_types(raw) == str) & raw.astype(str).str.strip().str.fullmatch(
        DOT_GROUPED).fillna(False).to_numpy(dtype=bool) & ~bad
    for row in np.flatnonzero(grouped).tolist():
        hints.iat[row] = dot_grouped_hint(str(raw.iat[row]).strip())
    return bad | grouped


def parse_int(raw: pd.Series, spec: FieldSpec) -> Parsed:
    values, bad = _numbers(raw)
    fractional = values.notna().to_numpy() & (values.to_numpy() % 1 != 0)
    hints = number_hints(raw, bad)
    bad = bounded(values, bad, hints) | fractional
    return Parsed(values.where(~bad, np.nan).round().astype("Int64"), bad, "a whole number",
                  hints)


def _share_numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Fractions from ``0.5`` or ``"50%"``; also returns which cells were written as percents."""
    kinds = cell_types(raw)
    is_str = kinds == str
    text = raw.where(is_str, None).astype(object)
    stripped = text.str.strip()
    percent = stripped.str.endswith("%").fillna(False).to_numpy(dtype=bool)
    # one sign: '60%%' is no percent (rstrip took every sign, and read it as 60 %)
    as_number = raw.where(~percent, stripped.str.removesuffix("%").str.strip())
    values, bad = _numbers(as_number)
    values = values.where(~percent, values / 100.0)
    return values, bad, percent


#: The numbers past 1 that a share (a weight) written without its percent sign most likely
#: means as a percent: ``60`` is '60%' and ``12.5`` '12.5%'. Below them a number is more
#: likely a multiple (``1.5`` for 150%) or a slip (for 15%) than a percent; past them it is
#: no share as a percent either.
PERCENT_LIKELY = (2, 100)


def _over_one_hints(values: pd.Series, over: np.ndarray, hints: pd.Series) -> None:
    """``hints`` of the shares past 1 written without a percent sign (``over``): "did you
    mean" the percent where it is ``PERCENT_LIKELY`` (``60``: '60%'); below it what the
    number is as a fraction (``1.5`` is 150%); past it none, the range expected says it."""
    low, high = PERCENT_LIKELY
    percent = over & values.between(low, high).to_numpy()
    hints[percent] = values[percent].map(lambda v: f"; did you mean '{number_text(v)}%'?")
    multiple = over & (values < low).to_numpy()
    hints[multiple] = values[multiple].map(
        lambda v: f"; {number_text(v)} is {number_text(v * 100)}%, more than 100%")


def parse_share(raw: pd.Series, spec: FieldSpec) -> Parsed:
    """A share of pay held as a fraction (``deferral.share``)."""
    values, bad, percent = _share_numbers(raw)
    over = (values > 1).to_numpy() & ~percent
    hints = number_hints(raw, bad, percent=True)
    _over_one_hints(values, over, hints)
    out_of_range = (values < 0).to_numpy() | (values > 1).to_numpy()
    bad = bad | out_of_range
    return Parsed(values.where(~bad, np.nan), bad,
                  "a fraction between 0 and 1 or a percent like '50%'", hints)


def parse_weight(raw: pd.Series, spec: FieldSpec) -> Parsed:
    """A component weight, held as integer basis points (``"50%"`` and ``0.5`` → 5000)."""
    shares = parse_share(raw, spec)
    points = (shares.values * BASIS_POINTS).round().astype("Int64")
    return Parsed(points, shares.bad, shares.expected, shares.hints)
