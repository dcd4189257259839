"""The command line. This is the only module that exits: ``main() -> int``.

Heavy modules (pandas, pandera) are imported inside the commands that need them, so
``policycheck --help`` and ``policycheck kpis list`` start fast.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from policycheck import __version__
from policycheck.errors import (
    EXIT_INTERNAL_ERROR, EXIT_OK, EXIT_USER_ERROR, PolicycheckError, Problem, did_you_mean,
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
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Check compensation plans for incentives that push people toward speed, cost or
    volume over the customer."""
    ctx.obj = {"debug": debug}


FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="Output format.")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@FORMAT
def validate(paths: tuple[str, ...], fmt: str) -> int:
    """Load PATHS (files or folders) and run the schema and cross-table checks only.

    Exit 0 when every input is valid, 2 when any is not."""
    from policycheck.validation import load_model

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
        text += f" Skipped {len(model.skipped)} file{'s' * (len(model.skipped) != 1)} " \
                "that hold no plan data."
    return text


def problem_json(problem: Problem) -> dict[str, Any]:
    loc = problem.location
    return {"file": loc.file, "sheet": loc.sheet or None, "line": loc.line or None,
            "column": loc.column or None, "severity": problem.severity, "code": problem.code,
            "plan_id": problem.plan_id, "field": problem.field or None,
            "message": problem.message}


def _validation_json(model: Any) -> dict[str, Any]:
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
            click.echo(f"wrote {path.as_posix()}")
    if workbook:
        click.echo(f"wrote {write_workbook(model, Path(workbook)).as_posix()}")
    return EXIT_OK


@cli.group()
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
            raise PolicycheckError(f"unknown category '{category}'"
                                   f"{did_you_mean(category, CATEGORIES)}; expected one of "
                                   f"{', '.join(CATEGORIES)}")
        entries = [e for e in entries if e["category"] == category]
    if fmt == "json":
        click.echo(json.dumps([_kpi_json(e) for e in entries], indent=2))
        return EXIT_OK
    widths = (26, 18, 9, 7, 24)
    header = ("ID", "CATEGORY", "PRESSURE", "BETTER", "DATA SOURCE")
    click.echo("".join(h.ljust(w) for h, w in zip(header, widths)) + "NAME")
    for e in entries:
        row = (e["kpi_id"], e["category"], PRESSURE_OF_CATEGORY[e["category"]], e["direction"],
               e.get("data_source") or "system")
        click.echo("".join(str(v).ljust(w) for v, w in zip(row, widths)) + str(e.get("name")))
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
        raise PolicycheckError(f"unknown KPI '{kpi_id}'{did_you_mean(kpi_id, entries)}; "
                               "see 'policycheck kpis list'")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (tests call this)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("POLICYCHECK_DEBUG") == "1"
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
