"""policycheck.yaml, POLICYCHECK_* variables and flags: discovery, precedence, the `config`
command and the problems of a bad config file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ci_plans import refused_for_size, risky, run, workdir, write

from policycheck import limits
from policycheck.config import find_config, resolve

__all__ = ["workdir"]


# --- discovery ------------------------------------------------------------------------

def test_config_is_found_from_a_subfolder_and_its_paths_are_relative_to_it(
        workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(workdir, {"policycheck.yaml": "waivers: ci/waivers.yaml\n"
                                        "outputs: [sarif:reports/out.sarif]\n"})
    (workdir / "plans" / "deep").mkdir(parents=True)
    monkeypatch.chdir(workdir / "plans" / "deep")
    settings = resolve({})
    assert settings.config_file == "../../policycheck.yaml"
    assert settings["waivers"] == "../../ci/waivers.yaml"
    assert settings["outputs"] == ("sarif:../../reports/out.sarif",)
    assert settings.values["waivers"].source == "../../policycheck.yaml:1"


def test_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path, {"policycheck.yaml": "fail_on: low\n"})
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    assert find_config(repo / "sub") is None
    write(repo, {"policycheck.yml": "fail_on: low\n"})
    assert find_config(repo / "sub") == (repo / "policycheck.yml").resolve()


def test_config_flag_on_the_group_and_on_check(workdir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/risky.yaml": risky(), "strict.yaml": "fail_on: medium\n",
                    "lenient.yaml": "fail_on: none\n"})
    assert run(capsys, "check", "plans", "--select", "claw")[0] == 0
    assert run(capsys, "--config", "strict.yaml", "check", "plans", "--select", "claw")[0] == 1
    assert run(capsys, "--config", "strict.yaml", "check", "plans", "--select", "claw",
               "--config", "lenient.yaml")[0] == 0
    code, _, err = run(capsys, "check", "plans", "--config", "nope.yaml")
    assert (code, err) == (2, "policycheck: error: --config nope.yaml: no such config file\n")


def test_a_config_file_past_the_size_limit_stops_the_run(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found in the checkout, where a pull request may grow it: bounded as a YAML plan file
    is, before it is read."""
    write(workdir, {"plans/risky.yaml": risky(),
                    "policycheck.yaml": "fail_on: none\n# " + "x" * 11_000 + "\n"})
    assert run(capsys, "check", "plans")[0] == 0
    refused_for_size(capsys, "--config", "policycheck.yaml", "config file")
    code, out, err = run(capsys, "--max-file-size", "0.01", "check", "plans")
    assert (code, out) == (2, "")
    assert err.endswith("policycheck: error: policycheck.yaml: the config file is 11,017 "
                        "bytes; the limit is 10,485 (raise it with policycheck "
                        "--max-file-size MB)\n")


