"""Typing raw values (policycheck/parsing.py with numberparsing.py, dateparsing.py,
parsedcolumn.py and codedcolumns.py; numberhints.py for numbers written for reading) and the
frames normalise.py builds from them.

One set of rules for YAML values and table cells: each parser is tested on a column mixing
both, then the messages are tested end to end, as the CLI prints them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.codedcolumns import as_objects, with_default
from policycheck.dateparsing import parse_date
from policycheck.errors import number_text, quote
from policycheck.model import COMPONENT, GATE, PLAN
from policycheck.numberhints import written_date_hint
from policycheck.numberparsing import parse_int, parse_num, parse_share, parse_weight
from policycheck.parsing import (
    PARSERS,
    TEXT_KINDS,
    parse_applies,
    parse_bool,
    parse_column,
    parse_enum,
    parse_list,
    parse_str,
)
from policycheck.validation import load_model

Problems = Callable[[dict[str, str | bytes]], list[str]]
Inputs = Callable[[dict[str, str | bytes]], Path]


def column(*values: Any) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def plain(values: pd.Series) -> list[Any]:
    """Missing values of any kind as None, so lists compare simply."""
    return [None if v is None or v is pd.NA or v is pd.NaT or
            (isinstance(v, float) and np.isnan(v)) else v for v in values.tolist()]


# --- weights ----------------------------------------------------------------------------

WEIGHT = COMPONENT.field("weight")


@pytest.mark.parametrize("value, points", [
    ("50%", 5000), (0.5, 5000), ("0.5", 5000), (" 50 % ", 5000), (1, 10_000), ("100%", 10_000),
    (0, 0), ("0%", 0), (0.333, 3330), ("33.33%", 3333), (1 / 3, 3333), ("0.3333", 3333),
    ("12.5%", 1250), (0.125, 1250), ("0.01%", 1), (0.00004, 0),
])
def test_weight_to_basis_points(value: Any, points: int) -> None:
    parsed = parse_weight(column(value), WEIGHT)
    assert not parsed.bad.any()
    assert parsed.values.tolist() == [points]
    assert str(parsed.values.dtype) == "Int64"


@pytest.mark.parametrize("value, hint", [
    # a number from 2 to 100 is most likely a percent without its sign
    (50, "; did you mean '50%'?"), ("50", "; did you mean '50%'?"), (60, "; did you mean '60%'?"),
    (2, "; did you mean '2%'?"), ("2", "; did you mean '2%'?"), (100, "; did you mean '100%'?"),
    (12.5, "; did you mean '12.5%'?"), ("33.3", "; did you mean '33.3%'?"),
    # below 2 a multiple (150%) or a slip (15%) more likely than a percent: not '1.5%'
    (1.5, "; 1.5 is 150%, more than 100%"), ("1.5", "; 1.5 is 150%, more than 100%"),
    (1.25, "; 1.25 is 125%, more than 100%"), (1.999, "; 1.999 is 199.9%, more than 100%"),
    # past 100 no percent is a share either: the range expected says it all
    (150, ""), ("150", ""), (100.5, ""), (1_000_000, ""),
    ("150%", ""), (-0.1, ""), ("-5%", ""), ("half", ""), ("", ""),
    (True, "; yes/no and true/false are not numbers"),
    ("NaN", "; NaN and infinity are not allowed"), (float("inf"), "; NaN and infinity are "
                                                    "not allowed"),
])
def test_bad_weights(value: Any, hint: str) -> None:
    parsed = parse_weight(column(value), WEIGHT)
    if value == "":  # an empty string is text, not a number
        assert parsed.bad.tolist() == [True]
        return
    assert parsed.bad.tolist() == [True]
    assert plain(parsed.values) == [None]
    assert parsed.hints is not None and parsed.hints.tolist() == [hint]


@pytest.mark.parametrize("text, hint", [
    ("0,4", "; write a decimal point: '0.4'"),
    ("-1,25", "; write a decimal point: '-1.25'"),
    ("32,000", "; write a decimal point and no thousands separators: '32000' or '32'"),
    ("1,234,567.89", "; write it without thousands separators: '1234567.89'"),
    ("1.234.567,89", "; write it without thousands separators: '1234567.89'"),
    ("3 200", "; write it without thousands separators: '3200'"),
    ("1'000", "; write it without thousands separators: '1000'"),
    ("€32,000", "; without the currency, write a decimal point and no thousands separators: "
              "'32000' or '32'"),
    ("12,34,567", ""), ("1.234,5.6", ""), ("about 5", ""),
])
def test_numbers_formatted_for_reading_say_how_to_write_them(text: str, hint: str) -> None:
    """A spreadsheet exports a cell as shown: grouped thousands, or a decimal comma."""
    parsed = parse_num(column(text), PLAN.field("base_pay"))
    assert parsed.bad.tolist() == [True]
    assert parsed.hints is not None and parsed.hints.tolist() == [hint]


@pytest.mark.parametrize("text, hint", [
    ("32.000", "'32000', or '32'"), ("3.200", "'3200', or '3.2'"),
    ("-45.500", "'-45500', or '-45.5'"),
])
def test_an_amount_grouped_by_dots_is_refused_with_both_readings(text: str, hint: str) -> None:
    """Excel writes 32,000 as '32.000' where the decimal mark is a comma (a semicolon-
    separated export): read as a number it was 32, a thousand times less, without a word."""
    for field in (PLAN.field("base_pay"), PLAN.field("target_variable")):
        parsed = parse_num(column(text), field)
        assert parsed.bad.tolist() == [True]
        assert parsed.hints is not None and parsed.hints.tolist() == [
            f"; a dot groups thousands where the decimal mark is a comma: write {hint} if "
            "that is meant"]


@pytest.mark.parametrize("spec, text", [
    (PLAN.field("base_pay"), "0.500"), (PLAN.field("base_pay"), "32000.5"),
    (PLAN.field("base_pay"), "1234.567"), (COMPONENT.field("target"), "1.250"),
])
def test_other_numbers_with_three_decimals_are_read(spec: Any, text: str) -> None:
    """Only an amount, and only digits grouped in threes from the first, are refused: a
    target of 1.250 (seconds, a rate) is a number with a decimal point."""
    parsed = parse_num(column(text), spec)
    assert parsed.bad.tolist() == [False]
    assert parsed.values.tolist() == [float(text)]


@pytest.mark.parametrize("spec, text, hint", [
    (COMPONENT.field("cap"), "150%", "; write it as a multiple: '1.5'"),
    (COMPONENT.field("target"), "85 %", "; write it without the percent sign: '85' (a percent "
                                        "measure is written 0-100)"),
    (GATE.field("reduce_pct"), "50%", "; write it without the percent sign: '50'"),
    (GATE.field("min"), "12,5%", "; write it without the percent sign: '12.5' (a percent "
                                 "measure is written 0-100)"),
    (PLAN.field("base_pay"), "85%", ""),
])
def test_a_percent_in_a_number_field_says_how_that_field_is_written(
        spec: Any, text: str, hint: str) -> None:
    """Pay plans speak of a cap of 150% and a target of 85%: each number field that could
    be meant so says how it is written (a multiple, or a number on a scale of 100)."""
    parsed = parse_num(column(text), spec)
    assert parsed.bad.tolist() == [True]
    assert parsed.hints is not None and parsed.hints.tolist() == [hint]


def test_a_decimal_comma_in_a_weight_says_how_to_write_it(problems: Problems) -> None:
    assert problems({"plans.csv": "id;role_kind;base_pay;target_variable\np1;service;1;0\n",
                     "components.csv": "plan_id;id;kpi;weight\np1;c1;aht;0,4\n"}) == [
        "components.csv:2: error: plan 'p1', component 'c1': weight: got '0,4', expected a "
        "fraction between 0 and 1 or a percent like '50%'; write a decimal point: '0.4' "
        "[invalid-value]"]


@pytest.mark.parametrize("text, hint", [
    ("45,5%", "; write a decimal point: '45.5%'"),
    ("45,5 %", "; write a decimal point: '45.5%'"),
    ("0,45", "; write a decimal point: '0.45'"),
    ("1.000,5%", "; write it without thousands separators: '1000.5%'"),
    ("about 45%", ""),
])
def test_a_decimal_comma_in_a_percent_says_how_to_write_it(text: str, hint: str) -> None:
    """A continental spreadsheet writes 45,5 % for 45.5 %: the hint keeps the percent."""
    parsed = parse_weight(column(text), WEIGHT)
    assert parsed.bad.tolist() == [True]
    assert parsed.hints is not None and parsed.hints.tolist() == [hint]


def test_a_number_field_suggests_no_percent() -> None:
    """Only shares take a percent: a number field's hint does not offer one."""
    parsed = parse_num(column("45,5%"), PLAN.field("base_pay"))
    assert parsed.bad.tolist() == [True]
    assert parsed.hints is not None and parsed.hints.tolist() == [""]


