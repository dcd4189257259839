"""Redaction of input problems: a bad cell of a pay field shows no pay figure in an output
that leaves the company (github, markdown, sarif; any format with --redact), not in its
value, its hint nor what was expected, while the problems of other fields stay whole."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import pytest

import policycheck
from policycheck.cli import main
from policycheck.errors import Location, Problem
from policycheck.formats.redact import redact
from policycheck.report import Report

ROOT = Path(__file__).resolve().parents[1]

#: (table, data row, column, spoiled value): cells of pay fields, written for people.
PAY_CELLS = (("plans.csv", 1, "base_pay", "32,000"),
             ("plans.csv", 2, "max_variable", "4000"),  # below its target_variable, 4050
             ("plans.csv", 3, "target_variable", "2850 EUR"),
             ("plans.csv", 4, "base_pay", "36 000"),
             ("plans.csv", 7, "pay_floor", "-9500"),
             ("competitions.csv", 1, "prize", "1,250 EUR"),
             ("employees.csv", 1, "base_pay", "30 700"))
#: Cells of other fields, whose problems are not about pay.
OTHER_CELLS = (("components.csv", 1, "weight", "1.5"),
               ("components.csv", 2, "kpi", "tickets_closd"),
               ("plans.csv", 6, "effective_from", "31/02/2027"))
#: What the pay cells above put in messages: the values, their hints and the bound.
FIGURES = ("32000", "32,000", "32.000", "36 000", "36000", "2850", "4050", "4000", "9500",
           "1250", "1,250", "1.250", "30 700", "30700")
#: What the other cells put in messages, kept in every output.
OTHER_VALUES = ("got '1.5'", "'tickets_closd'", "'tickets_closed'", "got '31/02/2027'")
#: Field names and problem codes a reader needs to find and fix each cell.
NAMES = ("base_pay", "max_variable", "target_variable", "pay_floor", "prize", "invalid-value",
         "out-of-range", "expected a number", "without thousands separators",
         "expected at least target_variable", "expected a value of at least 0")


@pytest.fixture
def spoiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CSV sample copied to ``t`` under tmp_path (the working folder), its cells of
    PAY_CELLS and OTHER_CELLS spoiled."""
    folder = tmp_path / "t"
    shutil.copytree(ROOT / "sample_data" / "csv", folder)
    for table, row, column, value in PAY_CELLS + OTHER_CELLS:
        path = folder / table
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
        rows[row][rows[0].index(column)] = value
        with path.open("w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(rows)
    monkeypatch.chdir(tmp_path)
    return folder


def problem_texts(capsys: pytest.CaptureFixture[str], fmt: str, *flags: str) -> str:
    """The input problems of ``check t`` in ``fmt``, one a line, with their codes: only
    they, so that a figure elsewhere (a fingerprint) cannot match."""
    main(["check", "t", "--format", fmt, *flags])
    out = capsys.readouterr().out
    if fmt == "github":
        return "\n".join(line for line in out.splitlines() if "title=policycheck " in line)
    if fmt == "markdown":  # markdown escapes _ and [ ]
        return "\n".join(line.replace("\\", "") for line in out.splitlines()
                         if line.startswith("- t/"))
    if fmt == "sarif":
        notes = json.loads(out)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        return "\n".join(f"{n['message']['text']} [{n['descriptor']['id']}]" for n in notes)
    return "\n".join(f"{p['message']} [{p['code']}]" for p in json.loads(out)["problems"])


@pytest.mark.parametrize("fmt, flags", [("github", ()), ("markdown", ()), ("sarif", ()),
                                        ("json", ("--redact",))])
def test_a_redacted_output_shows_no_pay_figure_in_problems(
        spoiled: Path, capsys: pytest.CaptureFixture[str], fmt: str,
        flags: tuple[str, ...]) -> None:
    """Not in the value, the hint ('32000' or '32.000') nor the expected part (4050); the
    words, field names and codes stay, and the problems of other fields stay whole."""
    texts = problem_texts(capsys, fmt, *flags)
    assert texts.count("\n") + 1 == len(PAY_CELLS + OTHER_CELLS)
    assert [figure for figure in FIGURES if figure in texts] == []
    assert [name for name in NAMES + OTHER_VALUES if name not in texts] == []
    assert "base_pay: got '[redacted]', expected a number; write it without thousands " \
           "separators" in texts
    assert "max_variable: got [redacted], expected at least target_variable ([redacted])" \
           in texts


@pytest.mark.parametrize("fmt, flags", [("github", ("--no-redact",)), ("json", ())])
def test_an_unredacted_output_keeps_the_figures_of_problems(
        spoiled: Path, capsys: pytest.CaptureFixture[str], fmt: str,
        flags: tuple[str, ...]) -> None:
    texts = problem_texts(capsys, fmt, *flags)
    assert [figure for figure in ("got '32,000'", "'32000'", "'36 000'", "'36000'", "'2850'",
                                  "got 4000", "(4050)", "'30 700'", "got -9500")
            if figure not in texts] == []


@pytest.fixture(scope="module")
def report() -> Report:
    """The CSV sample checked: a report whose problems the tests below replace."""
    return policycheck.check([ROOT / "sample_data" / "csv"])


def redacted(report: Report, *problems: Problem) -> list[str]:
    """The messages of ``problems`` once redacted."""
    return [p.message for p in redact(dataclasses.replace(report, problems=problems)).problems]


def test_a_problem_naming_a_pay_field_hides_every_figure_after_its_field(report: Report
                                                                          ) -> None:
    """Of another field (a cap against max_variable), of a YAML mapping of rates: every
    number and quoted value after the names of the cell; the plan and component ids stay."""
    where = Location("a.yaml", "", 5, 5)
    assert redacted(report, Problem(
        where, "plan 'p-2027', component 'c1': cap: got 2, expected at most max_variable / "
        "target_variable (8100 / 4050)", "out-of-range", "p-2027", field="cap"), Problem(
        where, "plan 'p-2027', component 'c1': rates: got {'gold': '1,200 EUR', 'silver': 80}, "
        "expected a mapping of product to amount", "invalid-value", "p-2027", field="rates")
    ) == ["plan 'p-2027', component 'c1': cap: got [redacted], expected at most max_variable "
          "/ target_variable ([redacted] / [redacted])",
          "plan 'p-2027', component 'c1': rates: got {'[redacted]': '[redacted]', "
          "'[redacted]': [redacted]}, expected a mapping of product to amount"]


def test_a_pay_problem_keeps_the_figures_policycheck_itself_writes(report: Report) -> None:
    """"sum to 100 %", "target_variable 0" and a bound of the model are no input's pay."""
    where = Location("plans.csv", "", 2)
    assert redacted(report, Problem(
        where, "plan 'p': has no components but target_variable is 3,200; expected components "
        "whose weights sum to 100 %, or target_variable 0 for a salary-only plan",
        "no-components", "p", field="target_variable"), Problem(
        where, "plan 'p': pay_floor: got -9500, expected a value of at least 0", "out-of-range",
        "p", field="pay_floor")
    ) == ["plan 'p': has no components but target_variable is [redacted]; expected components "
          "whose weights sum to 100 %, or target_variable 0 for a salary-only plan",
          "plan 'p': pay_floor: got [redacted], expected a value of at least 0"]


def test_problems_not_about_pay_are_kept(report: Report) -> None:
    """A header or a file holds no pay, nor does a weight: their values stay, to be fixed."""
    where = Location("plans.csv", "", 1, 9)
    problems = (
        Problem(where, "unknown column 'base pay 2' in the plans table; did you mean "
                "'base_pay'?", "unknown-column"),
        Problem(where, "plan 'p', component 'c': weight: got '1.5', expected a fraction "
                "between 0 and 1 or a percent like '50%'", "invalid-value", "p",
                field="weight"))
    assert redacted(report, *problems) == [p.message for p in problems]
