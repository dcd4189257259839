"""The pre-commit hook, run exactly as pre-commit runs it: the hook definition read from
.pre-commit-hooks.yaml, the changed files filtered by its `files` and `exclude`, the command
line built from `entry` + `args` + the file names, one process (`require_serial`).

pre-commit itself is not used: `pre-commit try-repo` installs the hook's package with its
dependencies from the network, and the suite runs offline. The policycheck installed in the
test environment stands in for the one pre-commit would install.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_plans import good, risky, workdir, write

__all__ = ["workdir"]
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def hook() -> dict[str, Any]:
    [definition] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return definition  # type: ignore[no-any-return]


def selected(files: list[str], definition: dict[str, Any]) -> list[str]:
    """The files pre-commit hands the hook: `files` matches, `exclude` does not (re.search,
    as pre-commit does)."""
    include = re.compile(definition.get("files", ""))
    exclude = re.compile(definition.get("exclude", "^$"))
    return [f for f in files if include.search(f) and not exclude.search(f)]


def run_hook(repo: Path, changed: list[str],
             args: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    definition = hook()
    files = selected(changed, definition)
    command = shlex.split(definition["entry"]) + (args or definition.get("args", []))
    if definition.get("pass_filenames", True):
        command += files
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHECK_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True,
                          check=False, timeout=300)


def test_hook_definition() -> None:
    definition = hook()
    assert {k: definition[k] for k in ("id", "entry", "language", "pass_filenames",
                                       "require_serial")} == {
        "id": "policycheck", "entry": "policycheck check", "language": "python",
        "pass_filenames": True, "require_serial": True}
    changed = ["plans/a.yaml", "plans/b.yml", "hr/plans.csv", "hr/company.xlsx",
               "policycheck.yaml", "ci/policycheck.yml", "waivers.yaml", "plans/waivers.yml",
               ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", "action.yml",
               ".github/workflows/policycheck.yml", "README.md", "src/app.py",
               "plans/my-waivers.yaml"]
    assert selected(changed, definition) == ["plans/a.yaml", "plans/b.yml", "hr/plans.csv",
                                             "hr/company.xlsx", "plans/my-waivers.yaml"]


@pytest.fixture
def repo(workdir: Path) -> Path:
    return write(workdir, {
        "plans/good.yaml": good(), "plans/risky.yaml": risky(),
        "policycheck.yaml": "fail_on: high\nwaivers: waivers.yaml\n",
        "waivers.yaml": "waivers: []\n", "README.md": "# plans\n",
        ".github/workflows/policycheck.yml": "name: policycheck\n"})


def test_hook_checks_the_changed_plan_files(repo: Path) -> None:
    result = run_hook(repo, ["plans/good.yaml", "policycheck.yaml", "waivers.yaml",
                             "README.md", ".github/workflows/policycheck.yml"])
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == ("Checked 1 of 1 plan with 45 rules: 0 findings (none).\n"
                             "0 findings at or above 'high'.\n")
    result = run_hook(repo, ["plans/good.yaml", "plans/risky.yaml"])
    assert result.returncode == 1
    assert ("plans/risky.yaml:4:3: high gate.missing: plan 'risky-2027': 40% of variable pay "
            "rides on speed, cost or sales measures and no quality, outcome or compliance gate "
            "applies to any of it (0 gates in the plan)") in result.stdout.splitlines()
    assert result.stdout.splitlines()[-2:] == [
        "Checked 2 of 2 plans with 45 rules: 3 findings (1 high, 2 medium).",
        "1 finding at or above 'high'."]


def test_hook_uses_the_config_and_waivers_of_the_repository(repo: Path) -> None:
    write(repo, {"waivers.yaml": """\
        waivers:
          - {rule: gate.missing, plan: risky-2027, reason: r, owner: o, expires: 2999-01-01}
        """})
    result = run_hook(repo, ["plans/risky.yaml", "waivers.yaml"])
    assert (result.returncode, result.stderr) == (0, "")


def test_hook_with_a_catalog_in_args_reads_it_once(repo: Path) -> None:
    catalog = (ROOT / "sample_data" / "yaml" / "kpis.yaml").read_text()
    # page load time, lower is better: its threshold above its target (2 s, paid from 3 s)
    write(repo, {"plans/kpis.yaml": catalog, "plans/web.yaml": good("web-2027").replace(
        "kpi: qa_score\n      weight: 25%", "kpi: page_load_time\n      weight: 25%").replace(
        "target: 90\n      threshold: 75", "target: 2\n      threshold: 3")})
    result = run_hook(repo, ["plans/web.yaml"])
    assert result.returncode == 2
    assert "unknown KPI 'page_load_time'" in result.stdout
    result = run_hook(repo, ["plans/web.yaml", "plans/kpis.yaml"],
                      args=["plans/kpis.yaml"])
    assert (result.returncode, result.stderr) == (0, ""), result.stdout


def test_a_file_that_cannot_be_read_says_the_run_fails(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hook given one changed file that is no YAML: the summary said "Checked 0 of 0
    plans ... 0 findings at or above 'high'.", which reads as a pass, though it exits 2."""
    from ci_plans import run

    write(workdir, {"plans/broken.yaml": "plan:\n  id: [\n", "plans/good.yaml": good()})
    assert run(capsys, "check", "plans/broken.yaml") == (2, (
        "plans/broken.yaml:3:1: error: YAML syntax error: while parsing a flow node; did not "
        "find expected node content [yaml-syntax]\n"
        "Checked 0 of 0 plans with 45 rules: 0 findings (none).\n"
        "1 file could not be read: see the errors above.\n"
        "1 error above: the run fails until it is fixed.\n"
        "0 findings at or above 'high'.\n"), "")
    code, out, _ = run(capsys, "check", "plans")
    assert code == 2 and out.endswith(
        "Checked 1 of 1 plan with 45 rules: 0 findings (none).\n"
        "1 file could not be read: see the errors above.\n"
        "1 error above: the run fails until it is fixed.\n"
        "0 findings at or above 'high'.\n")
