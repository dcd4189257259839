"""The validate stage: the broken-inputs golden file, batch semantics and each check.

tests/data/broken/ holds one mistake per plan or file and three valid plans, which must stay
valid (batch semantics):

    syntax-error.yaml        YAML syntax error
    types.yaml               text for a number, yes for a number, bad role_kind, negative pay,
                             reversed dates, unknown field 'headcont', unknown clawback trigger
    weights.yaml             weights summing to 90 %, weight 50 (meant '50%'), unknown KPI
                             'ahtt', curve_points going back down
    gates.yaml               applies_to naming a missing component, both min and max,
                             effect reduce without reduce_pct
    duplicate-key.yaml       base_pay written twice
    duplicate-id-a/b.yaml    one plan id in two files
    utf16.yaml               a UTF-16 file without a byte-order mark
    tables/                  bad enum, NaN and inf in number cells, a component of an undefined
                             plan, an unknown column (warning); table-valid-2027 is valid
    tables-no-weight/        components table without the required weight column
    tables-typo/             misspelt column 'headcout' (error: its values would be lost)
    compnents.csv            a misspelt table name (error); budget.csv: not a table (warning)
    valid.yaml               valid-service-2027 and valid-sales-2027

EXPECTED.txt is what `policycheck validate` prints for it; each line was reviewed by hand:
messages are API. Regenerate it, then review the diff like code, with (from the repository
root):

    .venv/bin/policycheck validate tests/data/broken > tests/data/broken/EXPECTED.txt

(EXPECTED.txt sits in the folder it describes: it is the one "Skipped" file of the summary.)
"""

from __future__ import annotations

import errno
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import openpyxl
import pandas as pd
import pytest
from conftest import write_tree
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.cli import main
from policycheck.closest import Closest, Match
from policycheck.errors import Suggestions, did_you_mean
from policycheck.normalise import sort_frame
from policycheck.validation import load_model

BROKEN = "tests/data/broken"
VALID_PLANS = ["table-valid-2027", "valid-sales-2027", "valid-service-2027"]

Problems = Callable[[dict[str, str | bytes]], list[str]]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- the golden file --------------------------------------------------------------------

def test_broken_folder_output_is_exactly_expected(in_repo: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "validate", BROKEN)
    expected = (in_repo / BROKEN / "EXPECTED.txt").read_text(encoding="utf-8")
    assert out == expected
    assert code == 2
    assert "Traceback" not in out + err
    assert err == ""


def test_broken_folder_every_problem_says_where(in_repo: Path) -> None:
    model = load_model([BROKEN])
    for problem in model.problems:
        assert problem.location.file.startswith(BROKEN + "/"), problem
        assert problem.message == problem.message.strip()
        if problem.location.file.endswith(".yaml") and problem.code not in ("encoding",):
            assert problem.location.line > 0, problem


