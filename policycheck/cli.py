"""The command line. This is the only module that exits: ``main() -> int``.

Heavy modules (pandas, pandera) are imported inside the commands that need them, so
``policycheck --help`` and ``policycheck kpis list`` start fast.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click

from policycheck import __version__
from policycheck.errors import (
    EXIT_INTERNAL_ERROR,
    EXIT_OK,
    EXIT_USER_ERROR,
    PolicycheckError,
    Problem,
    did_you_mean,
    display_path,
)


class _Group(click.Group):
    """Suggests the closest command for a typo, like git."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            hint = did_you_mean(name, self.list_commands(ctx))
            raise click.UsageError(f"no such command '{name}'{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policycheck")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The config file. Default: policycheck.yaml, found from the current folder "
                   "upward (up to the repository root).")
@click.option("--max-file-size", type=click.FloatRange(min=0.001), metavar="MB",
              help="Largest input file read, in MB (default: 20 for YAML, 1024 for tables).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, config_file: str | None,
        max_file_size: float | None) -> None:
    """Check compensation plans for incentives that push people toward speed, cost or
    volume over the customer."""
    ctx.obj = {"debug": debug, "config": config_file}
    if max_file_size is not None:
        os.environ["POLICYCHECK_MAX_FILE_SIZE"] = str(max_file_size)


FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="Output format.")


