"""JUnit test cases written from the findings' columns by Arrow; ``junit`` writes the
document around them. ElementTree takes microseconds a node, and a finding is three: here
each rule's cases are joined when its suite is written, a piece of its findings at a time,
every text escaped as ElementTree escapes it, names made unique within the rule as
``unique`` makes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.formats.arrowtext import coded_text, concatenated, text_columns, word
from policycheck.formats.cells import SUPPRESSED, status_reason
from policycheck.formats.paths import RepoPaths
from policycheck.formats.text_format import LINE_SHOWN, LINE_TEXT, lines_of
from policycheck.formats.xmltext import ATTRIBUTE, ELEMENT, attribute, escaped_array, xml_safe
from policycheck.report import Report


def unique(names: Iterable[str]) -> list[str]:
    """The names, with " (2)", " (3)"... added to repeats."""
    seen: set[str] = set()
    return [unique_in(seen, name) for name in names]


def unique_in(seen: set[str], name: str) -> str:
    """``name``, or with the first " (n)" not in ``seen``; the answer is added to it."""
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        candidate = f"{name} ({n})"
    seen.add(candidate)
    return candidate


#: Findings whose cases are written at a time: the texts of a chunk are escaped together.
CHUNK = 20_000


#: A rule's findings' suite counts, and a function writing its test cases as UTF-8 pieces,
#: each case ending its line.
Suites = tuple[dict[Any, dict[str, int]], Callable[[Any], Iterable[bytes]]]


def test_cases(report: Report, paths: RepoPaths | None = None) -> Suites | None:
    """Each rule's suite counts, and a function writing its test cases when its suite is
    written, ``CHUNK`` findings at a time (so that the memory of one piece serves the
    next); files named by ``paths`` (``RepoPaths.name``). None when a column holds a value
    only ElementTree writes (or refuses)."""
    findings = report.findings
    found = text_columns(findings, LINE_TEXT, LINE_SHOWN)
    remedies = _remediation(findings)
    if found is None or remedies is None:
        return None
    text, line_no, col_no = found
    text["src_file"] = (RepoPaths() if paths is None else paths).named(text["src_file"])
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
        chosen = pa.array(rows)
        names = escaped_array(case_names(text["plan_id"].take(chosen),
                                         text["entity_id"].take(chosen)), ATTRIBUTE)
        head = word(f'    <testcase classname="{attribute(xml_safe(str(rule_id)))}" name="')
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
    """The test case of each finding as ElementTree writes it, ending its line: ``kind`` 0
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


def case_names(plan_id: pa.Array, entity_id: pa.Array) -> pa.Array:
    """The case name of each finding of one rule (its plan id, and its entity id if any),
    made unique as ``unique`` makes them:
    " (n)" added to the n-th finding of a name; one by one in Python when an added number
    makes a name that another finding has."""
    entity_id = pc.fill_null(entity_id, "")
    names = pc.if_else(pc.equal(entity_id, ""), plan_id,
                       pc.binary_join_element_wise(plan_id, entity_id, word(" ")))
    seen = _occurrence(names)
    numbered = pc.binary_join_element_wise(
        names, word(" ("), pc.cast(pa.array(seen + 1), pa.large_string()), word(")"), word(""))
    made = pc.if_else(pa.array(seen == 0), names, numbered)
    if (_occurrence(made) == 0).all():
        return made
    return pa.array(unique(names.to_pylist()), type=pa.large_string())


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