def test_a_config_file_of_any_name_has_the_yaml_limit(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A config named with another suffix is still YAML: not the much larger table limit."""
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10_000)
    write(workdir, {"plans/risky.yaml": risky(),
                    "strict.conf": "fail_on: none\n# " + "x" * 11_000 + "\n"})
    code, out, err = run(capsys, "--config", "strict.conf", "check", "plans")
    assert (code, out) == (2, "")
    assert err.endswith("policycheck: error: strict.conf: the config file is 11,017 bytes; "
                        "the limit is 10,000 (raise it with policycheck --max-file-size MB)\n")


# --- precedence ----------------------------------------------------------------------

CONFIG = """\
fail_on: medium
select: [gate, claw]
severity:
  gate.missing: low
  claw.none: info
params:
  cs.handle-time: {handle_time_kpis: [aht], min_survey_sample: 30}
warn_expiring: 30
"""


def test_precedence_flags_over_environment_over_file(
        workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"policycheck.yaml": CONFIG})
    monkeypatch.setenv("POLICYCHECK_FAIL_ON", "low")
    monkeypatch.setenv("POLICYCHECK_SELECT", "gate, cs")
    code, out, err = run(capsys, "config", "--format", "json", "--fail-on", "critical",
                         "--severity", "claw.none=high", "--param",
                         "cs.handle-time.min_survey_sample=40")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["config_file"], data["config_source"]) == (
        "policycheck.yaml", "found from the current folder")
    settings = {key: (item["value"], item["source"]) for key, item in data["settings"].items()}
    assert settings == {
        "rules": (["default"], "default"),
        "select": (["gate", "cs"], "env POLICYCHECK_SELECT"),
        "ignore": ([], "default"),
        "severity.claw.none": ("high", "flag --severity"),
        "severity.gate.missing": ("low", "policycheck.yaml:4"),
        "params.cs.handle-time.handle_time_kpis": (["aht"], "policycheck.yaml:7"),
        "params.cs.handle-time.min_survey_sample": ("40", "flag --param"),
        "fail_on": ("critical", "flag --fail-on"),
        "format": ("text", "default"),
        "outputs": ([], "default"),
        "waivers": (None, "default"),
        "baseline": (None, "default"),
        "warn_expiring": (30, "policycheck.yaml:8"),
        "waiver_max_days": (0, "default"),
        "encoding": (None, "default"),
    }


def test_config_text_output(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"policycheck.yaml": CONFIG})
    monkeypatch.setenv("POLICYCHECK_FAIL_ON", "low")
    code, out, _ = run(capsys, "config", "--ignore", "claw")
    assert code == 0
    assert out == """\
config file: policycheck.yaml (found from the current folder)
rules                                    default     default
select                                   gate, claw  policycheck.yaml:2
ignore                                   claw        flag --ignore
severity.claw.none                       info        policycheck.yaml:5
severity.gate.missing                    low         policycheck.yaml:4
params.cs.handle-time.handle_time_kpis   [aht]       policycheck.yaml:7
params.cs.handle-time.min_survey_sample  30          policycheck.yaml:7
fail_on                                  low         env POLICYCHECK_FAIL_ON
format                                   text        default
outputs                                  -           default
waivers                                  -           default
baseline                                 -           default
warn_expiring                            30          policycheck.yaml:8
waiver_max_days                          0           default
encoding                                 -           default
"""


def test_no_config_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config")
    assert code == 0
    assert out.splitlines()[:2] == ["config file: none found",
                                    "rules            default  default"]


def test_settings_of_the_file_reach_the_check(workdir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"policycheck.yaml": CONFIG, "plans/risky.yaml": risky()})
    code, out, _ = run(capsys, "check", "plans", "--format", "json")
    data = json.loads(out)
    assert [(f["rule_id"], f["severity"]) for f in data["findings"]] == [
        ("claw.none", "info"), ("gate.missing", "low")]
    assert (data["summary"]["fail_on"], data["summary"]["rules"], code) == ("medium", 5, 0)
    # A flag beats the file; the environment beats the file too.
    assert run(capsys, "check", "plans", "--fail-on", "low")[0] == 1


def test_outputs_of_the_file_are_written_relative_to_it(
        workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"policycheck.yaml": "outputs: [json:reports/findings.json]\n"
                                        "format: json\n",
                    "plans/risky.yaml": risky()})
    monkeypatch.chdir(workdir / "plans")
    code, out, _ = run(capsys, "check", ".", "--select", "gate")
    assert code == 1
    written = json.loads((workdir / "reports" / "findings.json").read_text())
    assert written == json.loads(out)
    assert [f["rule_id"] for f in written["findings"]] == ["gate.missing"]


def test_an_output_of_the_file_may_be_named_by_its_file_alone(
        workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``outputs: [reports/findings.json]``: the format is the one its extension names, and
    ``policycheck config`` shows it as FORMAT:FILE, relative to the current folder."""
    write(workdir, {"policycheck.yaml": "outputs: [reports/findings.json, ci.sarif.json]\n",
                    "plans/risky.yaml": risky()})
    monkeypatch.chdir(workdir / "plans")
    assert resolve({})["outputs"] == ("json:../reports/findings.json", "sarif:../ci.sarif.json")
    assert run(capsys, "check", ".", "--select", "gate", "--quiet")[0] == 1
    written = json.loads((workdir / "reports" / "findings.json").read_text())
    assert [f["rule_id"] for f in written["findings"]] == ["gate.missing"]
    assert json.loads((workdir / "ci.sarif.json").read_text())["version"] == "2.1.0"


def test_environment_lists_and_paths(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCHECK_IGNORE", "contest, weight.single-kpi")
    monkeypatch.setenv("POLICYCHECK_RULES", "default,./ours")
    monkeypatch.setenv("POLICYCHECK_OUTPUT", "sarif:a.sarif,junit:b.xml,c.md")
    monkeypatch.setenv("POLICYCHECK_WARN_EXPIRING", "7")
    settings = resolve({})
    assert settings["ignore"] == ("contest", "weight.single-kpi")
    assert settings["rules"] == ("default", "ours")
    assert settings["outputs"] == ("sarif:a.sarif", "junit:b.xml", "markdown:c.md")
    assert (settings["warn_expiring"], settings.values["warn_expiring"].source) == (
        7, "env POLICYCHECK_WARN_EXPIRING")


@pytest.mark.parametrize("name, value, message", [
    ("POLICYCHECK_FAIL_ON", "hgh", "POLICYCHECK_FAIL_ON='hgh': expected one of critical, high, "
                                   "medium, low, info, none; did you mean 'high'?"),
    ("POLICYCHECK_WARN_EXPIRING", "soon", "POLICYCHECK_WARN_EXPIRING='soon': expected a whole "
                                          "number of days, 0 or more"),
    # past int()'s 4,300 digits: an internal error (exit 3); the value shortened
    ("POLICYCHECK_WARN_EXPIRING", "9" * 4400, "POLICYCHECK_WARN_EXPIRING='" + "9" * 56
     + "...: expected a whole number of days, 0 or more"),
    ("POLICYCHECK_FORMAT", "sarf", "POLICYCHECK_FORMAT='sarf': expected one of text, json, "
                                   "csv, xlsx, sarif, junit, github, markdown; did you mean "
                                   "'sarif'?"),
    ("POLICYCHECK_CONFIG", "missing.yaml", "POLICYCHECK_CONFIG missing.yaml: no such config "
                                           "file"),
])
def test_bad_environment_variable(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str], name: str, value: str,
                                  message: str) -> None:
    monkeypatch.setenv(name, value)
    assert run(capsys, "config") == (2, "", f"policycheck: error: {message}\n")


# --- a bad config file ----------------------------------------------------------------

def test_bad_config_file_reports_every_problem_where_it_is(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"policycheck.yaml": """\
        rules:
          extend: [default]
        fail-on: high
        select: 5
        severity:
          weight.single-kpi: lowe
        outputs: [sarf:x.sarif]
        warn_expiring: soon
        fail_on: high
        fail_on: low
        """, "plans/risky.yaml": risky()})
    code, out, err = run(capsys, "check", "plans")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "policycheck.yaml:2:3: error: 'rules' is {'extend': ['default']}; expected "
        "{extends: [default, ./our-rules]}: rule packs, 'default' the built-in; did you mean "
        "'extends'? [config-type]",
        "policycheck.yaml:3:1: error: unknown key 'fail-on'; did you mean 'fail_on'? "
        "[config-key]",
        "policycheck.yaml:4:1: error: 'select' is 5; expected a list of rule ids or id "
        "prefixes [config-type]",
        "policycheck.yaml:6:3: error: 'severity' of 'weight.single-kpi' is 'lowe'; expected "
        "one of critical, high, medium, low, info; did you mean 'low'? [config-type]",
        "policycheck.yaml:7:11: error: 'outputs' item 1 is 'sarf:x.sarif'; expected "
        "FORMAT:FILE with FORMAT one of text, json, csv, xlsx, sarif, junit, github, markdown, "
        "or a FILE ending in .json, .sarif, .csv, .xlsx, .xml (junit), .md or .markdown "
        "(markdown), .txt (text); did you mean 'sarif'? [config-type]",
        "policycheck.yaml:8:1: error: 'warn_expiring' is 'soon'; expected a whole number of "
        "days, 0 or more [config-type]",
        "policycheck.yaml:10:1: error: duplicate key 'fail_on' (first at line 9); expected "
        "each key once in a mapping [duplicate-key]",
        "policycheck: error: the config file policycheck.yaml is not valid",
    ]


