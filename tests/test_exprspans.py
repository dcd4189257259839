"""A problem in an expression written over several lines is said at its own line and
column, under the line as written: it was said at the key's line, the caret under the
expression joined into one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_plans import run, workdir, write
from conftest import ROOT

from policycheck.exprspans import as_written, place, spans

__all__ = ["workdir"]

FILE = """\
when: >-
  role_kind == 'service'
  and count_of(components, kpi.categroy == 'speed') > 0
condition: "share('speed') > 0"
literal: |-
  a
  and b
quoted: "a \\
  and b"
"""


@pytest.mark.parametrize("key, line, source, expected", [
    ("when", 1, "role_kind == 'service' and count_of(components, kpi.categroy == 'speed') > 0",
     ((2, 3, 0), (3, 3, 23))),
    ("condition", 4, "share('speed') > 0", ((4, 13, 0),)),
    ("literal", 5, "a\nand b", ((6, 3, 0), (7, 3, 2))),
    ("quoted", 8, "a and b", ()),  # an escaped line break: not matched, the key's place
    ("when", 1, "something else", ()),
])
def test_spans_are_the_lines_that_join_to_the_expression(
        key: str, line: int, source: str, expected: tuple[tuple[int, int, int], ...]) -> None:
    assert spans(FILE.splitlines(), (line, 1), source) == expected


def test_an_offset_is_placed_on_its_line_and_the_caret_under_it() -> None:
    source = "role_kind == 'service' and count_of(components, kpi.categroy == 'speed') > 0"
    found = spans(FILE.splitlines(), (1, 1), source)
    assert place(found, source.index("kpi.categroy")) == (3, 28)
    assert place((), 5) is None
    assert as_written(source, found).splitlines() == [
        "role_kind == 'service'", "and count_of(components, kpi.categroy == 'speed') > 0"]


def test_a_folded_condition_is_said_at_its_line(workdir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rule = (ROOT / "rules" / "cs" / "cs.handle-time.yaml").read_text(encoding="utf-8")
    head, _, tail = rule.partition("\ncondition:")
    body = tail.split("\nevidence:", 1)[1]
    write(workdir, {"pack/cs/cs.handle-time.yaml": head + (
        "\ncondition: >-\n  weight > 0\n  and kpi.categroy == 'speed'\nevidence:") + body})
    code, _, err = run(capsys, "rules", "test", "pack")
    assert code == 2
    assert err.splitlines()[:3] == [
        "pack/cs/cs.handle-time.yaml:" + str(head.count("\n") + 4) + ":7: error: condition: "
        "unknown name 'kpi.categroy' in the component scope; did you mean 'kpi.category'? "
        "[rule-expression]",
        "    and kpi.categroy == 'speed'",
        "        ^^^^^^^^^^^^"]
