"""The same plans as YAML, as CSV tables and as an .xlsx workbook give identical frames.

Frames are compared without their source columns (file, sheet, line, column), which are the
only thing allowed to differ between the forms.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck.export import write_csv_folder, write_workbook
from policycheck.model import (
    BASES,
    CLAWBACK_TRIGGERS,
    COMPETITION_BASES,
    CONSEQUENCE_ACTIONS,
    CURVES,
    PERIODS,
    ROLE_KINDS,
)
from policycheck.validation import Model, load_model, model_without_sources

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


def assert_same_frames(left: Model, right: Model) -> None:
    ours, theirs = model_without_sources(left), model_without_sources(right)
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        pd.testing.assert_frame_equal(ours[name], theirs[name], obj=f"frame '{name}'")


def assert_valid(model: Model) -> None:
    """No problem, but for a random threshold past its random target (a warning)."""
    assert [str(p) for p in model.problems if p.code != "threshold-side"] == []


# --- (a) the sample company -------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_models() -> dict[str, Model]:
    return {form: load_model([SAMPLE / form]) for form in ("yaml", "csv", "xlsx")}


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_sample_tables_equal_sample_yaml(sample_models: dict[str, Model], form: str) -> None:
    assert_valid(sample_models[form])
    assert sample_models[form].plans_valid == 17
    assert_same_frames(sample_models["yaml"], sample_models[form])


def test_sample_yaml_exported_reads_back_the_same(sample_models: dict[str, Model],
                                                  tmp_path: Path) -> None:
    model = sample_models["yaml"]
    write_csv_folder(model, tmp_path / "csv")
    write_workbook(model, tmp_path / "book.xlsx")
    assert_same_frames(model, load_model([tmp_path / "csv"]))
    assert_same_frames(model, load_model([tmp_path / "book.xlsx"]))


def test_sample_org_unit_na_is_north_america(sample_models: dict[str, Model]) -> None:
    for model in sample_models.values():
        units = model.frames["employees"]["org_unit"]
        assert units.notna().all()
        assert "NA" in set(units)


# --- (b) random valid plans -------------------------------------------------------------

KPIS = ("aht", "fcr", "qa_score", "csat", "revenue", "accounts_opened", "repeat_contact",
        "first_time_fix", "save_rate", "amount_collected", "schedule_adherence", "nps")
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
#: Free text: letters, digits and inner punctuation a plan name or trigger might hold.
TEXT = st.builds(lambda first, rest: (first + rest).strip(), WORD,
                 st.text(alphabet="abcdefghij XYZ0123456789-,./()%'\"&é", max_size=20))
AMOUNT = st.one_of(st.integers(0, 200_000), st.floats(0, 200_000, allow_nan=False,
                                                    allow_infinity=False)).map(float)
DAY = st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31))


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def weights(draw: st.DrawFn, count: int) -> list[int]:
    """``count`` weights in basis points that sum to exactly 10,000."""
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=count - 1,
                                max_size=count - 1)))
    edges = [0, *cuts, 10_000]
    return [b - a for a, b in itertools.pairwise(edges)]


def weight_text(points: int, style: str) -> Any:
    """A weight as a plan author writes it: "40%", "33.33%", 0.4 or 1."""
    if style == "percent":
        return f"{points / 100:g}%"
    return points / 10_000


@st.composite
def curve_points(draw: st.DrawFn) -> list[list[float]]:
    attainments = sorted(draw(st.sets(st.integers(0, 300), min_size=1, max_size=5)))
    payouts = draw(st.lists(st.integers(0, 400), min_size=len(attainments),
                            max_size=len(attainments)))
    return [[a, p] for a, p in zip(attainments, payouts, strict=True)]


@st.composite
def components(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 6))
    style = draw(st.sampled_from(["percent", "fraction"]))
    named = draw(st.booleans())  # ids written, or derived from the KPI ("fcr", "fcr-2")
    out = []
    for index, points in enumerate(draw(weights(count))):
        item: dict[str, Any] = {"kpi": draw(st.sampled_from(KPIS)),
                                "weight": weight_text(points, style)}
        if named:
            item["id"] = f"c{index + 1}-{draw(WORD)}"
        for name, strategy in (("basis", st.sampled_from(BASES)),
                               ("period", st.sampled_from(PERIODS)),
                               ("curve", st.sampled_from(CURVES)),
                               ("target", AMOUNT), ("threshold", AMOUNT),
                               ("cap", st.sampled_from([1.0, 1.5, 2.0, 2.25])),
                               ("curve_points", curve_points()),
                               ("rates", st.dictionaries(WORD, st.integers(0, 500),
                                                         min_size=1, max_size=3))):
            value = draw(optional(strategy))
            if value is not None:
                item[name] = value
        out.append(item)
    return out


def component_ids(items: list[dict[str, Any]]) -> list[str]:
    if all("id" in c for c in items):
        return [c["id"] for c in items]
    seen: dict[str, int] = {}
    ids = []
    for c in items:
        seen[c["kpi"]] = seen.get(c["kpi"], 0) + 1
        ids.append(c["kpi"] if seen[c["kpi"]] == 1 else f"{c['kpi']}-{seen[c['kpi']]}")
    return ids


@st.composite
def gate_or_modifier(draw: st.DrawFn, ids: list[str], gate: bool) -> dict[str, Any]:
    applies = draw(st.one_of(st.just("all"), st.lists(st.sampled_from(ids), min_size=1,
                                                      max_size=len(ids), unique=True)))
    item: dict[str, Any] = {"kpi": draw(st.sampled_from(KPIS)), "applies_to": applies}
    if gate:
        item[draw(st.sampled_from(["min", "max"]))] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            item.update(effect="reduce", reduce_pct=draw(st.integers(0, 100)))
        item["override_by"] = draw(optional(TEXT))
    else:
        low = draw(st.sampled_from([0.5, 0.8, 0.9, 1.0]))
        item.update(factor_min=low, factor_max=low + draw(st.sampled_from([0, 0.1, 0.25])))
    return item


@st.composite
def plans(draw: st.DrawFn, plan_id: str) -> dict[str, Any]:
    target = draw(st.integers(0, 20_000))
    start = draw(DAY)
    plan: dict[str, Any] = {
        "id": plan_id,
        "role_kind": draw(st.sampled_from(ROLE_KINDS)),
        "base_pay": draw(AMOUNT),
        "target_variable": target,
        "components": draw(components()),
    }
    optional_fields = {
        "name": TEXT, "role": TEXT, "owner": TEXT, "currency": st.sampled_from(["EUR", "GBP"]),
        "customer_facing": st.booleans(), "serves_vulnerable": st.booleans(),
        "headcount": st.integers(0, 5000), "pay_floor": AMOUNT,
        "max_variable": st.integers(target, target * 3),
        "effective_from": st.just(start),
        "effective_to": st.dates(start, dt.date(2036, 12, 31)),
        "duties": st.lists(WORD, min_size=1, max_size=3),
        "clawback": st.fixed_dictionaries({
            "triggers": st.lists(st.sampled_from(CLAWBACK_TRIGGERS), min_size=1, max_size=3),
            "window_days": st.integers(0, 365)}),
        "deferral": st.fixed_dictionaries({
            "share": st.sampled_from([0, 0.2, "30%", 0.125, "50%"]),
            "months": st.integers(0, 36)}),
        "discretion": st.fixed_dictionaries({"exists": st.booleans(),
                                             "documented_criteria": st.booleans()}),
    }
    for name, strategy in optional_fields.items():
        value = draw(optional(strategy))
        if value is not None:
            plan[name] = value
    ids = component_ids(plan["components"])
    plan["gates"] = draw(st.lists(gate_or_modifier(ids, gate=True), max_size=2))
    plan["modifiers"] = draw(st.lists(gate_or_modifier(ids, gate=False), max_size=2))
    names = draw(st.lists(WORD, max_size=2, unique=True))
    plan["competitions"] = [{"name": n, "kpi": draw(st.sampled_from(KPIS)),
                             "basis": draw(st.sampled_from(COMPETITION_BASES)),
                             "prize": draw(AMOUNT),
                             "duration_days": draw(optional(st.integers(1, 90)))}
                            for n in names]
    actions = draw(st.lists(st.sampled_from(CONSEQUENCE_ACTIONS), max_size=2, unique=True))
    plan["consequences"] = [{"kpi": draw(st.sampled_from(KPIS)), "action": a,
                             "trigger": draw(optional(TEXT))} for a in actions]
    first = draw(DAY)
    plan["campaigns"] = [{"name": f"campaign {n}", "kpi": draw(st.sampled_from(KPIS)),
                          "multiplier": draw(st.sampled_from([1, 1.25, 1.5, 2])),
                          "start": first, "end": first + dt.timedelta(days=draw(
                              st.integers(0, 60)))}
                         for n in draw(st.lists(WORD, max_size=1))]
    return {k: v for k, v in plan.items() if v != []}


@st.composite
def organisations(draw: st.DrawFn) -> dict[str, str]:
    """YAML files (and sometimes an employees table) holding 1-3 valid plans."""
    count = draw(st.integers(1, 3))
    all_plans = [draw(plans(f"plan-{i}-{draw(WORD)}")) for i in range(count)]
    files: dict[str, str] = {}
    if draw(st.booleans()):
        units = st.sampled_from(["NA", "EMEA", "APAC", "N/A", "null", "None"])
        listed = [draw(st.sampled_from(all_plans)) for _ in range(draw(st.integers(1, 4)))]
        rows = [f"e{i},{plan['id']},{draw(st.integers(0, 90_000))},{draw(units)}"
                for i, plan in enumerate(listed)]
        files["employees.csv"] = "employee_id,plan_id,base_pay,org_unit\n" + "\n".join(rows)
        for plan in listed:  # the plans' headcounts agree with the table (else a warning)
            if "headcount" in plan:
                plan["headcount"] = sum(p is plan for p in listed)
    if count == 1 and draw(st.booleans()):
        files["single.yaml"] = yaml.safe_dump({"plan": all_plans[0]}, sort_keys=False)
    else:
        files["many.yaml"] = yaml.safe_dump({"plans": all_plans}, sort_keys=False)
    return files


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(organisations())
def test_random_plans_same_in_every_form(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "yaml").mkdir()
        for name, text in files.items():
            (root / "yaml" / name).write_text(text, encoding="utf-8")
        model = load_model([root / "yaml"])
        assert_valid(model)
        write_csv_folder(model, root / "csv")
        write_workbook(model, root / "book.xlsx")
        from_csv = load_model([root / "csv"])
        from_workbook = load_model([root / "book.xlsx"])
        assert_valid(from_csv)
        assert_valid(from_workbook)
        assert_same_frames(model, from_csv)
        assert_same_frames(model, from_workbook)


def test_weight_styles_agree(tmp_path: Path) -> None:
    """"40%", 0.4 and "0.4" are one weight; so are "33.33%" and 0.3333."""
    def write(name: str, a: object, b: object, c: object) -> None:
        plan = {"id": "p", "role_kind": "service", "base_pay": 1, "target_variable": 100,
                "components": [{"kpi": "fcr", "weight": a}, {"kpi": "csat", "weight": b},
                               {"kpi": "qa_score", "weight": c}]}
        (tmp_path / name).mkdir()
        (tmp_path / name / "p.yaml").write_text(yaml.safe_dump({"plan": plan}))

    write("percent", "40%", "26.67%", "33.33%")
    write("fraction", 0.4, 0.2667, 0.3333)
    write("text", "0.4", "0.2667", " 0.3333 ")
    models = [load_model([tmp_path / n]) for n in ("percent", "fraction", "text")]
    for model in models:
        assert_valid(model)
        assert list(model.frames["components"]["weight"]) == [4000, 2667, 3333]
    assert_same_frames(models[0], models[1])
    assert_same_frames(models[0], models[2])


# Table cells as the export writes them: text (no leading "=", which openpyxl writes as a
# formula), whole and finite numbers, empty; error codes and XML-reserved characters too.
_EXPORT_CELLS = st.one_of(
    st.none(), st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["#DIV/0!", "#N/A", " padded ", "a<b>&\"c\"", "", "x" * 40]),
    st.text(alphabet=st.sampled_from(" ab1.%-;:\u00e9\u2013<&"), max_size=6))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_EXPORT_CELLS, min_size=3, max_size=3), min_size=0,
                     max_size=7))
def test_exported_workbook_equals_openpyxl_cell_by_cell(
        rows: list[list[object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows after a sheet's first are written from its columns, byte for byte as
    openpyxl writes them cell by cell."""
    from policycheck import export
    from policycheck.formats import sheetxml

    tables = {"plans": pd.DataFrame(rows, columns=["id", "name", "base_pay"], dtype=object),
              "components": pd.DataFrame({"plan_id": ["p1"] * len(rows)}, dtype=object)}
    fast = export.write_tables_workbook(tables, tmp_path / "fast.xlsx").read_bytes()
    with monkeypatch.context() as patched:  # every cell through openpyxl
        patched.setattr(sheetxml, "plain_columns", lambda columns: None)
        slow = export.write_tables_workbook(tables, tmp_path / "slow.xlsx").read_bytes()
    assert fast == slow


