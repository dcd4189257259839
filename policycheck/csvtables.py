"""Reading a CSV table: its bytes to cells by column (Arrow where the bytes are plain UTF-8,
pandas' parser from the decoded text otherwise), a title above the header made blank, the
line each row starts on, and the problems of a file that is not CSV. The cells then go to
``tables.add_frame`` as a sheet's do.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import numpy as np
import pandas as pd

from policycheck.csvcells import Column, read_columns, utf8_columns
from policycheck.errors import Location, Problem
from policycheck.model import EntitySpec
from policycheck.tables import (
    TITLE_ROWS,
    TableFrames,
    add_frame,
    stripped,
    table_folder,
    title_problem,
    title_rows,
)
from policycheck.yamlsource import decode


def _without_title(raw: bytes, spec: EntitySpec, shown: str, out: TableFrames) -> bytes:
    """A CSV file's bytes with the lines of a title above its header (``title_rows``; each
    line split at its own separator: a title holds none, or not the header's) made blank,
    so that they are skipped as blank lines are and every row keeps its line number."""
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    head = raw[start:start + _TITLE_BYTES]  # not the whole file: it may be 50 MB
    body = head.lstrip(_ASCII_SPACE)
    lines = body.decode("utf-8", "replace").splitlines()[:TITLE_ROWS]
    title = title_rows([line.split(separator(line)) for line in lines], spec)
    if not title:
        return raw
    first = start + len(head) - len(body)
    end = first
    for _ in range(title):
        end = raw.index(b"\n", end) + 1
    out.problems.append(title_problem(title, raw.count(b"\n", 0, first) + title + 1, shown,
                                      ""))
    return raw[:first] + raw[first:end].translate(_ONLY_NEWLINES) + raw[end:]


#: The bytes of a CSV file looked at for a title above its header.
_TITLE_BYTES = 64 * 1024
#: Every byte but a newline made a space.
_ONLY_NEWLINES = bytes(b if b == 0x0A else 0x20 for b in range(256))


def read_csv(path: Path, shown: str, spec: EntitySpec, out: TableFrames) -> bool:
    """Read one CSV file of an entity into ``out``; False when it could not be read at all
    (not text in the expected encoding, or malformed CSV). An empty table was read."""
    raw = _without_title(path.read_bytes(), spec, shown, out)
    content = _plain_utf8(raw)
    read = None if content is None else _arrow_cells(raw, content)
    if read is None:
        # bytes Arrow refused go to pandas' parser once decoded: Arrow would refuse them again
        read = _text_cells(raw, shown, out.problems, arrow=content is None)
        if read is None:
            _unread(shown, spec, out)
            return False
    cells, above = read
    stripped_cells = [stripped(codes, texts) for codes, texts in cells]
    columns = [values for values, _ in stripped_cells]
    blank = np.logical_and.reduce([missing for _, missing in stripped_cells]) \
        if stripped_cells else np.ones(0, dtype=bool)
    if blank.all():
        out.problems.append(Problem(Location(shown), f"empty table: expected a header row "
                                    f"with the {spec.name} columns", "empty-table"))
        _unread(shown, spec, out, "is empty")
        return True
    top = int(blank.argmin())  # blank lines above the header are skipped
    header = [texts[codes[top]] for codes, texts in cells]
    body = [column[top + 1:] for column in columns]
    starts = _row_lines(cells, above)
    add_frame(header, body, blank[top + 1:], shown, "", spec, out,
              header_row=above + top + 1 if starts is None else int(starts[top]),
              lines=None if starts is None else starts[top + 1:])
    return True


def _row_lines(cells: list[Column], above: int) -> np.ndarray | None:
    """The line each row starts on, where a quoted cell holds a line break (a row is then
    more than one line of the file, and its number is not its line's); None where none
    does, every row being one line. Counted per distinct text of a column that holds one
    (looked for in the column's texts joined, in C: the tables of 100,000 plans have
    hundreds of thousands of distinct texts)."""
    broken = [(codes, texts) for codes, texts in cells
              if "\n" in (joined := "".join(texts)) or "\r" in joined]
    if not broken:
        return None
    rows = len(cells[0][0])
    per_row = np.zeros(rows, dtype=np.int64)
    for codes, texts in broken:
        per_row += np.array([text.count("\n") + text.count("\r") - text.count("\r\n")
                             for text in texts], dtype=np.int64)[codes]
    before = np.concatenate(([0], np.cumsum(per_row)[:-1]))
    return above + 1 + np.arange(rows, dtype=np.int64) + before


def _unread(shown: str, spec: EntitySpec, out: TableFrames,
            why: str = "could not be read") -> None:
    """Said once, by the rows of other tables that need this one: why it gave no rows."""
    folder = table_folder(shown, "")
    if folder is not None:
        out.unread[folder, spec.name] = f"{shown}, this folder's {spec.name} table, {why}"


#: A CSV file's cells by column, and the blank lines above its first cell.
_Cells = tuple[list[Column], int]

#: The characters below 128 that ``str.lstrip`` takes for whitespace.
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _plain_utf8(raw: bytes) -> bytes | None:
    """A file's bytes from its first cell on, for Arrow to read as they are (``_arrow_cells``)
    where ``_text_cells`` would read them from the text; None for a file to be read as text:
    an empty one, one with a NUL byte, or one whose first character past the ASCII
    whitespace is not ASCII (it may be whitespace). Decoding the files of 100,000 plans
    (78 MB) to text and encoding them back took about 0.1 s."""
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    content = raw[start:].lstrip(_ASCII_SPACE)
    if not content or content[0] >= 0x80 or b"\x00" in raw:
        return None
    return content


def _arrow_cells(raw: bytes, content: bytes) -> _Cells | None:
    """The cells of ``content``, the end of ``raw`` from its first cell on, read by Arrow,
    which checks that they are UTF-8 (``csvcells.utf8_columns``); None where it refuses
    them, not UTF-8 among them."""
    end = content.find(b"\n")
    # the header line, as separator() takes it from the text: an ASCII separator is one byte
    sep = separator((content if end < 0 else content[:end]).decode("latin-1"))
    columns = utf8_columns(content, sep)
    return None if columns is None else (columns, raw.count(b"\n", 0, len(raw) - len(content)))


def _text_cells(raw: bytes, shown: str, problems: list[Problem],
                arrow: bool = True) -> _Cells | None:
    """A file's cells read from its text (by Arrow first, if ``arrow``); None, with the
    problem said, for a file that is not UTF-8 text or not CSV."""
    text = decode(raw, shown, problems, table=True)  # binary said plainly
    if text is None:
        return None
    if "\x00" in text:
        problems.append(Problem(Location(shown), "file holds NUL bytes: expected UTF-8 "
                                "CSV text (is it UTF-16 without a byte-order mark, or a "
                                "binary file?)", "encoding"))
        return None
    # Blank lines are kept, then dropped as blank rows, so that row numbers stay lines;
    # pandas finds no columns when the file starts with one, so those are counted and cut.
    content = text.lstrip()
    above = text[: len(text) - len(content)].count("\n")
    sep = separator(content)
    try:
        return read_columns(content, sep, arrow), above
    except pd.errors.EmptyDataError:
        return [], above
    except pd.errors.ParserError as exc:
        closed = _closed_rows(exc, content, sep, arrow)
        if closed is not None:
            return closed, above
        problems.append(malformed(exc, shown, above, sep))
        return None


def _closed_rows(exc: Exception, content: str, sep: str, arrow: bool) -> list[Column] | None:
    """The columns of a table whose rows end in more separators than its header (an export
    that closes each row with one: ``a,b,c,``), read with the header widened by as many
    cells; where the cells past the header are all empty they hold nothing, and are
    dropped. None for any other table: one whose rows hold more than the header names is
    malformed."""
    found = _FIELD_COUNTS.search(str(exc))
    extra = int(found[3]) - int(found[1]) if found else 0
    if not 0 < extra <= _MOST_CLOSING:
        return None
    end = content.find("\n")
    head = content if end < 0 else content[:end]
    cut = len(head.rstrip("\r"))
    try:
        columns = read_columns(content[:cut] + sep * extra + content[cut:], sep, arrow)
    except pd.errors.ParserError:
        return None
    if any(str(text).strip() for _, texts in columns[-extra:] for text in texts):
        return None
    return columns[:-extra]


#: What pandas says of a row with more cells than the header: the header's count, the
#: row's line (from 0, below the blank lines cut) and the row's count.
_FIELD_COUNTS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
#: The separators a row may end in past its header's cells and still be read.
_MOST_CLOSING = 2


#: The field separators of CSV exports: Excel writes ";" where the decimal mark is a comma
#: (most of continental Europe), and some HR systems export tab-separated text.
SEPARATORS = (",", ";", "\t")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def separator(text: str) -> str:
    """The field separator of a CSV text: the one its header line holds most of (a header
    of one column holds none: a comma)."""
    end = text.find("\n")
    header = text if end < 0 else text[:end]  # not split: that would copy the whole rest
    counts = [header.count(candidate) for candidate in SEPARATORS]
    return SEPARATORS[counts.index(max(counts))]


def malformed(exc: Exception, shown: str, above: int, sep: str = ",") -> Problem:
    """pandas says "Expected 4 fields in line 3, saw 5": say it with the line in front."""
    unclosed = re.search(r"EOF inside string starting at row (\d+)", str(exc))
    if unclosed:  # pandas counts rows from 0
        return Problem(Location(shown, "", int(unclosed.group(1)) + 1 + above),
                       "malformed CSV: a quoted cell starting on this row is never closed; "
                       "expected a closing '\"'", "bad-csv")
    found = _FIELD_COUNTS.search(str(exc))
    if found is None:
        return Problem(Location(shown), f"malformed CSV: {str(exc).strip()}", "bad-csv")
    columns, line, cells = found.groups()
    return Problem(Location(shown, "", int(line) + above),
                   f"malformed CSV: this row has {cells} cells but the header has {columns}; "
                   "expected one cell per column (quote a cell that contains a "
                   f"{SEPARATOR_NAMES[sep]})",
                   "bad-csv")
