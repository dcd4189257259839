"""Running the examples inside rule files: ``policycheck rules test``.

Every rule carries small plans that must make it fire and plans that must not, like
semgrep's ``--test`` or OPA's ``opa test``. The examples of all rules are validated as one
batch (each gets a unique plan id), then each rule runs over the batch and its findings are
counted on its own examples only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policycheck.documents import Records, read_document
from policycheck.engine import CompiledRule, evaluate
from policycheck.loading import Loaded
from policycheck.validation import validate
from policycheck.yamlsource import LocatedList, LocatedMap

OUTCOMES = ("fire", "pass")


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    outcome: str  # what the example expects: fire | pass
    index: int
    plan_id: str
    ok: bool
    detail: str
    location: str


def _example_id(rule_id: str, outcome: str, index: int) -> str:
    return f"{rule_id}/{outcome}-{index + 1}"


def _records(rules: Sequence[CompiledRule]) -> tuple[Records, dict[str, tuple[str, str, int,
                                                                              str]]]:
    """All examples as plan records, each renamed to a unique id."""
    records = Records()
    owners: dict[str, tuple[str, str, int, str]] = {}
    for compiled in rules:
        rule = compiled.rule
        for outcome in OUTCOMES:
            for index, plan in enumerate(rule.examples.get(outcome) or []):
                if not isinstance(plan, LocatedMap):
                    continue
                plan_id = _example_id(rule.id, outcome, index)
                copy = LocatedMap(plan)
                copy.start = plan.start
                copy.key_positions = dict(plan.key_positions)
                copy["id"] = plan_id
                wrapper = LocatedMap({"plans": LocatedList([copy])})
                wrapper.start = plan.start
                wrapper.key_positions = {"plans": plan.start}
                wrapper["plans"].start = plan.start
                wrapper["plans"].item_positions = [plan.start]
                records.extend(read_document(wrapper, rule.path))
                owners[plan_id] = (rule.id, outcome, index, f"{rule.path}:{plan.start[0]}")
    return records, owners


def run_examples(rules: Sequence[CompiledRule]) -> list[ExampleResult]:
    records, owners = _records(rules)
    model = validate(Loaded(records=records))
    invalid: dict[str, list[str]] = {}
    for problem in model.errors:
        if problem.plan_id in owners:
            invalid.setdefault(problem.plan_id, []).append(f"{problem.location}: "
                                                           f"{problem.message}")
    results = []
    for compiled in rules:
        findings = evaluate([compiled], model.frames)
        fired = set(findings["plan_id"])
        for plan_id, (rule_id, outcome, index, where) in owners.items():
            if rule_id != compiled.rule.id:
                continue
            if plan_id in invalid:
                results.append(ExampleResult(rule_id, outcome, index, plan_id, False,
                                             "example plan is not valid: "
                                             + "; ".join(invalid[plan_id]), where))
                continue
            did_fire = plan_id in fired
            ok = did_fire == (outcome == "fire")
            detail = ("fired" if did_fire else "did not fire") + (
                "" if ok else f", expected it {'to fire' if outcome == 'fire' else 'not to'}")
            results.append(ExampleResult(rule_id, outcome, index, plan_id, ok, detail, where))
    return sorted(results, key=lambda r: (r.rule_id, r.outcome, r.index))
