"""A cache of parsed YAML input, so that a re-run over an unchanged folder skips parsing.

Like ruff's cache it lives in ``.policycheck_cache/`` of the current folder (or
``POLICYCHECK_CACHE_DIR``), is safe to delete at any time, and is off with ``--no-cache``
(``POLICYCHECK_NO_CACHE=1``). An entry is keyed by the SHA-256 of the file's bytes, its shown
path (problems name it), the policycheck version, FORMAT_VERSION, the PyYAML version and
loader, and a hash of the parser's source: an edited file or a changed parser has a new key,
so a stale entry is never served (no modification times are trusted).

Entries are JSON, never pickle: a cache folder may be shared, restored from CI or written by
someone else, and unpickling runs code, whereas reading JSON only builds plain values. What is
stored is what ``yamlsource.load_yaml`` returns: the document as tagged JSON (mappings and lists
with their positions, dates as ISO text) and the parse problems. An entry that cannot be read
or does not have that shape is ignored and rewritten; entries are written to a temporary file
and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from policycheck import __version__, yamlsource
from policycheck.errors import Location, Problem
from policycheck.yamlsource import LocatedList, LocatedMap

#: Bump when the stored shape or the parser's output changes.
FORMAT_VERSION = "1"
DEFAULT_DIR = ".policycheck_cache"
Parsed = tuple[Any, list[Problem]]


class _NotCacheable(Exception):
    """A value the JSON form does not hold (the file is then simply parsed each run)."""


def enabled() -> bool:
    return os.environ.get("POLICYCHECK_NO_CACHE", "").strip().lower() not in ("1", "true", "yes")


def cache_dir() -> Path:
    return Path(os.environ.get("POLICYCHECK_CACHE_DIR") or DEFAULT_DIR)


def _parser_identity() -> str:
    """What a parse depends on besides the file: PyYAML, its loader, and the parser's own
    code and limits (a hash of yamlsource.py), so an entry made by other code is not served."""
    source = Path(yamlsource.__file__).read_bytes()
    return "/".join((yaml.__version__, yamlsource._BaseLoader.__name__,
                     hashlib.sha256(source).hexdigest()))


_PARSER = _parser_identity()


def key(data: bytes, shown: str) -> str:
    digest = hashlib.sha256()
    for part in (__version__, FORMAT_VERSION, _PARSER, shown):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(data)
    return digest.hexdigest()


def _entry(entry_key: str) -> Path:
    return cache_dir() / "yaml" / entry_key[:2] / f"{entry_key}.json"


def lookup(entry_key: str) -> Parsed | None:
    """The parsed form stored under the key, or None (missing, unreadable or corrupt)."""
    try:
        text = _entry(entry_key).read_text(encoding="utf-8")
        stored = json.loads(text, object_hook=_from_tag)
        if stored.get("key") != entry_key:
            return None
        data = stored["data"]
        if isinstance(data, list):
            raise ValueError("a bare list in a cache entry")
        return data, [_problem(p) for p in stored["problems"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def store(entry_key: str, parsed: Parsed) -> None:
    """Keep a parsed file; quietly skipped when it cannot be written or held."""
    data, problems = parsed
    try:
        payload = json.dumps({"key": entry_key, "data": _encode(data),
                              "problems": [_problem_json(p) for p in problems]},
                             ensure_ascii=False, separators=(",", ":"))
    except (_NotCacheable, TypeError, ValueError):
        return
    target = _entry(entry_key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(payload)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, LocatedMap):
        return {"M": [[_encode(k), _encode(v), *value.key_positions.get(k, value.start)]
                      for k, v in value.items()],
                "s": list(value.start), "e": list(value.end)}
    if isinstance(value, LocatedList):
        return {"L": [_encode(v) for v in value], "s": list(value.start),
                "p": [list(p) for p in value.item_positions]}
    if isinstance(value, datetime.datetime):
        return {"T": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"D": value.isoformat()}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode("ascii")}
    raise _NotCacheable(type(value).__name__)


def _from_tag(value: dict[str, Any]) -> Any:
    """One tagged JSON object back to its value (json calls this innermost first, so the
    items are decoded already); the entry's own top object passes through."""
    if "M" in value:
        out = LocatedMap()
        out.start, out.end = tuple(value["s"]), tuple(value["e"])
        positions = out.key_positions = {}
        for k, v, line, col in value["M"]:
            out[k] = v
            positions[k] = (line, col)
        return out
    if "L" in value:
        items = LocatedList(value["L"])
        items.start = tuple(value["s"])
        items.item_positions = [tuple(p) for p in value["p"]]
        return items
    if "T" in value:
        return datetime.datetime.fromisoformat(value["T"])
    if "D" in value:
        return datetime.date.fromisoformat(value["D"])
    if "B" in value:
        return base64.b64decode(value["B"])
    if "key" in value or "file" in value or "location" in value:
        return value  # the entry itself, a problem or its location
    raise ValueError("an unknown tag in a cache entry")


def _problem_json(problem: Problem) -> dict[str, Any]:
    return asdict(problem)


def _problem(data: dict[str, Any]) -> Problem:
    fields = dict(data)
    fields["location"] = Location(**fields["location"])
    return Problem(**fields)
