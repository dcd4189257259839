"""policycheck diff: the change in incentive mix, findings introduced and resolved, plans
added and removed, and a gate on what the change brings."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from ci_plans import good, risky, run, workdir, write
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import check
from policycheck.diffing import diff_reports
from policycheck.formats.diff import render_markdown
from policycheck.rulesections import SEVERITIES

__all__ = ["workdir"]


@pytest.fixture
def versions(workdir: Path) -> Path:
    write(workdir / "old", {"a.yaml": good("a-2027"), "b.yaml": risky("b-2027"),
                            "c.yaml": good("c-2027")})
    write(workdir / "new", {"a.yaml": risky("a-2027"), "b.yaml": good("b-2027"),
                            "d.yaml": good("d-2027")})
    return workdir


def test_diff_text(versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "diff", "old", "new")
    assert (code, err) == (1, "")
    assert out == """\
Incentive mix (share of target variable pay):
  a-2027: speed 0 % → 40 %, customer 100 % → 60 %
  b-2027: speed 40 % → 0 %, customer 60 % → 100 %
Plans added: d-2027
Plans removed: c-2027
Introduced findings (3):
  new/a.yaml:4:3: medium claw.none: plan 'a-2027': 40% of variable pay rides on speed, \
cost or sales measures and neither a clawback nor a deferral covers the 30 days in which \
mis-sales, cancellations or rework show up
  new/a.yaml:4:3: high gate.missing: plan 'a-2027': 40% of variable pay rides on speed, \
cost or sales measures and no quality, outcome or compliance gate applies to any of it \
(0 gates in the plan)
  new/a.yaml:19:7: medium cs.handle-time: plan 'a-2027' component \
'first-contact-resolution': Average handle time carries 40% of variable pay (40% on \
handle-time measures in all); trusted resolution and quality measures carry 60%, and no \
resolution or QA gate covers this component
Resolved findings (3):
  old/b.yaml:4:3: medium claw.none: plan 'b-2027': 40% of variable pay rides on speed, \
cost or sales measures and neither a clawback nor a deferral covers the 30 days in which \
mis-sales, cancellations or rework show up
  old/b.yaml:4:3: high gate.missing: plan 'b-2027': 40% of variable pay rides on speed, \
cost or sales measures and no quality, outcome or compliance gate applies to any of it \
(0 gates in the plan)
  old/b.yaml:19:7: medium cs.handle-time: plan 'b-2027' component \
