"""SARIF 2.1.0, as GitHub code scanning reads it: one run, one rule descriptor per rule run,
one result per finding.

Every result has a level (critical and high: error, medium: warning, low and info: note), a
full region (a table row is its row, column 1), the finding's fingerprint as its
``partialFingerprints`` so alerts survive edits, and, when waived or baselined, an external
accepted suppression. Problems of invalid inputs are the invocation's notifications, and make
``executionSuccessful`` false. Pay is redacted by default (``formats.REDACT_BY_DEFAULT``).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

import pandas as pd

from policycheck import __version__
from policycheck.errors import Location, Problem
from policycheck.findings import fill_fingerprints
from policycheck.formats.cells import (
    SEVERITY_LEVELS,
    SUPPRESSED,
    per_distinct,
    plain_column,
    records,
    status_reason,
    where,
)
from policycheck.formats.json_format import finding_json, list_pieces
from policycheck.formats.jsontext import Unsupported, column_texts, dumps, encode_str, number
from policycheck.formats.markdown import escape
from policycheck.report import Report
from policycheck.ruleset import Rule

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/policycheck/policycheck"
FINGERPRINT_KEY = "policycheck/v1"
_WINDOWS = re.compile(r"[A-Za-z]:[\\/]")
_ESCAPED_BYTE = re.compile(r"%5Cx([0-9a-f]{2})")


@functools.lru_cache(maxsize=1024)  # a report names few files, each in many results
def artifact_uri(file: str) -> str:
    """A relative URI with forward slashes (what GitHub matches to the repository), or a
    file: URI for an absolute path. A byte of a name that is not UTF-8, shown as ``\\xff``
    (errors.display_path), is percent-encoded as that byte: ``%FF``."""
    windows = _WINDOWS.match(file) or ("\\" in file and "/" not in file)
    path = PureWindowsPath(file) if windows else PurePosixPath(file)
    uri = path.as_uri() if path.is_absolute() else quote(path.as_posix(), safe="/")
    return _ESCAPED_BYTE.sub(lambda found: "%" + found[1].upper(), uri)


def region(line: int, column: int) -> dict[str, int]:
    line, column = max(int(line or 0), 1), max(int(column or 0), 1)
    return {"startLine": line, "startColumn": column, "endLine": line, "endColumn": column + 1}


def physical_location(location: Location) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(location.file)},
                                 "region": region(location.line, location.column)}}


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    rationale, remediation = " ".join(rule.rationale.split()), " ".join(rule.remediation.split())
    sources = ", ".join(rule.references)
    text = f"Why: {rationale}\n\nWhat to change: {remediation}"
    markdown = f"**Why:** {escape(rationale)}\n\n**What to change:** {escape(remediation)}"
    if sources:
        text += f"\n\nSources: {sources}"
        markdown += f"\n\n**Sources:** {escape(sources)}"
    return {
        "id": rule.id, "name": rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rationale},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": SEVERITY_LEVELS[rule.severity]},
        "properties": {"tags": ["incentive-alignment", rule.family],
                       "severity": rule.severity},
    }


def result(row: dict[str, Any], rule_index: dict[str, int]) -> dict[str, Any]:
    record = finding_json(row)
    at = record["location"]
    location = Location(at["file"], at["sheet"] or "", at["line"] or 0, at["column"] or 0)
    out: dict[str, Any] = {"ruleId": record["rule_id"]}
    if record["rule_id"] in rule_index:
        out["ruleIndex"] = rule_index[record["rule_id"]]
    out.update({
        "level": SEVERITY_LEVELS[record["severity"]],
        "message": {"text": f"{where(record)}: {record['message']}"},
        "locations": [physical_location(location)],
        "partialFingerprints": {FINGERPRINT_KEY: record["fingerprint"]},
        "properties": {key: record[key] for key in (
            "severity", "plan_id", "scope", "entity_id", "status", "headcount",
            "pay_at_stake")} | {"sheet": at["sheet"]},
    })
    if record["status"] in SUPPRESSED:
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": status_reason(row)}]
    return out


def notification(problem: Problem) -> dict[str, Any]:
    return {"level": "error" if problem.severity == "error" else "warning",
            "message": {"text": problem.message},
            "descriptor": {"id": problem.code},
            "locations": [physical_location(problem.location)]}


#: Findings per piece of the stream (a result is about 1.2 KB of text).
CHUNK = 20_000
_RESULTS_SLOT = '\n      "results": []\n'


def chunks(report: Report) -> Iterator[bytes]:
    """The SARIF document in UTF-8 pieces, results ``CHUNK`` findings at a time."""
    rule_index = {rule.id: i for i, rule in enumerate(report.rules)}
    top = _document(report, [])
    findings = fill_fingerprints(report.findings)
    if not len(findings):
        yield top.encode("utf-8")
        return
    before, after = top.split(_RESULTS_SLOT)

    def reference(part: pd.DataFrame) -> str:
        return "".join(",\n" + _IND + json.dumps(result(row, rule_index), indent=2,
                                                  ensure_ascii=False).replace("\n", "\n" + _IND)
                       for row in records(part))

    yield from list_pieces(before + '\n      "results": [\n', "\n      ]\n" + after,
                           findings, CHUNK, functools.partial(_results, rule_index=rule_index),
                           reference)


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")


def _document(report: Report, results: list[Any]) -> str:
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "policycheck", "version": __version__,
                                "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI,
                                "rules": [rule_descriptor(r) for r in report.rules]}},
            "invocations": [{
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": [notification(p) for p in report.problems],
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return dumps(sarif) + "\n"


def _render_plain(report: Report) -> str:
    """The reference rendering: one ``result`` per finding record."""
    rule_index = {rule.id: i for i, rule in enumerate(report.rules)}
    findings = fill_fingerprints(report.findings)
    return _document(report, [result(row, rule_index) for row in records(findings)])


# A result as ``dumps`` indents it inside the document: the constant text before each of
# its values (see ``result``).
_IND = " " * 8
_SEPARATORS = [s.replace("\n", "\n" + _IND) for s in (
    ',\n{\n  "ruleId": ',  # after the previous result; then the rule id (and index)
    ',\n  "level": ',
    ',\n  "message": {\n    "text": ',
    '\n  },\n  "locations": [\n    {\n      "physicalLocation": {\n'
    '        "artifactLocation": {\n          "uri": ',
    '\n        },\n        "region": {\n          "startLine": ',
    ',\n          "startColumn": ',
    ',\n          "endLine": ',
    ',\n          "endColumn": ',
    '\n        }\n      }\n    }\n  ],\n  "partialFingerprints": {\n'
    '    "policycheck/v1": ',
    '\n  },\n  "properties": {\n    "severity": ',
    ',\n    "plan_id": ',
    ',\n    "scope": ',
    ',\n    "entity_id": ',
    ',\n    "status": ',
    ',\n    "headcount": ',
    ',\n    "pay_at_stake": ',
    ',\n    "sheet": ',
    '\n  }',  # then the suppression of a waived or baselined finding, if any
)]
_SUPPRESSION = (',\n  "suppressions": [\n    {\n      "kind": "external",\n'
                '      "status": "accepted",\n      "justification": ').replace("\n", "\n" + _IND)
_CLOSING = ("\n    }\n  ]").replace("\n", "\n" + _IND)
_RESULT_END = "\n" + _IND + "}"


def _scalar(value: Any) -> str:
    """A plain value as ``dumps`` writes it; anything else goes the reference way."""
    if value is None or type(value) in (str, int, float, bool):
        return dumps(value)
    raise Unsupported(type(value).__name__)


def _results(findings: pd.DataFrame, rule_index: dict[str, int]) -> str:
    """``result`` of every finding, encoded column by column and joined once."""
    get = functools.partial(plain_column, findings)
    rule_ids, severity, status = get("rule_id"), get("severity"), get("status")
    lines = [max(int(number(v) or 0), 1) for v in get("src_line")]
    columns = [max(int(number(v) or 0), 1) for v in get("src_col")]
    texts = [f"{where({'plan_id': p, 'scope': s, 'entity_id': e})}: {m}" for p, s, e, m
             in zip(get("plan_id"), get("scope"), get("entity_id"), get("message"),
                    strict=True)]
    pieces = [
        per_distinct(rule_ids, lambda r: _scalar(r) + (
            f',\n{_IND}  "ruleIndex": {rule_index[r]}' if r in rule_index else "")),
        per_distinct(severity, lambda s: encode_str(SEVERITY_LEVELS[s])),
        [_scalar(t) for t in texts],
        per_distinct(get("src_file"), lambda f: _scalar(artifact_uri(f))),
        list(map(str, lines)), list(map(str, columns)), list(map(str, lines)),
        [str(c + 1) for c in columns],
        column_texts(findings["fingerprint"], _IND),
        *(column_texts(findings[name], _IND, name in ("headcount", "pay_at_stake")) for name in
          ("severity", "plan_id", "scope", "entity_id", "status", "headcount",
           "pay_at_stake")),
        per_distinct(get("src_sheet"), lambda s: _scalar(s or None)),
        [_suppression(s, w) if s in SUPPRESSED else "" for s, w
         in zip(status, get("waiver"), strict=True)],
    ]
    parts = [part for sep, column in zip(_SEPARATORS, pieces, strict=True)
             for part in (itertools.repeat(sep), column)]
    # Every result follows ",\n" and the indentation; the caller drops the first's.
    return "".join(itertools.chain.from_iterable(zip(*parts, itertools.repeat(_RESULT_END))))


def _suppression(status: Any, waiver: Any) -> str:
    reason = status_reason({"status": status, "waiver": waiver})
    return _SUPPRESSION + encode_str(reason) + _CLOSING
