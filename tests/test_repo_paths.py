"""File names in the GitHub annotations, JUnit and markdown: a file inside a git work tree is
named by its path from the root of that work tree, as the SARIF ``uri`` names it (GitHub
resolves an annotation's ``file`` from the repository root), the same from whichever folder
policycheck runs in and without the folder a checkout lies in; outside a work tree, as it
was given. Text, JSON and CSV keep the names given."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import policycheck
from policycheck.cli import main
from policycheck.formats import github, junit, markdown, paths, sarif
from policycheck.report import Report

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "data" / "formats_plans"
PACK = ROOT / "tests" / "data" / "formats_pack"
BROKEN = ("plans:\n  - id: broken\n    role_kind: service\n    base_pay: -1\n"
          "    target_variable: 0\n")
#: What each format writes of the plans, named from the root of the work tree.
ANNOTATION = ("::error file=services/payroll/plans/plans.yaml,line=4,col=5,"
              "title=fmt.speed-share::critical: plan 'cc-agent-speed-2027': 75%25 of variable "
              "pay rides on speed measures")
PROBLEM_ANNOTATION = ("::error file=services/payroll/plans/broken.yaml,line=4,col=5,"
                      "title=policycheck out-of-range::plan 'broken': base_pay: got "
                      "[redacted], expected a value of at least 0")
FAILURE = ('      <failure message="75% of variable pay rides on speed measures" '
           'type="critical">services/payroll/plans/plans.yaml:4:5: critical fmt.speed-share: '
           "plan 'cc-agent-speed-2027': 75% of variable pay rides on speed measures")
PROBLEM_CASE = ('    <testcase classname="policycheck.input" '
                'name="services/payroll/plans/broken.yaml:4:5">')
PROBLEM_ERROR = ("services/payroll/plans/broken.yaml:4:5: error: plan 'broken': base_pay: "
                 "got -1, expected a value of at least 0 [out-of-range]</error>")
PROBLEM_ITEM = ("- services/payroll/plans/broken.yaml:4:5: error: plan 'broken': base\\_pay: "
                "got \\[redacted\\], expected a value of at least 0 \\[out-of-range\\]")


def _repository(folder: Path) -> Path:
    """A work tree at ``folder`` (``git init``; a bare ``.git`` folder without git) with the
    fixed plans and a broken one in ``services/payroll/plans``; its subfolder
    ``services/payroll`` is returned, the folder a monorepo's workflow step runs in."""
    folder.mkdir(parents=True)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(folder)], check=True)
    else:
        (folder / ".git").mkdir()
    service = folder / "services" / "payroll"
    shutil.copytree(PLANS, service / "plans")
    (service / "plans" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    return service


def _outputs(plans: str, out: Path) -> dict[str, list[str]]:
    """The lines of each format's output of ``check plans``."""
    out.mkdir(parents=True, exist_ok=True)
    formats = ("github", "junit", "markdown", "text", "csv")
    assert main(["check", plans, "--rules", str(PACK), "--quiet",
                 *(f"--output={fmt}:{out / fmt}" for fmt in formats)]) == 2
    return {fmt: (out / fmt).read_text(encoding="utf-8").splitlines() for fmt in formats}


def _outside_any_work_tree(path: Path) -> bool:
    return not any((folder / ".git").exists() for folder in (path, *path.parents))


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_files_are_named_from_the_repository_root_in_a_subfolder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, absolute: bool) -> None:
    service = _repository(tmp_path / "mono")
    monkeypatch.chdir(service)
    found = _outputs(str(service / "plans") if absolute else "plans", tmp_path / "out")

    assert found["github"][:2] == [PROBLEM_ANNOTATION, ANNOTATION]
    assert FAILURE in found["junit"]
    assert PROBLEM_CASE in found["junit"]
    assert any(line.endswith(">" + PROBLEM_ERROR) for line in found["junit"])
    assert PROBLEM_ITEM in found["markdown"]
    for fmt in ("github", "junit", "markdown"):
        assert str(tmp_path) not in "\n".join(found[fmt])  # no folder of the machine
    # text and CSV name the files as given
    given = f"{service}/plans" if absolute else "plans"
    assert found["text"][1].startswith(f"{given}/plans.yaml:4:5: critical fmt.speed-share")
    assert next(csv.DictReader(found["csv"]))["location_file"] == f"{given}/plans.yaml"


