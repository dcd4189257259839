"""Excel: a workbook with a "findings" sheet (the CSV columns) and a "plans" sheet (each
plan's incentive mix, pay at stake and findings by severity), and, where an input had
problems, a "problems" sheet (the JSON's problem fields): a plan left out as invalid is
named there, not missing without a trace. Rows past the 1,048,576 an Excel sheet holds go on
in sheets "findings (2)", "findings (3)"... of the same columns.

Each sheet has a bold, frozen header with an auto-filter and columns sized to their content.
Text that a spreadsheet would run as a formula starts with an apostrophe, as in CSV. The
document dates are fixed (``workbookzip.fix_workbook_dates``), so the same report gives the
same bytes.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from policycheck.findings import fill_fingerprints
from policycheck.formats import sheetxml
from policycheck.formats.cells import (
    FINDING_FIELDS,
    finding_dicts,
    flat_record,
    neutralise,
)
from policycheck.formats.xmltext import xml_safe
from policycheck.report import Report
from policycheck.rulesections import SEVERITIES
from policycheck.tables import sheet_parts
from policycheck.wording import is_missing
from policycheck.workbookzip import EPOCH, fix_workbook_dates

PLAN_COLUMNS = ("plan_id", "role_kind", "headcount", "pay_at_stake", "share_speed",
                "share_cost", "share_sales", "share_customer", "share_neutral",
                "protected_share", "share_customer_trusted", "share_customer_controlled")
PERCENT = "0.0%"
MONEY = "#,##0"
NUMBER_FORMATS = {"pay_at_stake": MONEY, **{c: PERCENT for c in PLAN_COLUMNS if "share" in c}}
MIN_WIDTH, MAX_WIDTH = 8, 60
# openpyxl is imported when a workbook is made: `validate --format json` loads this package.
if TYPE_CHECKING:
    from openpyxl import Workbook


def _cell(value: Any) -> Any:
    if is_missing(value):
        return None
    if isinstance(value, str):
        return xml_safe(neutralise(value))
    return value.item() if hasattr(value, "item") else value


def plan_rows(report: Report) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The plans sheet: one row per checked plan, in the profile's order."""
    header, table = plan_table(report)
    return header, [] if table is None else table.astype(object).values.tolist()


