"""``policycheck analyze`` and ``report --actuals`` on the sample company, and bad actuals:
each problem named with its row, exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from unittest.mock import patch

import pandas as pd
import pytest

from policycheck.cli import main
from policycheck.closest import Closest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "yaml"
ACTUALS = SAMPLE / "kpi_actuals.csv"
HEADER = "employee_id,plan_id,period,kpi,value\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sample_shows_two_gaming_plans(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", str(SAMPLE), "--actuals", str(ACTUALS),
                       "--format", "json")
    assert code == 1
    found = {(f["plan_id"], f["rule_id"]) for f in json.loads(out)["findings"]}
    assert found == {("cc-agent-core-2027", "evidence.threshold-bunching"),
                     ("rb-banker-solutions-2027", "evidence.divergence")}


def test_sample_actuals_are_the_generator_output(tmp_path: Path) -> None:
    from benchmarks.actuals import sample_actuals

    sample_actuals().to_csv(tmp_path / "fresh.csv", index=False)
    assert (tmp_path / "fresh.csv").read_bytes() == ACTUALS.read_bytes()
    assert (ROOT / "sample_data" / "csv" / "kpi_actuals.csv").read_bytes() == \
        ACTUALS.read_bytes()


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "sarif", "junit", "github",
                                 "markdown"])
def test_findings_in_every_format(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "analyze", str(SAMPLE), "--actuals", str(ACTUALS),
                       "--format", fmt, "--fail-on", "none")
    assert code == 0
    assert "evidence.threshold-bunching" in out and "evidence.divergence" in out


def test_xlsx_output_and_params(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    code, out, _ = run(capsys, "analyze", str(SAMPLE), "--actuals", str(ACTUALS),
                       "--output", f"xlsx:{target}", "--param", "bunching.min_z=100",
                       "--param", "divergence.min_z=100")
    assert code == 0 and target.stat().st_size > 0
    assert "0 findings" in out


def test_unknown_param_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "analyze", str(SAMPLE), "--actuals", str(ACTUALS),
                       "--param", "bunching.degre=3")
    assert code == 2 and "did you mean 'bunching.degree'" in err


def test_validate_and_check_ignore_actuals_in_the_plan_folder(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(SAMPLE))
    assert code == 0 and "warning" not in out + err and "kpi_actuals" not in out + err


def test_report_gains_evidence_sections(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, _, _ = run(capsys, "report", str(SAMPLE), "--actuals", str(ACTUALS), "-o",
                     str(target))
    page = target.read_text()
    assert code == 0 and 'id="evidence"' in page
    assert page.count("<h3>") >= 4 and "cc-agent-core-2027 aht around its threshold" in page
    plain = tmp_path / "plain.html"
    assert run(capsys, "report", str(SAMPLE), "-o", str(plain))[0] == 0
    assert 'id="evidence"' not in plain.read_text()


def test_report_says_the_evidence_in_words(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """The committee read the analyst's message: plan and KPI ids, "b = 1.96 ± 0.34
    (excess per counterfactual bin)", "0.020 SD per period"."""
    target = tmp_path / "report.md"
    assert run(capsys, "report", str(SAMPLE), "--actuals", str(ACTUALS), "-o", str(target),
               "--no-redact")[0] == 0
    section = target.read_text().split("## Outcome evidence from KPI actuals")[1]
    assert section.splitlines()[3:6] == [
        "  - Contact centre agent incentive (core queues) 2027: Average handle time: 85 more "
        "results than the rest of the distribution predicts sit just on the paying side of "
        "the threshold (420), out of 2,600: a sign of results steered to the pay line.",
        "- **Speed, cost or sales up while customer outcomes fall**: ",
        "  - Personal banker solutions plan 2027: Accounts opened and Products per customer "
        "improved period after period while Post-contact satisfaction (agent-sent survey) "
        "worsened, for the same 40 people."]
    assert " SD " not in section and "b = " not in section


