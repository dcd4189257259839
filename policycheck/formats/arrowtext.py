"""Building a format's text column by column with Arrow: the pieces every such format uses.

A format joins per-finding pieces (a column's text, a constant word) row by row with
``pyarrow.compute.binary_join_element_wise``; the joined rows of a piece of the stream are
one buffer, handed to the writer as it is (``piece``), without a Python string per finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.streams import Piece


def word(text: str) -> pa.Scalar:
    """A constant piece of text, as Arrow joins it with text columns."""
    return pa.scalar(text, type=pa.large_string())


def arrow_text(findings: pd.DataFrame, name: str) -> pa.Array | None:
    """A column as Arrow text (an absent column all missing); None when it holds anything
    but text and missing values."""
    if name not in findings:
        return pa.nulls(len(findings), type=pa.large_string())
    column = findings[name]
    if isinstance(column.dtype, pd.CategoricalDtype):  # a rule's title, remediation
        found = coded_text(findings, name)
        if found is None:
            return None
        distinct, codes = found
        return distinct.take(pa.array(codes, mask=codes < 0))
    try:
        if isinstance(column.dtype, pd.StringDtype):
            array = pa.array(column.array, type=pa.large_string())
        else:
            values = column.to_numpy(dtype=object)
            array = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def coded_text(findings: pd.DataFrame, name: str) -> tuple[pa.Array, np.ndarray] | None:
    """A column as its distinct texts and a code per row into them (-1: missing); None when
    it holds anything but text and missing values. A categorical column (a rule's title or
    remediation, repeated on each of its findings) is read as its categories and codes."""
    column = findings.get(name)
    if column is not None and isinstance(column.dtype, pd.CategoricalDtype):
        try:
            categories = pa.array(column.cat.categories.to_numpy(dtype=object),
                                  type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        return categories, column.cat.codes.to_numpy().astype(np.int64)
    text = arrow_text(findings, name)
    if text is None:
        return None
    encoded = text.dictionary_encode()
    return encoded.dictionary, encoded.indices.fill_null(-1).to_numpy().astype(np.int64)


#: The findings columns of a finding's place in its file, written as integers.
POSITION = ("src_line", "src_col")


def text_columns(findings: pd.DataFrame, names: tuple[str, ...], shown: tuple[str, ...]
                 ) -> tuple[dict[str, pa.Array], pa.Array, pa.Array] | None:
    """The columns ``names`` as Arrow text, and the line and column numbers, of every
    finding; None when one of them holds a value that the formats' one-finding-at-a-time
    writers treat otherwise: anything but text, a missing value in one of ``shown`` (they
    write it with ``str``: "None"), a place that is not an integer."""
    text = {}
    for name in names:
        array = arrow_text(findings, name)
        if array is None or (name in shown and array.null_count):
            return None
        text[name] = array
    numbers = [findings[name].to_numpy() for name in POSITION if name in findings]
    if len(numbers) != len(POSITION) or any(n.dtype.kind not in "iu" for n in numbers):
        return None
    line, column = (pa.array(n, type=pa.int64()) for n in numbers)
    return text, line, column


def unless_empty(value: pa.Array, *pieces: pa.Array | pa.Scalar, otherwise: str = ""
                 ) -> pa.Array:
    """The ``pieces`` joined where ``value`` (text with no missing value) is not empty,
    ``otherwise`` where it is."""
    return pc.if_else(pc.equal(value, ""), word(otherwise),
                      pc.binary_join_element_wise(*pieces, word("")))


def entity_words(scope: pa.Array, entity_id: pa.Array) -> pa.Array:
    """`` scope 'entity'`` where a finding names an entity (``cells.where``), else nothing."""
    entity_id = pc.fill_null(entity_id, "")
    return unless_empty(entity_id, word(" "), scope, word(" '"), entity_id, word("'"))


def shown_number(condition: pa.Array, before: str, number: pa.Array) -> pa.Array:
    """``before`` and the number where ``condition`` holds, else nothing."""
    shown = pc.binary_join_element_wise(word(before), pc.cast(number, pa.large_string()),
                                        word(""))
    return pc.if_else(condition, shown, word(""))


def text_buffer(array: pa.Array) -> tuple[pa.Buffer | None, np.ndarray]:
    """The bytes of an Arrow text or binary array's values back to back (no copy; None when
    there are none), and each value's offset into them, from 0 (as int64, whatever the
    array's offsets are)."""
    if not len(array):
        return None, np.zeros(1, dtype=np.int64)
    wide = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if wide else np.int32)[
        array.offset:array.offset + len(array) + 1].astype(np.int64)
    data = array.buffers()[2]
    if data is None:
        return None, offsets - offsets[0]
    return data.slice(offsets[0], offsets[-1] - offsets[0]), offsets - offsets[0]


def concatenated(array: pa.Array) -> bytes:
    """The values of an Arrow text or binary array back to back, as bytes (one copy)."""
    data, _ = text_buffer(array)
    return b"" if data is None else data.to_pybytes()


def piece(array: pa.Array) -> Piece:
    """The values of an Arrow text or binary array back to back, as a piece of a streamed
    output: a view of Arrow's memory, which stays while the view does, not a copy (a
    gigabyte of JSON copied once more costs about 0.2 s, and as much memory touched)."""
    data, _ = text_buffer(array)
    return b"" if data is None else memoryview(data)


def replaced(text: str, pairs: Sequence[tuple[str, str]]) -> str:
    """``text`` with each pair's first text replaced by its second, in order (an escape)."""
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def replaced_array(texts: pa.Array, pairs: Sequence[tuple[str, str]],
                   data: bytes | None = None) -> pa.Array:
    """``replaced`` of each text of an Arrow array. Whether any text holds a pair's first
    text is asked of the texts' bytes at once (a byte search; ``data``: those bytes, when
    the caller has them), so that a replacement is a pass over the texts only when one
    needs it."""
    if data is None:
        data = concatenated(texts)
    for old, new in pairs:
        if old.encode() in data:
            texts = pc.replace_substring(texts, old, new)
            data = concatenated(texts)  # a replacement may hold a later pair's text
    return texts


def distinct_mapped(text: pa.Array, make: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``make`` of each text, worked out once per distinct text (a missing one included, as
    a missing value of ``make``'s input): ``make`` takes the distinct texts and gives a
    value for each."""
    encoded = text.dictionary_encode(null_encoding="encode")
    return make(encoded.dictionary).take(encoded.indices)


def rows_holding(array: pa.Array, needles: Sequence[bytes], most: int) -> np.ndarray | None:
    """The rows of an Arrow text array whose text holds one of ``needles``, in order, found
    by byte searches over the array's data at once (a regular expression matched row by row
    costs a pass per row); None when the needles occur more than ``most`` times, since each
    occurrence is then found on its own."""
    buffer, offsets = text_buffer(array)
    if buffer is None:
        return np.zeros(0, dtype=np.int64)
    data = buffer.to_pybytes()
    found = [needle for needle in needles if needle in data]
    if sum(data.count(needle) for needle in found) > most:
        return None
    at = []
    for needle in found:
        start = data.find(needle)
        while start >= 0:
            at.append(start)
            start = data.find(needle, start + 1)
    return np.unique(np.searchsorted(offsets, at, side="right") - 1)
