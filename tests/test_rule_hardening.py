"""Rule packs as a user writes them, mistakes included: each mistake stops the run with the
file, line and column, what was expected and exit 2, never an internal error (exit 3) and
never a pass that checked nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_plans import risky, run, workdir, write
from conftest import ROOT

from policycheck.rulefile import RULE_ID
from policycheck.ruleset import load_rules

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
  n: count_of(components)
message: "Plan {id} puts {speed:%} on speed over {n:n} components"
rationale: Speed over customers.
remediation: Rebalance.
references: [ORG]
parameters:
  max_speed: {type: number, default: 0.5, doc: max speed share}
examples:
  fire:
    - {id: f1, role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: a, kpi: aht, weight: 60%}, {id: c, kpi: csat, weight: 40%}]}
    - {id: f2, role_kind: service, base_pay: 30000, target_variable: 3000, x_severity: high, components: [{id: a, kpi: aht, weight: 80%}, {id: c, kpi: csat, weight: 20%}]}
  pass:
    - {id: p1, role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: a, kpi: aht, weight: 50%}, {id: c, kpi: csat, weight: 50%}]}
"""  # noqa: E501
FILE = "pack/org/org.speed-heavy.yaml"
IN_RULE_FILES = "policycheck: error: 1 problem in rule files\n"


