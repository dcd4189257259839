"""The wheel works on its own: built, installed into a fresh virtualenv with its dependencies
(from the index pip is configured with), and run from a folder outside the repository.

Takes about 40 s, mostly pip installing pandas and pandera; it runs in CI like every test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policycheck import __version__

ROOT = Path(__file__).resolve().parents[1]


def sh(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "POLICYCHECK_DEBUG")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, check=False, timeout=600)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel of this checkout installed; its bin folder."""
    base = tmp_path_factory.mktemp("packaging")
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources, and a
    # stale build/ folder would put modules deleted since into the wheel.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
        ".pytest_cache", ".mypy_cache", ".ruff_cache", "tests", "benchmarks"))
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", base / "dist", source,
       cwd=base)
    [wheel] = (base / "dist").glob("policycheck-*.whl")
    sh(sys.executable, "-m", "venv", base / "venv", cwd=base)
    bin_dir = base / "venv" / ("Scripts" if os.name == "nt" else "bin")
    sh(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, cwd=base)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return bin_dir


def test_installed_package_is_not_the_checkout(installed: Path) -> None:
    where = sh(installed / "python", "-c", "import policycheck; print(policycheck.__file__)",
               cwd=installed.parent.parent / "elsewhere").stdout.strip()
    assert Path(where).is_relative_to(installed.parent)


def test_installed_kpis_list(installed: Path) -> None:
    out = sh(installed / "policycheck", "kpis", "list",
             cwd=installed.parent.parent / "elsewhere").stdout
    lines = out.splitlines()
    assert lines[0].startswith("ID ")
    assert lines[-1] == f"{len(lines) - 2} KPIs."
    assert len(lines) - 2 >= 55


def test_installed_module_version(installed: Path) -> None:
    out = sh(installed / "python", "-m", "policycheck", "--version",
             cwd=installed.parent.parent / "elsewhere").stdout
    assert out == f"policycheck, version {__version__}\n"


def test_installed_validate_sample_data(installed: Path) -> None:
    out = sh(installed / "policycheck", "validate", ROOT / "sample_data" / "yaml",
             cwd=installed.parent.parent / "elsewhere").stdout
    assert out.endswith("17 valid, 0 invalid.\n")


def test_installed_package_has_every_module(installed: Path) -> None:
    """Every module of the source tree is in the wheel (a subpackage left out of setup.cfg's
    ``packages`` would install without error and fail only when a command needs it)."""
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "policycheck").rglob("*.py"))
    probe = ("import importlib, sys\n"
             "missing = []\n"
             f"for name in {modules!r}:\n"
             "    try:\n"
             "        importlib.import_module(name)\n"
             "    except ModuleNotFoundError as exc:\n"
             "        missing.append(f'{name}: {exc}')\n"
             "print('\\n'.join(missing))\n")
    out = sh(installed / "python", "-c", probe, cwd=installed.parent.parent / "elsewhere").stdout
    assert out.strip() == ""