def test_missing_weight_is_not_bad() -> None:
    parsed = parse_weight(column(None), WEIGHT)
    assert parsed.bad.tolist() == [False]
    assert plain(parsed.values) == [None]


def test_share_is_a_fraction() -> None:
    parsed = parse_share(column("30%", 0.3, "0.3", 1, 0, 30, None), PLAN.field("deferral_share"))
    assert plain(parsed.values) == [0.3, 0.3, 0.3, 1.0, 0.0, None, None]
    assert parsed.bad.tolist() == [False] * 5 + [True, False]


def test_bare_fifty_suggests_percent(problems: Problems) -> None:
    assert problems({"components.csv": "plan_id,kpi,weight\np1,fcr,50\np1,csat,50%\n",
                     "plans.csv": "id,role_kind,base_pay,target_variable\np1,sales,1,10\n"}) == [
        "components.csv:2: error: plan 'p1', component 'fcr': weight: got '50', expected a "
        "fraction between 0 and 1 or a percent like '50%'; did you mean '50%'? "
        "[invalid-value]"]


def test_weights_on_a_threshold_sum_exactly(inputs: Inputs) -> None:
    """0.1 + 0.2 + 0.7 is not 1.0 in floating point; in basis points it is 10,000."""
    inputs({"a.yaml": "plan:\n  id: p\n  role_kind: service\n  base_pay: 1\n"
                      "  target_variable: 10\n  components:\n"
                      "    - {kpi: fcr, weight: 0.1}\n    - {kpi: csat, weight: 0.2}\n"
                      "    - {kpi: qa_score, weight: 0.7}\n"})
    model = load_model(["."])
    assert model.ok
    assert model.frames["components"]["weight"].sum() == 10_000


# --- other kinds ------------------------------------------------------------------------

def test_booleans() -> None:
    parsed = parse_bool(column("yes", "no", "true", "false", "Y", "N", "1", "0", "TRUE", " No ",
                               True, False, 1, 0, None, "maybe", 2),
                        PLAN.field("customer_facing"))
    assert plain(parsed.values) == [True, False, True, False, True, False, True, False, True,
                                    False, True, False, True, False, None, None, None]
    assert parsed.bad.tolist() == [False] * 15 + [True, True]


def test_booleans_as_other_spreadsheets_export_them() -> None:
    """A German Excel exports TRUE as WAHR, a French one FALSE as FAUX: 'expected true or
    false' said nothing of what is read."""
    parsed = parse_bool(column("WAHR", "FALSCH", "Vrai", "faux", "on", "OFF", "1.0", "0.0",
                               "oui"), PLAN.field("customer_facing"))
    assert plain(parsed.values) == [True, False, True, False, True, False, True, False, None]
    assert parsed.bad.tolist() == [False] * 8 + [True]
    assert parsed.expected == "true or false (or yes/no, y/n, 1/0, on/off)"


def test_dates() -> None:
    parsed = parse_date(column("2027-01-01", dt.date(2027, 1, 2), dt.datetime(2027, 1, 3),
                               None, "2027-13-01", "01/02/2027", "2027-02-30", 20270101, True),
                        PLAN.field("effective_from"))
    assert plain(parsed.values)[:4] == [pd.Timestamp("2027-01-01"), pd.Timestamp("2027-01-02"),
                                        pd.Timestamp("2027-01-03"), None]
    assert parsed.bad.tolist() == [False] * 4 + [True] * 5
    assert str(parsed.values.dtype) == "datetime64[ns]"


def test_numbers() -> None:
    parsed = parse_num(column("1e3", " 12 ", "-5", 7, 2.5, None, "NaN", "inf", float("nan"),
                              "1,000", "12 EUR", dt.date(2027, 1, 1), False, [1]),
                       PLAN.field("base_pay"))
    assert plain(parsed.values) == [1000.0, 12.0, -5.0, 7.0, 2.5] + [None] * 9
    # A float NaN is a missing value to pandas: YAML's `.nan` reaches the parsers as the
    # text '.nan' (documents.py) so that it is reported, not taken for a gap.
    assert parsed.bad.tolist() == [False] * 6 + [True, True, False] + [True] * 5



def test_a_float_is_read_as_it_is_among_whole_numbers() -> None:
    """-0.0 keeps its sign (as a value shown in a report), whatever the cells around it."""
    parsed = parse_num(column(1, -0.0, 2), PLAN.field("base_pay"))
    assert np.copysign(1.0, parsed.values.to_numpy()).tolist() == [1.0, -1.0, 1.0]

def test_whole_numbers() -> None:
    parsed = parse_int(column("12", 12.0, 12, "1e3", 12.5, "x", True, None),
                       PLAN.field("headcount"))
    assert plain(parsed.values) == [12, 12, 12, 1000, None, None, None, None]
    assert parsed.bad.tolist() == [False] * 4 + [True] * 3 + [False]
    assert str(parsed.values.dtype) == "Int64"


