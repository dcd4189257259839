"""Files named as the repository names them, for the formats read beside it (SARIF, GitHub
annotations, JUnit, markdown): a file inside a git work tree by its path from the root of
that work tree, with / separators, whatever folder policycheck runs in; any other file as it
was given.

GitHub resolves a workflow annotation's ``file`` and a SARIF result's ``uri`` from the
repository root, so ``plans/a.yaml`` written by a run in ``services/payroll`` (a
``working-directory:`` step, a monorepo) names a file that does not exist; and an absolute
path (``/home/runner/work/...``) would tell, in a report that leaves the company, where the
checkout lies.
"""

from __future__ import annotations

import dataclasses
import os
import re

import pyarrow as pa

from policycheck.errors import Location, Problem
from policycheck.formats.arrowtext import distinct_mapped
from policycheck.worktree import WorkTrees

#: An absolute Windows path (``C:\\plans\\a.yaml``, ``C:/plans``).
WINDOWS_PATH = re.compile(r"[A-Za-z]:[\\/]")
#: How a location that is a command-line option, not a file, begins (``--param rule.name``,
#: where a rule parameter set on the command line is said to be).
_OPTION = "--"


def is_option(file: str) -> bool:
    """Whether a location's ``file`` is a command-line option (``--param rule.name``), which
    no annotation or SARIF location can point at: the formats say it in the message."""
    return file.startswith(_OPTION)


class RepoPaths:
    """The names of the files one rendering names (rendering a report is a run).

    The root is found as git finds it: the nearest folder, from the file's own folder up,
    that holds ``.git`` (a folder, or a file in a linked work tree or a submodule), read
    from the file system once per folder and run, without running git; each file is named
    once. Paths are taken as written, not through symbolic links."""

    def __init__(self, cwd: str | None = None) -> None:
        self.cwd = os.getcwd() if cwd is None else cwd
        self._trees = WorkTrees()
        self._relative: dict[str, str | None] = {}

    def relative(self, file: str) -> str | None:
        """The file's path from the root of its git work tree (/ separators), if it is in
        one (what SARIF names relative to ``%SRCROOT%``); None for a command-line option
        named as a location (``--param rule.name``), which is no file."""
        if file not in self._relative:
            self._relative[file] = self._from_root(file)
        return self._relative[file]

    def name(self, file: str) -> str:
        """``relative``, or the file as given outside a work tree (or an option)."""
        relative = self.relative(file)
        return file if relative is None else relative

    def named(self, files: pa.Array) -> pa.Array:
        """``name`` of each file of an Arrow text array (a missing one stays missing), worked
        out once per distinct file: a million findings name a few files."""
        return distinct_mapped(files, self.named_each)

    def named_each(self, files: pa.Array) -> pa.Array:
        """``name`` of each file of an Arrow text array, one by one (few, distinct)."""
        return pa.array([None if file is None else self.name(file)
                         for file in files.to_pylist()], type=pa.large_string())

    def location(self, location: Location) -> Location:
        named = self.name(location.file)
        return location if named == location.file else dataclasses.replace(location,
                                                                            file=named)

    def problem(self, problem: Problem) -> Problem:
        location = self.location(problem.location)
        return (problem if location is problem.location
                else dataclasses.replace(problem, location=location))

    def _from_root(self, file: str) -> str | None:
        if not isinstance(file, str) or not file or is_option(file) or (
                os.sep == "/" and WINDOWS_PATH.match(file)):
            return None  # no file, or a Windows path named on another system: as it is
        path = os.path.normpath(os.path.join(self.cwd, file))
        root = self._trees.root(os.path.dirname(path))
        if root is None:
            return None
        relative = os.path.relpath(path, root)
        return relative if os.sep == "/" else relative.replace(os.sep, "/")