def test_validate_json_is_json_dumps_text_written_in_pieces(
        in_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The problems go out a few at a time (a messy export has hundreds of thousands):
    the text is json.dumps's, its ASCII escapes included, across the joins."""
    import shutil

    from policycheck.formats import json_format

    folder = tmp_path / "broken"
    shutil.copytree(in_repo / BROKEN, folder)
    (folder / "accents.yaml").write_text(
        "plan: {id: é-1, role_kind: ventes—é, base_pay: 1, target_variable: 10,\n"
        "       components: [{id: c, kpi: revenue, weight: 100%}]}\n", encoding="utf-8")
    monkeypatch.setattr(json_format, "PROBLEMS_CHUNK", 4)
    code, out, _ = run_cli(capsys, "validate", "--format", "json", str(folder))
    data = json.loads(out)
    assert (code, len(data["problems"])) == (2, 28)
    assert "ventes\\u2014\\u00e9" in out and out.isascii()  # in a problem's message
    assert out == json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def test_broken_folder_json_summary(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", "--format", "json", BROKEN)
    report = json.loads(out)
    assert code == 2
    assert report["summary"]["plans_read"] == 25
    assert report["summary"]["plans_valid"] == 3
    # twice-defined is one invalid id but two invalid plan definitions: plans_invalid
    # counts definitions (plans_read = plans_valid + plans_invalid), invalid_plans ids
    assert report["summary"]["plans_invalid"] == 22
    assert len(report["invalid_plans"]) == 21 == len(set(report["invalid_plans"]))
    assert report["valid_plans"] == VALID_PLANS
    assert report["summary"]["skipped"] == [f"{BROKEN}/EXPECTED.txt"]
    # the files read: budget.csv and compnents.csv, no table's names, are not
    assert len(report["summary"]["files"]) == 16
    # two of them gave nothing: the text summary counts 14 files read
    assert report["summary"]["files_unread"] == [f"{BROKEN}/syntax-error.yaml",
                                                 f"{BROKEN}/utf16.yaml"]
    severities = [p["severity"] for p in report["problems"]]
    assert (severities.count("error"), severities.count("warning")) == (25, 2)
    text_lines = (Path(BROKEN) / "EXPECTED.txt").read_text(encoding="utf-8").splitlines()
    assert len(report["problems"]) == len(text_lines) - 2  # the summary and the tally
    assert set(report["problems"][0]) == {"file", "sheet", "line", "column", "severity", "code",
                                          "plan_id", "field", "message"}


def _unread_cases(folder: Path) -> tuple[str, ...]:
    """A folder of files some of which cannot be read at all, and those, in input order: not
    opened, too large (past ``UNREAD_MAX_BYTES``), not UTF-8, not YAML (also in a second
    document), a malformed table, a workbook that cannot be opened. A workbook with one
    broken sheet, a duplicated key, a file that holds no plan and an empty table are read."""
    write_tree(folder, {
        "a-large.yaml": plan("large") + "# padding\n" * (UNREAD_MAX_BYTES // 10),
        "b-latin1.yaml": plan("latin1").encode("utf-8") + b"  owner: caf\xe9\n",
        "c-locked.yaml": plan("locked"),
        "d-syntax.yaml": "plan: [\n",
        "e-duplicate.yaml": plan("duplicate", "base_pay: 1"),
        "f-second.yaml": plan("second") + "---\nplan: [\n",
        "g-no-plan.yaml": "site_name: docs\n",
        "gates.csv": "",
        "plans.csv": 'id,role_kind\n"p1,service\n',
        "x-not-a-workbook.xlsx": b"not a zip file",
    })
    book = openpyxl.Workbook()
    book.active.title = "plans"
    book.active.append(["id", "role_kind", "base_pay", "target_variable"])
    book.create_sheet("components").append(["plan_id", "kpi", "weight"])
    book.save(folder / "good.xlsx")
    with zipfile.ZipFile(folder / "good.xlsx") as good, \
            zipfile.ZipFile(folder / "y-bad-sheet.xlsx", "w") as bad:
        for item in good.infolist():  # the components sheet's XML cut in half
            data = good.read(item)
            bad.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet2.xml")
                         else data)
    (folder / "good.xlsx").unlink()
    (folder / "c-locked.yaml").chmod(0)
    return tuple(f"in/{name}" for name in (
        "a-large.yaml", "b-latin1.yaml", "c-locked.yaml", "d-syntax.yaml", "f-second.yaml",
        "plans.csv", "x-not-a-workbook.xlsx"))


#: The size limit the unread cases are read with: a-large.yaml is past it.
UNREAD_MAX_BYTES = 20_000


@pytest.fixture
def locked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file without read permission cannot be read, also by root (who may read it all the
    same: its bytes are then refused as the operating system would)."""
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "c-locked.yaml" and not path.stat().st_mode & 0o444:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


def test_unread_files_are_those_that_could_not_be_read_at_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locked: None) -> None:
    """Each reader says whether it read a file (not by the problems' codes or words), and
    the model lists those it could not, once each, in input order: the walk's, with a file
    that could not be opened in its place among the others."""
    monkeypatch.chdir(tmp_path)
    expected = _unread_cases(tmp_path / "in")
    model = load_model(["in"], max_bytes=UNREAD_MAX_BYTES)
    assert model.files_unread == expected
    codes = {p.location.file: p.code for p in model.problems if not p.location.sheet}
    assert [codes[name] for name in expected] == [
        "file-too-large", "encoding", "unreadable-file", "yaml-syntax", "yaml-syntax",
        "bad-csv", "bad-workbook"]
    read = {p.location.file for p in model.problems} - set(expected)
    assert {"in/e-duplicate.yaml", "in/g-no-plan.yaml", "in/gates.csv",
            "in/y-bad-sheet.xlsx"} <= read
    assert load_model(["in/plans.csv", "in/d-syntax.yaml"]).files_unread == (
        "in/plans.csv", "in/d-syntax.yaml")  # as named, not sorted
    assert load_model(["in/e-duplicate.yaml"]).files_unread == ()


def test_unread_files_are_the_same_from_the_caches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path, locked: None) -> None:
    """The model cache keeps the files that could not be read, and so does the file cache:
    a run whose model is made again from cached files says the same."""
    from policycheck import yamlfiles

    monkeypatch.chdir(tmp_path)
    expected = _unread_cases(tmp_path / "in")
    assert load_model(["in"], max_bytes=UNREAD_MAX_BYTES).files_unread == expected
    with monkeypatch.context() as patched:
        patched.setattr("policycheck.validation.load", None)  # the model from its cache
        assert load_model(["in"], max_bytes=UNREAD_MAX_BYTES).files_unread == expected
    parsed: list[str] = []
    read_yaml_file = yamlfiles.read_yaml_file

    def counted(data: bytes, shown: str, explicit: bool) -> Any:
        parsed.append(shown)
        return read_yaml_file(data, shown, explicit)

    monkeypatch.setattr(yamlfiles, "read_yaml_file", counted)
    write_tree(tmp_path / "in", {"z-new.yaml": plan("new")})  # a new model, of cached files
    assert load_model(["in"], max_bytes=UNREAD_MAX_BYTES).files_unread == expected
    assert parsed == ["in/z-new.yaml"]


def test_broken_folder_valid_plans_keep_their_children(in_repo: Path) -> None:
    model = load_model([BROKEN])
    assert list(model.plans["plan_id"]) == VALID_PLANS
    components = model.frames["components"]
    assert sorted(set(components["plan_id"])) == VALID_PLANS
    assert list(model.frames["gates"]["plan_id"]) == ["table-valid-2027", "valid-service-2027"]
    assert list(model.frames["curve_points"]["plan_id"]) == ["valid-sales-2027"] * 3
    for name, frame in model.frames.items():
        if "plan_id" in frame and name != "kpis":
            assert set(frame["plan_id"]) <= set(VALID_PLANS), name


# --- one check at a time ----------------------------------------------------------------

def plan(plan_id: str = "p1", extra: str = "", components: str | None = None) -> str:
    """A valid single-plan file; ``extra`` lines are added to the plan mapping."""
    if components is None:
        components = "    - {id: resolution, kpi: fcr, weight: 100%}\n"
    text = (f"plan:\n  id: {plan_id}\n  role_kind: service\n  base_pay: 30000\n"
            f"  target_variable: 3000\n")
    text += "".join(f"  {line}\n" for line in extra.splitlines() if line)
    return text + "  components:\n" + components


def test_plan_helper_is_valid(problems: Problems) -> None:
    assert problems({"a.yaml": plan()}) == []


CASES: list[tuple[str, dict[str, str | bytes], list[str]]] = [
    ("unknown-kpi", {"a.yaml": plan(components="    - {kpi: ahtt, weight: 100%}\n")}, [
        "a.yaml:7:8: error: plan 'p1', component 'ahtt': kpi: unknown KPI 'ahtt', expected "
        "a KPI of the built-in library or the organisation's catalog; did you mean 'aht'? "
        "[unknown-kpi]"]),
    ("weights-sum", {"a.yaml": plan(components="    - {kpi: fcr, weight: 50%}\n"
                                               "    - {kpi: qa_score, weight: 0.4}\n")}, [
        "a.yaml:6:3: error: plan 'p1': component weights sum to 90 %; expected 100 % "
        "(± 0.1 %) [weights-sum]"]),
    ("weights-sum-over", {"a.yaml": plan(components="    - {kpi: fcr, weight: 60%}\n"
                                                    "    - {kpi: qa_score, weight: 40.5%}\n")}, [
        "a.yaml:6:3: error: plan 'p1': component weights sum to 100.5 %; expected 100 % "
        "(± 0.1 %) [weights-sum]"]),
    ("weights-within-tolerance", {"a.yaml": plan(components=(
        "    - {kpi: fcr, weight: 0.333}\n    - {kpi: qa_score, weight: 0.333}\n"
        "    - {kpi: csat, weight: 0.333}\n"))}, []),
    # 99.9 % sits exactly on the tolerance, which is inclusive; 99.8 % is outside it.
    ("weights-on-the-tolerance", {"a.yaml": plan(components=(
        "    - {kpi: fcr, weight: 33.3%}\n    - {kpi: qa_score, weight: 33.3%}\n"
        "    - {kpi: csat, weight: 33.3%}\n"))}, []),
    ("weights-just-outside-tolerance", {"a.yaml": plan(components=(
        "    - {kpi: fcr, weight: 33.3%}\n    - {kpi: qa_score, weight: 33.3%}\n"
        "    - {kpi: csat, weight: 33.2%}\n"))}, [
        "a.yaml:6:3: error: plan 'p1': component weights sum to 99.8 %; expected 100 % "
        "(± 0.1 %) [weights-sum]"]),
    ("weight-fraction-over-one", {"a.yaml": plan(components="    - {kpi: fcr, weight: 50}\n"
                                                            "    - {kpi: csat, weight: 50%}\n")}, [
        "a.yaml:7:18: error: plan 'p1', component 'fcr': weight: got 50, expected a fraction "
        "between 0 and 1 or a percent like '50%'; did you mean '50%'? [invalid-value]"]),
    # Only the plan id is reported, not its components, which look repeated too.
    ("duplicate-plan-id", {"a.yaml": plan(), "b.yaml": plan()}, [
        "b.yaml:2:3: error: duplicate plan id 'p1' (first defined at a.yaml:2); expected "
        "each id once [duplicate-id]"]),
    # Two copies of a plan with a curve: their points are not read as one curve going back.
    ("duplicate-plan-id-with-a-curve", {
        name: plan(components="    - {id: fcr, kpi: fcr, weight: 100%, curve_points: [[80, 0], "
                              "[120, 150]]}\n") for name in ("a.yaml", "b.yaml")}, [
        "b.yaml:2:3: error: duplicate plan id 'p1' (first defined at a.yaml:2); expected "
        "each id once [duplicate-id]"]),
    ("duplicate-component-id", {"a.yaml": plan(components=(
        "    - {id: x, kpi: fcr, weight: 50%}\n    - {id: x, kpi: csat, weight: 50%}\n"))}, [
        "a.yaml:8:8: error: duplicate component id 'x' in plan 'p1' (first defined at "
        "a.yaml:7); expected each id once [duplicate-id]"]),
    ("gate-unknown-component", {"a.yaml": plan(extra=(
        "gates:\n  - {kpi: qa_score, min: 80, applies_to: [resolution, resolutoin]}"))}, [
        "a.yaml:7:32: error: plan 'p1', gate 'qa_score': applies_to: no component "
        "'resolutoin' in this plan; expected 'all' or ids of its components (resolution); "
        "did you mean 'resolution'? [unknown-component]"]),
    ("modifier-unknown-component", {"a.yaml": plan(extra=(
        "modifiers:\n  - {kpi: csat, applies_to: [a, b], factor_min: 0.9, factor_max: 1.1}"))}, [
        "a.yaml:7:19: error: plan 'p1', modifier 'csat': applies_to: no components 'a', 'b' in "
        "this plan; expected 'all' or ids of its components (resolution) "
        "[unknown-component]"]),
    ("gate-both-bounds", {"a.yaml": plan(extra="gates:\n  - {kpi: qa_score, min: 80, max: 99}")}, [
        "a.yaml:7:23: error: plan 'p1', gate 'qa_score': got both min 80 and max 99; expected "
        "exactly one of them (min for a KPI where higher is better, max where lower is "
        "better) [gate-bound]"]),
    ("gate-no-bound", {"a.yaml": plan(extra="gates:\n  - {kpi: qa_score}")}, [
        "a.yaml:7:7: error: plan 'p1', gate 'qa_score': got neither min nor max; expected "
        "exactly one of them (min for a KPI where higher is better, max where lower is "
        "better) [gate-bound]"]),
    ("gate-reduce-without-pct", {"a.yaml": plan(extra=(
        "gates:\n  - {kpi: qa_score, min: 80, effect: reduce}"))}, [
        "a.yaml:7:7: error: plan 'p1', gate 'qa_score': effect is 'reduce' but reduce_pct is "
        "missing; expected a percentage from 0 to 100 [missing-field]"]),
    ("gate-reduce-pct-over-100", {"a.yaml": plan(extra=(
        "gates:\n  - {kpi: qa_score, min: 80, effect: reduce, reduce_pct: 120}"))}, [
        "a.yaml:7:48: error: plan 'p1', gate 'qa_score': reduce_pct: got 120, expected a "
        "value of at most 100 [out-of-range]"]),
    ("reversed-dates", {"a.yaml": plan(extra=(
        "effective_from: 2027-12-31\neffective_to: 2027-01-01"))}, [
        "a.yaml:6:3: error: plan 'p1': effective_from 2027-12-31 is after effective_to "
        "2027-01-01; expected effective_from on or before effective_to [reversed-range]"]),
    ("reversed-campaign", {"a.yaml": plan(extra=(
        "campaigns:\n  - {name: Jan, kpi: fcr, start: 2027-01-31, end: 2027-01-01}"))}, [
        "a.yaml:7:29: error: plan 'p1', campaign 'Jan': start 2027-01-31 is after end "
        "2027-01-01; expected start on or before end [reversed-range]"]),
    ("reversed-modifier", {"a.yaml": plan(extra=(
        "modifiers:\n  - {kpi: csat, factor_min: 1.2, factor_max: 0.8}"))}, [
        "a.yaml:7:19: error: plan 'p1', modifier 'csat': factor_min 1.2 is above factor_max "
        "0.8; expected factor_min at most factor_max [reversed-range]"]),
    ("max-below-target", {"a.yaml": plan(extra="max_variable: 2500")}, [
        "a.yaml:6:3: error: plan 'p1': max_variable: got 2500, expected at least "
        "target_variable (3000) [out-of-range]"]),
    ("large-numbers-are-written-out", {"a.yaml": plan(extra=(
        "target_variable: 1500000\nmax_variable: 1200000")).replace(
            "  target_variable: 3000\n", "")}, [
        "a.yaml:6:3: error: plan 'p1': max_variable: got 1200000, expected at least "
        "target_variable (1500000) [out-of-range]"]),
    ("negative-pay", {"a.yaml": plan().replace("base_pay: 30000", "base_pay: -5")}, [
        "a.yaml:4:3: error: plan 'p1': base_pay: got -5, expected a value of at least 0 "
        "[out-of-range]"]),
    ("missing-required-field", {"a.yaml": plan().replace("  role_kind: service\n", "")}, [
        "a.yaml:2:3: error: plan 'p1': role_kind is required [missing-field]"]),
    ("plan-without-id", {"a.yaml": plan().replace("  id: p1\n", "")}, [
        "a.yaml:2:3: error: plan has no id; expected an 'id' unique across all inputs "
        "[missing-field]"]),
    ("plan-id-not-text", {"a.yaml": plan().replace("id: p1", "id: [p1]")}, [
        "a.yaml:2:3: error: plan id: got ['p1'], expected text unique across all inputs "
        "[wrong-type]"]),
    ("component-id-not-text", {"a.yaml": plan(components=(
        "    - {id: {x: 1}, kpi: fcr, weight: 100%}\n"))}, [
        "a.yaml:7:7: error: plan 'p1', component 'fcr': id: got a mapping, expected text "
        "[invalid-value]"]),
    ("no-components", {"a.yaml": plan(components="")}, [
        "a.yaml:5:3: error: plan 'p1': has no components but target_variable is 3000; "
        "expected components whose weights sum to 100 %, or target_variable 0 for a "
        "salary-only plan [no-components]"]),
    ("curve-not-rising", {"a.yaml": plan(components=(
        "    - {kpi: fcr, weight: 100%, curve_points: [[80, 0], [80, 50], [120, 150]]}\n"))}, [
        "a.yaml:7:32: error: plan 'p1', component 'fcr': curve_points: attainment 80 comes "
        "after 80; expected attainment rising from point to point and payouts of 0 or more "
        "[invalid-value]"]),
    ("curve-negative-payout", {"a.yaml": plan(components=(
        "    - {kpi: fcr, weight: 100%, curve_points: [[80, -10], [100, 100]]}\n"))}, [
        "a.yaml:7:32: error: plan 'p1', component 'fcr': curve_points: payout -10 at "
        "attainment 80 is below 0; expected attainment rising from point to point and "
        "payouts of 0 or more [invalid-value]"]),
    ("unknown-clawback-trigger", {"a.yaml": plan(extra=(
        "clawback: {triggers: [rework, complaint], window_days: 30}"))}, [
        "a.yaml:6:14: error: plan 'p1': clawback_triggers: got ['rework', 'complaint'], "
        "expected a list of: rework, complaint_upheld, cancellation, mis_sale, "
        "repeat_contact, repeat_visit ('complaint' is not one; did you mean "
        "'complaint_upheld'?) [invalid-value]"]),
    ("orphan-child-row", {"a.yaml": plan(), "gates.csv": (
        "plan_id,kpi,min\np1,qa_score,80\np2,qa_score,80\n")}, [
        "gates.csv:3: error: plan 'p2', gate 'qa_score': plan_id: got 'p2', expected the id "
        "of a plan defined in the inputs [unknown-plan]"]),
    ("orphan-child-row-close-to-a-plan", {"a.yaml": plan("cc-agent-2027"), "gates.csv": (
        "plan_id,kpi,min\ncc-agent-2027,qa_score,80\ncc-agnet-2027,qa_score,80\n")}, [
        "gates.csv:3: error: plan 'cc-agnet-2027', gate 'qa_score': plan_id: got "
        "'cc-agnet-2027', expected the id of a plan defined in the inputs; did you mean "
        "'cc-agent-2027'? [unknown-plan]"]),
    ("orphan-employee", {"a.yaml": plan(), "employees.csv": (
        "employee_id,plan_id,base_pay,org_unit\ne1,p1,30000,NA\ne2,p9,30000,NA\n")}, [
        "employees.csv:3: error: plan 'p9', employee 'e2': plan_id: got 'p9', expected the "
        "id of a plan defined in the inputs [unknown-plan]"]),
    # the employees table's count is used: an edit of the plan's headcount moved nothing
    ("headcount-differs", {"a.yaml": plan(extra="headcount: 80"), "b.yaml": plan(
        "p2", extra="headcount: 1"), "c.yaml": plan("p3", extra="headcount: 5"),
        "employees.csv": ("employee_id,plan_id,base_pay,org_unit\ne1,p1,30000,NA\n"
                          "e2,p1,30000,NA\ne3,p2,30000,NA\n")}, [
        "a.yaml:6:3: warning: plan 'p1': headcount 80, but the employees table lists 2 "
        "employees on this plan; the table's count is used; expected the two to agree, or no "
        "headcount where the table lists the plan [headcount-differs]"]),
    ("duplicate-org-kpi", {"a.yaml": plan(), "kpis.yaml": (
        "kpis:\n  - {id: k1, category: speed, direction: lower}\n"
        "  - {id: k1, category: speed, direction: lower}\n")}, [
        "kpis.yaml:3:6: error: duplicate KPI id 'k1' (first defined at kpis.yaml:2); "
        "expected each id once [duplicate-id]"]),
    ("org-kpi-is-known", {"a.yaml": plan(components="    - {kpi: web_conversion, weight: 1}\n"),
                          "kpis.yaml": "kpis:\n  - {id: web_conversion, category: sales_volume,"
                          " direction: higher}\n"}, []),
    ("bad-kpi-definition", {"kpis.yaml": (
        "kpis:\n  - {id: k1, category: sped, direction: down}\n")}, [
        "kpis.yaml:2:14: error: KPI 'k1': category: got 'sped', expected one of speed, "
        "throughput, cost_efficiency, remedy_cost, sales_volume, cross_sell, price_terms, "
        "retention_save, collections, quality, resolution, cx_perception, customer_outcome, "
        "compliance, workforce, company_financial; did you mean 'speed'? [invalid-value]",
        "kpis.yaml:2:30: error: KPI 'k1': direction: got 'down', expected one of lower, "
        "higher [invalid-value]"]),
]


@pytest.mark.parametrize("files, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check(problems: Problems, files: dict[str, str | bytes], expected: list[str]) -> None:
    assert problems(files) == expected


def test_invalid_plan_is_skipped_and_others_still_checked(inputs: Callable[..., Path]) -> None:
    inputs({"a.yaml": plan("good"),
            "b.yaml": plan("bad", components="    - {kpi: ahtt, weight: 100%}\n"),
            "c.yaml": plan("also-bad", extra="max_variable: 1")})
    model = load_model(["."])
    assert list(model.plans["plan_id"]) == ["good"]
    assert model.invalid_plans == ("also-bad", "bad")
    assert (model.plans_read, model.plans_valid, model.plans_invalid) == (3, 1, 2)
    assert list(model.frames["components"]["plan_id"]) == ["good"]
    assert not model.ok


@pytest.mark.parametrize("plan_rows", [["p2", "p1", "p3"], ["p1", "p2", "p3"]])
def test_frames_are_in_plan_order_children_as_written(inputs: Callable[..., Path],
                                                      plan_rows: list[str]) -> None:
    inputs({"plans.csv": "id,role_kind,base_pay,target_variable\n"
                         + "".join(f"{p},service,1,100\n" for p in plan_rows),
            "components.csv": "plan_id,id,kpi,weight\np2,b,fcr,50%\np1,x,fcr,100%\n"
                              "p2,a,csat,50%\np3,y,csat,100%\n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert model.plans["plan_id"].tolist() == ["p1", "p2", "p3"]
    assert model.plans["src_line"].tolist() == [plan_rows.index(p) + 2 for p in
                                                ("p1", "p2", "p3")]
    components = model.frames["components"]
    assert list(zip(components["plan_id"], components["component_id"], strict=True)) == [
        ("p1", "x"), ("p2", "b"), ("p2", "a"), ("p3", "y")]


def test_schema_check_reports_and_leaves_the_frame_as_it_was(inputs: Callable[..., Path]
                                                            ) -> None:
    from policycheck.loading import load_paths
    from policycheck.model import PLAN
    from policycheck.normalise import normalise
    from policycheck.schemas import validate_frame

    inputs({"plans.csv": "id,role_kind,base_pay,target_variable\np1,service,-5,100\n"
                         "p2,sales,,100\n"})
    plans = normalise({}, load_paths([Path(".")]).tables.frames).frames["plans"]
    before = plans.copy(deep=True)
    assert [str(p) for p in validate_frame(PLAN, plans)] == [
        "plans.csv:3: error: plan 'p2': base_pay is required [missing-field]",
        "plans.csv:2: error: plan 'p1': base_pay: got -5, expected a value of at least 0 "
        "[out-of-range]"]
    pd.testing.assert_frame_equal(plans, before)


def test_duplicate_plan_id_leaves_out_both_definitions(inputs: Callable[..., Path]) -> None:
    inputs({"a.yaml": plan(), "b.yaml": plan(), "c.yaml": plan("p2")})
    model = load_model(["."])
    assert (model.plans_read, model.plans_valid, model.plans_invalid) == (3, 1, 2)
    assert model.invalid_plans == ("p1",)


def test_duplicate_key_makes_its_plan_invalid(problems: Problems) -> None:
    text = plan().replace("  base_pay: 30000\n", "  base_pay: 30000\n  base_pay: 31000\n")
    assert problems({"a.yaml": text}) == [
        "a.yaml:5:3: error: plan 'p1': duplicate key 'base_pay' (first at line 4); expected "
        "each key once in a mapping [duplicate-key]"]
    assert load_model(["."]).plans.empty


def test_warnings_do_not_make_a_plan_invalid(inputs: Callable[..., Path]) -> None:
    inputs({"plans.csv": "id,role_kind,base_pay,target_variable,region\n"
                         "p1,service,1,0,EMEA\n"})
    model = load_model(["."])
    assert [p.severity for p in model.problems] == ["warning"]
    assert model.ok
    assert list(model.plans["plan_id"]) == ["p1"]


def test_table_row_without_plan_id_is_invalid(problems: Problems) -> None:
    assert problems({"plans.csv": "id,role_kind,base_pay,target_variable\n"
                                  ",service,1,0\np1,service,1,0\n"}) == [
        "plans.csv:2: error: plan has no id; expected an 'id' unique across all inputs "
        "[missing-field]"]
    model = load_model(["."])
    assert list(model.plans["plan_id"]) == ["p1"]
    assert model.invalid_plans == ("<plan at plans.csv:2>",)


def test_a_table_row_without_plan_id_is_not_also_told_it_has_no_components(
        problems: Problems) -> None:
    """Its components cannot name it: the missing id is the one error, not a second one
    saying that a plan with variable pay has no components."""
    assert problems({"plans.csv": "id,role_kind,base_pay,target_variable\n"
                                  ",service,1,3000\np1,service,1,0\n"}) == [
        "plans.csv:2: error: plan has no id; expected an 'id' unique across all inputs "
        "[missing-field]"]


def test_rows_naming_an_unknown_plan_are_told_of_the_plan_without_id_beside_them(
        problems: Problems) -> None:
    """Blanking a plan's id in plans.csv left its components naming the old id, each told
    "did you mean" another plan's: the plan without an id is the likelier one."""
    said = problems({
        "a/plans.csv": "id,role_kind,base_pay,target_variable\n,service,1,0\np1,service,1,0\n",
        "a/components.csv": "plan_id,id,kpi,weight\np0,c,fcr,100%\n",
        "b/plans.csv": "id,role_kind,base_pay,target_variable\n"
                       + ",service,1,0\n" * 5 + "p2,service,1,0\n",
        "b/components.csv": "plan_id,id,kpi,weight\np1x,c,fcr,100%\n",
        "c/plans.csv": "id,role_kind,base_pay,target_variable\np3,service,1,0\n",
        "c/components.csv": "plan_id,id,kpi,weight\np3x,c,fcr,100%\n"})
    assert [p for p in said if "unknown-plan" in p] == [
        "a/components.csv:2: error: plan 'p0', component 'c': plan_id: got 'p0', expected the "
        "id of a plan defined in the inputs; the plan at a/plans.csv:2 has no id "
        "[unknown-plan]",
        "b/components.csv:2: error: plan 'p1x', component 'c': plan_id: got 'p1x', expected "
        "the id of a plan defined in the inputs; the plans at b/plans.csv:2, b/plans.csv:3, "
        "b/plans.csv:4 and 2 more have no id; did you mean 'p1'? [unknown-plan]",
        "c/components.csv:2: error: plan 'p3x', component 'c': plan_id: got 'p3x', expected "
        "the id of a plan defined in the inputs; did you mean 'p3'? [unknown-plan]"]


def test_a_sheet_naming_an_unknown_plan_is_told_of_the_plan_without_id_in_its_book(
        inputs: Callable[..., Path], tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    plans = book.active
    plans.title = "plans"
    for row in (["id", "role_kind", "base_pay", "target_variable"], [None, "service", 1, 0]):
        plans.append(row)
    components = book.create_sheet("components")
    for row in (["plan_id", "id", "kpi", "weight"], ["old-id", "c", "fcr", "100%"]):
        components.append(row)
    inputs({})
    book.save(tmp_path / "book.xlsx")
    said = [str(p) for p in load_model(["."]).problems if p.code == "unknown-plan"]
    assert said == [
        "book.xlsx[components]:2: error: plan 'old-id', component 'c': plan_id: got "
        "'old-id', expected the id of a plan defined in the inputs; the plan at "
        "book.xlsx[plans]:2 has no id [unknown-plan]"]


def test_a_yaml_plan_without_id_names_the_field(inputs: Callable[..., Path]) -> None:
    inputs({"a.yaml": "plan:\n  id:\n  role_kind: service\n  base_pay: 1\n"
                      "  target_variable: 0\n"})
    [problem] = load_model(["."]).problems
    assert (problem.code, problem.field, problem.plan_id) == (
        "missing-field", "id", "<plan at a.yaml:2>")


def test_missing_column_is_reported_once_not_per_row(problems: Problems) -> None:
    assert problems({"plans.csv": "id,role_kind,base_pay,target_variable\n"
                                  "p1,service,1,3000\np2,service,1,3000\n",
                     "components.csv": "plan_id,kpi\np1,fcr\np2,fcr\n"}) == [
        "components.csv:1: error: the components table has no 'weight' column; expected at "
        "least the columns plan_id, kpi, weight [missing-column]"]
    model = load_model(["."])
    assert model.invalid_plans == ("p1", "p2")


# --- hostile and odd inputs: a clear problem, never a crash ------------------------------

ODD_YAML = [
    "plan: 5", "plans: 5", "kpis: 5", "plan: {}", "plan: {id: [1]}", "plan: {id: {a: 1}}",
    "plans: [null]", "plan: {id: x, components: 5}", "plan: {id: x, components: [5]}",
    "plan: {id: x, gates: {a: 1}}", "plan: {id: x, components: [{kpi: [1], weight: 1}]}",
    "plan: {id: x, components: [{id: [a], kpi: fcr, weight: 1}]}",
    "plan: {id: x, components: [{kpi: fcr, weight: 1, curve_points: 'a'}]}",
    "plan: {id: x, components: [{kpi: fcr, weight: 1, rates: [1, 2]}]}",
    "plan: {id: x, clawback: {triggers: 5}}", "plan: {id: x, clawback: {triggers: [[1]]}}",
    "plan: {id: x, gates: [{kpi: a, applies_to: 5}]}",
    "plan: {id: x, gates: [{kpi: a, applies_to: {a: 1}}]}",
    "{1: 2, plan: {id: x}}", "[plan]", "plan: {? [a] : 1}", "plan: {id: 1.5}",
    "plan: {id: true}", "kpis: [{id: a}]",
    "kpis: [{id: a, category: speed, direction: lower, min_sample_per_period: 1.5}]",
    "plan: {id: x, base_pay: 1e400}", "plan: {id: x, headcount: 99999999999999999999999999}",
    "plan: {id: x, components: [{kpi: fcr, weight: 99999999999999999999999%}]}",
    "plan: {id: x, components: [{kpi: fcr, weight: '%'}]}",
    "plan: {id: x, campaigns: [{name: [1], kpi: fcr, start: 2027-01-01, end: x}]}",
    "plan: {id: x, components: [{kpi: fcr, weight: 1, curve_points: [[1e400, 1]]}]}",
    "plan: &a {id: x, self: *a}", "plan: {id: x, name: !!binary aGVsbG8=}",
]
ODD_CSV = ["id\n\x00\n", "id,id\n1,2\n", "plan_id\nx\n", '"unterminated\n', 'a,b\n"1\n',
           "id,base_pay\np,1e400\n", "id,headcount\np,99999999999999999999999\n", ",,,\n,,,\n"]


@pytest.mark.parametrize("table", ["plans", "components", "gates", "employees", "kpis"])
def test_odd_inputs_never_crash(inputs: Callable[..., Path],
                                capsys: pytest.CaptureFixture[str], table: str) -> None:
    files: dict[str, str | bytes] = {f"y{i}.yaml": text for i, text in enumerate(ODD_YAML)}
    files |= {f"c{i}/{table}.csv": text for i, text in enumerate(ODD_CSV)}
    inputs(files)
    code = main(["validate", "."])
    out, err = capsys.readouterr()
    assert code == 2
    assert "internal error" not in err and "Traceback" not in out + err
    assert len(out.splitlines()) > len(ODD_YAML)


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.one_of(st.none(), st.sampled_from(["p1", "p10", "p2", "P1", "é", ""])),
                    max_size=30),
       name=st.sampled_from(["plans", "components"]))
def test_a_coded_id_column_sorts_as_its_texts(ids: list[str | None], name: str) -> None:
    """Rows sort by id (missing last, ties in the order written) the same whether the ids
    came as text (YAML) or coded (a table, its categories in order of first appearance)."""
    written = pd.Series(ids, dtype=object)
    coded = pd.Series(pd.Categorical(ids, categories=pd.unique(written.dropna())))
    key = "plan_id"
    as_text = sort_frame(name, pd.DataFrame({key: written, "row": range(len(ids))}))
    as_codes = sort_frame(name, pd.DataFrame({key: coded, "row": range(len(ids))}))
    assert as_codes["row"].tolist() == as_text["row"].tolist()
    present = written.dropna().tolist()
    assert as_text[key].tolist()[:len(present)] == sorted(present)


@settings(max_examples=100, deadline=None)
@given(words=st.lists(st.sampled_from(["p1", "P-1", "p_2", "pl", "q9", "cc-agnet", "p 3"]),
                      max_size=12),
       candidates=st.lists(st.sampled_from(["p1", "p2", "p3", "cc-agent", "q10"]),
                           min_size=1, max_size=5))
def test_suggestions_within_budget_are_did_you_mean(words: list[str],
                                                    candidates: list[str]) -> None:
    suggest = Suggestions(candidates)
    assert [suggest(w) for w in words] == [did_you_mean(w, candidates) for w in words]


def test_suggestions_past_budget_only_match_ids_written_differently() -> None:
    """Past its budget, a word only finds a candidate that differs from it in case, spaces,
    dashes or underscores; a word looked up again gets its first hint."""
    candidates = ["cc-agent-2027", "p1", "p2"]
    # bounding a word against 3 candidates costs 1, scoring cc-agent-2027 with difflib 1
    suggest = Suggestions(candidates, budget=3)
    assert suggest("cc-agnet-2027") == "; did you mean 'cc-agent-2027'?"  # spent: 2
    assert suggest("CC_Agent 2027") == "; did you mean 'cc-agent-2027'?"
    assert did_you_mean("cc-agent-2028", candidates) == "; did you mean 'cc-agent-2027'?"
    assert suggest("cc-agent-2028") == ""  # close, but the budget is spent
    assert suggest("cc-agnet-2027") == "; did you mean 'cc-agent-2027'?"
    assert suggest("p1") == ""  # a known id is no typo


def test_a_word_whose_closest_cannot_be_told_within_the_budget_gets_no_guess() -> None:
    """A word with more near candidates than the budget left to score them gets no hint
    from the few it scored (which may not hold the closest), and spends the rest."""
    candidates = [f"p{i}-sales" for i in range(10)]
    suggest = Suggestions(candidates, budget=5)
    assert did_you_mean("p-sales", candidates) == "; did you mean 'p9-sales'?"
    assert suggest("p-sales") == ""  # ten candidates alike, four scorings left
    assert suggest("P9_SALES") == "; did you mean 'p9-sales'?"
    assert suggest("p9-saless") == ""


def test_a_word_alike_to_too_many_candidates_gets_no_guess() -> None:
    """An id that could be closest to more plans than a word may score (a deleted plan of
    an organisation whose ids differ by a digit) gets no hint: any one would be a guess."""
    candidates = [f"p{i:03d}-sales" for i in range(1000)]
    assert did_you_mean("p-sales", candidates) == "; did you mean 'p999-sales'?"
    suggest = Suggestions(candidates)
    assert suggest("p-sales") == ""  # 1,000 candidates alike, WORD_SCORINGS scored
    assert suggest("p012-sale") == "; did you mean 'p012-sales'?"  # budget left


def test_many_rows_naming_unknown_plans_each_get_the_closest_plan(problems: Problems) -> None:
    """Every row naming an unknown plan is reported, each distinct id looked up once with
    the hint difflib would give, and the lookups stay within the budget: difflib scores a
    few of the 2,000 plans per id, not all of them (a check of children tables without
    their plans once compared every row with every plan)."""
    plans = "plan_id,role,target_variable\n" + "".join(
        f"plan-{i:05d},agent,0\n" for i in range(2000))
    gates = "plan_id,kpi,min\n" + "".join(
        f"plan-{i:05d}x,qa_score,80\nplan-{i:05d}x,fcr,80\n" for i in range(200))
    matches: list[Match | None] = []
    match = Closest.match

    def recorded(self: Closest, *args: Any, **kwargs: Any) -> Match | None:
        matches.append(match(self, *args, **kwargs))
        return matches[-1]

    with patch.object(Closest, "match", recorded):
        found = problems({"plans.csv": plans, "gates.csv": gates})
    unknown = [p for p in found if p.endswith("[unknown-plan]")]
    assert len(unknown) == 400
    assert len(matches) == 200  # one per distinct id
    scored = sum(m.scored for m in matches if m is not None)
    assert 200 <= scored <= 2000
    assert unknown[0] == (
        "gates.csv:2: error: plan 'plan-00000x', gate 'qa_score': plan_id: got 'plan-00000x', "
        "expected the id of a plan defined in the inputs; did you mean 'plan-00000'? "
        "[unknown-plan]")
    assert unknown[-1].endswith("plan_id: got 'plan-00199x', expected the id of a plan "
                                "defined in the inputs; did you mean 'plan-00199'? "
                                "[unknown-plan]")


def test_every_bad_cell_of_a_large_table_is_reported_in_row_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Thousands of bad cells get one line each, in the order of the rows, each as it reads
    for a single bad cell (messages are made a column at a time and written a few thousand
    lines at a time)."""
    count = 12_001
    (tmp_path / "plans.csv").write_text("id,role,target_variable\np1,agent,1000\n")
    (tmp_path / "components.csv").write_text("plan_id,id,kpi,weight\n" + "".join(
        f"p1,c{i},{'csat' if i % 2 else 'cast'},heavy\n" for i in range(count)))
    code, out, _ = run_cli(capsys, "validate", str(tmp_path))
    assert code == 2
    lines = out.splitlines()
    weights = [line for line in lines if line.endswith("[invalid-value]")]
    kpis = [line for line in lines if line.endswith("[unknown-kpi]")]
    assert (len(weights), len(kpis)) == (count, count // 2 + 1)
    where = tmp_path / "components.csv"
    assert weights[0] == (
        f"{where}:2: error: plan 'p1', component 'c0': weight: got 'heavy', expected a "
        "fraction between 0 and 1 or a percent like '50%' [invalid-value]")
    assert weights[-1] == (
        f"{where}:{count + 1}: error: plan 'p1', component 'c{count - 1}': weight: got "
        "'heavy', expected a fraction between 0 and 1 or a percent like '50%' "
        "[invalid-value]")
    assert kpis[-1] == (
        f"{where}:{count + 1}: error: plan 'p1', component 'c{count - 1}': kpi: unknown KPI "
        "'cast', expected a KPI of the built-in library or the organisation's catalog; did "
        "you mean 'csat'? [unknown-kpi]")
    rows = [int(line.split(":")[1]) for line in weights]
    assert rows == list(range(2, count + 2))


@pytest.mark.parametrize("kpi, target, threshold, said", [
    ("fcr", 65, 78, "threshold 78 is above target 65, though higher is better for 'fcr': pay "
                    "starts only past the target; expected a threshold below the target"),
    ("aht", 300, 240, "threshold 240 is below target 300, though lower is better for 'aht': "
                      "pay starts only past the target; expected a threshold above the "
                      "target"),
    ("fcr", 78, 65, None), ("aht", 240, 300, None), ("fcr", 70, 70, None),
])
def test_a_threshold_past_the_target_is_a_warning(problems: Callable[[dict[str, str]],
                                                                     list[str]],
                                                   kpi: str, target: int, threshold: int,
                                                   said: str | None) -> None:
    """A threshold past the target on the KPI's better side was read without a word, and
    moved the report's payout sensitivity (FCR's step worth a fifth of what it was)."""
    found = problems({
        "plans.csv": "id,role_kind,base_pay,target_variable\np1,service,30000,3000\n",
        "components.csv": "plan_id,kpi,weight,target,threshold\n"
                          f"p1,{kpi},1,{target},{threshold}\n"})
    assert found == ([] if said is None else [
        f"components.csv:2: warning: plan 'p1', component '{kpi}': {said} [threshold-side]"])
