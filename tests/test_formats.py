"""The output formats (policycheck.formats), over a fixed rule pack and fixed plans.

tests/data/formats_pack and tests/data/formats_plans do not change with the default rule
pack, so neither do the golden files tests/data/golden/formats/sample.*. This module
regenerates nothing; after a deliberate change, regenerate them with the one command in
tests/data/golden/formats/README.md (also run by `make golden`) and review the diff.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import re
import time
import types
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policycheck
from policycheck.cli import main
from policycheck.errors import Location, Problem
from policycheck.formats import (
    FORMATS,
    REDACT_BY_DEFAULT,
    REDACTING_STREAMS,
    STREAMS,
    render,
    render_bytes,
)
from policycheck.formats.github import escape_data, escape_property
from policycheck.formats.markdown import escape
from policycheck.formats.redact import REDACTED, redact
from policycheck.report import Report

ROOT = Path(__file__).resolve().parent.parent
PLANS = "tests/data/formats_plans"
PACK = "tests/data/formats_pack"
GOLDEN = ROOT / "tests" / "data" / "golden" / "formats"
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
SUFFIXES = {"csv": "csv", "xlsx": "xlsx", "sarif": "sarif", "junit": "junit.xml",
            "github": "github.txt", "markdown": "md"}
TEXT_FORMATS = ("csv", "sarif", "junit", "github", "markdown")
FORMULA = "=cmd|'/c calc'!A1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
          "info": "note"}


@pytest.fixture(scope="module")
def report() -> Report:
    """The fixed plans checked with the fixed pack, paths as shown from the repository root:
    one critical, one high, two medium and one low finding; one rule fires on nothing."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        return policycheck.check([PLANS], rules=[PACK])


def changed(report: Report, **columns: list[Any]) -> Report:
    """The report with some finding columns replaced (one value per finding)."""
    findings = report.findings.copy()
    for name, values in columns.items():
        findings[name] = pd.Series(values, index=findings.index, dtype=object)
    return dataclasses.replace(report, findings=findings)


def statuses(report: Report, *pairs: tuple[str, str | None]) -> Report:
    """The first findings given (status, waiver); the others stay open."""
    n = len(report.findings)
    rest = [("open", None)] * (n - len(pairs))
    status, reason = zip(*(list(pairs) + rest), strict=True)
    return changed(report, status=list(status), waiver=list(reason))


def text(report: Report, fmt: str, redact: bool | None = None) -> str:
    data = render(report, fmt, redact)
    assert isinstance(data, str)
    return data


def xlsx(report: Report, redact: bool | None = None) -> bytes:
    data = render(report, "xlsx", redact)
    assert isinstance(data, bytes)
    return data


def workbook(data: bytes | Path) -> dict[str, Any]:
    """What a workbook shows: per sheet its cells with number formats, widths, panes, filter."""
    book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    return {sheet.title: {
        "cells": [[(c.value, c.number_format) for c in row] for row in sheet.iter_rows()],
        "widths": {k: d.width for k, d in sorted(sheet.column_dimensions.items())},
        "freeze": sheet.freeze_panes, "filter": sheet.auto_filter.ref,
    } for sheet in book.worksheets}


# -- golden files ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every format written by one run of the command in the golden files' README."""
    folder = tmp_path_factory.mktemp("outputs")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        argv = ["check", PLANS, "--rules", PACK, "--format", "json"]
        for fmt, suffix in SUFFIXES.items():
            argv += ["--output", f"{fmt}:{folder / f'sample.{suffix}'}"]
        assert main(argv) == 1
    return folder


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_output_matches_the_golden_file(outputs: Path, fmt: str) -> None:
    name = f"sample.{SUFFIXES[fmt]}"
    assert (outputs / name).read_bytes() == (GOLDEN / name).read_bytes()


def test_workbook_matches_the_golden_file(outputs: Path) -> None:
    # Compared as content, not bytes: zlib builds may compress the same sheets differently.
    assert workbook(outputs / "sample.xlsx") == workbook(GOLDEN / "sample.xlsx")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_rendering_is_deterministic(report: Report, fmt: str) -> None:
    assert render(report, fmt) == render(report, fmt)


def test_workbook_sheets_are_deflated_fast(report: Report) -> None:
    """Worksheets (the bulk of a large report) are deflated at workbookzip.FAST_LEVEL, not at
    zlib's default: 2.4 times as fast on sheet XML, for a somewhat larger file."""
    import zlib

    from policycheck.workbookzip import FAST_LEVEL

    def deflated(data: bytes, level: int) -> int:
        packer = zlib.compressobj(level, zlib.DEFLATED, -15)
        return len(packer.compress(data) + packer.flush())

    with zipfile.ZipFile(io.BytesIO(xlsx(report))) as book:
        sheets = [i for i in book.infolist() if i.filename.startswith("xl/worksheets/")]
        assert len(sheets) == 2
        for info in sheets:
            data = book.read(info)
            assert info.compress_size == deflated(data, FAST_LEVEL) != deflated(data, 6)


