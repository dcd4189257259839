"""Each row's plan as a code (``PlanKeys``): the same answers as joining on the id text, for
any mix of repeated, missing and unknown plan ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.plankeys import PlanKeys

IDS = st.sampled_from(["p1", "p2", "p3", "p4", None])


def _ids(values: list[str | None], coded: bool) -> pd.Series:
    """A column of ids as YAML gives it (objects), or as a table does (coded, its
    categories in order of first appearance)."""
    return pd.Series(pd.Categorical(values, categories=pd.unique(
        pd.Series([v for v in values if v is not None], dtype=object)))) if coded \
        else pd.Series(values, dtype=object)


@settings(max_examples=200, deadline=None)
@given(plans=st.lists(IDS, max_size=6), components=st.lists(IDS, max_size=12),
       weights=st.data(), valid=st.data(), coded=st.booleans())
def test_plan_codes_answer_as_a_join_on_the_ids(plans: list[str | None],
                                                 components: list[str | None],
                                                 weights: st.DataObject,
                                                 valid: st.DataObject, coded: bool) -> None:
    weight = weights.draw(st.lists(st.one_of(st.none(), st.integers(0, 10_000)),
                                   min_size=len(components), max_size=len(components)))
    frames = {"plans": pd.DataFrame({"plan_id": _ids(plans, coded)}),
              "components": pd.DataFrame({"plan_id": _ids(components, coded),
                                          "weight": pd.array(weight, dtype="Int64")}),
              "kpis": pd.DataFrame({"plan_id": pd.Series([], dtype=object)})}
    keys = PlanKeys.of(frames)
    plan_id = pd.Series(plans, dtype=object)
    child = pd.Series(components, dtype=object)
    assert set(keys.rows) == {"components"}  # the KPI catalog has no rows of plans

    # a row names no plan: its id is missing or no plan has it
    unknown = child.isna() | ~child.isin(set(plan_id.dropna()))
    assert (keys.rows["components"] < 0).tolist() == unknown.tolist()

    # per plan row: its components, and the sum of their weights (as groupby and map)
    grouped = frames["components"].assign(plan_id=child).groupby("plan_id")["weight"]
    counted = plan_id.map(grouped.size()).fillna(0).to_numpy(dtype=float)
    assert keys.at_plans(keys.count("components"), 0).tolist() == counted.tolist()
    summed = plan_id.map(grouped.sum()).to_numpy(dtype=float, na_value=np.nan)
    values = frames["components"]["weight"].to_numpy(dtype=float, na_value=0.0)
    named = keys.count("components") > 0  # a plan with no component has no sum
    ours = keys.at_plans(np.where(named, keys.total("components", values), np.nan), np.nan)
    assert np.array_equal(ours, summed, equal_nan=True)

    # the rows of valid plans (unique ids), as rows among the kept plans
    repeated = plan_id.duplicated(keep=False).to_numpy(dtype=bool)
    chosen = np.array(valid.draw(st.lists(st.booleans(), min_size=len(plans),
                                          max_size=len(plans))), dtype=bool)
    ok = chosen & ~repeated & plan_id.notna().to_numpy(dtype=bool)
    kept = pd.Index(plan_id[ok].to_numpy(dtype=object), dtype=object)
    expected = kept.get_indexer(pd.Index(child.to_numpy(dtype=object), dtype=object))
    expected[child.isna().to_numpy()] = -1
    assert keys.kept_rows("components", ok).tolist() == expected.tolist()


def test_no_plans_at_all() -> None:
    frames = {"plans": pd.DataFrame({"plan_id": pd.Series([], dtype=object)}),
              "components": pd.DataFrame({"plan_id": ["p1", None]})}
    keys = PlanKeys.of(frames)
    assert keys.rows["components"].tolist() == [-1, -1]
    assert keys.kept_rows("components", np.zeros(0, dtype=bool)).tolist() == [-1, -1]
    assert keys.count("components").tolist() == []
