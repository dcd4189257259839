"""JSON: the whole report, for machines. Keys and findings in a fixed order."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeAlias, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck import __version__
from policycheck.evidencearray import indented, styled_texts
from policycheck.findings import encoded_parts, fill_fingerprints
from policycheck.formats.arrowtext import piece
from policycheck.formats.jsontext import (
    Unsupported,
    ascii_str,
    distinct_texts,
    dumps,
    encode,
    encode_str,
    evidence_texts,
    number,
    string_texts,
    value_text,
)
from policycheck.model import Model
from policycheck.report import Report
from policycheck.streams import Piece


def finding_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule_id": row["rule_id"], "severity": row["severity"], "title": row["title"],
        "plan_id": row["plan_id"], "scope": row["scope"], "entity_id": row["entity_id"],
        "component_id": row["component_id"], "message": row["message"],
        "evidence": row["evidence"], "remediation": row["remediation"],
        "location": {"file": row["src_file"], "sheet": row["src_sheet"] or None,
                     "line": number(row["src_line"]) or None,
                     "column": number(row["src_col"]) or None},
        "headcount": number(row["headcount"]), "pay_at_stake": number(row["pay_at_stake"]),
        "fingerprint": row["fingerprint"], "status": row["status"],
        "waiver": row.get("waiver"),
    }


def problem_json(problem: Any) -> dict[str, Any]:
    loc = problem.location
    return {"file": loc.file, "sheet": loc.sheet or None, "line": loc.line or None,
            "column": loc.column or None, "severity": problem.severity, "code": problem.code,
            "plan_id": problem.plan_id, "field": problem.field or None,
            "message": problem.message}


#: Findings per chunk of the stream: large enough that per-chunk work is negligible, small
#: enough that a chunk's text (about 1 KB a finding) is a few tens of MB.
CHUNK = 20_000
#: A finding's keys sit inside the top object and the findings list.
_IND = "      "


#: The keys of a finding in order, each with the column its value comes from.
_LAYOUT = (("rule_id", "rule_id"), ("severity", "severity"), ("title", "title"),
           ("plan_id", "plan_id"), ("scope", "scope"), ("entity_id", "entity_id"),
           ("component_id", "component_id"), ("message", "message"), ("evidence", "evidence"),
           ("remediation", "remediation"), ("location", "src_file"), ("", "src_sheet"),
           ("", "src_line"), ("", "src_col"), ("headcount", "headcount"),
           ("pay_at_stake", "pay_at_stake"), ("fingerprint", "fingerprint"),
           ("status", "status"), ("waiver", "waiver"))


def _separators() -> list[str]:
    """The constant text before each column's value in a finding, the item separator of the
    findings list first; the location's four fields are a nested object."""
    ind, sub = _IND, _IND + "  "
    nested = {"src_file": "file", "src_sheet": "sheet", "src_line": "line", "src_col": "column"}
    out = []
    for key, name in _LAYOUT:
        if key == "rule_id":
            out.append(",\n    {\n" + ind + '"rule_id": ')
        elif key == "location":
            out.append(",\n" + ind + '"location": {\n' + sub + '"file": ')
        elif name in nested:
            out.append(",\n" + sub + f'"{nested[name]}": ')
        elif key == "headcount":  # the location closes
            out.append("\n" + ind + "},\n" + ind + '"headcount": ')
        else:
            out.append(",\n" + ind + f'"{key}": ')
    return out


_SEPARATORS = [text.encode() for text in _separators()]
_CLOSING = b"\n    }"


#: A column's encoded values: one per distinct value (taken by the codes), or, for a column
#: with a value of its own on nearly every finding, one per finding as Arrow binary.
Texts: TypeAlias = list[bytes] | pa.Array


def _findings_chunk(findings: pd.DataFrame, memo: dict[int, Any]) -> Piece:
    """Findings as finding_json would give them, each preceded by the list's item separator,
    as UTF-8 (``records_chunk``). ``memo`` keeps each rule's encoded evidence values across
    the chunks of one report."""
    return records_chunk(findings, [name for _, name in _LAYOUT], _SEPARATORS, _CLOSING, memo)


