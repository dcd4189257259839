"""``policycheck rules``: list, explain, document and test the rules.

``list``, ``explain`` and ``docs`` describe the rules ``check`` runs: the packs of its
settings (``--rules``, else POLICYCHECK_RULES, else ``rules:`` of policycheck.yaml, else the
built-in pack), with the severity and parameters the config file sets. ``test`` takes its
packs as arguments only: it tests rule files as written (with the organisation's KPI
catalog, ``--kpis``, where the examples name its KPIs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from policycheck.cli.options import FORMAT, Group, settings_of
from policycheck.errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    PolicycheckError,
    did_you_mean,
)


@click.group(cls=Group)
def rules() -> None:
    """The rules: list them, explain one, run their examples."""


RULES_OPTION = click.option(
    "--rules", "packs", multiple=True, type=click.Path(),
    help="A rule pack (folder) or rule file; repeatable; 'default' is the built-in pack. "
         "Default: as for check, POLICYCHECK_RULES, else the config file's 'rules', else "
         "the built-in pack.")
CONFIG_OPTION = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
    help="The config file. Default: policycheck.yaml, found from the current folder upward.")


def _settings(packs: tuple[str, ...], config_file: str | None) -> Any:
    """The settings check would run with, for these flags: read the same way, so that the
    rules described are the rules check runs."""
    options = {"packs": packs, "config_file": config_file}
    return settings_of(click.get_current_context(), options)


def _pack_paths(names: tuple[str, ...] | list[str]) -> list[Path]:
    """The folders (or files) of the packs named; 'default' is the built-in pack, as in
    ``--rules`` and the config file ('./default' is a folder of that name)."""
    from policycheck.configkeys import DEFAULT_PACK
    from policycheck.rulepacks import default_pack

    return [default_pack() if name == DEFAULT_PACK else Path(name) for name in names]


def _load(paths: list[Path]) -> list[Any]:
    """The rules of these packs as their files write them (parameters at their defaults)."""
    from policycheck.ruleset import load_rules, override

    return override(load_rules(paths), {}, {})


def _configured(settings: Any, loaded: list[Any] | None = None) -> list[Any]:
    """Every rule of the settings' packs (``loaded``: read already), with the severity and
    parameters they set, as check runs it. 'select' and 'ignore' are left out: they choose
    which of these rules run, and a user needs all of them to write them (or to read about
    one left out)."""
    from dataclasses import replace

    from policycheck.config import Setting
    from policycheck.configrules import configured_rules

    every = {key: Setting((), "default") for key in ("select", "ignore")}
    return configured_rules(replace(settings, values={**settings.values, **every}), loaded)


@rules.command("list")
@RULES_OPTION
@CONFIG_OPTION
@FORMAT
def rules_list(packs: tuple[str, ...], config_file: str | None, fmt: str) -> int:
    """List every rule: id, severity, scope, patterns, title.

    The severity is the one check uses: the config file's where it sets one (marked *).
    A rule that select or ignore leaves out is listed, marked as not run."""
    from policycheck.configrules import configured_rules
    from policycheck.ruleset import load_rules

    settings = _settings(packs, config_file)
    rules = load_rules(_pack_paths(settings["rules"]))  # read once, for both lists below
    loaded = _configured(settings, rules)
    try:
        running = {r.id for r in configured_rules(settings, rules)}
    except PolicycheckError:  # a select or ignore check refuses: listed for writing them
        running = {r.id for r in loaded}
    overridden = settings["severity"]
    if fmt == "json":
        click.echo(json.dumps([{"id": r.id, "severity": r.severity, "scope": r.scope,
                                "patterns": list(r.patterns), "title": r.title,
                                "runs": r.id in running,
                                "severity_set": r.id in overridden}
                               for r in loaded], indent=2))
        return EXIT_OK
    width = max((len(r.id) for r in loaded), default=10) + 2
    click.echo(f"{'ID'.ljust(width)}{'SEVERITY'.ljust(10)}{'SCOPE'.ljust(13)}TITLE")
    for r in loaded:
        severity = r.severity + "*" * (r.id in overridden)
        left_out = "" if r.id in running else "  (not run: select/ignore)"
        click.echo(f"{r.id.ljust(width)}{severity.ljust(10)}{r.scope.ljust(13)}{r.title}"
                   f"{left_out}")
    footer = f"{len(loaded)} rule{'s' * (len(loaded) != 1)}"
    if len(running) < len(loaded):
        footer += f", {len(loaded) - len(running)} not run (select and ignore)"
    footer += "."
    if overridden:
        footer += f" * severity set in {settings.config_file}."
    click.echo(footer)
    return EXIT_OK


@rules.command("explain")
@click.argument("rule_id")
@RULES_OPTION
@CONFIG_OPTION
def rules_explain(rule_id: str, packs: tuple[str, ...], config_file: str | None) -> int:
    """Everything about one rule: why, what to change, parameters, examples, sources.

    What the config file changes of it (severity, parameters) is said at the end."""
    from policycheck.ruledoc import explain

    settings = _settings(packs, config_file)
    loaded = {r.id: r for r in _configured(settings)}
    if rule_id not in loaded:
        raise PolicycheckError(f"unknown rule '{rule_id}' (see 'policycheck rules list')"
                               f"{did_you_mean(rule_id, loaded)}")
    _compiled([loaded[rule_id]])  # a rule check refuses is not explained as if it ran
    notes = _override_notes(loaded[rule_id], settings)
    if not notes:
        click.echo(explain(loaded[rule_id]))
        return EXIT_OK
    as_written = {r.id: r for r in _load(_pack_paths(settings["rules"]))}[rule_id]
    click.echo(explain(as_written))
    click.echo("\n".join(["", f"Set in {settings.config_file}, as check runs it", *notes]))
    return EXIT_OK


def _compiled(loaded: list[Any]) -> None:
    """RuleError (exit 2) with every problem check would say of these rules: an expression
    that does not compile, a list default no value of its field holds. ``list`` does not
    compile (it would import pandas; ``rules test`` and ``check`` say it)."""
    from policycheck.engine import compile_rules
    from policycheck.ruleset import check_defaults

    check_defaults(loaded, compile_rules(loaded))


def _override_notes(rule: Any, settings: Any) -> list[str]:
    """One line for the severity and for each parameter the settings set for the rule,
    with where each is set."""
    notes = []
    severity = settings.values["severity"]
    if rule.id in severity.value:
        notes.append(f"  severity: {rule.severity} ({severity.sources[rule.id]})")
    params = settings.values["params"]
    for name in rule.parameters:
        key = f"{rule.id}.{name}"
        if key in params.value:
            notes.append(f"  {name}: {rule.values[name]!r} ({params.sources[key]})")
    return notes


@rules.command("docs")
@RULES_OPTION
@CONFIG_OPTION
@click.option("-o", "--output", "target", type=click.Path(dir_okay=False),
              help="Write to FILE instead of standard output.")
def rules_docs(packs: tuple[str, ...], config_file: str | None, target: str | None) -> int:
    """Generate the rule reference (Markdown) from the rule files themselves.

    Every rule of the packs check reads, each as its file writes it."""
    from policycheck.cli.output import refuse_inputs, run_inputs
    from policycheck.outputfiles import atomic_write
    from policycheck.ruledoc import reference
    from policycheck.rulepacks import coverage_notes

    settings = _settings(packs, config_file)
    pack_paths = _pack_paths(settings["rules"])
    loaded = _load(pack_paths)
    _compiled(loaded)  # no reference of rules check refuses
    text = reference(loaded, coverage_notes(pack_paths))
    if target:
        refuse_inputs([target], run_inputs(settings, gates=False))
        atomic_write(Path(target), (text + "\n").encode("utf-8"))
    else:
        click.echo(text)
    return EXIT_OK


@rules.command("test")
@click.argument("packs", nargs=-1, type=click.Path())
@click.option("--kpis", "catalog", multiple=True, type=click.Path(), metavar="FILE",
              help="The organisation's KPI catalog (a YAML file with 'kpis:', a kpis.csv "
                   "table or a workbook), for examples that name its KPIs; repeatable.")
@click.option("--verbose", "-v", is_flag=True, help="Show every example, not only failures.")
def rules_test(packs: tuple[str, ...], catalog: tuple[str, ...], verbose: bool) -> int:
    """Run the examples of every rule in PACKS (default: the built-in pack, also named
    'default'; the config file is not read).

    Each rule's 'fire' examples must make it fire and its 'pass' examples must not."""
    from policycheck.configkeys import DEFAULT_PACK
    from policycheck.engine import compile_rules
    from policycheck.examples import read_catalog, run_examples
    from policycheck.ruleset import check_defaults

    loaded = _load(_pack_paths(packs or (DEFAULT_PACK,)))
    compiled = compile_rules(loaded)
    check_defaults(loaded, compiled)  # as _compiled, keeping the compiled rules
    results = run_examples(compiled, read_catalog(catalog) if catalog else None)
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
    # as a test runner: 1 when an example fails, 2 when the examples could not be run
    return EXIT_FINDINGS if failed else EXIT_OK
