"""What a finding's line shows of a name as written: a ';' stays a ';' (only a list's
items are joined by ", "), and a control character is written as an escape, so that one
finding is one line and a name cannot restyle the terminal or the CI log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ci_plans import run, workdir
from conftest import ROOT

__all__ = ["workdir"]

NAME = "name: Store of the quarter league table"
RANKED = ("stores.yaml:36:7: medium contest.rank-or-leaderboard: plan 'st-store-manager-2027' "
          "competition '{0}': Competition \"{0}\" ranks staff or units on Revenue and pays "
          "EUR 2,500 to the top")


def _stores(folder: Path, name: str) -> None:
    text = (ROOT / "sample_data/yaml/plans/stores.yaml").read_text("utf-8")
    assert text.count(NAME) == 1
    (folder / "stores.yaml").write_text(text.replace(NAME, f"name: {name}"), "utf-8")


def _ranked(out: str) -> list[str]:
    return [line for line in out.splitlines() if "contest.rank-or-leaderboard" in line]


def test_a_semicolon_in_a_name_is_kept(workdir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """It read "Sales,  Q1 sprint": a value held ';'-joined is a list, but a name is none."""
    _stores(workdir, '"Sales; Q1 sprint"')
    assert _ranked(run(capsys, "check", "stores.yaml")[1]) == [RANKED.format("Sales; Q1 sprint")]
    [finding] = [f for f in json.loads(run(capsys, "check", "stores.yaml", "--format",
                                           "json")[1])["findings"]
                 if f["rule_id"] == "contest.rank-or-leaderboard"]
    assert finding["message"].startswith('Competition "Sales; Q1 sprint" ranks')


def test_a_list_in_a_message_reads_as_its_items(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "check", str(ROOT / "sample_data/yaml"))[1]
    assert "Declared duties (fair_collections, help_vulnerable_customer)" in out


@pytest.mark.parametrize("written, shown", [
    ('"Sales\\nQ1\\tsprint"', "Sales\\nQ1\\tsprint"),
    ('"Sales\\e[31mRED"', "Sales\\x1b[31mRED"),
    ('"Sales\\u202eQ1"', "Sales\\u202eQ1"),  # a right-to-left override
    ('"Sales\\u200bQ1\\ufeff"', "Sales\\u200bQ1\\ufeff"),  # invisible
    ('"Sales\\x85Q1"', "Sales\\x85Q1"),  # a C1 control: the next line
], ids=["line-break", "escape-sequence", "bidi-override", "zero-width", "c1-control"])
def test_a_control_character_in_a_name_is_escaped(
        workdir: Path, capsys: pytest.CaptureFixture[str], written: str, shown: str) -> None:
    _stores(workdir, written)
    assert _ranked(run(capsys, "check", "stores.yaml")[1]) == [RANKED.format(shown)]
    (workdir / "old").mkdir()
    (workdir / "new").mkdir()
    _stores(workdir / "new", written)
    _, out, _ = run(capsys, "diff", "old", "new")
    assert [line.strip() for line in _ranked(out)] == [
        RANKED.format(shown).replace("stores.yaml", "new/stores.yaml")]


def test_a_hidden_character_is_shown_in_annotations_and_comments(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A right-to-left override in a plan's text would make a pull request's annotation or
    comment read other than it is ("Trojan Source"): both show it as the text output does."""
    _stores(workdir, '"Sales\\u202eQ1\\u2066"')
    shown = "Sales\\u202eQ1\\u2066"
    annotations = run(capsys, "check", "stores.yaml", "--format", "github")[1]
    assert f"Competition \"{shown}\" ranks staff" in annotations
    assert "\u202e" not in annotations and "\u2066" not in annotations
    comment = run(capsys, "check", "stores.yaml", "--format", "markdown")[1]
    assert f"Competition &quot;{shown}&quot; ranks staff" in comment.replace("\\\\", "\\")
    assert "\u202e" not in comment and "\u2066" not in comment
