"""One rule file: what a rule is (``Rule``) and how its YAML is read and checked.

One rule per YAML file; the file stem is the rule id, for ever. A rule file is validated
like any input: unknown keys with "did you mean", wrong types, bad severities and malformed
parameters or examples are reported with file:line:col (escalation steps, evidence, lists
and examples are read by ``rulesections``, parameters by ``ruleparameters``). Nothing in a
rule file is imported or executed: rules are data, and their expressions only compute
(``expression``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from policycheck import ruleparameters
from policycheck import rulesections as sections
from policycheck.errors import (
    Location,
    Problem,
    did_you_mean,
    display_path,
    value_kind,
)
from policycheck.exprspans import Span, as_written, place, spans
from policycheck.ruleparameters import Parameter
from policycheck.rulesections import (
    SEVERITIES,
    at,
)
from policycheck.yamlsource import LocatedList, LocatedMap, decode, load_yaml

#: A rule file is a page of YAML; anything larger is not a rule (the default pack's largest
#: is a few KB).
MAX_RULE_BYTES = 1024 * 1024
SCOPES = ("plan", "component", "gate", "modifier", "competition", "consequence", "campaign")
#: ``family.what-it-flags``: words of a-z and 0-9 joined by '-', at least two parts joined by
#: '.'. The id is a file name, a SARIF ruleId and a selector: a look-alike letter, a space or
#: an invisible character would make a second rule that reads as the first.
RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+", re.ASCII)
RULE_KEYS = {
    "id": "the rule id (equal to the file name without .yaml or .yml)",
    "title": "one line saying what the rule flags",
    "severity": f"one of {', '.join(SEVERITIES)}",
    "scope": f"one of {', '.join(SCOPES)}",
    "when": "an expression: which rows the rule applies to",
    "condition": "an expression: true where the rule fires",
    "message": "a template quoting the evidence, e.g. '{speed:%} of pay on speed'",
    "evidence": "a mapping of name to expression",
    "escalate": "a list of {when: expression, severity: level}",
    "rationale": "why this is a red flag",
    "principles": "the SPEC section 2 principles it follows, e.g. [1, 2]",
    "remediation": "what to change",
    "references": "source keys",
    "parameters": "a mapping of name to {default, type, doc}",
    "examples": "{fire: [plans], pass: [plans]}",
    "patterns": "the red-flag patterns it covers, e.g. [A30]",
    "weighs": "pull_share: a plan-wide finding about what the pay itself rewards, weighed "
              "by the plan's pull share when the leadership report picks a plan's main issue",
}
REQUIRED_KEYS = ("id", "title", "severity", "scope", "condition", "message", "rationale",
                 "remediation", "examples")


@dataclass(frozen=True)
class Rule:
    """A rule as read from its file (expressions still as text)."""

    id: str
    title: str
    severity: str
    scope: str
    condition: str
    message: str
    rationale: str
    remediation: str
    path: str
    when: str = "true"
    evidence: Mapping[str, str] = field(default_factory=dict)
    escalate: tuple[tuple[str, str], ...] = ()
    principles: tuple[int, ...] = ()
    references: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    #: How a finding weighs when the leadership report picks a plan's main issue
    #: (``leadership.headline``): "pull_share", or "" for the scope's own way.
    weighs: str = ""
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    #: Where a value set over the rule file's default was written (the config file's line,
    #: ``--param RULE.NAME``); ``value_location``.
    value_at: Mapping[str, Location] = field(default_factory=dict)
    examples: Mapping[str, Any] = field(default_factory=dict)
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    #: Where the lines of each expression (``when``, ``evidence.NAME``) are in the file.
    spans: Mapping[str, tuple[Span, ...]] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    def location(self, key: str = "") -> Location:
        line, col = self.positions.get(key, (1, 1))
        return Location(self.path, "", line, col)

    def value_location(self, name: str) -> Location:
        """Where the value of parameter ``name`` in effect was written."""
        return self.value_at.get(name) or self.location(f"parameters.{name}.default")

    def location_at(self, key: str, offset: int) -> Location:
        """Where the character at ``offset`` of the expression under ``key`` (``when``,
        ``evidence.NAME``, ``escalate.N``, ``message``) is written; the key's place where
        that is not known."""
        at = place(self.spans.get(key, ()), offset)
        return Location(self.path, "", *at) if at else self.location(key)

    @staticmethod
    def key_said(key: str) -> str:
        """A key as a problem names it: ``escalate.2`` is "'escalate' step 2"."""
        step = key.removeprefix("escalate.")
        return f"'escalate' step {step}" if step != key else key

    def as_written(self, key: str, source: str) -> str:
        """The expression under ``key`` broken into lines as its file writes it."""
        return as_written(source, self.spans.get(key, ()))


def read_rule(path: Path, shown: str, problems: list[Problem]) -> Rule | None:
    text = decode(path.read_bytes(), shown, problems)
    if text is None:
        return None
    data, yaml_problems = load_yaml(text, shown)
    problems.extend(yaml_problems)
    if yaml_problems:
        return None
    if not isinstance(data, LocatedMap) or not any(key in RULE_KEYS for key in data):
        problems.append(_not_a_rule(data, shown))
        return None
    before = len(problems)
    _check_keys(data, shown, problems)
    rule = _with_spans(_build(data, path, shown, problems), text)
    if len(problems) == before:
        return rule
    # its expressions too, where what they read is sound, so that an author fixes the
    # file in one pass, not one kind of problem at a time
    problems.extend(_expression_problems(data, rule, shown))
    return None


def _with_spans(rule: Rule, text: str) -> Rule:
    """``rule`` with where the lines of its expressions (and of its message, whose
    placeholders hold some) are in ``text``, its file's."""
    lines = text.splitlines()
    sources = {"when": rule.when, "condition": rule.condition, "message": rule.message,
               **{f"evidence.{name}": source for name, source in rule.evidence.items()},
               **{f"escalate.{number}": when for number, (when, _) in
                  enumerate(rule.escalate, 1)}}
    return replace(rule, spans={key: found for key, source in sources.items()
                                if key in rule.positions
                                and (found := spans(lines, rule.positions[key], source))})


