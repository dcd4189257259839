"""Typing raw values: one set of rules for YAML values and table cells alike.

Each field kind of ``model.FieldSpec`` has a parser that works on a whole column and
returns the typed column plus a mask of the cells it could not read;
``cellproblems.report_cells`` turns the masked cells into problems naming the file, line or
row, field, bad value and what was expected. Nothing is coerced silently: ``NaN``, ``inf``,
a bool where a number belongs, ``50`` where a weight fraction belongs are all reported.

Here are the parsers of text, choices, yes/no and lists, every kind's parser in ``PARSERS``,
and ``parse_column``, which types a column once per distinct value. The parsers of numbers,
shares and weights are in ``numberparsing``, of dates in ``dateparsing``; what every parser
returns and starts from in ``parsedcolumn``; columns of text kept coded in ``codedcolumns``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from policycheck.codedcolumns import coded_text
from policycheck.codes import typed_codes
from policycheck.dateparsing import parse_date
from policycheck.errors import TRUTH_VALUE_HINT, did_you_mean
from policycheck.model import FieldSpec
from policycheck.numberhints import spreadsheet_error_hint
from policycheck.numberparsing import parse_int, parse_num, parse_share, parse_weight
from policycheck.parsedcolumn import Parsed, cell_types, class_array, present_cells

#: What a yes/no cell may say, in lower case: English words, 1 and 0, and TRUE and FALSE
#: as a spreadsheet in another language exports them to CSV (German WAHR, French FAUX, ...).
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "1.0", "on", "wahr", "vrai", "verdadero",
                        "verdadeiro", "vero", "waar", "sant", "sand", "sann", "tosi", "prawda"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "0.0", "off", "falsch", "faux", "falso",
                         "onwaar", "falskt", "falsk", "usann", "epätosi", "fałsz"})
#: What the error says is read.
BOOL_EXPECTED = "true or false (or yes/no, y/n, 1/0, on/off)"


def parse_str(raw: pd.Series, spec: FieldSpec) -> Parsed:
    """Text, stripped, as table cells are: blank text is missing, as an empty cell is."""
    if pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty"):
        # Only text and missing cells (every table column): stripped as they are.
        texts = [v.strip() or None if isinstance(v, str) else None for v in raw.to_numpy()]
        return Parsed(pd.Series(texts, index=raw.index, dtype=object),
                      np.zeros(len(raw), dtype=bool), "text", warned=_spreadsheet_errors(texts))
    kinds = cell_types(raw)
    bad = np.isin(kinds, class_array(dict, list, bool, bytes)) if len(raw) else np.zeros(0, bool)
    is_str = kinds == str
    values = raw.where(is_str | ~present_cells(raw), raw.astype(str)).where(
        present_cells(raw), None)
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
    present = present_cells(raw)
    text = raw.where(~present, raw.astype(str).str.strip().str.lower())
    bad = present & ~text.isin(spec.choices).to_numpy()
    hints = text.where(bad, None).map(
        lambda v: did_you_mean(v, spec.choices) if v is not None else "")
    return Parsed(text.where(~bad, None).astype(object), bad,
                  f"one of {', '.join(spec.choices)}", hints)


def parse_bool(raw: pd.Series, spec: FieldSpec) -> Parsed:
    present = present_cells(raw)
    kinds = cell_types(raw)
    words = raw.where(kinds != str, raw.astype(str).str.strip().str.lower())
    is_true = (kinds == bool) & (raw == True).to_numpy()  # noqa: E712 - object column
    is_false = (kinds == bool) & (raw == False).to_numpy()  # noqa: E712
    is_true |= (kinds == str) & words.isin(TRUE_WORDS).to_numpy()
    is_false |= (kinds == str) & words.isin(FALSE_WORDS).to_numpy()
    numeric = np.isin(kinds, class_array(int, float))
    is_true |= numeric & (raw == 1).to_numpy()
    is_false |= numeric & (raw == 0).to_numpy()
    bad = present & ~(is_true | is_false)
    values = pd.Series(np.where(is_true, True, False), index=raw.index, dtype=object)
    values = values.where(present & ~bad, None)
    return Parsed(values, bad, BOOL_EXPECTED)


def _split_items(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Lists from YAML lists or ``;``-separated text, joined with ``;`` for the frame; each
    distinct text or list is split and joined once. Also which cells are bad, which of
    them are or hold a truth value (an item ``no``), and which are YAML lists with an item
    holding ``;`` (``SEPARATOR_HINT``)."""
    kinds = cell_types(raw)
    is_str, is_list = kinds == str, kinds == list  # a YAML list, or a LocatedList
    bad = np.isin(kinds, class_array(dict, bool)) | (~is_str & ~is_list & present_cells(raw))
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

