"""The main issue of each plan: the red flag the report headlines, and whose remedy it gives.

The rule, in the order it is applied to a plan's counted findings (waived and baselined
ones left out):

1. **Most severe.** Only the findings of the plan's highest severity are candidates.
2. **Most variable pay.** Among them, the finding about the largest share of the plan's
   target variable pay, which for one plan orders them as the pay at stake does:

   * a finding on a component weighs that component's weight (a 70 % "jobs per day"
     component before a 30 % "parts cost" one);
   * a plan-wide finding about what all of the pay rewards (a rule with ``weighs:
     pull_share``; in the default pack: no base salary, a manager paid on the team's
     volume, back-office pay with no customer link) weighs the plan's share of variable
     pay on speed, cost and sales measures;
   * every other finding weighs nothing, and is headlined only when nothing weighed is as
     severe: a plan-wide finding about what the plan lacks (a gate, a clawback, a quality
     measure, a measure of a duty) or about its mix, which every pull of the plan draws
     and whose remedy is generic; and a contest, consequence, campaign or gate, which is
     no share of the target variable pay.

3. **Then** the rule id, then file order (stable, so the same input gives the same page).

Whole-frame: one sort of the candidate findings by integer codes; no loop over plans (the
report runs on 100,000 plans).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from policycheck.codes import group_firsts
from policycheck.engine import severity_ranks
from policycheck.model import BASIS_POINTS
from policycheck.scoring import SET_ASIDE

if TYPE_CHECKING:
    from policycheck.rulefile import Rule

def pull_share_rules(rules: Collection[Rule]) -> frozenset[str]:
    """The ids of the rules whose plan-wide finding is about what the pay itself rewards,
    rather than what the plan lacks: they weigh as the plan's pull share."""
    return frozenset(rule.id for rule in rules if rule.weighs == "pull_share")


def main_findings(findings: pd.DataFrame,
                  frames: Mapping[str, pd.DataFrame] | None = None,
                  profiles: pd.DataFrame | None = None,
                  pull_rules: Collection[str] = ()) -> pd.DataFrame:
    """The main issue of each plan with a counted finding (see the module's docstring), by
    plan id. ``frames``: the model frames (their ``components`` give component weights);
    ``profiles``: one row per plan with ``pull_share``, weighed by the findings of
    ``pull_rules`` (``pull_share_rules``). Without them every finding weighs nothing: the
    most severe, then rule id, then file order.

    Worked on integer codes and positions; only the chosen rows are taken from the frame
    (taking the candidates' every column cost more than the choice itself)."""
    if "status" in findings:
        kept = np.flatnonzero(~findings["status"].isin(SET_ASIDE).to_numpy(dtype=bool))
    else:
        kept = np.arange(len(findings))
    plan_all, plan_ids = pd.factorize(findings["plan_id"], sort=True)
    rank = severity_ranks(findings["severity"])[kept]
    rank = np.where(np.isnan(rank), np.inf, rank)  # an unknown severity ranks last
    plan = plan_all[kept]
    top = np.full(len(plan_ids), np.inf)
    np.minimum.at(top, plan, rank)
    candidates = kept[rank == top[plan]]  # the most severe findings of each plan
    plan = plan_all[candidates]
    rule_all, rule_ids = pd.factorize(findings["rule_id"], sort=True)
    rule = rule_all[candidates]
    weight = _weights(findings, candidates, plan, pd.Index(plan_ids),
                      np.isin(np.asarray(rule_ids, dtype=object), list(pull_rules))[rule],
                      frames or {}, profiles)
    # stable: file order breaks the last ties
    order = np.lexsort((rule, -weight, plan))
    return findings.iloc[candidates[group_firsts(order, plan)]].set_index("plan_id")


def _weights(findings: pd.DataFrame, rows: np.ndarray, plan: np.ndarray, plan_ids: pd.Index,
             design: np.ndarray, frames: Mapping[str, pd.DataFrame],
             profiles: pd.DataFrame | None) -> np.ndarray:
    """The share of the plan's target variable pay each finding of ``rows`` is about (0:
    none). ``plan``: their plans' positions in ``plan_ids``; ``design``: whether their rule
    weighs as the plan's pull share."""
    weight = np.zeros(len(rows))
    if "scope" not in findings:
        return weight
    on_component = findings["scope"].eq("component").to_numpy(dtype=bool)[rows]
    components = frames.get("components")
    if components is not None and len(components) and on_component.any():
        weight[on_component] = _component_weights(
            frames, plan_ids, plan[on_component],
            findings["component_id"].to_numpy(dtype=object)[rows[on_component]])
    design = design & ~on_component
    if profiles is not None and len(profiles) and design.any():
        at = pd.Index(profiles["plan_id"]).get_indexer(plan_ids[plan[design]])
        shares = profiles["pull_share"].to_numpy(dtype=np.float64)
        weight[design] = np.where(at >= 0, shares[at], 0.0)
    return np.nan_to_num(weight, nan=0.0)


def _component_weights(frames: Mapping[str, pd.DataFrame], plan_ids: pd.Index,
                       plan: np.ndarray, component_id: np.ndarray) -> np.ndarray:
    """The weight (a share) of each component named by a plan (its position in
    ``plan_ids``) and a component id; 0 for one the frames do not hold. Joined on integer
    keys (plan × component id); a component's plan is found by its ``plan_idx``."""
    components = frames["components"]
    plans = frames.get("plans")
    if plans is not None and "plan_idx" in components and "plan_idx" in plans:
        position = np.full(int(plans["plan_idx"].max()) + 1 if len(plans) else 0, -1)
        position[plans["plan_idx"].to_numpy()] = plan_ids.get_indexer(pd.Index(plans["plan_id"]))
        comp_plan = position[components["plan_idx"].to_numpy()]
    else:
        comp_plan = plan_ids.get_indexer(pd.Index(components["plan_id"]))
    ids = np.concatenate([components["component_id"].to_numpy(dtype=object), component_id])
    codes, distinct = pd.factorize(ids)
    width = len(distinct) + 1
    keys = comp_plan.astype(np.int64) * width + codes[:len(components)]
    wanted = plan.astype(np.int64) * width + codes[len(components):]
    keys, first = np.unique(keys, return_index=True)  # sorted; a duplicate id: its first row
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found = (keys[at] == wanted) & (codes[len(components):] >= 0)
    values = components["weight"].to_numpy(dtype=np.float64)[first] / BASIS_POINTS
    return np.where(found, values[at], 0.0)
