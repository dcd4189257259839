"""load → validate → evaluate → report, as one function for the CLI and the Python API.

Beside the evaluation, the CI gates: waivers (``waivers``) and then a baseline
(``baseline``) set the status of findings; both files are read before the plans, so that a
bad one stops the run before the expensive part.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from policycheck.baseline import apply_baseline, read_baseline
from policycheck.configkeys import FAIL_LEVELS
from policycheck.engine import compile_rules, evaluate
from policycheck.errors import Problem, UsageError
from policycheck.model import Model
from policycheck.profile import pressure_profile
from policycheck.progress import Progress, silent
from policycheck.report import Report
from policycheck.ruleset import (
    Rule,
    check_defaults,
    load_rules,
    override,
    select,
    unknown_kpis,
)
from policycheck.scopes import Frames
from policycheck.validation import load_model
from policycheck.waivers import Waiver, apply_waivers, load_waivers
from policycheck.waivers import today as clock


def check(paths: Sequence[str | Path], *, rules: Sequence[str | Path] = (),
          select_ids: Sequence[str] = (), ignore_ids: Sequence[str] = (),
          params: Mapping[str, Any] | None = None,
          severities: Mapping[str, str] | None = None, fail_on: str = "high",
          configured: Sequence[Rule] | None = None, waivers: str | Path | None = None,
          baseline: str | Path | None = None, today: datetime.date | None = None,
          warn_expiring: int = 0, waiver_max_days: int = 0, profiles: bool = True,
          fingerprints: bool = True,
          model_frames: bool = True,
          progress: Progress | None = None) -> Report:
    """Check the plans under ``paths`` with the rule packs (the default pack if none).

    ``configured``: rules already loaded, selected and overridden (``config``), instead of
    ``rules``/``select_ids``/``ignore_ids``/``params``/``severities``. ``waivers`` and
    ``baseline``: files; ``today`` the date waivers are judged against (default
    ``waivers.today()``); ``warn_expiring``: warn about waivers expiring within so many days;
    ``waiver_max_days``: a waiver expiring later than so many days from today is an error
    (0: no limit).
    ``profiles``: work out each plan's pressure profile (``Report.profiles``), which only
    some formats show; without it the report's profiles are empty.
    ``fingerprints``: work out each finding's fingerprint now; without it they are left
    missing until an output that shows or matches them fills them (``fill_fingerprints``).
    ``model_frames``: keep the validated model's frames in the report
    (``Report.model_frames``), which only the leadership report reads; without them their
    memory is free for the outputs (100,000 plans: the JSON's peak 1.17 → 1.05 GB).
    ``progress`` (the CLI's progress bar; the protocol is ``policycheck.progress``'s) is
    told these stages, in order, each with its total of steps and the steps as they are
    done:

    - ``"finding input files"``, no total: the folders walked, the YAML files' bytes read;
    - ``"reading plans"``, a step for each YAML file read and each CSV table and workbook
      found; the files answered from the caches are told at once;
    - ``"validating plans"``, no total; not told when the model cache answers;
    - ``"evaluating rules"``, a step for each rule.
    """
    step = progress or silent
    fail_on, today = _gate_arguments(fail_on, today)
    if configured is None:
        configured = _configure(_items(rules), _items(select_ids), _items(ignore_ids), params,
                                severities)
    compiled = compile_rules(configured)
    # a list default the rule never finds (a category misspelt), from the rules compiled
    check_defaults(configured, compiled)
    loaded_waivers = load_waivers(Path(waivers)) if waivers else None
    recorded = read_baseline(Path(baseline)) if baseline else None
    model = load_model(paths, progress=progress)  # not ``step``: None counts no file
    frames = Frames(model.frames)
    step("evaluating rules", len(compiled))
    findings = evaluate(compiled, frames, on_rule=lambda: step("", None),
                        fingerprint=fingerprints)
    findings, problems = _waive(findings, loaded_waivers, model, configured, today,
                                warn_expiring, waiver_max_days)
    problems += unknown_kpis(configured, compiled, model.frames["kpis"]["kpi_id"].tolist())
    if recorded is not None:
        findings = apply_baseline(findings, recorded)
    return Report(findings=findings, problems=tuple(problems), rules=tuple(configured),
                  plans_read=model.plans_read, plans_checked=model.plans_valid,
                  plans_invalid=model.plans_invalid, files=model.files,
                  files_unread=model.files_unread, skipped=model.skipped, fail_on=fail_on,
                  profiles=(pressure_profile(model.frames, frames.headcount) if profiles
                            else pd.DataFrame()),
                  model_frames=model.frames if model_frames else None)


def _items(given: Any) -> list[Any]:
    """A sequence argument, where one name alone (``select_ids="gate"``, ``rules="ours/"``)
    is that name, not its letters."""
    return [given] if isinstance(given, (str, Path)) else list(given)


def _gate_arguments(fail_on: Any, today: Any) -> tuple[str, datetime.date | None]:
    """``fail_on`` and ``today`` as given to the Python API, checked as the CLI checks
    them: UsageError for a level or a date that is none."""
    if fail_on not in FAIL_LEVELS:
        raise UsageError(f"fail_on {fail_on!r}: expected one of {', '.join(FAIL_LEVELS)}")
    if isinstance(today, str):
        try:
            today = datetime.date.fromisoformat(today)
        except ValueError:
            raise UsageError(f"today {today!r}: expected a date, YYYY-MM-DD") from None
    elif isinstance(today, datetime.datetime) or not isinstance(today, (datetime.date,
                                                                        type(None))):
        raise UsageError(f"today {today!r}: expected a date, YYYY-MM-DD")
    return fail_on, today


def _configure(rules: Sequence[str | Path], select_ids: Sequence[str],
               ignore_ids: Sequence[str], params: Mapping[str, Any] | None,
               severities: Mapping[str, str] | None) -> list[Rule]:
    """The rules of the packs (the default pack if none), selected and overridden."""
    loaded_rules = load_rules([Path(r) for r in rules] or None)
    chosen = select(loaded_rules, select_ids, ignore_ids)
    return override(chosen, params or {}, severities or {})


def _waive(findings: pd.DataFrame, waivers: Sequence[Waiver] | None, model: Model,
           configured: Sequence[Rule], today: datetime.date | None, warn_expiring: int,
           max_days: int = 0) -> tuple[pd.DataFrame, list[Problem]]:
    """The findings with the waivers applied (as they are without waivers), and the model's
    problems followed by the warnings about the waivers."""
    problems = list(model.problems)
    if waivers is None:
        return findings, problems
    findings, warnings = apply_waivers(
        findings, waivers, today or clock(), warn_days=warn_expiring, max_days=max_days,
        plan_ids=model.plans["plan_id"].astype(str).tolist(),
        rule_ids=[r.id for r in configured])
    return findings, problems + warnings
