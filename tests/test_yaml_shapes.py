"""YAML plan files of unusual shape or size: read, or refused with a message that says why.

Covers policycheck/yamlbounds.py (what aliases add), documents.py and yamlfiles.py (plans in a
top-level list or without ``plan:``, an empty ``plans:``) and yamlsource.py (numbers with
digit separators read as written, a tab named as such).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ci_plans import good, run, workdir, write

from policycheck import yamlbounds
from policycheck.validation import load_model

__all__ = ["workdir"]


@pytest.fixture
def here(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ``workdir``, every file parsed (no cache)."""
    monkeypatch.setenv("POLICYCHECK_NO_CACHE", "1")
    return workdir


def plan_only(plan_id: str) -> str:
    """The example plan without its opening comment: ``plan:`` on line 1."""
    return "plan:\n" + good(plan_id).split("plan:\n", 1)[1]


def plan_body(plan_id: str) -> str:
    """The fields of the example plan, without ``plan:`` above them (at column 1)."""
    lines = plan_only(plan_id).splitlines(True)[1:]
    return "".join(line.removeprefix("  ") for line in lines)


def as_item(text: str) -> str:
    """A mapping written as the only item of a top-level list."""
    return "- " + "".join("  " + line for line in text.splitlines(True))[2:]


# --- alias expansion: only what aliases add counts (report item 3) ----------------------

#: Ten values behind an anchor, then ten aliases of each level: x_c expands to 1,111 values,
#: all but one of them through aliases.
SMALL_BOMB = """\
x_a: &a [n, n, n, n, n, n, n, n, n, n]
x_b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
x_c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
"""


