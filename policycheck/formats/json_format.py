"""JSON: the whole report, for machines. Keys and findings in a fixed order."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from policycheck import __version__
from policycheck.report import Report


def _number(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def finding_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule_id": row["rule_id"], "severity": row["severity"], "title": row["title"],
        "plan_id": row["plan_id"], "scope": row["scope"], "entity_id": row["entity_id"],
        "component_id": row["component_id"], "message": row["message"],
        "evidence": row["evidence"], "remediation": row["remediation"],
        "location": {"file": row["src_file"], "sheet": row["src_sheet"] or None,
                     "line": _number(row["src_line"]) or None,
                     "column": _number(row["src_col"]) or None},
        "headcount": _number(row["headcount"]), "pay_at_stake": _number(row["pay_at_stake"]),
        "fingerprint": row["fingerprint"], "status": row["status"],
        "waiver": row.get("waiver"),
    }


def problem_json(problem: Any) -> dict[str, Any]:
    loc = problem.location
    return {"file": loc.file, "sheet": loc.sheet or None, "line": loc.line or None,
            "column": loc.column or None, "severity": problem.severity, "code": problem.code,
            "plan_id": problem.plan_id, "field": problem.field or None,
            "message": problem.message}


_encode_str = json.encoder.encode_basestring  # the C encoder json.dumps uses (no ASCII escaping)
#: json's C encoder of containers (None where the interpreter has no C accelerator).
_c_encoder = json.encoder.c_make_encoder


class _Unsupported(TypeError):
    """A value json.dumps would refuse or treat differently: use json.dumps itself."""


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _encode_str(key)
    if key is True or key is False or key is None:
        return '"' + {True: "true", False: "false", None: "null"}[key] + '"'
    if isinstance(key, float):
        return '"' + _float(key) + '"'
    if isinstance(key, int):
        return '"' + int.__repr__(key) + '"'
    raise _Unsupported(type(key).__name__)


def _encode(value: Any, indent: str) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` at an indentation, for the plain
    values a report holds; json's own indenting encoder is pure Python and took most of the
    time of a large report (byte-identical output is asserted in tests/test_formats.py)."""
    if isinstance(value, str):
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        return ("{\n" + ",\n".join(inner + _key(k) + ": " + _encode(v, inner)
                                     for k, v in value.items()) + "\n" + indent + "}")
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return ("[\n" + ",\n".join(inner + _encode(v, inner) for v in value)
                + "\n" + indent + "]")
    raise _Unsupported(type(value).__name__)


