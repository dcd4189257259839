"""The findings frame, assembled once from what every rule fired on.

Each rule hands over integer row numbers of its scope and a few per-row values (`Fired`);
the location, entity and rule columns are gathered here for all rules together, sorted by
integer keys (file and sheet as ranks of their few distinct names) and only then turned into
text columns, so no text column is built, concatenated or sorted twice. The evidence stays
by column, one block per rule (``evidencearray``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.evidencearray import Block, EvidenceArray
from policycheck.frames import SCOPE_ENTITIES, Frames
from policycheck.rulefile import Rule
from policycheck.rulesections import SEVERITIES
from policycheck.streams import Piece, beside, interleaved
from policycheck.wording import Messages, join_messages

FINDING_COLUMNS = (
    "rule_id", "severity", "title", "scope", "plan_id", "entity_id", "component_id",
    "message", "evidence", "remediation", "src_file", "src_sheet", "src_line", "src_col",
    "headcount", "pay_at_stake", "fingerprint", "status", "waiver",
)
_STR = pd.StringDtype(na_value=np.nan)  # pandas' default text dtype, Arrow-backed


@dataclass(frozen=True)
class Fired:
    """The findings of one rule: rows of its scope's frame and a value per row."""

    rule: Rule
    rows: np.ndarray  # row numbers in the scope's frame
    plan_rows: np.ndarray  # the row's plan, as a row of the plans frame
    severity: np.ndarray  # ranks into SEVERITIES
    message: Messages
    evidence: Block  # by column: the distinct values of each name, a code per row
    pay_at_stake: np.ndarray


def empty() -> pd.DataFrame:
    return pd.DataFrame(columns=list(FINDING_COLUMNS))


def text_column(array: pa.Array | pa.ChunkedArray) -> pd.Series:
    """Arrow text as a column of pandas' default text dtype, without a copy."""
    if isinstance(array, pa.Array):
        array = pa.chunked_array([array], type=pa.large_string())
    # pandas takes dtype=; pandas-stubs lists only copy=, which pandas does not take.
    text = pd.arrays.ArrowStringArray(array, dtype=_STR)  # type: ignore[call-arg]
    return pd.Series(text, copy=False)


def _take_text(values: Sequence[object], codes: np.ndarray) -> pd.Series:
    """``values[code]`` per row as a text column; a missing value where the code is -1.

    Short texts (ids, file names) are taken by Arrow. Long ones are joined into one buffer
    of its exact size: Arrow's ``take`` grows its buffer as it goes, and for long repeated
    texts (a remediation on every finding) the growing costs several times the copying."""
    texts = [v if isinstance(v, str) else None for v in values] + [None]  # -1 picks None
    chosen = np.where(codes < 0, len(values), codes)
    encoded = [b"" if t is None else t.encode() for t in texts]
    if max(map(len, encoded)) <= _SHORT:
        return text_column(pa.array(texts, type=pa.large_string()).take(pa.array(chosen)))
    missing = np.array([t is None for t in texts])[chosen]
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)[chosen]
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = b"".join([encoded[c] for c in chosen.tolist()])
    validity = pa.array(~missing).buffers()[1] if missing.any() else None
    return text_column(pa.LargeStringArray.from_buffers(
        len(codes), pa.py_buffer(offsets), pa.py_buffer(data), validity))


#: The longest text (in bytes) that ``_take_text`` leaves to Arrow's ``take``: measured at
#: 833,392 rows, 13 times faster than the exact join at 60 bytes, 2 times slower at 300.
_SHORT = 128


def _take_category(values: Sequence[str], codes: np.ndarray) -> pd.Series:
    """``values[code]`` per row as a categorical column, its categories the distinct texts in
    sorted order (so that sorting the column sorts its texts). A rule's title and remediation
    repeat on every finding, and as text they were a third of the findings' memory. (Columns
    that later steps write to, such as ``status`` and ``src_file``, stay text: a categorical
    takes no new value.)"""
    categories = sorted(set(values))
    rank = {text: i for i, text in enumerate(categories)}
    to_category = np.array([rank[text] for text in values], dtype=np.int64)
    return pd.Series(pd.Categorical.from_codes(
        to_category[codes], dtype=pd.CategoricalDtype(pd.Index(categories, dtype=_STR))))


