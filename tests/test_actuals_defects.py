"""Defects of ``analyze --actuals`` found in testing, each asserted as the user sees it: the
exact lines on stderr and the exit code.

Values that are blank or unusable are said at their row (a blank value column passed the
gate with "0 findings"); a share of 100 % is the strongest survey signal, not none; a
workbook's date cells are days; a misspelt column is said, not ignored; the actuals sheet
is found as the plan loader finds it; blank rows keep the lines of the rows after them and
no message says "nan"; divergence counts teams as teams.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from policycheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "yaml"
ACTUALS = SAMPLE / "kpi_actuals.csv"
HEADER = "employee_id,plan_id,period,kpi,value\n"
CORE = "cc-agent-core-2027"
#: How the messages name the sample plans' ``csat`` (the KPI's name in the sample catalog).
KPI_NAME = "Post-contact satisfaction (agent-sent survey)"


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in tmp_path, so that problems name 'a.csv'."""
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], actuals: str, *more: str
        ) -> tuple[int, str, list[str]]:
    code = main(["analyze", str(SAMPLE), "--actuals", actuals, *more])
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def findings(capsys: pytest.CaptureFixture[str], actuals: str) -> list[tuple[str, str]]:
    code, out, err = run(capsys, actuals, "--format", "json", "--fail-on", "none")
    assert code == 0, err
    return [(f["rule_id"], f["message"]) for f in json.loads(out)["findings"]]


def workbook(name: str, rows: list[list[object]], sheet: str = "kpi_actuals",
             header: tuple[str, ...] = ("employee_id", "plan_id", "period", "kpi", "value")
             ) -> str:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    book.save(name)
    return name


# 1. blank or unusable values ------------------------------------------------------------

