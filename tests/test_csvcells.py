"""Reading CSV cells: Arrow's parser reads what pandas' parser reads, the same way, and a
text Arrow refuses is read by pandas' parser, its messages unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck import csvcells, limits
from policycheck.csvcells import arrow_columns, pandas_columns, read_columns
from policycheck.csvtables import _arrow_cells, _plain_utf8, _text_cells
from policycheck.errors import Problem


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


#: Pieces of bytes a CSV file is made of, with what may trip reading it from its bytes:
#: byte-order marks, whitespace past ASCII (a no-break space, an em space) and within it
#: that bytes.lstrip does not strip (the separators \x1c-\x1f), bytes that are not UTF-8
#: (a lone Latin-1 é, a surrogate, an overlong NUL), NUL, an emoji.
_PIECES = [b"a", b"b", b" ", b",", b";", b"\t", b'"', b"\n", b"\r", b"\xc3\xa9", b"\xe9",
           b"\xc2\xa0", b"\xe2\x80\x83", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b"\x0b",
           b"\x1c", b"\xed\xa0\x80", b"\xc0\x80", b"\xf0\x9f\x98\x80"]


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join), st.binary(max_size=40),
    st.tuples(  # rows of one width, after what may come above the first
        st.lists(st.sampled_from([b"\xef\xbb\xbf", b"\n", b" ", b"\r\n", b"\xc2\xa0"]),
                 max_size=3).map(b"".join),
        st.integers(1, 3).flatmap(lambda width: st.lists(st.lists(st.sampled_from(
            [b"a", b"\xc3\xa9", b" ", b'"x,\n""y"', b"", b"\xc2\xa0", b"\xe9"]),
            min_size=width, max_size=width).map(b",".join), max_size=5))
        .map(b"\n".join)).map(b"".join)))
def test_a_file_read_from_its_bytes_reads_as_from_its_text(raw: bytes) -> None:
    """Where a CSV file is read straight from its bytes, its cells and the blank lines
    above them are what reading its text gives, and reading its text finds no problem."""
    content = _plain_utf8(raw)
    from_bytes = None if content is None else _arrow_cells(raw, content)
    if from_bytes is None:
        return
    problems: list[Problem] = []
    from_text = _text_cells(raw, "t.csv", problems)
    assert problems == []
    assert from_text is not None
    assert from_bytes[1] == from_text[1]
    assert cells(from_bytes[0]) == cells(from_text[0])


@pytest.mark.parametrize(("raw", "read"), [
    (b"a,b\n1,2\n", True), (b"\xef\xbb\xbf\n\n a,b\n1,\xc3\xa9\n", True),
    (b"a,b\n1,\xe9\n", False), (b"\xc2\xa0a,b\n", False), (b"a,b\n1,\x00\n", False),
    (b"", False), (b"a,b\n1,2,3\n", False)])
def test_which_files_are_read_from_their_bytes(raw: bytes, read: bool) -> None:
    """Plain UTF-8 files are read from their bytes; the text path reads the rest: bytes
    that are not UTF-8, a first character that may be whitespace beyond ASCII, NUL, an
    empty file, a row Arrow refuses."""
    content = _plain_utf8(raw)
    assert (content is not None and _arrow_cells(raw, content) is not None) is read


def test_bytes_arrow_refused_are_not_given_to_it_again(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A file Arrow refuses as bytes (a row wider than the header) is read by pandas'
    parser once decoded, with pandas' message, and Arrow parses it once, not twice."""
    from policycheck import csvtables, tables
    from policycheck.model import PLAN

    calls = []
    real = csvcells.arrow_columns
    monkeypatch.setattr(csvcells, "arrow_columns",
                        lambda data, sep: calls.append(sep) or real(data, sep))
    path = tmp_path / "plans.csv"
    path.write_bytes(b"id,name\np1,a,extra\n")
    out = tables.TableFrames()
    csvtables.read_csv(path, "plans.csv", PLAN, out)
    assert calls == [","]
    assert [p.message for p in out.problems] == [
        "malformed CSV: this row has 3 cells but the header has 2; expected one cell per "
        "column (quote a cell that contains a comma)"]
