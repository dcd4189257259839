"""Size limits of input files: plan files, tables, waivers files, baselines (rule files
have their own, ``rulefile.MAX_RULE_BYTES``), and the encoding of those not in UTF-8.

Any of them may come with a pull request, so none is read whole before its size is known
to be within its limit. A YAML document becomes Python objects many times its size, so its
limit is low; CSV and xlsx are read into compact columns and may be large HR exports
(100,000 plans give a components table of about 50 MB), and a baseline is as long as a
report's findings. ``POLICYCHECK_MAX_FILE_SIZE`` (in MB, set by the top-level
``--max-file-size`` flag) replaces every limit.

A module of its own, so that the waivers and the baseline readers need not import the
plans' readers for it, nor the command line (``--help``) PyYAML.
"""

from __future__ import annotations

import codecs
import math
import os
from pathlib import Path

from policycheck.errors import Location, Problem, UsageError

YAML_SUFFIXES = frozenset({".yaml", ".yml"})
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
        except (ValueError, OverflowError):  # not a number, NaN, infinite
            pass  # the CLI checks the flag; an odd environment value falls back to defaults
    return MAX_FILE_BYTES if suffix in YAML_SUFFIXES else MAX_TABLE_BYTES


def _over(size: int, limit: int) -> str:
    return f"{size:,} bytes; the limit is {limit:,} (raise it with policycheck --max-file-size MB)"


def too_large(shown: str, size: int, limit: int) -> Problem:
    """The problem of an input file past its limit."""
    return Problem(Location(shown), f"file is {_over(size, limit)}", "file-too-large")


def read_within_limit(path: Path, shown: str, kind: str, suffix: str) -> bytes:
    """The bytes of a file read beside the plans (a waivers file, a baseline), refused past
    the size limit of its kind of file (``suffix``). UsageError (exit 2) names the file,
    its size and the limit."""
    limit, size = size_limit(suffix, None), path.stat().st_size
    if size > limit:
        raise UsageError(f"{shown}: the {kind} is {_over(size, limit)}")
    return path.read_bytes()


def address_room() -> float:
    """The address space this process may still take, in bytes (``ulimit -v`` less what it
    has); infinite without a limit. The readers written in Rust or C++ (calamine, Arrow's
    CSV parser) abort the whole process where an allocation fails, where the Python ones
    raise MemoryError: they are used only where this leaves them room."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return math.inf
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return math.inf
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            used = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0  # a limit and no way to tell what is left: the frugal reader
    return soft - used


#: The encoding of the input files that are not UTF-8 (``policycheck --encoding``).
ENCODING_VARIABLE = "POLICYCHECK_ENCODING"


def fallback_encoding() -> str:
    """The encoding input files that are not UTF-8 are read in, by Python's name for it
    (``cp1252`` for ``windows-1252``); empty when there is none, and they are refused.
    UsageError for a name that is no text encoding."""
    name = os.environ.get(ENCODING_VARIABLE, "").strip()
    if not name:
        return ""
    canonical = text_encoding(name)
    if canonical is None:
        raise UsageError(f"--encoding {name!r} (or {ENCODING_VARIABLE}): {ENCODING_EXPECTED}")
    return canonical


ENCODING_EXPECTED = "expected the name of a text encoding, such as cp1252 or latin-1"


def text_encoding(name: str) -> str | None:
    """Python's name for the text encoding ``name`` (``cp1252`` for ``windows-1252``);
    None if it names none."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # base64 and the like turn bytes to bytes
    return info.name if info._is_text_encoding else None
