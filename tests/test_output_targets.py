"""No output replaces a file the run reads: the plans, KPI catalogs and employee tables,
the config file, every rule file of its packs, the waivers file, the baseline it reads and
the KPI actuals. Only the plan files were refused: `-o json:policycheck.yaml` replaced the
config with a report (exit 0), `--write-baseline waivers.yaml` the waivers, and
`rules docs -o` a rule file it had just documented."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ci_plans import risky, run, workdir, write
from conftest import ROOT

__all__ = ["workdir"]

RULE = "pack/cs/cs.handle-time.yaml"


@pytest.fixture
def inputs(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A config naming a waivers file, a plan, a KPI catalog, a rule pack, KPI actuals
    and a baseline."""
    write(workdir, {"plans/a.yaml": risky("a-2027"),
                    "plans/kpis.yaml": """\
                        kpis:
                          - {id: our_kpi, name: Ours, category: speed, direction: lower,
                             unit: seconds, data_source: system}
                        """,
                    "policycheck.yaml": "waivers: waivers.yaml\n",
                    "waivers.yaml": """\
                        waivers:
                          - {rule: gate.missing, plan: a-2027, reason: r, owner: o,
                             expires: 2999-12-31}
                        """,
                    "actuals.csv": "employee_id,plan_id,period,kpi,value\n"})
    (workdir / "pack" / "cs").mkdir(parents=True)
    shutil.copy(ROOT / "rules" / "cs" / "cs.handle-time.yaml", workdir / RULE)
    shutil.copy(ROOT / "rules" / "_coverage.yaml", workdir / "pack" / "_coverage.yaml")
    assert run(capsys, "check", "plans", "--write-baseline", "baseline.json", "-q")[0] == 0
    return workdir


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".git" not in p.parts}


@pytest.mark.parametrize("argv, target", [
    (["check", "plans", "-o", "json:policycheck.yaml"], "policycheck.yaml"),
    (["export", "plans", "--xlsx", "policycheck.yaml"], "policycheck.yaml"),  # read: encoding
    (["check", "plans", "--write-baseline", "policycheck.yaml"], "policycheck.yaml"),
    (["check", "plans", "--rules", "pack", "-o", f"json:{RULE}"], RULE),
    (["check", "plans", "--rules", RULE, "--write-baseline", RULE], RULE),
    (["check", "plans", "--rules", "pack", "-o", "json:pack/_coverage.yaml"],
     "pack/_coverage.yaml"),
    (["check", "plans", "-o", "json:waivers.yaml"], "waivers.yaml"),
    (["check", "plans", "--write-baseline", "waivers.yaml"], "waivers.yaml"),
    (["check", "plans", "--baseline", "baseline.json", "-o", "json:baseline.json"],
     "baseline.json"),
    (["check", "plans", "--baseline", "baseline.json", "--write-baseline", "waivers.yaml"],
     "waivers.yaml"),
    # the plans' files are known once read: refused before the baseline is written
    (["check", "plans", "--write-baseline", "new.json", "-o", "json:plans/kpis.yaml"],
     "plans/kpis.yaml"),
    (["report", "plans", "-o", "policycheck.yaml"], "policycheck.yaml"),
    (["report", "plans", "--rules", "pack", "-o", RULE], RULE),
    (["report", "plans", "--baseline", "baseline.json", "-o", "baseline.json"],
     "baseline.json"),
    (["report", "plans", "--actuals", "actuals.csv", "-o", "actuals.csv"], "actuals.csv"),
    (["analyze", "plans", "--actuals", "actuals.csv", "-o", "json:policycheck.yaml"],
     "policycheck.yaml"),
    (["analyze", "plans", "--actuals", "actuals.csv", "-o", "csv:actuals.csv"],
     "actuals.csv"),
    (["rules", "docs", "--rules", "pack", "-o", RULE], RULE),
    (["rules", "docs", "--rules", "pack", "-o", "pack/_coverage.yaml"], "pack/_coverage.yaml"),
    (["rules", "docs", "-o", "policycheck.yaml"], "policycheck.yaml"),
])
def test_an_input_is_refused_as_an_output_before_anything_is_written(
        inputs: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
        target: str) -> None:
    before = _files(inputs)
    assert run(capsys, *argv) == (
        2, "", f"policycheck: error: {target}: is one of the input files; refusing to "
               "overwrite it: expected another output file\n")
    assert _files(inputs) == before  # nothing changed, nothing new (new.json)


def test_a_json_report_saved_among_the_plans_as_yaml_is_written_again(
        inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON is YAML: `-o json:plans/report.yaml` was read by the next run as an unknown
    file, so it counted as an input and the same command was refused ever after."""
    argv = ["check", "plans", "-o", "json:plans/report.yaml"]
    assert run(capsys, *argv)[::2] == (0, "")
    first = json.loads((inputs / "plans/report.yaml").read_bytes())
    assert run(capsys, *argv)[::2] == (0, "")
    again = json.loads((inputs / "plans/report.yaml").read_bytes())
    assert again["findings"] == first["findings"] and again["summary"] == first["summary"]
    assert [p["code"] for p in again["problems"]] == ["unrecognised-file"]
    code, out, _ = run(capsys, "validate", "plans")
    assert (code, out.splitlines()[0]) == (
        0, "plans/report.yaml: warning: is a report policycheck wrote (its version, summary "
           "and findings), not plans; skipped [unrecognised-file]")
    assert out.splitlines()[-1].startswith("Read 1 plan from 2 files")
    code, out, _ = run(capsys, "validate", "plans/report.yaml")
    assert (code, out.splitlines()[0]) == (
        2, "plans/report.yaml: error: is a report policycheck wrote (its version, summary "
           "and findings), not plans: expected the plans it reports on [unrecognised-file]")


def test_a_file_of_the_built_in_pack_is_refused(inputs: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from policycheck.rulepacks import default_pack

    target = default_pack() / "cs" / "cs.handle-time.yaml"
    before = target.read_bytes()
    assert run(capsys, "check", "plans", "-o", f"json:{target}") == (
        2, "", f"policycheck: error: {target}: is one of the input files; refusing to "
               "overwrite it: expected another output file\n")
    assert target.read_bytes() == before


def test_the_baseline_read_may_be_written_again(inputs: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`--baseline FILE --write-baseline FILE` updates a baseline: the file is read whole
    before the run, and the findings it baselined are recorded again with the new ones."""
    write(inputs, {"plans/b.yaml": risky("b-2027")})
    code, _, err = run(capsys, "check", "plans", "--baseline", "baseline.json",
                       "--write-baseline", "baseline.json", "-q")
    assert (code, err) == (0, "")
    run(capsys, "check", "plans", "--write-baseline", "fresh.json", "-q")
    assert (inputs / "baseline.json").read_bytes() == (inputs / "fresh.json").read_bytes()
    # every finding but a-2027's waived gate.missing
    assert (inputs / "baseline.json").read_text().count('"fingerprint"') == 5
