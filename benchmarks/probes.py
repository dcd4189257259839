"""The measurements of benchmarks/run.py that each run in a child process of their own, so
that peak RSS (ru_maxrss) belongs to one size and one job: the pandas floor, the stages of a
check, the five rules against their peers, two stages against the libraries' own ways, the
cold YAML load. Each prints one JSON line on stdout for the parent to collect
(``python benchmarks/run.py --child KIND FOLDER ...``).
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


def _cpu() -> float:
    """CPU seconds of this process so far, user and system, over all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Stages:
    """Wall and CPU seconds of the stages timed with ``stage``."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def stage(self, name: str, work: Any) -> Any:
        cpu, start = _cpu(), time.perf_counter()
        result = work()
        self.times[name] = time.perf_counter() - start
        self.cpu[name] = _cpu() - cpu
        return result


def _checked(folder: Path, timer: _Stages) -> tuple[Any, Any, Any]:
    """The model of ``folder``, the default pack's findings and their report, as the
    command makes them, each stage timed by ``timer``."""
    from policycheck.engine import compile_rules, evaluate
    from policycheck.loading import load_paths
    from policycheck.report import Report
    from policycheck.ruleset import load_rules, override, select
    from policycheck.scopes import Frames
    from policycheck.validation import validate

    # validate imports pandera when it runs (a run served by the model cache does without
    # it); imported here, as every stage's modules are, so that a stage times its work only
    importlib.import_module("policycheck.schemas")
    loaded = timer.stage("load", lambda: load_paths([folder]))
    model = timer.stage("validate", lambda: validate(loaded))
    rules = override(select(load_rules(None), (), ()), {}, {})
    # as the command runs it: the fingerprints are worked out by the output that shows them
    findings = timer.stage("evaluate", lambda: evaluate(compile_rules(rules),
                                                        Frames(model.frames),
                                                        fingerprint=False))
    report = Report(findings=findings, problems=model.problems, rules=tuple(rules),
                    plans_read=model.plans_read, plans_checked=model.plans_valid,
                    plans_invalid=model.plans_invalid, files=model.files,
                    files_unread=model.files_unread)
    return model, findings, report


def _rendered(report: Any) -> int:
    """Bytes of the report's JSON, streamed to /dev/null as the command writes it."""
    from policycheck.formats import render_bytes

    written = 0
    with open(os.devnull, "wb") as sink:
        for piece in render_bytes(report, "json"):
            written += len(piece)
            sink.write(piece)
    return written


def _child_stages(folder: Path) -> dict[str, Any]:
    timer = _Stages()
    model, findings, report = _checked(folder, timer)
    written = timer.stage("render", lambda: _rendered(report))
    return {"times": timer.times, "cpu": timer.cpu, "findings": len(findings),
            "plans": model.plans_valid, "json_mb": written / 1e6, "rss": _peak_rss_mb()}


def _child_references(folder: Path) -> dict[str, Any]:
    """Two stages against the libraries' own ways of doing their core on the same data:
    pandera's schemas alone on the typed frames (the validate stage also reads every cell
    as text, types it, and joins the tables: plans naming no KPI, weights not summing to
    100 %, ...), and pandas' own JSON writer (C) on the same findings (ours also works out
    each finding's fingerprint, and nests evidence and location)."""
    from policycheck import schemas
    from policycheck.findings import fill_fingerprints

    timer = _Stages()
    pandera = []
    validate_frame = schemas.validate_frame

    def timed_schema(*args: Any) -> list[Any]:
        start = time.perf_counter()
        try:
            return validate_frame(*args)
        finally:
            pandera.append(time.perf_counter() - start)

    schemas.validate_frame = timed_schema  # as validate looks it up, when it runs
    try:
        _, findings, report = _checked(folder, timer)
    finally:
        schemas.validate_frame = validate_frame
    timer.stage("render", lambda: _rendered(report))  # fills the fingerprints too
    flat = fill_fingerprints(findings).astype({"evidence": object})  # dicts, as it writes
    start = time.perf_counter()
    text = flat.to_json(orient="records", indent=6)
    to_json = time.perf_counter() - start
    return {"validate": timer.times["validate"], "pandera": sum(pandera),
            "render": timer.times["render"], "to_json": to_json,
            "to_json_mb": len(text.encode()) / 1e6, "findings": len(findings)}


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


def _child_libyaml(folder: Path) -> dict[str, Any]:
    """libyaml's own loader (PyYAML's ``CSafeLoader``, plain dicts and lists, no positions)
    over every YAML file's bytes under ``folder``, in turn on one core: the parse the
    issue measures its YAML figure against, measured on this hour's machine."""
    import gc

    import yaml

    contents = [path.read_bytes() for path in sorted(folder.rglob("*.yaml"))]
    gc.disable()  # as policycheck parses YAML: no collection walks the documents built
    start = time.perf_counter()
    plans = 0
    for data in contents:
        document = yaml.load(data, Loader=yaml.CSafeLoader)
        plans += len(document["plans"]) if "plans" in document else 1
    return {"load": time.perf_counter() - start, "plans": plans, "files": len(contents)}


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
    elif kind == "references":
        out = _child_references(folder)
    elif kind == "peers":
        out = _child_peers(folder, int(argv[2]), int(argv[3]))
    elif kind == "libyaml":
        out = _child_libyaml(folder)
    else:
        out = _child_yaml(folder)
    print(json.dumps(out))
    return 0
