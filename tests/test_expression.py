"""Tests of the expression language: parsing, checking, evaluation, limits and hostile input.

Error messages and carets are asserted exactly: they are what a rule author reads, so they are
API. The fake scopes mirror what the rule engine registers: a plan scope with a `components`
collection and aggregate functions whose condition argument is checked in the component scope.
"""

from __future__ import annotations

import math
import operator
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.expression import (
    Compiled,
    ExpressionError,
    Field,
    Function,
    Limits,
    Param,
    Scope,
    Type,
    checker,
    compile_expression,
    evaluate,
)

NAN = math.nan
ROLE_KINDS = frozenset({"service", "sales", "back_office"})
CATEGORIES = frozenset({"speed", "throughput", "resolution", "quality", "cost_efficiency"})


@dataclass
class FakeContext:
    """Columns in a dict; each collection is a child context plus the parent row of each row."""

    columns: dict[str, np.ndarray]
    children: dict[str, tuple[FakeContext, np.ndarray]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(next(iter(self.columns.values())))

    def column(self, name: str) -> np.ndarray:
        return self.columns[name]


def _rows(ctx: Any, collection: str) -> tuple[FakeContext, np.ndarray]:
    return ctx.children[collection]


def any_of(ctx: Any, collection: str, condition: Callable[[Any], np.ndarray]) -> np.ndarray:
    rows, parent = _rows(ctx, collection)
    return np.bincount(parent[condition(rows)], minlength=ctx.size) > 0


def count_of(ctx: Any, collection: str, condition: Callable[[Any], np.ndarray] | None = None):
    rows, parent = _rows(ctx, collection)
    hits = parent if condition is None else parent[condition(rows)]
    return np.bincount(hits, minlength=ctx.size).astype(float)


def sum_of(ctx: Any, collection: str, value: Callable[[Any], np.ndarray]) -> np.ndarray:
    rows, parent = _rows(ctx, collection)
    return np.bincount(parent, weights=np.nan_to_num(value(rows)), minlength=ctx.size)


def share(ctx: Any, category: np.ndarray) -> np.ndarray:
    rows, parent = _rows(ctx, "components")
    # the category arrives broadcast to the plans; compare each component with its plan's copy
    on_category = rows.column("kpi.category") == category[parent]
    weights = np.where(on_category, rows.column("weight"), 0.0)
    return np.bincount(parent, weights=weights, minlength=ctx.size)


def customer_weight(ctx: Any, condition: Callable[[Any], np.ndarray]) -> np.ndarray:
    rows, parent = _rows(ctx, "components")
    weights = np.where(condition(rows), rows.column("weight"), 0.0)
    return np.bincount(parent, weights=weights, minlength=ctx.size)


def _function(name: str, returns: Type, implementation: Callable[..., Any], *params: Param):
    return Function(name, params, returns, f"fake {name}", implementation)


COLLECTION = Param("collection", "collection")
PLAN_FUNCTIONS = {
    "any_of": _function(
        "any_of", Type.BOOL, any_of, COLLECTION, Param("condition", "lambda", Type.BOOL)
    ),
    "count_of": _function(
        "count_of",
        Type.NUMBER,
        count_of,
        COLLECTION,
        Param("condition", "lambda", Type.BOOL, optional=True),
    ),
    "sum_of": _function(
        "sum_of", Type.NUMBER, sum_of, COLLECTION, Param("value", "lambda", Type.NUMBER)
    ),
    "share": _function(
        "share", Type.NUMBER, share, Param("category", "value", Type.STRING, choices=CATEGORIES)
    ),
    "customer_weight": _function(
        "customer_weight",
        Type.NUMBER,
        customer_weight,
        Param("condition", "lambda", Type.BOOL, scope="component"),
    ),
}
SCOPES = {
    "plan": Scope(
        "plan",
        {
            "role_kind": Field(Type.STRING, "kind of role", ROLE_KINDS),
            "name": Field(Type.STRING),
            "base_pay": Field(Type.NUMBER),
            "duties": Field(Type.LIST),
            "effective_from": Field(Type.DATE),
            "customer_facing": Field(Type.BOOL),
            "param.share": Field(Type.NUMBER),
        },
        PLAN_FUNCTIONS,
        {"components": "component"},
    ),
    "component": Scope(
        "component",
        {
            "weight": Field(Type.NUMBER),
            "kpi.category": Field(Type.STRING, "KPI category", CATEGORIES),
            "basis": Field(Type.STRING),
        },
        {},
        {},
    ),
}


def _objects(*values: Any) -> np.ndarray:
    return np.array(values, dtype=object)


COMPONENTS = FakeContext(
    {
        "weight": np.array([0.6, 0.4, 1.0, 0.5, 0.5]),
        "kpi.category": _objects("speed", "resolution", "throughput", "quality", "speed"),
        "basis": _objects("individual", "team", "individual", "team", None),
    }
)
PLANS = FakeContext(
    {
        "role_kind": _objects("service", "sales", "back_office", None),
        "name": _objects("Agent", "Seller", "Billing", None),
        "base_pay": np.array([30000.0, NAN, 0.0, 45000.0]),
        "duties": _objects("resolve_issue;first_time_fix", None, "", " resolve_issue ; "),
        "effective_from": np.array(["2027-01-01", "NaT", "2026-07-01", "2027-03-01"], "M8[ns]"),
        "customer_facing": np.array([True, True, False, True]),
        "param.share": np.array([0.5, 0.5, 0.25, 0.5]),
    },
    # plan 2 has no components
    {"components": (COMPONENTS, np.array([0, 0, 1, 3, 3]))},
)


def compile_plan(source: str, **options: Any) -> Compiled:
    return compile_expression(source, "plan", SCOPES, **options)


def run(source: str, ctx: FakeContext = PLANS) -> list[Any]:
    return compile_plan(source).evaluate(ctx).tolist()


def error(source: str, **options: Any) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        compile_plan(source, **options)
    return info.value


def caret(source: str, **options: Any) -> str:
    found = error(source, **options)
    return f"{found.message}\n{found.caret(source)}"


def same_numbers(actual: list[float], expected: list[float]) -> bool:
    return all(
        (math.isnan(a) and math.isnan(e)) or a == e for a, e in zip(actual, expected, strict=True)
    )


# -- errors a rule author makes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "base_pya > 1",
            "unknown name 'base_pya' in the plan scope; did you mean 'base_pay'?\n"
            "base_pya > 1\n"
            "^^^^^^^^",
        ),
        (
            "shaer('speed') > 0",
            "unknown function 'shaer' in the plan scope; did you mean 'share'?\n"
            "shaer('speed') > 0\n"
            "^^^^^",
        ),
        (
            "abs(base_pay, 2) > 1",
            "'abs' takes 1 argument, got 2: abs(number)\nabs(base_pay, 2) > 1\n^^^^^^^^^^^^^^^^",
        ),
        ("'a' + 1", "the left side of '+' must be a number, got string\n'a' + 1\n^^^"),
        (
            "base_pay and true",
            "the left side of 'and' must be a bool, got number\nbase_pay and true\n^^^^^^^^",
        ),
        (
            "role_kind == 'servce'",
            "'servce' is not a valid role_kind: expected one of 'back_office', 'sales', "
            "'service'; did you mean 'service'?\n"
            "role_kind == 'servce'\n"
            "             ^^^^^^^^",
        ),
        (
            "any_of(components, kpi.category == 'speeed')",
            "'speeed' is not a valid category: expected one of 'cost_efficiency', 'quality', "
            "'resolution', 'speed', 'throughput'; did you mean 'speed'?\n"
            "any_of(components, kpi.category == 'speeed')\n"
            "                                   ^^^^^^^^",
        ),
        (
            "base_pay < 1 < 2",
            "comparisons cannot be chained: join them with 'and' (a < b and b < c)\n"
            "base_pay < 1 < 2\n"
            "             ^",
        ),
        (
            "base_pay * 2",
            "condition must be a bool, got number\nbase_pay * 2\n^^^^^^^^^^^^",
        ),
    ],
)
def test_error_message_and_caret(source: str, expected: str) -> None:
    assert caret(source, expect=Type.BOOL) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("open('x')", "unknown function 'open' in the plan scope"),
        ("min(1)", "'min' takes at least 2 arguments, got 1: min(number, number, ...)"),
        (
            "any_of(components)",
            "'any_of' takes 2 arguments, got 1: any_of(collection, condition)",
        ),
        (
            "count_of()",
            "'count_of' takes 1 to 2 arguments, got 0: count_of(collection, [condition])",
        ),
        ("if(true, 1)", "'if' takes 3 arguments, got 2: if(bool, value, value)"),
        ("base_pya", "unknown name 'base_pya' in the plan scope; did you mean 'base_pay'?"),
        ("True", "unknown name 'True' in the plan scope; did you mean 'true'?"),
        ("weight > 1", "unknown name 'weight' in the plan scope"),
        ("components", "'components' is a collection: pass it to a function that takes one"),
        ("abs", "'abs' is a function: call it as abs(...)"),
        (
            "role_kind in ['sales', 'servic']",
            "'servic' is not a valid role_kind: expected one of "
            "'back_office', 'sales', 'service'; did you mean 'service'?",
        ),
        (
            "'Sales' != role_kind",
            "'Sales' is not a valid role_kind: expected one of "
            "'back_office', 'sales', 'service'; did you mean 'sales'?",
        ),
        ("-'a'", "the operand of '-' must be a number, got string"),
        ("not base_pay", "the operand of 'not' must be a bool, got number"),
        ("base_pay == 'a'", "'==' cannot compare number with string"),
        ("name < 'b'", "'<' compares numbers or dates, got string"),
        ("duties == duties", "'==' compares numbers, strings, bools or dates, got list"),
        (
            "base_pay > null",
            "'>' cannot compare with null: use '== null' to test for a missing value",
        ),
        ("base_pay == [1, 2]", "a list can only follow 'in' or 'not in'"),
        (
            "base_pay in ['a']",
            "the left side of 'in' (to match the list) must be a string, got number",
        ),
        ("'a' in name", "the right side of 'in' must be a list, got string"),
        ("1 not in duties", "the left side of 'not in' must be a string, got number"),
        ("'a;b' in duties", "a list item cannot contain ';'"),
        ("effective_from < '2027-13-01'", "'2027-13-01' is not a valid date: expected YYYY-MM-DD"),
        ("effective_from < '1 May'", "'1 May' is not a valid date: expected YYYY-MM-DD"),
        ("effective_from < '9999-12-31'",
         "'9999-12-31' is past the dates kept: expected a date from 1678 to 2261"),
        (
            "any_of(base_pay > 1, true)",
            "argument 1 of 'any_of' must be a collection of the plan "
            "scope, got an expression: expected one of 'components'",
        ),
        (
            "any_of(componets, true)",
            "argument 1 of 'any_of' must be a collection of the plan "
            "scope, got 'componets': expected one of 'components'; did you mean 'components'?",
        ),
        ("any_of(components, weight)", "argument 2 of 'any_of' must be a bool, got number"),
        ("any_of(components, base_pay > 1)", "unknown name 'base_pay' in the component scope"),
        (
            "share(name) > 0",
            "argument 1 of 'share' must be a string literal: one of "
            "'cost_efficiency', 'quality', 'resolution', 'speed', 'throughput'",
        ),
        (
            "share('sped') > 0",
            "'sped' is not a valid category: expected one of 'cost_efficiency', "
            "'quality', 'resolution', 'speed', 'throughput'; did you mean 'speed'?",
        ),
        (
            "round(base_pay, 1.5)",
            "argument 2 of 'round' must be a whole number literal from 0 to 15",
        ),
        (
            "round(base_pay, base_pay)",
            "argument 2 of 'round' must be a whole number literal from 0 to 15",
        ),
        ("if(true, 1, 'a')", "argument 3 of 'if' must be a number, got string"),
        ("if(base_pay, 1, 2)", "argument 1 of 'if' must be a bool, got number"),
        ("coalesce(null, null)", "'coalesce' needs a value that is not null"),
        (
            "if(true, true, null)",
            "'if' cannot give null where it gives a bool: a bool is never missing",
        ),
        ("len(name)", "argument 1 of 'len' must be a list, got string"),
        ("null", "expression is always null"),
        ("lower(name)", "condition must be a bool, got string"),
    ],
)
def test_checker_errors(source: str, message: str) -> None:
    assert error(source, expect=Type.BOOL).message == message


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("__class__", "'__class__' is not allowed: no part of a name may start with '_'", 0),
        ("base_pay._x", "'base_pay._x' is not allowed: no part of a name may start with '_'", 0),
        ("().__class__", "'__class__' is not allowed: no part of a name may start with '_'", 3),
        (
            "__import__('os')",
            "'__import__' is not allowed: no part of a name may start with '_'",
            0,
        ),
        ("(base_pay).real", "unexpected '.': attribute access is not part of the language", 10),
        ("()", "unexpected ')': expected a value", 1),
        ("duties[0]", "unexpected '[': indexing is not part of the language", 6),
        ("9**9**9", "the exponent of '**' must be a number literal from -4 to 4, got 9", 3),
        (
            "2**base_pay",
            "the exponent of '**' must be a number literal from -4 to 4, got 'base_pay'",
            3,
        ),
        ("2 ** -5", "the exponent of '**' must be a number literal from -4 to 4, got -5", 5),
        ("2 ** 2 ** 2", "'**' cannot be chained: its exponent must be a single number literal", 7),
        (
            "2 **",
            "the exponent of '**' must be a number literal from -4 to 4, got end of expression",
            4,
        ),
        ("1e16 > 0", "number '1e16' is out of range; the limit is 1e+15", 0),
        ("1e999 > 0", "number '1e999' is out of range; the limit is 1e+15", 0),
        ("base_pay = 1", "unexpected character '=': use '==' to compare", 9),
        ("true && false", "unexpected character '&': use 'and'", 5),
        ("!true", "unexpected character '!': use 'not'", 0),
        ("base_pay > 1; true", "unexpected character ';'", 12),
        ("@x", "unexpected character '@'", 0),
        ("name == 'abc", "unterminated string", 8),
        ("name == 'a\\nb'", "invalid escape '\\n': only the quote and '\\' can be escaped", 10),
        ("lambda: 1", "unexpected character ':'", 6),
        (
            "[x for x in y]",
            "unexpected 'x': expected a number or a string (list items are literals)",
            1,
        ),
        (
            "base_pay in [[1]]",
            "unexpected '[': expected a number or a string (list items are literals)",
            13,
        ),
        ("base_pay in []", "a list needs at least one item", 12),
        ("base_pay in [1, 'a']", "a list must hold only numbers or only strings", 12),
        (
            "base_pay in [1,]",
            "unexpected ']': expected a number or a string (list items are literals)",
            15,
        ),
        ("abs(base_pay,)", "unexpected ')': expected a value", 13),
        ("abs(base_pay", "unexpected end of expression: expected ',' or ')'", 12),
        ("(base_pay > 1", "unexpected end of expression: expected ')'", 13),
        (
            "base_pay > 1 true",
            "unexpected 'true': expected an operator or the end of the expression",
            13,
        ),
        ("true and not", "unexpected end of expression: expected a value", 12),
        ("1 + not true", "'not' needs parentheses here: write (not ...)", 4),
        ("x if y else z", "unexpected 'if': expected an operator or the end of the expression", 2),
    ],
)
def test_syntax_errors(source: str, message: str, offset: int) -> None:
    found = error(source)
    assert (found.message, found.offset) == (message, offset)


