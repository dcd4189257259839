"""Typing raw values: one set of rules for YAML values and table cells alike.

Each field kind of ``model.FieldSpec`` has a parser that works on a whole column and
returns the typed column plus a mask of the cells it could not read; ``Reporter`` turns
the masked cells into problems naming the file, line or row, field, bad value and what was
expected. Nothing is coerced silently: ``NaN``, ``inf``, a bool where a number belongs,
``50`` where a weight fraction belongs are all reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from policycheck.codes import typed_codes
from policycheck.errors import TRUTH_VALUE_HINT, did_you_mean, number_text
from policycheck.expression.typesystem import DATE_YEARS
from policycheck.model import BASIS_POINTS, FieldSpec
from policycheck.numberhints import (
    DOT_GROUPED,
    date_hints,
    dot_grouped_hint,
    number_hints,
    spreadsheet_error_hint,
)
from policycheck.yamlsource import LocatedList, LocatedMap

#: What a yes/no cell may say, in lower case: English words, 1 and 0, and TRUE and FALSE
#: as a spreadsheet in another language exports them to CSV (German WAHR, French FAUX, ...).
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "1.0", "on", "wahr", "vrai", "verdadero",
                        "verdadeiro", "vero", "waar", "sant", "sand", "sann", "tosi", "prawda"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "0.0", "off", "falsch", "faux", "falso",
                         "onwaar", "falskt", "falsk", "usann", "epätosi", "fałsz"})
#: What the error says is read.
BOOL_EXPECTED = "true or false (or yes/no, y/n, 1/0, on/off)"


@dataclass(frozen=True)
class Parsed:
    """A typed column and the cells that could not be read, with what was expected."""

    values: pd.Series
    bad: np.ndarray
    expected: str
    hints: pd.Series | None = None
    #: Cells kept as they are but worth a warning: text that is a spreadsheet's error value.
    warned: np.ndarray | None = None


def _classes(*classes: type) -> np.ndarray:
    """``classes`` as an object array for ``np.isin``: what it makes of a list of classes,
    which numpy's stubs do not take."""
    return np.array(classes, dtype=object)


def _types(raw: pd.Series) -> np.ndarray:
    """The type of each cell, with YAML's located mappings and lists as dict and list."""
    kinds = np.fromiter((type(v) for v in raw.to_numpy()), dtype=object, count=len(raw))
    kinds[np.isin(kinds, _classes(LocatedMap))] = dict
    kinds[np.isin(kinds, _classes(LocatedList))] = list
    return kinds


def _present(raw: pd.Series) -> np.ndarray:
    return raw.notna().to_numpy()


def parse_str(raw: pd.Series, spec: FieldSpec) -> Parsed:
    """Text, stripped, as table cells are: blank text is missing, as an empty cell is."""
    if pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty"):
        # Only text and missing cells (every table column): stripped as they are.
        texts = [v.strip() or None if isinstance(v, str) else None for v in raw.to_numpy()]
        return Parsed(pd.Series(texts, index=raw.index, dtype=object),
                      np.zeros(len(raw), dtype=bool), "text", warned=_spreadsheet_errors(texts))
    kinds = _types(raw)
    bad = np.isin(kinds, _classes(dict, list, bool, bytes)) if len(raw) else np.zeros(0, bool)
    is_str = kinds == str
    values = raw.where(is_str | ~_present(raw), raw.astype(str)).where(_present(raw), None)
    values = values.astype(object).str.strip()
    values = values.where(values.notna() & (values != ""), None)
    return Parsed(values.where(~bad, None).astype(object), bad, "text",
                  _with_hint(None, kinds == bool, raw.index),
                  _spreadsheet_errors(values.tolist()))


def _spreadsheet_errors(texts: list[Any]) -> np.ndarray | None:
    """Which texts are a spreadsheet's error value (a lookup's ``#N/A`` in an owner or an
    id); None when none is. Only a text starting with '#' is matched."""
    found = [i for i, text in enumerate(texts)
             if isinstance(text, str) and text[:1] == "#" and spreadsheet_error_hint(text)]
    if not found:
        return None
    warned = np.zeros(len(texts), dtype=bool)
    warned[found] = True
    return warned


