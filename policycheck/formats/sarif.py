"""SARIF 2.1.0, as GitHub code scanning reads it: one run, one rule descriptor per rule run,
one result per finding, up to the 25,000 results that code scanning takes in a run
(``MAX_RESULTS``; it rejects a file with more). Past that, the file holds the open findings
before the waived and baselined ones, the most severe first, and says in a notification how
many it leaves out.

Every result has a level (critical and high: error, medium: warning, low and info: note), a
full region (a table row is its row, column 1), the finding's fingerprint as its
``partialFingerprints`` so alerts survive edits, and, when waived or baselined, an external
accepted suppression. Problems of invalid inputs are the invocation's notifications, and make
``executionSuccessful`` false. Pay is redacted by default (``formats.REDACT_BY_DEFAULT``).

A file inside a git work tree is named relative to the root of that work tree (what code
scanning resolves a relative ``uri`` against), with ``"uriBaseId": "%SRCROOT%"``, whatever
the current folder: see ``Artifacts``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck import __version__
from policycheck.codes import per_distinct_typed
from policycheck.engine import severity_ranks
from policycheck.errors import Location, Problem
from policycheck.findings import fill_fingerprints
from policycheck.formats.arrowtext import (
    distinct_mapped,
    entity_words,
    piece,
    text_columns,
    word,
)
from policycheck.formats.cells import (
    SEVERITY_LEVELS,
    SUPPRESSED,
    records,
    status_reason,
    where,
)
from policycheck.formats.json_format import finding_json, list_pieces
from policycheck.formats.jsontext import (
    Unsupported,
    distinct_texts,
    dumps,
    encode_str,
    string_texts,
)
from policycheck.formats.markdown import escape
from policycheck.formats.paths import WINDOWS_PATH, RepoPaths, is_option
from policycheck.report import Report
from policycheck.ruleset import Rule
from policycheck.streams import Piece

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/policycheck/policycheck"
FINGERPRINT_KEY = "policycheck/v1"
_ESCAPED_BYTE = re.compile(r"%5Cx([0-9a-f]{2})")
#: The ``uriBaseId`` of a file named relative to the root of its git work tree: the name
#: GitHub's documentation and CodeQL give the source root.
SRCROOT = "%SRCROOT%"
#: ``run.originalUriBaseIds`` when a location uses ``SRCROOT``: what it stands for, without
#: its absolute path, which would differ from machine to machine (and tell where a CI runner
#: or a laptop keeps the checkout). A consumer takes the root from its own checkout, as code
#: scanning does, which resolves a relative ``uri`` against the repository root.
ORIGINAL_URI_BASE_IDS = {SRCROOT: {"description": {
    "text": "The root of the git work tree that holds the checked files."}}}


@functools.lru_cache(maxsize=1024)  # a report names few files, each in many results
def artifact_uri(file: str) -> str:
    """A relative URI with forward slashes (what GitHub matches to the repository), or a
    file: URI for an absolute path. A byte of a name that is not UTF-8, shown as ``\\xff``
    (errors.display_path), is percent-encoded as that byte: ``%FF``."""
    windows = WINDOWS_PATH.match(file) or ("\\" in file and "/" not in file)
    path = PureWindowsPath(file) if windows else PurePosixPath(file)
    uri = path.as_uri() if path.is_absolute() else quote(path.as_posix(), safe="/")
    return _ESCAPED_BYTE.sub(lambda found: "%" + found[1].upper(), uri)


def region(line: int, column: int) -> dict[str, int]:
    line, column = max(int(line or 0), 1), max(int(column or 0), 1)
    return {"startLine": line, "startColumn": column, "endLine": line, "endColumn": column + 1}


def _quoted(path: str) -> str:
    """A relative path with / separators as a URI: ``artifact_uri`` without its Windows
    reading of a name holding ``\\`` (the escape of a byte that is not UTF-8)."""
    return _ESCAPED_BYTE.sub(lambda found: "%" + found[1].upper(), quote(path, safe="/"))


class Artifacts:
    """The ``artifactLocation`` of each file one run names (rendering a report is a run).

    A file inside a git work tree is named by its path from the root of that work tree,
    with ``"uriBaseId": "%SRCROOT%"``: the same bytes from whichever folder policycheck ran
    in, and a path code scanning can match to a file of the repository (it resolves a
    relative ``uri`` against the repository root, so ``../plans/a.yaml``, what a run in a
    subfolder used to write, matched nothing). The root is found as ``paths.RepoPaths``
    finds it (as git does, without running git; the GitHub, JUnit and markdown formats name
    files the same way). Any other file is named as ``artifact_uri`` names it: relative to
    the current folder, or a ``file:`` URI for an absolute path."""

    def __init__(self, files: Iterable[str] = (), cwd: str | None = None) -> None:
        self.cwd = os.getcwd() if cwd is None else cwd
        self._paths = RepoPaths(self.cwd)
        self._uris: dict[str, tuple[str, bool]] = {}
        for file in files:
            self.uri(file)
        #: Whether a file named so far (those given) is in a work tree: the run then says
        #: what ``%SRCROOT%`` stands for (``ORIGINAL_URI_BASE_IDS``).
        self.based = any(based for _, based in self._uris.values())

    @classmethod
    def of(cls, report: Report, findings: pd.DataFrame) -> Artifacts:
        """Those of the files of ``report``'s problems and of ``findings``."""
        files = [problem.location.file for problem in report.problems]
        if "src_file" in findings and len(findings):
            files += [file for file in pd.unique(findings["src_file"].astype(object))
                      if isinstance(file, str)]
        return cls(files)

    def uri(self, file: str) -> tuple[str, bool]:
        """The file's ``uri``, and whether it is relative to ``%SRCROOT%``."""
        found = self._uris.get(file)
        if found is None:
            relative = self._paths.relative(file)
            found = self._uris[file] = ((artifact_uri(file), False) if relative is None
                                        else (_quoted(relative), True))
        return found

    def location(self, file: str) -> dict[str, str]:
        uri, based = self.uri(file)
        return {"uri": uri, "uriBaseId": SRCROOT} if based else {"uri": uri}