def test_workbook_bytes_do_not_depend_on_the_time(report: Report,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = xlsx(report)
    later = datetime.datetime(2031, 5, 6, 7, 8, 9)

    class Clock(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> Clock:
            return cls.fromtimestamp(later.timestamp())

    # openpyxl stamps the save time into docProps/core.xml, zipfile into every entry.
    monkeypatch.setattr("openpyxl.writer.excel.datetime",
                        types.SimpleNamespace(datetime=Clock, timezone=datetime.timezone))
    monkeypatch.setattr("zipfile.time", types.SimpleNamespace(time=later.timestamp,
                                                              localtime=time.localtime))
    plain = io.BytesIO()
    openpyxl.Workbook().save(plain)
    assert b"2031-05-06" in zipfile.ZipFile(plain).read("docProps/core.xml")  # the clock moved
    assert xlsx(report) == first


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_report_without_findings_renders(report: Report, fmt: str) -> None:
    empty = dataclasses.replace(report, findings=report.findings.iloc[0:0])
    assert render(empty, fmt)


# -- CSV and Excel --------------------------------------------------------------------------

def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_one_row_per_finding_with_the_json_fields_flattened(report: Report) -> None:
    rows = csv_rows(text(report, "csv"))
    findings = json.loads(text(report, "json"))["findings"]
    assert len(rows) == len(findings) == 5
    for row, finding in zip(rows, findings, strict=True):
        assert json.loads(row["evidence"]) == finding["evidence"]
        assert row["location_file"] == finding["location"]["file"]
        assert row["location_line"] == str(finding["location"]["line"])
        assert row["location_column"] == str(finding["location"]["column"])
        assert row["fingerprint"] == finding["fingerprint"]
        assert row["pay_at_stake"] == str(finding["pay_at_stake"])
    assert rows[0]["evidence"] == '{"speed_share":0.75,"target_variable":3000.0}'


def test_csv_and_excel_cells_cannot_run_a_formula(report: Report) -> None:
    hostile = changed(report, message=["@SUM(1+1)*cmd|' /C calc'!A0"] * 5,
                      pay_at_stake=[-5.0, 36000.0, 25600.0, 25600.0, 6000.0],
                      entity_id=["bell \x07"] * 5)
    rows = csv_rows(text(hostile, "csv"))
    assert rows[4]["plan_id"] == "'" + FORMULA
    assert {r["message"] for r in rows} == {"'@SUM(1+1)*cmd|' /C calc'!A0"}
    assert rows[0]["pay_at_stake"] == "-5"  # numbers stay numbers
    assert rows[0]["headcount"] == "12"

    book = openpyxl.load_workbook(io.BytesIO(xlsx(hostile)))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + FORMULA in texts
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in texts
    assert not [t for t in texts if t[0] in "=+-@\t\r"]
    assert -5 in [c.value for c in cells]
    assert "bell \ufffd" in texts  # XML cannot carry the control character


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(report: Report, start: str) -> None:
    hostile = changed(report, plan_id=[f"{start}1+1"] * 5)
    assert {r["plan_id"] for r in csv_rows(text(hostile, "csv"))} == {f"'{start}1+1"}


def test_workbook_reads_back_with_openpyxl_and_pandas(report: Report) -> None:
    data = xlsx(report)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["findings", "plans"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        assert all(cell.font.bold for cell in sheet[1])
        assert all(8 <= d.width <= 60 for d in sheet.column_dimensions.values())
    findings = pd.read_excel(io.BytesIO(data), sheet_name="findings", engine="openpyxl")
    expected = pd.read_csv(io.StringIO(text(report, "csv")))
    pd.testing.assert_frame_equal(findings, expected)
    plans = pd.read_excel(io.BytesIO(data), sheet_name="plans", engine="openpyxl")
    assert list(plans.columns) == [
        "plan_id", "role_kind", "headcount", "pay_at_stake", "share_speed", "share_cost",
        "share_sales", "share_customer", "share_neutral", "protected_share",
        "share_customer_trusted", "share_customer_controlled",
        "critical", "high", "medium", "low", "info"]
    assert plans["plan_id"].tolist() == ["'" + FORMULA, "bo-claims-2027",
                                         "cc-agent-speed-2027", "rb-balanced-2027"]
    speed = plans.set_index("plan_id").loc["cc-agent-speed-2027"].to_dict()
    assert [speed[c] for c in ("share_speed", "critical", "medium", "headcount",
                               "pay_at_stake")] == [0.75, 1, 1, 12, 36000]
    assert book["plans"]["E2"].number_format == "0.0%"


# -- SARIF ----------------------------------------------------------------------------------

def sarif(report: Report) -> dict[str, Any]:
    data = json.loads(text(report, "sarif"))
    jsonschema.validate(data, json.loads(SCHEMA.read_text(encoding="utf-8")))
    return data


def test_sarif_is_valid_and_has_what_github_code_scanning_reads(report: Report) -> None:
    data = sarif(report)
    assert data["version"] == "2.1.0"
    (run,) = data["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "policycheck"
    assert driver["version"] == policycheck.__version__
    assert driver["informationUri"].startswith("https://")
    rules = {r.id: r for r in report.rules}
    assert [d["id"] for d in driver["rules"]] == list(rules)
    for descriptor in driver["rules"]:
        rule = rules[descriptor["id"]]
        assert descriptor["name"] == rule.id
        assert descriptor["shortDescription"]["text"] == rule.title
        assert descriptor["fullDescription"]["text"] == rule.rationale
        assert rule.rationale in descriptor["help"]["text"]
        assert rule.remediation in descriptor["help"]["text"]
        assert "**What to change:**" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == LEVELS[rule.severity]
    assert "Sources: AHT-PRACT, SEDDON" in driver["rules"][2]["help"]["text"]
    assert run["invocations"][0]["executionSuccessful"] is True
    results = run["results"]
    assert len(results) == len(report.findings)
    for result, finding in zip(results, report.findings.to_dict("records"), strict=True):
        assert result["ruleId"] == finding["rule_id"]
        assert driver["rules"][result["ruleIndex"]]["id"] == finding["rule_id"]
        assert result["level"] == LEVELS[finding["severity"]]
        assert finding["plan_id"] in result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "tests/data/formats_plans/plans.yaml"
        assert location["region"] == {
            "startLine": finding["src_line"], "startColumn": finding["src_col"],
            "endLine": finding["src_line"], "endColumn": finding["src_col"] + 1}
        assert result["partialFingerprints"] == {"policycheck/v1": finding["fingerprint"]}
        assert "suppressions" not in result
    assert [r["level"] for r in results] == ["error", "warning", "error", "note", "warning"]


def test_sarif_suppresses_waived_and_baselined_findings(report: Report) -> None:
    marked = statuses(report, ("waived", "agreed with the works council"),
                      ("baselined", None), ("reopened", None))
    results = sarif(marked)["runs"][0]["results"]
    assert results[0]["suppressions"] == [{"kind": "external", "status": "accepted",
                                           "justification": "waived: agreed with the works "
                                                            "council"}]
    assert results[1]["suppressions"] == [{"kind": "external", "status": "accepted",
                                           "justification": "baselined: in the baseline"}]
    assert "suppressions" not in results[2]
    assert all(r["level"] for r in results)


def test_sarif_region_of_a_table_row_is_the_row_at_column_1(
        inputs: Callable[[dict[str, str]], Path]) -> None:
    inputs({"tables/plans.csv": """\
                id,role_kind,base_pay,target_variable
                fast-2027,service,30000,3000
                """,
            "tables/components.csv": """\
                plan_id,id,kpi,weight
                fast-2027,aht,aht,80%
                fast-2027,fcr,fcr,20%
                """})
    checked = policycheck.check(["tables"], rules=[ROOT / PACK])
    (result,) = sarif(checked)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "tables/plans.csv"
    assert location["region"] == {"startLine": 2, "startColumn": 1, "endLine": 2,
                                  "endColumn": 2}


def test_sarif_reports_invalid_inputs_as_notifications(
        inputs: Callable[[dict[str, str]], Path]) -> None:
    inputs({"my plans/a.yaml": """\
                plans:
                  - id: broken
                    role_kind: service
                    base_pay: -1
                    target_variable: 0
                """})
    checked = policycheck.check(["my plans"], rules=[ROOT / PACK])
    invocation = sarif(checked)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"] == {"id": "out-of-range"}
    assert note["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "my%20plans/a.yaml"},
        "region": {"startLine": 4, "startColumn": 5, "endLine": 4, "endColumn": 6}}


def test_sarif_holds_what_code_scanning_takes_open_and_most_severe_first(
        report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub code scanning rejects a run of more than 25,000 results: past that the file
    holds the open findings first, the most severe first, in the report's order, and a
    notification says how many it leaves out."""
    from policycheck.formats import sarif as sarif_format

    assert sarif_format.MAX_RESULTS == 25_000
    marked = statuses(report, ("waived", "agreed"))  # the critical finding is waived
    assert len(sarif(marked)["runs"][0]["results"]) == 5  # not past the limit: all
    monkeypatch.setattr(sarif_format, "MAX_RESULTS", 3)
    data = sarif(marked)
    run = data["runs"][0]
    assert [(r["ruleId"], r["properties"]["severity"], r["properties"]["plan_id"])
            for r in run["results"]] == [
        ("fmt.contest-prize", "medium", "cc-agent-speed-2027"),
        ("fmt.speed-share", "high", "bo-claims-2027"),
        ("fmt.contest-prize", "medium", "=cmd|'/c calc'!A1")]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [{
        "level": "warning", "descriptor": {"id": "results-limit"}, "message": {"text": (
            "2 of 5 findings are left out of the SARIF file: GitHub code scanning rejects a "
            "run of more than 3 results. It holds the open findings first, the most severe "
            "first; the json, csv and xlsx formats hold every finding, and --baseline, "
            "--select or --ignore make fewer")}}]
    for chunk in (1, 20_000):
        monkeypatch.setattr(sarif_format, "CHUNK", chunk)
        assert sarif_format.render(marked) == sarif_format._render_plain(marked)
        for limit in (3, 25_000):  # redacted: only the findings the file holds
            monkeypatch.setattr(sarif_format, "MAX_RESULTS", limit)
            unfilled = odd(marked)
            unfilled.findings["fingerprint"] = None
            expected = b"".join(STREAMS["sarif"](redact(marked)))
            assert b"".join(REDACTING_STREAMS["sarif"](marked)) == expected
            assert render(marked, "sarif").encode() == expected
            assert b"".join(render_bytes(unfilled, "sarif")) == b"".join(
                STREAMS["sarif"](redact(unfilled)))
            assert unfilled.findings["fingerprint"].isna().all()  # its own frame unchanged


def test_the_command_warns_of_findings_a_sarif_file_leaves_out(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    from policycheck.formats import sarif as sarif_format

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sarif_format, "MAX_RESULTS", 4)
    target = tmp_path / "out.sarif"
    code = main(["check", PLANS, "--rules", PACK, "--format", "sarif", "--quiet",
                 "--output", f"sarif:{target}", "--output", f"json:{tmp_path / 'all.json'}"])
    captured = capsys.readouterr()
    assert code == 1
    said = ("1 of 5 findings are left out of the SARIF file: GitHub code scanning rejects a "
            "run of more than 4 results. It holds the open findings first, the most severe "
            "first; the json, csv and xlsx formats hold every finding, and --baseline, "
            "--select or --ignore make fewer")
    assert captured.err.splitlines() == [f"warning: {target}: {said}",
                                         f"warning: standard output: {said}"]
    assert len(json.loads(captured.out)["runs"][0]["results"]) == 4
    assert len(json.loads(target.read_text(encoding="utf-8"))["runs"][0]["results"]) == 4
    assert len(json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))["findings"]) == 5


# -- JUnit ----------------------------------------------------------------------------------

def junit(report: Report) -> ET.Element:
    return ET.fromstring(text(report, "junit"))


def test_junit_has_a_suite_per_rule_and_a_case_per_finding(report: Report) -> None:
    root = junit(report)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == [r.id for r in report.rules]
    for suite in suites.values():
        cases = suite.findall("testcase")
        names = [c.get("name") for c in cases]
        assert len(names) == len(set(names))
        assert {c.get("classname") for c in cases} == {suite.get("name")}
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(len(suite.findall("testcase/failure")))
        assert suite.get("skipped") == str(len(suite.findall("testcase/skipped")))
    assert root.get("tests") == "6" and root.get("failures") == "2"
    (none,) = suites["fmt.no-base-pay"]
    assert none.get("name") == "no findings" and len(none) == 0
    speed = suites["fmt.speed-share"]
    assert [(c.get("name"), c[0].tag, c[0].get("type")) for c in speed] == [
        ("cc-agent-speed-2027", "failure", "critical"), ("bo-claims-2027", "failure", "high")]
    assert speed[0][0].get("message") == "75% of variable pay rides on speed measures"
    prize = suites["fmt.contest-prize"]
    assert [c[0].tag for c in prize] == ["system-out"] * 3  # below --fail-on high: passed
    assert prize[2].get("name") == (f"{FORMULA} <script>alert('pay')</script> | `league` "
                                    "@team")


def test_junit_skips_waived_and_baselined_findings(report: Report) -> None:
    marked = statuses(report, ("waived", "agreed with the works council"),
                      ("baselined", None))
    speed = {s.get("name"): s for s in junit(marked).iter("testsuite")}["fmt.speed-share"]
    skipped = speed.find("testcase/skipped")
    assert skipped is not None
    assert skipped.get("message") == "waived: agreed with the works council"
    assert speed.get("skipped") == "1" and speed.get("failures") == "1"
    prize = {s.get("name"): s for s in junit(marked).iter("testsuite")}["fmt.contest-prize"]
    assert prize[0][0].get("message") == "baselined: in the baseline"


def test_junit_names_are_unique_and_the_xml_survives_any_text(report: Report) -> None:
    twice = pd.concat([report.findings, report.findings], ignore_index=True)
    twice["message"] = "bell \x07 and <tags> & \"quotes\""
    root = junit(dataclasses.replace(report, findings=twice))
    for suite in root.iter("testsuite"):
        names = [c.get("name") for c in suite]
        assert len(names) == len(set(names))
    speed = {s.get("name"): s for s in root.iter("testsuite")}["fmt.speed-share"]
    assert [c.get("name") for c in speed][:3] == ["cc-agent-speed-2027", "bo-claims-2027",
                                                  "cc-agent-speed-2027 (2)"]
    assert speed[0][0].get("message") == "bell \ufffd and <tags> & \"quotes\""


def test_junit_fails_nothing_with_fail_on_none(report: Report) -> None:
    root = junit(dataclasses.replace(report, fail_on="none"))
    assert root.get("failures") == "0"
    assert not root.findall(".//failure")


def test_junit_reports_problems_as_errors(report: Report) -> None:
    problem = Problem(Location("a.yaml", "", 4, 5), "plan 'p': base_pay: got -1", "range")
    root = junit(dataclasses.replace(report, problems=(problem, problem)))
    suite = root.findall("testsuite")[-1]
    assert suite.get("name") == "policycheck.input" and suite.get("errors") == "2"
    assert [c.get("name") for c in suite] == ["a.yaml:4:5", "a.yaml:4:5 (2)"]
    assert root.get("errors") == "2"


# -- GitHub annotations ---------------------------------------------------------------------

def test_github_annotates_each_open_finding_then_summarises(report: Report) -> None:
    """Most severe first (GitHub shows the first 10 annotations of each kind in a step),
    in the report's order within a severity."""
    lines = text(report, "github").splitlines()
    assert lines[0] == ("::error file=tests/data/formats_plans/plans.yaml,line=4,col=5,"
                        "title=fmt.speed-share::critical: plan 'cc-agent-speed-2027': 75%25 of "
                        "variable pay rides on speed measures")
    assert [line.split(" ", 1)[0] for line in lines[:5]] == [
        "::error", "::error", "::warning", "::warning", "::notice"]
    assert [line.split("::")[2].split(":")[0] for line in lines[:5]] == [
        "critical", "high", "medium", "medium", "low"]
    assert "plan 'cc-agent-speed-2027'" in lines[2] and "plan '=cmd" in lines[3]
    assert lines[5:] == ["Checked 4 of 4 plans with 3 rules: 5 findings (1 critical, 1 high, "
                         "2 medium, 1 low).", "2 findings at or above 'high'."]
    marked = statuses(report, ("waived", "agreed"), ("baselined", None))
    assert len(text(marked, "github").splitlines()) == 3 + 2


def big(report: Report) -> Report:
    """``report`` as a large run would give it: 1,250 findings (the five 250 times, joined
    by pd.concat), 100,000 plans, 1,234 invalid ones and a file that could not be read."""
    broken = Problem(Location("plans/broken.yaml", "", 3, 1), "YAML syntax error: while "
                     "parsing a flow mapping", "yaml-syntax")
    invalid = [Problem(Location("plans/a.yaml", "", line, 5), "plan 'p': base_pay: got -1, "
                       "expected a value of at least 0", "out-of-range", plan_id="p")
               for line in range(1, 1_235)]
    return dataclasses.replace(
        report, findings=pd.concat([report.findings] * 250, ignore_index=True),
        problems=(broken, *invalid), plans_read=100_000, plans_checked=98_766,
        plans_invalid=1_234, files_unread=("plans/broken.yaml",))


def test_summaries_group_every_count_in_thousands(report: Report) -> None:
    """Every count a person reads is written as the error counts are ("100,000 plans",
    never "100000" beside "1,235 errors"), and a file that could not be read is said apart
    from the plans; JSON keeps plain integers and names the file."""
    large = big(report)
    summary = ["Checked 98,766 of 100,000 plans with 3 rules: 1,250 findings (250 critical, "
               "250 high, 500 medium, 250 low).",
               "1,234 invalid plans were not checked: see the errors above.",
               "1 file could not be read: see the errors above.",
               "1,235 errors above: the run fails until they are fixed.",
               "Problems by kind: 1,234 out-of-range and 1 yaml-syntax.",
               "500 findings at or above 'high'."]
    assert text(large, "text").splitlines()[-6:] == summary
    assert text(large, "github").splitlines()[-6:] == summary
    assert text(large, "markdown", redact=False).splitlines()[:7] == [
        "## policycheck: ⚠️ could not check every plan", "",
        "**1,250 findings** (250 critical, 250 high, 500 medium, 250 low, 0 info) from 3 rules "
        "over 98,766 of 100,000 plans.",
        "**500** open findings at or above `high` fail this check.", "",
        "**1,235 input problems**; 1,234 invalid plans were not checked; 1 file could not be "
        "read:", ""]
    data = json.loads(text(large, "json"))["summary"]
    assert (data["plans_read"], data["findings"], data["failing"], data["files_unread"]) == (
        100_000, 1_250, 500, ["plans/broken.yaml"])
    assert json.loads(text(report, "json"))["summary"]["files_unread"] == []


def test_github_escapes_data_and_properties(report: Report) -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    odd = changed(report, src_file=["dir,1/a:b.yaml"] * 5, message=["one\ntwo %"] * 5)
    line = text(odd, "github").splitlines()[0]
    assert line.startswith("::error file=dir%2C1/a%3Ab.yaml,line=4,col=5,title=")
    assert line.endswith(": one%0Atwo %25")


# -- markdown -------------------------------------------------------------------------------

def cells(row: str) -> list[str]:
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_markdown_escapes_html_and_markdown(report: Report) -> None:
    comment = text(report, "markdown")
    assert "<script>" not in comment and "&lt;script&gt;" in comment
    assert "@team" not in comment and "`league`" not in comment
    tables: list[list[str]] = [[]]
    for line in comment.splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    assert len([t for t in tables if t]) == 3
    for rows in filter(None, tables):
        assert {len(cells(row)) for row in rows} == {len(cells(rows[0]))}
    hostile = [line for line in comment.splitlines() if "calc" in line and "fmt." in line]
    assert len(cells(hostile[0])) == 4
    assert escape("a|b<c>`d`*e*_f_[g](h) @u #1 $x$\nz") == (
        "a\\|b&lt;c&gt;\\`d\\`\\*e\\*\\_f\\_\\[g\\](h) &#64;u &#35;1 \\$x\\$ z")


def test_markdown_headline_table_details_and_mix(report: Report) -> None:
    comment = text(report, "markdown", redact=False)
    assert comment.startswith("## policycheck: ❌ fail\n\n**5 findings** (1 critical, 1 high, "
                              "2 medium, 1 low, 0 info) from 3 rules over 4 of 4 plans.\n"
                              "**2** open findings at or above `high` fail this check.\n")
    top = comment.split("### Open findings at or above medium")[1].split("<details>")[0]
    assert [cells(r)[0].strip() for r in top.splitlines() if r.startswith("| ")][1:] == [
        "critical", "high", "medium", "medium"]
    details = comment.split("<details>")[1].split("</details>")[0]
    assert "Quarterly league" in details and "4,000" not in details
    mix = comment.split("### Incentive mix of the plans with findings")[1]
    assert "| cc-agent-speed-2027 | service | 75% | 0% | 0% | 25% | 0% | 0% | 2 |" in mix
    assert "rb-balanced-2027" not in mix


def test_customer_pay_the_employee_controls_is_apart_in_markdown_and_xlsx(
        tmp_path: Path) -> None:
    """An agent-sent survey was "customer" pay in the comment and the workbook, and not in
    the leadership report: moving pay onto it read as moving pay to the customer."""
    sample = policycheck.check(str(ROOT / "sample_data" / "yaml"))
    mix = text(sample, "markdown", redact=False).split("### Incentive mix")[1]
    assert ("| plan | role | speed | cost | sales | customer | customer, employee-controlled "
            "| protected | findings |") in mix
    assert "| cc-agent-core-2027 | service | 50% | 30% | 0% | 0% | 20% | 0% | 10 |" in mix
    plans = pd.read_excel(io.BytesIO(xlsx(sample)), sheet_name="plans",
                          engine="openpyxl").set_index("plan_id")
    assert plans.loc["cc-agent-core-2027", ["share_customer", "share_customer_trusted",
                                            "share_customer_controlled"]].tolist() == [
        0.2, 0.0, 0.2]


def test_markdown_caps_the_table_at_50_rows(report: Report) -> None:
    many = pd.concat([report.findings.iloc[[1]]] * 60, ignore_index=True)
    many["plan_id"] = [f"plan-{i:02d}" for i in range(60)]
    many.loc[55:, "status"] = "waived"
    comment = text(dataclasses.replace(report, findings=many), "markdown")
    top, rest = comment.split("<details>")
    assert sum(line.startswith("| medium |") for line in top.splitlines()) == 50
    assert "…and 5 more, listed below." in top
    assert "<summary>10 more findings" in rest
    assert sum(line.startswith("| medium |") for line in rest.splitlines()) == 10


@pytest.mark.parametrize("message_length, problems", [(0, 0), (5_000, 0), (0, 120)])
def test_markdown_comment_stays_within_what_github_takes(
        report: Report, message_length: int, problems: int) -> None:
    """GitHub refuses a comment of more than 65,536 characters: rows are listed while they
    fit in 60,000, and each list says how many more there are."""
    from policycheck.formats.markdown import COMMENT_BUDGET

    many = pd.concat([odd(report).findings] * 130, ignore_index=True)  # 650 findings
    if message_length:
        many["message"] = [f"{i} " + "m" * message_length for i in range(len(many))]
    problem = Problem(Location("plans.yaml", "", 4, 5), "base_pay: got " + "9" * 900, "range",
                      field="base_pay")
    case = dataclasses.replace(report, findings=many, problems=(problem,) * problems)
    for comment in (text(case, "markdown"), text(case, "markdown", redact=False)):
        assert len(comment) <= COMMENT_BUDGET < 65_536
        top, _, rest = comment.partition("<details>")
        top_rows = sum(line.startswith("| medium |") or line.startswith("| critical |")
                       or line.startswith("| high |") for line in top.splitlines())
        chosen = int((~many["status"].isin(["waived", "baselined"])
                      & many["severity"].isin(["critical", "high", "medium"])).sum())
        assert chosen == 260  # open at or above medium: 2 of the 5 findings, 130 times
        if message_length:
            assert top_rows < 50
            assert f"…and {chosen - top_rows} more: see the SARIF or JSON output." in top
        else:
            assert top_rows == 50 and f"…and {chosen - 50} more, listed below." in top
        details = rest.partition("</details>")[0]
        listed = sum(line.startswith("| ") for line in details.splitlines()) - 1  # less the head
        assert f"<summary>{650 - 50} more findings" in details  # beyond the first 50 chosen
        assert f"…and {600 - listed} more: see the SARIF or JSON output." in details
        shown = sum(line.startswith("- plans.yaml:4:5: error") for line in comment.splitlines())
        assert (f"- and {problems - shown} more" in comment) == (problems > 0)


def test_markdown_passes_when_nothing_fails(report: Report) -> None:
    comment = text(dataclasses.replace(report, fail_on="none"), "markdown")
    assert comment.startswith("## policycheck: ✅ pass")


# -- redaction ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_pay_is_redacted_by_default_only_where_output_leaves_the_company(report: Report,
                                                                       fmt: str) -> None:
    assert {"sarif", "github", "markdown"} == REDACT_BY_DEFAULT
    if fmt == "xlsx":
        shown = "\n".join(str(v) for sheet in workbook(xlsx(report)).values()
                          for row in sheet["cells"] for v, _ in row)
    else:
        shown = str(render(report, fmt))
    hidden = fmt in REDACT_BY_DEFAULT
    assert ("4,000" in shown) is not hidden
    assert ("redacted" in shown) is hidden  # markdown escapes it: \[redacted\]


@pytest.mark.parametrize("fmt", ["csv", "json", "sarif", "markdown"])
def test_the_flag_overrides_the_default(report: Report, fmt: str) -> None:
    assert "4,000" not in text(report, fmt, redact=True)
    assert "4,000" in text(report, fmt, redact=False)


def test_redact_takes_pay_out_of_findings_and_profiles(report: Report) -> None:
    hidden = redact(report)
    assert hidden is not report and report.findings["pay_at_stake"].notna().all()
    assert hidden.findings["pay_at_stake"].isna().all()
    assert hidden.findings["headcount"].tolist() == report.findings["headcount"].tolist()
    assert hidden.findings["message"].tolist() == [
        "75% of variable pay rides on speed measures",
        'Competition "Fastest agent of the month" pays a prize of [redacted] (133% of the '
        "annual target variable pay)",
        "55% of variable pay rides on speed measures",
        'Competition "Quarterly league" pays a prize of [redacted] (9% of the annual target '
        "variable pay)",
        'Competition "<script>alert(\'pay\')</script> | `league` @team" pays a prize of '
        "[redacted] (60% of the annual target variable pay)"]
    assert hidden.findings["evidence"].tolist()[:2] == [
        {"speed_share": 0.75, "target_variable": REDACTED},
        {"prize": REDACTED, "prize_vs_target": 1.333333}]
    for column in ("base_pay", "target_variable", "pay_at_stake"):
        assert hidden.profiles[column].isna().all()
    assert hidden.profiles["headcount"].tolist() == [3, 8, 12, 20]
    assert hidden.profiles["share_speed"].tolist() == report.profiles["share_speed"].tolist()


def test_redact_takes_employee_ids_and_pay_out_of_problems(report: Report) -> None:
    problems = (
        Problem(Location("employees.csv", "", 2), "plan 'p', employee 'E-0042': base_pay: got "
                "-4,500, expected a value of at least 0", "out-of-range", "p", field="base_pay"),
        Problem(Location("employees.csv", "", 3), "duplicate employee id 'E-0042' in plan 'p' "
                "(first defined at employees.csv:2); expected each id once", "duplicate-id",
                "p", field="employee_id"),
        Problem(Location("a.yaml", "", 5, 5), "plan 'p-2027': has no components but "
                "target_variable is 3200; expected components", "no-components", "p-2027",
                field="target_variable"),
    )
    hidden = redact(dataclasses.replace(report, problems=problems)).problems
    assert [p.message for p in hidden] == [
        "plan 'p', employee '[redacted]': base_pay: got [redacted], expected a value of at "
        "least 0",
        "duplicate employee id '[redacted]' in plan 'p' (first defined at employees.csv:2); "
        "expected each id once",
        "plan 'p-2027': has no components but target_variable is [redacted]; expected "
        "components"]
    assert str(hidden[0].location) == "employees.csv:2"


def test_redact_hides_grouped_numbers_in_any_message(report: Report) -> None:
    odd = changed(report, message=["a bonus of 12,345.50 and 7 days"] * 5)
    assert set(redact(odd).findings["message"]) == {"a bonus of [redacted] and 7 days"}


def test_redact_hides_pay_placeholders_of_the_template(report: Report) -> None:
    rule = dataclasses.replace(report.rules[2], message=(
        "base {base_pay:n}, {if(max_variable == null, 'uncapped', 'capped')} at "
        "{max_to_fixed:%}{pay_floor}; prize {prize:money}"))
    odd = changed(dataclasses.replace(report, rules=(rule,)), rule_id=[rule.id] * 5,
                  message=["base 30000, uncapped at 45%1.5e+06; prize 900"] * 5)
    assert set(redact(odd).findings["message"]) == {
        "base [redacted], uncapped at 45%[redacted]; prize [redacted]"}


@pytest.mark.parametrize("folder", ["sample_data/yaml", "tests/data/formats_plans"])
def test_json_is_byte_identical_to_json_dumps(folder: str) -> None:
    """The fast JSON renderer writes exactly what json.dumps writes, non-ASCII text included,
    with findings and without any."""
    from policycheck.formats import json_format
    from policycheck.pipeline import check

    report = check([ROOT / folder], today=datetime.date(2027, 1, 1))
    assert len(report.findings) > 0
    assert json_format.render(report) == json_format._render_plain(report)
    empty = dataclasses.replace(report, findings=report.findings.iloc[:0])
    assert json_format.render(empty) == json_format._render_plain(empty)
    assert json.loads(json_format.render(empty))["findings"] == []


def test_json_of_findings_joined_by_concat_is_json_dumps_text(report: Report) -> None:
    """Findings of two runs joined by pd.concat hold their text in chunked Arrow arrays,
    which the fast renderer failed on ('ChunkedArray' object has no attribute 'buffers')."""
    from policycheck.formats import json_format

    joined = dataclasses.replace(report, findings=pd.concat([report.findings] * 3,
                                                            ignore_index=True))
    assert json_format.render(joined) == json_format._render_plain(joined)


def test_json_streams_in_chunks_that_join_to_the_document(
        report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large report is written piece by piece; the pieces, cut anywhere in the findings,
    join to exactly the document json.dumps writes."""
    from policycheck.formats import json_format

    expected = json_format._render_plain(report)
    monkeypatch.setattr(json_format, "CHUNK", 2)
    pieces = list(json_format.chunks(report))
    # head, chunks, end of the findings, the problems' (empty) list, the tail
    assert len(pieces) == 4 + -(-len(report.findings) // 2)
    assert b"".join(pieces).decode("utf-8") == expected
    assert b"".join(render_bytes(report, "json")) == expected.encode("utf-8")


def test_json_streams_the_problems_in_chunks(report: Report,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The problems of a messy export (hundreds of thousands) are written piece by piece
    too, with or without findings; the pieces join to the document json.dumps writes."""
    from policycheck.formats import json_format

    problems = tuple(Problem(Location(f"plans/p{i}.yaml", "", i + 1, 3),
                             f"plan 'p{i}': weight: got 'lots' — expected a number",
                             "invalid-value", f"p{i}", field="weight") for i in range(7))
    monkeypatch.setattr(json_format, "PROBLEMS_CHUNK", 3)
    for findings in (report.findings, report.findings.iloc[:0]):
        messy = dataclasses.replace(report, findings=findings, problems=problems)
        pieces = list(json_format.chunks(messy))
        assert b"".join(pieces).decode("utf-8") == json_format._render_plain(messy)
        assert pieces[-6] == b'\n  "problems": [\n'
        assert [p.count(b'"code": ') for p in pieces[-5:-2]] == [3, 3, 1]
        assert pieces[-2:] == [b"\n  ]\n", b"}\n"]


def test_json_chunks_mix_flat_and_nested_evidence(
        report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """Flat evidence goes through json's C encoder a chunk at a time, nested evidence one
    by one: mixed in one chunk, the document is still json.dumps's; a value json.dumps
    refuses (a set) fails the same way, not with a wrong document."""
    import numpy as np

    from policycheck.formats import json_format

    monkeypatch.setattr(json_format, "CHUNK", 2)
    odd = changed(report, evidence=[{"n": np.float64(1.5), "s": "a\nb"}, {}, {"n": [2, "x"]},
                                    {"k": {"nested": [1, "two"]}, 3: None}, {"ok": True}])
    assert json_format.render(odd) == json_format._render_plain(odd)
    with pytest.raises(TypeError):
        json_format.render(changed(report, evidence=[{"bad": {1}}] * 5))


def test_a_stream_that_fails_part_way_leaves_no_file(tmp_path: Path) -> None:
    from policycheck.outputfiles import atomic_write

    def pieces() -> Any:
        yield b'{"findings": ['
        raise TypeError("boom")

    target = tmp_path / "out.json"
    with pytest.raises(TypeError):
        atomic_write(target, pieces())
    assert list(tmp_path.iterdir()) == []
    atomic_write(target, iter([b"a", b"b"]))
    assert target.read_bytes() == b"ab"


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=True, allow_infinity=True), _TEXT)
_EVIDENCE = st.dictionaries(_TEXT, st.one_of(_SCALAR, st.lists(_SCALAR, max_size=3)),
                            max_size=3)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_json_fast_path_writes_what_json_dumps_writes(report: Report, data: Any) -> None:
    """Whatever the findings hold (non-ASCII and control characters, missing values, NaN,
    huge numbers, nested evidence), and wherever the chunks are cut, the streamed document
    is json.dumps's."""
    from policycheck.formats import json_format

    n = len(report.findings)
    column = lambda values: data.draw(st.lists(values, min_size=n, max_size=n))  # noqa: E731
    odd = changed(report, message=column(_TEXT), entity_id=column(st.none() | _TEXT),
                  evidence=column(_EVIDENCE), src_sheet=column(_TEXT),
                  src_line=column(st.integers(0, 10**6)), waiver=column(st.none() | _TEXT),
                  pay_at_stake=column(st.floats(allow_nan=True) | st.integers(0, 10**18)),
                  headcount=column(st.none() | st.integers(-10**20, 10**20)))
    chunk = data.draw(st.integers(1, n + 1))
    saved, json_format.CHUNK = json_format.CHUNK, chunk
    try:
        assert json_format.render(odd) == json_format._render_plain(odd)
    finally:
        json_format.CHUNK = saved


@settings(max_examples=200, deadline=None)
@given(value=st.recursive(_SCALAR | st.text(max_size=12), lambda inner: st.lists(
    inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=12),
       ensure_ascii=st.booleans())
def test_dumps_writes_what_json_dumps_writes(value: Any, ensure_ascii: bool) -> None:
    """Any plain value (text past the BMP and lone surrogates included), with or without
    ASCII escaping, is json.dumps's text (``validate --format json`` escapes to ASCII)."""
    from policycheck.formats.jsontext import dumps

    assert dumps(value, ensure_ascii=ensure_ascii) == json.dumps(
        value, indent=2, ensure_ascii=ensure_ascii)


@settings(max_examples=100, deadline=None)
@given(records=st.lists(st.fixed_dictionaries(
    {"file": st.sampled_from(["a.yaml", "b{c}.csv", "é.yaml"]), "line": st.integers(0, 9),
     "value": _SCALAR}), min_size=30, max_size=40), ensure_ascii=st.booleans())
def test_dumps_of_many_records_writes_what_json_dumps_writes(records: list[Any],
                                                             ensure_ascii: bool) -> None:
    """A long list of mappings with the same keys (a report's problems) is encoded a key at
    a time: the same text, whatever the values (0.0 and -0.0, 1 and True, NaN)."""
    from policycheck.formats.jsontext import dumps

    data = {"problems": records, "more": [*records, {"file": None}]}
    assert dumps(data, ensure_ascii) == json.dumps(data, indent=2, ensure_ascii=ensure_ascii)


# -- fast paths equal the per-record references ----------------------------------------------

def odd(report: Report) -> Report:
    """The report's findings made awkward: every status, missing values, non-ASCII and
    formula-like text, characters XML cannot carry, list and nested evidence; title and
    remediation categorical as the engine makes them, with a category no finding uses."""
    base = statuses(report, ("waived", "ticket 7, owner=@ann; expires 2028-01-01"),
                    ("baselined", None), ("reopened", "old <waiver> & co"))
    made = _odd_values(base)
    findings = made.findings.copy()
    for name in ("title", "remediation"):
        texts = findings[name].astype(object)
        categories = pd.Index(sorted({*texts.dropna(), "not used by any finding"}), dtype="str")
        findings[name] = pd.Categorical(texts, categories=categories)
    return dataclasses.replace(made, findings=findings)


def _odd_values(base: Report) -> Report:
    return changed(
        base,
        entity_id=[None, "", "=HYPERLINK(\"x\")", "Grüße – ✓", " padded "],
        message=["=1+2", "-5 is low, 4,000 paid; 50% \"quoted\"\r\nnext", "@sum\x01\x0b",
                 "#N/A", "tab\there & <b>bold</b> |pipe| `tick` 1,250.50"],
        evidence=[{"kpis": ["aht", "csat"], "n": 2}, {}, None,
                  {"k": {"nested": [1, "two"]}, "f": 1.5, "none": None, "t": True},
                  {"s": "a,\nb\"c", "ü": "ß", "x": 1e20}],
        src_sheet=["", "Plans", None, "", "Blatt 1"],
        src_line=[0, 3, 14, 0, 99],
        src_col=[0, 0, 2, 5, 1],
        headcount=[None, 3, 0, 12, 7],
        pay_at_stake=[float("nan"), 1234.5, 0.0, 36000.0, None],
        remediation=["Pay for outcomes.", "=cmd|'/c calc'!A1", "", "ü", "+x"],
    )


def csv_reference(report: Report) -> str:
    """The CSV as written row by row from records (the renderer before columns)."""
    from policycheck.formats.cells import finding_dicts, flat_record, neutralise

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FINDING_FIELDS)
    for row in finding_dicts(report):
        writer.writerow([neutralise(v) for v in flat_record(row).values()])
    return out.getvalue()


FINDING_FIELDS = (
    "rule_id", "severity", "title", "plan_id", "scope", "entity_id", "component_id",
    "message", "evidence", "remediation", "location_file", "location_sheet", "location_line",
    "location_column", "headcount", "pay_at_stake", "fingerprint", "status", "waiver",
)


@pytest.mark.parametrize("chunk", [1, 2, 20_000])
def test_csv_from_columns_equals_rows_from_records(report: Report, chunk: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from policycheck.formats import csv_format

    monkeypatch.setattr(csv_format, "CHUNK", chunk)
    mixed = changed(report, entity_id=[True, 1, 1.0, None, "1"],
                    pay_at_stake=[float("inf"), 1.0, 2.5, -0.0, 3.0])
    floats = report.findings.assign(pay_at_stake=[-0.0, 0.0, 1e17, float("nan"), 0.1],
                                    src_line=[0.0, 2.0, 2.5, 1e3, -1.0])
    for case in (report, odd(report), mixed, dataclasses.replace(report, findings=floats),
                 dataclasses.replace(report, findings=report.findings.iloc[:0])):
        assert csv_format.render(case) == csv_reference(case)
        assert b"".join(render_bytes(case, "csv")).decode() == csv_reference(case)


def test_compact_evidence_equals_json_dumps() -> None:
    from policycheck.formats.cells import compact_json

    values: list[Any] = [{"a": 1, "b": "x,\ny"}, {}, None, [], {"l": [1, 2]}, {"n": None},
                         {"k": {"z": 1.5}}, {1: "int key", "f": float("inf")}, "text", 0,
                         {"ü": "ß\u2028", "e": 1e-7}]
    assert compact_json(values) == [
        json.dumps(v or {}, ensure_ascii=False, separators=(",", ":")) for v in values]


@pytest.mark.parametrize("chunk", [1, 3, 20_000])
def test_sarif_from_columns_equals_results_from_records(report: Report, chunk: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from policycheck.formats import sarif, sarifresults

    monkeypatch.setattr(sarif, "CHUNK", chunk)
    problem = Problem(Location("C:\\plans\\a b.csv", "Sheet", 4, 0), "bad <x>", "range")
    mixed = changed(report, entity_id=[True, 1, 1.0, None, "1"],
                    pay_at_stake=[float("inf"), 1.0, 2.5, -0.0, 3.0])
    odd_places = typed_places(odd(report))
    for case in (report, odd(report), dataclasses.replace(odd(report), problems=(problem,)),
                 mixed, odd_places, typed_places(changed(report, entity_id=[None] * 5)),
                 dataclasses.replace(report, findings=report.findings.iloc[:0])):
        expected = sarif._render_plain(case)
        assert sarif.render(case) == expected
        assert sarif.render(redact(case)) == sarif._render_plain(redact(case))
    for case in (report, odd_places, redact(odd_places)):  # by Arrow, not the reference way
        assert sarifresults.results(case.findings, {})
    unusual = changed(report, headcount=[types.SimpleNamespace()] * 5)
    with pytest.raises(TypeError):  # json.dumps refuses it, and so does the fast path
        sarif.render(unusual)


def typed_places(report: Report) -> Report:
    """The report with its places as the engine types them (integers), which the formats
    built by Arrow take: odd values that do not send a report the reference way."""
    findings = report.findings.copy()
    findings[["src_line", "src_col"]] = findings[["src_line", "src_col"]].astype("int64")
    return dataclasses.replace(report, findings=findings)


@pytest.mark.parametrize("chunk", [1, 2, 20_000])
def test_junit_from_columns_equals_elementtree(report: Report, chunk: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Also when a suite's repeated names fall in different chunks."""
    from policycheck.formats import junit, junitcases

    monkeypatch.setattr(junitcases, "CHUNK", chunk)
    problem = Problem(Location("a.yaml", "", 4, 5), "base_pay: got \x02-1 <&>", "range")
    duplicate = changed(report, plan_id=["p", "p", "p (2)", "p", "p"],
                        entity_id=[None, None, None, "e", None],
                        rule_id=[report.findings["rule_id"].iloc[0]] * 5)
    remedy_text = changed(report, remediation=["a & b", "<x>", "a & b", "", "z"])
    remedy_text.findings["remediation"] = remedy_text.findings["remediation"].astype("str")
    odd_places = typed_places(odd(report))
    for case in (report, odd(report), duplicate, dataclasses.replace(report, fail_on="none"),
                 dataclasses.replace(odd(report), problems=(problem, problem)), remedy_text,
                 odd_places,
                 changed(report, remediation=["a", None, "b", "c", "d"]),
                 dataclasses.replace(report, findings=report.findings.iloc[:0]),
                 dataclasses.replace(report, rules=())):
        assert junit.render(case) == junit._render_plain(case)
    for case in (report, odd_places, duplicate, remedy_text):  # by Arrow, not the fallback
        assert junitcases.test_cases(case) is not None


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["p", "p (2)", "p (2) (2)", "q", "p e"]),
                                st.sampled_from([None, "", "e", "(2)"])), max_size=12))
def test_junit_case_names_by_arrow_as_one_by_one(pairs: list[tuple[str, str | None]]) -> None:
    """Unique names as ``_unique`` makes them, also when an added number makes a name that
    another finding has."""
    import pyarrow as pa

    from policycheck.formats import junit, junitcases

    plans, entities = zip(*pairs, strict=True) if pairs else ((), ())
    made = junitcases.case_names(pa.array(plans, pa.large_string()),
                                 pa.array(entities, pa.large_string()))
    assert made.to_pylist() == junitcases.unique(
        junit._case_name({"plan_id": p, "entity_id": e}) for p, e in pairs)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet="ab &<>\"'\r\n\t\x00\x01\x0b\x1f\ufffe\uffff\ufffdü€",
                              max_size=8), max_size=8))
