"""Evaluating rules: the findings' shape, evidence, fingerprints and determinism."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from policycheck import check
from policycheck import findings as findings_module
from policycheck.baseline import apply_baseline, baseline_entries
from policycheck.cli import main
from policycheck.diffing import diff_reports
from policycheck.findings import encoded_parts, fill_fingerprints, fingerprints
from policycheck.formats import render
from policycheck.report import Report

RULE = """\
id: t.speed-component
title: Speed component
severity: medium
scope: component
when: kpi.pressure == 'speed'
condition: weight >= param.min_weight
escalate:
  - {when: "share('speed') > 50%", severity: high}
evidence:
  weight: weight
  speed: share('speed')
message: "{kpi.name} carries {weight:%}; the plan pays {speed:%1} on speed,
  {plan.target_variable:money} at target"
rationale: r
remediation: m
parameters:
  min_weight: {type: number, default: 0.2, doc: smallest weight flagged}
examples:
  fire:
    - {role_kind: service, base_pay: 1, target_variable: 1, components: [{kpi: aht, weight: 1}]}
  pass:
    - {role_kind: service, base_pay: 1, target_variable: 1, components: [{kpi: fcr, weight: 1}]}
"""

PLAN_A = """\
plan:
  id: a
  role_kind: service
  headcount: 10
  base_pay: 30000
  target_variable: 4000
  components:
    - {id: aht, kpi: aht, weight: 60%}
    - {id: fcr, kpi: fcr, weight: 40%}
"""
PLAN_B = """\
plan:
  id: b
  role_kind: service
  headcount: 4
  base_pay: 30000
  target_variable: 2000
  components:
    - {id: tickets, kpi: tickets_closed, weight: 30%}
    - {id: qa, kpi: qa_score, weight: 70%}
"""


@pytest.fixture()
def pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack" / "t"
    folder.mkdir(parents=True)
    (folder / "t.speed-component.yaml").write_text(RULE)
    return tmp_path / "pack"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_findings_carry_message_evidence_severity_and_pay_at_stake(tmp_path: Path,
                                                                   pack: Path) -> None:
    plans = write(tmp_path / "plans", {"a.yaml": PLAN_A, "b.yaml": PLAN_B})
    report = check([plans], rules=[pack])
    rows = report.findings.to_dict("records")
    assert [(r["plan_id"], r["entity_id"], r["severity"]) for r in rows] == [
        ("a", "aht", "high"), ("b", "tickets", "medium")]
    assert rows[0]["message"] == ("Average handle time carries 60%; the plan pays 60.0% on "
                                  "speed, 4,000 at target")
    assert rows[0]["evidence"] == {"weight": 0.6, "speed": 0.6}
    assert rows[0]["pay_at_stake"] == pytest.approx(4000 * 0.6 * 10)
    assert rows[1]["headcount"] == 4
    assert report.exit_code == 1  # a high finding, --fail-on high


def test_json_output_shape(tmp_path: Path, pack: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    plans = write(tmp_path / "plans", {"a.yaml": PLAN_A})
    assert main(["check", str(plans), "--rules", str(pack), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["version", "summary", "findings", "problems"]
    assert data["summary"]["by_severity"] == {"critical": 0, "high": 1, "medium": 0, "low": 0,
                                              "info": 0}
    [finding] = data["findings"]
    assert list(finding) == ["rule_id", "severity", "title", "plan_id", "scope", "entity_id",
                             "component_id", "message", "evidence", "remediation",
                             "location", "headcount", "pay_at_stake", "fingerprint", "status",
                             "waiver"]
    assert finding["location"] == {"file": f"{plans.as_posix()}/a.yaml", "sheet": None,
                                   "line": 8, "column": 7}
    assert finding["component_id"] == "aht"


def test_fingerprints_survive_moving_and_reordering_plans(tmp_path: Path, pack: Path) -> None:
    first = check([write(tmp_path / "one", {"a.yaml": PLAN_A, "b.yaml": PLAN_B})], rules=[pack])
    merged = "plans:\n" + "\n".join(
        "  - " + text.split("plan:\n", 1)[1].replace("\n  ", "\n    ").strip()
        for text in (PLAN_B, PLAN_A + "  owner: someone@example.com\n"))
    second = check([write(tmp_path / "two", {"all.yaml": merged})], rules=[pack])
    assert set(first.findings["fingerprint"]) == set(second.findings["fingerprint"])
    assert len(set(first.findings["fingerprint"])) == 2


def test_a_fingerprint_is_the_blake2b_of_rule_plan_scope_and_entity(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Baselines and waivers written by earlier versions hold these values: the recipe is
    pinned, and computing by slices (as large reports do) changes none of them."""
    findings = pd.DataFrame({
        "rule_id": ["gate.missing", "cs.handle-time", "cs.handle-time"] * 3,
        "plan_id": ["p1", "p1", "p2"] * 3,
        "scope": ["plan", "component", "component"] * 3,
        "entity_id": [None, "aht", "aht"] * 3,
    }, index=range(10, 19))
    whole = fingerprints(findings)
    assert list(whole[:3]) == [
        hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
        for key in ("gate.missing|p1|plan|", "cs.handle-time|p1|component|aht",
                    "cs.handle-time|p2|component|aht")]
    assert whole.iloc[0] == "c446e502e1f23472"
    assert list(whole.index) == list(findings.index)
    monkeypatch.setattr(findings_module, "_FINGERPRINT_SLICE", 2)
    assert fingerprints(findings).equals(whole)


