"""Writing a report that comes in pieces while the next piece is being made.

A large report (a gigabyte of JSON for 100,000 plans) spends about a second in ``write``
alone, copying into the operating system's cache. The write releases the interpreter lock,
so a second thread writes each piece while the first encodes the next one. At most
``AHEAD`` pieces wait, so memory stays bounded; an error on either side (a closed pipe, a
full disk, a value the encoder refuses) stops both and reaches the caller unchanged.

Work can be done beside the thread that needs it (``beside``), and pieces made two at a
time (``interleaved``): much of the work of a large check is Arrow's and NumPy's, which
release the interpreter lock too, so on a machine with a second core a helper thread makes
every second piece while the first makes the others.
"""

from __future__ import annotations

import errno
import functools
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, TypeAlias, TypeVar, cast

Item = TypeVar("Item")
Result = TypeVar("Result")

#: A piece of a streamed output: bytes, or a view of memory that holds them (Arrow's).
Piece: TypeAlias = bytes | memoryview

#: Pieces made and not yet written, at most (each up to about 25 MB).
AHEAD = 2

_DONE = object()


def write_pieces(stream: IO[bytes], pieces: Iterable[Piece]) -> None:
    """``stream.writelines(pieces)``, with the writing on a second thread."""
    waiting: queue.Queue[object] = queue.Queue(maxsize=AHEAD)
    failed: list[BaseException] = []  # the writer's error, once it has one

    def writer() -> None:
        while (piece := waiting.get()) is not _DONE:
            if failed:
                continue  # drain, so that the maker is never stuck on a full queue
            try:
                write_all(stream, cast(Piece, piece))
            except BaseException as exc:  # handed to the maker's thread
                failed.append(exc)

    thread = threading.Thread(target=writer, name="policycheck-writer", daemon=True)
    thread.start()
    try:
        for piece in pieces:
            if failed:
                break
            waiting.put(piece)
    finally:
        waiting.put(_DONE)
        thread.join()
    if failed:
        raise failed[0]


def write_all(stream: IO[bytes], data: Piece) -> None:
    """``stream.write(data)``, all of it, or an error. A raw file (an unbuffered standard
    output: ``python -u``, PYTHONUNBUFFERED=1, set in many CI images) may take part of what
    it is given: into a pipe whose reader goes away during the write, what the pipe had
    room for, the rest dropped unsaid (an output cut short, exit 0); written again, the
    rest is refused (``BrokenPipeError``)."""
    view = memoryview(data).cast("B")
    while view:
        written = stream.write(view)
        if written is None:  # a raw stream that does not block, and would have
            raise BlockingIOError(errno.EAGAIN, "the output would block")
        view = view[written:]


def interleaved(items: Sequence[Item], work: Callable[[Item], Result],
                share: bool = True) -> Iterator[Result]:
    """``map(work, items)``, with every second item worked out by a helper thread while
    this one works out the item before it, when ``share`` and the process may use a second
    core. ``work`` must be safe to run on two items at once. An error is raised where
    ``map`` would raise it."""
    if not share or len(items) < 2 or cores() < 2:
        yield from map(work, items)
        return
    for index in range(0, len(items), 2):
        second = beside(work, items[index + 1]) if index + 1 < len(items) else None
        yield work(items[index])
        if second is not None:
            yield second()


def beside(work: Callable[..., Result], *args: Any, share: bool = True
           ) -> Callable[[], Result]:
    """``work(*args)`` started on a helper thread, when ``share`` and the process may use a
    second core; the function returned waits for its result, or raises its error. Else, or
    where no thread can be started (a process at its limit of threads or of address space),
    the work is done when its result is asked for. A thread costs address space (its stack,
    and malloc's arena for it): small work is not worth one."""
    if not share or cores() < 2:
        return functools.partial(work, *args)
    helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policycheck-helper")
    try:
        future = helper.submit(work, *args)
    except RuntimeError:  # "can't start new thread"
        return functools.partial(work, *args)
    finally:
        helper.shutdown(wait=False)  # its thread ends with this one piece of work
    return future.result


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - macOS and Windows
