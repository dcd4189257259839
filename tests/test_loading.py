"""The load stage: safe YAML with locations, plan documents, CSV tables, workbooks, folders.

Covers policycheck/yamlsource.py, documents.py, tables.py, csvtables.py and loading.py.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from policycheck import limits, workbooks
from policycheck.cli import main
from policycheck.loading import load_paths
from policycheck.model import PLAN
from policycheck.normalise import combine
from policycheck.validation import load_model
from policycheck.yamlsource import MAX_DEPTH, LocatedList, LocatedMap, load_yaml

Problems = Callable[[dict[str, str | bytes]], list[str]]
Inputs = Callable[[dict[str, str | bytes]], Path]

PLANS_YAML = """\
# comment
plans:
  - id: p1
    role_kind: service
    base_pay: 30000
    target_variable: 3000
    components:
      - id: c1
        kpi: fcr
        weight: 60%
      - {id: c2, kpi: csat, weight: 40%}
    gates:
      - {kpi: qa_score, min: 80}
"""

PLAN_CSV = "id,role_kind,base_pay,target_variable\np1,service,30000,0\n"


# --- YAML: locations --------------------------------------------------------------------

def test_yaml_positions_of_mappings_keys_and_items() -> None:
    data, problems = load_yaml(PLANS_YAML, "a.yaml")
    assert problems == []
    assert isinstance(data, LocatedMap)
    plans = data["plans"]
    assert isinstance(plans, LocatedList)
    plan = plans[0]
    assert (data.start, data.position("plans")) == ((2, 1), (2, 1))
    assert (plans.start, plans.position(0)) == ((3, 3), (3, 5))
    assert (plan.start, plan.position("base_pay")) == ((3, 5), (5, 5))
    components = plan["components"]
    assert [components.position(0), components.position(1)] == [(8, 9), (11, 9)]
    assert components[0].position("weight") == (10, 9)
    assert components[1].position("weight") == (11, 29)
    assert plan.position("no-such-key") == plan.start
    assert components.position(7) == components.start


def test_model_frames_carry_source_locations(inputs: Inputs) -> None:
    inputs({"a.yaml": PLANS_YAML})
    model = load_model(["a.yaml"])
    plan = model.plans.iloc[0]
    assert (plan["src_file"], plan["src_sheet"], plan["src_line"], plan["src_col"]) == \
        ("a.yaml", "", 3, 5)
    components = model.frames["components"]
    assert components[["component_id", "src_line", "src_col"]].values.tolist() == [
        ["c1", 8, 9], ["c2", 11, 9]]
    assert list(model.frames["gates"]["src_line"]) == [13]


def test_bad_field_is_located_at_its_key(problems: Problems) -> None:
    text = PLANS_YAML.replace("weight: 40%", "weight: lots")
    assert problems({"a.yaml": text}) == [
        "a.yaml:11:29: error: plan 'p1', component 'c2': weight: got 'lots', expected a "
        "fraction between 0 and 1 or a percent like '50%' [invalid-value]"]


# --- YAML: safety -----------------------------------------------------------------------

def test_duplicate_key_reported_with_first_line() -> None:
    data, problems = load_yaml("a: 1\nb: 2\na: 3\n", "x.yaml")
    assert data == {"a": 1, "b": 2}
    assert [str(p) for p in problems] == [
        "x.yaml:3:1: error: duplicate key 'a' (first at line 1); expected each key once in a "
        "mapping [duplicate-key]"]


@pytest.mark.parametrize("tag", ["!!python/object:os.system {}",
                                 "!!python/object/apply:os.system ['echo hacked']",
                                 "!!python/name:os.system"])
def test_python_tags_are_refused(tag: str) -> None:
    data, problems = load_yaml(f"plan: {tag}\n", "x.yaml")
    assert data is None
    [problem] = problems
    assert problem.code == "yaml-syntax"
    assert str(problem.location) == "x.yaml:1:7"
    assert problem.message.startswith("YAML syntax error: could not determine a constructor "
                                      "for tag 'tag:yaml.org,2002:python/")
    assert problem.message.endswith("; only plain YAML values are allowed")


def test_python_object_tag_in_a_plan_file(problems: Problems) -> None:
    assert problems({"a.yaml": "plan: !!python/object/apply:os.system ['echo hacked']\n"}) == [
        "a.yaml:1:7: error: YAML syntax error: could not determine a constructor for tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'; only plain YAML values are "
        "allowed [yaml-syntax]"]


def test_alias_bomb_is_refused_quickly() -> None:
    # Nine levels of ten aliases each: a billion strings once expanded.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    started = time.perf_counter()
    data, problems = load_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - started < 2.0
    assert data is None
    assert [str(p) for p in problems] == [
        "bomb.yaml:6:5: error: aliases expand this document past 1,000,000 values; refusing "
        "it [yaml-alias-bomb]"]


def test_deep_nesting_is_refused() -> None:
    started = time.perf_counter()
    data, problems = load_yaml("plans: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml")
    assert time.perf_counter() - started < 2.0
    assert data is None
    assert [p.message for p in problems] == [f"document nests deeper than {MAX_DEPTH} levels"]
    assert problems[0].code == "yaml-too-deep"


def test_nesting_within_the_limit_is_read() -> None:
    data, problems = load_yaml("a: " + "[" * 50 + "]" * 50 + "\n", "ok.yaml")
    assert problems == []
    assert data is not None


def test_syntax_error_has_line_and_column(problems: Problems) -> None:
    assert problems({"a.yaml": "plan:\n  id: p1\n  name: [unclosed\n"}) == [
        "a.yaml:4:1: error: YAML syntax error: while parsing a flow sequence; did not find "
        "expected ',' or ']' [yaml-syntax]"]


def test_two_documents_in_one_file_are_refused(problems: Problems) -> None:
    assert problems({"a.yaml": "plan: {id: a}\n---\nplan: {id: b}\n"}) == [
        "a.yaml:2:1: error: YAML syntax error: expected a single document in the stream; but "
        "found another document [yaml-syntax]"]


# --- YAML: merge keys -------------------------------------------------------------------

MERGED = """\
x-defaults: &defaults
  role_kind: service
  base_pay: 30000
  target_variable: 3000
plans:
  - <<: *defaults
    id: p1
    components: [{kpi: fcr, weight: 100%}]
  - <<: *defaults
    id: p2
    base_pay: 31000
    components: [{kpi: fcr, weight: 100%}]