def test_junit_escaping_by_arrow_as_elementtree(texts: list[str]) -> None:
    import pyarrow as pa

    from policycheck.formats import xmltext

    array = pa.array(texts, pa.large_string())
    for escapes, one in ((xmltext.ATTRIBUTE, xmltext.attribute),
                         (xmltext.ELEMENT, xmltext.element_text)):
        assert xmltext.escaped_array(array, escapes).to_pylist() == [
            one(xmltext.xml_safe(t)) for t in texts]
        assert xmltext.escaped_array(array, escapes, safe=False).to_pylist() == list(
            map(one, texts))
    text = "".join(texts) + "."  # ElementTree writes an empty element as <e />
    element = ET.Element("e", {"a": text})
    element.text = text
    assert ET.tostring(element, encoding="unicode") == (
        f'<e a="{xmltext.attribute(text)}">{xmltext.element_text(text)}</e>')


def test_github_from_columns_equals_annotations_of_records(report: Report) -> None:
    from policycheck.formats import github
    from policycheck.formats.cells import SUPPRESSED, finding_dicts

    for case in (report, odd(report)):
        assert github.annotations(case.findings) == [
            github.annotation(row) for row in finding_dicts(case)
            if row["status"] not in SUPPRESSED]


def markdown_reference(report: Report) -> list[str]:
    """The findings section as built from records of every finding (before ranks)."""
    from policycheck.engine import SEVERITY_RANK
    from policycheck.formats.cells import SUPPRESSED, finding_dicts
    from policycheck.formats.markdown import DETAILS_ROWS, TABLE_ROWS

    rows = finding_dicts(report)
    rows.sort(key=lambda r: SEVERITY_RANK[r["severity"]])
    shown = [r for r in rows if r["status"] not in SUPPRESSED
             and SEVERITY_RANK[r["severity"]] <= SEVERITY_RANK["medium"]]
    listed = {id(r) for r in shown[:TABLE_ROWS]}
    rest = [r for r in rows if id(r) not in listed]
    return [f"{len(shown)} {len(rest)}", *(r["fingerprint"] for r in shown[:TABLE_ROWS]),
            *(r["fingerprint"] for r in rest[:DETAILS_ROWS])]


