"""Running the examples inside rule files: ``policycheck rules test``.

Every rule carries small plans that must make it fire and plans that must not, like
semgrep's ``--test`` or OPA's ``opa test``. The examples of all rules are validated as one
batch (each gets a unique plan id), then each rule runs over the batch and its findings are
counted on its own examples only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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
        mine = {p: o for p, o in owners.items() if o[0] == compiled.rule.id}
        # Each rule sees only its own examples: a function that looks across plans (such as
        # plans_of_role) must not be swayed by another rule's example plans.
        findings = evaluate([compiled], subset(model.frames, set(mine)))
        for plan_id, (rule_id, outcome, index, where) in mine.items():
            if plan_id in invalid:
                results.append(ExampleResult(rule_id, outcome, index, plan_id, False,
                                             "example plan is not valid: "
                                             + "; ".join(invalid[plan_id]), where))
                continue
            results.append(_judge(findings, compiled, plan_id, outcome, index, where))
    return sorted(results, key=lambda r: (r.rule_id, r.outcome, r.index))


def _judge(findings: pd.DataFrame, compiled: CompiledRule, plan_id: str, outcome: str,
           index: int, where: str) -> ExampleResult:
    """Did the example fire as expected, at the severity it states (``x_severity``)?"""
    rule = compiled.rule
    levels = set(findings.loc[findings["plan_id"] == plan_id, "severity"])
    did_fire = bool(levels)
    ok = did_fire == (outcome == "fire")
    detail = ("fired" if did_fire else "did not fire") + (
        "" if ok else f", expected it {'to fire' if outcome == 'fire' else 'not to'}")
    plan = rule.examples[outcome][index]
    wanted = plan.get("x_severity") if isinstance(plan, dict) else None
    if ok and did_fire and wanted is not None and wanted not in levels:
        ok = False
        detail = f"fired at {', '.join(sorted(levels))}, expected {wanted}"
    return ExampleResult(rule.id, outcome, index, plan_id, ok, detail, where)


def subset(frames: dict[str, pd.DataFrame], plan_ids: set[str]) -> dict[str, pd.DataFrame]:
    """The frames of some plans only, with ``plan_idx`` renumbered."""
    plans = frames["plans"]
    kept = plans[plans["plan_id"].isin(plan_ids)].reset_index(drop=True)
    codes = pd.Series(np.arange(len(kept)), index=kept["plan_id"].to_numpy())
    out = {"plans": kept.assign(plan_idx=np.arange(len(kept)))}
    for name, frame in frames.items():
        if name == "plans":
            continue
        if "plan_id" in frame and name != "kpis":
            frame = frame[frame["plan_id"].isin(plan_ids)].reset_index(drop=True)
            frame = frame.assign(plan_idx=codes.reindex(frame["plan_id"].to_numpy()).to_numpy())
        out[name] = frame
    return out
