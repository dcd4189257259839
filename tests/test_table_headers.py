"""A table whose header cannot be matched to its fields: what it says of the header, and of
the plans beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ci_plans import run
from conftest import ROOT

HEADER = "plan_id,id,kpi,weight,"


def test_plans_beside_a_components_table_without_plan_ids_are_told_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Each plan was told it "has no components but target_variable is 3200; expected
    components ..., or target_variable 0 for a salary-only plan": the wrong fix. A header
    "Weight (%)" had no hint, and was ignored."""
    shutil.copytree(ROOT / "sample_data/csv", tmp_path / "co")
    components = tmp_path / "co/components.csv"
    text = components.read_text("utf-8")
    assert text.startswith(HEADER)
    components.write_text("PlanId,ID,KPI,Weight (%)," + text[len(HEADER):], "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "validate", "co")
    lines = out.splitlines()
    assert code == 2
    assert lines[:4] == [
        "co/components.csv:1: error: the components table has no 'plan_id', 'weight' column; "
        "expected at least the columns plan_id, kpi, weight [missing-column]",
        "co/components.csv:1:1: error: unknown column 'PlanId' in the components table; did "
        "you mean 'plan_id'? [unknown-column]",
        "co/components.csv:1:4: error: unknown column 'Weight (%)' in the components table; "
        "did you mean 'weight'? [unknown-column]",
        "co/plans.csv:2: error: plan 'bo-billing-ops-2027': has no components: "
        "co/components.csv, this folder's components table, has no 'plan_id', 'weight' "
        "column; the plan is checked once it can be [no-components]"]
    assert not any("target_variable 0" in line or "applies_to" in line for line in lines)


@pytest.mark.parametrize("closing, line, cells", [(",", 0, 0), (",x", 3, 13)])
def test_rows_closed_by_a_separator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str], closing: str,
                                    line: int, cells: int) -> None:
    """An export that ends every row with a separator (``a,b,c,``): the table was refused
    ("this row has 13 cells but the header has 12") and every plan had no components. The
    empty cells past the header hold nothing; a value past it is still malformed."""
    shutil.copytree(ROOT / "sample_data/csv", tmp_path / "co")
    components = tmp_path / "co/components.csv"
    rows = components.read_text("utf-8").splitlines()
    body = [row + closing if closing == "," or index == 1 else row
            for index, row in enumerate(rows[1:])]
    components.write_text("\n".join([rows[0], *body]) + "\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "validate", "co")
    if not line:
        assert (code, out) == (0, "Read 17 plans from 9 files: 17 valid, 0 invalid.\n")
    else:
        assert code == 2 and out.splitlines()[0] == (
            f"co/components.csv:{line}: error: malformed CSV: this row has {cells} cells but "
            "the header has 12; expected one cell per column (quote a cell that contains a "
            "comma) [bad-csv]")


def test_values_under_a_column_without_a_name_are_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """They were ignored in silence; an empty column without a name (an export's edge)
    says nothing."""
    shutil.copytree(ROOT / "sample_data/csv", tmp_path / "co")
    components = tmp_path / "co/components.csv"
    rows = components.read_text("utf-8").splitlines()
    components.write_text("\n".join([rows[0] + ",", rows[1] + ",oops",
                                     *(row + "," for row in rows[2:])]) + "\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "validate", "co")[:2] == (0, (
        "co/components.csv:1:13: warning: column 13 has no name in the header but holds "
        "values; ignored: expected the name of a field [unknown-column]\n"
        "Read 17 plans from 9 files: 17 valid, 0 invalid. 0 errors, 1 warning.\n"))
    components.write_text("\n".join([rows[0] + ",", *(row + "," for row in rows[1:])]) + "\n",
                          "utf-8")
    assert run(capsys, "validate", "co")[:2] == (
        0, "Read 17 plans from 9 files: 17 valid, 0 invalid.\n")