def test_a_blank_value_column_is_an_error_at_every_row(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The tester's case: the sample's value column blanked passed with "0 findings",
    exit 0. Every row is said (20 listed, the rest counted), and the count is the rows'
    (it said "21 problems above")."""
    lines = ACTUALS.read_text(encoding="utf-8").splitlines()
    blanked = [lines[0]] + [",".join(c if i != 4 else "" for i, c in enumerate(line.split(",")))
                            for line in lines[1:]]
    Path("a.csv").write_text("\n".join(blanked) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "a.csv")
    assert (code, out) == (2, "")
    assert err[:2] == ["a.csv:2: error: value is required [missing-field]",
                       "a.csv:3: error: value is required [missing-field]"]
    assert err[-2:] == [
        "a.csv: error: 61,496 more rows: value is required [missing-field]",
        "policycheck: error: a.csv: the KPI actuals are invalid (61,516 problems; the first "
        "20 of each kind above)"]


def test_a_header_alone_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.csv").write_text(HEADER, encoding="utf-8")
    assert run(capsys, "a.csv") == (2, "", [
        "a.csv:1: error: no rows below the header: expected a row per person or team, plan, "
        "period and KPI [empty-table]",
        "policycheck: error: a.csv: the KPI actuals are invalid (1 problem above)"])


def test_blank_rows_alone_are_no_rows(capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.csv").write_text(HEADER + ",,,,\n\n,,,,\n", encoding="utf-8")
    code, _, err = run(capsys, "a.csv")
    assert (code, err[0]) == (2, "a.csv:1: error: no rows below the header: expected a row "
                                 "per person or team, plan, period and KPI [empty-table]")


def test_a_value_of_spaces_is_blank_and_a_sample_size_of_text_is_said(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A sample size that is no number was read as missing: its row lost from the survey
    signals without a word."""
    Path("a.csv").write_text("employee_id,plan_id,period,kpi,value,sample_size\n"
                             f"A,{CORE},2027-01,csat,  ,3\n"
                             f"B,{CORE},2027-01,csat,80,three\n"
                             f"C,{CORE},2027-01,csat,80,\n", encoding="utf-8")
    assert run(capsys, "a.csv") == (2, "", [
        "a.csv:2: error: value is required [missing-field]",
        "a.csv:3: error: sample_size 'three' is not a number: expected a count of at least 0 "
        "[bad-value]",
        "policycheck: error: a.csv: the KPI actuals are invalid (2 problems above)"])


def test_a_workbook_formula_without_value_and_an_error_cell_are_said(
        capsys: pytest.CaptureFixture[str]) -> None:
    """calamine gives both as empty cells: their rows were dropped in silence, where the
    same '#N/A' in a CSV file is reported."""
    name = workbook("a.xlsx", [["A", CORE, "2027-01", "aht", 300],
                               ["B", CORE, "2027-01", "aht", "=1/0"],
                               ["C", CORE, "2027-01", "aht", "#N/A"],
                               ["D", CORE, "2027-01", "aht", None]])
    assert run(capsys, name) == (2, "", [
        "a.xlsx[kpi_actuals]:5: error: value is required [missing-field]",
        "a.xlsx[kpi_actuals]:3: error: value '=1/0' is not a number: expected a number; it is "
        "a formula with no value saved (the workbook was written by a program that does not "
        "calculate): open and save it in a spreadsheet program [bad-value]",
        "a.xlsx[kpi_actuals]:4: error: value '#N/A' is not a number: expected a number; it is "
        "a spreadsheet's error value: the formula that made it failed, and the cell holds no "
        "value [bad-value]",
        "policycheck: error: a.xlsx: the KPI actuals are invalid (3 problems above)"])


# 2. a share of 100 % --------------------------------------------------------------------

def _survey(score: object, sample: object, people: int = 40) -> str:
    rows = "".join(f"E{i:03d},mf-broker-desk-2027,2027-01,csat,"
                   f"{score(i) if callable(score) else score},"
                   f"{sample(i) if callable(sample) else sample}\n" for i in range(people))
    Path("a.csv").write_text("employee_id,plan_id,period,kpi,value,sample_size\n" + rows,
                             encoding="utf-8")
    return "a.csv"


def test_every_score_at_the_top_and_every_sample_small_are_flagged(
        capsys: pytest.CaptureFixture[str]) -> None:
    """At 90 % both were flagged; at 100 % neither (a standard error of 0 made z NaN)."""
    assert findings(capsys, _survey(100, 1)) == [
        ("evidence.survey-small-sample", f"{KPI_NAME}: 100% of 40 results (one "
         "per person and period) rest on fewer than 5 survey returns (share ± 0%)"),
        ("evidence.survey-top-scores", f"{KPI_NAME}: 100% of 40 scores sit at "
         "the top of the scale, 100 (share ± 0%)")]
    assert findings(capsys, _survey(lambda i: 100 if i % 10 else 90,
                                    lambda i: 1 if i % 10 else 50)) == [
        ("evidence.survey-small-sample", f"{KPI_NAME}: 90% of 40 results (one "
         "per person and period) rest on fewer than 5 survey returns (share ± 5%)"),
        ("evidence.survey-top-scores", f"{KPI_NAME}: 90% of 40 scores sit at "
         "the top of the scale, 100 (share ± 5%)")]


def test_a_source_gap_with_no_spread_is_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"E{i:03d},col-agent-recovery-2027,2027-01,csat,{score},{source}\n"
                   for i in range(40) for score, source in ((90, "agent_triggered_survey"),
                                                             (70, "independent_survey")))
    Path("a.csv").write_text("employee_id,plan_id,period,kpi,value,source\n" + rows,
                             encoding="utf-8")
    assert ("evidence.survey-source-gap", f"{KPI_NAME}: surveys the employee sends score "
            "higher than independent ones, 90 against 70 on average (every score of each "
            "source is the same: no spread to measure the gap in SD)") in findings(capsys,
                                                                                  "a.csv")


# 3. dates as periods --------------------------------------------------------------------

def test_workbook_date_cells_are_days_and_only_the_bad_period_is_said(
        capsys: pytest.CaptureFixture[str]) -> None:
    """One text cell made every date cell of the column an error ("period '2027-01-04
    00:00:00' does not parse ... write the day alone")."""
    name = workbook("a.xlsx", [["A", CORE, dt.datetime(2027, 1, 4), "aht", 300],
                               ["A", CORE, dt.datetime(2027, 1, 11), "aht", 300],
                               ["A", CORE, "Q1 2027", "aht", 301]])
    assert run(capsys, name) == (2, "", [
        "a.xlsx[kpi_actuals]:4: error: period 'Q1 2027' does not parse: expected e.g. 2027-01, "
        "2027-Q1, 2027 or a day written YYYY-MM-DD [bad-period]",
        "policycheck: error: a.xlsx: the KPI actuals are invalid (1 problem above)"])


