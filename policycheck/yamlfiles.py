"""Many YAML plan files to raw records: each file read and hashed once, answered from the
cache (``policycheck.cache``) when its bytes were seen before, the rest parsed, across the
cores when there are many.

What a file gives (its records, problems, or that it was skipped) is a ``FileOutcome``;
the same function makes it in this process and in a worker, so a cached, a serial and a
parallel run give the same outcome.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from policycheck import cache
from policycheck.cache import FileOutcome
from policycheck.documents import Records, attribute, near_miss, read_document, recognise
from policycheck.errors import Location, Problem
from policycheck.yamlsource import LocatedMap, decode, load_yaml

#: Top-level keys of policycheck's own non-plan YAML files (a waivers file by another name).
OWN_OTHER_KEYS = frozenset({"waivers"})
#: From this many YAML files to parse (not found in the cache), they are parsed in worker
#: processes: libyaml costs about 0.5 ms per small plan file, a process pool ~0.1 s to start.
PARALLEL_MIN_FILES = 200


def read_yaml_file(data: bytes, shown: str, explicit: bool) -> FileOutcome:
    """The outcome of one YAML file's bytes (``explicit``: named on the command line)."""
    out = Records()
    decoded = decode(data, shown, out.problems)
    if decoded is None:
        return FileOutcome(out.rows, out.problems, False)
    document, problems = load_yaml(decoded, shown)
    out.problems.extend(attribute(problems, document, shown))
    if document is None and problems:
        return FileOutcome(out.rows, out.problems, False)
    if isinstance(document, LocatedMap) and recognise(document):
        out.extend(read_document(document, shown))
        return FileOutcome(out.rows, out.problems, False)
    if isinstance(document, LocatedMap) and set(document) & OWN_OTHER_KEYS and not explicit:
        return FileOutcome(out.rows, out.problems, True)
    typo = near_miss(document)
    if typo or explicit:
        out.problems.append(Problem(
            Location(shown, "", 1, 1), typo or "not a plan file or KPI catalog: expected a "
            "top-level 'plan', 'plans' or 'kpis' key", "unrecognised-file"))
    else:
        out.problems.append(Problem(
            Location(shown), "not a plan file or KPI catalog (no top-level 'plan', 'plans' "
            "or 'kpis' key); skipped", "unrecognised-file", severity="warning"))
    return FileOutcome(out.rows, out.problems, False)


def read_yaml_files(files: Sequence[tuple[Path, bool]],
                    paths: Sequence[str | Path]) -> list[FileOutcome]:
    """The outcome of each file (with whether it was named), in order; ``paths`` are the
    input paths of the run, which name its cache pack."""
    contents = [(path.read_bytes(), path.as_posix(), explicit) for path, explicit in files]
    if not cache.enabled():
        return _parse_all(contents)
    pack = cache.pack_path([str(p) for p in paths])
    stored = cache.read_pack(pack) if contents else {}
    keys = [cache.key(*content) for content in contents]
    outcomes: list[FileOutcome | None] = []
    for entry_key in keys:
        # An entry is used once: a file named twice gets records of its own each time.
        hit = stored.pop(entry_key, None)
        outcomes.append(None if hit is None else cache.decode(hit))
    missing = [index for index, outcome in enumerate(outcomes) if outcome is None]
    for index, outcome in zip(missing, _parse_all([contents[i] for i in missing]), strict=True):
        outcomes[index] = outcome
    if missing or stored:  # something new, or entries of files no longer read
        _store(pack, keys, outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _store(pack: Path, keys: list[str], outcomes: list[FileOutcome | None]) -> None:
    shared: dict[Any, Any] = {}
    entries = {}
    for entry_key, outcome in zip(keys, outcomes, strict=True):
        encoded = cache.encode(outcome, shared) if outcome is not None else None
        if encoded is not None:
            entries[entry_key] = encoded
    cache.write_pack(pack, entries)


def _parse_all(contents: list[tuple[bytes, str, bool]]) -> list[FileOutcome]:
    """Parse files across the cores when there are enough (the same outcomes, in order, as
    parsing them in turn)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(contents) <= PARALLEL_MIN_FILES or workers < 2:
        return [read_yaml_file(*content) for content in contents]
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, min(256, len(contents) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(read_yaml_file, *zip(*contents, strict=True), chunksize=chunk))
