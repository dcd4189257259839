"""The findings on the bundled sample company, kept as golden files and reviewed like code.

Regenerate with `make golden` after a deliberate change, and review the diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policycheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
#: Balanced plans of sample_data/README.md: they must draw no high or critical finding.
BALANCED = ("cc-agent-resolve-2027", "fs-tech-fixright-2027", "fs-meter-installer-2027",
            "rb-banker-balanced-2027", "clm-handler-fair-2027", "col-care-specialist-2027")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().out


@pytest.mark.parametrize("fmt,suffix", [("text", "txt"), ("json", "json")])
def test_sample_findings_match_the_golden_file(fmt: str, suffix: str, monkeypatch:
                                               pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    code, out = run(["check", "sample_data/yaml", "--format", fmt], capsys)
    assert code == 1
    assert out == (GOLDEN / f"sample_findings.{suffix}").read_text(encoding="utf-8")


def test_all_three_forms_give_the_same_findings(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    keys = []
    for form in ("yaml", "csv", "xlsx"):
        _, out = run(["check", f"sample_data/{form}", "--format", "json"], capsys)
        keys.append(sorted((f["fingerprint"], f["severity"], f["message"])
                           for f in json.loads(out)["findings"]))
    assert keys[0] == keys[1] == keys[2]
    assert keys[0]


def test_balanced_plans_draw_no_high_or_critical_finding(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    monkeypatch.chdir(ROOT)
    _, out = run(["check", "sample_data/yaml", "--format", "json"], capsys)
    severe = [(f["plan_id"], f["rule_id"], f["severity"]) for f in json.loads(out)["findings"]
              if f["plan_id"] in BALANCED and f["severity"] in ("high", "critical")]
    assert severe == []


def test_every_misaligned_plan_draws_a_high_or_critical_finding(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    _, out = run(["check", "sample_data/yaml", "--format", "json"], capsys)
    data = json.loads(out)
    flagged = {f["plan_id"] for f in data["findings"] if f["severity"] in ("high", "critical")}
    _, plans = run(["validate", "sample_data/yaml", "--format", "json"], capsys)
    misaligned = set(json.loads(plans)["valid_plans"]) - set(BALANCED)
    assert sorted(misaligned - flagged) == []


def test_the_python_api_takes_its_arguments_as_the_cli_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``policycheck.check`` returns the report the CLI renders; one name alone is that
    name (``select_ids="gate"`` selected the rules matching 'g', 'a', 't' and 'e'), and a
    level or a date that is none is refused when called (``fail_on="hgh"`` failed later,
    with a KeyError, when the report's exit code was read)."""
    import policycheck
    from policycheck.errors import UsageError

    monkeypatch.chdir(ROOT)
    report = policycheck.check("sample_data/yaml")
    assert (report.exit_code, len(report.findings)) == (1, 121)
    gates = policycheck.check(["sample_data/yaml"], select_ids="gate", fail_on="critical")
    assert set(gates.findings["rule_id"].str.partition(".")[0]) == {"gate"}
    assert gates.exit_code == 0
    assert len(policycheck.check("sample_data/yaml", ignore_ids=["gate"]).findings) == (
        121 - len(gates.findings))
    for options, message in [
            ({"fail_on": "hgh"}, "fail_on 'hgh': expected one of critical, high, medium, low, "
                                 "info, none"),
            ({"today": "next june"}, "today 'next june': expected a date, YYYY-MM-DD")]:
        with pytest.raises(UsageError) as raised:
            policycheck.check("sample_data/yaml", **options)
        assert str(raised.value) == message
