"""Export writes no table that reads back as other plans (SPEC 3.2: a list is ``;``-separated
in a cell, rates are ``gold=120;silver=80``, and the table syntax has no escape).

A product of ``rates`` holding a separator, or a product a component names twice, is
refused before anything is written (exit 2, a problem per value at its input's file and
line); a YAML list item holding ``;`` is refused when the plans are read (it became two
items); every other value is written and read back as it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from policycheck import export, exporttables
from policycheck.cli import main
from policycheck.errors import UsageError
from policycheck.export import write_csv_folder, write_workbook
from policycheck.validation import Model, load_model, model_without_sources

PLAN = """\
plan:
  id: desk
  role_kind: retention
  base_pay: 22000
  target_variable: 9000
  duties: {duties}
  components:
    - id: saves
      kpi: save_rate
      weight: 1
      rates: {rates}
"""
REFUSED = ("policycheck: error: {count} cannot be written in a table cell, which would read "
           "back as other values; nothing was written")
PRODUCT = ("plan.yaml:8:7: error: plan 'desk', component 'saves': rates: product {product} "
           "holds {held}, which {why} ('gold=120;silver=80'); expected a product without ';' "
           "or '=' [unexportable-value]")
SEMICOLON = "separates the products of a rates cell"
EQUALS = "separates a product from its rate in a rates cell"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def plan_file(folder: Path, duties: str = '["coach"]', rates: str = "{gold: 120}") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.yaml").write_text(PLAN.format(duties=duties, rates=rates),
                                      encoding="utf-8")
    return folder


# --- the refusal, message by message ----------------------------------------------------

def test_the_analysts_plan_is_refused_and_nothing_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reported plan: its duty 'resolve issue; fully' became two duties when read, and
    its products 'gold=plus' and 'silver;x' made a rates cell no table reads. The duty is
    an error when the plan is read; the products, when it is exported."""
    monkeypatch.chdir(plan_file(tmp_path, '["resolve issue; fully", "fair:deal"]',
                                '{"gold=plus": 120, "silver;x": 80, "a:b": 10}'))
    code, out, _ = run(capsys, "validate", "plan.yaml")
    assert code == 2
    assert out.splitlines()[0] == (
        "plan.yaml:6:3: error: plan 'desk': duties: got ['resolve issue; fully', "
        "'fair:deal'], expected a list of names; an item holds ';', which separates the "
        "items of a list: write its parts as items of their own, or the item without ';' "
        "[invalid-value]")
    monkeypatch.chdir(plan_file(tmp_path / "b", '["resolve issue", "fully", "fair:deal"]',
                                '{"gold=plus": 120, "silver;x": 80, "a:b": 10}'))
    (tmp_path / "b" / "old.xlsx").write_bytes(b"kept")
    code, out, err = run(capsys, "export", "plan.yaml", "--csv", "csv", "--xlsx", "old.xlsx")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        PRODUCT.format(product="'gold=plus'", held="'='", why=EQUALS),
        PRODUCT.format(product="'silver;x'", held="';'", why=SEMICOLON),
        REFUSED.format(count="2 values"),
    ]
    assert not (tmp_path / "b" / "csv").exists()
    assert (tmp_path / "b" / "old.xlsx").read_bytes() == b"kept"
    code, _, err = run(capsys, "export", "plan.yaml", "--xlsx", "new.xlsx")
    assert (code, err.splitlines()[-1]) == (2, REFUSED.format(count="2 values"))
    assert not (tmp_path / "b" / "new.xlsx").exists()


@pytest.mark.parametrize("duties", ['["x;"]', '[";"]', '["a", "b ;c", "d"]', '["a;;b"]'])
def test_a_list_item_holding_a_separator_is_refused_when_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        duties: str) -> None:
    monkeypatch.chdir(plan_file(tmp_path, duties=duties))
    code, out, _ = run(capsys, "validate", "plan.yaml")
    assert code == 2
    assert "an item holds ';', which separates the items of a list" in out.splitlines()[0]


@pytest.mark.parametrize("rates, line", [
    ('{"a;b=c": 1}', "plan.yaml:8:7: error: plan 'desk', component 'saves': rates: product "
     "'a;b=c' holds ';' and '=', which separate the products of a rates cell, and a product "
     "from its rate ('gold=120;silver=80'); expected a product without ';' or '=' "
     "[unexportable-value]"),
    ('{";gold": 1}', PRODUCT.format(product="';gold'", held="';'", why=SEMICOLON)),
    ('{"gold": 120, " gold": 80, "Gold": 3}',
     "plan.yaml:8:7: error: plan 'desk', component 'saves': rates: product 'gold' is named 2 "
     "times (keys that differ only in spaces at their ends are one product), and a rates "
     "cell keeps its last rate only; expected each product once [unexportable-value]"),
])
def test_products_a_rates_cell_cannot_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, rates: str,
                                           line: str) -> None:
    monkeypatch.chdir(plan_file(tmp_path, rates=rates))
    code, out, err = run(capsys, "export", "plan.yaml", "--csv", "csv")
    assert (code, out, err.splitlines()) == (2, "", [line, REFUSED.format(count="1 value")])


