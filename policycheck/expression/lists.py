"""The list type's column operations: canonical form and item search, without a row loop.

A list value is one string of `;`-joined items, as the loader writes it or by hand.
`canonical_lists` drops the blanks around items and the empty items (' a ; ;b;' is 'a;b', an
empty list ''); `list_contains` answers `item in list` for every row at once: a set lookup when
every row holds the same list, otherwise a substring search in the framed form (`;a;b;`), where
`;a;` is found only for a whole item.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.dtypes import StringDType

Array = npt.NDArray[Any]


def canonical_lists(values: Array) -> Array:
    """`;`-joined items without blanks or empty items: ' a ; ;b;' becomes 'a;b'."""
    text = np.where(pd.isna(values), "", values).astype(StringDType())
    # lists from the loader are canonical already: only hand-written cells pay for the regex
    messy = np.strings.startswith(text, ";") | np.strings.endswith(text, ";")
    for mark in (";;", " ", "\t", "\n", "\r"):
        messy |= np.strings.find(text, mark) >= 0
    if messy.any():
        cleaned = pd.Series(text[messy].astype(object), dtype=object)
        cleaned = cleaned.str.replace(r"\s*(?:;\s*)+", ";", regex=True).str.strip().str.strip(";")
        text[messy] = cleaned.to_numpy(dtype=object)
    return np.asarray(text)


def list_contains(lists: Array, items: Array | str) -> Array:
    same = _constant_list(lists)
    if same is not None and not isinstance(items, str):
        # one list for every row (a rule parameter): a set lookup, not a string search per row
        wanted = {item.strip() for item in same.split(";") if item.strip()}
        # a missing item (None or NaN) is in no set of names
        return pd.Series(items, dtype=object).isin(wanted).to_numpy(dtype=np.bool_)
    # `;a;b;` contains `;a;` exactly when a is one of its items, and never for a part of one
    haystack = _framed(canonical_lists(lists))
    if isinstance(items, str):
        found = np.strings.find(haystack, f";{items};") >= 0
        return np.asarray(found & bool(items), dtype=np.bool_)
    needle = np.where(pd.isna(items), "", items).astype(StringDType())
    found = np.strings.find(haystack, _framed(needle)) >= 0
    return np.asarray(found & (np.strings.str_len(needle) > 0), dtype=np.bool_)


def _constant_list(lists: Array) -> str | None:
    """The list when every row holds the same one, else None."""
    if len(lists) == 0:
        return None
    first = lists[0]
    if not isinstance(first, str):
        return None
    return first if bool(np.all(lists == first)) else None


def _framed(text: Array) -> Array:
    return np.asarray(np.strings.add(np.strings.add(";", text), ";"))
