"""The text format's lines, the GitHub annotations and the CSV cells, built column by column
by Arrow: the same text as ``finding_line``, ``annotation`` and the CSV writer's ``_cell``
give one value at a time, whatever the location, entity, status, waiver or cell text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policycheck.formats import csv_format, github, text_format
from policycheck.formats.cells import plain_column
from policycheck.report import Report

TEXT = st.text(alphabet=st.one_of(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                                  st.sampled_from("%\r\n:,[]'\"=+-@\t＝＋－＠")), max_size=12)
MAYBE = st.one_of(st.none(), st.just(""), TEXT)
FIELDS = {
    "src_file": TEXT.map(lambda t: f"plans/{t}.yaml"), "src_sheet": MAYBE,
    "src_line": st.integers(0, 10_000), "src_col": st.integers(0, 300),
    "severity": st.sampled_from(["critical", "high", "low"]), "rule_id": TEXT,
    "plan_id": TEXT, "scope": st.sampled_from(["plan", "component", "gate"]),
    "entity_id": MAYBE, "message": TEXT,
    "status": st.sampled_from([None, "", "open", "waived", "baselined", "reopened"]),
    "waiver": MAYBE,
}
ROW = st.fixed_dictionaries(FIELDS)


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The findings frame's dtypes: default text, object ids and waiver, int64 positions."""
    frame = pd.DataFrame(rows, columns=list(FIELDS)).astype(
        {"src_line": "int64", "src_col": "int64"})
    for name in ("src_file", "src_sheet", "severity", "rule_id", "plan_id", "scope",
                 "message", "status"):
        frame[name] = pd.Series(frame[name].tolist(), dtype="str")
    for name in ("entity_id", "waiver"):
        frame[name] = pd.Series(frame[name].tolist(), dtype=object)
    return frame


def _reference(frame: pd.DataFrame) -> list[str]:
    columns = [plain_column(frame, name) for name in text_format._LINE_COLUMNS]
    # as the text output shows them: control characters escaped
    return [text_format.escaped_text(text_format._line(*values))
            for values in zip(*columns, strict=True)]


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(ROW, max_size=20))
def test_lines_built_by_column_are_the_lines_written_one_by_one(
        rows: list[dict[str, object]]) -> None:
    frame = _frame(rows)
    built = text_format.line_array(frame)
    assert built is not None
    assert built.to_pylist() == _reference(frame)
    assert text_format.finding_lines(frame) == _reference(frame)


def test_a_value_only_the_line_by_line_way_writes_is_written_that_way() -> None:
    rows = [{"src_file": "a.csv", "src_sheet": None, "src_line": 2, "src_col": 0,
             "severity": "high", "rule_id": "r", "plan_id": "p", "scope": "component",
             "entity_id": "c", "message": "m", "status": "waived", "waiver": "w"}]
    frame = _frame(rows)
    frame["entity_id"] = pd.Series([7], dtype=object)  # not text: _line writes str(7)
    assert text_format.line_array(frame) is None
    assert text_format.finding_lines(frame) == ["a.csv:2: high r: plan 'p' component '7': m "
                                                "[waived: w]"]
    frame["src_line"] = np.array([2.0])  # a float position: int() of it
    assert text_format.line_array(frame) is None


def test_the_text_stream_ends_every_line_and_falls_back_by_piece(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"src_file": "a.yaml", "src_sheet": "", "src_line": 3, "src_col": 5,
             "severity": "high", "rule_id": "r", "plan_id": f"p{i}", "scope": "plan",
             "entity_id": None, "message": "é\nnext", "status": "open", "waiver": None}
            for i in range(5)]
    frame = _frame(rows)
    report = Report(findings=frame, problems=(), rules=(), plans_read=5, plans_checked=5,
                    plans_invalid=0, files=("a.yaml",))
    monkeypatch.setattr(text_format, "CHUNK", 2)
    text = text_format.render(report)
    lines = "".join(line + "\n" for line in _reference(frame))
    assert text == lines + text_format.summary(report) + "\n"
    monkeypatch.setattr(text_format, "line_array", lambda findings, end="": None)
    assert text_format.render(report) == text


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(ROW, max_size=20))
def test_annotations_built_by_column_are_the_ones_written_one_by_one(
        rows: list[dict[str, object]]) -> None:
    frame = _frame(rows)
    written = [github.annotation(row) for row, status in zip(
        frame.astype(object).where(frame.notna(), None).to_dict("records"),
        plain_column(frame, "status"), strict=True) if status not in ("waived", "baselined")]
    built = github.annotation_array(frame)
    assert built is not None
    assert built.to_pylist() == written
    assert github.annotations(frame) == written


