"""The Markdown of a benchmark run (benchmarks/run.py, kept as benchmarks/RESULTS.md): the
machine it ran on, the tables by size, the peers' table, the other targets' figures and the
Targets table, each target met or missed by how much. Pure text from what the run measured:
nothing here times or spawns anything.
"""

from __future__ import annotations

import datetime
import itertools
import math
import os
import platform
import sys
from pathlib import Path
from typing import Any

from policycheck.findings import SHARED_MIN

HERE = Path(__file__).resolve().parent


def header(repeats: int) -> list[str]:
    """The title, the machine and how many runs each measurement is the best of."""
    return ["# policycheck benchmark", "", *_machine(),
            f"- runs of each measurement per size: {repeats}, the fastest kept (peak RSS: the "
            "highest of them); below, the cold YAML load and the warm-cache validate are the "
            "best of as many runs, the rest measured once",
            "- policycheck's modules compiled to bytecode before the runs, as pip installs them",
            ""]


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



def _exponent(t1: float, t2: float, n1: int, n2: int) -> float:
    return math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else float("nan")



def size_tables(rows: dict[int, dict[str, Any]], start_python: float) -> list[str]:
    """The full check by size with its growth exponents, then the five rules against the
    peers."""
    return _stage_table(rows, start_python) + _peer_table(rows)


def _stage_table(rows: dict[int, dict[str, Any]], start_python: float) -> list[str]:
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
    return out


