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
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from policycheck import __version__
from policycheck.errors import Location, Problem
from policycheck.formats.cells import (
    SEVERITY_LEVELS,
    SUPPRESSED,
    finding_dicts,
    status_reason,
    where,
)
from policycheck.formats.json_format import dumps, finding_json
from policycheck.formats.markdown import escape
from policycheck.report import Report
from policycheck.ruleset import Rule

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/policycheck/policycheck"
FINGERPRINT_KEY = "policycheck/v1"


@functools.lru_cache(maxsize=1024)  # a report names few files, each in many results
def artifact_uri(file: str) -> str:
    """A relative URI with forward slashes (what GitHub matches to the repository), or a
    file: URI for an absolute path."""
    path = PureWindowsPath(file) if "\\" in file else PurePosixPath(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix(), safe="/")


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


def render(report: Report) -> str:
    rule_index = {rule.id: i for i, rule in enumerate(report.rules)}
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
            "results": [result(row, rule_index) for row in finding_dicts(report)],
        }],
    }
    return dumps(sarif) + "\n"
