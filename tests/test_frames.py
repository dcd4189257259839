"""Frames: codes of fields and of the combinations that row-wise expressions read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.codes import among, compact, distinct_rows
from policycheck.frames import Frames
from policycheck.validation import load_model


def _groups(codes: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(codes == c).tolist()) for c in np.unique(codes)}


@pytest.mark.parametrize("widths", [(3, 5), (2, 2, 2), (300, 2), (40_000, 3)])
def test_distinct_rows_groups_rows_of_equal_values(widths: tuple[int, ...]) -> None:
    rng = np.random.default_rng(7)
    size = 200_000
    # few combinations actually occur, even where the codes' range is wide
    picks = rng.integers(0, 50, size)
    columns = [compact(rng.integers(-1, w - 1, 50)[picks], w) for w in widths]
    found = distinct_rows(list(columns), size)
    assert found is not None
    combined, rows = found
    expected = np.unique(np.stack(columns).T, axis=0, return_inverse=True)[1].ravel()
    assert _groups(combined[:2000]) == _groups(expected[:2000])
    assert len(rows) == len(np.unique(expected))
    for column in columns:  # a representative row reads the values of every row it stands for
        assert np.array_equal(column[rows][combined], column)


def test_distinct_rows_gives_up_on_varied_columns() -> None:
    ids = compact(np.arange(1000), 1000)
    assert distinct_rows([compact(np.zeros(1000, np.int64), 1), ids], 1000) is None
    assert distinct_rows([None], 10) is None


def test_compact_picks_the_smallest_type() -> None:
    assert compact(np.array([-1, 126]), 127).dtype == np.int8
    assert compact(np.array([-1, 127]), 128).dtype == np.int16
    assert compact(np.array([0, 70_000]), 70_001).dtype == np.int32


@pytest.fixture(scope="module")
def sample_frames() -> Frames:
    model = load_model([Path(__file__).parent.parent / "sample_data" / "yaml"])
    return Frames(model.frames)


@pytest.mark.parametrize("name", ["kpi.name", "kpi.category", "plan.role_kind", "plan.base_pay",
                                  "weight", "basis", "id"])
def test_column_at_reads_the_rows_of_the_whole_column(sample_frames: Frames, name: str) -> None:
    """The rows of a KPI's or plan's field are read from its own column, the same values."""
    rows = np.array([5, 0, 3, 3, 17])
    fresh = Frames(sample_frames.frames)  # before any whole column is built
    part = fresh.column_at("component", name, rows)
    whole = sample_frames.column("component", name)
    assert part.dtype == whole.dtype and not part.flags.writeable
    assert pd.Series(part).equals(pd.Series(whole[rows]))


_COMPONENT_FIELDS = ["kpi.name", "kpi.category", "kpi.pressure", "plan.role_kind",
                     "plan.base_pay", "weight", "basis", "curve", "param.x"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.sets(st.sampled_from(_COMPONENT_FIELDS), max_size=5), min_size=1,
                max_size=6))
def test_distinct_shares_prefixes_and_gives_what_distinct_rows_gives(
        sample_frames: Frames, asked: list[set[str]]) -> None:
    """Asked for several sets of fields in any order, ``Frames.distinct`` builds each
    from the combinations of the fields before its last (kept once per run), and gives
    what combining every field of the set at once gives: the same codes, the same rows,
    or None where that is None."""
    frames = Frames(sample_frames.frames)
    size = len(frames.entity("component"))
    for names in asked:
        found = frames.distinct("component", frozenset(names))
        fresh = Frames(sample_frames.frames)
        expected = distinct_rows([fresh.value_codes("component", n) for n in sorted(names)
                                  if not n.startswith("param.")], size)
        if expected is None:
            assert found is None
        else:
            assert found is not None
            assert np.array_equal(found[0], expected[0]) and found[0].dtype == expected[0].dtype
            assert np.array_equal(found[1], expected[1])


@settings(max_examples=100, deadline=None, derandomize=True)
@given(values=st.lists(st.sampled_from(["a", "b", "é", "", None]), max_size=20),
       wanted=st.lists(st.sampled_from(["a", "é", "z", None]), max_size=6))
def test_among_is_isin(values: list[str | None], wanted: list[str | None]) -> None:
    """Membership by hashing objects, as pandas' isin of the same Arrow text columns."""
    column, looked = pd.Series(values, dtype="str"), pd.Series(wanted, dtype="str")
    assert among(column, looked).tolist() == column.isin(looked).tolist()
    assert among(column, pd.Index(looked)).tolist() == column.isin(looked).tolist()
    assert among(column.astype(object), looked).tolist() == column.isin(looked).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "é", None]), max_size=12),
       st.lists(st.sampled_from(["a", "b", "c", "d", "é", None]), max_size=6, unique=True))
