"""Waivers: waived findings stay visible, expired waivers re-open them, waivers that match
nothing or expire soon are reported, and a bad waivers file stops the run."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pandas as pd
import pytest
from ci_plans import refused_for_size, risky, run, workdir, write
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.errors import Location
from policycheck.waivers import Waiver, apply_waivers, today

__all__ = ["workdir"]

WAIVER = """\
waivers:
  - rule: gate.missing
    plan: risky-*
    reason: Gate arrives with the QA rollout in July
    owner: comp-team@example.com
    approved_by: head-of-reward@example.com
    expires: 2027-06-30
"""


def findings(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, out, _ = run(capsys, "check", "plans", "--format", "json", *argv)
    return code, json.loads(out)


@pytest.fixture
def plans(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLICYCHECK_TODAY", "2027-05-01")
    return write(workdir, {"plans/risky.yaml": risky(), "plans/other.yaml": risky("other-2027"),
                           "waivers.yaml": WAIVER})


def test_waived_findings_are_reported_as_waived(plans: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, data = findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")
    assert code == 1  # other-2027 is not waived
    rows = [(f["plan_id"], f["status"]) for f in data["findings"]]
    assert rows == [("other-2027", "open"), ("risky-2027", "waived")]
    assert data["problems"] == []
    assert data["summary"]["failing"] == 1


def test_the_csv_and_xlsx_findings_carry_the_waiver(
        plans: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/ci.md promised the waiver's reason, owner and expiry in a `waiver` column; the
    CSV and the Excel report said only `waived`, so HR reading them could not tell why."""
    import csv
    import io

    import openpyxl

    code, out, _ = run(capsys, "check", "plans", "--waivers", "waivers.yaml", "--select",
                       "gate", "--format", "csv", "-o", "xlsx:findings.xlsx")
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    said = ("Gate arrives with the QA rollout in July (owner comp-team@example.com, approved "
            "by head-of-reward@example.com, expires 2027-06-30; waivers.yaml:2:5)")
    assert [(r["plan_id"], r["status"], r["waiver"]) for r in rows] == [
        ("other-2027", "open", ""), ("risky-2027", "waived", said)]
    sheet = openpyxl.load_workbook(plans / "findings.xlsx")["findings"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-2:] == ("status", "waiver")
    assert [row[-2:] for row in values[1:]] == [("open", None), ("waived", said)]


