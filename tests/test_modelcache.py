"""The cache of a run's validated model (policycheck.modelcache): a re-run over unchanged
inputs is served without parsing or validating, equals a fresh run, and is never stale."""

from __future__ import annotations

import datetime
import decimal
import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from policycheck import cache, modelcache, validation
from policycheck.cli import main
from policycheck.loading import survey
from policycheck.validation import Model, load_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    """The sample YAML plans with their KPI catalog and employees table, plus a plan with
    a syntax error and a waivers file (skipped)."""
    folder = tmp_path / "plans"
    shutil.copytree(ROOT / "sample_data" / "yaml", folder)
    (folder / "plans" / "broken.yaml").write_text("plan: [\n", encoding="utf-8")
    (folder / "waivers-2027.yaml").write_text("waivers: []\n", encoding="utf-8")
    return folder


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the runs of the validate stage (a cache hit has none)."""
    calls: list[int] = []
    real = validation.validate

    def counted(loaded: object) -> Model:
        calls.append(1)
        return real(loaded)  # type: ignore[arg-type]

    monkeypatch.setattr(validation, "validate", counted)
    return calls


def _fresh(paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> Model:
    with monkeypatch.context() as patch:
        patch.setenv("POLICYCHECK_NO_CACHE", "1")
        return load_model(paths)


def _same(got: Model, fresh: Model) -> None:
    assert got.frames.keys() == fresh.frames.keys()
    for name, frame in fresh.frames.items():
        assert_frame_equal(got.frames[name], frame, check_exact=True)
    assert got.problems == fresh.problems
    assert (got.plans_read, got.invalid_plans, got.files, got.skipped) == \
        (fresh.plans_read, fresh.invalid_plans, fresh.files, fresh.skipped)


def _model_packs(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "model").glob("*.pack"))


def test_a_rerun_is_served_from_the_model_and_equals_a_fresh_run(
        plans: Path, cache_dir: Path, validations: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = _fresh([plans], monkeypatch)
    first = load_model([plans])
    assert validations == [1, 1]
    (pack,) = _model_packs(cache_dir)
    written = pack.stat().st_ino
    monkeypatch.setattr("policycheck.yamlfiles.read_yaml_file", None)  # no parse at all
    second = load_model([plans])
    assert validations == [1, 1]  # not validated again
    assert pack.stat().st_ino == written  # nor rewritten
    _same(first, fresh)
    _same(second, fresh)
    assert (second.plans_valid, second.plans_invalid) == (17, 0)
    assert [p.location.file for p in second.errors] == [(plans / "plans/broken.yaml").as_posix()]
    assert second.skipped == ((plans / "waivers-2027.yaml").as_posix(),)


def test_a_hit_gives_each_run_frames_of_its_own(plans: Path, cache_dir: Path) -> None:
    load_model([plans])
    one, two = load_model([plans]), load_model([plans])
    one.frames["plans"].loc[0, "base_pay"] = -1.0  # a consumer changes its model...
    assert two.frames["plans"].loc[0, "base_pay"] != -1.0  # ...not the next run's


@pytest.mark.parametrize("change", ["edit plan", "edit table", "new file", "remove file",
                                    "new text file", "size limit"])
def test_any_change_to_the_inputs_is_a_miss(
        change: str, plans: Path, cache_dir: Path, validations: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    load_model([plans])
    limit = None
    plan = plans / "plans" / "stores.yaml"
    if change == "edit plan":  # same size, same modification time: only the content tells
        stat = plan.stat()
        text = plan.read_text(encoding="utf-8")
        plan.write_text(text.replace("base_pay: 46000", "base_pay: 47000"), encoding="utf-8")
        os.utime(plan, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif change == "edit table":
        table = plans / "employees.csv"
        table.write_text(table.read_text(encoding="utf-8").replace(",30700,", ",30800,"),
                         encoding="utf-8")
    elif change == "new file":
        (plans / "plans" / "more.yaml").write_text(
            plan.read_text(encoding="utf-8").replace("id: stores", "id: more"),
            encoding="utf-8")
    elif change == "remove file":
        plan.unlink()
    elif change == "new text file":
        (plans / "notes.txt").write_text("not a plan\n", encoding="utf-8")
    else:
        limit = 2000  # some plan files are now too large to read
    again = load_model([plans], max_bytes=limit)
    assert validations == [1, 1]
    with monkeypatch.context() as patch:
        patch.setenv("POLICYCHECK_NO_CACHE", "1")
        fresh = load_model([plans], max_bytes=limit)
    _same(again, fresh)
    assert load_model([plans], max_bytes=limit).problems == fresh.problems  # stored anew
    assert validations == [1, 1, 1]


def test_other_paths_or_another_order_are_a_miss(
        plans: Path, cache_dir: Path, validations: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    kpis, folder = plans / "kpis.yaml", plans / "plans"
    load_model([kpis, folder])
    swapped = load_model([folder, kpis])
    assert validations == [1, 1]
    missing = load_model([folder, plans / "gone"])
    assert [p.code for p in missing.problems if p.code == "missing-path"] == ["missing-path"]
    _same(load_model([folder, plans / "gone"]), missing)
    assert validations == [1, 1, 1]
    _same(swapped, _fresh([folder, kpis], monkeypatch))


def test_changed_code_is_a_miss(plans: Path, cache_dir: Path, validations: list[int],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    load_model([plans])
    monkeypatch.setattr(modelcache, "_code_identity", lambda: "another version")
    load_model([plans])
    assert validations == [1, 1]


def test_the_code_identity_covers_the_package_and_the_libraries() -> None:
    identity = modelcache._code_identity()
    assert identity is not None and f"/{pd.__version__}/{np.__version__}/" in identity
    assert len(identity.rsplit("/", 1)[1]) == 64  # the package's files, hashed


def test_without_a_library_version_the_model_cache_is_off(
        plans: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", unknown)
    modelcache._code_identity.cache_clear()
    try:
        assert modelcache.model_key(survey([plans])) is None
        load_model([plans])
        assert not _model_packs(cache_dir)
    finally:
        modelcache._code_identity.cache_clear()


def test_a_forged_or_damaged_model_is_not_served(
        plans: Path, cache_dir: Path, validations: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache folder is in the checkout, where a pull request may commit a pack forged
    to say its plans are all valid: a pack not signed with this user's key is a miss, and
    so is a signed one whose model is not of the stored shape."""
    fresh = _fresh([plans], monkeypatch)
    load_model([plans])
    (pack,) = _model_packs(cache_dir)
    stored = cache.read_pack(pack)
    forged = dict(stored, model={**stored["model"], "problems": []})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "attacker"))
    cache.write_pack(pack, forged)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    _same(load_model([plans]), fresh)
    assert validations == [1, 1, 1]
    for model in ({**stored["model"], "frames": {"plans": [("plan_id", "numpy:<f8", b"x")]}},
                  {**stored["model"], "frames": {"plans": [("plan_id", "pandas:nonsense", [])]}},
                  {**stored["model"], "plans_read": None}, "text", None):
        cache.write_pack(pack, dict(stored, model=model))
        _same(load_model([plans]), fresh)
    assert len(validations) == 8
    assert cache.read_pack(pack)["key"] == stored["key"]  # written back whole


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    """The sample company as CSV tables, its KPI actuals (an evidence table) among them."""
    folder = tmp_path / "csv"
    shutil.copytree(ROOT / "sample_data" / "csv", folder)
    return folder


