"""Any value YAML can hold, in any field of a plan or of its children, ends in the model or
in problems that name it: never an exception (exit code 3). A date-time with an offset in a
date field once reached pandas as an aware datetime and stopped the run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck.model import ENTITIES, PLAN
from policycheck.validation import load_model

#: The scalars YAML writes: every type its safe loader builds, at their edges.
_SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["#N/A", "(1,500)", "12/31/2027", "1.5e3", "50%", "0x1F", "010", "5:30",
                     "yes", "NO", "2027-02-30", "2027-01-01 10:00", "", " ", "all", "~"]),
    st.dates(),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones()),
                 min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6)

#: The child sections of a plan, as a plan file writes them, and one valid item of each.
_CHILDREN = {
    "components": {"id": "c", "kpi": "fcr", "weight": 1},
    "gates": {"kpi": "csat", "min": 80},
    "modifiers": {"kpi": "csat", "factor_min": 0.8, "factor_max": 1.2},
    "competitions": {"name": "Top team", "kpi": "fcr"},
    "consequences": {"kpi": "aht", "action": "pip"},
    "campaigns": {"name": "Spring", "kpi": "fcr"},
}


def _fields(section: str) -> list[str]:
    spec = PLAN if section == "plan" else ENTITIES[section]
    return [f.name for f in spec.fields]


_PLACES = [("plan", name) for name in _fields("plan")] + [
    (section, name) for section in _CHILDREN for name in _fields(section)]


class _Dumper(yaml.SafeDumper):
    """Writes an aware datetime with its offset, as a person would."""


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(place=st.sampled_from(_PLACES), value=_VALUES)
def test_any_value_in_any_field_is_data_or_a_problem(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     place: tuple[str, str],
                                                     value: Any) -> None:
    section, name = place
    plan: dict[str, Any] = {"id": "p1", "role_kind": "service", "base_pay": 30000,
                            "target_variable": 3000}
    for child, item in _CHILDREN.items():
        plan[child] = [dict(item)]
    if section == "plan":
        plan[name] = value
    else:
        plan[section][0][name] = value
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text(yaml.dump({"plan": plan}, Dumper=_Dumper, allow_unicode=True),
                              encoding="utf-8")
    model = load_model(["a.yaml"])  # must not raise
    for problem in model.problems:
        assert problem.location.file == "a.yaml", problem
        str(problem)
    assert model.plans_read == 1