'first-contact-resolution': Average handle time carries 40% of variable pay (40% on \
handle-time measures in all); trusted resolution and quality measures carry 60%, and no \
resolution or QA gate covers this component
3 → 3 plans checked: 2 with a changed mix, 1 added, 1 removed; findings: 3 introduced, \
0 raised, 3 resolved.
1 new finding at or above 'high'.
"""


def test_fail_on_applies_to_introduced_findings_only(versions: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "diff", "old", "new", "--fail-on", "critical")[0] == 0
    assert run(capsys, "diff", "old", "new", "--fail-on", "none")[0] == 0
    # The same findings in both versions (b's resolved, a's introduced the other way) fail
    # only in the direction that brings them.
    write(versions / "same", {"a.yaml": risky("a-2027"), "b.yaml": risky("b-2027")})
    assert run(capsys, "diff", "same", "same")[0] == 0
    assert run(capsys, "diff", "new", "same")[0] == 1
    assert run(capsys, "diff", "same", "new")[0] == 0


def test_a_waiver_lets_an_introduced_finding_through(versions: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    write(versions, {"waivers.yaml": """\
        waivers:
          - {rule: gate.missing, plan: a-2027, reason: r, owner: o, expires: 2999-12-31}
        """})
    code, out, _ = run(capsys, "diff", "old", "new", "--waivers", "waivers.yaml")
    assert code == 0
    assert "  new/a.yaml:4:3: high gate.missing: plan 'a-2027': " in out
    assert ("(0 gates in the plan) [waived: r (owner o, expires 2999-12-31; "
            "waivers.yaml:2:5)]\n") in out


def test_moving_plans_between_files_changes_nothing(workdir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "old", {"a.yaml": risky("a-2027"), "b.yaml": risky("b-2027")})
    write(workdir / "new", {"x/b-first.yaml": risky("b-2027"), "y.yaml": risky("a-2027")})
    code, out, _ = run(capsys, "diff", "old", "new")
    assert (code, out) == (0, "2 → 2 plans checked: 0 with a changed mix, 0 added, 0 removed; "
                              "findings: 0 introduced, 0 raised, 0 resolved.\n"
                              "0 new findings at or above 'high'.\n")


def test_raised_severity_counts_as_brought_by_the_change(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir / "old", {"a.yaml": risky("a-2027")})
    write(workdir / "new", {"a.yaml": risky("a-2027").replace("weight: 40%", "weight: 60%")
                            .replace("weight: 35%", "weight: 15%")})
    code, out, _ = run(capsys, "diff", "old", "new", "--format", "json")
    data = json.loads(out)
    assert [(f["rule_id"], f["severity"], f["old_severity"]) for f in data["raised"]] == [
        ("cs.handle-time", "high", "medium")]
    assert (data["summary"]["failing"], code) == (1, 1)


def test_diff_json(versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "diff", "old", "new", "--format", "json")
    data = json.loads(out)
    assert list(data) == ["version", "summary", "plans_added", "plans_removed", "mix",
                          "pay", "introduced", "raised", "resolved", "not_checked", "problems"]
    assert data["summary"] == {"plans_old": 3, "plans_new": 3, "plans_added": 1,
                               "plans_removed": 1, "mix_changed": 2, "pay_changed": 0,
                               "introduced": 3,
                               "raised": 0, "resolved": 3, "not_checked": 0, "fail_on": "high",
                               "failing": 1,
                               "exit_code": 1, "old_errors": 0}
    assert data["mix"][0] == {"plan_id": "a-2027", "changes": {
        "speed": {"old": 0.0, "new": 0.4}, "customer": {"old": 1.0, "new": 0.6}}}
    assert [f["rule_id"] for f in data["introduced"]] == ["claw.none", "gate.missing",
                                                           "cs.handle-time"]
    assert data["introduced"][1]["location"] == {"file": "new/a.yaml", "sheet": None,
                                                 "line": 4, "column": 3}


def test_diff_markdown(versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "diff", "old", "new", "--format", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "## policycheck diff: ❌ fail"
    assert "| a-2027 | speed 0 % → 40 %, customer 100 % → 60 % |" in lines
    assert "**Introduced findings (3)**" in lines
    assert ("| high | open | `gate.missing` | a-2027 | 40% of variable pay rides on speed, "
            "cost or sales measures and no quality, outcome or compliance gate applies to "
            "any of it (0 gates in the plan) |") in lines
    assert "**Plans added:** d-2027" in lines


def test_resolved_findings_are_said_to_be_resolved(versions: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A resolved finding was shown with its status in the old version, which is checked
    without waivers or a baseline: every row of the comment's resolved table said "open".
    The comment and the JSON say "resolved" (the JSON keeps the old status as old_status);
    the text says no status, as for an open finding (test_diff_text)."""
    lines = run(capsys, "diff", "old", "new", "--format", "markdown")[1].splitlines()
    table = lines[lines.index("**Resolved findings (3)**") + 2:]
    assert table[:2] == ["| severity | status | rule | plan | message |", "|---|---|---|---|---|"]
    assert [row.split(" | ")[1] for row in table[2:5]] == ["resolved"] * 3
    assert ("| high | resolved | `gate.missing` | b-2027 | 40% of variable pay rides on speed, "
            "cost or sales measures and no quality, outcome or compliance gate applies to "
            "any of it (0 gates in the plan) |") in table
    data = json.loads(run(capsys, "diff", "old", "new", "--format", "json")[1])
    assert [(f["status"], f["old_status"]) for f in data["resolved"]] == [
        ("resolved", "open")] * 3
    assert [(f["status"], "old_status" in f) for f in data["introduced"]] == [
        ("open", False)] * 3


def test_diff_reports_is_a_pure_function(versions: Path) -> None:
    old, new = check(["old"]), check(["new"], fail_on="medium")
    result = diff_reports(old, new)
    assert (result.plans_added, result.plans_removed) == (("d-2027",), ("c-2027",))
    assert result.mix.to_dict("records")[:2] == [
        {"plan_id": "a-2027", "pressure": "speed", "old": 0.0, "new": 0.4},
        {"plan_id": "a-2027", "pressure": "customer", "old": 1.0, "new": 0.6}]
    assert (len(result.failing), result.exit_code) == (3, 1)
    assert render_markdown(result) == render_markdown(diff_reports(old, new))


@pytest.mark.parametrize("old, new, counts, code", [
    ("none", "old", "3 introduced, 0 raised, 0 resolved", 1),  # the first plans of a repository
    ("old", "none", "0 introduced, 0 raised, 3 resolved", 2),
])
def test_a_side_without_findings(versions: Path, capsys: pytest.CaptureFixture[str],
                                 old: str, new: str, counts: str, code: int) -> None:
    """One side with no plan (a repository's first plans, or all plans removed) has no
    finding to compare severities with: it crashed with an internal error (exit 3). A new
    version of no plan is an error, as in check (a gate pointed at the wrong folder); an old
    one is a folder this change brings plans to, said in a note."""
    (versions / "none").mkdir()
    found, out, err = run(capsys, "diff", old, new)
    assert found == code
    assert f"findings: {counts}." in out
    no_plans = ("none: {}no plan found in 0 data files: expected YAML files with a top-level "
                "'plan' or 'plans' key, a plans.csv table or a workbook with a plans sheet")
    if old == "none":
        assert out.splitlines()[0] == "note: the old version's " + no_plans.format("")
        assert err == ""
    else:
        assert out.splitlines()[0] == no_plans.format("error: ") + " [no-plans]"


