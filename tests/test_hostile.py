"""The hostile-input corpus: every case under tests/data/hostile/ runs the real CLI.

A case is a folder:

- ``args.txt``: the command line after ``policycheck`` (split on spaces), run in a
  temporary copy of the folder;
- the inputs it names (``input.yaml``, ``plans/``, ``pack/``, ...);
- ``links.txt`` (optional): ``LINK -> TARGET`` lines, symlinks made in the copy before the
  run (git keeps no links that point outside the repository); TARGET is relative to the
  case folder, and ``../secret.yaml`` is a file outside it holding a secret;
- ``expected.txt``: the exact output (stdout then stderr), with the exit code on its
  first line as ``exit N``;
- ``checks.txt`` (optional): ``contains FILE TEXT`` / ``absent FILE TEXT`` lines about
  the files the run wrote (escaping: a `<script>` plan name must come out as text).

Each case runs in a subprocess limited to 500 MB of address space and 5 s of CPU
(``resource.setrlimit``): a case over either is killed and fails, instead of timing it.
Every case also asserts that no traceback is printed and that the inputs are unchanged.

Regenerate the expected output after a deliberate change of a message:
``POLICYCHECK_REGEN_HOSTILE=1 python -m pytest tests/test_hostile.py`` (then review the diff).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "data" / "hostile"
MEMORY_BYTES = 500 * 1024 * 1024
CPU_SECONDS = 5
SECRET = "secret_key: hunter2-do-not-print\n"
REGEN = os.environ.get("POLICYCHECK_REGEN_HOSTILE") == "1"


def _limits() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("POLICYCHECK_") and k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    # one thread per math library: their thread pools reserve address space of their own
    env.update(NO_COLOR="1", COLUMNS="100", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def _run_case(case: Path, tmp_path: Path) -> tuple[str, Path]:
    (tmp_path / "secret.yaml").write_text(SECRET)
    work = tmp_path / "case"
    shutil.copytree(case, work, ignore=shutil.ignore_patterns("expected.txt", "checks.txt"))
    links = work / "links.txt"
    if links.exists():
        for line in links.read_text().splitlines():
            link, _, target = line.partition(" -> ")
            (work / link).symlink_to((work / target).resolve())
    inputs = _snapshot(work)
    args = (case / "args.txt").read_text().split()
    done = subprocess.run([sys.executable, "-m", "policycheck", *args], cwd=work,
                          capture_output=True, env=_environment(), preexec_fn=_limits,
                          timeout=120)
    assert done.returncode >= 0, (
        f"killed by signal {-done.returncode} (over {CPU_SECONDS} s of CPU or "
        f"{MEMORY_BYTES >> 20} MB?)\n{done.stderr.decode(errors='replace')}")
    output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
    after = _snapshot(work)
    changed = [name for name, data in inputs.items() if after.get(name) != data]
    assert not changed, f"the run changed its inputs: {changed}"
    return f"exit {done.returncode}\n{output}", work


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_hostile_input(case: str, tmp_path: Path) -> None:
    folder = CASES / case
    got, work = _run_case(folder, tmp_path)
    expected = folder / "expected.txt"
    if REGEN:
        expected.write_text(got)
    assert "Traceback" not in got
    assert "hunter2" not in got, "a file outside the inputs was read and quoted"
    assert not got.startswith("exit 3"), got
    assert got == expected.read_text()
    checks = folder / "checks.txt"
    for line in checks.read_text().splitlines() if checks.exists() else []:
        how, name, text = line.split(" ", 2)
        written = (work / name).read_text(encoding="utf-8", errors="replace")
        assert (text in written) == (how == "contains"), f"{case}: {line}"


def test_every_case_is_complete() -> None:
    for case in CASES.iterdir():
        if case.is_dir():
            assert (case / "args.txt").is_file(), case.name
            assert REGEN or (case / "expected.txt").is_file(), case.name


# --- failure semantics of an internal error (nothing in the corpus can cause one) -------

def test_an_internal_error_is_short_and_exits_3(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from policycheck import __version__, validation
    from policycheck.cli import main

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(validation, "load_model", broken)
    assert main(["validate", str(CASES / "yaml-bom-accepted" / "input.yaml")]) == 3
    err = capsys.readouterr().err
    assert err == (f"policycheck {__version__}: internal error (KeyError). This is a bug in "
                   "policycheck, not in your input. Run again with --debug for a traceback "
                   "and report it with that output.\n")
    assert main(["--debug", "validate", str(CASES / "yaml-bom-accepted" / "input.yaml")]) == 3
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full is Linux's")
@pytest.mark.parametrize("argv", [["check", "input.yaml", "--format", "json"],
                                  ["validate", "input.yaml"], ["rules", "list"]])
def test_standard_output_on_a_full_disk_is_said_plainly_and_exits_2(argv: list[str],
                                                                     tmp_path: Path) -> None:
    """A report sent to a full disk (``> /dev/full``) was an internal error, "a bug in
    policycheck": it is what the system said, exit 2."""
    shutil.copy(CASES / "yaml-bom-accepted" / "input.yaml", tmp_path)
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "policycheck", *argv],
                              cwd=tmp_path, stdout=full,
                              stderr=subprocess.PIPE, env=_environment(), timeout=120)
    assert (done.returncode, done.stderr.decode()) == (
        2, "policycheck: error: standard output: cannot write it: No space left on device\n")


@pytest.mark.parametrize("kind", ["MemoryError", "ArrowMemoryError", "ArrowException",
                                  "RuntimeError", "ImportError"])