def _read_bytes(folder: Path) -> int:
    """The bytes of the tables a check reads (the evidence table aside)."""
    return sum(p.stat().st_size for p in folder.glob("*.csv") if p.stem != "kpi_actuals")


def test_small_csv_tables_are_served_from_the_model_and_any_edit_is_a_miss(
        tables: Path, cache_dir: Path, validations: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Typing and validating small tables costs more than reading their model back."""
    fresh = _fresh([tables], monkeypatch)
    assert fresh.plans_valid == 17
    load_model([tables])
    assert len(_model_packs(cache_dir)) == 1 and validations == [1, 1]
    with monkeypatch.context() as patch:
        patch.setattr("policycheck.tablefiles.read_csv", None)  # not read at all
        _same(load_model([tables]), fresh)
    assert validations == [1, 1]
    gates = tables / "gates.csv"
    stat = gates.stat()
    text = gates.read_text(encoding="utf-8")
    edited = text.replace(",qa_score,80,", ",qa_score,70,", 1)
    assert edited != text and len(edited) == len(text)
    gates.write_text(edited, encoding="utf-8")
    os.utime(gates, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # only the bytes tell
    model = load_model([tables])
    assert validations == [1, 1, 1]
    assert not model.frames["gates"].equals(fresh.frames["gates"])


def test_csv_tables_over_the_bound_use_no_model_pack(
        tables: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large tables are read about as fast as their model would come back; the bound
    counts the tables a check reads, not the evidence table beside them."""
    read = _read_bytes(tables)
    assert (tables / "kpi_actuals.csv").stat().st_size > read
    monkeypatch.setattr(modelcache, "CSV_BYTES", read)
    load_model([tables])
    assert len(_model_packs(cache_dir)) == 1
    shutil.rmtree(cache_dir)
    monkeypatch.setattr(modelcache, "CSV_BYTES", read - 1)
    assert load_model([tables]).plans_valid == 17
    assert not _model_packs(cache_dir)


def test_a_workbook_is_served_from_the_model_and_any_edit_is_a_miss(
        tmp_path: Path, cache_dir: Path, validations: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """openpyxl is the slowest reader: a workbook's model is kept, keyed by its bytes."""
    book = tmp_path / "xlsx" / "company.xlsx"
    shutil.copytree(ROOT / "sample_data" / "xlsx", book.parent)
    fresh = _fresh([book.parent], monkeypatch)
    load_model([book.parent])
    assert len(_model_packs(cache_dir)) == 1 and validations == [1, 1]
    with monkeypatch.context() as patch:
        patch.setattr("policycheck.tablefiles.read_workbook", None)  # not read at all
        _same(load_model([book.parent]), fresh)
    assert validations == [1, 1]
    stat = book.stat()
    data = bytearray(book.read_bytes())
    data[-3] ^= 1  # same size, same modification time: only the bytes tell
    book.write_bytes(bytes(data))
    os.utime(book, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    load_model([book.parent])
    assert validations == [1, 1, 1]


def test_a_table_changed_while_it_is_read_is_not_stored(
        plans: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = plans / "employees.csv"
    real = validation.load

    def edited_while_loading(*args: object) -> object:
        loaded = real(*args)  # type: ignore[arg-type]
        table.write_text(table.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        return loaded

    monkeypatch.setattr(validation, "load", edited_while_loading)
    load_model([plans])
    assert not _model_packs(cache_dir)


def test_no_cache_writes_no_model(plans: Path, cache_dir: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(plans), "--no-cache"]) == 2  # the syntax error
    assert not cache_dir.exists()
    fresh = capsys.readouterr()
    assert main(["validate", str(plans)]) == 2
    assert main(["validate", str(plans)]) == 2
    assert [p.parent.name for p in sorted(cache_dir.rglob("*.pack"))] == ["model", "yaml"]
    assert capsys.readouterr().out == fresh.out * 2


def test_a_model_pack_holds_marshal_values_only(plans: Path, cache_dir: Path) -> None:
    load_model([plans])
    (pack,) = _model_packs(cache_dir)
    stored = cache.read_pack(pack)
    assert set(stored) == {"key", "model"}
    assert set(stored["model"]) == {"frames", "problems", "plans_read", "invalid_plans",
                                    "files", "skipped", "files_unread"}
    kinds = {kind.split(":")[0] for columns in stored["model"]["frames"].values()
             for _, kind, _ in columns}
    assert kinds == {"numpy", "object", "pandas"}


def _model(frame: pd.DataFrame) -> Model:
    return Model({"plans": frame}, (), len(frame), (), ("a.yaml",), ())


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"amount": [decimal.Decimal("1.5")]}),  # a value marshal does not hold
    pd.DataFrame({"when": [datetime.date(2024, 1, 1)]}),
    pd.DataFrame({"plan_id": ["a", "b"]}, index=[3, 7]),  # not numbered from 0
], ids=["decimal", "date", "index"])
def test_a_model_it_cannot_hold_is_not_encoded(frame: pd.DataFrame) -> None:
    assert modelcache.encode(_model(frame)) is None