def test_enums_ignore_case_and_spaces() -> None:
    parsed = parse_enum(column("Service", " sales ", "servise", 3, None), PLAN.field("role_kind"))
    assert plain(parsed.values) == ["service", "sales", None, None, None]
    assert parsed.bad.tolist() == [False, False, True, True, False]
    assert parsed.hints is not None
    assert parsed.hints.tolist()[2] == "; did you mean 'service'?"


def test_text_is_stripped_and_blank_is_missing() -> None:
    parsed = parse_str(column("a", " b ", "", "  ", 5, 1.5, dt.date(2027, 1, 1), None, True,
                              {"a": 1}, ["x"]), PLAN.field("name"))
    assert plain(parsed.values) == ["a", "b", None, None, "5", "1.5", "2027-01-01", None,
                                    None, None, None]
    assert parsed.bad.tolist() == [False] * 8 + [True] * 3


def test_lists_from_text_and_yaml() -> None:
    parsed = parse_list(column("a;b", " a ; b ;; c ", ["x", "y"], [], "", None, [["n"]], 5),
                        PLAN.field("duties"))
    assert plain(parsed.values) == ["a;b", "a;b;c", "x;y", None, None, None, None, None]
    assert parsed.bad.tolist() == [False] * 6 + [True, True]


def test_list_with_choices() -> None:
    parsed = parse_list(column("rework;mis_sale", ["rework", "missale"]),
                        PLAN.field("clawback_triggers"))
    assert parsed.bad.tolist() == [False, True]
    assert parsed.hints is not None
    assert parsed.hints.tolist()[1] == " ('missale' is not one; did you mean 'mis_sale'?)"


def test_applies_to() -> None:
    parsed = parse_applies(column("all", "ALL", "a;b", ["a"], None), GATE.field("applies_to"))
    assert plain(parsed.values) == ["all", "all", "a;b", "a", None]
    assert not parsed.bad.any()


# --- curve points and rates -------------------------------------------------------------

def test_curve_points_and_rates_from_tables_and_yaml(inputs: Inputs) -> None:
    inputs({
        "plans.csv": "id,role_kind,base_pay,target_variable\nt,sales,1,10\n",
        "components.csv": "plan_id,id,kpi,weight,curve_points,rates\n"
                          "t,c,revenue,100%,80:0; 100:100 ;120:150,gold=120;silver = 80.5\n",
        "y.yaml": "plan:\n  id: y\n  role_kind: sales\n  base_pay: 1\n  target_variable: 10\n"
                  "  components:\n    - id: c\n      kpi: revenue\n      weight: 100%\n"
                  "      curve_points: [[80, 0], [100, 100], [120, 150]]\n"
                  "      rates: {silver: 80.5, gold: 120}\n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    points = model.frames["curve_points"]
    assert points[["plan_id", "seq", "attainment", "payout"]].values.tolist() == [
        ["t", 0, 80.0, 0.0], ["t", 1, 100.0, 100.0], ["t", 2, 120.0, 150.0],
        ["y", 0, 80.0, 0.0], ["y", 1, 100.0, 100.0], ["y", 2, 120.0, 150.0]]
    rates = model.frames["rates"]
    assert rates[["plan_id", "product", "amount"]].values.tolist() == [
        ["t", "gold", 120.0], ["t", "silver", 80.5], ["y", "gold", 120.0], ["y", "silver", 80.5]]


def test_yaml_values_are_read_as_written_whatever_other_records_leave_out(
        inputs: Inputs) -> None:
    """A record without a key (a plan with no owner) leaves the others' values as YAML
    wrote them: a whole number stays whole (an owner of 4501 is '4501', not '4501.0'), a
    large one keeps every digit, a date-time at midnight is its day."""
    inputs({"a.yaml": (
        "plans:\n"
        "  - {id: p1, role_kind: sales, base_pay: 1, target_variable: 10, owner: 4501,\n"
        "     name: 12345678901234567891, effective_from: 2027-01-01 00:00:00,\n"
        "     components: [{id: c, kpi: revenue, weight: 100%}]}\n"
        "  - {id: p2, role_kind: sales, base_pay: 1, target_variable: 10,\n"
        "     components: [{id: c, kpi: revenue, weight: 100%}]}\n")})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    plans = model.frames["plans"].set_index("plan_id")
    assert plans.loc["p1", ["owner", "name"]].tolist() == ["4501", "12345678901234567891"]
    assert plans.loc["p1", "effective_from"] == pd.Timestamp("2027-01-01")
    assert plans.loc["p2", ["owner", "name"]].isna().all()


def test_a_yaml_truth_value_where_text_is_expected_says_to_quote_it(
        problems: Problems) -> None:
    """YAML reads an unquoted NO (a country code) or yes as a truth value: text fields,
    ids, list items and a plan's id say so and how to write the text, where they said
    only "got false"."""
    hint = ("; a truth value is not text (YAML reads an unquoted yes, no, on, off, true or "
            "false as one: put the text in quotes)")
    assert problems({"a.yaml": (
        "plans:\n"
        "  - {id: p1, role_kind: sales, base_pay: 1, target_variable: 10, owner: NO,\n"
        "     duties: [suitable_sale, no], components: [{id: yes, kpi: revenue, weight: 1}],\n"
        "     gates: [{id: g, kpi: csat, min: 80, applies_to: [on]}]}\n"
        "  - {id: off, role_kind: sales, base_pay: 1, target_variable: 10,\n"
        "     components: [{id: c, kpi: revenue, weight: 1}]}\n")}) == [
        f"a.yaml:2:66: error: plan 'p1': owner: got false, expected text{hint} "
        "[invalid-value]",
        f"a.yaml:3:6: error: plan 'p1': duties: got ['suitable_sale', false], expected a "
        f"list of names{hint} [invalid-value]",
        f"a.yaml:3:48: error: plan 'p1', component 'revenue': id: got true, expected "
        f"text{hint} [invalid-value]",
        f"a.yaml:4:42: error: plan 'p1', gate 'g': applies_to: got [true], expected 'all' or "
        f"a list of component ids{hint} [invalid-value]",
        f"a.yaml:5:6: error: plan id: got false, expected text unique across all "
        f"inputs{hint} [wrong-type]"]


def test_yaml_numbers_that_yaml_1_1_would_change_are_read_as_written(
        inputs: Inputs) -> None:
    """YAML 1.1 reads 010 as the octal 8 and 1.10 as 1.1: an id or an owner keeps what was
    written, and a number field reads 010 as 10, as it reads the same cell of a table."""
    inputs({"a.yaml": (
        "plans:\n"
        "  - {id: 010, role_kind: sales, base_pay: 30_000, target_variable: 10.50,\n"
        "     headcount: 010, owner: 1.10, components: [{id: 007, kpi: revenue, weight: 1.0}]}\n"
    )})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    plan = model.frames["plans"].iloc[0]
    assert (plan["plan_id"], plan["owner"], plan["headcount"], plan["base_pay"],
            plan["target_variable"]) == ("010", "1.10", 10, 30000, 10.5)
    assert model.frames["components"]["component_id"].tolist() == ["007"]


def _reference_shown(value: Any) -> str:
    """``quote``'s text written whole, for comparison."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, list):
        return "[" + ", ".join(_reference_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_reference_shown(k)}: {_reference_shown(v)}"
                               for k, v in value.items()) + "}"
    return repr(value) if isinstance(value, str) else str(value)


@pytest.mark.parametrize("value, shown", [
    (["suitable_sale", False], "['suitable_sale', false]"),
    ([True, None, 1.50, 3, [["a"]]], "[true, null, 1.5, 3, [['a']]]"),
    ({"share": [None, 0.3]}, "{'share': [null, 0.3]}"),
    ("x" * 70, "'" + "x" * 56 + "..."),
    (list(range(10**6)), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16..."),
])
def test_bad_values_are_shown_as_yaml_writes_them(value: Any, shown: str) -> None:
    """A message shows a list's truth values and nulls as YAML and JSON write them (it
    showed Python's ``['x', False]``), and stops reading a long list once it has enough."""
    assert quote(value) == shown


_SHOWN = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
              st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=30),
                            st.dictionaries(st.text(max_size=5), inner, max_size=5)),
    max_leaves=60)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(value=_SHOWN)