def test_fingerprints_left_missing_are_filled_once_by_what_shows_or_matches_them(
        tmp_path: Path, pack: Path) -> None:
    """A run whose outputs show no fingerprint leaves them missing. The outputs that show
    them (before a redacted copy is made; a redacted SARIF file only for the findings it
    holds), baselines and diffs fill them in the report's own frame, with the values a run
    that worked them out at once has."""
    plans = write(tmp_path / "plans", {"a.yaml": PLAN_A, "b.yaml": PLAN_B})
    full = check([plans], rules=[pack])
    lazy = check([plans], rules=[pack], fingerprints=False)
    assert lazy.findings["fingerprint"].isna().all() and len(lazy.findings) == 2
    render(lazy, "text")
    render(lazy, "junit")
    assert lazy.findings["fingerprint"].isna().all()
    # redacted, SARIF fingerprints the (at most 25,000) findings it holds in its own copy
    assert render(lazy, "sarif") == render(full, "sarif")
    assert lazy.findings["fingerprint"].isna().all()
    assert render(lazy, "json") == render(full, "json")
    assert lazy.findings["fingerprint"].tolist() == full.findings["fingerprint"].tolist()
    for fill in (baseline_entries, lambda f: apply_baseline(f, read(full)).status.tolist(),
                 lambda f: diff_reports(replace(full, findings=f), full).introduced.shape):
        fresh = check([plans], rules=[pack], fingerprints=False).findings
        assert fill(fresh) == fill(full.findings.copy())
        assert fresh["fingerprint"].tolist() == full.findings["fingerprint"].tolist()


def test_filling_fingerprints_works_out_only_the_missing_ones() -> None:
    findings = pd.DataFrame({"rule_id": ["r1", "r2", "r3"], "plan_id": ["p1", "p1", "p2"],
                             "scope": ["plan"] * 3, "entity_id": [None, "c", None]})
    whole = fingerprints(findings).tolist()
    findings["fingerprint"] = ["kept", None, None]
    assert fill_fingerprints(findings) is findings
    assert findings["fingerprint"].tolist() == ["kept", *whole[1:]]
    assert fill_fingerprints(pd.DataFrame()).empty  # no findings, nothing to fill


def test_a_streamed_output_fills_the_fingerprints_part_by_part() -> None:
    """JSON, SARIF and CSV hand their first piece to the writer before the other parts are
    fingerprinted; once every part is out, the frame holds them all."""
    findings = pd.DataFrame({"rule_id": ["r1", "r2", "r3", "r4", "r5"],
                             "plan_id": ["p1", "p1", "p2", "p2", "p3"],
                             "scope": ["plan"] * 5, "entity_id": [None] * 5},
                            index=range(10, 15))
    whole = fingerprints(findings).tolist()
    findings["fingerprint"] = ["kept", None, None, None, None]
    parts = encoded_parts(findings, 2, shown)
    assert next(parts) == f"kept {whole[1]}".encode()
    assert findings["fingerprint"].isna().sum() == 4  # the frame waits for the last part
    assert list(parts) == [" ".join(whole[2:4]).encode(), whole[4].encode()]
    assert findings["fingerprint"].tolist() == ["kept", *whole[1:]]
    assert list(findings.index) == list(range(10, 15))
    again = list(encoded_parts(findings, 3, shown))
    assert again == [" ".join(["kept", *whole[1:3]]).encode(), " ".join(whole[3:]).encode()]


