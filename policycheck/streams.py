"""Writing a report that comes in pieces while the next piece is being made.

A large report (a gigabyte of JSON for 100,000 plans) spends about a second in ``write``
alone, copying into the operating system's cache. The write releases the interpreter lock,
so a second thread writes each piece while the first encodes the next one. At most
``AHEAD`` pieces wait, so memory stays bounded; an error on either side (a closed pipe, a
full disk, a value the encoder refuses) stops both and reaches the caller unchanged.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import IO

#: Pieces made and not yet written, at most (each up to about 25 MB).
AHEAD = 2

_DONE = object()


def write_pieces(stream: IO[bytes], pieces: Iterable[bytes]) -> None:
    """``stream.writelines(pieces)``, with the writing on a second thread."""
    waiting: queue.Queue[object] = queue.Queue(maxsize=AHEAD)
    failed: list[BaseException] = []  # the writer's error, once it has one

    def writer() -> None:
        while (piece := waiting.get()) is not _DONE:
            if failed:
                continue  # drain, so that the maker is never stuck on a full queue
            try:
                stream.write(piece)  # type: ignore[call-overload]
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
