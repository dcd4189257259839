"""The parameters of the outcome-evidence signals, with their defaults (docs/analyze.md).

Every threshold a signal uses is here, named ``signal.name``; the CLI sets one with
``--param signal.name=value`` and the Python API takes a mapping. An unknown name or a value
of the wrong type is a ``UsageError`` with the closest valid name.
"""

from __future__ import annotations

from collections.abc import Mapping

from policycheck.errors import UsageError, did_you_mean

DEFAULTS: dict[str, float] = {
    # threshold bunching (Kleven 2016; Chetty et al. 2011)
    "bunching.bins": 40,  # histogram bins across the 1st-99th percentile range
    "bunching.window_bins": 2,  # bins just past the cut-off where excess mass is counted
    "bunching.missing_bins": 4,  # bins before the cut-off left out of the fit (missing mass)
    "bunching.degree": 7,  # degree of the counterfactual polynomial
    "bunching.bootstrap": 200,  # bootstrap replications for the standard error
    "bunching.min_obs": 300,  # observations a KPI of a plan needs to be tested
    "bunching.min_excess": 0.5,  # b (excess / counterfactual per bin) that is reported
    "bunching.min_z": 3.0,  # b / se(b) that is reported
    "bunching.seed": 0,
    # speed/cost/sales improving while customer KPIs worsen, for the same people
    "divergence.min_slope": 0.01,  # SD per period, both sides
    "divergence.min_z": 3.0,
    "divergence.min_units": 10,
    "divergence.min_periods": 3,
    # top quartile of payout with below-median customer outcomes
    "payout.top_share": 0.25,  # the top earners: this share of each plan's population
    "payout.max_gap": -0.2,  # customer-score gap (SD), top earners minus the rest
    "payout.min_z": 3.0,
    "payout.min_units": 20,
    "payout.uncapped_multiple": 3.0,  # the cap assumed for an uncapped component
    # survey gaming
    "survey.max_small_share": 0.2,  # share of samples below min_sample_per_period
    "survey.max_top_share": 0.2,  # share of scores sitting at the top of the scale
    "survey.min_gap": 0.5,  # agent-triggered minus independent score, in SD
    "survey.min_z": 3.0,
    "survey.min_obs": 30,
}


def resolve(given: Mapping[str, object] | None, flag: str = "--param") -> dict[str, float]:
    """The defaults with ``given`` laid over them; values as floats. ``flag``: the option
    they were given by, named in an error (report's is --analyze-param)."""
    out = dict(DEFAULTS)
    for name, value in (given or {}).items():
        if name not in DEFAULTS:
            raise UsageError(f"{flag} {name}: unknown analyze parameter"
                             f"{did_you_mean(name, DEFAULTS)}; see docs/analyze.md")
        try:
            out[name] = float(str(value))
        except ValueError:
            raise UsageError(f"{flag} {name}={value!r}: expected a number") from None
    return out
