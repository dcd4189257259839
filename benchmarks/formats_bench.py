"""Benchmark of the output formats: each format's render of one checked report.

Prints, per size: the check (once, with the default pack), then for each format the time to
render it (each format's default redaction included, as the command writes it) and its
size in MB, the fastest of ``--repeats`` runs. The stream is written to /dev/null: the time is
the format's work, not the disk's.

    python benchmarks/formats_bench.py [--sizes 10000,100000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMATS = ("text", "json", "csv", "sarif", "junit", "github", "markdown", "xlsx")


def measure(folder: Path, repeats: int) -> dict[str, object]:
    """One size, in this process: check once, then render every format ``repeats`` times."""
    from policycheck.cli import run_settings
    from policycheck.formats import render_bytes
    from policycheck.pipeline import check

    run_settings()  # as the command sets them for a run
    started = time.perf_counter()
    report = check([folder])
    out: dict[str, object] = {"check_s": time.perf_counter() - started,
                              "findings": len(report.findings)}
    for fmt in FORMATS:
        best, size = math.inf, 0
        for _ in range(repeats):
            started = time.perf_counter()
            with open(os.devnull, "wb") as sink:
                size = sum(sink.write(piece) for piece in render_bytes(report, fmt))
            best = min(best, time.perf_counter() - started)
        out[fmt] = (best, size / 1e6)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure), max(args.repeats, 1))))
        return 0
    sys.path.insert(0, str(HERE.parent))
    from benchmarks.generate import generate, write

    env = dict(os.environ, POLICYCHECK_MAX_FILE_SIZE=str(1 << 20), POLICYCHECK_NO_CACHE="1")
    print("| plans | findings | check s | " + " | ".join(f"{f} s (MB)" for f in FORMATS) + " |")
    print("|---:|---:|---:|" + "---:|" * len(FORMATS))
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            write(generate(size, seed=1), Path(tmp), ["csv"])
            done = subprocess.run([sys.executable, __file__, "--measure", tmp, "--repeats",
                                   str(args.repeats)], check=True, capture_output=True,
                                  text=True, cwd=HERE.parent, env=env)
            row = json.loads(done.stdout.strip().splitlines()[-1])
        cells = " | ".join(f"{row[f][0]:.2f} ({row[f][1]:,.0f})" for f in FORMATS)
        print(f"| {size:,} | {row['findings']:,} | {row['check_s']:.2f} | {cells} |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