def rule_pack(folder: Path, text: str = RULE, name: str = "org.speed-heavy") -> str:
    (folder / "pack" / "org").mkdir(parents=True, exist_ok=True)
    (folder / "pack" / "org" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return "pack"


def changed(old: str, new: str) -> str:
    assert RULE.count(old) == 1, old
    return RULE.replace(old, new)


def test_the_sound_rule_passes(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "rules", "test", rule_pack(workdir)) == (
        0, "ok   org.speed-heavy (3 examples)\n1 rule passed, 0 failed.\n", "")


@pytest.mark.parametrize("scope, weighs, said", [
    ("plan", "pull share", "'weighs' is 'pull share', expected pull_share; did you mean "
                           "'pull_share'?"),
    ("plan", "[pull_share]", "'weighs' is a list, expected pull_share; did you mean "
                             "'pull_share'?"),
    ("component", "pull_share", "'weighs: pull_share' is for a rule of scope plan; a "
                                "component finding weighs as its scope says"),
])
def test_weighs_is_pull_share_on_a_plan_rule(
        workdir: Path, capsys: pytest.CaptureFixture[str], scope: str, weighs: str,
        said: str) -> None:
    pack = rule_pack(workdir, changed("scope: plan\n", f"scope: {scope}\nweighs: {weighs}\n"))
    code, _, err = run(capsys, "rules", "test", pack)
    # the component rule's expressions name plan fields: their own problems follow
    assert (code, err.splitlines()[0]) == (2, f"{FILE}:5:1: error: {said} [rule-type]")


def test_the_default_packs_pay_design_rules_weigh_as_the_pull_share() -> None:
    """The leadership report's main issue weighs these by the plan's pull share: what the
    pay itself rewards (no base salary, a manager on the team's volume, back-office speed
    and cost pay with no customer link), where other plan-wide rules say what it lacks."""
    from policycheck.leadership.headline import pull_share_rules

    assert pull_share_rules(load_rules(None)) == {
        "pay.variable-100pct", "mgr.team-volume", "cs.back-office-no-customer-link"}


@pytest.mark.parametrize("scope, said", [
    ("plans", "'plans', expected one of plan, component, gate, modifier, competition, "
              "consequence, campaign; did you mean 'plan'?"),
    ("5", "'5', expected one of plan, component, gate, modifier, competition, consequence, "
          "campaign"),
])
def test_a_scope_typo_is_a_problem_not_an_internal_error(
        workdir: Path, capsys: pytest.CaptureFixture[str], scope: str, said: str) -> None:
    """The rule's expressions were compiled in the misspelt scope: ValueError, exit 3."""
    pack = rule_pack(workdir, changed("scope: plan\n", f"scope: {scope}\n"))
    expected = f"{FILE}:4:1: error: 'scope' is {said} [rule-type]\n{IN_RULE_FILES}"
    assert run(capsys, "rules", "test", pack) == (2, "", expected)
    write(workdir, {"plans/p.yaml": risky()})
    assert run(capsys, "check", "plans", "--rules", pack) == (2, "", expected)


def test_an_example_that_is_not_a_plan_is_a_problem(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It was skipped: a rule whose only fire example was `hello` passed."""
    text = changed("  fire:\n    - {id: f1,", "  fire:\n    - hello\n    - {id: f1,")
    assert run(capsys, "rules", "test", rule_pack(workdir, text)) == (
        2, "", f"{FILE}:23:7: error: fire example 1 must be an example plan (a mapping of "
               f"plan fields), got 'hello' [rule-examples]\n{IN_RULE_FILES}")
    text = changed("  pass:\n    - {", "  pass:\n    - [p1]\n    - {")
    assert run(capsys, "rules", "test", rule_pack(workdir, text)) == (
        2, "", f"{FILE}:26:7: error: pass example 1 must be an example plan (a mapping of "
               f"plan fields), got a list [rule-examples]\n{IN_RULE_FILES}")


@pytest.mark.parametrize("value, shown", [("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"),
                                          ("1e400", "1e400"), ("inf%", "inf%")])
def test_a_parameter_flag_that_is_not_a_finite_number_is_refused(
        workdir: Path, capsys: pytest.CaptureFixture[str], value: str, shown: str) -> None:
    """NaN compares false and infinity true: the rule was off, or fired on every plan."""
    write(workdir, {"plans/p.yaml": risky()})
    assert run(capsys, "check", "plans", "--rules", rule_pack(workdir), "--param",
               f"org.speed-heavy.max_speed={value}") == (
        2, "", "policycheck: error: --param org.speed-heavy.max_speed: must be a finite number, "
               f"got {shown}\n")


@pytest.mark.parametrize("value, shown", [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf"),
                                          ("1.0e+400", "inf")])
def test_a_parameter_default_that_is_not_a_finite_number_is_refused(
        workdir: Path, capsys: pytest.CaptureFixture[str], value: str, shown: str) -> None:
    pack = rule_pack(workdir, changed("default: 0.5", f"default: {value}"))
    assert run(capsys, "rules", "test", pack) == (
        2, "", f"{FILE}:20:29: error: parameter 'max_speed': default must be a finite number, "
               f"got {shown} [rule-type]\n{IN_RULE_FILES}")


def test_a_config_parameter_that_is_not_a_finite_number_is_refused(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"policycheck.yaml": "rules: [./pack]\nparams:\n"
                                        "  org.speed-heavy: {max_speed: .nan}\n",
                    "plans/p.yaml": risky()})
    rule_pack(workdir)
    expected = ("policycheck.yaml:3:21: error: 'params' of 'org.speed-heavy.max_speed' must be "
                "a finite number, got nan [config-rule]\npolicycheck: error: the config file "
                "policycheck.yaml is not valid\n")
    assert run(capsys, "check", "plans") == (2, "", expected)
    assert run(capsys, "rules", "list") == (2, "", expected)


SOURCES = ("agent_triggered_survey, audit, independent_qa, independent_survey, "
           "manager_judgement, self_reported, system")


def test_a_list_parameters_items_are_checked_against_the_field_they_are_looked_up_as(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``kpi.data_source not in param.untrusted_sources``: its items are data sources, and
    a misspelt one never matched (the self-reported KPIs counted as trusted)."""
    write(workdir, {"plans/p.yaml": risky()})
    expected = (f"item 'self_reportd' is not a valid data_source: expected one of {SOURCES}; "
                "did you mean 'self_reported'?")
    assert run(capsys, "check", "plans", "--param",
               "counterweight.missing.untrusted_sources=self_reportd,audit") == (
        2, "", f"policycheck: error: --param counterweight.missing.untrusted_sources: "
               f"{expected}\n")
    assert run(capsys, "check", "plans", "--param", "weight.speed-cost-dominant.pressures=sped"
               ) == (2, "", "policycheck: error: --param weight.speed-cost-dominant.pressures: "
                            "item 'sped' is not a valid pressure: expected one of cost, "
                            "customer, neutral, sales, speed; did you mean 'speed'?\n")
    write(workdir, {"policycheck.yaml": "params:\n  counterweight.missing:\n"
                                        "    untrusted_sources: [self_reportd]\n"})
    assert run(capsys, "check", "plans") == (
        2, "", f"policycheck.yaml:3:5: error: 'params' of 'counterweight.missing."
               f"untrusted_sources' {expected} [config-rule]\npolicycheck: error: the config "
               "file policycheck.yaml is not valid\n")


def test_a_list_parameters_default_is_checked_where_the_rules_are_compiled(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """KPI ids are not checked: the catalog is known only once the plans are read."""
    text = changed("when: role_kind == 'service'\n",
                   "when: role_kind == 'service' and not any_of(components, "
                   "kpi.data_source in param.untrusted or kpi.id in param.kpis)\n").replace(
        "parameters:\n", "parameters:\n  untrusted: {type: list, default: [self_reportd], "
        "doc: d}\n  kpis: {type: list, default: [ahtt], doc: k}\n")
    expected = (f"{FILE}:20:27: error: parameter 'untrusted': default item 'self_reportd' is "
                f"not a valid data_source: expected one of {SOURCES}; did you mean "
                f"'self_reported'? [rule-type]\n{IN_RULE_FILES}")
    pack = rule_pack(workdir, text)
    assert run(capsys, "rules", "test", pack) == (2, "", expected)
    write(workdir, {"plans/p.yaml": risky()})
    assert run(capsys, "check", "plans", "--rules", pack) == (2, "", expected)
    code, _, err = run(capsys, "check", "plans", "--rules", pack, "--param",
                       "org.speed-heavy.untrusted=self_reported", "--format", "json")
    assert (code, err) == (0, "")


@pytest.mark.parametrize("rule_id, shown", [
    ("org.speed\u200b-heavy", r"'org.speed\u200b-heavy'"),
    ("org.\u202espeed", r"'org.\u202espeed'"),
    ("org.speed heavy", "'org.speed heavy'"),
    ("org..speed-heavy", "'org..speed-heavy'"),
    ("org.sp\u0435ed-heavy", r"'org.sp\u0435ed-heavy'"),  # a Cyrillic e
    ("Org.Speed-Heavy", "'Org.Speed-Heavy'"),
    ("org.speed_heavy", "'org.speed_heavy'"),
    ("speed-heavy", "'speed-heavy'"),
    ("org.speed-heavy-", "'org.speed-heavy-'"),
])
def test_a_rule_id_is_family_dot_what_it_flags(
        workdir: Path, capsys: pytest.CaptureFixture[str], rule_id: str, shown: str) -> None:
    """Look-alikes loaded beside the real rule; the file name is shown escaped too (a
    right-to-left override would reorder the line)."""
    rule_pack(workdir)
    pack = rule_pack(workdir, changed("id: org.speed-heavy\n", f"id: {rule_id}\n"), rule_id)
    file = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in rule_id)
    assert run(capsys, "rules", "test", pack) == (
        2, "", f"pack/org/{file}.yaml:1:1: error: rule id {shown} is not a valid id: expected "
               "family.what-it-flags, words of a-z and 0-9 joined by '-' and parts joined by "
               f"'.' (cs.handle-time) [rule-id]\n{IN_RULE_FILES}")


def test_every_rule_id_in_the_repository_is_valid() -> None:
    ids = [r.id for r in load_rules([ROOT / "rules", ROOT / "tests" / "data" / "formats_pack"])]
    ids += ["org.aht-heavy", "x.speed", "x.other", "t.speed-component", "pay.variable-100pct"]
    assert [i for i in ids if not RULE_ID.fullmatch(i)] == []


@pytest.mark.parametrize("files", [{}, {"_coverage.yaml": "not_expressible: {}\n"},
                                   {".hidden/org.x.yaml": RULE}])
def test_a_pack_without_a_rule_file_is_an_error(
        workdir: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    """It passed: 'rules test empty' said "0 rules passed", and check ran no rule."""
    (workdir / "empty").mkdir()
    write(workdir / "empty", files)
    write(workdir, {"plans/p.yaml": risky()})
    expected = ("policycheck: error: empty: no rule file in the rule pack: expected files of "
                "one rule each, named after the rule id (RULE-ID.yaml)\n")
    assert run(capsys, "rules", "test", "empty") == (2, "", expected)
    assert run(capsys, "check", "plans", "--rules", "empty") == (2, "", expected)
    assert run(capsys, "check", "plans", "--rules", "default", "--rules", "empty") == (
        2, "", expected)


def test_a_yml_rule_file_is_read_as_a_yaml_one(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .yml file beside .yaml ones was passed over: its rule never ran, and nothing said
    so. A pack of .yml files alone was refused."""
    write(workdir, {"ours/org/org.speed-heavy.yml": RULE,
                    "ours/org/org.other.yaml": RULE.replace("org.speed-heavy", "org.other")})
    code, out, err = run(capsys, "rules", "list", "--rules", "ours")
    assert (code, err) == (0, "")
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == ["org.other",
                                                                    "org.speed-heavy"]
    assert out.endswith("\n2 rules.\n")
    write(workdir, {"ours/org/org.speed-heavy.yaml": RULE})
    assert run(capsys, "rules", "test", "ours")[0] == 2  # the same id twice


@pytest.mark.parametrize("old, new, said", [
    ("x_severity: high", "x_severity: hgh",
     "24:76: error: fire example 2: 'x_severity' is 'hgh', expected one of critical, high, "
     "medium, low, info; did you mean 'high'? [rule-examples]"),
    ("{id: p1,", "{id: p1, x_severity: medium,",
     "26:16: error: pass example 1: 'x_severity' is for a fire example; a pass example must "
     "not fire at all [rule-examples]"),
    ("    severity: high", "    severity: low",
     "11:5: error: 'escalate' step 1 is to 'low', not above the rule's severity 'medium'; "
     "expected critical or high [rule-type]"),
    ("    severity: high", "    severity: medium",
     "11:5: error: 'escalate' step 1 is to 'medium', not above the rule's severity 'medium'; "
     "expected critical or high [rule-type]"),
    ("severity: medium\n", "severity: critical\n",
     "11:5: error: 'escalate' step 1 is to 'high', not above the rule's severity 'critical'; "
     "a critical rule has no higher severity: remove the step [rule-type]"),
    ("patterns: [A01]", "patterns: [A.8, A99]",
     "5:17: error: 'patterns' item 2 is 'A99', expected a red-flag pattern A01 to A40 of the "
     "catalogue, or one of its tables such as A.8; did you mean 'A39'? [rule-type]"),
    ("patterns: [A01]", "patterns: [a01]",
     "5:12: error: 'patterns' item 1 is 'a01', expected a red-flag pattern A01 to A40 of the "
     "catalogue, or one of its tables such as A.8; did you mean 'A01'? [rule-type]"),
    ("  n: count_of(components)", "  n: 0.5",
     "14:3: error: evidence 'n' must be an expression (text), got 0.5; quote it to write it "
     "as one: n: '0.5' [rule-type]"),
    ("  n: count_of(components)", "  n: [count_of(components)]",
     "14:3: error: evidence 'n' must be an expression (text), got a list [rule-type]"),
    ('message: "Plan {id} puts {speed:%} on speed over {n:n} components"',
     "message: [Plan, id]", "15:1: error: 'message' must be text, got a list [rule-type]"),
    ("title: Speed share too high", "title: {speed: high}",
     "2:1: error: 'title' must be text, got a mapping [rule-type]"),
    ("title: Speed share too high", "title:",
     "2:1: error: 'title' must be text, got nothing [rule-type]"),
    ("title: Speed share too high", "title: yes",
     "2:1: error: 'title' must be text, got true; a truth value is not text (YAML reads an "
     "unquoted yes, no, on, off, true or false as one: put the text in quotes) [rule-type]"),
])
def test_rule_file_mistakes_are_said_at_their_line(
        workdir: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        said: str) -> None:
    pack = rule_pack(workdir, changed(old, new))
    assert run(capsys, "rules", "test", pack) == (2, "", f"{FILE}:{said}\n{IN_RULE_FILES}")


CATALOG = """\
kpis:
  - id: acme_tickets
    name: ACME tickets touched
    category: throughput
    direction: higher
    unit: count
    data_source: system
"""
ACME = """\
id: acme.tickets
title: ACME tickets-touched measure is paid
severity: medium
scope: component
patterns: [A01]
principles: [7]
when: kpi.id == 'acme_tickets'
condition: weight > 0
evidence: {w: weight}
message: "{kpi.name} carries {w:%}"
rationale: r
remediation: r
references: [X]
examples:
  fire: [{id: f1, role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: a, kpi: acme_tickets, weight: 100%}]}]
  pass: [{id: p1, role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: a, kpi: csat, weight: 100%}]}]
