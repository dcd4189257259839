"""diff --git-base reads the old version out of git: every file under PATH at REF, byte for
byte as committed (no newline added at the end, binary bytes kept, a blob larger than a
pipe's buffer whole), with one git process for all the files rather than one a file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ci_plans import good, risky, run, workdir, write

from policycheck.gitsource import checkout

__all__ = ["workdir"]

#: Files whose bytes the old version must keep: ``git cat-file --batch`` frames each blob as
#: ``<oid> SP blob SP <size> LF <bytes> LF``, and none of these may shift that framing.
ODD_FILES = {
    "plans/no-newline.yaml": b"plan:\n  id: x-2027",
    "plans/binary.yaml": b"\x00\xff\xfe\r\nplan:\r\n\x1b[31m\n\n",
    "plans/empty.yaml": b"",
    "plans/framing.yaml": b"0123456789012345678901234567890123456789 missing\nx blob 3\nabc\n",
    # 1 MiB and 4 bytes: sixteen 64 KiB pipe buffers, and more than one piece of a copy
    "plans/large.dat": bytes(range(256)) * 4096 + b"tail",
    "plans/deep/with space/é.yaml": b"z\n",
    "plans/line\nbreak.yaml": b"n\n",
    # neither smudged, nor given CRLF ends, nor shown through its textconv
    "plans/notes.txt": b"lower\ncase\n",
    "plans/.gitattributes": b"*.txt text eol=crlf filter=upper diff=upper\n",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                          capture_output=True).stdout.decode("utf-8")


@pytest.fixture
def repo(workdir: Path) -> Path:
    """A git repository whose last commit holds plans a (risky), b and c (balanced)."""
    shutil.rmtree(workdir / ".git")
    git(workdir, "init", "-q", ".")
    write(workdir / "plans", {"a.yaml": risky("a-2027"), "b.yaml": good("b-2027"),
                              "c.yaml": good("c-2027")})
    git(workdir, "add", "-A")
    git(workdir, "commit", "-q", "-m", "plans")
    return workdir


def commit_bytes(repo: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more")


@pytest.fixture
def git_calls(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
              request: pytest.FixtureRequest) -> Path:
    """git, as the code runs it, behind a script that logs each call's arguments. With
    ``@pytest.mark.parametrize("git_calls", [(N, B)], indirect=True)``, cat-file is given
    N questions and its answers are cut after B bytes, as a cat-file that dies part-way."""
    real = shutil.which("git")
    assert real is not None
    folder = tmp_path_factory.mktemp("bin")
    log = folder / "calls.log"
    lines = ["#!/bin/sh", f"echo \"$*\" >> '{log}'"]
    if hasattr(request, "param"):
        questions, answered = request.param
        # passed on as they come (head holds them back until its buffer fills)
        ask = (f"n=0; while [ $n -lt {questions} ] && IFS= read -r q; do echo \"$q\"; "
               "n=$((n+1)); done")
        answer = f"dd bs=1 count={answered} 2>/dev/null"
        lines += [f"if [ \"$2\" = cat-file ]; then {ask} | '{real}' \"$@\" | {answer}; exit; fi"]
    lines += [f"exec '{real}' \"$@\""]
    (folder / "git").write_text("\n".join(lines) + "\n")
    (folder / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


def reads_of_files(log: Path) -> list[str]:
    """The git calls that read a file's bytes (cat-file, show)."""
    calls = log.read_text().splitlines()
    return [call for call in calls if call.split(" ")[1] in ("cat-file", "show")]


def test_diff_with_a_renamed_an_added_and_a_deleted_file(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "mv", "plans/b.yaml", "plans/b-renamed.yaml")
    git(repo, "rm", "-q", "plans/c.yaml")
    write(repo / "plans", {"a.yaml": good("a-2027"), "d.yaml": good("d-2027")})
    code, out, err = run(capsys, "diff", "--git-base", "HEAD", "plans/")
    assert (code, err) == (0, "")
    assert out == """\
Incentive mix (share of target variable pay):
  a-2027: speed 40 % → 0 %, customer 60 % → 100 %
Plans added: d-2027
Plans removed: c-2027
Resolved findings (3):
  HEAD:plans/a.yaml:4:3: medium claw.none: plan 'a-2027': 40% of variable pay rides on \
speed, cost or sales measures and neither a clawback nor a deferral covers the 30 days in \
which mis-sales, cancellations or rework show up
  HEAD:plans/a.yaml:4:3: high gate.missing: plan 'a-2027': 40% of variable pay rides on \
speed, cost or sales measures and no quality, outcome or compliance gate applies to any of \
it (0 gates in the plan)
  HEAD:plans/a.yaml:19:7: medium cs.handle-time: plan 'a-2027' component \
'first-contact-resolution': Average handle time carries 40% of variable pay (40% on \
handle-time measures in all); trusted resolution and quality measures carry 60%, and no \
resolution or QA gate covers this component
3 → 3 plans checked: 1 with a changed mix, 1 added, 1 removed; findings: 0 introduced, \
0 raised, 3 resolved.
0 new findings at or above 'high'.
"""
    code, out, _ = run(capsys, "diff", "--git-base", "HEAD", "plans/", "--format", "json")
    data = json.loads(out)
    assert (code, data["plans_added"], data["plans_removed"]) == (0, ["d-2027"], ["c-2027"])
    assert {f["location"]["file"] for f in data["resolved"]} == {"HEAD:plans/a.yaml"}
    assert data["summary"]["old_errors"] == 0


