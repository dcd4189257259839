"""A rule's parameters: as a rule file declares them, and whether a value fits one.

A rule file declares each parameter under ``parameters``: its default, its type (number,
list, string or bool) and what it sets; ``parameters`` reads them into ``Parameter``,
each problem at its own key. ``parameter_error`` says why a value does not fit a
parameter's type, or the values of the field it is looked up among: a default here, a
value set by a flag or the config file in ``ruleset``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from policycheck.errors import (
    TRUTH_VALUE_HINT,
    Location,
    Problem,
    did_you_mean,
    quote,
    value_kind,
)
from policycheck.rulesections import at, check_part_keys
from policycheck.yamlsource import LocatedList, LocatedMap

PARAM_TYPES = ("number", "list", "string", "bool")
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


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any
    doc: str


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
        if not check_part_keys(spec, PARAM_KEYS, ("default",), f"parameter '{name}'", where,
                               shown, problems):
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
