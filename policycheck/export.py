"""Writing the model back out as tables: a folder of CSV files or one .xlsx workbook.

The tables are the model's as ``exporttables`` makes them, cells as text (SPEC 3.2); reading
the output back gives the same frames, which the test suite checks. Nothing is written over
one of the run's inputs, and each file is written whole or not at all (``outputfiles``);
the workbook's zip is saved with fixed dates (``workbookzip``), so the same plans give the
same bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from policycheck.exporttables import table_frames
from policycheck.model import Model
from policycheck.outputfiles import atomic_write, refuse_target, writable
from policycheck.tables import sheet_parts
from policycheck.workbookzip import EPOCH, save_workbook


def write_csv_folder(model: Model, folder: Path) -> list[Path]:
    """One CSV per non-empty table (``workbook_tables``); written to temporary names, then
    renamed."""
    tables = workbook_tables(model)
    writable(folder, folder=True)
    for name in tables:  # every target checked before anything is written
        refuse_target(folder / f"{name}.csv", model.files)
    written = []
    for name, table in tables.items():
        target = folder / f"{name}.csv"
        atomic_write(target, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        written.append(target)
    return written


def workbook_tables(model: Model) -> dict[str, pd.DataFrame]:
    """The tables the model is written out as, a workbook's sheets or a folder's CSV files:
    every non-empty one, and always plans and components."""
    return {name: table for name, table in table_frames(model).items()
            if not table.empty or name in ("plans", "components")}


def write_workbook(model: Model, target: Path) -> Path:
    """One sheet per non-empty table; header frozen and filterable."""
    refuse_target(target, model.files)
    return write_tables_workbook(workbook_tables(model), target)


def write_tables_workbook(tables: Mapping[str, pd.DataFrame], target: Path) -> Path:
    """A workbook of one sheet per table, header frozen and filterable (a table past the
    rows a sheet holds goes on in sheets of its name numbered, ``tables.sheet_parts``,
    which are read back as the same table). openpyxl writes
    the header and the first row of each sheet; the other rows of a column of plain cells
    (text, whole and finite numbers, empty) are written as sheet XML from the columns
    (``formats.sheetxml``): openpyxl makes an object of every cell, and 100,000 plans have
    six million (100 s and 3.9 GB, where this takes seconds)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    from policycheck.formats import sheetxml

    book = openpyxl.Workbook()
    book.remove(book.active)
    # Fixed document dates: the same plans give the same workbook bytes.
    book.properties.created = book.properties.modified = EPOCH
    rewrite = {}
    # a table longer than a sheet holds goes on in sheets "components (2)"...
    parts = ((title, whole.iloc[start:end]) for name, whole in tables.items()
             for title, start, end in sheet_parts(name, len(whole)))
    for number, (name, table) in enumerate(parts, start=1):
        sheet = book.create_sheet(name)
        sheet.append(list(table.columns))
        cells = [table[c].tolist() for c in table.columns]
        # a row of empty cells only is left to openpyxl, whose rows the XML must mirror
        columns = (sheetxml.plain_columns(cells) if len(table) > 1
                   and not table.iloc[1:].isna().all(axis=1).any() else None)
        for line, row in enumerate(
                zip(*(c[: 1 if columns else None] for c in cells), strict=True), start=2):
            sheet.append(list(row))
            _as_text(sheet, line, row)
        extent = f"A1:{get_column_letter(max(len(table.columns), 1))}{len(table) + 1}"
        if columns:
            rewrite[f"xl/worksheets/sheet{number}.xml"] = functools.partial(
                sheetxml.more_rows, sheet=sheet, columns=columns, first=3, extent=extent)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = extent if len(table.columns) else sheet.dimensions
    return save_workbook(book, target, rewrite)


def _as_text(sheet: Any, number: int, values: Sequence[Any]) -> None:
    """The cells of row ``number`` that openpyxl took for formulas (text starting '='),
    text again: a name ``=HYPERLINK(...)`` is kept as written, as the rows written as XML
    keep it, and no spreadsheet runs it. Looked up by place, only where the text starts so
    (a sheet's row by number, or its last row, is found by a walk over every cell)."""
    for column, value in enumerate(values, start=1):
        if isinstance(value, str) and value.startswith("="):
            cell = sheet.cell(row=number, column=column)
            if cell.data_type == "f":
                cell.data_type = "s"
