"""Default rules' messages where a figure is missing: they said "n/a" where a reader needs
words (on 100,000 generated plans, 19,747 of 878,915 messages did): a plan with no fixed
pay, an accelerating curve with no payout points, a retroactive curve with no threshold."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_plans import run, workdir, write

__all__ = ["workdir"]

COMMISSION_ONLY = """\
plan:
  id: commission-only-2027
  role: Broker
  role_kind: sales
  headcount: 4
  currency: EUR
  base_pay: 0
  target_variable: 40000
  components:
    - {id: revenue, kpi: revenue, weight: 50%, target: 100000, curve: accelerating}
    - {id: units, kpi: units_sold, weight: 50%, target: 900, curve: retroactive}
"""
WHERE = "plans/commission.yaml"
PLAN = "plan 'commission-only-2027'"


def test_missing_figures_are_said_in_words(workdir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {WHERE: COMMISSION_ONLY})
    code, out, _ = run(capsys, "check", "plans", "--select",
                       "pay.variable-share-high,curve.accelerator,curve.retroactive")
    assert (code, out.splitlines()[:3]) == (1, [
        f"{WHERE}:2:3: high pay.variable-share-high: {PLAN}: Variable pay is 100% of total "
        "pay at target; there is no fixed pay (no base pay or pay floor) and variable pay is "
        "uncapped",
        f"{WHERE}:10:7: high curve.accelerator: {PLAN} component 'revenue': Revenue (50% of "
        "variable pay) pays more per unit above target than below it: curve accelerating (no "
        "payout points give its slope), raised by a sales modifier: no",
        f"{WHERE}:11:7: high curve.retroactive: {PLAN} component 'units': Units sold (50% of "
        "variable pay) is paid on a retroactive curve: reaching the target (900) re-prices "
        "every unit already counted in the period"])
    assert "n/a" not in out


def test_the_figures_are_shown_where_they_exist(workdir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    plan = (COMMISSION_ONLY.replace("base_pay: 0", "base_pay: 20000\n  max_variable: 60000")
            .replace("curve: accelerating}",
                     "curve: accelerating, curve_points: [[80, 0], [100, 100], [120, 200]]}")
            .replace("target: 900,", "target: 900, threshold: 700,"))
    write(workdir, {WHERE: plan})
    out = run(capsys, "check", "plans", "--select",
              "pay.variable-share-high,curve.accelerator,curve.retroactive")[1]
    lines = out.splitlines()
    assert "maximum variable pay is 300% of fixed pay (20,000)" in lines[0]
    assert "curve accelerating, slope above target 1.0× the slope below it, raised" in lines[1]
    assert "reaching the threshold (700) or target (900) re-prices" in lines[2]


@pytest.mark.parametrize("fixed, said", [
    ("base_pay: 20000", "Variable pay is 67% of total pay at target; maximum variable pay is "
                        "200% or more (uncapped) of fixed pay ([redacted])"),
    ("base_pay: 0", "Variable pay is 100% of total pay at target; there is no fixed pay (no "
                    "base pay or pay floor) and variable pay is uncapped"),
])
def test_redaction_hides_the_fixed_pay_and_nothing_that_is_missing(
        workdir: Path, capsys: pytest.CaptureFixture[str], fixed: str, said: str) -> None:
    """A placeholder written as nothing is no figure: redaction put "[redacted]" in front of
    the words after it."""
    write(workdir, {WHERE: COMMISSION_ONLY.replace("base_pay: 0", fixed)})
    out = run(capsys, "check", "plans", "--select", "pay.variable-share-high", "--redact")[1]
    assert out.splitlines()[0] == (
        f"{WHERE}:2:3: high pay.variable-share-high: {PLAN}: {said}")
