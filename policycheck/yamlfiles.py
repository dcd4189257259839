"""Many YAML plan files to raw records: each file read and hashed once, answered from the
cache (``policycheck.cache``) when its bytes were seen before, the rest parsed, across the
cores when there is enough YAML to parse (``PARALLEL_MIN_BYTES``).

What a file gives (its records, problems, or that it was skipped) is a ``FileOutcome``;
the same function makes it in this process and in a worker, so a cached, a serial and a
parallel run give the same outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from policycheck import cache, streams
from policycheck.cache import FileOutcome
from policycheck.documents import (
    Records,
    attribute,
    misplaced_plans,
    near_miss,
    read_document,
    recognise,
)
from policycheck.errors import Location, Problem, own_report
from policycheck.progress import Progress
from policycheck.yamlsource import LocatedMap, decode, load_yaml

Item = TypeVar("Item")

#: Top-level keys of policycheck's own non-plan YAML files (a waivers file by another name).
OWN_OTHER_KEYS = frozenset({"waivers"})
#: The top-level keys of the JSON report (``-o json:FILE``); one saved as ``.yaml`` among the
#: plans is YAML too.
REPORT_KEYS = frozenset({"version", "summary", "findings"})
#: From this much YAML to parse (not found in the cache), the files are parsed in worker
#: processes: parsing costs about 0.2-0.3 ms per KB, whether a file holds one plan or a
#: hundred, and a pool of two workers about 0.06 s to start and feed; measured, the two
#: ways break even at about 500 KB.
PARALLEL_MIN_BYTES = 512 << 10
#: Tasks handed to each worker, at least: with files of very different sizes, a worker that
#: drew the large ones would otherwise finish long after the others.
TASKS_PER_WORKER = 16


def read_yaml_file(data: bytes, shown: str, explicit: bool) -> FileOutcome:
    """The outcome of one YAML file's bytes (``explicit``: named on the command line)."""
    out = Records()
    decoded = decode(data, shown, out.problems)
    if decoded is None:  # not text in the expected encoding
        return FileOutcome(out.rows, out.problems, False, parsed=False)
    document, problems = load_yaml(decoded, shown, as_written=True)
    out.problems.extend(attribute(problems, document, shown))
    if document is None and problems:  # not YAML, or refused (too deep, an alias bomb)
        return FileOutcome(out.rows, out.problems, False, parsed=False)
    if isinstance(document, LocatedMap) and recognise(document):
        out.extend(read_document(document, shown))
        return FileOutcome(out.rows, out.problems, False)
    if isinstance(document, LocatedMap) and set(document) & OWN_OTHER_KEYS and not explicit:
        return FileOutcome(out.rows, out.problems, True)
    if isinstance(document, LocatedMap) and set(document) >= REPORT_KEYS:
        out.problems.append(own_report(shown, "its version, summary and findings", explicit))
        return FileOutcome(out.rows, out.problems, False, report=True)
    problem = _unrecognised(document, shown, explicit)
    out.problems.append(problem)
    return FileOutcome(out.rows, out.problems, problem.severity == "warning")


def _unrecognised(document: object, shown: str, explicit: bool) -> Problem:
    """Why a YAML file is no plan file or KPI catalog: an error where it holds plans in
    another shape or a typo of our keys (its plans would be lost unseen), or where it was
    named; a warning otherwise, since a plan folder may hold other tools' YAML files
    (mkdocs.yml, a docker-compose file)."""
    misplaced = misplaced_plans(document)
    if misplaced is not None:
        message, (line, col) = misplaced
        return Problem(Location(shown, "", line, col), message, "unrecognised-file")
    typo = near_miss(document)
    if typo or explicit:
        return Problem(Location(shown, "", 1, 1), typo or "not a plan file or KPI catalog: "
                       "expected a top-level 'plan', 'plans' or 'kpis' key",
                       "unrecognised-file")
    top = ("a list at the top level, not a mapping with a 'plan', 'plans' or 'kpis' key"
           if isinstance(document, list) else "no top-level 'plan', 'plans' or 'kpis' key")
    return Problem(Location(shown), f"not a plan file or KPI catalog ({top}); skipped",
                   "unrecognised-file", severity="warning")


