"""Rule packs: finding their rule files, loading them, selecting and overriding rules.

A pack is a folder of rules (one file each, read by ``rulefile``), grouped in family
subfolders. Problems in any file of a pack are reported together, with file:line:col, and
the run stops with exit 2.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policycheck.errors import Location, Problem, RuleError, did_you_mean, display_path
from policycheck.rulefile import MAX_RULE_BYTES, Rule, read_rule
from policycheck.rulesections import SEVERITIES, Parameter, parameter_error
from policycheck.yamlsource import decode, load_yaml

if TYPE_CHECKING:
    from policycheck.engine import CompiledRule
    from policycheck.expression.checker import Vocabulary


def default_pack() -> Path:
    """The default rule pack: ``policycheck.rules`` when installed, ``rules/`` in a checkout."""
    try:
        from importlib import resources

        root = resources.files("policycheck.rules")
        path = Path(str(root))
        if path.is_dir() and any(path.rglob("*.yaml")):
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "rules"


def rule_files(packs: Sequence[Path]) -> list[tuple[Path, str]]:
    """The rule files of each pack, with the path to show for them.

    A pack may only hold its own files: an entry that resolves outside the pack (a symlink
    to ``~/.ssh/config``, whose content the problems would quote) or to something other
    than a regular file (a FIFO, a device) is refused. Only packs the user named are read.
    A folder without a rule file is no pack: a gate pointed at the wrong folder would run
    no rule and pass.
    """
    files = []
    problems: list[Problem] = []
    for pack in packs:
        if pack.is_file():
            too_large = _too_large(pack, _printable(display_path(pack)))
            if too_large:
                problems.append(too_large)
            else:
                files.append((pack, _printable(display_path(pack))))
            continue
        if not pack.is_dir():
            raise RuleError(f"{display_path(pack)}: no such rule pack (a folder of rule files)"
                            f"{did_you_mean(str(pack), ['default'])}")
        root = pack.resolve()
        paths = _yaml_files(pack)
        if not paths:  # "_coverage.yaml" and the like are the pack's notes, not rules
            raise RuleError(f"{display_path(pack)}: no rule file in the rule pack: expected "
                            "files of one rule each, named after the rule id (RULE-ID.yaml)")
        for path in paths:
            shown_as = _shown(path, pack)
            real = path.resolve()
            if not real.is_relative_to(root):
                problems.append(Problem(Location(shown_as), "links outside the rule "
                                        "pack; refused: expected the pack's own files",
                                        "rule-outside-pack"))
            elif not real.is_file():
                problems.append(Problem(Location(shown_as), "not a regular file; refused",
                                        "rule-not-file"))
            elif too_large := _too_large(real, shown_as):
                problems.append(too_large)
            else:
                files.append((path, shown_as))
    if problems:
        raise RuleError(f"{len(problems)} problem{'s' * (len(problems) != 1)} in rule packs",
                        problems)
    return files


def _yaml_files(pack: Path) -> list[Path]:
    """The pack's rule files, ``.yaml`` and ``.yml`` alike (a ``.yml`` beside the others was
    passed over: a rule that never ran), leaving out those under a name that starts with '.'
    or '_' (the pack's notes, an editor's files)."""
    return sorted(path for suffix in ("*.yaml", "*.yml") for path in pack.rglob(suffix)
                  if not any(p.startswith((".", "_")) for p in path.relative_to(pack).parts))


def _too_large(path: Path, shown: str, kind: str = "rule file") -> Problem | None:
    """A rule file (or a pack's notes) past MAX_RULE_BYTES, which is not read at all: a
    pack may come with a pull request."""
    size = path.stat().st_size
    if size <= MAX_RULE_BYTES:
        return None
    return Problem(Location(shown), f"{kind} is {size:,} bytes; the limit is "
                   f"{MAX_RULE_BYTES:,}", "file-too-large")


def _shown(path: Path, pack: Path) -> str:
    """A rule file as users see it: relative to the current folder when under it; the
    built-in pack's from the pack's name ("rules/cs/cs.handle-time.yaml", wherever it is
    installed); any other as its pack was given ("../packs/ours/org.x.yaml": named from its
    pack's name alone, it was said to be at ours/..., which is no path from here)."""
    try:
        return _printable(display_path(path.resolve().relative_to(Path.cwd().resolve())))
    except ValueError:
        pass
    if pack.resolve() == default_pack().resolve():
        return _printable(display_path(Path(pack.name) / path.relative_to(pack)))
    return _printable(display_path(os.path.normpath(path)))


def _printable(shown: str) -> str:
    """A rule file's name with each character that is not printable escaped: a right-to-left
    override in a name (a pack may come with a pull request) would reorder the line shown."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in shown)


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


def coverage_notes(packs: Sequence[Path]) -> dict[str, str]:
    """Why a red-flag pattern has no rule: ``_coverage.yaml`` of a pack, pattern → reason."""
    notes: dict[str, str] = {}
    for pack in packs:
        path = pack / "_coverage.yaml"
        if not path.is_file():
            continue
        if not path.resolve().is_relative_to(pack.resolve()):
            raise RuleError(f"{display_path(path)}: links outside the rule pack; "
                            "refused: expected the pack's own files")
        too_large = _too_large(path, display_path(path), "coverage notes file")
        if too_large:
            raise RuleError(f"{display_path(path)}: the pack's notes are too large", [too_large])
        problems: list[Problem] = []
        text = decode(path.read_bytes(), display_path(path), problems)
        data, yaml_problems = load_yaml(text or "", display_path(path))
        problems += yaml_problems
        section = data.get("not_expressible") if isinstance(data, dict) else None
        if problems or not isinstance(section, dict):
            raise RuleError(f"{display_path(path)}: expected 'not_expressible: {{A28: reason}}'",
                            problems)
        notes.update({str(k): " ".join(str(v).split()) for k, v in section.items()})
    return notes


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
