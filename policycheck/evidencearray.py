"""The evidence column of the findings frame, held by column instead of one mapping per row.

A rule fires on up to hundreds of thousands of rows, and its evidence names the same few
values on each (a share, a threshold, a list of KPIs). One Python dict per finding was the
largest single cost of a big check: a quarter of a gigabyte at 100,000 plans, and the time
to build every dict and to encode it again. Here each rule's evidence is a ``Block``: per
name, the distinct values once and a code per row. The column is a pandas extension array
(``EvidenceArray``): a row still reads as a fresh mapping, so every consumer that indexes,
iterates, maps or converts the column sees what it saw before, while the JSON report encodes
each distinct value once (``texts``).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray, ExtensionDtype, take

from policycheck.wording import evidence_dicts, is_missing, object_array


@dataclass(frozen=True, eq=False)
class Block:
    """One rule's evidence: for each name, a code per row into that name's distinct values.
    ``names`` None: a block of ready-made mappings (``values[0]``, one per row)."""

    names: tuple[str, ...] | None
    codes: tuple[np.ndarray, ...]
    values: tuple[list[Any], ...]
    lists: tuple[bool, ...]  # values that are lists: each row gets its own copy

    @classmethod
    def of_mappings(cls, mappings: Sequence[Any]) -> Block:
        return cls(None, (np.arange(len(mappings)),), (list(mappings),), (False,))

    def mappings(self, rows: np.ndarray) -> list[Any]:
        """The rows' evidence, one new mapping per row."""
        if self.names is None:
            return object_array(self.values[0])[rows].tolist()
        columns = []
        for codes, values, is_list in zip(self.codes, self.values, self.lists, strict=True):
            column = object_array(values)[codes[rows]]
            columns.append(object_array([list(v) for v in column.tolist()]) if is_list else column)
        return evidence_dicts(self.names, columns, len(rows)).tolist()

    def encoded(self, style: Style) -> list[pa.Array] | None:
        """Per name, each distinct value written in ``style``, with the text before it
        (the opening, or the separator) and after the last name the closing. None for a
        block of ready-made mappings."""
        if self.names is None:
            return None
        if not self.names:
            return [pa.array([style.empty], type=pa.large_string())]
        last = len(self.names) - 1
        out = []
        for i, (name, values) in enumerate(zip(self.names, self.values, strict=True)):
            head = (style.opening if i == 0 else style.separator) + style.key(name)
            tail = style.closing if i == last else ""
            out.append(pa.array([head + style.value(v) + tail for v in values],
                                type=pa.large_string()))
        return out

    def texts(self, rows: np.ndarray, encoded: list[pa.Array]) -> pa.Array:
        """The rows' evidence from the block's ``encoded`` values: the pieces of each row
        are joined by Arrow."""
        if not self.names:
            return encoded[0].take(np.zeros(len(rows), dtype=np.int64))
        columns = [values.take(pa.array(codes[rows]))
                   for codes, values in zip(self.codes, encoded, strict=True)]
        if len(columns) == 1:
            return columns[0]
        return pc.binary_join_element_wise(*columns, pa.scalar("", pa.large_string()))


@dataclass(frozen=True)
class Style:
    """How evidence is written as JSON: the text that opens a mapping, goes between two
    items and closes it; an empty mapping; a key with its colon; and a value."""

    opening: str
    separator: str
    closing: str
    empty: str
    key: Callable[[str], str]
    value: Callable[[Any], str]
    utf8: bool  # the texts as UTF-8 bytes (a streamed report), or as str


def indented(indent: str, prefix: bytes) -> Style:
    """As ``jsontext.encode`` writes a mapping at ``indent`` (``json.dumps`` with
    indent=2), after ``prefix``, in UTF-8."""
    from policycheck.formats.jsontext import encode, encode_str

    inner = indent + "  "
    start = prefix.decode("utf-8")
    return Style(start + "{\n" + inner, ",\n" + inner, "\n" + indent + "}", start + "{}",
                 lambda name: encode_str(name) + ": ", lambda value: encode(value, inner),
                 utf8=True)


def compact() -> Style:
    """As ``json.dumps(mapping, ensure_ascii=False, separators=(",", ":"))`` writes it."""
    from policycheck.formats.jsontext import encode_str

    return Style("{", ",", "}", "{}", lambda name: encode_str(name) + ":",
                 lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":")),
                 utf8=False)


def block(names: Sequence[str], columns: Sequence[tuple[np.ndarray, list[Any]]],
          lists: Sequence[bool]) -> Block:
    """A rule's evidence from each name's codes (one per row) and distinct values."""
    return Block(tuple(names), tuple(c for c, _ in columns), tuple(v for _, v in columns),
                 tuple(lists))


def styled_texts(column: pd.Series, style: Style,
                 memo: dict[int, tuple[Block, list[pa.Array] | None]]) -> pa.Array | None:
    """``EvidenceArray.texts`` of an evidence column held by column; None for any other
    column (mappings made elsewhere, such as redacted ones), which the caller encodes
    mapping by mapping."""
    array = column.array
    return array.texts(style, memo) if isinstance(array, EvidenceArray) else None


class EvidenceDtype(ExtensionDtype):
    """The dtype of the evidence column: a mapping of name to value per finding."""

    name = "evidence"
    type = dict  # the scalar type of the column
    kind = "O"
    na_value = None

    @classmethod
    def construct_array_type(cls) -> builtins.type[EvidenceArray]:
        return EvidenceArray