@pytest.mark.parametrize("copies", [1, 12, 130])
def test_markdown_picks_the_rows_records_would(report: Report, copies: int) -> None:
    from policycheck.formats.markdown import findings_section

    many = odd(report).findings
    many = pd.concat([many] * copies, ignore_index=True)
    many["fingerprint"] = [f"f{i}" for i in range(len(many))]
    case = dataclasses.replace(report, findings=many)
    lines = findings_section(case)
    reference = markdown_reference(case)
    shown, rest = map(int, reference[0].split())
    fingerprints = reference[1:]
    by_fingerprint = dict(zip(many["fingerprint"], many["message"].map(escape), strict=True))
    table_messages = [line.rsplit(" | ", 1)[1][:-2] for line in lines if line.startswith("| ")
                      and not line.startswith("| severity")]
    assert table_messages == [by_fingerprint[f] for f in fingerprints]
    assert (f"<summary>{rest} more finding" + "s" * (rest != 1)) in "\n".join(lines)
    assert (f"…and {shown - 50} more, listed below." in lines) == (shown > 50)


def test_markdown_redacts_what_it_shows_as_if_it_redacted_everything(report: Report) -> None:
    """The comment redacts only the findings it lists, the problems and the plans' mix:
    the same text as a comment of the whole report redacted, also past the rows listed."""
    from policycheck.formats import markdown, render

    problem = Problem(Location("a.yaml", "", 4, 5), "base_pay: got 52,000 for employee 'e7'",
                      "range", field="base_pay")
    many = dataclasses.replace(report, findings=pd.concat([odd(report).findings] * 130,
                                                          ignore_index=True))
    for case in (report, odd(report), many, dataclasses.replace(odd(report),
                                                                problems=(problem,))):
        expected = markdown.render(redact(case))
        assert markdown.render_redacted(case) == expected
        assert render(case, "markdown") == expected  # the default for a PR comment
    assert "52,000" not in render(dataclasses.replace(report, problems=(problem,)), "markdown")


