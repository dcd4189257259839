"""The fast builder of plain YAML documents (yamlsource._FastBuilder) gives exactly what the
general, generator-based construction gives: values, types, positions and problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policycheck import yamlsource
from policycheck.yamlsource import MAX_DEPTH, LocatedList, LocatedMap, load_yaml

ROOT = Path(__file__).resolve().parent.parent

EDGES = [
    "a: 1\nb: 2\na: 3\n",  # duplicate key
    "? [a]\n: 1\n",  # a key that is not plain
    "a: =\n",  # the 'value' tag has no safe constructor
    "a: 0b_\nb: -0x_\nc: 1_000\nd: 017\ne: 0o17\nf: 1:30\n",
    "a: .nan\nb: -.inf\nc: 1.5_\nd: ._5\ne: 1e3\nf: 1.0e+3\n",
    "x: 2027-02-30\ny: 2027-01-01\nz: 2027-01-01 10:00:00+02:00\nw: 2027-01-01t25:00:00\n",
    "a: [1, {b: c, d: [e, f]}, []]\nb: {}\nc: ~\nd: null\ne: yes\nf: 'yes'\ng: \"1\"\n",
    "1: a\n2.5: b\ntrue: c\nnull: d\n2027-01-01: e\n",
    "- a\n- b: c\n  d: e\n-\n- - x\n  - y\n",
    "plain text\n",
    "",
    "a: 1\n---\nb: 2\n",  # two documents
    "a: [1, 2\n",  # a syntax error
    "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n",
    "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",  # one level too deep
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, MAX_DEPTH + 2)),
    "a: {b: 1, b: 2}\n",
]


def _described(value: Any) -> Any:
    """A value with its type and every position, for an exact comparison."""
    if isinstance(value, LocatedMap):
        return ("map", value.start, value.end,
                [(_described(k), _described(v), value.key_positions[k])
                 for k, v in value.items()])
    if isinstance(value, LocatedList):
        return ("list", value.start, value.item_positions, [_described(v) for v in value])
    if value != value:
        return (type(value), "nan")
    return (type(value), value)


def _same_both_ways(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, fast_problems = load_yaml(text, "x.yaml")
    with monkeypatch.context() as patch:
        patch.setattr(yamlsource, "_plain_text", lambda text: False)
        general, general_problems = load_yaml(text, "x.yaml")
    assert _described(fast) == _described(general)
    assert fast_problems == general_problems


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_agree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _same_both_ways(text, monkeypatch)


@pytest.mark.parametrize("path", sorted((ROOT / "sample_data").rglob("*.yaml"))
                         + sorted((ROOT / "rules").rglob("*.yaml"))[:40],
                         ids=lambda p: p.name)
def test_shipped_files_agree(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _same_both_ways(path.read_text(encoding="utf-8"), monkeypatch)


def test_generated_plans_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.generate import main as generate

    generate(["--plans", "60", "--seed", "3", "--out", str(tmp_path), "--formats", "yaml",
              "--yaml-per-plan"])
    paths = sorted(tmp_path.rglob("*.yaml"))
    assert len(paths) >= 60
    for path in paths:
        _same_both_ways(path.read_text(encoding="utf-8"), monkeypatch)


def test_unreadable_numbers_and_dates_stay_text() -> None:
    """PyYAML's patterns take `0b_` for an integer and `2027-02-30` for a date, then raise
    ValueError building them; they stay text, for validation to report at their place."""
    for text in ("a: 0b_\n", "a: 0b_\n# &\n"):  # the fast way and the general way
        data, problems = load_yaml(text + "b: -0x_\nc: 2027-02-30\n", "x.yaml")
        assert (data, problems) == ({"a": "0b_", "b": "-0x_", "c": "2027-02-30"}, [])
