"""The validate stage: pandera schemas plus the checks that span tables.

Batch semantics: a plan with any error is reported and left out of the model; every other
plan is still checked. Nothing is dropped silently: each left-out plan has at least one
problem naming it, and the summary counts plans read, valid and invalid.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from policycheck import checks, modelcache
from policycheck.catalog import library_records
from policycheck.codedcolumns import decoded
from policycheck.errors import Location, Problem, display_path
from policycheck.loading import Loaded, load, survey
from policycheck.model import ENTITIES, Model
from policycheck.normalise import Normalised, normalise
from policycheck.plankeys import PlanKeys
from policycheck.progress import Progress, silent
from policycheck.streams import beside

#: Inputs from this size up are read while pandera is imported.
BESIDE_BYTES = 4 << 20


def load_model(paths: Sequence[str | Path], max_bytes: int | None = None, *,
               progress: Progress | None = None) -> Model:
    """Load, type and validate every input under ``paths``. Inputs that hold no plan at all
    (a mistyped folder, an export of the wrong sheet) are said so (``_with_no_plans``): a
    check of nothing would pass, and a gate should not pass without saying why. A re-run
    over unchanged YAML inputs or workbooks is answered from the model cache
    (``policycheck.modelcache``).

    ``progress`` (``policycheck.progress``) is told the stages ``"finding input files"``
    (no total), ``"reading plans"`` (a step for each file: ``Survey.steps``; all of them at
    once when the model cache answers, and then no more stages) and ``"validating plans"``
    (no total)."""
    tell = progress or silent
    tell("finding input files", None)
    surveyed = survey(paths, max_bytes)
    tell("reading plans", surveyed.steps)
    key = modelcache.model_key(surveyed)
    cached = modelcache.read(surveyed, key) if key else None
    if cached is not None:
        tell("", surveyed.steps)
        return cached
    # pandera takes 0.2-0.4 s to import and set up (``schemas``), and the CSV reader works
    # without the interpreter lock: the import runs beside the reading of large inputs
    imported = beside(_import_quietly, "policycheck.schemas",
                      share=sum(size for _, _, size in surveyed.found) >= BESIDE_BYTES)
    loaded = load(surveyed, progress)
    tell("validating plans", None)
    imported()
    model = _with_no_plans(validate(loaded), paths)
    if key:
        modelcache.write(surveyed, key, model)
    return model


def _import_quietly(name: str) -> None:
    """Import ``name`` ahead of need; an error is met where the module is imported for use."""
    with contextlib.suppress(Exception):
        importlib.import_module(name)


def _with_no_plans(model: Model, paths: Sequence[str | Path]) -> Model:
    """``model`` with a ``no-plans`` problem when ``paths`` hold no plan: an error when a
    folder is among them (a CI gate pointed at the wrong folder must not pass green), a
    warning when only files are (a hook given a changed KPI catalog alone has no plan to
    check, and should not block the commit)."""
    if model.plans_read or model.errors or not paths:
        return model
    named = ", ".join(display_path(p) for p in paths[:3]) + (", ..." if len(paths) > 3 else "")
    found = f"{len(model.files)} data file{'s' * (len(model.files) != 1)}"
    folder = any(Path(p).is_dir() for p in paths)
    return replace(model, problems=(*model.problems, Problem(
        Location(named), f"no plan found in {found}: expected YAML files with a top-level "
        "'plan' or 'plans' key, a plans.csv table or a workbook with a plans sheet",
        "no-plans", severity="error" if folder else "warning")))


def validate(loaded: Loaded) -> Model:
    # Imported here: a run served from the model cache does without pandera (0.1-0.2 s).
    from policycheck.schemas import validate_frame

    records = dict(loaded.records.rows)
    org_kpis = records.get("kpis", [])
    records["kpis"] = library_records() + org_kpis
    normalised = normalise(records, loaded.tables.frames)
    problems = list(loaded.problems) + normalised.problems
    frames = normalised.frames
    frames["kpis"] = _overlay_catalog(frames["kpis"], problems)
    # The cells reported: one that could not be read is missing to pandera and to the
    # checks, and what they would say about it (a gate with "neither min nor max") only
    # repeats it.
    seen = {(p.location, p.field) for p in problems}
    for name, spec in ENTITIES.items():
        found = _without_missing_columns(validate_frame(spec, frames[name], seen),
                                         loaded.tables.missing_columns)
        problems.extend(found)
        seen.update((p.location, p.field) for p in found)
    keys = PlanKeys.of(frames)
    problems.extend(p for p in checks.cross_table(frames, keys, loaded.tables.unread)
                    if (p.location, p.field) not in seen)
    return _select_valid(frames, problems, loaded, keys)


def _without_missing_columns(new: list[Problem],
                             missing: set[tuple[str, str, str]]) -> list[Problem]:
    """A table without a required column has had that reported once, not once per row."""
    if not missing:
        return new
    return [p for p in new if p.code != "missing-field"
            or (p.location.file, p.location.sheet, p.field) not in missing]


def _overlay_catalog(kpis: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Organisation entries replace library entries with the same id; two organisation
    entries with one id are an error."""
    kpis = decoded(kpis)  # a catalog table's ids sort as texts
    from_library = kpis["src_file"].eq("<built-in KPI library>")
    org = kpis[~from_library]
    problems.extend(checks.duplicates(org, ["kpi_id"], "KPI", "kpi_id"))
    org = org.drop_duplicates("kpi_id", keep="first")
    library = kpis[from_library & ~kpis["kpi_id"].isin(org["kpi_id"])]
    merged = pd.concat([library, org], ignore_index=True)
    return merged.sort_values("kpi_id", kind="stable").reset_index(drop=True)


