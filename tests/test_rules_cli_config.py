"""``rules list``, ``explain`` and ``docs`` describe the rules ``check`` runs: the packs of
its settings (flags > POLICYCHECK_RULES > policycheck.yaml > the built-in pack), with the
config file's severity and parameters; ``default`` names the built-in pack everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ci_plans import risky, run, workdir, write
from conftest import ROOT

from policycheck.ruleset import load_rules

__all__ = ["workdir"]

TITLE = "Handle time is paid without an equal resolution or quality counterweight"
#: ``rules list`` of the organisation's pack alone: its one rule, 'org.aht-heavy'.
ORG_ROW = f"org.aht-heavy  medium    component    {TITLE}"
HEADER = "ID             SEVERITY  SCOPE        TITLE"


@pytest.fixture
def org(workdir: Path) -> Path:
    """A project whose policycheck.yaml extends the built-in pack with ./myrules, which
    holds one rule: cs.handle-time under the id 'org.aht-heavy'."""
    text = (ROOT / "rules" / "cs" / "cs.handle-time.yaml").read_text(encoding="utf-8")
    assert "id: cs.handle-time\n" in text
    (workdir / "myrules" / "org").mkdir(parents=True)
    (workdir / "myrules" / "org" / "org.aht-heavy.yaml").write_text(
        text.replace("id: cs.handle-time\n", "id: org.aht-heavy\n"), encoding="utf-8")
    write(workdir, {"policycheck.yaml": "rules: {extends: [default, ./myrules]}\n",
                    "plans/risky.yaml": risky()})
    return workdir


def built_in() -> int:
    return len(load_rules())


def test_rules_list_shows_the_rules_of_the_config_file(
        org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rules", "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[-1] == f"{built_in() + 1} rules."
    assert [line.split()[:3] for line in lines if line.startswith("org.")] == [
        ["org.aht-heavy", "medium", "component"]]


def test_rules_explain_and_docs_know_the_rules_check_runs(
        org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "plans", "--select", "org", "--format", "json")
    assert (code, err) == (0, "")
    assert '"rule_id": "org.aht-heavy"' in out
    code, out, err = run(capsys, "rules", "explain", "org.aht-heavy")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:2] == [f"org.aht-heavy: {TITLE}",
                         "  severity: medium    scope: component    patterns: A30"]
    assert lines[-1] == "Defined in myrules/org/org.aht-heavy.yaml"
    code, out, err = run(capsys, "rules", "docs")
    assert (code, err) == (0, "")
    assert "### org.aht-heavy" in out.splitlines()
    assert "### cs.handle-time" in out.splitlines()


def test_flags_and_the_environment_come_before_the_config_file(
        org: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, "rules", "list", "--rules", "myrules") == (
        0, f"{HEADER}\n{ORG_ROW}\n1 rule.\n", "")
    monkeypatch.setenv("POLICYCHECK_RULES", "default")
    code, out, _ = run(capsys, "rules", "list")
    assert (code, out.splitlines()[-1]) == (0, f"{built_in()} rules.")
    code, out, err = run(capsys, "rules", "explain", "org.aht-heavy")
    assert (code, out) == (2, "")
    assert err == ("policycheck: error: unknown rule 'org.aht-heavy' (see 'policycheck rules "
                   "list')\n")


def test_config_flag_of_the_rules_commands(
        org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(org, {"ours.yaml": "rules: {extends: [./myrules]}\n"})
    expected = (0, f"{HEADER}\n{ORG_ROW}\n1 rule.\n", "")
    assert run(capsys, "rules", "list", "--config", "ours.yaml") == expected
    assert run(capsys, "--config", "ours.yaml", "rules", "list") == expected
    code, out, _ = run(capsys, "rules", "docs", "--config", "ours.yaml")
    assert (code, [line for line in out.splitlines() if line.startswith("### ")]) == (
        0, ["### org.aht-heavy"])
    assert run(capsys, "rules", "explain", "x", "--config", "nope.yaml") == (
        2, "", "policycheck: error: --config nope.yaml: no such config file\n")


def test_default_names_the_built_in_pack_everywhere(
        org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rules", "test", "default")
    assert (code, out.splitlines()[-1], err) == (0, f"{built_in()} rules passed, 0 failed.", "")
    assert run(capsys, "rules", "test", "./myrules") == (
        0, "ok   org.aht-heavy (5 examples)\n1 rule passed, 0 failed.\n", "")
    code, out, _ = run(capsys, "rules", "test", "default", "myrules")
    assert (code, out.splitlines()[-1]) == (0, f"{built_in() + 1} rules passed, 0 failed.")
    code, out, err = run(capsys, "rules", "list", "--rules", "default", "--rules", "myrules")
    assert (code, out.splitlines()[-1], err) == (0, f"{built_in() + 1} rules.", "")


def test_rules_test_reads_no_config_file(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It tests the rule files as written: the built-in pack unless packs are named."""
    write(org, {"policycheck.yaml": "rules: {extends: [./myrules]}\n"})
    code, out, _ = run(capsys, "rules", "test")
    assert (code, out.splitlines()[-1]) == (0, f"{built_in()} rules passed, 0 failed.")