def test_a_shown_value_is_the_start_of_the_whole(value: Any) -> None:
    """Stopping early changes nothing a message shows: the whole text, or its first 57
    characters and '...'."""
    whole = _reference_shown(value)
    assert quote(value) == (whole if len(whole) <= 60 else whole[:57] + "...")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)),
       form=st.sampled_from(["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%-d/%-m/%Y",
                             "%d-%m-%Y", "%m/%d/%Y %-H:%M",
                             "%d.%m.%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p"]))
def test_a_date_written_for_people_is_named_in_the_hint(day: dt.date, form: str) -> None:
    """Whatever the order and separator of a date written for people, the hint names it as
    it must be written, beside the other reading when there is one."""
    hint = written_date_hint(day.strftime(form))
    assert f"'{day.isoformat()}'" in hint
    assert hint.startswith("; did you mean '") and hint.count("'") in (2, 4)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
       form=st.sampled_from(["%d/%m/%y", "%m/%d/%y", "%d.%m.%y", "%-d-%-m-%y"]))
def test_a_two_digit_year_is_read_as_of_this_century(day: dt.date, form: str) -> None:
    assert f"'{day.isoformat()}'" in written_date_hint(day.strftime(form))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(moment=st.datetimes(min_value=dt.datetime(1900, 1, 1),
                           max_value=dt.datetime(2200, 12, 31))
       .filter(lambda moment: moment.time() != dt.time()),
       form=st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S.%fZ",
                             "%Y-%m-%dT%H:%M:%S+02:00"]))
def test_a_date_time_not_at_midnight_is_refused_and_its_day_named(moment: dt.datetime,
                                                                  form: str) -> None:
    """Only midnight reads as a date: '2026-12-31 19:00' may be New Year's Day moved by a
    time zone, so the day is not taken silently, but the message names the one written."""
    text = moment.strftime(form)
    parsed = parse_date(column(text), PLAN.field("effective_from"))
    assert parsed.bad.tolist() == [True]
    assert written_date_hint(text) == f"; write the day alone: '{moment.date().isoformat()}'"


def test_bad_curve_points_and_rates(problems: Problems) -> None:
    assert problems({
        "plans.csv": "id,role_kind,base_pay,target_variable\nt,sales,1,10\n",
        "components.csv": "plan_id,id,kpi,weight,curve_points,rates\n"
                          "t,c,revenue,100%,80-0;100:100,gold:120\n"}) == [
        "components.csv:2: error: plan 't', component 'c': curve_points: got '80-0;100:100', "
        "expected a list of [attainment %, payout %] pairs, or '80:0;100:100' in a table "
        "[invalid-value]",
        "components.csv:2: error: plan 't', component 'c': rates: got 'gold:120', expected a "
        "mapping of product to amount, or 'gold=120;silver=80' in a table [invalid-value]"]


# --- messages end to end ----------------------------------------------------------------

PLAN_YAML = ("plan:\n  id: p1\n  role_kind: service\n  base_pay: 30000\n  target_variable: 3000\n"
             "  components:\n    - {kpi: fcr, weight: 100%}\n")