"""  # noqa: E501


def test_rules_test_takes_the_organisations_kpi_catalog(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An organisation's rule about its own KPI could not be tested at all."""
    write(workdir, {"kpis.yaml": CATALOG, "pack/acme/acme.tickets.yaml": ACME})
    # an example that is not a valid plan tests nothing: the rule file cannot be used
    assert run(capsys, "rules", "test", "pack") == (
        2, "", "pack/acme/acme.tickets.yaml:15:100: error: plan 'acme.tickets/fire-1', "
               "component 'a': kpi: unknown KPI 'acme_tickets', expected a KPI of the built-in "
               "library or the organisation's catalog; an organisation's KPI: name its catalog "
               "with --kpis FILE [unknown-kpi]\npolicycheck: error: 1 problem in rule "
               "examples: an example must be a valid plan\n")
    assert run(capsys, "rules", "test", "pack", "--kpis", "kpis.yaml") == (
        0, "ok   acme.tickets (2 examples)\n1 rule passed, 0 failed.\n", "")
    write(workdir, {"kpis.csv": "id,name,category,direction,unit\n"
                                "acme_tickets,ACME tickets,throughput,higher,count\n"})
    assert run(capsys, "rules", "test", "pack", "--kpis", "kpis.csv") == (
        0, "ok   acme.tickets (2 examples)\n1 rule passed, 0 failed.\n", "")


