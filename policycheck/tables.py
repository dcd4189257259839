"""Reading plans kept as tables: the cells of a CSV file (``csvtables``) or of a sheet
(``workbooks``) become raw frames by entity, their header checked against the fields.

Every cell is read as written: CSV cells as text, with no value turned into a missing one
except an empty cell (pandas would read ``NA``, an org unit for North America, as missing),
workbook cells as openpyxl gives them (``sheetcells``), formulas as their text. ``parsing``
then types them with the same rules as YAML values, so both forms give identical frames.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from policycheck.documents import is_extension_key
from policycheck.errors import Location, Problem, did_you_mean
from policycheck.model import ENTITIES, NESTED_PLAN_FIELDS, PLAN, EntitySpec

#: Columns a table may carry that policycheck does not read (no warning for these).
FREE_TEXT_COLUMNS = frozenset({"notes", "note", "comment", "comments"})
#: An unknown column this close to a field name is taken for a misspelling of it: an error,
#: as its values would be lost. difflib's usual 0.6 took "country" for "headcount".
COLUMN_CUTOFF = 0.8


@dataclass
class TableFrames:
    """Raw frames read from tables, by entity, with the problems met while reading."""

    frames: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    invalid_plans: set[str] = field(default_factory=set)
    #: (file, sheet, field) of required columns a table lacks: the per-row "is required"
    #: problems of those cells would only repeat the one about the column.
    missing_columns: set[tuple[str, str, str]] = field(default_factory=set)
    #: (folder, entity) to why its CSV table could not be read (not UTF-8, malformed, empty),
    #: and (workbook, entity) to why its sheet was not (misnamed): the other tables name
    #: plans and components it may define, said once per table, not once per row.
    unread: dict[tuple[str, str], str] = field(default_factory=dict)


def column_key(name: str) -> str:
    """A header or a file stem as a field name: ``Base Pay``, ``base-pay`` and ``base_pay``
    all mean base_pay (HR systems export headers written for people)."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def entity_for_name(name: str) -> EntitySpec | None:
    """The entity a file stem or sheet name stands for: ``components``, ``Components``,
    ``component`` all mean components."""
    key = column_key(name)
    if key in ENTITIES:
        return ENTITIES[key]
    return ENTITIES.get(key + "s")


#: The most rows an Excel sheet holds, its header included. A longer table goes on in
#: sheets of the same columns named "components (2)", "components (3)"... (the Excel report
#: does the same with its findings), which are read back as rows of the same table.
SHEET_MAX_ROWS = 1_048_576
_PART = re.compile(r"(.*\S)\s*\(([2-9]|[1-9][0-9]+)\)")


def sheet_parts(title: str, rows: int) -> list[tuple[str, int, int]]:
    """A table of ``rows`` rows as sheets of at most SHEET_MAX_ROWS rows each, a header
    included: (sheet name, first row, end row), the second named "title (2)"."""
    per = SHEET_MAX_ROWS - 1
    return [(title if start == 0 else f"{title} ({start // per + 1})", start,
             min(start + per, rows)) for start in range(0, max(rows, 1), per)]


def sheet_entity(name: str) -> EntitySpec | None:
    """The entity a sheet holds rows of: named as a table (``entity_for_name``), or as a
    table with a part number after it, "components (2)" (``sheet_parts``)."""
    spec = entity_for_name(name)
    if spec is None and (part := _PART.fullmatch(name.strip())) is not None:
        spec = entity_for_name(part.group(1))
    return spec


def table_columns(spec: EntitySpec) -> dict[str, str]:
    """Column name as written in a table → column name in the raw frame."""
    columns = {"id": spec.key, spec.key: spec.key}
    if spec is not PLAN:
        columns["plan_id"] = "plan_id"
    for f in spec.fields:
        columns[f.name] = f.name
    return columns


def _plan_flat_columns() -> dict[str, str]:
    names = {f"{nested}_{sub}" for nested, subs in NESTED_PLAN_FIELDS.items() for sub in subs}
    return {n: n for n in names}


#: Rows looked at for the header below a report's title (``title_rows``).
TITLE_ROWS = 10


def title_rows(rows: Sequence[Sequence[Any]], spec: EntitySpec) -> int:
    """How many of ``rows`` (a table's first ones, blank ones above it left out) come
    before its header: none, unless the first names none of the table's columns and a row
    among the next few names two or more of them. HR systems' reports put a title (and a
    date, a blank line) above the header: "Compensation plans FY2027"."""
    known = table_columns(spec)
    if spec is PLAN:
        known.update(_plan_flat_columns())

    def named(row: Sequence[Any]) -> int:
        return sum(isinstance(cell, str) and column_key(cell) in known for cell in row)

    if not rows or named(rows[0]):
        return 0
    return next((i for i, row in enumerate(rows[1:TITLE_ROWS], start=1) if named(row) >= 2), 0)


