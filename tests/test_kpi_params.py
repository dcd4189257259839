"""List parameters a rule looks KPI ids up in (``kpi.id in param.attach_kpis``): an item that
is no KPI of the catalog matched nothing, so a misspelt id left the rule blind to the KPI
meant, and nothing said so. It is a warning where the value was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ci_plans import risky, run, workdir, write

__all__ = ["workdir"]

HINT = ("is no KPI of the built-in library or of the plans read, so the rule matches nothing "
        "by it")


def test_a_misspelt_kpi_in_the_config_is_a_warning_at_its_line(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/p.yaml": risky(), "policycheck.yaml": """\
        params:
          sales.attach-rate:
            attach_kpis: [attach_rte, opt_in_rate]
        """})
    code, out, err = run(capsys, "check", "plans")
    assert code == 1 and err == ""
    assert out.splitlines()[0] == (
        "policycheck.yaml:3:5: warning: rule 'sales.attach-rate', parameter 'attach_kpis': "
        f"'attach_rte' {HINT}; did you mean 'attach_rate'? [unknown-kpi-param]")
    assert out.count("[unknown-kpi-param]") == 1  # opt_in_rate is a KPI of the library


def test_a_misspelt_kpi_in_a_flag_is_said_at_the_flag(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/p.yaml": risky()})
    code, out, _ = run(capsys, "check", "plans", "--format", "json",
                       "--param", "counterweight.remedy-cost.counterweight_kpis=qa_scor")
    assert code == 1
    assert '"file": "--param counterweight.remedy-cost.counterweight_kpis"' in out
    assert f"'qa_scor' {HINT}; did you mean 'qa_score'?" in out


def test_a_flag_is_no_file_in_an_annotation_or_in_sarif(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GitHub and code scanning look an annotation's file up in the repository: a flag has
    none, so the warning goes on the run, the flag said first."""
    write(workdir, {"plans/p.yaml": risky()})
    flag = ["--param", "counterweight.remedy-cost.counterweight_kpis=qa_scor"]
    _, out, _ = run(capsys, "check", "plans", "--format", "github", *flag)
    assert out.splitlines()[0] == (
        "::warning title=policycheck unknown-kpi-param::--param "
        "counterweight.remedy-cost.counterweight_kpis: rule 'counterweight.remedy-cost', "
        f"parameter 'counterweight_kpis': 'qa_scor' {HINT}; did you mean 'qa_score'?")
    _, out, _ = run(capsys, "check", "plans", "--format", "sarif", *flag)
    run_ = json.loads(out)["runs"][0]
    [said] = run_["invocations"][0]["toolExecutionNotifications"]
    assert said == {"level": "warning", "descriptor": {"id": "unknown-kpi-param"},
                    "message": {"text": "--param counterweight.remedy-cost.counterweight_kpis: "
                                "rule 'counterweight.remedy-cost', parameter "
                                f"'counterweight_kpis': 'qa_scor' {HINT}; did you mean "
                                "'qa_score'?"}}
    assert "--param" not in json.dumps(run_.get("artifacts", []))


def test_a_kpi_the_plans_define_is_known(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The organisation's own KPIs count, wherever the plans read define them; the
    defaults of the default pack are all KPIs of the library."""
    catalog = (Path(__file__).parents[1] / "sample_data/yaml/kpis.yaml").read_text("utf-8")
    write(workdir, {"plans/p.yaml": risky(), "plans/kpis.yaml": catalog,
                    "policycheck.yaml": """\
        params:
          sales.attach-rate:
            attach_kpis: [web_conversion]
        """})
    code, out, _ = run(capsys, "check", "plans")
    assert code == 1 and "warning" not in out
    (workdir / "plans/kpis.yaml").unlink()
    code, out, _ = run(capsys, "check", "plans")
    assert f"'web_conversion' {HINT}; did you mean 'conversion_rate'? [unknown-kpi-param]" in out


def test_a_misspelt_kpi_id_written_in_an_expression_is_a_warning_at_it(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`when: kpi.id == 'ahtt'` matched nothing and the rule never fired, without a word;
    the same typo in a list parameter got a warning."""
    rule = (Path(__file__).parents[1] / "rules/cs/cs.handle-time.yaml").read_text("utf-8")
    when = "when: kpi.id == 'ahtt' or kpi.id in ['wrap_time', 'talktime']"
    rule = "\n".join(when if line.startswith("when:") else line
                     for line in rule.replace("id: cs.handle-time", "id: org.x").splitlines())
    write(workdir, {"plans/p.yaml": risky(), "pack/org.x.yaml": rule + "\n"})
    code, out, _ = run(capsys, "check", "plans", "--rules", "pack")
    assert code == 0
    line = 1 + rule.splitlines().index(when)
    assert out.splitlines()[:2] == [
        f"pack/org.x.yaml:{line}:17: warning: rule 'org.x', when: 'ahtt' is no KPI of the "
        "built-in library or of the plans read, so it matches nothing; did you mean 'aht'? "
        "[unknown-kpi-literal]",
        f"pack/org.x.yaml:{line}:51: warning: rule 'org.x', when: 'talktime' is no KPI of the "
        "built-in library or of the plans read, so it matches nothing; did you mean "
        "'talk_time'? [unknown-kpi-literal]"]