def test_the_config_files_severity_and_params_are_shown(
        org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """list shows the severity check uses, marked; explain shows the rule's own and then
    what the config file sets, with its line."""
    write(org, {"policycheck.yaml": """\
        rules: {extends: [./myrules]}
        severity: {org.aht-heavy: high}
        params:
          org.aht-heavy: {handle_time_kpis: [aht, talk_time]}
        select: [nothing-of-ours]
        """})
    assert run(capsys, "rules", "list") == (
        0, f"{HEADER}\n{ORG_ROW.replace('medium   ', 'high*    ')}\n"
           "1 rule. * severity set in policycheck.yaml.\n", "")
    code, out, err = run(capsys, "rules", "explain", "org.aht-heavy")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1] == "  severity: medium    scope: component    patterns: A30"
    assert lines[-5:] == ["Defined in myrules/org/org.aht-heavy.yaml", "",
                          "Set in policycheck.yaml, as check runs it",
                          "  severity: high (policycheck.yaml:2)",
                          "  handle_time_kpis: ['aht', 'talk_time'] (policycheck.yaml:4)"]


def test_a_config_file_naming_a_rule_not_in_the_packs_stops_as_check_does(
        org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rule of the file's packs that is not there is an error; the rules of packs that a
    flag replaced are left aside, in rules list as in check."""
    write(org, {"policycheck.yaml": "rules: {extends: [default, ./myrules]}\n"
                                    "severity: {org.aht-heavy: low, org.ah-heavy: low}\n"})
    expected = ("policycheck.yaml:2:32: error: 'severity': no rule 'org.ah-heavy'; did you mean "
                "'org.aht-heavy'? [config-rule]\npolicycheck: error: the config file "
                "policycheck.yaml is not valid\n")
    assert run(capsys, "rules", "list") == (2, "", expected)
    code, _, err = run(capsys, "check", "plans")
    assert (code, err) == (2, expected)
    code, out, err = run(capsys, "rules", "list", "--rules", "default")
    assert (code, err) == (0, "") and "org.aht-heavy" not in out
    assert run(capsys, "check", "plans", "--rules", "default")[2] == ""


def test_a_pack_outside_the_current_folder_is_named_from_it(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of `--rules ../packs/ours` was said to be at ours/org.bad.yaml, a path that
    leads nowhere from the folder the run is in; the built-in pack keeps its short name."""
    rule = (ROOT / "rules/cs/cs.handle-time.yaml").read_text("utf-8")
    write(workdir, {"packs/ours/org.bad.yaml": rule.replace("id: cs.handle-time", "id: x"),
                    "work/plans/p.yaml": risky()})
    monkeypatch.chdir(workdir / "work")
    code, _, err = run(capsys, "check", "plans", "--rules", "../packs/ours")
    assert code == 2 and err.startswith("../packs/ours/org.bad.yaml:1:1: error: ")
    code, out, _ = run(capsys, "rules", "explain", "cs.handle-time")
    assert "Defined in rules/cs/cs.handle-time.yaml" in out


def test_explain_and_docs_refuse_a_rule_check_refuses(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`rules explain` and `rules docs` exited 0 on a rule whose condition does not compile,
    and docs wrote a reference of it, while check refused it."""
    rule = (ROOT / "rules/cs/cs.handle-time.yaml").read_text("utf-8")
    rule = "\n".join("condition: kpi.categry == 'speed'" if line.startswith("condition:")
                     else line for line in rule.replace("id: cs.handle-time",
                                                        "id: org.b").splitlines())
    write(workdir, {"pack/org.b.yaml": rule + "\n"})
    line = 1 + rule.splitlines().index("condition: kpi.categry == 'speed'")
    said = (f"pack/org.b.yaml:{line}:12: error: condition: unknown name 'kpi.categry' in the "
            "component scope; did you mean 'kpi.category'? [rule-expression]")
    for argv in (["explain", "org.b"], ["docs", "-o", "RULES.md"]):
        code, out, err = run(capsys, "rules", *argv, "--rules", "pack")
        assert (code, out) == (2, "") and err.splitlines()[0] == said
    assert not (workdir / "RULES.md").exists()


def test_rules_list_marks_the_rules_check_does_not_run(
        org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/ci.md says these commands describe what check runs, yet a rule the config
    ignores was listed like the others, and the JSON said nothing of set severities."""
    write(org, {"policycheck.yaml": "rules: {extends: [default, ./myrules]}\n"
                                    "ignore: [org]\nseverity: {gate.missing: low}\n"})
    code, out, _ = run(capsys, "rules", "list")
    lines = out.splitlines()
    assert code == 0 and lines[-1] == (f"{built_in() + 1} rules, 1 not run (select and "
                                       "ignore). * severity set in policycheck.yaml.")
    assert next(line for line in lines if line.startswith("org.")).endswith(
        "  (not run: select/ignore)")
    code, out, _ = run(capsys, "rules", "list", "--format", "json")
    listed = {rule["id"]: rule for rule in json.loads(out)}
    assert (listed["org.aht-heavy"]["runs"], listed["gate.missing"]["runs"]) == (False, True)
    assert (listed["gate.missing"]["severity"], listed["gate.missing"]["severity_set"]) == (
        "low", True)
