"""Finding the input files under the paths given: folders walked in the order of their
paths (hidden entries and office programs' lock files skipped, linked folders not entered),
each file once however it is reached, and nothing passed over unsaid: a file or a folder
that cannot be read or listed (locked, or removed while the run reads it) is an error at
it, a broken link with a data file's name a warning, a link out of a folder refused."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from policycheck.errors import Location, Problem, display_path
from policycheck.limits import YAML_SUFFIXES

TABLE_SUFFIXES = frozenset({".csv"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})
DATA_SUFFIXES = YAML_SUFFIXES | TABLE_SUFFIXES | WORKBOOK_SUFFIXES

def iter_files(paths: Sequence[str | Path], problems: list[Problem],
               unread: list[str] | None = None) -> Iterator[tuple[Path, bool]]:
    """Every file under the paths, with whether it was named explicitly; a file reached
    twice (a folder and a file in it, a folder named twice, a link in a folder to a file in
    it) once, where first reached: read twice, each of its plans was a duplicate of itself.
    Files are told apart by their real paths, which the walk has for free (``_folder``).
    ``unread`` is given, as they are met, the paths that cannot even be looked at (in a
    folder its user may not enter): an error at each, and files that could not be read."""
    seen: set[str] = set()
    for path, explicit, real in _files(paths, problems, [] if unread is None else unread):
        if real not in seen:
            seen.add(real)
            yield path, explicit


def _files(paths: Sequence[str | Path], problems: list[Problem], unread: list[str]
           ) -> Iterator[tuple[Path, bool, str]]:
    """Every file under the paths, with whether it was named and its real path."""
    for given in paths:
        path = Path(given)
        try:
            mode = path.stat().st_mode
        except (OSError, ValueError) as exc:  # ValueError: a name no file system takes
            problem, cannot_read = _not_found(path, exc)
            problems.append(problem)
            if cannot_read:
                unread.append(problem.location.file)
            continue
        if stat.S_ISDIR(mode):
            yield from _folder(path, problems, unread)
        elif stat.S_ISREG(mode):
            yield path, True, os.path.realpath(path)
        else:  # a device, a pipe, a socket: /dev/stdin, /dev/zero
            problems.append(Problem(
                Location(display_path(given)), "is not a file or a folder (a device, a pipe "
                "or a socket): expected a file or a folder of plans", "missing-path"))


def _not_found(path: Path, exc: OSError | ValueError) -> tuple[Problem, bool]:
    """The error for a path named that cannot be looked at: missing, a broken link, or in
    a folder its user may not enter; and whether it is there but cannot be read."""
    shown = display_path(path)
    if isinstance(exc, OSError) and os.path.islink(path):
        return _link_problem(shown, path, exc, explicit=True)
    if isinstance(exc, OSError) and exc.errno not in (errno.ENOENT, errno.ENOTDIR):
        return unreadable(shown, exc), True
    return Problem(Location(shown), "no such file or folder", "missing-path"), False


def _folder(folder: Path, problems: list[Problem], unread: list[str]
            ) -> Iterator[tuple[Path, bool, str]]:
    """The files under a folder, sorted as paths, with their real paths. The folder is
    listed by its real path, so that an entry's path is its real one (no folder below it
    is a link: those are not walked) and only a link's need be resolved."""
    root = os.path.realpath(folder)
    for relative, entry in sorted(_walk(root, folder, problems)):
        child = folder.joinpath(*relative)
        if not entry.is_symlink():
            if entry.is_file():
                yield child, False, entry.path
            continue
        real = _link_target(child, entry, folder, root, problems, unread)
        if real is not None:
            yield child, False, real


def _link_target(child: Path, entry: os.DirEntry[str], folder: Path, root: str,
                 problems: list[Problem], unread: list[str]) -> str | None:
    """The real path of the file a link met in a folder leads to; None for a link to a
    folder (not walked), a link out of the folder (an error) and a broken link (a warning
    when its name is a data file's: the plans it stood for are missing)."""
    # A folder of plans may come from a pull request: a link in it to a file outside it
    # (~/.ssh/config named plans.csv) would have its content quoted in the problems. It is
    # refused whether or not its target exists, which the problems would otherwise tell.
    # Files named on the command line are the user's choice.
    real = os.path.realpath(entry.path)
    if not Path(real).is_relative_to(root):
        problems.append(Problem(
            Location(display_path(child)), "links outside the folder "
            f"{display_path(folder)}; refused: name it on the command line to read it",
            "link-outside-folder"))
        return None
    try:
        mode = os.stat(entry.path).st_mode
    except OSError as exc:
        if child.suffix.lower() in DATA_SUFFIXES:
            problem, cannot_read = _link_problem(display_path(child), entry.path, exc,
                                                 explicit=False)
            problems.append(problem)
            if cannot_read:
                unread.append(problem.location.file)
        return None
    return real if stat.S_ISREG(mode) else None


