"""The settings table: every key of ``policycheck.yaml``, its type, default, environment
variable and flag, and the check that turns a raw value into a setting.

One table, in the manner of yamllint's rule options: ``policycheck config``, the docs and
the "did you mean" of an unknown key all read it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policycheck.errors import Location, did_you_mean, display_path, quote
from policycheck.limits import ENCODING_EXPECTED, ENCODING_VARIABLE, text_encoding
from policycheck.outputspec import FORMAT_NAMES, OUTPUT_EXPECTED, output_spec
from policycheck.yamlsource import LocatedList, LocatedMap

FAIL_LEVELS = ("critical", "high", "medium", "low", "info", "none")
SEVERITY_LEVELS = FAIL_LEVELS[:-1]
#: In ``rules``, this entry means the built-in pack.
DEFAULT_PACK = "default"



@dataclass(frozen=True)
class Key:
    kind: str
    default: Any
    env: str
    flag: str
    doc: str


KEYS: dict[str, Key] = {
    "rules": Key("packs", (DEFAULT_PACK,), "POLICYCHECK_RULES", "--rules",
                 "rule packs (folders or rule files); 'default' is the built-in pack"),
    "select": Key("ids", (), "POLICYCHECK_SELECT", "--select",
                  "run only these rules (ids or id prefixes)"),
    "ignore": Key("ids", (), "POLICYCHECK_IGNORE", "--ignore",
                  "skip these rules (ids or id prefixes)"),
    "severity": Key("severities", {}, "", "--severity", "rule id: severity"),
    "params": Key("params", {}, "", "--param", "rule id: {parameter: value}"),
    "fail_on": Key("level", "high", "POLICYCHECK_FAIL_ON", "--fail-on",
                   "exit 1 on an open finding at or above this severity"),
    "format": Key("format", "text", "POLICYCHECK_FORMAT", "--format",
                  "format of the standard output"),
    "outputs": Key("outputs", (), "POLICYCHECK_OUTPUT", "--output",
                   "reports also written on every run, FORMAT:FILE"),
    "waivers": Key("path", None, "POLICYCHECK_WAIVERS", "--waivers", "the waivers file"),
    "baseline": Key("path", None, "POLICYCHECK_BASELINE", "--baseline", "the baseline file"),
    "warn_expiring": Key("days", 14, "POLICYCHECK_WARN_EXPIRING", "--warn-expiring",
                         "warn about waivers that expire within this many days"),
    "waiver_max_days": Key("days", 0, "POLICYCHECK_WAIVER_MAX_DAYS", "",
                           "the longest a waiver may run from today, in days (an expiry "
                           "past it is an error); 0: no limit"),
    "encoding": Key("encoding", None, ENCODING_VARIABLE, "--encoding",
                    "encoding of the input files that are not UTF-8 (cp1252: Excel's CSV on "
                    "Windows)"),
}


class BadValue(Exception):
    """A value that does not fit its key: ``part`` says which item (``of 'cs.x'``)."""

    def __init__(self, value: Any, expected: str, part: str = "",
                 location: Location | None = None) -> None:
        super().__init__(expected)
        self.value, self.expected, self.part, self.location = value, expected, part, location

    def file_message(self, key: str) -> str:
        part = f" {self.part}" if self.part else ""
        return f"'{key}'{part} is {quote(self.value)}; {self.expected}"


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def shown_path(path: Path, cwd: Path) -> str:
    """A path as users see it: relative to the current folder."""
    try:
        return display_path(os.path.relpath(path, cwd).replace(os.sep, "/"))
    except ValueError:  # another drive on Windows
        return display_path(path)


def _at(container: Any, index: Any, fallback: Location | None) -> Location | None:
    if fallback is None or not isinstance(container, (LocatedMap, LocatedList)):
        return fallback
    line, col = container.position(index)
    return Location(fallback.file, "", line, col)


def _texts(raw: Any, expected: str, where: Location | None) -> list[tuple[str, Location | None]]:
    """A list of non-empty texts (a comma-separated text too), with where each is."""
    if isinstance(raw, str):
        return [(item, where) for item in split_list(raw)]
    if not isinstance(raw, list):
        raise BadValue(raw, expected)
    out = []
    for index, item in enumerate(raw):
        if not isinstance(item, str) or not item.strip():
            raise BadValue(item, expected, f"item {index + 1}", _at(raw, index, where))
        out.append((item.strip(), _at(raw, index, where)))
    return out


def _choice(value: Any, choices: tuple[str, ...] | list[str], part: str = "",
            where: Location | None = None) -> str:
    if not isinstance(value, str) or value not in choices:
        raise BadValue(value, f"expected one of {', '.join(choices)}"
                       f"{did_you_mean(value, choices)}", part, where)
    return value


def _path(value: str, base: Path, cwd: Path) -> str:
    return value if Path(value).is_absolute() else shown_path(base / value, cwd)


def _packs(raw: Any, base: Path, cwd: Path, where: Location | None) -> dict[str, Location | None]:
    expected = "expected {extends: [default, ./our-rules]}: rule packs, 'default' the built-in"
    if isinstance(raw, LocatedMap):
        unknown = [k for k in raw if k != "extends"]
        if unknown or "extends" not in raw:
            name = unknown[0] if unknown else ""
            raise BadValue(raw, expected + did_you_mean(name, ["extends"]), "",
                           _at(raw, name, where))
        where, raw = _at(raw, "extends", where), raw["extends"]
    items = _texts(raw, expected, where)
    for index, (item, at) in enumerate(items):
        # a file's, said here at its item: when the rules are loaded, no line is known (a
        # flag's or the environment's is said then, as the flag)
        if where is not None and item != DEFAULT_PACK and not (base / item).exists():
            raise BadValue(item, "expected a rule pack (a folder of rule files) or a rule "
                           f"file, and there is none there{did_you_mean(item, [DEFAULT_PACK])}",
                           f"item {index + 1}", at)
    return {item if item == DEFAULT_PACK else _path(item, base, cwd): at for item, at in items}


def _outputs(raw: Any, base: Path, cwd: Path, where: Location | None) -> dict[str, Location | None]:
    out = {}
    for index, (item, at) in enumerate(_texts(raw, OUTPUT_EXPECTED, where)):
        try:
            fmt, target = output_spec(item)
        except ValueError as exc:
            raise BadValue(item, str(exc), f"item {index + 1}", at) from None
        out[f"{fmt}:{_path(target, base, cwd)}"] = at
    return out


def _severities(raw: Any, where: Location | None) -> dict[str, tuple[str, Location | None]]:
    if not isinstance(raw, dict):
        raise BadValue(raw, "expected a mapping of rule id to severity, e.g. "
                       "{weight.single-kpi: low}")
    for rule, level in raw.items():
        if level is False:  # `off`, `no`: YAML reads them as false
            raise BadValue(level, f"expected one of {', '.join(SEVERITY_LEVELS)}; a rule is "
                           "turned off by listing it under 'ignore:'", f"of '{rule}'",
                           _at(raw, rule, where))
    return {str(rule): (_choice(level, SEVERITY_LEVELS, f"of '{rule}'", _at(raw, rule, where)),
                        _at(raw, rule, where)) for rule, level in raw.items()}


def _params(raw: Any, nested: bool,
            where: Location | None) -> dict[str, tuple[Any, Location | None]]:
    """``{rule: {name: value}}`` in the file, ``{rule.name: value}`` from flags; flat."""
    expected = "expected a mapping of rule id to {parameter: value}"
    if not isinstance(raw, dict):
        raise BadValue(raw, expected)
    if not nested:
        return {str(k): (v, None) for k, v in raw.items()}
    out: dict[str, tuple[Any, Location | None]] = {}
    for rule, values in raw.items():
        at = _at(raw, rule, where)
        if not isinstance(values, dict):
            raise BadValue(values, expected, f"of '{rule}'", at)
        for name, value in values.items():
            plain = isinstance(value, (str, int, float, bool)) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value))
            if not plain:
                raise BadValue(value, "expected a number, text, true/false or a list of text",
                               f"of '{rule}.{name}'", _at(values, name, at))
            out[f"{rule}.{name}"] = (list(value) if isinstance(value, list) else value,
                                     _at(values, name, at))
    return out


def check_value(key: str, raw: Any, base: Path, cwd: Path,
                where: Location | None) -> tuple[Any, dict[str, Location]]:
    """The setting for a raw value, and where each of its items is (file values only);
    paths are made relative to ``cwd`` from ``base``. Raises BadValue."""
    kind = KEYS[key].kind
    items: Mapping[str, Location | None]
    if kind in ("packs", "outputs"):
        items = (_packs if kind == "packs" else _outputs)(raw, base, cwd, where)
        value: Any = tuple(items)
    elif kind == "ids":
        items = dict(_texts(raw, "expected a list of rule ids or id prefixes", where))
        value = tuple(items)
    elif kind in ("severities", "params"):
        pairs = (_severities(raw, where) if kind == "severities"
                 else _params(raw, where is not None, where))
        value, items = {k: v for k, (v, _) in pairs.items()}, {k: a for k, (_, a) in
                                                                pairs.items()}
    elif kind == "level":
        value, items = _choice(raw, FAIL_LEVELS), {}
    elif kind == "format":
        value, items = _choice(raw, FORMAT_NAMES), {}
    elif kind == "path":
        if not isinstance(raw, str) or not raw.strip():
            raise BadValue(raw, "expected a file name")
        value, items = _path(raw.strip(), base, cwd), {}
    elif kind == "encoding":
        value = text_encoding(raw.strip()) if isinstance(raw, str) and raw.strip() else None
        if value is None:
            raise BadValue(raw, ENCODING_EXPECTED)
        items = {}
    else:  # days
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise BadValue(raw, "expected a whole number of days, 0 or more")
        value, items = raw, {}
    return value, {k: v for k, v in items.items() if v is not None}
