"""The cache of parsed YAML (policycheck.cache): reuse, never stale, safe to break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policycheck import cache
from policycheck.cli import main
from policycheck.loading import load_paths, parse_yaml_file
from policycheck.yamlsource import load_yaml

PLAN = """\
plan:
  id: p1
  role_kind: service
  base_pay: 30000
  target_variable: 3000
  effective_from: 2024-01-01
  components:
    - {id: c1, kpi: aht, weight: 1.0}
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("POLICYCHECK_NO_CACHE", raising=False)
    folder = tmp_path / "cache"
    monkeypatch.setenv("POLICYCHECK_CACHE_DIR", str(folder))
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json"))


def test_second_read_comes_from_the_cache_and_equals_a_parse(tmp_path: Path,
                                                             cache_dir: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    first = parse_yaml_file(plan)
    assert len(_entries(cache_dir)) == 1
    second = parse_yaml_file(plan)
    fresh = load_yaml(PLAN, plan.as_posix())
    for got in (first[1], second[1]):
        assert got is not None
        assert got[0] == fresh[0] and got[1] == fresh[1]
        assert got[0].key_positions == fresh[0].key_positions
        assert got[0]["plan"]["components"].item_positions == \
            fresh[0]["plan"]["components"].item_positions
    assert second[1][0]["plan"]["effective_from"] == fresh[0]["plan"]["effective_from"]


def test_an_edited_file_is_parsed_again(tmp_path: Path, cache_dir: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    parse_yaml_file(plan)
    plan.write_text(PLAN.replace("30000", "40000"), encoding="utf-8")
    _, parsed = parse_yaml_file(plan)
    assert parsed is not None and parsed[0]["plan"]["base_pay"] == 40000
    assert len(_entries(cache_dir)) == 2


def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path, cache_dir: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    parse_yaml_file(plan)
    (entry,) = _entries(cache_dir)
    for broken in ("{not json", json.dumps({"key": "other"}), '{"key": 1, "data": []}'):
        entry.write_text(broken, encoding="utf-8")
        _, parsed = parse_yaml_file(plan)
        assert parsed is not None and parsed[0]["plan"]["id"] == "p1"
        assert json.loads(entry.read_text(encoding="utf-8"))["data"]["M"]


def test_problems_survive_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN + "  base_pay: 1\n", encoding="utf-8")
    first = load_paths([plan]).problems
    second = load_paths([plan]).problems
    assert first == second and any(p.code == "duplicate-key" for p in second)


def test_no_cache_flag_writes_nothing(tmp_path: Path, cache_dir: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    main(["validate", str(plan), "--no-cache"])
    assert not cache_dir.exists()
    main(["validate", str(plan)])
    assert len(_entries(cache_dir)) == 1


def test_entries_are_json_never_pickle(tmp_path: Path, cache_dir: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    parse_yaml_file(plan)
    (entry,) = _entries(cache_dir)
    stored = json.loads(entry.read_text(encoding="utf-8"))
    assert stored["key"] == cache.key(plan.read_bytes(), plan.as_posix())
