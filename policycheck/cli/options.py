"""The flags several commands share, and how they become a run's settings."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from policycheck.errors import (
    did_you_mean,
)
from policycheck.limits import ENCODING_VARIABLE
from policycheck.outputspec import suffixes_said
from policycheck.progress import Progress


class Group(click.Group):
    """Suggests the closest command for a typo, like git."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            hint = did_you_mean(name, self.list_commands(ctx))
            raise click.UsageError(f"no such command '{name}'{hint}", ctx)
        return super().resolve_command(ctx, args)


FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="Output format.")


#: What --quiet leaves out besides the progress bar, by command (each says what it does).
QUIET_ALSO = {
    "validate": " and, with --format json, no copy of the input errors",
    "check": ", no 'wrote FILE' line of --write-baseline and, with a --format other than "
             "text or github, no copy of the input errors",
    "diff": " and, with a --format other than text, no copy of the input errors",
    "export": " and no 'wrote FILE' lines",
    "report": " and no 'wrote FILE' line",
    "analyze": " and, with --format json, no copy of the input errors",
}


def run_flags(command_name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--no-cache`` and ``--quiet``, shared by the commands that read plans; the help of
    --quiet says what it leaves out in ``command_name``."""

    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("-q", "--quiet", is_flag=True,
                               help=f"On stderr: no progress bar{QUIET_ALSO[command_name]}."
                               )(command)
        return click.option("--no-cache", is_flag=True,
                            help="Read and validate every input again: neither read nor "
                                 "write the cache of what each YAML file gave and of the "
                                 "validated plans (.policycheck_cache/, or "
                                 "POLICYCHECK_CACHE_DIR).")(command)

    return apply


@contextlib.contextmanager
def caching(no_cache: bool) -> Iterator[None]:
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
def progress(quiet: bool) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal (never in CI logs or a pipe), for
    ``pipeline.check(progress=...)``; rich is imported only then. A stage with a total shows
    its steps done of all and the time remaining; one without, a pulse."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    pulsing = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TimeElapsedColumn())
    counting = (*pulsing[:3], MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*pulsing, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def step(stage: str, total: int | None) -> None:
            nonlocal task
            if not stage:
                bar.advance(task, 1 if total is None else total)
                return
            # A task of its own for each stage: rich keeps a task's total, finish time and
            # speed across updates, and cannot set a total back to unknown.
            bar.remove_task(task)
            bar.columns = pulsing if total is None else counting
            task = bar.add_task(stage, total=total)
            bar.refresh()  # the stage shown as it starts, however short

        yield step


def pairs(values: tuple[str, ...], flag: str, sep: str = "=") -> dict[str, str]:
    out = {}
    for value in values:
        key, found, rest = value.partition(sep)
        if not found or not key:
            raise click.UsageError(f"{flag} {value!r}: expected KEY{sep}VALUE")
        out[key.strip()] = rest.strip()
    return out


def ids(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


FAIL_LEVELS = ("critical", "high", "medium", "low", "info", "none")

#: --output's help: check's and analyze's.
OUTPUT_HELP = ("Also write the report to FILE, in FORMAT, else in the format its extension "
               f"names: {suffixes_said()}; repeatable.")


def _options(*options: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Several click options as one decorator, shown in the order given."""

    def apply(func: Any) -> Any:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


_RULE_OPTIONS = (
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
                 help="Set the severity of every finding of a rule, escalated ones too; "
                      "repeatable."),
)
_FAIL_ON = click.option("--fail-on", type=click.Choice(FAIL_LEVELS), default=None,
                        help="Exit 1 when an open finding is at or above this severity. "
                             "[default: high]")
_WAIVER_OPTIONS = (
    click.option("--waivers", type=click.Path(dir_okay=False), metavar="FILE",
                 help="Accepted findings, each with a reason, an owner and an expiry date."),
    click.option("--warn-expiring", type=click.IntRange(min=0), metavar="DAYS",
                 help="Warn about waivers that expire within DAYS days. [default: 14]"),
)
#: The settings of policycheck.yaml that a command takes as flags (``config``).
RULE_SETTINGS = _options(*_RULE_OPTIONS, _FAIL_ON, *_WAIVER_OPTIONS)
#: Those of a command that no finding fails (``report``): all but --fail-on.
REPORT_SETTINGS = _options(*_RULE_OPTIONS, *_WAIVER_OPTIONS)


GATE_SETTINGS = _options(
    click.option("--baseline", type=click.Path(dir_okay=False), metavar="FILE",
                 help="Findings recorded in FILE (--write-baseline) are reported as "
                      "baselined and do not fail the run."),
    click.option("-o", "--output", "outputs", multiple=True, metavar="[FORMAT:]FILE",
                 help=OUTPUT_HELP),
)


def settings_of(ctx: click.Context, options: dict[str, Any], **flags: Any) -> Any:
    """The effective settings: flags over POLICYCHECK_* variables over policycheck.yaml."""
    from policycheck.config import resolve

    given = {"rules": options.get("packs"), "select": ids(options.get("selected", ())),
             "ignore": ids(options.get("ignored", ())),
             "severity": pairs(options.get("severities", ()), "--severity"),
             "params": pairs(options.get("params", ()), "--param"),
             "fail_on": options.get("fail_on"), "waivers": options.get("waivers"),
             "warn_expiring": options.get("warn_expiring"),
             "baseline": options.get("baseline"), "outputs": options.get("outputs"),
             "encoding": (ctx.obj or {}).get("encoding"), **flags}
    config = options.get("config_file") or (ctx.obj or {}).get("config")
    settings = resolve(given, config=config)
    if settings["encoding"]:  # the flag's and the variable's are set already (``cli``)
        os.environ[ENCODING_VARIABLE] = settings["encoding"]
    return settings


def configured_encoding() -> Any:
    """The config file's ``encoding`` for a command that reads inputs and no other
    setting (``validate``, ``export``, ``analyze``): the file is read, and checked, as
    ``check`` reads it. The settings, whose config file no output may replace."""
    return settings_of(click.get_current_context(), {})
