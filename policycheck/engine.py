"""The evaluate stage: rules run over the whole model at once.

Each rule's expressions are compiled (parsed and type-checked) before anything runs; then
each rule is one vectorized pass over the rows of its scope: the ``when`` filter and the
``condition`` give a boolean column, the evidence expressions give value columns, and the
message template is filled column-wise. The result is one findings frame for all rules.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policycheck.errors import Problem, RuleError
from policycheck.expression import Compiled, ExpressionError, Type, compile_expression
from policycheck.ruleset import SEVERITIES, Rule
from policycheck.scopes import SCOPE_ENTITIES, Frames, RowContext, build_scopes

FINDING_COLUMNS = (
    "rule_id", "severity", "title", "scope", "plan_id", "entity_id", "component_id",
    "message", "evidence", "remediation", "src_file", "src_sheet", "src_line", "src_col",
    "headcount", "pay_at_stake", "fingerprint", "status", "waiver",
)
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_FORMATS = ("%", "%1", "n", "x", "money", "")


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
            where = rule.location(key)
            problems.append(Problem(where, f"{key}: {exc.message}", "rule-expression",
                                    detail=_indent(exc.caret(source))))
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


def _format(values: np.ndarray, spec: str) -> pd.Series:
    series = pd.Series(values, dtype=object)
    missing = pd.isna(pd.Series(values))

    def number(fmt: str) -> pd.Series:
        return pd.Series(values, dtype="float64").map(fmt.format)

    if spec == "%":
        text = number("{:.0%}")
    elif spec == "%1":
        text = number("{:.1%}")
    elif spec == "x":
        text = number("{:.1f}×")
    elif spec == "money":
        text = number("{:,.0f}")
    elif spec == "n":
        text = number("{:g}")
    else:
        text = _plain_column(values, series)
    return text.where(~missing, "n/a")


def _plain_column(values: np.ndarray, series: pd.Series) -> pd.Series:
    """``_plain`` for a whole column, by dtype (a findings column can be long)."""
    if np.issubdtype(values.dtype, np.datetime64):
        return pd.Series(pd.to_datetime(values).strftime("%Y-%m-%d"), dtype=object)
    if values.dtype == np.bool_:
        return pd.Series(np.where(values, "yes", "no"), dtype=object)
    if values.dtype.kind == "f":
        return pd.Series(values).map("{:g}".format)
    if series.map(type).eq(str).all():
        return series.str.replace(";", ", ", regex=False)
    return series.map(_plain)


def _plain(value: object) -> str:
    if isinstance(value, (np.datetime64, pd.Timestamp)):
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    if isinstance(value, str):
        return value.replace(";", ", ")
    return str(value)


def evaluate_rule(compiled: CompiledRule, frames: Frames) -> pd.DataFrame:
    """The findings of one rule, as a frame with FINDING_COLUMNS."""
    rule = compiled.rule
    ctx = RowContext(frames, rule.scope, rule.values)
    if ctx.size == 0:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    fire = compiled.when.evaluate(ctx) & compiled.condition.evaluate(ctx)
    rows = np.flatnonzero(fire)
    if len(rows) == 0:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    values = {name: np.asarray(expr.evaluate(ctx))[rows] for name, expr in
              compiled.evidence.items()}
    message = pd.Series("", index=range(len(rows)), dtype=object)
    for literal, field, spec in compiled.placeholders:
        message = message + literal.replace("{{", "{").replace("}}", "}")
        if field:
            message = message + _format(values[field], spec).to_numpy()
    severity = np.full(len(rows), rule.severity, dtype=object)
    for condition, level in compiled.escalate:
        # Escalation only raises: when several steps hold, the most severe one wins.
        raised = np.asarray(condition.evaluate(ctx))[rows]
        higher = pd.Series(severity).map(SEVERITY_RANK).to_numpy() > SEVERITY_RANK[level]
        severity = np.where(raised & higher, level, severity)
    spec = SCOPE_ENTITIES[rule.scope]

    def entity(name: str) -> np.ndarray:
        return frames.raw(rule.scope, name)[rows]

    plan_rows = ctx.plan_idx[rows]
    plans = frames.plans
    entity_ids = entity(spec.key) if rule.scope != "plan" else np.full(len(rows), None)
    shown = [k for k in values if k in rule.evidence]
    columns = [_json_values(values[k], compiled.evidence[k].type is Type.LIST) for k in shown]
    evidence_rows = ([dict(zip(shown, row, strict=True)) for row in zip(*columns, strict=True)]
                     if shown else [])
    out = pd.DataFrame({
        "rule_id": rule.id, "severity": severity, "title": rule.title, "scope": rule.scope,
        "plan_id": plans["plan_id"].to_numpy()[plan_rows], "entity_id": entity_ids,
        "component_id": entity_ids if rule.scope == "component" else None,
        "message": message.to_numpy(), "evidence": evidence_rows or [{}] * len(rows),
        "remediation": rule.remediation,
        "src_file": entity("src_file"), "src_sheet": entity("src_sheet"),
        "src_line": entity("src_line"), "src_col": entity("src_col"),
    })
    headcount = frames.headcount[plan_rows]
    weight = (frames.column("component", "weight")[rows] if rule.scope == "component"
              else np.ones(len(rows)))
    stake = frames.column("plan", "target_variable")[plan_rows] * weight * headcount
    out["headcount"] = pd.array(np.where(np.isnan(headcount), pd.NA, headcount), dtype="Int64")
    out["pay_at_stake"] = np.round(stake, 2)
    out["fingerprint"] = fingerprints(out)
    out["status"] = "open"  # waivers and baselines may change it
    out["waiver"] = None  # the waiver's reason, owner and expiry, when one matches
    return out


def _json_values(values: np.ndarray, is_list: bool = False) -> list[object]:
    """Evidence as plain JSON values: floats rounded to 6 places, NaN as None, dates as
    ISO dates, lists (held ``;``-joined) as lists."""
    if np.issubdtype(values.dtype, np.datetime64):
        return [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in values]
    if is_list:
        return [[i for i in str(v).split(";") if i] if v else [] for v in values.tolist()]
    if values.dtype.kind == "f":
        rounded = pd.Series(np.round(values, 6))
        return rounded.astype(object).where(rounded.notna(), None).tolist()
    return [None if isinstance(v, float) and v != v else v for v in values.tolist()]


def fingerprints(findings: pd.DataFrame) -> list[str]:
    """A finding's identity for baselines and waivers: rule id + entity key, never a line,
    so it survives reordering files, moving a plan and unrelated edits."""
    keys = (findings["rule_id"] + "|" + findings["plan_id"].astype(str) + "|"
            + findings["scope"] + "|" + findings["entity_id"].fillna("").astype(str))
    return [hashlib.blake2b(k.encode(), digest_size=8).hexdigest() for k in keys.tolist()]


def evaluate(compiled: Sequence[CompiledRule],
             model_frames: dict[str, pd.DataFrame] | Frames,
             on_rule: Callable[[], None] | None = None) -> pd.DataFrame:
    """Every finding of every rule, sorted by location, rule and entity. ``on_rule`` is
    called after each rule (a progress bar)."""
    frames = model_frames if isinstance(model_frames, Frames) else Frames(model_frames)
    parts = []
    for rule in compiled:
        parts.append(evaluate_rule(rule, frames))
        if on_rule is not None:
            on_rule()
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    findings = pd.concat(parts, ignore_index=True)
    findings = findings.sort_values(["src_file", "src_sheet", "src_line", "src_col", "rule_id",
                                     "entity_id"], kind="stable", na_position="first")
    return findings.reset_index(drop=True)[list(FINDING_COLUMNS)]


def severity_at_least(severity: pd.Series, threshold: str) -> pd.Series:
    return severity.map(SEVERITY_RANK) <= SEVERITY_RANK[threshold]