@pytest.mark.parametrize("line, expected", [
    ("headcount: 12.5", "a.yaml:8:3: error: plan 'p1': headcount: got 12.5, expected a whole "
                        "number [invalid-value]"),
    ("customer_facing: maybe", "a.yaml:8:3: error: plan 'p1': customer_facing: got 'maybe', "
                               "expected true or false (or yes/no, y/n, 1/0, on/off) "
                               "[invalid-value]"),
    ("effective_from: 01/02/2027", "a.yaml:8:3: error: plan 'p1': effective_from: got "
                                   "'01/02/2027', expected a date written YYYY-MM-DD; did you "
                                   "mean '2027-02-01' (day first) or '2027-01-02' (month "
                                   "first)? [invalid-value]"),
    ("effective_from: 46388", "a.yaml:8:3: error: plan 'p1': effective_from: got 46388, "
                              "expected a date written YYYY-MM-DD; did you mean '2027-01-01' "
                              "(a spreadsheet's number for that day)? [invalid-value]"),
    ("effective_from: '46388'", "a.yaml:8:3: error: plan 'p1': effective_from: got '46388', "
                                "expected a date written YYYY-MM-DD; did you mean '2027-01-01' "
                                "(a spreadsheet's number for that day)? [invalid-value]"),
    ("effective_from: 20270101", "a.yaml:8:3: error: plan 'p1': effective_from: got 20270101, "
                                 "expected a date written YYYY-MM-DD [invalid-value]"),
    ("effective_to: 12/31/2027", "a.yaml:8:3: error: plan 'p1': effective_to: got "
                                 "'12/31/2027', expected a date written YYYY-MM-DD; did you "
                                 "mean '2027-12-31'? [invalid-value]"),
    ("effective_to: 31.02.2027", "a.yaml:8:3: error: plan 'p1': effective_to: got "
                                 "'31.02.2027', expected a date written YYYY-MM-DD "
                                 "[invalid-value]"),
    ("max_variable: $32,000", "a.yaml:8:3: error: plan 'p1': max_variable: got '$32,000', "
                              "expected a number; without the currency, write a decimal point "
                              "and no thousands separators: '32000' or '32' "
                              "[invalid-value]"),
    ("pay_floor: 1500 EUR", "a.yaml:8:3: error: plan 'p1': pay_floor: got '1500 EUR', expected "
                            "a number; write the amount without its currency: '1500' "
                            "[invalid-value]"),
    ("pay_floor: 12 FTE", "a.yaml:8:3: error: plan 'p1': pay_floor: got '12 FTE', expected a "
                          "number [invalid-value]"),
    ("pay_floor: yes", "a.yaml:8:3: error: plan 'p1': pay_floor: got true, expected a number; "
                       "yes/no and true/false are not numbers [invalid-value]"),
    ("pay_floor: .inf", "a.yaml:8:3: error: plan 'p1': pay_floor: got inf, expected a number; "
                        "NaN and infinity are not allowed [invalid-value]"),
    ("pay_floor: 1e300", "a.yaml:8:3: error: plan 'p1': pay_floor: got '1e300', expected a "
                         "number; at most 9,007,199,254,740,992 [invalid-value]"),
    ("deferral: {share: 30, months: 6}", "a.yaml:8:14: error: plan 'p1': deferral_share: got "
                                         "30, expected a fraction between 0 and 1 or a percent "
                                         "like '50%'; did you mean '30%'? [invalid-value]"),
    ("duties: [[a]]", "a.yaml:8:3: error: plan 'p1': duties: got [['a']], expected a list of "
                      "names [invalid-value]"),
    ("pay_floor: 5:30", "a.yaml:8:3: error: plan 'p1': pay_floor: got '5:30', expected a "
                        "number; write one number, not a time or a ratio [invalid-value]"),
    ("pay_floor: 0x1_F", "a.yaml:8:3: error: plan 'p1': pay_floor: got '0x1_F', expected a "
                         "number; write it in decimal: '31' [invalid-value]"),
    ("effective_to: 31.12.27", "a.yaml:8:3: error: plan 'p1': effective_to: got '31.12.27', "
                               "expected a date written YYYY-MM-DD; did you mean '2027-12-31'? "
                               "[invalid-value]"),
    ("effective_to: 12/31/2027 0:00", "a.yaml:8:3: error: plan 'p1': effective_to: got "
                                      "'12/31/2027 0:00', expected a date written YYYY-MM-DD; "
                                      "did you mean '2027-12-31'? [invalid-value]"),
    ("effective_to: 2027-12-31T19:00:00-05:00", "a.yaml:8:3: error: plan 'p1': effective_to: "
                                                "got '2027-12-31T19:00:00-05:00', expected a "
                                                "date written YYYY-MM-DD; write the day alone: "
                                                "'2027-12-31' [invalid-value]"),
])
def test_cell_messages(problems: Problems, line: str, expected: str) -> None:
    assert problems({"a.yaml": PLAN_YAML + f"  {line}\n"}) == [expected]


@pytest.mark.parametrize("written", [
    "2027-06-30", "2027-06-30 00:00:00", "2027-06-30T00:00:00Z", "2027-06-30t00:00:00.000",
    "2027-06-30T00:00:00+02:00", "2027-06-30 00:00", "'2027-06-30T00:00:00-0800'"])
def test_a_date_time_at_midnight_is_its_day_in_yaml_and_tables(inputs: Inputs,
                                                              written: str) -> None:
    """Spreadsheets and HR systems export dates as date-times at midnight; a YAML file or a
    table cell of one reads as the day written, whatever its offset (the day is never moved
    to another zone: an offset in a YAML date-time made the run fail with an internal
    error)."""
    cell = written.strip("'")
    inputs({"y/a.yaml": PLAN_YAML + f"  effective_to: {written}\n",
            "t/plans.csv": f"id,role_kind,base_pay,target_variable,effective_to\n"
                           f"p1,service,30000,3000,{cell}\n",
            "t/components.csv": "plan_id,kpi,weight\np1,fcr,1\n"})
    for folder in ("y", "t"):
        model = load_model([folder])
        assert [str(p) for p in model.problems] == []
        assert model.plans["effective_to"].tolist() == [pd.Timestamp("2027-06-30")]


def test_a_date_past_what_a_date_field_holds_is_a_problem_not_a_crash(
        problems: Problems) -> None:
    """Past 2262 and before 1678, where the model's dates end, a date stopped the run with
    an internal error (OutOfBoundsDatetime), from a table cell and from a YAML date alike.
    Where it cannot mean an open period (a start past 2261, an end before 1678) it is a
    problem."""
    hint = ("expected a date written YYYY-MM-DD; dates are kept from 1678 to 2261 "
            "[invalid-value]")
    assert problems({
        "t/plans.csv": "id,role_kind,base_pay,target_variable,effective_from,effective_to\n"
                       "p1,service,30000,0,3000-01-01,1066-10-14\n",
        "t/components.csv": "plan_id,kpi,weight\np1,fcr,1\n",
        "a.yaml": PLAN_YAML.replace("p1", "p2") + "  effective_from: 9999-12-31\n"
                  "  campaigns:\n    - {name: Jan, kpi: fcr, start: 2027-01-01, end: 1600-01-01}\n"
    }) == [
        f"a.yaml:8:3: error: plan 'p2': effective_from: got 9999-12-31, {hint}",
        f"a.yaml:10:48: error: plan 'p2', campaign 'Jan': end: got 1600-01-01, {hint}",
        f"t/plans.csv:2: error: plan 'p1': effective_from: got '3000-01-01', {hint}",
        f"t/plans.csv:2: error: plan 'p1': effective_to: got '1066-10-14', {hint}"]


def test_an_hr_systems_open_period_is_no_date(inputs: Inputs) -> None:
    """HR systems write 9999-12-31 for "no end date" (Oracle 4712-12-31) and 0001-01-01
    for "no start date": in a period's end or start, a day past the years kept on that
    side is no date, as an empty cell is, from YAML, a CSV export and a workbook alike."""
    openpyxl = pytest.importorskip("openpyxl")
    inputs({"y/a.yaml": PLAN_YAML + "  effective_from: 0001-01-01\n  effective_to: 9999-12-31\n"
                                    "  campaigns:\n    - {name: Jan, kpi: fcr, start: 2027-01-01,"
                                    " end: 4712-12-31}\n",
            "t/plans.csv": "id,role_kind,base_pay,target_variable,effective_from,effective_to\n"
                           "p1,service,30000,3000,0001-01-01,9999-12-31 00:00:00\n",
            "t/components.csv": "plan_id,kpi,weight\np1,fcr,1\n",
            "t/campaigns.csv": "plan_id,name,kpi,start,end\np1,Jan,fcr,2027-01-01,4712-12-31\n"})
    book = openpyxl.Workbook()
    book.active.title = "plans"
    book["plans"].append(["id", "role_kind", "base_pay", "target_variable", "effective_from",
                          "effective_to"])
    # a workbook's dates start in 1900: an earlier day is text
    book["plans"].append(["p1", "service", 30000, 3000, "0001-01-01",
                          dt.datetime(9999, 12, 31)])
    book.create_sheet("components").append(["plan_id", "kpi", "weight"])
    book["components"].append(["p1", "fcr", 1])
    book.create_sheet("campaigns").append(["plan_id", "name", "kpi", "start", "end"])
    book["campaigns"].append(["p1", "Jan", "fcr", dt.datetime(2027, 1, 1),
                              dt.datetime(4712, 12, 31)])
    book.save("book.xlsx")
    for where in ("y", "t", "book.xlsx"):
        model = load_model([where])
        assert [str(p) for p in model.problems] == []
        assert model.plans[["effective_from", "effective_to"]].isna().values.tolist() == [
            [True, True]]
        campaigns = model.frames["campaigns"]
        assert (campaigns["start"].tolist(), campaigns["end"].isna().tolist()) == (
            [pd.Timestamp("2027-01-01")], [True])