def plan_table(report: Report) -> tuple[tuple[str, ...], pd.DataFrame | None]:
    """The plans sheet's header and its rows as a frame (None when no plan was checked)."""
    profiles = report.profiles
    header = (*PLAN_COLUMNS, *SEVERITIES)
    if profiles.empty:
        return header, None
    counts = (report.findings.groupby(["plan_id", "severity"]).size().unstack(fill_value=0)
              .reindex(index=profiles["plan_id"], columns=list(SEVERITIES), fill_value=0))
    table = profiles.reindex(columns=list(PLAN_COLUMNS)).reset_index(drop=True)
    return header, pd.concat([table, counts.fillna(0).astype(int).reset_index(drop=True)],
                             axis=1)


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: list[list[Any]],
           widths: list[int], extent: int) -> Any:
    """A sheet of ``rows`` under a bold, frozen header with a filter over ``extent`` rows
    (more than ``rows`` when the others are written apart) and columns ``widths``
    characters wide (before the margin)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(widths[index - 1] + 2, MIN_WIDTH),
                                                    MAX_WIDTH)
        if name in NUMBER_FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = NUMBER_FORMATS[name]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{extent + 1}"
    return sheet


def render(report: Report) -> bytes:
    """The workbook. Each sheet's rows after the first are written as sheet XML from the
    columns (``sheetxml``): openpyxl makes an object of every cell, tens of microseconds
    each, and a million findings have eighteen million cells (their plans, a million more)."""
    findings = sheetxml.cell_columns(fill_fingerprints(report.findings))
    header, table = plan_table(report)
    plan_columns = (sheetxml.plain_columns([[] for _ in header]) if table is None
                    else sheetxml.frame_columns(table))
    if findings is None or plan_columns is None:
        return _render_plain(report)  # a value only openpyxl knows how to write or refuse
    return _workbook([("findings", FINDING_FIELDS, findings),
                      ("plans", header, plan_columns), *_problems_sheet(report)], by_openpyxl=1)


def _render_plain(report: Report) -> bytes:
    """The reference rendering: every cell through openpyxl."""
    rows = [[_cell(v) for v in flat_record(row).values()] for row in finding_dicts(report)]
    header, plans = _plan_columns(report)
    findings = _by_column(rows, len(FINDING_FIELDS))
    return _workbook([*((title, names, [sheetxml.Column.of(c) for c in columns])
                        for title, names, columns in (("findings", FINDING_FIELDS, findings),
                                                      ("plans", header, plans))),
                      *_problems_sheet(report)], by_openpyxl=None)


#: The problems sheet's columns: a problem's fields, as in the JSON.
PROBLEM_FIELDS = ("file", "sheet", "line", "column", "severity", "code", "plan_id", "field",
                  "message")


def _problems_sheet(report: Report) -> list[tuple[str, Sequence[str],
                                                  list[sheetxml.SheetColumn]]]:
    """The problems sheet, where there is a problem: each one's fields, in its order."""
    from policycheck.formats.json_format import problem_json

    if not report.problems:
        return []
    rows = [[_cell(value) for value in problem_json(problem).values()]
            for problem in report.problems]
    return [("problems", PROBLEM_FIELDS,
             [sheetxml.Column.of(column) for column in _by_column(rows, len(PROBLEM_FIELDS))])]


def _plan_columns(report: Report) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The plans sheet's header and its cells, by column."""
    header, rows = plan_rows(report)
    return header, [[_cell(v) for v in column] for column in _by_column(rows, len(header))]


def _by_column(rows: list[list[Any]], width: int) -> list[Sequence[Any]]:
    """Rows of ``width`` cells as columns (``width`` empty columns when there is no row)."""
    return list(zip(*rows, strict=True)) if rows else [[] for _ in range(width)]


def _workbook(sheets: Sequence[tuple[str, Sequence[str], Sequence[sheetxml.SheetColumn]]],
              by_openpyxl: int | None) -> bytes:
    """A workbook of ``sheets`` (title, header, cells by column), of which openpyxl writes
    the first ``by_openpyxl`` rows of each (all when None), ``sheetxml`` the others."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    book.properties.created = book.properties.modified = EPOCH
    rewrite = {}
    for number, (title, header, columns) in enumerate(
            (part for sheet in sheets for part in _within_limit(*sheet)), start=1):
        count = len(columns[0])
        shown = count if by_openpyxl is None else min(count, by_openpyxl)
        widths = [max(len(name), column.width()) for name, column
                  in zip(header, columns, strict=True)]
        sheet = _sheet(book, title, header,
                       [list(row) for row in zip(*(c.head(shown) for c in columns),
                                                 strict=True)], widths, count)
        if count > shown:
            extent = f"A1:{get_column_letter(len(header))}{count + 1}"
            rewrite[f"xl/worksheets/sheet{number}.xml"] = functools.partial(
                sheetxml.more_rows, sheet=sheet, columns=columns, first=shown + 2,
                extent=extent)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.xlsx"
        book.save(path)
        fix_workbook_dates(path, rewrite)
        return path.read_bytes()


def _within_limit(title: str, header: Sequence[str], columns: Sequence[sheetxml.SheetColumn]
                  ) -> list[tuple[str, Sequence[str], Sequence[sheetxml.SheetColumn]]]:
    """A sheet as sheets of at most SHEET_MAX_ROWS rows each, the second named "title (2)"."""
    return [(name, header, [column.rows(start, end) for column in columns])
            for name, start, end in sheet_parts(title, len(columns[0]))]

