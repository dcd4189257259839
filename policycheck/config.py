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

The rules the settings choose are worked out in ``configrules``; the settings as
``policycheck config`` shows them are rendered by ``configview``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policycheck import configkeys
from policycheck.configkeys import KEYS, BadValue, check_value, shown_path
from policycheck.configrules import loaded_rules, reference_problems
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
    """The file's problems and those of the rules it names (``reference_problems``), in
    the order of the file; only its own when its packs, or the others' settings, cannot
    be read (they are said when the file is mended)."""
    if not bad.packs_read:
        return bad
    try:
        layers = [bad.settings, read_environment(environ, cwd), read_flags(flags, cwd)]
        settings = Settings(merge(layers), shown, how)
        found = reference_problems(settings, *loaded_rules(settings)[1:])
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