def _not_a_rule(data: Any, shown: str) -> Problem:
    """The one problem of a file that holds no key of a rule, where each missing key would
    be a problem of its own: a list of rules (as other tools write them), a plan, a list."""
    expected = f"expected a mapping of {', '.join(REQUIRED_KEYS)}"
    listed = data.get("rules") if isinstance(data, LocatedMap) else None
    if not isinstance(listed, list):
        return Problem(Location(shown, "", 1, 1), f"not a rule: {expected}", "rule-shape")
    ids = [str(item["id"]) for item in listed if isinstance(item, dict) and "id" in item]
    files = ", ".join(f"{rule_id}.yaml" for rule_id in ids[:3]) + (", ..." if len(ids) > 3
                                                                   else "")
    named = f" ({files})" if files else ""
    return Problem(at(data, "rules", shown), "a rule file holds one rule, not a 'rules' list: "
                   f"write each rule to a file of its own named after its id{named}; "
                   f"{expected}", "rule-shape")


def _expression_problems(data: LocatedMap, rule: Rule, shown: str) -> list[Problem]:
    """The problems of a rule's expressions (``engine.compile_rule``), for a rule with
    other problems: none when its scope, parameters, evidence or escalation are not sound
    themselves (an expression would be wrong for their sake)."""
    from policycheck.engine import compile_rule
    from policycheck.errors import RuleError

    probe: list[Problem] = []
    ruleparameters.parameters(data, shown, probe)
    sections.escalate(data, "", shown, probe)
    evidence = data.get("evidence") or {}
    if probe or rule.scope not in SCOPES or not rule.condition or \
            not isinstance(evidence, dict) or \
            not all(isinstance(v, str) for v in evidence.values()):
        return []
    try:
        compile_rule(rule)
    except RuleError as exc:
        return list(exc.problems)
    return []


