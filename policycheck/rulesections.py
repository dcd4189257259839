"""The parts of a rule file that hold more than one value, read and checked: escalation
steps, evidence, the lists of principles, references and red-flag patterns, and examples,
each problem at its own key with what was found and what was expected (``rulefile`` reads
the rest of a rule and calls these; ``ruleparameters`` reads its parameters)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from policycheck.documents import is_extension_key
from policycheck.errors import (
    Location,
    Problem,
    did_you_mean,
    quote,
    value_kind,
)
from policycheck.yamlsource import LocatedList, LocatedMap

SEVERITIES = ("critical", "high", "medium", "low", "info")
STEP_KEYS = {
    "when": "an expression: where the finding takes the step's severity",
    "severity": f"one of {', '.join(SEVERITIES)}",
}
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


#: The red-flag catalogue; a rule may also name one of its tables, such as A.8 (the
#: counterweight table).
PATTERNS = tuple(f"A{n:02d}" for n in range(1, 41))
TABLE_TAG = re.compile(r"A\.[1-9][0-9]?", re.ASCII)


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
        check_part_keys(step, STEP_KEYS, STEP_KEYS, where,
                        Location(shown, "", *steps.position(index)), shown, problems)
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


def evidence(data: LocatedMap, shown: str, problems: list[Problem]) -> dict[str, str]:
    """Evidence name to expression; each entry that is not text said at its own line (a
    bare number reads as a number, not as the expression it was meant to be)."""
    evidence = data.get("evidence") or {}
    if not isinstance(evidence, dict):
        problems.append(Problem(at(data, "evidence", shown), "'evidence' must map names to "
                                "expressions", "rule-type"))
        return {}
    before = len(problems)
    for name, value in evidence.items():
        if not isinstance(value, str):
            hint = (f"; quote it to write it as one: {name}: '{quote(value)}'"
                    if isinstance(value, (int, float)) else "")
            holder = evidence if isinstance(evidence, LocatedMap) else data
            problems.append(Problem(at(holder, name, shown), f"evidence '{name}' must be an "
                                    f"expression (text), got {value_kind(value)}{hint}",
                                    "rule-type"))
    return evidence if len(problems) == before else {}


def patterns(data: LocatedMap, shown: str, problems: list[Problem]) -> tuple[str, ...]:
    """The red-flag patterns: A01 to A40 of the catalogue, or one of its tables (A.8)."""
    patterns = str_list(data, "patterns", shown, problems)
    items = data.get("patterns")
    for index, pattern in enumerate(patterns):
        if pattern not in PATTERNS and not TABLE_TAG.fullmatch(pattern):
            line, col = items.position(index) if isinstance(items, LocatedList) else (1, 1)
            problems.append(Problem(Location(shown, "", line, col), f"'patterns' item "
                                    f"{index + 1} is {quote(pattern)}, expected a red-flag "
                                    "pattern A01 to A40 of the catalogue, or one of its tables "
                                    f"such as A.8{did_you_mean(pattern, PATTERNS)}",
                                    "rule-type"))
    return tuple(patterns)


def str_list(data: LocatedMap, key: str, shown: str, problems: list[Problem]) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(at(data, key, shown), f"'{key}' must be a list of text",
                                "rule-type"))
        return []
    return list(value)


def int_list(data: LocatedMap, key: str, shown: str, problems: list[Problem]) -> list[int]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 7 for v in value):
        problems.append(Problem(at(data, key, shown), f"'{key}' must be a list of principle "
                                "numbers 1 to 7 (SPEC section 2)", "rule-type"))
        return []
    return list(value)


def check_part_keys(mapping: LocatedMap, allowed: Mapping[str, str], required: Iterable[str],
                    where: str, missing_at: Location, shown: str, problems: list[Problem]
                    ) -> bool:
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
    check_part_keys(value, EXAMPLE_SETS, EXAMPLE_SETS, "examples", where, shown, problems)
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
