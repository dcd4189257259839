"""Reading plans kept as the sheets of one .xlsx workbook.

Each sheet named after a table (``plans``, ``components``, ...) is read like a CSV file of
that name (``tables``). Cells are read by calamine (a Rust reader, about 13 times faster
than openpyxl on a large workbook); a sheet with formulas is read by openpyxl instead, so
that a formula comes as its text, never as whatever value a program last saved with it (a
workbook written by a script holds none). Both readers make every cell of the rectangle from
A1 to a sheet's last cell: a sheet whose rectangle is far larger than its cells (one stray
cell at XFD1048576: 17 billion cells, which calamine aborts the process trying to allocate)
is read from the cells its XML holds instead (``sheetcells.read_cells``). What a
spreadsheet can do that a CSV file cannot is said plainly: merged cells (an error: rows
would lose their value), hidden sheets (read, with a warning), a zip that unpacks to far
more than its size (refused). The cells of a table's sheet become its frame in
``sheetcells``.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Generator
from pathlib import Path
from typing import Any, TypeAlias

from policycheck import limits
from policycheck.errors import Location, Problem
from policycheck.sheetcells import filled_cells, read_cells, read_rows
from policycheck.sheetscan import MAX_UNPACKED_BYTES, Scan, cell_position, contents, scan
from policycheck.streams import beside
from policycheck.tables import TableFrames, sheet_entity


def read_workbook(path: Path, shown: str, out: TableFrames) -> list[str] | None:
    """Read every recognised sheet of a workbook; return the names of sheets not used, or
    None when the workbook could not be opened at all (or unpacks past the limit)."""
    # imported here: only workbook users pay for it
    from python_calamine import CalamineWorkbook

    by_openpyxl = _Openpyxl(path)
    try:
        sizes, parts = contents(path)
        unpacked = sum(sizes.values())
        # calamine aborts the process where it cannot allocate (under ``ulimit -v``);
        # openpyxl raises MemoryError, which the command line reports (exit code 3)
        book = (CalamineWorkbook.from_path(str(path))
                if unpacked <= MAX_UNPACKED_BYTES and _calamine_fits(sizes) else None)
        sheets = (_calamine_sheets(book) if book is not None
                  else by_openpyxl.sheets() if unpacked <= MAX_UNPACKED_BYTES else [])
    except MemoryError:  # the command line's to report (exit code 3)
        by_openpyxl.close()
        raise
    except Exception as exc:  # zipfile, calamine and openpyxl raise many types
        by_openpyxl.close()
        out.problems.append(Problem(Location(shown), f"cannot open as an .xlsx workbook: "
                                    f"{_reason(exc)}", "bad-workbook"))
        return None
    if unpacked > MAX_UNPACKED_BYTES:
        out.problems.append(Problem(Location(shown), f"workbook unpacks to {unpacked:,} bytes; "
                                    f"the limit is {MAX_UNPACKED_BYTES:,} (a zip bomb?)",
                                    "file-too-large"))
        return None
    unused = [name for name, _ in sheets if sheet_entity(name) is None]
    tables = [(name, state, spec) for name, state in sheets
              if (spec := sheet_entity(name)) is not None]
    # A large workbook's largest sheet is scanned and parsed on a helper thread, with a
    # workbook object of its own (one may not be used by two threads at once), while this
    # thread reads the other sheets, then it: calamine parses without the interpreter lock.
    # 100,000 plans: 5.9 million cells of components take it about 4 s.
    largest = max((name for name, _, _ in tables),
                  key=lambda name: sizes.get(parts.get(name, ""), 0), default=None)
    helper = (_opened_again(CalamineWorkbook, path) if book is not None
              and unpacked >= AHEAD_BYTES and len(tables) > 1 else None)
    ahead = (beside(_prepare, helper, path, parts.get(largest), largest)
             if helper is not None and largest is not None else None)
    if ahead:
        tables.sort(key=lambda table: table[0] == largest)  # stable: the others in order
    try:
        for name, state, spec in tables:
            if ahead and name == largest:
                scanned, sheet = ahead()
                ahead = None
            else:
                scanned, sheet = _prepare(book, path, parts.get(name), name)
            try:
                if isinstance(sheet, Exception):
                    raise sheet
                cells = (filled_cells(by_openpyxl.cells(name)) if sheet is None
                         else sheet.to_python(skip_empty_area=False))
                sheet = None  # calamine's copy of the cells freed before the frame is made
            except MemoryError:
                raise
            except Exception as exc:  # a sheet's XML broken past its metadata
                out.problems.append(Problem(Location(shown, name), "cannot read sheet "
                                            f"'{name}': {_reason(exc)}", "bad-workbook"))
                _sheet_warnings(name, state, scanned.merged, shown, out)
                continue
            header = (read_cells(cells, name, spec, shown, out) if isinstance(cells, dict)
                      else read_rows(cells, name, spec, shown, out))
            _sheet_warnings(name, state, scanned.merged, shown, out, header)
    finally:
        if ahead:  # not taken (a sheet before it failed): the helper done with its book
            ahead()
        for opened in (book, helper):
            if opened is not None:
                opened.close()
        by_openpyxl.close()
    return unused


#: The sheets of policycheck's Excel report (``formats/xlsx_format``; "findings (2)"... past
#: a sheet's rows) and the first columns of its findings sheet: its plans sheet, read as a
#: table of plans, repeated every plan of the folder it was saved in.
REPORT_SHEETS = frozenset({"findings", "plans", "problems"})
REPORT_FINDINGS = ("rule_id", "severity", "title", "plan_id")
_SHEET_PART = re.compile(r"\s*\([1-9][0-9]*\)$")


def is_report(path: Path) -> bool:
    """Whether a workbook is a report policycheck wrote: sheets findings and plans (and
    problems) alone, the findings sheet's first row the report's header. A workbook that
    cannot be opened is not (``read_workbook`` says why)."""
    try:
        names = set(contents(path)[1])
    except Exception:  # zipfile raises many types
        return False
    if not {"findings", "plans"} <= names or any(
            _SHEET_PART.sub("", name) not in REPORT_SHEETS for name in names):
        return False
    reader = _Openpyxl(path)
    try:
        with contextlib.closing(reader.cells("findings")) as cells:
            header = [str(value).strip() for _, _, value in itertools.takewhile(
                lambda cell: cell[0] == 1, cells)]
    except Exception:  # a sheet broken past its name: read_workbook says so
        return False
    finally:
        reader.close()
    return tuple(header[:len(REPORT_FINDINGS)]) == REPORT_FINDINGS


def _calamine_sheets(book: Any) -> list[tuple[str, str]]:
    """The worksheets' names and states (as the workbook's XML spells them); a chart sheet
    holds no cells."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    # compared one by one: calamine's enum members are not hashable
    return [(meta.name, "hidden" if meta.visible == SheetVisibleEnum.Hidden else
             "veryHidden" if meta.visible == SheetVisibleEnum.VeryHidden else "visible")
            for meta in book.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]


