"""Reading CSV cells: Arrow's parser reads what pandas' parser reads, the same way, and a
text Arrow refuses is read by pandas' parser, its messages unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck import csvcells, limits
from policycheck.csvcells import arrow_columns, pandas_columns, read_columns


def cells(columns: list[csvcells.Column]) -> list[list[str]]:
    """Rows of cells."""
    return [list(row) for row in zip(*([texts[c] for c in codes.tolist()]
                                       for codes, texts in columns), strict=True)]


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=st.sampled_from(list('ab ,;\t"\n\r\'é\\#x0')), max_size=60),
       sep=st.sampled_from([",", ";", "\t"]))
def test_where_arrow_reads_a_text_it_reads_what_pandas_reads(text: str, sep: str) -> None:
    data = text.lstrip().encode()  # as a table's text comes: the blank lines above cut
    try:
        ours = arrow_columns(data, sep)
    except pa.ArrowInvalid:
        return  # read by pandas' parser instead
    theirs = pandas_columns(data, sep)
    assert cells(ours) == cells(theirs)
    for (codes, texts), (their_codes, their_texts) in zip(ours, theirs, strict=True):
        assert codes.tolist() == their_codes.tolist() and texts == their_texts


@pytest.mark.parametrize(("text", "rows"), [
    ('id,name\n1,"a, b"\n', [["id", "name"], ["1", "a, b"]]),
    ('id,name\n1,"two\nlines"\n', [["id", "name"], ["1", "two\nlines"]]),
    ('id,name\n1,"say ""hi"""\n', [["id", "name"], ["1", 'say "hi"']]),
    ("id,name\n\n007, NA \n", [["id", "name"], ["", ""], ["007", " NA "]]),  # as written
    ("id,name\r\n1,2\r\n", [["id", "name"], ["1", "2"]]),
    ("id\r1\r\r", [["id"], ["1"], [""]]),
])
def test_cells_are_read_as_written(text: str, rows: list[list[str]]) -> None:
    assert cells(read_columns(text, ",")) == rows
    assert cells(arrow_columns(text.encode(), ",")) == rows


def test_a_first_row_going_on_past_its_first_line_is_read_by_pandas() -> None:
    text = 'a,"b\nc",d\n1,2,3\n'
    with pytest.raises(pa.ArrowInvalid):
        arrow_columns(text.encode(), ",")
    assert cells(read_columns(text, ",")) == [["a", "b\nc", "d"], ["1", "2", "3"]]


@pytest.mark.parametrize("text", ['id,name\n1,"abc\n2,def\n', 'id,name\n1,"abc',
                                  'id\n"\n', 'id\r1,"\r'])
def test_a_quote_never_closed_is_an_error_not_a_long_cell(text: str) -> None:
    """Arrow would close it at the end of the text, the rows after it in one cell."""
    with pytest.raises(pa.ArrowInvalid):
        arrow_columns(text.encode(), ",")
    with pytest.raises(pd.errors.ParserError, match="EOF inside string"):
        read_columns(text, ",")


def test_a_text_arrow_refuses_is_read_by_pandas() -> None:
    with pytest.raises(pa.ArrowInvalid):
        arrow_columns(b"id,name\n1\n", ",")
    assert cells(read_columns("id,name\n1\n", ",")) == [["id", "name"], ["1", ""]]  # padded
    with pytest.raises(pd.errors.ParserError, match="Expected 2 fields in line 2, saw 3"):
        read_columns("id,name\n1,2,3\n", ",")
    with pytest.raises(pd.errors.EmptyDataError):
        read_columns("", ",")


def test_with_too_little_address_space_left_pandas_reads_the_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow's parser aborts the process where it cannot allocate a buffer (exit code 134,
    no message); under a ``ulimit -v`` that leaves it too little room, pandas' parser reads
    the same cells."""
    text = 'id,name\n1,"a, b"\n2, c \n'
    read_by: list[str] = []
    monkeypatch.setattr(csvcells, "arrow_columns",
                        lambda *a: read_by.append("arrow") or arrow_columns(*a))
    ample = cells(read_columns(text, ","))
    assert read_by == ["arrow"]
    room = csvcells.ARROW_CSV_BYTES_PER_BYTE * len(text) + csvcells.ARROW_CSV_RESERVE
    monkeypatch.setattr(limits, "address_room", lambda: room - 1)
    assert cells(read_columns(text, ",")) == ample == [["id", "name"], ["1", "a, b"],
                                                       ["2", " c "]]
    assert read_by == ["arrow"]  # not again
    monkeypatch.setattr(limits, "address_room", lambda: room)
    read_columns(text, ",")
    assert read_by == ["arrow", "arrow"]


def test_pandas_parser_out_of_memory_is_memory_error_not_a_malformed_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """pandas says it as a ParserError; reported as "malformed CSV", the file would be
    blamed and its plans dropped for what is the machine's limit (exit code 3)."""
    def exhausted(*args: object, **kwargs: object) -> None:
        raise pd.errors.ParserError("Error tokenizing data. C error: out of memory")

    monkeypatch.setattr(pd, "read_csv", exhausted)
    with pytest.raises(MemoryError, match="C error: out of memory"):
        pandas_columns(b"id\n1\n", ",")


def test_a_large_text_is_read_on_every_core_and_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Read by Arrow's threads and coded two columns at a time (here, even on one core)."""
    from policycheck import streams

    text = "id,kpi,name\n" + "".join(f"p{i % 7},k{i % 3},n{i % 5}\n" for i in range(1000))
    single = arrow_columns(text.encode(), ",")
    monkeypatch.setattr(csvcells, "THREADED_BYTES", 0)
    monkeypatch.setattr(streams, "cores", lambda: 2)
    threaded = arrow_columns(text.encode(), ",")
    assert cells(threaded) == cells(single)
    assert [np.asarray(c).tolist() for c, _ in threaded] == \
        [np.asarray(c).tolist() for c, _ in single]
