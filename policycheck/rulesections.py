"""The parts of a rule file that hold more than one value, read and checked: escalation
steps, parameters and examples, each problem at its own key with what was found and what
was expected (``rulefile`` reads the rest of a rule and calls these)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from policycheck.documents import is_extension_key
from policycheck.errors import (
    TRUTH_VALUE_HINT,
    Location,
    Problem,
    did_you_mean,
    quote,
    value_kind,
)
from policycheck.yamlsource import LocatedList, LocatedMap

SEVERITIES = ("critical", "high", "medium", "low", "info")
PARAM_TYPES = ("number", "list", "string", "bool")
STEP_KEYS = {
    "when": "an expression: where the finding takes the step's severity",
    "severity": f"one of {', '.join(SEVERITIES)}",
}
PARAM_KEYS = {
    "default": "the value the rule uses where no setting changes it",
    "type": f"one of {', '.join(PARAM_TYPES)} (number where left out)",
    "doc": "what the parameter sets",
}
#: A parameter is named as ``param.NAME`` in expressions and as ``RULE.NAME`` in ``--param``
#: and the config file: a dot, a space or a leading '_' or digit would make it a name that
#: neither can write (``--param rule.max.speed=0.9`` reads as a rule 'rule.max').
PARAM_NAME = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
PARAM_NAME_RULE = ("expected a-z, 0-9 and '_', starting with a-z, so that param.NAME and "
                   "--param RULE.NAME=VALUE can name it")
EXAMPLE_SETS = {
    "fire": "a non-empty list of example plans the rule must fire on",
    "pass": "a non-empty list of example plans the rule must not fire on",
}
#: The key of a fire example that states the severity it must fire at (``rules test``).
EXPECTED_SEVERITY = "x_severity"
#: The keys of an example plan that ``rules test`` reads itself. Any other ``x_`` key is the
#: author's own and is passed over, as in a plan: one a letter or two from these is a typo
#: that would silently test less than was written (difflib similarity at least this).
EXAMPLE_KEYS = (EXPECTED_SEVERITY,)
EXAMPLE_KEY_LIKENESS = 0.85


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any
    doc: str


def at(data: LocatedMap, key: str, shown: str) -> Location:
    line, col = data.position(key)
    return Location(shown, "", line, col)


def escalate(data: LocatedMap, severity: str, shown: str,
              problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    """The escalation steps, each problem at its own step; each must raise a finding above
    the rule's ``severity`` (when it is known): the engine keeps the higher of the two, so a
    step down did nothing."""
    steps = data.get("escalate")
    if steps is None:
        return ()
    if not isinstance(steps, LocatedList):
        problems.append(Problem(at(data, "escalate", shown), "'escalate' must be a list of "
                                "steps {when: expression, severity: level}, got "
                                f"{value_kind(steps)}", "rule-type"))
        return ()
    before = len(problems)
    higher = SEVERITIES[:SEVERITIES.index(severity)] if severity in SEVERITIES else SEVERITIES
    out = []
    for index, step in enumerate(steps):
        where = f"'escalate' step {index + 1}"
        if not isinstance(step, LocatedMap):
            problems.append(Problem(Location(shown, "", *steps.position(index)), f"{where} "
                                    "must be a mapping {when: expression, severity: level}, "
                                    f"got {value_kind(step)}", "rule-type"))
            continue
        _keys(step, STEP_KEYS, STEP_KEYS, where, Location(shown, "", *steps.position(index)),
              shown, problems)
        if not all(key in step for key in STEP_KEYS):
            continue
        when, level = step["when"], step["severity"]
        if not isinstance(when, str):
            problems.append(Problem(at(step, "when", shown), f"{where}: 'when' must be an "
                                    f"expression (text), got {value_kind(when)}", "rule-type"))
        if level not in SEVERITIES:
            problems.append(Problem(at(step, "severity", shown), f"{where}: 'severity' is "
                                    f"{value_kind(level)}, expected one of "
                                    f"{', '.join(SEVERITIES)}{did_you_mean(level, SEVERITIES)}",
                                    "rule-type"))
        elif level not in higher:
            expected = (f"expected {' or '.join(higher)}" if higher else
                        f"a {severity} rule has no higher severity: remove the step")
            problems.append(Problem(at(step, "severity", shown), f"{where} is to '{level}', "
                                    f"not above the rule's severity '{severity}'; {expected}",
                                    "rule-type"))
        out.append((when, level))
    return tuple(out) if len(problems) == before else ()


#: How a finding may weigh in the choice of a plan's main issue (``Rule.weighs``).
WEIGHS = ("pull_share",)


def weighs(data: LocatedMap, scope: str, shown: str, problems: list[Problem]) -> str:
    """A rule's ``weighs``: only a plan-wide finding weighs otherwise than by its scope (a
    component finding weighs its component's weight; a contest, a gate, nothing)."""
    value = data.get("weighs")
    if value is None:
        return ""
    if value not in WEIGHS:
        shown_value = f"'{value}'" if isinstance(value, str) else value_kind(value)
        problems.append(Problem(at(data, "weighs", shown), f"'weighs' is {shown_value}, "
                                f"expected {' or '.join(WEIGHS)}"
                                f"{did_you_mean(str(value), WEIGHS)}", "rule-type"))
        return ""
    if scope and scope != "plan":
        problems.append(Problem(at(data, "weighs", shown), f"'weighs: {value}' is for a rule "
                                f"of scope plan; a {scope} finding weighs as its scope says",
                                "rule-type"))
        return ""
    return str(value)