def shown(part: pd.DataFrame) -> bytes:
    return " ".join(part["fingerprint"]).encode()


@pytest.mark.parametrize("fmt", ["json", "sarif", "csv"])
def test_a_streamed_output_of_a_lazy_report_is_the_full_reports(
        tmp_path: Path, pack: Path, fmt: str) -> None:
    plans = write(tmp_path / "plans", {"a.yaml": PLAN_A, "b.yaml": PLAN_B})
    full = check([plans], rules=[pack])
    lazy = check([plans], rules=[pack], fingerprints=False)
    assert render(lazy, fmt, redact=False) == render(full, fmt, redact=False)
    assert lazy.findings["fingerprint"].tolist() == full.findings["fingerprint"].tolist()


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("fmt", ["json", "sarif", "csv"])
def test_the_command_streams_an_unredacted_output_before_every_fingerprint_is_made(
        tmp_path: Path, pack: Path, fmt: str, shared: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """render_bytes (what ``check`` writes to stdout) hands over the findings' first piece
    while the later findings still wait for their fingerprints; a redacted output
    fingerprints the report's own frame first, then renders a copy (SARIF, which holds at
    most 25,000 findings, fingerprints those in its copy). Parts encoded two at a time (many
    findings, a second core) come out the same."""
    from policycheck import streams
    from policycheck.formats import csv_format, json_format, render_bytes, sarif

    for module in (csv_format, json_format, sarif):
        monkeypatch.setattr(module, "CHUNK", 1)
    monkeypatch.setattr(findings_module, "SHARED_MIN", 0 if shared else 10**9)
    monkeypatch.setattr(streams, "cores", lambda: 2)
    plans = write(tmp_path / "plans", {"a.yaml": PLAN_A, "b.yaml": PLAN_B})
    full = check([plans], rules=[pack])
    lazy = check([plans], rules=[pack], fingerprints=False)
    pieces = render_bytes(lazy, fmt, redact=False)
    first = [next(pieces), next(pieces)]  # the head and the first finding
    assert lazy.findings["fingerprint"].isna().tolist() == [True, True]
    assert b"".join([*first, *pieces]) == b"".join(render_bytes(full, fmt, redact=False))
    assert lazy.findings["fingerprint"].tolist() == full.findings["fingerprint"].tolist()
    redacted = check([plans], rules=[pack], fingerprints=False)
    assert b"".join(render_bytes(redacted, fmt, redact=True)) == b"".join(
        render_bytes(full, fmt, redact=True))
    filled = redacted.findings["fingerprint"]
    if fmt == "sarif":  # the findings it holds, in its own copy
        assert filled.isna().all()
    else:
        assert filled.tolist() == full.findings["fingerprint"].tolist()


def test_the_model_frames_are_kept_unless_the_caller_needs_none(
        tmp_path: Path, pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The leadership report reads them; no format of ``check`` does, so the command drops
    them before its outputs are written."""
    plans = write(tmp_path / "plans", {"a.yaml": PLAN_A, "b.yaml": PLAN_B})
    kept = check([plans], rules=[pack])
    assert kept.model_frames is not None and len(kept.model_frames["plans"]) == 2
    dropped = check([plans], rules=[pack], model_frames=False)
    assert dropped.model_frames is None
    assert dropped.findings.equals(kept.findings) and dropped.profiles.equals(kept.profiles)
    seen: list[Report] = []
    monkeypatch.setattr("policycheck.cli.checking.echo_report",
                        lambda report, *_: seen.append(report))
    assert main(["check", str(plans), "--rules", str(pack), "--format", "json"]) == 1
    assert len(seen) == 1 and seen[0].model_frames is None and len(seen[0].findings) == 2


def read(report: Report) -> pd.DataFrame:
    """The baseline of ``report``, as ``read_baseline`` gives it."""
    return pd.DataFrame({"fingerprint": report.findings["fingerprint"],
                         "recorded": report.findings["severity"]})


def test_same_input_gives_the_same_bytes(tmp_path: Path, pack: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    plans = write(tmp_path / "plans", {"a.yaml": PLAN_A, "b.yaml": PLAN_B})
    outputs = []
    for _ in range(2):
        main(["check", str(plans), "--rules", str(pack), "--format", "json"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_employees_table_gives_headcount(tmp_path: Path, pack: Path) -> None:
    employees = "employee_id,plan_id,base_pay,org_unit\ne1,a,30000,NA\ne2,a,31000,APAC\n"
    plans = write(tmp_path / "plans", {"a.yaml": PLAN_A, "employees.csv": employees})
    [row] = check([plans], rules=[pack]).findings.to_dict("records")
    assert row["headcount"] == 2
    assert row["pay_at_stake"] == pytest.approx(4000 * 0.6 * 2)


def test_invalid_plans_are_reported_and_the_rest_still_checked(tmp_path: Path,
                                                               pack: Path) -> None:
    broken = PLAN_B.replace("weight: 30%", "weight: 30")
    report = check([write(tmp_path / "plans", {"a.yaml": PLAN_A, "b.yaml": broken})],
                   rules=[pack])
    assert (report.plans_read, report.plans_checked, report.plans_invalid) == (2, 1, 1)
    assert list(report.findings["plan_id"]) == ["a"]
    assert report.exit_code == 2


def test_fail_on_and_output_files(tmp_path: Path, pack: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    plans = write(tmp_path / "plans", {"b.yaml": PLAN_B})
    out = tmp_path / "out" / "report.json"
    assert main(["check", str(plans), "--rules", str(pack), "--output", f"json:{out}"]) == 0
    assert json.loads(out.read_text())["summary"]["findings"] == 1
    assert main(["check", str(plans), "--rules", str(pack), "--fail-on", "medium"]) == 1
    assert main(["check", str(plans), "--rules", str(pack), "--output", "pdf:x.pdf"]) == 2
    assert "expected FORMAT:FILE" in capsys.readouterr().err


@pytest.mark.parametrize("length", [3, 128, 129, 400])
def test_repeated_text_columns_hold_each_rows_text(length: int) -> None:
    """Short texts are taken by Arrow, long ones joined into one buffer: either way each row
    holds its value's text, and a code of -1 or a value that is not text is missing."""
    import numpy as np

    from policycheck.findings import _take_text

    values = ["é" * (length // 2) + "a" * (length % 2), "b" * length, None, 7]
    codes = np.array([1, 0, -1, 2, 3, 1, 0])
    column = _take_text(values, codes)
    assert len(values[0].encode()) == length
    assert column.tolist()[:2] == [values[1], values[0]] and column.tolist()[5:] == [
        values[1], values[0]]
    assert column.isna().tolist() == [False, False, True, True, True, False, False]
    assert str(column.dtype) == "str"


def test_rules_run_two_at_a_time_find_what_they_find_one_at_a_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With many plans (here: any number) the rules run on two threads, sharing the frames'
    lookups; the findings, their order and the progress calls are the same."""
    from policycheck import engine, streams
    from policycheck.ruleset import load_rules, override, select
    from policycheck.validation import load_model

    model = load_model([Path(__file__).resolve().parents[1] / "sample_data" / "csv"])
    compiled = engine.compile_rules(override(select(load_rules(None), (), ()), {}, {}))
    alone = engine.evaluate(compiled, model.frames)
    monkeypatch.setattr(engine, "SHARED_PLANS", 0)
    monkeypatch.setattr(streams, "cores", lambda: 2)
    calls: list[None] = []
    shared = engine.evaluate(compiled, model.frames, on_rule=lambda: calls.append(None))
    assert len(shared) == 121 and len(calls) == len(compiled)
    pd.testing.assert_frame_equal(shared, alone)
