"""The report: one record of a run, which every output format renders."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from policycheck.engine import SEVERITY_RANK
from policycheck.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USER_ERROR, Problem
from policycheck.model import files_read
from policycheck.rulefile import Rule
from policycheck.rulesections import SEVERITIES

#: Statuses a finding has: ``open`` (the default), ``waived`` (a waiver holds),
#: ``reopened`` (its waiver expired), ``baselined`` (recorded in the baseline).
STATUSES = ("open", "waived", "reopened", "baselined")
#: The statuses that count toward the exit code.
FAILING_STATUSES = ("open", "reopened")


def severity_tally(findings: pd.DataFrame) -> dict[str, int]:
    """``findings`` per severity, every severity listed (most severe first)."""
    counted = findings["severity"].value_counts()
    return {s: int(counted.get(s, 0)) for s in SEVERITIES}


@dataclass(frozen=True)
class Report:
    """Findings of the checked plans, the problems of the invalid ones, and the rules run."""

    findings: pd.DataFrame
    problems: tuple[Problem, ...]
    rules: tuple[Rule, ...]
    plans_read: int
    plans_checked: int
    plans_invalid: int
    files: tuple[str, ...]
    #: The input files that could not be read at all (``model.Model.files_unread``): their
    #: plans are in no count, neither checked nor invalid.
    files_unread: tuple[str, ...] = ()
    #: The input files passed over (``model.Model.skipped``): they hold no plan data.
    skipped: tuple[str, ...] = ()
    fail_on: str = "high"
    #: One row per checked plan: pressure shares, protection, pay at stake (``profile``).
    profiles: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The validated model's frames the findings came from (``model.Model.frames``),
    #: when the run kept them: the leadership report reuses them instead of reading again.
    model_frames: dict[str, pd.DataFrame] | None = field(default=None, repr=False,
                                                         compare=False)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def files_read(self) -> int:
        """The input files that gave plans, KPIs or rows (``model.files_read``)."""
        return files_read(self.files, self.skipped, self.files_unread)

    def counts(self) -> dict[str, int]:
        """Findings per severity, every severity listed (most severe first)."""
        return severity_tally(self.findings)

    @functools.cached_property
    def failing_mask(self) -> np.ndarray:
        """Which findings are ``failing``, as a boolean array in findings order. Worked out
        once per report: the exit code and every format ask, and a million findings make
        each copy of the failing rows costly."""
        if self.fail_on == "none":
            return np.zeros(len(self.findings), dtype=bool)
        levels = [s for s in SEVERITIES if SEVERITY_RANK[s] <= SEVERITY_RANK[self.fail_on]]
        return (self.findings["severity"].isin(levels).to_numpy(dtype=bool)
                & self.findings["status"].isin(FAILING_STATUSES).to_numpy(dtype=bool))

    @property
    def failing(self) -> pd.DataFrame:
        """Open findings at or above ``fail_on``: these decide the exit code. Waived and
        baselined findings are reported but do not fail the run; ``reopened`` ones (their
        waiver expired) fail it like open ones."""
        return self.findings[self.failing_mask]

    @property
    def failing_count(self) -> int:
        """``len(report.failing)``, without copying the failing findings."""
        return int(self.failing_mask.sum())

    @property
    def exit_code(self) -> int:
        if self.errors:
            return EXIT_USER_ERROR
        return EXIT_FINDINGS if self.failing_count else EXIT_OK