def test_the_old_version_holds_the_committed_bytes(repo: Path) -> None:
    git(repo, "config", "filter.upper.smudge", "tr a-z A-Z")
    git(repo, "config", "filter.upper.clean", "cat")
    git(repo, "config", "diff.upper.textconv", "tr a-z A-Z")
    commit_bytes(repo, ODD_FILES)
    committed = {name: (repo / name).read_bytes()
                 for name in git(repo, "ls-files", "-z").split("\0") if name}
    assert committed.keys() == ODD_FILES.keys() | {"plans/a.yaml", "plans/b.yaml",
                                                    "plans/c.yaml"}
    for name in ODD_FILES:
        (repo / name).unlink()  # the old version is read from git, not the working tree
    with checkout("HEAD", ["plans"], repo) as (checked, prefix):
        assert checked == [prefix + "plans"]
        written = {path.relative_to(prefix).as_posix(): path.read_bytes()
                   for path in Path(prefix).rglob("*") if path.is_file()}
    assert written == committed


def test_a_large_plan_without_a_last_newline(repo: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """1.1 MB of comments before a plan whose last line has no newline: the findings of
    the old version sit on the lines of the whole file."""
    padding = b"# the plan below, as it was agreed\n" * 33_000
    commit_bytes(repo, {"plans/a.yaml": padding + risky("a-2027").encode().rstrip(b"\n")})
    write(repo / "plans", {"a.yaml": good("a-2027")})
    code, out, _ = run(capsys, "diff", "--git-base", "HEAD", "plans/", "--format", "json")
    data = json.loads(out)
    assert (code, data["summary"]["old_errors"], data["plans_removed"]) == (0, 0, [])
    assert sorted((f["rule_id"], f["location"]["line"]) for f in data["resolved"]) == [
        ("claw.none", 33_004), ("cs.handle-time", 33_019), ("gate.missing", 33_004)]


def test_reading_the_old_version_takes_one_git_process(
        repo: Path, git_calls: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A git process a file took 10 s for 3,000 files."""
    write(repo / "plans", {f"p{n:02}.yaml": good(f"p{n:02}-2027") for n in range(40)})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "forty more")
    git_calls.write_text("")
    code, out, _ = run(capsys, "diff", "--git-base", "HEAD", "plans/", "--format", "json")
    assert (code, json.loads(out)["summary"]["plans_old"]) == (0, 43)
    assert reads_of_files(git_calls) == ["--literal-pathspecs cat-file --batch"]


@pytest.mark.parametrize("git_calls", [(4, 5_000)], indirect=True)
def test_a_cat_file_that_stops_part_way_leaves_the_rest_to_git_show(
        repo: Path, git_calls: Path) -> None:
    commit_bytes(repo, {"plans/large.dat": ODD_FILES["plans/large.dat"],
                        "plans/z.yaml": b"z\n"})
    committed = {name: (repo / name).read_bytes()
                 for name in git(repo, "ls-files", "-z").split("\0") if name}
    commit = git(repo, "rev-parse", "HEAD").strip()
    git_calls.write_text("")
    with checkout("HEAD", ["plans"], repo) as (_, prefix):
        written = {path.relative_to(prefix).as_posix(): path.read_bytes()
                   for path in Path(prefix).rglob("*") if path.is_file()}
    assert written == committed
    # a, b and c.yaml come whole from cat-file; large.dat is cut short (at 5,000 bytes of
    # answers), and from there on git show reads each file
    assert [call.split(" ")[-1] for call in reads_of_files(git_calls)] == [
        "--batch", f"{commit}:plans/large.dat", f"{commit}:plans/z.yaml"]


@pytest.mark.parametrize("ref", ["no-such-branch", "HEAD~1", "HEAD^{tree}", "-p"])
def test_a_bad_ref_exits_2(repo: Path, capsys: pytest.CaptureFixture[str], ref: str) -> None:
    assert run(capsys, "diff", "--git-base", ref, "plans/") == (
        2, "", f"policycheck: error: --git-base: unknown git ref '{ref}'\n")


def test_a_file_git_cannot_give_exits_2_naming_it(repo: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A blob missing from the object store, or a submodule (a commit of another
    repository), stops the diff as before: git show's own error, after the file's name."""
    blob = git(repo, "rev-parse", "HEAD:plans/b.yaml").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    code, out, err = run(capsys, "diff", "--git-base", "HEAD", "plans/")
    assert (code, out) == (2, "")
    assert err.startswith("policycheck: error: --git-base: git show plans/b.yaml failed: "
                          "fatal: ")
    git(repo, "rm", "-q", "--cached", "plans/b.yaml")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},plans/sub")
    git(repo, "commit", "-q", "-m", "a submodule")
    code, out, err = run(capsys, "diff", "--git-base", "HEAD", "plans/")
    assert (code, out) == (2, "")
    assert err.startswith("policycheck: error: --git-base: git show plans/sub failed: fatal: ")


# --- what a CI checkout lacks, said with how to get it -----------------------------------

def test_a_ref_a_shallow_clone_lacks_says_to_fetch_it(
        repo: Path, tmp_path_factory: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """In a --depth 1 clone (actions/checkout's default) HEAD~1 is unknown: it said only
    "unknown git ref"."""
    commit_bytes(repo, {"plans/d.yaml": good("d-2027").encode()})
    clone = tmp_path_factory.mktemp("ci") / "clone"
    git(clone.parent, "clone", "-q", "--depth", "1", repo.as_uri(), "clone")
    monkeypatch.chdir(clone)
    assert run(capsys, "diff", "--git-base", "HEAD~1", "plans") == (
        2, "", "policycheck: error: --git-base: unknown git ref 'HEAD~1'; this clone is "
               "shallow, without the history the ref is in: fetch it (actions/checkout with "
               "fetch-depth: 0, or git fetch --unshallow)\n")
    full = clone.parent / "full"
    git(clone.parent, "clone", "-q", repo.as_uri(), "full")
    monkeypatch.chdir(full)
    assert run(capsys, "diff", "--git-base", "origin/release", "plans") == (
        2, "", "policycheck: error: --git-base: unknown git ref 'origin/release'; fetch it "
               "first: git fetch origin release\n")


def test_a_path_in_a_repository_from_outside_it(
        repo: Path, tmp_path_factory: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from outside the repository, it said "not in a git repository" of a path in one."""
    (repo / "plans/b.yaml").write_text(risky("b-2027"), "utf-8")
    expected = run(capsys, "diff", "--git-base", "HEAD", "plans")
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    code, out, err = run(capsys, "diff", "--git-base", "HEAD", str(repo / "plans"))
    assert (code, err) == (expected[0], "")
    assert out.replace(f"{repo.as_posix()}/", "") == expected[1]


def test_a_file_name_that_is_not_utf8(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A name in Latin-1 bytes (a file committed from an old Windows share) stopped the run
    with an internal error (UnicodeDecodeError). It is read as the folder's own files are,
    and shown escaped."""
    name = os.fsencode(repo / "plans") + b"/caf\xe9.yaml"
    with open(name, "wb") as file:
        file.write(risky("cafe-2027").encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "latin-1")
    os.remove(name)
    code, out, err = run(capsys, "diff", "--git-base", "HEAD", "plans", "--format", "json")
    assert (code, err) == (0, "")
    resolved = [f["location"]["file"] for f in json.loads(out)["resolved"]]
    assert resolved and set(resolved) == {"HEAD:plans/caf\\xe9.yaml"}


def test_a_symbolic_link_is_read_as_in_the_work_tree(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A link was written as a file holding the path it links to, read as a plan file: the
    old version lost the linked plan ("not a plan file"), so an unchanged folder showed a
    change. It is made again: a link to a file of the folder reads that file, and one
    leading out of the folder is refused, as in the work tree."""
    write(repo, {"plans/.versions/d-v3.yaml": risky("d-2027"), "secret.yaml": "token: x\n"})
    os.symlink(".versions/d-v3.yaml", repo / "plans/d.yaml")
    os.symlink("../secret.yaml", repo / "plans/out.yaml")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")
    code, out, err = run(capsys, "diff", "--git-base", "HEAD", "plans", "--format", "json")
    assert (code, err) == (2, "plans/out.yaml: error: links outside the folder "
                              "plans; refused: name it on the command line to read it "
                              "[link-outside-folder]\n")
    summary = json.loads(out)["summary"]
    assert {key: summary[key] for key in ("plans_old", "plans_new", "plans_added",
                                          "plans_removed", "introduced", "resolved",
                                          "old_errors")} == {
        "plans_old": 4, "plans_new": 4, "plans_added": 0, "plans_removed": 0,
        "introduced": 0, "resolved": 0, "old_errors": 1}
    assert [p["code"] for p in json.loads(out)["problems"]] == ["link-outside-folder"]
