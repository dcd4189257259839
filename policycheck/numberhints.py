"""Why a cell that looks like a number (or a date) is not one, and what to write instead.

Plans exported from spreadsheets carry numbers as people read them (``32,000``, ``32.000``,
``0,4``), as programmers write them (``32_000``, which only YAML's own unquoted number may be)
and words pandas would read as numbers (``NaN``, ``inf``); the parsers refuse them, and these
hints say how to write each so that it reads as meant.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re

import numpy as np
import pandas as pd

from policycheck.errors import number_text

#: Text that pandas reads as a number but that is no amount of anything.
NON_FINITE_WORDS = frozenset({"nan", ".nan", "inf", "+inf", "-inf", ".inf", "-.inf",
                              "infinity", "-infinity", "+infinity"})


def number_hints(raw: pd.Series, bad: np.ndarray, percent: bool = False,
                 percent_as: str = "") -> pd.Series:
    """Why a bad cell that looks like a number is not one: NaN and infinity, yes/no, or how
    to write one formatted for reading (``percent``: a field that takes ``45.5%`` too;
    ``percent_as``: how a number field that takes none is written, ``FieldSpec.percent``)."""
    hints = pd.Series("", index=raw.index, dtype=object)
    for row in np.flatnonzero(bad).tolist():  # problem cells only
        value = raw.iat[row]
        if isinstance(value, bool):
            hints.iat[row] = "; yes/no and true/false are not numbers"
        elif (isinstance(value, float) and not math.isfinite(value)) or (
                isinstance(value, str) and value.strip().lower() in NON_FINITE_WORDS):
            hints.iat[row] = "; NaN and infinity are not allowed"
        elif isinstance(value, str) and _too_large(value.strip()):
            hints.iat[row] = "; it is past the largest number that can be held (about 1.8e308)"
        elif isinstance(value, str):
            hints.iat[row] = percent_hint(value.strip(), percent_as) or \
                written_number_hint(value.strip(), percent)
    return hints


def _too_large(text: str) -> bool:
    """Whether ``text`` is a number written in full that no float holds (``1e400``)."""
    try:
        return math.isinf(float(text)) and text.lower().lstrip("+-") not in NON_FINITE_WORDS
    except ValueError:
        return False


def percent_hint(text: str, how: str) -> str:
    """How to write a percent (``150%``) in a number field that takes none, written ``how``
    (``FieldSpec.percent``); empty if the field has no such way or ``text`` is no percent."""
    number = text.removesuffix("%").rstrip()
    comma = _DECIMAL_COMMA.fullmatch(number)
    if comma and len(comma[2]) != 3:  # 12,5%: 12.5 (1,000% may be a thousand)
        number = f"{comma[1]}.{comma[2]}"
    if not how or not text.endswith("%") or not _plain(number):
        return ""
    if how == "multiple":
        return f"; write it as a multiple: '{number_text(float(number) / 100)}'"
    scale = " (a percent measure is written 0-100)" if how == "measure" else ""
    return f"; write it without the percent sign: '{number}'{scale}"


#: Numbers as spreadsheets format them for people: 32,000 / 32.000 / 32 000 with digits
#: grouped by thousands (32_000 too, as Python writes them), and 0,4 with a decimal comma.
_GROUPED = re.compile(r"([-+]?)(\d{1,3}(?:([,. \u00a0\u202f'_])\d{3})(?:\3\d{3})*)"
                      r"(?:(?!\3)[.,](\d+))?")
#: A number with underscores between its digits, not grouping thousands: 2_5, 1_0.5, 0.2_5.
_UNDERSCORED = re.compile(r"[-+]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?")
_DECIMAL_COMMA = re.compile(r"([-+]?\d*),(\d+)")
#: A clock time or a ratio (``5:30``), which YAML 1.1 would read as a base-60 number.
_CLOCK = re.compile(r"[-+]?\d+(?::\d+)+(?:\.\d*)?")
#: Currency signs, and the ISO codes of the currencies most pay is in.
_CURRENCY = (r"[$\u20ac\u00a3\u00a5\u20b9]|(?:EUR|USD|GBP|CHF|JPY|CAD|AUD|NZD|SEK|NOK|DKK|"
             r"PLN|CZK|HUF|RON|INR|CNY|HKD|SGD|ZAR|BRL|MXN)(?![A-Za-z])")
#: An amount with a currency before or after it: $32,000, 32 000 EUR.
_MONEY = re.compile(rf"(?:({_CURRENCY})\s*)?([-+]?\d[\d.,\s\u00a0\u202f'_]*?)"
                    rf"(?:\s*({_CURRENCY}))?")
#: A whole number in hex, octal or binary notation.
_NOTATION = re.compile(r"[-+]?0(?:[xX][0-9a-fA-F_]+|[oO][0-7_]+|[bB][01_]+)")
#: A negative amount as accounting formats show one: (1,500), ($1,500.00).
_BRACKETED = re.compile(r"\(\s*([^()+\-]+?)\s*\)")
#: The error values a spreadsheet shows, and exports, where a formula failed.
_SPREADSHEET_ERROR = re.compile(r"#(?:N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|"
                                r"FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|GETTING_DATA)",
                                re.IGNORECASE)
#: What a spreadsheet's error value is, and the end of a message about a cell holding one.
SPREADSHEET_ERROR = ("a spreadsheet's error value: the formula that made it failed, and the "
                     "cell holds no value")
SPREADSHEET_ERROR_HINT = f"; it is {SPREADSHEET_ERROR}"


def spreadsheet_error_hint(value: object) -> str:
    """``SPREADSHEET_ERROR_HINT`` for a cell that holds a spreadsheet's error value (a
    lookup's ``#N/A`` where an id was expected); empty for any other. Every cell problem
    ends with it where its kind's own hint says nothing (``cellproblems.report_cells``)."""
    if isinstance(value, str) and _SPREADSHEET_ERROR.fullmatch(value.strip()):
        return SPREADSHEET_ERROR_HINT
    return ""


