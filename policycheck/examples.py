"""Running the examples inside rule files: ``policycheck rules test``.

Every rule carries small plans that must make it fire and plans that must not, like
semgrep's ``--test`` or OPA's ``opa test``. The examples of all rules are validated as one
batch (each gets a unique plan id), then each rule runs over the batch and its findings are
counted on its own examples only. An example that is not a valid plan tests nothing: it
stops the run as a rule file that cannot be used. The examples may name the organisation's
own KPIs: its catalog files (``rules test --kpis``) are read as ``check`` reads them among
its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from policycheck.documents import Records, read_document
from policycheck.engine import CompiledRule, evaluate
from policycheck.errors import InputError, Problem, RuleError, UsageError, display_path
from policycheck.loading import Loaded, load_paths
from policycheck.rulesections import EXPECTED_SEVERITY
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


def read_catalog(paths: Sequence[str]) -> Loaded:
    """The organisation's KPI catalog files (YAML with a top-level ``kpis`` key, a
    ``kpis.csv`` table or a workbook with a kpis sheet), valid and holding KPIs only: an
    example plan is the rule's own, never one of the organisation's."""
    for path in paths:
        if not Path(path).is_file():
            raise UsageError(f"--kpis {display_path(path)}: " + (
                "a folder; expected a KPI catalog file" if Path(path).is_dir() else
                "no such file"))
    named = ", ".join(display_path(p) for p in paths)
    catalog = load_paths(paths)
    if catalog.records.rows.get("plans") or catalog.tables.frames.get("plans"):
        raise UsageError(f"--kpis {named}: holds plans; expected a KPI catalog only (a "
                         "top-level 'kpis' key, or a kpis.csv table)")
    errors = validate(catalog).errors
    if errors:
        raise InputError(f"--kpis {named}: the KPI catalog is not valid", errors)
    if not catalog.records.rows.get("kpis") and not catalog.tables.frames.get("kpis"):
        raise UsageError(f"--kpis {named}: no KPI found; expected a KPI catalog (a top-level "
                         "'kpis' key, or a kpis.csv table)")
    return catalog


def run_examples(rules: Sequence[CompiledRule],
                 catalog: Loaded | None = None) -> list[ExampleResult]:
    """Each rule's examples judged; ``catalog`` (``read_catalog``) laid over the built-in
    KPI library as check lays an organisation's catalog over it."""
    records, owners = _records(rules)
    loaded = Loaded(records=records)
    if catalog is not None:
        records.extend(catalog.records)
        loaded = Loaded(records=records, tables=catalog.tables)
    model = validate(loaded)
    invalid = _invalid_examples(model.errors, owners, catalog is None)
    if invalid:
        raise RuleError(f"{len(invalid)} problem{'s' * (len(invalid) != 1)} in rule examples: "
                        "an example must be a valid plan", invalid)
    results = []
    for compiled in rules:
        mine = {p: o for p, o in owners.items() if o[0] == compiled.rule.id}
        # Each rule sees only its own examples: a function that looks across plans (such as
        # plans_of_role) must not be swayed by another rule's example plans.
        findings = evaluate([compiled], subset(model.frames, set(mine)))
        for plan_id, (_, outcome, index, where) in mine.items():
            results.append(_judge(findings, compiled, plan_id, outcome, index, where))
    return sorted(results, key=lambda r: (r.rule_id, r.outcome, r.index))


def _invalid_examples(errors: Sequence[Problem], owners: Mapping[str, object],
                      no_catalog: bool) -> list[Problem]:
    """The problems of the example plans, each at its place in its rule file. An example
    that is not a valid plan tests nothing: its rule file cannot be used (exit 2), as a
    rule file with a wrong key cannot, rather than failing as a test would (exit 1)."""
    hint = "; an organisation's KPI: name its catalog with --kpis FILE"
    found = [replace(problem, message=problem.message + hint)
             if no_catalog and problem.code == "unknown-kpi" else problem
             for problem in errors if problem.plan_id in owners]
    return sorted(found, key=Problem.sort_key)


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
    wanted = plan.get(EXPECTED_SEVERITY) if isinstance(plan, dict) else None
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