def _with_hint(hints: pd.Series | None, at: np.ndarray, index: pd.Index,
               hint: str = TRUTH_VALUE_HINT) -> pd.Series | None:
    """``hints`` (none yet: all empty) with ``hint`` at the cells ``at``: by default
    ``TRUTH_VALUE_HINT``, for cells that hold a truth value where text was expected (YAML's
    unquoted no, a spreadsheet's TRUE)."""
    if not at.any():
        return hints
    out = pd.Series("", index=index, dtype=object) if hints is None else hints.copy()
    out[at] = hint
    return out


#: Why a YAML list whose item holds ';' is refused: the model keeps a list as its items
#: joined by ';' (as a table cell writes it), so the item would become two, unsaid.
SEPARATOR_HINT = ("; an item holds ';', which separates the items of a list: write its "
                  "parts as items of their own, or the item without ';'")


def parse_enum(raw: pd.Series, spec: FieldSpec) -> Parsed:
    present = _present(raw)
    text = raw.where(~present, raw.astype(str).str.strip().str.lower())
    bad = present & ~text.isin(spec.choices).to_numpy()
    hints = text.where(bad, None).map(
        lambda v: did_you_mean(v, spec.choices) if v is not None else "")
    return Parsed(text.where(~bad, None).astype(object), bad,
                  f"one of {', '.join(spec.choices)}", hints)


def _numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Floats from numbers and numeric text; bools, dates and other types are bad."""
    present = _present(raw)
    kinds = _types(raw)
    wrong_type = np.isin(kinds, _classes(bool, dict, list, dt.date, dt.datetime, pd.Timestamp))
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
    grouped = (_types(raw) == str) & raw.astype(str).str.strip().str.fullmatch(
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


def parse_bool(raw: pd.Series, spec: FieldSpec) -> Parsed:
    present = _present(raw)
    kinds = _types(raw)
    words = raw.where(kinds != str, raw.astype(str).str.strip().str.lower())
    is_true = (kinds == bool) & (raw == True).to_numpy()  # noqa: E712 - object column
    is_false = (kinds == bool) & (raw == False).to_numpy()  # noqa: E712
    is_true |= (kinds == str) & words.isin(TRUE_WORDS).to_numpy()
    is_false |= (kinds == str) & words.isin(FALSE_WORDS).to_numpy()
    numeric = np.isin(kinds, _classes(int, float))
    is_true |= numeric & (raw == 1).to_numpy()
    is_false |= numeric & (raw == 0).to_numpy()
    bad = present & ~(is_true | is_false)
    values = pd.Series(np.where(is_true, True, False), index=raw.index, dtype=object)
    values = values.where(present & ~bad, None)
    return Parsed(values, bad, BOOL_EXPECTED)


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
    present = _present(raw)
    kinds = _types(raw)
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
    stamped = np.isin(kinds, _classes(dt.datetime, pd.Timestamp))
    values = raw.where(np.isin(kinds, _classes(dt.date)) | stamped, None)
    if stamped.any():  # workbooks' dates are all date-times; the odd one has an offset
        values[stamped] = [v.replace(tzinfo=None) if v.tzinfo else v for v in raw[stamped]]
    native = pd.to_datetime(values, errors="coerce")
    return native.where(native == native.dt.normalize())


def _share_numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Fractions from ``0.5`` or ``"50%"``; also returns which cells were written as percents."""
    kinds = _types(raw)
    is_str = kinds == str
    text = raw.where(is_str, None).astype(object)
    stripped = text.str.strip()
    percent = stripped.str.endswith("%").fillna(False).to_numpy(dtype=bool)
    # one sign: '60%%' is no percent (rstrip took every sign, and read it as 60 %)
    as_number = raw.where(~percent, stripped.str.removesuffix("%").str.strip())
    values, bad = _numbers(as_number)
    values = values.where(~percent, values / 100.0)
    return values, bad, percent


def parse_share(raw: pd.Series, spec: FieldSpec) -> Parsed:
    """A share of pay held as a fraction (``deferral.share``)."""
    values, bad, percent = _share_numbers(raw)
    over = (values > 1).to_numpy() & ~percent
    hints = number_hints(raw, bad, percent=True)
    hints[over] = values[over].map(lambda v: f"; did you mean '{number_text(v)}%'?")
    out_of_range = (values < 0).to_numpy() | (values > 1).to_numpy()
    bad = bad | out_of_range
    return Parsed(values.where(~bad, np.nan), bad,
                  "a fraction between 0 and 1 or a percent like '50%'", hints)


