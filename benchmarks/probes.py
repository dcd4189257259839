"""The measurements of benchmarks/run.py that each run in a child process of their own, so
that peak RSS (ru_maxrss) belongs to one size and one job: the pandas floor, the stages of a
check, the five rules against their peers, the cold YAML load. Each prints one JSON line on
stdout for the parent to collect (``python benchmarks/run.py --child KIND FOLDER ...``).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def _child_floor(folder: Path) -> dict[str, Any]:
    """The floor: pandas reading the CSV files with its defaults (the issue's figure, about
    0.12 s at 100,000 plans); then, for comparison, reading every cell as text, as a check
    must to tell a bad cell by its row (not the floor: Python strings cost more)."""
    import pandas as pd

    paths = sorted(folder.glob("*.csv"))
    pd.read_csv(paths[0], nrows=100)  # pandas' first read sets itself up: not the floor
    start = time.perf_counter()
    for path in paths:
        pd.read_csv(path)
    floor = time.perf_counter() - start
    start = time.perf_counter()
    for path in paths:
        pd.read_csv(path, dtype=str, keep_default_na=False)
    return {"floor": floor, "text": time.perf_counter() - start, "rss": _peak_rss_mb()}


def _child_stages(folder: Path) -> dict[str, Any]:
    from policycheck.engine import compile_rules, evaluate
    from policycheck.formats import render_bytes
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
        for piece in render_bytes(report, "json"):
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


def run_probe(argv: list[str]) -> int:
    """One measurement, named by ``argv[0]``, of the folder ``argv[1]``; a JSON line out."""
    kind, folder = argv[0], Path(argv[1])
    if kind != "floor":  # the garbage collector and malloc as the command sets them
        from policycheck.cli import run_settings

        run_settings()
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
