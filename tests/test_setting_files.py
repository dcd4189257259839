"""A waivers, baseline or config file named that is no file: said for what it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_plans import good, run, workdir, write

__all__ = ["workdir"]


@pytest.mark.parametrize("flag, kind", [("--waivers", "waivers file"),
                                        ("--baseline", "baseline file")])
def test_a_device_named_as_a_setting_file(workdir: Path, capsys: pytest.CaptureFixture[str],
                                          flag: str, kind: str) -> None:
    """/dev/null was "no such waivers file", though it is there."""
    write(workdir, {"plans/p.yaml": good()})
    assert run(capsys, "check", "plans", flag, "/dev/null") == (
        2, "", f"policycheck: error: /dev/null: is not a regular file; expected a {kind}\n")
    assert run(capsys, "check", "plans", flag, "none.json") == (
        2, "", f"policycheck: error: none.json: no such {kind}"
               + (" (write one with --write-baseline)" if flag == "--baseline" else "") + "\n")


def test_a_folder_named_as_the_config(workdir: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write(workdir, {"plans/p.yaml": good()})
    monkeypatch.setenv("POLICYCHECK_CONFIG", "plans")
    assert run(capsys, "check", "plans") == (
        2, "", "policycheck: error: POLICYCHECK_CONFIG plans: is a folder; expected a config "
               "file\n")


def test_a_baseline_of_a_newer_version_says_so(workdir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """It was "not a policycheck baseline", though the file says it is one."""
    write(workdir, {"plans/p.yaml": good(),
                    "b.json": '{"version": 2, "tool": "policycheck", "fingerprints": []}'})
    assert run(capsys, "check", "plans", "--baseline", "b.json") == (
        2, "", "policycheck: error: b.json: a policycheck baseline of version 2, which a newer "
               "policycheck wrote; this one reads version 1: upgrade policycheck, or write "
               "the baseline again with --write-baseline\n")