def test_escaped_quotes_and_backslashes_are_the_only_escapes() -> None:
    assert run(r"name == 'it\'s' or name == 'a\\b'") == [False] * 4
    tree = compile_plan(r'"say \"hi\" \\ bye"').tree
    assert tree.node.value == 'say "hi" \\ bye'  # type: ignore[union-attr]


def test_caret_points_into_the_right_line_of_a_multi_line_source() -> None:
    source = "role_kind == 'service'\n  and base_pya > 1\n  and true"
    assert caret(source) == (
        "unknown name 'base_pya' in the plan scope; did you mean 'base_pay'?\n"
        "  and base_pya > 1\n"
        "      ^^^^^^^^"
    )
    assert error(source).position(source) == (2, 7)


def test_caret_keeps_tabs_and_clips_at_the_end_of_the_line() -> None:
    assert ExpressionError("x", 2, 50).caret("\ta\tb\nnext") == "\ta\tb\n\t ^^"
    assert ExpressionError("x", 3, 1).caret("abc") == "abc\n   ^"


def test_caret_of_a_huge_line_shows_a_window() -> None:
    source = "1 + " * 2000 + "1"
    shown = ExpressionError("x", 4000, 5).caret(source)
    line, marks = shown.split("\n")
    assert line.startswith("...") and line.endswith("...") and len(line) == 106
    assert marks == " " * 53 + "^^^^^"


