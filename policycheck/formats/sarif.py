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
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from policycheck import __version__
from policycheck.engine import severity_ranks
from policycheck.errors import Location, Problem
from policycheck.findings import fill_fingerprints
from policycheck.formats.cells import (
    SEVERITY_LEVELS,
    SUPPRESSED,
    records,
    status_reason,
    where,
)
from policycheck.formats.json_format import finding_json, list_pieces
from policycheck.formats.jsontext import dumps
from policycheck.formats.markdown import escape
from policycheck.formats.paths import is_option
from policycheck.formats.sarifartifacts import ORIGINAL_URI_BASE_IDS, Artifacts
from policycheck.formats.sarifresults import INDENT, results
from policycheck.report import Report
from policycheck.rulefile import Rule
from policycheck.streams import Piece

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/policycheck/policycheck"
FINGERPRINT_KEY = "policycheck/v1"
def region(line: int, column: int) -> dict[str, int]:
    line, column = max(int(line or 0), 1), max(int(column or 0), 1)
    return {"startLine": line, "startColumn": column, "endLine": line, "endColumn": column + 1}


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
        return "".join(",\n" + INDENT + json.dumps(result(row, rule_index, artifacts), indent=2,
                                                  ensure_ascii=False).replace("\n", "\n" + INDENT)
                       for row in records(part))

    yield from list_pieces(before + '\n      "results": [\n', "\n      ]\n" + after,
                           findings, CHUNK, functools.partial(results, rule_index=rule_index,
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

