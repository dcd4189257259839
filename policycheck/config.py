"""Settings: ``policycheck.yaml``, ``POLICYCHECK_*`` environment variables and flags.

Precedence, highest first: command-line flags, environment variables, the config file, the
built-in defaults (``KEYS``). A list setting (``select``, ``outputs``, ...) is replaced whole
by a higher source; the mapping settings ``severity`` and ``params`` are merged entry by
entry, so a flag can change one parameter and keep the others of the file.

The config file is ``--config FILE``, else ``POLICYCHECK_CONFIG``, else the first
``policycheck.yaml`` (or ``.yml``) found from the current folder upward, stopping at the
filesystem root or at a folder holding ``.git``. Paths written in it are relative to it.
It is read like any input: safe YAML, duplicate keys, unknown keys with "did you mean",
wrong types, every problem with ``path:line:col``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policycheck import configkeys
from policycheck.configkeys import KEYS, BadValue, check_value, shown_path
from policycheck.errors import (
    Location,
    PolicycheckError,
    Problem,
    UsageError,
    did_you_mean,
    not_a_file,
    quote,
)
from policycheck.limits import read_within_limit
from policycheck.yamlsource import LocatedMap, load_yaml

if TYPE_CHECKING:
    from policycheck.ruleset import Rule

CONFIG_NAMES = ("policycheck.yaml", "policycheck.yml")
#: The mapping settings: merged entry by entry across sources.
MAPPINGS = ("severity", "params")


@dataclass(frozen=True)
class Setting:
    """One effective setting: its value and where it came from. A mapping setting keeps the
    source of each entry; a file setting keeps where each item is written, for problems found
    once the rules are loaded (an unknown rule id in ``select``)."""

    value: Any
    source: str
    sources: Mapping[str, str] = field(default_factory=dict)
    where: Mapping[str, Location] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Setting]
    config_file: str | None = None
    config_source: str = ""

    def __getitem__(self, key: str) -> Any:
        return self.values[key].value


def find_config(start: Path) -> Path | None:
    """The first config file from ``start`` upward; the search stops at a folder holding
    ``.git`` (a repository's root) or at the filesystem root."""
    folder = start.resolve()
    while True:
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


class _FileProblems(PolicycheckError):
    """A config file's problems, with the settings read from it all the same: the rules it
    names are looked up beside them (``resolve``), so that one run says every problem of
    the file, not its key errors first and its unknown rule ids after they are fixed."""

    def __init__(self, message: str, problems: list[Problem],
                 settings: dict[str, Setting], packs_read: bool) -> None:
        super().__init__(message, problems)
        self.settings = settings
        #: Whether the file's ``rules`` (its packs) were read: without them the rules looked
        #: up would be the wrong packs'.
        self.packs_read = packs_read


def read_config(path: Path, cwd: Path) -> dict[str, Setting]:
    """The settings written in a config file; PolicycheckError with every problem."""
    shown = shown_path(path, cwd)
    try:
        # a config file is reviewed like code, yet it sits in the checkout a pull request
        # changes: bounded as a YAML plan file is
        text = read_within_limit(path, shown, "config file", ".yaml").decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{shown}: cannot read the config file: {exc}") from None
    data, problems = load_yaml(text, shown)
    if data is None and not problems:
        return {}
    out: dict[str, Setting] = {}
    if isinstance(data, LocatedMap):  # after duplicate keys too: report every problem
        out = _file_settings(data, shown, path.parent, cwd, problems)
    elif data is not None:
        problems.append(Problem(Location(shown, "", 1, 1), "the config file must be a mapping "
                                f"of settings: {', '.join(KEYS)}", "config-shape"))
    if problems:
        packs_read = not isinstance(data, LocatedMap) or "rules" not in data or "rules" in out
        raise _FileProblems(f"the config file {shown} is not valid",
                            sorted(problems, key=Problem.sort_key), out, packs_read)
    return out


def _file_settings(data: LocatedMap, shown: str, base: Path, cwd: Path,
                   problems: list[Problem]) -> dict[str, Setting]:
    out: dict[str, Setting] = {}
    for key, raw in data.items():
        line, col = data.position(key)
        where = Location(shown, "", line, col)
        if key not in KEYS:
            hint = did_you_mean(key, KEYS) or f"; expected one of {', '.join(KEYS)}"
            problems.append(Problem(where, f"unknown key '{key}'{hint}", "config-key"))
            continue
        try:
            value, items = check_value(str(key), raw, base, cwd, where)
        except BadValue as bad:
            problems.append(Problem(bad.location or where, bad.file_message(str(key)),
                                    "config-type"))
            continue
        source = f"{shown}:{line}"
        if key in MAPPINGS:
            out[key] = Setting(value, source, {k: f"{shown}:{items[k].line}" for k in value},
                               items)
        else:
            out[key] = Setting(value, source, where=items)
    return out


def read_environment(environ: Mapping[str, str], cwd: Path) -> dict[str, Setting]:
    """The settings given as ``POLICYCHECK_*`` variables; list values comma-separated."""
    out: dict[str, Setting] = {}
    for key, spec in KEYS.items():
        if not spec.env or not environ.get(spec.env, "").strip():
            continue
        text = environ[spec.env].strip()
        raw: Any = configkeys.split_list(text) if spec.kind in ("packs", "ids", "outputs") else text
        if spec.kind == "days":
            # nine digits at most: int() refuses more than 4,300 (an internal error)
            raw = int(text) if text.isdigit() and len(text) <= 9 else text
        try:
            value, _ = check_value(key, raw, cwd, cwd, None)
        except BadValue as bad:
            raise UsageError(f"{spec.env}={quote(text)}: {bad.expected}") from None
        out[key] = Setting(value, f"env {spec.env}")
    return out


def read_flags(flags: Mapping[str, Any], cwd: Path) -> dict[str, Setting]:
    """The settings given on the command line; ``None`` or empty means not given."""
    out: dict[str, Setting] = {}
    for key, raw in flags.items():
        if raw is None or (isinstance(raw, (tuple, list, dict)) and not raw):
            continue
        flag = KEYS[key].flag
        try:
            value, _ = check_value(key, list(raw) if isinstance(raw, tuple) else raw, cwd, cwd,
                                   None)
        except BadValue as bad:
            raise UsageError(f"{flag} {quote(bad.value)}: {bad.expected}") from None
        sources = {k: f"flag {flag}" for k in value} if key in MAPPINGS else {}
        out[key] = Setting(value, f"flag {flag}", sources)
    return out


def merge(layers: list[dict[str, Setting]]) -> dict[str, Setting]:
    """Combine sources, lowest precedence first."""
    out: dict[str, Setting] = {}
    for key, spec in KEYS.items():
        chosen = Setting(spec.default, "default")
        for layer in layers:
            if key not in layer:
                continue
            given = layer[key]
            if key in MAPPINGS:
                kept = {k: v for k, v in chosen.where.items() if k not in given.value}
                chosen = Setting({**chosen.value, **given.value}, given.source,
                                 {**chosen.sources, **given.sources}, {**kept, **given.where})
            else:
                chosen = given
        out[key] = chosen
    return out


def resolve(flags: Mapping[str, Any], *, config: str | None = None,
            environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """The effective settings of a run."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    path, how = _config_path(config, environ, cwd)
    shown = shown_path(path, cwd) if path else None
    try:
        file_layer = read_config(path, cwd) if path else {}
    except _FileProblems as bad:
        raise _with_references(bad, shown, how, environ, flags, cwd) from None
    layers = [file_layer, read_environment(environ, cwd), read_flags(flags, cwd)]
    return Settings(merge(layers), shown, how)


def _with_references(bad: _FileProblems, shown: str | None, how: str,
                     environ: Mapping[str, str], flags: Mapping[str, Any],
                     cwd: Path) -> PolicycheckError:
    """The file's problems and those of the rules it names (``_reference_problems``), in
    the order of the file; only its own when its packs, or the others' settings, cannot
    be read (they are said when the file is mended)."""
    if not bad.packs_read:
        return bad
    try:
        layers = [bad.settings, read_environment(environ, cwd), read_flags(flags, cwd)]
        settings = Settings(merge(layers), shown, how)
        found = _reference_problems(settings, *_loaded_rules(settings)[1:])
    except PolicycheckError:
        return bad
    return PolicycheckError(bad.message, sorted([*bad.problems, *found], key=Problem.sort_key))


def _config_path(config: str | None, environ: Mapping[str, str],
                 cwd: Path) -> tuple[Path | None, str]:
    given, how = (config, "flag --config") if config else (
        environ.get("POLICYCHECK_CONFIG", "").strip(), "env POLICYCHECK_CONFIG")
    if given:
        path = cwd / given
        wrong = not_a_file(path, "config file")
        if wrong:
            raise UsageError(f"{how.split()[-1]} {given}: {wrong}")
        return path, how
    found = find_config(cwd)
    return found, "found from the current folder" if found else "none found"


def configured_rules(settings: Settings, loaded: list[Rule] | None = None) -> list[Rule]:
    """The rules to run: packs loaded (``loaded``: the rules of the settings' packs, read
    already), selected and overridden. A rule id or parameter in the config file that does
    not exist is reported where it is written."""
    from policycheck.ruleset import check_overrides, override, select

    rules, known, replaced = _loaded_rules(settings, loaded)
    problems = _reference_problems(settings, known, replaced)
    if problems:
        raise PolicycheckError(f"the config file {settings.config_file} is not valid",
                               sorted(problems, key=Problem.sort_key))
    # a flag's rule is looked up among every rule loaded, before those left out by select
    # and ignore are set aside below (a misspelt --severity was set aside in silence)
    check_overrides(known, _given_by_flag(settings, "params"),
                    _given_by_flag(settings, "severity"))
    picked, dropped = (_of_loaded(settings, key, known, replaced) for key in ("select", "ignore"))
    if settings["select"] and not picked:
        raise PolicycheckError(f"'select' of {settings.config_file} names no rule of the packs "
                               f"of this run ({', '.join(settings['rules'])}): expected a "
                               "--select of their rules")
    chosen = select(rules, picked, dropped)
    if rules and not chosen:  # a gate that checks nothing would pass
        said = [f"{key} {', '.join(settings[key])}" for key in ("select", "ignore")
                if settings[key]]
        raise UsageError(f"no rule left to run: {' and '.join(said)} leave none of the "
                         f"{len(rules)} rules of the packs; expected at least one rule")
    # Overrides of rules left out by select/ignore are kept for when they run again (and
    # those of rules of replaced packs, said above, for when those packs do).
    running = {r.id for r in chosen}
    params = {k: v for k, v in settings["params"].items() if k.rpartition(".")[0] in running}
    severities = {k: v for k, v in settings["severity"].items() if k in running}
    return override(chosen, params, severities, settings.values["params"].where)


def _given_by_flag(settings: Settings, key: str) -> list[str]:
    """The entries of the mapping setting ``key`` given by a command-line flag."""
    sources = settings.values[key].sources
    return [entry for entry in settings[key] if sources.get(entry, "").startswith("flag")]


def _loaded_rules(settings: Settings, loaded: list[Rule] | None = None
                  ) -> tuple[list[Rule], dict[str, Rule], bool]:
    """The rules of the run's packs, by id too, and whether the packs are a flag's or the
    environment's: those replace the file's, whose rule ids may then name rules of packs
    this run does not load (``POLICYCHECK_RULES=./ours`` made every ``ignore:
    [contest.campaign]`` an error)."""
    from policycheck.ruleset import default_pack, load_rules

    packs = [default_pack() if p == configkeys.DEFAULT_PACK else Path(p) for p in settings["rules"]]
    rules = load_rules(packs) if loaded is None else loaded
    replaced = settings.values["rules"].source.startswith(("flag", "env"))
    return rules, {r.id: r for r in rules}, replaced


def _of_loaded(settings: Settings, key: str, known: Mapping[str, Rule],
               replaced: bool) -> tuple[str, ...]:
    """``select`` or ``ignore``; with ``replaced`` packs, the file's items that name no rule
    of them left out (a flag's are kept: a typo there is said by ``select``)."""
    from policycheck.ruleset import matches

    items = tuple(settings[key])
    if not replaced or not settings.values[key].where:
        return items
    return tuple(i for i in items if any(matches(rule_id, [i]) for rule_id in known))


def _reference_problems(settings: Settings, known: Mapping[str, Rule],
                        replaced: bool = False) -> list[Problem]:
    """Where the file's select, ignore, severity and params name a rule or parameter that
    does not exist; with ``replaced`` packs, only those of the rules this run loads."""
    from policycheck.errors import RuleError
    from policycheck.ruleset import CHOSEN, convert_parameter, matches, parameter_choices

    problems = []
    vocabularies: dict[str, dict[str, Any]] = {}
    for key in ("select", "ignore"):
        for item, at in settings.values[key].where.items():
            if not replaced and not any(matches(rule_id, [item]) for rule_id in known):
                problems.append(Problem(at, f"'{key}': no rule matches '{item}'"
                                        f"{did_you_mean(item, known)}", "config-rule"))
    for rule_id, at in settings.values["severity"].where.items():
        if rule_id not in known and not replaced:
            problems.append(Problem(at, f"'severity': no rule '{rule_id}'"
                                    f"{did_you_mean(rule_id, known)}", "config-rule"))
    for key, at in settings.values["params"].where.items():
        rule_id, _, name = key.rpartition(".")
        rule = known.get(rule_id)
        if rule is None and replaced:
            continue
        if rule is None:
            message = f"'params': no rule '{rule_id}'{did_you_mean(rule_id, known)}"
        elif name not in rule.parameters:
            message = (f"'params': rule '{rule_id}' has no parameter '{name}'"
                       f"{did_you_mean(name, rule.parameters)}; it has "
                       f"{', '.join(rule.parameters) or 'none'}")
        else:
            if rule.parameters[name].type in CHOSEN and rule_id not in vocabularies:
                vocabularies[rule_id] = parameter_choices(rule)
            try:
                convert_parameter(rule.parameters[name], settings["params"][key], "",
                                  vocabularies.get(rule_id, {}).get(name))
                continue
            except RuleError as exc:
                message = f"'params' of '{key}' {exc.message.lstrip(': ')}"
        problems.append(Problem(at, message, "config-rule"))
    return problems


def check_arguments(settings: Settings,
                    environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments of ``pipeline.check`` for these settings."""
    from policycheck.waivers import today

    return {"configured": configured_rules(settings), "fail_on": settings["fail_on"],
            "waivers": settings["waivers"], "baseline": settings["baseline"],
            "warn_expiring": settings["warn_expiring"],
            "waiver_max_days": settings["waiver_max_days"], "today": today(environ)}


def setting_rows(settings: Settings) -> list[tuple[str, Any, str]]:
    """(key, value, source) for each setting; a mapping setting one row per entry."""
    rows = []
    for key in KEYS:
        setting = settings.values[key]
        if key in MAPPINGS and setting.value:
            rows += [(f"{key}.{k}", v, setting.sources[k]) for k, v in
                     sorted(setting.value.items())]
        else:
            rows.append((key, setting.value, setting.source))
    return rows


def _plain(value: Any) -> str:
    if isinstance(value, list):  # a parameter's value
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None or value == {} else str(value)


def render_text(settings: Settings) -> str:
    rows = [(key, _plain(value), source) for key, value, source in setting_rows(settings)]
    width = max(len(key) for key, _, _ in rows)
    values = max(len(value) for _, value, _ in rows)
    lines = [f"config file: {settings.config_file} ({settings.config_source})"
             if settings.config_file else "config file: none found"]
    lines += [f"{key.ljust(width)}  {value.ljust(values)}  {source}".rstrip()
              for key, value, source in rows]
    return "\n".join(lines) + "\n"


def render_json(settings: Settings) -> str:
    import json

    def plain(value: Any) -> Any:
        return list(value) if isinstance(value, tuple) else value

    data = {"config_file": settings.config_file, "config_source": settings.config_source,
            "settings": {key: {"value": plain(value), "source": source}
                         for key, value, source in setting_rows(settings)}}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
