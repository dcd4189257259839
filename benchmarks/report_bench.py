"""Benchmark of the leadership report: ``policycheck report`` over generated organisations.

Prints, per size: the time to check and analyse the plans, the time to render the HTML, the
page size, and the peak RSS. Each size runs in its own subprocess so peak RSS is its own.
The issue's target: a report over 10,000 plans renders in under 10 seconds.

    python benchmarks/report_bench.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(folder: Path) -> dict[str, float]:
    """One size, in this process: check + analyse, then render."""
    from policycheck.leadership.analysis import analyse
    from policycheck.leadership.html import render_html

    started = time.perf_counter()
    lead = analyse([folder])
    analysed = time.perf_counter()
    page = render_html(lead, detail_limit=200)
    rendered = time.perf_counter()
    return {"plans": lead.report.plans_checked, "analyse_s": analysed - started,
            "render_s": rendered - analysed, "total_s": rendered - started,
            "page_mb": len(page.encode("utf-8")) / 1e6,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure))))
        return 0
    sys.path.insert(0, str(HERE.parent))
    from benchmarks.generate import generate, write

    print(f"{'plans':>8} {'check+analyse s':>16} {'render s':>9} {'total s':>8} "
          f"{'page MB':>8} {'peak RSS MB':>12}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            write(generate(size, seed=1), Path(tmp), ["csv"])
            out = subprocess.run([sys.executable, __file__, "--measure", tmp], check=True,
                                 capture_output=True, text=True, cwd=HERE.parent)
            row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{row['plans']:>8,} {row['analyse_s']:>16.2f} {row['render_s']:>9.2f} "
              f"{row['total_s']:>8.2f} {row['page_mb']:>8.1f} {row['rss_mb']:>12.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
