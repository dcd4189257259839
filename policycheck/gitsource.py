"""Plans as they are at a git ref, for ``policycheck diff --git-base REF PATH...``.

The files under PATH at REF (``git ls-tree -r REF -- PATH``) are written, with the bytes
of their blobs, into a temporary folder with the repository's layout, and checked from
there. One ``git cat-file --batch`` reads all the blobs (a ``git show`` a file took 10 s for
3,000 files, against 2.5 s for the whole diff of two folders); what it cannot give as a blob
(a submodule, an object missing from the store) is read by ``git show REF:path`` as before,
which gives its bytes or the error. git runs without a shell, with literal pathspecs, and a
ref that could be read as an option is refused. In the findings and problems of that
version, files are then named as git names them: ``REF:plans/contact-centre.yaml``.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from policycheck.errors import Location, Problem, UsageError
from policycheck.report import Report


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "--literal-pathspecs", *args], cwd=cwd,
                              capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("--git-base needs git, and git is not installed") from None


def repository_root(cwd: Path, paths: Sequence[str] = ()) -> Path:
    """The root of the repository the current folder is in, else of the one the first path
    is in (``policycheck diff --git-base main /src/repo/plans`` run from elsewhere)."""
    for folder in (cwd, *[_folder_of(cwd / path) for path in paths[:1]]):
        result = _git(["rev-parse", "--show-toplevel"], folder) if folder.is_dir() else None
        if result is not None and result.returncode == 0:
            return Path(result.stdout.decode("utf-8").strip())
    raise UsageError("--git-base: not in a git repository (run it inside one, or compare "
                     "two folders: policycheck diff OLD NEW)")


def _folder_of(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def resolve_ref(ref: str, root: Path) -> str:
    """The commit a ref names; UsageError for an unknown ref, with how to get it where a
    CI checkout would lack it (a shallow clone, a remote branch not fetched)."""
    result = None if not ref or ref.startswith("-") else _git(
        ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if result is None or result.returncode != 0:
        raise UsageError(f"--git-base: unknown git ref '{ref}'{_ref_hint(ref, root)}")
    return result.stdout.decode("utf-8").strip()


def _ref_hint(ref: str, root: Path) -> str:
    """Why a CI checkout may not know ``ref``: its history cut short, or a remote branch
    it never fetched."""
    if not ref or ref.startswith("-"):
        return ""
    shallow = _git(["rev-parse", "--is-shallow-repository"], root)
    if shallow.returncode == 0 and shallow.stdout.strip() == b"true":
        return ("; this clone is shallow, without the history the ref is in: fetch it "
                "(actions/checkout with fetch-depth: 0, or git fetch --unshallow)")
    remote, _, branch = ref.partition("/")
    if branch and _git(["remote"], root).stdout.decode("utf-8", "replace").split().count(
            remote):
        return f"; fetch it first: git fetch {remote} {branch}"
    return ""


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise UsageError(f"--git-base: {path} is outside the repository "
                         f"{root.as_posix()}") from None


@dataclasses.dataclass(frozen=True)
class _Entry:
    """A file of the tree at REF, as ``git ls-tree -r`` lists it."""

    kind: str  # "blob"; "commit" for a submodule
    oid: str
    name: str
    mode: str = "100644"


def _files_at(commit: str, relative: str, root: Path) -> list[_Entry]:
    result = _git(["ls-tree", "-r", "-z", commit, "--", relative], root)
    if result.returncode != 0:
        raise UsageError(f"--git-base: git ls-tree failed: "
                         f"{result.stderr.decode('utf-8', 'replace').strip()}")
    entries = []
    for record in result.stdout.split(b"\0"):
        if record:  # <mode> SP <type> SP <object> TAB <file>
            info, _, name = record.partition(b"\t")
            mode, kind, oid = info.decode("ascii").split(" ")
            # a name that is not UTF-8 kept as its bytes (written, and shown escaped, as
            # the folder's own files are): it stopped the run with an internal error
            entries.append(_Entry(kind, oid, os.fsdecode(name), mode))
    return entries


#: The most of a blob held at once: a larger one is copied to its file in pieces.
_CHUNK_BYTES = 1024 * 1024


class _Blobs:
    """One ``git cat-file --batch``, asked for one blob at a time. Each answer is read
    before the next question is written (cat-file flushes after each object), so neither
    pipe can fill while the other waits. Once an answer cannot be read (cat-file gone, an
    unexpected header), the process is closed and every later blob is refused."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._process: subprocess.Popen[bytes] | None = None
        self._broken = False

    def copy(self, oid: str, path: Path) -> bool:
        """Write the blob OID to PATH; False where cat-file does not give it (missing, not
        a blob, cat-file not running), and PATH is then to be written otherwise."""
        process = self._started()
        if process is None or process.stdin is None or process.stdout is None:
            return False
        request = oid.encode("ascii")
        try:
            process.stdin.write(request + b"\n")
            process.stdin.flush()
            header = process.stdout.readline()  # <oid> SP blob SP <size> LF
        except OSError:  # a broken pipe: cat-file has gone
            return self._give_up()
        if header == request + b" missing\n":
            return False
        fields = header.removesuffix(b"\n").split(b" ")
        if (not header.endswith(b"\n") or len(fields) != 3 or fields[:2] != [request, b"blob"]
                or not fields[2].isdigit()):
            return self._give_up()
        left = int(fields[2])
        with path.open("wb") as out:
            while left:
                chunk = process.stdout.read(min(left, _CHUNK_BYTES))
                if not chunk:
                    return self._give_up()
                out.write(chunk)
                left -= len(chunk)
        return process.stdout.read(1) == b"\n" or self._give_up()

    def _started(self) -> subprocess.Popen[bytes] | None:
        if self._process is None and not self._broken:
            try:
                self._process = subprocess.Popen(
                    ["git", "--literal-pathspecs", "cat-file", "--batch"], cwd=self._root,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            except OSError:
                self._broken = True
        return self._process

    def _give_up(self) -> bool:
        self._broken = True
        self.close()
        return False

    def close(self) -> None:
        """End cat-file: at the end of its input, or at a closed output if it was still
        writing an answer (an error while copying)."""
        process, self._process = self._process, None
        if process is not None:
            for pipe in (process.stdin, process.stdout):
                with suppress(OSError):
                    if pipe is not None:
                        pipe.close()
            process.wait()


#: The mode git gives a symbolic link: its blob is the path it links to.
_LINK_MODE = "120000"


def _write_file(commit: str, entry: _Entry, root: Path, target: Path, blobs: _Blobs) -> None:
    path = target / entry.name
    path.parent.mkdir(parents=True, exist_ok=True)
    if entry.mode != _LINK_MODE and entry.kind == "blob" and blobs.copy(entry.oid, path):
        return
    result = _git(["show", "--no-textconv", f"{commit}:{entry.name}"], root)
    if result.returncode != 0:
        raise UsageError(f"--git-base: git show {entry.name} failed: "
                         f"{result.stderr.decode('utf-8', 'replace').strip()}")
    if entry.mode != _LINK_MODE:
        path.write_bytes(result.stdout)
        return
    # A link is made again, not written as a file holding its target's path (which was
    # then read as a plan file): one to a file of the folder reads that file, as in the
    # work tree, and one leading out of it is refused as there.
    try:
        os.symlink(os.fsdecode(result.stdout), path)
    except OSError as exc:  # Windows without the right to make links
        raise UsageError(f"--git-base: {entry.name} is a symbolic link at the ref, which "
                         f"cannot be made here ({exc.strerror}): expected a system that "
                         "makes symbolic links") from None


def _write_paths(commit: str, paths: Sequence[str], cwd: Path, root: Path,
                 target: Path) -> list[str]:
    """Write PATHS as they are at COMMIT under TARGET; the paths to check there."""
    checked = []
    with closing(_Blobs(root)) as blobs:
        for path in paths:
            relative = _relative(str(cwd / path), root)
            entries = _files_at(commit, relative, root)
            for entry in entries:
                _write_file(commit, entry, root, target, blobs)
            if entries or (cwd / path).is_dir():  # a folder new since REF: checked, empty
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                if not entries:
                    (target / relative).mkdir(parents=True, exist_ok=True)
                checked.append((target / relative).as_posix())
    return checked


@contextmanager
def checkout(ref: str, paths: Sequence[str],
             cwd: Path | None = None) -> Iterator[tuple[list[str], str]]:
    """Write PATHS as they are at REF into a temporary folder; yield the paths to check
    there and the folder's prefix (for ``relabel``). The folder is removed afterwards."""
    cwd = Path.cwd() if cwd is None else cwd
    root = repository_root(cwd, paths)
    commit = resolve_ref(ref, root)
    with tempfile.TemporaryDirectory(prefix="policycheck-git-") as folder:
        target = Path(folder)
        checked = _write_paths(commit, paths, cwd, root, target)
        yield checked, target.as_posix().rstrip("/") + "/"


def relabel(report: Report, prefix: str, label: str) -> Report:
    """Files under ``prefix`` renamed ``label:relative/path`` in findings and problems."""

    def name(file: str) -> str:
        return label + ":" + file[len(prefix):] if file.startswith(prefix) else file

    def problem(p: Problem) -> Problem:
        loc = p.location
        return dataclasses.replace(p, location=Location(name(loc.file), loc.sheet, loc.line,
                                                        loc.column))

    findings = report.findings.copy()
    files = findings["src_file"].astype(object)
    under = files.str.startswith(prefix, na=False).to_numpy(dtype=bool)
    findings.loc[under, "src_file"] = label + ":" + files[under].str.slice(len(prefix))
    return dataclasses.replace(report, findings=findings,
                               problems=tuple(problem(p) for p in report.problems),
                               files=tuple(name(f) for f in report.files),
                               files_unread=tuple(name(f) for f in report.files_unread))
