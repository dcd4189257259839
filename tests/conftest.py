"""Shared fixtures: the repository root, and small input folders written into tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

Files = dict[str, "str | bytes"]


def write_tree(folder: Path, files: Files) -> Path:
    """Write ``{relative name: text or bytes}`` under ``folder``; text is dedented."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return folder


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root, so that paths print as in EXPECTED.txt."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Files], Path]:
    """Write input files into tmp_path and work from there, so problems name 'a.yaml'."""
    monkeypatch.chdir(tmp_path)

    def make(files: Files) -> Path:
        return write_tree(tmp_path, files)

    return make


@pytest.fixture
def problems(inputs: Callable[[Files], Path]) -> Callable[[Files], list[str]]:
    """Load files written into the current folder; every problem as the CLI prints it."""
    from policycheck.validation import load_model

    def run(files: Files) -> list[str]:
        inputs(files)
        return [str(p) for p in load_model(["."]).problems]

    return run


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The caches turned on, in a folder of the test's own (the signing key beside it)."""
    monkeypatch.delenv("POLICYCHECK_NO_CACHE", raising=False)
    monkeypatch.delenv("POLICYCHECK_CACHE_KEY", raising=False)
    folder = tmp_path / "cache"
    monkeypatch.setenv("POLICYCHECK_CACHE_DIR", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # the signing key
    return folder


@pytest.fixture(autouse=True)
def _no_parse_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests parse every file (a test may patch the parser's limits); the cache tests turn
    the caches on in a folder of their own (``cache_dir``)."""
    monkeypatch.setenv("POLICYCHECK_NO_CACHE", "1")
