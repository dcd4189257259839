"""The rules of packs: loading them, selecting and overriding them, checking their values.

A pack is a folder of rules (one file each, read by ``rulefile``), grouped in family
subfolders, whose files ``rulepacks`` finds. Problems in any file of a pack are reported
together, with file:line:col, and the run stops with exit 2. A parameter's value, its
default or one set by a flag or the config file, is checked against the values of the
field the rule looks it up as; a KPI id, written as a value or in an expression, against
the KPIs known once the plans are read (a warning).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policycheck.errors import Location, Problem, RuleError, did_you_mean
from policycheck.rulefile import Rule, read_rule
from policycheck.rulepacks import default_pack, rule_files
from policycheck.ruleparameters import Parameter, parameter_error
from policycheck.rulesections import SEVERITIES

if TYPE_CHECKING:
    from policycheck.engine import CompiledRule
    from policycheck.expression.checker import Vocabulary


def load_rules(packs: Sequence[Path] | None = None) -> list[Rule]:
    """Read and check every rule of the packs; raise RuleError with every problem."""
    problems: list[Problem] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path, shown in rule_files(list(packs) if packs else [default_pack()]):
        rule = read_rule(path, shown, problems)
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(Problem(rule.location("id"), f"rule id '{rule.id}' is defined "
                                    f"twice (also in {seen[rule.id]})", "duplicate-rule"))
            continue
        seen[rule.id] = shown
        rules.append(rule)
    if problems:
        raise RuleError(f"{len(problems)} problem{'s' * (len(problems) != 1)} in rule files",
                        problems)
    return sorted(rules, key=lambda r: r.id)


def matches(rule_id: str, patterns: Iterable[str]) -> bool:
    """Selection by id or id prefix: 'cs' and 'cs.' select every cs.* rule."""
    return any(rule_id == p or rule_id.startswith(p.rstrip(".") + ".") for p in patterns)


def select(rules: Sequence[Rule], chosen: Sequence[str] = (),
           ignored: Sequence[str] = ()) -> list[Rule]:
    known = [r.id for r in rules]
    for pattern in (*chosen, *ignored):
        if not any(matches(i, [pattern]) for i in known):
            raise RuleError(f"no rule matches '{pattern}'{did_you_mean(pattern, known)}")
    kept = [r for r in rules if not chosen or matches(r.id, chosen)]
    return [r for r in kept if not matches(r.id, ignored)]


def check_overrides(by_id: Mapping[str, Rule], params: Iterable[str],
                    severities: Iterable[str]) -> None:
    """RuleError for the first ``--param RULE.NAME`` that names no rule of ``by_id`` or no
    parameter of its rule, then for the first ``--severity RULE`` that names no rule."""
    for key in params:
        rule_id, _, name = key.rpartition(".")
        rule = by_id.get(rule_id)
        if rule is None:
            raise RuleError(f"--param {key}: no rule '{rule_id}'{did_you_mean(rule_id, by_id)}")
        if name not in rule.parameters:
            raise RuleError(f"--param {key}: rule '{rule_id}' has no parameter '{name}'"
                            f"{did_you_mean(name, rule.parameters)}; it has "
                            f"{', '.join(rule.parameters) or 'none'}")
    unknown = sorted(set(severities) - set(by_id))
    if unknown:
        raise RuleError(f"--severity {unknown[0]}: no rule '{unknown[0]}'"
                        f"{did_you_mean(unknown[0], by_id)}")


def override(rules: Sequence[Rule], params: Mapping[str, str],
             severities: Mapping[str, str],
             where: Mapping[str, Location] | None = None) -> list[Rule]:
    """Apply ``RULE.NAME=VALUE`` parameter and ``RULE=LEVEL`` severity overrides. A
    severity given is every finding's: the rule's escalations no longer raise any above it
    (lowering ``claw.none`` to low left the findings it escalates at high, still failing
    the run). A list's items are checked against the values of the field the rule looks
    them up as (``parameter_choices``). ``where``: the place each ``RULE.NAME`` was written
    (a config file's line), else it is said as ``--param RULE.NAME``."""
    by_id = {r.id: r for r in rules}
    check_overrides(by_id, params, severities)
    values: dict[str, dict[str, Any]] = {r.id: {} for r in rules}
    vocabularies: dict[str, dict[str, Vocabulary]] = {}
    for key, raw in params.items():
        rule_id, _, name = key.rpartition(".")
        rule = by_id[rule_id]
        if rule.parameters[name].type in CHOSEN and rule_id not in vocabularies:
            vocabularies[rule_id] = parameter_choices(rule)
        values[rule_id][name] = convert_parameter(rule.parameters[name], raw, f"--param {key}",
                                                  vocabularies.get(rule_id, {}).get(name))
    out = []
    for rule in rules:
        severity = severities.get(rule.id, rule.severity)
        if severity not in SEVERITIES:
            raise RuleError(f"--severity {rule.id}={severity}: expected one of "
                            f"{', '.join(SEVERITIES)}")
        merged = {name: p.default for name, p in rule.parameters.items()} | values[rule.id]
        escalate = () if rule.id in severities else rule.escalate
        value_at = {name: (where or {}).get(f"{rule.id}.{name}")
                    or Location(f"--param {rule.id}.{name}") for name in values[rule.id]}
        out.append(replace(rule, severity=severity, values=merged, escalate=escalate,
                           value_at=value_at))
    return out


def convert_parameter(parameter: Parameter, raw: Any, where: str,
                      choices: Vocabulary | None = None) -> Any:
    """A parameter value from text (command line) or YAML, checked against its type (and a
    list's items against ``choices``)."""
    value = raw
    if isinstance(raw, str) and parameter.type != "string":
        if parameter.type == "list":
            value = [v.strip() for v in raw.split(",") if v.strip()]
        elif parameter.type == "bool":
            value = {"true": True, "false": False}.get(raw.strip().lower(), raw)
        else:
            text = raw.strip()
            try:
                value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            except ValueError:
                value = raw
    error = parameter_error(parameter.type, value, choices)
    if error and parameter.type == "number" and isinstance(raw, str) and \
            isinstance(value, float):  # read, yet not finite: said as written (1e400, not inf)
        error = f"must be a finite number, got {raw.strip()}"
    if error:
        raise RuleError(f"{where}: {error}")
    return value


#: The parameter types whose values may be looked up among a field's values: a list's items
#: (``kpi.category in param.categories``), a string (``role_kind == param.kind``).
CHOSEN = ("list", "string")


def parameter_choices(rule: Rule, compiled: CompiledRule | None = None
                      ) -> dict[str, Vocabulary]:
    """Parameter name → what its items must be, for each list parameter the rule's
    expressions look an enumerated field up in (``kpi.data_source not in
    param.untrusted_sources``: data sources). The rule is compiled for it, so pandas is
    imported: only for a rule whose list parameter is set, or where rules are compiled
    anyway. A rule that does not compile has none (compiling it reports why). KPI ids are
    no field's values: the catalog is only known once the plans are read."""
    from policycheck.engine import compile_rule
    from policycheck.expression.checker import merge_vocabularies

    if compiled is None:
        try:
            compiled = compile_rule(rule)
        except RuleError:
            return {}
    found: dict[str, Vocabulary] = {}
    for expression in _expressions(compiled):
        found = merge_vocabularies(found, expression.vocabularies)
    lists = {f"param.{p.name}": p.name for p in rule.parameters.values() if p.type in CHOSEN}
    return {lists[name]: vocabulary for name, vocabulary in found.items() if name in lists}


def _expressions(compiled: CompiledRule) -> tuple[Any, ...]:
    """Every expression of a compiled rule."""
    return tuple(expression for _, expression in _keyed_expressions(compiled))


def _keyed_expressions(compiled: CompiledRule) -> list[tuple[str, Any]]:
    """Every expression of a compiled rule with the key it is written under (``when``,
    ``evidence.NAME``, ``escalate.N``; a message placeholder's is ``message``)."""
    rule = compiled.rule
    own = {f"evidence.{name}" for name in rule.evidence}
    return [("when", compiled.when), ("condition", compiled.condition),
            *((f"evidence.{name}" if f"evidence.{name}" in own else "message", expression)
              for name, expression in compiled.evidence.items()),
            *((f"escalate.{number}", when)
              for number, (when, _) in enumerate(compiled.escalate, 1))]


def unknown_kpis(rules: Sequence[Rule], compiled: Sequence[CompiledRule],
                 kpi_ids: Iterable[str]) -> list[Problem]:
    """A warning for each item of a list parameter a rule looks KPI ids up in
    (``kpi.id in param.attach_kpis``) that is no KPI of ``kpi_ids`` (the built-in library
    and the catalog of the plans read), where the value was written: a misspelt id matches
    nothing, and the rule is silently blind to the KPI meant. A warning, not an error: a
    hook given a few changed files may not be given the catalog that defines the KPI."""
    known = set(kpi_ids)
    problems = []
    for rule, done in zip(rules, compiled, strict=True):
        problems += _unknown_kpi_literals(rule, done, known)
        names = {name.removeprefix("param.") for expression in _expressions(done)
                 for name in expression.kpi_lists}
        for name in sorted(names & {p for p, spec in rule.parameters.items()
                                    if spec.type == "list"}):
            for item in rule.values.get(name, rule.parameters[name].default) or ():
                if item not in known:
                    problems.append(Problem(
                        rule.value_location(name),
                        f"rule '{rule.id}', parameter '{name}': '{item}' is no KPI of the "
                        "built-in library or of the plans read, so the rule matches nothing "
                        f"by it{did_you_mean(item, known)}",
                        "unknown-kpi-param", severity="warning"))
    return problems


def _unknown_kpi_literals(rule: Rule, compiled: CompiledRule, known: set[str]
                          ) -> list[Problem]:
    """A warning for each KPI id written as text in a rule's expressions (``kpi.id ==
    'ahtt'``, ``kpi.id in ['aht', 'wrap']``) that is no KPI of ``known``, at the text: a
    misspelt id matched nothing, and the rule never fired, without a word."""
    problems = []
    for key, expression in _keyed_expressions(compiled):
        for text, offset in sorted(expression.kpi_literals, key=lambda item: item[1]):
            if text not in known:
                problems.append(Problem(
                    rule.location_at(key, offset),
                    f"rule '{rule.id}', {rule.key_said(key)}: '{text}' is no KPI of the "
                    "built-in library or of the plans read, so it matches nothing"
                    f"{did_you_mean(text, known)}",
                    "unknown-kpi-literal", severity="warning"))
    return problems


def check_defaults(rules: Sequence[Rule],
                   compiled: Sequence[CompiledRule] | None = None) -> None:
    """RuleError for each list parameter whose default, where it is in effect, holds an
    item the rule never finds (a category misspelt), and each string parameter whose
    default is no value of the field it is compared with, at the default in the rule file.
    ``compiled``: the rules compiled, in order (else they are compiled here)."""
    problems = []
    for index, rule in enumerate(rules):
        if not any(p.type in CHOSEN for p in rule.parameters.values()):
            continue
        done = compiled[index] if compiled is not None else None
        for name, vocabulary in parameter_choices(rule, done).items():
            default = rule.parameters[name].default
            if rule.values.get(name, default) != default:
                continue  # set by a flag or the config file, and checked there (override)
            error = parameter_error(rule.parameters[name].type, default, vocabulary)
            if error:
                problems.append(Problem(rule.location(f"parameters.{name}.default"),
                                        f"parameter '{name}': default {error}", "rule-type"))
    if problems:
        raise RuleError(f"{len(problems)} problem{'s' * (len(problems) != 1)} in rule files",
                        problems)
