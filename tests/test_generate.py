"""The synthetic organisation generator of the benchmarks: deterministic, valid, and the
same plans whatever form they are written in."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from policycheck.export import write_csv_folder
from policycheck.model import CURVES, ROLE_KINDS
from policycheck.validation import load_model, model_without_sources

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` does not put the repository root on the path
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate, write_csv, write_xlsx, write_yaml  # noqa: E402
from benchmarks.messy_bench import spoil  # noqa: E402


@pytest.fixture(scope="module")
def org() -> dict[str, pd.DataFrame]:
    return generate(200, seed=5, employees=True)


def _assert_same_tables(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    assert list(left) == list(right)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


def test_same_seed_gives_identical_frames(org: dict[str, pd.DataFrame]) -> None:
    _assert_same_tables(org, generate(200, seed=5, employees=True))


def test_different_seed_gives_different_frames(org: dict[str, pd.DataFrame]) -> None:
    other = generate(200, seed=6, employees=True)
    assert not org["plans"].equals(other["plans"])
    assert not org["components"].equals(other["components"])


def test_employees_table_does_not_change_the_plans(org: dict[str, pd.DataFrame]) -> None:
    without = generate(200, seed=5)
    assert "employees" not in without
    _assert_same_tables({k: v for k, v in org.items() if k != "employees"}, without)


def test_plans_have_the_promised_shape(org: dict[str, pd.DataFrame]) -> None:
    plans, components = org["plans"], org["components"]
    assert set(plans["role_kind"]) == set(ROLE_KINDS)
    assert set(components["curve"]) == set(CURVES)
    weights = components["weight"].str.rstrip("%").astype(int)
    sums = weights.groupby(components["plan_id"]).sum()
    counts = components.groupby("plan_id").size()
    assert (sums == 100).all()
    assert counts.between(2, 8).all() and len(counts) == len(plans)
    assert 4 <= counts.mean() <= 8
    assert components["curve_points"].notna().any() and components["rates"].notna().any()
    for table in ("gates", "modifiers", "competitions", "consequences", "campaigns"):
        assert len(org[table]) > 0, table
    assert (plans["base_pay"] == "0").any()          # 100 % variable pay
    assert plans["max_variable"].isna().any()         # uncapped plans
    assert org["employees"]["org_unit"].eq("NA").any()  # North America, not a missing value
    assert len(org["employees"]) == plans["headcount"].astype(int).sum()


def test_csv_output_validates_without_problems(org: dict[str, pd.DataFrame],
                                               tmp_path: Path) -> None:
    write_csv(org, tmp_path)
    model = load_model([tmp_path])
    assert [p.message for p in model.problems] == []
    assert model.plans_read == model.plans_valid == 200
    assert len(model.frames["components"]) == len(org["components"])
    assert len(model.frames["employees"]) == len(org["employees"])


def test_csv_output_is_what_policycheck_export_writes(org: dict[str, pd.DataFrame],
                                                      tmp_path: Path) -> None:
    write_csv(org, tmp_path / "generated")
    write_csv_folder(load_model([tmp_path / "generated"]), tmp_path / "exported")
    generated = sorted(p.name for p in (tmp_path / "generated").iterdir())
    assert generated == sorted(p.name for p in (tmp_path / "exported").iterdir())
    for name in generated:
        assert (tmp_path / "generated" / name).read_bytes() == \
            (tmp_path / "exported" / name).read_bytes(), name


@pytest.mark.parametrize("per_plan", [False, True])
def test_yaml_output_validates_and_matches_csv(tmp_path: Path, per_plan: bool) -> None:
    tables = generate(50, seed=9, employees=True)
    write_csv(tables, tmp_path / "csv")
    write_yaml(tables, tmp_path / "yaml", per_plan=per_plan)
    from_csv = load_model([tmp_path / "csv"])
    from_yaml = load_model([tmp_path / "yaml"])
    assert [p.message for p in from_yaml.problems] == []
    assert from_yaml.plans_valid == from_csv.plans_valid == 50
    expected, got = model_without_sources(from_csv), model_without_sources(from_yaml)
    assert list(expected) == list(got)
    for name in expected:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)


def test_xlsx_output_validates_and_matches_csv(tmp_path: Path) -> None:
    tables = generate(30, seed=2)
    write_csv(tables, tmp_path / "csv")
    write_xlsx(tables, tmp_path / "plans.xlsx")
    from_xlsx = load_model([tmp_path / "plans.xlsx"])
    assert [p.message for p in from_xlsx.problems] == []
    expected = model_without_sources(load_model([tmp_path / "csv"]))
    got = model_without_sources(from_xlsx)
    for name in expected:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)


def test_files_are_byte_identical_for_the_same_seed(tmp_path: Path) -> None:
    for run in ("a", "b"):
        tables = generate(40, seed=3, employees=True)
        write_csv(tables, tmp_path / run / "csv")
        write_yaml(tables, tmp_path / run / "yaml")
        write_xlsx(tables, tmp_path / run / "plans.xlsx")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.*"))
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_spoiled_organisation_has_every_mistake_it_promises(org: dict[str, pd.DataFrame],
                                                            tmp_path: Path) -> None:
    """The messy-input benchmark times the error paths it says it times: each kind of
    mistake is there, and every spoiled weight and KPI is reported."""
    write_csv(spoil(org), tmp_path)
    problems = load_model([tmp_path]).problems
    by_field: dict[tuple[str, str], int] = {}
    for p in problems:
        by_field[p.code, p.field] = by_field.get((p.code, p.field), 0) + 1
    components = len(org["components"])
    assert by_field["invalid-value", "weight"] == components // 5
    assert by_field["unknown-kpi", "kpi"] == components // 7
    assert {code for code, _ in by_field} == {
        "duplicate-id", "gate-bound", "invalid-value", "missing-field", "out-of-range",
        "reversed-range", "unknown-component", "unknown-kpi", "unknown-plan", "weights-sum"}
    assert spoil(org)["plans"].equals(spoil(org)["plans"])  # deterministic


def test_benchmark_probes_measure_a_small_organisation(org: dict[str, pd.DataFrame],
                                                       tmp_path: Path) -> None:
    """The benchmark's measurements run against the package as it is (a probe that wraps a
    function the package changed fails here, not an hour into ``make bench``)."""
    from benchmarks.probes import _child_floor, _child_references, _child_stages

    write_csv(org, tmp_path)
    assert _child_floor(tmp_path)["floor"] > 0
    stages = _child_stages(tmp_path)
    assert list(stages["times"]) == ["load", "validate", "evaluate", "render"]
    assert stages["plans"] == 200 and stages["findings"] > 0
    references = _child_references(tmp_path)
    assert references["findings"] == stages["findings"]
    assert 0 < references["pandera"] < references["validate"]
