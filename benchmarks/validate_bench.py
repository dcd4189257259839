"""Benchmark of the validate stage on generated organisations (SPEC 10, performance).

    python benchmarks/validate_bench.py                     # 1,000 / 10,000 / 100,000 plans
    python benchmarks/validate_bench.py --sizes 1000,10000 --repeat 3

For each size the organisation is generated as CSV tables into a temporary folder (not
timed), then two fresh subprocesses measure, so that peak RSS is per size and per job:

- floor: reading every table with plain pandas (``pd.read_csv(dtype=str,
  keep_default_na=False)``), the least any CSV-based validation has to pay;
- policycheck: ``policycheck.validation.load_model(folder)``, split into the stages of
  ``validation.validate`` by wrapping the functions it calls (load, typing, pandera,
  cross-table, selecting the valid plans); the package itself is not changed.

Printed: wall times (and the CPU time of load_model), plans per second, the ratio to the
floor, peak RSS (ru_maxrss) and the growth exponent log(t2/t1)/log(n2/n1) between consecutive
sizes (1.0 is linear). Each measurement is the fastest of ``--repeat`` runs.
The file-size limit of the loader is lifted (100,000 plans make a ~50 MB components.csv).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NO_SIZE_LIMIT = 1 << 40
#: Stages: (label, module attribute path in policycheck.validation that validate() calls).
STAGES = (
    ("load", "load_paths"),
    ("typing", "normalise"),
    ("pandera", "validate_frame"),
    ("cross", "checks.cross_table"),
    ("select", "_select_valid"),
)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


# --------------------------------------------------------------------------------------------
# Child processes: one measurement each, a JSON line on stdout.


def _child_floor(folder: Path, repeat: int) -> dict:
    import pandas as pd

    imported = _peak_rss_mb()
    best = math.inf
    rows = 0
    for _ in range(repeat):
        started = time.perf_counter()
        frames = [pd.read_csv(path, dtype=str, keep_default_na=False)
                  for path in sorted(folder.glob("*.csv"))]
        best = min(best, time.perf_counter() - started)
        rows = sum(len(f) for f in frames)
        del frames
    return {"seconds": best, "rows": rows, "rss_imports": imported, "rss_peak": _peak_rss_mb()}


def _instrument(validation: object, timings: dict[str, float]) -> list[str]:
    """Wrap the functions validate() calls so that each call adds to its stage's time."""
    missing = []
    for label, dotted in STAGES:
        owner: object = validation
        *parents, name = dotted.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        original = getattr(owner, name, None) if owner is not None else None
        if original is None:
            missing.append(label)
            continue

        def timed(*args, _original=original, _label=label, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                timings[_label] += time.perf_counter() - started

        setattr(owner, name, timed)
    return missing


def _child_policycheck(folder: Path, repeat: int) -> dict:
    from policycheck import validation

    imported = _peak_rss_mb()
    timings = dict.fromkeys((label for label, _ in STAGES), 0.0)
    missing = _instrument(validation, timings)
    best: dict | None = None
    for _ in range(repeat):
        for key in timings:
            timings[key] = 0.0
        started, cpu = time.perf_counter(), time.process_time()
        model = validation.load_model([folder], max_bytes=NO_SIZE_LIMIT)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        if best is None or total < best["seconds"]:
            best = {"seconds": total, "cpu": cpu, "stages": dict(timings)}
        errors = [p for p in model.problems if p.severity == "error"]
        result = {"plans_read": model.plans_read, "plans_valid": model.plans_valid,
                  "problems": len(model.problems), "errors": len(errors),
                  "first_problems": [str(p.message) for p in model.problems[:3]]}
        del model
    assert best is not None
    for label in missing:
        best["stages"][label] = None
    return {**best, **result, "rss_imports": imported, "rss_peak": _peak_rss_mb()}


# --------------------------------------------------------------------------------------------
# Parent: generate, measure in subprocesses, print the table.


def _run_child(mode: str, folder: Path, repeat: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(folder),
                           "--repeat", str(repeat)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run on {folder} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _generate(n: int, seed: int, folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--plans", str(n), "--seed",
                    str(seed), "--out", str(folder)], check=True, capture_output=True)
    return time.perf_counter() - started


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)), line]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def _versions() -> str:
    import numpy
    import pandas
    import pandera

    return (f"python {platform.python_version()}, pandas {pandas.__version__}, pandera "
            f"{pandera.__version__}, numpy {numpy.__version__}, {os.cpu_count()} CPUs, "
            f"{platform.machine()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated plan counts (default 1000,10000,100000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per measurement; the fastest is reported")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, folder = args.child
        job = _child_floor if mode == "floor" else _child_policycheck
        print(json.dumps(job(Path(folder), args.repeat)))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    print(f"validate benchmark: seed {args.seed}, best of {args.repeat}; {_versions()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    results = []
    with tempfile.TemporaryDirectory(prefix="policycheck-bench-") as temporary:
        for n in sizes:
            folder = Path(temporary) / str(n)
            generated = _generate(n, args.seed, folder)
            size_mb = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
            floor = _run_child("floor", folder, args.repeat)
            checked = _run_child("policycheck", folder, args.repeat)
            results.append((n, size_mb, generated, floor, checked))
            print(f"  {n:,} plans: {floor['rows']:,} rows, {size_mb:.1f} MB of CSV "
                  f"(generated in {generated:.1f} s); {checked['plans_valid']:,} of "
                  f"{checked['plans_read']:,} plans valid, {checked['problems']} problems",
                  flush=True)
            if checked["errors"] or checked["plans_valid"] != n:
                print("    generated plans rejected: " + "; ".join(checked["first_problems"]))
    print()
    header = ["plans", "CSV MB", "floor s", "load s", "typing s", "pandera s", "cross s",
              "select s", "other s", "total s", "CPU s", "plans/s", "x floor", "RSS floor MB",
              "RSS MB", "growth floor", "growth total", "growth CPU"]
    rows = []
    previous = None
    for n, size_mb, _, floor, checked in results:
        stages = checked["stages"]
        known = sum(v for v in stages.values() if v is not None)
        growth = ["", "", ""]
        if previous is not None:
            pn, pf, pt, pc = previous
            scale = math.log(n / pn)
            growth = [f"{math.log(floor['seconds'] / pf) / scale:.2f}",
                      f"{math.log(checked['seconds'] / pt) / scale:.2f}",
                      f"{math.log(checked['cpu'] / pc) / scale:.2f}"]
        previous = (n, floor["seconds"], checked["seconds"], checked["cpu"])
        rows.append([f"{n:,}", f"{size_mb:.1f}", _fmt(floor["seconds"]),
                     *(_fmt(stages[label]) for label, _ in STAGES),
                     _fmt(checked["seconds"] - known), _fmt(checked["seconds"]),
                     _fmt(checked["cpu"]),
                     f"{n / checked['seconds']:,.0f}",
                     f"{checked['seconds'] / floor['seconds']:.1f}",
                     f"{floor['rss_peak']:.0f}", f"{checked['rss_peak']:.0f}", *growth])
    print(_table(rows, header))
    print(f"\nload average at the end {os.getloadavg()[0]:.2f} (other processes on the machine "
          "skew the times). RSS = peak resident set of the measuring process (imports alone: "
          f"{results[0][3]['rss_imports']:.0f} MB for pandas, "
          f"{results[0][4]['rss_imports']:.0f} MB with policycheck and pandera). growth = "
          "log(t2/t1)/log(n2/n1) against the previous size, of wall and of CPU time (CPU "
          "time is less disturbed by other load); 1.0 is linear.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
