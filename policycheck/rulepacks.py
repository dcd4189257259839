"""The files of rule packs: where the default pack is, the rule files of a pack, its notes.

A pack is a folder of rules, one file each, grouped in family subfolders; its
``_coverage.yaml`` says why a red-flag pattern has no rule. A pack may only hold its own
files, none of them past ``MAX_RULE_BYTES``, and each is shown with the characters that are
not printable escaped: a pack may come with a pull request. ``ruleset`` loads the rules of
the files found here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from policycheck.errors import Location, Problem, RuleError, did_you_mean, display_path
from policycheck.rulefile import MAX_RULE_BYTES
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