@settings(max_examples=150, deadline=None, derandomize=True)
@given(components=st.lists(st.tuples(st.sampled_from(["p1", "p2"]), st.sampled_from("abc")),
                           max_size=6),
       rows=st.lists(st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from("abcd"),
                               st.sampled_from([0.0, 1.5, 100.0, 1e-7, 2.0**60]),
                               st.sampled_from([0.0, 50.0, 120.25])), max_size=12))
def test_component_cells_join_their_rows_as_a_groupby_did(
        components: list[tuple[str, str]], rows: list[tuple[str, str, float, float]]) -> None:
    """A component's curve points, each "attainment:payout", joined by ";" in row order; a
    component without points has none, a point of no component is left out."""
    import numpy as np

    from policycheck.exporttables import _component_text, _number

    comps = pd.DataFrame(components, columns=["plan_id", "component_id"], dtype=object)
    points = pd.DataFrame(rows, columns=["plan_id", "component_id", "attainment", "payout"]
                          ).astype({"plan_id": "str", "component_id": "str"})
    got = _component_text(comps, points, "curve_points")
    if points.empty:
        assert got.isna().all()
        return
    # the reference: the groupby the export used, then looked up per component
    text = points["attainment"].map(_number) + ":" + points["payout"].map(_number)
    joined = text.groupby([points["plan_id"], points["component_id"]], sort=False).agg(
        ";".join)
    keys = pd.MultiIndex.from_frame(comps[["plan_id", "component_id"]])
    expected = joined.reindex(keys).to_numpy(dtype=object)
    assert [None if pd.isna(v) else v for v in expected] == got.tolist()
    assert got.index.equals(comps.index) and isinstance(got.to_numpy(), np.ndarray)


@pytest.mark.parametrize("column", [
    pd.Series([1, None, 3, 1], dtype="Int64"), pd.Series([0.5, float("nan"), 16.0, 0.5]),
    pd.Series([True, None, False, True], dtype=object),
    pd.Series(["a", None, "a", "b"], dtype=object), pd.Series(["a", None, "b"], dtype="str"),
    pd.Series(pd.to_datetime(["2027-01-01", None, "2027-01-01"])),
    pd.Series([1, True, 1.0, "x"], dtype=object),  # merged by factorize: cell by cell
])
def test_export_cells_are_each_values_text(column: pd.Series) -> None:
    """Worked out per distinct value, the same text as cell by cell (a missing value
    missing: the table holds it as None)."""
    from policycheck.exporttables import _cells, _text

    def plain(values: Any) -> list[object]:
        return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v
                for v in values]

    assert plain(_cells(column, _text)) == plain(column.astype(object).map(_text))