#: Problems of invalid inputs, as the workbook's problems sheet holds them.
_SHEET_PROBLEMS = (
    Problem(Location("plans.csv", "", 2), "plan 'p1': base_pay: got '32,000', expected a "
            "number", "invalid-value", "p1", field="base_pay"),
    Problem(Location("book.xlsx", "plans", 3, 2), "=merged cells B3:B4", "merged-cells"),
    Problem(Location("a.yaml"), "unknown column 'x'", "unknown-column", severity="warning"))


def test_the_workbook_names_the_plans_left_out_in_a_problems_sheet(report: Report) -> None:
    """A plan left out as invalid was in no sheet of the workbook (the JSON has its
    problems): a problems sheet holds them, as the JSON does, formula-like text as text."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx(dataclasses.replace(
        report, problems=_SHEET_PROBLEMS))))
    assert book.sheetnames == ["findings", "plans", "problems"]
    assert [[cell.value for cell in row] for row in book["problems"].iter_rows()] == [
        ["file", "sheet", "line", "column", "severity", "code", "plan_id", "field", "message"],
        ["plans.csv", None, 2, None, "error", "invalid-value", "p1", "base_pay",
         "plan 'p1': base_pay: got '32,000', expected a number"],
        ["book.xlsx", "plans", 3, 2, "error", "merged-cells", None, None,
         "'=merged cells B3:B4"],
        ["a.yaml", None, None, None, "warning", "unknown-column", None, None,
         "unknown column 'x'"]]
    assert openpyxl.load_workbook(io.BytesIO(xlsx(report))).sheetnames == ["findings", "plans"]


@pytest.mark.parametrize("chunk", [2, 20_000])
def test_workbook_from_columns_equals_openpyxl_cell_by_cell(
        report: Report, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from policycheck.formats import sheetxml, xlsx_format

    monkeypatch.setattr(sheetxml, "CHUNK", chunk)
    long_text = "x" * 40_000  # openpyxl cuts a cell's text at 32,767 characters
    for case in (report, odd(report), changed(report, message=[long_text, " a", "b ", "",
                                                               "#DIV/0!"]),
                 dataclasses.replace(report, findings=report.findings.iloc[:1]),
                 dataclasses.replace(report, findings=report.findings.iloc[:0]),
                 # values only openpyxl writes: the workbook is made cell by cell
                 changed(report, pay_at_stake=[float("inf"), 1.0, 2.5, -0.0, 3.0]),
                 changed(report, entity_id=[True, 1, 1.0, None, "1"]),
                 dataclasses.replace(report, problems=_SHEET_PROBLEMS)):
        assert xlsx_format.render(case) == xlsx_format._render_plain(case)
    assert xlsx_format.render(redact(odd(report))) == xlsx_format._render_plain(
        redact(odd(report)))


#: Text a workbook cell may hold: formula starts, white space of every kind at either end,
#: characters XML cannot carry, markup, error codes, and text past what a cell holds.
_CELL_TEXT = st.one_of(
    st.text(st.sampled_from(["=", "+", "-", "@", "\t", "\r", "＝", "a", " ", "\x85", "\u3000",
                             "\x1c", "\x0b", "\x00", "\ufffe", "&", "<", ">", "é", "😀"]),
            max_size=6),
    st.text(max_size=8), st.sampled_from(["", "#DIV/0!", "#N/A", "'#N/A", "x" * 32_770,
                                          " " + "y" * 32_767]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _CELL_TEXT), max_size=12), st.sampled_from(["", ' s="1"']))
def test_text_cells_by_arrow_are_those_written_one_by_one(texts: list[str | None],
                                                         style: str) -> None:
    """A column of distinct texts is made into cells and their XML by Arrow: the same
    text as ``_cell`` and ``_tail`` write for each, a missing cell left out unless styled."""
    import pyarrow as pa

    from policycheck.formats import sheetxml

    cells = sheetxml.text_cells(pa.array(texts, type=pa.large_string()))
    assert cells.to_pylist() == [None if t is None else sheetxml._cell(t) for t in texts]
    column = sheetxml.TextColumn(cells, np.arange(len(texts)))
    assert column.tails(style).to_pylist() == sheetxml.Column(
        cells.to_pylist(), column.codes).tails(style).to_pylist()
    assert column.width() == max((len(t) for t in cells.to_pylist() if t is not None),
                                 default=0)


_FLOATS = st.sampled_from([0.0, -0.0, 1.5, float("nan"), 1e20, 0.1 + 0.2, -3.0])


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.lists(st.one_of(_FLOATS, st.floats()), max_size=8).map(lambda v: pd.Series(v)),
    st.lists(st.one_of(st.none(), st.integers(-5, 5)), max_size=8).map(
        lambda v: pd.Series(v, dtype="Int64")),
    st.lists(st.integers(-(2 ** 40), 2 ** 40), max_size=8).map(lambda v: pd.Series(v)),
    st.lists(st.one_of(st.none(), st.just(float("nan")), _CELL_TEXT), max_size=8).map(
        lambda v: pd.Series(v, dtype=object)),
    st.lists(st.one_of(st.none(), _CELL_TEXT), max_size=8).map(lambda v: pd.Series(v, dtype="str")),
    st.lists(st.one_of(st.none(), st.booleans(), st.integers(0, 2), _FLOATS, _CELL_TEXT),
             max_size=8).map(lambda v: pd.Series(v, dtype=object))))
def test_plan_sheet_columns_are_the_cells_written_one_by_one(values: pd.Series) -> None:
    """The plans sheet's columns are made from the frame (numbers factorized, texts by
    Arrow): the cells, their XML and the column width that the one-by-one path gives, and
    openpyxl's path where that one finds a value it cannot write (an infinite number)."""
    from policycheck.formats import sheetxml, xlsx_format

    frame = pd.DataFrame({"c": values})
    made = sheetxml.frame_columns(frame)
    expected = sheetxml.plain_columns(
        [[xlsx_format._cell(row[0]) for row in frame.astype(object).values.tolist()]])
    assert (made is None) == (expected is None)
    if made is None or expected is None:
        return
    (column,), (reference,) = made, expected
    assert column.head(len(values)) == reference.head(len(values))
    for style in ("", ' s="2"'):
        shown = column.tails(style).take(pa.array(column.codes)).to_pylist()
        assert shown == reference.tails(style).take(pa.array(reference.codes)).to_pylist()
    assert column.width() == reference.width()


