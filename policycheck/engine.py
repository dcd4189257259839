"""The evaluate stage: rules run over the whole model at once.

Each rule's expressions are compiled (parsed and type-checked) before anything runs; then
each rule is one vectorized pass over the rows of its scope: the ``when`` filter and the
``condition`` give a boolean column, the evidence expressions give value columns, and the
message template is filled column-wise. The result is one findings frame for all rules.
"""

from __future__ import annotations

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
from policycheck.messagetemplate import misplaced_brace, template_of
from policycheck.messagetemplate import refused as refused_why
from policycheck.rowcontext import RowContext
from policycheck.rulefile import Rule
from policycheck.rulesections import SEVERITIES
from policycheck.scopes import build_scopes
from policycheck.streams import interleaved
from policycheck.wording import NUMBER_FORMATS, evidence_codes, format_messages, spec_parts

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
#: What a value that is no number is, as a number format's refusal says it.
_NOT_A_NUMBER = {Type.STRING: "text", Type.LIST: "a list", Type.BOOL: "a truth value",
                 Type.DATE: "a date"}
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


def compile_rule(rule: Rule) -> CompiledRule:
    """Compile every expression of a rule; RuleError with each problem's location."""
    scopes = build_scopes(rule.parameters)
    problems: list[Problem] = []

    def build(source: str, key: str, expect: Type | None, at: int = 0,
              named: dict[str, Compiled | None] | None = None) -> Compiled | None:
        """``source`` compiled; None, and a problem, where it does not compile. ``at``:
        where it starts in the text under ``key`` (a placeholder's in the message);
        ``named``: the evidence values a bare name in a placeholder stands for. Without
        them (any other expression) an evidence name is refused as named elsewhere."""
        elsewhere = frozenset(rule.evidence) if named is None else frozenset()
        try:
            return compile_expression(source, rule.scope, scopes, expect=expect,
                                      evidence=named, named_elsewhere=elsewhere)
        except ExpressionError as exc:
            whole = rule.message if key == "message" else source
            problems.append(_located(rule, key, whole, ExpressionError(
                exc.message, at + exc.offset, exc.length), "rule-expression"))
            return None

    when = build(rule.when, "when", Type.BOOL)
    condition = build(rule.condition, "condition", Type.BOOL)
    evidence = {name: build(src, f"evidence.{name}", None) for name, src in rule.evidence.items()}
    placeholders = _placeholders(rule, evidence, build, problems)
    # each step under its own key (escalate.1, ...): a problem is said at its own line
    escalate = tuple((build(src, f"escalate.{number}", Type.BOOL), level)
                     for number, (src, level) in enumerate(rule.escalate, 1))
    if problems:
        raise RuleError(f"rule {rule.id} does not compile", problems)
    return CompiledRule(rule, when, condition, evidence,  # type: ignore[arg-type]
                        placeholders, escalate)  # type: ignore[arg-type]


def _placeholders(rule: Rule, evidence: dict[str, Compiled | None],
                  build: Callable[[str, str, Type | None, int, dict[str, Compiled | None]],
                                  Compiled | None],
                  problems: list[Problem]) -> tuple[tuple[str, str, str], ...]:
    """The message's pieces as ``wording.format_messages`` takes them, each placeholder's
    expression compiled into ``evidence`` (under its text) unless it names an evidence
    value; a problem, at the placeholder, for each that cannot be shown. A bare name in
    an expression that is no field of the scope names an evidence value: its expression
    is checked and run in its place."""
    try:
        template = template_of(rule.message)
    except ValueError as exc:
        # (the formatter's own words only if this reading of it finds nothing: none known)
        error = misplaced_brace(rule.message) or ExpressionError(str(exc), 0)
        problems.append(_located(rule, "message", rule.message, error, "rule-message"))
        return ()
    named = {name: evidence[name] for name in rule.evidence}
    for piece in template:
        if piece.field is None:
            continue
        refused = refused_why(rule.message[piece.start:piece.end], piece)
        if refused:
            problems.append(_located(rule, "message", rule.message, ExpressionError(
                refused, piece.start, piece.end - piece.start), "rule-message"))
        if not piece.field.strip():
            continue
        if piece.field not in evidence:
            evidence[piece.field] = build(piece.field, "message", None, piece.start + 1,
                                          named)
        compiled = evidence[piece.field]
        written_format = spec_parts(piece.spec)[0]
        if written_format in NUMBER_FORMATS and compiled and compiled.type in _NOT_A_NUMBER:
            # it failed on the first value that reached it (exit 3): in CI, not in the
            # rule's own tests when its examples left the field out
            problems.append(_located(rule, "message", rule.message, ExpressionError(
                f"format '{written_format}' needs a number; '{piece.field}' is "
                f"{_NOT_A_NUMBER[compiled.type]}", piece.start, piece.end - piece.start),
                "rule-message"))
    return tuple((p.literal, p.field or "", p.spec) for p in template)


def _located(rule: Rule, key: str, written: str, error: ExpressionError,
             code: str) -> Problem:
    """``error``, about the text under ``key`` (``written``), at its own line and column of
    a text written over several lines, with a caret under it as the file writes it."""
    return Problem(rule.location_at(key, error.offset), f"{rule.key_said(key)}: "
                   f"{error.message}", code,
                   detail=_indent(error.caret(rule.as_written(key, written))))


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

