"""Benchmark of messy input: an organisation whose exports are full of mistakes.

HR's exports are rarely clean, and policycheck reports every bad cell with its file, row,
field and expected value. This times that path, which a clean benchmark never takes: a
generated organisation (CSV tables, as ``benchmarks/run.py`` makes them) is spoiled
deterministically, a share of cells of each kind a person gets wrong:

- components: a weight that is not a number (every 5th), an unknown KPI (every 7th), a
  plan id no plan has (every 31st), a blank component id (every 9th), a curve whose
  attainment goes back (every 29th);
- plans: a blank plan id (every 11th), an end date before the start (every 13th), a
  maximum payout below the target (every 17th), a negative headcount (every 19th), an id
  given twice (every 23rd names the first plan);
- gates: a component that is not in the plan (every 7th), neither a minimum nor a
  maximum (every 5th).

Then, in fresh processes with no cache, ``policycheck validate --format json`` and
``policycheck check --format json`` over the clean and the spoiled folders, each the
fastest of ``--repeats``; printed: wall seconds, peak RSS and the problems by code.

    python benchmarks/messy_bench.py [--sizes 10000,100000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

if not __package__:  # run as a script: find the package
    sys.path.append(str(Path(__file__).resolve().parents[1]))

from benchmarks.commands import cli, timed
from benchmarks.generate import generate, write

SEED = 1


def _every(table: pd.DataFrame, step: int) -> pd.Series:
    """The rows numbered ``step``, ``2 * step``, ... (from 1), as a mask."""
    return pd.Series((pd.RangeIndex(len(table)) + 1) % step == 0, index=table.index)


def spoil(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The organisation's tables with the mistakes of the module's docstring."""
    plans = tables["plans"].copy()
    first = plans["id"].iloc[0]
    plans.loc[_every(plans, 13), "effective_to"] = "2020-01-01"
    plans.loc[_every(plans, 17), "max_variable"] = "1"
    plans.loc[_every(plans, 19), "headcount"] = "-5"
    plans.loc[_every(plans, 23), "id"] = first
    plans.loc[_every(plans, 11), "id"] = None
    components = tables["components"].copy()
    components.loc[_every(components, 5), "weight"] = "lots"
    components.loc[_every(components, 7), "kpi"] = "no_such_kpi"
    components.loc[_every(components, 9), "id"] = None
    components.loc[_every(components, 29), "curve_points"] = "50:0;40:10"
    components.loc[_every(components, 31), "plan_id"] = "p-nobody"
    gates = tables["gates"].copy()
    gates.loc[_every(gates, 7), "applies_to"] = "ghost"
    gates.loc[_every(gates, 5), ["min", "max"]] = None
    return {**tables, "plans": plans, "components": components, "gates": gates}


def _run(command: str, folder: Path, out: Path, repeats: int) -> tuple[float, float]:
    """The fastest wall time of ``repeats`` runs of the command, and the highest peak RSS."""
    runs = []
    for _ in range(repeats):
        with open(out, "wb") as sink:
            runs.append(timed([*cli(), command, str(folder), "--no-cache", "--format",
                               "json"], stdout=sink))
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print("| plans | input | problems | validate s | validate peak MB | check s | "
          "check peak MB | problems by code |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        tables = generate(size, seed=SEED)
        with tempfile.TemporaryDirectory(prefix="policycheck-messy-") as tmp:
            for label, org in (("clean", tables), ("spoiled", spoil(tables))):
                folder = Path(tmp) / label
                write(org, folder, ["csv"])
                report = Path(tmp) / "report.json"
                validated = _run("validate", folder, report, max(args.repeats, 1))
                problems = json.loads(report.read_text(encoding="utf-8"))["problems"]
                checked = _run("check", folder, report, max(args.repeats, 1))
                codes = collections.Counter(p["code"] for p in problems)
                by_code = ", ".join(f"{code} {n:,}" for code, n in sorted(codes.items()))
                print(f"| {size:,} | {label} | {len(problems):,} | {validated[0]:.2f} | "
                      f"{validated[1]:,.0f} | {checked[0]:.2f} | {checked[1]:,.0f} | "
                      f"{by_code or '–'} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
