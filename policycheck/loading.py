"""Finding and reading input files: the load stage of the pipeline.

A path may be a file or a folder; folders are walked in sorted order (hidden entries
skipped) and may mix YAML plan files, KPI catalogs, CSV tables and .xlsx workbooks. Files
are recognised by content (YAML top-level keys) and by name (tables). A data file that is
not recognised is reported: as an error when it looks like a typo of ours or was named on
the command line, as a warning when met while walking a folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from policycheck import cache
from policycheck.documents import Records, attribute, near_miss, read_document, recognise
from policycheck.errors import Location, Problem, did_you_mean
from policycheck.model import ENTITIES
from policycheck.tables import TableFrames, entity_for_name, read_csv, read_workbook
from policycheck.yamlsource import LocatedMap, decode, load_yaml

YAML_SUFFIXES = frozenset({".yaml", ".yml"})
TABLE_SUFFIXES = frozenset({".csv"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})
DATA_SUFFIXES = YAML_SUFFIXES | TABLE_SUFFIXES | WORKBOOK_SUFFIXES
#: YAML files of other tools, and policycheck's own non-plan files: skipped quietly.
NOT_PLAN_FILES = frozenset({
    "policycheck.yaml", "policycheck.yml", ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml", "action.yml", "action.yaml", "waivers.yaml", "waivers.yml",
})
#: Top-level keys of policycheck's own non-plan YAML files (a waivers file by another name).
OWN_OTHER_KEYS = frozenset({"waivers"})
#: Size limits per file. A YAML document becomes Python objects many times its size, so its
#: limit is low; CSV and xlsx are read into compact columns and may be large HR exports
#: (100,000 plans give a components table of about 50 MB). POLICYCHECK_MAX_FILE_SIZE (in
#: MB, set by the top-level --max-file-size flag) replaces both.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TABLE_BYTES = 1024 * 1024 * 1024


def size_limit(suffix: str, max_bytes: int | None) -> int:
    """The size limit of a file: the argument, the environment, or the default."""
    if max_bytes is not None:
        return max_bytes
    configured = os.environ.get("POLICYCHECK_MAX_FILE_SIZE", "").strip()
    if configured:
        try:
            return int(float(configured) * 1024 * 1024)
        except ValueError:
            pass  # the CLI checks the flag; an odd environment value falls back to defaults
    return MAX_FILE_BYTES if suffix in YAML_SUFFIXES else MAX_TABLE_BYTES
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
    """Everything read from the input paths, before typing."""

    records: Records = field(default_factory=Records)
    tables: TableFrames = field(default_factory=TableFrames)
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return self.records.problems + self.tables.problems


def iter_files(paths: Sequence[str | Path], loaded: Loaded) -> Iterator[tuple[Path, bool]]:
    """Every file under the paths, with whether it was named explicitly."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            root = path.resolve()
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if any(part.startswith(".") or part == "__pycache__" for part in relative):
                    continue
                # A folder of plans may come from a pull request: a link in it to a file
                # outside it (~/.ssh/config named plans.csv) would have its content quoted
                # in the problems. Files named on the command line are the user's choice.
                if child.is_symlink() and not child.resolve().is_relative_to(root):
                    loaded.records.problems.append(Problem(
                        Location(child.as_posix()), "links to a file outside the folder "
                        f"{path.as_posix()}; refused: name it on the command line to read it",
                        "link-outside-folder"))
                elif child.is_file():
                    yield child, False
        elif path.is_file():
            yield path, True
        else:
            loaded.records.problems.append(Problem(
                Location(str(given)), "no such file or folder", "missing-path"))


def load_paths(paths: Sequence[str | Path], max_bytes: int | None = None) -> Loaded:
    """Read every input file under ``paths``."""
    loaded = Loaded()
    found = list(iter_files(paths, loaded))
    parsed = _parse_many([path for path, _ in found if path.suffix.lower() in YAML_SUFFIXES
                          and path.name not in NOT_PLAN_FILES
                          and path.stat().st_size <= size_limit(".yaml", max_bytes)])
    for path, explicit in found:
        shown = path.as_posix()
        suffix = path.suffix.lower()
        if suffix not in DATA_SUFFIXES or path.name in NOT_PLAN_FILES:
            if explicit:
                loaded.records.problems.append(Problem(
                    Location(shown), "not a plan file: expected .yaml, .yml, .csv or .xlsx",
                    "unrecognised-file"))
            else:
                loaded.skipped.append(shown)
            continue
        if suffix not in YAML_SUFFIXES and is_evidence_table(path.stem):
            continue  # read by analyze (--actuals), not a plan table
        size = path.stat().st_size
        limit = size_limit(suffix, max_bytes)
        if size > limit:
            loaded.records.problems.append(Problem(
                Location(shown), f"file is {size:,} bytes; the limit is {limit:,} "
                "(raise it with policycheck --max-file-size MB)", "file-too-large"))
            continue
        loaded.files.append(shown)
        if suffix in YAML_SUFFIXES:
            _load_yaml_file(path, shown, explicit, loaded, parsed.get(shown))
        elif suffix in WORKBOOK_SUFFIXES:
            for sheet in read_workbook(path, shown, loaded.tables):
                if is_evidence_table(sheet):
                    continue  # read by analyze (--actuals)
                hint = did_you_mean(sheet.strip().lower(), ENTITIES, cutoff=NAME_CUTOFF)
                loaded.tables.problems.append(Problem(
                    Location(shown, sheet), f"sheet '{sheet}' is not a policycheck table; "
                    f"skipped; expected one of {', '.join(ENTITIES)}{hint}",
                    "unrecognised-sheet", severity="error" if hint else "warning"))
        else:
            _load_table_file(path, shown, explicit, loaded)
    return loaded


