"""A cache of what each YAML plan file gave, so that a re-run over an unchanged folder skips
parsing and record building.

Like ruff's cache it lives in ``.policycheck_cache/`` of the current folder (or
``POLICYCHECK_CACHE_DIR``), is safe to delete at any time, and is off with ``--no-cache``
(``POLICYCHECK_NO_CACHE=1``). A run whose inputs did not change at all is served its whole
validated model instead (``policycheck.modelcache``, packs of the same kind).

One pack file per set of input paths holds an entry per YAML file: the file's raw records
(``documents.Records`` rows with their source locations), its problems and whether it was
skipped. An entry is keyed by the SHA-256 of the file's bytes, its shown path (problems name
it), whether it was named on the command line, and the identity of the code that made it:
the policycheck, Python and PyYAML versions, the loader, FORMAT_VERSION and a hash of the
sources that turn bytes into records. An edited file or changed code has a new key, so a stale entry
is never served; no modification times are trusted, every file is read and hashed.

Packs are ``marshal`` data, never pickle: unpickling runs code, whereas unmarshalling only
builds values (strings, numbers, tuples, lists, dicts); nothing read from a pack is ever
called. The cache folder sits in the checkout, where a pull request may add files of its
own: a pack forged there could make the check read records its plan files do not hold. So
a pack is signed (HMAC-SHA-256, with the key of ``policycheck.signing``: the user's own,
kept outside the checkout, or a CI secret), and the signature is checked before the pack is
unmarshalled: a pack this user did not write, or a truncated or damaged one, is ignored
(and rewritten) rather than read. With no key the cache is simply not used. Packs are
written to a temporary file and renamed into place, so a reader never sees half of one; a
pack no run has used for PRUNE_DAYS days is deleted when another is written.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import hmac
import marshal
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from policycheck import __version__, yamlsource
from policycheck.documents import Record
from policycheck.errors import Location, Problem
from policycheck.limits import fallback_encoding
from policycheck.signing import key_label, signature, signing_key

#: Bump when the stored shape changes.
FORMAT_VERSION = "5"
DEFAULT_DIR = ".policycheck_cache"
MAGIC = b"policycheck-pack-3\n"
PRUNE_DAYS = 30
MARSHAL_VERSION = 4  # shares repeated objects (field names, positions) by reference


class FileOutcome(NamedTuple):
    """What one YAML file gave: raw records by entity, problems, whether it was skipped
    as one of policycheck's own non-plan files or as another tool's file (with a warning),
    whether it is a report policycheck
    wrote (passed over: no input of the run, so the next run may write it again), and
    whether its bytes were decoded and parsed into a document (not: the file could not be
    read at all, ``Model.files_unread``)."""

    rows: dict[str, list[Record]]
    problems: list[Problem]
    skipped: bool
    report: bool = False
    parsed: bool = True


class _NotCacheable(Exception):
    """A value the pack does not hold (the file is then simply parsed each run)."""


def enabled() -> bool:
    switched_off = os.environ.get("POLICYCHECK_NO_CACHE", "").strip().lower() in (
        "1", "true", "yes")
    return not switched_off and signing_key() is not None


def cache_dir() -> Path:
    return Path(os.environ.get("POLICYCHECK_CACHE_DIR") or DEFAULT_DIR)


#: The sources that turn a file's bytes into its outcome: these modules and every module of
#: policycheck they import (the limits a file is read within, the "did you mean" of its
#: problems), whose closure a test keeps whole.
SOURCES = ("yamlsource.py", "yamlloader.py", "yamlfast.py", "yamlbounds.py", "documents.py",
           "model.py", "errors.py", "yamlfiles.py", "cache.py", "limits.py", "closest.py",
           "progress.py", "signing.py", "streams.py")


@functools.cache
def _code_identity() -> str:
    """What a file's outcome depends on besides its bytes: Python, PyYAML, its loader, and
    the code turning bytes into records (its limits and field lists included), hashed."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    # marshal's format may differ between Python versions: a pack is read by the same one.
    return "/".join((__version__, FORMAT_VERSION, sys.version, yaml.__version__,
                     yamlsource.BaseLoader.__name__, digest.hexdigest()))



def key(data: bytes, shown: str, explicit: bool) -> str:
    """The entry key of one file's bytes, as shown and as named (or found in a folder), and
    read in the run's encoding for text that is not UTF-8 (``--encoding``)."""
    digest = hashlib.sha256(f"{_code_identity()}\0{shown}\0{int(explicit)}\0"
                            f"{fallback_encoding()}\0".encode())
    digest.update(data)
    return digest.hexdigest()


def pack_path(paths: list[str], kind: str = "yaml") -> Path:
    """The pack of one set of input paths (a run over other paths keeps its own pack):
    ``yaml`` for what its files gave, ``model`` for its model (``policycheck.modelcache``)."""
    # In sorted order: the same paths named in another order share one pack. A pack is
    # named by the key that signs it too (``signing.key_label``).
    name = hashlib.sha256("\0".join([_code_identity(), key_label(), *sorted(paths)])
                          .encode()).hexdigest()[:32]
    return cache_dir() / kind / f"{name}.pack"


