"""Columns of text kept coded: categorical from the table reader through validation.

A table's columns of text are read as categorical columns, and typing keeps them so
(``coded_text``): validation then finds missing, repeated and unknown ids from the integer
codes. What needs the texts as Python objects takes them back here: one column
(``as_objects``), every coded column of a frame (``decoded``), or a column with a default
filled in (``with_default``), which stays coded when it can.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


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
