"""``validate``, ``check``, ``config`` and ``diff``: the commands a CI gate runs."""

from __future__ import annotations

import os
from typing import Any

import click

from policycheck.cli.options import (
    FORMAT,
    GATE_SETTINGS,
    RULE_SETTINGS,
    caching,
    configured_encoding,
    progress,
    run_flags,
    settings_of,
)
from policycheck.cli.output import (
    echo_errors,
    echo_pieces,
    echo_problems,
    echo_report,
    output_spec,
    ready_outputs,
    refuse_inputs,
    run_inputs,
    write_outputs,
)
from policycheck.errors import (
    EXIT_OK,
    EXIT_USER_ERROR,
    PolicycheckError,
)
from policycheck.outputspec import FORMAT_NAMES
from policycheck.progress import Progress


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@FORMAT
@run_flags("validate")
def validate(paths: tuple[str, ...], fmt: str, no_cache: bool = False,
             quiet: bool = False) -> int:
    """Load PATHS (files or folders) and run the schema and cross-table checks only.

    Exit 0 when every input is valid, 2 when any is not."""
    from policycheck.validation import load_model

    configured_encoding()
    with caching(no_cache), progress(quiet) as step:
        model = load_model(paths, progress=step)
    if fmt == "json":  # a messy export's problems go out in pieces, never whole
        from policycheck.formats.json_format import validation_chunks

        echo_pieces(validation_chunks(model))
        echo_errors(model.problems, fmt, quiet)
    else:
        echo_problems(model.problems)
        click.echo(_summary(model), err=False)
    return EXIT_USER_ERROR if model.errors else EXIT_OK


def _summary(model: Any) -> str:
    """The closing lines of ``validate``: the plans and files read (neither those that
    could not be read, whose plans no count holds, nor those skipped), the files that could
    not be read, the problems, the files skipped."""
    from policycheck.errors import kinds_line
    from policycheck.formats.text_format import unread_line

    unread = model.files_unread
    files = model.files_read
    text = (f"Read {model.plans_read:,} plan{'s' * (model.plans_read != 1)} from {files:,} "
            f"file{'s' * (files != 1)}: {model.plans_valid:,} valid, "
            f"{model.plans_invalid:,} invalid.")
    if unread:
        text += f" {unread_line(len(unread))}"
    errors = len(model.errors)
    warnings = len(model.problems) - errors
    if errors or warnings:
        text += f" {errors:,} error{'s' * (errors != 1)}, {warnings:,} warning" \
                f"{'s' * (warnings != 1)}."
    if model.skipped:
        skipped = len(model.skipped)
        text += f" Skipped {skipped:,} file{'s' * (skipped != 1)} that " \
                f"{'hold' if skipped != 1 else 'holds'} no plan data."
    tally = kinds_line(model.problems)
    return text if tally is None else f"{text}\n{tally}"


def _baseline_written(report: Any, target: str, quiet: bool = False) -> Any:
    """Write the baseline; the report then shows its findings as baselined."""
    import dataclasses
    from pathlib import Path

    from policycheck.baseline import apply_baseline, write_baseline

    if report.errors:
        raise PolicycheckError("some plans are invalid, so the baseline was not written; fix "
                               "the errors above first", report.problems)
    recorded = write_baseline(report.findings, Path(target))
    count = len(recorded)
    if not quiet:
        click.echo(f"wrote {target}: {count:,} finding{'s' * (count != 1)} recorded",
                   err=True)
    findings = apply_baseline(report.findings, recorded)
    return dataclasses.replace(report, findings=findings)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@RULE_SETTINGS
@GATE_SETTINGS
@click.option("--write-baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record the current findings in FILE (gzip-compressed if FILE ends in "
                   ".gz); later runs with --baseline FILE fail only on new ones.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default=None,
              help="Format of the standard output. [default: text]")
@click.option("--redact/--no-redact", default=None,
              help="Replace pay figures and employee identifiers. Default: on for sarif, "
                   "github and markdown, off otherwise.")
@run_flags("check")
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], write_baseline: str | None,
          fmt: str | None, redact: bool | None, no_cache: bool = False, quiet: bool = False,
          **options: Any) -> int:
    """Check the plans under PATHS against the rules and report the findings.

    Settings come from flags, then POLICYCHECK_* variables, then policycheck.yaml (see
    'policycheck config'). Exit 0 when no open finding is at or above --fail-on, 1 when
    one is, 2 when an input, rule, waiver or setting could not be used."""
    # until the settings are known, the format asked by the flag or the environment
    chosen = {"format": fmt or os.environ.get("POLICYCHECK_FORMAT", "").strip()}
    try:
        return _check(ctx, paths, write_baseline, fmt, redact, no_cache, quiet, options,
                      chosen)
    except PolicycheckError as exc:
        # what stops a github run is an annotation too, as its findings' problems are
        exc.annotated = chosen["format"] == "github"
        raise


