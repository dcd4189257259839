"""The default rule pack: its examples pass, it covers the red-flag catalogue, its reference
is generated from it, and it ships inside the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck.cli import main
from policycheck.engine import compile_rules
from policycheck.examples import run_examples
from policycheck.ruledoc import PATTERNS, coverage, reference
from policycheck.rulepacks import coverage_notes, default_pack
from policycheck.ruleset import load_rules, override

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rules() -> list:
    return override(load_rules(), {}, {})


def test_every_example_of_every_rule_passes(rules: list) -> None:
    failures = [f"{r.location}: {r.rule_id} {r.outcome} example {r.index + 1}: {r.detail}"
                for r in run_examples(compile_rules(rules)) if not r.ok]
    assert failures == []


def test_every_rule_has_a_firing_and_a_passing_example(rules: list) -> None:
    for rule in rules:
        assert rule.examples.get("fire") and rule.examples.get("pass"), rule.id


def test_rules_test_command_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(" rules passed, 0 failed.")


def test_every_pattern_has_a_rule_or_a_reason(rules: list) -> None:
    table = coverage(rules, coverage_notes([default_pack()]))
    assert list(table)[: len(PATTERNS)] == list(PATTERNS)
    assert [p for p, covered in table.items() if covered == "NOT COVERED"] == []


def test_every_rule_traces_to_a_principle_and_a_pattern(rules: list) -> None:
    for rule in rules:
        assert rule.principles and rule.patterns and rule.references, rule.id


def test_rule_reference_is_up_to_date(rules: list) -> None:
    """Regenerate with: policycheck rules docs -o rules/RULES.md"""
    expected = reference(rules, coverage_notes([default_pack()]))
    assert (ROOT / "rules" / "RULES.md").read_text(encoding="utf-8") == expected + "\n"
