"""Rule documentation generated from the rule files: ``rules explain`` and rules/RULES.md."""

from __future__ import annotations

import textwrap

import yaml

from policycheck.ruleset import Rule

PRINCIPLES = {
    1: "doing the right things, not only doing things right",
    2: "pay must not pull against the customer experience",
    3: "feedback must come from customers, not from the employee",
    4: "the basics the customer sees: on time, right parts, fixed for good",
    5: "under-promise, over-deliver",
    6: "remarkable recovery: do not punish making the customer whole",
    7: "checking boxes is not service",
}


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=92, initial_indent=indent,
                         subsequent_indent=indent)


def _example(plan: object) -> str:
    def plain(value: object) -> object:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    text = yaml.safe_dump(plain(plan), sort_keys=False, default_flow_style=None, width=88)
    return textwrap.indent(text.rstrip(), "      ")


def explain(rule: Rule) -> str:
    lines = [f"{rule.id}: {rule.title}",
             f"  severity: {rule.severity}    scope: {rule.scope}    "
             f"patterns: {', '.join(rule.patterns) or '-'}",
             "", "Why", _wrap(rule.rationale)]
    if rule.principles:
        lines += ["", "Principles"]
        lines += [f"  {n}. {PRINCIPLES[n]}" for n in rule.principles]
    lines += ["", "What to change", _wrap(rule.remediation), "", "Fires when",
              f"  when:      {' '.join(rule.when.split())}",
              f"  condition: {' '.join(rule.condition.split())}"]
    for when, level in rule.escalate:
        lines.append(f"  severity {level} when: {' '.join(when.split())}")
    if rule.parameters:
        lines += ["", "Parameters (override with --param " + rule.id + ".NAME=VALUE)"]
        for p in rule.parameters.values():
            lines.append(f"  {p.name} ({p.type}, default {p.default!r}): {p.doc}")
    lines += ["", "Examples"]
    for outcome, label in (("fire", "fires on"), ("pass", "does not fire on")):
        for plan in rule.examples.get(outcome) or []:
            lines += [f"  {label}:", _example(plan)]
    if rule.references:
        lines += ["", "Sources", "  " + ", ".join(rule.references)]
    lines += ["", f"Defined in {rule.path}"]
    return "\n".join(lines)