def test_github_output_falls_back_whole_for_a_value_only_it_writes() -> None:
    rows = [{"src_file": "a.csv", "src_sheet": "s", "src_line": 0, "src_col": 4,
             "severity": "medium", "rule_id": "r,1", "plan_id": "p", "scope": "plan",
             "entity_id": None, "message": "50%\nmore", "status": None, "waiver": None}]
    frame = _frame(rows)
    report = Report(findings=frame, problems=(), rules=(), plans_read=1, plans_checked=1,
                    plans_invalid=0, files=("a.csv",))
    expected = ("::warning file=a.csv,col=4,title=r%2C1::[s] medium: plan 'p': 50%25%0Amore\n"
                + text_format.summary(report) + "\n")
    assert github.render(report) == expected
    frame["plan_id"] = pd.Series([3], dtype=object)  # not text: written one by one
    assert github.annotation_array(frame) is None
    assert github.render(report).startswith("::warning file=a.csv,col=4,title=r%2C1::[s] "
                                            "medium: plan '3'")


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), TEXT), max_size=30))
def test_csv_cells_built_by_arrow_are_the_cells_written_one_by_one(
        values: list[str | None]) -> None:
    cells = csv_format._cells(pa.array(values, type=pa.large_string()))
    assert cells.to_pylist() == [csv_format._cell(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.text(alphabet='ab"\\\n\x00\x1fé€', max_size=6)),
                      max_size=12),
       start=st.integers(0, 3), large=st.booleans())
def test_rows_holding_a_byte_are_found_by_search_as_by_looking(
        texts: list[str | None], start: int, large: bool) -> None:
    """Also in a slice of an array (an offset into its buffers) and with 32-bit offsets;
    None when the needles occur more often than allowed."""
    from policycheck.formats.arrowtext import rows_holding
    from policycheck.formats.jsontext import _ESCAPED_UTF8, encode_str, string_texts

    array = pa.array(texts, type=pa.large_string() if large else pa.string())[start:]
    values = array.to_pylist()
    needles = [n.decode() for n in _ESCAPED_UTF8]
    expected = [i for i, v in enumerate(values) if v and any(n in v for n in needles)]
    assert rows_holding(array, _ESCAPED_UTF8, most=10**6).tolist() == expected
    occurrences = sum(v.count(n) for v in values if v for n in needles)
    if occurrences:
        assert rows_holding(array, _ESCAPED_UTF8, most=occurrences - 1) is None
        assert rows_holding(array, _ESCAPED_UTF8, most=occurrences) is not None
    assert string_texts(array, b": ").to_pylist() == [
        b": null" if v is None else (": " + encode_str(v)).encode() for v in values]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.text(alphabet="0123456789,. aé", max_size=9)),
                      max_size=12),
       start=st.integers(0, 3))
def test_grouped_number_hint_found_in_bytes_as_by_regular_expression(
        texts: list[str | None], start: int) -> None:
    """Also in a slice of an array, across the slices of bytes looked at, and never across
    two texts."""
    import pyarrow.compute as pc

    from policycheck.formats import redact

    array = pa.array(texts, type=pa.large_string())[start:]
    expected = pc.fill_null(pc.match_substring_regex(array, redact._GROUPED_HINT), False)
    whole = redact._SLICE
    try:
        for size in (1, 3, whole):
            redact._SLICE = size
            assert redact._grouped_hint(array).tolist() == expected.to_pylist()
            assert redact._grouped_hint(pa.chunked_array([array, array])).tolist() == (
                expected.to_pylist() * 2)
    finally:
        redact._SLICE = whole


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.text(alphabet="abc%\n", max_size=6)), max_size=8),
       pairs=st.lists(st.tuples(st.sampled_from(["a", "b", "%", "\n"]),
                                st.sampled_from(["b", "c", "%25", ""])), max_size=3))
@example(texts=["a", None], pairs=[("a", "b"), ("b", "c")])
def test_pairs_replaced_by_arrow_as_one_text_at_a_time(
        texts: list[str | None], pairs: list[tuple[str, str]]) -> None:
    """Also when a replacement holds a later pair's text (each pair sees the last's work)."""
    from policycheck.formats.arrowtext import replaced, replaced_array

    made = replaced_array(pa.array(texts, type=pa.large_string()), pairs)
    assert made.to_pylist() == [None if t is None else replaced(t, pairs) for t in texts]
