"""Typing dates: the ``date`` kind of ``model.FieldSpec``, and the day one value holds.

A date is written YYYY-MM-DD, or as a date-time at midnight as spreadsheets and HR systems
export them (``DAY``); a YAML date and a workbook's date cell are read as their day. Dates are
kept from the first to the last of ``DATE_YEARS``, as the rules' dates are: a day past them
(an HR system's 9999-12-31, "no end date") is refused, except where it leaves a period open
on its side (``FieldSpec.period``), where it is no date. ``written_day`` reads one value by
the same rules, for values read one at a time (a waiver's ``expires``, the period of a KPI
actual).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from policycheck.expression.typesystem import DATE_YEARS
from policycheck.model import FieldSpec
from policycheck.numberhints import date_hints
from policycheck.parsedcolumn import Parsed, cell_types, class_array, present_cells

#: A date as a cell holds one: YYYY-MM-DD, or a date-time at midnight, as spreadsheets and
#: HR systems export dates (``2027-01-01 00:00:00``, ``2027-01-01T00:00:00.000Z``, with any
#: offset: the day is the one written, never moved to another time zone). Another time of
#: day is not read as a date: ``2026-12-31 19:00`` may be New Year's Day moved by a zone.
DAY = (r"(\d{4}-\d{2}-\d{2})"
       r"(?:[Tt ]00:00(?::00(?:\.0+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?")
_DAY = re.compile(DAY)
_MIDNIGHT = dt.time()


def written_day(value: Any) -> dt.date | None:
    """The day of one value, by the rules ``parse_date`` types a column with; None if it
    holds no date (a waiver's ``expires``)."""
    if isinstance(value, dt.datetime):
        return value.date() if value.timetz().replace(tzinfo=None) == _MIDNIGHT else None
    if isinstance(value, dt.date):
        return value
    found = _DAY.fullmatch(value.strip()) if isinstance(value, str) else None
    try:
        return dt.date.fromisoformat(found[1]) if found else None
    except ValueError:  # 2027-02-30
        return None


def parse_date(raw: pd.Series, spec: FieldSpec) -> Parsed:
    present = present_cells(raw)
    kinds = cell_types(raw)
    is_str = kinds == str
    text = raw.where(is_str, None)
    parsed = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")
    again = is_str & present & parsed.isna().to_numpy()
    if again.any():  # dates with a time of day (few cells, or a whole export of them)
        days = pd.Series(text[again], dtype="str").str.strip().str.extract(f"^{DAY}$")[0]
        parsed[again] = pd.to_datetime(days, errors="coerce", format="%Y-%m-%d")
    days = parsed.where(is_str, _native_days(raw, kinds))
    # the model keeps nanoseconds, from 1677 to 2262: 9999-12-31, an HR system's "no end
    # date", stopped the run with an internal error; it is no date in a period's end
    far = days.notna().to_numpy() & ~days.between(_EARLIEST, _LATEST).to_numpy()
    values = days.where(~far).astype("datetime64[ns]")
    bad = present & values.isna().to_numpy() & ~(far & _open(days, spec.period))
    hints = date_hints(raw, bad & ~far)
    hints[far] = FAR_DATE_HINT
    return Parsed(values, bad, "a date written YYYY-MM-DD", hints)


#: The days a date field holds (``DATE_YEARS``, as the rules' dates).
_EARLIEST, _LATEST = (pd.Timestamp(DATE_YEARS[0], 1, 1), pd.Timestamp(DATE_YEARS[1], 12, 31))
FAR_DATE_HINT = f"; dates are kept from {DATE_YEARS[0]} to {DATE_YEARS[1]}"


def _open(days: pd.Series, period: str) -> np.ndarray:
    """Which days leave a period open on its side (``FieldSpec.period``): past the last
    day kept for an end, before the first for a start."""
    if period == "end":
        return (days > _LATEST).to_numpy(dtype=bool)
    if period == "start":
        return (days < _EARLIEST).to_numpy(dtype=bool)
    return np.zeros(len(days), dtype=bool)


def _native_days(raw: pd.Series, kinds: np.ndarray) -> pd.Series:
    """The days of the cells that hold dates (YAML dates, a workbook's date cells), missing
    elsewhere and where a date-time is not at midnight; an offset is dropped, not applied."""
    stamped = np.isin(kinds, class_array(dt.datetime, pd.Timestamp))
    values = raw.where(np.isin(kinds, class_array(dt.date)) | stamped, None)
    if stamped.any():  # workbooks' dates are all date-times; the odd one has an offset
        values[stamped] = [v.replace(tzinfo=None) if v.tzinfo else v for v in raw[stamped]]
    native = pd.to_datetime(values, errors="coerce")
    return native.where(native == native.dt.normalize())