def dumps(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, fast for the plain values
    reports hold (json's indenting encoder is pure Python)."""
    try:
        return _encode(value, "")
    except _Unsupported:
        return json.dumps(value, indent=2, ensure_ascii=False)


def _column(series: pd.Series, indent: str, number: bool = False) -> list[str]:
    """Encode a findings column; missing values are null."""
    found = _distinct_texts(series, indent, number)
    if found is None:
        return [_value(v, indent, number) for v in series.tolist()]
    codes, encoded = found
    return np.array([*encoded, "null"], dtype=object)[codes].tolist()


def _distinct_texts(series: pd.Series, indent: str,
                    number: bool) -> tuple[np.ndarray, list[str]] | None:
    """The codes of a column's values and each distinct value encoded once, when the column
    is all text or all numbers (factorize would take 1, 1.0 and True for one value in a
    mixed column); None otherwise. Most columns repeat a few values."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # a few texts, each encoded once
        categories = series.cat.categories
        if pd.api.types.infer_dtype(categories, skipna=True) != "string":
            return None
        return (series.cat.codes.to_numpy(dtype=np.int64),
                list(map(_encode_str, categories.tolist())))
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind not in ("string", "empty", "integer", "floating", "mixed-integer-float"):
        return None
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if kind == "string":
        encoded = list(map(_encode_str, np.asarray(uniques, dtype=object).tolist()))
    elif kind == "integer" and pd.api.types.is_integer_dtype(series.dtype):  # line numbers
        encoded = np.asarray(uniques, dtype=np.int64).astype(str).tolist()
    elif kind == "floating" and number:
        encoded = _number_texts(np.asarray(uniques, dtype=np.float64))
    else:
        encoded = [_encode(_number(_plain(u)) if number else _plain(u), indent)
                   for u in np.asarray(uniques, dtype=object).tolist()]
    return codes, encoded


def _number_texts(values: np.ndarray) -> list[str]:
    """Floats as ``_number`` writes them (a whole number as an int), for a whole column."""
    whole = np.isfinite(values) & (np.trunc(values) == values)
    small = whole & (np.abs(values) < 2.0**62)  # exact in int64
    out = np.empty(len(values), dtype=object)
    out[small] = values[small].astype(np.int64).astype(str).tolist()
    out[whole & ~small] = [str(int(v)) for v in values[whole & ~small].tolist()]
    out[~whole] = [_float(v) for v in values[~whole].tolist()]
    return out.tolist()


def _plain(value: Any) -> Any:
    """A numpy scalar (from factorize) as the Python value ``astype(object)`` gives."""
    return value.item() if isinstance(value, np.generic) else value


def _value(value: Any, indent: str, number: bool = False) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "null"
    if number:
        value = _number(value)
    if type(value) is dict and value and all(type(v) in _SCALARS for v in value.values()):
        # A flat mapping (most evidence): json's C encoder, with the indentation as the
        # item separator, writes exactly what the indenting encoder would.
        inner = indent + "  "
        text = _flat_encoder(inner).encode(value)
        return "{\n" + inner + text[1:-1] + "\n" + indent + "}"
    return _encode(value, indent)


_SCALARS = frozenset({str, int, float, bool, type(None)})


@functools.lru_cache(maxsize=8)
def _flat_encoder(inner: str) -> json.JSONEncoder:
    return json.JSONEncoder(ensure_ascii=False, separators=(",\n" + inner, ": "))


#: Findings per chunk of the stream: large enough that per-chunk work is negligible, small
#: enough that a chunk's text (about 1 KB a finding) is a few tens of MB.
CHUNK = 20_000
#: A finding's keys sit inside the top object and the findings list.
_IND = "      "


def _evidence(values: list[Any], indent: str, prefix: bytes = b"") -> list[bytes]:
    """Evidence mappings encoded at ``indent``, as UTF-8 after ``prefix``. Flat mappings
    (most evidence) go through json's C encoder in one call, with the indentation as the
    item separator; the raw newlines of that text are separators only (JSON strings escape
    theirs, and UTF-8 never uses an ASCII byte inside another character), so it splits back
    into one text per finding exactly."""
    inner = indent + "  "
    flat = [type(v) is dict and _SCALARS.issuperset(map(type, v.values())) for v in values]
    if _c_encoder is None or not any(flat):
        return [prefix + _value(v, indent).encode("utf-8") for v in values]
    encoder = _c_encoder(None, None, _encode_str, None, ": ", ",\n" + inner, False, False,
                         True)
    mask = np.array(flat, dtype=bool)
    chosen = np.fromiter(values, dtype=object, count=len(values))
    text = "".join(encoder(chosen[mask].tolist(), 0)).encode("utf-8")
    opened, closed = prefix + ("{\n" + inner).encode(), ("\n" + indent + "}").encode()
    empty = prefix + b"{}"
    out = np.empty(len(values), dtype=object)
    out[mask] = [opened + body + closed if body else empty
                 for body in text[2:-2].split(("},\n" + inner + "{").encode())]
    lists = _c_encoder(None, None, _encode_str, None, ": ", ",\n" + inner + "  ", False,
                       False, True)
    out[~mask] = [prefix + (_nested(v, indent, lists) if type(v) is dict
                            else _value(v, indent)).encode("utf-8")
                  for v in chosen[~mask].tolist()]
    return out.tolist()


def _nested(value: dict[Any, Any], indent: str, lists: Callable[[Any, int], Any]) -> str:
    """``_encode`` of a mapping, with its lists of plain values (list evidence) written by
    json's C encoder, the indentation as the item separator."""
    inner = indent + "  "
    items = []
    for key, item in value.items():
        if type(item) is list and item and _SCALARS.issuperset(map(type, item)):
            text = "[\n" + inner + "  " + "".join(lists(item, 0))[1:-1] + "\n" + inner + "]"
        else:
            text = _encode(item, inner)
        items.append(inner + _key(key) + ": " + text)
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


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


def _findings_chunk(findings: pd.DataFrame) -> bytes:
    """Findings as finding_json would give them, each preceded by the list's item separator,
    as UTF-8 (a text join would widen every piece to the widest character of the chunk).

    Every column is encoded once per distinct value, with the constant text before it;
    neighbouring columns whose values go together (a rule's id, severity and title) are
    joined per distinct combination, so that the final join has a few pieces per finding,
    not one per key: at a million findings the join's cost is its number of pieces."""
    n = len(findings)
    pieces: list[list[bytes]] = []
    codes: np.ndarray | None = None
    texts: list[bytes] = []
    for (_, name), sep in zip(_LAYOUT, _SEPARATORS, strict=True):
        more_codes, more = _coded(findings, name, sep)
        if codes is not None:
            combined = codes * len(more) + more_codes
            merged, firsts = pd.factorize(combined)
            if len(firsts) * 2 <= n:  # far fewer combinations than findings: one piece
                width = len(more)
                texts = [texts[c // width] + more[c % width] for c in firsts.tolist()]
                codes = merged.astype(np.int64)
                continue
            pieces.append(np.array(texts, dtype=object)[codes].tolist())
        codes, texts = more_codes, more
    pieces.append(np.array([t + _CLOSING for t in texts], dtype=object)[codes].tolist())
    return b"".join(itertools.chain.from_iterable(zip(*pieces, strict=True)))


_NUMBERS = frozenset({"headcount", "pay_at_stake", "src_line", "src_col"})
_FALSY = frozenset({b'""', b"0", b"0.0", b"false"})


def _coded(findings: pd.DataFrame, name: str,
           prefix: bytes) -> tuple[np.ndarray, list[bytes]]:
    """A findings column as codes into its distinct values, each encoded as UTF-8 after
    ``prefix`` (null last); a column of mixed or nested values has one code per finding."""
    n = len(findings)
    if name == "evidence":
        evidence = _evidence(findings["evidence"].tolist(), _IND, prefix)
        return np.arange(n, dtype=np.int64), evidence
    if name not in findings:
        return np.zeros(n, dtype=np.int64), [prefix + b"null"]
    number = name in _NUMBERS
    found = _distinct_texts(findings[name], _IND, number)
    if found is None:
        texts = [_value(v, _IND, number).encode("utf-8") for v in findings[name].tolist()]
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
    rows = findings.astype(object).where(findings.notna(), None).to_dict("records")
    return "".join(",\n    " + json.dumps(finding_json(r), indent=2, ensure_ascii=False)
                   .replace("\n", "\n    ") for r in rows).encode("utf-8")


#: Where the findings go in the encoded top object (its other strings hold no raw newline).
_FINDINGS_SLOT = '\n  "findings": [],\n'


def chunks(report: Report) -> Iterator[bytes]:
    """The JSON document in UTF-8 pieces, findings ``CHUNK`` at a time: a writer streams a
    report of any size without holding it whole (a million findings make a gigabyte)."""
    try:
        top = _encode(_data(report, []), "")
    except _Unsupported:  # a value only json.dumps knows how to refuse or write
        yield _render_plain(report).encode("utf-8")
        return
    findings = report.findings
    if not len(findings):
        yield (top + "\n").encode("utf-8")
        return
    before, after = top.split(_FINDINGS_SLOT)
    yield from list_pieces(before + '\n  "findings": [\n', "\n  ],\n" + after + "\n",
                           findings, CHUNK, _findings_chunk, _plain_chunk)


def list_pieces(before: str, after: str, findings: pd.DataFrame, size: int,
                encode: Callable[[pd.DataFrame], bytes | str],
                reference: Callable[[pd.DataFrame], bytes | str]) -> Iterator[bytes]:
    """A JSON list of findings inside a document, as UTF-8 pieces: ``before``, the items
    ``size`` findings at a time, then ``after``. ``encode`` writes each item after a
    ``",\n"`` (which the first item drops); ``reference`` does the same through json.dumps,
    for a piece holding a value only json.dumps knows how to write or refuse."""
    yield before.encode("utf-8")
    for start in range(0, len(findings), size):
        part = findings.iloc[start:start + size]
        try:
            text = encode(part)
        except _Unsupported:
            text = reference(part)
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        yield data if start else data[2:]
    yield after.encode("utf-8")


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")


def _data(report: Report, findings: list[Any]) -> dict[str, Any]:
    return {
        "version": __version__,
        "summary": {
            "plans_read": report.plans_read, "plans_checked": report.plans_checked,
            "plans_invalid": report.plans_invalid, "rules": len(report.rules),
            "findings": len(report.findings), "by_severity": report.counts(),
            "fail_on": report.fail_on, "failing": report.failing_count,
            "exit_code": report.exit_code,
        },
        "findings": findings,
        "problems": [problem_json(p) for p in report.problems],
    }


def _render_plain(report: Report) -> str:
    """The reference rendering, with json.dumps."""
    findings = report.findings.astype(object).where(report.findings.notna(), None)
    data = _data(report, [finding_json(r) for r in findings.to_dict("records")])
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