def test_midnight_date_times_are_days(capsys: pytest.CaptureFixture[str]) -> None:
    """'2027-01-04 00:00:00' was refused, where the plans' tables read it as the day; a time
    of day is still refused."""
    Path("a.csv").write_text(HEADER + f"A,{CORE},2027-01-04 00:00:00,aht,300\n"
                             f"A,{CORE},2027-01-11T00:00:00Z,aht,300\n"
                             f"A,{CORE},2027-01-18,aht,300\n", encoding="utf-8")
    assert findings(capsys, "a.csv") == []
    Path("b.csv").write_text(HEADER + f"A,{CORE},2027-01-04 00:00:00,aht,300\n"
                             f"A,{CORE},2027-01-04,aht,301\n"
                             f"B,{CORE},2027-01-04 09:30,aht,300\n", encoding="utf-8")
    assert run(capsys, "b.csv") == (2, "", [
        "b.csv:4: error: period '2027-01-04 09:30' does not parse: expected e.g. 2027-01, "
        "2027-Q1, 2027 or a day written YYYY-MM-DD; write the day alone: '2027-01-04' "
        "[bad-period]",
        "b.csv:3: error: duplicate row: this person, plan, period and KPI ('aht') is given "
        "twice; expected one value [duplicate-row]",
        "policycheck: error: b.csv: the KPI actuals are invalid (2 problems above)"])


# 4. columns -----------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["sample_sise", "Sample Size (n)"])
def test_a_misspelt_column_is_an_error_with_the_field_meant(
        capsys: pytest.CaptureFixture[str], written: str) -> None:
    """It was ignored, and the survey findings resting on it vanished."""
    Path("a.csv").write_text(f"employee_id,plan_id,period,kpi,value,{written}\n"
                             f"A,{CORE},2027-01,csat,80,3\n", encoding="utf-8")
    assert run(capsys, "a.csv") == (2, "", [
        f"a.csv:1:6: error: unknown column '{written}' in the kpi_actuals table; did you mean "
        "'sample_size'? [unknown-column]",
        "policycheck: error: a.csv: the KPI actuals are invalid (1 problem above)"])


def test_a_column_of_another_name_is_a_warning_and_one_given_twice_an_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.csv").write_text(HEADER.strip() + ",region,x_batch,notes\n"
                             f"A,{CORE},2027-01,aht,300,EU,7,\n", encoding="utf-8")
    code, out, _ = run(capsys, "a.csv")
    assert code == 0 and out.splitlines()[0] == (
        "a.csv:1:6: warning: unknown column 'region' in the kpi_actuals table; ignored (start "
        "the name with 'x_' to mark a column of your own) [unknown-column]")
    # two columns that both mean value: an internal error (exit 3) before
    Path("b.csv").write_text(HEADER.strip() + ",Value\n" + f"A,{CORE},2027-01,aht,300,3\n",
                             encoding="utf-8")
    assert run(capsys, "b.csv") == (2, "", [
        "b.csv:1:6: error: column 'Value' repeats column 5 ('value'); expected each field in "
        "one column [duplicate-column]",
        "policycheck: error: b.csv: the KPI actuals are invalid (1 problem above)"])


# 5. reading -----------------------------------------------------------------------------

@pytest.mark.parametrize("sheet", ["KPI_Actuals", "KPI Actuals", "kpi-actuals"])
def test_the_sheet_is_found_as_the_plan_loader_finds_it(
        capsys: pytest.CaptureFixture[str], sheet: str) -> None:
    """"Worksheet named 'kpi_actuals' not found"."""
    name = workbook("a.xlsx", [["A", CORE, "2027-01", "aht", 300]], sheet=sheet)
    assert findings(capsys, name) == []


def test_a_workbook_without_the_sheet_lists_its_sheets(
        capsys: pytest.CaptureFixture[str]) -> None:
    name = workbook("a.xlsx", [["A", CORE, "2027-01", "aht", 300]], sheet="KPI actual")
    assert run(capsys, name) == (2, "", [
        "a.xlsx: error: no sheet named kpi_actuals (or 'KPI actuals', 'kpi-actuals'): expected "
        "the KPI actuals on a sheet of that name; the workbook's sheets are 'KPI actual'; "
        "rename 'KPI actual' if it holds them [no-sheet]",
        "policycheck: error: a.xlsx: cannot read the KPI actuals"])


def test_an_empty_file_says_what_was_expected(capsys: pytest.CaptureFixture[str]) -> None:
    """"No columns to parse from file"."""
    Path("a.csv").write_bytes(b"")
    assert run(capsys, "a.csv") == (2, "", [
        "a.csv: error: empty table: expected a header row with the kpi_actuals columns "
        "employee_id or team_id, plan_id, period, kpi, value [empty-table]",
        "policycheck: error: a.csv: cannot read the KPI actuals"])


