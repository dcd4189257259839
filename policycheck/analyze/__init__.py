"""Outcome evidence (SPEC section 9): what KPI actuals show a plan does to behaviour.

load (``actuals``) → signals (``bunching``, ``divergence``, ``payout``, ``surveys``) →
findings (``findings``, ``messages``) → the same ``Report`` every output format renders.
``synthetic`` generates actuals with planted gaming patterns of known size.
"""

from __future__ import annotations

from policycheck.analyze.run import Evidence, analyse_actuals, analyze

__all__ = ["Evidence", "analyse_actuals", "analyze"]
