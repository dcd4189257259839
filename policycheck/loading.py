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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from policycheck import cache
from policycheck.cache import FileOutcome
from policycheck.documents import Records
from policycheck.errors import Location, Problem, display_path
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
from policycheck.progress import Progress
from policycheck.tablefiles import (
    collector_paused,
    is_evidence_table,
    load_table_file,
    load_workbook_file,
    tables_not_given,
)
from policycheck.tables import TableFrames
from policycheck.yamlfiles import read_yaml_files

#: YAML files of other tools, and policycheck's own non-plan files: skipped quietly.
NOT_PLAN_FILES = frozenset({
    "policycheck.yaml", "policycheck.yml", ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml", "action.yml", "action.yaml", "waivers.yaml", "waivers.yml",
})
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
    with collector_paused():
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
    tables_not_given(surveyed.found, loaded.tables)
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
        load_workbook_file(path, name, explicit, loaded)
    elif load_table_file(path, name, explicit, loaded):
        loaded.files.append(name)


def _add_outcome(outcome: FileOutcome, shown: str, loaded: Loaded) -> None:
    loaded.records.extend(Records(outcome.rows, outcome.problems))
    if outcome.skipped:
        loaded.skipped.append(shown)