def test_running_out_of_memory_is_said_plainly_and_exits_3(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        kind: str) -> None:
    """Not a bug to report, nor a fault of the input: the process needs more memory (a
    thread that cannot start, in Arrow's pool or Python's, or a compiled module the loader
    cannot map, is short of memory too)."""
    import pyarrow as pa

    from policycheck import validation
    from policycheck.cli import main

    def exhausted(*args: object, **kwargs: object) -> None:
        if kind == "ArrowMemoryError":
            raise pa.ArrowMemoryError("malloc of size 134217728 failed")
        if kind == "ArrowException":
            raise pa.ArrowException("Unknown error: Failed to launch worker thread")
        if kind == "RuntimeError":
            raise RuntimeError("can't start new thread")
        if kind == "ImportError":  # as the dynamic loader says it under ``ulimit -v``
            raise ImportError(".../offsets.cpython-311-x86_64-linux-gnu.so: failed to map "
                              "segment from shared object")
        raise MemoryError

    monkeypatch.setattr(validation, "load_model", exhausted)
    assert main(["validate", str(CASES / "yaml-bom-accepted" / "input.yaml")]) == 3
    assert capsys.readouterr().err == (
        f"policycheck: error: out of memory ({kind}): this run needs more memory than the "
        "process may have (a check of 100,000 plans from CSV peaks at about 1.1 GB). Raise "
        "the limit (ulimit -v, the container's memory) or check fewer plans at a time.\n")


# --- crashes the fuzzers found, replayed in-process -----------------------------------

FUZZ_CORPUS = Path(__file__).parent.parent / "fuzz" / "corpus"


@pytest.mark.parametrize("name", sorted(p.name for p in FUZZ_CORPUS.glob("*/crash_*")))
def test_fuzz_crash_is_a_reported_problem(name: str) -> None:
    from policycheck.documents import attribute
    from policycheck.yamlsource import decode, load_yaml

    [path] = FUZZ_CORPUS.glob(f"*/{name}")
    problems: list = []
    text = decode(path.read_bytes(), name, problems)
    if text is not None:
        data, found = load_yaml(text, name)
        problems += attribute(found, data, name)
    assert all(p.location.file == name for p in problems)


# --- long plain YAML files, built from the parser's events (once only up to 250,000 -----
# characters): bounded as the general way bounds them, with the same messages -----------

#: Past the fast way's old limit of 250,000 characters.
LONG = 260_000
#: A plain plan (no '&', '*', '!' or '<<': what the fast way takes), one of many in a list.
PLAN = """\
- id: p{0}
  name: Plan {0}
  role: Contact centre agent
  role_kind: service
  customer_facing: true
  base_pay: 30000
  target_variable: 3000
  components:
    - {{id: c1, kpi: aht, weight: 100%}}
"""


def _long_plans(size: int = LONG) -> str:
    """Plain plans, as many as make ``size`` characters."""
    text, count = "plans:\n", 0
    while len(text) <= size:
        count += 1
        text += PLAN.format(count)
    return text


def _run_text(text: str, args: str, tmp_path: Path, name: str) -> str:
    """The output of the real CLI (as ``_run_case``: within its limits, no traceback, no
    secret) on ``text`` written as ``input.yaml``."""
    case = tmp_path / name / "source"
    case.mkdir(parents=True)
    (case / "args.txt").write_text(args)
    (case / "input.yaml").write_text(text)
    got, _ = _run_case(case, tmp_path / name)
    assert "Traceback" not in got and "hunter2" not in got
    return got


def _general_way(text: str) -> str:
    """``text`` as the fast way never takes it: a '&' in a comment at its end."""
    return text + "# R&D\n"


@pytest.mark.parametrize("nested", ["block", "flow"])
def test_a_long_plain_file_nested_too_deep_is_refused_as_before(nested: str,
                                                                tmp_path: Path) -> None:
    """A plain file past the old limit, with nesting past 64 levels in its last plan:
    refused at the 65th level, exit 2, as the general way refuses it."""
    plans = _long_plans()
    first = plans.count("\n") + 2  # the line of the first nested level
    if nested == "block":
        text = plans + "  x_deep:\n" + "".join("  " * i + "    k:\n" for i in range(100))
        place = f"{first + 61}:{5 + 2 * 61}"  # the 65th level: a plan is the 3rd
    else:
        text = plans + "  x_deep: " + "[" * 500 + "]" * 500 + "\n"
        place = f"{first - 1}:{len('  x_deep: ') + 62}"
    got = _run_text(text, "validate input.yaml", tmp_path, "fast")
    assert got.startswith("exit 2\ninput.yaml:" + place + ": error: document nests deeper "
                          "than 64 levels [yaml-too-deep]\n"), got[:300]
    assert got == _run_text(_general_way(text), "validate input.yaml", tmp_path, "general")


def test_a_long_plain_file_of_many_nodes_is_bounded_by_its_size(tmp_path: Path) -> None:
    """Without aliases a document holds fewer values than characters: the file size limit
    bounds it on either way. Past the limit it is refused unread; within it, it is read
    within this corpus's memory and CPU limits, as the general way reads it."""
    text = _long_plans(LONG // 4) + "  x_notes: [" + "0," * (LONG // 2) + "0]\n"
    assert len(text) > LONG
    size = len(text.encode())
    got = _run_text(text, "--max-file-size 0.25 validate input.yaml", tmp_path, "refused")
    assert got.startswith(f"exit 2\ninput.yaml: error: file is {size:,} bytes; the limit is "
                          "262,144 (raise it with policycheck --max-file-size MB) "
                          "[file-too-large]\n"), got[:300]
    read = _run_text(text, "validate input.yaml", tmp_path, "fast")
    assert read.startswith("exit 0\n"), read[:300]
    assert read == _run_text(_general_way(text), "validate input.yaml", tmp_path, "general")
