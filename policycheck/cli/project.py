"""``init`` (scaffold a plans repository) and ``export`` (plans to CSV or Excel)."""

from __future__ import annotations

import click

from policycheck.cli.options import caching, configured_encoding, progress, run_flags
from policycheck.cli.output import echo_lines, echo_problems, ready_outputs, run_inputs
from policycheck.errors import (
    EXIT_OK,
    PolicycheckError,
    display_path,
)
from policycheck.progress import silent


@click.command()
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
def init(force: bool) -> int:
    """Scaffold policycheck in the current folder: policycheck.yaml, waivers.yaml,
    plans/example.yaml and a GitHub Actions workflow. Existing files are kept. Below the
    root of a git repository, the workflow goes to the root, where GitHub runs workflows,
    and checks the plans of this folder."""
    from pathlib import Path

    from policycheck.scaffold import scaffold, work_tree_root

    here = Path.cwd()
    root = work_tree_root(here)
    outcomes = scaffold(here, force=force, root=root)
    for outcome in outcomes:
        note = " (it exists; --force overwrites it)" if outcome.action == "skipped" else ""
        click.echo(f"{outcome.action} {outcome.path}{note}")
    click.echo("Next: policycheck check plans/   (and 'policycheck config' to see the "
               "settings)")
    return EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--csv", "csv_folder", type=click.Path(file_okay=False),
              help="Write the plans as a folder of CSV tables.")
@click.option("--xlsx", "workbook", type=click.Path(dir_okay=False),
              help="Write the plans as one .xlsx workbook.")
@run_flags("export")
def export(paths: tuple[str, ...], csv_folder: str | None, workbook: str | None,
           no_cache: bool = False, quiet: bool = False) -> int:
    """Convert the valid plans under PATHS to CSV tables or an Excel workbook.

    Only valid inputs are converted: fix what `policycheck validate` reports first."""
    from pathlib import Path

    from policycheck.export import write_csv_folder, write_workbook
    from policycheck.outputfiles import writable
    from policycheck.validation import load_model

    if not csv_folder and not workbook:
        raise click.UsageError("say where to write: --csv FOLDER and/or --xlsx FILE")
    settings = configured_encoding()
    if csv_folder:  # said before the run, not after it
        writable(Path(csv_folder), True)
    ready_outputs((), workbook, inputs=run_inputs(settings, packs=False, gates=False))
    with caching(no_cache), progress(quiet) as step:
        stage = step or silent
        model = load_model(paths, progress=step)
        if model.errors:
            echo_problems(model.problems)
            raise PolicycheckError("inputs are not valid; nothing was written")
        # on stderr, as the other commands say what they wrote, and not with --quiet
        written = []
        if csv_folder:
            stage(f"writing {csv_folder}", None)
            written += write_csv_folder(model, Path(csv_folder))
        if workbook:
            stage(f"writing {workbook}", None)
            written.append(write_workbook(model, Path(workbook)))
        if not quiet:
            echo_lines([f"wrote {display_path(path)}" for path in written], err=True)
    return EXIT_OK