def _link_problem(shown: str, link: str | Path, exc: OSError, explicit: bool
                  ) -> tuple[Problem, bool]:
    """The problem of a link that leads nowhere (to no file, or round in a loop): an error
    when named, a warning when met in a folder (its file is skipped). A link into a folder
    its user may not enter is no broken link: it cannot be read (the second value)."""
    if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
        return unreadable(shown, exc), True
    try:
        target = display_path(os.readlink(link))
    except OSError:  # removed since
        return unreadable(shown, exc), True
    why = "a loop of links" if exc.errno == errno.ELOOP else "which does not exist"
    message = f"is a broken link to {target}, {why}"
    if explicit:
        return Problem(Location(shown), message, "broken-link"), False
    return Problem(Location(shown), f"{message}; skipped", "broken-link",
                   severity="warning"), False


def unreadable(shown: str, exc: OSError) -> Problem:
    """The error for a file that cannot be read, in the operating system's words; the run
    goes on with the other files (one locked file on a shared drive stops no run)."""
    if isinstance(exc, FileNotFoundError):  # listed, then gone: saved by rename, synced
        return Problem(Location(shown), "was removed or renamed while it was read",
                       "unreadable-file")
    return Problem(Location(shown), f"cannot read it: {_reason(exc)}", "unreadable-file")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _walk(root: str, shown: Path, problems: list[Problem]
          ) -> list[tuple[tuple[str, ...], os.DirEntry[str]]]:
    """Every entry under the folder ``root`` (shown as ``shown``) with its path parts below
    it (sorting these sorts as paths do), skipping hidden entries, ``__pycache__`` and office
    programs' lock files (``lock_owner``: hidden on Windows, not on a share), and not
    descending into linked folders. os.scandir answers file types from the directory
    listing: a third of the system calls of Path.rglob and its per-entry checks on a folder
    of 10,000 plans. A loop, not recursion: a tree 1,000 folders deep passed Python's
    recursion limit."""
    found: list[tuple[tuple[str, ...], os.DirEntry[str]]] = []
    pending: list[tuple[str, ...]] = [()]
    while pending:
        parts = pending.pop()
        for entry in _listing(root, parts, shown, problems):
            if entry.name.startswith(".") or entry.name == "__pycache__" or \
                    lock_owner(entry.name):
                continue
            relative = (*parts, entry.name)
            found.append((relative, entry))
            if entry.is_dir(follow_symlinks=False):
                pending.append(relative)
    return found


def _listing(root: str, parts: tuple[str, ...], shown: Path, problems: list[Problem]
             ) -> list[os.DirEntry[str]]:
    """The entries of a folder below ``root``; none when it cannot be listed, which is an
    error at it: Path.rglob passes such a folder over, and its plans were dropped unsaid."""
    try:
        with os.scandir(os.path.join(root, *parts)) as listing:
            return list(listing)
    except OSError as exc:
        reason = ("was removed or renamed while it was read"
                  if isinstance(exc, FileNotFoundError) else
                  f"cannot list the folder: {_reason(exc)}; its plans are not read")
        problems.append(Problem(Location(display_path(shown.joinpath(*parts))), reason,
                                "unreadable-folder"))
        return []


def lock_owner(name: str) -> str | None:
    """The name of the file an office program keeps the lock file ``name`` beside while
    it is open: Microsoft Office's ``~$company.xlsx`` (whose first characters may stand for
    two of the file's), LibreOffice's ``.~lock.company.xlsx#``; None for any other name."""
    if name.startswith("~$"):
        return name[2:]
    if name.startswith(".~lock.") and name.endswith("#") and len(name) > 8:
        return name[7:-1]
    return None


def lock_problem(path: Path) -> Problem:
    """The error for a lock file named on the command line."""
    owner = path.with_name(lock_owner(path.name) or "")
    program = "Microsoft Office" if path.name.startswith("~$") else "LibreOffice"
    named = f": {display_path(owner)}" if owner.name and owner.is_file() else ""
    return Problem(Location(display_path(path)), f"is a lock file ({program} keeps one beside "
                   f"a file while it is open), not a plan file: expected the file "
                   f"itself{named}", "unrecognised-file")