#: From this many YAML files to parse (not found in the cache), they are parsed in worker
#: processes: libyaml costs about 0.5 ms per small plan file, a process pool ~0.1 s to start.
PARALLEL_MIN_FILES = 200
ParseResult = tuple[list[Problem], tuple[Any, list[Problem]] | None]


def parse_yaml_file(path: Path, data: bytes | None = None) -> ParseResult:
    """The decoding problems and the parsed document of one YAML file (None when it is not
    UTF-8 text), from the cache (``policycheck.cache``) when the same bytes were parsed before.
    ``data`` is the file's bytes when the caller has read them already."""
    shown = path.as_posix()
    problems: list[Problem] = []
    data = path.read_bytes() if data is None else data
    text = decode(data, shown, problems)
    if text is None:
        return problems, None
    if not cache.enabled():
        return problems, load_yaml(text, shown)
    entry = cache.key(data, shown)
    hit = cache.lookup(entry)
    if hit is not None:
        return problems, hit
    result = load_yaml(text, shown)
    cache.store(entry, result)
    return problems, result


def _parse_many(paths: list[Path]) -> dict[str, ParseResult]:
    """Parse many YAML files across the cores (results identical to parsing them in turn,
    each file apart); an empty answer when there are too few to be worth it."""
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) <= PARALLEL_MIN_FILES or workers < 2:
        return {}
    results: dict[str, ParseResult] = {}
    missing: list[tuple[Path, bytes]] = []  # each file read once here, hits answered now
    for path in paths:
        data = path.read_bytes()
        hit = cache.lookup(cache.key(data, path.as_posix())) if cache.enabled() else None
        if hit is None:
            missing.append((path, data))
        else:
            results[path.as_posix()] = ([], hit)
    if len(missing) > PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor

        chunk = max(1, min(256, len(missing) // (workers * 4)))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parsed = pool.map(parse_yaml_file, *zip(*missing, strict=True), chunksize=chunk)
            for (path, _), result in zip(missing, parsed, strict=True):
                results[path.as_posix()] = result
    else:
        for path, data in missing:
            results[path.as_posix()] = parse_yaml_file(path, data)
    return results


def _load_yaml_file(path: Path, shown: str, explicit: bool, loaded: Loaded,
                    parsed: ParseResult | None = None) -> None:
    decoding, result = parsed if parsed is not None else parse_yaml_file(path)
    loaded.records.problems.extend(decoding)
    if result is None:
        return
    data, problems = result
    loaded.records.problems.extend(attribute(problems, data, shown))
    if data is None and problems:
        return
    if isinstance(data, LocatedMap) and recognise(data):
        loaded.records.extend(read_document(data, shown))
        return
    if isinstance(data, LocatedMap) and set(data) & OWN_OTHER_KEYS and not explicit:
        loaded.skipped.append(shown)
        return
    typo = near_miss(data)
    if typo or explicit:
        loaded.records.problems.append(Problem(
            Location(shown, "", 1, 1), typo or "not a plan file or KPI catalog: expected a "
            "top-level 'plan', 'plans' or 'kpis' key", "unrecognised-file"))
    else:
        loaded.records.problems.append(Problem(
            Location(shown), "not a plan file or KPI catalog (no top-level 'plan', 'plans' "
            "or 'kpis' key); skipped", "unrecognised-file", severity="warning"))


def _load_table_file(path: Path, shown: str, explicit: bool, loaded: Loaded) -> None:
    spec = entity_for_name(path.stem)
    if spec is None:
        names = [n + ".csv" for n in ENTITIES]
        # Compared without the suffix, which every name shares and which would make any
        # short name look close to one of ours.
        close = did_you_mean(path.stem.lower(), ENTITIES, cutoff=NAME_CUTOFF)
        hint = close.replace("'?", ".csv'?") if close else ""
        loaded.tables.problems.append(Problem(
            Location(shown), f"'{path.name}' is not a policycheck table name; skipped; "
            f"expected one of {', '.join(names)}{hint}", "unrecognised-file",
            severity="error" if hint or explicit else "warning"))
        return
    read_csv(path, shown, spec, loaded.tables)


def tables_by_entity(loaded: Loaded) -> dict[str, list[pd.DataFrame]]:
    return loaded.tables.frames


def plan_ids_named(frames: Iterable[pd.DataFrame]) -> set[str]:
    ids: set[str] = set()
    for frame in frames:
        if "plan_id" in frame:
            ids.update(str(v) for v in frame["plan_id"].dropna())
    return ids
