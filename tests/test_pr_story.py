"""The pull-request story, end to end in a real git repository: adopt policycheck with a
baseline, a change raises a plan's speed share, the diff shows it, the check fails on the
new finding only, a waiver lets it through until the waiver expires."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ci_plans import GATE, run, workdir

__all__ = ["workdir"]
ROOT = Path(__file__).resolve().parents[1]
PLAN_FILE = "plans/plans/contact-centre.yaml"
GATE_MISSING = ("plans/plans/contact-centre.yaml:51:5: high gate.missing: plan "
                "'cc-agent-resolve-2027': 40% of variable pay rides on speed, cost or sales "
                "measures and no quality, outcome or compliance gate applies to any of it "
                "(0 gates in the plan)")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                   capture_output=True)


def speed_up(repo: Path) -> None:
    """The resolution pilot pays on handle time instead of resolution (its threshold and
    target changing places, lower being better), and loses its gate."""
    path = repo / PLAN_FILE
    text = path.read_text()
    pilot = text.index("  - id: cc-agent-resolve-2027")
    before, after = text[:pilot], text[pilot:]
    after = after.replace("kpi: fcr", "kpi: aht", 1).replace(
        "target: 78\n        threshold: 65", "target: 65\n        threshold: 78", 1)
    gate = "\n".join("  " + line if line else line for line in GATE.splitlines()) + "\n"
    assert gate in after
    path.write_text(before + after.replace(gate, ""))


@pytest.fixture
def repo(workdir: Path) -> Path:
    shutil.rmtree(workdir / ".git")
    git(workdir, "init", "-q", ".")
    shutil.copytree(ROOT / "sample_data" / "yaml", workdir / "plans")
    git(workdir, "add", "-A")
    git(workdir, "commit", "-q", "-m", "plans as they are")
    return workdir


def open_findings(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, out, _ = run(capsys, "check", "plans/", "--format", "json")
    return code, json.loads(out)


def test_pull_request_story(repo: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    # 1. Adopt: today's 121 findings go into a baseline; the check passes.
    code, out, err = run(capsys, "check", "plans/", "--write-baseline", "baseline.json")
    assert (code, err) == (0, "wrote baseline.json: 121 findings recorded\n")
    (repo / "policycheck.yaml").write_text("baseline: baseline.json\nwaivers: waivers.yaml\n")
    (repo / "waivers.yaml").write_text("waivers: []\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "adopt policycheck")
    assert run(capsys, "check", "plans/")[0] == 0

    # 2. A pull request raises the speed share of the resolution pilot.
    speed_up(repo)
    git(repo, "commit", "-q", "-am", "pay the pilot on handle time")
    code, out, err = run(capsys, "diff", "--git-base", "HEAD~1", "plans/")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[:2] == ["Incentive mix (share of target variable pay):",
                         "  cc-agent-resolve-2027: speed 0 % → 40 %, customer 100 % → 60 %"]
    assert lines[2] == "Introduced findings (3):"
    assert f"  {GATE_MISSING}" in lines[3:6]
    assert lines[-2:] == [
        "17 → 17 plans checked: 1 with a changed mix, 0 added, 0 removed; findings: "
        "3 introduced, 0 raised, 0 resolved.", "1 new finding at or above 'high'."]

    # 3. The check fails on the new finding only: every old one is baselined.
    code, data = open_findings(capsys)
    assert code == 1
    opened = [(f["rule_id"], f["plan_id"], f["severity"]) for f in data["findings"]
              if f["status"] == "open"]
    assert opened == [("claw.none", "cc-agent-resolve-2027", "medium"),
                      ("gate.missing", "cc-agent-resolve-2027", "high"),
                      ("cs.handle-time", "cc-agent-resolve-2027", "medium")]
    assert data["summary"]["failing"] == 1
    assert {f["status"] for f in data["findings"]} == {"open", "baselined"}

    # 4. A waiver, with an owner and an expiry, lets it through; the finding shows as waived.
    (repo / "waivers.yaml").write_text("""\
