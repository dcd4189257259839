"""Rule packs: finding their rule files, loading them, selecting and overriding rules.

A pack is a folder of rules (one file each, read by ``rulefile``), grouped in family
subfolders. Problems in any file of a pack are reported together, with file:line:col, and
the run stops with exit 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from policycheck.errors import Location, Problem, RuleError, did_you_mean, display_path
from policycheck.rulefile import (
    MAX_RULE_BYTES,
    SEVERITIES,
    Parameter,
    Rule,
    parameter_error,
    read_rule,
)
from policycheck.yamlsource import decode, load_yaml


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
            too_large = _too_large(pack, display_path(pack))
            if too_large:
                problems.append(too_large)
            else:
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
            elif too_large := _too_large(real, shown_as):
                problems.append(too_large)
            else:
                files.append((path, _shown(path, pack)))
    if problems:
        raise RuleError(f"{len(problems)} problem{'s' * (len(problems) != 1)} in rule packs",
                        problems)
    return files


def _too_large(path: Path, shown: str, kind: str = "rule file") -> Problem | None:
    """A rule file (or a pack's notes) past MAX_RULE_BYTES, which is not read at all: a
    pack may come with a pull request."""
    size = path.stat().st_size
    if size <= MAX_RULE_BYTES:
        return None
    return Problem(Location(shown), f"{kind} is {size:,} bytes; the limit is "
                   f"{MAX_RULE_BYTES:,}", "file-too-large")


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


def override(rules: Sequence[Rule], params: Mapping[str, str],
             severities: Mapping[str, str]) -> list[Rule]:
    """Apply ``RULE.NAME=VALUE`` parameter and ``RULE=LEVEL`` severity overrides. A
    severity given is every finding's: the rule's escalations no longer raise any above it
    (lowering ``claw.none`` to low left the findings it escalates at high, still failing
    the run)."""
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
        escalate = () if rule.id in severities else rule.escalate
        out.append(replace(rule, severity=severity, values=merged, escalate=escalate))
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
