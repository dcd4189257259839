"""Rule files and rule packs: reading, validating and overriding rules.

One rule per YAML file; the file stem is the rule id, for ever. A pack is a folder of
rules, grouped in family subfolders. A rule file is validated like any input: unknown keys
with "did you mean", wrong types, bad severities and expressions that do not compile are
reported with file:line:col, and the run stops with exit 2. Nothing in a pack is imported
or executed: rules are data, and their expressions only compute (``expression``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from policycheck.errors import Location, Problem, RuleError, did_you_mean, display_path
from policycheck.yamlsource import LocatedList, LocatedMap, decode, load_yaml

#: A rule file is a page of YAML; anything larger is not a rule (the default pack's largest
#: is a few KB).
MAX_RULE_BYTES = 1024 * 1024
SEVERITIES = ("critical", "high", "medium", "low", "info")
SCOPES = ("plan", "component", "gate", "modifier", "competition", "consequence", "campaign")
PARAM_TYPES = ("number", "list", "string", "bool")
RULE_KEYS = {
    "id": "the rule id (equal to the file name without .yaml)",
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
}
REQUIRED_KEYS = ("id", "title", "severity", "scope", "condition", "message", "rationale",
                 "remediation", "examples")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any
    doc: str


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
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    examples: Mapping[str, Any] = field(default_factory=dict)
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    def location(self, key: str = "") -> Location:
        line, col = self.positions.get(key, (1, 1))
        return Location(self.path, "", line, col)


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
    """
    files = []
    problems: list[Problem] = []
    for pack in packs:
        if pack.is_file():
            files.append((pack, display_path(pack)))
            continue
        if not pack.is_dir():
            raise RuleError(f"{display_path(pack)}: no such rule pack (a folder of rule files)")
        root = pack.resolve()
        for path in sorted(pack.rglob("*.yaml")):
            if any(p.startswith((".", "_")) for p in path.relative_to(pack).parts):
                continue  # "_coverage.yaml" and the like are the pack's notes, not rules
            shown_as = display_path(Path(pack.name) / path.relative_to(pack))
            real = path.resolve()
            if not real.is_relative_to(root):
                problems.append(Problem(Location(shown_as), "links to a file outside the rule "
                                        "pack; refused: expected the pack's own files",
                                        "rule-outside-pack"))
            elif not real.is_file():
                problems.append(Problem(Location(shown_as), "not a regular file; refused",
                                        "rule-not-file"))
            elif real.stat().st_size > MAX_RULE_BYTES:
                problems.append(Problem(Location(shown_as), f"rule file is "
                                        f"{real.stat().st_size:,} bytes; the limit is "
                                        f"{MAX_RULE_BYTES:,}", "file-too-large"))
            else:
                files.append((path, _shown(path, pack)))
    if problems:
        raise RuleError(f"{len(problems)} problem{'s' * (len(problems) != 1)} in rule packs",
                        problems)
    return files