def test_errors_survive_pickling() -> None:
    found = pickle.loads(pickle.dumps(error("base_pya > 1")))
    assert (found.message, found.offset, found.length) == (error("base_pya > 1").message, 0, 8)
    assert str(found) == found.message


# -- limits and hostile input ----------------------------------------------------------------


def test_a_million_characters_are_refused_before_tokenizing() -> None:
    found = error("(" * 1_000_000)
    assert found.message == "expression is 1000000 characters long; the limit is 4000"
    assert found.offset == 4000


def test_ten_thousand_nested_parentheses_are_refused_by_depth_not_recursion() -> None:
    source = "(" * 10_000 + "1" + ")" * 10_000
    found = error(source, limits=Limits(max_length=100_000))
    assert (found.message, found.offset) == ("expression nests deeper than 48 levels", 48)
    assert error(source).message == "expression is 20001 characters long; the limit is 4000"
    assert error("(" * 1000 + "1" + ")" * 1000).message == "expression nests deeper than 48 levels"


@pytest.mark.parametrize(
    "source",
    ["-" * 3000 + "1", "not " * 900 + "true", "abs(" * 600 + "1" + ")" * 600],
)
def test_deep_prefix_chains_are_refused_by_depth(source: str) -> None:
    assert error(source).message == "expression nests deeper than 48 levels"


