"""The root of the git work tree a file is in, found as git finds it (the nearest folder,
from the file's own folder up, that holds ``.git``: a folder, or a file in a linked work
tree or a submodule), from the file system alone: no git is run."""

from __future__ import annotations

import os
from pathlib import Path


class WorkTrees:
    """Work-tree roots of many folders (the files of one run), each folder looked at once."""

    def __init__(self) -> None:
        self._roots: dict[str, str | None] = {}

    def root(self, folder: str) -> str | None:
        """The root of the work tree ``folder`` (absolute, normalised) is in; None outside
        one."""
        walked = []
        root = None
        while True:
            if folder in self._roots:
                root = self._roots[folder]
                break
            walked.append(folder)
            if os.path.lexists(os.path.join(folder, ".git")):
                root = folder
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        for seen in walked:
            self._roots[seen] = root
        return root


def work_tree_root(folder: Path) -> Path | None:
    """The root of the work tree ``folder`` is in; None outside one."""
    root = WorkTrees().root(os.path.abspath(folder))
    return None if root is None else Path(root)