def read_yaml_files(contents: Sequence[tuple[bytes, str, bool]], paths: Sequence[str],
                    keys: Sequence[str] | None = None, *,
                    progress: Progress | None = None) -> list[FileOutcome]:
    """The outcome of each file (its bytes, its shown path and whether it was named), in
    order; ``paths`` are the input paths of the run as shown, which name its cache pack,
    and ``keys`` the files' cache keys when they are known already. ``progress`` is told a
    step for each file: those answered from the cache at once, the others as they are
    parsed."""
    if not cache.enabled():
        return [outcome for outcome, _ in _parse_all(list(contents), progress)]
    pack = cache.pack_path(list(paths))
    stored = cache.read_pack(pack) if contents else {}
    if keys is None:
        keys = [cache.key(*content) for content in contents]
    found: list[tuple[FileOutcome, Any] | None] = []
    used: set[str] = set()
    for entry_key in keys:
        entry = stored.get(entry_key)
        if entry is not None and entry_key in used:
            # A file named twice gets records of its own each time, never shared ones.
            entry = cache.copy_entry(entry)
        used.add(entry_key)
        outcome = None if entry is None else cache.decode(entry)
        found.append(None if outcome is None else (outcome, entry))
    missing = [index for index, hit in enumerate(found) if hit is None]
    if progress is not None and len(missing) < len(found):
        progress("", len(found) - len(missing))
    parsed_all = _parse_all([contents[i] for i in missing], progress)
    for index, parsed in zip(missing, parsed_all, strict=True):
        found[index] = parsed
    done = [hit for hit in found if hit is not None]
    if missing or stored.keys() - used:  # something new, or entries of files no longer read
        _store(pack, keys, done)
    else:
        cache.touch(pack)
    return [outcome for outcome, _ in done]


def _store(pack: Path, keys: Sequence[str], done: list[tuple[FileOutcome, Any]]) -> None:
    shared: dict[Any, Any] = {}
    entries = {}
    for entry_key, (outcome, entry) in zip(keys, done, strict=True):
        encoded = entry if entry is not None else cache.encode(outcome, shared)
        if encoded is not None:
            entries[entry_key] = encoded
    cache.write_pack(pack, entries)


def _parse_all(contents: list[tuple[bytes, str, bool]],
               progress: Progress | None = None) -> list[tuple[FileOutcome, Any]]:
    """Each file's outcome, with its encoded form when a worker made it (else None); files
    are parsed across the cores from ``PARALLEL_MIN_BYTES`` of YAML (the same outcomes, in
    order, as parsing them in turn). ``progress`` is told a step for each file parsed."""
    workers = min(streams.cores(), 8)
    if (len(contents) < 2 or workers < 2
            or sum(len(data) for data, _, _ in contents) < PARALLEL_MIN_BYTES):
        if progress is None:
            return [(read_yaml_file(*content), None) for content in contents]
        return [(read_yaml_file(*content), None)
                for content in _counted(contents, 1, progress)]
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, min(256, len(contents) // (workers * TASKS_PER_WORKER)))
    out: list[tuple[FileOutcome, Any]] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(_read_encoded, *zip(*contents, strict=True), chunksize=chunk)
        if progress is not None:
            # A worker sends a chunk's results together: told once a chunk, not once a file.
            results = _counted(results, chunk, progress)
        for encoded, outcome in results:
            decoded = cache.decode(encoded) if encoded is not None else None
            # Not decoded: the worker could not encode the outcome and sent it itself.
            out.append((cast(FileOutcome, outcome), None) if decoded is None
                       else (decoded, encoded))
    return out


def _counted(items: Iterable[Item], every: int, progress: Progress) -> Iterator[Item]:
    """``items``, telling ``progress`` a step for each once the caller's loop is done with
    it (asks for the next): ``every`` steps at a time, and what is left at the end."""
    count = 0
    for item in items:
        yield item
        count += 1
        if count == every:
            progress("", None if every == 1 else every)
            count = 0
    if count:
        progress("", count)


#: A worker's shared strings and positions, kept across its files so that the results it
#: sends back share them (a bound on memory: cleared when it grows past this).
_WORKER_SHARED: dict[Any, Any] = {}
_WORKER_SHARED_SIZE = 200_000


def _read_encoded(data: bytes, shown: str, explicit: bool) -> tuple[Any, FileOutcome | None]:
    """In a worker: a file's outcome in its plain encoded form, which crosses back to the
    main process at a fraction of the cost of located containers and Problem objects; the
    outcome itself only when it cannot be encoded."""
    outcome = read_yaml_file(data, shown, explicit)
    if len(_WORKER_SHARED) > _WORKER_SHARED_SIZE:
        _WORKER_SHARED.clear()
    encoded = cache.encode(outcome, _WORKER_SHARED)
    return (encoded, None) if encoded is not None else (None, outcome)
