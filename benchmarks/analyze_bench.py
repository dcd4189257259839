"""Benchmark of ``policycheck analyze``: 10 million actual rows from Parquet.

    python -m benchmarks.analyze_bench [PEOPLE]   # default 100,000 people × 12 periods

Generates the actuals (100,000 employees over the sample plans, 12 monthly periods, every
KPI of their plan: about 10 million rows) into a Parquet file, then runs the analysis in a
fresh process (``policycheck analyze``, as a user would) and prints its wall time and peak
resident memory (getrusage of the child), next to the time of just reading the file.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script (`python benchmarks/analyze_bench.py`): find the package
    sys.path.append(str(Path(__file__).resolve().parents[1]))

from benchmarks.actuals import SAMPLE, big_actuals


def _child(args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        print(done.stdout[-2000:], done.stderr[-2000:])
        raise SystemExit(f"failed: {' '.join(args)}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024  # KiB → MiB on Linux


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("people", nargs="?", type=int, default=100_000,
                        help="employees, each with a year of monthly actuals (default 100000)")
    people = parser.parse_args(argv).people
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "kpi_actuals.parquet"
        start = time.perf_counter()
        frame = big_actuals(people)
        for column in ("employee_id", "plan_id", "period", "kpi"):
            frame[column] = frame[column].astype("category")
        frame.to_parquet(target, index=False)
        rows = len(frame)
        del frame
        print(f"generated {rows:,} rows in {time.perf_counter() - start:.1f} s "
              f"({target.stat().st_size / 2**20:.0f} MiB Parquet)")
        read = [sys.executable, "-c", "import pyarrow.parquet as pq, sys; "
                "pq.read_table(sys.argv[1]).to_pandas()", str(target)]
        read_wall, read_rss = _child(read)
        exe = Path(sys.executable).with_name("policycheck")
        wall, rss = _child([str(exe), "analyze", str(SAMPLE), "--actuals", str(target),
                            "--format", "json", "--fail-on", "none"])
        print(f"read only : {read_wall:6.1f} s wall, peak RSS {read_rss:,.0f} MiB")
        print(f"analyze   : {wall:6.1f} s wall, peak RSS {rss:,.0f} MiB "
              f"({rows:,} rows; {wall / read_wall:.1f}× reading)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