"""


def test_merge_keys_work_and_own_keys_override_them(inputs: Inputs) -> None:
    inputs({"a.yaml": MERGED})
    model = load_model(["a.yaml"])
    assert [str(p) for p in model.problems] == []
    assert list(model.plans["plan_id"]) == ["p1", "p2"]
    assert list(model.plans["base_pay"]) == [30000.0, 31000.0]
    assert list(model.plans["role_kind"]) == ["service", "service"]


def test_merge_of_two_mappings_first_wins() -> None:
    text = "a: &a {k: 1, m: 1}\nb: &b {k: 2, n: 2}\nc:\n  <<: [*a, *b]\n"
    data, problems = load_yaml(text, "x.yaml")
    assert problems == []
    assert data["c"] == {"k": 1, "m": 1, "n": 2}


def test_key_written_twice_after_a_merge_is_still_a_duplicate() -> None:
    text = "a: &a {k: 1}\nc:\n  <<: *a\n  k: 2\n  k: 3\n"
    data, problems = load_yaml(text, "x.yaml")
    assert data["c"] == {"k": 2}
    assert [p.message for p in problems] == [
        "duplicate key 'k' (first at line 4); expected each key once in a mapping"]


def test_unknown_top_level_key_says_how_to_keep_anchors(problems: Problems) -> None:
    text = MERGED.replace("x-defaults:", "defaults:")
    assert problems({"a.yaml": text}) == [
        "a.yaml:1:1: error: unknown top-level key 'defaults'; expected 'plan', 'plans' or "
        "'kpis', or a key of your own starting with 'x-' [unknown-field]"]


# --- YAML: documents ---------------------------------------------------------------------

def test_unknown_field_with_did_you_mean(problems: Problems) -> None:
    text = PLANS_YAML.replace("    base_pay: 30000\n", "    base_pay: 30000\n    headcont: 3\n")
    assert problems({"a.yaml": text}) == [
        "a.yaml:6:5: error: plan 'p1': unknown field 'headcont'; did you mean 'headcount'? "
        "[unknown-field]"]


def test_unknown_nested_field_and_extension_keys(problems: Problems) -> None:
    text = PLANS_YAML.replace(
        "    base_pay: 30000\n",
        "    base_pay: 30000\n    x_budget_code: 77\n    clawback: {trigers: [rework], "
        "x-note: hi}\n")
    assert problems({"a.yaml": text}) == [
        "a.yaml:7:16: error: plan 'p1': unknown field 'clawback.trigers'; expected one of "
        "triggers, window_days; did you mean 'triggers'? [unknown-field]"]


def test_plan_must_be_a_mapping_and_plans_a_list(problems: Problems) -> None:
    assert problems({"a.yaml": "plan: [1, 2]\n", "b.yaml": "plans: {id: x}\n",
                     "c.yaml": "plans:\n  - just text\n"}) == [
        "a.yaml:1:1: error: 'plan' must be a mapping of plan fields, got a list [wrong-type]",
        "b.yaml:1:1: error: 'plans' must be a list, got a mapping [wrong-type]",
        "c.yaml:2:5: error: item 1 of 'plans' must be a mapping, got 'just text' "
        "[wrong-type]"]


def test_yaml_nan_is_reported_not_read_as_missing(problems: Problems) -> None:
    text = PLANS_YAML.replace("min: 80", "min: .nan")
    assert problems({"a.yaml": text}) == [
        "a.yaml:13:25: error: plan 'p1', gate 'qa_score': min: got '.nan', expected a number; "
        "NaN and infinity are not allowed [invalid-value]"]


def test_text_fields_refuse_mappings_and_lists(problems: Problems) -> None:
    text = PLANS_YAML.replace("    base_pay: 30000\n",
                              "    base_pay: 30000\n    name: {a: 1}\n    role: [x, y]\n")
    assert problems({"a.yaml": text}) == [
        "a.yaml:6:5: error: plan 'p1': name: got a mapping, expected text [invalid-value]",
        "a.yaml:7:5: error: plan 'p1': role: got ['x', 'y'], expected text [invalid-value]"]


# --- encodings --------------------------------------------------------------------------

def test_utf8_bom_is_accepted(inputs: Inputs) -> None:
    inputs({"a.yaml": "\ufeff".encode() + PLANS_YAML.encode(),
            "plans.csv": "\ufeff".encode() + PLAN_CSV.replace("p1", "p2").encode()})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert list(model.plans["plan_id"]) == ["p1", "p2"]


def test_utf16_with_a_byte_order_mark_is_read(inputs: Inputs) -> None:
    """Excel's "Unicode Text" and some HR systems write UTF-16, tab-separated, with a mark
    that says so; the tables and plans read as their UTF-8 forms do, lines and all."""
    inputs({"a.yaml": PLANS_YAML.encode("utf-16"),
            "b.yaml": PLANS_YAML.replace("p1", "p2").encode("utf-16-be").join(
                [b"\xfe\xff", b""]),
            "plans.csv": PLAN_CSV.replace("p1", "p3").replace(",", "\t").replace(
                "\n", "\r\n").encode("utf-16")})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert model.plans[["plan_id", "src_file", "src_line"]].values.tolist() == [
        ["p1", "a.yaml", 3], ["p2", "b.yaml", 3], ["p3", "plans.csv", 2]]


def test_utf16_that_does_not_decode_names_its_line_and_bytes(problems: Problems) -> None:
    """A lone surrogate after the mark: the two bytes of the unit, not one of them."""
    text = b"\xff\xfe" + "plan:\n  id: p1\n  name: ".encode("utf-16-le") + b"\x00\xd8" + \
        "ab\n".encode("utf-16-le")
    assert problems({"a.yaml": text}) == [
        "a.yaml:3: error: invalid bytes 00 d8 for utf-16: expected UTF-16 text [encoding]"]


def test_utf16_without_a_byte_order_mark_is_refused(problems: Problems) -> None:
    assert problems({"a.yaml": PLANS_YAML.encode("utf-16-le"),
                     "plans.csv": PLAN_CSV.encode("utf-16-be")}) == [
        "a.yaml: error: file is UTF-16 without a byte-order mark, or binary: expected UTF-8 "
        "text [encoding]",
        "plans.csv: error: file is UTF-16 without a byte-order mark, or binary: expected "
        "UTF-8 text [encoding]"]


def test_invalid_utf8_names_the_line(problems: Problems) -> None:
    """With the character the byte is in Windows-1252, the encoding of a file saved by
    Excel as plain "CSV" (or by an editor on Windows), so that it can be found on the line."""
    assert problems({"a.yaml": b"plan:\n  id: p1\n  name: caf\xe9\n"}) == [
        "a.yaml:3: error: invalid UTF-8 byte 0xe9 ('\xe9' in Windows-1252): expected UTF-8 "
        "text; save the file as UTF-8, or name its encoding (policycheck --encoding cp1252, "
        "or encoding: cp1252 in policycheck.yaml) [encoding]"]


def test_files_in_another_encoding_are_read_in_the_one_named(
        inputs: Inputs, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``--encoding`` names the encoding of the files that are not UTF-8: a folder of UTF-8
    YAML and Windows-1252 CSV exports reads whole; what it names is checked first."""
    inputs({"plans.csv": "id,name,role_kind,base_pay,target_variable\n"
                         "p1,Prime d'efficacit\xe9 \u2013 \xa3,service,30000,0\n".encode("cp1252"),
            "a.yaml": PLANS_YAML.replace("p1", "p2").encode(),
            "b.yaml": PLANS_YAML.replace("p1", "p3").replace("service", "service # \xfcber")
            .encode("latin-1")})
    assert main(["--encoding", "windows-1252", "export", ".", "--csv", "out"]) == 0
    capsys.readouterr()
    written = Path("out/plans.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:2] for line in written[1:]] == [
        ["p1", "Prime d'efficacit\xe9 \u2013 \xa3"], ["p2", ""], ["p3", ""]]
    inputs_only = ["a.yaml", "b.yaml", "plans.csv"]
    assert main(["--encoding", "ascii", "validate", *inputs_only]) == 2
    assert capsys.readouterr().out.splitlines()[:2] == [
        "b.yaml:4: error: invalid byte 0xfc for ascii: expected UTF-8 or ascii text [encoding]",
        "plans.csv:2: error: invalid byte 0xe9 for ascii: expected UTF-8 or ascii text "
        "[encoding]"]
    for name in ("--encoding=base64", "--encoding=klingon"):
        assert main([name, "validate", *inputs_only]) == 2
        assert capsys.readouterr().err == (
            f"policycheck: error: --encoding '{name[11:]}' (or POLICYCHECK_ENCODING): expected "
            "the name of a text encoding, such as cp1252 or latin-1\n")
    monkeypatch.setenv("POLICYCHECK_ENCODING", "latin-1")
    assert main(["validate", *inputs_only]) == 0