def _shown(path: Path, pack: Path) -> str:
    """A rule file as users see it: relative to the current folder when under it, else
    relative to its pack ("rules/cs/cs.handle-time.yaml")."""
    try:
        return display_path(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return display_path(Path(pack.name) / path.relative_to(pack))


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


def read_rule(path: Path, shown: str, problems: list[Problem]) -> Rule | None:
    text = decode(path.read_bytes(), shown, problems)
    if text is None:
        return None
    data, yaml_problems = load_yaml(text, shown)
    problems.extend(yaml_problems)
    if yaml_problems:
        return None
    if not isinstance(data, LocatedMap):
        problems.append(Problem(Location(shown, "", 1, 1), "a rule file must be a mapping of "
                                f"{', '.join(REQUIRED_KEYS)}", "rule-shape"))
        return None
    before = len(problems)
    _check_keys(data, shown, problems)
    rule = _build(data, path, shown, problems)
    return rule if len(problems) == before else None


def _at(data: LocatedMap, key: str, shown: str) -> Location:
    line, col = data.position(key)
    return Location(shown, "", line, col)


def _check_keys(data: LocatedMap, shown: str, problems: list[Problem]) -> None:
    for key in data:
        if key not in RULE_KEYS:
            problems.append(Problem(_at(data, key, shown), f"unknown key '{key}'"
                                    f"{did_you_mean(key, RULE_KEYS)}", "rule-key"))
    for key in REQUIRED_KEYS:
        if key not in data:
            problems.append(Problem(Location(shown, "", 1, 1), f"missing key '{key}': "
                                    f"expected {RULE_KEYS[key]}", "rule-key"))


def _text(data: LocatedMap, key: str, shown: str, problems: list[Problem],
          default: str = "") -> str:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.append(Problem(_at(data, key, shown), f"'{key}' must be text, got "
                                f"{type(value).__name__}", "rule-type"))
        return default
    return str(value).strip()


def _choice(data: LocatedMap, key: str, choices: Sequence[str], shown: str,
            problems: list[Problem]) -> str:
    value = _text(data, key, shown, problems)
    if value and value not in choices:
        problems.append(Problem(_at(data, key, shown), f"'{key}' is '{value}', expected one "
                                f"of {', '.join(choices)}{did_you_mean(value, choices)}",
                                "rule-type"))
    return value


def _build(data: LocatedMap, path: Path, shown: str, problems: list[Problem]) -> Rule:
    rule_id = _text(data, "id", shown, problems)
    if rule_id and rule_id != path.stem:
        problems.append(Problem(_at(data, "id", shown), f"rule id '{rule_id}' differs from "
                                f"the file name '{display_path(path.stem)}'; expected them equal",
                                "rule-id"))
    evidence = data.get("evidence") or {}
    if not isinstance(evidence, dict) or not all(isinstance(v, str) for v in evidence.values()):
        problems.append(Problem(_at(data, "evidence", shown), "'evidence' must map names to "
                                "expressions", "rule-type"))
        evidence = {}
    return Rule(
        id=rule_id, title=_text(data, "title", shown, problems),
        severity=_choice(data, "severity", SEVERITIES, shown, problems),
        scope=_choice(data, "scope", SCOPES, shown, problems),
        when=_text(data, "when", shown, problems, "true") or "true",
        condition=_text(data, "condition", shown, problems),
        message=_text(data, "message", shown, problems),
        rationale=_text(data, "rationale", shown, problems),
        remediation=_text(data, "remediation", shown, problems),
        path=shown, evidence={str(k): str(v) for k, v in evidence.items()},
        escalate=_escalate(data, shown, problems),
        principles=tuple(_int_list(data, "principles", shown, problems)),
        references=tuple(_str_list(data, "references", shown, problems)),
        patterns=tuple(_str_list(data, "patterns", shown, problems)),
        parameters=_parameters(data, shown, problems),
        examples=_examples(data, shown, problems),
        positions={**{str(k): data.position(k) for k in data},
                   **{f"evidence.{k}": evidence.position(k) for k in evidence
                      if isinstance(evidence, LocatedMap)}},
    )


def _str_list(data: LocatedMap, key: str, shown: str, problems: list[Problem]) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(_at(data, key, shown), f"'{key}' must be a list of text",
                                "rule-type"))
        return []
    return list(value)


def _int_list(data: LocatedMap, key: str, shown: str, problems: list[Problem]) -> list[int]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 7 for v in value):
        problems.append(Problem(_at(data, key, shown), f"'{key}' must be a list of principle "
                                "numbers 1 to 7 (SPEC section 2)", "rule-type"))
        return []
    return list(value)


def _escalate(data: LocatedMap, shown: str, problems: list[Problem]) -> tuple[tuple[str, str],
                                                                                  ...]:
    value = data.get("escalate") or []
    out = []
    items = value if isinstance(value, list) else [None]
    for item in items:
        if not (isinstance(item, dict) and set(item) == {"when", "severity"}
                and isinstance(item["when"], str) and item["severity"] in SEVERITIES):
            problems.append(Problem(_at(data, "escalate", shown), "'escalate' must be a list "
                                    "of {when: expression, severity: " + "|".join(SEVERITIES)
                                    + "}", "rule-type"))
            return ()
        out.append((item["when"], item["severity"]))
    return tuple(out)


