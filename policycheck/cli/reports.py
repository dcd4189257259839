"""``report`` (the leadership report) and ``analyze`` (outcome evidence)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from policycheck.cli.options import (
    FAIL_LEVELS,
    OUTPUT_HELP,
    REPORT_SETTINGS,
    caching,
    pairs,
    progress,
    run_flags,
    settings_of,
)
from policycheck.cli.output import echo_report, ready_outputs, run_inputs, write_outputs
from policycheck.errors import EXIT_OK, EXIT_USER_ERROR, UsageError
from policycheck.outputspec import FORMAT_NAMES

if TYPE_CHECKING:
    from policycheck.analyze import Evidence
    from policycheck.leadership.analysis import Leadership


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "targets", type=click.Path(dir_okay=False), multiple=True,
              metavar="FILE",
              help="Write to FILE (.html, or .md for the Markdown summary). Default: stdout.")
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]), default=None,
              help="html (the full report) or markdown (the summary). Default: from the "
                   "extension of -o, else html.")
@REPORT_SETTINGS
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
@run_flags("report")
@click.option("--actuals", type=click.Path(dir_okay=False), metavar="FILE",
              help="KPI actuals: add the outcome-evidence sections (see 'policycheck analyze').")
@click.option("--analyze-param", "analyze_params", multiple=True, metavar="SIGNAL.NAME=VALUE",
              help="Override an outcome-evidence signal parameter; repeatable.")
@click.pass_context
def report(ctx: click.Context, paths: tuple[str, ...], targets: tuple[str, ...],
           fmt: str | None,
           title: str, date: str | None, top: int, step: float, redact: bool | None,
           no_cache: bool = False, quiet: bool = False, actuals: str | None = None,
           analyze_params: tuple[str, ...] = (), **options: Any) -> int:
    """Write the leadership report of the plans under PATHS: which plans pull people away
    from the customer, how hard, for how many people, and what to change.

    Settings (rules, waivers, baseline) as for 'check'. Exit 0 when the report was written,
    2 when an input was invalid (the report is still written, listing the plans it could
    not check) or a rule, waiver or setting could not be used."""
    import dataclasses

    from policycheck.configrules import check_arguments
    from policycheck.leadership.analysis import analyse
    from policycheck.leadership.html import render_html
    from policycheck.leadership.markdown import render_markdown
    from policycheck.sensitivity import CurveParams

    target = _one_target(targets)
    fmt = fmt or ("markdown" if target and target.lower().endswith((".md", ".markdown"))
                  else "html")
    redact = (fmt == "markdown") if redact is None else redact
    settings = settings_of(ctx, options)
    ready_outputs((), target,
                  inputs=[*run_inputs(settings), *([Path(actuals)] if actuals else [])])
    evidence = _outcome_evidence(paths, actuals, analyze_params)
    with caching(no_cache), progress(quiet) as bar:
        lead = analyse(list(paths), curve=CurveParams(step=step), redact=redact,
                       **check_arguments(settings), fingerprints=False, progress=bar)
    lead = dataclasses.replace(lead, evidence=evidence)
    options = {"title": title, "date": date, "redact": redact}
    text = (render_markdown(lead, **options) if fmt == "markdown"
            else render_html(lead, detail_limit=top, **options))
    _write_report(lead, text, target, quiet)
    return EXIT_USER_ERROR if lead.report.errors else EXIT_OK


def _one_target(targets: tuple[str, ...]) -> str | None:
    """The one file -o names. Given twice, click kept the last and the first was never
    written, without a word; each form of the report is its own run (the markdown summary
    is redacted by default, the HTML report not)."""
    if len(targets) > 1:
        raise UsageError(f"-o {targets[1]}: the report is written to one file, and -o was "
                         f"given {len(targets)} times: expected one -o (run report once for "
                         "each file)")
    return targets[0] if targets else None


def _outcome_evidence(paths: tuple[str, ...], actuals: str | None,
                      analyze_params: tuple[str, ...]) -> Evidence | None:
    """The outcome evidence of the KPI actuals named by --actuals (None without them)."""
    if actuals is None:
        return None
    from policycheck.analyze import analyze as run_analyze

    return run_analyze(list(paths), actuals, param_flag="--analyze-param",
                       params=pairs(analyze_params, "--analyze-param"))


def _write_report(lead: Leadership, text: str, target: str | None, quiet: bool) -> None:
    """The input problems to stderr, then the report to ``target`` (stdout without one)."""
    from policycheck.outputfiles import atomic_write, refuse_target

    said = set(lead.report.problems)
    # then the actuals' own (a title row, an unknown column), which --actuals alone reads
    more = [p for p in lead.evidence.report.problems if p not in said] if lead.evidence else []
    for problem in (*lead.report.problems, *more):
        click.echo(str(problem), err=True)
    if target:
        refuse_target(Path(target), lead.report.files)
        atomic_write(Path(target), text.encode("utf-8"))
        if not quiet:
            checked = lead.report.plans_checked
            click.echo(f"wrote {target}: {checked} plan{'s' * (checked != 1)} checked, "
                       f"{lead.report.plans_invalid} invalid.", err=True)
    else:
        click.echo(text, nl=False)


@click.command("analyze")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--actuals", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="KPI actuals: .csv, .parquet or .xlsx.")
@click.option("--param", "params", multiple=True, metavar="SIGNAL.NAME=VALUE",
              help="Override a signal parameter (docs/analyze.md); repeatable.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Format of the standard output.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="[FORMAT:]FILE",
              help=OUTPUT_HELP)
@click.option("--fail-on", type=click.Choice(FAIL_LEVELS), default=None,
              help="Exit 1 when a finding is at or above this severity. Default: fail_on of "
                   "the config file or POLICYCHECK_FAIL_ON, else high.")
@click.option("--redact/--no-redact", default=None,
              help="Replace pay figures and employee identifiers (as for 'check').")
@run_flags("analyze")
def analyze_command(paths: tuple[str, ...], actuals: str, params: tuple[str, ...], fmt: str,
                    outputs: tuple[str, ...], fail_on: str | None, redact: bool | None,
                    no_cache: bool = False, quiet: bool = False) -> int:
    """Look for evidence in KPI actuals that the plans under PATHS push people the wrong
    way: bunching past payout thresholds, speed up while customer outcomes fall, top earners
    with poor customer outcomes, gamed surveys (docs/analyze.md).

    Exit 0 when no finding is at or above --fail-on, 1 when one is, 2 when an input or a
    parameter could not be used."""
    from policycheck.analyze import analyze as run_analyze

    # fail_on as check takes it; the config file is no output either
    settings = settings_of(click.get_current_context(), {"fail_on": fail_on})
    ready_outputs(outputs, inputs=[*run_inputs(settings, packs=False, gates=False),
                                   Path(actuals)])
    with caching(no_cache), progress(quiet) as step:
        evidence = run_analyze(list(paths), actuals, params=pairs(params, "--param"),
                               fail_on=settings["fail_on"], progress=step)
        write_outputs(evidence.report, outputs, redact, step)
    echo_report(evidence.report, fmt, redact, quiet)
    return int(evidence.report.exit_code)
