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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray, ExtensionDtype, take

from policycheck.wording import evidence_dicts, object_array


@dataclass(frozen=True, eq=False)
class Block:
    """One rule's evidence: for each name, a code per row into that name's distinct values.
    ``names`` None: a block of ready-made mappings (``values[0]``, one per row)."""

    names: tuple[str, ...] | None
    codes: tuple[np.ndarray, ...]
    values: tuple[list[Any], ...]
    lists: tuple[bool, ...]  # values that are lists: each row gets its own copy
    size: int

    @classmethod
    def of_mappings(cls, mappings: Sequence[Any]) -> Block:
        return cls(None, (np.arange(len(mappings)),), (list(mappings),), (False,),
                   len(mappings))

    def mappings(self, rows: np.ndarray) -> list[Any]:
        """The rows' evidence, one new mapping per row."""
        if self.names is None:
            return object_array(self.values[0])[rows].tolist()
        columns = []
        for codes, values, is_list in zip(self.codes, self.values, self.lists, strict=True):
            column = object_array(values)[codes[rows]]
            columns.append(object_array([list(v) for v in column.tolist()]) if is_list else column)
        return evidence_dicts(self.names, columns, len(rows)).tolist()

    def encoded(self, indent: str, prefix: bytes) -> list[pa.Array] | None:
        """Per name, each distinct value as ``jsontext.encode`` writes it at ``indent``,
        with the text before it (``prefix`` and the opening brace, or the item separator)
        and after the last name the closing brace, in UTF-8. None for a block of ready-made
        mappings."""
        from policycheck.formats.jsontext import encode, encode_str

        if self.names is None:
            return None
        if not self.names:
            return [pa.array([prefix + b"{}"], type=pa.large_binary())]
        inner = indent + "  "
        last = len(self.names) - 1
        out = []
        for i, (name, values) in enumerate(zip(self.names, self.values, strict=True)):
            head = (prefix.decode("utf-8") + "{\n" if i == 0 else ",\n") + inner
            head += encode_str(name) + ": "
            tail = "\n" + indent + "}" if i == last else ""
            out.append(pa.array([(head + encode(v, inner) + tail).encode("utf-8")
                                 for v in values], type=pa.large_binary()))
        return out

    def texts(self, rows: np.ndarray, encoded: list[pa.Array]) -> list[bytes]:
        """The rows' evidence as UTF-8 JSON text, from the block's ``encoded`` values: the
        pieces of each row are joined by Arrow."""
        if not self.names:
            return encoded[0].take(np.zeros(len(rows), dtype=np.int64)).to_pylist()
        columns = [values.take(pa.array(codes[rows]))
                   for codes, values in zip(self.codes, encoded, strict=True)]
        joined = (columns[0] if len(columns) == 1
                  else pc.binary_join_element_wise(*columns, pa.scalar(b"", pa.large_binary())))
        return joined.to_pylist()


def block(names: Sequence[str], columns: Sequence[tuple[np.ndarray, list[Any]]],
          lists: Sequence[bool], size: int) -> Block:
    """A rule's evidence from each name's codes (one per row) and distinct values."""
    return Block(tuple(names), tuple(c for c, _ in columns), tuple(v for _, v in columns),
                 tuple(lists), size)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


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
        missing = np.array([_missing(v) for v in values], dtype=bool)
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
            return self._blocks[block_of].mappings(self._row[at:at + 1] if at != -1
                                                   else self._row[at:])[0]
        if isinstance(item, tuple) and len(item) == 1:
            item = item[0]
        if not isinstance(item, slice):
            item = pd.api.indexers.check_array_indexer(self, item)
        return type(self)(self._blocks, self._block[item], self._row[item])

    def isna(self) -> np.ndarray:
        return self._block < 0

    def take(self, indices: Any, *, allow_fill: bool = False,
             fill_value: Any = None) -> EvidenceArray:
        if allow_fill and not _missing(fill_value):
            raise ValueError("evidence is filled with missing values only")
        block_of = take(self._block, indices, allow_fill=allow_fill, fill_value=-1)
        row = take(self._row, indices, allow_fill=allow_fill, fill_value=0)
        return type(self)(self._blocks, np.asarray(block_of), np.asarray(row))

    def copy(self) -> EvidenceArray:
        return type(self)(self._blocks, self._block.copy(), self._row.copy())

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

    def texts(self, indent: str, prefix: bytes,
              memo: dict[int, tuple[Block, list[pa.Array] | None]]) -> list[bytes] | None:
        """Every row's evidence as ``jsontext.encode`` writes it at ``indent``, after
        ``prefix``, in UTF-8 (None when a row is missing or a block holds ready-made
        mappings). Each block's distinct values are encoded once into ``memo``, which the
        caller keeps for every piece of one report (with one indent and prefix)."""
        out = np.empty(len(self), dtype=object)
        for block_of, positions in self.groups():
            if block_of < 0:
                return None
            block = self._blocks[block_of]
            if id(block) not in memo:
                memo[id(block)] = (block, block.encoded(indent, prefix))
            encoded = memo[id(block)][1]
            if encoded is None:
                return None
            out[positions] = block.texts(self._row[positions], encoded)
        return out.tolist()

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
