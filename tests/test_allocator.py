"""The command line's allocator setting: large freed blocks are reused, not faulted anew."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policycheck import allocator

glibc_only = pytest.mark.skipif(not allocator._glibc(), reason="a glibc setting")

#: Frees a 64 MB block, allocates another, and prints the page faults the second one cost.
_REUSE = """
import contextlib, io, resource, sys
from policycheck.allocator import keep_freed_memory
from policycheck.cli import main
if sys.argv[1] == "command":  # any run of the command line sets it
    with contextlib.redirect_stdout(io.StringIO()):
        main(["--version"])
print(keep_freed_memory() if sys.argv[1] == "keep" else None)
faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = bytearray(64 << 20)
del block
before = faults()
if sys.argv[2:] == ["thread"]:  # the second block made by another thread
    import threading
    helper = threading.Thread(target=lambda: globals().update(block=bytearray(64 << 20)))
    helper.start()
    helper.join()
else:
    block = bytearray(64 << 20)
print(faults() - before)
"""


def _second_block_faults(mode: str, env: dict[str, str] | None = None,
                         *more: str) -> tuple[str, int]:
    done = subprocess.run([sys.executable, "-c", _REUSE, mode, *more], capture_output=True,
                          text=True, check=True, env=env)
    kept, faults = done.stdout.split()
    return kept, int(faults)


@glibc_only
def test_a_freed_large_block_is_reused() -> None:
    pages = (64 << 20) // 4096
    kept, faults = _second_block_faults("keep")
    assert kept == "True"
    assert faults < pages // 10
    # without the setting the block is mapped anew: a fault for (nearly) every page
    assert _second_block_faults("default")[1] > pages // 2
    assert _second_block_faults("command")[1] < pages // 10


@glibc_only
def test_a_block_freed_by_one_thread_is_reused_by_another() -> None:
    """The helper threads of a large check share the main thread's arena."""
    pages = (64 << 20) // 4096
    assert _second_block_faults("keep", None, "thread")[1] < pages // 10
    assert _second_block_faults("default", None, "thread")[1] > pages // 2


@glibc_only
@pytest.mark.parametrize("name, value", [("MALLOC_TRIM_THRESHOLD_", "131072"),
                                         ("MALLOC_ARENA_MAX", "4")])
def test_a_setting_of_the_users_own_is_left_alone(monkeypatch: pytest.MonkeyPatch,
                                                  name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    assert allocator.keep_freed_memory() is False
    kept, faults = _second_block_faults("keep", dict(os.environ))
    assert kept == "False" and faults > (64 << 20) // 4096 // 2


def test_nothing_is_set_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_glibc", lambda: False)
    for name in allocator._USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert allocator.keep_freed_memory() is False


#: Prints whether the setting was made, then the backend of Arrow's default pool.
_POOL = """
import sys
if sys.argv[1] == "imported":
    import pyarrow
from policycheck.allocator import keep_freed_memory
kept = keep_freed_memory()
import pyarrow as pa
print(kept, pa.default_memory_pool().backend_name)
"""


def _arrow_pool(when: str, **env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k not in allocator._USER_SETTINGS}
    done = subprocess.run([sys.executable, "-c", _POOL, when], capture_output=True, text=True,
                          check=True, env={**environment, **env})
    return done.stdout.split()


@glibc_only
@pytest.mark.parametrize("when", ["later", "imported"])
def test_arrow_takes_its_memory_from_malloc(when: str) -> None:
    """Whether pyarrow is imported after the setting (the command line) or before it."""
    assert _arrow_pool(when) == ["True", "system"]


@glibc_only
def test_an_arrow_pool_of_the_users_own_is_left_alone() -> None:
    assert _arrow_pool("later", ARROW_DEFAULT_MEMORY_POOL="jemalloc") == ["False", "jemalloc"]


def test_a_run_leaves_the_environment_as_it_was(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from policycheck.cli import main

    names = ("ARROW_DEFAULT_MEMORY_POOL", "POLICYCHECK_MAX_FILE_SIZE")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    sample = Path(__file__).resolve().parent.parent / "sample_data" / "yaml"
    assert main(["--max-file-size", "5", "validate", str(sample)]) == 0
    assert capsys.readouterr().out == "Read 17 plans from 12 files: 17 valid, 0 invalid.\n"
    assert [os.environ.get(name) for name in names] == [None, None]