def _select_valid(frames: dict[str, pd.DataFrame], problems: list[Problem],
                  loaded: Loaded, keys: PlanKeys) -> Model:
    plans = frames["plans"]
    invalid = {p.plan_id for p in problems if p.severity == "error" and p.plan_id}
    invalid |= loaded.tables.invalid_plans
    # Compared as object arrays: Series.isin on pandas' Arrow "str" dtype (the point and
    # rate frames) converts every allowed id to an Arrow scalar, one at a time.
    plan_ids = plans["plan_id"].to_numpy(dtype=object)
    valid = ~pd.Series(plan_ids, dtype=object).isin(list(invalid)).to_numpy()
    out = {name: _kept_rows(name, frame, keys, valid) for name, frame in frames.items()}
    ordered = sorted(problems, key=Problem.sort_key)
    return Model(out, tuple(ordered), len(plans), tuple(sorted(invalid & set(plans["plan_id"]))),
                 tuple(loaded.files), tuple(loaded.skipped), tuple(loaded.files_unread))


def _kept_rows(name: str, frame: pd.DataFrame, keys: PlanKeys,
               valid: np.ndarray) -> pd.DataFrame:
    """A frame's rows of the ``valid`` plans, numbered from 0, with ``plan_idx``: the row of
    their plan among the kept plans, an integer key for fast grouping. The plan codes of
    ``keys`` find both."""
    rows: np.ndarray | None = None
    if name == "plans":
        rows, plan_idx = valid, np.arange(int(valid.sum()))
    elif name in keys.rows:
        found = keys.kept_rows(name, valid)
        rows = found >= 0
        plan_idx = found[rows]
    if rows is not None and not rows.all():
        frame = frame[rows]  # a filter copies every column
    frame = frame.drop(columns=["src_fields"], errors="ignore").reset_index(drop=True)
    frame = decoded(frame)  # the rules read text as YAML gives it
    if rows is not None:
        frame.insert(0, "plan_idx", plan_idx)
    return frame


def model_without_sources(model: Model) -> dict[str, pd.DataFrame]:
    """The frames minus source locations: what must be equal whatever form plans came in."""
    return {name: frame.drop(columns=[c for c in frame.columns if c.startswith("src_")])
            for name, frame in model.frames.items()}


__all__ = ["Model", "Normalised", "load_model", "model_without_sources", "validate"]
