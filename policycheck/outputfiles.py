"""Writing an output file safely: never over one of the run's inputs, never half a file
(a temporary file beside it, renamed over it once whole), a link followed to the file it
points to, a device or a pipe written into, and a file the system will not let us write
named in an error (exit 2) before the run rather than after it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from policycheck.errors import UsageError, display_path
from policycheck.streams import Piece, write_pieces

#: Bytes copied at a time from one file into another.
COPY_SIZE = 1 << 20


def refuse_target(target: Path, inputs: Iterable[str | Path] = ()) -> None:
    """UsageError when ``target`` cannot be an output: a folder, or one of the input files
    (a report written over the plans it checked would lose them). Whether the system lets
    us write it is ``writable``'s, asked before the run."""
    if target.is_dir():
        raise UsageError(f"{display_path(target)}: is a folder; expected a file to write")
    _refuse_dash(target)
    real = target.resolve()
    for given in inputs:
        if Path(given).resolve() == real:
            raise UsageError(f"{display_path(target)}: is one of the input files; refusing to "
                             "overwrite it: expected another output file")


def _refuse_dash(target: Path) -> None:
    """'-', which other tools read as standard output, is not taken for a file named so."""
    if str(target) == "-":
        raise UsageError("-: expected a file to write; standard output is written in the "
                         "format of --format")


def writable(target: Path, folder: bool = False) -> None:
    """UsageError (``writing``) when the system will not let us write ``target`` (with
    ``folder``, files into the folder ``target``). Commands call it before their run, so
    as not to fail after it; it leaves nothing behind, the folders it made included."""
    _refuse_dash(target)
    if not folder and is_stream(target):
        with writing(target):
            if not os.access(target, os.W_OK):
                raise PermissionError(13, "Permission denied")
        return
    place = target if folder else followed(target).parent
    made = [p for p in (place, *place.parents) if not p.exists()]
    with writing(target, folder):
        place.mkdir(parents=True, exist_ok=True)
        try:
            # as atomic_write begins: a file beside the target (a read-only mount refuses
            # it even to root, whom permissions do not stop)
            handle, probe = tempfile.mkstemp(dir=place, suffix=".tmp")
            os.close(handle)
            os.unlink(probe)
        finally:
            for path in made:  # the deepest first
                with contextlib.suppress(OSError):  # another process put a file in it
                    path.rmdir()


@contextlib.contextmanager
def writing(target: Path, folder: bool = False) -> Iterator[None]:
    """An output the system will not let us write (a read-only folder, a full disk, a
    file where its folder should be) is an error naming it (exit 2), not an internal one.
    ``folder``: the target is a folder to write files into."""
    try:
        yield
    except OSError as exc:
        below = [target, *target.parents] if folder else list(target.parents)
        file = next((path for path in below if path.exists() and not path.is_dir()), None)
        why = (f"{display_path(file)} is a file, expected a folder" if file is not None
               else exc.strerror or str(exc))
        raise UsageError(f"{display_path(target)}: cannot write it: {why}") from None


def atomic_write(target: Path, data: bytes | Iterable[Piece]) -> None:
    """Write to a temporary file beside the target, then rename: never a half file. ``data``
    may come in pieces (a streamed report): a failure part way leaves no file. A link is
    followed; a device or a pipe is written into as the data comes (``is_stream``)."""
    refuse_target(target)
    if is_stream(target):
        with writing(target), open(target, "wb") as stream:
            _write(stream, data)
        return
    with replacing(target, ".tmp") as temporary, open(temporary, "wb") as stream:
        _write(stream, data)


def _write(stream: Any, data: bytes | Iterable[Piece]) -> None:
    if isinstance(data, bytes):
        stream.write(data)
    else:
        write_pieces(stream, data)


@contextlib.contextmanager
def replacing(target: Path, suffix: str) -> Iterator[Path]:
    """A temporary file that replaces ``target`` (the file a link points to) once the block
    ends without an error, made beside it so that the rename is atomic; nothing is left
    behind otherwise. A device or a pipe (``is_stream``) is not replaced: the file's bytes
    are copied into it."""
    stream = is_stream(target)
    target = target if stream else followed(target)
    with writing(target):
        if not stream:
            target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=None if stream else target.parent, suffix=suffix)
        os.close(handle)
        temporary = Path(name)
        try:
            yield temporary
            if stream:
                with open(temporary, "rb") as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink, COPY_SIZE)
            else:
                os.chmod(temporary, _default_mode())  # mkstemp makes 0600
                os.replace(temporary, target)
        finally:
            if temporary.exists():
                temporary.unlink()


def is_stream(target: Path) -> bool:
    """Whether ``target`` is written into, not replaced: a device (/dev/null), a named pipe
    or a socket, or a link into /proc (/dev/stdout). Replaced by a file as ``atomic_write``
    replaces a file, it would be gone (run as root, /dev/null would be a file)."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return (not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)) or \
        os.path.realpath(target).startswith("/proc/")


def followed(target: Path) -> Path:
    """The file a symbolic link points to (the link stays, the file is replaced), else
    ``target``."""
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
