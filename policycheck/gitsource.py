"""Plans as they are at a git ref, for ``policycheck diff --git-base REF PATH...``.

The files under PATH at REF (``git ls-tree -r --name-only REF -- PATH``) are written, each
from ``git show REF:path``, into a temporary folder with the repository's layout, and
checked from there. git runs without a shell, with literal pathspecs, and a ref that could
be read as an option is refused. In the findings and problems of that version, files are
then named as git names them: ``REF:plans/contact-centre.yaml``.
"""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from policycheck.errors import Location, Problem, UsageError
from policycheck.report import Report


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "--literal-pathspecs", *args], cwd=cwd,
                              capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("--git-base needs git, and git is not installed") from None


def repository_root(cwd: Path) -> Path:
    result = _git(["rev-parse", "--show-toplevel"], cwd)
    if result.returncode != 0:
        raise UsageError("--git-base: not in a git repository (run it inside one, or compare "
                         "two folders: policycheck diff OLD NEW)")
    return Path(result.stdout.decode("utf-8").strip())


def resolve_ref(ref: str, root: Path) -> str:
    """The commit a ref names; UsageError for an unknown ref."""
    result = None if not ref or ref.startswith("-") else _git(
        ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if result is None or result.returncode != 0:
        raise UsageError(f"--git-base: unknown git ref '{ref}'")
    return result.stdout.decode("utf-8").strip()


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise UsageError(f"--git-base: {path} is outside the repository "
                         f"{root.as_posix()}") from None


def _files_at(commit: str, relative: str, root: Path) -> list[str]:
    result = _git(["ls-tree", "-r", "--name-only", "-z", commit, "--", relative], root)
    if result.returncode != 0:
        raise UsageError(f"--git-base: git ls-tree failed: "
                         f"{result.stderr.decode('utf-8', 'replace').strip()}")
    return [name for name in result.stdout.decode("utf-8").split("\0") if name]


def _write_file(commit: str, name: str, root: Path, target: Path) -> None:
    result = _git(["show", "--no-textconv", f"{commit}:{name}"], root)
    if result.returncode != 0:
        raise UsageError(f"--git-base: git show {name} failed: "
                         f"{result.stderr.decode('utf-8', 'replace').strip()}")
    path = target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(result.stdout)


@contextmanager
def checkout(ref: str, paths: Sequence[str],
             cwd: Path | None = None) -> Iterator[tuple[list[str], str]]:
    """Write PATHS as they are at REF into a temporary folder; yield the paths to check
    there and the folder's prefix (for ``relabel``). The folder is removed afterwards."""
    cwd = Path.cwd() if cwd is None else cwd
    root = repository_root(cwd)
    commit = resolve_ref(ref, root)
    with tempfile.TemporaryDirectory(prefix="policycheck-git-") as folder:
        target = Path(folder)
        checked = []
        for path in paths:
            relative = _relative(str(cwd / path), root)
            names = _files_at(commit, relative, root)
            for name in names:
                _write_file(commit, name, root, target)
            if names or (cwd / path).is_dir():  # a folder new since REF: checked, empty
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                if not names:
                    (target / relative).mkdir(parents=True, exist_ok=True)
                checked.append((target / relative).as_posix())
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
                               files=tuple(name(f) for f in report.files))
