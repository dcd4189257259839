"""SARIF file paths: relative to the root of the git work tree that holds the checked files
(what GitHub code scanning resolves a relative ``uri`` against), with ``"uriBaseId":
"%SRCROOT%"``, the same bytes from whichever folder policycheck runs in; outside a work tree,
relative to the current folder as before."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from policycheck.cli import main
from policycheck.formats import sarif

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "data" / "formats_plans"
PACK = ROOT / "tests" / "data" / "formats_pack"
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"


def _repository(folder: Path, git: bool = True) -> Path:
    """A work tree at ``folder`` (``git init`` if git is installed and ``git``, else a bare
    ``.git`` folder) with the fixed plans in ``teams/back office/plans`` and a subfolder
    ``tools/ci`` to run from."""
    folder.mkdir(parents=True, exist_ok=True)
    if git and shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(folder)], check=True)
    else:
        (folder / ".git").mkdir()
    shutil.copytree(PLANS, folder / "teams" / "back office" / "plans")
    (folder / "tools" / "ci").mkdir(parents=True)
    return folder


def _run(plans: str, out: Path, *extra: str) -> bytes:
    assert main(["check", plans, "--rules", str(PACK), "--quiet", *extra,
                 "--output", f"sarif:{out}"]) == 1
    return out.read_bytes()


def _locations(data: bytes) -> list[dict[str, Any]]:
    run = json.loads(data)["runs"][0]
    found = [location["physicalLocation"]["artifactLocation"]
             for result in run["results"] for location in result["locations"]]
    found += [location["physicalLocation"]["artifactLocation"]
              for note in run["invocations"][0]["toolExecutionNotifications"]
              for location in note.get("locations", [])]
    return found


def _outside_any_work_tree(path: Path) -> bool:
    return not any((folder / ".git").exists() for folder in (path, *path.parents))


@pytest.mark.parametrize("git", [True, False], ids=["git-init", "dot-git-folder"])
def test_paths_are_from_the_repository_root_whatever_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git: bool) -> None:
    repo = _repository(tmp_path / "repo", git)
    expected = {"uri": "teams/back%20office/plans/plans.yaml", "uriBaseId": "%SRCROOT%"}

    monkeypatch.chdir(repo)
    from_root = _run("teams/back office/plans", tmp_path / "root.sarif")
    monkeypatch.chdir(repo / "tools" / "ci")
    from_sub = _run("../../teams/back office/plans", tmp_path / "sub.sarif")
    monkeypatch.chdir("/")
    from_top = _run(str(repo / "teams" / "back office" / "plans"), tmp_path / "top.sarif")

    assert from_root == from_sub == from_top
    locations = _locations(from_sub)
    assert locations and all(location == expected for location in locations)
    run = json.loads(from_sub)["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"description": {
        "text": "The root of the git work tree that holds the checked files."}}}
    assert str(tmp_path) not in from_sub.decode("utf-8")  # no local path in the file
    jsonschema.validate(json.loads(from_sub), json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_a_problem_in_a_subfolder_is_named_from_the_repository_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Notifications (problems of invalid inputs) are named the same way as results."""
    repo = _repository(tmp_path / "repo")
    broken = repo / "teams" / "back office" / "plans" / "broken.yaml"
    broken.write_text("plans:\n  - id: broken\n    role_kind: service\n    base_pay: -1\n"
                      "    target_variable: 0\n", encoding="utf-8")
    outputs = []
    for cwd, plans in ((repo, "teams"), (repo / "tools" / "ci", "../../teams")):
        monkeypatch.chdir(cwd)
        main(["check", plans, "--rules", str(PACK), "--quiet",
              "--output", f"sarif:{tmp_path / 'out.sarif'}"])
        outputs.append((tmp_path / "out.sarif").read_bytes())
    assert outputs[0] == outputs[1]
    notes = json.loads(outputs[0])["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert {"uri": "teams/back%20office/plans/broken.yaml", "uriBaseId": "%SRCROOT%"} in [
        location["physicalLocation"]["artifactLocation"]
        for note in notes for location in note["locations"]]


def test_the_nearest_work_tree_is_the_root(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A nested work tree (a submodule: its ``.git`` is a file) is the root of its files."""
    outer = _repository(tmp_path / "outer")
    inner = outer / "vendor" / "inner"
    inner.mkdir(parents=True)
    (inner / ".git").write_text("gitdir: ../../.git/modules/inner\n", encoding="utf-8")
    shutil.copytree(PLANS, inner / "plans")
    monkeypatch.chdir(outer / "tools" / "ci")
    data = _run("../../vendor/inner/plans", tmp_path / "out.sarif")
    assert {location["uri"] for location in _locations(data)} == {"plans/plans.yaml"}


def test_outside_a_work_tree_paths_stay_relative_to_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _outside_any_work_tree(tmp_path):
        pytest.skip("the temporary folder is inside a git work tree")
    shutil.copytree(PLANS, tmp_path / "plain" / "plans")
    (tmp_path / "plain" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "plain" / "sub")
    data = _run("../plans", tmp_path / "out.sarif")
    assert {json.dumps(location) for location in _locations(data)} == {
        json.dumps({"uri": "../plans/plans.yaml"})}
    assert "originalUriBaseIds" not in json.loads(data)["runs"][0]
    monkeypatch.chdir("/")
    absolute = _run(str(tmp_path / "plain" / "plans"), tmp_path / "abs.sarif")
    assert {location["uri"] for location in _locations(absolute)} == {
        (tmp_path / "plain" / "plans" / "plans.yaml").as_uri()}
    jsonschema.validate(json.loads(data), json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_the_root_is_looked_up_once_per_folder(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Many files of a run cost one walk up the folders, not one per file (and no git)."""
    repo = _repository(tmp_path / "repo", git=False)
    looked: list[str] = []
    real = os.path.lexists

    def lexists(path: str) -> bool:
        looked.append(path)
        return real(path)

    monkeypatch.setattr(os.path, "lexists", lexists)

    def no_git(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("git was run")

    monkeypatch.setattr(subprocess, "run", no_git)
    files = [f"teams/x/file{i}.yaml" for i in range(50)] + ["teams/y.yaml", "README.md"]
    artifacts = sarif.Artifacts(files, cwd=str(repo / "tools" / "ci" / ".." / ".."))
    assert artifacts.based
    assert artifacts.location("teams/x/file7.yaml") == {"uri": "teams/x/file7.yaml",
                                                        "uriBaseId": "%SRCROOT%"}
    assert artifacts.location("README.md") == {"uri": "README.md", "uriBaseId": "%SRCROOT%"}
    assert len(looked) == len(set(looked)) == 3  # teams/x, teams, the root


def test_the_fast_and_the_reference_rendering_agree_in_a_work_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import policycheck

    repo = _repository(tmp_path / "repo", git=False)
    monkeypatch.chdir(repo / "tools" / "ci")
    report = policycheck.check(["../../teams"], rules=[PACK])
    for chunk in (1, 20_000):
        monkeypatch.setattr(sarif, "CHUNK", chunk)
        assert sarif.render(report) == sarif._render_plain(report)
    assert '"uriBaseId": "%SRCROOT%"' in sarif.render(report)
