"""The evaluate stage: rules run over the whole model at once.

Each rule's expressions are compiled (parsed and type-checked) before anything runs; then
each rule is one vectorized pass over the rows of its scope: the ``when`` filter and the
``condition`` give a boolean column, the evidence expressions give value columns, and the
message template is filled column-wise. The result is one findings frame for all rules.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policycheck.codes import per_distinct
from policycheck.errors import Problem, RuleError
from policycheck.evidencearray import block
from policycheck.expression import Compiled, ExpressionError, Type, compile_expression
from policycheck.expression.distinct import Subset, row_wise, row_wise_names, worth_compressing
from policycheck.findings import (
    FINDING_COLUMNS,
    Fired,
    assemble,
    fill_fingerprints,
    fingerprints,
)
from policycheck.frames import Frames
from policycheck.rowcontext import RowContext
from policycheck.ruleset import SEVERITIES, Rule
from policycheck.scopes import build_scopes
from policycheck.streams import interleaved
from policycheck.wording import FORMATS, evidence_codes, format_messages

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_FORMATS = FORMATS
# The findings frame's columns, its fingerprints and the evidence formatting are imported
# from here by other stages and tests.
__all__ = ["FINDING_COLUMNS", "SEVERITY_RANK", "CompiledRule", "compile_rule",
           "compile_rules", "evaluate", "evaluate_rule", "fill_fingerprints", "fingerprints",
           "fire", "severity_ranks"]


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    when: Compiled
    condition: Compiled
    evidence: dict[str, Compiled]
    placeholders: tuple[tuple[str, str, str], ...]  # (literal, expression, format)
    escalate: tuple[tuple[Compiled, str], ...]


def _template(rule: Rule) -> list[tuple[str, str, str]]:
    parts = []
    for literal, field, spec, _ in string.Formatter().parse(rule.message):
        parts.append((literal, field or "", spec or ""))
    return parts


def compile_rule(rule: Rule) -> CompiledRule:
    """Compile every expression of a rule; RuleError with each problem's location."""
    scopes = build_scopes(rule.parameters)
    problems: list[Problem] = []

    def build(source: str, key: str, expect: Type | None) -> Compiled | None:
        try:
            return compile_expression(source, rule.scope, scopes, expect=expect)
        except ExpressionError as exc:
            # at its own line of an expression written over several, under it as written
            where = rule.location_at(key, exc.offset)
            problems.append(Problem(where, f"{key}: {exc.message}", "rule-expression",
                                    detail=_indent(exc.caret(rule.as_written(key, source)))))
            return None

    when = build(rule.when, "when", Type.BOOL)
    condition = build(rule.condition, "condition", Type.BOOL)
    evidence = {name: build(src, f"evidence.{name}", None) for name, src in rule.evidence.items()}
    placeholders = []
    try:
        template = _template(rule)
    except ValueError as exc:
        template = []
        problems.append(Problem(rule.location("message"), f"message: {exc}", "rule-message"))
    for literal, field, spec in template:
        if field and spec not in _FORMATS:
            problems.append(Problem(rule.location("message"), f"message: unknown format "
                                    f"'{spec}' for '{field}'; expected one of "
                                    f"{', '.join(repr(f) for f in _FORMATS)}", "rule-message"))
        if field and field not in evidence:
            evidence[field] = build(field, "message", None)
        placeholders.append((literal, field, spec))
    escalate = tuple((build(src, "escalate", Type.BOOL), level) for src, level in rule.escalate)
    if problems:
        raise RuleError(f"rule {rule.id} does not compile", problems)
    return CompiledRule(rule, when, condition, evidence,  # type: ignore[arg-type]
                        tuple(placeholders), escalate)  # type: ignore[arg-type]


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def compile_rules(rules: Sequence[Rule]) -> list[CompiledRule]:
    problems: list[Problem] = []
    compiled = []
    for rule in rules:
        try:
            compiled.append(compile_rule(rule))
        except RuleError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RuleError(f"{len(problems)} rule expression problem"
                        f"{'s' * (len(problems) != 1)}", problems)
    return compiled