def bad(tmp_path: Path, body: str) -> str:
    path = tmp_path / "kpi_actuals.csv"
    path.write_text(HEADER + body)
    return str(path)


@pytest.mark.parametrize(("body", "expected"), [
    ("HL00001,nope-2027,2027-01,aht,300\n",
     "kpi_actuals.csv:2: error: unknown plan 'nope-2027' [unknown-plan]"),
    ("HL00001,cc-agent-core-2027,2027-01,ahtt,300\n",
     "kpi_actuals.csv:2: error: unknown KPI 'ahtt'; did you mean 'aht'? [unknown-kpi]"),
    ("HL00001,cc-agent-core-2027,2027-13,aht,300\n",
     "kpi_actuals.csv:2: error: period '2027-13' does not parse: expected e.g. 2027-01, "
     "2027-Q1, 2027 or a day written YYYY-MM-DD [bad-period]"),
    # pandas read '04/01/2027' as the 1st of April and '18/01/2027' as the 18th of January
    ("HL00001,cc-agent-core-2027,18/01/2027,aht,300\n",
     "kpi_actuals.csv:2: error: period '18/01/2027' does not parse: expected e.g. 2027-01, "
     "2027-Q1, 2027 or a day written YYYY-MM-DD; did you mean '2027-01-18'? [bad-period]"),
    ("HL00001,cc-agent-core-2027,04/01/2027,aht,300\n",
     "kpi_actuals.csv:2: error: period '04/01/2027' does not parse: expected e.g. 2027-01, "
     "2027-Q1, 2027 or a day written YYYY-MM-DD; did you mean '2027-01-04' (day first) or "
     "'2027-04-01' (month first)? [bad-period]"),
    ("HL00001,cc-agent-core-2027,Jan 2027,aht,300\n",
     "kpi_actuals.csv:2: error: period 'Jan 2027' does not parse: expected e.g. 2027-01, "
     "2027-Q1, 2027 or a day written YYYY-MM-DD [bad-period]"),
    ("HL00001,cc-agent-core-2027,2027-01,aht,300\nHL00001,cc-agent-core-2027,2027-01,aht,301\n",
     "kpi_actuals.csv:3: error: duplicate row: this person, plan, period and KPI ('aht') is "
     "given twice; expected one value [duplicate-row]"),
    ("HL00001,cc-agent-core-2027,2027-01,aht,fast\n",
     "kpi_actuals.csv:2: error: value 'fast' is not a number: expected a number [bad-value]"),
    # infinity was taken as a measurement, as a value past 2**53 was
    ("HL00001,cc-agent-core-2027,2027-01,aht,inf\n",
     "kpi_actuals.csv:2: error: value 'inf' is not a number: expected a number; NaN and "
     "infinity are not allowed [bad-value]"),
    ("HL00001,cc-agent-core-2027,2027-01,aht,-1e300\n",
     "kpi_actuals.csv:2: error: value '-1e300' is not a number: expected a number; at most "
     "9,007,199,254,740,992 [bad-value]"),
    ("HL00001,cc-agent-core-2027,2027-01,aht,#N/A\nHL00001,cc-agent-core-2027,2027-02,aht,"
     "\"1,5\"\n",
     "kpi_actuals.csv:3: error: value '1,5' is not a number: expected a number; write a "
     "decimal point: '1.5' [bad-value]"),
])
def test_bad_actuals_exit_2_with_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      body: str, expected: str) -> None:
    code, _, err = run(capsys, "analyze", str(SAMPLE), "--actuals", bad(tmp_path, body))
    assert code == 2
    assert any(line.endswith(expected) for line in err.splitlines()), err
    said = re.search(r"the KPI actuals are invalid \((\d+) (problems?) above\)$",
                     err.splitlines()[-1])
    assert said and (said[1] == "1") == (said[2] == "problem")  # "(1 problems above)"


def test_missing_column_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("employee_id,plan_id,period,value\nA,cc-agent-core-2027,2027-01,3\n")
    code, _, err = run(capsys, "analyze", str(SAMPLE), "--actuals", str(path))
    assert code == 2 and "has no 'kpi' column" in err


