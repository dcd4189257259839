"""The command line: ``main(argv) -> int``, its exit codes and its exact output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck import __version__
from policycheck.cli import main
from policycheck.model import CATEGORIES
from policycheck.outputspec import FORMAT_NAMES, OUTPUT_SUFFIXES, output_spec

SAMPLE_FORMS = {"yaml": 12, "csv": 9, "xlsx": 1}
Inputs = Callable[[dict[str, str | bytes]], Path]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


# --- validate ---------------------------------------------------------------------------

@pytest.mark.parametrize("form, files", SAMPLE_FORMS.items())
def test_validate_sample_data(in_repo: Path, capsys: pytest.CaptureFixture[str], form: str,
                              files: int) -> None:
    code, out, err = run(capsys, "validate", f"sample_data/{form}")
    assert (code, err) == (0, "")
    assert out == (f"Read 17 plans from {files} file{'s' * (files != 1)}: 17 valid, "
                   "0 invalid.\n")


@pytest.mark.parametrize("command", ["validate", "check", "export"])
@pytest.mark.parametrize("paths", [
    ["sample_data/yaml", "sample_data/yaml/plans/claims.yaml"],
    ["sample_data/yaml/plans/claims.yaml", "sample_data/yaml"],
    ["sample_data/csv", "sample_data/csv"], ["sample_data/csv", "sample_data/csv/"],
])
def test_a_file_reached_twice_is_read_once(in_repo: Path, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path, command: str,
                                           paths: list[str]) -> None:
    """A folder and a file in it (a pre-commit hook's changed files beside the folder), or
    a folder named twice: each file once, where the others' plans were duplicates of
    themselves ("duplicate plan id ... first defined at" the same line)."""
    once = paths[0].replace("/plans/claims.yaml", "")
    more = ["--csv", str(tmp_path / "t"), "-q"] if command == "export" else ["--format", "json"]
    code, out, err = run(capsys, command, *paths, *more)
    assert (code, err) == ((1 if command == "check" else 0), "")
    if command == "export":
        return
    read, alone = json.loads(out), json.loads(run(capsys, command, once, *more)[1])
    for data in (read, alone):  # the files in the order reached
        data["summary"]["files"] = sorted(data["summary"].get("files", []))
    assert read == alone


def test_validate_sample_forms_report_the_same_plans(in_repo: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    valid = {}
    for form in SAMPLE_FORMS:
        code, out, _ = run(capsys, "validate", "--format", "json", f"sample_data/{form}")
        assert code == 0
        valid[form] = json.loads(out)["valid_plans"]
    assert len(valid["yaml"]) == 17
    assert valid["yaml"] == valid["csv"] == valid["xlsx"]


def test_validate_json_shape(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--format", "json", "sample_data/yaml")
    report = json.loads(out)
    assert code == 0
    assert list(report) == ["version", "summary", "invalid_plans", "valid_plans", "problems"]
    assert report["version"] == __version__
    assert list(report["summary"]) == ["plans_read", "plans_valid", "plans_invalid", "files",
                                       "files_unread", "skipped"]
    assert (report["summary"]["plans_read"], report["summary"]["plans_valid"],
            report["summary"]["plans_invalid"]) == (17, 17, 0)
    assert report["summary"]["files"][:2] == ["sample_data/yaml/employees.csv",
                                              "sample_data/yaml/kpis.yaml"]
    assert (report["invalid_plans"], report["problems"]) == ([], [])
    assert report["summary"]["files_unread"] == []
    assert report["valid_plans"] == sorted(report["valid_plans"])


def test_validate_json_problem(inputs: Inputs, capsys: pytest.CaptureFixture[str],
                               tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("plan:\n  id: p1\n  role_kind: servise\n  base_pay: 1\n"
                                     "  target_variable: 0\n")
    code, out, _ = run(capsys, "validate", "--format", "json", "a.yaml")
    report = json.loads(out)
    assert code == 2
    assert report["problems"] == [{
        "file": "a.yaml", "sheet": None, "line": 3, "column": 3, "severity": "error",
        "code": "invalid-value", "plan_id": "p1", "field": "role_kind",
        "message": "plan 'p1': role_kind: got 'servise', expected one of service, sales, "
                   "advice, retention, collections, claims, field_service, back_office, "
                   "manager; did you mean 'service'?"}]
    assert report["invalid_plans"] == ["p1"]
    assert report["summary"]["plans_invalid"] == 1


def test_a_problem_about_a_key_or_column_names_it_as_written_in_json(
        inputs: Inputs, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An unknown field, a duplicate key and an unknown or repeated column said which in
    the message only: JSON ``field`` was null, and a CI step filtering on it saw none."""
    (tmp_path / "a.yaml").write_text(
        "plan:\n  id: p1\n  role_kind: service\n  colour: red\n  base_pay: 30000\n"
        "  base_pay: 31000\n  target_variable: 0\n  clawback: {windw_days: 30}\n"
        "x: 1\n")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "plans.csv").write_text(
        "id,role_kind,base_pay,target_variable,colour,base pay\np2,service,30000,0,red,1\n")
    code, out, _ = run(capsys, "validate", "--format", "json", "a.yaml", "t")
    assert code == 2
    assert [(p["code"], p["field"]) for p in json.loads(out)["problems"]] == [
        ("unknown-field", "colour"), ("duplicate-key", "base_pay"),
        ("unknown-field", "clawback.windw_days"), ("unknown-field", "x"),
        ("unknown-column", "colour"), ("duplicate-column", "base_pay")]


