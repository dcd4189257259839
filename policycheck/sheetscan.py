"""What a workbook's XML says before its cells are read: the member holding each sheet and
what each unpacks to (``contents``), and, scanned in chunks, what the cell readers do not
say or would pay dearly for (``scan``): merged ranges, formulas, error values, and how far
a sheet's cells reach, so that a sheet with one stray cell at XFD1048576 is not made whole
as the rectangle from A1 to it (``Scan.dense``).
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: An .xlsx is a zip: its sheets may unpack to far more than the file's size.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Za-z0-9:$]+)"')
#: A cell's formula: ``<f>``, ``<f t="shared" .../>`` (not ``<formula>`` of a validation).
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
#: What every formula tag holds ("<" stands only before a tag in XML): searched for first.
_FORMULA_TAGS = (b"<f", b":f")
#: A cell of an error value (``<c r="B2" t="e"><v>#N/A</v></c>``), and the character every
#: error value starts with, rare in a sheet's XML: searched for first (a search for
#: ``t="e"`` took 0.25 s over the 480 MB of 100,000 plans' sheets, one for "#" 0.005 s).
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\bt="e"')
_ERROR_MARK = b"#"


#: An element of the workbook's part (``sheet``) or of its relationships (``Relationship``),
#: with or without a namespace prefix, and its attributes.
_ELEMENT = re.compile(rb'<(?:\w+:)?(sheet|Relationship)\b([^>]*)>')
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')


def contents(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    """What each zip member unpacks to (zipfile's error for a file that is no zip), and the
    member holding each sheet's XML, by sheet name, from the workbook's part and its
    relationships (none found: every sheet read by openpyxl, see ``scan``)."""
    with zipfile.ZipFile(path) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
        try:
            book = archive.read("xl/workbook.xml")
            relations = archive.read("xl/_rels/workbook.xml.rels")
        except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
            return sizes, {}
    targets = {}
    for attributes in _elements(relations, b"Relationship"):
        if "Id" in attributes and "Target" in attributes:
            target = attributes["Target"]
            targets[attributes["Id"]] = (target.lstrip("/") if target.startswith("/") else
                                         posixpath.normpath(posixpath.join("xl", target)))
    parts = {}
    for attributes in _elements(book, b"sheet"):
        relation = next((v for k, v in attributes.items() if k.split(":")[-1] == "id"), None)
        if "name" in attributes and relation in targets:
            parts[attributes["name"]] = targets[relation]
    return sizes, parts


def _elements(xml: bytes, tag: bytes) -> Iterator[dict[str, str]]:
    """The attributes of every ``tag`` element, unescaped."""
    for found in _ELEMENT.finditer(xml):
        if found.group(1) == tag:
            yield {_unescape(k): _unescape(v) for k, v in _ATTRIBUTE.findall(found.group(2))}


def _unescape(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", "replace"))


#: A sheet is read from its cells (``sheetcells.read_cells``), not as the rectangle from A1 to
#: its last cell (calamine's, 32 bytes a cell, then as many Python values), where that
#: rectangle holds more than DENSE_CELLS cells and more than one per XML_BYTES_PER_CELL bytes
#: of the sheet's XML (a table's cell takes 20 to 60), or might hold more than MAX_DENSE_CELLS.
DENSE_CELLS = 1 << 20
XML_BYTES_PER_CELL = 4
MAX_DENSE_CELLS = 1 << 26
#: Column Z: the widest a sheet is taken to be where no cell reference has two letters.
_NARROW = 26


@dataclass
class Scan:
    """What the cell reader does not say about a sheet: its merged ranges, whether any cell
    holds a formula (or, for a sheet whose XML was not found, whether one might), whether
    any holds an error value (``#N/A`` pasted as a value: calamine gives an empty cell,
    which would read as missing, where openpyxl gives the error's text), and how far its
    cells reach: the last row and the last column past Z of a cell with a value (``_reach``)
    and the size of its XML."""

    merged: list[str] = field(default_factory=list)
    formulas: bool = False
    errors: bool = False
    rows: int = 0
    columns: int = 0
    size: int = 0

    def dense(self) -> bool:
        """Whether the rectangle from A1 to the last cell may be made whole."""
        columns = max(self.columns, _NARROW)
        # A row out of order is found only where it has more digits than the last row
        # (``_reach``): a shorter one is bounded by them.
        bound = 10 ** len(str(self.rows)) - 1
        return (self.rows * columns <= max(DENSE_CELLS, self.size // XML_BYTES_PER_CELL)
                and bound * columns <= MAX_DENSE_CELLS)


def scan(path: Path, part: str | None) -> Scan:
    """Scan a sheet's XML in chunks for merged ranges (they follow the cell data) and
    formulas. A sheet whose XML is not found is read by openpyxl, as one with formulas:
    calamine would give it the values saved with its formulas."""
    if part is None:
        return Scan(formulas=True)
    scan = Scan()
    found: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
            tail = b""
            while chunk := stream.read(1 << 20):
                data = tail + chunk
                scan.size += len(chunk)
                scan.rows, scan.columns = _reach(data, scan.rows, scan.columns)
                # a plain search first: far faster than a pattern starting with "<"
                if b"mergeCell" in data:
                    found += [m.decode() for m in _MERGE.findall(data)]
                if not scan.formulas and any(tag in data for tag in _FORMULA_TAGS):
                    scan.formulas = _FORMULA.search(data) is not None
                if not scan.errors and _ERROR_MARK in data:
                    scan.errors = _ERROR_CELL.search(data) is not None
                tail = data[-256:]  # a tag cut by the chunk boundary; repeats are dropped
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return Scan(formulas=True)
    scan.merged = sorted(set(found), key=cell_position)
    return scan


#: A cell's reference and the end of its tag ("/": an empty cell, which calamine passes over).
_CELL_REF = re.compile(rb'r="([A-Za-z]{1,3})(\d+)"[^>]*?(/?)>')


@cache
def _far_cell(digits: int) -> re.Pattern[bytes]:
    """A reference to a cell past column Z, or in a row of more than ``digits`` digits:
    neither is met in a sheet of up to 26 columns written row after row. The pattern starts
    with plain text, which is searched for some five times faster than a word boundary
    before it."""
    return re.compile(rb'r="([A-Za-z](?:[A-Za-z]{1,2}|(?=\d{%d})))(\d+)"[^>]*?(/?)>'
                      % (digits + 1))


def _reach(data: bytes, rows: int, columns: int) -> tuple[int, int]:
    """The last row and the last column past Z of the cells with a value so far, with those
    of ``data``: its last such cell (rows are written in order), then any cell out of that
    order or past Z."""
    end = len(data)
    while (at := data.rfind(b'r="', 0, end)) >= 0:
        found = _CELL_REF.match(data, at)
        if found and not found.group(3):
            rows = max(rows, int(found.group(2)))
            break
        end = at
    for letters, row, empty in _far_cell(len(str(rows))).findall(data):
        if not empty:
            rows = max(rows, int(row))
            if len(letters) > 1:
                columns = max(columns, column_number(letters.decode()))
    return rows, columns


def column_number(letters: str) -> int:
    """1 for A, 27 for AA, 16384 for XFD."""
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return column


def cell_position(ref: str) -> tuple[int, int]:
    """(row, column) of the first cell of a range like ``B4:B5``."""
    found = re.match(r"\$?([A-Za-z]+)\$?(\d+)", ref)
    if found is None:
        return 0, 0
    return int(found.group(2)), column_number(found.group(1))
