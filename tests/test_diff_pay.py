"""policycheck diff says what a change does to pay: target variable pay, headcount, pay at
stake and currency, per plan in both versions (it said nothing when a plan's pay at stake
doubled), redacted where the diff is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ci_plans import good, run, workdir, write

from policycheck.diffing import pay_changes
from policycheck.formats.diff import pay_texts

__all__ = ["workdir"]


@pytest.fixture
def paid(workdir: Path) -> Path:
    """a's target variable pay doubled, b's headcount up, c paid in pounds; d unchanged."""
    write(workdir / "old", {f"{p}.yaml": good(f"{p}-2027") for p in "abcd"})
    write(workdir / "new", {
        "a.yaml": good("a-2027").replace("target_variable: 2850", "target_variable: 5700")
        .replace("max_variable: 4275", "max_variable: 8550"),
        "b.yaml": good("b-2027").replace("headcount: 40", "headcount: 55"),
        "c.yaml": good("c-2027").replace("currency: EUR", "currency: GBP"),
        "d.yaml": good("d-2027")})
    return workdir


def test_text_says_each_plans_change_of_pay(paid: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "diff", "old", "new") == (0, """\
Pay and headcount:
  a-2027: target variable pay EUR 2,850 → 5,700; pay at stake EUR 114,000 → 228,000
  b-2027: headcount 40 → 55; pay at stake EUR 114,000 → 156,750
  c-2027: currency EUR → GBP
4 → 4 plans checked: 0 with a changed mix, 3 with changed pay or headcount, 0 added, \
0 removed; findings: 0 introduced, 0 raised, 0 resolved.
0 new findings at or above 'high'.
""", "")


def test_json_lists_the_changes_and_counts_them(paid: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "diff", "old", "new", "--format", "json")[1])
    assert data["summary"]["pay_changed"] == 3
    assert data["pay"] == [
        {"plan_id": "a-2027", "currency": "EUR", "changes": {
            "target_variable": {"old": 2850, "new": 5700},
            "pay_at_stake": {"old": 114000, "new": 228000}}},
        {"plan_id": "b-2027", "currency": "EUR", "changes": {
            "headcount": {"old": 40, "new": 55},
            "pay_at_stake": {"old": 114000, "new": 156750}}},
        {"plan_id": "c-2027", "currency": "GBP", "changes": {
            "currency": {"old": "EUR", "new": "GBP"}}}]
    redacted = json.loads(run(capsys, "diff", "old", "new", "--format", "json",
                              "--redact")[1])
    assert redacted["pay"][:2] == [
        {"plan_id": "a-2027", "currency": "EUR", "changes": {
            "target_variable": {"old": "[redacted]", "new": "[redacted]"},
            "pay_at_stake": {"old": "[redacted]", "new": "[redacted]"}}},
        {"plan_id": "b-2027", "currency": "EUR", "changes": {
            "headcount": {"old": 40, "new": 55},
            "pay_at_stake": {"old": "[redacted]", "new": "[redacted]"}}}]


def test_the_comment_hides_the_amounts_by_default(paid: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "diff", "old", "new", "--format", "markdown")
    lines = out.splitlines()
    assert code == 0
    assert lines[2] == ("4 → 4 plans checked: 0 with a changed mix, 3 with changed pay or "
                        "headcount, 0 added, 0 removed; findings: 0 introduced, 0 raised, 0 "
                        "resolved. 0 new findings at or above 'high'.")
    assert lines[3:11] == [
        "", "**Pay and headcount**", "", "| plan | change |", "|---|---|",
        r"| a-2027 | target variable pay EUR \[redacted\] → \[redacted\]; pay at stake EUR "
        r"\[redacted\] → \[redacted\] |",
        r"| b-2027 | headcount 40 → 55; pay at stake EUR \[redacted\] → \[redacted\] |",
        "| c-2027 | currency EUR → GBP |"]
    assert not any(figure in out for figure in ("2,850", "5,700", "114,000", "156,750"))
    out = run(capsys, "diff", "old", "new", "--format", "markdown", "--no-redact")[1]
    assert ("| a-2027 | target variable pay EUR 2,850 → 5,700; pay at stake EUR 114,000 → "
            "228,000 |") in out.splitlines()


def test_unchanged_pay_says_nothing(paid: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "diff", "old", "old")
    assert (code, out) == (0, "4 → 4 plans checked: 0 with a changed mix, 0 added, 0 removed; "
                              "findings: 0 introduced, 0 raised, 0 resolved.\n"
                              "0 new findings at or above 'high'.\n")
    data = json.loads(run(capsys, "diff", "old", "old", "--format", "json")[1])
    assert (data["pay"], data["summary"]["pay_changed"]) == ([], 0)


def _profiles(rows: list[tuple[str, float | None, float, str | None]]) -> pd.DataFrame:
    """Profiles of plans (id, headcount, target variable pay, currency), as
    ``profile.pressure_profile`` types them."""
    plan_id, headcount, target, currency = zip(*rows, strict=True)
    count = pd.array(headcount, dtype="Float64").astype("Int64")
    return pd.DataFrame({
        "plan_id": pd.array(plan_id, dtype="str"), "headcount": count,
        "target_variable": np.array(target, dtype="float64"),
        "pay_at_stake": np.round(np.array(target) * np.array(count, dtype="float64"), 2),
        "currency": pd.array(currency, dtype="str")})


def test_missing_figures_cents_and_a_new_currency_are_said() -> None:
    old = _profiles([("p", None, 2850.5, "EUR"), ("q", 10, 1000, None), ("r", 3, 100, "EUR"),
                     ("gone", 1, 1, "EUR")])
    new = _profiles([("r", 3, 120, "USD"), ("q", 10, 1000, None), ("p", 4, 2850.5, "EUR"),
                     ("added", 1, 1, "EUR")])
    assert pay_texts(pay_changes(old, new)).to_dict() == {
        "p": "headcount n/a → 4; pay at stake n/a → EUR 11,402",
        "r": "target variable pay EUR 100 → USD 120; pay at stake EUR 300 → USD 360; "
             "currency EUR → USD"}
    old = _profiles([("p", 3, 2850.25, None)])
    assert pay_texts(pay_changes(old, _profiles([("p", 3, 2850.5, None)]))).to_dict() == {
        "p": "target variable pay 2,850.25 → 2,850.50; pay at stake 8,550.75 → 8,551.50"}
