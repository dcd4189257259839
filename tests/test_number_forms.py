"""A number cell read alike in every input form: a YAML value unquoted and quoted, a CSV cell,
a workbook's number and text cells (policycheck/numberparsing.py, numberhints.py, points.py,
and the YAML loader's ``SeparatedNumber``, documents.py).

Two cases: a share (a component's weight, a deferral's share) written past 1 without its
percent sign, whose hint offers a percent only where one is likely meant; and a number
written with underscores (``32_000``), YAML's own number unquoted but text anywhere else,
which a number field refuses as it refuses ``32,000``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policycheck.loading import Loaded, load_paths
from policycheck.validation import load_model

Inputs = Callable[[dict[str, str | bytes]], Path]

EXPECTED_SHARE = "expected a fraction between 0 and 1 or a percent like '50%'"
EXPECTED_NUMBER = "expected a number"


def _problems(where: str) -> list[str]:
    return [str(p) for p in load_model([where]).problems]


def _book(path: str, plans: list[list[Any]], components: list[list[Any]]) -> None:
    """A workbook of a plans and a components sheet, each with its header first."""
    openpyxl = pytest.importorskip("openpyxl")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.active.title = "plans"
    for row in plans:
        book["plans"].append(row)
    sheet = book.create_sheet("components")
    for row in components:
        sheet.append(row)
    book.save(path)


# --- a share past 1 ---------------------------------------------------------------------

def _weight_yaml(written: str) -> str:
    return ("plan:\n  id: p1\n  role_kind: service\n  base_pay: 30000\n"
            "  target_variable: 3000\n  components:\n"
            f"    - {{id: c1, kpi: fcr, weight: {written}}}\n"
            "    - {id: c2, kpi: csat, weight: 0.4}\n")


PLANS_CSV = "id,role_kind,base_pay,target_variable\np1,service,30000,3000\n"


def _weight_csv(written: str) -> str:
    return f"plan_id,id,kpi,weight\np1,c1,fcr,{written}\np1,c2,csat,0.4\n"


#: A weight written past 1, and the end of its message: a percent offered only from 2 to
#: 100 ('60%'); below, what the number is as a fraction (it read '1.5%'); past, nothing.
WEIGHTS_PAST_ONE = [
    ("1.5", 1.5, "; 1.5 is 150%, more than 100%"),
    ("60", 60, "; did you mean '60%'?"),
    ("150", 150, ""),
    ("2", 2, "; did you mean '2%'?"),
]


@pytest.mark.parametrize("written, number, hint", WEIGHTS_PAST_ONE)
def test_a_weight_past_one_offers_a_percent_only_where_one_is_likely(
        inputs: Inputs, written: str, number: float, hint: str) -> None:
    """``weight: 1.5`` was told "did you mean '1.5%'?": a weight of 150% (a multiple) or a
    slip for 15% is more likely. The same end in YAML, a CSV export and a workbook, whose
    number cells show as numbers and text cells as text."""
    inputs({"y/a.yaml": _weight_yaml(written), "t/plans.csv": PLANS_CSV,
            "t/components.csv": _weight_csv(written)})
    _book("book/book.xlsx",
          [["id", "role_kind", "base_pay", "target_variable"], ["p1", "service", 30000, 3000]],
          [["plan_id", "id", "kpi", "weight"], ["p1", "c1", "fcr", number],
           ["p1", "c2", "fcr", written], ["p1", "c3", "csat", 0.4]])
    end = f"weight: got {written}, {EXPECTED_SHARE}{hint} [invalid-value]"
    quoted = f"weight: got '{written}', {EXPECTED_SHARE}{hint} [invalid-value]"
    assert _problems("y") == [f"y/a.yaml:7:26: error: plan 'p1', component 'c1': {end}"]
    assert _problems("t") == [f"t/components.csv:2: error: plan 'p1', component 'c1': {quoted}"]
    assert _problems("book") == [
        f"book/book.xlsx[components]:2: error: plan 'p1', component 'c1': {end}",
        f"book/book.xlsx[components]:3: error: plan 'p1', component 'c2': {quoted}"]


@pytest.mark.parametrize("written", ["0.6", "60%", "'60%'"])
def test_a_weight_written_as_a_share_is_read(inputs: Inputs, written: str) -> None:
    inputs({"y/a.yaml": _weight_yaml(written), "t/plans.csv": PLANS_CSV,
            "t/components.csv": _weight_csv(written.strip("'"))})
    for where in ("y", "t"):
        model = load_model([where])
        assert [str(p) for p in model.problems] == []
        assert model.frames["components"]["weight"].tolist() == [6000, 4000]


@pytest.mark.parametrize("written, hint", [
    ("1.5", "; 1.5 is 150%, more than 100%"), ("60", "; did you mean '60%'?"),
    ("150", ""), ("2", "; did you mean '2%'?")])
def test_a_deferral_share_past_one_says_the_same(inputs: Inputs, written: str,
                                                 hint: str) -> None:
    inputs({"y/a.yaml": ("plan:\n  id: p1\n  role_kind: service\n  base_pay: 30000\n"
                         "  target_variable: 3000\n  components:\n"
                         "    - {id: c1, kpi: fcr, weight: 1}\n"
                         f"  deferral: {{share: {written}, months: 6}}\n"),
            "t/plans.csv": "id,role_kind,base_pay,target_variable,deferral_share,"
                           f"deferral_months\np1,service,30000,3000,{written},6\n",
            "t/components.csv": "plan_id,id,kpi,weight\np1,c1,fcr,1\n"})
    assert _problems("y") == [f"y/a.yaml:8:14: error: plan 'p1': deferral_share: got "
                              f"{written}, {EXPECTED_SHARE}{hint} [invalid-value]"]
    assert _problems("t") == [f"t/plans.csv:2: error: plan 'p1': deferral_share: got "
                              f"'{written}', {EXPECTED_SHARE}{hint} [invalid-value]"]


# --- numbers with underscores -----------------------------------------------------------

def _pay_yaml(base_pay: str) -> str:
    return ("plan:\n  id: p1\n  role_kind: service\n"
            f"  base_pay: {base_pay}\n  target_variable: 3000\n  components:\n"
            "    - {id: c1, kpi: fcr, weight: 1}\n")


SEPARATED_HINT = "; write it without thousands separators: '32000'"


def test_unquoted_yaml_digit_separators_are_yaml_s_own_number(inputs: Inputs) -> None:
    """``base_pay: 32_000`` unquoted is YAML 1.1's way of writing 32000, which a number field
    reads; a text field keeps what was written (the plan '1_000', not '1000')."""
    inputs({"a.yaml": _pay_yaml("32_000").replace("id: p1", "id: 1_000")})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert model.plans[["plan_id", "base_pay"]].values.tolist() == [["1_000", 32000.0]]


@pytest.mark.parametrize("written", ['"32_000"', "'32_000'"])
def test_quoted_yaml_digit_separators_are_text_refused_as_a_table_cell(
        inputs: Inputs, written: str) -> None:
    """Quoted, ``32_000`` is text, which a number field reads as it reads a table cell: it
    was 32000 as if unquoted, where the same CSV cell was refused."""
    inputs({"a.yaml": _pay_yaml(written)})
    assert _problems(".") == [f"a.yaml:4:3: error: plan 'p1': base_pay: got '32_000', "
                              f"{EXPECTED_NUMBER}{SEPARATED_HINT} [invalid-value]"]


def test_a_csv_cell_with_digit_separators_is_refused_with_the_number_to_write(
        inputs: Inputs) -> None:
    """A CSV cell is text typed by a person or exported by a system: ``32_000`` there is
    refused as ``32,000`` and ``32 000`` are (it was refused with no hint)."""
    inputs({"plans.csv": "id,role_kind,base_pay,target_variable\np1,service,32_000,3000\n",
            "components.csv": "plan_id,id,kpi,weight\np1,c1,fcr,1\n"})
    assert _problems(".") == [f"plans.csv:2: error: plan 'p1': base_pay: got '32_000', "
                              f"{EXPECTED_NUMBER}{SEPARATED_HINT} [invalid-value]"]


def test_a_workbook_text_cell_with_digit_separators_is_refused(inputs: Inputs) -> None:
    inputs({})
    _book("book.xlsx",
          [["id", "role_kind", "base_pay", "target_variable"], ["p1", "service", "32_000", 3000]],
          [["plan_id", "id", "kpi", "weight"], ["p1", "c1", "fcr", 1]])
    assert _problems("book.xlsx") == [
        f"book.xlsx[plans]:2: error: plan 'p1': base_pay: got '32_000', "
        f"{EXPECTED_NUMBER}{SEPARATED_HINT} [invalid-value]"]


@pytest.mark.parametrize("field, written, hint", [
    ("base_pay", "-32_000", "; write it without thousands separators: '-32000'"),
    ("base_pay", "1_234_567.5", "; write it without thousands separators: '1234567.5'"),
    ("base_pay", "$32_000", "; without the currency, write it without thousands separators: "
                            "'32000'"),
    ("base_pay", "2_5", "; write it without underscores"),  # 25, or 2.5 mistyped
    ("headcount", "1_0", "; write it without underscores"),
    ("deferral_share", "0.2_5", "; write it without underscores"),
])
def test_digit_separators_in_text_say_how_to_write_the_number(
        inputs: Inputs, field: str, written: str, hint: str) -> None:
    """The same message for a CSV cell and a quoted YAML value; only thousands grouped by
    underscores name the number, which '2_5' may not be."""
    cells = {"base_pay": "30000", "headcount": "10", "deferral_share": "0", field: written}
    line = (f"  deferral: {{share: '{written}', months: 6}}\n" if field == "deferral_share"
            else f"  {field}: '{written}'\n")
    inputs({"t/plans.csv": "id,role_kind,target_variable,base_pay,headcount,deferral_share\n"
                           f"p1,service,3000,{cells['base_pay']},{cells['headcount']},"
                           f"{cells['deferral_share']}\n",
            "t/components.csv": "plan_id,id,kpi,weight\np1,c1,fcr,1\n",
            "y/a.yaml": ("plan:\n  id: p1\n  role_kind: service\n  target_variable: 3000\n"
                         "  components:\n    - {id: c1, kpi: fcr, weight: 1}\n"
                         + ("" if field == "base_pay" else "  base_pay: 30000\n") + line)})
    expected = (EXPECTED_SHARE if field == "deferral_share" else
                "expected a whole number" if field == "headcount" else EXPECTED_NUMBER)
    end = f"{field}: got '{written}', {expected}{hint} [invalid-value]"
    assert _problems("t") == [f"t/plans.csv:2: error: plan 'p1': {end}"]
    (yaml_problem,) = _problems("y")
    assert yaml_problem.split(": error: ")[1] == f"plan 'p1': {end}"


def test_points_and_rates_read_underscores_as_their_numbers_do(inputs: Inputs) -> None:
    """Curve points and rates, which Python's float read with underscores in a table cell
    (``100:1_00``, ``gold=1_000``), read them as every number field does: YAML's own
    unquoted number is read, text is refused with what to write."""
    hint = "; write its numbers without underscores [invalid-value]"
    inputs({"y/a.yaml": (
        "plans:\n"
        "  - {id: p1, role_kind: sales, base_pay: 1, target_variable: 10, components: [\n"
        "      {id: c1, kpi: revenue, weight: 1, curve_points: [[80, 0], [100, 1_00]],\n"
        "       rates: {gold_1: 1_000, 2_000: 5}}]}\n"
        "  - {id: p2, role_kind: sales, base_pay: 1, target_variable: 10, components: [\n"
        "      {id: c1, kpi: revenue, weight: 1, curve_points: [[80, 0], [100, '1_00']],\n"
        "       rates: {gold: '1_000'}}]}\n"),
        "t/plans.csv": "id,role_kind,base_pay,target_variable\np1,sales,1,10\n",
        "t/components.csv": "plan_id,id,kpi,weight,curve_points,rates\n"
                            "p1,c1,revenue,1,80:0;100:1_00,gold=1_000\n"})
    model = load_model(["y"])
    assert [str(p) for p in model.problems] == [
        "y/a.yaml:6:41: error: plan 'p2', component 'c1': curve_points: got [[80, 0], "
        "[100, '1_00']], expected a list of [attainment %, payout %] pairs, or "
        f"'80:0;100:100' in a table{hint}",
        "y/a.yaml:7:8: error: plan 'p2', component 'c1': rates: got {'gold': '1_000'}, "
        f"expected a mapping of product to amount, or 'gold=120;silver=80' in a table{hint}"]
    assert model.frames["curve_points"][["plan_id", "attainment", "payout"]].values.tolist() \
        == [["p1", 80.0, 0.0], ["p1", 100.0, 100.0]]
    assert model.frames["rates"][["plan_id", "product", "amount"]].values.tolist() == [
        ["p1", "2_000", 5.0], ["p1", "gold_1", 1000.0]]
    assert _problems("t") == [
        "t/components.csv:2: error: plan 'p1', component 'c1': curve_points: got "
        "'80:0;100:1_00', expected a list of [attainment %, payout %] pairs, or "
        f"'80:0;100:100' in a table{hint}",
        "t/components.csv:2: error: plan 'p1', component 'c1': rates: got 'gold=1_000', "
        f"expected a mapping of product to amount, or 'gold=120;silver=80' in a table{hint}"]


def test_yaml_digit_separators_come_back_from_the_cache_as_parsed(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader marks YAML's ``32_000`` for number fields; no record keeps the mark, which
    a pack (marshal data) cannot hold: a second run from the cache gives what a parse
    gives, wherever the number was written (a field, a list, a mapping's key and value)."""
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "plan:\n  id: 1_000\n  name: 2_027 plan\n  role_kind: sales\n  base_pay: 32_000\n"
        "  target_variable: 3_000\n  headcount: 1_0\n  duties: [1_000, resolve_issue]\n"
        "  components:\n    - {id: c1, kpi: revenue, weight: 1, curve_points: [[80, 0], "
        "[100, 1_00]], rates: {gold_1: 1_000, 2_000: 5}}\n", encoding="utf-8")
    first = load_paths([folder])
    assert len(list(cache_dir.rglob("*.pack"))) == 1
    with monkeypatch.context() as patch:
        patch.setenv("POLICYCHECK_NO_CACHE", "1")
        fresh = load_paths([folder])
    monkeypatch.setattr("policycheck.yamlfiles.read_yaml_file", None)  # no parse at all
    second = load_paths([folder])
    (plan,) = fresh.records.rows["plans"]
    assert {k: plan[k] for k in ("plan_id", "name", "base_pay", "target_variable",
                                 "headcount", "duties")} == {
        "plan_id": "1_000", "name": "2_027 plan", "base_pay": 32000, "target_variable": 3000,
        "headcount": 10, "duties": ["1_000", "resolve_issue"]}
    (component,) = fresh.records.rows["components"]
    assert (component["curve_points"], component["rates"]) == (
        [[80, 0], [100, 100]], {"gold_1": 1000, "2_000": 5})
    for loaded in (first, second):
        _same_records(loaded, fresh)


def _same_records(got: Loaded, fresh: Loaded) -> None:
    assert got.records.rows == fresh.records.rows and got.problems == fresh.problems == []
    for entity, rows in fresh.records.rows.items():
        for mine, theirs in zip(got.records.rows[entity], rows, strict=True):
            assert {k: type(v) for k, v in mine.items() if not isinstance(v, (dict, list))} \
                == {k: type(v) for k, v in theirs.items() if not isinstance(v, (dict, list))}
