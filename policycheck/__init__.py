"""policycheck: flags the pay-plan incentives that push employees toward speed, cost or
volume over the customer.

The pipeline is the architecture: load → validate → evaluate → report. The Python API
mirrors the CLI; heavy modules are imported on first use so the CLI starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from policycheck.model import Model
    from policycheck.report import Report


def check(*paths: Any, **options: Any) -> Report:
    """Load, validate and check the plans under ``paths``; return the report the CLI renders.

    Options as ``policycheck.pipeline.check``: ``rules``, ``select_ids``, ``ignore_ids``,
    ``params``, ``severities``, ``fail_on``. A single list of paths is accepted too."""
    from policycheck.pipeline import check as run

    if len(paths) == 1 and isinstance(paths[0], (list, tuple)):
        paths = tuple(paths[0])
    return run(paths, **options)


def validate(*paths: str) -> Model:
    """Load and validate plans and KPI catalogs under ``paths``; return the model."""
    from policycheck.validation import load_model

    return load_model(paths)


def __getattr__(name: str) -> Any:
    raise AttributeError(f"module 'policycheck' has no attribute '{name}'")