def test_the_config_file_names_the_encoding_below_the_flag_and_the_variable(
        inputs: Inputs, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``encoding:`` in policycheck.yaml, set once for a team's Windows exports, holds for
    every command that reads plans; ``--encoding`` and the variable come before it, and a
    name that is no text encoding is a problem where it is written."""
    inputs({"plans.csv": "id,name,role_kind,base_pay,target_variable\n"
                         "p1,Prime d'efficacit\xe9,service,30000,0\n".encode("cp1252"),
            "policycheck.yaml": "fail_on: none\nencoding: windows-1252\n"})
    for command in (["validate", "plans.csv"], ["check", "plans.csv"],
                    ["export", "plans.csv", "--csv", "out"]):
        assert main(command) == 0, capsys.readouterr()
    capsys.readouterr()
    written = Path("out/plans.csv").read_text(encoding="utf-8").splitlines()
    assert written[1].split(",")[:2] == ["p1", "Prime d'efficacit\xe9"]
    assert main(["--encoding", "ascii", "validate", "plans.csv"]) == 2
    assert "invalid byte 0xe9 for ascii" in capsys.readouterr().out
    monkeypatch.setenv("POLICYCHECK_ENCODING", "ascii")
    assert main(["validate", "plans.csv"]) == 2
    assert "invalid byte 0xe9 for ascii" in capsys.readouterr().out
    monkeypatch.delenv("POLICYCHECK_ENCODING")
    Path("policycheck.yaml").write_text("encoding: base64\n", encoding="utf-8")
    assert main(["validate", "plans.csv"]) == 2
    assert capsys.readouterr().err == (
        "policycheck.yaml:1:1: error: 'encoding' is 'base64'; expected the name of a text "
        "encoding, such as cp1252 or latin-1 [config-type]\n"
        "policycheck: error: the config file policycheck.yaml is not valid\n")


def test_utf16_without_its_mark_is_read_when_named(inputs: Inputs) -> None:
    inputs({"plans.csv": PLAN_CSV.encode("utf-16-le")})
    assert load_model(["."]).plans_read == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLICYCHECK_ENCODING", "utf-16-le")
        model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert model.plans["plan_id"].tolist() == ["p1"]


def test_an_unreadable_table_is_said_once_not_in_every_row_that_refers_to_it(
        problems: Problems) -> None:
    """A plans table saved in Windows-1252 made every row of every other table an error
    ("expected the id of a plan defined in the inputs"), burying the one that says why;
    an unreadable components table made each plan "have no components". Plans of another
    folder are referred to as before (q1 has its component in a/components.csv)."""
    assert problems({
        "a/plans.csv": "id,name,role_kind,base_pay,target_variable\n"
                       "p1,Prime d'efficacit\xe9,service,30000,3000\n".encode("cp1252"),
        "a/components.csv": "plan_id,kpi,weight\np1,fcr,1\np1,csat,0\nq1,fcr,1\n",
        "a/gates.csv": "plan_id,kpi,min\np1,csat,80\n",
        "b/plans.csv": "id,role_kind,base_pay,target_variable\nq1,service,30000,3000\n"
                       "q2,service,30000,3000\n",
        "b/components.csv": b"plan_id,kpi,weight\nq2,fcr,1\nq3,fcr,1\nq1,\x81,1\n"}) == [
        "a/components.csv: error: 2 rows name plans no input defines: a/plans.csv, this "
        "folder's plans table, could not be read; they are checked once it can be "
        "[unknown-plan]",
        "a/gates.csv: error: 1 row names a plan no input defines: a/plans.csv, this folder's "
        "plans table, could not be read; it is checked once it can be [unknown-plan]",
        "a/plans.csv:2: error: invalid UTF-8 byte 0xe9 ('\xe9' in Windows-1252): expected "
        "UTF-8 text; save the file as UTF-8 (in Excel: Save As, 'CSV UTF-8'), or name its "
        "encoding (policycheck --encoding cp1252, or encoding: cp1252 in policycheck.yaml) "
        "[encoding]",
        "b/components.csv:4: error: invalid UTF-8 byte 0x81: expected UTF-8 text; save the "
        "file as UTF-8 (in Excel: Save As, 'CSV UTF-8'), or name its encoding (policycheck "
        "--encoding NAME, or encoding: NAME in policycheck.yaml) [encoding]",
        "b/plans.csv:3: error: plan 'q2': has no components: b/components.csv, this folder's "
        "components table, could not be read; the plan is checked once it can be "
        "[no-components]"]


@pytest.mark.parametrize(("body", "said"), [
    (b"p1,caf\xe9,1,0\n", "plans.csv:3: error: invalid UTF-8 byte 0xe9 ('\xe9' in "
     "Windows-1252): expected UTF-8 text; save the file as UTF-8 (in Excel: Save As, 'CSV "
     "UTF-8'), or name its encoding (policycheck --encoding cp1252, or encoding: cp1252 in "
     "policycheck.yaml) [encoding]"),
    (b"p1,\xed\xa0\x80,1,0\n", "plans.csv:3: error: invalid UTF-8 byte 0xed ('\xed' in "
     "Windows-1252): expected UTF-8 text; save the file as UTF-8 (in Excel: Save As, 'CSV "
     "UTF-8'), or name its encoding (policycheck --encoding cp1252, or encoding: cp1252 in "
     "policycheck.yaml) [encoding]"),
    # a surrogate, refused by both decoders
    (b"p1,a\x00b,1,0\n", "plans.csv: error: file is UTF-16 without a byte-order mark, or "
     "binary: expected UTF-8 text [encoding]"),  # NUL in the first 4 KB
    (b"".join(b"q%d,a,1,0\n" % i for i in range(500)) + b"p1,a\x00b,1,0\n",
     "plans.csv: error: file holds NUL bytes: expected UTF-8 CSV text (is it UTF-16 without "
     "a byte-order mark, or a binary file?) [encoding]")])
def test_a_csv_file_that_is_not_utf8_text_names_the_line(problems: Problems, body: bytes,
                                                        said: str) -> None:
    """Read from its bytes (Arrow checks the UTF-8 as it reads), a CSV file that is not
    UTF-8 text is said to be so as a YAML file is, past its header too."""
    assert problems({"plans.csv": b"id,name,base_pay,target_variable\np0,a,1,0\n" + body}
                    ) == [said]


# --- CSV tables -------------------------------------------------------------------------

def test_csv_na_is_text_and_empty_cells_are_missing(inputs: Inputs) -> None:
    inputs({"plans.csv": "id,role_kind,base_pay,target_variable,currency,owner\n"
                         "p1,service,30000,0,NA,\n",
            "employees.csv": "employee_id,plan_id,base_pay,org_unit\n"
                             "e1,p1,1,NA\ne2,p1,1,N/A\ne3,p1,1,null\ne4,p1,1,None\n"
                             "e5,p1,1,nan\ne6,p1,,\ne7,p1,1,  \n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert model.plans["currency"].tolist() == ["NA"]
    assert model.plans["owner"].tolist() == [None]
    employees = model.frames["employees"]
    assert employees["org_unit"].tolist() == ["NA", "N/A", "null", "None", "nan", None, None]
    assert employees["base_pay"].isna().tolist() == [False] * 5 + [True, False]


def test_tables_of_one_entity_in_several_files_read_as_one(inputs: Inputs) -> None:
    # Each table's columns are coded by their own distinct texts; put together, a cell
    # missing in one file or left out of another is missing alike, as in YAML.
    inputs({"a/plans.csv": "id,role_kind,base_pay,target_variable,owner\n"
                           "p1,service,30000,0, hr@x.com \np2,sales,1,0,\n",
            "b/plans.csv": "id,role_kind,base_pay,target_variable,currency\n"
                           "p3, sales ,2,0,EUR\np4,service,3,0,\n",
            "c/plans.yaml": "plans:\n  - {id: p5, role_kind: sales, base_pay: 4, "
                            "target_variable: 0, owner: hr@x.com}\n",
            "a/components.csv": "plan_id,kpi,weight,basis\np1,fcr,100%,team\n",
            "c/components.csv": "plan_id,kpi,weight,basis\np5,units_sold,100%,\n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    plans = model.plans
    assert plans["plan_id"].tolist() == ["p1", "p2", "p3", "p4", "p5"]
    assert plans["role_kind"].tolist() == ["service", "sales", "sales", "service", "sales"]
    assert plans["owner"].tolist() == ["hr@x.com", None, None, None, "hr@x.com"]
    assert plans["currency"].tolist() == [None, None, "EUR", None, None]
    assert model.frames["components"]["basis"].tolist() == ["team", "individual"]
    raw = combine(PLAN, [], load_paths([Path(".")]).tables.frames["plans"])
    assert raw["owner"].tolist() == ["hr@x.com", None, None, None]  # None, not NaN
    assert isinstance(raw["role_kind"].dtype, pd.CategoricalDtype)  # coded in both files


def test_csv_empty_cells_take_defaults(inputs: Inputs) -> None:
    inputs({"plans.csv": PLAN_CSV.replace(",0\n", ",100\n"),
            "components.csv": "plan_id,id,kpi,weight,basis,period,curve\np1,c,fcr,100%,,,\n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    component = model.frames["components"].iloc[0]
    assert (component["basis"], component["period"], component["curve"]) == \
        ("individual", "month", "linear")
    assert model.plans["customer_facing"].tolist() == [True]


def test_csv_header_is_case_and_space_insensitive(inputs: Inputs) -> None:
    inputs({"Plans.csv": " ID , Role_Kind ,BASE_PAY,target_variable\n p1 , service ,1,0\n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert (model.plans["plan_id"].tolist(), model.plans["role_kind"].tolist()) == \
        (["p1"], ["service"])


def test_csv_headers_written_for_people_name_the_fields(inputs: Inputs,
                                                        problems: Problems) -> None:
    """An HR system's export heads its columns "Plan ID", "Base Pay", "Target-Variable":
    spaces and hyphens stand for underscores, as in file and sheet names. Messages name
    the columns as written."""
    inputs({"plans.csv": "Plan ID,Role Kind,Base  Pay,Target-Variable,Customer Facing\n"
                         "p1,Sales,30000,3000,yes\n",
            "components.csv": "Plan ID,ID,KPI,Weight\np1,c1,revenue,100 %\n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert model.plans[["plan_id", "role_kind", "base_pay", "target_variable",
                        "customer_facing"]].values.tolist() == [["p1", "sales", 30000, 3000,
                                                                 True]]
    assert model.frames["components"]["weight"].tolist() == [10_000]
    assert problems({"plans.csv": "id,role_kind,Base Pay,target_variable,base_pay,Head Cout\n"
                                  "p1,service,1,0,2,5\n"}) == [
        "plans.csv:1:5: error: column 'base_pay' repeats column 3 ('Base Pay'); expected each "
        "field in one column [duplicate-column]",
        "plans.csv:1:6: error: unknown column 'Head Cout' in the plans table; did you mean "
        "'headcount'? [unknown-column]"]


def test_unknown_columns_warning_or_error(problems: Problems) -> None:
    assert problems({"plans.csv": "id,role_kind,base_pay,target_variable,region,headcout,"
                                  "notes,x_budget\np1,service,1,0,EMEA,5,hi,7\n"}) == [
        "plans.csv:1:5: warning: unknown column 'region' in the plans table; ignored (start "
        "the name with 'x_' to mark a column of your own) [unknown-column]",
        "plans.csv:1:6: error: unknown column 'headcout' in the plans table; did you mean "
        "'headcount'? [unknown-column]"]


def test_misspelt_column_makes_the_table_plans_invalid(inputs: Inputs) -> None:
    inputs({"plans.csv": "id,role_kind,base_pay,target_variable,headcout\np1,service,1,0,5\n"})
    model = load_model(["."])
    assert model.plans.empty
    assert model.invalid_plans == ("p1",)


def test_unrelated_column_is_not_taken_for_a_typo(problems: Problems) -> None:
    found = problems({"plans.csv": "id,role_kind,base_pay,target_variable,country\n"
                                   "p1,service,1,0,FR\n"})
    assert found == [
        "plans.csv:1:5: warning: unknown column 'country' in the plans table; ignored (start "
        "the name with 'x_' to mark a column of your own) [unknown-column]"]


def test_repeated_column(problems: Problems) -> None:
    assert problems({"plans.csv": "id,role_kind,base_pay,target_variable,base_pay\n"
                                  "p1,service,1,0,2\n"}) == [
        "plans.csv:1:5: error: column 'base_pay' repeats column 3 ('base_pay'); expected each "
        "field in one column [duplicate-column]"]


def test_missing_required_column(problems: Problems) -> None:
    assert problems({"plans.csv": "id,base_pay\np1,1\n"}) == [
        "plans.csv:1: error: the plans table has no 'role_kind', 'target_variable' column; "
        "expected at least the columns id, role_kind, base_pay, target_variable "
        "[missing-column]"]


def test_blank_lines_keep_line_numbers(problems: Problems) -> None:
    text = "\nid,role_kind,base_pay,target_variable\n\np1,service,1,0\n\n,,,\np2,servce,1,0\n"
    assert problems({"plans.csv": text}) == [
        "plans.csv:7: error: plan 'p2': role_kind: got 'servce', expected one of service, "
        "sales, advice, retention, collections, claims, field_service, back_office, manager; "
        "did you mean 'service'? [invalid-value]"]


def test_malformed_csv_names_the_line(problems: Problems) -> None:
    assert problems({"plans.csv": PLAN_CSV + "p2,service,1,0,extra\n"}) == [
        "plans.csv:3: error: malformed CSV: this row has 5 cells but the header has 4; "
        "expected one cell per column (quote a cell that contains a comma) [bad-csv]"]


@pytest.mark.parametrize("sep, name", [(";", "semicolon"), ("\t", "tab")])
def test_csv_separated_by_semicolons_or_tabs(problems: Problems, sep: str, name: str) -> None:
    """Excel writes ';' where the decimal mark is a comma; some HR systems write tabs. The
    separator is the one the header line holds most of."""
    text = PLAN_CSV.replace(",", sep) + f"p2{sep}servce{sep}1{sep}0\n"
    assert problems({"plans.csv": text}) == [
        "plans.csv:3: error: plan 'p2': role_kind: got 'servce', expected one of service, "
        "sales, advice, retention, collections, claims, field_service, back_office, manager; "
        "did you mean 'service'? [invalid-value]"]
    assert problems({"plans.csv": text + f"p3{sep}service{sep}1{sep}0{sep}extra\n"})[-1] == (
        "plans.csv:4: error: malformed CSV: this row has 5 cells but the header has 4; "
        f"expected one cell per column (quote a cell that contains a {name}) [bad-csv]")


@pytest.mark.parametrize("sep", [";", "\t"])
def test_the_sample_tables_with_another_separator_give_the_same_plans(
        tmp_path: Path, sep: str) -> None:
    import csv

    sample = Path(__file__).resolve().parent.parent / "sample_data" / "csv"
    folder = tmp_path / "tables"
    folder.mkdir()
    for path in sorted(sample.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as source:
            rows = list(csv.reader(source))
        with (folder / path.name).open("w", newline="", encoding="utf-8") as target:
            csv.writer(target, delimiter=sep).writerows(rows)
    mine, theirs = load_model([folder]), load_model([sample])
    assert (mine.problems, mine.plans_valid) == (theirs.problems, 17)
    for name, frame in theirs.frames.items():
        kept = [c for c in frame.columns if c != "src_file"]
        assert mine.frames[name][kept].equals(frame[kept]), name


def test_unclosed_quote_names_the_row(problems: Problems) -> None:
    assert problems({"plans.csv": PLAN_CSV + 'p2,"service,1,0\n'}) == [
        "plans.csv:3: error: malformed CSV: a quoted cell starting on this row is never "
        "closed; expected a closing '\"' [bad-csv]"]


def test_empty_csv(problems: Problems) -> None:
    assert problems({"plans.csv": "", "gates.csv": "\n\n"}) == [
        "gates.csv: error: empty table: expected a header row with the gates columns "
        "[empty-table]",
        "plans.csv: error: empty table: expected a header row with the plans columns "
        "[empty-table]"]


def test_rows_that_need_an_empty_table_say_it_is_empty(problems: Problems) -> None:
    """An empty table was read: its dependents say so, not that it could not be read."""
    plans = "id,role_kind,base_pay,target_variable\np1,service,30000,3000\n"
    assert problems({"plans.csv": plans, "components.csv": "\n"}) == [
        "components.csv: error: empty table: expected a header row with the components "
        "columns [empty-table]",
        "plans.csv:2: error: plan 'p1': has no components: components.csv, this folder's "
        "components table, is empty; the plan is checked once it can be [no-components]"]


# --- workbooks ---------------------------------------------------------------------------

def test_workbook_native_cells_and_sheet_names(inputs: Inputs, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    plans = book.active
    plans.title = "Plans"
    plans.append(["id", "role_kind", "base_pay", "target_variable", "customer_facing",
                  "effective_from", "headcount"])
    plans.append(["p1", "service", 30000, 3000.0, True, dt.datetime(2027, 1, 1), 12])
    plans.append(["p2", "Service", "30000", "3000", "yes", "2027-01-01", 12.0])
    components = book.create_sheet("components")
    components.append(["plan_id", "kpi", "weight"])
    components.append(["p1", "fcr", 1])
    components.append(["p2", "fcr", "100%"])
    book.create_sheet("Notes").append(["anything"])
    book.create_sheet("compnents")
    book.save(tmp_path / "book.xlsx")
    model = load_model(["book.xlsx"])
    assert [str(p) for p in model.problems] == [
        "book.xlsx[Notes]: warning: sheet 'Notes' is not a policycheck table; skipped; "
        "expected one of plans, components, gates, modifiers, competitions, consequences, "
        "campaigns, kpis, employees [unrecognised-sheet]",
        "book.xlsx[compnents]: error: sheet 'compnents' is not a policycheck table; skipped; "
        "expected one of plans, components, gates, modifiers, competitions, consequences, "
        "campaigns, kpis, employees; did you mean 'components'? [unrecognised-sheet]"]
    plans_frame = model.plans
    assert plans_frame["src_sheet"].tolist() == ["Plans", "Plans"]
    assert plans_frame["src_line"].tolist() == [2, 3]
    for column in ("role_kind", "base_pay", "target_variable", "customer_facing",
                   "effective_from", "headcount"):
        assert plans_frame[column].iat[0] == plans_frame[column].iat[1], column


def test_workbook_cell_problem_names_sheet_and_row(problems: Problems, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "plans"
    sheet.append(["id", "role_kind", "base_pay", "target_variable"])
    sheet.append(["p1", "service", True, 0])
    book.save(tmp_path / "book.xlsx")
    assert problems({}) == [
        "book.xlsx[plans]:2: error: plan 'p1': base_pay: got true, expected a number; yes/no "
        "and true/false are not numbers [invalid-value]"]


def test_broken_workbook(problems: Problems) -> None:
    found = problems({"book.xlsx": b"not a zip file"})
    assert len(found) == 1
    assert found[0].startswith("book.xlsx: error: cannot open as an .xlsx workbook: ")


# --- folders and file recognition -------------------------------------------------------

def test_folder_walk_skips_hidden_and_sorts(inputs: Inputs) -> None:
    inputs({"b/plan.yaml": PLANS_YAML.replace("p1", "b1"),
            "a.yaml": PLANS_YAML.replace("p1", "a1"),
            ".hidden.yaml": "x: [",
            ".git/config.yaml": "x: [",
            "sub/.cache/broken.yaml": "x: [",
            "__pycache__/x.yaml": "x: [",
            "README.md": "# plans",
            "policycheck.yaml": "rules: []\n"})
    loaded = load_paths(["."])
    assert loaded.files == ["a.yaml", "b/plan.yaml"]
    assert loaded.skipped == ["README.md", "policycheck.yaml"]
    assert loaded.problems == []
    model = load_model(["."])
    assert list(model.plans["plan_id"]) == ["a1", "b1"]


def test_unrecognised_files_in_a_folder_and_named(problems: Problems) -> None:
    files: dict[str, str | bytes] = {
        "other.yaml": "name: some other tool\n", "plna.yaml": "plna: {id: x}\n",
        "budget.csv": "a,b\n1,2\n", "compnents.csv": "plan_id\n"}
    assert problems(files) == [
        "budget.csv: warning: 'budget.csv' is not a policycheck table name; skipped; expected "
        "one of plans.csv, components.csv, gates.csv, modifiers.csv, competitions.csv, "
        "consequences.csv, campaigns.csv, kpis.csv, employees.csv [unrecognised-file]",
        "compnents.csv: error: 'compnents.csv' is not a policycheck table name; skipped; "
        "expected one of plans.csv, components.csv, gates.csv, modifiers.csv, "
        "competitions.csv, consequences.csv, campaigns.csv, kpis.csv, employees.csv; did you "
        "mean 'components.csv'? [unrecognised-file]",
        "other.yaml: warning: not a plan file or KPI catalog (no top-level 'plan', 'plans' or "
        "'kpis' key); skipped [unrecognised-file]",
        "plna.yaml:1:1: error: unknown top-level key 'plna'; did you mean 'plan'? "
        "[unrecognised-file]"]
    named = load_model(["other.yaml", "budget.csv", "notes.txt"])
    assert [str(p) for p in named.problems] == [
        "budget.csv: error: 'budget.csv' is not a policycheck table name; skipped; expected "
        "one of plans.csv, components.csv, gates.csv, modifiers.csv, competitions.csv, "
        "consequences.csv, campaigns.csv, kpis.csv, employees.csv [unrecognised-file]",
        "notes.txt: error: no such file or folder [missing-path]",
        "other.yaml:1:1: error: not a plan file or KPI catalog: expected a top-level 'plan', "
        "'plans' or 'kpis' key [unrecognised-file]"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_device_or_a_pipe_named_is_said_to_be_one(inputs: Inputs) -> None:
    """/dev/stdin or a named pipe is neither a file nor a folder: it is said so, not that
    it does not exist (and is never read, which could wait for ever)."""
    inputs({})
    os.mkfifo("plans.yaml")
    model = load_model(["plans.yaml", "gone.yaml"])
    assert [str(p) for p in model.problems] == [
        "gone.yaml: error: no such file or folder [missing-path]",
        "plans.yaml: error: is not a file or a folder (a device, a pipe or a socket): "
        "expected a file or a folder of plans [missing-path]"]


def test_named_file_of_another_kind(problems: Problems, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    model = load_model(["notes.txt"])
    assert [str(p) for p in model.problems] == [
        "notes.txt: error: not a plan file: expected .yaml, .yml, .csv or .xlsx "
        "[unrecognised-file]"]


def test_file_too_large(inputs: Inputs) -> None:
    inputs({"a.yaml": PLANS_YAML})
    loaded = load_paths(["."], max_bytes=100)
    assert [str(p) for p in loaded.problems] == [
        f"a.yaml: error: file is {len(PLANS_YAML.encode()):,} bytes; the limit is 100 (raise "
        "it with policycheck --max-file-size MB) [file-too-large]"]


def test_tables_have_a_larger_size_limit_than_yaml_and_the_flag_sets_both(
        inputs: Inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    from policycheck.limits import MAX_FILE_BYTES, MAX_TABLE_BYTES, size_limit

    assert size_limit(".yaml", None) == MAX_FILE_BYTES < size_limit(".csv", None) == \
        MAX_TABLE_BYTES
    monkeypatch.setenv("POLICYCHECK_MAX_FILE_SIZE", "0.5")
    assert size_limit(".csv", None) == size_limit(".yaml", None) == 512 * 1024


def test_yaml_and_tables_mix_in_one_folder(inputs: Inputs) -> None:
    inputs({"a.yaml": PLANS_YAML,
            "plans.csv": PLAN_CSV.replace("p1", "p2"),
            "kpis.yaml": "kpis:\n  - {id: own_kpi, category: quality, direction: higher}\n",
            "components.csv": "plan_id,kpi,weight\n"})
    model = load_model(["."])
    assert [str(p) for p in model.problems] == []
    assert list(model.plans["plan_id"]) == ["p1", "p2"]
    assert "own_kpi" in set(model.frames["kpis"]["kpi_id"])


# Cells of every type a sheet holds; text without "=" (openpyxl writes that as a formula).
_SHEET_CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e18, max_value=1e18),
    st.text(alphabet=st.sampled_from(" ab1.%-x\u00e9\u2013"), max_size=6),
    st.dates(dt.date(1901, 1, 1), dt.date(2200, 12, 31)),
    st.datetimes(dt.datetime(1901, 1, 1), dt.datetime(2200, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0)))


def _frames_of(path: Path) -> tuple[list[str], dict[str, pd.DataFrame]]:
    model = load_model([path])
    return [str(p) for p in model.problems], model.frames


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_SHEET_CELLS, min_size=0, max_size=8), min_size=1, max_size=6))
@example(rows=[[9126321540433800.0], [1.2e16, 9007199254740994.0]])  # past 2**53; 1e16 on
def test_workbook_cells_read_as_openpyxl_reads_them(
        rows: list[list[object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """calamine reads a sheet without formulas, openpyxl one with them: both give the same
    frames and the same problems, whatever the cells hold."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "plans"
    sheet.append(["id", "name", "base_pay", "target_variable", "effective_from",
                  "customer_facing", "headcount", "owner"])
    for row in rows:
        sheet.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    fast = _frames_of(path)
    with monkeypatch.context() as patched:  # every sheet read as if it held a formula
        patched.setattr(workbooks, "scan", lambda p, part: workbooks.Scan(formulas=True))
        slow = _frames_of(path)
    assert fast[0] == slow[0]
    for name, frame in slow[1].items():
        pd.testing.assert_frame_equal(fast[1][name], frame, check_exact=True)


def test_workbook_sheet_with_formulas_keeps_their_text(inputs: Inputs,
                                                       tmp_path: Path) -> None:
    """A formula is read as its text (a workbook written by a script holds no value for it),
    in a sheet beside one read by calamine."""
    book = openpyxl.Workbook()
    plans = book.active
    plans.title = "plans"
    plans.append(["id", "role_kind", "base_pay", "target_variable"])
    plans.append([1001, "service", 30000, "=B2*0.1"])
    components = book.create_sheet("components")
    components.append(["plan_id", "kpi", "weight"])
    components.append([1001, "fcr", 1])
    book.save(tmp_path / "book.xlsx")
    model = load_model(["book.xlsx"])
    assert [str(p) for p in model.problems] == [
        "book.xlsx[plans]:2: error: plan '1001': target_variable: got '=B2*0.1', expected a "
        "number [invalid-value]"]
    assert model.invalid_plans == ("1001",)


def test_workbook_whole_numbers_are_integers(inputs: Inputs, tmp_path: Path) -> None:
    """A number typed in a text field reads as it shows: 1001, not 1001.0."""
    book = openpyxl.Workbook()
    plans = book.active
    plans.title = "plans"
    plans.append(["id", "role_kind", "base_pay", "target_variable", "owner", "headcount"])
    plans.append([1001, "service", 30000.0, 0, 2027.5, 12])
    book.save(tmp_path / "book.xlsx")
    model = load_model(["book.xlsx"])
    assert [str(p) for p in model.problems] == []
    assert model.plans[["plan_id", "owner"]].values.tolist() == [["1001", "2027.5"]]
    assert model.plans["headcount"].tolist() == [12]


def test_workbook_sheet_that_cannot_be_read(inputs: Inputs, tmp_path: Path) -> None:
    """A sheet whose XML is broken is named in an error; the other sheets are read."""
    book = openpyxl.Workbook()
    book.active.title = "plans"
    book.active.append(["id", "role_kind", "base_pay", "target_variable"])
    book.active.append(["p1", "service", 30000, 0])
    book.create_sheet("components").append(["plan_id", "kpi", "weight"])
    book.save(tmp_path / "good.xlsx")
    with zipfile.ZipFile(tmp_path / "good.xlsx") as good, \
            zipfile.ZipFile(tmp_path / "book.xlsx", "w") as bad:
        for item in good.infolist():
            data = good.read(item)
            bad.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet2.xml")
                         else data)
    model = load_model(["book.xlsx"])
    found = [str(p) for p in model.problems]
    assert len(found) == 1
    assert found[0].startswith("book.xlsx[components]: error: cannot read sheet 'components': ")
    assert found[0].endswith(" [bad-workbook]")  # the reason is calamine's own words
    assert model.plans["plan_id"].tolist() == ["p1"]


