"""The analyse stage: load the plans and the actuals, run every signal, build the report.

``analyze(paths, actuals)`` for the CLI and the Python API; ``analyse_actuals(model,
actuals)`` when both are in memory (tests, the benchmark).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from policycheck.analyze import messages
from policycheck.analyze.actuals import load_actuals
from policycheck.analyze.bunching import bunching
from policycheck.analyze.divergence import divergence, side_trends
from policycheck.analyze.findings import build, kpi_table
from policycheck.analyze.frames import standardised, with_kpi
from policycheck.analyze.params import resolve
from policycheck.analyze.payout import payout_vs_customer
from policycheck.analyze.signals import RULES
from policycheck.analyze.surveys import small_samples, source_gap, survey_rows, top_scores
from policycheck.errors import InputError, display_path
from policycheck.model import Model
from policycheck.progress import Progress, silent
from policycheck.report import Report
from policycheck.validation import load_model


@dataclass(frozen=True)
class Evidence:
    """The findings of a run and the tables behind them (for charts and the API)."""

    report: Report
    tables: Mapping[str, Any] = field(default_factory=dict)
    histograms: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    counterfactual: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    params: Mapping[str, float] = field(default_factory=dict)


def analyze(paths: Sequence[str | Path], actuals: str | Path, *,
            params: Mapping[str, object] | None = None, fail_on: str = "high",
            progress: Progress | None = None, param_flag: str = "--param") -> Evidence:
    """Load the plans under ``paths`` and the actuals file; run every signal.
    ``progress`` (the CLI's progress bar; ``policycheck.progress``): told the stages of
    ``load_model``, then ``"reading actuals"`` and ``"looking for evidence"``, both without
    a total; ``param_flag``: the option ``params`` came by, named in an error."""
    step = progress or silent
    resolved = resolve(params, param_flag)
    model = load_model(paths, progress=progress)  # not ``step``: None counts no file
    if not model.plans_read:  # else every row of the actuals would be an unknown plan
        raise InputError("no plan was read, so the actuals have no plan to be matched to",
                         model.problems)
    step("reading actuals", None)
    read = load_actuals(actuals, model.plans, model.frames["kpis"], model.invalid_plans)
    step("looking for evidence", None)
    evidence = analyse_actuals(model, read.frame, resolved, fail_on=fail_on)
    report = evidence.report
    files = (*report.files, display_path(actuals))
    report = dataclasses.replace(report, files=files,
                                 problems=(*report.problems, *read.warnings))
    return Evidence(report, evidence.tables, evidence.histograms, evidence.counterfactual,
                    evidence.params)


def analyse_actuals(model: Model, actuals: pd.DataFrame, params: Mapping[str, float],
                    fail_on: str = "high") -> Evidence:
    """Every signal over typed actuals (``load_actuals``)."""
    plans, comps = model.plans, model.frames["components"]
    kpis = kpi_table(model.frames["kpis"])
    headcount = plans.set_index("plan_id")["headcount"].astype("float64")
    if actuals.empty:  # nothing observed: nothing to report
        return Evidence(_report(model, build(pd.DataFrame(), plans, headcount), fail_on),
                        params=dict(params))
    rows = with_kpi(actuals, kpis)
    z = standardised(rows)
    bunch, grid, counter = bunching(rows, comps, kpis, params)
    tables: dict[str, Any] = {"bunching": bunch, "divergence": divergence(rows, params),
              "trends": side_trends(rows), "plan_ids": plans["plan_id"]}
    tables["payout"], tables["people"] = payout_vs_customer(rows, z, comps, kpis, params)
    surveys = survey_rows(rows, kpis)
    tables.update(small=small_samples(surveys, params), top=top_scores(surveys, params),
                  gap=source_gap(surveys, params))
    found = pd.concat([
        messages.bunching_rows(bunch), messages.divergence_rows(tables["divergence"], plans),
        messages.payout_rows(tables["payout"], plans),
        messages.survey_rows(tables["small"], tables["top"], tables["gap"], plans),
    ], ignore_index=True)
    report = _report(model, build(found, plans, headcount), fail_on)
    return Evidence(report, tables, grid, counter, dict(params))


def _report(model: Model, findings: pd.DataFrame, fail_on: str) -> Report:
    return Report(findings=findings, problems=model.problems, rules=tuple(RULES.values()),
                  plans_read=model.plans_read, plans_checked=model.plans_valid,
                  plans_invalid=model.plans_invalid, files=model.files,
                  files_unread=model.files_unread, skipped=model.skipped, fail_on=fail_on)