def _keys(mapping: LocatedMap, allowed: Mapping[str, str], required: Iterable[str],
          where: str, missing_at: Location, shown: str, problems: list[Problem]) -> bool:
    """Each key of ``mapping`` (a part of a rule, ``where``) that is not ``allowed``, with
    the closest allowed one, and each ``required`` key missing, unless an unknown key is a
    typo of it: one problem for one mistake. False where there is one."""
    before = len(problems)
    meant = set()
    for key in mapping:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            meant |= {name for name in allowed if hint and f"'{name}'" in hint}
            problems.append(Problem(at(mapping, key, shown), f"unknown key '{key}' in "
                                    f"{where}{hint or '; expected ' + ', '.join(allowed)}",
                                    "rule-key"))
    for key in required:
        if key not in mapping and key not in meant:
            problems.append(Problem(missing_at, f"missing key '{key}' in {where}: expected "
                                    f"{allowed[key]}", "rule-key"))
    return len(problems) == before


def parameters(data: LocatedMap, shown: str, problems: list[Problem]) -> dict[str, Parameter]:
    value = data.get("parameters")
    if value is None:
        return {}
    if not isinstance(value, LocatedMap):
        problems.append(Problem(at(data, "parameters", shown), "'parameters' must be a "
                                "mapping of name to {default, type, doc}", "rule-type"))
        return {}
    out = {}
    for name, spec in value.items():
        where = Location(shown, "", *value.position(name))
        before = len(problems)
        if not (isinstance(name, str) and PARAM_NAME.fullmatch(name)):
            problems.append(Problem(where, f"parameter name {quote(name)} is not a valid name: "
                                    f"{PARAM_NAME_RULE}{_name_hint(name)}", "rule-type"))
        if not isinstance(spec, LocatedMap):
            problems.append(Problem(where, f"parameter '{name}' must be a mapping of default, "
                                    f"type and doc, got {value_kind(spec)}", "rule-type"))
            continue
        if not _keys(spec, PARAM_KEYS, ("default",), f"parameter '{name}'", where, shown,
                     problems):
            continue
        kind = spec.get("type", "number")
        if kind not in PARAM_TYPES:
            problems.append(Problem(where, f"parameter '{name}': type '{kind}', expected one "
                                    f"of {', '.join(PARAM_TYPES)}", "rule-type"))
            continue
        error = parameter_error(kind, spec["default"])
        if error:
            problems.append(Problem(_defaultat(spec, shown), f"parameter '{name}': default "
                                    f"{error}", "rule-type"))
        if len(problems) == before:
            out[name] = Parameter(name, kind, spec["default"], str(spec.get("doc", "")))
    return out


def _name_hint(name: object) -> str:
    """The valid parameter name closest to ``name`` as a "did you mean" (``max.speed``:
    ``max_speed``), or an empty string."""
    meant = re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")
    return f"; did you mean '{meant}'?" if PARAM_NAME.fullmatch(meant) else ""


def _defaultat(spec: LocatedMap, shown: str) -> Location:
    """Where a parameter's default is wrong: at a list's first item that is not text,
    else at the ``default`` key."""
    default = spec["default"]
    if isinstance(default, LocatedList):
        for index, item in enumerate(default):
            if not isinstance(item, str):
                return Location(shown, "", *default.position(index))
    return at(spec, "default", shown)


