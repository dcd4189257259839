"""The performance benchmark of policycheck (SPEC 10; issue 6): one run, every number.

    python benchmarks/run.py                          # 1,000 / 10,000 / 100,000 plans
    python benchmarks/run.py --sizes 1000,10000       # fewer sizes
    python benchmarks/run.py --results benchmarks/RESULTS.md   # also keep the output

For each size a seeded organisation (benchmarks/generate.py) is written as CSV tables to a
temporary folder (not timed); then each measurement runs in a fresh subprocess, so that peak
RSS (ru_maxrss) belongs to one size and one job:

- floor: plain pandas reading the same CSV files (``dtype=str, keep_default_na=False``);
- stages: load, validate, evaluate (the default pack), render json (and write it), timed
  inside one process with the library API; as in the command, the fingerprints are worked
  out by the JSON output, so they count in its render;
- cli: ``policycheck check FOLDER --format json`` to a file, wall time and peak RSS of the
  whole command, and that wall minus the start of a bare interpreter;
- peers: the same five representative default rules (benchmarks/cel_rules.py) evaluated by
  policycheck, by CEL plan by plan (cel-python; on at most ``--cel-plans`` plans, scaled
  linearly, as CEL takes minutes on 100,000 plans) and by a plain Python loop, over dicts
  built from the validated frames (the build is timed apart). Finding counts must agree.
  policycheck evaluates as ``check`` does for an output that shows no fingerprint (text,
  JUnit, GitHub, Markdown): messages, evidence, locations and pay at stake, no fingerprints.

Each of these is measured ``--repeats`` times (3 by default) and the best run kept, with the
highest peak RSS of any run: on a shared machine the speed of the same code varies by a
third between runs, and the fastest run is the one least disturbed by others. The peers
are timed in turns (policycheck, the loop, policycheck, ...), CEL once.

Then: YAML plans per second per core on a cold cache and the warm-cache re-run of 10,000
YAML plans (each the best of ``--repeats`` runs); once, a workbook of 10,000 plans cold and
warm, ``policycheck --help`` (best of 5), and the default pack over 10,000 plans after
loading. The output formats are timed by ``benchmarks/formats_bench.py``.
Growth exponent: log(t2/t1)/log(n2/n1) between consecutive sizes (1.0 is linear).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import itertools
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NO_SIZE_LIMIT = str(1 << 20)  # MB: 100,000 plans make a ~50 MB components.csv
SEED = 1


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


# --------------------------------------------------------------------------------------------
# Child processes: one measurement each, a JSON line on stdout.


def _child_floor(folder: Path) -> dict[str, Any]:
    import pandas as pd

    start = time.perf_counter()
    for path in sorted(folder.glob("*.csv")):
        pd.read_csv(path, dtype=str, keep_default_na=False)
    return {"floor": time.perf_counter() - start, "rss": _peak_rss_mb()}


def _child_stages(folder: Path) -> dict[str, Any]:
    from policycheck.engine import compile_rules, evaluate
    from policycheck.formats import json_format
    from policycheck.loading import load_paths
    from policycheck.report import Report
    from policycheck.ruleset import load_rules, override, select
    from policycheck.scopes import Frames
    from policycheck.validation import validate

    # validate imports pandera when it runs (a run served by the model cache does without
    # it); imported here, as every stage's modules are, so that a stage times its work only
    importlib.import_module("policycheck.schemas")
    times: dict[str, float] = {}
    start = time.perf_counter()
    loaded = load_paths([folder])
    times["load"] = time.perf_counter() - start
    start = time.perf_counter()
    model = validate(loaded)
    times["validate"] = time.perf_counter() - start
    start = time.perf_counter()
    rules = override(select(load_rules(None), (), ()), {}, {})
    # as the command runs it: the fingerprints are worked out by the output that shows them
    findings = evaluate(compile_rules(rules), Frames(model.frames), fingerprint=False)
    times["evaluate"] = time.perf_counter() - start
    report = Report(findings=findings, problems=model.problems, rules=tuple(rules),
                    plans_read=model.plans_read, plans_checked=model.plans_valid,
                    plans_invalid=model.plans_invalid, files=model.files)
    start = time.perf_counter()
    written = 0
    with open(os.devnull, "wb") as sink:  # streamed as the command writes it
        for piece in json_format.chunks(report):
            written += len(piece)
            sink.write(piece)
    times["render"] = time.perf_counter() - start
    return {"times": times, "findings": len(findings), "plans": model.plans_valid,
            "json_mb": written / 1e6, "rss": _peak_rss_mb()}


def _child_peers(folder: Path, cel_plans: int, repeats: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import cel_rules

    from policycheck.engine import compile_rules, evaluate
    from policycheck.ruleset import load_rules, override, select
    from policycheck.scopes import Frames
    from policycheck.validation import load_model

    model = load_model([folder])
    rules = override(select(load_rules(None), cel_rules.RULE_IDS, ()), {}, {})
    values = {r.id: dict(r.values) for r in rules}
    compiled = compile_rules(rules)
    start = time.perf_counter()
    plans = cel_rules.plan_dicts(model.frames)
    build = time.perf_counter() - start
    ours = python = math.inf
    for _ in range(repeats):  # in turns; each run of ours starts from fresh lookups
        start = time.perf_counter()
        findings = evaluate(compiled, Frames(model.frames), fingerprint=False)  # as check
        ours = min(ours, time.perf_counter() - start)
        start = time.perf_counter()
        counts_python = cel_rules.run_python(plans, values)
        python = min(python, time.perf_counter() - start)
    counts_ours = {r: int((findings["rule_id"] == r).sum()) for r in cel_rules.RULE_IDS}
    sample = plans[:cel_plans]
    programs, params = cel_rules.cel_programs(values)
    start = time.perf_counter()
    counts_cel = cel_rules.run_cel(sample, programs, params)
    cel = (time.perf_counter() - start) * len(plans) / max(len(sample), 1)
    counts_python_sample = cel_rules.run_python(sample, values)
    return {"policycheck": ours, "python": python, "cel": cel, "build": build,
            "cel_sampled": len(sample), "plans": len(plans), "counts": counts_ours,
            "agree_python": counts_python == counts_ours,
            "agree_cel": counts_cel == counts_python_sample,
            "counts_cel": counts_cel, "counts_python_sample": counts_python_sample}


def _child_yaml(folder: Path) -> dict[str, Any]:
    os.environ["POLICYCHECK_NO_CACHE"] = "1"  # cold: parse every file (in parallel)
    from policycheck.loading import load_paths

    start = time.perf_counter()
    loaded = load_paths([folder])
    return {"load": time.perf_counter() - start, "plans": len(loaded.records.rows.get("plans", [])),
            "rss": _peak_rss_mb()}


def _child(argv: list[str]) -> int:
    kind, folder = argv[0], Path(argv[1])
    if kind != "floor":  # the garbage collector as the command sets it for a run
        import gc

        from policycheck.cli import RUN_GC_THRESHOLDS

        gc.set_threshold(*RUN_GC_THRESHOLDS)
    if kind == "floor":
        out = _child_floor(folder)
    elif kind == "stages":
        out = _child_stages(folder)
    elif kind == "peers":
        out = _child_peers(folder, int(argv[2]), int(argv[3]))
    else:
        out = _child_yaml(folder)
    print(json.dumps(out))
    return 0


# --------------------------------------------------------------------------------------------
# The parent: generate, spawn, collect, print.


def _env() -> dict[str, str]:
    env = dict(os.environ, POLICYCHECK_MAX_FILE_SIZE=NO_SIZE_LIMIT)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _spawn(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, env=_env(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _timed(command: list[str], stdout: Any = subprocess.DEVNULL,
           env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, measured with wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL,
                               env=env or _env())
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def _cli() -> list[str]:
    return [sys.executable, "-m", "policycheck"]


def _interpreter_start() -> float:
    return min(_timed([sys.executable, "-c", "pass"])[0] for _ in range(5))


def _generate(n: int, folder: Path, formats: str = "csv", per_plan: bool = False) -> None:
    command = [sys.executable, str(HERE / "generate.py"), "--plans", str(n), "--seed",
               str(SEED), "--out", str(folder), "--formats", formats]
    subprocess.run(command + (["--yaml-per-plan"] if per_plan else []), check=True,
                   capture_output=True, env=_env())


def _exponent(t1: float, t2: float, n1: int, n2: int) -> float:
    return math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else float("nan")


def _machine() -> list[str]:
    import pandas
    import pandera

    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {platform.platform()}, {platform.processor() or platform.machine()}",
            f"- nproc: {os.cpu_count()}, memory: {mem}, load average at start: {load}",
            f"- python {platform.python_version()}, pandas {pandas.__version__}, "
            f"pandera {pandera.__version__}"]


def _best(runs: list[dict[str, Any]], time_of: Any) -> dict[str, Any]:
    """The fastest of several runs of one measurement, with the highest peak RSS of all."""
    best = dict(min(runs, key=time_of))
    best["rss"] = max(run["rss"] for run in runs)
    return best


def measure(sizes: list[int], cel_plans: int, extras: bool, repeats: int = 3) -> list[str]:
    out = ["# policycheck benchmark", "", *_machine(),
           f"- runs of each measurement per size: {repeats}, the fastest kept (peak RSS: the "
           "highest of them); below, the cold YAML load and the warm-cache validate are the "
           "best of as many runs, the rest measured once", ""]
    print("\n".join(out), flush=True)
    start_python = _interpreter_start()
    rows: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="policycheck-bench-") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"csv{n}"
            _generate(n, folder)
            floors, staged, commands = [], [], []
            for _ in range(repeats):  # in turns, so that a slow spell hits every kind
                floors.append(_spawn("floor", str(folder)))
                staged.append(_spawn("stages", str(folder)))
                target = Path(tmp) / f"out{n}.json"
                with open(target, "wb") as sink:
                    commands.append(_timed([*_cli(), "check", str(folder), "--format", "json"],
                                           stdout=sink))
                target.unlink()
            peers = _spawn("peers", str(folder), str(cel_plans), str(repeats))
            rows[n] = {"floor": _best(floors, lambda r: r["floor"]),
                       "stages": _best(staged, lambda r: sum(r["times"].values())),
                       "cli": (min(c[0] for c in commands), max(c[1] for c in commands)),
                       "peers": peers}
            print(f"  measured {n:,} plans", flush=True)
            shutil.rmtree(folder)
        out += _size_tables(rows, start_python)
        figures: dict[str, float] = {}
        if extras:
            out += _extras(Path(tmp), rows, figures, repeats)
        out += _verdicts(rows, start_python, figures)
    return out


def _verdict(name: str, measured: float, target: float, unit: str,
             higher: bool = False) -> str:
    met = measured >= target if higher else measured <= target
    by = (target / measured if higher else measured / target) if measured and target else 0
    mark = "met" if met else f"missed by {by:.1f}×"
    cmp = "≥" if higher else "≤"
    return f"| {name} | {cmp} {target:g} {unit} | {measured:,.2f} {unit} | {mark} |"


def _verdicts(rows: dict[int, dict[str, Any]], start_python: float,
              figures: dict[str, float]) -> list[str]:
    """Each target of the issue against what this run measured, met or missed by how much."""
    out = ["## Targets", "", "| target | wanted | measured | |", "|---|---|---|---|"]
    largest = max(rows)
    big = rows[largest]
    wall, rss = big["cli"]
    total = sum(big["stages"]["times"].values())
    out += [_verdict(f"{largest:,} plans, full `check` to JSON, after interpreter start",
                     wall - start_python, 3, "s"),
            _verdict("peak RSS of that command", rss / 1024, 1.5, "GB"),
            _verdict("ratio of the stages to the floor", total / big["floor"]["floor"], 10, "×")]
    peers = big["peers"]
    out += [_verdict("CEL per plan / policycheck", peers["cel"] / peers["policycheck"], 100,
                     "×", higher=True),
            _verdict("python loop / policycheck", peers["python"] / peers["policycheck"], 1,
                     "×", higher=True)]
    sizes = sorted(rows)
    if len(sizes) > 1:
        a, b = sizes[-2], sizes[-1]
        out.append(_verdict(f"growth exponent {a:,} → {b:,} (command)",
                            _exponent(rows[a]["cli"][0], rows[b]["cli"][0], a, b), 1.1, ""))
    if figures:
        out += [_verdict("YAML plans per second per core, cold cache", figures["yaml_per_core"],
                         2000, "plans/s", higher=True),
                _verdict("warm-cache `validate` of 10,000 YAML plans", figures["warm"], 1.5, "s"),
                _verdict("`policycheck --help`", figures["help"], 0.3, "s")]
    return [*out, ""]


def _size_tables(rows: dict[int, dict[str, Any]], start_python: float) -> list[str]:
    out = ["## Full check, by size (CSV input, default pack, JSON output)", "",
           "| plans | load s | validate s | evaluate s | render json s | stages total s | "
           "floor s | ratio to floor | cli wall s | cli − interpreter s | peak RSS MB (stages / "
           "cli) | plans/s | findings | json MB |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, r in rows.items():
        t = r["stages"]["times"]
        total = sum(t.values())
        wall, rss = r["cli"]
        out.append(
            f"| {n:,} | {t['load']:.2f} | {t['validate']:.2f} | {t['evaluate']:.2f} | "
            f"{t['render']:.2f} | {total:.2f} | {r['floor']['floor']:.2f} | "
            f"{total / r['floor']['floor']:.1f}× | {wall:.2f} | {wall - start_python:.2f} | "
            f"{r['stages']['rss']:.0f} / {rss:.0f} | {n / total:,.0f} | "
            f"{r['stages']['findings']:,} | {r['stages']['json_mb']:.0f} |")
    sizes = list(rows)
    if len(sizes) > 1:
        out += ["", "Growth exponent (1.0 is linear):", "",
                "| between | load | validate | evaluate | render | total | cli |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for a, b in itertools.pairwise(sizes):
            ta, tb = rows[a]["stages"]["times"], rows[b]["stages"]["times"]
            cells = [f"{_exponent(ta[k], tb[k], a, b):.2f}"
                     for k in ("load", "validate", "evaluate", "render")]
            cells.append(f"{_exponent(sum(ta.values()), sum(tb.values()), a, b):.2f}")
            cells.append(f"{_exponent(rows[a]['cli'][0], rows[b]['cli'][0], a, b):.2f}")
            out.append(f"| {a:,} → {b:,} | " + " | ".join(cells) + " |")
    out += ["", "## Five default rules: policycheck vs CEL per plan vs a plain Python loop", "",
            "Rules: " + ", ".join(_rule_ids()) + "; evaluation only, over the validated model "
            "(the per-plan dicts the peers need are built apart, column 'dict build').", "",
            "| plans | policycheck s | python loop s | CEL s | CEL plans measured | "
            "CEL / policycheck | python / policycheck | dict build s | counts agree |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n, r in rows.items():
        p = r["peers"]
        agree = "yes" if p["agree_python"] and p["agree_cel"] else (
            f"NO (python {p['agree_python']}, cel {p['agree_cel']})")
        out.append(f"| {n:,} | {p['policycheck']:.3f} | {p['python']:.3f} | {p['cel']:.1f} | "
                   f"{p['cel_sampled']:,} | {p['cel'] / p['policycheck']:,.0f}× | "
                   f"{p['python'] / p['policycheck']:.1f}× | {p['build']:.2f} | {agree} |")
    last = rows[list(rows)[-1]]["peers"]
    out += ["", f"Findings per rule at {list(rows)[-1]:,} plans: "
            + ", ".join(f"{k} {v:,}" for k, v in last["counts"].items()), ""]
    return out


def _rule_ids() -> tuple[str, ...]:
    sys.path.insert(0, str(HERE))
    import cel_rules

    return cel_rules.RULE_IDS


def _extras(tmp: Path, rows: dict[int, dict[str, Any]], figures: dict[str, float],
            repeats: int = 1) -> list[str]:
    """The YAML, cache, workbook and start-up figures; the two with targets (the cold YAML
    load, the warm-cache validate) are the best of ``repeats`` runs, as the sizes' are."""
    out = ["## Other targets", ""]
    folder = tmp / "yaml10000"
    _generate(10_000, folder, "yaml", per_plan=True)
    cache = tmp / "cache"
    env = dict(_env(), POLICYCHECK_CACHE_DIR=str(cache))
    cores = os.cpu_count() or 1
    yaml_child = min((_spawn("yaml", str(folder)) for _ in range(repeats)),
                     key=lambda r: r["load"])
    cold, _ = _timed([*_cli(), "validate", str(folder)], env=env)  # fills the cache
    warm = min(_timed([*_cli(), "validate", str(folder)], env=env)[0] for _ in range(repeats))
    warm_check, _ = _timed([*_cli(), "check", str(folder), "--format", "json"], env=env)
    # One plan file edited: the model is made again, from every other file's cached records.
    edited = sorted(folder.glob("*.yaml"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    one_edited, _ = _timed([*_cli(), "validate", str(folder)], env=env)
    book = tmp / "xlsx10000"
    _generate(10_000, book, "xlsx")
    book_cold, _ = _timed([*_cli(), "validate", str(book)], env=env)
    book_warm, _ = _timed([*_cli(), "validate", str(book)], env=env)
    helps = [_timed([*_cli(), "--help"])[0] for _ in range(5)]
    rules_list = min(_timed([*_cli(), "rules", "list"])[0] for _ in range(3))
    plans = yaml_child["plans"] or 10_000
    figures.update({"yaml_per_core": plans / yaml_child["load"] / cores, "warm": warm,
                    "help": min(helps)})
    out += [f"- YAML, 10,000 one-plan files, cold cache: load stage {yaml_child['load']:.2f} s = "
            f"{plans / yaml_child['load']:,.0f} plans/s in the process "
            f"({plans / yaml_child['load'] / cores:,.0f} plans/s per core on {cores} cores); "
            f"`policycheck validate` {cold:.2f} s",
            f"- YAML, warm-cache re-run of `policycheck validate` on the same 10,000 files: "
            f"{warm:.2f} s (the validated model, whole, from the cache); `policycheck check "
            f"--format json` warm: {warm_check:.2f} s; `validate` after one file is edited: "
            f"{one_edited:.2f} s (the model made again from the other files' cached records)",
            f"- a workbook of 10,000 plans (.xlsx): `policycheck validate` {book_cold:.2f} s "
            f"cold, {book_warm:.2f} s warm (the validated model from the cache)",
            f"- `policycheck --help`: {min(helps):.3f} s (best of 5); `policycheck rules list`: "
            f"{rules_list:.3f} s"]
    if 10_000 in rows:
        out.append(f"- default pack evaluated over 10,000 plans after loading: "
                   f"{rows[10_000]['stages']['times']['evaluate']:.2f} s (target < 2 s)")
    return [*out, ""]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
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
    lines = measure(sizes, args.cel_plans, not args.no_extras, max(args.repeats, 1))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.results:
        args.results.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
