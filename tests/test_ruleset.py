"""Rule files are validated like inputs; hostile expressions are refused quickly."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from policycheck.cli import main
from policycheck.errors import RuleError
from policycheck.ruleset import load_rules, override, select

GOOD = """\
id: x.speed
title: Speed over half
severity: high
scope: plan
condition: share('speed') > param.limit
message: "{share('speed'):%} on speed"
rationale: r
remediation: m
parameters:
  limit: {type: number, default: 0.5, doc: the most speed may carry}
examples:
  fire:
    - {role_kind: service, base_pay: 1, target_variable: 1, components: [{kpi: aht, weight: 1}]}
  pass:
    - {role_kind: service, base_pay: 1, target_variable: 1, components: [{kpi: fcr, weight: 1}]}
"""


def pack(tmp_path: Path, text: str, name: str = "x.speed") -> Path:
    folder = tmp_path / "pack" / "x"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)
    return tmp_path / "pack"


def problems(tmp_path: Path, text: str, name: str = "x.speed") -> list[str]:
    with pytest.raises(RuleError) as caught:
        load_rules([pack(tmp_path, text, name)])
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


def test_a_good_rule_loads(tmp_path: Path) -> None:
    [rule] = load_rules([pack(tmp_path, GOOD)])
    assert (rule.id, rule.severity, rule.scope, rule.family) == ("x.speed", "high", "plan", "x")
    assert rule.parameters["limit"].default == 0.5


@pytest.mark.parametrize("text, said", [
    ("# a list of rules, as other tools write them\nrules:\n  - id: x.speed\n    title: T\n"
     "  - id: x.cost\n", "2:1: error: a rule file holds one rule, not a 'rules' list: write "
     "each rule to a file of its own named after its id (x.speed.yaml, x.cost.yaml); "),
    ("rules: [{id: a}, {id: b}, {id: c}, {id: d}]\n", "1:1: error: a rule file holds one "
     "rule, not a 'rules' list: write each rule to a file of its own named after its id "
     "(a.yaml, b.yaml, c.yaml, ...); "),
    ("plan:\n  id: p1\n", "1:1: error: not a rule: "),
    ("- id: x.speed\n", "1:1: error: not a rule: "),
])
def test_a_file_that_holds_no_rule_is_one_problem(tmp_path: Path, text: str,
                                                   said: str) -> None:
    """Not one problem for every key a rule has (ten of them), but what the file is."""
    assert problems(tmp_path, text) == [
        f"pack/x/x.speed.yaml:{said}expected a mapping of id, title, severity, scope, "
        "condition, message, rationale, remediation, examples [rule-shape]"]


def test_problem_lines_are_exact(tmp_path: Path) -> None:
    text = GOOD.replace("severity: high", "severity: hgh").replace("scope: plan", "scoop: plan")
    found = problems(tmp_path, text)
    assert found == [
        "pack/x/x.speed.yaml:4:1: error: unknown key 'scoop'; did you mean 'scope'? [rule-key]",
        "pack/x/x.speed.yaml:1:1: error: missing key 'scope': expected one of plan, component, "
        "gate, modifier, competition, consequence, campaign [rule-key]",
        "pack/x/x.speed.yaml:3:1: error: 'severity' is 'hgh', expected one of critical, high, "
        "medium, low, info; did you mean 'high'? [rule-type]",
    ]


def test_a_rule_files_expressions_are_checked_beside_its_other_problems(
        tmp_path: Path) -> None:
    """An author saw a misspelt severity first, and the misspelt field of the condition
    only once that was fixed: both come in one pass. An expression is not checked where
    what it reads is not sound (a parameter's definition), which would only say so again."""
    text = GOOD.replace("severity: high", "severity: hgh").replace("share('speed') >",
                                                                     "shar('speed') >")
    assert [line.split(" [")[0] for line in problems(tmp_path, text)] == [
        "pack/x/x.speed.yaml:3:1: error: 'severity' is 'hgh', expected one of critical, high, "
        "medium, low, info; did you mean 'high'?",
        "pack/x/x.speed.yaml:5:12: error: condition: unknown function 'shar' in the plan scope; "
        "did you mean "
        "'share'?"]
    broken = text.replace("{type: number, default: 0.5", "{type: nmber, default: 0.5")
    assert [line.split(": error: ")[1].split(";")[0] for line in problems(tmp_path, broken)] \
        == ["'severity' is 'hgh', expected one of critical, high, medium, low, info",
            "parameter 'limit': type 'nmber', expected one of number, list, string, bool "
            "[rule-type]"]


def test_an_expression_error_points_at_the_rule_with_a_caret(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    text = GOOD.replace("share('speed') > param.limit", "share('sped') > param.limt")
    plans = tmp_path / "plans"
    plans.mkdir()
    code = main(["check", "sample_data/yaml", "--rules", str(pack(tmp_path, text))])
    err = capsys.readouterr().err.replace(str(tmp_path) + "/", "")
    assert code == 2
    assert "Traceback" not in err
    assert "pack/x/x.speed.yaml:5:18: error: condition: " in err  # at the name itself
    assert "did you mean 'speed'?" in err
    assert "[rule-expression]\n    share('sped') > param.limt\n          ^^^^^^\n" in err


HOSTILE = {
    "dunder": "plan.__class__ == 1",
    "attribute on a call": "share('speed').__class__ == 1",
    "import": "__import__('os') == 1",
    "call outside the list": "open('/etc/passwd') == 'x'",
    "power tower": "9**9**9 > 1",
    "long": "1 + " * 250_000 + "1 > 0",
    "deep": "(" * 10_000 + "1" + ")" * 10_000 + " > 0",
}


@pytest.mark.parametrize("expression", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_expressions_are_refused_fast_with_exit_2(
        tmp_path: Path, expression: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.replace("condition: share('speed') > param.limit",
                        f"condition: \"{expression}\"")
    started = time.perf_counter()
    code = main(["check", "sample_data/yaml", "--rules", str(pack(tmp_path, text))])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and "condition:" in err
    assert elapsed < 5  # a generous bound; the refusal itself takes milliseconds


def test_a_rule_file_past_the_limit_is_refused_unread_wherever_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack may come with a pull request: a rule file past MAX_RULE_BYTES is reported, not
    read, whether it is in a pack, named on its own, or the pack's ``_coverage.yaml``."""
    from policycheck import rulepacks

    monkeypatch.setattr(rulepacks, "MAX_RULE_BYTES", 4096)
    text = GOOD + "# " + "x" * 5_000 + "\n"
    size = len(text.encode())
    expected = f"error: rule file is {size:,} bytes; the limit is 4,096 [file-too-large]"
    root = pack(tmp_path, text)
    assert problems(tmp_path, text) == [f"pack/x/x.speed.yaml: {expected}"]
    with pytest.raises(RuleError) as caught:
        load_rules([root / "x" / "x.speed.yaml"])
    assert [str(p) for p in caught.value.problems] == [
        f"{(root / 'x' / 'x.speed.yaml').as_posix()}: {expected}"]
    (root / "x" / "x.speed.yaml").write_text(GOOD)
    (root / "_coverage.yaml").write_text("not_expressible: {A28: history}\n" + "#" * 5_000)
    with pytest.raises(RuleError) as caught:
        rulepacks.coverage_notes([root])
    assert [str(p) for p in caught.value.problems] == [
        f"{(root / '_coverage.yaml').as_posix()}: error: coverage notes file is 5,032 bytes; "
        "the limit is 4,096 [file-too-large]"]


def test_select_and_ignore_by_id_or_prefix(tmp_path: Path) -> None:
    root = pack(tmp_path, GOOD)
    (root / "x" / "x.other.yaml").write_text(GOOD.replace("id: x.speed", "id: x.other"))
    rules = load_rules([root])
    assert [r.id for r in select(rules, ["x."])] == ["x.other", "x.speed"]
    assert [r.id for r in select(rules, ["x"], ["x.other"])] == ["x.speed"]
    expected = re.escape("no rule matches 'x.sped'; did you mean 'x.speed'")
    with pytest.raises(RuleError, match=expected):
        select(rules, ["x.sped"])


def test_parameter_and_severity_overrides_are_checked(tmp_path: Path) -> None:
    rules = load_rules([pack(tmp_path, GOOD)])
    [rule] = override(rules, {"x.speed.limit": "40%"}, {"x.speed": "low"})
    assert rule.values == {"limit": 0.4} and rule.severity == "low"
    with pytest.raises(RuleError, match=re.escape("rule 'x.speed' has no parameter 'limt'; "
                                                  "did you mean 'limit'")):
        override(rules, {"x.speed.limt": "1"}, {})
    with pytest.raises(RuleError, match="must be a number, got 'lots'"):
        override(rules, {"x.speed.limit": "lots"}, {})