def test_workbook_largest_sheet_parsed_beside(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large workbook's largest sheet is parsed on a helper thread, and read last: the
    frames and problems are those of reading the sheets one by one."""
    book = Path(__file__).parent.parent / "sample_data" / "xlsx" / "company.xlsx"
    alone = _frames_of(book)
    monkeypatch.setattr(workbooks, "AHEAD_BYTES", 0)
    helped: list[str] = []
    prepare = workbooks._prepare

    def noted(*args: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            helped.append(args[-1])
        return prepare(*args)

    monkeypatch.setattr(workbooks, "_prepare", noted)
    beside = _frames_of(book)
    assert helped == ["employees"]  # the largest table sheet (kpi_actuals is not one)
    assert beside[0] == alone[0]
    for name, frame in alone[1].items():
        pd.testing.assert_frame_equal(beside[1][name], frame, check_exact=True)


def test_workbook_sheet_whose_xml_is_not_found_is_read_by_openpyxl(
        inputs: Inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the sheet's XML cannot be found to scan it, a formula might hide in it: the
    sheet is read as one with formulas, never as the values saved with them."""
    book = openpyxl.Workbook()
    plans = book.active
    plans.title = "plans"
    plans.append(["id", "role_kind", "base_pay", "target_variable"])
    plans.append(["p1", "service", 30000, "=C2*0.1"])
    book.save(tmp_path / "book.xlsx")
    contents = workbooks.contents
    monkeypatch.setattr(workbooks, "contents", lambda path: (contents(path)[0], {}))
    assert [str(p) for p in load_model(["book.xlsx"]).problems] == [
        "book.xlsx[plans]:2: error: plan 'p1': target_variable: got '=C2*0.1', expected a "
        "number [invalid-value]"]


def test_workbook_sheet_parts_as_other_writers_spell_them(tmp_path: Path) -> None:
    """The sheets' XML is found by name whatever the writer's prefixes, attribute order,
    escapes and relative or absolute targets."""
    book = ('<x:workbook xmlns:x="s" xmlns:r="r"><x:sheets>'
            '<x:sheet name="plans" sheetId="1" r:id="rId1"/>'
            '<x:sheet r:id="rId2" sheetId="2" name="R&amp;D"/>'
            '<x:sheet name="gates" sheetId="3" r:id="rId9"/></x:sheets></x:workbook>')
    relations = ('<Relationships><Relationship Id="rId1" Type="t" '
                 'Target="worksheets/sheet1.xml"/>'
                 '<Relationship Target="/xl/worksheets/other.xml" Type="t" Id="rId2"/>'
                 '</Relationships>')
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as archive:
        archive.writestr("xl/workbook.xml", book)
        archive.writestr("xl/_rels/workbook.xml.rels", relations)
    assert workbooks.contents(tmp_path / "book.xlsx")[1] == {
        "plans": "xl/worksheets/sheet1.xml", "R&D": "xl/worksheets/other.xml"}


@pytest.mark.parametrize(("cells", "formulas"), [
    ('<c r="A2"><v>1</v></c>', False),
    ('<c r="A2"><f>B2*2</f><v>4</v></c>', True),
    ('<c r="A2"><f t="shared" si="0"/><v>4</v></c>', True),
    ('<x:c r="A2"><x:f>B2</x:f></x:c>', True),
    ('<c r="A2" t="inlineStr"><is><t>a &lt;f&gt; b:f</t></is></c>', False),
])
def test_workbook_scan_finds_formulas_and_merged_ranges(tmp_path: Path, cells: str,
                                                         formulas: bool) -> None:
    """A formula is any cell's ``f`` element, prefixed or not; a validation's ``formula1``
    and text that mentions one are not. Merged ranges past the first MB are found too."""
    filler = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>' * 30_000
    sheet = (f'<worksheet><sheetData>{filler}<row r="2">{cells}</row></sheetData>'
             '<mergeCells><mergeCell ref="B4:B5"/><mergeCell ref="A3:A4"/></mergeCells>'
             '<dataValidations><dataValidation><formula1>1</formula1></dataValidation>'
             '</dataValidations></worksheet>')
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    scan = workbooks.scan(tmp_path / "book.xlsx", "xl/worksheets/sheet1.xml")
    assert len(sheet) > 1 << 20  # read in more than one chunk
    assert scan.formulas is formulas
    assert scan.merged == ["A3:A4", "B4:B5"]


def test_workbook_read_by_openpyxl_where_calamine_would_not_fit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """calamine aborts the process where it cannot allocate; under an address-space limit
    too tight for it, openpyxl reads every sheet (and raises MemoryError, reported with
    exit code 3, if even that does not fit): the same frames and problems."""
    book = Path(__file__).parent.parent / "sample_data" / "xlsx" / "company.xlsx"
    calamine = _frames_of(book)
    monkeypatch.setattr(limits, "address_room", lambda: 0)
    opened: list[object] = []
    sheets = workbooks._calamine_sheets
    monkeypatch.setattr(workbooks, "_calamine_sheets",
                        lambda book: opened.append(book) or sheets(book))
    frugal = _frames_of(book)
    assert opened == []  # no calamine workbook at all
    assert frugal[0] == calamine[0]
    for name, frame in calamine[1].items():
        pd.testing.assert_frame_equal(frugal[1][name], frame, check_exact=True)
    assert workbooks._calamine_fits({"xl/worksheets/sheet1.xml": 10}) is False
    monkeypatch.setattr(limits, "address_room", lambda: math.inf)
    assert workbooks._calamine_fits({"xl/worksheets/sheet1.xml": 10**12}) is True


@pytest.mark.parametrize(("name", "entity"), [
    ("components", "components"), ("Components (2)", "components"),
    ("components(12)", "components"), (" plans (3) ", "plans"), ("kpi (2)", "kpis"),
    ("components (1)", None), ("components (0)", None), ("components (02)", None),
    ("notes (2)", None), ("(2)", None), ("components (2) old", None),
])
def test_a_sheet_named_as_a_table_with_a_part_number_continues_it(
        name: str, entity: str | None) -> None:
    """"components (2)" holds the rows past what the "components" sheet holds (as export
    and the Excel report name them); a copy's "(1)" or a zero-padded number is not one."""
    from policycheck.tables import sheet_entity, sheet_parts

    spec = sheet_entity(name)
    assert (spec.name if spec else None) == entity
    assert sheet_parts("components", 0) == [("components", 0, 0)]
    rows = 3 * 1_048_575 + 1
    assert sheet_parts("components", rows) == [
        ("components", 0, 1_048_575), ("components (2)", 1_048_575, 2_097_150),
        ("components (3)", 2_097_150, 3_145_725), ("components (4)", 3_145_725, rows)]


def test_a_sheet_copied_in_excel_is_read_and_its_repeated_plans_are_errors(
        tmp_path: Path) -> None:
    """Excel names a copy of the "plans" sheet "plans (2)", as export names the rows past
    what one sheet holds: it is read as more rows of plans, so each plan it repeats is an
    error naming both rows, not a sheet skipped with a warning."""
    book = openpyxl.load_workbook(Path(__file__).parent.parent / "sample_data" / "xlsx"
                                  / "company.xlsx")
    book.copy_worksheet(book["plans"]).title = "plans (2)"
    path = tmp_path / "copied.xlsx"
    book.save(path)
    problems, _ = _frames_of(path)
    repeated = [p for p in problems if "duplicate plan id" in p]
    assert len(repeated) == 17
    assert repeated[0] == (
        f"{path}[plans (2)]:2: error: duplicate plan id 'bo-billing-ops-2027' (first defined "
        f"at {path}[plans]:2); expected each id once [duplicate-id]")


def test_a_reports_title_above_the_header_is_skipped_with_a_warning(
        problems: Problems) -> None:
    """HR systems' reports put a title, a date and a blank line above the header: every
    row was "a plan with no id" (a workbook) or "has 4 cells but the header has 1" (CSV).
    The rows above a header that names the table's columns, where the first names none,
    are skipped with a warning, and every row keeps its line number."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Plans"
    for row in (["Compensation plans FY2027"], [], ["Plan ID", "Role kind", "Base pay",
                                                      "Target variable"],
                ["w1", "service", 30000, 3000], ["w2", "service", "lots", 3000]):
        book["Plans"].append(row)
    book.create_sheet("Components").append(["Plan ID", "KPI", "Weight"])
    for plan in ("w1", "w2"):
        book["Components"].append([plan, "fcr", 1])
    Path("book").mkdir()
    book.save("book/plans.xlsx")
    assert problems({
        "t/plans.csv": "\n\nRapport: Verg\xfctung 2027;;\nStand: 2027-01-01\n\n"
                       "plan_id;role_kind;base_pay;target_variable\n"
                       "p1;service;30000;3000\np2;service;lots;3000\n",
        "t/components.csv": "plan_id,kpi,weight\np1,fcr,1\np2,fcr,1\n",
        "u/plans.csv": "Plans\nplan_id,role_kind,base_pay,target_variable\nq1,service,1,0\n",
        "u/components.csv": "plan_id,kpi,weight\nq1,fcr,1\n",
        # a header of misspelt names is no title: it is said as it was
        "v/plans.csv": "plan_idd,rolekind\nr1,service\n",
    }) == [
        "book/plans.xlsx[Plans]:1: warning: rows 1 to 2, above the header on row 3, name "
        "none of the table's columns: skipped as a title [title-rows]",
        "book/plans.xlsx[Plans]:5: error: plan 'w2': base_pay: got 'lots', expected a number "
        "[invalid-value]",
        "t/plans.csv:3: warning: rows 3 to 5, above the header on row 6, name none of the "
        "table's columns: skipped as a title [title-rows]",
        "t/plans.csv:8: error: plan 'p2': base_pay: got 'lots', expected a number "
        "[invalid-value]",
        "u/plans.csv:1: warning: row 1, above the header on row 2, names none of the table's "
        "columns: skipped as a title [title-rows]",
        "v/plans.csv:1: error: the plans table has no 'id', 'role_kind', 'base_pay', "
        "'target_variable' column; expected at least the columns id, role_kind, base_pay, "
        "target_variable [missing-column]",
        "v/plans.csv:1:1: error: unknown column 'plan_idd' in the plans table; did you mean "
        "'plan_id'? [unknown-column]",
        "v/plans.csv:1:2: error: unknown column 'rolekind' in the plans table; did you mean "
        "'role_kind'? [unknown-column]",
        "v/plans.csv:2: error: plan has no id; expected an 'id' unique across all inputs "
        "[missing-field]"]


@pytest.mark.parametrize("plans_sheet, components_sheet", [("Plans 2027", "components"),
                                                            ("plans", "FY27 Components")])
def test_a_misnamed_sheet_is_named_once_not_in_every_row_that_needs_it(
        inputs: Inputs, tmp_path: Path, plans_sheet: str, components_sheet: str) -> None:
    """A plans sheet renamed 'Plans 2027' made an error of every row of every other sheet
    (447 on the sample company), with no hint at the name: the sheet is said to be the
    plans table misnamed, and each sheet's rows that name its plans are said once."""
    inputs({})
    book = openpyxl.Workbook()
    book.active.title = plans_sheet
    book.active.append(["id", "role_kind", "base_pay", "target_variable"])
    book.active.append(["p1", "service", 30000, 3000])
    book.active.append(["p2", "service", 30000, 3000])
    components = book.create_sheet(components_sheet)
    components.append(["plan_id", "kpi", "weight"])
    components.append(["p1", "fcr", 1])
    components.append(["p2", "fcr", 1])
    gates = book.create_sheet("gates")
    gates.append(["plan_id", "kpi", "min", "applies_to"])
    gates.append(["p1", "csat", 70, "fcr"])
    book.save(tmp_path / "book.xlsx")
    found = [str(p) for p in load_model(["book.xlsx"]).problems]
    table = "plans" if plans_sheet != "plans" else "components"
    misnamed = plans_sheet if table == "plans" else components_sheet
    why = f"book.xlsx has no {table} sheet (is it '{misnamed}'? name that sheet '{table}')"
    said = [f"book.xlsx[{misnamed}]: error: sheet '{misnamed}' is not a policycheck table; "
            "skipped; expected one of plans, components, gates, modifiers, competitions, "
            "consequences, campaigns, kpis, employees; did you mean "
            f"'{table}'? [unrecognised-sheet]"]
    if table == "plans":  # the run has no plan: warnings beside the sheet's error
        said += [f"book.xlsx[components]: warning: 2 rows name plans no input defines: {why}; "
                 "they are checked once it can be [unknown-plan]",
                 f"book.xlsx[gates]: warning: 1 row names a plan no input defines: {why}; it "
                 "is checked once it can be [unknown-plan]"]
    else:
        said += [f"book.xlsx[plans]:{line}: error: plan '{plan}': has no components: {why}; "
                 "the plan is checked once it can be [no-components]"
                 for line, plan in ((2, "p1"), (3, "p2"))]
    assert sorted(found) == sorted(said)


def test_a_merged_title_above_the_header_is_skipped_with_the_title(inputs: Inputs,
                                                                    tmp_path: Path) -> None:
    """A report's title merged across the columns was skipped as a title and yet an error
    (merged cells A1:D1), so the sheet read whole but the run failed."""
    inputs({})
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "plans"
    sheet.append(["Harbourline compensation export"])
    sheet.merge_cells("A1:D1")
    sheet.append(["id", "role_kind", "base_pay", "target_variable"])
    sheet.append(["p1", "service", 30000, 0])
    sheet.append(["p2", "service", 30000, 0])
    sheet.merge_cells("C3:C4")  # in the table: a value lost, still an error
    book.save(tmp_path / "book.xlsx")
    found = [str(p) for p in load_model(["book.xlsx"]).problems]
    assert found == [
        "book.xlsx[plans]:1: warning: row 1, above the header on row 2, names none of the "
        "table's columns: skipped as a title [title-rows]",
        "book.xlsx[plans]:3:3: error: merged cells C3:C4: only the first cell of a merged "
        "range holds its value; expected one value per cell (unmerge and fill each row) "
        "[merged-cells]",
        "book.xlsx[plans]:4: error: plan 'p2': base_pay is required [missing-field]"]


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_a_row_after_a_cell_of_several_lines_is_named_by_its_line(problems: Problems,
                                                                   end: str) -> None:
    """A quoted cell holding line breaks makes its row more than one line of the file: the
    rows after it were named by their record number, and annotations pointed lines above
    them."""
    name = '"Billing operations' + end + 'efficiency bonus' + end + '2027"'
    found = problems({"plans.csv": end.join([
        "id,name,role_kind,base_pay,target_variable", f"p1,{name},service,30000,0",
        "p2,Plain,service,lots,0", "", "p3,Plain,service,\"x\",0", ""])})
    assert found == [
        "plans.csv:5: error: plan 'p2': base_pay: got 'lots', expected a number "
        "[invalid-value]",
        "plans.csv:7: error: plan 'p3': base_pay: got 'x', expected a number [invalid-value]"]