#: The address space calamine may take for a sheet, per byte of its XML: 1.4 measured once
#: parsed, and a growing vector holds its old buffer and one twice as large for a moment.
CALAMINE_BYTES_PER_BYTE = 4


def _calamine_fits(sizes: dict[str, int]) -> bool:
    """Whether the address space this process may still take holds what calamine takes for
    the shared strings and the two largest sheets (two are parsed at once)."""
    sheets = sorted((size for name, size in sizes.items() if name.startswith("xl/worksheets/")),
                    reverse=True)
    need = CALAMINE_BYTES_PER_BYTE * (sizes.get("xl/sharedStrings.xml", 0) + sum(sheets[:2]))
    return need <= limits.address_room()


#: A workbook from this size up (unpacked) has its largest sheet parsed on a helper
#: thread.
AHEAD_BYTES = 16 << 20

#: A sheet's scan and its cells as calamine parsed them (None for a sheet openpyxl reads: one
#: with formulas, one whose rectangle is too large (``Scan.dense``), or every sheet where
#: calamine would not fit; the error met, for a sheet that cannot be parsed).
_Prepared: TypeAlias = "tuple[Scan, Any]"


def _opened_again(reader: Any, path: Path) -> Any:
    """A second workbook object for the helper thread; none (the sheets read one by one)
    if the file cannot be opened again."""
    try:
        return reader.from_path(str(path))
    except Exception:  # the file gone or changed since: the first object still reads it
        return None


