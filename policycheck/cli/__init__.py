"""The command line. This package is the only place that exits: ``main() -> int``, and
``run()``, the command's entry point, which exits with it.

One module per family of commands (``checking``: validate, check, config, diff; ``rules``;
``kpis``; ``reports``: report, analyze; ``project``: init, export), the flags they share in
``options`` and what they write in ``output``. The commands are listed in COMMANDS, not
registered by importing their modules.

Heavy modules (pandas, pandera) are imported inside the commands that need them, so
``policycheck --help`` and ``policycheck kpis list`` start fast.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import math
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import IO, Any, NoReturn

import click

from policycheck import __version__
from policycheck.allocator import ARROW_POOL, keep_freed_memory
from policycheck.cli.checking import check, diff, show_config, validate
from policycheck.cli.kpis import kpis
from policycheck.cli.options import Group
from policycheck.cli.output import echo_lines
from policycheck.cli.project import export, init
from policycheck.cli.reports import analyze_command, report
from policycheck.cli.rules import rules
from policycheck.errors import (
    EXIT_INTERNAL_ERROR,
    EXIT_OK,
    EXIT_USER_ERROR,
    Location,
    PolicycheckError,
)
from policycheck.limits import ENCODING_VARIABLE, fallback_encoding

#: The exit code of a command whose reader went away (``policycheck check | head -1``):
#: 128 + SIGPIPE (13), what a Unix tool killed by that signal gives.
EXIT_READER_GONE = 141


class ReaderGone(BaseException):
    """The reader of what the command writes went away (a closed pipe: ``EPIPE``).

    Raised in place of ``BrokenPipeError``, which click catches itself and exits 1 with, as
    if there were findings. Like the SIGPIPE a Unix tool stops at, it is no error of the
    run: no ``except Exception`` takes it."""


@contextlib.contextmanager
def _pipe_closed_said() -> Iterator[None]:
    """A ``BrokenPipeError`` raised within, raised again as ``ReaderGone``."""
    try:
        yield
    except BrokenPipeError:
        raise ReaderGone from None


class _Commands(Group):
    """The command line's group: a closed pipe, met while the arguments are read
    (``--help``) or while the command runs, stops the run (``ReaderGone``)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _pipe_closed_said():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _pipe_closed_said():
            return super().invoke(ctx)


def _finite_size(ctx: click.Context, param: click.Parameter,
                 value: float | None) -> float | None:
    """NaN, which FloatRange lets through (every comparison with it is false)."""
    if value is not None and math.isnan(value):
        raise click.BadParameter("nan is not a number of MB", ctx, param)
    return value


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policycheck")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The config file. Default: policycheck.yaml, found from the current folder "
                   "upward (up to the repository root).")
@click.option("--max-file-size", type=click.FloatRange(min=0.001, max=1e9), metavar="MB",
              envvar="POLICYCHECK_MAX_FILE_SIZE", callback=_finite_size,
              help="Largest input file read, in MB (default: 20 for YAML, 1024 for tables). "
                   "Environment: POLICYCHECK_MAX_FILE_SIZE.")
@click.option("--encoding", metavar="NAME",
              help="Encoding of the input files that are not UTF-8, such as cp1252 (Excel's "
                   "plain CSV on Windows). Default: such files are an error. "
                   f"Environment: {ENCODING_VARIABLE}; config file: encoding.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, config_file: str | None,
        max_file_size: float | None, encoding: str | None) -> None:
    """Check compensation plans for incentives that push people toward speed, cost or
    volume over the customer."""
    ctx.obj = {"debug": debug, "config": config_file, "encoding": encoding}
    if max_file_size is not None:
        os.environ["POLICYCHECK_MAX_FILE_SIZE"] = str(max_file_size)
    if encoding is not None:
        os.environ[ENCODING_VARIABLE] = encoding
    if os.environ.get(ENCODING_VARIABLE, "").strip():  # checked once, by its canonical name
        os.environ[ENCODING_VARIABLE] = fallback_encoding()


#: Every command, under the name it is called by.
COMMANDS: tuple[click.Command, ...] = (
    analyze_command, check, show_config, diff, export, init, kpis, report, rules, validate,
)
for _command in COMMANDS:
    cli.add_command(_command)


#: The garbage collector's thresholds during a run: young objects collected every 50,000
#: allocations, the oldest generation every 10 middle ones.
RUN_GC_THRESHOLDS = (50_000, 20, 10)


def run_settings() -> None:
    """What a run sets in its process (benchmarks call it to measure as the command runs).

    A run builds hundreds of thousands of small records that live until it ends; with
    Python's default thresholds the collector scans them again every 700 allocations (a
    warm-cache validate of 10,000 YAML plans: 2.4 s, 1.8 s with these). Its large arrays
    reuse the memory freed before them (``allocator``)."""
    gc.set_threshold(*RUN_GC_THRESHOLDS)
    keep_freed_memory()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (tests call this)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("POLICYCHECK_DEBUG") == "1"
    environment = {name: os.environ.get(name) for name in _RUN_ENVIRONMENT}
    thresholds = gc.get_threshold()
    run_settings()
    try:
        return _finished(args, debug)
    finally:  # the collector and the environment as they were (tests call main() many
        # times); the allocators keep their settings, which change no result
        gc.set_threshold(*thresholds)
        for name, value in environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run() -> NoReturn:
    """The ``policycheck`` command: ``main()``, then the process exits with its code.

    The objects left at the end (the libraries' modules, classes and functions: about
    100,000 after a check) are moved out of the collector's reach first. The interpreter
    collects garbage three times as it shuts down (after the exit handlers, then twice as
    it clears the modules), each time walking every one of them: 0.2–0.3 s of a large
    check's exit and 0.1 s of a small one's, after the output is written, for memory the
    process gives back as it ends anyway. Exit handlers and the flushing of open files run as
    before; only cycles of garbage made before the exit are left to the operating system."""
    for stream in (sys.stdout, sys.stderr):
        _any_text(stream)
    code = main()
    gc.freeze()
    sys.exit(code)