def RUN_FLAGS(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--no-cache`` and ``--quiet``, shared by the commands that read plans."""
    command = click.option("--quiet", is_flag=True,
                           help="No progress bar and no summary lines on stderr.")(command)
    return click.option("--no-cache", is_flag=True,
                        help="Read every input file again: neither read nor write the "
                             "cache of what each YAML file gave (.policycheck_cache/, or "
                             "POLICYCHECK_CACHE_DIR).")(command)


@contextlib.contextmanager
def _caching(no_cache: bool) -> Iterator[None]:
    """--no-cache for this run only (tests call main() many times in one process)."""
    before = os.environ.get("POLICYCHECK_NO_CACHE")
    if no_cache:
        os.environ["POLICYCHECK_NO_CACHE"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("POLICYCHECK_NO_CACHE", None)
        else:
            os.environ["POLICYCHECK_NO_CACHE"] = before


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int | None], None] | None]:
    """A progress bar on stderr when it is a terminal (never in CI logs or a pipe), for
    ``pipeline.check(progress=...)``; rich is imported only then."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def step(stage: str, total: int | None) -> None:
            if stage:
                bar.update(task, description=stage, total=total, completed=0)
            else:
                bar.advance(task)

        yield step


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@FORMAT
@RUN_FLAGS
def validate(paths: tuple[str, ...], fmt: str, no_cache: bool = False,
             quiet: bool = False) -> int:
    """Load PATHS (files or folders) and run the schema and cross-table checks only.

    Exit 0 when every input is valid, 2 when any is not."""
    from policycheck.validation import load_model

    with _caching(no_cache), _progress(quiet) as step:
        if step is not None:
            step("reading and validating plans", None)
        model = load_model(paths)
    if fmt == "json":
        click.echo(json.dumps(_validation_json(model), indent=2, sort_keys=False))
    else:
        _echo_problems(model.problems)
        click.echo(_summary(model), err=False)
    return EXIT_USER_ERROR if model.errors else EXIT_OK


def _summary(model: Any) -> str:
    files = len(model.files)
    text = (f"Read {model.plans_read} plan{'s' * (model.plans_read != 1)} from {files} "
            f"file{'s' * (files != 1)}: {model.plans_valid} valid, "
            f"{model.plans_invalid} invalid.")
    errors = len(model.errors)
    warnings = len(model.problems) - errors
    if errors or warnings:
        text += f" {errors} error{'s' * (errors != 1)}, {warnings} warning" \
                f"{'s' * (warnings != 1)}."
    if model.skipped:
        skipped = len(model.skipped)
        text += f" Skipped {skipped} file{'s' * (skipped != 1)} that " \
                f"{'hold' if skipped != 1 else 'holds'} no plan data."
    return text


def _validation_json(model: Any) -> dict[str, Any]:
    from policycheck.formats.json_format import problem_json

    return {
        "version": __version__,
        "summary": {"plans_read": model.plans_read, "plans_valid": model.plans_valid,
                    "plans_invalid": model.plans_invalid, "files": list(model.files),
                    "skipped": list(model.skipped)},
        "invalid_plans": list(model.invalid_plans),
        "valid_plans": [str(p) for p in model.plans["plan_id"]],
        "problems": [problem_json(p) for p in model.problems],
    }


def _echo_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        click.echo(f"{problem.location}: " + click.style(problem.severity, fg=colour)
                   + f": {problem.message} [{problem.code}]")


def _pairs(values: tuple[str, ...], flag: str, sep: str = "=") -> dict[str, str]:
    out = {}
    for value in values:
        key, found, rest = value.partition(sep)
        if not found or not key:
            raise click.UsageError(f"{flag} {value!r}: expected KEY{sep}VALUE")
        out[key.strip()] = rest.strip()
    return out


def _ids(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


#: Every output format; the renderers themselves live in policycheck.formats.
FORMAT_NAMES = ("text", "json", "csv", "xlsx", "sarif", "junit", "github", "markdown")


def _write_outputs(report: Any, outputs: tuple[str, ...], redact: bool | None) -> None:
    """Write every --output FORMAT:FILE; each file appears whole or not at all."""
    from pathlib import Path

    from policycheck.export import atomic_write, refuse_target
    from policycheck.formats import FORMATS, render_bytes

    for spec in outputs:
        fmt, found, target = spec.partition(":")
        if not found or fmt not in FORMATS or not target:
            raise click.UsageError(f"--output {spec!r}: expected FORMAT:FILE with FORMAT one "
                                   f"of {', '.join(FORMATS)}{did_you_mean(fmt, FORMATS)}")
        refuse_target(Path(target), getattr(report, "files", ()))
    for spec in outputs:
        fmt, _, target = spec.partition(":")
        atomic_write(Path(target), render_bytes(report, fmt, redact))


FAIL_LEVELS = ("critical", "high", "medium", "low", "info", "none")


def _options(*options: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Several click options as one decorator, shown in the order given."""

    def apply(func: Any) -> Any:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


#: The settings of policycheck.yaml that a command takes as flags (``config``).
RULE_SETTINGS = _options(
    click.option("--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
                 help="The config file. Default: policycheck.yaml, found from the current "
                      "folder upward."),
    click.option("--rules", "packs", multiple=True, type=click.Path(),
                 help="A rule pack (folder) or rule file; repeatable; 'default' is the "
                      "built-in pack. Default: the built-in pack."),
    click.option("--select", "selected", multiple=True, metavar="IDS",
                 help="Run only these rules (ids or id prefixes, comma-separated)."),
    click.option("--ignore", "ignored", multiple=True, metavar="IDS",
                 help="Skip these rules (ids or id prefixes, comma-separated)."),
    click.option("--param", "params", multiple=True, metavar="RULE.NAME=VALUE",
                 help="Override a rule parameter; repeatable."),
    click.option("--severity", "severities", multiple=True, metavar="RULE=LEVEL",
                 help="Override a rule's severity; repeatable."),
    click.option("--fail-on", type=click.Choice(FAIL_LEVELS), default=None,
                 help="Exit 1 when an open finding is at or above this severity. "
                      "[default: high]"),
    click.option("--waivers", type=click.Path(dir_okay=False), metavar="FILE",
                 help="Accepted findings, each with a reason, an owner and an expiry date."),
    click.option("--warn-expiring", type=click.IntRange(min=0), metavar="DAYS",
                 help="Warn about waivers that expire within DAYS days. [default: 14]"),
)
GATE_SETTINGS = _options(
    click.option("--baseline", type=click.Path(dir_okay=False), metavar="FILE",
                 help="Findings recorded in FILE (--write-baseline) are reported as "
                      "baselined and do not fail the run."),
    click.option("--output", "outputs", multiple=True, metavar="FORMAT:FILE",
                 help="Also write the report to FILE in FORMAT; repeatable."),
)


def _settings(ctx: click.Context, options: dict[str, Any], **flags: Any) -> Any:
    """The effective settings: flags over POLICYCHECK_* variables over policycheck.yaml."""
    from policycheck.config import resolve

    given = {"rules": options.get("packs"), "select": _ids(options.get("selected", ())),
             "ignore": _ids(options.get("ignored", ())),
             "severity": _pairs(options.get("severities", ()), "--severity"),
             "params": _pairs(options.get("params", ()), "--param"),
             "fail_on": options.get("fail_on"), "waivers": options.get("waivers"),
             "warn_expiring": options.get("warn_expiring"),
             "baseline": options.get("baseline"), "outputs": options.get("outputs"), **flags}
    config = options.get("config_file") or (ctx.obj or {}).get("config")
    return resolve(given, config=config)


def _distinct(paths: tuple[str, ...]) -> list[str]:
    """Each input once: a path named twice, or a file inside a folder also named (a hook's
    changed files plus a folder in its args), is read once."""
    from pathlib import Path

    resolved = {path: Path(path).resolve() for path in paths}
    folders = [real for real in resolved.values() if real.is_dir()]
    out, seen = [], set()
    for path, real in resolved.items():
        if real in seen or any(folder in real.parents for folder in folders):
            continue
        seen.add(real)
        out.append(path)
    return out


def _baseline_written(report: Any, target: str, quiet: bool = False) -> Any:
    """Write the baseline; the report then shows its findings as baselined."""
    import dataclasses
    from pathlib import Path

    from policycheck.baseline import apply_baseline, read_baseline, write_baseline
    from policycheck.export import refuse_target

    if report.errors:
        raise PolicycheckError("some plans are invalid, so the baseline was not written; fix "
                               "the errors above first", report.problems)
    refuse_target(Path(target), report.files)
    count = write_baseline(report.findings, Path(target))
    if not quiet:
        click.echo(f"wrote {target}: {count} finding{'s' * (count != 1)} recorded", err=True)
    findings = apply_baseline(report.findings, read_baseline(Path(target)))
    return dataclasses.replace(report, findings=findings)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@RULE_SETTINGS
@GATE_SETTINGS
@click.option("--write-baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record the current findings in FILE; later runs with --baseline FILE "
                   "fail only on new ones.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default=None,
              help="Format of the standard output. [default: text]")
@click.option("--redact/--no-redact", default=None,
              help="Replace pay figures and employee identifiers. Default: on for sarif, "
                   "github and markdown, off otherwise.")
@RUN_FLAGS
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], write_baseline: str | None,
          fmt: str | None, redact: bool | None, no_cache: bool = False, quiet: bool = False,
          **options: Any) -> int:
    """Check the plans under PATHS against the rules and report the findings.

    Settings come from flags, then POLICYCHECK_* variables, then policycheck.yaml (see
    'policycheck config'). Exit 0 when no open finding is at or above --fail-on, 1 when
    one is, 2 when an input, rule, waiver or setting could not be used."""
    from policycheck.config import check_arguments
    from policycheck.formats import FORMATS, PROFILED
    from policycheck.pipeline import check as run_check

    settings = _settings(ctx, options, format=fmt)
    fmt = settings["format"]
    if fmt not in FORMATS:
        raise click.UsageError(f"--format {fmt}: this format is not available yet")
    written = {fmt} | {spec.partition(":")[0] for spec in settings["outputs"]}
    with _caching(no_cache), _progress(quiet) as step:
        report = run_check(_distinct(paths), **check_arguments(settings),
                           profiles=bool(written & PROFILED), progress=step)
    if write_baseline:
        report = _baseline_written(report, write_baseline, quiet)
    _write_outputs(report, settings["outputs"], redact)
    _echo_report(report, fmt, redact)
    return report.exit_code


def _echo_report(report: Any, fmt: str, redact: bool | None) -> None:
    """Write one rendering of ``report`` to stdout: text coloured on a terminal, a binary
    format refused on a terminal."""
    from policycheck.formats import STREAMS, render, render_bytes

    coloured = fmt == "text" and sys.stdout.isatty()
    if fmt in STREAMS and not coloured:  # a large report goes out in pieces, never whole
        sys.stdout.flush()
        sys.stdout.buffer.writelines(render_bytes(report, fmt, redact))
        sys.stdout.buffer.flush()
        return
    data = render(report, fmt, redact)
    if isinstance(data, bytes):
        if sys.stdout.isatty():
            raise click.UsageError(f"--format {fmt} is binary: write it with --output "
                                   f"{fmt}:FILE")
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        return
    click.echo(_colour(data) if coloured else data, nl=False)


SEVERITY_COLOURS = {"critical": "magenta", "high": "red", "medium": "yellow", "low": "cyan",
                    "info": "blue", "error": "red", "warning": "yellow"}


def _colour(text: str) -> str:
    out = []
    for line in text.splitlines(keepends=True):
        head, sep, rest = line.partition(": ")
        word, space, tail = rest.partition(" ")
        if sep and word.rstrip(":") in SEVERITY_COLOURS:
            word = click.style(word, fg=SEVERITY_COLOURS[word.rstrip(":")], bold=True)
            line = head + sep + word + space + tail
        out.append(line)
    return "".join(out)


@cli.command("config")
@RULE_SETTINGS
@GATE_SETTINGS
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.pass_context
def show_config(ctx: click.Context, fmt: str, **options: Any) -> int:
    """Show the effective settings and where each came from: a flag, a POLICYCHECK_*
    variable, a line of policycheck.yaml, or the default."""
    from policycheck.config import configured_rules, render_json, render_text

    settings = _settings(ctx, options)
    configured_rules(settings)  # what check would refuse, config refuses too
    click.echo(render_json(settings) if fmt == "json" else render_text(settings), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--git-base", metavar="REF",
              help="Compare PATH... as they are at the git REF with the working tree.")
@RULE_SETTINGS
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="Output format.")
@click.option("--redact/--no-redact", default=None,
              help="Replace pay figures. Default: on for markdown, off otherwise.")
@click.pass_context
def diff(ctx: click.Context, paths: tuple[str, ...], git_base: str | None, fmt: str,
         redact: bool | None, **options: Any) -> int:
    """Compare two versions of the plans: OLD NEW (files or folders), or --git-base REF
    PATH... (the paths at a git ref against the working tree).

    Shows per plan the change in incentive mix, the findings introduced and resolved, and
    the plans added and removed. Exit 1 when an introduced (or raised) finding is at or
    above --fail-on, 2 when the new version has invalid input."""
    from policycheck.config import check_arguments
    from policycheck.diffing import RENDERERS, diff_reports
    from policycheck.gitsource import checkout, relabel
    from policycheck.pipeline import check as run_check

    if git_base is None and len(paths) != 2:
        raise click.UsageError("expected OLD and NEW (two files or folders), or "
                               "--git-base REF PATH...")
    if git_base is not None and not paths:
        raise click.UsageError("--git-base REF: say which PATH... to compare")
    arguments = check_arguments(_settings(ctx, options)) | {"baseline": None}
    waivers = arguments.pop("waivers")
    if git_base is None:
        old = run_check([paths[0]], **arguments)
        paths = paths[1:]
    else:
        with checkout(git_base, paths) as (old_paths, prefix):
            old = relabel(run_check(old_paths, **arguments), prefix, git_base)
    new = run_check(_distinct(paths), waivers=waivers, **arguments)
    if redact or (redact is None and fmt == "markdown"):
        from policycheck.formats.redact import redact as redacted

        old, new = redacted(old), redacted(new)
    result = diff_reports(old, new)
    click.echo(RENDERERS[fmt](result), nl=False)
    return result.exit_code


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
def init(force: bool) -> int:
    """Scaffold policycheck in the current folder: policycheck.yaml, waivers.yaml,
    plans/example.yaml and a GitHub Actions workflow. Existing files are kept."""
    from pathlib import Path

    from policycheck.scaffold import scaffold

    outcomes = scaffold(Path.cwd(), force=force)
    for outcome in outcomes:
        note = " (it exists; --force overwrites it)" if outcome.action == "skipped" else ""
        click.echo(f"{outcome.action} {outcome.path}{note}")
    click.echo("Next: policycheck check plans/   (and 'policycheck config' to see the "
               "settings)")
    return EXIT_OK


@cli.group(cls=_Group)
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
    click.echo(f"{len(loaded)} rules.")
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
    click.echo(f"{len(by_rule) - failed} rules passed, {failed} failed.")
    return EXIT_USER_ERROR if failed else EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--csv", "csv_folder", type=click.Path(file_okay=False),
              help="Write the plans as a folder of CSV tables.")
@click.option("--xlsx", "workbook", type=click.Path(dir_okay=False),
              help="Write the plans as one .xlsx workbook.")
def export(paths: tuple[str, ...], csv_folder: str | None, workbook: str | None) -> int:
    """Convert the valid plans under PATHS to CSV tables or an Excel workbook.

    Only valid inputs are converted: fix what `policycheck validate` reports first."""
    from pathlib import Path

    from policycheck.export import write_csv_folder, write_workbook
    from policycheck.validation import load_model

    if not csv_folder and not workbook:
        raise click.UsageError("say where to write: --csv FOLDER and/or --xlsx FILE")
    model = load_model(paths)
    if model.errors:
        _echo_problems(model.problems)
        raise PolicycheckError("inputs are not valid; nothing was written")
    if csv_folder:
        for path in write_csv_folder(model, Path(csv_folder)):
            click.echo(f"wrote {display_path(path)}")
    if workbook:
        click.echo(f"wrote {display_path(write_workbook(model, Path(workbook)))}")
    return EXIT_OK


@cli.group(cls=_Group)
def kpis() -> None:
    """The built-in KPI library (and an organisation's catalog laid over it)."""


@kpis.command("list")
@click.option("--category", help="Only KPIs of this category.")
@FORMAT
def kpis_list(category: str | None, fmt: str) -> int:
    """List the built-in KPIs: id, category, pressure, direction, data source."""
    from policycheck.catalog import library_entries
    from policycheck.model import CATEGORIES, PRESSURE_OF_CATEGORY

    entries = library_entries()
    if category:
        if category not in CATEGORIES:
            raise PolicycheckError(f"unknown category '{category}', expected one of "
                                   f"{', '.join(CATEGORIES)}{did_you_mean(category, CATEGORIES)}")
        entries = [e for e in entries if e["category"] == category]
    if fmt == "json":
        click.echo(json.dumps([_kpi_json(e) for e in entries], indent=2))
        return EXIT_OK
    widths = (26, 18, 9, 7, 24)
    header = ("ID", "CATEGORY", "PRESSURE", "BETTER", "DATA SOURCE")
    click.echo("".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "NAME")
    for e in entries:
        row = (e["kpi_id"], e["category"], PRESSURE_OF_CATEGORY[e["category"]], e["direction"],
               e.get("data_source") or "system")
        cells = "".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True))
        click.echo(cells + str(e.get("name")))
    click.echo(f"{len(entries)} KPIs.")
    return EXIT_OK


def _kpi_json(entry: dict[str, Any]) -> dict[str, Any]:
    from policycheck.model import PRESSURE_OF_CATEGORY

    out = {"id": entry["kpi_id"]}
    out.update({k: v for k, v in entry.items() if k not in ("kpi_id", "src_fields")})
    out["pressure"] = PRESSURE_OF_CATEGORY[entry["category"]]
    return out


@kpis.command("explain")
@click.argument("kpi_id")
def kpis_explain(kpi_id: str) -> int:
    """Show everything the library says about one KPI."""
    from policycheck.catalog import library_entries

    entries = {e["kpi_id"]: e for e in library_entries()}
    if kpi_id not in entries:
        raise PolicycheckError(f"unknown KPI '{kpi_id}' (see 'policycheck kpis list')"
                               f"{did_you_mean(kpi_id, entries)}")
    entry = _kpi_json(entries[kpi_id])
    click.echo(f"{entry['id']}: {entry.get('name')}")
    for key in ("category", "pressure", "direction", "unit", "data_source",
                "affects_customer_entitlement", "employee_sets_price_or_terms",
                "counts_without_usage_check", "min_sample_per_period", "risk_if_paid_alone"):
        click.echo(f"  {key.replace('_', ' ')}: {_plain(entry.get(key))}")
    for key in ("description", "gaming"):
        if entry.get(key):
            click.echo(f"  {key}: {entry[key]}")
    if entry.get("sources"):
        click.echo(f"  sources: {', '.join(entry['sources'])}")
    return EXIT_OK


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "target", type=click.Path(dir_okay=False),
              help="Write to FILE (.html, or .md for the Markdown summary). Default: stdout.")
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]), default=None,
              help="html (the full report) or markdown (the summary). Default: from the "
                   "extension of -o, else html.")