def test_unknown_rules_and_parameters_in_the_config_file(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"policycheck.yaml": """\
        select: [gate, gate.mising]
        severity:
          gate.missing: medium
          gat.missing: low
        params:
          cs.handle-time: {handle_time_kpis: 5, min_survey_sampel: 1}
          cs.x: {a: 1}
        """, "plans/risky.yaml": risky()})
    code, _, err = run(capsys, "check", "plans")
    assert code == 2
    assert err.splitlines() == [
        "policycheck.yaml:1:16: error: 'select': no rule matches 'gate.mising'; did you mean "
        "'gate.missing'? [config-rule]",
        "policycheck.yaml:4:3: error: 'severity': no rule 'gat.missing'; did you mean "
        "'gate.missing'? [config-rule]",
        "policycheck.yaml:6:20: error: 'params' of 'cs.handle-time.handle_time_kpis' must be "
        "a list, got 5 [config-rule]",
        "policycheck.yaml:6:41: error: 'params': rule 'cs.handle-time' has no parameter "
        "'min_survey_sampel'; did you mean 'min_survey_sample'?; it has handle_time_kpis, "
        "counterweight_categories, untrusted_sources, min_survey_sample, min_gate_cut_pct "
        "[config-rule]",
        "policycheck.yaml:7:10: error: 'params': no rule 'cs.x' [config-rule]",
        "policycheck: error: the config file policycheck.yaml is not valid",
    ]
    assert run(capsys, "config")[0] == 2  # config refuses what check refuses


