"""Benchmark of the commands beside ``check`` at scale, each run as a user runs it.

Over one generated organisation (CSV, default 100,000 plans): ``check`` to JSON (for
reference), to Excel and to SARIF, the leadership report, writing and using a baseline, 1,000
waivers, a diff (JSON, and Markdown, redacted, as a pull request shows it) against a copy in
which every thousandth plan's target variable pay is doubled, and ``export --xlsx``.
Prints a Markdown table of wall time, peak RSS and output size, each the fastest of
``--repeats`` runs (peak RSS the highest).

    python benchmarks/commands_bench.py [--plans 100000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.commands import cli, environment, timed  # noqa: E402
from benchmarks.generate import generate, write  # noqa: E402

#: Waivers of plan ids written out, and one glob of two stars.
WAIVED_PLANS = 999


def _waivers(plan_ids: list[str], target: Path) -> None:
    lines = ["waivers:"]
    step = max(len(plan_ids) // WAIVED_PLANS, 1)
    entries = [*(("claw", plan) for plan in plan_ids[::step][:WAIVED_PLANS]),
               ("gate.missing", "p0001*-*")]
    for rule, plan in entries:
        lines += [f"  - rule: {rule}", f"    plan: '{plan}'", "    reason: retired in 2027",
                  "    owner: reward@example.com", "    expires: 2099-12-31"]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _changed_copy(tables: dict, target: Path) -> None:  # type: ignore[type-arg]
    """The organisation with every thousandth plan's target variable pay doubled."""
    plans = tables["plans"].copy()
    rows = plans.index[::1000]
    plans.loc[rows, "target_variable"] = plans.loc[rows, "target_variable"] * 2
    write({**tables, "plans": plans}, target, ["csv"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    env = dict(environment(), POLICYCHECK_NO_CACHE="1", POLICYCHECK_TODAY="2026-12-01")
    with tempfile.TemporaryDirectory(prefix="policycheck-commands-") as tmp:
        work = Path(tmp)
        tables = generate(args.plans, seed=1)
        org, changed = work / "org", work / "changed"
        write(tables, org, ["csv"])
        _changed_copy(tables, changed)
        waivers, baseline = work / "waivers.yaml", work / "baseline.json"
        _waivers(tables["plans"]["id"].astype(str).tolist(), waivers)
        stdout = work / "stdout"
        # name: the arguments, and the file the command writes (its standard output if None)
        commands: dict[str, tuple[list[str], Path | None]] = {
            "check --format json": (["check", str(org), "--format", "json"], None),
            "report -o report.html": (["report", str(org), "-o", str(work / "report.html"),
                                       "--quiet"], work / "report.html"),
            "check --write-baseline": (["check", str(org), "--write-baseline", str(baseline),
                                        "--quiet"], baseline),
            "check --baseline --format json": (["check", str(org), "--baseline", str(baseline),
                                                "--format", "json"], None),
            f"check --waivers ({WAIVED_PLANS + 1:,} waivers) --format json": (
                ["check", str(org), "--waivers", str(waivers), "--format", "json"], None),
            "check --format xlsx": (["check", str(org), "--format", "xlsx"], None),
            "check --format sarif": (["check", str(org), "--format", "sarif"], None),
            "diff --format json": (["diff", str(org), str(changed), "--format", "json"], None),
            "diff --format markdown": (["diff", str(org), str(changed), "--format", "markdown"],
                                       None),
            "export --xlsx": (["export", str(org), "--xlsx", str(work / "plans.xlsx")],
                              work / "plans.xlsx"),
        }
        print(f"{args.plans:,} plans; the fastest of {args.repeats} run(s) each\n")
        print("| command | wall s | peak RSS MB | output MB |\n|---|---:|---:|---:|")
        for name, (argv, written) in commands.items():
            runs = []
            for _ in range(args.repeats):
                if written is not None and written != baseline:
                    written.unlink(missing_ok=True)  # export refuses to overwrite nothing
                with open(stdout, "wb") as sink:
                    runs.append(timed([*cli(), *argv], stdout=sink, env=env))
            size = (written or stdout).stat().st_size
            wall, rss = min(r[0] for r in runs), max(r[1] for r in runs)
            print(f"| `{name}` | {wall:.2f} | {rss:,.0f} | {size / 1e6:,.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