@RULE_SETTINGS
@click.option("--baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Findings recorded in FILE are shown as baselined and do not count.")
@click.option("--title", default="Incentive alignment report", show_default=True,
              help="Title of the report.")
@click.option("--date", "date", metavar="TEXT",
              help="Date to print on the report (none by default, so output is reproducible).")
@click.option("--top", "top", type=click.IntRange(0, None), default=200, show_default=True,
              help="Plans shown in full; the others are listed in a compact table.")
@click.option("--step", type=click.FloatRange(0.01, 0.5), default=0.10, show_default=True,
              help="Improvement step for the payout sensitivity, as a fraction of target.")
@click.option("--redact/--no-redact", default=None,
              help="Replace pay figures. Default: on for markdown, off for html.")
@RUN_FLAGS
@click.option("--actuals", type=click.Path(dir_okay=False), metavar="FILE",
              help="KPI actuals: add the outcome-evidence sections (see 'policycheck analyze').")
@click.option("--analyze-param", "analyze_params", multiple=True, metavar="SIGNAL.NAME=VALUE",
              help="Override an outcome-evidence signal parameter; repeatable.")
@click.pass_context
def report(ctx: click.Context, paths: tuple[str, ...], target: str | None, fmt: str | None,
           title: str, date: str | None, top: int, step: float, redact: bool | None,
           no_cache: bool = False, quiet: bool = False, actuals: str | None = None,
           analyze_params: tuple[str, ...] = (), **options: Any) -> int:
    """Write the leadership report of the plans under PATHS: which plans pull people away
    from the customer, how hard, for how many people, and what to change.

    Settings (rules, waivers, baseline) as for 'check'. Exit 0 when the report was written,
    2 when an input was invalid (the report is still written, listing the plans it could
    not check) or a rule, waiver or setting could not be used."""
    import dataclasses
    from pathlib import Path

    from policycheck.config import check_arguments
    from policycheck.export import atomic_write, refuse_target
    from policycheck.leadership.analysis import analyse
    from policycheck.leadership.html import render_html
    from policycheck.leadership.markdown import render_markdown
    from policycheck.sensitivity import CurveParams

    fmt = fmt or ("markdown" if target and target.lower().endswith((".md", ".markdown"))
                  else "html")
    redact = (fmt == "markdown") if redact is None else redact
    settings = _settings(ctx, options)
    evidence = None
    if actuals is not None:
        from policycheck.analyze import analyze as run_analyze

        evidence = run_analyze(_distinct(paths), actuals,
                               params=_pairs(analyze_params, "--analyze-param"))
    with _caching(no_cache), _progress(quiet) as progress:
        lead = analyse(_distinct(paths), curve=CurveParams(step=step), redact=redact,
                       **check_arguments(settings), progress=progress)
    lead = dataclasses.replace(lead, evidence=evidence)
    options = {"title": title, "date": date, "redact": redact}
    text = (render_markdown(lead, **options) if fmt == "markdown"
            else render_html(lead, detail_limit=top, **options))
    for problem in lead.report.problems:
        click.echo(str(problem), err=True)
    if target:
        refuse_target(Path(target), lead.report.files)
        atomic_write(Path(target), text.encode("utf-8"))
        if not quiet:
            click.echo(f"wrote {target}: {lead.report.plans_checked} plans checked, "
                       f"{lead.report.plans_invalid} invalid.", err=True)
    else:
        click.echo(text, nl=False)
    return EXIT_USER_ERROR if lead.report.errors else EXIT_OK


