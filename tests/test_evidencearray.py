"""The evidence column held by column (policycheck.evidencearray): every row reads as the
mapping it stands for, pandas operations keep it, and the JSON it encodes is the same as the
mappings'."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.evidencearray import Block, EvidenceArray, EvidenceDtype, block, compact, indented
from policycheck.formats.cells import compact_json
from policycheck.formats.jsontext import evidence_texts
from policycheck.wording import evidence_codes, json_values


def _array() -> EvidenceArray:
    shares = np.array([0.5, 0.25, 0.5, -0.0])
    kpis = np.array(["aht;fcr", "", "aht;fcr", None], dtype=object)
    first = block(["share", "kpis"], [evidence_codes(shares), evidence_codes(kpis, True)],
                  [False, True])
    second = block([], [], [])
    return EvidenceArray((first, second), np.array([0, 1, 0, 0, 1, 0]),
                         np.array([0, 0, 1, 2, 1, 3]))


def test_each_row_reads_as_its_own_mapping() -> None:
    column = pd.Series(_array())
    assert isinstance(column.dtype, EvidenceDtype)
    assert column.tolist() == [{"share": 0.5, "kpis": ["aht", "fcr"]}, {},
                               {"share": 0.25, "kpis": []}, {"share": 0.5, "kpis": ["aht", "fcr"]},
                               {}, {"share": -0.0, "kpis": []}]
    assert math.copysign(1, column[5]["share"]) == -1  # -0.0 is not merged with 0.0
    first = column[0]
    first["kpis"].append("csat")  # a consumer changes its copy, not the column
    assert column[0] == {"share": 0.5, "kpis": ["aht", "fcr"]}
    assert column[0]["kpis"] is not column[3]["kpis"]
    rows = column.tolist()
    assert rows[1] is not rows[4]  # an empty mapping too is each row's own


def test_pandas_operations_keep_the_rows() -> None:
    column = pd.Series(_array())
    expected = column.tolist()
    assert column.iloc[2:4].tolist() == expected[2:4]
    assert column[column.index % 2 == 0].tolist() == expected[0::2]
    assert column.take([5, 0]).tolist() == [expected[5], expected[0]]
    frame = pd.DataFrame({"evidence": column})
    assert frame.reindex([0, 9])["evidence"].tolist() == [expected[0], None]
    assert frame.astype(object)["evidence"].tolist() == expected
    assert frame.to_dict("records")[1] == {"evidence": {}}
    both = pd.concat([frame, frame], ignore_index=True)["evidence"]
    assert isinstance(both.dtype, EvidenceDtype) and both.tolist() == expected * 2
    mixed = pd.concat([frame, pd.DataFrame({"evidence": [{"x": 1}]}, dtype=object)],
                      ignore_index=True)["evidence"]
    assert mixed.tolist() == [*expected, {"x": 1}]
    assert column.map(len).tolist() == [2, 0, 2, 2, 0, 2]
    assert (column == {}).tolist() == [False, True, False, False, True, False]
    assert column.isna().sum() == 0 and column.copy().tolist() == expected


def test_a_sequence_of_mappings_becomes_a_column() -> None:
    mappings = [{"a": 1}, None, {"b": [1, 2]}]
    column = pd.Series(mappings, dtype=EvidenceDtype())
    assert column.tolist() == mappings and column.isna().tolist() == [False, True, False]
    assert column.array.texts(indented("  ", b""), {}) is None  # from the mappings instead


def test_json_text_of_a_block_is_the_mappings_text() -> None:
    array = _array()
    expected = evidence_texts(array.tolist(), "      ", b'"evidence": ')
    memo: dict[int, Any] = {}
    assert array.texts(indented("      ", b'"evidence": '), memo).to_pylist() == expected
    assert len(memo) == 2  # each rule's values encoded once, and kept for the next piece
    assert array[1:4].texts(indented("      ", b'"evidence": '), memo).to_pylist() == \
        expected[1:4]
    assert array.texts(compact(), {}).to_pylist() == compact_json(array.tolist()) == [
        '{"share":0.5,"kpis":["aht","fcr"]}', "{}", '{"share":0.25,"kpis":[]}',
        '{"share":0.5,"kpis":["aht","fcr"]}', "{}", '{"share":-0.0,"kpis":[]}']


_FLOATS = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=60, deadline=None)
@given(floats=st.lists(_FLOATS, min_size=1, max_size=12),
       texts=st.lists(st.one_of(st.none(), st.text(max_size=6)), min_size=1, max_size=12),
       flags=st.lists(st.booleans(), min_size=1, max_size=12),
       order=st.randoms(use_true_random=False))
def test_any_evidence_reads_and_encodes_as_its_plain_values(
        floats: list[float], texts: list[str | None], flags: list[bool], order: Any) -> None:
    """Whatever the values (NaN, infinities, -0.0, control characters, missing text, lists
    held ``;``-joined), each row is the mapping of json_values, and its JSON is the
    mapping's."""
    n = min(len(floats), len(texts), len(flags))
    columns = {"share": np.array(floats[:n]), "name": np.array(texts[:n], dtype=object),
               "flag": np.array(flags[:n]),
               "kpis": np.array([t.replace(";", "") + ";x" if t else t for t in texts[:n]],
                                dtype=object)}
    lists = [False, False, False, True]
    evidence = block(list(columns), [evidence_codes(v, is_list) for v, is_list in
                                     zip(columns.values(), lists, strict=True)], lists)
    rows = list(range(n))
    order.shuffle(rows)
    array = EvidenceArray((evidence,), np.zeros(n), np.array(rows))
    plain = {k: json_values(v, is_list).tolist()
             for (k, v), is_list in zip(columns.items(), lists, strict=True)}
    expected = [{k: plain[k][r] for k in columns} for r in rows]
    got = array.tolist()
    assert [{k: v for k, v in e.items() if k != "share"} for e in got] == \
        [{k: v for k, v in e.items() if k != "share"} for e in expected]
    assert [repr(e["share"]) for e in got] == [repr(e["share"]) for e in expected]
    assert array.texts(indented("    ", b""), {}).to_pylist() == evidence_texts(expected, "    ")
    assert array.texts(compact(), {}).to_pylist() == compact_json(expected)


def test_missing_evidence_rows_and_wrong_fill_values() -> None:
    array = _array()
    taken = array.take([0, -1], allow_fill=True)
    assert taken.tolist() == [array[0], None] and taken.texts(indented("", b""), {}) is None
    with pytest.raises(ValueError, match="missing values only"):
        array.take([0, -1], allow_fill=True, fill_value={"x": 1})
    assert Block.of_mappings([]).mappings(np.arange(0)) == []
    assert len(EvidenceArray((), [], [])) == 0
    assert EvidenceArray((), [], []).tolist() == []


def test_huge_numbers_keep_their_value() -> None:
    """Rounding to 6 places multiplies by a million first: past 1e15 that is skipped, so a
    huge evidence number is written as it is, not as an infinity; an infinity is no JSON
    number (json.dumps wrote Infinity, which strict parsers refuse): null."""
    values = np.array([1.797693134862316e302, -3.5e20, 0.1234567891, np.inf, -np.inf])
    assert json_values(values).tolist() == [1.797693134862316e302, -3.5e20, 0.123457, None,
                                            None]
