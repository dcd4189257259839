"""The performance benchmark of policycheck (SPEC 10; issue 6): one run, every number.

    python benchmarks/run.py                          # 1,000 / 10,000 / 100,000 plans
    python benchmarks/run.py --sizes 1000,10000       # fewer sizes
    python benchmarks/run.py --results benchmarks/RESULTS.md   # also keep the output

For each size a seeded organisation (benchmarks/generate.py) is written as CSV tables to a
temporary folder (not timed); then each measurement runs in a fresh subprocess, so that peak
RSS (ru_maxrss) belongs to one size and one job:

- floor: plain pandas reading the same CSV files with its defaults (``pd.read_csv(path)``),
  and, apart, reading every cell as text (``dtype=str, keep_default_na=False``), which is
  slower and is not the floor;
- stages: load, validate, evaluate (the default pack), render json (and write it), timed
  inside one process with the library API; as in the command, the fingerprints are worked
  out by the JSON output, so they count in its render; each stage's CPU time too (user and
  system, every thread), from which the report works out the least time that work could take
  on the machine's cores;
- cli: ``policycheck check FOLDER --format json`` to a file, a first run (an empty cache of
  its own), wall time and peak RSS of the whole command, and that wall minus the start of a
  bare interpreter; and once more right after a process touched and freed ``USED_GB`` GB,
  on memory the host has backed (a virtual machine may give idle memory back to its host,
  which then charges its next use);
- peers: the same five representative default rules (benchmarks/cel_rules.py) evaluated by
  policycheck, by CEL plan by plan (cel-python; on at most ``--cel-plans`` plans, scaled
  linearly, as CEL takes minutes on 100,000 plans) and by a plain Python loop, over dicts
  built from the validated frames (the build is timed apart). Finding counts must agree.
  policycheck evaluates as ``check`` does for an output that shows no fingerprint (text,
  JUnit, GitHub, Markdown): messages, evidence, locations and pay at stake, no fingerprints;
- references (once per size): two stages against the libraries' own ways on the same data,
  pandera's schemas alone within the validate stage, and pandas' own JSON writer
  (``DataFrame.to_json``, in C) on the same findings against the render stage.

Each of these is measured ``--repeats`` times (3 by default) and the best run kept, with the
highest peak RSS of any run: on a shared machine the speed of the same code varies by a
third between runs, and the fastest run is the one least disturbed by others. The peers
are timed in turns (policycheck, the loop, policycheck, ...), CEL once.

Then: YAML plans per second per core on a cold cache and the warm-cache re-run of 10,000
YAML plans, and of CSV tables of 10,000 plans (each the best of ``--repeats`` runs); once, a
workbook of 10,000 plans cold and warm (and, when the sizes reach 100,000, a workbook of
100,000 plans cold: ``validate`` and ``check --format json``), ``policycheck --help`` (best
of 5), and the default pack over 10,000 plans after loading. The output formats are timed
by ``benchmarks/formats_bench.py``.
Growth exponent: log(t2/t1)/log(n2/n1) between consecutive sizes (1.0 is linear).
Before any run, policycheck's modules are compiled to bytecode, as pip compiles an installed
package: a checkout run with ``PYTHONDONTWRITEBYTECODE`` set would otherwise compile its
hundred modules again in every command (about 0.1 s of each).
The child processes' measurements are benchmarks/probes.py and the Markdown is written by
benchmarks/results.py; this module generates, spawns, collects and runs the command.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if not __package__:  # run as a script (`python benchmarks/run.py`): find the package
    sys.path.append(str(Path(__file__).resolve().parents[1]))

from benchmarks.commands import ROOT, cli, environment, timed
from benchmarks.probes import run_probe
from benchmarks.results import (
    header,
    obstacles,
    other_targets,
    size_tables,
    target_figures,
    verdicts,
)
from policycheck import streams

HERE = Path(__file__).resolve().parent
SEED = 1


# --------------------------------------------------------------------------------------------
# The parent: generate, spawn, collect, print (the children: benchmarks/probes.py).


def _spawn(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, env=environment(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _interpreter_start() -> float:
    return min(timed([sys.executable, "-c", "pass"])[0] for _ in range(5))


def _imports(repeats: int) -> float:
    """Seconds to import the libraries a check cannot do without (pandas, pyarrow's compute
    functions, pandera), beyond a bare interpreter's start."""
    command = [sys.executable, "-c", "import pandas, pyarrow.compute, pandera.pandas"]
    return min(timed(command)[0] for _ in range(repeats)) - _interpreter_start()