def _ranked_codes(fired: Sequence[Fired], frames: Frames, name: str
                  ) -> tuple[np.ndarray, list[object]]:
    """A per-finding code for a location column (``src_file``), numbered in sorted order of
    its distinct values, with those values; -1 for a missing one (sorted first)."""
    local = {s: frames.codes(s, name) for s in {f.rule.scope for f in fired}}
    names = sorted({v for _, uniques in local.values() for v in uniques})
    rank = {v: i for i, v in enumerate(names)}
    parts = []
    for f in fired:
        codes, uniques = local[f.rule.scope]
        to_rank = np.array([rank[v] for v in uniques] + [-1], dtype=np.int64)
        parts.append(to_rank[codes[f.rows]])  # code -1 picks the trailing -1
    return np.concatenate(parts), names


def _entities(fired: Sequence[Fired], frames: Frames, components_only: bool) -> pd.Series:
    """Entity ids (or component ids) as the per-rule frames of pandas would have typed them:
    text when every rule's ids are text, objects with None otherwise."""
    parts, texts = [], []
    for f in fired:
        scope = f.rule.scope
        named = scope == "component" if components_only else scope != "plan"
        ids = (frames.raw(scope, SCOPE_ENTITIES[scope].key)[f.rows] if named
               else np.full(len(f.rows), None, dtype=object))
        text = pd.api.types.infer_dtype(ids, skipna=True) == "string"
        parts.append(np.where(pd.isna(ids), np.nan, ids) if text and pd.isna(ids).any()
                     else ids)
        texts.append(text)
    values = np.concatenate(parts)
    if all(texts):
        return pd.Series(values, dtype=_STR)
    return pd.Series(values, dtype=object)


def _order(file: np.ndarray, sheet: np.ndarray, line: np.ndarray, col: np.ndarray,
           rule: np.ndarray, entity: pd.Series) -> np.ndarray:
    """The stable order by location, rule id, then entity id (missing first). The entity
    decides only between findings of one rule at one location, rare enough to rank the ids
    only when it happens."""
    keys = (rule, col, line, sheet, file)
    order = np.lexsort(keys)
    tied = np.ones(len(order) - 1, dtype=bool) if len(order) else np.zeros(0, dtype=bool)
    for key in keys:
        ordered = key[order]
        tied &= ordered[1:] == ordered[:-1]
    if not tied.any():
        return order
    codes, _ = pd.factorize(entity.to_numpy(dtype=object), sort=True)
    return np.lexsort((codes, *keys))


def assemble(fired: list[Fired], frames: Frames, fingerprint: bool = True) -> pd.DataFrame:
    """One findings frame with FINDING_COLUMNS, sorted by location, rule and entity.

    The messages, the largest column, are copied once: every rule's distinct messages are
    taken at once into the sorted order. Without ``fingerprint`` the fingerprints are left
    missing, for ``fill_fingerprints``."""
    fired = [f for f in fired if len(f.rows)]
    if not fired:
        return empty()
    rules = [f.rule for f in fired]
    sizes = [len(f.rows) for f in fired]
    rule = np.repeat(np.arange(len(fired)), sizes)
    starts = np.cumsum([0, *sizes[:-1]])  # where each rule's rows start, before sorting
    at = _locate(fired, frames, rules, rule)
    position = np.empty(len(at.order), dtype=np.int64)
    position[at.order] = np.arange(len(at.order))  # where each rule's rows go, sorted
    rule = rule[at.order]
    # the messages, the largest column, are taken by Arrow on a second thread while this
    # one builds the other columns
    message = beside(join_messages, [f.message for f in fired], [
        position[start:start + size] for start, size in zip(starts, sizes, strict=True)],
        share=len(position) >= SHARED_MIN)
    out = _build_frame(fired, frames, rules, rule, starts, at)
    out.insert(FINDING_COLUMNS.index("message"), "message", text_column(message()))
    out["fingerprint"] = (fingerprints(out) if fingerprint
                          else text_column(pa.nulls(len(out), pa.large_string())))
    out["status"] = _take_text(["open"], np.zeros(len(out), dtype=np.int64))
    out["waiver"] = pd.Series(np.empty(len(out), dtype=object), dtype=object)
    return out


