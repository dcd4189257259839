"""Commands that need neither pandas nor pandera do not import them (fast start-up)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from policycheck.cli import main
code = main({argv!r})
heavy = sorted(m for m in ('pandas', 'pandera', 'numpy') if m in sys.modules)
print('HEAVY', ','.join(heavy))
sys.exit(code)
"""


@pytest.mark.parametrize("argv", [["--help"], ["kpis", "list"], ["kpis", "explain", "aht"],
                                  ["rules", "list"],
                                  ["--version"]])
def test_light_commands_do_not_import_pandas(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY"
