"""Building a format's text column by column with Arrow: the pieces every such format uses.

A format joins per-finding pieces (a column's text, a constant word) row by row with
``pyarrow.compute.binary_join_element_wise``; the joined rows of a piece of the stream are
one buffer, handed to the writer as bytes without a Python string per finding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def word(text: str) -> pa.Scalar:
    """A constant piece of text, as Arrow joins it with text columns."""
    return pa.scalar(text, type=pa.large_string())


def arrow_text(findings: pd.DataFrame, name: str) -> pa.Array | None:
    """A column as Arrow text (an absent column all missing); None when it holds anything
    but text and missing values."""
    if name not in findings:
        return pa.nulls(len(findings), type=pa.large_string())
    column = findings[name]
    try:
        if isinstance(column.dtype, pd.StringDtype):
            array = pa.array(column.array, type=pa.large_string())
        else:
            values = column.to_numpy(dtype=object)
            array = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def shown_number(condition: pa.Array, before: str, number: pa.Array) -> pa.Array:
    """``before`` and the number where ``condition`` holds, else nothing."""
    shown = pc.binary_join_element_wise(word(before), pc.cast(number, pa.large_string()),
                                        word(""))
    return pc.if_else(condition, shown, word(""))


def concatenated(array: pa.Array) -> bytes:
    """The values of an Arrow text or binary array back to back, as bytes (one copy)."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
    first, last = offsets[array.offset], offsets[array.offset + len(array)]
    return array.buffers()[2].slice(first, last - first).to_pybytes()
