"""Messages (policycheck.wording): each rule's messages made once per distinct combination
of its placeholders' texts, and every rule's messages taken at once in the findings' order."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.wording import Messages, format_messages, join_messages, plain_number


def _joined(messages: list[Messages], rows: list[np.ndarray]) -> list[str]:
    return join_messages(messages, rows).to_pylist()


def test_rules_with_different_templates_are_joined_in_the_order_asked() -> None:
    share = format_messages([("Variable pay is ", "share", "%"), (" of target", "", "")],
                            {"share": np.array([0.5, np.nan, 0.25])}, 3)
    named = format_messages([("KPI ", "kpi", ""), (" weighs ", "weight", "%1"),
                             (" on {{its}} own", "", "")],
                            {"kpi": np.array(["AHT;FCR", None], dtype=object),
                             "weight": np.array([0.125, 1.0])}, 2, lists=frozenset({"kpi"}))
    # a text that is no list keeps its ';' (a name may hold one)
    assert format_messages([("", "kpi", "")], {"kpi": np.array(["A; B"], dtype=object)},
                           1).distinct.to_pylist() == ["A; B"]
    fixed = format_messages([("No gate", "", "")], {}, 1)
    rows = [np.array([4, 0, 2]), np.array([1, 5]), np.array([3])]
    assert _joined([share, named, fixed], rows) == [
        "Variable pay is n/a of target", "KPI AHT, FCR weighs 12.5% on {its} own",
        "Variable pay is 25% of target", "No gate", "Variable pay is 50% of target",
        "KPI n/a weighs 100.0% on {its} own"]


@pytest.mark.parametrize(("values", "spec", "expected"), [
    (np.array([True, False]), "", ["is yes", "is no"]),
    (np.array([3, 3]), "", ["is 3", "is 3"]),
    (np.array([1234567.4, -0.0]), "money", ["is 1,234,567", "is -0"]),
    (np.array([2.25, np.nan]), "x", ["is 2.25×", "is n/a"]),
    (np.array([1.5, 2.0, 6.333, 1.004]), "x", ["is 1.5×", "is 2.0×", "is 6.33×", "is 1.0×"]),
    (np.array(["2026-01-31", "NaT"], dtype="datetime64[ns]"), "", ["is 2026-01-31",
                                                                   "is n/a"]),
    (np.array([{"a": 1}, None], dtype=object), "", ["is {'a': 1}", "is n/a"]),
])
def test_each_kind_of_value_reads_as_before(values: np.ndarray, spec: str,
                                            expected: list[str]) -> None:
    messages = format_messages([("is ", "v", spec)], {"v": values}, len(values))
    assert _joined([messages], [np.arange(len(values))]) == expected


_TEXTS = st.text(alphabet="ab{}; ", max_size=4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(_TEXTS, min_size=1, max_size=3),
                          st.lists(st.one_of(st.none(), st.floats(-5, 5, width=16)),
                                   min_size=1, max_size=6)),
                min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_joined_messages_equal_each_row_formatted_alone(
        rules: list[tuple[list[str], list[float | None]]], random: object) -> None:
    messages: list[Messages] = []
    expected: list[str] = []
    for literals, numbers in rules:
        values = np.array([np.nan if v is None else v for v in numbers])
        template = [(literal, "v", "n") for literal in literals[:-1]] + [(literals[-1], "", "")]
        literal_texts = [t.replace("{{", "{").replace("}}", "}") for t in literals]
        messages.append(format_messages(template, {"v": values}, len(values)))
        expected += ["".join(t + ("n/a" if v != v else plain_number(v)) for t in literal_texts[:-1])
                     + literal_texts[-1] for v in values.tolist()]
    order = list(range(len(expected)))
    random.shuffle(order)  # type: ignore[attr-defined]
    position = np.array(order)
    starts = np.cumsum([0] + [len(n) for _, n in rules])
    rows = [position[a:b] for a, b in itertools.pairwise(starts)]
    joined = _joined(messages, rows)
    assert [joined[p] for p in order] == expected


def test_percentages_and_money_round_halves_up() -> None:
    """Python's formats round a half to even: "12%" for 0.125, "1,012" for 1,012.5."""
    from policycheck.wording import money_text, percent_text

    assert [percent_text(v) for v in (0.125, 0.145, 0.135, 2 / 3, 1.0, 0.0, 1.5)] == [
        "13%", "15%", "14%", "67%", "100%", "0%", "150%"]
    assert percent_text(0.0625, 1) == "6.3%"
    assert [money_text(v) for v in (1012.5, 1013.5, 2.5, -2.5, 1234567.0)] == [
        "1,013", "1,014", "3", "-3", "1,234,567"]


@given(st.floats(min_value=0, max_value=1, allow_subnormal=False))
def test_a_share_short_of_all_never_reads_100_nor_one_above_none_0(share: float) -> None:
    """"249 of 250 people (100%)" and "alone carries 100%" beside a 0.4 % measure: a share
    that is not all reads below 100 %, one that is not none above 0 %."""
    from policycheck.wording import percent_text

    text = percent_text(share)
    assert (text == "100%") == (share == 1)
    assert (text == "0%") == (share == 0)
    if 0 < share < 1:
        number = text.strip("<>%")
        assert 0 < float(number) < 100


def test_a_plain_number_is_never_in_scientific_notation() -> None:
    """`{x:n}` wrote 123,456,789,012 as "1.23457e+11" and a million billion as "1e+15"."""
    from policycheck.wording import plain_number

    assert [plain_number(v) for v in (3.0, 0.75, 123456789012.0, 1e15, 99999.5, -2e7)] == [
        "3", "0.75", "123456789012", "1000000000000000", "99999.5", "-20000000"]