def test_a_date_time_in_a_text_field_stays_as_written(inputs: Inputs) -> None:
    """YAML 1.1 made ``2027-01-01t10:00:00Z`` a date-time, and a text field showed it as
    Python writes one ('2027-01-01 10:00:00+00:00'); a date alone was never changed."""
    inputs({"a.yaml": PLAN_YAML + "  owner: 2027-01-01t10:00:00Z\n  name: 2027-01-01\n"})
    model = load_model(["."])
    assert model.ok
    assert model.plans[["owner", "name"]].values.tolist() == [
        ["2027-01-01t10:00:00Z", "2027-01-01"]]


def test_a_workbook_date_cell_with_a_time_of_day_names_its_day(inputs: Inputs) -> None:
    """An Excel date cell at midnight is its day; one with another time of day is refused,
    as the same text in a CSV cell is, and the message says which day it holds."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    plans = book.active
    plans.title = "plans"
    plans.append(["id", "role_kind", "base_pay", "target_variable", "effective_from",
                  "effective_to"])
    plans.append(["p1", "service", 30000, 3000, dt.datetime(2027, 1, 1),
                  dt.datetime(2027, 12, 31, 18, 30)])
    book.create_sheet("components").append(["plan_id", "kpi", "weight"])
    book["components"].append(["p1", "fcr", 1])
    inputs({})
    book.save("book.xlsx")
    model = load_model(["book.xlsx"])
    assert [str(p) for p in model.problems] == [
        "book.xlsx[plans]:2: error: plan 'p1': effective_to: got 2027-12-31 18:30:00, expected "
        "a date written YYYY-MM-DD; write the day alone: '2027-12-31' [invalid-value]"]


@pytest.mark.parametrize("text", ["1e7", "1.0e+7", "10000000"])
def test_yaml_exponents_are_numbers(inputs: Inputs, text: str) -> None:
    """PyYAML reads 1e7 as the string '1e7' (YAML 1.1); it is still the number 10,000,000."""
    inputs({"a.yaml": PLAN_YAML + f"  max_variable: {text}\n"})
    model = load_model(["."])
    assert model.ok
    assert model.plans["max_variable"].tolist() == [1e7]


def test_number_cells_from_tables(problems: Problems) -> None:
    assert problems({"plans.csv": "id,role_kind,base_pay,target_variable,headcount\n"
                                  "p1,service,\"30,000\",3000,12\n"
                                  "p2,service,30000,NaN,1.5\n"
                                  "p3,service,-inf,yes,x\n",
                     "components.csv": "plan_id,kpi,weight\np1,fcr,1\np2,fcr,1\np3,fcr,1\n"}) == [
        "plans.csv:2: error: plan 'p1': base_pay: got '30,000', expected a number; write a "
        "decimal point and no thousands separators: '30000' or '30' [invalid-value]",
        "plans.csv:3: error: plan 'p2': headcount: got '1.5', expected a whole number "
        "[invalid-value]",
        "plans.csv:3: error: plan 'p2': target_variable: got 'NaN', expected a number; NaN "
        "and infinity are not allowed [invalid-value]",
        "plans.csv:4: error: plan 'p3': base_pay: got '-inf', expected a number; NaN and "
        "infinity are not allowed [invalid-value]",
        "plans.csv:4: error: plan 'p3': headcount: got 'x', expected a whole number "
        "[invalid-value]",
        "plans.csv:4: error: plan 'p3': target_variable: got 'yes', expected a number "
        "[invalid-value]"]


#: How a cell holding a spreadsheet's error value ends its message.
SPREADSHEET_ERROR = ("; it is a spreadsheet's error value: the formula that made it failed, "
                     "and the cell holds no value")


def test_spreadsheet_errors_and_bracketed_negatives_say_what_they_are(
        problems: Problems) -> None:
    """A spreadsheet exports '#N/A' where a formula failed, and accounting formats show a
    negative amount in brackets: each number or date cell says which it is."""
    assert problems({
        "plans.csv": "id,role_kind,base_pay,target_variable,max_variable,pay_floor,"
                     "effective_from\n"
                     "p1,service,\"(1,500)\",#DIV/0!,( 2.5 ),(abc),#n/a\n",
        "components.csv": "plan_id,kpi,weight\np1,fcr,#REF!\n"}) == [
        "components.csv:2: error: plan 'p1', component 'fcr': weight: got '#REF!', expected a "
        f"fraction between 0 and 1 or a percent like '50%'{SPREADSHEET_ERROR} [invalid-value]",
        "plans.csv:2: error: plan 'p1': base_pay: got '(1,500)', expected a number; with a "
        "minus sign, write a decimal point and no thousands separators: '-1500' or '-1.5' "
        "[invalid-value]",
        "plans.csv:2: error: plan 'p1': effective_from: got '#n/a', expected a date written "
        f"YYYY-MM-DD{SPREADSHEET_ERROR} [invalid-value]",
        "plans.csv:2: error: plan 'p1': max_variable: got '( 2.5 )', expected a number; write "
        "a negative amount with a minus sign: '-2.5' [invalid-value]",
        "plans.csv:2: error: plan 'p1': pay_floor: got '(abc)', expected a number "
        "[invalid-value]",
        "plans.csv:2: error: plan 'p1': target_variable: got '#DIV/0!', expected a "
        f"number{SPREADSHEET_ERROR} [invalid-value]"]


def test_a_lookup_that_failed_is_said_so_where_an_id_or_a_choice_was_expected(
        problems: Problems) -> None:
    """A spreadsheet's lookup (VLOOKUP, XLOOKUP) that found nothing exports '#N/A': a plan
    id, a KPI, a choice or a truth value holding it says so, not only that it is unknown."""
    error = SPREADSHEET_ERROR
    assert problems({
        "plans.csv": "id,role_kind,base_pay,target_variable,customer_facing,"
                     "clawback_triggers\n"
                     "p1,#N/A,30000,3000,#NAME?,#N/A\n",
        "components.csv": "plan_id,kpi,weight\np1,#N/A,0.5\n#N/A,fcr,1\np1,fcr,0.5\n"}) == [
        "components.csv:2: error: plan 'p1', component '#N/A': kpi: unknown KPI '#N/A', "
        f"expected a KPI of the built-in library or the organisation's catalog{error} "
        "[unknown-kpi]",
        "components.csv:3: error: plan '#N/A', component 'fcr': plan_id: got '#N/A', expected "
        f"the id of a plan defined in the inputs{error} [unknown-plan]",
        "plans.csv:2: error: plan 'p1': clawback_triggers: got '#N/A', expected a list of: "
        "rework, complaint_upheld, cancellation, mis_sale, repeat_contact, repeat_visit"
        f"{error} [invalid-value]",
        f"plans.csv:2: error: plan 'p1': customer_facing: got '#NAME?', expected true or "
        f"false (or yes/no, y/n, 1/0, on/off){error} [invalid-value]",
        "plans.csv:2: error: plan 'p1': role_kind: got '#N/A', expected one of service, "
        "sales, advice, retention, collections, claims, field_service, back_office, "
        f"manager{error} [invalid-value]"]


def test_a_spreadsheet_error_in_text_is_kept_with_a_warning(problems: Problems) -> None:
    """An owner looked up from an HR directory that did not have it exports '#N/A': text
    fields and ids keep what is written (the plan is still checked) and a warning says the
    cell lost its value. YAML text says so too."""
    lost = ("is a spreadsheet's error value: the formula that made it failed, and the cell "
            "holds no value; it is kept as written [spreadsheet-error]")
    assert problems({
        "t/plans.csv": "id,role_kind,base_pay,target_variable,owner,name,duties\n"
                       "p1,service,30000,0,#N/A,#REF!,#N/A\n#N/A,service,1,0,o,n,\n",
        "t/components.csv": "plan_id,id,kpi,weight\np1,#N/A,fcr,1\n",
        "a.yaml": PLAN_YAML.replace("p1", "p2") + "  role: '#NAME?'\n  duties: '#N/A'\n"
    }) == [
        f"a.yaml:8:3: warning: plan 'p2': role: '#NAME?' {lost}",
        f"a.yaml:9:3: warning: plan 'p2': duties: '#N/A' {lost}",
        f"t/components.csv:2: warning: plan 'p1', component '#N/A': id: '#N/A' {lost}",
        f"t/plans.csv:2: warning: plan 'p1': duties: '#N/A' {lost}",
        f"t/plans.csv:2: warning: plan 'p1': name: '#REF!' {lost}",
        f"t/plans.csv:2: warning: plan 'p1': owner: '#N/A' {lost}",
        f"t/plans.csv:3: warning: plan '#N/A': id: '#N/A' {lost}"]


def test_a_workbook_error_value_pasted_without_its_formula_is_its_error_not_missing(
        inputs: Inputs) -> None:
    """'Paste values' over a lookup keeps #N/A as an error cell with no formula: calamine
    gives it as an empty cell, which read as "base_pay is required"; the sheet is read by
    openpyxl, which gives the error's text, as one with formulas is."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    plans = book.active
    plans.title = "plans"
    plans.append(["id", "role_kind", "base_pay", "target_variable"])
    plans.append(["p1", "service", "#N/A", 3000])
    assert plans["C2"].data_type == "e"  # an error value, no formula
    book.create_sheet("components").append(["plan_id", "kpi", "weight"])
    book["components"].append(["p1", "fcr", 1])
    inputs({})
    book.save("book.xlsx")
    assert [str(p) for p in load_model(["book.xlsx"]).problems] == [
        "book.xlsx[plans]:2: error: plan 'p1': base_pay: got '#N/A', expected a "
        f"number{SPREADSHEET_ERROR} [invalid-value]"]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(amount=st.decimals(min_value=0, max_value=10**9, places=2),
       form=st.sampled_from(["({:f})", "({:,f})", "(${:,f})", "({:f} EUR)"]))
