"""Commands that need neither pandas nor pandera do not import them (fast start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


EXIT_PROBE = """
import atexit, gc, sys
from policycheck.cli import run
atexit.register(lambda: print('EXIT HANDLER, frozen:', gc.get_freeze_count() > 0))
sys.argv = ['policycheck', *{argv!r}]
run()
"""

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "yaml"


@pytest.mark.parametrize(("argv", "code"), [
    (["--version"], 0), (["check", str(SAMPLE), "--quiet"], 1),
    (["check", "no-such-folder"], 2), (["no-such-command"], 2)])
def test_the_command_exits_with_its_code_after_its_exit_handlers(argv: list[str],
                                                                  code: int) -> None:
    """The entry point exits with main()'s code; the objects left are out of the
    collector's reach by then (a quick exit), and exit handlers still run."""
    result = subprocess.run([sys.executable, "-c", EXIT_PROBE.format(argv=argv)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == code, result.stderr
    assert result.stdout.splitlines()[-1] == "EXIT HANDLER, frozen: True"


SCHEMAS_PROBE = """
from pandera.backends.pandas.register import register_pandas_backends
import policycheck.schemas
print('REGISTERED', register_pandas_backends.cache_info().currsize)
"""


def test_importing_the_schemas_sets_up_panderas_backends() -> None:
    """A large run imports the schemas beside the reading of its tables: pandera's set-up of
    its pandas backends (0.1-0.2 s, more where Hypothesis is installed) is done then, not in
    the first validation, which the run waits for."""
    result = subprocess.run([sys.executable, "-c", SCHEMAS_PROBE],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) >= 1