def test_long_operator_chains_count_as_nesting() -> None:
    assert run(" + ".join(["base_pay"] * 40) + " > 0") == [True, False, False, True]
    found = error(" + ".join(["1"] * 60))
    assert found.message.startswith("expression nests deeper than 48 levels (each '+' ")


def test_node_count_is_bounded() -> None:
    source = "min(" + ", ".join(["1"] * 600) + ")"
    message = "expression has more than 500 values, names, operators and calls"
    assert error(source).message == message
    assert compile_plan(source, limits=Limits(max_nodes=1000)).type is Type.NUMBER


def test_limits_are_configurable() -> None:
    assert error("2 ** 3", limits=Limits(max_exponent=2)).message == (
        "the exponent of '**' must be a number literal from -2 to 2, got 3"
    )
    assert error("100 > 1", limits=Limits(max_abs_literal=10)).message == (
        "number '100' is out of range; the limit is 10"
    )
    assert error("1 > 0", limits=Limits(max_length=3)).message == (
        "expression is 5 characters long; the limit is 3"
    )


def test_caller_mistakes_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown scope 'plans'"):
        compile_expression("true", "plans", SCOPES)
    bad = dict(SCOPES)
    bad["plan"] = Scope("plan", {}, {"abs": PLAN_FUNCTIONS["share"]}, {})
    with pytest.raises(ValueError, match="redefines the built-in function 'abs'"):
        compile_expression("true", "plan", bad)


# -- values ----------------------------------------------------------------------------------


def test_arithmetic_with_missing_values_and_division_by_zero() -> None:
    assert same_numbers(run("base_pay + 1"), [30001.0, NAN, 1.0, 45001.0])
    assert same_numbers(run("base_pay / 0"), [NAN] * 4)
    assert same_numbers(run("1 / base_pay * 30000"), [1.0, NAN, NAN, 1 / 45000 * 30000])
    assert same_numbers(run("base_pay ** -1 * 30000"), [1.0, NAN, NAN, 1 / 45000 * 30000])
    assert same_numbers(run("-base_pay - 1"), [-30001.0, NAN, -1.0, -45001.0])
    assert same_numbers(run("base_pay ** 0"), [1.0, NAN, 1.0, 1.0])
    assert same_numbers(run("(base_pay - 30000) ** 0.5"), [0.0, NAN, NAN, math.sqrt(15000)])


def test_precedence() -> None:
    values = {
        "1 + 2 * 3": 7.0,
        "(1 + 2) * 3": 9.0,
        "-2 ** 2": -4.0,
        "2 ** -1": 0.5,
        "10 - 4 - 3": 3.0,
        "12 / 3 / 2": 2.0,
        "2 * 3 ** 2": 18.0,
        "-(-3)": 3.0,
        "- - 3": 3.0,
    }
    for source, value in values.items():
        assert run(source) == [value] * 4, source
    truths = {
        "not true and false": False,
        "not (true and false)": True,
        "true or true and false": True,
        "(true or true) and false": False,
        "not 1 > 2": True,
        "1 + 1 == 2 and 3 > 2": True,
        "false or not false": True,
    }
    for source, truth in truths.items():
        assert run(source) == [truth] * 4, source


