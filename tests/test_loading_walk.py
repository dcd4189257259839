"""Walking folders and reading files (policycheck/loading.py): a file or a folder that cannot
be read, a file removed while the run reads it, links (to a file read already, broken, in a
loop) and a very deep tree. Each is a problem at its path; the other plans are still read,
and the run never stops with an internal error.

The machine may run the suite as root, which reads any file whatever its mode: the system
calls are made to fail for one path instead (``fail_for``)."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ci_plans import good, run, workdir, write

from policycheck.loading import load_paths

__all__ = ["workdir"]


def fail_for(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, path: str,
             error: OSError) -> None:
    """``owner.name`` (``Path.read_bytes``, ``os.scandir``) raises ``error`` for ``path``
    (a file name or a path as given to it), and works as before for any other."""
    real: Callable[..., Any] = getattr(owner, name)

    def failing(target: Any, *args: Any, **kwargs: Any) -> Any:
        if str(target) == path or Path(target).name == path:
            raise error
        return real(target, *args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def denied() -> PermissionError:
    return PermissionError(errno.EACCES, os.strerror(errno.EACCES))


def plans(folder: str, *names: str) -> None:
    """A valid plan in each file ``folder/name``, its id the name's stem."""
    write(Path(folder), {name: good(f"plan-{Path(name).stem}") for name in names})


# --- 1. a file that cannot be read ------------------------------------------------------