#: An amount whose digits a dot groups in threes: 32.000, 1.250.000 (not 0.500).
DOT_GROUPED = r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+"


def dot_grouped_hint(text: str) -> str:
    """Why ``32.000`` is no amount: two readings, a thousand times apart."""
    whole = text.replace(".", "")
    return (f"; a dot groups thousands where the decimal mark is a comma: write '{whole}', "
            f"or '{number_text(float(text))}' if that is meant")


def written_number_hint(text: str, percent: bool = False) -> str:
    """What to write instead of a number formatted for reading (a cell exported as shown);
    with ``percent``, also of a percent (``45,5%`` is ``45.5%``)."""
    sign = "%" if percent and text.endswith("%") else ""
    text = text.removesuffix(sign).rstrip()
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed and not sign:
        amount = bracketed[1]
        if _plain(amount):
            return f"; write a negative amount with a minus sign: '-{amount}'"
        inner = written_number_hint(amount)  # its suggestions, negative
        return re.sub(r"'(?=\d)", "'-", inner.replace("; ", "; with a minus sign, ", 1))
    money = _MONEY.fullmatch(text)
    if money and bool(money[1]) != bool(money[3]):  # one currency, before or after
        amount = money[2]
        inner = written_number_hint(amount)
        if inner:
            return "; without the currency, " + inner.removeprefix("; ")
        return f"; write the amount without its currency: '{amount}'" if _plain(amount) else ""
    if _CLOCK.fullmatch(text):
        return "; write one number, not a time or a ratio"
    if _NOTATION.fullmatch(text):
        try:
            return f"; write it in decimal: '{int(text, 0)}'"
        except ValueError:  # underscores out of place (0x_1)
            return ""
    grouped, comma = _GROUPED.fullmatch(text), _DECIMAL_COMMA.fullmatch(text)
    plain = comma and f"{comma[1]}.{comma[2]}{sign}"
    if grouped:
        whole = grouped[1] + re.sub(r"\D", "", grouped[2])
        whole += (f".{grouped[4]}" if grouped[4] else "") + sign
        if plain:  # 32,000: thirty-two thousand, or 32 with a decimal comma
            small = number_text(float(plain.removesuffix(sign))) + sign
            return f"; write a decimal point and no thousands separators: '{whole}' or '{small}'"
        return f"; write it without thousands separators: '{whole}'"
    if "_" in text and _UNDERSCORED.fullmatch(text):  # 2_5: 25, or 2.5 mistyped? Not said
        return "; write it without underscores"
    return f"; write a decimal point: '{plain}'" if plain else ""