def _peer_table(rows: dict[int, dict[str, Any]]) -> list[str]:
    out = ["", "## Five default rules: policycheck vs CEL per plan vs a plain Python loop", "",
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
    size = list(rows)[-1]
    last = rows[size]["peers"]
    out += ["", f"Findings per rule at {size:,} plans: "
            + ", ".join(f"{k} {v:,}" for k, v in last["counts"].items()), "",
            f"The machine's speed in this run: the plain Python loop, code that stays the same "
            f"from run to run, took {last['python']:.3f} s at {size:,} plans. On a shared "
            "machine it varies by half or more within an hour; compare runs by it.", ""]
    return out


def _rule_ids() -> tuple[str, ...]:
    sys.path.insert(0, str(HERE))
    import cel_rules

    return cel_rules.RULE_IDS


def other_targets(extras: dict[str, Any], rows: dict[int, dict[str, Any]]) -> list[str]:
    """The YAML, cache, workbook and start-up figures measured by ``run._extras``."""
    cores = extras["cores"]
    out = ["## Other targets", "",
           _yaml_line(f"10,000 one-plan files on {cores} cores", extras["yaml"], cores)
           + f"; `policycheck validate` {extras['cold']:.2f} s",
           _yaml_line("the same plans in 100 files of 100 plans", extras["yaml_files"],
                      cores),
           f"- YAML, warm-cache re-run of `policycheck validate` on the same 10,000 files: "
           f"{extras['warm']:.2f} s (the validated model, whole, from the cache); `policycheck "
           f"check --format json` warm: {extras['warm_check']:.2f} s; `validate` after one file "
           f"is edited: {extras['one_edited']:.2f} s (the model made again from the other "
           f"files' cached records)",
           f"- CSV tables of 10,000 plans, warm-cache re-run of `policycheck check --format "
           f"json`: {extras['csv_warm']:.2f} s (the validated model from the cache; the cold "
           f"run is in the table above)",
           f"- a workbook of 10,000 plans (.xlsx): `policycheck validate` "
           f"{extras['book_cold']:.2f} s cold, {extras['book_warm']:.2f} s warm (the validated "
           f"model from the cache)",
           f"- `policycheck --help`: {extras['help']:.3f} s (best of 5); `policycheck rules "
           f"list`: {extras['rules_list']:.3f} s"]
    large = extras.get("large_book")
    if large:
        out.insert(-1, "- a workbook of 100,000 plans (.xlsx, cold, no cache): `policycheck "
                   f"validate` {large['validate'][0]:.2f} s, peak {large['validate'][1]:,.0f} MB; "
                   f"`policycheck check --format json` {large['check'][0]:.2f} s, peak "
                   f"{large['check'][1]:,.0f} MB")
    if 10_000 in rows:
        out.append(f"- default pack evaluated over 10,000 plans after loading: "
                   f"{rows[10_000]['stages']['times']['evaluate']:.2f} s (target < 2 s)")
    return [*out, ""]


def target_figures(extras: dict[str, Any]) -> dict[str, float]:
    """The figures of ``other_targets`` that have a target in the Targets table."""
    return {"yaml_per_core": _yaml_rate(extras["yaml"]) / extras["cores"],
            "yaml_files_per_core": _yaml_rate(extras["yaml_files"]) / extras["cores"],
            "warm": extras["warm"], "help": extras["help"]}


def _yaml_line(what: str, child: dict[str, Any], cores: int) -> str:
    """A YAML load measured by ``probes._child_yaml``, in words."""
    rate = _yaml_rate(child)
    line = (f"- YAML, {what}, cold cache: load stage {child['load']:.2f} s = {rate:,.0f} "
            f"plans/s in the process ({rate / cores:,.0f} plans/s per core)")
    reference = child.get("libyaml")
    if reference:
        own = _yaml_rate(reference)
        line += (f"; libyaml's own loader (PyYAML's `CSafeLoader`: plain dicts, no positions, "
                 f"no checks) on one core over the same files, this hour: {own:,.0f} plans/s, "
                 f"so policycheck's rate per core is {rate / cores / own:.2f}× of it")
    return line


def _yaml_rate(child: dict[str, Any]) -> float:
    """Plans per second of a YAML load (10,000 plans where the child counted none)."""
    return (child["plans"] or 10_000) / child["load"]


def _verdict(name: str, measured: float, target: float, unit: str,
             higher: bool = False) -> str:
    met = measured >= target if higher else measured <= target
    by = (target / measured if higher else measured / target) if measured and target else 0
    mark = "met" if met else f"missed by {by:.1f}×"
    cmp = "≥" if higher else "≤"
    return f"| {name} | {cmp} {target:g} {unit} | {measured:,.2f} {unit} | {mark} |"


def verdicts(rows: dict[int, dict[str, Any]], start_python: float,
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
        out += [_verdict("YAML plans per second per core, cold cache (one-plan files)",
                         figures["yaml_per_core"], 2000, "plans/s", higher=True),
                _verdict("YAML plans per second per core, cold cache (files of 100 plans)",
                         figures["yaml_files_per_core"], 2000, "plans/s", higher=True),
                _verdict("warm-cache `validate` of 10,000 YAML plans", figures["warm"], 1.5, "s"),
                _verdict("`policycheck --help`", figures["help"], 0.3, "s")]
    return [*out, "", *_command_floor(big, start_python)]


def _command_floor(row: dict[str, Any], start_python: float) -> list[str]:
    """What no check of the largest size to a JSON file can do without on this machine,
    measured in this run, against the command's own time (after interpreter start)."""
    if "write" not in row:
        return []
    imports, read, (write, slowest) = row["imports"], row["floor"]["floor"], row["write"]
    command = row["cli"][0] - start_python
    floor = imports + read + write
    return [f"The floor of that command on this machine, measured in this run: importing "
            f"pandas, pyarrow and pandera {imports:.2f} s + pandas reading the CSV files "
            f"{read:.2f} s (every cell as text: {row['floor']['text']:.2f} s) + writing a file "
            "of the JSON's size "
            f"({row['stages']['json_mb']:,.0f} MB) {write:.2f} s = **{floor:.2f} s**, "
            f"before any checking. The command took {command:.2f} s, "
            f"{command / floor:.1f}× that floor. The same write took up to {slowest:.2f} s "
            "in this run's other turns: on a virtual machine, new pages of the file cache "
            "cost what the host makes them cost. Right after a process touched and freed "
            f"{row['used_gb']} GB, so that the command's memory is memory the host has "
            f"backed, the command took {row['cli_used'] - start_python:.2f} s after "
            "interpreter start (the fastest of as many runs).", ""]


def obstacles(rows: dict[int, dict[str, Any]], cores: int) -> list[str]:
    """What stands in the way of the two CSV targets at the largest size: the stages' CPU
    time, the least time it could take on this machine's cores, and two stages against the
    libraries' own ways of doing their core on the same data."""
    largest = max(rows)
    row = rows[largest]
    cpu, wall = row["stages"].get("cpu"), row["stages"]["times"]
    if not cpu:
        return []
    work, floor = sum(cpu.values()), row["floor"]["floor"]
    least = row["imports"] + work / cores
    out = ["## What stands in the way of the CSV targets", "",
           f"CPU time of the stages at {largest:,} plans, user and system, every thread: "
           + ", ".join(f"{name} {cpu[name]:.2f} s" for name in wall)
           + f" = {work:.2f} s, in {sum(wall.values()):.2f} s of wall time (from "
           f"{SHARED_MIN:,} findings, the messages and the output's parts are made two at a "
           "time, and a large CSV file is read on every core). Spread evenly over this machine's "
           f"{cores} cores, that work would take {work / cores:.2f} s, "
           f"{work / cores / floor:.1f}× the floor of pandas reading the tables (target "
           f"10×); with the imports ({row['imports']:.2f} s, on one core), the command "
           f"could take no less than {least:.2f} s before the JSON is written (target 3 s). "
           + _reach([name for name, over in (("3 s", least > 3),
                                             ("10×", work / cores > 10 * floor)) if over]),
           ""]
    ref = row.get("references")
    if ref:
        out += [f"The libraries' own ways, on the same {largest:,} plans: pandera's schemas "
                f"alone took {ref['pandera']:.2f} s of the validate stage's "
                f"{ref['validate']:.2f} s (the rest reads every cell as text, types it with a "
                "message per bad cell and checks the tables against each other); pandas' own "
                f"JSON writer, in C, took {ref['to_json']:.2f} s to write the same "
                f"{ref['findings']:,} findings flat ({ref['to_json_mb']:,.0f} MB, their "
                f"fingerprints given), where the render stage took {ref['render']:.2f} s "
                "working the fingerprints out as well.", ""]
    return out


def _reach(missed: list[str]) -> str:
    """Which targets even perfectly parallel work would miss, in words."""
    if not missed:
        return "Both are within reach of work spread more evenly over the cores than now."
    if len(missed) == 1:
        return f"The {missed[0]} target asks for less work per finding, not more cores."
    return (f"The {' and '.join(missed)} targets ask for less work per finding, not more "
            "cores.")