def test_percents_are_fractions() -> None:
    assert run("50% == 0.5 and 0.7% == 0.007 and 12.5% == 0.125 and 100% == 1") == [True] * 4
    assert run("param.share >= 50%") == [True, True, False, True]
    assert run("1e3 == 1000 and 1E-2 == 0.01") == [True] * 4


def test_comparisons_with_missing_values_are_false() -> None:
    assert run("base_pay > 1000") == [True, False, False, True]
    assert run("base_pay <= 1000") == [False, False, True, False]
    assert run("base_pay != 0") == [True, False, False, True]
    assert run("role_kind != 'sales'") == [True, False, True, False]
    assert run("effective_from < '2027-02-01'") == [True, False, True, False]
    assert run("effective_from != '2027-01-01'") == [False, False, True, True]


def test_null_tests() -> None:
    assert run("base_pay == null") == [False, True, False, False]
    assert run("null != base_pay") == [True, False, True, True]
    assert run("role_kind == null") == [False, False, False, True]
    assert run("effective_from == null") == [False, True, False, False]
    assert run("duties == null") == [False, True, True, False]
    assert run("customer_facing == null") == [False] * 4
    assert run("null == null") == [True] * 4


def test_membership_in_list_literals() -> None:
    assert run("role_kind in ['service', 'sales']") == [True, True, False, False]
    assert run("role_kind not in ['service', 'sales']") == [False, False, True, False]
    assert run("base_pay in [0, 30000]") == [True, False, True, False]
    assert run("base_pay not in [0, -1]") == [True, False, False, True]
    assert run("param.share in [50%]") == [True, True, False, True]


def test_membership_in_list_fields() -> None:
    assert run("'resolve_issue' in duties") == [True, False, False, True]
    assert run("'resolve' in duties") == [False] * 4
    assert run("'first_time_fix' not in duties") == [False, True, True, True]
    assert run("lower(name) in duties") == [False] * 4
    assert run("'' in duties") == [False] * 4


def test_hand_written_lists_are_read_item_by_item() -> None:
    lists = FakeContext(
        {
            "duties": _objects(" a ; ;b;", ";a", "a b;c", "\tb\t", "ab", None),
            "name": _objects("b", "a", "a b", "b", "a", "a"),
        }
    )
    assert run("'b' in duties", lists) == [True, False, False, True, False, False]
    assert run("name in duties", lists) == [True, True, True, True, False, False]
    assert run("' a' in duties", lists) == [False] * 6
    assert run("len(duties)", lists) == [2.0, 1.0, 2.0, 1.0, 1.0, 0.0]
    assert run("duties == null", lists) == [False] * 5 + [True]


def test_builtin_functions() -> None:
    assert run("abs(0 - base_pay) == base_pay") == [True, False, True, True]
    assert same_numbers(run("min(base_pay, 100)"), [100.0, 100.0, 0.0, 100.0])
    assert same_numbers(run("max(base_pay, 100, -1)"), [30000.0, 100.0, 100.0, 45000.0])
    assert same_numbers(run("min(base_pay, base_pay)"), [30000.0, NAN, 0.0, 45000.0])
    assert run("coalesce(base_pay, -1)") == [30000.0, -1.0, 0.0, 45000.0]
    assert run("coalesce(role_kind, 'none')") == ["service", "sales", "back_office", "none"]
    assert run("coalesce(effective_from, effective_from) == null") == [False, True, False, False]
    assert run("if(customer_facing, 'yes', 'no')") == ["yes", "yes", "no", "yes"]
    assert same_numbers(run("if(base_pay > 0, base_pay, null)"), [30000.0, NAN, NAN, 45000.0])
    assert run("if(true, role_kind, null) == null") == [False, False, False, True]
    assert run("round(base_pay / 7, 2)")[0] == 4285.71
    assert run("round(2.5, 0) + round(3.5, 0)") == [6.0] * 4  # half to even, as numpy
    assert run("len(duties)") == [2.0, 0.0, 0.0, 1.0]
    assert run("lower(name)") == ["agent", "seller", "billing", None]
    assert run("lower(name) == 'agent'") == [True, False, False, False]


def test_collection_and_lambda_parameters() -> None:
    assert run("any_of(components, kpi.category == 'speed')") == [True, False, False, True]
    assert run("count_of(components)") == [2.0, 1.0, 0.0, 2.0]
    assert run("count_of(components, weight >= 50%)") == [1.0, 1.0, 0.0, 2.0]
    assert run("sum_of(components, weight * 100)") == [100.0, 100.0, 0.0, 100.0]
    assert run("share('speed')") == [0.6, 0.0, 0.0, 0.5]
    assert run("customer_weight(kpi.category in ['resolution', 'quality'])") == [0.4, 0, 0, 0.5]
    assert run("any_of(components, basis == null)") == [False, False, False, True]


def test_short_rules_mixing_everything() -> None:
    source = (
        "role_kind in ['service', 'sales'] and share('speed') >= param.share "
        "and not any_of(components, kpi.category in ['resolution', 'quality'])"
    )
    assert run(source) == [False, False, False, False]
    source = "coalesce(base_pay, 0) == 0 or 'resolve_issue' not in duties or share('speed') > 50%"
    assert run(source) == [True, True, True, False]
    source = """customer_facing
        and effective_from >= '2027-01-01'
        and count_of(components, kpi.category == "speed" and weight > 40%) >= 1"""
    assert run(source) == [True, False, False, True]