def test_an_unreadable_file_in_a_folder_is_an_error_and_the_others_are_read(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """It stopped the whole run with an internal error (PermissionError, exit 3)."""
    plans("perm", "p1.yaml", "p2.yaml", "p3.yaml")
    fail_for(monkeypatch, Path, "read_bytes", "p2.yaml", denied())
    assert run(capsys, "validate", "perm") == (2, (
        "perm/p2.yaml: error: cannot read it: Permission denied [unreadable-file]\n"
        "Read 2 plans from 2 files: 2 valid, 0 invalid. 1 file could not be read: see the "
        "errors above. 1 error, 0 warnings.\n"), "")


def test_a_named_file_in_a_folder_that_cannot_be_entered_is_an_error(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Looking at it (stat) failed with PermissionError: an internal error (exit 3)."""
    plans("perm/locked", "x.yaml")
    fail_for(monkeypatch, Path, "stat", "x.yaml", denied())
    assert run(capsys, "validate", "perm/locked/x.yaml") == (2, (
        "perm/locked/x.yaml: error: cannot read it: Permission denied [unreadable-file]\n"
        "Read 0 plans from 0 files: 0 valid, 0 invalid. 1 file could not be read: see the "
        "errors above. 1 error, 0 warnings.\n"), "")


def test_an_unreadable_table_or_workbook_is_an_error_and_its_table_is_said_unread_once(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreadable gates.csv (or plans.csv) stopped the run (exit 3). The rows that need
    the table are said once, as for a table that cannot be decoded."""
    write(workdir, {"csv/plans.csv": "id,role_kind,base_pay,target_variable\n"
                                     "p1,service,30000,0\n",
                    "csv/components.csv": "plan_id,kpi,weight\np1,fcr,100%\n"})
    (workdir / "book").mkdir()
    (workdir / "book/plans.xlsx").write_bytes(b"PK")
    fail_for(monkeypatch, Path, "read_bytes", "plans.csv", denied())
    fail_for(monkeypatch, Path, "open", "plans.xlsx", denied())
    code, out, err = run(capsys, "validate", "csv", "book")
    assert (code, err) == (2, "")
    lines = out.splitlines()
    assert lines[0] == "book/plans.xlsx: error: cannot read it: Permission denied " \
        "[unreadable-file]"
    assert lines[2] == "csv/plans.csv: error: cannot read it: Permission denied " \
        "[unreadable-file]"
    # the components' rows are checks.cross_table's to word, once for the table
    assert lines[1].startswith("csv/components.csv: ")
    assert "csv/plans.csv, this folder's plans table, could not be read" in lines[1]
    assert lines[3].startswith("Read 0 plans from 1 file: 0 valid, 0 invalid.")
    assert list(load_paths(["csv"]).tables.unread.values()) == [
        "csv/plans.csv, this folder's plans table, could not be read"]


# --- 2. a folder that cannot be listed --------------------------------------------------

def test_a_sub_folder_that_cannot_be_listed_is_an_error(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """It was passed over without a word: its plans dropped and the run passed (exit 0)."""
    plans("perm", "p1.yaml", "p2.yaml", "locked/x.yaml")
    fail_for(monkeypatch, os, "scandir", "locked", denied())
    assert run(capsys, "validate", "perm") == (2, (
        "perm/locked: error: cannot list the folder: Permission denied; its plans are not "
        "read [unreadable-folder]\n"
        "Read 2 plans from 2 files: 2 valid, 0 invalid. 1 error, 0 warnings.\n"), "")


def test_a_named_folder_that_cannot_be_listed_is_an_error(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    plans("perm", "p1.yaml")
    fail_for(monkeypatch, os, "scandir", "perm", denied())
    assert run(capsys, "validate", "perm") == (2, (
        "perm: error: cannot list the folder: Permission denied; its plans are not read "
        "[unreadable-folder]\n"
        "Read 0 plans from 0 files: 0 valid, 0 invalid. 1 error, 0 warnings.\n"), "")


# --- 5. a file reached twice through a link ---------------------------------------------

@pytest.mark.parametrize("paths", [["sl"], ["sl", "sl/2027"], ["sl/2027", "sl"]])
def test_a_file_linked_within_the_folder_is_read_once_however_many_paths_are_given(
        workdir: Path, capsys: pytest.CaptureFixture[str], paths: list[str]) -> None:
    """With one path, current/plan.yaml and 2027/plan.yaml were both read: their plan was a
    duplicate of itself (exit 2); with a second path, read once (exit 0)."""
    plans("sl", "2027/plan.yaml")
    (workdir / "sl/current").mkdir()
    (workdir / "sl/current/plan.yaml").symlink_to("../2027/plan.yaml")
    assert run(capsys, "validate", *paths) == (
        0, "Read 1 plan from 1 file: 1 valid, 0 invalid.\n", "")
    assert load_paths(paths).files == ["sl/2027/plan.yaml"]
    assert load_paths(["sl/current/plan.yaml", "sl"]).files == ["sl/current/plan.yaml"]


def test_a_link_to_a_folder_is_not_walked_and_one_leading_out_is_refused_in_neutral_words(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A link to a folder of the tree is not walked (its plans are read there); one leading
    out of the tree is refused, said as a link and not as "a file" (it was called a file
    when it led to a folder), whether its target is a folder, a file or nothing."""
    plans("lf", "2027/plan.yaml")
    plans("elsewhere", "2026/plan.yaml")
    (workdir / "lf/current").symlink_to("2027")
    (workdir / "lf/old").symlink_to("../elsewhere/2026")
    (workdir / "lf/gone").symlink_to("../elsewhere/nothing")
    assert run(capsys, "validate", "lf") == (2, "".join(
        f"lf/{name}: error: links outside the folder lf; refused: name it on the command "
        "line to read it [link-outside-folder]\n" for name in ("gone", "old"))
        + "Read 1 plan from 1 file: 1 valid, 0 invalid. 2 errors, 0 warnings.\n", "")


# --- 6. a file removed while the run reads it -------------------------------------------

def test_a_file_removed_after_its_folder_was_listed_is_an_error(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file saved by rename, or removed by a sync client, between the listing of its
    folder and its reading: an internal error (FileNotFoundError, exit 3)."""
    plans("tree", "a/p1.yaml", "a/p2.yaml", "b/p3.yaml", "c/p4.yaml")
    write(workdir, {"tree/b/gates.csv": "plan_id,kpi,min\n"})
    listed = os.scandir

    def listed_then_removed(folder: Any) -> contextlib.nullcontext[list[os.DirEntry[str]]]:
        with listed(folder) as listing:
            entries = list(listing)
        for entry in entries:
            if entry.name in ("p2.yaml", "gates.csv"):
                os.remove(entry.path)
            elif entry.name == "c":
                os.remove(os.path.join(entry.path, "p4.yaml"))
                os.rmdir(entry.path)
        return contextlib.nullcontext(entries)

    monkeypatch.setattr(os, "scandir", listed_then_removed)
    assert run(capsys, "validate", "tree") == (2, (
        "tree/a/p2.yaml: error: was removed or renamed while it was read [unreadable-file]\n"
        "tree/b/gates.csv: error: was removed or renamed while it was read "
        "[unreadable-file]\n"
        "tree/c: error: was removed or renamed while it was read [unreadable-folder]\n"
        "Read 2 plans from 2 files: 2 valid, 0 invalid. 2 files could not be read: see the "
        "errors above. 3 errors, 0 warnings.\n"), "")


def test_a_file_removed_before_its_bytes_are_read_is_an_error(
        workdir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    plans("tree", "p1.yaml", "p2.yaml")
    fail_for(monkeypatch, Path, "read_bytes", "p1.yaml",
             FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT)))
    assert run(capsys, "validate", "tree") == (2, (
        "tree/p1.yaml: error: was removed or renamed while it was read [unreadable-file]\n"
        "Read 1 plan from 1 file: 1 valid, 0 invalid. 1 file could not be read: see the "
        "errors above. 1 error, 0 warnings.\n"), "")


# --- 9. broken links --------------------------------------------------------------------

def _broken_links(workdir: Path) -> None:
    plans("bl", "a.yaml")
    (workdir / "bl/b.yaml").symlink_to("old/gone.yaml")
    (workdir / "bl/loop.csv").symlink_to("loop.csv")
    (workdir / "bl/notes.md").symlink_to("old/notes.md")  # no data file's name: unsaid


def test_a_broken_link_in_a_folder_is_a_warning(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It was passed over without a word (and a loop of links was an internal error,
    RuntimeError, exit 3)."""
    _broken_links(workdir)
    assert run(capsys, "validate", "bl") == (0, (
        "bl/b.yaml: warning: is a broken link to old/gone.yaml, which does not exist; "
        "skipped [broken-link]\n"
        "bl/loop.csv: warning: is a broken link to loop.csv, a loop of links; skipped "
        "[broken-link]\n"
        "Read 1 plan from 1 file: 1 valid, 0 invalid. 0 errors, 2 warnings.\n"), "")


def test_a_broken_link_named_is_an_error_saying_so(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It was said to be "no such file or folder", though it is there."""
    _broken_links(workdir)
    assert run(capsys, "validate", "bl/b.yaml", "bl/loop.csv", "bl/none.yaml") == (2, (
        "bl/b.yaml: error: is a broken link to old/gone.yaml, which does not exist "
        "[broken-link]\n"
        "bl/loop.csv: error: is a broken link to loop.csv, a loop of links [broken-link]\n"
        "bl/none.yaml: error: no such file or folder [missing-path]\n"
        "Read 0 plans from 0 files: 0 valid, 0 invalid. 3 errors, 0 warnings.\n"), "")


# --- 13. a very deep tree ---------------------------------------------------------------

@pytest.fixture
def deep(workdir: Path) -> Iterator[Path]:
    """A plan 1,000 folders down ``deep``, removed from the bottom up after the test
    (shutil.rmtree, which pytest cleans with, recurses as the walk did)."""
    folders = [Path("deep", *["a"] * level) for level in range(1001)]
    for folder in folders:
        folder.mkdir()
    plans(str(folders[-1]), "p.yaml")
    yield folders[-1]
    (folders[-1] / "p.yaml").unlink()
    for folder in reversed(folders):
        folder.rmdir()


def test_a_tree_1000_folders_deep_is_walked(
        deep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The walk recursed once per level: RecursionError (exit 3)."""
    assert run(capsys, "validate", "deep") == (
        0, "Read 1 plan from 1 file: 1 valid, 0 invalid.\n", "")
    assert load_paths(["deep"]).files == [f"{deep.as_posix()}/p.yaml"]


def test_a_folder_is_walked_in_the_order_of_its_paths(workdir: Path) -> None:
    """The walk as a loop keeps the order of the recursive one: sorted as paths, a folder's
    files before a name that sorts after the folder's."""
    plans(".", "ab.yaml", "a.yaml", "a-b/c.yaml", "a/b.yaml", "a/z/y.yaml", "a/c.yaml")
    assert load_paths(["."]).files == [
        "a/b.yaml", "a/c.yaml", "a/z/y.yaml", "a-b/c.yaml", "a.yaml", "ab.yaml"]
