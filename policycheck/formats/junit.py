"""JUnit XML, for CI systems that show test reports: one test suite per rule run, one test
case per finding.

A finding that fails the run (open, at or above ``fail_on``) is a ``<failure>``; an open
finding below it passes and says so in ``<system-out>``; a waived or baselined one is
``<skipped>``. A rule without findings is one passing case, "no findings". Test case names
(plan id, then entity id) are made unique within their suite. Invalid inputs add a suite
"policycheck.input" with one ``<error>`` per problem. No timestamps or durations: the same
report gives the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.errors import Problem
from policycheck.formats.arrowtext import coded_text, concatenated, text_columns, word
from policycheck.formats.cells import (
    SUPPRESSED,
    finding_dicts,
    status_reason,
)
from policycheck.formats.text_format import (
    LINE_SHOWN,
    LINE_TEXT,
    finding_line,
    lines_of,
)
from policycheck.formats.xmltext import (
    ATTRIBUTE,
    ELEMENT,
    attribute,
    escaped_array,
    xml_safe,
)
from policycheck.report import Report

INPUT_SUITE = "policycheck.input"


def _text(value: object) -> str:
    return xml_safe(str(value))


def _unique(names: Iterable[str]) -> list[str]:
    """The names, with " (2)", " (3)"... added to repeats."""
    seen: set[str] = set()
    return [_unique_in(seen, name) for name in names]


def _unique_in(seen: set[str], name: str) -> str:
    """``name``, or with the first " (n)" not in ``seen``; the answer is added to it."""
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        candidate = f"{name} ({n})"
    seen.add(candidate)
    return candidate


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
    for row, name in zip(rows, _unique(_case_name(r) for r in rows), strict=True):
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


def _problem_cases(problems: tuple[Problem, ...]) -> list[ET.Element]:
    cases = []
    names = _unique(str(p.location) for p in problems)
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
    rows = [row | {"_key": key}
            for key, row in zip(report.findings.index, finding_dicts(report), strict=True)]
    root = ET.Element("testsuites", {"name": "policycheck"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_rule.setdefault(row["rule_id"], []).append(row)
    suites = [(rule.id, _finding_cases(rule.id, by_rule.get(rule.id, []), failing))
              for rule in report.rules]
    if report.problems:
        suites.append((INPUT_SUITE, _problem_cases(report.problems)))
    for name, cases in suites:
        for key, value in _suite(root, name, cases).items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
_COUNTS = ("tests", "failures", "errors", "skipped")


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")


def chunks(report: Report) -> Iterator[bytes]:
    """What ``_render_plain`` writes, in UTF-8 pieces, each finding's test case written as
    text from the columns (ElementTree takes microseconds a node, and a finding is three)."""
    suites = _arrow_suites(report) if report.rules else None
    if suites is None:  # no suite, or a value only ElementTree writes (or refuses)
        yield _render_plain(report).encode("utf-8")
        return
    counts, cases = suites
    empty = dict.fromkeys(_COUNTS, 0) | {"tests": 1}
    shown = [counts.get(rule.id, empty) for rule in report.rules]
    problems = _problem_suite(report.problems) if report.problems else None
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


def _problem_suite(problems: tuple[Problem, ...]) -> tuple[str, dict[str, int]]:
    """The input problems' suite through ElementTree (they are few), as indented text."""
    parent = ET.Element("testsuites")
    counts = _suite(parent, INPUT_SUITE, _problem_cases(problems))
    ET.indent(parent[0], level=1)
    return "  " + ET.tostring(parent[0], encoding="unicode"), counts


#: Findings whose cases are written at a time: the texts of a chunk are escaped together.
CHUNK = 20_000


#: A rule's findings' suite counts, and a function writing its test cases as UTF-8 pieces,
#: each case ending its line.
_Suites = tuple[dict[Any, dict[str, int]], Callable[[Any], Iterable[bytes]]]


