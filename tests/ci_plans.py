"""Plans and helpers shared by the CI-gating tests (config, waivers, baseline, diff, init,
pre-commit, the pull-request story)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from policycheck.cli import main
from policycheck.scaffold import EXAMPLE_PLAN

GATE = """\
  gates:
    - id: qa-floor
      kpi: qa_score
      min: 80
      applies_to: all
      effect: zero
"""


def good(plan_id: str = "good-2027") -> str:
    """A balanced plan: no finding at all with the default pack."""
    return EXAMPLE_PLAN.replace("example-contact-centre-2027", plan_id)


def risky(plan_id: str = "risky-2027") -> str:
    """The balanced plan with handle time in place of resolution and no gate: draws
    gate.missing (high, line 4), claw.none (medium, line 4) and cs.handle-time (medium,
    component 'first-contact-resolution', line 19). Its threshold and target change places,
    lower being better for handle time (else a ``threshold-side`` warning)."""
    assert GATE in EXAMPLE_PLAN and RESOLUTION_GOALS in EXAMPLE_PLAN
    return good(plan_id).replace("kpi: fcr", "kpi: aht").replace(GATE, "").replace(
        RESOLUTION_GOALS, "target: 65\n      threshold: 78", 1)


#: First-contact resolution's target and threshold in the example plan.
RESOLUTION_GOALS = "target: 78\n      threshold: 65"


#: A plan rule whose message tests replace MESSAGE (line 10) and EVIDENCE (line 9), and
#: RULE_ID: its fire example puts 60 % on speed, the plan of ``risky`` 40 %, both above 30 %.
MESSAGE_RULE = """\
id: RULE_ID
title: T
severity: medium
scope: plan
patterns: [A06]
principles: [1]
when: role_kind == 'service'
condition: share('speed') > 0.3
evidence: {EVIDENCE}
message: MESSAGE
rationale: r
remediation: r
references: []
examples:
  fire:
    - {role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: aht, kpi: aht, weight: 60%}, {id: fcr, kpi: fcr, weight: 40%}]}
  pass:
    - {role_kind: service, base_pay: 30000, target_variable: 3000, components: [{id: fcr, kpi: fcr, weight: 100%}]}
"""  # noqa: E501


def message_rule(rule_id: str) -> str:
    """``MESSAGE_RULE`` with its id."""
    return MESSAGE_RULE.replace("RULE_ID", rule_id)


def refused_by_rules_test_and_check(capsys: pytest.CaptureFixture[str], said: str,
                                    count: str = "1 rule expression problem") -> None:
    """``rules test pack`` and ``check plans --rules pack`` both stop with ``said`` and
    "policycheck: error: COUNT" (exit 2), never exit 3."""
    said += f"policycheck: error: {count}\n"
    assert run(capsys, "rules", "test", "pack") == (2, "", said)
    assert run(capsys, "check", "plans", "--rules", "pack") == (2, "", said)


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def refused_for_size(capsys: pytest.CaptureFixture[str], flag: str, name: str,
                     kind: str) -> None:
    """``check plans FLAG NAME`` under a 10 KB limit stops with exit 2, naming the file
    (of the current folder), its size and the limit."""
    size = Path(name).stat().st_size
    code, out, err = run(capsys, "--max-file-size", "0.01", "check", "plans", flag, name)
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == (
        f"policycheck: error: {name}: the {kind} is {size:,} bytes; the limit is 10,485 "
        "(raise it with policycheck --max-file-size MB)")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder to work in: the root of its own (pretend) repository, so that the
    config search stops there, and no POLICYCHECK_* variable from outside."""
    for name in list(os.environ):
        if name.startswith("POLICYCHECK_"):
            monkeypatch.delenv(name)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path
