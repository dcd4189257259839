"""policycheck: flags the pay-plan incentives that push employees toward speed, cost or
volume over the customer.

The pipeline is the architecture: load → validate → evaluate → report. The Python API
mirrors the CLI; heavy modules are imported on first use so the CLI starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from policycheck.validation import Model


def validate(*paths: str) -> Model:
    """Load and validate plans and KPI catalogs under ``paths``; return the model."""
    from policycheck.validation import load_model

    return load_model(paths)


def __getattr__(name: str) -> Any:
    raise AttributeError(f"module 'policycheck' has no attribute '{name}'")