def test_an_old_side_that_is_missing_is_named(versions: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """An old path that does not exist (a typo, or a folder this change adds) is compared
    as having no plans, and the note says which path it was."""
    code, out, _ = run(capsys, "diff", "olld", "new")
    assert code == 1
    assert out.splitlines()[:3] == [
        "note: the old version has 1 error; its invalid plans are not compared",
        "note: the old version's olld: no such file or folder",
        "Plans added: a-2027, b-2027, d-2027"]
    code, out, _ = run(capsys, "diff", "olld", "new", "--format", "markdown")
    assert out.splitlines()[3:8] == [
        "", "_Note: the old version has 1 error; its invalid plans are not compared._",
        "", "_Note: the old version's olld: no such file or folder._", ""]
    code, out, _ = run(capsys, "diff", "olld", "new", "--format", "json")
    assert json.loads(out)["summary"]["old_errors"] == 1


def test_invalid_new_version_exits_2(versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(versions / "new", {"e.yaml": "plan: {id: e-2027}\n"})
    code, out, _ = run(capsys, "diff", "old", "new")
    assert code == 2
    assert out.startswith("new/e.yaml:1:7: error: ")


@pytest.mark.parametrize("argv, message", [
    (["diff", "old"], "Error: expected OLD and NEW (two files or folders), or --git-base REF "
                      "PATH...\n"),
    (["diff", "--git-base", "HEAD"], "Error: --git-base REF: say which PATH... to compare\n"),
])
def test_diff_usage(versions: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                    message: str) -> None:
    assert run(capsys, *argv) == (2, "", "Usage: policycheck diff [OPTIONS] [PATHS]...\n"
                                         "Try 'policycheck diff --help' for help.\n\n" + message)


def test_git_base_outside_a_repository_or_with_an_unknown_ref(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    write(outside, {"plans/a.yaml": good()})
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert run(capsys, "diff", "--git-base", "HEAD", "plans") == (
        2, "", "policycheck: error: --git-base: not in a git repository (run it inside one, "
               "or compare two folders: policycheck diff OLD NEW)\n")
    subprocess.run(["git", "init", "-q", "."], check=True)
    for ref in ("no-such-branch", "--output=x", "HEAD"):
        assert run(capsys, "diff", "--git-base", ref, "plans") == (
            2, "", f"policycheck: error: --git-base: unknown git ref '{ref}'\n")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(before=st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from(SEVERITIES)),
                       max_size=12),
       after=st.lists(st.tuples(st.sampled_from("abcdefg"), st.sampled_from(SEVERITIES)),
                      max_size=12))
def test_raised_findings_are_those_of_a_merge(before: list[tuple[str, str]],
                                              after: list[tuple[str, str]]) -> None:
    """Findings more severe than the same fingerprint's before (by position when the old
    fingerprints are distinct, by a merge when one is there twice), in the new order."""
    import numpy as np

    from policycheck.diffing import _raised

    old, new = (pd.DataFrame(rows, columns=["fingerprint", "severity"]).astype("str")
                .assign(other=range(len(rows))) for rows in (before, after))
    pairs = new.merge(old[["fingerprint", "severity"]].rename(
        columns={"severity": "old_severity"}), on="fingerprint")
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    expected = pairs[np.array([rank[s] < rank[o] for s, o in
                               zip(pairs["severity"], pairs["old_severity"], strict=True)],
                              dtype=bool)]
    got = _raised(old, new)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))


@pytest.fixture
def pay_versions(workdir: Path) -> Path:
    """Two versions of the sample plans whose diff has pay in every part: motor finance
    added (a fixed pay of 26,000 in a message), retail banking removed (a floor of 18,000,
    a prize of 1,000; its employees left behind are problems naming employee ids) and the
    collections agents' target variable pay raised (a finding raised to high)."""
    sample = ROOT / "sample_data" / "yaml"
    for version, dropped in (("old", "motor-finance"), ("new", "retail-banking")):
        shutil.copytree(sample, workdir / version)
        (workdir / version / "plans" / f"{dropped}.yaml").unlink()
    plans = workdir / "new" / "plans" / "collections.yaml"
    text = plans.read_text(encoding="utf-8")
    assert text.count("    target_variable: 11000\n") == 1
    plans.write_text(text.replace("    target_variable: 11000\n", "    target_variable: 30000\n"),
                     encoding="utf-8")
    return workdir


