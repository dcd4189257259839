"""What a field's parser gives back, and the first look every parser takes at raw cells.

A parser (``parsing.PARSERS``) turns a raw column, YAML values and table cells alike, into a
``Parsed``: the typed column, the mask of the cells it could not read, what was expected and
why. Every parser starts from the same look at the cells: which hold a value
(``present_cells``) and the Python type of each (``cell_types``), YAML's located mappings and
lists taken as the dicts and lists they are. They live apart from the parsers so that those of
numbers (``numberparsing``) and dates (``dateparsing``) share them with the others
(``parsing``), which gather every parser in one dict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from policycheck.yamlsource import LocatedList, LocatedMap


@dataclass(frozen=True)
class Parsed:
    """A typed column and the cells that could not be read, with what was expected."""

    values: pd.Series
    bad: np.ndarray
    expected: str
    hints: pd.Series | None = None
    #: Cells kept as they are but worth a warning: text that is a spreadsheet's error value.
    warned: np.ndarray | None = None


def class_array(*classes: type) -> np.ndarray:
    """``classes`` as an object array for ``np.isin``: what it makes of a list of classes,
    which numpy's stubs do not take."""
    return np.array(classes, dtype=object)


def cell_types(raw: pd.Series) -> np.ndarray:
    """The type of each cell, with YAML's located mappings and lists as dict and list."""
    kinds = np.fromiter((type(v) for v in raw.to_numpy()), dtype=object, count=len(raw))
    kinds[np.isin(kinds, class_array(LocatedMap))] = dict
    kinds[np.isin(kinds, class_array(LocatedList))] = list
    return kinds


def present_cells(raw: pd.Series) -> np.ndarray:
    return raw.notna().to_numpy()