@pytest.fixture
def small_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Aliases may add 1,000 values (the real bound is 1,000,000: a file past it is slow to
    write in a test)."""
    monkeypatch.setattr(yamlbounds, "MAX_EXPANDED", 1_000)


def test_a_large_file_without_aliases_is_read(here: Path, small_bound: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # '&' in a comment sends the file the general way, where the bound is measured
    notes = "  x_notes:\n" + "    - n\n" * 2_000
    write(here, {"plans/a.yaml": "# R&D\n" + good("big-1") + notes})
    assert run(capsys, "validate", "plans") == (
        0, "Read 1 plan from 1 file: 1 valid, 0 invalid.\n", "")


def test_aliases_that_add_few_values_to_a_large_file_are_read(
        here: Path, small_bound: None, capsys: pytest.CaptureFixture[str]) -> None:
    notes = "  x_notes:\n" + "    - n\n" * 2_000
    shared = "x_defaults: &d {currency: EUR}\n"
    plan = good("big-2").replace("  currency: EUR\n", "  <<: *d\n")
    write(here, {"plans/a.yaml": shared + plan + notes})
    assert run(capsys, "validate", "plans") == (
        0, "Read 1 plan from 1 file: 1 valid, 0 invalid.\n", "")


def test_aliases_that_add_too_many_values_are_refused(
        here: Path, small_bound: None, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {"plans/a.yaml": SMALL_BOMB + good("bomb-1")})
    assert run(capsys, "validate", "plans") == (
        2, "plans/a.yaml:3:6: error: aliases expand this document past 1,000 values; "
        "refusing it [yaml-alias-bomb]\n"
        "Read 0 plans from 0 files: 0 valid, 0 invalid. 1 file could not be read: see the "
        "errors above. 1 error, 0 warnings.\n", "")


def test_an_alias_inside_its_own_node_is_refused(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {"plans/a.yaml": "x_loop: &a [1, [*a]]\n" + good("loop-1")})
    assert run(capsys, "validate", "plans") == (
        2, "plans/a.yaml:1:9: error: document nests deeper than 64 levels [yaml-too-deep]\n"
        "Read 0 plans from 0 files: 0 valid, 0 invalid. 1 file could not be read: see the "
        "errors above. 1 error, 0 warnings.\n", "")


# --- plans in another shape: an error with a hint, not a warning (report item 4) --------

def test_plans_in_a_top_level_list_or_without_plan_are_errors(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {
        "plans/ok.yaml": good("ok-1"),
        "plans/wrapped.yaml": as_item(plan_only("wrapped-1")),
        "plans/bare.yaml": plan_body("bare-1"),
        "plans/list.yaml": as_item(plan_body("list-1")),
        "plans/mkdocs.yml": "site_name: Pay plans\nnav:\n  - index.md\n",
        "plans/docker-compose.yml": "services:\n  web:\n    image: nginx\n",
    })
    code, out, err = run(capsys, "validate", "plans")
    assert (code, err) == (2, "")
    assert out.splitlines() == [
        "plans/bare.yaml:1:1: error: plan fields at the top level (id, name, role, ...); "
        "expected them under 'plan:' [unrecognised-file]",
        "plans/docker-compose.yml: warning: not a plan file or KPI catalog (no top-level "
        "'plan', 'plans' or 'kpis' key); skipped [unrecognised-file]",
        "plans/list.yaml:1:3: error: a list of plans at the top level; expected a mapping "
        "with 'plans:' holding the list [unrecognised-file]",
        "plans/mkdocs.yml: warning: not a plan file or KPI catalog (no top-level 'plan', "
        "'plans' or 'kpis' key); skipped [unrecognised-file]",
        "plans/wrapped.yaml:1:3: error: a list of plans at the top level; expected a "
        "mapping with 'plans:' holding the list, its items without 'plan:' "
        "[unrecognised-file]",
        "Read 1 plan from 4 files: 1 valid, 0 invalid. 3 errors, 2 warnings. Skipped 2 "
        "files that hold no plan data."]


def test_other_yaml_with_a_few_plan_keys_is_still_a_warning(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {"plans/ok.yaml": good("ok-1"),
                 "plans/pre-commit-config.yml": "repos:\n  - repo: local\n    hooks: []\n",
                 "plans/people.yaml": "- {id: 7, name: Ann, owner: me}\n",
                 "plans/notes.yaml": "id: 7\nname: a list of names\nowner: me\n"})
    assert run(capsys, "validate", "plans") == (
        0, "plans/notes.yaml: warning: not a plan file or KPI catalog (no top-level 'plan', "
        "'plans' or 'kpis' key); skipped [unrecognised-file]\n"
        "plans/people.yaml: warning: not a plan file or KPI catalog (a list at the top "
        "level, not a mapping with a 'plan', 'plans' or 'kpis' key); skipped "
        "[unrecognised-file]\n"
        "plans/pre-commit-config.yml: warning: not a plan file or KPI catalog (no top-level "
        "'plan', 'plans' or 'kpis' key); skipped [unrecognised-file]\n"
        "Read 1 plan from 1 file: 1 valid, 0 invalid. 0 errors, 3 warnings. Skipped 3 files "
        "that hold no plan data.\n", "")


# --- numbers with digit separators are read as written (report item 11) -----------------

def test_ids_with_digit_separators_are_kept_as_written(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {"plans/a.yaml": good("1_000"),
                 "plans/b.yaml": good("2_0_2_7").replace("headcount: 40", "headcount: x"),
                 "plans/c.yaml": good("1000")})
    code, out, _ = run(capsys, "validate", "plans", "--format", "json", "-q")
    report = json.loads(out)
    assert code == 2
    assert (report["valid_plans"], report["invalid_plans"]) == (["1000", "1_000"],
                                                                ["2_0_2_7"])


def test_number_fields_still_read_digit_separators(here: Path) -> None:
    plan = good("sep-1").replace("base_pay: 28500", "base_pay: 28_500").replace(
        "headcount: 40", "headcount: 4_0").replace("name: Contact", "name: 2_027 Contact")
    write(here, {"plans/a.yaml": plan})
    model = load_model(["plans"])
    assert list(model.problems) == []
    plans = model.frames["plans"]
    assert plans[["name", "base_pay", "headcount"]].values.tolist() == [
        ["2_027 Contact centre agent incentive 2027", 28500.0, 40]]


# --- an empty plans: is a warning (report item 12) ---------------------------------------

def test_an_empty_plans_is_a_warning_at_its_line(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {"plans/ok.yaml": good("ok-1"),
                 "plans/none.yaml": "# every plan commented out\nplans:\n#  - id: x\n",
                 "plans/empty.yaml": "x_note: kept for later\nplans: []\n"})
    assert run(capsys, "validate", "plans") == (
        0, "plans/empty.yaml:2:1: warning: 'plans' holds no plans; expected a list of plan "
        "mappings [no-plans]\n"
        "plans/none.yaml:2:1: warning: 'plans' holds no plans; expected a list of plan "
        "mappings [no-plans]\n"
        "Read 1 plan from 3 files: 1 valid, 0 invalid. 0 errors, 2 warnings.\n", "")


@pytest.mark.parametrize("catalog", ["kpis: []\n", "# every KPI deleted\nkpis:\n"],
                         ids=["empty-list", "nothing"])
def test_an_empty_kpi_catalog_is_a_warning_at_its_line(
        here: Path, capsys: pytest.CaptureFixture[str], catalog: str) -> None:
    write(here, {"plans/ok.yaml": good("ok-1"), "plans/kpis.yaml": catalog})
    line = catalog.count("\n")
    assert run(capsys, "validate", "plans") == (
        0, f"plans/kpis.yaml:{line}:1: warning: 'kpis' holds no KPIs; expected a list of KPI "
        "mappings [no-kpis]\n"
        "Read 1 plan from 2 files: 1 valid, 0 invalid. 0 errors, 1 warning.\n", "")


def test_files_skipped_in_a_folder_are_not_counted_as_read(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary's "from N files" counts the files that gave plans or KPIs, not another
    tool's YAML (skipped with a warning) or a waivers file (skipped quietly)."""
    write(here, {"plans/ok.yaml": good("ok-1"), "plans/mkdocs.yml": "site_name: Pay\n",
                 "plans/accepted.yaml": "waivers: []\n"})
    assert run(capsys, "validate", "plans") == (
        0, "plans/mkdocs.yml: warning: not a plan file or KPI catalog (no top-level 'plan', "
        "'plans' or 'kpis' key); skipped [unrecognised-file]\n"
        "Read 1 plan from 1 file: 1 valid, 0 invalid. 0 errors, 1 warning. Skipped 2 files "
        "that hold no plan data.\n", "")
    code, out, _ = run(capsys, "validate", "plans", "--format", "json")
    summary = json.loads(out)["summary"]
    assert (code, summary["files"], summary["skipped"]) == (
        0, ["plans/accepted.yaml", "plans/mkdocs.yml", "plans/ok.yaml"],
        ["plans/accepted.yaml", "plans/mkdocs.yml"])


