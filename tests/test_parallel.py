"""Many YAML files are parsed in worker processes: same result, same order, as one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck import streams, yamlfiles
from policycheck.loading import load_paths


def _write(folder: Path, count: int) -> None:
    for i in range(count):
        extra = "  base_pay: 2\n" if i % 37 == 0 else ""  # some files with a problem
        (folder / f"p{i:04d}.yaml").write_text(
            f"plan:\n  id: p{i}\n  role_kind: service\n  base_pay: {1000 + i}\n"
            f"  target_variable: 100\n{extra}  components:\n"
            f"    - {{id: c1, kpi: aht, weight: 1.0}}\n", encoding="utf-8")


def test_parallel_parse_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, 60)
    monkeypatch.setattr(yamlfiles, "PARALLEL_MIN_BYTES", 10**9)
    serial = load_paths([tmp_path])
    monkeypatch.setattr(yamlfiles, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(streams, "cores", lambda: 2)
    parallel = load_paths([tmp_path])
    assert parallel.files == serial.files
    assert parallel.records.rows == serial.records.rows
    assert parallel.problems == serial.problems
    assert [r["plan_id"] if isinstance(r, dict) and "plan_id" in r else None
            for r in parallel.records.rows["plans"]] == \
        [r["plan_id"] if isinstance(r, dict) and "plan_id" in r else None
         for r in serial.records.rows["plans"]]


def _plans_file(count: int) -> bytes:
    plans = "".join(f"- id: p{i}\n  role_kind: service\n  base_pay: {1000 + i}\n"
                    f"  target_variable: 100\n  components:\n"
                    f"  - {{id: c1, kpi: aht, weight: 1.0}}\n" for i in range(count))
    return f"plans:\n{plans}".encode()


def test_few_large_files_are_parsed_in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    # What decides is the YAML to parse, not the number of files: three files of 2,000
    # plans each are as much work as 6,000 files of one plan.
    monkeypatch.setattr(streams, "cores", lambda: 2)
    large = [(_plans_file(2000), f"plans-{i}.yaml", False) for i in range(3)]
    assert sum(len(data) for data, _, _ in large) >= yamlfiles.PARALLEL_MIN_BYTES
    parsed = yamlfiles._parse_all(large)
    assert all(encoded is not None for _, encoded in parsed)  # made by a worker
    assert [len(outcome.rows["plans"]) for outcome, _ in parsed] == [2000] * 3
    assert [outcome.rows for outcome, _ in parsed] == \
        [yamlfiles.read_yaml_file(*content).rows for content in large]


def test_little_yaml_is_parsed_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "cores", lambda: 2)
    small = [(_plans_file(2), f"plans-{i}.yaml", False) for i in range(300)]
    assert sum(len(data) for data, _, _ in small) < yamlfiles.PARALLEL_MIN_BYTES
    assert all(encoded is None for _, encoded in yamlfiles._parse_all(small))
    monkeypatch.setattr(streams, "cores", lambda: 1)
    assert all(encoded is None for _, encoded in yamlfiles._parse_all(small[:1] * 3 + [
        (_plans_file(2000), "large.yaml", False)] * 3))