def test_validate_text_problem_and_summary(inputs: Inputs, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("plan:\n  id: p1\n  role_kind: service\n  base_pay: 1\n"
                                     "  target_variable: 0\n")
    (tmp_path / "plans.csv").write_text("id,role_kind,base_pay,target_variable,region\n"
                                        "p2,sales,1,0,EMEA\np3,sales,-1,0,EMEA\n")
    code, out, err = run(capsys, "validate", ".")
    assert (code, err) == (2, "")
    assert out == (
        "plans.csv:1:5: warning: unknown column 'region' in the plans table; ignored (start "
        "the name with 'x_' to mark a column of your own) [unknown-column]\n"
        "plans.csv:3: error: plan 'p3': base_pay: got -1, expected a value of at least 0 "
        "[out-of-range]\n"
        "Read 3 plans from 2 files: 2 valid, 1 invalid. 1 error, 1 warning.\n")


def test_a_file_that_cannot_be_read_is_not_counted_among_the_files_read(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A plan file that cannot be parsed gives no plan: the summaries count it apart ("from
    10 files; 1 file could not be read"), not among the files plans were read from, and the
    JSON names it (``files_unread``); ``files`` still lists it, being an input of the run."""
    for plan in sorted(Path("sample_data/yaml/plans").glob("*.yaml")):
        (tmp_path / plan.name).write_bytes(plan.read_bytes())
    (tmp_path / "broken.yaml").write_text("plans:\n  - plan: {id: x\n")
    broken = (tmp_path / "broken.yaml").as_posix()
    code, out, _ = run(capsys, "validate", str(tmp_path))
    assert code == 2
    assert out.splitlines()[-1] == (
        "Read 17 plans from 10 files: 16 valid, 1 invalid. 1 file could not be read: see the "
        "errors above. 3 errors, 0 warnings.")
    summary = json.loads(run(capsys, "validate", str(tmp_path), "--format", "json")[1])[
        "summary"]
    assert (len(summary["files"]), summary["files_unread"]) == (11, [broken])
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 2
    assert out.splitlines()[-4:-2] == ["1 invalid plan was not checked: see the errors above.",
                                       "1 file could not be read: see the errors above."]
    summary = json.loads(run(capsys, "check", str(tmp_path), "--format", "json")[1])["summary"]
    assert (summary["plans_read"], summary["plans_invalid"], summary["files_unread"]) == (
        17, 1, [broken])


def test_validate_summary_groups_every_count_in_thousands(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Every count of the summary is written as the error counts were ("9,947 plans", not
    "9947" beside "3,254 errors"); the JSON keeps plain integers."""
    import pandas as pd

    from policycheck import validation
    from policycheck.errors import Location, Problem
    from policycheck.model import Model

    files = tuple(f"plans/f{i:04}.yaml" for i in range(1_185))
    problems = (
        *(Problem(Location(name, "", 1, 1), "YAML syntax error: x", "yaml-syntax")
          for name in files[:2]),
        *(Problem(Location(files[2], "", line, 3), "plan 'p': bad", "invalid-value",
                  plan_id="p") for line in range(3_252)),
        *(Problem(Location(files[3], "", line, 3), "unknown field", "unknown-field",
                  severity="warning") for line in range(5)))
    model = Model({"plans": pd.DataFrame({"plan_id": [f"q{i}" for i in range(9_800)]})},
                  problems, 9_947, ("p",), files, tuple(f"other/{i}.yaml" for i in range(1_001)),
                  files[:2])
    monkeypatch.setattr(validation, "load_model", lambda paths, **_: model)
    code, out, _ = run(capsys, "validate", "plans")
    assert code == 2
    assert out.splitlines()[-2:] == [
        "Read 9,947 plans from 1,183 files: 9,800 valid, 147 invalid. 2 files could not be "
        "read: see the errors above. 3,254 errors, 5 warnings. Skipped 1,001 files that hold "
        "no plan data.",
        "Problems by kind: 3,252 invalid-value, 5 unknown-field and 2 yaml-syntax."]
    summary = json.loads(run(capsys, "validate", "plans", "--format", "json")[1])["summary"]
    assert (summary["plans_read"], summary["plans_valid"], summary["plans_invalid"],
            summary["files_unread"]) == (9_947, 9_800, 147, list(files[:2]))


def test_a_problem_inside_a_file_read_leaves_it_among_the_files_read(
        inputs: Inputs, capsys: pytest.CaptureFixture[str]) -> None:
    """A key that is no plain value is a ``yaml-syntax`` error, but the rest of its
    document is read (its plan is invalid, not lost), as is a table with a bad cell."""
    inputs({"a.yaml": "plan:\n  id: p1\n  role_kind: service\n  base_pay: 1\n"
                      "  target_variable: 0\n  ? [a, b]\n  : 1\n",
            "plans.csv": "id,role_kind,base_pay,target_variable\np2,sales,x,0\n"})
    code, out, _ = run(capsys, "validate", ".")
    assert code == 2
    assert out.splitlines()[-1] == "Read 2 plans from 2 files: 0 valid, 2 invalid. 2 errors, " \
                                   "0 warnings."
    summary = json.loads(run(capsys, "validate", ".", "--format", "json")[1])["summary"]
    assert summary["files_unread"] == []


def test_a_folder_without_a_plan_is_an_error_not_a_silent_pass(
        inputs: Inputs, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A mistyped or empty folder holds no plan: a CI gate pointed at it must not pass
    green. Files without a plan (a hook given only a changed KPI catalog) are a warning, and
    the run exits 0, so that such a commit is not blocked."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "kpis.yaml").write_text("kpis:\n  - {id: my_kpi, name: Mine, category: "
                                        "speed, direction: lower}\n")
    code, out, err = run(capsys, "validate", "empty")
    assert (code, err) == (2, "")
    assert out == ("empty: error: no plan found in 0 data files: expected YAML files with "
                   "a top-level 'plan' or 'plans' key, a plans.csv table or a workbook with "
                   "a plans sheet [no-plans]\n"
                   "Read 0 plans from 0 files: 0 valid, 0 invalid. 1 error, 0 warnings.\n")
    code, out, _ = run(capsys, "check", "kpis.yaml", "empty", "--format", "json")
    problems = json.loads(out)["problems"]
    assert code == 2
    assert [(p["file"], p["severity"], p["code"], p["message"][:30]) for p in problems] == [
        ("kpis.yaml, empty", "error", "no-plans", "no plan found in 1 data file: ")]
    code, out, err = run(capsys, "check", "kpis.yaml")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        "kpis.yaml: warning: no plan found in 1 data file: expected YAML files with a "
        "top-level 'plan' or 'plans' key, a plans.csv table or a workbook with a plans sheet "
        "[no-plans]")


def test_validate_missing_path(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", "no/such/folder")
    assert (code, err) == (2, "")
    assert out == ("no/such/folder: error: no such file or folder [missing-path]\n"
                   "Read 0 plans from 0 files: 0 valid, 0 invalid. 1 error, 0 warnings.\n")


def test_validate_without_paths_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate")
    assert (code, out) == (2, "")
    assert err.endswith("Error: Missing argument 'PATHS...'.\n")


# --- kpis -------------------------------------------------------------------------------

def test_kpis_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kpis", "list")
    lines = out.splitlines()
    assert (code, err) == (0, "")
    # each column as wide as its longest cell and two spaces
    assert lines[0] == ("ID                         CATEGORY           PRESSURE  BETTER  "
                        "DATA SOURCE             NAME")
    assert lines[1] == ("aht                        speed              speed     lower   "
                        "system                  Average handle time")
    count = len(lines) - 2
    assert lines[-1] == f"{count} KPIs."
    assert count >= 55
    categories = {line.split()[1] for line in lines[1:-1]}
    assert categories == set(CATEGORIES)


def test_kpis_list_json_matches_text(capsys: pytest.CaptureFixture[str]) -> None:
    _, text, _ = run(capsys, "kpis", "list")
    code, out, _ = run(capsys, "kpis", "list", "--format", "json")
    entries = json.loads(out)
    assert code == 0
    assert [e["id"] for e in entries] == [line.split()[0] for line in text.splitlines()[1:-1]]
    assert {"id", "name", "category", "pressure", "direction", "data_source"} <= set(entries[0])


def test_kpis_list_category(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kpis", "list", "--category", "speed")
    lines = out.splitlines()
    assert code == 0
    assert lines[-1] == f"{len(lines) - 2} KPIs."
    assert len(lines) - 2 >= 5
    assert {line.split()[1] for line in lines[1:-1]} == {"speed"}
    assert "aht" in {line.split()[0] for line in lines[1:-1]}


def test_kpis_list_unknown_category(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kpis", "list", "--category", "sped")
    assert (code, out) == (2, "")
    assert err == ("policycheck: error: unknown category 'sped', expected one of "
                   f"{', '.join(CATEGORIES)}; did you mean 'speed'?\n")


def test_kpis_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kpis", "explain", "aht")
    assert (code, err) == (0, "")
    assert out == (
        "aht: Average handle time\n"
        "  category: speed\n"
        "  pressure: speed\n"
        "  direction: lower\n"
        "  unit: seconds\n"
        "  data source: system\n"
        "  affects customer entitlement: no\n"
        "  employee sets price or terms: no\n"
        "  counts without usage check: no\n"
        "  min sample per period: -\n"
        "  risk if paid alone: high\n"
        "  description: Mean talk, hold and after-contact work time per contact.\n"
        "  gaming: Calls cut short, transfers and hang-ups to shorten the average; repeat "
        "contacts rise.\n"
        "  sources: AHT-PRACT, FCA-CP17, AXA\n")


def test_kpis_explain_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kpis", "explain", "ahtt")
    assert (code, out) == (2, "")
    assert err == ("policycheck: error: unknown KPI 'ahtt' in the built-in library (see "
                   "'policycheck kpis list'); did you mean 'aht'?\n")


def test_kpis_of_the_organisations_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    """The group's help promised the organisation's catalog laid over the library, which no
    command read: 'kpis explain web_conversion' of the sample's own KPI was "unknown"."""
    code, out, err = run(capsys, "kpis", "explain", "web_conversion", "sample_data/yaml")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "web_conversion: Web checkout conversion rate"
    assert out.splitlines()[-1] == "  defined in: sample_data/yaml/kpis.yaml:3"
    code, out, _ = run(capsys, "kpis", "list", "sample_data/yaml")
    lines = out.splitlines()
    assert code == 0 and lines[-1] == "91 KPIs, 3 of them the organisation's."
    assert [line.split()[0] for line in lines if "(sample_data/" in line] == [
        "csat", "page_load_time", "web_conversion"]  # csat replaced in its place
    code, out, _ = run(capsys, "kpis", "list", "sample_data/yaml", "--format", "json")
    listed = {entry["id"]: entry for entry in json.loads(out)}
    assert listed["csat"]["source"] == "sample_data/yaml/kpis.yaml:26"
    assert listed["aht"]["source"] == "built-in library"
    assert listed["aht"]["sources"] == ["AHT-PRACT", "FCA-CP17", "AXA"]
    code, _, err = run(capsys, "kpis", "list", "nowhere")
    assert code == 2 and err.startswith("nowhere: error: no such file or folder")


# --- usage ------------------------------------------------------------------------------

def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "valdate", "sample_data/yaml")
    assert (code, out) == (2, "")
    assert err == ("Usage: policycheck [OPTIONS] COMMAND [ARGS]...\n"
                   "Try 'policycheck --help' for help.\n\n"
                   "Error: no such command 'valdate'; did you mean 'validate'?\n")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"policycheck, version {__version__}\n")


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("validate", "export", "kpis"):
        assert f"  {command} " in out


# --- export -----------------------------------------------------------------------------

TABLES = ["plans", "components", "gates", "modifiers", "competitions", "consequences",
          "campaigns", "kpis", "employees"]


def test_export_round_trip(in_repo: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    csv_folder, workbook = tmp_path / "csv", tmp_path / "out" / "company.xlsx"
    code, out, err = run(capsys, "export", "sample_data/yaml", "--csv", str(csv_folder),
                         "--xlsx", str(workbook))
    assert (code, out) == (0, "")
    assert err.splitlines() == [f"wrote {(csv_folder / t).as_posix()}.csv" for t in TABLES] + \
        [f"wrote {workbook.as_posix()}"]
    # --quiet: nothing said (the 'wrote' lines were on stdout, and said with -q too)
    assert run(capsys, "export", "sample_data/yaml", "--csv", str(csv_folder), "-q") == (
        0, "", "")
    assert sorted(p.name for p in csv_folder.iterdir()) == sorted(t + ".csv" for t in TABLES)
    for target, files in ((csv_folder, 9), (workbook, 1)):
        code, out, _ = run(capsys, "validate", str(target))
        assert (code, out) == (0, f"Read 17 plans from {files} file{'s' * (files > 1)}: "
                                  "17 valid, 0 invalid.\n")
    code, out, _ = run(capsys, "validate", "--format", "json", str(csv_folder))
    again = json.loads(out)["valid_plans"]
    code, out, _ = run(capsys, "validate", "--format", "json", "sample_data/yaml")
    assert again == json.loads(out)["valid_plans"]


@pytest.mark.parametrize("plans", [1, 2])
def test_export_writes_no_formula(in_repo: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str], plans: int) -> None:
    """A name that a spreadsheet would run (``=HYPERLINK(...)``) is text in the workbook,
    kept as written, as the other rows keep it: the first row of a sheet (written by
    openpyxl) was a formula."""
    import openpyxl

    source = (in_repo / "sample_data/yaml/plans/back-office.yaml").read_text()
    first = source.index("\n  - id: ", source.index("\n  - id: ") + 1) if plans == 1 else None
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "p.yaml").write_text(source[:first].replace(
        "name: Billing operations efficiency bonus 2027",
        'name: "=HYPERLINK(\\"http://x\\",\\"click\\")"'))
    (folder / "kpis.yaml").write_text((in_repo / "sample_data/yaml/kpis.yaml").read_text())
    workbook = tmp_path / "plans.xlsx"
    assert run(capsys, "export", str(folder), "--xlsx", str(workbook))[0] == 0
    book = openpyxl.load_workbook(workbook)
    names = [row[1] for row in book["plans"].iter_rows(min_row=2, values_only=True)]
    assert names[0] == "=HYPERLINK(\"http://x\",\"click\")"
    assert all(cell.data_type != "f" for row in book["plans"].iter_rows() for cell in row)


def test_export_table_past_a_sheets_rows_goes_on_in_numbered_sheets_read_back_alike(
        in_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A table longer than an Excel sheet holds (1,048,576 rows, about 190,000 plans of
    components) goes on in sheets "components (2)"..., each with the header; the workbook
    is read back as the same plans, with the same findings, each placed on its sheet."""
    import openpyxl

    from policycheck import tables

    whole, split = tmp_path / "whole.xlsx", tmp_path / "split.xlsx"
    assert run(capsys, "export", "sample_data/yaml", "--xlsx", str(whole))[0] == 0
    monkeypatch.setattr(tables, "SHEET_MAX_ROWS", 11)  # ten rows and the header a sheet
    assert run(capsys, "export", "sample_data/yaml", "--xlsx", str(split))[0] == 0
    parts = openpyxl.load_workbook(split, read_only=True)
    assert parts.sheetnames == [
        "plans", "plans (2)", "components", "components (2)", "components (3)",
        "components (4)", "components (5)", "gates", "modifiers", "competitions",
        "consequences", "campaigns", "kpis", "employees",
        *(f"employees ({n})" for n in range(2, 40))]
    rows = {name: list(parts[name].values) for name in parts.sheetnames}
    parts.close()
    assert all(len(sheet) <= 11 for sheet in rows.values())
    assert rows["components (2)"][0] == rows["components"][0]  # the header again
    kept = openpyxl.load_workbook(whole, read_only=True)
    components = list(kept["components"].values)
    kept.close()
    assert [row for name in rows if name.startswith("components")
            for row in rows[name][1:]] == components[1:]
    assert [len(rows[name]) for name in rows if name.startswith("components")] == [
        11, 11, 11, 11, 4]  # 43 components
    assert run(capsys, "validate", str(split)) == (
        0, "Read 17 plans from 1 file: 17 valid, 0 invalid.\n", "")

    def findings(book: Path) -> list[tuple[object, ...]]:
        code, out, _ = run(capsys, "check", str(book), "--format", "json")
        assert code == 1
        return [(f["rule_id"], f["plan_id"], f["entity_id"], f["message"],
                 f["location"]["sheet"]) for f in json.loads(out)["findings"]]

    found, expected = findings(split), findings(whole)
    assert [f[:4] for f in found] == [f[:4] for f in expected] and len(found) > 100
    # a finding on a component past the first sheet's rows names the sheet it is on
    assert {f[4] for f in found} > {f[4] for f in expected} | {"components (2)"}


def test_export_workbook_bytes_are_deterministic(in_repo: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a.xlsx", "b.xlsx"):
        assert run(capsys, "export", "sample_data/csv", "--xlsx", str(tmp_path / name))[0] == 0
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_export_refuses_invalid_inputs(in_repo: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "export", "tests/data/broken", "--csv", str(tmp_path / "out"))
    assert code == 2
    assert err == "policycheck: error: inputs are not valid; nothing was written\n"
    expected = (in_repo / "tests/data/broken/EXPECTED.txt").read_text(encoding="utf-8")
    assert out == "".join(expected.splitlines(keepends=True)[:-2])  # not validate's summary
    assert not (tmp_path / "out").exists()


def test_export_needs_a_target(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "export", "sample_data/yaml")
    assert (code, out) == (2, "")
    assert err.endswith("Error: say where to write: --csv FOLDER and/or --xlsx FILE\n")


def test_check_works_out_profiles_only_for_the_formats_that_show_them(
        in_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """The pressure profile of each plan costs a pass over the model; json and the other
    finding lists never show it, the workbook and the PR comment do."""
    from policycheck import pipeline

    seen: list[bool] = []
    real = pipeline.check

    def spy(*args: object, **kwargs: object) -> object:
        report = real(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(not report.profiles.empty)
        return report

    monkeypatch.setattr(pipeline, "check", spy)
    assert main(["check", "sample_data/yaml", "--format", "json", "--quiet"]) == 1
    target = tmp_path / "comment.md"
    assert main(["check", "sample_data/yaml", "--quiet", "--output",
                 f"markdown:{target}"]) == 1
    assert seen == [False, True]
    assert "### Incentive mix of the plans with findings" in target.read_text(encoding="utf-8")
    capsys.readouterr()


def test_an_output_named_by_its_file_is_written_in_the_format_its_extension_names(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``-o findings.json`` as ``--output json:findings.json``: each file as the named
    form writes it."""
    names = ["findings.json", "results.sarif", "ci.sarif.json", "tests.xml", "comment.md",
             "findings.csv", "findings.txt"]
    named = {"findings.json": "json", "results.sarif": "sarif", "ci.sarif.json": "sarif",
             "tests.xml": "junit", "comment.md": "markdown", "findings.csv": "csv",
             "findings.txt": "text"}
    argv = [arg for name in names for arg in ("-o", str(tmp_path / "by-name" / name))]
    assert run(capsys, "check", "sample_data/yaml", "-q", *argv)[0] == 1
    argv = [arg for name in names
            for arg in ("--output", f"{named[name]}:{tmp_path / 'by-format' / name}")]
    assert run(capsys, "check", "sample_data/yaml", "--quiet", *argv)[0] == 1
    for name in names:
        assert (tmp_path / "by-name" / name).read_bytes() == \
            (tmp_path / "by-format" / name).read_bytes(), name


@pytest.mark.parametrize("spec, said", [
    ("findings.dat", ""),
    ("jsn:x.json", "; did you mean 'json'?"),
    ("json:", ""),
    ("report.html", "; the leadership report is written by 'policycheck report PATHS -o "
                    "FILE.html'"),
])
def test_an_output_of_no_known_format_is_said_before_the_run(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, spec: str,
        said: str) -> None:
    code, out, err = run(capsys, "check", "sample_data/yaml", "-o", spec)
    assert (code, out) == (2, "")
    assert err == (f"policycheck: error: --output '{spec}': expected FORMAT:FILE with FORMAT "
                   "one of text, json, csv, xlsx, sarif, junit, github, markdown, or a FILE "
                   "ending in .json, .sarif, .csv, .xlsx, .xml (junit), .md or .markdown "
                   f"(markdown), .txt (text){said}\n")
    assert not list(tmp_path.iterdir())


@given(fmt=st.sampled_from(FORMAT_NAMES), target=st.text(min_size=1))
def test_a_named_format_is_taken_with_any_file_after_it(fmt: str, target: str) -> None:
    assert output_spec(f"{fmt}:{target}") == (fmt, target)


@given(stem=st.text(st.characters(blacklist_characters=":/\\\x00"), min_size=1),
       suffix=st.sampled_from(sorted(OUTPUT_SUFFIXES)), upper=st.booleans(),
       folder=st.sampled_from(["", "out/", "C:\\x\\"]))
def test_a_file_alone_is_taken_in_the_format_of_its_extension(stem: str, suffix: str,
                                                               upper: bool,
                                                               folder: str) -> None:
    name = folder + stem + (suffix.upper() if upper else suffix)
    fmt = "sarif" if name.lower().endswith(".sarif.json") else OUTPUT_SUFFIXES[suffix]
    assert output_spec(name) == (fmt, name)


@pytest.mark.parametrize("argv, shown", [
    (["check", "sample_data/yaml", "--output", "json:{out}/a.json", "--output",
      "sarif:{file}/x.sarif"], "{file}/x.sarif"),
    (["check", "sample_data/yaml", "--output", "json:{out}/a.json", "--write-baseline",
      "{file}/b.json"], "{file}/b.json"),
    (["report", "sample_data/yaml", "-o", "{file}/r.html"], "{file}/r.html"),
    (["export", "sample_data/yaml", "--csv", "{out}/tables", "--xlsx", "{file}/x.xlsx"],
     "{file}/x.xlsx"),
    (["analyze", "sample_data/yaml", "--actuals", "sample_data/yaml/kpi_actuals.csv",
      "--output", "json:{out}/a.json", "--output", "csv:{file}/a.csv"], "{file}/a.csv"),
])
def test_an_output_that_cannot_be_written_stops_the_run_before_it_starts(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, argv: list[str], shown: str) -> None:
    """An output under a file (or on a read-only mount) was an internal error once the run
    was over, after the outputs before it were written. It is an error naming it, before
    the plans are read, and nothing is left behind: no other output, no folder made."""
    from policycheck import analyze, pipeline, validation

    def unread(*args: object) -> None:
        raise AssertionError("the plans were read")

    for module in (validation, pipeline):
        monkeypatch.setattr(module, "load_model", unread)
    monkeypatch.setattr(analyze, "analyze", unread)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    names = {"out": str(tmp_path / "new" / "out"), "file": str(blocker)}
    code, out, err = run(capsys, *(arg.format(**names) for arg in argv))
    assert (code, out) == (2, "")
    assert err == (f"policycheck: error: {shown.format(**names)}: cannot write it: "
                   f"{blocker} is a file, expected a folder\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("form", ["json", "text", "csv", "sarif", "junit", "markdown"])
def test_a_file_name_that_is_not_utf8_is_shown_escaped(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, form: str) -> None:
    """A byte of a file name that is not UTF-8 (0xff here) reaches Python as a lone
    surrogate, which no UTF-8 report can hold: it is shown as the escape ``\\xff``."""
    plans = tmp_path / "plans"
    plans.mkdir()
    source = in_repo / "sample_data/yaml/plans/claims.yaml"
    (plans / "cl\udcffaims.yaml").write_bytes(source.read_bytes())
    target = tmp_path / f"out.{form}"
    assert main(["check", str(plans), "--quiet", "--output", f"{form}:{target}"]) == 1
    text = target.read_bytes().decode("utf-8")
    shown = {"json": "cl\\\\xffaims.yaml", "sarif": "cl%FFaims.yaml",
             "markdown": "**7 findings**"}.get(form, "cl\\xffaims.yaml")
    assert shown in text
    capsys.readouterr()


def test_a_run_collects_garbage_less_often_and_sets_the_collector_back(
        in_repo: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from policycheck import cli, pipeline

    seen: list[tuple[int, int, int]] = []
    real = pipeline.check

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "check", spy)
    before = gc.get_threshold()
    assert main(["check", "sample_data/yaml", "--quiet", "--format", "json"]) == 1
    assert seen == [cli.RUN_GC_THRESHOLDS] != [before]
    assert gc.get_threshold() == before
    capsys.readouterr()


def test_an_output_that_is_a_named_pipe_is_written_into_not_replaced(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A pipe, a device (/dev/null) or /dev/stdout is written into: the file put in its
    place once made a root-run CI job replace /dev/null with a file."""
    import os
    import threading

    from policycheck.outputfiles import is_stream

    pipe = tmp_path / "findings.fifo"
    os.mkfifo(pipe)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()))
    reader.start()
    assert run(capsys, "check", "sample_data/yaml", "-q", "-o", f"json:{pipe}")[0] == 1
    reader.join(timeout=60)
    assert json.loads(got[0])["summary"]["plans_checked"] == 17
    assert pipe.is_fifo()
    assert is_stream(Path(os.devnull)) and is_stream(pipe)
    assert not is_stream(tmp_path) and not is_stream(tmp_path / "none.json")


def test_an_output_that_is_a_link_replaces_the_file_it_points_to(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    link = tmp_path / "latest.json"
    link.symlink_to("reports/findings.json")
    assert run(capsys, "check", "sample_data/yaml", "-q", "-o", str(link))[0] == 1
    assert link.is_symlink()
    assert json.loads((tmp_path / "reports" / "findings.json").read_text())["summary"][
        "plans_checked"] == 17


def test_standard_output_named_as_an_output_file_is_refused(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check", str(in_repo / "sample_data/yaml"), "-o", "json:-")
    assert (code, out) == (2, "")
    assert err == ("policycheck: error: -: expected a file to write; standard output is "
                   "written in the format of --format\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("level", ["low", "critical"])
def test_a_severity_set_is_every_findings_escalated_ones_too(
        in_repo: Path, capsys: pytest.CaptureFixture[str], level: str) -> None:
    """claw.none escalates to high where a curve makes the marginal unit worth the most:
    set to low, those stayed high and still failed the run."""
    code, out, _ = run(capsys, "check", "sample_data/yaml", "--format", "json")
    before = [f["severity"] for f in json.loads(out)["findings"] if f["rule_id"] == "claw.none"]
    assert sorted(set(before)) == ["high", "medium"]
    code, out, _ = run(capsys, "check", "sample_data/yaml", "--format", "json",
                       "--severity", f"claw.none={level}", "--select", "claw.none")
    after = [f["severity"] for f in json.loads(out)["findings"]]
    assert after == [level] * len(before)
    assert code == (1 if level == "critical" else 0)


def test_a_table_named_alone_says_once_which_tables_of_its_folder_were_not_given(
        in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A pre-commit hook gives the changed files only: employees.csv alone made 385
    errors, one per row, each "expected the id of a plan defined in the inputs". With no
    plan in the run it is a warning, as a KPI catalog alone is: the commit is not blocked,
    and the folder's check says what is wrong."""
    code, out, err = run(capsys, "validate", "sample_data/csv/employees.csv")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        "sample_data/csv/employees.csv: warning: 385 rows name plans no input defines: "
        "sample_data/csv/plans.csv, this folder's plans table, was not given (name the "
        "folder, sample_data/csv, to check its tables together); they are checked once it "
        "can be [unknown-plan]")
    assert out.splitlines()[-1] == (
        "Read 0 plans from 1 file: 0 valid, 0 invalid. 0 errors, 2 warnings.")
    code, out, _ = run(capsys, "validate", "sample_data/csv/employees.csv",
                       "sample_data/csv/plans.csv", "sample_data/csv/components.csv")
    assert "was not given" not in out
    # with a plan of the run, the rows whose plans are not among the inputs are errors
    code, out, _ = run(capsys, "validate", "sample_data/csv/employees.csv",
                       "sample_data/yaml/plans/stores.yaml")
    assert code == 2 and out.startswith("sample_data/csv/employees.csv: error: 367 rows ")


def test_an_employees_table_beside_yaml_plans_named_alone_is_a_warning(
        in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The sample's employees.csv sits beside its YAML plans: a hook given it alone made
    385 errors and blocked the commit."""
    code, out, _ = run(capsys, "check", "sample_data/yaml/employees.csv")
    assert code == 0
    assert out.splitlines()[0] == (
        "sample_data/yaml/employees.csv: warning: 385 rows name plans, and no plan was given "
        "with this table: they are checked with the plans (name the folder, "
        "sample_data/yaml, to check them together) [unknown-plan]")


@pytest.mark.parametrize("argv, said", [
    (["-o", "json:{d}/y.out", "-o", "sarif:{d}/y.out"], "{d}/y.out: is named for two outputs"),
    (["-o", "{d}/x.json", "--write-baseline", "{d}/./x.json"],
     "{d}/./x.json: is named for two outputs (as {d}/x.json)"),
])
def test_one_file_named_for_two_outputs_is_refused_before_the_run(
        in_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str],
        said: str) -> None:
    """The second output replaced the first, without a word."""
    code, out, err = run(capsys, "check", "sample_data/yaml", "-q",
                         *(arg.format(d=tmp_path) for arg in argv))
    assert (code, out) == (2, "")
    assert err == (f"policycheck: error: {said.format(d=tmp_path)}; the second would replace "
                   "the first: expected each file once\n")
    assert list(tmp_path.iterdir()) == []