def test_an_amount_in_brackets_is_suggested_negative(amount: Any, form: str) -> None:
    """Whatever else the bracketed amount carries, each suggestion is the amount, negative."""
    from policycheck.numberhints import written_number_hint

    hint = written_number_hint(form.format(amount))
    suggested = [float(q) for q in re.findall(r"'([^']*)'", hint)]
    assert suggested and -float(amount) in suggested and all(q <= 0 for q in suggested)


def test_child_without_id_is_named_by_its_kpi(problems: Problems) -> None:
    text = PLAN_YAML + "  consequences:\n    - {kpi: aht, action: fire}\n"
    assert problems({"a.yaml": text}) == [
        "a.yaml:9:18: error: plan 'p1', consequence 'aht': action: got 'fire', expected one "
        "of pip, demotion, salary_band_change, termination, hours_cut [invalid-value]"]


def test_derived_child_ids(inputs: Inputs) -> None:
    inputs({"a.yaml": PLAN_YAML.replace(
        "    - {kpi: fcr, weight: 100%}\n",
        "    - {kpi: fcr, weight: 50%}\n    - {kpi: fcr, weight: 50%}\n")
        + "  consequences:\n    - {kpi: aht, action: pip}\n"
        + "  competitions:\n    - {name: Top team, kpi: fcr}\n"})
    model = load_model(["."])
    assert model.ok
    assert model.frames["components"]["component_id"].tolist() == ["fcr", "fcr-2"]
    assert model.frames["consequences"]["consequence_id"].tolist() == ["aht-pip"]
    assert model.frames["competitions"]["competition_id"].tolist() == ["Top team"]


TABLE_CELLS = ["", " ", "abc", " 12 ", "12.5", "50%", " 150% ", "-1", "nan", "inf", "yes",
               "No", "TRUE", "0", "1", "2027-01-31", "2027-13-01", "fcr; aht", ";", "all",
               "ALL", "individual", " Team ", "pip", "x;;y", "1e400", "é", None]


_FIELDS = [f for spec in (PLAN, COMPONENT, GATE) for f in spec.fields
           if f.kind not in ("points", "rates")]


def _typed_as_cell_by_cell(field: Any, cells: pd.Series) -> None:
    """``parse_column`` (once per distinct value) gives the values, dtype, masks and hints
    of typing every cell."""
    whole = PARSERS[field.kind](cells, field)
    by_value = parse_column(field.kind, cells, field)
    pd.testing.assert_series_equal(by_value.values, whole.values, check_exact=True)
    assert by_value.bad.tolist() == whole.bad.tolist()
    assert by_value.expected == whole.expected
    if whole.hints is None:
        assert by_value.hints is None
    else:
        assert by_value.hints.tolist() == whole.hints.tolist()
    if field.kind in ("num", "share"):  # -0.0 keeps its sign, as a user may see it
        signs = np.copysign(1.0, by_value.values.to_numpy(dtype=np.float64))
        assert signs.tolist() == np.copysign(1.0, whole.values.to_numpy(
            dtype=np.float64)).tolist()


@pytest.mark.parametrize("field", _FIELDS, ids=lambda f: f"{f.kind}-{f.name}")
def test_text_column_typed_by_distinct_values_as_cell_by_cell(field: Any) -> None:
    """A column of table text is typed once per distinct value, as typing every cell."""
    # enough cells to take the path
    _typed_as_cell_by_cell(field, pd.Series((TABLE_CELLS * 5)[::-1], dtype=object))


