"""Baselines: the findings a team has accepted as they are, so that only new ones fail.

``--write-baseline FILE`` records the fingerprint of every finding not covered by a waiver
(a waiver's expiry must keep its teeth: a baseline cannot hide a finding whose waiver ran
out). ``--baseline FILE`` marks the open findings whose fingerprint is recorded as
``baselined``; they are reported but do not fail the run. A finding that has become more
severe than recorded is not baselined: the plan got worse.

Fingerprints are rule id + plan id + scope + entity id (``engine.fingerprints``), never a
line, so they survive reordering files, moving a plan to another file and unrelated edits.
The file is deterministic: sorted, no timestamps, the same findings give the same bytes.

A baseline named ``*.gz`` is written gzip-compressed (no name or time in its header: the
same findings, the same bytes), and a gzip-compressed baseline is read whatever its name.
A large organisation's baseline is large (157 MB for 100,000 plans, about 13 MB
compressed), and GitHub refuses a pushed file over 100 MB. It is read by msgspec into the
two fields a run needs (the fingerprint and the severity), skipping the rest; a file it does
not read that way (a version written ``1.0``, a wrong type, a file that is not JSON) is read
by ``json``, which accepts what it always accepted and says where a file is not JSON.
"""

from __future__ import annotations

import functools
import json
import re
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import msgspec
import numpy as np
import pandas as pd

from policycheck.codes import distinct, positions
from policycheck.engine import SEVERITY_RANK, fill_fingerprints, severity_ranks
from policycheck.errors import (
    Location,
    PolicycheckError,
    Problem,
    UsageError,
    display_path,
    not_a_file,
)
from policycheck.formats.json_format import CHUNK, list_pieces, records_chunk
from policycheck.formats.jsontext import dumps, encode_str
from policycheck.limits import read_within_limit, size_limit
from policycheck.outputfiles import atomic_write
from policycheck.streams import Piece

BASELINE_VERSION = 1
ENTRY_KEYS = ("fingerprint", "rule_id", "plan_id", "entity_id", "severity")
#: Statuses a baseline records: findings not covered by a waiver.
RECORDED = ("open", "baselined")


def baseline_table(findings: pd.DataFrame) -> pd.DataFrame:
    """The entries a baseline records (``ENTRY_KEYS``), one per fingerprint, sorted by rule
    id, plan id, entity id and fingerprint (sorted by codes: the frame's text sorted as
    objects took seconds at a million findings)."""
    fill_fingerprints(findings)
    table = findings.loc[findings["status"].isin(RECORDED), list(ENTRY_KEYS)]
    if not distinct(table["fingerprint"]):  # two findings of one rule on one entity
        table = table.drop_duplicates("fingerprint")
    keys = [pd.factorize(column, sort=True)[0] for column in (
        table["fingerprint"], table["entity_id"].fillna(""), table["plan_id"],
        table["rule_id"])]
    return table.iloc[np.lexsort(keys)].reset_index(drop=True)


