"""Reading CSV tables and workbooks into the run's ``TableFrames``: the table files of the
load stage (``loading``), each named as a table (``plans.csv``, a sheet ``components``) or
said to be no table, with "did you mean" for a name close to one; policycheck's own Excel
report is no input; a table that cannot be read is said once for the rows that need it.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from policycheck.csvtables import read_csv
from policycheck.errors import Location, Problem, did_you_mean, display_path, own_report
from policycheck.inputfiles import unreadable
from policycheck.model import ENTITIES
from policycheck.tables import TableFrames, entity_for_name, table_folder
from policycheck.workbooks import is_report, read_workbook

if TYPE_CHECKING:  # the run's state, which loading defines and passes in
    from policycheck.loading import Loaded

#: Tables of outcome evidence (``policycheck analyze --actuals``): recognised in a plan folder
#: and left to ``analyze``, so that they change nothing in validate or check.
EVIDENCE_TABLES = frozenset({"kpi_actuals"})


def is_evidence_table(name: str) -> bool:
    """``kpi_actuals``, ``KPI actuals``, ``kpi-actuals`` (a file stem or a sheet name)."""
    return name.strip().lower().replace(" ", "_").replace("-", "_") in EVIDENCE_TABLES


#: A file or sheet name this close to a table name is taken for a typo of it (an error);
#: difflib's usual 0.6 would take a "Notes" sheet for "gates".
NAME_CUTOFF = 0.8


def tables_not_given(found: Sequence[tuple[Path, bool, int]], tables: TableFrames) -> None:
    """The plans and components tables beside a CSV table named on its own (a pre-commit
    hook's changed employees.csv) that were not given: the rows that need them are said
    once per table, as for a table that could not be read, not once per row (385 errors
    for the sample company's employees)."""
    given = {path for path, _, _ in found}
    named = {path.parent: path for path, explicit, _ in found
             if explicit and path.suffix.lower() == ".csv" and entity_for_name(path.stem)}
    for folder, table in named.items():
        for sibling in _siblings(folder):
            spec = entity_for_name(sibling.stem) if sibling.suffix.lower() == ".csv" else None
            if spec is None or spec.name not in ("plans", "components") or sibling in given:
                continue
            key = table_folder(display_path(table), "")
            if key is not None:
                tables.unread.setdefault((key, spec.name), (
                    f"{display_path(sibling)}, this folder's {spec.name} table, was not given "
                    f"(name the folder, {display_path(folder)}, to check its tables together)"))


def _siblings(folder: Path) -> list[Path]:
    """The entries of a folder, sorted; none when it cannot be listed (a folder its user
    may enter, not list): then no sibling table is said to be missing."""
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


@contextmanager
def collector_paused() -> Iterator[None]:
    """Reading many YAML files (or a large workbook) builds hundreds of thousands of small
    dicts and lists that hold no cycles and live until the run ends (or until the frames are
    made). The cyclic garbage collector would scan them again and again as they pile up, so
    it is paused while they are built and set back as it was after: a library call leaves
    the process's collector as it found it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_workbook_file(path: Path, shown: str, explicit: bool, loaded: Loaded) -> None:
    """Read a workbook, unless it is policycheck's own report. It is opened first, as its
    readers take any failure for a broken workbook: a locked one is said to be unreadable."""
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        loaded.tables.problems.append(unreadable(shown, exc))
        loaded.files_unread.append(shown)
        return
    if is_report(path):
        loaded.tables.problems.append(own_report(shown, "its sheets findings and plans",
                                                 explicit))
        return
    loaded.files.append(shown)
    with collector_paused():  # millions of cells, as lists of rows and columns
        _load_workbook(path, shown, loaded)


def _load_workbook(path: Path, shown: str, loaded: Loaded) -> None:
    tables = loaded.tables
    unused = read_workbook(path, shown, tables)
    if unused is None:  # not opened: a sheet that cannot be read leaves the others read
        loaded.files_unread.append(shown)
        return
    for sheet in unused:
        if is_evidence_table(sheet):
            continue  # read by analyze (--actuals)
        named = _table_in_name(sheet)
        hint = (f"; did you mean '{named}'?" if named else
                did_you_mean(sheet.strip().lower(), ENTITIES, cutoff=NAME_CUTOFF))
        tables.problems.append(Problem(
            Location(shown, sheet), f"sheet '{sheet}' is not a policycheck table; "
            f"skipped; expected one of {', '.join(ENTITIES)}{hint}",
            "unrecognised-sheet", severity="error" if hint else "warning"))
        if named and not _has_sheet(tables, named, shown):
            # its rows are missed once, not in a problem for every row that names them
            tables.unread.setdefault((shown, named), f"{shown} has no {named} sheet (is it "
                                     f"'{sheet}'? name that sheet '{named}')")


def _table_in_name(sheet: str) -> str | None:
    """The table a sheet's name names among other words (``Plans 2027``, ``FY27
    components``): the last word that is a table's name; None if none is."""
    words = [entity_for_name(word) for word in re.findall(r"[A-Za-z]+", sheet)]
    named = [spec.name for spec in words if spec is not None]
    return named[-1] if named else None


def _has_sheet(tables: TableFrames, name: str, shown: str) -> bool:
    """Whether the workbook ``shown`` gave the table ``name`` rows from a sheet of its own."""
    return any(len(frame) and frame["src_file"].iat[0] == shown
               for frame in tables.frames.get(name, []))


def load_table_file(path: Path, shown: str, explicit: bool, loaded: Loaded) -> bool:
    """Read a CSV table; False when its name is no table's or it cannot be opened (it is
    not read). One opened but not CSV text is among ``loaded.files_unread``."""
    spec = entity_for_name(path.stem)
    if spec is None:
        names = [n + ".csv" for n in ENTITIES]
        # Compared without the suffix, which every name shares and which would make any
        # short name look close to one of ours.
        close = did_you_mean(path.stem.lower(), ENTITIES, cutoff=NAME_CUTOFF)
        hint = close.replace("'?", ".csv'?") if close else ""
        loaded.tables.problems.append(Problem(
            Location(shown), f"'{display_path(path.name)}' is not a policycheck table name; "
            "skipped; "
            f"expected one of {', '.join(names)}{hint}", "unrecognised-file",
            severity="error" if hint or explicit else "warning"))
        return False
    try:
        read = read_csv(path, shown, spec, loaded.tables)
    except OSError as exc:  # locked, or removed since it was found
        loaded.tables.problems.append(unreadable(shown, exc))
        loaded.files_unread.append(shown)
        folder = table_folder(shown, "")
        if folder is not None:  # said once, not by every row that needs the table
            loaded.tables.unread.setdefault((folder, spec.name), (
                f"{shown}, this folder's {spec.name} table, could not be read"))
        return False
    if not read:
        loaded.files_unread.append(shown)
    return True
