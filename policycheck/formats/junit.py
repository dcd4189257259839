"""JUnit XML, for CI systems that show test reports: one test suite per rule run, one test
case per finding.

A finding that fails the run (open, at or above ``fail_on``) is a ``<failure>``; an open
finding below it passes and says so in ``<system-out>``; a waived or baselined one is
``<skipped>``. A rule without findings is one passing case, "no findings". Test case names
(plan id, then entity id) are made unique within their suite. Invalid inputs add a suite
"policycheck.input" with one ``<error>`` per problem. No timestamps or durations: the same
report gives the same bytes.

A file inside a git work tree is named by its path from the root of that work tree, whatever
the current folder, as SARIF names it (``paths.RepoPaths``): the same report from every
folder and machine, without the folder a checkout lies in; any other file as it was given.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from policycheck.errors import Problem
from policycheck.formats.cells import SUPPRESSED, finding_dicts, status_reason
from policycheck.formats.junitcases import test_cases, unique
from policycheck.formats.paths import RepoPaths
from policycheck.formats.text_format import finding_line
from policycheck.formats.xmltext import attribute, xml_safe
from policycheck.report import Report

INPUT_SUITE = "policycheck.input"


def _text(value: object) -> str:
    return xml_safe(str(value))


def _case_name(row: dict[str, Any]) -> str:
    return f"{row['plan_id']} {row['entity_id']}" if row["entity_id"] else str(row["plan_id"])


def _detail(row: dict[str, Any]) -> str:
    return _text(f"{finding_line(row)}\nWhat to change: {row['remediation']}")


def _suite(parent: ET.Element, name: str, cases: list[ET.Element]) -> dict[str, int]:
    counts = {"tests": len(cases),
              "failures": sum(c.find("failure") is not None for c in cases),
              "errors": sum(c.find("error") is not None for c in cases),
              "skipped": sum(c.find("skipped") is not None for c in cases)}
    suite = ET.SubElement(parent, "testsuite", {"name": _text(name)}
                          | {k: str(v) for k, v in counts.items()})
    suite.extend(cases)
    return counts


def _finding_cases(rule_id: str, rows: list[dict[str, Any]], failing: set[Any]
                   ) -> list[ET.Element]:
    if not rows:
        return [ET.Element("testcase", {"classname": rule_id, "name": "no findings"})]
    cases = []
    for row, name in zip(rows, unique(_case_name(r) for r in rows), strict=True):
        case = ET.Element("testcase", {"classname": _text(rule_id), "name": _text(name)})
        if row["_key"] in failing:
            ET.SubElement(case, "failure", {"message": _text(row["message"]),
                                            "type": row["severity"]}).text = _detail(row)
        elif row["status"] in SUPPRESSED:
            ET.SubElement(case, "skipped", {"message": _text(status_reason(row))})
        else:
            ET.SubElement(case, "system-out").text = _detail(row)
        cases.append(case)
    return cases


def _problem_cases(problems: tuple[Problem, ...], paths: RepoPaths) -> list[ET.Element]:
    cases = []
    problems = tuple(paths.problem(p) for p in problems)
    names = unique(str(p.location) for p in problems)
    for problem, name in zip(problems, names, strict=True):
        case = ET.Element("testcase", {"classname": INPUT_SUITE, "name": _text(name)})
        kind = "error" if problem.severity == "error" else "system-out"
        element = ET.SubElement(case, kind)
        if kind == "error":
            element.set("message", _text(problem.message))
            element.set("type", problem.code)
        element.text = _text(problem)
        cases.append(case)
    return cases


def _render_plain(report: Report) -> str:
    """The reference rendering, through ElementTree: one element per finding."""
    failing = set(report.failing.index)
    paths = RepoPaths()
    rows = [row | {"_key": key, "src_file": _named(paths, row.get("src_file"))}
            for key, row in zip(report.findings.index, finding_dicts(report), strict=True)]
    root = ET.Element("testsuites", {"name": "policycheck"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_rule.setdefault(row["rule_id"], []).append(row)
    suites = [(rule.id, _finding_cases(rule.id, by_rule.get(rule.id, []), failing))
              for rule in report.rules]
    if report.problems:
        suites.append((INPUT_SUITE, _problem_cases(report.problems, paths)))
    for name, cases in suites:
        for key, value in _suite(root, name, cases).items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


def _named(paths: RepoPaths, file: Any) -> Any:
    return paths.name(file) if isinstance(file, str) else file


_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
_COUNTS = ("tests", "failures", "errors", "skipped")


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")


def chunks(report: Report) -> Iterator[bytes]:
    """What ``_render_plain`` writes, in UTF-8 pieces, each finding's test case written as
    text from the columns (ElementTree takes microseconds a node, and a finding is three)."""
    paths = RepoPaths()
    suites = test_cases(report, paths) if report.rules else None
    if suites is None:  # no suite, or a value only ElementTree writes (or refuses)
        yield _render_plain(report).encode("utf-8")
        return
    counts, cases = suites
    empty = dict.fromkeys(_COUNTS, 0) | {"tests": 1}
    shown = [counts.get(rule.id, empty) for rule in report.rules]
    problems = _problem_suite(report.problems, paths) if report.problems else None
    if problems:
        shown.append(problems[1])
    totals = {key: sum(c[key] for c in shown) for key in _COUNTS}
    yield (_HEADER + '<testsuites name="policycheck"' + _counted(totals) + ">").encode("utf-8")
    for rule in report.rules:
        yield ("\n" + _suite_head(rule.id, counts.get(rule.id, empty))).encode("utf-8")
        if rule.id in counts:
            yield from cases(rule.id)
        else:
            yield (f'    <testcase classname="{attribute(rule.id)}" name="no findings" />\n'
                   .encode())
        yield b"  </testsuite>"
    if problems:
        yield ("\n" + problems[0]).encode("utf-8")
    yield b"\n</testsuites>\n"


def _counted(counts: dict[str, int]) -> str:
    return "".join(f' {key}="{counts[key]}"' for key in _COUNTS)


def _suite_head(name: str, counts: dict[str, int]) -> str:
    return f'  <testsuite name="{attribute(_text(name))}"{_counted(counts)}>\n'


def _problem_suite(problems: tuple[Problem, ...], paths: RepoPaths
                   ) -> tuple[str, dict[str, int]]:
    """The input problems' suite through ElementTree (they are few), as indented text."""
    parent = ET.Element("testsuites")
    counts = _suite(parent, INPUT_SUITE, _problem_cases(problems, paths))
    ET.indent(parent[0], level=1)
    return "  " + ET.tostring(parent[0], encoding="unicode"), counts
