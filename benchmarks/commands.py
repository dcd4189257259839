"""Running policycheck as a user runs it, for the benchmarks: the command line, its
environment (no input size limit, this checkout first on the path) and a timed run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NO_SIZE_LIMIT = str(1 << 20)  # MB: 100,000 plans make a ~50 MB components.csv


def environment() -> dict[str, str]:
    """This process's environment with no input size limit and this checkout importable."""
    env = dict(os.environ, POLICYCHECK_MAX_FILE_SIZE=NO_SIZE_LIMIT)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def cli() -> list[str]:
    """The command that runs policycheck: ``python -m policycheck``."""
    return [sys.executable, "-m", "policycheck"]


def timed(command: list[str], stdout: Any = subprocess.DEVNULL,
          env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, measured with wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL,
                               env=env or environment())
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return time.perf_counter() - start, usage.ru_maxrss / 1024
