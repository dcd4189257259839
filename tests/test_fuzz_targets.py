"""The fuzz targets (fuzz/, run by hand with atheris) import what policycheck still has: a
target whose import fails finds nothing, and nothing else runs it to notice."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"


@pytest.mark.parametrize("target", sorted(FUZZ.glob("fuzz_*.py")), ids=lambda p: p.name)
def test_fuzz_target_imports_exist(target: Path) -> None:
    imported = [(node.module, alias.name)
                for node in ast.walk(ast.parse(target.read_text(encoding="utf-8")))
                if isinstance(node, ast.ImportFrom) and node.module
                and node.module.startswith("policycheck")
                for alias in node.names]
    assert imported, f"{target.name} imports nothing from policycheck"
    missing = [f"{module}.{name}" for module, name in imported
               if not hasattr(importlib.import_module(module), name)]
    assert missing == []