@cli.command("analyze")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--actuals", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="KPI actuals: .csv, .parquet (needs the parquet extra) or .xlsx.")
@click.option("--param", "params", multiple=True, metavar="SIGNAL.NAME=VALUE",
              help="Override a signal parameter (docs/analyze.md); repeatable.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Format of the standard output.")
@click.option("--output", "outputs", multiple=True, metavar="FORMAT:FILE",
              help="Also write the report to FILE in FORMAT; repeatable.")
@click.option("--fail-on", type=click.Choice(FAIL_LEVELS), default="high", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--redact/--no-redact", default=None,
              help="Replace pay figures and employee identifiers (as for 'check').")
def analyze_command(paths: tuple[str, ...], actuals: str, params: tuple[str, ...], fmt: str,
                    outputs: tuple[str, ...], fail_on: str, redact: bool | None) -> int:
    """Look for evidence in KPI actuals that the plans under PATHS push people the wrong
    way: bunching past payout thresholds, speed up while customer outcomes fall, top earners
    with poor customer outcomes, gamed surveys (docs/analyze.md).

    Exit 0 when no finding is at or above --fail-on, 1 when one is, 2 when an input or a
    parameter could not be used."""
    from policycheck.analyze import analyze as run_analyze

    evidence = run_analyze(_distinct(paths), actuals, params=_pairs(params, "--param"),
                           fail_on=fail_on)
    _write_outputs(evidence.report, outputs, redact)
    _echo_report(evidence.report, fmt, redact)
    return int(evidence.report.exit_code)


