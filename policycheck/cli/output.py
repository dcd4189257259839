"""What a command writes: problems, the report on standard output, --output files."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from itertools import islice
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


def echo_problems(problems: Sequence[Problem]) -> None:
    echo_lines(f"{problem.location}: "
               + click.style(problem.severity, fg="red" if problem.severity == "error"
                             else "yellow")
               + f": {problem.message} [{problem.code}]" for problem in problems)


def write_outputs(report: Any, outputs: tuple[str, ...], redact: bool | None,
                  progress: Progress | None = None) -> None:
    """Write every --output FORMAT:FILE; each file appears whole or not at all. ``progress``
    (the CLI's progress bar) is told which file is being written: a workbook of a hundred
    thousand plans takes a while."""
    from pathlib import Path

    from policycheck.export import atomic_write, refuse_target
    from policycheck.formats import render_bytes

    specs = [output_spec(spec) for spec in outputs]
    for _, target in specs:
        refuse_target(Path(target), getattr(report, "files", ()))
    for fmt, target in specs:
        if progress is not None:
            progress(f"writing {target}", None)
        atomic_write(Path(target), render_bytes(report, fmt, redact))
        warn_left_out(report, fmt, target)


def ready_outputs(outputs: Sequence[str], *more: str | None) -> None:
    """Every --output FORMAT:FILE well formed, and every file the run will write (``more``:
    a baseline, a report) one the system lets us write: said before the run, not after."""
    from pathlib import Path

    from policycheck.export import writable

    for target in [*(output_spec(spec)[1] for spec in outputs), *more]:
        if target:
            writable(Path(target))


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


def echo_report(report: Any, fmt: str, redact: bool | None) -> None:
    """Write one rendering of ``report`` to stdout: text coloured on a terminal, a binary
    format refused on a terminal."""
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
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
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