def parameter_error(kind: str, value: Any,
                    choices: tuple[str, frozenset[str]] | None = None) -> str:
    """Why a value does not fit a parameter type, or an empty string. A number must be
    finite: every comparison with NaN is false and every one with infinity true, so either
    turns a rule off, or on for every row, without a word. A list holds text. ``choices``
    (a field's name and values) are what a list's items are looked up among
    (``ruleset.parameter_choices``)."""
    ok = {
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "string": isinstance(value, str),
        "list": isinstance(value, list),
    }[kind]
    if not ok:
        return f"must be a {kind}, got {quote(value)}"
    if kind == "number" and not _finite(value):
        return f"must be a finite number, got {quote(value)}"
    other = [item for item in value if not isinstance(item, str)] if kind == "list" else []
    if other:
        return f"list items must be text, got {_item_kind(other[0])}"
    if kind == "string" and choices is not None and value not in choices[1]:
        label, allowed = choices
        return (f"{quote(value)} is not a valid {label}: expected one of "
                f"{', '.join(sorted(allowed))}{did_you_mean(value, allowed)}")
    if kind == "list" and choices is not None:
        label, allowed = choices
        for item in value:
            if item not in allowed:
                return (f"item {quote(item)} is not a valid {label}: expected one of "
                        f"{', '.join(sorted(allowed))}{did_you_mean(item, allowed)}")
    return ""


def _item_kind(item: object) -> str:
    """A list item that is not text, as a message names it (``3000 (a number)``), with how
    to write what was meant."""
    if isinstance(item, bool):
        return f"{quote(item)} (a truth value){TRUTH_VALUE_HINT}"
    if isinstance(item, (int, float)):
        # the expression language looks only text up in a list parameter
        # (``x in param.kinds`` needs ``x`` text), numbers in a list it writes itself
        return (f"{quote(item)} (a number); numbers are matched with a list written in the "
                "expression, such as x in [3000, 4000]")
    if isinstance(item, (date, datetime)):
        return f"{item.isoformat()} (a date); put it in quotes to write it as text"
    return value_kind(item)


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer past the largest float
        return False


def examples(data: LocatedMap, shown: str, problems: list[Problem]) -> dict[str, Any]:
    value = data.get("examples")
    if "examples" not in data:
        return {}  # said as a missing key
    where = at(data, "examples", shown)
    if not isinstance(value, LocatedMap):
        problems.append(Problem(where, "'examples' must be a mapping of fire and pass, each a "
                                f"non-empty list of example plans, got {value_kind(value)}",
                                "rule-examples"))
        return {}
    before = len(problems)
    _keys(value, EXAMPLE_SETS, EXAMPLE_SETS, "examples", where, shown, problems)
    for outcome in EXAMPLE_SETS:
        plans = value.get(outcome)
        if outcome not in value:
            continue
        if not isinstance(plans, LocatedList) or not plans:
            got = "an empty list" if isinstance(plans, list) else value_kind(plans)
            problems.append(Problem(at(value, outcome, shown), f"examples '{outcome}' must be "
                                    f"{EXAMPLE_SETS[outcome]}, got {got}", "rule-examples"))
            continue
        for index, plan in enumerate(plans):
            _example(plan, outcome, index, plans.position(index), shown, problems)
    return dict(value) if len(problems) == before else {}


def _example(plan: Any, outcome: str, index: int, position: tuple[int, int], shown: str,
             problems: list[Problem]) -> None:
    """One example: a plan (``rules test`` would have nothing to run), stating a severity
    only where it fires, and a severity there is."""
    where = f"{outcome} example {index + 1}"
    if not isinstance(plan, LocatedMap):
        problems.append(Problem(Location(shown, "", *position), f"{where} must be an example "
                                f"plan (a mapping of plan fields), got {value_kind(plan)}",
                                "rule-examples"))
        return
    for key in plan:
        if is_extension_key(key) and key not in EXAMPLE_KEYS and (
                hint := did_you_mean(key, EXAMPLE_KEYS, EXAMPLE_KEY_LIKENESS)):
            problems.append(Problem(at(plan, key, shown), f"{where}: unknown key '{key}'"
                                    f"{hint}", "rule-examples"))
    if EXPECTED_SEVERITY not in plan:
        return
    wanted = plan[EXPECTED_SEVERITY]
    if outcome == "pass":
        problems.append(Problem(at(plan, EXPECTED_SEVERITY, shown), f"{where}: "
                                f"'{EXPECTED_SEVERITY}' is for a fire example; a pass example "
                                "must not fire at all", "rule-examples"))
    elif wanted not in SEVERITIES:
        problems.append(Problem(at(plan, EXPECTED_SEVERITY, shown), f"{where}: "
                                f"'{EXPECTED_SEVERITY}' is {quote(wanted)}, expected one of "
                                f"{', '.join(SEVERITIES)}{did_you_mean(wanted, SEVERITIES)}",
                                "rule-examples"))