def _check(ctx: click.Context, paths: tuple[str, ...], write_baseline: str | None,
           fmt: str | None, redact: bool | None, no_cache: bool, quiet: bool,
           options: dict[str, Any], chosen: dict[str, str]) -> int:
    """``check``; ``chosen["format"]`` is the output's format once the settings say it."""
    from policycheck.configrules import check_arguments
    from policycheck.formats import FORMATS, PROFILED
    from policycheck.pipeline import check as run_check

    settings = settings_of(ctx, options, format=fmt)
    fmt = chosen["format"] = settings["format"]
    if fmt not in FORMATS:
        raise click.UsageError(f"--format {fmt}: this format is not available yet")
    written = {fmt} | {output_spec(spec)[0] for spec in settings["outputs"]}
    ready_outputs(settings["outputs"], write_baseline,
                  inputs=run_inputs(settings, rewritten=write_baseline))
    with caching(no_cache), progress(quiet) as step:
        report = run_check(list(paths), **check_arguments(settings),
                           profiles=bool(written & PROFILED), fingerprints=False,
                           model_frames=False, progress=step)  # no format of check reads them
    # the plans' files are known once read: refused before the baseline, or any, is written
    refuse_inputs([*(output_spec(spec)[1] for spec in settings["outputs"]), write_baseline],
                  report.files)
    if write_baseline:
        report = _baseline_written(report, write_baseline, quiet)
    if settings["outputs"]:
        with progress(quiet) as step:
            write_outputs(report, settings["outputs"], redact, step)
    echo_report(report, fmt, redact, quiet)
    return report.exit_code


@click.command("config")
@RULE_SETTINGS
@GATE_SETTINGS
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.pass_context
def show_config(ctx: click.Context, fmt: str, **options: Any) -> int:
    """Show the effective settings and where each came from: a flag, a POLICYCHECK_*
    variable, a line of policycheck.yaml, or the default."""
    from policycheck.configrules import configured_rules
    from policycheck.configview import render_json, render_text

    settings = settings_of(ctx, options)
    configured_rules(settings)  # what check would refuse, config refuses too
    click.echo(render_json(settings) if fmt == "json" else render_text(settings), nl=False)
    return EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--git-base", metavar="REF",
              help="Compare PATH... as they are at the git REF with the working tree.")
@RULE_SETTINGS
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="Output format.")
@click.option("--redact/--no-redact", default=None,
              help="Replace pay figures. Default: on for markdown, off otherwise.")
@run_flags("diff")
@click.pass_context
def diff(ctx: click.Context, paths: tuple[str, ...], git_base: str | None, fmt: str,
         redact: bool | None, no_cache: bool = False, quiet: bool = False,
         **options: Any) -> int:
    """Compare two versions of the plans: OLD NEW (files or folders), or --git-base REF
    PATH... (the paths at a git ref against the working tree).

    Shows per plan the change in incentive mix, the findings introduced and resolved, and
    the plans added and removed. Exit 1 when an introduced (or raised) finding is at or
    above --fail-on, 2 when the new version has invalid input."""
    from policycheck.configrules import check_arguments
    from policycheck.diffing import diff_reports, redacted
    from policycheck.formats.diff import RENDERERS
    from policycheck.gitsource import checkout, relabel
    from policycheck.pipeline import check as run_check

    if git_base is None and len(paths) != 2:
        raise click.UsageError("expected OLD and NEW (two files or folders), or "
                               "--git-base REF PATH...")
    if git_base is not None and not paths:
        raise click.UsageError("--git-base REF: say which PATH... to compare")
    # the models' frames are not kept: a diff reads findings and profiles only (0.2 GB of
    # the peak at 100,000 plans a version)
    arguments = check_arguments(settings_of(ctx, options)) | {"baseline": None,
                                                              "model_frames": False}
    waivers = arguments.pop("waivers")
    with caching(no_cache), progress(quiet) as step:
        if git_base is None:
            old = run_check([paths[0]], progress=_labelled(step, "old"), **arguments)
            paths = paths[1:]
        else:
            # the caches off for the old version: its files sit in a temporary folder of a
            # new name each run, whose packs no later run could be served
            with checkout(git_base, paths) as (old_paths, prefix), caching(True):
                old = relabel(run_check(old_paths, progress=_labelled(step, git_base),
                                        **arguments), prefix, git_base)
        new = run_check(list(paths), waivers=waivers,
                        progress=_labelled(step, "new"), **arguments)
    result = diff_reports(old, new)
    if redact or (redact is None and fmt == "markdown"):
        result = redacted(result)
    click.echo(RENDERERS[fmt](result), nl=False)
    echo_errors(result.new.problems, fmt, quiet)
    return result.exit_code


def _labelled(step: Progress | None, version: str) -> Progress | None:
    """The progress bar's stages of one version's check, named by the version."""
    if step is None:
        return None
    return lambda stage, total: step(f"{version}: {stage}" if stage else "", total)
