"""A CSV text as columns of cells, each column a code per row into its distinct texts.

Arrow's CSV parser reads a large text on every core and codes its columns in C++, two at a
time: the tables of 100,000 plans (78 MB) take about 0.4 s (0.5 s on one core), where
pandas' parser and factorizing the Python strings it makes take 0.7–1.0 s. Every cell is
read as written, as text: an empty cell is an empty text, never a missing value or a number.
The two parsers read a text the same way where both read it (quotes, doubled quotes,
separators and line breaks inside quotes, a blank line as a row of empty cells; the tests
compare them on random texts). Where Arrow refuses a text (a row with more or fewer cells
than the first, an empty file, a quote never closed), pandas' parser reads it: its padding
of short rows with empty cells and its messages for malformed rows stay what they were.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from policycheck import limits
from policycheck.streams import interleaved

#: Texts from this size up are read on every core. A smaller one is read on this thread:
#: Arrow's thread pool would gain nothing on it and reserves address space of its own (a
#: run under a limit of address space, as the hostile-input tests set, stays within it).
THREADED_BYTES = 4 << 20

#: A column: a code per row into its distinct texts, in the order first met.
Column = tuple[np.ndarray, list[str]]


def read_columns(content: str, sep: str, arrow: bool = True) -> list[Column]:
    """The columns of a CSV text that starts with a cell (the blank lines above it cut), by
    position: the header is a row like any other; by Arrow's parser where it reads the text
    (not asked, without ``arrow``), else by pandas'. Raises pandas' ``EmptyDataError`` or
    ``ParserError`` where pandas' parser does."""
    data = content.encode()
    columns = utf8_columns(data, sep) if arrow else None
    return pandas_columns(data, sep) if columns is None else columns


def utf8_columns(data: bytes, sep: str) -> list[Column] | None:
    """The columns of a CSV text given as UTF-8 that starts with a cell, as Arrow's parser
    reads them; None where it refuses the text or it would not fit (``arrow_fits``). The
    parser checks that every cell is UTF-8 as Python's decoder does (overlong forms,
    surrogates and code points past U+10FFFF refused), so bytes read from a file need not
    be decoded first: a text that is not UTF-8 is refused like any other."""
    if not arrow_fits(len(data)):
        return None
    try:
        return arrow_columns(data, sep)
    except pa.ArrowInvalid:
        return None


#: The address space Arrow's CSV parser may take for a text: its buffers and columns per
#: byte of text, and what its allocator reserves on its first allocations.
ARROW_CSV_BYTES_PER_BYTE = 8
ARROW_CSV_RESERVE = 64 << 20


def arrow_fits(size: int) -> bool:
    """Whether the address space this process may still take (``ulimit -v``) holds what
    Arrow's parser takes for a text of ``size`` bytes. Arrow aborts the process where a
    parser buffer cannot be allocated (exit code 134, no message); pandas' parser raises
    MemoryError, which the command line reports (exit code 3)."""
    return ARROW_CSV_BYTES_PER_BYTE * size + ARROW_CSV_RESERVE <= limits.address_room()


def arrow_columns(data: bytes, sep: str) -> list[Column]:
    """The columns as Arrow's parser reads them; ``ArrowInvalid`` where it refuses.

    Arrow reads a quoted cell left open at the end of a text as closed there, with the rest
    of the text in it, where pandas' parser says the quote is never closed: rows would go
    missing without a word. So a row of empty cells is put after the text: if it comes back
    as a row of its own, every quote was closed (and the row is dropped); if not, the text
    is left to pandas' parser."""
    if not data:
        raise pa.ArrowInvalid("an empty text")
    ends = [at for at in (data.find(b"\n"), data.find(b"\r")) if at >= 0]
    first = data[:min(ends)] if ends else data
    # the first row's cells (a quoted separator counts one too many: Arrow then refuses the
    # row put after the text, which is as wide as this)
    fields = first.count(sep.encode()) + 1
    end = b"\r" if data.endswith(b"\r") else b"\n"  # "\r" then "\n" would be one line end
    closing = b"" if data.endswith((b"\n", b"\r")) else end
    table = pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(data + closing + sep.encode() * (fields - 1) + end)),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True,
                                       use_threads=len(data) >= THREADED_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(fields)},
            strings_can_be_null=False, quoted_strings_can_be_null=False))
    last = table.num_rows - 1
    if any(column.type != pa.string() for column in table.columns):
        # a first row going on past its first line has cells no type was given for
        raise pa.ArrowInvalid("a cell read as a number")
    if last < 1 or any(column[last].as_py() != "" for column in table.columns):
        raise pa.ArrowInvalid("a quoted cell is never closed")
    # coded two columns at a time on a large text (Arrow codes without the interpreter lock)
    return list(interleaved(table.slice(0, last).columns, _coded,
                            share=len(data) >= THREADED_BYTES))


def _coded(column: pa.ChunkedArray) -> Column:
    coded = column.combine_chunks().dictionary_encode()
    return coded.indices.to_numpy(zero_copy_only=False), coded.dictionary.to_pylist()


#: How pandas' parser says a buffer could not be allocated (as a ParserError).
_PARSER_NO_MEMORY = "C error: out of memory"


def pandas_columns(data: bytes, sep: str) -> list[Column]:
    """The columns as pandas' parser reads them."""
    # dtype=object keeps the parser's Python strings: pandas' default "str" dtype would
    # convert every column to Arrow and back, which costs more than the read. Given as
    # UTF-8 bytes, which the parser reads as they are.
    try:
        raw = pd.read_csv(io.BytesIO(data), header=None, dtype=object, sep=sep,
                          keep_default_na=False, na_filter=False, skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        if _PARSER_NO_MEMORY in str(exc):  # the machine's fault, not the file's
            raise MemoryError(str(exc)) from exc
        raise
    columns = []
    for name in raw.columns:
        codes, uniques = pd.factorize(raw[name].to_numpy())  # a short row padded with ""
        columns.append((codes, uniques.tolist()))
    return columns
