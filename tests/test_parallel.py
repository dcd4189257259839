"""Many YAML files are parsed in worker processes: same result, same order, as one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck import yamlfiles
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
    monkeypatch.setattr(yamlfiles, "PARALLEL_MIN_FILES", 10**9)
    serial = load_paths([tmp_path])
    monkeypatch.setattr(yamlfiles, "PARALLEL_MIN_FILES", 5)
    monkeypatch.setattr(yamlfiles.os, "cpu_count", lambda: 2)
    parallel = load_paths([tmp_path])
    assert parallel.files == serial.files
    assert parallel.records.rows == serial.records.rows
    assert parallel.problems == serial.problems
    assert [r["plan_id"] if isinstance(r, dict) and "plan_id" in r else None
            for r in parallel.records.rows["plans"]] == \
        [r["plan_id"] if isinstance(r, dict) and "plan_id" in r else None
         for r in serial.records.rows["plans"]]