def _any_text(stream: Any) -> None:
    """``stream`` made able to write any text: UTF-8 where it is a file or a pipe (as the
    text output and every ``--output`` file are), and characters its encoding lacks
    replaced on a terminal. Output redirected on a Windows runner is in its ANSI code page
    (cp1252), which has no '→' or '❌': the diff and the markdown stopped with an internal
    error."""
    import codecs

    try:
        if codecs.lookup(stream.encoding).name == "utf-8":
            return
        if stream.isatty():
            stream.reconfigure(errors="replace")
        else:
            stream.reconfigure(encoding="utf-8")
    except (AttributeError, LookupError, OSError, TypeError, ValueError):
        pass  # a stream of no file, or one already written to: as it is


#: What a run may set in the environment: the size limit and encoding of its options,
#: Arrow's pool.
_RUN_ENVIRONMENT = ("POLICYCHECK_MAX_FILE_SIZE", ENCODING_VARIABLE, ARROW_POOL)


def _finished(args: list[str], debug: bool) -> int:
    """The command's exit code, what it wrote flushed; ``EXIT_READER_GONE``, and nothing
    said, when the reader of its output (or of its errors) went away."""
    try:
        return _run(args, debug)
    except (ReaderGone, BrokenPipeError):  # (the latter: a closed pipe on stderr)
        for stream in (sys.stdout, sys.stderr):
            _drained(stream)
        return EXIT_READER_GONE


def _drained(stream: IO[str]) -> None:
    """``stream`` flushed; when it cannot be (its reader went away), its file descriptor
    pointed at the null device, so that what is left in its buffer goes there as the
    interpreter exits instead of being refused again ("Exception ignored ...
    BrokenPipeError", and exit 120)."""
    try:
        stream.flush()
        return
    except OSError:
        pass
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # a stream of no file (tests capture it)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


def _run(args: list[str], debug: bool) -> int:
    try:
        result = cli.main(args=args, prog_name="policycheck", standalone_mode=False)
        with _pipe_closed_said():  # the rest of the output: said here, not at exit
            sys.stdout.flush()
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USER_ERROR
    except click.ClickException as exc:
        exc.show()
        return EXIT_USER_ERROR
    except PolicycheckError as exc:
        if exc.annotated:  # where the runner shows them: annotations of the PR, on stdout
            from policycheck.formats.github import command, problem_annotations

            echo_lines([*problem_annotations(exc.problems),
                        command("error", Location(""), "policycheck", exc.message)])
        else:
            echo_lines(map(str, exc.problems), err=True)
        click.echo(f"policycheck: error: {exc.message}", err=True)
        return exc.exit_code
    except Exception as exc:  # an internal error: say so plainly, trace only on request
        if debug:
            traceback.print_exc()
        elif isinstance(exc, OSError) and _output_refused(exc):
            # (the files policycheck writes say so themselves: ``outputfiles.writing``)
            click.echo(f"policycheck: error: standard output: cannot write it: "
                       f"{exc.strerror}", err=True)
            return EXIT_USER_ERROR
        elif _short_of_memory(exc):  # not a bug, and not the input's fault
            click.echo(f"policycheck: error: out of memory ({type(exc).__name__}): this run "
                       "needs more memory than the process may have (a check of 100,000 plans "
                       "from CSV peaks at about 1.1 GB). Raise the limit (ulimit -v, the "
                       "container's memory) or check fewer plans at a time.", err=True)
        else:
            kind = sys.exc_info()[0]
            click.echo(f"policycheck {__version__}: internal error "
                       f"({kind.__name__ if kind else 'unknown'}). This is a bug in "
                       "policycheck, not in your input. Run again with --debug for a "
                       "traceback and report it with that output.", err=True)
        return EXIT_INTERNAL_ERROR
    return result if isinstance(result, int) else EXIT_OK


#: What Arrow says when its thread pool cannot start a thread (the thread's stack is memory
#: too: seen under a tight ``ulimit -v``).
_ARROW_NO_THREAD = "Failed to launch worker thread"
#: What the dynamic loader says when it cannot map a compiled module (address space spent).
_NO_MAPPING = "failed to map segment from shared object"


#: Why a stream may refuse what is written to it: a full disk or quota, a file past its
#: largest size, a failing device.
_REFUSED_WRITES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _output_refused(exc: OSError) -> bool:
    """A write to standard output refused by the system (``policycheck check > /dev/full``):
    not a bug, and not the input's fault. A file opened by name carries its name."""
    return exc.errno in _REFUSED_WRITES and exc.filename is None


def _short_of_memory(exc: BaseException) -> bool:
    """Out of memory, however it is said: Python's ``MemoryError`` (Arrow's
    ``ArrowMemoryError`` is one), a thread that could not be started, by Python or Arrow,
    or a compiled module that could not be loaded."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, RuntimeError) and "can't start new thread" in str(exc):
        return True
    if isinstance(exc, ImportError) and _NO_MAPPING in str(exc):
        return True  # a compiled module imported late, with no address space left to map
    pyarrow = sys.modules.get("pyarrow")  # not imported for a run that needed no data
    return (pyarrow is not None and isinstance(exc, pyarrow.ArrowException)
            and _ARROW_NO_THREAD in str(exc))