class EvidenceArray(ExtensionArray):
    """Evidence by rule: ``blocks`` (one per rule), and per row the block (-1: missing) and
    the row in it."""

    def __init__(self, blocks: tuple[Block, ...], block_of: np.ndarray, row: np.ndarray):
        self._blocks = blocks
        self._block = np.asarray(block_of, dtype=np.int32)
        self._row = np.asarray(row, dtype=np.int64)

    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None,
                       copy: bool = False) -> EvidenceArray:
        if isinstance(scalars, EvidenceArray):
            return scalars.copy() if copy else scalars
        values = list(scalars)
        missing = np.array([is_missing(v) for v in values], dtype=bool)
        return cls((Block.of_mappings(values),),
                   np.where(missing, -1, 0), np.arange(len(values)))

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[EvidenceArray]) -> EvidenceArray:
        blocks: list[Block] = []
        block_of, rows = [], []
        for array in to_concat:
            block_of.append(np.where(array._block < 0, -1, array._block + len(blocks)))
            rows.append(array._row)
            blocks.extend(array._blocks)
        return cls(tuple(blocks), np.concatenate(block_of), np.concatenate(rows))

    @property
    def dtype(self) -> EvidenceDtype:
        return EvidenceDtype()

    @property
    def nbytes(self) -> int:
        return int(self._block.nbytes + self._row.nbytes
                   + sum(c.nbytes for b in self._blocks for c in b.codes))

    def __len__(self) -> int:
        return len(self._block)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, np.integer)):
            at = int(item)
            block_of = self._block[at]
            if block_of < 0:
                return None
            return self._blocks[block_of].mappings(self._row[[at]])[0]
        if isinstance(item, tuple) and len(item) == 1:
            item = item[0]
        if not isinstance(item, slice):
            item = pd.api.indexers.check_array_indexer(self, item)
        return type(self)(self._blocks, self._block[item], self._row[item])

    def isna(self) -> np.ndarray:
        return self._block < 0

    def take(self, indices: Any, *, allow_fill: bool = False,
             fill_value: Any = None) -> EvidenceArray:
        if allow_fill and not is_missing(fill_value):
            raise ValueError("evidence is filled with missing values only")
        block_of = take(self._block, indices, allow_fill=allow_fill, fill_value=-1)
        row = take(self._row, indices, allow_fill=allow_fill, fill_value=0)
        return type(self)(self._blocks, np.asarray(block_of), np.asarray(row))

    def copy(self) -> EvidenceArray:
        return type(self)(self._blocks, self._block.copy(), self._row.copy())

    def with_blocks(self, change: Callable[[Block], Block]) -> EvidenceArray:
        """The same rows with each block changed (its rows keep their codes), such as
        redacted: each distinct value is seen once, not once per row."""
        return type(self)(tuple(change(b) for b in self._blocks), self._block.copy(),
                          self._row.copy())

    def groups(self) -> list[tuple[int, np.ndarray]]:
        """Each block present, with the positions of its rows (in order)."""
        if not len(self):
            return []
        order = np.argsort(self._block, kind="stable")
        present, starts = np.unique(self._block[order], return_index=True)
        return list(zip(present.tolist(), np.split(order, starts[1:]), strict=True))

    def to_objects(self) -> np.ndarray:
        """One new mapping per row (None where missing), as an object array."""
        out = np.empty(len(self), dtype=object)
        for block_of, positions in self.groups():
            if block_of >= 0:
                out[positions] = object_array(self._blocks[block_of].mappings(
                    self._row[positions]))
        return out

    def texts(self, style: Style, memo: dict[int, tuple[Block, list[pa.Array] | None]]
              ) -> pa.Array | None:
        """Every row's evidence written in ``style``, as Arrow text (binary when the style is
        UTF-8); None when a row is missing or a block holds ready-made mappings. Each
        block's distinct values are encoded once into ``memo``, which the caller keeps for
        every piece of one report (in one style)."""
        kind = pa.large_binary() if style.utf8 else pa.large_string()
        parts, where = [], []
        for block_of, positions in self.groups():
            if block_of < 0:
                return None
            block = self._blocks[block_of]
            if id(block) not in memo:
                memo[id(block)] = (block, block.encoded(style))
            encoded = memo[id(block)][1]
            if encoded is None:
                return None
            parts.append(block.texts(self._row[positions], encoded).cast(kind))
            where.append(positions)
        if not parts:
            return pa.array([], type=kind)
        joined = pa.concat_arrays(parts)
        if len(parts) == 1 and np.array_equal(where[0], np.arange(len(self))):
            return joined
        # the rows of each block, in block order: put back in row order
        return joined.take(pa.array(np.argsort(np.concatenate(where), kind="stable")))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        objects = self.to_objects()
        return objects if dtype is None or np.dtype(dtype) == object else \
            objects.astype(dtype)

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        if isinstance(dtype, EvidenceDtype):
            return self.copy() if copy else self
        if np.dtype(dtype) == object:
            return self.to_objects()
        return super().astype(dtype, copy=copy)

    def tolist(self) -> list[Any]:
        return self.to_objects().tolist()

    def __iter__(self) -> Any:
        return iter(self.tolist())

    def __eq__(self, other: Any) -> Any:
        mine = self.to_objects()
        theirs = other.to_objects() if isinstance(other, EvidenceArray) else other
        if np.ndim(theirs) == 0:
            return np.array([m == theirs for m in mine], dtype=bool)
        return np.array([m == t for m, t in zip(mine, theirs, strict=True)], dtype=bool)

    def _formatter(self, boxed: bool = False) -> Any:
        return repr