def test_the_same_output_from_the_root_a_subfolder_or_an_absolute_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = _repository(tmp_path / "mono")
    runs = []
    for cwd, plans in ((tmp_path / "mono", "services/payroll/plans"), (service, "plans"),
                       (service / "plans", "."), (Path("/"), str(service / "plans"))):
        monkeypatch.chdir(cwd)
        found = _outputs(plans, tmp_path / f"out{len(runs)}")
        runs.append({fmt: found[fmt] for fmt in ("github", "junit", "markdown")})
    assert all(run == runs[0] for run in runs)


def test_outside_a_work_tree_files_keep_the_names_given(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _outside_any_work_tree(tmp_path):
        pytest.skip("the temporary folder is inside a git work tree")
    plain = tmp_path / "plain"
    shutil.copytree(PLANS, plain / "plans")
    (plain / "plans" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    (plain / "sub").mkdir()
    monkeypatch.chdir(plain / "sub")
    for given in ("../plans", str(plain / "plans")):
        found = _outputs(given, tmp_path / "out")
        assert found["github"][:2] == [
            PROBLEM_ANNOTATION.replace("services/payroll/plans", given),
            ANNOTATION.replace("services/payroll/plans", given)]
        assert FAILURE.replace("services/payroll/plans", given) in found["junit"]
        assert PROBLEM_CASE.replace("services/payroll/plans", given) in found["junit"]
        assert PROBLEM_ITEM.replace("services/payroll/plans",
                                    markdown.escape(given)) in found["markdown"]


def test_a_command_line_option_named_as_a_location_is_no_file(tmp_path: Path) -> None:
    """A rule parameter set by ``--param`` is said to be at ``--param rule.name``: not a file
    of the folder policycheck runs in."""
    service = _repository(tmp_path / "mono")
    named = paths.RepoPaths(str(service))
    assert named.name("--param fmt.speed-share.kpis") == "--param fmt.speed-share.kpis"
    assert named.name("plans/../plans/plans.yaml") == "services/payroll/plans/plans.yaml"
    assert named.name("") == ""


def _many_findings(service: Path, monkeypatch: pytest.MonkeyPatch) -> Report:
    """The plans' findings, each a thousand times, from the subfolder ``service``."""
    monkeypatch.chdir(service)
    report = policycheck.check(["plans"], rules=[PACK])
    findings = report.findings
    many = findings.iloc[np.arange(1000 * len(findings)) % len(findings)]
    return dataclasses.replace(report, findings=many.reset_index(drop=True))


def test_each_file_is_named_once_a_rendering(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A million findings name a few files: each is looked up once a rendering, whatever the
    findings or the pieces of the stream."""
    report = _many_findings(_repository(tmp_path / "mono"), monkeypatch)
    looked: list[str] = []
    real = paths.RepoPaths._from_root

    def from_root(self: paths.RepoPaths, file: str) -> str | None:
        looked.append(file)
        return real(self, file)

    monkeypatch.setattr(paths.RepoPaths, "_from_root", from_root)
    monkeypatch.setattr(github, "CHUNK", 700)
    files = ["plans/broken.yaml", "plans/plans.yaml"]
    for render, named in ((github.render, files), (junit.render, files),
                          (sarif.render, files), (markdown.render, files[:1])):
        looked.clear()
        render(report)
        assert sorted(looked) == named  # the comment names the files of problems only


def test_the_fast_and_the_reference_rendering_agree_in_a_subfolder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _many_findings(_repository(tmp_path / "mono"), monkeypatch)
    assert junit.render(report) == junit._render_plain(report)
    fast = github.render(report)
    monkeypatch.setattr(github, "annotation_array", lambda *args, **kwargs: None)
    assert github.render(report) == fast
    assert fast.count("file=services/payroll/plans/plans.yaml,") == 5000


def test_sarif_names_a_file_as_the_other_formats_do(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    service = _repository(tmp_path / "mono")
    monkeypatch.chdir(service)
    out = tmp_path / "out.sarif"
    assert main(["check", "plans", "--rules", str(PACK), "--quiet",
                 "--output", f"sarif:{out}"]) == 2
    uris = {location["physicalLocation"]["artifactLocation"]["uri"]
            for result in json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
            for location in result["locations"]}
    assert uris == {"services/payroll/plans/plans.yaml"}
