"""What a rule author is told about a wrong rule file: each mistake at its own line and
column, the bad value, what was expected and the closest valid name, with exit 2; never a
generic message at the key above it, and never a test that silently asserts less than was
written."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_plans import run, workdir, write

__all__ = ["workdir"]

#: A sound rule with an escalation, a parameter and an example stating its severity.
RULE = """\
id: org.speed-heavy
title: Speed share too high
severity: medium
scope: plan
patterns: [A01]
principles: [1]
when: role_kind == 'service'
condition: share('speed') > param.max_speed
escalate:
  - when: share('speed') >= 70%
    severity: high
evidence:
  speed: share('speed')
message: "Plan {id} puts {speed:%} on speed"
rationale: Speed over customers.
remediation: Rebalance.
references: [ORG]
parameters:
  max_speed: {type: number, default: 0.5, doc: max speed share}
examples:
  fire:
    - {id: f1, role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: a, kpi: aht, weight: 60%}, {id: c, kpi: csat, weight: 40%}]}
    - {id: f2, x_severity: high, role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: a, kpi: aht, weight: 80%}, {id: c, kpi: csat, weight: 20%}]}
  pass:
    - {id: p1, role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: a, kpi: aht, weight: 50%}, {id: c, kpi: csat, weight: 50%}]}