def read_pack(path: Path) -> dict[str, Any]:
    """The entries of a pack; empty when it is missing, damaged or not of this shape."""
    try:
        raw = path.read_bytes()
    except OSError:
        return {}
    head, digest, body = raw[:len(MAGIC)], raw[len(MAGIC):len(MAGIC) + 32], raw[len(MAGIC) + 32:]
    try:
        if head != MAGIC or not hmac.compare_digest(signature(body), digest):
            return {}
    except OSError:
        return {}
    try:
        entries = marshal.loads(body)
    except (Exception, MemoryError):  # a crafted pack may claim any size: it is a miss
        return {}
    if not isinstance(entries, dict):
        return {}
    return entries


def write_pack(path: Path, entries: dict[str, Any]) -> None:
    """Keep the entries; quietly skipped when the pack cannot be written."""
    try:
        body = marshal.dumps(entries, MARSHAL_VERSION)
    except ValueError:  # not expected: encode() lets only plain values through
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(MAGIC + signature(body) + body)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return
    _prune(path)


def touch(path: Path) -> None:
    """Mark a pack as used by this run (it is then kept PRUNE_DAYS more days)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def _prune(kept: Path) -> None:
    """Delete the packs of the same folder that no run has used for PRUNE_DAYS days (the
    packs of input paths no longer checked)."""
    oldest = time.time() - PRUNE_DAYS * 86400
    try:
        with os.scandir(kept.parent) as listing:
            for entry in listing:
                if (entry.name.endswith(".pack") and entry.path != str(kept)
                        and entry.stat().st_mtime < oldest):
                    os.unlink(entry.path)
    except OSError:
        pass


def copy_entry(entry: Any) -> Any:
    """A deep copy of an encoded entry, so that two outcomes never share a record."""
    return marshal.loads(marshal.dumps(entry, MARSHAL_VERSION))


# --- one file's outcome to and from plain values --------------------------------------------

_SCALARS = (str, int, float, bool, type(None), bytes)
#: The scalars that are not text, as a set (a record's values are looked up in it).
_NUMBERS = frozenset({int, float, bool, type(None)})


def encode(outcome: FileOutcome, shared: dict[Any, Any]) -> tuple[Any, ...] | None:
    """The outcome as plain values (None when it holds something a pack cannot). Dates,
    which marshal does not hold, are kept apart as (entity, row, field, ISO text, is a
    datetime); equal strings and positions are made one object through ``shared``."""
    dates: list[tuple[str, int, str, str, bool]] = []
    rows: dict[str, list[Record]] = {}
    try:
        for entity, records in outcome.rows.items():
            rows[entity] = [_encode_record(record, entity, index, dates, shared)
                            for index, record in enumerate(records)]
    except _NotCacheable:
        return None
    return (rows, [problem_values(p) for p in outcome.problems], outcome.skipped,
            outcome.report, dates, outcome.parsed)


def problem_values(problem: Problem) -> tuple[Any, ...]:
    """A problem as plain values (``problem_from`` makes it again)."""
    where = problem.location
    return (where.file, where.sheet, where.line, where.column, problem.message, problem.code,
            problem.plan_id, problem.severity, problem.field, problem.detail)


def problem_from(values: tuple[Any, ...]) -> Problem:
    return Problem(Location(*values[:4]), *values[4:])


def _encode_record(record: Record, entity: str, index: int,
                   dates: list[tuple[str, int, str, str, bool]], shared: dict[Any, Any]) -> Record:
    out: Record = {}
    share = shared.setdefault
    for name, value in record.items():
        name = share(name, name)
        kind = type(value)
        if kind is str:  # most values: each one of a few texts
            value = share(value, value) if len(value) < 64 else value
        elif kind in _NUMBERS:
            pass
        elif isinstance(value, datetime.date):
            dates.append((entity, index, name, value.isoformat(),
                          isinstance(value, datetime.datetime)))
            value = None
        elif name == "src_fields":
            value = {share(k, k): share(p, p) for k, p in value.items()}
        else:
            value = _plain(value, shared)
        out[name] = value
    return out


def _plain(value: Any, shared: dict[Any, Any]) -> Any:
    if isinstance(value, str):
        return shared.setdefault(value, value) if len(value) < 64 else value
    if type(value) in _SCALARS:
        return value
    if isinstance(value, dict):
        return {_plain(k, shared): _plain(v, shared) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, shared) for v in value]
    raise _NotCacheable(type(value).__name__)


def decode(entry: Any) -> FileOutcome | None:
    """The outcome of an encoded entry (a pack's, or a worker's); None when the entry is not
    of the stored shape. The entry itself is left as it is (it may still be written to a
    pack): lists and records that get dates back are copies."""
    try:
        stored_rows, problems, skipped, report, dates, parsed = entry
        rows = dict(stored_rows)
        for records in rows.values():
            if type(records) is not list or not set(map(type, records)) <= _RECORD_TYPES:
                return None
        copied: set[str] = set()
        for entity, index, name, text, is_datetime in dates:
            if entity not in copied:
                rows[entity] = list(rows[entity])
                copied.add(entity)
            parse = datetime.datetime if is_datetime else datetime.date
            record = rows[entity][index] = dict(rows[entity][index])
            record[name] = parse.fromisoformat(text)
        return FileOutcome(rows, [problem_from(p) for p in problems],
                           bool(skipped), bool(report), bool(parsed))
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


_RECORD_TYPES = frozenset({dict})