def test_headers_written_for_people_read_like_field_names(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An export headed "Employee ID", "Plan ID", "Sample Size" gives the findings of the
    same actuals headed with the field names."""
    text = ACTUALS.read_text(encoding="utf-8")
    header, body = text.split("\n", 1)
    assert header == "employee_id,plan_id,period,kpi,value,sample_size"
    (tmp_path / "a.csv").write_text("Employee ID,Plan ID,Period,KPI,Value,Sample-Size\n" + body,
                                    encoding="utf-8")
    found = [json.loads(run(capsys, "analyze", str(SAMPLE), "--actuals", str(path),
                            "--format", "json")[1])["findings"]
             for path in (ACTUALS, tmp_path / "a.csv")]
    assert len(found[0]) == 2 and found[0] == found[1]


def test_parquet_and_xlsx_read_like_csv(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    frame = pd.read_csv(ACTUALS, dtype={"employee_id": str})
    frame.to_parquet(tmp_path / "a.parquet", index=False)
    frame.head(2000).to_excel(tmp_path / "a.xlsx", sheet_name="kpi_actuals", index=False)
    code, out, _ = run(capsys, "analyze", str(SAMPLE), "--actuals",
                       str(tmp_path / "a.parquet"), "--format", "json")
    assert code == 1 and len(json.loads(out)["findings"]) == 2
    code, _, err = run(capsys, "analyze", str(SAMPLE), "--actuals", str(tmp_path / "a.xlsx"))
    assert code in (0, 1), err
    # a gaming plan's rows: the workbook gives the finding the CSV file gives
    gaming = frame[frame["plan_id"] == "cc-agent-core-2027"]
    gaming.to_excel(tmp_path / "g.xlsx", sheet_name="kpi_actuals", index=False)
    gaming.to_csv(tmp_path / "g.csv", index=False)
    found = [json.loads(run(capsys, "analyze", str(SAMPLE), "--actuals", str(tmp_path / name),
                            "--format", "json")[1])["findings"] for name in ("g.xlsx", "g.csv")]
    assert [f["rule_id"] for f in found[0]] == ["evidence.threshold-bunching"]
    assert found[0] == found[1]


@pytest.mark.parametrize(("name", "content"), [
    ("a.xlsx", b"not a workbook"), ("a.csv", b"\xff\xfe\x00b\x00"), ("a.txt", b"x")])
def test_unreadable_actuals_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    code, _, err = run(capsys, "analyze", str(SAMPLE), "--actuals", str(tmp_path / name))
    assert code == 2 and "internal error" not in err


def test_an_export_in_windows_1252_with_semicolons_reads_as_the_plans_tables_do(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Actuals saved by Excel as plain "CSV" where the decimal mark is a comma: semicolons
    and Windows-1252. pandas' own reader said "'utf-8' codec can't decode byte 0xe9 in
    position 118"; the byte is named with its line, ``--encoding`` reads the file, and the
    separator is the header line's, as for the plans' tables."""
    text = ACTUALS.read_text(encoding="utf-8").replace(",", ";")
    lines = text.splitlines(keepends=True)
    lines[3] = lines[3].replace("HL00001", "HL0000\xe9")
    path = tmp_path / "actuals.csv"
    path.write_bytes("".join(lines).encode("cp1252"))
    code, _, err = run(capsys, "analyze", str(SAMPLE), "--actuals", str(path))
    assert (code, err.splitlines()) == (2, [
        f"{path}:4: error: invalid UTF-8 byte 0xe9 ('\xe9' in Windows-1252): expected UTF-8 "
        "text; save the file as UTF-8 (in Excel: Save As, 'CSV UTF-8'), or name its encoding "
        "(policycheck --encoding cp1252, or encoding: cp1252 in policycheck.yaml) [encoding]",
        f"policycheck: error: {path}: cannot read the KPI actuals"])
    code, out, _ = run(capsys, "--encoding", "cp1252", "analyze", str(SAMPLE), "--actuals",
                       str(path), "--format", "json")
    assert code == 1
    found = {(f["plan_id"], f["rule_id"]) for f in json.loads(out)["findings"]}
    assert found == {("cc-agent-core-2027", "evidence.threshold-bunching"),
                     ("rb-banker-solutions-2027", "evidence.divergence")}


def test_workbook_without_the_sheet_exits_2(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    pd.DataFrame({"a": [1]}).to_excel(tmp_path / "w.xlsx", sheet_name="other", index=False)
    code, _, err = run(capsys, "analyze", str(SAMPLE), "--actuals", str(tmp_path / "w.xlsx"))
    assert code == 2 and "kpi_actuals" in err


def test_tiny_actuals_find_nothing(capsys: pytest.CaptureFixture[str],
                                  tmp_path: Path) -> None:
    body = "HL00001,cc-agent-core-2027,2027-01,aht,300\n"
    code, out, _ = run(capsys, "analyze", str(SAMPLE), "--actuals", bad(tmp_path, body))
    assert code == 0 and "0 findings" in out


def test_actuals_without_rows_exit_2(capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    """A header alone is no evidence of anything: an error, not a passing gate (it passed
    with "0 findings")."""
    code, out, err = run(capsys, "analyze", str(SAMPLE), "--actuals", bad(tmp_path, ""))
    assert (code, out) == (2, "")
    assert "kpi_actuals.csv:1: error: no rows below the header" in err


def test_actuals_without_any_plan_say_so_once(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Every row of the actuals would name an unknown plan: one line says why instead."""
    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, "analyze", str(tmp_path / "empty"), "--actuals", str(ACTUALS))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{tmp_path / 'empty'}: error: no plan found in 0 data files: expected YAML files "
        "with a top-level 'plan' or 'plans' key, a plans.csv table or a workbook with a plans "
        "sheet [no-plans]",
        "policycheck: error: no plan was read, so the actuals have no plan to be matched to"]


def test_many_unknown_plans_each_reported_at_its_rows(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    """Each unknown plan is reported at its own rows, in order (found from one sort of the
    rows, not a pass over every row per name), and compared with the plans once."""
    body = "".join(f"HL{i:05d},gone-{i % 300:03d},2027-01,aht,300\n" for i in range(900))
    with patch.object(Closest, "match", autospec=True, side_effect=Closest.match) as compared:
        code, _, err = run(capsys, "analyze", str(SAMPLE), "--actuals", bad(tmp_path, body))
    lines = [line for line in err.splitlines() if line.endswith("[unknown-plan]")]
    assert code == 2 and len(lines) == 300 * 3
    assert [line.split("kpi_actuals.csv:")[1] for line in lines[:4]] == [
        f"{row}: error: unknown plan 'gone-000' [unknown-plan]" for row in (2, 302, 602)] + [
        "3: error: unknown plan 'gone-001' [unknown-plan]"]
    assert compared.call_count == 300  # each unknown plan once


@pytest.mark.parametrize("text, start, end", [
    ("2027", "2027-01-01", "2027-12-31"), ("2027-Q2", "2027-04-01", "2027-06-30"),
    ("2027Q2", "2027-04-01", "2027-06-30"), ("2027-02", "2027-02-01", "2027-02-28"),
    ("2027-01-04", "2027-01-04", "2027-01-04"),
])
def test_periods_as_written_in_actuals(text: str, start: str, end: str) -> None:
    from policycheck.analyze.actuals import parse_period

    period = parse_period(text)
    assert period is not None
    assert (str(period.start_time.date()), str(period.end_time.date())) == (start, end)
    for other in ("2027-02-30", "27-01", "2027-1", "1/4/2027", "2027-W03", "2027 01"):
        assert parse_period(other) is None


def test_fail_on_comes_from_the_config_file_and_the_environment(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """analyze took --fail-on high whatever policycheck.yaml or POLICYCHECK_FAIL_ON said,
    unlike check and diff in the same folder."""
    monkeypatch.chdir(tmp_path)
    argv = ["analyze", str(SAMPLE), "--actuals", str(ACTUALS)]
    (tmp_path / "policycheck.yaml").write_text("fail_on: critical\n", "utf-8")
    code, out, _ = run(capsys, *argv)
    assert (code, out.splitlines()[-1]) == (0, "0 findings at or above 'critical'.")
    monkeypatch.setenv("POLICYCHECK_FAIL_ON", "medium")
    assert run(capsys, *argv)[0] == 1
    code, out, _ = run(capsys, *argv, "--fail-on", "none")  # the flag over both
    assert (code, out.splitlines()[-1]) == (
        0, "Checked 17 of 17 plans with 6 rules: 2 findings (2 high).")


def test_report_takes_no_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    """report wrote the same report, with exit 0, whatever --fail-on said: its help said
    it would exit 1. A report fails on no finding; the option is gone."""
    code, _, err = run(capsys, "report", str(SAMPLE), "--fail-on", "critical")
    assert code == 2 and "No such option '--fail-on'" in err


def test_report_names_its_own_flag_for_a_bad_analyze_parameter(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """report said "--param survey.nosuch" of a value given as --analyze-param."""
    code, _, err = run(capsys, "report", str(SAMPLE), "--actuals", str(ACTUALS),
                       "--analyze-param", "survey.nosuch=1", "-o", str(tmp_path / "r.html"))
    assert (code, err) == (2, "policycheck: error: --analyze-param survey.nosuch: unknown "
                              "analyze parameter; did you mean 'survey.min_obs'?; see "
                              "docs/analyze.md\n")
    assert not (tmp_path / "r.html").exists()


def test_analyze_says_what_it_found_in_words_then_the_statistic(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The text output read "aht: ... b = 1.96 ± 0.34 (excess per counterfactual bin)" and
    "accounts_opened,products_per_customer improved by 0.020 SD per period (± 0.001)": KPIs
    by name and the finding in words first, the statistic in brackets after it."""
    code, out, _ = run(capsys, "analyze", str(SAMPLE), "--actuals", str(ACTUALS))
    assert code == 1
    assert out.replace(f"{ROOT}/", "").splitlines()[:2] == [
        "sample_data/yaml/plans/contact-centre.yaml:4:5: high evidence.threshold-bunching: "
        "plan 'cc-agent-core-2027' component 'handle-time:threshold': Average handle time: "
        "85 more results than expected sit just on the paying side of the threshold (420 or "
        "less pays), out of 2,600: a sign of results steered to the pay line (bunching b = "
        "1.96 ± 0.34, the excess per bin of the smooth counterfactual)",
        "sample_data/yaml/plans/retail-banking.yaml:4:5: high evidence.divergence: plan "
        "'rb-banker-solutions-2027': Accounts opened and Products per customer improved "
        "period after period while Post-contact satisfaction (agent-sent survey) worsened, "
        "for the same 40 people (per period: +0.020 SD ± 0.001 on the speed, cost or sales "
        "measures, −0.019 SD ± 0.001 on the customer ones)"]


def test_analyze_json_keeps_ids_and_numbers_in_the_evidence(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Only the message is in words: the evidence keeps the KPI ids and the statistics."""
    code, out, _ = run(capsys, "analyze", str(SAMPLE), "--actuals", str(ACTUALS),
                       "--format", "json")
    found = {f["rule_id"]: f for f in json.loads(out)["findings"]}
    assert code == 1
    assert found["evidence.divergence"]["evidence"]["pull_kpis"] == \
        "accounts_opened,products_per_customer"
    assert found["evidence.divergence"]["evidence"]["customer_kpis"] == "csat"
    bunching = found["evidence.threshold-bunching"]
    assert (bunching["entity_id"], bunching["evidence"]["kpi"], bunching["evidence"]["b"]) \
        == ("handle-time:threshold", "aht", 1.9562)
