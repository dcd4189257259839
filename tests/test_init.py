"""policycheck init: a config, a waivers file, a sample plan and a workflow; nothing
overwritten unless --force."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ci_plans import run, workdir

from policycheck.scaffold import TEMPLATES

__all__ = ["workdir"]
ROOT = Path(__file__).resolve().parents[1]


def test_init_scaffolds_a_working_setup(workdir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "init")
    assert (code, err) == (0, "")
    assert out == ("created policycheck.yaml\n"
                   "created waivers.yaml\n"
                   "created plans/example.yaml\n"
                   "created .github/workflows/policycheck.yml\n"
                   "created .gitignore\n"
                   "Next: policycheck check plans/   (and 'policycheck config' to see the "
                   "settings)\n")
    for name, text in TEMPLATES.items():
        assert (workdir / name).read_text(encoding="utf-8") == text
    assert (workdir / ".gitignore").read_text() == ".policycheck_cache/\n"
    # The scaffold checks clean: the sample plan is valid and draws no finding, the config
    # and the (empty) waivers file are valid.
    code, out, err = run(capsys, "check", "plans/")
    assert (code, err) == (0, "")
    assert out == ("Checked 1 of 1 plan with 45 rules: 0 findings (none).\n"
                   "0 findings at or above 'high'.\n")
    code, out, _ = run(capsys, "config")
    assert code == 0
    assert "waivers          waivers.yaml  policycheck.yaml:18" in out.splitlines()
    assert "waiver_max_days  365           policycheck.yaml:20" in out.splitlines()


@pytest.mark.parametrize("before, after, said", [
    ("node_modules", "node_modules\n.policycheck_cache/\n", "updated .gitignore"),
    ("dist/\n", "dist/\n.policycheck_cache/\n", "updated .gitignore"),
    ("/.policycheck_cache\n", "/.policycheck_cache\n", None),
])
def test_init_ignores_the_cache_in_git_once(workdir: Path, capsys: pytest.CaptureFixture[str],
                                            before: str, after: str, said: str | None) -> None:
    """The first check makes .policycheck_cache/ in the current folder: ``git add .`` would
    commit it."""
    (workdir / ".gitignore").write_text(before)
    _, out, _ = run(capsys, "init")
    assert (said in out.splitlines()) if said else ".gitignore" not in out
    assert (workdir / ".gitignore").read_text() == after
    assert run(capsys, "init")[1].count(".gitignore") == 0
    assert (workdir / ".gitignore").read_text() == after


def test_init_outside_git_leaves_no_gitignore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from policycheck import scaffold

    monkeypatch.setattr(scaffold, "work_tree_root", lambda folder: None)
    monkeypatch.chdir(tmp_path)
    _, out, _ = run(capsys, "init")
    assert ".gitignore" not in out and not (tmp_path / ".gitignore").exists()


def test_init_in_a_subfolder_of_a_repository_writes_the_workflow_at_the_root(
        workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """GitHub runs only the workflows at the repository's root, from the root: init wrote
    the workflow in the subfolder, and said to move it and edit its paths."""
    (workdir / "hr").mkdir()
    monkeypatch.chdir(workdir / "hr")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert out.splitlines()[3] == "created ../.github/workflows/policycheck.yml"
    assert not (workdir / "hr" / ".github").exists()
    workflow = yaml.safe_load((workdir / ".github/workflows/policycheck.yml").read_text())
    assert workflow[True]["pull_request"]["paths"] == [
        "hr/plans/**", "hr/policycheck.yaml", "hr/waivers.yaml"]
    job = workflow["jobs"]["policycheck"]
    assert job["env"] == {"POLICYCHECK_CONFIG": "hr/policycheck.yaml"}
    [uses] = [s for s in job["steps"] if str(s.get("uses", "")).endswith("/policycheck@v1")]
    assert uses["with"]["paths"] == "hr/plans/"
    assert "origin/$BASE_REF\" hr/plans/ --format markdown" in job["steps"][-1]["run"]
    # at the root, where the workflow's run makes the cache; the pattern holds in hr/ too
    assert out.splitlines()[4] == "created ../.gitignore"
    assert (workdir / ".gitignore").read_text() == ".policycheck_cache/\n"
    assert not (workdir / "hr" / ".gitignore").exists()
    # what the workflow runs, from the root: the subfolder's config and waivers are used
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("POLICYCHECK_CONFIG", "hr/policycheck.yaml")
    code, out, _ = run(capsys, "config")
    assert "waivers          hr/waivers.yaml  hr/policycheck.yaml:" in out
    assert run(capsys, "check", "hr/plans/")[:2] == (
        0, "Checked 1 of 1 plan with 45 rules: 0 findings (none).\n"
           "0 findings at or above 'high'.\n")
    monkeypatch.chdir(workdir / "hr")
    assert run(capsys, "init")[1].splitlines()[3] == (
        "skipped ../.github/workflows/policycheck.yml (it exists; --force overwrites it)")


def test_init_never_overwrites_unless_forced(workdir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "policycheck.yaml").write_text("fail_on: low\n")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert out.splitlines()[:4] == [
        "skipped policycheck.yaml (it exists; --force overwrites it)",
        "created waivers.yaml", "created plans/example.yaml",
        "created .github/workflows/policycheck.yml"]
    assert (workdir / "policycheck.yaml").read_text() == "fail_on: low\n"
    code, out, _ = run(capsys, "init")
    assert [line.split()[0] for line in out.splitlines()[:4]] == ["skipped"] * 4
    code, out, _ = run(capsys, "init", "--force")
    assert out.splitlines()[:4] == [
        "overwrote policycheck.yaml", "overwrote waivers.yaml", "overwrote plans/example.yaml",
        "overwrote .github/workflows/policycheck.yml"]
    assert (workdir / "policycheck.yaml").read_text() == TEMPLATES["policycheck.yaml"]


def test_workflow_uses_the_action_with_its_real_inputs() -> None:
    workflow = yaml.safe_load(TEMPLATES[".github/workflows/policycheck.yml"])
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = workflow["jobs"]["policycheck"]["steps"]
    [uses] = [s for s in steps if str(s.get("uses", "")).endswith("/policycheck@v1")]
    assert set(uses["with"]) <= set(action["inputs"])
    assert workflow["permissions"]["security-events"] == "write"
    assert steps[0]["with"]["fetch-depth"] == 0


def test_the_commented_example_waiver_is_a_valid_waiver(tmp_path: Path) -> None:
    from policycheck.waivers import load_waivers

    lines = TEMPLATES["waivers.yaml"].splitlines()
    example = ["waivers:"] + [line[1:] for line in lines if line.startswith("#  ")]
    (tmp_path / "w.yaml").write_text("\n".join(example) + "\n")
    [waiver] = load_waivers(tmp_path / "w.yaml")
    assert (waiver.rule, waiver.plan, waiver.entity) == ("weight.single-kpi", "cc-*",
                                                         "first-contact-resolution")