def records_chunk(frame: pd.DataFrame, names: Sequence[str], separators: Sequence[bytes],
                  closing: bytes, memo: dict[int, Any]) -> Piece:
    """The rows of ``frame`` as JSON objects in UTF-8 (a text join would widen every piece
    to the widest character of the chunk): each row's ``names`` columns, each value after
    its separator (the constant text before it: the item separator and the key), then
    ``closing``.

    Every column is encoded once per distinct value, with the constant text before it;
    neighbouring columns whose values go together (a rule's id, severity and title) are
    joined per distinct combination, so that the final join has a few pieces per row,
    not one per key. The pieces are Arrow binary columns, joined row by row by Arrow: the
    chunk's text is then one buffer, with no Python object per piece or per row."""
    n = len(frame)
    pieces: list[pa.Array] = []
    codes: np.ndarray | None = None
    texts: Texts = []
    for name, sep in zip(names, separators, strict=True):
        more_codes, more = _coded(frame, name, sep, memo)
        if codes is not None:
            # a column with a value per finding joins nothing: no combinations to look for
            if isinstance(texts, list) and isinstance(more, list):
                width = len(more)
                merged, firsts = pd.factorize(codes * width + more_codes)
                if len(firsts) * 2 <= n:  # far fewer combinations than findings: one piece
                    texts = [texts[c // width] + more[c % width] for c in firsts.tolist()]
                    codes = merged.astype(np.int64)
                    continue
            pieces.append(_piece(codes, texts))
        codes, texts = more_codes, more
    assert codes is not None
    pieces.append(_piece(codes, texts))
    joined = pc.binary_join_element_wise(*pieces, pa.scalar(closing, pa.large_binary()),
                                         pa.scalar(b"", pa.large_binary()))
    if joined.null_count:  # not expected: every piece encodes a missing value as null
        raise Unsupported("a missing piece")
    return piece(joined)


def _piece(codes: np.ndarray, texts: Texts) -> pa.Array:
    """A column's text per finding, as Arrow binary."""
    if isinstance(texts, pa.Array):
        return texts  # one per finding already (the codes count them)
    return pa.array(texts, type=pa.large_binary()).take(pa.array(codes))


_NUMBERS = frozenset({"headcount", "pay_at_stake", "src_line", "src_col"})
#: Text columns with a value of their own on nearly every finding: encoded per finding by
#: Arrow, since finding their distinct values would find each one once.
_PER_FINDING = frozenset({"message", "fingerprint"})
_FALSY = frozenset({b'""', b"0", b"0.0", b"false"})


def _coded(findings: pd.DataFrame, name: str, prefix: bytes,
           memo: dict[int, Any]) -> tuple[np.ndarray, Texts]:
    """A findings column as codes into its distinct values, each encoded as UTF-8 after
    ``prefix`` (null last); a column of mixed or nested values has one code per finding."""
    n = len(findings)
    if name == "evidence":
        evidence = styled_texts(findings["evidence"], indented(_IND, prefix), memo)
        if evidence is None:
            evidence = evidence_texts(findings["evidence"].tolist(), _IND, prefix)
        return np.arange(n, dtype=np.int64), evidence
    if name not in findings:
        return np.zeros(n, dtype=np.int64), [prefix + b"null"]
    if name in _PER_FINDING and isinstance(findings[name].array, pd.arrays.ArrowStringArray):
        texts = pa.array(findings[name].array)
        if isinstance(texts, pa.ChunkedArray):  # findings joined by pd.concat
            texts = texts.combine_chunks()
        return np.arange(n, dtype=np.int64), string_texts(texts, prefix)
    column = findings[name]
    if name == "src_line" and isinstance(column.dtype, np.dtype) and column.dtype.kind in "iu":
        # nearly a line per finding: written by Arrow, not per distinct line
        values = pa.array(column.to_numpy())
        text = pc.if_else(pc.equal(values, 0), pa.scalar("null", pa.large_string()),
                          pc.cast(values, pa.large_string()))  # ``value or None``: 0 is null
        return np.arange(n, dtype=np.int64), pc.binary_join_element_wise(
            pa.scalar(prefix.decode(), pa.large_string()), text,
            pa.scalar("", pa.large_string())).cast(pa.large_binary())
    numeric = name in _NUMBERS
    found = distinct_texts(column, _IND, numeric)
    if found is None:
        texts = [value_text(v, _IND, numeric).encode("utf-8") for v in findings[name].tolist()]
        codes = np.arange(n, dtype=np.int64)
    else:
        raw_codes, encoded = found
        texts = [text.encode("utf-8") for text in encoded] + [b"null"]
        codes = np.where(raw_codes < 0, len(encoded), raw_codes).astype(np.int64)
    if name in ("src_sheet", "src_line", "src_col"):
        # ``value or None``: an empty sheet, a line or column 0 are null
        texts = [b"null" if t in _FALSY else t for t in texts]
    return codes, [prefix + text for text in texts]


def _plain_chunk(findings: pd.DataFrame) -> bytes:
    """The findings of a chunk through json.dumps: for a value only json.dumps knows how to
    write or refuse. Its lines are indented as items of the findings list (a JSON string
    holds no raw newline, so every line break is the encoder's)."""
    rows = cast("list[dict[str, Any]]",
                findings.astype(object).where(findings.notna(), None).to_dict("records"))
    return "".join(",\n" + _dumped_item(finding_json(r)) for r in rows).encode("utf-8")


def _dumped_item(item: dict[str, Any], ensure_ascii: bool = False) -> str:
    """An item of one of the document's lists, through json.dumps, at its indentation."""
    return "    " + json.dumps(item, indent=2, ensure_ascii=ensure_ascii).replace("\n", "\n    ")


#: Where the findings and the problems go in the encoded top object (its other strings hold
#: no raw newline).
_FINDINGS_SLOT = '\n  "findings": [],'
_PROBLEMS_SLOT = '\n  "problems": []\n'
#: Problems per piece of the stream.
PROBLEMS_CHUNK = 20_000


def chunks(report: Report) -> Iterator[Piece]:
    """The JSON document in UTF-8 pieces, findings ``CHUNK`` at a time and problems
    ``PROBLEMS_CHUNK`` at a time: a writer streams a report of any size without holding it
    whole (a million findings make a gigabyte, 400,000 problems of a messy export 170 MB)."""
    findings = report.findings
    try:
        top = encode(_data(report, [], problems=False), "")
    except Unsupported:  # a value only json.dumps knows how to refuse or write
        yield _render_plain(report).encode("utf-8")
        return
    head, end = top.split(_PROBLEMS_SLOT)  # the findings' slot ends the head
    if not len(findings):
        yield head.encode("utf-8")
    else:
        yield from list_pieces(head.removesuffix(_FINDINGS_SLOT) + '\n  "findings": [\n',
                               "\n  ],", findings, CHUNK,
                               functools.partial(_findings_chunk, memo={}), _plain_chunk)
    yield from _problem_pieces(report.problems)
    yield (end + "\n").encode("utf-8")


def _problem_pieces(problems: Sequence[Any], ensure_ascii: bool = False) -> Iterator[Piece]:
    """The document's problems list, its key first, in UTF-8 pieces (``ensure_ascii``: with
    json.dumps's ASCII escapes)."""
    if not problems:
        yield _PROBLEMS_SLOT.encode("utf-8")
        return
    yield b'\n  "problems": [\n'
    text_of = ascii_str if ensure_ascii else encode_str
    for start in range(0, len(problems), PROBLEMS_CHUNK):
        items = [problem_json(p) for p in problems[start:start + PROBLEMS_CHUNK]]
        try:
            text = encode(items, "  ", text_of)[2:-4]  # the items, without the brackets
        except Unsupported:  # a value only json.dumps knows how to refuse or write
            text = ",\n".join(_dumped_item(item, ensure_ascii) for item in items)
        yield ((",\n" if start else "") + text).encode("utf-8")
    yield b"\n  ]\n"


def validation_chunks(model: Model) -> Iterator[Piece]:
    """``policycheck validate --format json``: the model's summary, its valid and invalid
    plans and its problems, with json.dumps's ASCII escapes, in UTF-8 pieces, the problems
    ``PROBLEMS_CHUNK`` at a time (408,346 problems of a messy export make 165 MB)."""
    top = dumps({
        "version": __version__,
        "summary": {"plans_read": model.plans_read, "plans_valid": model.plans_valid,
                    "plans_invalid": model.plans_invalid, "files": list(model.files),
                    "files_unread": list(model.files_unread),
                    "skipped": list(model.skipped)},
        "invalid_plans": list(model.invalid_plans),
        "valid_plans": [str(p) for p in model.plans["plan_id"]],
        "problems": [],
    }, ensure_ascii=True)
    head, end = top.split(_PROBLEMS_SLOT)  # the problems come last
    yield head.encode("utf-8")
    yield from _problem_pieces(model.problems, ensure_ascii=True)
    yield (end + "\n").encode("utf-8")


def list_pieces(before: str, after: str, findings: pd.DataFrame, size: int,
                encode: Callable[[pd.DataFrame], Piece | str],
                reference: Callable[[pd.DataFrame], Piece | str]) -> Iterator[Piece]:
    """A JSON list of findings inside a document, as UTF-8 pieces: ``before``, the items
    ``size`` findings at a time (their fingerprints filled part by part), then ``after``.
    ``encode`` writes each item after a ``",\n"`` (which the first item drops);
    ``reference`` does the same through json.dumps, for a piece holding a value only
    json.dumps knows how to write or refuse."""
    def encoded(part: pd.DataFrame) -> Piece:
        try:
            text = encode(part)
        except Unsupported:
            text = reference(part)
        return text.encode("utf-8") if isinstance(text, str) else text

    yield before.encode("utf-8")
    for index, data in enumerate(encoded_parts(findings, size, encoded)):
        yield data[2:] if index == 0 else data
    yield after.encode("utf-8")


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")


def _data(report: Report, findings: list[Any], problems: bool = True) -> dict[str, Any]:
    return {
        "version": __version__,
        "summary": {
            "plans_read": report.plans_read, "plans_checked": report.plans_checked,
            "plans_invalid": report.plans_invalid,
            "files_unread": list(report.files_unread), "rules": len(report.rules),
            "findings": len(report.findings), "by_severity": report.counts(),
            "fail_on": report.fail_on, "failing": report.failing_count,
            "exit_code": report.exit_code,
        },
        "findings": findings,
        "problems": [problem_json(p) for p in report.problems] if problems else [],
    }


def _render_plain(report: Report) -> str:
    """The reference rendering, with json.dumps."""
    filled = fill_fingerprints(report.findings)
    findings = filled.astype(object).where(filled.notna(), None)
    records = cast("list[dict[str, Any]]", findings.to_dict("records"))
    data = _data(report, [finding_json(r) for r in records])
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