def baseline_entries(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """The baseline's entries as mappings (a missing entity id None)."""
    table = baseline_table(findings).astype(object)
    return cast("list[dict[str, Any]]", table.where(table.notna(), None).to_dict("records"))


#: An entry's keys after the list's item separator, in the baseline's layout.
_ENTRY_SEPARATORS = [(",\n    {\n      " if index == 0 else ",\n      ").encode()
                     + encode_str(key).encode() + b": " for index, key in enumerate(ENTRY_KEYS)]


def baseline_chunks(table: pd.DataFrame) -> Iterator[Piece]:
    """The baseline file of the entries ``table`` (``baseline_table``) in UTF-8 pieces, as
    ``dumps`` writes it; the entries encoded from the columns
    (``json_format.records_chunk``): a million of them through the indenting encoder took
    5 s."""
    top = dumps({"version": BASELINE_VERSION, "tool": "policycheck", "fingerprints": []})
    if table.empty:
        yield (top + "\n").encode("utf-8")
        return
    before, after = top.split('"fingerprints": []')
    encode = functools.partial(records_chunk, names=ENTRY_KEYS, separators=_ENTRY_SEPARATORS,
                               closing=b"\n    }", memo={})
    yield from list_pieces(before + '"fingerprints": [\n', "\n  ]" + after + "\n", table,
                           CHUNK, encode, _plain_entries)


def _plain_entries(table: pd.DataFrame) -> str:
    """Entries through json.dumps, for a value only it knows how to write or refuse."""
    rows = table.astype(object).where(table.notna(), None).to_dict("records")
    return "".join(",\n    " + json.dumps(row, indent=2, ensure_ascii=False)
                   .replace("\n", "\n    ") for row in rows)


def write_baseline(findings: pd.DataFrame, target: Path) -> pd.DataFrame:
    """Write the baseline atomically (gzip-compressed for a name ending in ``.gz``); return
    its fingerprints and severities, as ``read_baseline`` would read them back (parsing the
    file again took 1.5 s and 0.7 GB for 835,543 entries)."""
    table = baseline_table(findings)
    pieces = baseline_chunks(table)
    atomic_write(target, gzipped(pieces) if target.suffix.lower() == ".gz" else pieces)
    return table[["fingerprint", "severity"]].rename(columns={"severity": "recorded"})


#: zlib's level for a compressed baseline: 157 MB (100,000 plans) in about 1.3 s, to 13 MB.
GZIP_LEVEL = 6
_GZIP_MAGIC = b"\x1f\x8b"


def gzipped(pieces: Iterator[Piece]) -> Iterator[bytes]:
    """``pieces`` as one gzip member with no name and no time in its header, so that the
    same pieces give the same bytes."""
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for piece in pieces:
        yield packer.compress(piece)
    yield packer.flush()


def _gunzipped(data: bytes, shown: str) -> bytes:
    """A gzip-compressed baseline's bytes, refused past the size limit of a table as it
    unpacks (a small file may unpack to gigabytes) and when it is not whole."""
    limit = size_limit(".csv", None)
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = unpacker.decompress(data, limit + 1)
    except zlib.error as exc:
        raise UsageError(f"{shown}: the baseline is not valid gzip data ({exc})") from None
    if len(out) > limit:
        raise UsageError(f"{shown}: the baseline unpacks to more than {limit:,} bytes, the "
                         "limit (raise it with policycheck --max-file-size MB)")
    if not unpacker.eof:
        raise UsageError(f"{shown}: the baseline is not valid gzip data (it ends early)")
    if unpacker.unused_data:
        raise UsageError(f"{shown}: the baseline is not valid gzip data (more follows its "
                         "end; expected one gzip member)")
    return out


def read_baseline(path: Path, shown: str | None = None) -> pd.DataFrame:
    """The recorded fingerprints and severities; PolicycheckError for a file that is not a
    policycheck baseline."""
    shown = shown or display_path(path)
    wrong = not_a_file(path, "baseline file")
    if wrong:
        hint = " (write one with --write-baseline)" if wrong.startswith("no such") else ""
        raise UsageError(f"{shown}: {wrong}{hint}")
    # machine-written and as long as a report's findings: the limit of a table
    raw = read_within_limit(path, shown, "baseline", ".csv")
    if raw.startswith(_GZIP_MAGIC):
        raw = _gunzipped(raw, shown)
    try:
        text = raw if raw.isascii() else raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{shown}: the baseline is not UTF-8 text") from None
    entries = _typed_entries(text)
    fingerprints, recorded = entries if entries is not None else _entries(text, shown)
    if not set(recorded) <= SEVERITY_RANK.keys():
        raise _not_a_baseline(shown)
    table = pd.DataFrame({"fingerprint": pd.Series(fingerprints, dtype="str"),
                          "recorded": pd.Series(recorded, dtype="str")})
    # a fingerprint twice only in a file not written by --write-baseline: the first counts
    return table if distinct(table["fingerprint"]) else table.drop_duplicates("fingerprint")


class _Entry(msgspec.Struct):
    fingerprint: str
    severity: str  # required: an entry without one matched no finding above info, unsaid


class _Baseline(msgspec.Struct):
    version: int
    fingerprints: list[_Entry]


_DECODER = msgspec.json.Decoder(_Baseline)


def _typed_entries(text: bytes | str) -> tuple[list[str], list[str]] | None:
    """The fingerprints and severities (texts, not yet checked to be severities) of a
    well-formed baseline, decoded by msgspec into the two fields it reads, skipping the
    rest (835,543 entries: about 0.35 s, where ``json.loads`` and checking every entry took
    1.4-2.3 s); None for anything else, which ``_entries`` reads and, if it must, refuses
    with its message."""
    try:
        read = _DECODER.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    if read.version != BASELINE_VERSION:
        return None
    return ([entry.fingerprint for entry in read.fingerprints],
            [entry.severity for entry in read.fingerprints])


def _entries(text: bytes | str, shown: str) -> tuple[list[str], list[str]]:
    """The fingerprints and severities (texts, not yet checked to be severities) of a
    baseline read by ``json``, which accepts what JSON allows beyond msgspec's strict types
    (``"version": 1.0``) and says where a file is not JSON; PolicycheckError where it is
    not a baseline."""
    try:
        # integers as Decimal: ``int`` refuses one of more than 4,300 digits (ValueError,
        # an internal error), and no field a baseline reads is a number but its version
        data = json.loads(text, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        problem = Problem(Location(shown, "", exc.lineno, exc.colno),
                          f"invalid JSON: {exc.msg}", "baseline-json")
        raise PolicycheckError(f"the baseline {shown} is not valid", [problem]) from None
    except RecursionError:  # arrays or objects nested past the interpreter's stack
        raise PolicycheckError(f"the baseline {shown} is not valid",
                               [_too_deep(text, shown)]) from None
    entries = data.get("fingerprints") if isinstance(data, dict) else None
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, Decimal) and version > BASELINE_VERSION and \
            data.get("tool") == "policycheck":
        raise UsageError(f"{shown}: a policycheck baseline of version {version}, which a newer "
                         f"policycheck wrote; this one reads version {BASELINE_VERSION}: "
                         "upgrade policycheck, or write the baseline again with "
                         "--write-baseline")
    valid = (isinstance(data, dict) and version == BASELINE_VERSION
             and isinstance(entries, list) and {type(e) for e in entries} <= {dict})
    fingerprints: list[Any] = []
    recorded: list[Any] = []
    if valid:
        assert isinstance(entries, list)
        fingerprints = [e.get("fingerprint") for e in entries]
        recorded = [e.get("severity") for e in entries]
        # text only: a list where a severity should be cannot even be looked up
        valid = {type(v) for v in (*fingerprints, *recorded)} <= {str}
    if not valid:
        raise _not_a_baseline(shown)
    return fingerprints, recorded


#: A JSON string or a bracket: what the depth of a document's nesting is read from.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(text: bytes | str, shown: str) -> Problem:
    """The problem of a document nested past the parser's stack, at the bracket where its
    nesting is deepest."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    depth = deepest = at = 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest, at = depth, token.start()
        elif bracket in ("]", "}"):
            depth -= 1
    line_start = text.rfind("\n", 0, at) + 1
    return Problem(Location(shown, "", text.count("\n", 0, at) + 1, at - line_start + 1),
                   f"invalid JSON: nested {deepest:,} levels deep, more than the parser can "
                   "follow", "baseline-json")


def _not_a_baseline(shown: str) -> UsageError:
    return UsageError(f"{shown}: not a policycheck baseline: expected {{\"version\": "
                      f"{BASELINE_VERSION}, \"fingerprints\": [{{\"fingerprint\": ..., "
                      "\"severity\": ...}, ...]} (write one with --write-baseline)")


def apply_baseline(findings: pd.DataFrame, recorded: pd.DataFrame) -> pd.DataFrame:
    """Open findings in the baseline, no more severe than recorded, become ``baselined``."""
    fill_fingerprints(findings)
    # looked up by position, not merged: the recorded fingerprints are distinct
    at = positions(findings["fingerprint"], recorded["fingerprint"])
    was = np.append(severity_ranks(recorded["recorded"]), np.nan)[at]  # -1: not recorded (NaN)
    known = ~np.isnan(was) & (severity_ranks(findings["severity"]) >= was)
    findings = findings.copy()
    findings.loc[known & (findings["status"] == "open").to_numpy(), "status"] = "baselined"
    return findings