def test_positions_and_distinct_are_get_indexer_and_is_unique(
        values: list[str | None], among_: list[str | None]) -> None:
    """Where each value is among distinct ones, as pandas' get_indexer of the same Arrow
    text, by Arrow or by Python objects; whether a column has no value twice."""
    from policycheck.codes import distinct, positions

    column, looked = pd.Series(values, dtype="str"), pd.Series(among_, dtype="str")
    expected = pd.Index(looked.astype(object)).get_indexer(column.astype(object)).tolist()
    assert positions(column, looked).tolist() == expected
    assert positions(column.astype(object), looked).tolist() == expected
    for series in (column, column.astype(object)):
        assert distinct(series) == series.is_unique


def test_per_distinct_works_each_value_once_and_missing_only_if_there_is_one() -> None:
    from policycheck.codes import group_firsts, per_distinct

    seen: list[object] = []
    column = pd.Series(["b", "a", "b", "b"], dtype="str")
    assert per_distinct(column, lambda v: seen.append(v) or v.upper()).tolist() == [
        "B", "A", "B", "B"]
    assert seen == ["b", "a"]  # each once; no None: nothing is missing
    assert per_distinct(pd.Series([2.0, None, 2.0]), lambda v: v).tolist()[1] is None
    assert per_distinct(pd.Series([], dtype="str"), str).tolist() == []
    groups = np.array([1, 0, 1, 0, 2])
    order = np.lexsort((np.array([5, 4, 3, 2, 1]), groups))  # by group, then the key
    assert group_firsts(order, groups).tolist() == [3, 2, 4]


def test_per_distinct_typed_writes_equal_values_of_other_types_or_signs_apart() -> None:
    """1, 1.0 and True, or 0.0 and -0.0, are equal keys but are written differently; each
    distinct value is written once; a list among them is written on its own."""
    import json

    from policycheck.codes import per_distinct_typed

    written: list[object] = []

    def dumps(value: object) -> str:
        written.append(value)
        return json.dumps(value)

    values = [0.0, -0.0, 1, 1.0, True, None] * 20  # enough values to be worked per value
    assert per_distinct_typed(values, dumps)[:6] == ["0.0", "-0.0", "1", "1.0", "true",
                                                     "null"]
    assert len(written) == 6
    assert per_distinct_typed([*values, [1]], json.dumps)[-3:] == ["true", "null", "[1]"]


@settings(max_examples=200, deadline=None)
@given(codes=st.lists(st.integers(-1, 6), max_size=60), extra=st.integers(0, 2))
def test_rows_by_code_gives_each_codes_rows_in_order(codes: list[int], extra: int) -> None:
    """The rows of each code, in their order, from one sort; a row of code -1 is in none,
    and a code no row has has no rows."""
    from policycheck.codes import rows_by_code

    array = np.array(codes, dtype=np.int64)
    count = max(codes, default=-1) + 1 + extra
    order, bounds = rows_by_code(array, count)
    for code in range(count):
        rows = order[bounds[code]:bounds[code + 1]]
        assert rows.tolist() == np.flatnonzero(array == code).tolist()