def test_semicolons_below_a_title_read_as_the_plans_tables_do(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The separator was taken from the title line: "Error tokenizing data. C error:
    Expected 1 fields in line 3, saw 2"."""
    lines = [line for line in ACTUALS.read_text(encoding="utf-8").splitlines()
             if line.startswith("employee_id") or CORE in line]
    Path("a.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    Path("b.csv").write_text("KPI actuals, weekly\n" + "\n".join(
        line.replace(",", ";") for line in lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "b.csv", "--fail-on", "none")
    assert (code, err, out.splitlines()[0]) == (0, [], (
        "b.csv:1: warning: row 1, above the header on row 2, names none of the table's "
        "columns: skipped as a title [title-rows]"))
    found = findings(capsys, "a.csv")
    assert [rule for rule, _ in found] == ["evidence.threshold-bunching"]
    assert findings(capsys, "b.csv") == found


def test_a_malformed_row_is_said_at_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.csv").write_text("Actuals\n\n" + HEADER.replace(",", ";")
                             + f"A;{CORE};2027-01;aht;300\n\nB;{CORE};2027-01;aht;3;4\n",
                             encoding="utf-8")
    code, _, err = run(capsys, "a.csv")
    assert (code, err[1:]) == (2, [
        "a.csv:6: error: malformed CSV: this row has 6 cells but the header has 5; expected "
        "one cell per column (quote a cell that contains a semicolon) [bad-csv]",
        "policycheck: error: a.csv: cannot read the KPI actuals"])


# 6. blank rows ----------------------------------------------------------------------------

def test_rows_after_a_blank_line_keep_their_lines(capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.csv").write_text(HEADER + f"A,{CORE},2027-01,aht,300\n\nB,{CORE},2027-01,aht,x\n",
                             encoding="utf-8")
    assert run(capsys, "a.csv") == (2, "", [
        "a.csv:4: error: value 'x' is not a number: expected a number [bad-value]",
        "policycheck: error: a.csv: the KPI actuals are invalid (1 problem above)"])


def test_blank_rows_are_skipped_and_no_message_says_nan(
        capsys: pytest.CaptureFixture[str]) -> None:
    """',,,,' rows gave "kpi: got nan, expected a value" and "KPI (nan) is given twice"."""
    Path("a.csv").write_text(HEADER + f"A,{CORE},2027-01,aht,300\n,,,,\n,,,,\n"
                             f"B,{CORE},2027-01,,300\nC,{CORE},2027-01,,300\n",
                             encoding="utf-8")
    assert run(capsys, "a.csv") == (2, "", [
        "a.csv:5: error: kpi is required [missing-field]",
        "a.csv:6: error: kpi is required [missing-field]",
        "policycheck: error: a.csv: the KPI actuals are invalid (2 problems above)"])


# 7. wording -------------------------------------------------------------------------------

def test_divergence_of_teams_counts_teams(capsys: pytest.CaptureFixture[str]) -> None:
    lines = ACTUALS.read_text(encoding="utf-8").splitlines()
    Path("a.csv").write_text("\n".join(["team_id" + lines[0].removeprefix("employee_id")]
                                       + [line for line in lines
                                          if "rb-banker-solutions-2027" in line]) + "\n",
                             encoding="utf-8")
    assert findings(capsys, "a.csv") == [(
        "evidence.divergence", f"Accounts opened and Products per customer improved period "
        f"after period while {KPI_NAME} worsened, for the same 40 teams (per period: +0.020 "
        "SD ± 0.001 on the speed, cost or sales measures, −0.019 SD ± 0.001 on the customer "
        "ones)")]


def test_the_report_says_teams_and_the_actuals_warnings(
        capsys: pytest.CaptureFixture[str]) -> None:
    """report --actuals said "for the same 40 people" of teams, and never said the actuals'
    warnings (a title row, an unknown column): only the plans' problems."""
    lines = ACTUALS.read_text(encoding="utf-8").splitlines()
    Path("a.csv").write_text("\n".join(["KPI actuals by team",
                                        "team_id" + lines[0].removeprefix("employee_id")]
                                       + [line for line in lines
                                          if "rb-banker-solutions-2027" in line]) + "\n",
                             encoding="utf-8")
    code = main(["report", str(SAMPLE), "--actuals", "a.csv", "--format", "markdown"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "a.csv:1: warning: row 1, above the header on row 2, names none "
                              "of the table's columns: skipped as a title [title-rows]\n")
    assert "worsened, for the same 40 teams." in out


# found while timing ---------------------------------------------------------------------

def test_many_people_and_no_customer_kpi_is_no_internal_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    """From 128 people paid and none scored on a customer KPI, the payout signal stopped
    the run with an internal error (pandas: "Buffer dtype mismatch"), exit 3."""
    Path("a.csv").write_text(HEADER + "".join(f"E{i:03d},{CORE},2027-01,aht,{300 + i % 7}\n"
                                              for i in range(200)), encoding="utf-8")
    assert findings(capsys, "a.csv") == []