def test_kpi_sources_holding_a_separator_are_refused_when_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(plan_file(tmp_path))
    (tmp_path / "kpis.yaml").write_text(
        "kpis:\n  - id: desk_saves\n    category: retention_save\n    direction: higher\n"
        '    sources: ["crm; weekly", "dialler"]\n', encoding="utf-8")
    code, out, _ = run(capsys, "validate", ".")
    assert code == 2
    assert out.splitlines()[0] == (
        "kpis.yaml:5:5: error: KPI 'desk_saves': sources: got ['crm; weekly', 'dialler'], "
        "expected a list of names; an item holds ';', which separates the items of a list: "
        "write its parts as items of their own, or the item without ';' [invalid-value]")


def test_separators_of_other_fields_are_written_and_read_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """':' and '=' in a duty, ':' in a product: no separator of theirs; kept as written."""
    monkeypatch.chdir(plan_file(tmp_path, '["fair:deal", "a=b", "x, y"]',
                                '{"a:b": 10, "gold plus": 120}'))
    assert run(capsys, "export", "plan.yaml", "--csv", "csv", "--xlsx", "book.xlsx")[0] == 0
    model = load_model(["plan.yaml"])
    for written in ("csv", "book.xlsx"):
        assert_same_frames(model, load_model([written]))
    assert model.frames["plans"]["duties"].tolist() == ["fair:deal;a=b;x, y"]


# --- the round trip: refused, or read back the same -------------------------------------

def assert_same_frames(left: Model, right: Model) -> None:
    ours, theirs = model_without_sources(left), model_without_sources(right)
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        pd.testing.assert_frame_equal(ours[name], theirs[name], obj=f"frame '{name}'")


def unchecked_table_frames(model: Model) -> dict[str, pd.DataFrame]:
    """The tables as export wrote them before it looked for values no cell can hold."""
    return {spec.name: exporttables._table(spec, frame, model.frames)
            for spec, frame in _specs_and_frames(model)}


def _specs_and_frames(model: Model) -> list[tuple[Any, pd.DataFrame]]:
    from policycheck.catalog import LIBRARY_NAME
    from policycheck.model import CHILDREN, EMPLOYEE, KPI, PLAN

    out = []
    for spec in (PLAN, *CHILDREN, KPI, EMPLOYEE):
        frame = model.frames[spec.name]
        out.append((spec, frame[frame["src_file"] != LIBRARY_NAME] if spec is KPI else frame))
    return out


def same_frames(left: Model, right: Model) -> bool:
    try:
        assert_same_frames(left, right)
    except AssertionError:
        return False
    return True


#: Text with the separators of every cell syntax, spaces and quotes.
PIECE = st.text(alphabet="ab ;:=,\"'\t", min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.function_scoped_fixture])
@given(duties=st.lists(PIECE, max_size=3),
       rates=st.dictionaries(PIECE, st.integers(0, 500), min_size=1, max_size=3))
def test_export_refuses_exactly_what_would_read_back_otherwise(
        duties: list[str], rates: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid plans of any duties and rates: export refuses them, with a problem of each
    value refused, or writes tables (CSV and workbook) read back as the same plans; and it
    refuses only plans whose tables, written anyway, would read back otherwise."""
    plan: dict[str, Any] = {
        "id": "p", "role_kind": "service", "base_pay": 30000, "target_variable": 3000,
        "components": [{"id": "c", "kpi": "fcr", "weight": 1, "rates": rates}]}
    if duties:
        plan["duties"] = duties
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "plan.yaml").write_text(yaml.safe_dump({"plan": plan}), encoding="utf-8")
        model = load_model([root / "plan.yaml"])
        if model.errors:  # a product of spaces only, a duty 'no': not plans to export
            event("not valid")
            return
        try:
            write_csv_folder(model, root / "csv")
            write_workbook(model, root / "book.xlsx")
        except UsageError as refused:
            event("refused")
            assert refused.problems
            assert {p.code for p in refused.problems} == {"unexportable-value"}
            assert not (root / "csv").exists() and not (root / "book.xlsx").exists()
            with monkeypatch.context() as patched:  # the tables written all the same
                patched.setattr(export, "table_frames", unchecked_table_frames)
                write_csv_folder(model, root / "csv")
                write_workbook(model, root / "book.xlsx")
            assert not (same_frames(model, load_model([root / "csv"]))
                        and same_frames(model, load_model([root / "book.xlsx"])))
            return
        event("written")
        for written in (root / "csv", root / "book.xlsx"):
            again = load_model([written])
            assert [str(p) for p in again.problems] == []
            assert_same_frames(model, again)