#: Values as YAML gives them: numbers equal to each other but not the same to a user (1,
#: 1.0, True; 0.0, -0.0), texts, dates, missing values and, last, a list.
YAML_VALUES = [1, 1.0, True, False, 0, 0.0, -0.0, 2**70, 0.5, 50, "50%", " 12 ", "1e400",
               float("nan"), float("inf"), None, "", "yes", "all", "individual", "fcr; aht",
               dt.date(2027, 1, 31), dt.datetime(2027, 1, 31, 12), "2027-01-31", "é", ["fcr"]]


@settings(max_examples=100, deadline=None)
@given(field=st.sampled_from(_FIELDS),
       cells=st.lists(st.sampled_from(YAML_VALUES[:-1]), min_size=64, max_size=200),
       with_list=st.booleans())
def test_yaml_column_typed_by_distinct_values_as_cell_by_cell(field: Any, cells: list[Any],
                                                              with_list: bool) -> None:
    """A column of YAML values of any types is typed once per distinct value, values that
    are equal but not the same (1, 1.0 and True; 0.0 and -0.0) kept apart, as typing every
    cell (a list among them: every cell is typed)."""
    _typed_as_cell_by_cell(field, pd.Series([*cells, YAML_VALUES[-1]] if with_list else cells,
                                            dtype=object))


@pytest.mark.parametrize("field", [f for spec in (PLAN, COMPONENT, GATE) for f in spec.fields
                                   if f.kind in TEXT_KINDS],
                         ids=lambda f: f"{f.kind}-{f.name}")
def test_table_text_typed_from_its_codes_as_cell_by_cell(field: Any) -> None:
    """A table's column comes coded (categorical); typed from its codes, a column of text
    stays coded, and reads as typing every cell would (None where missing)."""
    texts = (TABLE_CELLS * 5)[::-1]
    cells = pd.Series(pd.Categorical([t or None for t in texts]))  # an empty cell is missing
    whole = PARSERS[field.kind](pd.Series([t or None for t in texts], dtype=object), field)
    by_codes = parse_column(field.kind, cells, field)
    assert isinstance(by_codes.values.dtype, pd.CategoricalDtype)
    values = as_objects(by_codes.values)
    assert values.dtype == object
    assert values.tolist() == whole.values.astype(object).tolist()
    assert by_codes.bad.tolist() == whole.bad.tolist()


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.sampled_from(["a", " a", "a ", "b", "B", " ",
                                                            "c\t", "é"])), max_size=40),
       default=st.sampled_from(["a", "z", "team"]))
def test_coded_text_reads_as_objects_and_takes_defaults(texts: list[str | None],
                                                        default: str) -> None:
    """Texts that parse to one value (" a" and "a") are one category; a default fills the
    missing cells of a coded column as of an object one."""
    spec = PLAN.fields[0]
    cells = pd.Series(pd.Categorical(texts))
    coded = parse_column("str", cells, spec).values
    expected = parse_str(pd.Series(texts, dtype=object), spec).values
    assert as_objects(coded).tolist() == expected.tolist()
    assert len(set(coded.cat.categories)) == len(coded.cat.categories)
    missing = cells.isna().to_numpy()
    filled = with_default(coded, missing, default)
    assert as_objects(filled).tolist() == expected.where(~missing, default).tolist()


def test_repeated_curve_and_rate_texts_in_tables(inputs: Inputs) -> None:
    """Cells of one text are read once and give each row its own points; an empty rate
    list is no rate, not an error; a bad text is reported on every row that has it."""
    rows = [f"p{i},c{j},fcr,50%,80:0;100:100;120:150,{'gold=1;silver=2' if j else ';'}"
            for i in range(40) for j in range(2)]
    rows[3] = "p1,c1,fcr,50%,80:0;90,gold=1"
    rows[5] = "p2,c1,fcr,50%,80:0;90,gold=x"
    inputs({"plans.csv": "id,role_kind,base_pay,target_variable\n"
            + "".join(f"p{i},service,1,100\n" for i in range(40)),
            "components.csv": "plan_id,id,kpi,weight,curve_points,rates\n"
            + "\n".join(rows) + "\n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == [
        "components.csv:5: error: plan 'p1', component 'c1': curve_points: got '80:0;90', "
        "expected a list of [attainment %, payout %] pairs, or '80:0;100:100' in a table "
        "[invalid-value]",
        "components.csv:7: error: plan 'p2', component 'c1': curve_points: got '80:0;90', "
        "expected a list of [attainment %, payout %] pairs, or '80:0;100:100' in a table "
        "[invalid-value]",
        "components.csv:7: error: plan 'p2', component 'c1': rates: got 'gold=x', expected a "
        "mapping of product to amount, or 'gold=120;silver=80' in a table [invalid-value]"]
    points = model.frames["curve_points"]
    assert len(points) == 38 * 2 * 3
    assert points["seq"].tolist()[:6] == [0, 1, 2, 0, 1, 2]
    assert points["attainment"].tolist()[:3] == [80.0, 100.0, 120.0]
    rates = model.frames["rates"]
    assert rates["component_id"].unique().tolist() == ["c1"]
    assert rates["product"].tolist()[:2] == ["gold", "silver"]
    assert len(rates) == 38 * 2


@pytest.mark.parametrize("text", ["60%%", "60 % %", "%60%"])
def test_a_weight_with_more_than_one_percent_sign_is_refused(text: str) -> None:
    """'60%%' was read as 60 %: every trailing sign was taken off, where one is a percent."""
    parsed = parse_weight(column(text), COMPONENT.field("weight"))
    assert parsed.bad.tolist() == [True]


@pytest.mark.parametrize("text, said", [
    ("2027-02-30", "; there is no such day: February 2027 has 28 days"),
    ("2028-02-29", ""),  # a leap day: no hint of this kind (the date is read)
    ("2027-13-01", "; there is no month 13"),
    ("2027-04-31", "; there is no such day: April 2027 has 30 days"),
])
def test_a_date_written_yyyy_mm_dd_that_is_no_day_says_why(text: str, said: str) -> None:
    """"expected a date written YYYY-MM-DD" of 2027-02-30, which is written so."""
    from policycheck.numberhints import date_hints

    hints = date_hints(pd.Series([text], dtype=object), np.array([True]))
    assert hints.iat[0] == said


def test_a_number_past_what_a_float_holds_says_so() -> None:
    """1e400 was told "expected a number", which it is."""
    from policycheck.numberhints import number_hints

    hints = number_hints(pd.Series(["1e400", "inf", "-1E999"], dtype=object),
                         np.array([True, True, True]))
    assert hints.tolist() == [
        "; it is past the largest number that can be held (about 1.8e308)",
        "; NaN and infinity are not allowed",
        "; it is past the largest number that can be held (about 1.8e308)"]
