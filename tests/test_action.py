"""The composite GitHub action (action.yml): its inputs, and its check step run as the runner
runs it (bash -e, inputs as environment variables, $GITHUB_OUTPUT), writing the SARIF file
that the upload step sends to code scanning."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from ci_plans import good, risky, workdir, write

__all__ = ["workdir"]
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text())  # type: ignore[no-any-return]


def step(name: str) -> dict[str, Any]:
    [found] = [s for s in action()["runs"]["steps"] if s.get("name") == name]
    return found  # type: ignore[no-any-return]


def run_check_step(folder: Path, inputs: dict[str, str], bin_dir: Path = BIN
                   ) -> tuple[int, str, str]:
    """The 'Check the plans' step with these inputs (defaults for the others), finding
    policycheck in ``bin_dir``; returns the exit-code output, the SARIF path and the step's
    stdout."""
    defaults = {k: str(v.get("default", "")) for k, v in action()["inputs"].items()}
    values = defaults | inputs
    definition = step("Check the plans")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHECK_")}
    for name, expression in definition["env"].items():
        key = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expression)
        assert key, expression  # every input reaches the script as a variable, nothing else
        env[name] = values[key.group(1)]
    env["GITHUB_OUTPUT"] = str(folder / "github_output")
    env["XDG_CACHE_HOME"] = str(folder / ".runner-cache")  # the runner's own key, not ours
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                             definition["run"]], cwd=folder, env=env, capture_output=True,
                            text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr  # the step itself never fails
    output = (folder / "github_output").read_text()
    (folder / "github_output").unlink()
    code = re.fullmatch(r"exit-code=(\d)\n", output)
    assert code, output
    return int(code.group(1)), values["sarif-file"], result.stdout


def test_action_inputs_and_steps() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    assert list(data["inputs"]) == ["paths", "fail-on", "baseline", "waivers", "sarif-file",
                                    "upload-sarif", "python-version", "encoding", "cache-key"]
    restore = step("Restore the cache")  # only with a key: without one nothing could read it
    assert restore["if"] == "inputs.cache-key != ''"
    assert restore["uses"].startswith("actions/cache@")
    assert restore["with"] == {"path": ".policycheck_cache",
                               "key": "policycheck-${{ runner.os }}-${{ github.sha }}",
                               "restore-keys": "policycheck-${{ runner.os }}-"}
    names = [s.get("name") for s in data["runs"]["steps"]]
    assert names.index("Restore the cache") < names.index("Check the plans")
    install = step("Install policycheck")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert 'pip install' in install["run"] and '"$ACTION_PATH"' in install["run"]
    upload = step("Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert "always()" in upload["if"]
    fail = step("Fail on new findings")
    assert fail["if"] == "steps.check.outputs.exit-code != '0'"
    assert fail["env"]["CODE"] == "${{ steps.check.outputs.exit-code }}"


def test_check_step_writes_sarif_and_reports_new_findings(workdir: Path) -> None:
    write(workdir, {"plans/a.yaml": good("a-2027"), "more/b.yaml": good("b-2027")})
    code, sarif, _ = run_check_step(workdir, {"paths": "plans\n more/b.yaml"})
    assert code == 0
    log = json.loads((workdir / sarif).read_text())
    assert log["version"] == "2.1.0"
    assert log["runs"][0]["results"] == []

    write(workdir, {"more/b.yaml": risky("b-2027")})
    code, sarif, stdout = run_check_step(workdir, {"paths": "plans more",
                                                   "sarif-file": "out.sarif"})
    assert code == 1
    results = json.loads((workdir / "out.sarif").read_text())["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["claw.none", "cs.handle-time",
                                                    "gate.missing"]
    assert "::error" in stdout  # --format github: annotations on the pull request

    # A baseline accepts today's findings: the next run passes.
    subprocess.run([str(BIN / "policycheck"), "check", "plans", "--write-baseline",
                    "baseline.json", "more"], cwd=workdir, capture_output=True, check=True)
    assert run_check_step(workdir, {"paths": "plans more", "baseline": "baseline.json"})[0] == 0
    assert run_check_step(workdir, {"paths": "more", "fail-on": "none"})[0] == 0


def test_check_step_with_waivers_and_bad_input(workdir: Path) -> None:
    write(workdir, {"plans/b.yaml": risky("b-2027"), "ci/waivers.yaml": """\
        waivers:
          - {rule: gate.missing, plan: "b-*", reason: r, owner: o, expires: 2999-01-01}
        """})
    assert run_check_step(workdir, {"paths": "plans", "waivers": "ci/waivers.yaml"})[0] == 0
    write(workdir, {"plans/c.yaml": "plan: {id: c}\n"})
    assert run_check_step(workdir, {"paths": "plans"})[0] == 2


def test_check_step_reads_exports_in_the_encoding_named(workdir: Path) -> None:
    """Tables exported by Excel on Windows (Windows-1252) stop the check (exit 2) unless the
    action's encoding input names their encoding, which reaches policycheck as
    POLICYCHECK_ENCODING; a name that is no encoding stops it too."""
    assert step("Check the plans")["env"]["POLICYCHECK_ENCODING"] == "${{ inputs.encoding }}"
    (workdir / "tables").mkdir()
    (workdir / "tables/plans.csv").write_bytes(
        "id,name,role_kind,base_pay,target_variable\n"
        "p1,Prime d'efficacit\xe9,service,30000,0\n".encode("cp1252"))
    assert run_check_step(workdir, {"paths": "tables"})[0] == 2
    assert run_check_step(workdir, {"paths": "tables", "encoding": "cp1252"})[0] == 0
    assert run_check_step(workdir, {"paths": "tables", "encoding": "base64"})[0] == 2


def test_check_step_signs_its_cache_with_the_cache_key(workdir: Path) -> None:
    """The secret reaches policycheck as POLICYCHECK_CACHE_KEY: the cache the next job
    restores is written, and a key too short to be a secret stops the check (exit 2)."""
    assert step("Check the plans")["env"]["POLICYCHECK_CACHE_KEY"] == "${{ inputs.cache-key }}"
    write(workdir, {"plans/a.yaml": good("a-2027")})
    key = "0123456789abcdef" * 2
    assert run_check_step(workdir, {"paths": "plans", "cache-key": key})[0] == 0
    assert sorted(p.parent.name for p in (workdir / ".policycheck_cache").rglob("*.pack")) == [
        "model", "yaml"]
    assert not (workdir / ".runner-cache" / "policycheck").exists()  # the secret signed them
    assert run_check_step(workdir, {"paths": "plans", "cache-key": key[:20]})[0] == 2


def argv_of_check_step(folder: Path, paths: str) -> list[str]:
    """The arguments that the check step, given this ``paths`` input, passes to policycheck
    (a stub that records them, in the folder ``.stub-bin``)."""
    stub_bin = folder / ".stub-bin"
    record = stub_bin / "argv.json"
    stub_bin.mkdir(exist_ok=True)
    (stub_bin / "policycheck").write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    (stub_bin / "policycheck").chmod(0o755)
    record.unlink(missing_ok=True)
    assert run_check_step(folder, {"paths": paths}, bin_dir=stub_bin)[0] == 0
    argv: list[str] = json.loads(record.read_text())
    assert argv[:6] == ["check", "--output", "sarif:policycheck.sarif", "--format", "github",
                        "--"]
    return argv[6:]


def test_check_step_takes_one_path_per_line_spaces_and_all(workdir: Path) -> None:
    """Several lines: each line is one path, the spaces in it kept (as actions/upload-artifact
    reads its path input), whether or not the path exists; a name starting with '-' is no
    option, as it comes after '--'."""
    write(workdir, {"Sales plans/2027 bonus.yaml": good("a-2027")})
    assert argv_of_check_step(workdir, "Sales plans/2027 bonus.yaml\nService plans\n-x y\n") == [
        "Sales plans/2027 bonus.yaml", "Service plans", "-x y"]
    assert argv_of_check_step(workdir, "Sales plans\nplans rules/extra") == [
        "Sales plans", "plans rules/extra"]


def test_check_step_takes_a_single_line_naming_a_folder_as_that_folder(workdir: Path) -> None:
    """One line that names an existing file or folder as a whole is that one path, even
    when its words name paths too; else its words are the paths."""
    assert argv_of_check_step(workdir, "Sales plans") == ["Sales", "plans"]
    write(workdir, {"Sales plans/2027 bonus.yaml": good("a-2027"),
                    "Sales/a.yaml": good("b-2027"), "plans/c.yaml": good("c-2027")})
    assert argv_of_check_step(workdir, "Sales plans") == ["Sales plans"]
    assert argv_of_check_step(workdir, "  Sales plans \n") == ["Sales plans"]
    assert argv_of_check_step(workdir, "Sales plans/2027 bonus.yaml") == [
        "Sales plans/2027 bonus.yaml"]
    assert argv_of_check_step(workdir, "Sales  plans/c.yaml") == ["Sales", "plans/c.yaml"]


def test_check_step_splits_a_single_line_at_spaces_as_before(workdir: Path) -> None:
    write(workdir, {"plans/a.yaml": good("a-2027")})
    assert argv_of_check_step(workdir, "plans rules/extra") == ["plans", "rules/extra"]
    assert argv_of_check_step(workdir, " plans \t rules/extra  -x\n") == [
        "plans", "rules/extra", "-x"]
    assert argv_of_check_step(workdir, ".") == ["."]  # the default


def test_check_step_ignores_blank_lines_and_the_whitespace_around_a_path(
        workdir: Path) -> None:
    assert argv_of_check_step(workdir, "\n  plans  \n\n\t more/b.yaml\t \r\n \n") == [
        "plans", "more/b.yaml"]
    assert argv_of_check_step(workdir, "\n\n  plans more  \n \n") == ["plans", "more"]
    assert argv_of_check_step(workdir, "") == []
    assert argv_of_check_step(workdir, " \n\t\n") == []


def test_check_step_never_expands_or_evaluates_a_path(workdir: Path) -> None:
    """Globs, variables, command substitutions and quotes reach policycheck as written."""
    write(workdir, {"plans/a.yaml": good("a-2027"), "plans/b.yaml": good("b-2027")})
    assert argv_of_check_step(workdir, "plans/*.yaml\nplans/[ab].yaml\nplans/?.yaml") == [
        "plans/*.yaml", "plans/[ab].yaml", "plans/?.yaml"]
    assert argv_of_check_step(workdir, "plans/*.yaml") == ["plans/*.yaml"]
    assert argv_of_check_step(workdir, "plans/*.yaml plans/{a,b}.yaml") == [
        "plans/*.yaml", "plans/{a,b}.yaml"]
    hostile = ["$(touch pwned)", "`touch pwned`", "$HOME", "a; touch pwned", "'q' \"q\" \\x",
               "~"]
    assert argv_of_check_step(workdir, "\n".join(hostile)) == hostile
    assert argv_of_check_step(workdir, "$(touch pwned) ~ $HOME") == [
        "$(touch", "pwned)", "~", "$HOME"]
    assert not (workdir / "pwned").exists()


def test_check_step_checks_a_folder_with_a_space_in_its_name(workdir: Path) -> None:
    """End to end: the plans in "Sales plans" are checked, given on a line of their own or
    as the whole input."""
    write(workdir, {"Sales plans/2027 bonus.yaml": risky("b-2027"),
                    "Service plans/a.yaml": good("a-2027")})
    assert run_check_step(workdir, {"paths": "Sales plans"})[0] == 1
    code, sarif, _ = run_check_step(workdir, {"paths": "Service plans\n"
                                                       "Sales plans/2027 bonus.yaml\n"})
    assert code == 1
    results = json.loads((workdir / sarif).read_text())["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in results} == {"Sales%20plans/2027%20bonus.yaml"}
    assert run_check_step(workdir, {"paths": "Service plans"})[0] == 0