def test_compiled_reports_its_type_and_names() -> None:
    compiled = compile_plan(
        "base_pay > 0 and any_of(components, kpi.category == 'speed' and weight > 0)",
        expect=Type.BOOL,
    )
    assert compiled.type is Type.BOOL
    assert compiled.scope == "plan"
    assert compiled.names == frozenset({"base_pay"})
    assert compiled.names_by_scope == {
        "plan": frozenset({"base_pay"}),
        "component": frozenset({"kpi.category", "weight"}),
    }
    result = compiled.evaluate(PLANS)
    assert result.dtype == np.bool_ and result.shape == (4,)


def test_compiled_says_what_a_list_fields_items_are_looked_up_as() -> None:
    """``kpi.category in param.categories``: the items of param.categories are categories,
    which the rule engine checks a parameter's value against (a misspelt item never
    matches); a list looked up as two fields holds the values of either."""
    lists = {"param.kinds": Field(Type.LIST), "param.categories": Field(Type.LIST)}
    scopes = {name: replace(scope, fields={**scope.fields, **lists})
              for name, scope in SCOPES.items()}
    compiled = compile_expression(
        "role_kind in param.kinds and 'x' in duties and any_of(components, kpi.category not "
        "in param.categories and basis in param.kinds)", "plan", scopes, expect=Type.BOOL)
    assert compiled.vocabularies == {"param.kinds": ("role_kind", ROLE_KINDS),
                                     "param.categories": ("category", CATEGORIES)}
    assert checker.merge_vocabularies(
        compiled.vocabularies, {"param.kinds": ("category", CATEGORIES)}) == {
        "param.kinds": ("role_kind or category", ROLE_KINDS | CATEGORIES),
        "param.categories": ("category", CATEGORIES)}
    assert compile_plan("role_kind in ['service']").vocabularies == {}


def test_constants_broadcast_and_empty_contexts_work() -> None:
    assert run("true") == [True] * 4
    assert run("'x'") == ["x"] * 4
    empty = FakeContext({name: values[:0] for name, values in PLANS.columns.items()})
    no_rows = FakeContext({name: values[:0] for name, values in COMPONENTS.columns.items()})
    empty.children = {"components": (no_rows, np.array([], dtype=int))}
    for source in ("base_pay > 1 and 'a' in duties", "share('speed')", "lower(name)"):
        assert compile_plan(source).evaluate(empty).shape == (0,)


def test_columns_are_coerced_to_their_type() -> None:
    raw = FakeContext(
        {
            "base_pay": np.array([1, None, 3], dtype=object),
            "role_kind": np.array(["sales", np.nan, "service"], dtype=object),
            "effective_from": np.array(["2027-01-01", None, "bad"], dtype=object),
            "customer_facing": np.array([1, 0, 1]),
            "duties": np.array(["a;b", np.nan, "a"], dtype=object),
        }
    )
    assert same_numbers(run("base_pay * 2", raw), [2.0, NAN, 6.0])
    assert run("role_kind == null", raw) == [False, True, False]
    assert run("effective_from == null", raw) == [False, True, True]
    assert run("customer_facing", raw) == [True, False, True]
    assert run("'a' in duties", raw) == [True, False, True]
    assert raw.columns["role_kind"][1] is np.nan  # the engine's column is left untouched


def test_an_implementation_returning_the_wrong_shape_is_a_value_error() -> None:
    broken = dict(SCOPES)
    bad = _function("bad", Type.NUMBER, lambda ctx: np.zeros(ctx.size + 1))
    broken["plan"] = Scope("plan", {}, {"bad": bad}, {})
    compiled = compile_expression("bad() > 0", "plan", broken)
    with pytest.raises(ValueError, match="function 'bad' has shape"):
        compiled.evaluate(PLANS)


def test_untyped_value_parameters_refuse_null() -> None:
    scopes = dict(SCOPES)
    first = _function("first", Type.NUMBER, lambda ctx, value: value, Param("value", "value"))
    scopes["plan"] = Scope("plan", {"base_pay": Field(Type.NUMBER)}, {"first": first}, {})
    assert compile_expression("first(base_pay)", "plan", scopes).evaluate(PLANS)[0] == 30000
    with pytest.raises(ExpressionError, match="argument 1 of 'first' cannot be null"):
        compile_expression("first(null)", "plan", scopes)


def test_builtin_signatures_and_implementations_agree() -> None:
    assert set(checker.BUILTINS) == set(evaluate.BUILTINS)


# -- properties ------------------------------------------------------------------------------

ROWS = 5
Reference = Callable[[dict[str, Any]], Any]
Expr = tuple[str, Reference]
NUMBER_COLUMNS = ("a", "b", "c")
PROPERTY_SCOPES = {
    "t": Scope(
        "t",
        {
            **{name: Field(Type.NUMBER) for name in NUMBER_COLUMNS},
            "p": Field(Type.BOOL),
            "q": Field(Type.BOOL),
        },
        {},
        {},
    )
}
PROPERTY_LIMITS = Limits(max_depth=200, max_nodes=2000)


def _ref_divide(x: float, y: float) -> float:
    return NAN if y == 0 else x / y


def _ref_power(x: float, exponent: int) -> float:
    result = NAN if math.isnan(x) else 1.0
    for _ in range(abs(exponent)):
        result *= x
    if exponent < 0:
        return NAN if result == 0 else 1 / result
    return result