def _check_keys(data: LocatedMap, shown: str, problems: list[Problem]) -> None:
    for key in data:
        if key not in RULE_KEYS:
            problems.append(Problem(at(data, key, shown), f"unknown key '{key}'"
                                    f"{did_you_mean(key, RULE_KEYS)}", "rule-key"))
    for key in REQUIRED_KEYS:
        if key not in data:
            problems.append(Problem(Location(shown, "", 1, 1), f"missing key '{key}': "
                                    f"expected {RULE_KEYS[key]}", "rule-key"))


def _text(data: LocatedMap, key: str, shown: str, problems: list[Problem],
          default: str = "") -> str:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.append(Problem(at(data, key, shown), f"'{key}' must be text, got "
                                f"{value_kind(value)}", "rule-type"))
        return default
    return str(value).strip()


def _choice(data: LocatedMap, key: str, choices: Sequence[str], shown: str,
            problems: list[Problem]) -> str:
    value = _text(data, key, shown, problems)
    if value and value not in choices:
        problems.append(Problem(at(data, key, shown), f"'{key}' is '{value}', expected one "
                                f"of {', '.join(choices)}{did_you_mean(value, choices)}",
                                "rule-type"))
    return value


def _build(data: LocatedMap, path: Path, shown: str, problems: list[Problem]) -> Rule:
    rule_id = _text(data, "id", shown, problems)
    if rule_id and not RULE_ID.fullmatch(rule_id):
        problems.append(Problem(at(data, "id", shown), f"rule id {rule_id!a} is not a "
                                "valid id: expected family.what-it-flags, words of a-z and 0-9 "
                                "joined by '-' and parts joined by '.' (cs.handle-time)",
                                "rule-id"))
    elif rule_id and rule_id != path.stem:
        problems.append(Problem(at(data, "id", shown), f"rule id '{rule_id}' differs from "
                                f"the file name '{display_path(path.stem)}'; expected them equal",
                                "rule-id"))
    evidence = sections.evidence(data, shown, problems)
    severity = _choice(data, "severity", SEVERITIES, shown, problems)
    scope = _choice(data, "scope", SCOPES, shown, problems)
    return Rule(
        id=rule_id, title=_text(data, "title", shown, problems),
        severity=severity, scope=scope,
        when=_text(data, "when", shown, problems, "true") or "true",
        condition=_text(data, "condition", shown, problems),
        message=_text(data, "message", shown, problems),
        rationale=_text(data, "rationale", shown, problems),
        remediation=_text(data, "remediation", shown, problems),
        path=shown, evidence={str(k): str(v) for k, v in evidence.items()},
        escalate=sections.escalate(data, severity, shown, problems),
        principles=tuple(sections.int_list(data, "principles", shown, problems)),
        references=tuple(sections.str_list(data, "references", shown, problems)),
        patterns=sections.patterns(data, shown, problems),
        weighs=sections.weighs(data, scope, shown, problems),
        parameters=ruleparameters.parameters(data, shown, problems),
        examples=sections.examples(data, shown, problems),
        positions={**{str(k): data.position(k) for k in data},
                   **_positions(evidence, "evidence"),
                   **_positions(data.get("parameters"), "parameters"),
                   **_step_positions(data.get("escalate"))},
    )


def _step_positions(steps: Any) -> dict[str, tuple[int, int]]:
    """Where the expression of each escalation step is (``escalate.N``: its ``when`` key)."""
    if not isinstance(steps, LocatedList):
        return {}
    return {f"escalate.{number}": step.position("when")
            for number, step in enumerate(steps, 1) if isinstance(step, LocatedMap)}


def _positions(value: Any, key: str) -> dict[str, tuple[int, int]]:
    """Where each entry of a mapping under ``key`` is (``evidence.NAME``), and the default
    of a parameter (``parameters.NAME.default``)."""
    if not isinstance(value, LocatedMap):
        return {}
    out = {f"{key}.{name}": value.position(name) for name in value}
    out |= {f"{key}.{name}.default": spec.position("default") for name, spec in value.items()
            if isinstance(spec, LocatedMap) and "default" in spec}
    return out
