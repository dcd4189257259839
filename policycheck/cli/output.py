"""What a command writes: problems, the report on standard output, --output files."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from policycheck import outputspec
from policycheck.errors import Problem
from policycheck.progress import Progress

if TYPE_CHECKING:
    from policycheck.streams import Piece

#: Lines given to one ``click.echo``: each call checks the stream for a terminal and
#: flushes it, which for 200,000 problems took as long as finding them.
ECHO_LINES = 5_000


def echo_lines(lines: Iterable[str], err: bool = False) -> None:
    """``click.echo`` of each line, a few thousand at a time."""
    lines = iter(lines)
    while batch := list(islice(lines, ECHO_LINES)):
        click.echo("\n".join(batch), err=err)


def echo_problems(problems: Sequence[Problem], err: bool = False) -> None:
    """Each problem on a line, ``file:line: error: message [code]``, the severity coloured
    on a terminal; on stderr with ``err``."""
    echo_lines((f"{problem.location}: "
                + click.style(problem.severity, fg="red" if problem.severity == "error"
                              else "yellow")
                + f": {problem.message} [{problem.code}]" for problem in problems), err=err)


#: The errors of a run said on stderr beside a machine format, at most.
ERRORS_ON_STDERR = 20


def echo_errors(problems: Sequence[Problem], fmt: str, quiet: bool) -> None:
    """The errors among ``problems`` said on stderr too when standard output carries
    ``fmt``, a machine format: else a CI job that sends it to a file (``--format sarif >
    results.sarif``) fails with exit 2 and a blank log. The first ``ERRORS_ON_STDERR``,
    then how many more; nothing for text, whose output shows them, for github, whose
    annotations the runner shows in the log as it reads them, nor with --quiet."""
    if fmt in ("text", "github") or quiet:
        return
    errors = [problem for problem in problems if problem.severity == "error"]
    echo_problems(errors[:ERRORS_ON_STDERR], err=True)
    more = len(errors) - ERRORS_ON_STDERR
    if more > 0:
        click.echo(f"... and {more:,} more error{'s' * (more != 1)}: all of them are in the "
                   f"{fmt} output", err=True)


def write_outputs(report: Any, outputs: tuple[str, ...], redact: bool | None,
                  progress: Progress | None = None) -> None:
    """Write every --output FORMAT:FILE; each file appears whole or not at all. ``progress``
    (the CLI's progress bar) is told which file is being written: a workbook of a hundred
    thousand plans takes a while."""
    from policycheck.formats import render_bytes
    from policycheck.outputfiles import atomic_write

    specs = [output_spec(spec) for spec in outputs]
    refuse_inputs([target for _, target in specs], getattr(report, "files", ()))
    for fmt, target in specs:
        if progress is not None:
            progress(f"writing {target}", None)
        atomic_write(Path(target), render_bytes(report, fmt, redact))
        warn_left_out(report, fmt, target)


def ready_outputs(outputs: Sequence[str], *more: str | None,
                  inputs: Iterable[Path] = ()) -> None:
    """Every --output FORMAT:FILE well formed, every file the run will write (``more``:
    a baseline, a report) one the system lets us write, none of the ``inputs`` (the files
    the run reads besides its plans, ``run_inputs``), and each written once (two outputs to
    one file left the last): said before the run, not after."""
    from policycheck.errors import UsageError
    from policycheck.outputfiles import is_stream, refuse_target, writable

    inputs = list(inputs)
    first: dict[Path, str] = {}
    for target in [*(output_spec(spec)[1] for spec in outputs), *more]:
        if not target:
            continue
        writable(Path(target))
        real = Path(target).resolve()
        if real in first and not is_stream(Path(target)):
            also = "" if first[real] == target else f" (as {first[real]})"
            raise UsageError(f"{target}: is named for two outputs{also}; the second would "
                             "replace the first: expected each file once")
        first.setdefault(real, target)
        refuse_target(Path(target), inputs)


def run_inputs(settings: Any, *, packs: bool = True, gates: bool = True,
               rewritten: str | None = None) -> list[Path]:
    """The files a run of ``settings`` reads besides its plans, which no output may
    replace: the config file; with ``packs``, every file of its rule packs (their rules
    and notes); with ``gates``, the waivers file and the baseline, unless the baseline is
    ``rewritten`` (``--baseline FILE --write-baseline FILE`` updates it: it is read whole
    before anything is written, and the findings it baselined are recorded again)."""
    from policycheck.configkeys import DEFAULT_PACK
    from policycheck.errors import RuleError
    from policycheck.rulepacks import default_pack, rule_files

    read = [Path(settings.config_file)] if settings.config_file else []
    if packs:
        folders = [default_pack() if name == DEFAULT_PACK else Path(name)
                   for name in settings["rules"]] or [default_pack()]
        with contextlib.suppress(RuleError):  # such a pack stops the run when it is loaded
            read += [path for path, _ in rule_files(folders)]
        read += [folder / "_coverage.yaml" for folder in folders if folder.is_dir()]
    if gates:
        baseline = settings["baseline"]
        same = baseline and rewritten and Path(baseline).resolve() == Path(rewritten).resolve()
        read += [Path(name) for name in (settings["waivers"], None if same else baseline)
                 if name]
    return read


def refuse_inputs(targets: Iterable[str | None], inputs: Iterable[str | Path]) -> None:
    """UsageError (``outputfiles.refuse_target``) when one of ``targets`` is a folder or one of
    ``inputs``: every target is looked at before any is written."""
    from policycheck.outputfiles import refuse_target

    inputs = list(inputs)
    for target in targets:
        if target:
            refuse_target(Path(target), inputs)


def output_spec(spec: str) -> tuple[str, str]:
    """The format and the file of an --output [FORMAT:]FILE; UsageError when it is not one."""
    try:
        return outputspec.output_spec(spec)
    except ValueError as exc:
        raise click.UsageError(f"--output {spec!r}: {exc}") from None


def warn_left_out(report: Any, fmt: str, target: str = "standard output") -> None:
    """Say on stderr what the output leaves out (``formats.left_out``)."""
    from policycheck.formats import left_out

    said = left_out(report, fmt)
    if said:
        click.echo(f"warning: {target}: {said}", err=True)


def echo_report(report: Any, fmt: str, redact: bool | None, quiet: bool) -> None:
    """Write one rendering of ``report`` to stdout: text coloured on a terminal, a binary
    format refused on a terminal; then its errors on stderr too (``echo_errors``), hidden
    as the output hides them."""
    _echo_rendering(report, fmt, redact)
    if report.errors and fmt != "text" and not quiet:  # redacting them costs: only if said
        echo_errors(_shown_problems(report, fmt, redact), fmt, quiet)


def _shown_problems(report: Any, fmt: str, redact: bool | None) -> Sequence[Problem]:
    """The report's problems as an output of ``fmt`` shows them: with pay hidden where it
    is (``formats.redact``)."""
    from policycheck.formats import REDACT_BY_DEFAULT

    if not (fmt in REDACT_BY_DEFAULT if redact is None else redact):
        return report.problems
    from policycheck.formats.redact import redact_around

    return redact_around(report).problems


def _echo_rendering(report: Any, fmt: str, redact: bool | None) -> None:
    """``report`` rendered in ``fmt`` to stdout (``echo_report``)."""
    from policycheck.formats import STREAMS, render, render_bytes

    coloured = fmt == "text" and sys.stdout.isatty()
    if fmt in STREAMS and not coloured:  # a large report goes out in pieces, never whole
        echo_pieces(render_bytes(report, fmt, redact))
        warn_left_out(report, fmt)
        return
    data = render(report, fmt, redact)
    if isinstance(data, bytes):
        if sys.stdout.isatty():
            raise click.UsageError(f"--format {fmt} is binary: write it with --output "
                                   f"{fmt}:FILE")
        from policycheck.streams import write_all

        sys.stdout.flush()
        write_all(sys.stdout.buffer, data)
        return
    click.echo(_colour(data) if coloured else data, nl=False)


def echo_pieces(pieces: Iterable[Piece]) -> None:
    """UTF-8 pieces of an output to stdout as they are made, by a second thread (``streams``),
    after whatever was echoed before them."""
    from policycheck.streams import write_pieces

    sys.stdout.flush()
    write_pieces(sys.stdout.buffer, pieces)
    sys.stdout.buffer.flush()


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