def _ref_fmin(values: list[float], pick: Callable[..., float]) -> float:
    present = [value for value in values if not math.isnan(value)]
    return pick(present) if present else NAN


_REF_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": _ref_divide}
_REF_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _literal(value: int) -> Expr:
    return (f"({value})" if value < 0 else str(value)), lambda row: float(value)


number_leaves = st.one_of(
    st.sampled_from(NUMBER_COLUMNS).map(lambda name: (name, lambda row: row[name])),
    st.integers(-5, 5).map(_literal),
    st.sampled_from([("25%", 0.25), ("0.5", 0.5), ("1e2", 100.0)]).map(
        lambda pair: (pair[0], lambda row: pair[1])
    ),
)


def _comparisons(numbers: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    def compare(op: str, left: Expr, right: Expr) -> Expr:
        def reference(row: dict[str, Any]) -> bool:
            x, y = left[1](row), right[1](row)
            return not (math.isnan(x) or math.isnan(y)) and _REF_COMPARE[op](x, y)

        return f"({left[0]} {op} {right[0]})", reference

    def null_test(op: str, value: Expr) -> Expr:
        return f"({value[0]} {op} null)", lambda row: math.isnan(value[1](row)) == (op == "==")

    def member(op: str, value: Expr, items: list[int]) -> Expr:
        def reference(row: dict[str, Any]) -> bool:
            x = value[1](row)
            return not math.isnan(x) and ((x in items) == (op == "in"))

        return f"({value[0]} {op} {items})", reference

    return st.one_of(
        st.builds(compare, st.sampled_from(sorted(_REF_COMPARE)), numbers, numbers),
        st.builds(null_test, st.sampled_from(["==", "!="]), numbers),
        st.builds(
            member,
            st.sampled_from(["in", "not in"]),
            numbers,
            st.lists(st.integers(-3, 3), min_size=1, max_size=3),
        ),
    )


def _extend_numbers(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    def arithmetic(op: str, left: Expr, right: Expr) -> Expr:
        return f"({left[0]} {op} {right[0]})", lambda row: _REF_ARITHMETIC[op](
            left[1](row), right[1](row)
        )

    def power(base: Expr, exponent: int) -> Expr:
        return f"({base[0]} ** {exponent})", lambda row: _ref_power(base[1](row), exponent)

    def extreme(name: str, args: list[Expr]) -> Expr:
        pick = min if name == "min" else max
        text = f"{name}({', '.join(arg[0] for arg in args)})"
        return text, lambda row: _ref_fmin([arg[1](row) for arg in args], pick)

    def choose(condition: Expr, then: Expr, otherwise: Expr) -> Expr:
        text = f"if({condition[0]}, {then[0]}, {otherwise[0]})"
        return text, lambda row: then[1](row) if condition[1](row) else otherwise[1](row)

    def coalesce(value: Expr, default: Expr) -> Expr:
        def reference(row: dict[str, Any]) -> float:
            x = value[1](row)
            return default[1](row) if math.isnan(x) else x

        return f"coalesce({value[0]}, {default[0]})", reference

    return st.one_of(
        st.builds(arithmetic, st.sampled_from(sorted(_REF_ARITHMETIC)), children, children),
        st.builds(power, children, st.integers(-2, 4)),
        children.map(lambda e: (f"(-{e[0]})", lambda row: -e[1](row))),
        children.map(lambda e: (f"abs({e[0]})", lambda row: abs(e[1](row)))),
        st.builds(
            extreme, st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=3)
        ),
        st.builds(choose, _comparisons(children), children, children),
        st.builds(coalesce, children, children),
    )


numbers = st.recursive(number_leaves, _extend_numbers, max_leaves=8)


def _extend_bools(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    def junction(op: str, left: Expr, right: Expr) -> Expr:
        pick = all if op == "and" else any
        return f"({left[0]} {op} {right[0]})", lambda row: pick([left[1](row), right[1](row)])

    return st.one_of(
        st.builds(junction, st.sampled_from(["and", "or"]), children, children),
        children.map(lambda e: (f"(not {e[0]})", lambda row: not e[1](row))),
    )


bool_leaves = st.one_of(
    st.sampled_from(["p", "q"]).map(lambda name: (name, lambda row: bool(row[name]))),
    st.sampled_from([True, False]).map(lambda v: (str(v).lower(), lambda row: v)),
    _comparisons(numbers),
)
bools = st.recursive(bool_leaves, _extend_bools, max_leaves=5)

column_values = st.one_of(
    st.floats(-1e3, 1e3, allow_nan=False), st.just(NAN), st.sampled_from([0.0, 1.0, -1.0, 0.5])
)


@st.composite
def contexts(draw: st.DrawFn) -> FakeContext:
    columns = {
        name: np.array(draw(st.lists(column_values, min_size=ROWS, max_size=ROWS)))
        for name in NUMBER_COLUMNS
    }
    for name in ("p", "q"):
        columns[name] = np.array(draw(st.lists(st.booleans(), min_size=ROWS, max_size=ROWS)))
    return FakeContext(columns)


def _reference(expr: Expr, ctx: FakeContext) -> list[Any]:
    rows = [{name: values[i].item() for name, values in ctx.columns.items()} for i in range(ROWS)]
    return [expr[1](row) for row in rows]


@settings(max_examples=300, deadline=None)
@given(numbers, contexts())
def test_number_expressions_match_a_row_by_row_reference(expr: Expr, ctx: FakeContext) -> None:
    compiled = compile_expression(expr[0], "t", PROPERTY_SCOPES, limits=PROPERTY_LIMITS)
    assert compiled.type is Type.NUMBER
    assert same_numbers(compiled.evaluate(ctx).tolist(), _reference(expr, ctx)), expr[0]


@settings(max_examples=300, deadline=None)
@given(bools, contexts())
def test_bool_expressions_match_a_row_by_row_reference(expr: Expr, ctx: FakeContext) -> None:
    compiled = compile_expression(
        expr[0], "t", PROPERTY_SCOPES, expect=Type.BOOL, limits=PROPERTY_LIMITS
    )
    result = compiled.evaluate(ctx)
    assert result.dtype == np.bool_
    assert result.tolist() == _reference(expr, ctx), expr[0]


GRAMMAR_CHARACTERS = list("abcdeinotrsu_.,()[]'\"\\ +-*/<>=!%0123456789\n\t")
VOCABULARY = [
    "base_pay",
    "role_kind",
    "duties",
    "name",
    "effective_from",
    "customer_facing",
    "param.share",
    "weight",
    "kpi.category",
    "components",
    "abs",
    "min",
    "max",
    "coalesce",
    "if",
    "round",
    "len",
    "lower",
    "any_of",
    "count_of",
    "share",
    "sum_of",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "and",
    "or",
    "not",
    "in",
    "==",
    "!=",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "**",
    "1",
    "-2",
    "0.5",
    "50%",
    "1e3",
    "'service'",
    "'speed'",
    "'resolve_issue'",
    "'2027-01-01'",
    "null",
    "true",
    "false",
    "_x",
    "__class__",
]


ANY_LEAVES = [
    *VOCABULARY[:10],
    *(word for word in VOCABULARY if word[0] in "'0123456789" or word in ("-2", "null", "true")),
    "['service', 'sales']",
    "[1, 2]",
]
ANY_FUNCTIONS = [*checker.BUILTINS, *PLAN_FUNCTIONS]
ANY_OPERATORS = ["and", "or", "==", "!=", "<", ">=", "in", "not in", "+", "-", "*", "/"]


def _extend_any(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("({1} {0} {2})".format, st.sampled_from(ANY_OPERATORS), children, children),
        st.builds("({} ** {})".format, children, st.integers(-4, 4)),
        st.builds("({} {})".format, st.sampled_from(["not", "-"]), children),
        st.builds(
            lambda name, args: f"{name}({', '.join(args)})",
            st.sampled_from(ANY_FUNCTIONS),
            st.lists(children, max_size=3),
        ),
    )


well_formed = st.recursive(st.sampled_from(ANY_LEAVES), _extend_any, max_leaves=10)


def _survives(source: str) -> None:
    try:
        compiled = compile_plan(source)
    except ExpressionError as problem:
        assert problem.message[0] in "abcdefghijklmnopqrstuvwxyz'"
        assert 0 <= problem.offset <= len(source) and problem.length >= 1
        assert "^" in problem.caret(source)
        return
    # whatever compiles must also run, one value per row
    assert compiled.evaluate(PLANS).shape == (PLANS.size,)


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(GRAMMAR_CHARACTERS) | st.characters(), max_size=80))
def test_garbage_text_only_ever_raises_expression_error(source: str) -> None:
    _survives(source)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=25).map(" ".join))
