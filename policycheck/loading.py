"""Reading input files: the load stage of the pipeline.

A path may be a file or a folder; folders are walked in sorted order (``inputfiles``:
hidden entries and office programs' lock files skipped) and may mix YAML plan files, KPI
catalogs, CSV tables and .xlsx workbooks. Files are recognised by content (YAML top-level
keys, policycheck's own Excel report) and by name (tables). A data file that is not
recognised is reported: as an error when it looks like a typo of ours or was named on the
command line, as a warning when met while walking a folder. Only the files read are the
run's files (``Loaded.files``), which no output may replace: a report written among the
plans is no input of the next run.

Nothing is passed over unsaid: a file or a folder that cannot be read (locked, or removed
while the run reads it) is an error at it, a broken link with a data file's name a warning,
and the other files are read. A file reached twice (through a link) is read once.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from policycheck import cache
from policycheck.cache import FileOutcome
from policycheck.csvtables import read_csv
from policycheck.documents import Records
from policycheck.errors import Location, Problem, did_you_mean, display_path, own_report
from policycheck.inputfiles import (
    DATA_SUFFIXES,
    TABLE_SUFFIXES,
    WORKBOOK_SUFFIXES,
    iter_files,
    lock_owner,
    lock_problem,
    unreadable,
)
from policycheck.limits import YAML_SUFFIXES, size_limit, too_large
from policycheck.model import ENTITIES
from policycheck.progress import Progress
from policycheck.tables import TableFrames, entity_for_name, table_folder
from policycheck.workbooks import is_report, read_workbook
from policycheck.yamlfiles import read_yaml_files

#: YAML files of other tools, and policycheck's own non-plan files: skipped quietly.
NOT_PLAN_FILES = frozenset({
    "policycheck.yaml", "policycheck.yml", ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml", "action.yml", "action.yaml", "waivers.yaml", "waivers.yml",
})
#: Tables of outcome evidence (``policycheck analyze --actuals``): recognised in a plan folder
#: and left to ``analyze``, so that they change nothing in validate or check.
EVIDENCE_TABLES = frozenset({"kpi_actuals"})


def is_evidence_table(name: str) -> bool:
    """``kpi_actuals``, ``KPI actuals``, ``kpi-actuals`` (a file stem or a sheet name)."""
    return name.strip().lower().replace(" ", "_").replace("-", "_") in EVIDENCE_TABLES


#: A file or sheet name this close to a table name is taken for a typo of it (an error);
#: difflib's usual 0.6 would take a "Notes" sheet for "gates".
NAME_CUTOFF = 0.8


@dataclass
class Loaded:
    """Everything read from the input paths, before typing: the data files read (``files``;
    not those passed over, by name or as a report), the files skipped quietly, and the
    input files that could not be read at all (``files_unread``, in input order: not
    opened, past their size limit, not text in the expected encoding, not YAML, a
    malformed table, a workbook that cannot be opened), which give no plan, KPI or row.
    Some of them are among ``files`` (opened, then not parsed), others not."""

    records: Records = field(default_factory=Records)
    tables: TableFrames = field(default_factory=TableFrames)
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    files_unread: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return self.records.problems + self.tables.problems


@dataclass(frozen=True)
class Survey:
    """The input paths looked over before anything is parsed: the files found (with whether
    each was named, and its size when it is a data file), the YAML files' bytes with their
    cache keys (``cache.key``; None when the cache is off), the problems met on the way (a
    missing path, a link out of a folder, a file that cannot be read), the files that could
    not be read (each with the number of files found before it, which places it in input
    order) and the size limit asked for. What a run reads is a function of it, which is
    what the caches key on."""

    paths: tuple[str, ...]
    found: tuple[tuple[Path, bool, int], ...]
    yaml: tuple[tuple[bytes, str, bool], ...]
    keys: tuple[str, ...] | None
    problems: tuple[Problem, ...]
    max_bytes: int | None
    unread: tuple[tuple[int, str], ...]

    @property
    def tables(self) -> list[Path]:
        """The CSV tables and workbooks among the files (read later, by their own readers)."""
        return [path for path, _, _ in self.found
                if path.suffix.lower() in TABLE_SUFFIXES | WORKBOOK_SUFFIXES]

    @property
    def steps(self) -> int:
        """The steps ``load`` tells its progress: one for each YAML file read and each CSV
        table and workbook found (one passed over, an evidence table, a lock file, counts too)."""
        return len(self.yaml) + len(self.tables)


def survey(paths: Sequence[str | Path], max_bytes: int | None = None) -> Survey:
    """Find every input file under ``paths`` and read the YAML ones' bytes. A file that
    cannot be read (locked, or removed since its folder was listed) is an error at it and
    no file of the run; the others are read."""
    loaded = Loaded()
    found: list[tuple[Path, bool, int]] = []
    yaml: list[tuple[bytes, str, bool]] = []
    unread: list[tuple[int, str]] = []
    met: list[str] = []  # told by the walk: paths that cannot even be looked at
    yaml_limit = size_limit(".yaml", max_bytes)
    for path, explicit in iter_files(paths, loaded.records.problems, met):
        unread += ((len(found), shown) for shown in met)
        met.clear()
        try:
            size, content = _size_and_bytes(path, yaml_limit)
        except OSError as exc:
            loaded.records.problems.append(unreadable(display_path(path), exc))
            unread.append((len(found), display_path(path)))
            continue
        found.append((path, explicit, size))
        if content is not None:
            yaml.append((content, display_path(path), explicit))
    unread += ((len(found), shown) for shown in met)
    keys = tuple(cache.key(*content) for content in yaml) if cache.enabled() else None
    return Survey(tuple(display_path(p) for p in paths), tuple(found), tuple(yaml), keys,
                  tuple(loaded.problems), max_bytes, tuple(unread))


def _size_and_bytes(path: Path, yaml_limit: int) -> tuple[int, bytes | None]:
    """A file's size (0 for a file that is no data file: it is not read) and, for a YAML
    plan file within the size limit, its bytes."""
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        return 0, None
    size = path.stat().st_size
    if suffix not in YAML_SUFFIXES or size > yaml_limit or path.name in NOT_PLAN_FILES \
            or lock_owner(path.name):
        return size, None
    return size, path.read_bytes()


def load_paths(paths: Sequence[str | Path], max_bytes: int | None = None) -> Loaded:
    """Read every input file under ``paths``."""
    return load(survey(paths, max_bytes))


def load(surveyed: Survey, progress: Progress | None = None) -> Loaded:
    """Read every input file of a survey; ``progress`` is told ``surveyed.steps`` steps, as
    the files are read."""
    loaded = Loaded()
    loaded.records.problems.extend(surveyed.problems)
    with _collector_paused():
        outcomes = iter(read_yaml_files(surveyed.yaml, surveyed.paths, surveyed.keys,
                                        progress=progress))
    tables = TABLE_SUFFIXES | WORKBOOK_SUFFIXES
    unread = list(surveyed.unread)
    for index, (path, explicit, size) in enumerate(surveyed.found):
        while unread and unread[0][0] <= index:  # those met before this file
            loaded.files_unread.append(unread.pop(0)[1])
        _load_file(path, explicit, size, outcomes, surveyed.max_bytes, loaded)
        if progress is not None and path.suffix.lower() in tables:
            progress("", None)
    loaded.files_unread += [shown for _, shown in unread]
    _tables_not_given(surveyed.found, loaded.tables)
    return loaded


def _load_file(path: Path, explicit: bool, size: int, outcomes: Iterator[FileOutcome],
               max_bytes: int | None, loaded: Loaded) -> None:
    """Add what a file found gives to ``loaded``; a YAML file's is the next of
    ``outcomes``."""
    name = display_path(path)
    suffix = path.suffix.lower()
    if lock_owner(path.name):  # one in a folder is not walked (``_walk``)
        loaded.records.problems.append(lock_problem(path))
        return
    if suffix not in DATA_SUFFIXES or path.name in NOT_PLAN_FILES:
        if explicit:
            loaded.records.problems.append(Problem(
                Location(name), "not a plan file: expected .yaml, .yml, .csv or "
                ".xlsx", "unrecognised-file"))
        else:
            loaded.skipped.append(name)
        return
    if suffix not in YAML_SUFFIXES and is_evidence_table(path.stem):
        return  # read by analyze (--actuals), not a plan table
    limit = size_limit(suffix, max_bytes)
    if size > limit:
        loaded.records.problems.append(too_large(name, size, limit))
        loaded.files_unread.append(name)
        return
    if suffix in YAML_SUFFIXES:
        outcome = next(outcomes)
        if not outcome.report:
            loaded.files.append(name)
        if not outcome.parsed:
            loaded.files_unread.append(name)
        _add_outcome(outcome, name, loaded)
    elif suffix in WORKBOOK_SUFFIXES:
        _load_workbook_file(path, name, explicit, loaded)
    elif _load_table_file(path, name, explicit, loaded):
        loaded.files.append(name)


def _tables_not_given(found: Sequence[tuple[Path, bool, int]], tables: TableFrames) -> None:
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
def _collector_paused() -> Iterator[None]:
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


def _add_outcome(outcome: FileOutcome, shown: str, loaded: Loaded) -> None:
    loaded.records.extend(Records(outcome.rows, outcome.problems))
    if outcome.skipped:
        loaded.skipped.append(shown)


def _load_workbook_file(path: Path, shown: str, explicit: bool, loaded: Loaded) -> None:
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
    with _collector_paused():  # millions of cells, as lists of rows and columns
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


def _load_table_file(path: Path, shown: str, explicit: bool, loaded: Loaded) -> bool:
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