def test_a_kpi_catalog_for_rules_test_is_checked(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"pack/acme/acme.tickets.yaml": ACME,
                    "bad.yaml": CATALOG.replace("throughput", "throughputt"),
                    "plans.yaml": risky(),
                    "other.yaml": "x-notes: nothing here\n", "none.yaml": "kpis: []\n"})
    assert run(capsys, "rules", "test", "pack", "--kpis", "nope.yaml") == (
        2, "", "policycheck: error: --kpis nope.yaml: no such file\n")
    assert run(capsys, "rules", "test", "pack", "--kpis", "plans.yaml") == (
        2, "", "policycheck: error: --kpis plans.yaml: holds plans; expected a KPI catalog "
               "only (a top-level 'kpis' key, or a kpis.csv table)\n")
    code, out, err = run(capsys, "rules", "test", "pack", "--kpis", "bad.yaml")
    assert (code, out) == (2, "")
    assert err.startswith("bad.yaml:4:5: error: KPI 'acme_tickets': category: got "
                          "'throughputt', expected one of ")
    assert err.endswith("policycheck: error: --kpis bad.yaml: the KPI catalog is not valid\n")
    assert run(capsys, "rules", "test", "pack", "--kpis", "pack") == (
        2, "", "policycheck: error: --kpis pack: a folder; expected a KPI catalog file\n")
    assert run(capsys, "rules", "test", "pack", "--kpis", "other.yaml") == (
        2, "", "other.yaml:1:1: error: not a plan file or KPI catalog: expected a top-level "
               "'plan', 'plans' or 'kpis' key [unrecognised-file]\npolicycheck: error: --kpis "
               "other.yaml: the KPI catalog is not valid\n")
    assert run(capsys, "rules", "test", "pack", "--kpis", "none.yaml") == (
        2, "", "policycheck: error: --kpis none.yaml: no KPI found; expected a KPI catalog (a "
               "top-level 'kpis' key, or a kpis.csv table)\n")
