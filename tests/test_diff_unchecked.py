"""policycheck diff when a plan is invalid in the new version: it is not checked, so its
findings of the old version are "not checked", apart, never "resolved"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ci_plans import good, risky, run, workdir, write
from conftest import ROOT

from policycheck import check
from policycheck.diffing import diff_reports

__all__ = ["workdir"]

SUMMARY = ("3 → 2 plans checked: 1 with a changed mix, 0 added, 0 removed; findings: "
           "0 introduced, 0 raised, 3 resolved, 3 not checked.")
WHY = ("their plans are invalid in the new version; fix their errors to know whether these "
       "findings are resolved")


def invalid(plan: str) -> str:
    """``plan`` with a base pay that is not a number: it fails validation."""
    assert "  base_pay: 28500\n" in plan
    return plan.replace("  base_pay: 28500\n", "  base_pay: abc\n")


@pytest.fixture
def versions(workdir: Path) -> Path:
    """a-2027's findings fixed; b-2027 as risky as before, but invalid in the new version."""
    write(workdir / "old", {"a.yaml": risky("a-2027"), "b.yaml": risky("b-2027"),
                            "c.yaml": good("c-2027")})
    write(workdir / "new", {"a.yaml": good("a-2027"), "b.yaml": invalid(risky("b-2027")),
                            "c.yaml": good("c-2027")})
    return workdir


def test_text_lists_the_invalid_plans_findings_apart(versions: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "diff", "old", "new")
    assert (code, err) == (2, "")
    lines = out.splitlines()
    assert lines[0] == ("new/b.yaml:11:3: error: plan 'b-2027': base_pay: got 'abc', expected "
                        "a number [invalid-value]")
    resolved = lines.index("Resolved findings (3):")
    unchecked = lines.index("Findings not checked in the new version (3):")
    assert unchecked == resolved + 4
    assert all("plan 'a-2027'" in line for line in lines[resolved + 1:unchecked])
    assert lines[unchecked + 1] == f"  note: {WHY}"
    assert [line.split(": ")[1] for line in lines[unchecked + 2:unchecked + 5]] == [
        "medium claw.none", "high gate.missing", "medium cs.handle-time"]
    assert all("plan 'b-2027'" in line and line.startswith("  old/b.yaml:")
               for line in lines[unchecked + 2:unchecked + 5])
    assert lines[unchecked + 5:] == [
        SUMMARY, "1 error in the new version above: the run fails until it is fixed.",
        "0 new findings at or above 'high'."]


def test_json_has_the_not_checked_findings_and_their_count(
        versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "diff", "old", "new", "--format", "json")
    data = json.loads(out)
    assert code == 2
    assert list(data) == ["version", "summary", "plans_added", "plans_removed", "mix",
                          "pay", "introduced", "raised", "resolved", "not_checked", "problems"]
    assert data["summary"] == {"plans_old": 3, "plans_new": 2, "plans_added": 0,
                               "plans_removed": 0, "mix_changed": 1, "pay_changed": 0,
                               "introduced": 0,
                               "raised": 0, "resolved": 3, "not_checked": 3,
                               "fail_on": "high", "failing": 0, "exit_code": 2,
                               "old_errors": 0}
    assert [(f["plan_id"], f["rule_id"]) for f in data["resolved"]] == [
        ("a-2027", "claw.none"), ("a-2027", "gate.missing"), ("a-2027", "cs.handle-time")]
    assert [(f["plan_id"], f["rule_id"]) for f in data["not_checked"]] == [
        ("b-2027", "claw.none"), ("b-2027", "gate.missing"), ("b-2027", "cs.handle-time")]
    assert data["not_checked"][1]["location"] == {"file": "old/b.yaml", "sheet": None,
                                                  "line": 4, "column": 3}