def _prepare(book: Any, path: Path, part: str | None, name: str) -> _Prepared:
    found = scan(path, part)
    if found.formulas or found.errors or book is None or not found.dense():  # by openpyxl
        return found, None
    try:
        return found, book.get_sheet_by_name(name)
    except Exception as exc:  # reported with the sheet's name by the reading thread
        return found, exc


def _reason(exc: Exception) -> str:
    return str(exc).strip() or type(exc).__name__


class _Openpyxl:
    """The sheets openpyxl reads: those with formulas (a formula comes as its text,
    ``=B2*2``, which the typing then reports as a value it cannot read) or error values
    (``#N/A``, reported as such), those whose rectangle is too large, and every sheet, names
    and states too, where calamine would not fit. The workbook is opened by openpyxl only
    if a sheet needs it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book: Any = None

    def cells(self, name: str) -> Generator[tuple[int, int, Any], None, None]:
        """(row, column, value) of each cell the sheet's XML holds, as ``iter_rows`` reads
        them; ``iter_rows`` would make every cell of the rectangle from A1 to the last one
        its dimension names (the rows between too)."""
        # openpyxl's own parser of a read-only sheet's XML, as ``ReadOnlyWorksheet`` uses it
        from openpyxl.worksheet._reader import WorkSheetParser

        book = self._opened()
        sheet = book[name]
        with sheet._get_source() as source:
            parser = WorkSheetParser(source, sheet._shared_strings, data_only=False,
                                     epoch=book.epoch, date_formats=book._date_formats,
                                     timedelta_formats=book._timedelta_formats)
            for _, row in parser.parse():
                for cell in row:
                    yield cell["row"], cell["column"], cell["value"]

    def sheets(self) -> list[tuple[str, str]]:
        """The worksheets' names and states, for a workbook read by openpyxl alone."""
        return [(sheet.title, sheet.sheet_state) for sheet in self._opened().worksheets]

    def _opened(self) -> Any:
        if self.book is None:
            import openpyxl

            self.book = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        return self.book

    def close(self) -> None:
        if self.book is not None:
            self.book.close()


def _sheet_warnings(sheet: str, state: str, merged: list[str], shown: str,
                    out: TableFrames, header: int = 0) -> None:
    """Merged cells put one value in the first cell and leave the others empty, so rows of
    a table would silently lose it: an error, but for cells above the ``header`` row (a
    report's title, skipped). A hidden table sheet is read, with a warning: its rows count
    although nobody sees them."""
    merged = [cells for cells in merged if cell_position(cells.split(":")[-1])[0] >= header]
    if merged:
        listed = ", ".join(merged[:5]) + (f" and {len(merged) - 5} more" if len(merged) > 5
                                           else "")
        row, column = cell_position(merged[0])
        out.problems.append(Problem(
            Location(shown, sheet, row, column), f"merged cells {listed}: only the "
            "first cell of a merged range holds its value; expected one value per cell "
            "(unmerge and fill each row)", "merged-cells"))
    if state != "visible":
        out.problems.append(Problem(
            Location(shown, sheet), f"sheet '{sheet}' is {state} in the workbook; its rows "
            "are read all the same", "hidden-sheet", severity="warning"))