def physical_location(location: Location,
                      artifacts: Artifacts | None = None) -> dict[str, Any]:
    artifacts = Artifacts() if artifacts is None else artifacts
    return {"physicalLocation": {"artifactLocation": artifacts.location(location.file),
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


def result(row: dict[str, Any], rule_index: dict[str, int],
           artifacts: Artifacts | None = None) -> dict[str, Any]:
    record = finding_json(row)
    at = record["location"]
    location = Location(at["file"], at["sheet"] or "", at["line"] or 0, at["column"] or 0)
    out: dict[str, Any] = {"ruleId": record["rule_id"]}
    if record["rule_id"] in rule_index:
        out["ruleIndex"] = rule_index[record["rule_id"]]
    out.update({
        "level": SEVERITY_LEVELS[record["severity"]],
        "message": {"text": f"{where(record)}: {record['message']}"},
        "locations": [physical_location(location, artifacts)],
        "partialFingerprints": {FINGERPRINT_KEY: record["fingerprint"]},
        "properties": {key: record[key] for key in (
            "severity", "plan_id", "scope", "entity_id", "status", "headcount",
            "pay_at_stake")} | {"sheet": at["sheet"]},
    })
    if record["status"] in SUPPRESSED:
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": status_reason(row)}]
    return out


def notification(problem: Problem, artifacts: Artifacts | None = None) -> dict[str, Any]:
    """A notification of the problem at its place; one said of a command-line option
    (``--param``) has no location (it names no file) and says the option first."""
    file = problem.location.file
    out: dict[str, Any] = {"level": "error" if problem.severity == "error" else "warning",
           "message": {"text": f"{file}: {problem.message}" if is_option(file)
                       else problem.message},
           "descriptor": {"id": problem.code}}
    if not is_option(file):
        out["locations"] = [physical_location(problem.location, artifacts)]
    return out


#: Findings per piece of the stream (a result is about 1.2 KB of text).
CHUNK = 20_000
#: Results in a run that GitHub code scanning accepts: it rejects a SARIF file with a run of
#: more (and shows the 5,000 most severe).
MAX_RESULTS = 25_000
#: The notification's id when findings are left out.
LIMIT_CODE = "results-limit"


def within_limit(findings: pd.DataFrame) -> pd.DataFrame:
    """The ``MAX_RESULTS`` findings a SARIF file holds, in their order: all when they are no
    more; else the open ones (and reopened) before the waived and baselined, then the most
    severe, then as listed, so that a run's new findings reach code scanning first and the
    same findings keep the same place from run to run."""
    if len(findings) <= MAX_RESULTS:
        return findings
    suppressed = findings["status"].isin(SUPPRESSED).to_numpy(dtype=bool)
    order = np.lexsort((np.arange(len(findings)), severity_ranks(findings["severity"]),
                        suppressed))
    return findings.iloc[np.sort(order[:MAX_RESULTS])]


def left_out(count: int) -> str:
    """What the notification (and the command's warning) says when ``count`` findings are
    more than a SARIF file holds."""
    return (f"{count - MAX_RESULTS:,} of {count:,} findings are left out of the SARIF file: "
            f"GitHub code scanning rejects a run of more than {MAX_RESULTS:,} results. It "
            "holds the open findings first, the most severe first; the json, csv and xlsx "
            "formats hold every finding, and --baseline, --select or --ignore make fewer")


_RESULTS_SLOT = '\n      "results": []\n'


def chunks(report: Report) -> Iterator[Piece]:
    """The SARIF document in UTF-8 pieces, results ``CHUNK`` findings at a time."""
    return _chunks(report, len(report.findings))


def redacted_chunks(report: Report) -> Iterator[Piece]:
    """``chunks(redact(report))``, redacting only the findings the file holds (at most
    ``MAX_RESULTS``), where redacting every finding took about a second at a hundred
    thousand plans."""
    from policycheck.formats.redact import redact

    return _chunks(redact(report, within_limit(report.findings)), len(report.findings))


def _chunks(report: Report, found: int) -> Iterator[Piece]:
    """The SARIF document of ``report``, which held ``found`` findings before
    ``within_limit``."""
    rule_index = {rule.id: i for i, rule in enumerate(report.rules)}
    findings = within_limit(report.findings)
    artifacts = Artifacts.of(report, findings)
    top = _document(report, [], found, artifacts)
    if not len(findings):
        yield top.encode("utf-8")
        return
    before, after = top.split(_RESULTS_SLOT)

    def reference(part: pd.DataFrame) -> str:
        return "".join(",\n" + _IND + json.dumps(result(row, rule_index, artifacts), indent=2,
                                                  ensure_ascii=False).replace("\n", "\n" + _IND)
                       for row in records(part))

    yield from list_pieces(before + '\n      "results": [\n', "\n      ]\n" + after,
                           findings, CHUNK, functools.partial(_results, rule_index=rule_index,
                                                              artifacts=artifacts),
                           reference)


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")


def _document(report: Report, results: list[Any], found: int, artifacts: Artifacts) -> str:
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "policycheck", "version": __version__,
                            "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI,
                            "rules": [rule_descriptor(r) for r in report.rules]}},
    }
    if artifacts.based:
        run["originalUriBaseIds"] = ORIGINAL_URI_BASE_IDS
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run | {
            "invocations": [{
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": [notification(p, artifacts)
                                               for p in report.problems] + (
                    [{"level": "warning", "message": {"text": left_out(found)},
                      "descriptor": {"id": LIMIT_CODE}}] if found > MAX_RESULTS else []),
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return dumps(sarif) + "\n"


def _render_plain(report: Report) -> str:
    """The reference rendering: one ``result`` per finding record."""
    rule_index = {rule.id: i for i, rule in enumerate(report.rules)}
    findings = within_limit(fill_fingerprints(report.findings))
    artifacts = Artifacts.of(report, findings)
    return _document(report, [result(row, rule_index, artifacts) for row in records(findings)],
                     len(report.findings), artifacts)


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


#: The findings columns a result shows as text, and those it shows with ``str`` (a
#: missing one as "None", which only the reference way writes).
_TEXT = ("rule_id", "severity", "plan_id", "scope", "entity_id", "message", "src_file",
         "src_sheet", "status", "waiver", "fingerprint")
_SHOWN = ("rule_id", "severity", "plan_id", "scope", "message", "src_file")
#: The result's properties read from the findings columns of the same name.
_PROPERTIES = ("severity", "plan_id", "scope", "entity_id", "status", "headcount",
               "pay_at_stake")


def _results(findings: pd.DataFrame, rule_index: dict[str, int],
             artifacts: Artifacts | None = None) -> Piece:
    """``result`` of every finding, encoded column by column (each value that repeats
    once per distinct value) and joined row by row by Arrow."""
    artifacts = Artifacts() if artifacts is None else artifacts
    found = text_columns(findings, _TEXT, _SHOWN)
    if found is None:
        raise Unsupported("a value only the reference way writes")
    text, line_no, col_no = found
    line, column = (pc.cast(pc.max_element_wise(n, 1), pa.large_string())
                    for n in (line_no, col_no))
    end_column = pc.cast(pc.add(pc.max_element_wise(col_no, 1), 1), pa.large_string())
    message = pc.binary_join_element_wise(
        word("plan '"), text["plan_id"], word("'"), entity_words(text["scope"],
                                                                text["entity_id"]),
        word(": "), text["message"], word(""))
    status = pc.fill_null(text["status"], "")
    pieces = [
        _per_distinct(text["rule_id"], lambda r: _scalar(r) + (
            f',\n{_IND}  "ruleIndex": {rule_index[r]}' if r in rule_index else "")),
        _per_distinct(text["severity"], lambda s: encode_str(SEVERITY_LEVELS[s])),
        string_texts(message, b""),
        _per_distinct(text["src_file"], lambda f: _artifact_location(artifacts, f)),
        line, column, line, end_column,
        string_texts(text["fingerprint"], b""),
        *(_property(findings, name) for name in _PROPERTIES),
        _per_distinct(text["src_sheet"], lambda s: _scalar(s or None)),
        _suppressions(status, text["waiver"]),
    ]
    parts = [part for sep, piece in zip(_SEPARATORS, pieces, strict=True)
             for part in (pa.scalar(sep.encode(), pa.large_binary()),
                          piece.cast(pa.large_binary()))]
    return piece(pc.binary_join_element_wise(
        *parts, pa.scalar(_RESULT_END.encode(), pa.large_binary()),
        pa.scalar(b"", pa.large_binary())))


def _artifact_location(artifacts: Artifacts, file: Any) -> str:
    """The ``artifactLocation``'s members after ``"uri": `` as ``dumps`` writes them."""
    uri, based = artifacts.uri(file)
    return _scalar(uri) + (_URI_BASE if based else "")


_URI_BASE = f',\n{_IND}          "uriBaseId": {encode_str(SRCROOT)}'


def _per_distinct(text: pa.Array, encode: Callable[[Any], str]) -> pa.Array:
    """``encode`` of each text (None for a missing one), worked out once per distinct text."""
    return distinct_mapped(text, lambda distinct: pa.array(
        list(map(encode, distinct.to_pylist())), type=pa.large_string()))


def _property(findings: pd.DataFrame, name: str) -> pa.Array:
    """A findings column as the result's properties hold it (``jsontext.column_texts``)."""
    found = distinct_texts(findings[name], _IND, name in ("headcount", "pay_at_stake"))
    if found is None:
        raise Unsupported(f"{name}: a value only the reference way writes")
    codes, encoded = found
    return pa.array([*encoded, "null"], type=pa.large_string()).take(
        pa.array(np.where(codes < 0, len(encoded), codes)))


def _suppressions(status: pa.Array, waiver: pa.Array) -> pa.Array:
    """The suppression of each waived or baselined finding, nothing for the others."""
    suppressed = pc.is_in(status, pa.array(SUPPRESSED, pa.large_string()))
    rows = np.flatnonzero(suppressed.to_numpy(zero_copy_only=False))
    none = pa.repeat(pa.scalar("", pa.large_string()), len(status))
    if not len(rows):
        return none
    chosen = pa.array(rows)
    texts = per_distinct_typed(list(zip(status.take(chosen).to_pylist(),
                                        waiver.take(chosen).to_pylist(), strict=True)),
                               lambda pair: _suppression(*pair))
    return pc.replace_with_mask(none, suppressed, pa.array(texts, type=pa.large_string()))


def _suppression(status: Any, waiver: Any) -> str:
    reason = status_reason({"status": status, "waiver": waiver})
    return _SUPPRESSION + encode_str(reason) + _CLOSING
