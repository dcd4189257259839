"""``policycheck rules``: list, explain, document and test the rules."""

from __future__ import annotations

import json
from typing import Any

import click

from policycheck.cli.options import FORMAT, Group
from policycheck.errors import (
    EXIT_OK,
    EXIT_USER_ERROR,
    PolicycheckError,
    did_you_mean,
)


@click.group(cls=Group)
def rules() -> None:
    """The rules: list them, explain one, run their examples."""


RULES_OPTION = click.option("--rules", "packs", multiple=True, type=click.Path(),
                            help="A rule pack or rule file; repeatable. Default: built-in.")


def _load(packs: tuple[str, ...]) -> list[Any]:
    from pathlib import Path

    from policycheck.ruleset import load_rules, override

    return override(load_rules([Path(p) for p in packs] or None), {}, {})


@rules.command("list")
@RULES_OPTION
@FORMAT
def rules_list(packs: tuple[str, ...], fmt: str) -> int:
    """List every rule: id, severity, scope, patterns, title."""
    loaded = _load(packs)
    if fmt == "json":
        click.echo(json.dumps([{"id": r.id, "severity": r.severity, "scope": r.scope,
                                "patterns": list(r.patterns), "title": r.title}
                               for r in loaded], indent=2))
        return EXIT_OK
    width = max((len(r.id) for r in loaded), default=10) + 2
    click.echo(f"{'ID'.ljust(width)}{'SEVERITY'.ljust(10)}{'SCOPE'.ljust(13)}TITLE")
    for r in loaded:
        click.echo(f"{r.id.ljust(width)}{r.severity.ljust(10)}{r.scope.ljust(13)}{r.title}")
    click.echo(f"{len(loaded)} rule{'s' * (len(loaded) != 1)}.")
    return EXIT_OK


@rules.command("explain")
@click.argument("rule_id")
@RULES_OPTION
def rules_explain(rule_id: str, packs: tuple[str, ...]) -> int:
    """Everything about one rule: why, what to change, parameters, examples, sources."""
    from policycheck.ruledoc import explain

    loaded = {r.id: r for r in _load(packs)}
    if rule_id not in loaded:
        raise PolicycheckError(f"unknown rule '{rule_id}' (see 'policycheck rules list')"
                               f"{did_you_mean(rule_id, loaded)}")
    click.echo(explain(loaded[rule_id]))
    return EXIT_OK


@rules.command("docs")
@RULES_OPTION
@click.option("-o", "--output", "target", type=click.Path(dir_okay=False),
              help="Write to FILE instead of standard output.")
def rules_docs(packs: tuple[str, ...], target: str | None) -> int:
    """Generate the rule reference (Markdown) from the rule files themselves."""
    from pathlib import Path

    from policycheck.export import atomic_write
    from policycheck.ruledoc import reference
    from policycheck.ruleset import coverage_notes, default_pack

    pack_paths = [Path(p) for p in packs] or [default_pack()]
    text = reference(_load(packs), coverage_notes(pack_paths))
    if target:
        atomic_write(Path(target), (text + "\n").encode("utf-8"))
    else:
        click.echo(text)
    return EXIT_OK


@rules.command("test")
@click.argument("packs", nargs=-1, type=click.Path())
@click.option("--verbose", "-v", is_flag=True, help="Show every example, not only failures.")
def rules_test(packs: tuple[str, ...], verbose: bool) -> int:
    """Run the examples of every rule in PACKS (default: the built-in pack).

    Each rule's 'fire' examples must make it fire and its 'pass' examples must not."""
    from policycheck.engine import compile_rules
    from policycheck.examples import run_examples

    results = run_examples(compile_rules(_load(packs)))
    by_rule: dict[str, list[Any]] = {}
    for result in results:
        by_rule.setdefault(result.rule_id, []).append(result)
    failed = 0
    for rule_id, items in by_rule.items():
        bad = [r for r in items if not r.ok]
        failed += bool(bad)
        status = "ok  " if not bad else "FAIL"
        click.echo(f"{status} {rule_id} ({len(items)} examples)")
        for r in items if verbose else bad:
            click.echo(f"     {r.location}: {r.outcome} example {r.index + 1}: {r.detail}")
    passed = len(by_rule) - failed
    click.echo(f"{passed} rule{'s' * (passed != 1)} passed, {failed} failed.")
    return EXIT_USER_ERROR if failed else EXIT_OK