"""  # noqa: E501
FILE = "pack/org.speed-heavy.yaml"
IN_RULE_FILES = "policycheck: error: {} in rule files\n"
NAME_RULE = ("is not a valid name: expected a-z, 0-9 and '_', starting with a-z, so that "
             "param.NAME and --param RULE.NAME=VALUE can name it")


def changed(old: str, new: str) -> str:
    assert RULE.count(old) == 1, old
    return RULE.replace(old, new)


def refused(capsys: pytest.CaptureFixture[str], folder: Path, text: str,
            *said: str) -> None:
    """``rules test`` of a pack of the rule ``text`` stops with exit 2 and says ``said``
    (each ``LINE:COL: error: ...`` of the rule file), nothing more."""
    write(folder, {FILE: text})
    count = f"{len(said)} problem{'s' * (len(said) != 1)}"
    assert run(capsys, "rules", "test", "pack") == (
        2, "", "".join(f"{FILE}:{line}\n" for line in said) + IN_RULE_FILES.format(count))


def test_the_sound_rule_passes(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {FILE: RULE})
    assert run(capsys, "rules", "test", "pack") == (
        0, "ok   org.speed-heavy (3 examples)\n1 rule passed, 0 failed.\n", "")


# 5: the escalation check was skipped without a word
@pytest.mark.parametrize("key", ["x_sevrity", "x_severty", "x-severity", "x_Severity"])
def test_an_x_key_of_an_example_close_to_x_severity_is_a_typo_of_it(
        workdir: Path, capsys: pytest.CaptureFixture[str], key: str) -> None:
    refused(capsys, workdir, changed("x_severity: high", f"{key}: critical"),
            f"23:16: error: fire example 2: unknown key '{key}'; did you mean 'x_severity'? "
            "[rule-examples]")


def test_an_authors_own_x_key_is_passed_over(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = changed("x_severity: high,", "x_severity: high, x_severity_note: n, x_source: s,")
    write(workdir, {FILE: text})
    assert run(capsys, "rules", "test", "pack")[0] == 0


# 11: said at the `escalate:` key as "must be a list of {when: ..., severity: ...}"
@pytest.mark.parametrize("old, new, said", [
    ("    severity: high", "    severity: hgh",
     "11:5: error: 'escalate' step 1: 'severity' is 'hgh', expected one of critical, high, "
     "medium, low, info; did you mean 'high'? [rule-type]"),
    ("  - when: share('speed') >= 70%", "  - wen: share('speed') >= 70%",
     "10:5: error: unknown key 'wen' in 'escalate' step 1; did you mean 'when'? [rule-key]"),
    ("    severity: high", "    severity: high\n    else: low",
     "12:5: error: unknown key 'else' in 'escalate' step 1; expected when, severity "
     "[rule-key]"),
    ("    severity: high", "",
     "10:5: error: missing key 'severity' in 'escalate' step 1: expected one of critical, "
     "high, medium, low, info [rule-key]"),
    ("  - when: share('speed') >= 70%\n    severity: high", "  - high",
     "10:5: error: 'escalate' step 1 must be a mapping {when: expression, severity: level}, "
     "got 'high' [rule-type]"),
    ("  - when: share('speed') >= 70%\n    severity: high",
     "  when: share('speed') >= 70%\n  severity: high",
     "9:1: error: 'escalate' must be a list of steps {when: expression, severity: level}, "
     "got a mapping [rule-type]"),
    ("  - when: share('speed') >= 70%", "  - when: 70",
     "10:5: error: 'escalate' step 1: 'when' must be an expression (text), got 70 "
     "[rule-type]"),
])
def test_an_escalation_step_is_checked_at_its_own_line(
        workdir: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        said: str) -> None:
    refused(capsys, workdir, changed(old, new), said)


SPEED = ("'sped' is not a valid name: expected one of 'collections', 'company_financial', "
         "'compliance', 'cost', 'cost_efficiency', 'cross_sell', 'customer', "
         "'customer_outcome', 'cx_perception', 'neutral', 'price_terms', 'quality', "
         "'remedy_cost', 'resolution', 'retention_save', 'sales', 'sales_volume', 'speed', "
         "'throughput', 'workforce'; did you mean 'speed'? [rule-expression]")


@pytest.mark.parametrize("steps, said, caret", [
    ("  - when: share('sped') >= 70%\n    severity: high\n",
     "10:17", "    share('sped') >= 70%\n          ^^^^^^\n"),
    ("  - when: share('speed') >= 70%\n    severity: high\n"
     "  - when: >-\n      share('speed') >= 90%\n      and share('sped') > 0\n"
     "    severity: critical\n",
     "14:17", "    and share('sped') > 0\n              ^^^^^^\n"),
])
def test_an_escalation_steps_expression_is_said_at_its_own_line(
        workdir: Path, capsys: pytest.CaptureFixture[str], steps: str, said: str,
        caret: str) -> None:
    """It was said at the `escalate:` key (9:1), under the text of every line joined."""
    write(workdir, {FILE: changed("  - when: share('speed') >= 70%\n    severity: high\n",
                                  steps)})
    assert run(capsys, "rules", "test", "pack") == (
        2, "", f"{FILE}:{said}: error: 'escalate' step {1 if said.startswith('10:') else 2}: "
               f"{SPEED}\n{caret}"
               "policycheck: error: 1 rule expression problem\n")


# 12: "default must be a list, got [3000, 4000]"
@pytest.mark.parametrize("items, said", [
    ("[3000, 4000]", "20:34: error: parameter 'values': default list items must be text, got "
                     "3000 (a number); numbers are matched with a list written in the "
                     "expression, such as x in [3000, 4000] [rule-type]"),
    ("[aht, yes]", "20:39: error: parameter 'values': default list items must be text, got "
                   "true (a truth value); a truth value is not text (YAML reads an unquoted "
                   "yes, no, on, off, true or false as one: put the text in quotes) "
                   "[rule-type]"),
])
def test_a_list_parameters_items_must_be_text(
        workdir: Path, capsys: pytest.CaptureFixture[str], items: str, said: str) -> None:
    """The expression language looks only text up in a list parameter (``x in param.NAME``
    needs x text): a list of numbers is refused, at the item, saying why."""
    text = changed("doc: max speed share}\n", "doc: max speed share}\n"
                   f"  values: {{type: list, default: {items}, doc: d}}\n")
    refused(capsys, workdir, text, said)


# 13: "must be a mapping with default, type and doc", though it had all three
@pytest.mark.parametrize("spec, said", [
    ("{type: number, default: 0.5, doc: d, min: 0, max: 1}",
     ["19:51: error: unknown key 'min' in parameter 'max_speed'; expected default, type, doc "
      "[rule-key]",
      "19:59: error: unknown key 'max' in parameter 'max_speed'; expected default, type, doc "
      "[rule-key]"]),
    ("{type: number, defualt: 0.5, doc: d}",
     ["19:29: error: unknown key 'defualt' in parameter 'max_speed'; did you mean 'default'? "
      "[rule-key]"]),
    ("{type: number, doc: d}",
     ["19:3: error: missing key 'default' in parameter 'max_speed': expected the value the "
      "rule uses where no setting changes it [rule-key]"]),
    ("0.5", ["19:3: error: parameter 'max_speed' must be a mapping of default, type and doc, "
             "got 0.5 [rule-type]"]),
])
def test_a_parameters_wrong_keys_are_named(
        workdir: Path, capsys: pytest.CaptureFixture[str], spec: str,
        said: list[str]) -> None:
    text = changed("{type: number, default: 0.5, doc: max speed share}", spec)
    refused(capsys, workdir, text, *said)


# 14: "'examples' must hold 'fire' and 'pass', each a non-empty list of example plans"
@pytest.mark.parametrize("old, new, said", [
    ("  fire:\n", "  fires:\n",
     "21:3: error: unknown key 'fires' in examples; did you mean 'fire'? [rule-key]"),
    ("  pass:\n", "  passes:\n",
     "24:3: error: unknown key 'passes' in examples; did you mean 'pass'? [rule-key]"),
    ("  pass:\n    - {id: p1,", "  x:\n    - {id: p1,",
     "24:3: error: unknown key 'x' in examples; expected fire, pass [rule-key]\n"
     f"{FILE}:20:1: error: missing key 'pass' in examples: expected a non-empty list of "
     "example plans the rule must not fire on [rule-key]"),
    ("  pass:\n    - {id: p1,", "  pass: []\n  x:\n    - {id: p1,",
     "25:3: error: unknown key 'x' in examples; expected fire, pass [rule-key]\n"
     f"{FILE}:24:3: error: examples 'pass' must be a non-empty list of example plans the "
     "rule must not fire on, got an empty list [rule-examples]"),
])
def test_a_misspelt_key_under_examples_is_named(
        workdir: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        said: str) -> None:
    refused(capsys, workdir, changed(old, new), *said.split(f"\n{FILE}:"))


def test_examples_that_are_not_a_mapping_are_said_so(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = RULE[:RULE.index("examples:")] + "examples: [f1, p1]\n"
    refused(capsys, workdir, text, "20:1: error: 'examples' must be a mapping of fire and "
                                   "pass, each a non-empty list of example plans, got a list "
                                   "[rule-examples]")


# 15: a dotted name was accepted, and `--param rule.max.speed=0.9` could not reach it
@pytest.mark.parametrize("name, hint", [
    ("max.speed", "; did you mean 'max_speed'?"), ("max speed", "; did you mean 'max_speed'?"),
    ("_max", "; did you mean 'max'?"), ("Max", "; did you mean 'max'?"), ("5", ""),
    ("max-speed", "; did you mean 'max_speed'?"),
])
def test_a_parameter_name_is_an_identifier(
        workdir: Path, capsys: pytest.CaptureFixture[str], name: str, hint: str) -> None:
    text = changed("  max_speed: {", f"  {name}: {{").replace("param.max_speed", "0.5")
    shown = name if name == "5" else f"'{name}'"  # YAML reads 5 as a number
    refused(capsys, workdir, text,
            f"19:3: error: parameter name {shown} {NAME_RULE}{hint} [rule-type]")


# 22: a failed test (exit 1), with every problem on one line joined by ';'
def test_an_example_that_is_not_a_valid_plan_makes_the_rule_file_unusable(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = changed("{id: c, kpi: csat, weight: 50%}", "{id: c, kpi: csatt, weight: 40%}")
    write(workdir, {FILE: text})
    assert run(capsys, "rules", "test", "pack") == (
        2, "", f"{FILE}:25:76: error: plan 'org.speed-heavy/pass-1': component weights sum to "
               "90 %; expected 100 % (± 0.1 %) [weights-sum]\n"
               f"{FILE}:25:129: error: plan 'org.speed-heavy/pass-1', component 'c': kpi: "
               "unknown KPI 'csatt', expected a KPI of the built-in library or the "
               "organisation's catalog; did you mean 'csat'?; an organisation's KPI: name its "
               "catalog with --kpis FILE [unknown-kpi]\n"
               "policycheck: error: 2 problems in rule examples: an example must be a valid "
               "plan\n")


def test_a_string_parameter_compared_with_a_field_holds_one_of_its_values(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`role_kind == param.kind` with a default `servic` never held: the rule never fired,
    and `--param RULE.kind=servic` was taken as well."""
    text = changed("when: role_kind == 'service'", "when: role_kind == param.kind").replace(
        "  max_speed:", "  kind: {type: string, default: servic, doc: the role kind}\n"
                       "  max_speed:")
    expected = ("'servic' is not a valid role_kind: expected one of advice, back_office, "
                "claims, collections, field_service, manager, retention, sales, service; did "
                "you mean 'service'?")
    refused(capsys, workdir, text,
            f"19:24: error: parameter 'kind': default {expected} [rule-type]")
    write(workdir, {FILE: text.replace("default: servic,", "default: service,"),
                    "plans/p.yaml": "plan: {id: p, role_kind: service, base_pay: 1, "
                                    "target_variable: 0}\n"})
    assert run(capsys, "check", "plans", "--rules", "pack", "--param",
               "org.speed-heavy.kind=servic") == (
        2, "", f"policycheck: error: --param org.speed-heavy.kind: {expected}\n")