waivers:
  - rule: gate.missing
    plan: cc-agent-resolve-2027
    reason: QA gate returns with the July release
    owner: contact-centre-reward@harbourline.example
    approved_by: head-of-reward@harbourline.example
    expires: 2027-06-30
""")
    monkeypatch.setenv("POLICYCHECK_TODAY", "2027-05-01")
    code, data = open_findings(capsys)
    assert code == 0
    [waived] = [f for f in data["findings"] if f["status"] == "waived"]
    assert (waived["rule_id"], waived["plan_id"]) == ("gate.missing", "cc-agent-resolve-2027")
    assert data["problems"] == []

    # 5. Past its expiry the finding is open again, and the run says why.
    monkeypatch.setenv("POLICYCHECK_TODAY", "2027-07-01")
    code, out, _ = run(capsys, "check", "plans/")
    assert code == 1
    assert out.splitlines()[0] == (
        "waivers.yaml:2:5: warning: waiver for 'gate.missing' on 'cc-agent-resolve-2027' "
        "expired on 2027-06-30: 1 finding is open again [waiver-expired]")
    assert out.splitlines()[-1] == "1 finding at or above 'high'."
    code, data = open_findings(capsys)
    assert [f["status"] for f in data["findings"] if f["rule_id"] == "gate.missing"
            and f["plan_id"] == "cc-agent-resolve-2027"] == ["reopened"]

    # 6. The fix: the findings are resolved, named as they were at the base ref.
    git(repo, "revert", "--no-edit", "HEAD")
    code, out, _ = run(capsys, "diff", "--git-base", "HEAD~1", "plans/", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert [(f["rule_id"], f["location"]["file"]) for f in data["resolved"]] == [
        ("claw.none", "HEAD~1:plans/plans/contact-centre.yaml"),
        ("gate.missing", "HEAD~1:plans/plans/contact-centre.yaml"),
        ("cs.handle-time", "HEAD~1:plans/plans/contact-centre.yaml")]
    assert data["mix"] == [{"plan_id": "cc-agent-resolve-2027", "changes": {
        "speed": {"old": 0.4, "new": 0.0}, "customer": {"old": 0.6, "new": 1.0}}}]


def test_git_base_keeps_no_cache_of_the_old_version(
        repo: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The old version is read from a temporary folder of a new name each run: packs kept
    for it would never be served, and would pile up in the cache folder."""
    speed_up(repo)
    first = run(capsys, "diff", "--git-base", "HEAD", "plans/", "--format", "json")
    packs = sorted(p.relative_to(cache_dir) for p in cache_dir.rglob("*.pack"))
    assert [p.parent.name for p in packs] == ["model", "yaml"]  # the working tree's
    assert run(capsys, "diff", "--git-base", "HEAD", "plans/", "--format", "json") == first
    assert sorted(p.relative_to(cache_dir) for p in cache_dir.rglob("*.pack")) == packs
    assert first[0] == 1 and json.loads(first[1])["summary"]["introduced"] == 3


def test_git_base_sees_added_folders_and_files(repo: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "more").mkdir()
    shutil.copy(repo / "plans" / "plans" / "stores.yaml", repo / "more" / "stores.yaml")
    (repo / "plans" / "plans" / "stores.yaml").unlink()
    code, out, _ = run(capsys, "diff", "--git-base", "HEAD", "plans/", "more",
                       "--format", "json")
    data = json.loads(out)
    assert (data["plans_added"], data["plans_removed"]) == ([], [])
    assert (data["summary"]["introduced"], data["summary"]["resolved"], code) == (0, 0, 0)
    # Without more/, the employees table names a plan that no longer exists: invalid input.
    code, out, _ = run(capsys, "diff", "--git-base", "HEAD", "plans/", "--format", "json")
    data = json.loads(out)
    assert (code, data["plans_removed"]) == (2, [])
    assert {p["code"] for p in data["problems"]} == {"unknown-plan"}
    (repo / "plans" / "employees.csv").unlink()
    code, out, _ = run(capsys, "diff", "--git-base", "HEAD", "plans/", "--format", "json")
    assert (code, json.loads(out)["plans_removed"]) == (0, ["st-store-manager-2027"])