def _write_time(size: int, folder: Path) -> float:
    """Seconds to write ``size`` bytes to a new file in ``folder``, 16 MB at a time, as the
    command's JSON is written right before: what the disk and the page cache cost alone."""
    piece = bytes(16 << 20)
    target = folder / "write-floor.bin"
    start = time.perf_counter()
    with open(target, "wb") as sink:
        for _ in range(size // len(piece)):
            sink.write(piece)
        sink.write(piece[: size % len(piece)])
    elapsed = time.perf_counter() - start
    target.unlink()
    return elapsed


#: GB a process touches and frees right before the command's run on used memory.
USED_GB = 3


def _use_memory(gb: int = USED_GB) -> None:
    """Touch and free ``gb`` GB in a child process. A virtual machine may give memory left
    free for a few seconds back to its host (the balloon's free page reporting), which then
    charges the next touch of each page: a process started right after this one gets memory
    the host has backed, as on a machine that keeps its memory."""
    code = ("import mmap, sys\nsize = int(sys.argv[1]) << 30\nblock = mmap.mmap(-1, size)\n"
            "for at in range(0, size, 4096):\n    block[at] = 1\n")
    subprocess.run([sys.executable, "-c", code, str(gb)], check=True)


def _generate(n: int, folder: Path, formats: str = "csv", per_plan: bool = False) -> None:
    command = [sys.executable, str(HERE / "generate.py"), "--plans", str(n), "--seed",
               str(SEED), "--out", str(folder), "--formats", formats]
    subprocess.run(command + (["--yaml-per-plan"] if per_plan else []), check=True,
                   capture_output=True, env=environment())


def _best(runs: list[dict[str, Any]], time_of: Any) -> dict[str, Any]:
    """The fastest of several runs of one measurement, with the highest peak RSS of all."""
    best = dict(min(runs, key=time_of))
    best["rss"] = max(run["rss"] for run in runs)
    return best


def measure(sizes: list[int], cel_plans: int, extras: bool, repeats: int = 3) -> list[str]:
    out = header(repeats)
    print("\n".join(out), flush=True)
    start_python = _interpreter_start()
    rows: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="policycheck-bench-") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"csv{n}"
            _generate(n, folder)
            floors, staged, commands, writes, used = [], [], [], [], []
            for _ in range(repeats):  # in turns, so that a slow spell hits every kind
                floors.append(_spawn("floor", str(folder)))
                staged.append(_spawn("stages", str(folder)))
                target = Path(tmp) / f"out{n}.json"
                with open(target, "wb") as sink, _cold_cache(Path(tmp)) as env:
                    commands.append(timed([*cli(), "check", str(folder), "--format", "json"],
                                           stdout=sink, env=env))
                size = target.stat().st_size
                target.unlink()
                writes.append(_write_time(size, Path(tmp)))
                _use_memory()
                with open(target, "wb") as sink, _cold_cache(Path(tmp)) as env:
                    used.append(timed([*cli(), "check", str(folder), "--format", "json"],
                                       stdout=sink, env=env)[0])
                target.unlink()
            peers = _spawn("peers", str(folder), str(cel_plans), str(repeats))
            references = _spawn("references", str(folder))
            rows[n] = {"floor": _best(floors, lambda r: r["floor"]),
                       "stages": _best(staged, lambda r: sum(r["times"].values())),
                       "cli": (min(c[0] for c in commands), max(c[1] for c in commands)),
                       "write": (min(writes), max(writes)), "imports": _imports(repeats),
                       "cli_used": min(used), "used_gb": USED_GB,
                       "peers": peers, "references": references}
            print(f"  measured {n:,} plans", flush=True)
            shutil.rmtree(folder)
        out += size_tables(rows, start_python)
        figures: dict[str, float] = {}
        if extras:
            measured = _extras(Path(tmp), repeats, large_book=max(sizes) >= 100_000)
            out += other_targets(measured, rows)
            figures = target_figures(measured)
        out += verdicts(rows, start_python, figures)
        out += obstacles(rows, streams.cores())
    return out


@contextlib.contextmanager
def _cold_cache(tmp: Path) -> Iterator[dict[str, str]]:
    """The environment of a first run: a cache folder of its own, empty, deleted after. The
    run pays for writing what it keeps, as a first run does (the model of CSV tables of up
    to ``modelcache.CSV_BYTES``), and no later run is served it."""
    folder = Path(tempfile.mkdtemp(prefix="cache-", dir=tmp))
    try:
        yield dict(environment(), POLICYCHECK_CACHE_DIR=str(folder))
    finally:
        shutil.rmtree(folder)