def test_a_glob_of_two_stars_waives(plans: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fnmatch writes "*-*" with an atomic group, which Arrow's regular expressions refuse
    (it was an internal error, exit code 3): the globs are Python's."""
    write(plans, {"waivers.yaml": WAIVER.replace("plan: risky-*", "plan: '*sk*-20*'")})
    code, data = findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")
    assert code == 1
    assert [(f["plan_id"], f["status"]) for f in data["findings"]] == [
        ("other-2027", "open"), ("risky-2027", "waived")]


@pytest.mark.parametrize("plan_id", ["010", "1001"])
def test_a_plan_id_written_as_a_number_is_waived_as_written(
        plans: Path, capsys: pytest.CaptureFixture[str], plan_id: str) -> None:
    """YAML 1.1 reads an unquoted 010 as the octal 8: the plan file and the waivers file
    both read it as written, so the waiver holds for the plan '010'; a plan 1001, whose id
    a plan file takes unquoted, is waived unquoted too."""
    write(plans, {"plans/other.yaml": risky(plan_id),
                  "waivers.yaml": WAIVER.replace("plan: risky-*", f"plan: {plan_id}")})
    code, data = findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")
    assert code == 1  # risky-2027 is not waived
    rows = [(f["plan_id"], f["status"]) for f in data["findings"]]
    assert rows == [(plan_id, "waived"), ("risky-2027", "open")]


@pytest.mark.parametrize("expires", ["2027-06-30T00:00:00Z", "2027-06-30 00:00:00",
                                     "'2027-06-30T00:00:00.000+02:00'"])
def test_an_expiry_written_as_a_date_time_at_midnight_is_its_day(
        plans: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        expires: str) -> None:
    """As in a plan's date fields: an HR system's export of the day, at midnight, is that
    day, whatever its offset; the waiver holds through it and expires the day after."""
    write(plans, {"waivers.yaml": WAIVER.replace("expires: 2027-06-30", f"expires: {expires}")})
    for day, status in (("2027-06-30", "waived"), ("2027-07-01", "reopened")):
        monkeypatch.setenv("POLICYCHECK_TODAY", day)
        data = findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")[1]
        assert [(f["plan_id"], f["status"]) for f in data["findings"]] == [
            ("other-2027", "open"), ("risky-2027", status)]


def test_waiver_text_beside_the_finding(plans: Path) -> None:
    from policycheck import check

    report = check(["plans"], select_ids=["gate"], waivers="waivers.yaml",
                   today=datetime.date(2027, 5, 1))
    waived = report.findings[report.findings["status"] == "waived"]
    assert waived["waiver"].tolist() == [
        "Gate arrives with the QA rollout in July (owner comp-team@example.com, approved by "
        "head-of-reward@example.com, expires 2027-06-30; waivers.yaml:2:5)"]
    assert report.findings["waiver"].isna().sum() == 1
    assert list(report.findings.columns)[-2:] == ["status", "waiver"]


def test_expired_waiver_reopens_its_findings(plans: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (plans / "plans" / "other.yaml").unlink()
    monkeypatch.setenv("POLICYCHECK_TODAY", "2027-06-30")  # the last day it holds
    assert findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")[0] == 0
    monkeypatch.setenv("POLICYCHECK_TODAY", "2027-07-01")
    code, data = findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")
    assert code == 1
    assert [f["status"] for f in data["findings"]] == ["reopened"]
    assert data["problems"] == [{
        "file": "waivers.yaml", "sheet": None, "line": 2, "column": 5, "severity": "warning",
        "code": "waiver-expired", "plan_id": None, "field": None,
        "message": "waiver for 'gate.missing' on 'risky-*' expired on 2027-06-30: 1 finding "
                   "is open again"}]
    code, out, _ = run(capsys, "check", "plans", "--waivers", "waivers.yaml", "--select",
                       "gate")
    assert out.splitlines()[0] == (
        "waivers.yaml:2:5: warning: waiver for 'gate.missing' on 'risky-*' expired on "
        "2027-06-30: 1 finding is open again [waiver-expired]")


def test_waivers_that_match_nothing_or_expire_soon(plans: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write(plans, {"waivers.yaml": WAIVER + """\
  - rule: gate.misssing
    plan: risky-2027
    reason: typo in the rule
    owner: a
    expires: 2030-01-01
  - rule: gate
    plan: nobody-*
    reason: typo in the plan
    owner: a
    expires: 2030-01-01
  - rule: cs
    plan: gone-2027
    reason: long gone
    owner: a
    expires: 2026-01-01
"""})
    code, data = findings(capsys, "--waivers", "waivers.yaml", "--select", "gate",
                          "--warn-expiring", "60")
    assert code == 1
    assert [(p["line"], p["code"], p["message"]) for p in data["problems"]] == [
        (2, "waiver-expiring", "waiver for 'gate.missing' on 'risky-*' expires on 2027-06-30, "
                               "in 60 days"),
        (8, "waiver-unused", "waiver for 'gate.misssing' on 'risky-2027' matched no finding "
                             "in this run; no rule matches 'gate.misssing'; did you mean "
                             "'gate.missing'?"),
        (13, "waiver-unused", "waiver for 'gate' on 'nobody-*' matched no plan in this run"),
        (18, "waiver-expired", "waiver for 'cs' on 'gone-2027' expired on 2026-01-01; "
                               "remove it"),
    ]
    assert {p["severity"] for p in data["problems"]} == {"warning"}
    code, data = findings(capsys, "--waivers", "waivers.yaml", "--select", "gate",
                          "--warn-expiring", "59")
    assert "waiver-expiring" not in [p["code"] for p in data["problems"]]


def test_rule_prefix_plan_glob_and_entity(plans: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    write(plans, {"waivers.yaml": """\
waivers:
  - {rule: cs, plan: "*", entity: first-contact-resolution, reason: r, owner: o,
     expires: 2027-12-31}
  - {rule: claw.none, plan: "other-20[0-9][0-9]", reason: r, owner: o, expires: 2027-12-31}
  - {rule: gate, plan: risky-2027, entity: no-such-component, reason: r, owner: o,
     expires: 2027-12-31}
"""})
    code, data = findings(capsys, "--waivers", "waivers.yaml", "--fail-on", "medium")
    statuses = sorted((f["plan_id"], f["rule_id"], f["status"]) for f in data["findings"])
    assert statuses == [
        ("other-2027", "claw.none", "waived"), ("other-2027", "cs.handle-time", "waived"),
        ("other-2027", "gate.missing", "open"), ("risky-2027", "claw.none", "open"),
        ("risky-2027", "cs.handle-time", "waived"), ("risky-2027", "gate.missing", "open")]
    assert [p["line"] for p in data["problems"]] == [5]
    assert code == 1


def test_a_waiver_that_holds_wins_over_one_that_expired() -> None:
    frame = pd.DataFrame({"rule_id": ["a.b", "a.c", "x.y"], "plan_id": ["p1", "p2", "p1"],
                          "entity_id": [None, "c1", None], "status": "open"})

    def waiver(rule: str, plan: str, expires: str, line: int) -> Waiver:
        return Waiver(rule, plan, "why", "me", datetime.date.fromisoformat(expires),
                      Location("w.yaml", "", line, 5))

    waivers = [waiver("a", "p*", "2020-01-01", 2), waiver("a.b", "p1", "2030-01-01", 8)]
    out, problems = apply_waivers(frame, waivers, datetime.date(2025, 1, 1),
                                  plan_ids=["p1", "p2"])
    assert out["status"].tolist() == ["waived", "reopened", "open"]
    assert [p.message for p in problems] == [
        "waiver for 'a' on 'p*' expired on 2020-01-01: 1 finding is open again"]
    assert frame["status"].tolist() == ["open"] * 3  # the input is not changed


def test_missing_fields_and_bad_values_are_errors(plans: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    write(plans, {"waivers.yaml": """\
waivers:
  - rule: gate.missing
    plan: risky-2027
    expires: 2027-06-30
  - rule: gate.missing
    plan: risky-2027
    reason: r
    owner: [5, true]
    expire: 2027-06-30
  - rule: gate.missing
    plan: risky-2027
    reason: r
    owner: o
    expires: next june
  - just text
  - {rule: gate.missing, plan: risky-2027, reason: r, owner: o, expires: 06/30/2027}
  - {rule: gate.missing, plan: risky-2027, reason: r, owner: o, expires: 2027-06-30 18:00}
  - {rule: gate.missing, plan: risky-2027, reason: r, owner: o, expires: '#N/A'}
"""})
    code, out, err = run(capsys, "check", "plans", "--waivers", "waivers.yaml")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "waivers.yaml:2:5: error: waiver is missing 'owner': expected who answers for the "
        "waiver [waiver-missing]",
        "waivers.yaml:2:5: error: waiver is missing 'reason': expected why the finding is "
        "accepted [waiver-missing]",
        "waivers.yaml:5:5: error: waiver is missing 'expires': expected the last day it "
        "holds, YYYY-MM-DD [waiver-missing]",
        "waivers.yaml:8:5: error: 'owner' must be text, got [5, true] [waiver-type]",
        "waivers.yaml:9:5: error: unknown key 'expire'; did you mean 'expires'? [waiver-key]",
        "waivers.yaml:14:5: error: 'expires' is 'next june'; expected a date, YYYY-MM-DD "
        "[waiver-type]",
        "waivers.yaml:15:5: error: a waiver must be a mapping of rule, plan, entity, reason, "
        "owner, approved_by, expires [waiver-shape]",
        "waivers.yaml:16:65: error: 'expires' is '06/30/2027'; expected a date, YYYY-MM-DD; "
        "did you mean '2027-06-30'? [waiver-type]",
        "waivers.yaml:17:65: error: 'expires' is '2027-06-30 18:00'; expected a date, "
        "YYYY-MM-DD; write the day alone: '2027-06-30' [waiver-type]",
        "waivers.yaml:18:65: error: 'expires' is '#N/A'; expected a date, YYYY-MM-DD; it is "
        "a spreadsheet's error value: the formula that made it failed, and the cell holds no "
        "value [waiver-type]",
        "policycheck: error: the waivers file waivers.yaml is not valid",
    ]


@pytest.mark.parametrize("text, message", [
    ("waiver:\n  - rule: x\n", "waivers.yaml:1:1: error: unknown key 'waiver'; did you mean "
                               "'waivers'?; expected a mapping with 'waivers:', a list of "
                               "waivers [waiver-key]"),
    ("waivers: gate\n", "waivers.yaml:1:1: error: expected a mapping with 'waivers:', a list "
                        "of waivers [waiver-shape]"),
    ("waivers: [\n", "waivers.yaml:2:1: error: YAML syntax error: while parsing a flow "
                     "node; did not find expected node content [yaml-syntax]"),
])
def test_a_file_that_is_not_a_waivers_file(plans: Path, capsys: pytest.CaptureFixture[str],
                                           text: str, message: str) -> None:
    write(plans, {"waivers.yaml": text})
    code, _, err = run(capsys, "check", "plans", "--waivers", "waivers.yaml")
    assert (code, err) == (2, f"{message}\npolicycheck: error: the waivers file waivers.yaml "
                              "is not valid\n")


def test_missing_waivers_file_and_empty_one(plans: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "plans", "--waivers", "nope.yaml")
    assert (code, err) == (2, "policycheck: error: nope.yaml: no such waivers file\n")
    write(plans, {"waivers.yaml": "waivers: []\n"})
    assert findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")[1]["problems"] == []


def test_today_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                          workdir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert today({"POLICYCHECK_TODAY": "2031-02-03"}) == datetime.date(2031, 2, 3)
    assert today({}) == datetime.date.today()
    monkeypatch.setenv("POLICYCHECK_TODAY", "2027-13-01")
    write(workdir, {"plans/a.yaml": risky()})
    code, _, err = run(capsys, "check", "plans")
    assert (code, err) == (2, "policycheck: error: POLICYCHECK_TODAY='2027-13-01': expected "
                              "a date, YYYY-MM-DD\n")


def test_a_waivers_file_past_the_size_limit_stops_the_run(
        plans: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A waivers file may come with a pull request: it is bounded as a YAML plan file is."""
    (plans / "waivers.yaml").write_text(WAIVER + "# " + "x" * 11_000 + "\n", encoding="utf-8")
    refused_for_size(capsys, "--waivers", "waivers.yaml", "waivers file")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(patterns=st.lists(st.text(alphabet=st.sampled_from(list("ab.-*?[]+(\\")), max_size=5),
                         max_size=8),
       values=st.lists(st.text(alphabet=st.sampled_from(list("ab.-*?[]+(\\")), max_size=5),
                       max_size=12, unique=True),
       glob=st.booleans())
def test_waiver_patterns_match_as_one_at_a_time(patterns: list[str], values: list[str],
                                                glob: bool) -> None:
    """Plan ids written out are matched together, globs one by one: the pairs each pattern
    matched on its own (fnmatch for plans, id or prefix for rules), by waiver."""
    import fnmatch

    import numpy as np
    import pandas as pd

    from policycheck.waivers import _matches

    expected = [(index, value) for index, pattern in enumerate(patterns) for value in values
                if (fnmatch.fnmatchcase(value, pattern) if glob else
                    value == pattern or value.startswith(pattern.rstrip(".") + "."))]
    got = _matches(patterns, np.asarray(values, dtype=object), glob)
    assert sorted(zip(got["waiver"].tolist(), got["value"].tolist(), strict=True)) == \
        sorted(expected)
    assert got["waiver"].is_monotonic_increasing and got["value"].dtype == object
    assert pd.api.types.is_integer_dtype(got["waiver"])


def test_a_waiver_that_runs_past_waiver_max_days_is_an_error(
        plans: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`expires: 9999-12-31` never expires: an organisation that re-approves every waiver
    each year bounds them with waiver_max_days (none by default)."""
    write(plans, {"waivers.yaml": WAIVER.replace("2027-06-30", "9999-12-31")})
    assert findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")[0] == 1
    monkeypatch.setenv("POLICYCHECK_WAIVER_MAX_DAYS", "365")
    code, out, _ = run(capsys, "check", "plans", "--waivers", "waivers.yaml", "--select",
                       "gate")
    assert code == 2
    assert out.splitlines()[0] == (
        "waivers.yaml:2:5: error: waiver for 'gate.missing' on 'risky-*' expires on "
        "9999-12-31, 2,911,957 days from today (2027-05-01); a waiver runs at most 365 days "
        "(waiver_max_days): expected an expiry on or before 2028-04-30 [waiver-too-long]")
    write(plans, {"waivers.yaml": WAIVER, "policycheck.yaml": "waiver_max_days: 60\n"})
    monkeypatch.delenv("POLICYCHECK_WAIVER_MAX_DAYS")
    assert findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")[0] == 1  # 60 days
    write(plans, {"policycheck.yaml": "waiver_max_days: 59\n"})
    code, data = findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")
    assert (code, [p["code"] for p in data["problems"]]) == (2, ["waiver-too-long"])
    write(plans, {"policycheck.yaml": "waiver_max_days: 999999999\n"})  # past year 9999
    assert findings(capsys, "--waivers", "waivers.yaml", "--select", "gate")[0] == 1