def parse_weight(raw: pd.Series, spec: FieldSpec) -> Parsed:
    """A component weight, held as integer basis points (``"50%"`` and ``0.5`` → 5000)."""
    shares = parse_share(raw, spec)
    points = (shares.values * BASIS_POINTS).round().astype("Int64")
    return Parsed(points, shares.bad, shares.expected, shares.hints)


def _split_items(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Lists from YAML lists or ``;``-separated text, joined with ``;`` for the frame; each
    distinct text or list is split and joined once. Also which cells are bad, which of
    them are or hold a truth value (an item ``no``), and which are YAML lists with an item
    holding ``;`` (``SEPARATOR_HINT``)."""
    kinds = _types(raw)
    is_str, is_list = kinds == str, kinds == list  # a YAML list, or a LocatedList
    bad = np.isin(kinds, _classes(dict, bool)) | (~is_str & ~is_list & _present(raw))
    truth = kinds == bool
    split = np.zeros(len(raw), dtype=bool)
    cells = raw.to_numpy(dtype=object)
    out = np.full(len(cells), None, dtype=object)
    joined: dict[Any, str | None] = {}
    for index in np.flatnonzero(is_str | is_list).tolist():
        cell = cells[index]
        if is_str[index]:
            key: Any = str(cell)
            items = key.split(";")
        elif any(isinstance(i, (list, dict, bool)) or i is None for i in cell):
            bad[index] = True
            truth[index] = any(isinstance(i, bool) for i in cell)
            continue
        else:
            items = [str(i) for i in cell]
            key = tuple(items)
            if any(";" in item for item in items):
                bad[index] = split[index] = True
                continue
        if key not in joined:
            joined[key] = ";".join(i.strip() for i in items if i.strip()) or None
        out[index] = joined[key]
    return pd.Series(out, index=raw.index, dtype=object), bad, truth, split


def parse_list(raw: pd.Series, spec: FieldSpec) -> Parsed:
    values, bad, truth, split = _split_items(raw)
    expected = "a list of names"
    hints = None
    if spec.choices:
        allowed = set(spec.choices)
        codes, lists = pd.factorize(values)  # each distinct list checked once
        unknown = [[i for i in v.split(";") if i not in allowed] for v in lists.tolist()]
        wrong = np.array([bool(u) for u in unknown] + [False], dtype=bool)[codes]
        bad = bad | wrong
        # a failed formula's error value is the whole cell, which ``report_cells`` names
        said = [f" ('{u[0]}' is not one{did_you_mean(u[0], allowed)})"
                if u and not spreadsheet_error_hint(v) else ""
                for u, v in zip(unknown, lists, strict=True)]
        hints = pd.Series(np.array([*said, ""], dtype=object)[codes], index=values.index,
                          dtype=object)
        expected = f"a list of: {', '.join(spec.choices)}"
    kept = values.where(~bad, None)
    # a cell's text (a YAML list names its items): ``report_spreadsheet_errors`` quotes it
    written = [text if isinstance(cell, str) else None
               for text, cell in zip(kept.tolist(), raw.tolist(), strict=True)]
    return Parsed(kept, bad, expected, _list_hints(hints, truth, split, raw.index),
                  _spreadsheet_errors(written))


def parse_applies(raw: pd.Series, spec: FieldSpec) -> Parsed:
    values, bad, truth, split = _split_items(raw)
    is_all = values.str.lower().eq("all").fillna(False).to_numpy(dtype=bool)
    values = values.where(~is_all, "all")
    return Parsed(values.where(~bad, None), bad, "'all' or a list of component ids",
                  _list_hints(None, truth, split, raw.index))


def _list_hints(hints: pd.Series | None, truth: np.ndarray, split: np.ndarray,
                index: pd.Index) -> pd.Series | None:
    """``hints`` with the hints of a list's bad cells (``_split_items``): a truth value,
    an item holding ';'."""
    return _with_hint(_with_hint(hints, truth, index), split, index, SEPARATOR_HINT)


PARSERS: dict[str, Callable[[pd.Series, FieldSpec], Parsed]] = {
    "str": parse_str,
    "enum": parse_enum,
    "num": parse_num,
    "int": parse_int,
    "bool": parse_bool,
    "date": parse_date,
    "share": parse_share,
    "weight": parse_weight,
    "list": parse_list,
    "applies": parse_applies,
}


#: Below this many cells, parsing every cell costs less than finding the distinct ones.
_DISTINCT_FROM = 64


#: Kinds whose values are text: a table's column of them stays coded (``coded_text``).
TEXT_KINDS = frozenset({"str", "enum"})


def parse_column(kind: str, raw: pd.Series, spec: FieldSpec) -> Parsed:
    """``PARSERS[kind]`` on a column. A column (every table column, most YAML ones) holds
    few distinct values: each is parsed once and the results taken back by position, which
    gives the same values, masks and hints as parsing every cell. A table's column of text
    stays coded (``coded_text``)."""
    parser = PARSERS[kind]
    if isinstance(raw.dtype, pd.CategoricalDtype):  # a table's column: coded as it was read
        codes, uniques = raw.cat.codes.to_numpy(), raw.cat.categories.to_numpy()
    elif len(raw) < _DISTINCT_FROM:
        return parser(raw, spec)
    elif pd.api.types.infer_dtype(raw, skipna=True) == "string":
        # pandas factorizes text; other values are coded by type too (factorize, as dict
        # keys, takes 1, 1.0 and True for one value)
        codes, uniques = pd.factorize(raw.to_numpy(dtype=object))
    elif (typed := typed_codes(raw.tolist())) is not None:  # YAML's numbers, bools, dates
        codes, uniques = typed
    else:  # a YAML list or mapping among them
        return parser(raw, spec)
    # The missing cells (code -1) take the last entry, a None; object dtype, as pandas
    # would otherwise infer its Arrow "str" dtype for the distinct texts.
    distinct = pd.Series(np.append(uniques.astype(object), np.array([None], dtype=object)),
                         dtype=object)
    parsed = parser(distinct, spec)
    if kind in TEXT_KINDS and isinstance(raw.dtype, pd.CategoricalDtype):
        values = coded_text(parsed.values.to_numpy(dtype=object), codes, uniques)
    else:
        values = parsed.values.take(codes)
    values.index = raw.index
    hints = None
    if parsed.hints is not None:
        hints = parsed.hints.take(codes)
        hints.index = raw.index
    warned = None if parsed.warned is None else parsed.warned[codes]
    return Parsed(values, parsed.bad[codes], parsed.expected, hints, warned)


def coded_text(distinct: np.ndarray, codes: np.ndarray, raw: np.ndarray) -> pd.Series:
    """The texts ``distinct[codes]`` (None: missing) as a categorical column, its categories
    in order of first appearance (unordered: ``sort_frame`` ranks them to sort by them).
    ``distinct`` is what parsing made of the distinct ``raw`` texts, then a None.

    A table's columns of text are coded as they are read. Kept coded through validation,
    the checks find missing, repeated and unknown ids from the codes, without hashing a
    Python string per row; ``decoded`` turns them back into texts for the rules."""
    categories = raw  # where parsing left every text as it was, the codes stand
    if len(raw) != len(distinct) - 1 or not (distinct[:-1] == raw).all():
        # it made two texts one (" a" and "a"), or one missing (None: code -1)
        merged, categories = pd.factorize(distinct)
        codes = np.asarray(merged)[codes]
    return pd.Series(pd.Categorical.from_codes(codes,
                                               categories=pd.Index(categories, dtype=object)))


def as_objects(column: pd.Series) -> pd.Series:
    """A column as Python objects, None where a value is missing: a categorical column's
    texts (which ``astype(object)`` would give as NaN where missing), any other as is."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column
    texts = np.append(column.cat.categories.to_numpy(dtype=object),
                      np.array([None], dtype=object))
    return pd.Series(texts[column.cat.codes.to_numpy()], index=column.index, dtype=object,
                     copy=False)


def decoded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its categorical columns as Python objects (``as_objects``)."""
    coded = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.assign(**{c: as_objects(frame[c]) for c in coded}) if coded else frame


def with_default(values: pd.Series, missing: np.ndarray, default: Any) -> pd.Series:
    """``values`` with ``default`` in the ``missing`` cells; a coded column of text stays
    coded."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        if not isinstance(default, str):
            values = as_objects(values)
        elif default not in values.cat.categories:
            values = values.cat.add_categories([default])
    return values.where(~missing, default)
