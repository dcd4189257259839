"""How a SARIF file names the files it points at (``artifactLocation``).

A file inside a git work tree is named by its path from the root of that work tree, with
``"uriBaseId": "%SRCROOT%"``; any other file relative to the current folder, or as a
``file:`` URI when its path is absolute. See ``Artifacts``.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

import pandas as pd

from policycheck.formats.paths import WINDOWS_PATH, RepoPaths
from policycheck.report import Report

_ESCAPED_BYTE = re.compile(r"%5Cx([0-9a-f]{2})")
#: The ``uriBaseId`` of a file named relative to the root of its git work tree: the name
#: GitHub's documentation and CodeQL give the source root.
SRCROOT = "%SRCROOT%"
#: ``run.originalUriBaseIds`` when a location uses ``SRCROOT``: what it stands for, without
#: its absolute path, which would differ from machine to machine (and tell where a CI runner
#: or a laptop keeps the checkout). A consumer takes the root from its own checkout, as code
#: scanning does, which resolves a relative ``uri`` against the repository root.
ORIGINAL_URI_BASE_IDS = {SRCROOT: {"description": {
    "text": "The root of the git work tree that holds the checked files."}}}


@functools.lru_cache(maxsize=1024)  # a report names few files, each in many results
def artifact_uri(file: str) -> str:
    """A relative URI with forward slashes (what GitHub matches to the repository), or a
    file: URI for an absolute path. A byte of a name that is not UTF-8, shown as ``\\xff``
    (errors.display_path), is percent-encoded as that byte: ``%FF``."""
    windows = WINDOWS_PATH.match(file) or ("\\" in file and "/" not in file)
    path = PureWindowsPath(file) if windows else PurePosixPath(file)
    uri = path.as_uri() if path.is_absolute() else quote(path.as_posix(), safe="/")
    return _ESCAPED_BYTE.sub(lambda found: "%" + found[1].upper(), uri)


def _quoted(path: str) -> str:
    """A relative path with / separators as a URI: ``artifact_uri`` without its Windows
    reading of a name holding ``\\`` (the escape of a byte that is not UTF-8)."""
    return _ESCAPED_BYTE.sub(lambda found: "%" + found[1].upper(), quote(path, safe="/"))


class Artifacts:
    """The ``artifactLocation`` of each file one run names (rendering a report is a run).

    A file inside a git work tree is named by its path from the root of that work tree,
    with ``"uriBaseId": "%SRCROOT%"``: the same bytes from whichever folder policycheck ran
    in, and a path code scanning can match to a file of the repository (it resolves a
    relative ``uri`` against the repository root, so ``../plans/a.yaml``, what a run in a
    subfolder used to write, matched nothing). The root is found as ``paths.RepoPaths``
    finds it (as git does, without running git; the GitHub, JUnit and markdown formats name
    files the same way). Any other file is named as ``artifact_uri`` names it: relative to
    the current folder, or a ``file:`` URI for an absolute path."""

    def __init__(self, files: Iterable[str] = (), cwd: str | None = None) -> None:
        self.cwd = os.getcwd() if cwd is None else cwd
        self._paths = RepoPaths(self.cwd)
        self._uris: dict[str, tuple[str, bool]] = {}
        for file in files:
            self.uri(file)
        #: Whether a file named so far (those given) is in a work tree: the run then says
        #: what ``%SRCROOT%`` stands for (``ORIGINAL_URI_BASE_IDS``).
        self.based = any(based for _, based in self._uris.values())

    @classmethod
    def of(cls, report: Report, findings: pd.DataFrame) -> Artifacts:
        """Those of the files of ``report``'s problems and of ``findings``."""
        files = [problem.location.file for problem in report.problems]
        if "src_file" in findings and len(findings):
            files += [file for file in pd.unique(findings["src_file"].astype(object))
                      if isinstance(file, str)]
        return cls(files)

    def uri(self, file: str) -> tuple[str, bool]:
        """The file's ``uri``, and whether it is relative to ``%SRCROOT%``."""
        found = self._uris.get(file)
        if found is None:
            relative = self._paths.relative(file)
            found = self._uris[file] = ((artifact_uri(file), False) if relative is None
                                        else (_quoted(relative), True))
        return found

    def location(self, file: str) -> dict[str, str]:
        uri, based = self.uri(file)
        return {"uri": uri, "uriBaseId": SRCROOT} if based else {"uri": uri}