def test_token_soup_only_ever_raises_expression_error(source: str) -> None:
    _survives(source)


@settings(max_examples=500, deadline=None)
@given(well_formed)
def test_well_formed_expressions_of_any_type_compile_and_run_or_raise(source: str) -> None:
    _survives(source)


@pytest.mark.parametrize("source, said", [
    ("weight > 50", "weight is a share from 0 to 1, so it is never more than 1: did you mean "
                    "0.5 (50 %)?\nweight > 50\n         ^^"),
    ("40 <= share('speed')", "share() is a share from 0 to 1, so it is never more than 1: did "
                             "you mean 0.4 (40 %)?\n40 <= share('speed')\n^^"),
])
def test_a_share_compared_with_a_whole_percent_is_refused(source: str, said: str) -> None:
    """`weight > 50` (meant: 50 %) never held, and the rule never fired, without a word."""
    from policycheck.scopes import build_scopes

    scope = "component" if "weight" in source else "plan"
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, scope, build_scopes({}))
    assert f"{info.value.message}\n{info.value.caret(source)}" == said
    assert compile_expression("weight >= 1 and weight > 0.5", "component",
                              build_scopes({})).type is Type.BOOL


@pytest.mark.parametrize("source, said", [
    (" or ".join(f"role_kind == 'k{i}'" for i in range(50)),
     "(each 'or' of a chain is a level: match a list of values with 'in [...]')"),
    (" + ".join(["base_pay"] * 60), "(each '+' of a chain is a level: name parts of it as "
                                    "evidence, and use the names)"),
    ("(" * 60 + "1" + ")" * 60, ""),
])
def test_a_long_flat_chain_says_why_it_nests(source: str, said: str) -> None:
    """45 'or's written flat were refused as "nests deeper than 48 levels": the author wrote
    no nesting, and was not told what to write instead."""
    message = error(source).message
    assert message == f"expression nests deeper than 48 levels {said}".rstrip()