def test_key_errors_and_unknown_rules_are_said_in_one_run(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The unknown rule ids were said only once the unknown key was mended: one problem
    more per run. Now every problem of the file is said in one run, in its order."""
    write(workdir, {"policycheck.yaml": """\
        fail_onn: high
        severity:
          gat.missing: low
        ignore: [gate.mising]
        """, "plans/risky.yaml": risky()})
    assert run(capsys, "check", "plans") == (2, "", "\n".join([
        "policycheck.yaml:1:1: error: unknown key 'fail_onn'; did you mean 'fail_on'? "
        "[config-key]",
        "policycheck.yaml:3:3: error: 'severity': no rule 'gat.missing'; did you mean "
        "'gate.missing'? [config-rule]",
        "policycheck.yaml:4:10: error: 'ignore': no rule matches 'gate.mising'; did you mean "
        "'gate.missing'? [config-rule]",
        "policycheck: error: the config file policycheck.yaml is not valid\n"]))
    # packs the file names but that could not be read: their rules are not looked up (the
    # built-in pack's would be the wrong ones)
    (workdir / "policycheck.yaml").write_text(
        "rules: {extends: 5}\nfail_onn: high\nseverity: {org.ours: low}\n", "utf-8")
    code, _, err = run(capsys, "check", "plans")
    assert code == 2 and "org.ours" not in err and err.count("error:") == 3


@pytest.mark.parametrize("text, message", [
    ("- fail_on\n", "policycheck.yaml:1:1: error: the config file must be a mapping of "
                    "settings: rules, select, ignore, severity, params, fail_on, format, "
                    "outputs, waivers, baseline, warn_expiring, waiver_max_days, encoding "
                    "[config-shape]"),
    ("fail_on: [high\n", "policycheck.yaml:2:1: error: YAML syntax error: while parsing a "
                         "flow sequence; did not find expected ',' or ']' "
                         "[yaml-syntax]"),
    ("params: {cs.handle-time: [aht]}\n", "policycheck.yaml:1:10: error: 'params' of "
     "'cs.handle-time' is ['aht']; expected a mapping of rule id to {parameter: value} "
     "[config-type]"),
    ("fail_on: !!python/object:os.system x\n", "policycheck.yaml:1:10: error: YAML syntax "
     "error: could not determine a constructor for tag "
     "'tag:yaml.org,2002:python/object:os.system'; only plain YAML values are allowed "
     "[yaml-syntax]"),
])
def test_config_file_that_is_not_a_config(workdir: Path, capsys: pytest.CaptureFixture[str],
                                          text: str, message: str) -> None:
    write(workdir, {"policycheck.yaml": text})
    assert run(capsys, "config") == (2, "", f"{message}\npolicycheck: error: the config file "
                                            "policycheck.yaml is not valid\n")


def test_empty_config_file_means_defaults(workdir: Path) -> None:
    write(workdir, {"policycheck.yaml": "# nothing yet\n"})
    settings = resolve({})
    assert (settings.config_file, settings["fail_on"]) == ("policycheck.yaml", "high")
    assert settings.values["fail_on"].source == "default"


def test_rules_extends_is_relative_to_the_config_file(workdir: Path) -> None:
    write(workdir, {"ci/policycheck.yaml": "rules:\n  extends: [default, ../packs]\n"})
    (workdir / "packs").mkdir()
    settings = resolve({}, config="ci/policycheck.yaml")
    assert settings["rules"] == ("default", "packs")
    assert settings.values["rules"].source == "ci/policycheck.yaml:1"
    assert settings.values["rules"].where["packs"].line == 2


@pytest.mark.parametrize("argv, env, code", [
    (["--max-file-size", "1e308"], {}, 2),  # int(inf bytes): an internal error (exit 3)
    # the variable is checked as the flag is (it was passed over: the defaults applied)
    ([], {"POLICYCHECK_MAX_FILE_SIZE": "1e400"}, 2),
    ([], {"POLICYCHECK_MAX_FILE_SIZE": "nan"}, 2),
])
def test_a_file_size_limit_past_what_a_number_holds(workdir: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str],
                                                    argv: list[str], env: dict[str, str],
                                                    code: int) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sample = Path(__file__).resolve().parent.parent / "sample_data" / "yaml"
    found, _, err = run(capsys, *argv, "validate", str(sample))
    assert found == code and "internal error" not in err
    if argv:
        assert "'--max-file-size': 1e+308 is not in the range 0.001<=x<=1000000000.0" in err


def test_packs_replaced_by_the_environment_leave_the_files_other_rules_aside(
        workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`POLICYCHECK_RULES=./ours` made the whole config invalid: its select, ignore,
    severity and params name rules of the packs it replaces. Those are left aside; a flag's
    typo, or a select naming none of the packs' rules, is still an error."""
    import shutil

    root = Path(__file__).resolve().parent.parent
    (workdir / "ours" / "cs").mkdir(parents=True)
    shutil.copy(root / "rules" / "cs" / "cs.handle-time.yaml", workdir / "ours" / "cs")
    write(workdir, {"plans/risky.yaml": risky(), "policycheck.yaml": """\
        select: [cs, weight]
        ignore: [contest.campaign]
        severity: {gate.missing: low}
        params: {claw.none: {sales_horizon_days: 120}}
        """})
    code, out, err = run(capsys, "check", "plans")  # the default pack: every reference known
    assert (code, err) == (0, "") and "with " in out
    monkeypatch.setenv("POLICYCHECK_RULES", "ours")
    code, out, err = run(capsys, "check", "plans")
    assert (code, err) == (0, "")
    assert "with 1 rule:" in out
    assert run(capsys, "check", "plans", "--select", "cz")[::2] == (
        2, "policycheck: error: no rule matches 'cz'\n")
    write(workdir, {"policycheck.yaml": "select: [weight]\n"})
    assert run(capsys, "check", "plans")[::2] == (
        2, "policycheck: error: 'select' of policycheck.yaml names no rule of the packs of "
        "this run (ours): expected a --select of their rules\n")


@pytest.mark.parametrize("flag, message", [
    (["--severity", "cs.handle-tme=critical"],
     "--severity cs.handle-tme: no rule 'cs.handle-tme'; did you mean 'cs.handle-time'?"),
    (["--param", "gate.mising.pressures=[speed]"],
     "--param gate.mising.pressures: no rule 'gate.mising'; did you mean 'gate.missing'?"),
    (["--param", "gate.missing.x=1"],
     "--param gate.missing.x: rule 'gate.missing' has no parameter 'x'; it has pressures, "
     "gate_categories, untrusted_sources"),
])
def test_a_flag_naming_no_rule_stops_the_run(workdir: Path, capsys: pytest.CaptureFixture[str],
                                             flag: list[str], message: str) -> None:
    """A misspelt --severity or --param was set aside with the rules select and ignore leave
    out: the run went on (exit 1) as if the flag had not been given."""
    write(workdir, {"plans/risky.yaml": risky()})
    assert run(capsys, "check", "plans", *flag) == (2, "", f"policycheck: error: {message}\n")


def test_a_flag_for_a_rule_left_out_is_kept(workdir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/risky.yaml": risky()})
    code, _, err = run(capsys, "check", "plans", "--ignore", "cs", "--severity",
                       "cs.handle-time=low", "--param", "cs.handle-time.min_survey_sample=3")
    assert (code, err) == (1, "")


def test_select_and_ignore_that_leave_no_rule_stop_the_run(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--select cs --ignore cs` checked 17 plans with 0 rules and passed (exit 0): a gate
    that runs nothing must not pass green."""
    write(workdir, {"plans/risky.yaml": risky(), "policycheck.yaml": "ignore: [cs]\n"})
    assert run(capsys, "check", "plans", "--select", "cs") == (
        2, "", "policycheck: error: no rule left to run: select cs and ignore cs leave none "
               "of the 45 rules of the packs; expected at least one rule\n")


@pytest.mark.parametrize("value, said", [
    ("abc", "'abc' is not a valid float range"),
    ("-5", "-5.0 is not in the range 0.001<=x<=1000000000.0"),
])
def test_a_bad_size_limit_in_the_environment_stops_the_run(
        workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        value: str, said: str) -> None:
    """POLICYCHECK_MAX_FILE_SIZE=abc was passed over (the defaults applied) and =-5 refused
    every file as too large; the variable is checked as the flag is."""
    write(workdir, {"plans/risky.yaml": risky()})
    monkeypatch.setenv("POLICYCHECK_MAX_FILE_SIZE", value)
    code, out, err = run(capsys, "validate", "plans")
    assert (code, out) == (2, "")
    assert err.endswith(f"Error: Invalid value for '--max-file-size': {said}.\n")


def test_a_missing_pack_or_a_severity_of_off_in_the_config_is_said_at_its_line(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`extends: [defualt]` said "defualt: no such rule pack" with no line and no hint, and
    `severity: {x: off}` said "is false" (YAML reads off as false)."""
    write(workdir, {"plans/risky.yaml": risky(), "policycheck.yaml": """\
        rules:
          extends: [defualt]
        severity:
          cs.handle-time: off
        """})
    assert run(capsys, "check", "plans") == (2, "", "\n".join([
        "policycheck.yaml:2:13: error: 'rules' item 1 is 'defualt'; expected a rule pack (a "
        "folder of rule files) or a rule file, and there is none there; did you mean "
        "'default'? [config-type]",
        "policycheck.yaml:4:3: error: 'severity' of 'cs.handle-time' is false; expected one "
        "of critical, high, medium, low, info; a rule is turned off by listing it under "
        "'ignore:' [config-type]",
        "policycheck: error: the config file policycheck.yaml is not valid\n"]))
    assert run(capsys, "check", "plans", "--rules", "defualt", "--config", "none.yaml")[0] == 2
    (workdir / "policycheck.yaml").unlink()
    assert run(capsys, "check", "plans", "--rules", "defualt") == (
        2, "", "policycheck: error: defualt: no such rule pack (a folder of rule files); did "
               "you mean 'default'?\n")