_TEXT = st.one_of(st.none(), st.text(max_size=8))


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(0, 6))

    def column(values: st.SearchStrategy[object]) -> list[object]:
        return draw(st.lists(values, min_size=size, max_size=size))

    return pd.DataFrame({
        "count": np.array(column(st.integers(-2**63, 2**63 - 1)), dtype=np.int64),
        "share": np.array(column(st.floats(allow_nan=True, allow_infinity=True)), dtype=float),
        "flag": np.array(column(st.booleans()), dtype=bool),
        "when": pd.to_datetime(column(st.one_of(st.none(), st.datetimes(
            min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2200, 1, 1))))
        ).astype("datetime64[ns]"),
        "cell": pd.Series(column(st.one_of(_TEXT, st.booleans(), st.floats())), dtype=object),
        "grade": pd.array(column(st.one_of(st.none(), st.integers(-2**40, 2**40))),
                          dtype="Int64"),
        "plan_id": pd.array(column(_TEXT), dtype="str"),
    })


@settings(max_examples=60, deadline=None)
@given(_frames())
def test_every_kind_of_column_comes_back_as_it_was(frame: pd.DataFrame) -> None:
    model = _model(frame)
    decoded = modelcache.decode(modelcache.encode(model))
    assert decoded is not None
    assert_frame_equal(decoded.frames["plans"], frame, check_exact=True)
    assert modelcache._equal(decoded, model)


def test_the_key_is_that_of_the_survey(plans: Path, cache_dir: Path) -> None:
    one, two = survey([plans]), survey([plans])
    assert modelcache.model_key(one) == modelcache.model_key(two)
    assert one.keys == tuple(cache.key(*content) for content in one.yaml)
    assert modelcache.model_key(one) != modelcache.model_key(survey([plans], 10_000))


PROBE = """
import sys
from policycheck.cli import main
code = main(["validate", sys.argv[1]])
print("PANDERA", "pandera" in sys.modules)
sys.exit(code)
"""


def test_a_hit_does_not_import_pandera(plans: Path, cache_dir: Path) -> None:
    """Validation needs pandera, a model read from the cache does not (a faster start)."""
    runs = [subprocess.run([sys.executable, "-c", PROBE, str(plans)], capture_output=True,
                           text=True, check=False, env=dict(os.environ)) for _ in range(2)]
    assert [r.returncode for r in runs] == [2, 2]  # the syntax error
    assert [r.stdout.splitlines()[-1] for r in runs] == ["PANDERA True", "PANDERA False"]
    assert runs[0].stdout.splitlines()[:-1] == runs[1].stdout.splitlines()[:-1]