def title_problem(skipped: int, header_row: int, shown: str, sheet: str) -> Problem:
    """The warning that ``skipped`` rows above a table's header, on ``header_row``, were
    taken for its title."""
    rows = f"row {header_row - 1}, above the header on row {header_row}, names" \
        if skipped == 1 else (f"rows {header_row - skipped} to {header_row - 1}, above the "
                              f"header on row {header_row}, name")
    return Problem(Location(shown, sheet, header_row - skipped),
                   f"{rows} none of the table's columns: skipped as a title", "title-rows",
                   severity="warning")


def table_folder(file: str, sheet: str) -> str | None:
    """What the tables of one company share: a CSV table's folder (as shown), a sheet's
    workbook; None for a row of a YAML file."""
    if sheet:
        return file
    if not file.lower().endswith(".csv"):
        return None
    return posixpath.dirname(file.replace("\\", "/"))


def stripped(codes: np.ndarray, uniques: list[str]) -> tuple[pd.Categorical[Any], np.ndarray]:
    """A column's cells (a code per cell into its distinct texts) stripped, an empty one
    missing, and the mask of missing cells. A column holds few distinct texts: each is
    stripped once, and the column is kept as a code per cell into them (a categorical), so
    that typing it (``parsing``) needs no second pass to find them."""
    texts = [str(u).strip() or None for u in uniques]
    if None not in texts and texts == uniques:  # as most are: nothing to merge
        stripped, distinct = codes, texts
    else:
        distinct = list(dict.fromkeys(t for t in texts if t is not None))  # " a", "a": one
        rank = {t: i for i, t in enumerate(distinct)}
        to_stripped = np.array([-1 if t is None else rank[t] for t in texts] + [-1],
                               dtype=np.int64)
        stripped = to_stripped[codes]  # code -1 (a missing cell) takes the -1 at the end
    categories = pd.Index(np.array(distinct, dtype=object), dtype=object)
    return pd.Categorical.from_codes(stripped, dtype=pd.CategoricalDtype(categories)), \
        stripped < 0


def add_frame(header: list[str], body: Sequence[np.ndarray | pd.Categorical[Any]],
              blank: np.ndarray, shown: str, sheet: str, spec: EntitySpec, out: TableFrames,
              header_row: int = 1, lines: np.ndarray | None = None) -> None:
    """Keep the known columns of a table under their frame names; report the others.
    ``body`` holds the cells below the header by column; ``blank`` marks the rows whose
    cells are all missing: such rows (often trailing) carry no plan. ``lines``: the line
    each row of ``body`` starts on (default: the lines after the header, one a row)."""
    keep, faulty = _columns(header, shown, sheet, spec, out, header_row)
    _nameless(header, body, Location(shown, sheet, header_row), out)
    first = header_row + 1
    if lines is None:
        lines = np.arange(first, first + len(blank))
    if blank.any():  # filtering copies every column: only when there is a blank row
        lines = lines[~blank]
        body = [column[~blank] for column in body]
    # Object (or categorical) columns throughout: pandas would infer its Arrow-backed "str"
    # dtype for text, and typing the cells would convert them back, one full copy each way.
    cells = {col: _column(body[i]) for i, col in keep.items() if i < len(body)}
    for name, text in (("src_file", shown), ("src_sheet", sheet)):  # one text: one code
        cells[name] = _column(pd.Categorical.from_codes(
            np.zeros(len(lines), dtype=np.int8),
            dtype=pd.CategoricalDtype(pd.Index([text], dtype=object))))
    frame = pd.DataFrame(cells, index=range(len(lines)), copy=False)
    frame["src_line"] = lines
    frame["src_col"] = 0
    frame["src_fields"] = None
    where = Location(shown, sheet, header_row)
    if _check_required_columns(spec, set(keep.values()), where, out) or faulty:
        _invalidate(spec, frame, out)
    out.frames.setdefault(spec.name, []).append(frame)


def _column(cells: np.ndarray | pd.Categorical[Any]) -> pd.Series:
    """Cells as a column of a raw frame: a categorical as it is, anything else as objects."""
    if isinstance(cells, pd.Categorical):
        return pd.Series(cells, copy=False)
    return pd.Series(cells, dtype=object, copy=False)