# --- a tab is named as such (report item 16) ---------------------------------------------

@pytest.mark.parametrize("old, new", [
    ("    - id: first", "\t- id: first"),  # libyaml: "cannot start any token"
    ("  name: Contact centre agent incentive 2027\n",
     "  name: Contact centre agent\n\tincentive 2027\n"),  # "violates indentation"
], ids=["indent", "continued"])
def test_a_tab_is_named_with_its_place(here: Path, capsys: pytest.CaptureFixture[str],
                                       old: str, new: str) -> None:
    text = good("tab-1").replace(old, new, 1)
    place = f"{text[:text.index(chr(9))].count(chr(10)) + 1}:1"
    write(here, {"plans/a.yaml": text})
    assert run(capsys, "validate", "plans") == (
        2, f"plans/a.yaml:{place}: error: YAML syntax error: a tab at {place}; YAML indents "
        "with spaces only [yaml-syntax]\n"
        "Read 0 plans from 0 files: 0 valid, 0 invalid. 1 file could not be read: see the "
        "errors above. 1 error, 0 warnings.\n", "")


def test_a_tab_in_a_quoted_value_is_text(here: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    write(here, {"plans/a.yaml": good("tab-2").replace(
        "name: Contact centre", 'name: "Contact\tcentre', 1).replace("2027\n", '2027"\n', 1)})
    assert run(capsys, "validate", "plans") == (
        0, "Read 1 plan from 1 file: 1 valid, 0 invalid.\n", "")