def _parameters(data: LocatedMap, shown: str, problems: list[Problem]) -> dict[str, Parameter]:
    value = data.get("parameters")
    if value is None:
        return {}
    if not isinstance(value, LocatedMap):
        problems.append(Problem(_at(data, "parameters", shown), "'parameters' must be a "
                                "mapping of name to {default, type, doc}", "rule-type"))
        return {}
    out = {}
    for name, spec in value.items():
        where = Location(shown, "", *value.position(name))
        if not isinstance(spec, dict) or "default" not in spec or set(spec) - {
                "default", "type", "doc"}:
            problems.append(Problem(where, f"parameter '{name}' must be a mapping with "
                                    "default, type and doc", "rule-type"))
            continue
        kind = spec.get("type", "number")
        if kind not in PARAM_TYPES:
            problems.append(Problem(where, f"parameter '{name}': type '{kind}', expected one "
                                    f"of {', '.join(PARAM_TYPES)}", "rule-type"))
            continue
        error = parameter_error(kind, spec["default"])
        if error:
            problems.append(Problem(where, f"parameter '{name}': default {error}",
                                    "rule-type"))
            continue
        out[str(name)] = Parameter(str(name), kind, spec["default"], str(spec.get("doc", "")))
    return out


def parameter_error(kind: str, value: Any) -> str:
    """Why a value does not fit a parameter type, or an empty string."""
    ok = {
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "string": isinstance(value, str),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[kind]
    return "" if ok else f"must be a {kind}, got {value!r}"


def _examples(data: LocatedMap, shown: str, problems: list[Problem]) -> dict[str, Any]:
    value = data.get("examples")
    if not isinstance(value, LocatedMap) or set(value) - {"fire", "pass"} or not all(
            isinstance(value.get(k), LocatedList) and value.get(k) for k in ("fire", "pass")):
        problems.append(Problem(_at(data, "examples", shown), "'examples' must hold 'fire' "
                                "and 'pass', each a non-empty list of example plans",
                                "rule-examples"))
        return {}
    return dict(value)


def coverage_notes(packs: Sequence[Path]) -> dict[str, str]:
    """Why a red-flag pattern has no rule: ``_coverage.yaml`` of a pack, pattern → reason."""
    notes: dict[str, str] = {}
    for pack in packs:
        path = pack / "_coverage.yaml"
        if not path.is_file():
            continue
        if not path.resolve().is_relative_to(pack.resolve()):
            raise RuleError(f"{display_path(path)}: links to a file outside the rule pack; "
                            "refused: expected the pack's own files")
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


def override(rules: Sequence[Rule], params: Mapping[str, str],
             severities: Mapping[str, str]) -> list[Rule]:
    """Apply ``RULE.NAME=VALUE`` parameter and ``RULE=LEVEL`` severity overrides."""
    by_id = {r.id: r for r in rules}
    values: dict[str, dict[str, Any]] = {r.id: {} for r in rules}
    for key, raw in params.items():
        rule_id, _, name = key.rpartition(".")
        rule = by_id.get(rule_id)
        if rule is None:
            raise RuleError(f"--param {key}: no rule '{rule_id}'{did_you_mean(rule_id, by_id)}")
        if name not in rule.parameters:
            raise RuleError(f"--param {key}: rule '{rule_id}' has no parameter '{name}'"
                            f"{did_you_mean(name, rule.parameters)}; it has "
                            f"{', '.join(rule.parameters) or 'none'}")
        values[rule_id][name] = convert_parameter(rule.parameters[name], raw, f"--param {key}")
    out = []
    for rule in rules:
        severity = severities.get(rule.id, rule.severity)
        if severity not in SEVERITIES:
            raise RuleError(f"--severity {rule.id}={severity}: expected one of "
                            f"{', '.join(SEVERITIES)}")
        merged = {name: p.default for name, p in rule.parameters.items()} | values[rule.id]
        out.append(replace(rule, severity=severity, values=merged))
    unknown = set(severities) - set(by_id)
    if unknown:
        name = sorted(unknown)[0]
        raise RuleError(f"--severity {name}: no rule '{name}'{did_you_mean(name, by_id)}")
    return out


def convert_parameter(parameter: Parameter, raw: Any, where: str) -> Any:
    """A parameter value from text (command line) or YAML, checked against its type."""
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
    error = parameter_error(parameter.type, value)
    if error:
        raise RuleError(f"{where}: {error}")
    return value