def _columns(header: list[str], shown: str, sheet: str, spec: EntitySpec, out: TableFrames,
             header_row: int) -> tuple[dict[int, str], bool]:
    """Which column index holds which field; whether a column is wrong enough that the
    table's plans cannot be trusted (a field given twice, a misspelt field name)."""
    names = [column_key(h) for h in header]
    written = [h.strip() for h in header]
    known = table_columns(spec)
    if spec is PLAN:
        known.update(_plan_flat_columns())
    keep: dict[int, str] = {}
    faulty = False
    for index, name in enumerate(names):
        where = Location(shown, sheet, header_row, index + 1)
        if name in known and known[name] in keep.values():
            first = next(i for i, field in keep.items() if field == known[name])
            out.problems.append(Problem(
                where, f"column '{written[index]}' repeats column {first + 1} "
                f"('{written[first]}'); "
                "expected each field in one column", "duplicate-column", field=known[name]))
            faulty = True
        elif name in known:
            keep[index] = known[name]
        elif name and not is_extension_key(name) and name not in FREE_TEXT_COLUMNS:
            hint = did_you_mean(name, known, cutoff=COLUMN_CUTOFF) or _unit_hint(
                written[index], known)
            text = hint or "; ignored (start the name with 'x_' to mark a column of your own)"
            out.problems.append(Problem(
                where, f"unknown column '{written[index]}' in the {spec.name} table{text}",
                "unknown-column", severity="error" if hint else "warning",
                field=str(written[index])))
            faulty = faulty or bool(hint)
    return keep, faulty


def _nameless(header: list[str], body: Sequence[np.ndarray | pd.Categorical[Any]],
              where: Location, out: TableFrames) -> None:
    """A warning for each column without a name that holds values, which are not read
    (they were passed over in silence); an empty one, an export's edge, says nothing."""
    for index, name in enumerate(header):
        if (name is None or not str(name).strip()) and not pd.isna(body[index]).all():
            out.problems.append(Problem(
                Location(where.file, where.sheet, where.line, index + 1),
                f"column {index + 1} has no name in the header but holds values; ignored: "
                "expected the name of a field", "unknown-column", severity="warning"))


#: A unit or note in brackets after a column's name: "Weight (%)", "Base pay [EUR]".
_BRACKETED = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*")


def _unit_hint(written: str, known: Mapping[str, str]) -> str:
    """``did_you_mean`` for a header that names a column with a unit or note in brackets
    ("Weight (%)" is 'weight'): what the brackets leave, if they leave a known name."""
    bare = column_key(_BRACKETED.sub(" ", written).strip())
    return did_you_mean(bare, known, cutoff=COLUMN_CUTOFF) if bare in known else ""


def _check_required_columns(spec: EntitySpec, present: set[str], where: Location,
                            out: TableFrames) -> bool:
    """Report the required columns a table lacks; True when it lacks any."""
    required = [spec.key] if spec is PLAN or spec.name in ("kpis", "employees") else []
    if spec is not PLAN and spec.name != "kpis":
        required.append("plan_id")
    required += [f.name for f in spec.fields if f.required]
    missing = [name for name in required if name not in present]
    if not missing:
        return False
    written = {spec.key: "id"} if spec.name in ("plans", "kpis") else {}
    shown = ", ".join(f"'{written.get(m, m)}'" for m in missing)
    out.problems.append(Problem(
        where, f"the {spec.name} table has no {shown} column; expected at least the columns "
        f"{', '.join(written.get(r, r) for r in required)}", "missing-column"))
    out.missing_columns.update((where.file, where.sheet, m) for m in missing)
    folder = table_folder(where.file, where.sheet)
    if required[0] in missing and folder is not None:
        # no row can be joined to its plan: the plans beside it are told why they have no
        # components (not to add some, or to set target_variable to 0), once per table
        table = f"[{where.sheet}]" if where.sheet else ""
        out.unread.setdefault((folder, spec.name), (
            f"{where.file}{table}, this {'workbook' if where.sheet else 'folder'}'s "
            f"{spec.name} table, has no {shown} column"))
    return True


def _invalidate(spec: EntitySpec, frame: pd.DataFrame, out: TableFrames) -> None:
    """Every plan a faulty table speaks of is invalid: the table-level problem names them."""
    if "plan_id" in frame:
        out.invalid_plans.update(str(p) for p in frame["plan_id"].dropna())