#: The garbage collector's thresholds during a run: young objects collected every 50,000
#: allocations, the oldest generation every 10 middle ones.
RUN_GC_THRESHOLDS = (50_000, 20, 10)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (tests call this)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("POLICYCHECK_DEBUG") == "1"
    size_before = os.environ.get("POLICYCHECK_MAX_FILE_SIZE")
    thresholds = gc.get_threshold()
    # A run builds hundreds of thousands of small records that live until it ends; with
    # Python's default thresholds the collector scans them again every 700 allocations
    # (a warm-cache validate of 10,000 YAML plans: 2.4 s, 1.8 s with these).
    gc.set_threshold(*RUN_GC_THRESHOLDS)
    try:
        return _run(args, debug)
    finally:  # a run's settings last for the run only (tests call main() many times)
        gc.set_threshold(*thresholds)
        if size_before is None:
            os.environ.pop("POLICYCHECK_MAX_FILE_SIZE", None)
        else:
            os.environ["POLICYCHECK_MAX_FILE_SIZE"] = size_before


def _run(args: list[str], debug: bool) -> int:
    try:
        result = cli.main(args=args, prog_name="policycheck", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USER_ERROR
    except click.ClickException as exc:
        exc.show()
        return EXIT_USER_ERROR
    except PolicycheckError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"policycheck: error: {exc.message}", err=True)
        return exc.exit_code
    except Exception:  # an internal error: say so plainly, trace only on request
        if debug:
            traceback.print_exc()
        else:
            kind = sys.exc_info()[0]
            click.echo(f"policycheck {__version__}: internal error "
                       f"({kind.__name__ if kind else 'unknown'}). This is a bug in "
                       "policycheck, not in your input. Run again with --debug for a "
                       "traceback and report it with that output.", err=True)
        return EXIT_INTERNAL_ERROR
    return result if isinstance(result, int) else EXIT_OK