def test_whitespace_is_what_str_strip_takes_off() -> None:
    import sys

    from policycheck.formats.sheetxml import WHITESPACE

    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITESPACE


def test_workbook_rows_past_excels_limit_go_on_in_numbered_sheets(
        report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """Excel opens no sheet of more than 1,048,576 rows: the findings (and plans) past it go
    on in sheets "findings (2)"..., each with the header, every row kept in order."""
    from policycheck import tables
    from policycheck.formats import xlsx_format

    def sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}

    whole = sheets(xlsx_format.render(report))
    monkeypatch.setattr(tables, "SHEET_MAX_ROWS", 3)
    data = xlsx_format.render(report)
    assert data == xlsx_format._render_plain(report)
    split = sheets(data)
    assert list(split) == ["findings", "findings (2)", "findings (3)", "plans", "plans (2)"]
    for title in ("findings", "plans"):
        parts = [rows for name, rows in split.items() if name.startswith(title)]
        assert all(rows[0] == whole[title][0] for rows in parts)
        assert [len(rows) for rows in parts] == [3] * (len(parts) - 1) + [len(parts[-1])]
        assert [row for rows in parts for row in rows[1:]] == whole[title][1:]


def test_workbook_sheet_past_the_zip64_size_is_staged_and_written_alike(
        report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet whose rows grow past the size that would need ZIP64 fields is written again
    from a staged file, with the same bytes as one compressed as it comes."""
    from policycheck import workbookzip
    from policycheck.formats import xlsx_format

    case = odd(report)
    expected = xlsx_format.render(case)
    passes = []
    write = workbookzip._write_workbook
    monkeypatch.setattr(workbookzip, "_write_workbook", lambda *args, staged: (
        passes.append(staged), write(*args, staged=staged)))
    monkeypatch.setattr(workbookzip, "_ZIP64_SIZE", 100)
    assert xlsx_format.render(case) == expected
    assert passes == [False, True]
    with zipfile.ZipFile(io.BytesIO(expected)) as book:
        assert book.testzip() is None
        assert [i.date_time for i in book.infolist()] == [(2000, 1, 1, 0, 0, 0)] * len(
            book.infolist())


def test_workbook_plans_sheet_from_columns_equals_openpyxl(report: Report) -> None:
    """The plans sheet's rows after the first are written from columns too: missing shares,
    formula-like and XML-illegal plan ids, numbers of every kind, one plan and none; a value
    only openpyxl writes (an infinite pay) sends the whole workbook through openpyxl."""
    from policycheck.formats import xlsx_format

    def plans(**columns: list[Any]) -> Report:
        profiles = report.profiles.copy()
        for name, values in columns.items():
            profiles[name] = pd.Series(values, index=profiles.index, dtype=object)
        return dataclasses.replace(report, profiles=profiles)

    cases = [plans(plan_id=["=1+1", "a\x01b", " x", "#N/A"], headcount=[None, 3, 0, 10**12],
                   share_speed=[float("nan"), 0.25, -0.0, 1e-300],
                   pay_at_stake=[1.5, None, 2.0, 123456789.125]),
             plans(pay_at_stake=[float("inf"), 1.0, 2.0, 3.0]),
             dataclasses.replace(report, profiles=report.profiles.iloc[:1]),
             dataclasses.replace(report, profiles=report.profiles.iloc[:0])]
    for case in cases:
        assert xlsx_format.render(case) == xlsx_format._render_plain(case)
    with zipfile.ZipFile(io.BytesIO(xlsx_format.render(cases[0]))) as book:
        sheet = book.read("xl/worksheets/sheet2.xml").decode()
    assert '<dimension ref="A1:Q5" />' in sheet
    assert '<c r="A2" t="inlineStr"><is><t>\'=1+1</t></is></c>' in sheet
    assert '<c r="A3" t="inlineStr"><is><t>a\ufffdb</t></is></c>' in sheet


def test_grouped_numbers_hidden_in_one_pass_as_one_by_one() -> None:
    from policycheck.formats import redact as redaction

    texts = ["1,000", "a 12,345.6 b", "1,0000", "x1,000", ".1,000", "9,999,999,", "no,1,000",
             "\0 1,000", "", "n/a", "1,000\n2,000", "€ 4,000"]
    assert redaction._hide_grouped_numbers_all(texts) == [
        redaction._hide_grouped_numbers(t) for t in texts]
    assert redaction._hide_grouped_numbers("1,000 2,000,000.5 12,34") == (
        "[redacted] [redacted] 12,34")


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(alphabet="0123456789,. x\0€\n", max_size=16), max_size=12),
       rule_ids=st.lists(st.sampled_from(["R1", "R2"]), min_size=12, max_size=12))
def test_messages_held_by_arrow_are_redacted_as_one_by_one(texts: list[str],
                                                            rule_ids: list[str]) -> None:
    """Only the messages that may hold a grouped number are looked at (found by Arrow):
    the others are the ones no substitution would change."""
    from policycheck.formats import redact as redaction

    findings = pd.DataFrame({"message": pd.array(texts, dtype="str"),
                             "rule_id": rule_ids[:len(texts)]}, index=range(5, 5 + len(texts)))
    got = redaction._messages(findings, ())
    assert got.tolist() == [redaction._hide_grouped_numbers(t) for t in texts]
    assert list(got.index) == list(findings.index)


def test_csv_field_is_what_the_csv_writer_writes() -> None:
    import numpy as np

    from policycheck.formats.csv_format import field

    values: list[Any] = [None, "", "plain", "a,b", 'say "hi"', "cr\ronly", "lf\n", " lead",
                         "ü,ß", 0, -3, 2**70, 1.5, 1e20, float("nan"), np.float64(0.1), True,
                         "'=1", "\t"]
    for value in values:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow([value, "end"])
        assert field(value) + ",end\r\n" == out.getvalue(), value


def test_evidence_redacted_key_by_key_in_order() -> None:
    from policycheck.formats import redact as redaction

    def one_by_one(values: dict[str, Any]) -> dict[str, Any]:
        return {key: (REDACTED if redaction.names_pay(key) and value is not None else value)
                for key, value in values.items() if "employee" not in key.lower()}

    for values in ({"base_pay": 1, "share_speed": 0.5, "Employee_ID": "E1", "bonus": None},
                   {"employee_pay": 3, "prize": 9, "n": 1}, {}, {"aht": [1, 2]}):
        redacted = redaction._evidence(values)
        assert list(redacted.items()) == list(one_by_one(values).items())
        assert redacted is not values
    with pytest.raises(AttributeError):
        redaction._evidence({1: "not text"})


def test_evidence_held_by_column_is_redacted_block_by_block_as_row_by_row() -> None:
    """A large report's evidence stays held by column when redacted (each distinct value
    redacted once), and every row reads as the row-by-row redaction of the same mapping."""
    import numpy as np

    from policycheck.evidencearray import Block, EvidenceArray, block
    from policycheck.formats import redact as redaction
    from policycheck.wording import evidence_codes

    pay = np.array([30000.0, None, 30000.0, 41000.5], dtype=object)
    kpis = np.array(["aht;fcr", "", "aht", None], dtype=object)
    ids = np.array(["E1", "E2", "E1", "E3"], dtype=object)
    by_name = block(["base_pay", "kpis", "employee_id", "share_speed"],
                    [evidence_codes(pay), evidence_codes(kpis, True), evidence_codes(ids),
                     evidence_codes(np.array([0.5, 0.25, 0.5, 1.0]))],
                    [False, True, False, False])
    ready = Block.of_mappings([{"bonus": 5, "Employee": "E9"}, {"n": [1, 2]}])
    column = pd.Series(EvidenceArray((by_name, ready), np.array([0, 1, 0, -1, 0, 1, 0]),
                                     np.array([0, 0, 1, 0, 2, 1, 3])))
    findings = pd.DataFrame({"evidence": column, "message": ["m"] * 7, "rule_id": ["R"] * 7,
                             "pay_at_stake": [1.0] * 7})
    report = Report(findings=findings, problems=(), rules=(), plans_read=1, plans_checked=1,
                    plans_invalid=0, files=())
    redacted = redact(report).findings["evidence"]
    assert isinstance(redacted.array, EvidenceArray)
    expected = [None if m is None else redaction._evidence(m) for m in column.tolist()]
    assert redacted.tolist() == expected
    assert expected[0] == {"base_pay": REDACTED, "kpis": ["aht", "fcr"], "share_speed": 0.5}
    assert expected[2] == {"base_pay": None, "kpis": [], "share_speed": 0.25}
    assert expected[1] == {"bonus": REDACTED}
    assert column[0]["base_pay"] == 30000.0  # the given report is not changed


def test_text_streams_in_chunks_that_join_to_the_lines(
        report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """The text format goes out a few lines at a time; the pieces join to one line per
    problem, per finding (as ``finding_line`` writes it) and the summary."""
    from policycheck.formats import text_format
    from policycheck.formats.cells import finding_dicts

    odd = dataclasses.replace(report, problems=(
        Problem(Location("plans.csv", "", 3), "a problem", "code"),))
    expected = "\n".join([str(p) for p in odd.problems]
                         + [text_format.finding_line(r) for r in finding_dicts(odd)]
                         + [text_format.summary(odd)]) + "\n"
    monkeypatch.setattr(text_format, "CHUNK", 2)
    pieces = list(text_format.chunks(odd))
    assert len(pieces) == 1 + -(-len(odd.findings) // 2) + 1
    assert b"".join(pieces).decode("utf-8") == expected == text_format.render(odd)


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), _TEXT), max_size=20))
def test_texts_quoted_by_arrow_are_what_json_writes(texts: list[str | None]) -> None:
    """Messages and fingerprints are quoted by Arrow where nothing needs escaping, by json's
    encoder where something does (quotes, backslashes, control characters): either way
    each is what json.dumps writes, non-ASCII text kept as it is."""
    import pyarrow as pa

    from policycheck.formats.jsontext import string_texts

    got = string_texts(pa.array(texts, type=pa.large_string()), b', "m": ')
    assert got.type == pa.large_binary() and got.null_count == 0
    assert got.to_pylist() == [b', "m": ' + json.dumps(t, ensure_ascii=False).encode("utf-8")
                   for t in texts]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(alphabet=st.sampled_from(
    ["a", "\t", "\n", "\r", "\x00", "\x08", "\x0b", "\x1f", "\x7f", "\ufffe", "\uffff",
     "\ufffd", "\uffef", "\ufeff", "é", "\U0001f600"]), max_size=12))
def test_text_xml_cannot_carry_is_found_in_its_utf8(text: str) -> None:
    """The byte-level test of a whole array's text finds what NOT_XML finds, and only
    that (a control byte never occurs inside another character's UTF-8)."""
    from policycheck.formats.xmltext import NOT_XML, _holds_not_xml

    assert _holds_not_xml(text.encode()) == (NOT_XML.search(text) is not None)