@pytest.mark.parametrize("redact", [["--redact"], []])
def test_a_redacted_diff_shows_its_findings_and_problems_as_check_shows_them(
        pay_versions: Path, capsys: pytest.CaptureFixture[str], redact: list[str]) -> None:
    """Each finding and problem a diff shows is the one ``check`` shows of its version,
    redacted alike (markdown by default, any format with --redact)."""
    def findings(argv: list[str]) -> dict[str, dict[str, object]]:
        data = json.loads(run(capsys, *argv, "--format", "json", *redact)[1])
        return {f["fingerprint"]: f for f in data["findings"]}

    old, new = findings(["check", "old"]), findings(["check", "new"])
    code, out, _ = run(capsys, "diff", "old", "new", "--format", "json", *redact)
    data = json.loads(out)
    # retail banking's plans are named by errors of the new version (its employees left
    # behind): its findings are not checked there, not resolved
    assert (code, [len(data[k]) for k in ("introduced", "raised", "resolved", "not_checked")]
            ) == (2, [9, 1, 0, 22])
    shown = {f["fingerprint"]: f for f in data["introduced"] + data["not_checked"]}
    assert shown == {key: (new | old)[key] for key in shown}
    (raised,) = data["raised"]
    assert raised == new[raised["fingerprint"]] | {"old_severity": "medium"}
    checked = json.loads(run(capsys, "check", "new", "--format", "json", *redact)[1])
    assert data["problems"] == checked["problems"] and len(checked["problems"]) == 70
    figures = ("26,000", "18,000", "1,000", "HL00276")
    assert all((figure in out) != bool(redact) for figure in figures)
    assert (raised["evidence"]["fixed_pay"] == "[redacted]") == bool(redact)
    if not redact:
        markdown = run(capsys, "diff", "old", "new", "--format", "markdown")[1]
        assert r"\[redacted\]" in markdown and not any(f in markdown for f in figures)


def test_the_markdown_comment_stays_within_what_github_takes(versions: Path) -> None:
    """GitHub refuses a comment of more than 65,536 characters: each table lists the rows
    that fit (the mix a quarter, the plans added and removed an eighth each, the findings
    sharing the rest) and says how many more there are; so do the lists of plans."""
    import dataclasses
    import re

    from policycheck.formats.markdown import COMMENT_BUDGET

    result = diff_reports(check(["old"]), check(["new"]))
    big = pd.concat([result.introduced] * 40, ignore_index=True)  # 120 findings
    big["message"] = [f"{i} " + "m" * 2_000 for i in range(len(big))]
    added = tuple(f"plan-{i:03d}-" + "x" * 300 for i in range(80))
    case = dataclasses.replace(result, introduced=big, resolved=big.head(7),
                               plans_added=added)
    comment = render_markdown(case)
    assert len(comment) <= COMMENT_BUDGET
    sections = comment.split("\n**")
    introduced = next(s for s in sections if s.startswith("Introduced findings (120)**"))
    listed = sum(line.startswith("| ") for line in introduced.splitlines()) - 1
    assert 0 < listed < 50 and introduced.endswith(f"\nand {120 - listed} more\n")
    resolved = next(s for s in sections if s.startswith("Resolved findings (7)**"))
    assert sum(line.startswith("| ") for line in resolved.splitlines()) - 1 == 7
    assert "\nand" not in resolved  # every one listed: the introduced left it room
    plans = next(s for s in sections if s.startswith("Plans added:**"))
    shown = len(re.findall(r"plan-\d{3}-", plans))
    assert 0 < shown < 50 and plans.rstrip().endswith(f" and {80 - shown} more")
    assert "more" not in render_markdown(result)  # a comment that fits: every row, no note


def test_pay_moved_onto_a_survey_the_employee_sends_is_not_said_to_be_customer_pay() -> None:
    """"customer 20 % → 40 %" said a change moved pay to the customer, where it moved pay
    onto an agent-sent survey: such a share is apart, as the report keeps it."""
    from policycheck.diffing import mix_changes
    from policycheck.formats.diff import mix_texts

    def profile(speed: float, survey: float) -> pd.DataFrame:
        return pd.DataFrame({"plan_id": ["cc-2027"], "share_speed": [speed],
                             "share_cost": [0.0], "share_sales": [0.0],
                             "share_customer": [survey], "share_customer_trusted": [0.0],
                             "share_customer_controlled": [survey],
                             "share_neutral": [1 - speed - survey]})

    mix = mix_changes(profile(0.5, 0.2), profile(0.3, 0.4))
    assert mix_texts(mix).to_dict() == {
        "cc-2027": "speed 50 % → 30 %, customer (employee-controlled) 20 % → 40 %"}
    assert mix["pressure"].tolist() == ["speed", "customer_controlled"]