@dataclass(frozen=True)
class _Places:
    """Where each finding is, in the order the rules fired (file and sheet as ranks of their
    names), and the order that sorts the findings."""

    file: np.ndarray
    files: list[object]
    sheet: np.ndarray
    sheets: list[object]
    line: np.ndarray
    col: np.ndarray
    entity: pd.Series
    order: np.ndarray


def _locate(fired: Sequence[Fired], frames: Frames, rules: Sequence[Rule],
            rule: np.ndarray) -> _Places:
    """The findings' locations and their order by location, rule id, then entity id."""
    rule_rank = np.argsort(np.argsort(np.array([r.id for r in rules], dtype=object),
                                      kind="stable"), kind="stable")[rule]
    file, files = _ranked_codes(fired, frames, "src_file")
    sheet, sheets = _ranked_codes(fired, frames, "src_sheet")
    line, col = (np.concatenate([frames.raw(f.rule.scope, name)[f.rows] for f in fired])
                 for name in ("src_line", "src_col"))
    entity = _entities(fired, frames, components_only=False)
    order = _order(file, sheet, line, col, rule_rank, entity)
    return _Places(file, files, sheet, sheets, line, col, entity, order)


def _build_frame(fired: Sequence[Fired], frames: Frames, rules: Sequence[Rule],
                 rule: np.ndarray, starts: np.ndarray, at: _Places) -> pd.DataFrame:
    """The findings frame in sorted order, but for the messages and the columns worked out
    from it (fingerprint, status, waiver); ``rule`` is already sorted."""
    order = at.order
    plan_rows = np.concatenate([f.plan_rows for f in fired])[order]
    headcount = frames.headcount[plan_rows]
    return pd.DataFrame({
        "rule_id": _take_text([r.id for r in rules], rule),
        "severity": _take_text(SEVERITIES, np.concatenate([f.severity for f in fired])[order]),
        "title": _take_category([r.title for r in rules], rule),
        "scope": _take_text([r.scope for r in rules], rule),
        "plan_id": text_column(frames.plan_ids().take(pa.array(plan_rows))),
        "entity_id": at.entity.take(order).reset_index(drop=True),
        "component_id": _entities(fired, frames, components_only=True).take(order)
        .reset_index(drop=True),
        "evidence": pd.Series(EvidenceArray(tuple(f.evidence for f in fired), rule,
                                            order - starts[rule])),
        "remediation": _take_category([r.remediation for r in rules], rule),
        "src_file": _take_text(at.files, at.file[order]),
        "src_sheet": _take_text(at.sheets, at.sheet[order]),
        "src_line": at.line[order], "src_col": at.col[order],
        "headcount": pd.arrays.IntegerArray(np.nan_to_num(headcount).astype(np.int64),
                                            np.isnan(headcount)),
        "pay_at_stake": np.concatenate([f.pay_at_stake for f in fired])[order],
    }, copy=False)


def fingerprints(findings: pd.DataFrame) -> pd.Series:
    """A finding's identity for baselines and waivers: rule id + entity key, never a line,
    so it survives reordering files, moving a plan and unrelated edits."""
    parts = [_arrow_text(findings[c]) for c in ("rule_id", "plan_id", "scope")]
    parts.append(_arrow_text(findings["entity_id"].fillna("")))
    bar = pa.scalar("|", type=pa.large_string())
    digests = []
    # By slices: the keys of a slice (and their Python bytes) reuse the memory of the last
    # one, where all keys at once filled about 200 MB of new pages at 833,392 findings
    for start in range(0, len(findings), _FINGERPRINT_SLICE):
        keys = pc.binary_join_element_wise(
            *(p.slice(start, _FINGERPRINT_SLICE) for p in parts), bar)
        digests.append(b"".join(map(_digest, pc.cast(keys, pa.large_binary()).to_pylist())))
    return text_column(_hex(b"".join(digests), len(findings))).set_axis(findings.index)