def _arrow_suites(report: Report) -> _Suites | None:
    """``_finding_suites`` built column by column by Arrow: a rule's cases when its suite is
    written, ``CHUNK`` findings at a time (so that the memory of one piece serves the
    next). None when a column holds a value only the finding-by-finding way writes."""
    findings = report.findings
    found = text_columns(findings, LINE_TEXT, LINE_SHOWN)
    remedies = _remediation(findings)
    if found is None or remedies is None:
        return None
    text, line_no, col_no = found
    remedy_texts, remedy = remedies
    encoded = text["rule_id"].dictionary_encode()
    rule_ids = encoded.dictionary.to_pylist()
    code = encoded.indices.to_numpy(zero_copy_only=False)
    failing = findings.index.isin(findings.index[report.failing_mask])
    skipped = ~failing & pc.is_in(pc.fill_null(text["status"], ""), pa.array(
        SUPPRESSED, pa.large_string())).to_numpy(zero_copy_only=False)
    kinds = np.where(failing, 0, np.where(skipped, 1, 2))
    by_rule = np.argsort(code, kind="stable")  # each rule's findings, in report order
    ends = np.cumsum(np.bincount(code, minlength=len(rule_ids)))
    starts = ends - np.diff(ends, prepend=0)
    counts = {rule_id: {"tests": int(end - start),
                        "failures": int((kinds[by_rule[start:end]] == 0).sum()), "errors": 0,
                        "skipped": int((kinds[by_rule[start:end]] == 1).sum())}
              for rule_id, start, end in zip(rule_ids, starts, ends, strict=True)}
    where = dict(zip(rule_ids, zip(starts, ends, strict=True), strict=True))

    def cases(rule_id: Any) -> Iterator[bytes]:
        rows = by_rule[slice(*where[rule_id])]
        names = escaped_array(_names(text["plan_id"].take(pa.array(rows)),
                            text["entity_id"].take(pa.array(rows))), ATTRIBUTE)
        head = word(f'    <testcase classname="{attribute(_text(rule_id))}" name="')
        for start in range(0, len(rows), CHUNK):
            part = rows[start:start + CHUNK]
            chosen = pa.array(part)
            yield concatenated(_case_texts(
                {name: array.take(chosen) for name, array in text.items()},
                line_no.take(chosen), col_no.take(chosen), pa.array(kinds[part]), head,
                names.slice(start, CHUNK), remedy_texts.take(pa.array(remedy[part]))))

    return counts, cases


def _remediation(findings: pd.DataFrame) -> tuple[pa.Array, np.ndarray] | None:
    """The findings' distinct remediations escaped as element text, and a code per finding
    into them; None when one is missing or not text."""
    found = coded_text(findings, "remediation")
    if found is None or (found[1] < 0).any() or found[0].null_count:
        return None
    return escaped_array(found[0], ELEMENT), found[1]


def _case_texts(text: dict[str, pa.Array], line_no: pa.Array, col_no: pa.Array,
                kind: pa.Array, head: pa.Scalar, names: pa.Array, remediation: pa.Array
                ) -> pa.Array:
    """The test case of each finding as ``_cases`` writes it, ending its line: ``kind`` 0
    for a failure, 1 skipped, 2 passed (system-out); ``head``, ``names`` and
    ``remediation`` escaped already."""
    def by_kind(failure: str, skipped: str, passed: str) -> pa.Array:
        return pa.array([failure, skipped, passed], type=pa.large_string()).take(kind)

    status, waiver = pc.fill_null(text["status"], ""), pc.fill_null(text["waiver"], "")
    reason = pc.if_else(pc.not_equal(waiver, ""),
                        pc.binary_join_element_wise(status, waiver, word(": ")),
                        pc.if_else(pc.equal(status, "baselined"),
                                   word(status_reason({"status": "baselined"})), status))
    failure, shown = pc.equal(kind, 0), pc.not_equal(kind, 1)
    line = escaped_array(lines_of(text, line_no, col_no), ELEMENT)
    return pc.binary_join_element_wise(
        head, names, word('">\n      '),
        by_kind('<failure message="', '<skipped message="', "<system-out>"),
        _only(escaped_array(text["message"], ATTRIBUTE), failure),
        _only(escaped_array(reason, ATTRIBUTE), pc.equal(kind, 1)),
        by_kind('" type="', '" />', ""),
        _only(escaped_array(text["severity"], ATTRIBUTE, safe=False), failure),
        by_kind('">', "", ""), _only(line, shown),
        by_kind("\nWhat to change: ", "", "\nWhat to change: "), _only(remediation, shown),
        by_kind("</failure>", "", "</system-out>"), word("\n    </testcase>\n"), word(""),
        null_handling="skip")


def _only(text: pa.Array, where: pa.Array) -> pa.Array:
    """``text`` where ``where`` holds, missing elsewhere (so that a join skips it)."""
    return pc.if_else(where, text, pa.scalar(None, type=pa.large_string()))


def _names(plan_id: pa.Array, entity_id: pa.Array) -> pa.Array:
    """``_case_name`` of each finding of one rule, made unique as ``_unique`` makes them:
    " (n)" added to the n-th finding of a name; one by one in Python when an added number
    makes a name that another finding has."""
    entity_id = pc.fill_null(entity_id, "")
    names = pc.if_else(pc.equal(entity_id, ""), plan_id,
                       pc.binary_join_element_wise(plan_id, entity_id, word(" ")))
    seen = _occurrence(names)
    numbered = pc.binary_join_element_wise(
        names, word(" ("), pc.cast(pa.array(seen + 1), pa.large_string()), word(")"), word(""))
    unique = pc.if_else(pa.array(seen == 0), names, numbered)
    if (_occurrence(unique) == 0).all():
        return unique
    return pa.array(_unique(names.to_pylist()), type=pa.large_string())


def _occurrence(names: pa.Array) -> np.ndarray:
    """How many earlier texts are the same text, for each text."""
    key = names.dictionary_encode().indices.to_numpy(zero_copy_only=False)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    at = np.arange(len(key))
    seen = np.empty(len(key), dtype=np.int64)
    seen[order] = at - np.maximum.accumulate(np.where(first, at, 0))
    return seen
