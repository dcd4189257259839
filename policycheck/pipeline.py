"""load → validate → evaluate → report, as one function for the CLI and the Python API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from policycheck.engine import compile_rules, evaluate
from policycheck.profile import pressure_profile
from policycheck.scopes import Frames
from policycheck.report import Report
from policycheck.ruleset import load_rules, override, select
from policycheck.validation import load_model


def check(paths: Sequence[str | Path], *, rules: Sequence[str | Path] = (),
          select_ids: Sequence[str] = (), ignore_ids: Sequence[str] = (),
          params: Mapping[str, str] | None = None,
          severities: Mapping[str, str] | None = None, fail_on: str = "high") -> Report:
    """Check the plans under ``paths`` with the rule packs (the default pack if none)."""
    loaded_rules = load_rules([Path(r) for r in rules] or None)
    chosen = select(loaded_rules, select_ids, ignore_ids)
    configured = override(chosen, params or {}, severities or {})
    compiled = compile_rules(configured)
    model = load_model(paths)
    frames = Frames(model.frames)
    findings = evaluate(compiled, frames)
    profiles = pressure_profile(model.frames, frames.headcount)
    return Report(findings=findings, problems=model.problems, rules=tuple(configured),
                  plans_read=model.plans_read, plans_checked=model.plans_valid,
                  plans_invalid=model.plans_invalid, files=model.files, fail_on=fail_on,
                  profiles=profiles)