def test_markdown_says_why_they_are_not_resolved(versions: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "diff", "old", "new", "--format", "markdown")
    assert code == 2
    lines = out.splitlines()
    assert lines[:3] == ["## policycheck diff: ⚠️ could not check every plan", "",
                         f"{SUMMARY} 0 new findings at or above 'high'."]
    resolved = lines.index("**Resolved findings (3)**")
    unchecked = lines.index("**Findings not checked in the new version (3)**")
    assert resolved < unchecked
    assert not any("| b-2027 |" in line for line in lines[resolved:unchecked])
    assert lines[unchecked + 1:unchecked + 5] == [
        "", "_Their plans are invalid in the new version; fix their errors to know whether "
            "these findings are resolved._", "", "| severity | status | rule | plan | message |"]
    assert [line for line in lines[unchecked:] if "| b-2027 |" in line] == [
        "| medium | open | `claw.none` | b-2027 | 40% of variable pay rides on speed, cost or "
        "sales measures and neither a clawback nor a deferral covers the 30 days in which "
        "mis-sales, cancellations or rework show up |",
        "| high | open | `gate.missing` | b-2027 | 40% of variable pay rides on speed, cost or "
        "sales measures and no quality, outcome or compliance gate applies to any of it "
        "(0 gates in the plan) |",
        "| medium | open | `cs.handle-time` | b-2027 | Average handle time carries 40% of "
        "variable pay (40% on handle-time measures in all); trusted resolution and quality "
        "measures carry 60%, and no resolution or QA gate covers this component |"]


def test_a_diff_without_invalid_plans_says_nothing_of_them(
        versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(versions / "fixed", {"a.yaml": good("a-2027"), "b.yaml": good("b-2027"),
                               "c.yaml": good("c-2027")})
    code, out, _ = run(capsys, "diff", "old", "fixed")
    assert code == 0
    assert "not checked" not in out
    assert out.splitlines()[-2] == ("3 → 3 plans checked: 2 with a changed mix, 0 added, "
                                    "0 removed; findings: 0 introduced, 0 raised, 6 resolved.")
    data = json.loads(run(capsys, "diff", "old", "fixed", "--format", "json")[1])
    assert (data["summary"]["not_checked"], data["not_checked"]) == (0, [])


def test_diff_reports_keeps_them_apart(versions: Path) -> None:
    result = diff_reports(check(["old"]), check(["new"]))
    assert set(result.resolved["plan_id"]) == {"a-2027"}
    assert list(result.not_checked["plan_id"]) == ["b-2027"] * 3
    assert (len(result.introduced), result.exit_code) == (0, 2)


def test_a_plan_invalid_in_the_old_version_brings_its_findings(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The other way round the findings stay introduced, and gate: the change makes the
    plan checkable, as adding it would; the note says the old version's invalid plans are
    not compared."""
    write(workdir / "old", {"b.yaml": invalid(risky("b-2027"))})
    write(workdir / "new", {"b.yaml": risky("b-2027")})
    code, out, _ = run(capsys, "diff", "old", "new")
    assert code == 1
    assert out.splitlines()[0] == ("note: the old version has 1 error; its invalid plans are "
                                   "not compared")
    assert out.splitlines()[-2] == ("0 → 1 plans checked: 0 with a changed mix, 0 added, "
                                    "0 removed; findings: 3 introduced, 0 raised, 0 resolved.")


def test_the_comment_redacts_the_not_checked_findings(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A base pay written "32,000" (a text, not a number) makes the billing plan invalid:
    its nine findings are not checked, and the comment hides the pay in them as it does
    elsewhere."""
    for version in ("old", "new"):
        shutil.copytree(ROOT / "sample_data" / "csv", workdir / version)
    plans = workdir / "new" / "plans.csv"
    rows = plans.read_text(encoding="utf-8").split("\n")
    assert rows[1].startswith("bo-billing-ops-2027,") and ",EUR,32000," in rows[1]
    rows[1] = rows[1].replace(",EUR,32000,", ',EUR,"32,000",')
    plans.write_text("\n".join(rows), encoding="utf-8")
    code, out, _ = run(capsys, "diff", "old", "new", "--format", "markdown")
    assert code == 2
    assert out.splitlines()[2] == (
        "17 → 16 plans checked: 0 with a changed mix, 0 added, 0 removed; findings: "
        "0 introduced, 0 raised, 0 resolved, 9 not checked. 0 new findings at or above "
        "'high'.")
    assert "**Findings not checked in the new version (9)**" in out
    assert "**Resolved findings" not in out
    assert r"(EUR \[redacted\] a year at target" in out and "1,440" not in out
    data = json.loads(run(capsys, "diff", "old", "new", "--format", "json")[1])
    assert {f["plan_id"] for f in data["not_checked"]} == {"bo-billing-ops-2027"}
    assert "EUR 1,440 a year at target" in data["not_checked"][0]["message"]