def fill_fingerprints(findings: pd.DataFrame) -> pd.DataFrame:
    """``findings`` with every missing fingerprint worked out, in place; returns it.

    A run whose outputs show no fingerprint (text, JUnit, GitHub, Markdown, the leadership
    report) leaves them missing: at a million findings they take about half a second.
    Whatever shows or matches them (the JSON, CSV, Excel and SARIF formats, baselines,
    diffs) fills them here first, in the report's own frame, so that a run's outputs work
    them out once."""
    if "fingerprint" not in findings:  # an empty frame of another shape: nothing to fill
        return findings
    missing = findings["fingerprint"].isna().to_numpy(dtype=bool)
    if missing.all():
        findings["fingerprint"] = fingerprints(findings)
    elif missing.any():
        filled = findings["fingerprint"].copy()
        filled[missing] = fingerprints(findings[missing]).to_numpy()
        findings["fingerprint"] = filled
    return findings


def encoded_parts(findings: pd.DataFrame, size: int,
                  encode: Callable[[pd.DataFrame], Piece]) -> Iterator[Piece]:
    """``encode`` of ``findings`` ``size`` rows at a time, each part with its fingerprints
    filled, for a streamed output. A part's fingerprints are made with it, so that its text
    goes to the writer before the other parts' fingerprints are made (about half a second
    at a million findings, which the writer would otherwise wait for); once every part is
    out, ``findings`` holds them all, as ``fill_fingerprints`` leaves it, for the run's
    other outputs. With many findings, two parts are encoded at a time
    (``streams.interleaved``), so ``encode`` must be safe to run on two parts at once."""
    filling = "fingerprint" in findings and findings["fingerprint"].hasnans

    def encoded(start: int) -> tuple[Piece, pa.Array | None]:
        part = findings.iloc[start:start + size]
        if not filling:
            return encode(part), None
        # a part is a frame of its own (copy on write): filling it leaves ``findings`` as is
        part = fill_fingerprints(part)
        return encode(part), pa.array(part["fingerprint"].array, type=pa.large_string())

    filled = []
    for text, fingerprint in interleaved(range(0, len(findings), size), encoded,
                                         share=len(findings) >= SHARED_MIN):
        filled.append(fingerprint)
        yield text
    if filling:
        findings["fingerprint"] = text_column(pa.chunked_array(filled, pa.large_string())
                                              ).set_axis(findings.index)


#: Findings from which their messages are gathered beside the other columns, and a
#: streamed output encodes two parts at a time.
SHARED_MIN = 100_000


#: Findings fingerprinted at a time: their keys take a few MB.
_FINGERPRINT_SLICE = 1 << 16
#: An empty 8-byte BLAKE2b, copied for each key: a copy costs a third less than a new
#: hasher, whose parameters are read and set up again each time.
_BLAKE2B_8 = hashlib.blake2b(digest_size=8)


def _digest(key: bytes) -> bytes:
    """The 8-byte BLAKE2b digest of ``key``."""
    hasher = _BLAKE2B_8.copy()
    hasher.update(key)
    return hasher.digest()


def _arrow_text(column: pd.Series) -> pa.Array:
    """A column as Arrow text, the way ``astype(str)`` writes each value."""
    text = pa.array(column.astype(str).array, type=pa.large_string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _hex(digests: bytes, count: int) -> pa.Array:
    """Hex digits of fixed 8-byte digests, built as one Arrow buffer (16 characters each)."""
    raw = np.frombuffer(digests, dtype=np.uint8)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    text = np.empty(2 * len(raw), dtype=np.uint8)
    text[0::2], text[1::2] = digits[raw >> 4], digits[raw & 15]
    offsets = np.arange(0, 16 * count + 1, 16, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(text))