def _fastest_yaml_load(folder: Path, repeats: int) -> dict[str, Any]:
    """The fastest of ``repeats`` cold loads of the YAML under ``folder`` (``probes``)."""
    return min((_spawn("yaml", str(folder)) for _ in range(repeats)), key=lambda r: r["load"])


def _extras(tmp: Path, repeats: int = 1, large_book: bool = False) -> dict[str, Any]:
    """The YAML, cache, workbook and start-up figures; the two with targets (the cold YAML
    load, the warm-cache validate) are the best of ``repeats`` runs, as the sizes' are.
    With ``large_book``, a workbook of 100,000 plans too (validate and check, cold)."""
    folder = tmp / "yaml10000"
    _generate(10_000, folder, "yaml", per_plan=True)
    cache = tmp / "cache"
    env = dict(environment(), POLICYCHECK_CACHE_DIR=str(cache))
    cores = streams.cores()
    yaml_child = _fastest_yaml_load(folder, repeats)
    yaml_child["libyaml"] = _spawn("libyaml", str(folder))
    # the same plans as files of 100 plans each: a file's parse costs more per plan the
    # longer it is, and a few large files must still go to every core
    in_files = tmp / "yaml10000files"
    _generate(10_000, in_files, "yaml")
    yaml_files = _fastest_yaml_load(in_files, repeats)
    yaml_files["libyaml"] = _spawn("libyaml", str(in_files))
    shutil.rmtree(in_files)
    cold, _ = timed([*cli(), "validate", str(folder)], env=env)  # fills the cache
    warm = min(timed([*cli(), "validate", str(folder)], env=env)[0] for _ in range(repeats))
    warm_check, _ = timed([*cli(), "check", str(folder), "--format", "json"], env=env)
    # One plan file edited: the model is made again, from every other file's cached records.
    edited = sorted(folder.glob("*.yaml"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    one_edited, _ = timed([*cli(), "validate", str(folder)], env=env)
    tables = tmp / "csv10000"
    _generate(10_000, tables)
    timed([*cli(), "check", str(tables), "--format", "json"], env=env)  # keeps the model
    csv_warm = min(timed([*cli(), "check", str(tables), "--format", "json"], env=env)[0]
                   for _ in range(repeats))
    shutil.rmtree(tables)
    book = tmp / "xlsx10000"
    _generate(10_000, book, "xlsx")
    book_cold, _ = timed([*cli(), "validate", str(book)], env=env)
    book_warm, _ = timed([*cli(), "validate", str(book)], env=env)
    large: dict[str, tuple[float, float]] = {}
    if large_book:
        book = tmp / "xlsx100000"
        _generate(100_000, book, "xlsx")
        cold_env = dict(env, POLICYCHECK_NO_CACHE="1")
        large = {"validate": timed([*cli(), "validate", str(book)], env=cold_env),
                 "check": timed([*cli(), "check", str(book), "--format", "json"],
                                 env=cold_env)}
        shutil.rmtree(book)
    helps = [timed([*cli(), "--help"])[0] for _ in range(5)]
    rules_list = min(timed([*cli(), "rules", "list"])[0] for _ in range(3))
    return {"yaml": yaml_child, "yaml_files": yaml_files, "cores": cores, "cold": cold,
            "warm": warm, "warm_check": warm_check, "one_edited": one_edited,
            "book_cold": book_cold, "book_warm": book_warm, "large_book": large,
            "csv_warm": csv_warm,
            "help": min(helps),
            "rules_list": rules_list}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return run_probe(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated plan counts (default 1000,10000,100000)")
    parser.add_argument("--cel-plans", type=int, default=2000,
                        help="plans CEL is measured on per size, scaled linearly (2000)")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip YAML, warm cache and --help timings")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each measurement per size, the best kept (3)")
    parser.add_argument("--results", type=Path, help="also write the output to this file")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    sys.path.insert(0, str(HERE))
    if not compileall.compile_dir(ROOT / "policycheck", quiet=1):
        raise SystemExit("policycheck's modules could not be compiled to bytecode")
    lines = measure(sizes, args.cel_plans, not args.no_extras, max(args.repeats, 1))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.results:
        args.results.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