def fire(compiled: CompiledRule, frames: Frames) -> Fired | None:
    """Where one rule fires, with its messages, evidence and severity (None: nowhere)."""
    rule = compiled.rule
    ctx = RowContext(frames, rule.scope, rule.values)
    if ctx.size == 0:
        return None
    rows = np.flatnonzero(compiled.when.evaluate(ctx) & compiled.condition.evaluate(ctx))
    if len(rows) == 0:
        return None
    fired = Subset(ctx, rows)
    values = {name: _at_rows(expr, ctx, fired) for name, expr in compiled.evidence.items()}
    severity = np.full(len(rows), SEVERITY_RANK[rule.severity], dtype=np.int8)
    for condition, level in compiled.escalate:
        # Escalation only raises: when several steps hold, the most severe one wins.
        raised = _at_rows(condition, ctx, fired)
        severity = np.where(raised & (severity > SEVERITY_RANK[level]),
                            SEVERITY_RANK[level], severity).astype(np.int8)
    listed = frozenset(k for k, expression in compiled.evidence.items()
                       if expression.type is Type.LIST)
    shown = [k for k in values if k in rule.evidence]
    lists = [k in listed for k in shown]
    evidence = block(shown, [evidence_codes(values[k], is_list)
                             for k, is_list in zip(shown, lists, strict=True)], lists)
    plan_rows = ctx.plan_idx[rows]
    weight = (frames.column("component", "weight")[rows] if rule.scope == "component"
              else np.ones(len(rows)))
    stake = frames.column("plan", "target_variable")[plan_rows] * weight * \
        frames.headcount[plan_rows]
    return Fired(rule, rows, plan_rows, severity,
                 format_messages(compiled.placeholders, values, len(rows), listed), evidence,
                 np.round(stake, 2))


def _at_rows(expr: Compiled, ctx: RowContext, fired: Subset) -> np.ndarray:
    """An expression's values on the rows where a rule fired. A name, or row-wise arithmetic
    on numbers, runs on those rows only; text and aggregates run over the whole scope, where
    text is worked out once per distinct combination and aggregates are shared by rules."""
    tree = expr.tree
    if row_wise(tree) and (not worth_compressing(tree) or row_wise_names(tree) is None):
        return np.asarray(expr.evaluate(fired))
    return np.asarray(expr.evaluate(ctx))[fired.rows]


def evaluate_rule(compiled: CompiledRule, frames: Frames) -> pd.DataFrame:
    """The findings of one rule, as a frame with FINDING_COLUMNS."""
    fired = fire(compiled, frames)
    return assemble([fired] if fired else [], frames)


#: Plans from which the rules run two at a time (``streams.interleaved``; measured: 10,000
#: plans 0.30 -> 0.33 s, 40,000 plans 1.02 -> 0.85 s, 100,000 plans 2.58 -> 2.24 s); most of a
#: rule's work is NumPy's, Arrow's and pandas', which release the interpreter lock.
SHARED_PLANS = 25_000


def evaluate(compiled: Sequence[CompiledRule],
             model_frames: dict[str, pd.DataFrame] | Frames,
             on_rule: Callable[[], None] | None = None,
             fingerprint: bool = True) -> pd.DataFrame:
    """Every finding of every rule, sorted by location, rule and entity. ``on_rule`` is
    called after each rule (a progress bar). Without ``fingerprint`` the fingerprints are
    left missing, to be filled by whatever needs them (``fill_fingerprints``). With many
    plans two rules run at a time, sharing ``frames``' lookups (each worked out for the
    first rule that asks, at worst twice)."""
    frames = model_frames if isinstance(model_frames, Frames) else Frames(model_frames)
    fired = []
    for found in interleaved(compiled, lambda rule: fire(rule, frames),
                             share=len(frames.plans) >= SHARED_PLANS):
        if found is not None:
            fired.append(found)
        if on_rule is not None:
            on_rule()
    frames.forget()
    return assemble(fired, frames, fingerprint)


def severity_ranks(severity: pd.Series) -> np.ndarray:
    """``SEVERITY_RANK`` of each severity (NaN for another value, or none), looked up per
    distinct severity (``map`` makes a Python object of every row: 0.2 s a million)."""
    return per_distinct(severity, lambda value: SEVERITY_RANK.get(value, np.nan)).astype(
        np.float64)