#: A date written for people: day and month in either order, or the year first, with
#: slashes, dots or hyphens (1/2/2027, 01.02.2027, 2027/02/01), a year of two digits
#: (31.12.27) and a time of day (12/31/2027 0:00, as spreadsheets export date cells).
_PEOPLE_DATE = re.compile(r"(?:(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})"
                          r"|(\d{4})([/.])(\d{1,2})\6(\d{1,2}))"
                          r"(?:[Tt ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)? ?(?:[AaPp][Mm])?)?")
#: An ISO date with a time of day that is not midnight (midnight reads as the date).
_TIMED_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[Tt ]\d{1,2}:\d{2}\S*")


def date_hints(raw: pd.Series, bad: np.ndarray) -> pd.Series:
    """How to write, YYYY-MM-DD, a bad date cell written for people: ``1/2/2027`` is
    2027-02-01 day first or 2027-01-02 month first, and says both; a date-time that is not
    at midnight says its day."""
    hints = pd.Series("", index=raw.index, dtype=object)
    for row in np.flatnonzero(bad).tolist():  # problem cells only
        value = raw.iat[row]
        if isinstance(value, str):
            hints.iat[row] = (_no_such_day(value.strip()) or written_date_hint(value.strip())
                              or _serial_day_hint(value.strip()))
        elif isinstance(value, dt.datetime):
            hints.iat[row] = _day_alone(value.date())
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            hints.iat[row] = _serial_day_hint(value)
    return hints


#: The day numbers a spreadsheet gives the days from 2000 to 2099 (its day 1 is 1900-01-01,
#: counted from 1899-12-30 past its day 60): a date cell exported as a number.
_SERIAL_DAYS = (36526, 73050)
_SERIAL_EPOCH = dt.date(1899, 12, 30)


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _no_such_day(text: str) -> str:
    """Why a date written YYYY-MM-DD is none (``2027-02-30``): it was told only to write
    it YYYY-MM-DD, as it was."""
    found = _ISO_DAY.fullmatch(text)
    if not found:
        return ""
    year, month, day = (int(part) for part in found.groups())
    if not 1 <= month <= 12:
        return f"; there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"; there is no such day: {calendar.month_name[month]} {year} has {days} days"
    return ""


def _serial_day_hint(value: object) -> str:
    """"did you mean" the day a spreadsheet numbers ``value`` (46388 is 2027-01-01), for a
    whole number of its days from 2000 to 2099; empty for anything else."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return ""
    if not (_SERIAL_DAYS[0] <= number <= _SERIAL_DAYS[1] and number.is_integer()):
        return ""
    day = _SERIAL_EPOCH + dt.timedelta(days=int(number))
    return f"; did you mean '{day.isoformat()}' (a spreadsheet's number for that day)?"


def _day_alone(day: dt.date) -> str:
    return f"; write the day alone: '{day.isoformat()}'"


def written_date_hint(text: str) -> str:
    """The dates, YYYY-MM-DD, that ``text`` may mean, as a hint; empty if none. A year of
    two digits is taken to be of this century."""
    timed = _TIMED_DATE.fullmatch(text)
    if timed:
        alone = _date(timed[1], timed[2], timed[3])
        return _day_alone(alone) if alone else ""
    found = _PEOPLE_DATE.fullmatch(text)
    if not found:
        return ""
    if found[5]:
        readings = [(found[5], found[7], found[8], "")]
    else:
        year = found[4] if len(found[4]) == 4 else f"20{found[4]}"
        readings = [(year, found[3], found[1], " (day first)"),
                    (year, found[1], found[3], " (month first)")]
    valid: list[tuple[str, str]] = []
    for year, month, day, order in readings:
        written = _date(year, month, day)
        if written and all(written.isoformat() != seen for seen, _ in valid):
            valid.append((written.isoformat(), order))
    if len(valid) == 1:
        return f"; did you mean '{valid[0][0]}'?"
    return "; did you mean " + " or ".join(f"'{d}'{o}" for d, o in valid) + "?" if valid else ""


def _date(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _plain(text: str) -> bool:
    """Whether ``text`` is a number as a cell should hold one."""
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text
