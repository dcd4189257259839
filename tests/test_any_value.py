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

from policycheck.cli import main
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


def _write_plan(changes: list[tuple[tuple[str, str], Any]], role_kind: str = "service") -> None:
    """``a.yaml``: a plan with one valid item of each child section, ``changes`` applied."""
    plan: dict[str, Any] = {"id": "p1", "role_kind": role_kind, "base_pay": 30000,
                            "target_variable": 3000, "headcount": 10}
    for child, item in _CHILDREN.items():
        plan[child] = [dict(item)]
    plan["components"][0]["curve_points"] = [[80, 0], [100, 100], [120, 200]]
    for (section, name), value in changes:
        if section == "plan":
            plan[name] = value
        else:
            plan[section][0][name] = value
    Path("a.yaml").write_text(yaml.dump({"plan": plan}, Dumper=_Dumper, allow_unicode=True),
                              encoding="utf-8")


_SETTINGS = settings(deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])


@settings(_SETTINGS, max_examples=100)
@given(place=st.sampled_from(_PLACES), value=_VALUES)
def test_any_value_in_any_field_is_data_or_a_problem(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     place: tuple[str, str],
                                                     value: Any) -> None:
    monkeypatch.chdir(tmp_path)
    _write_plan([(place, value)])
    model = load_model(["a.yaml"])  # must not raise
    for problem in model.problems:
        assert problem.location.file == "a.yaml", problem
        str(problem)
    assert model.plans_read == 1


#: Numbers at the edges of what a number field holds (2**53, either side of zero).
_NUMBERS = st.one_of(st.integers(min_value=-(2**54), max_value=2**54),
                     st.floats(allow_nan=False, allow_infinity=False),
                     st.sampled_from([0, 1e-300, 2**53, 2**53 + 2, -(2**53), 9e15, "0%", "100%",
                                      "1000%"]))
_NUMBER_PLACES = [(section, f.name) for section in ("plan", *_CHILDREN)
                  for f in (PLAN if section == "plan" else ENTITIES[section]).fields
                  if f.kind in ("num", "int", "share", "weight")]


@settings(_SETTINGS, max_examples=25)
@given(changes=st.lists(st.tuples(st.sampled_from(_NUMBER_PLACES), _NUMBERS), min_size=1,
                        max_size=4),
       output=st.sampled_from(["json", "sarif", "text", "markdown", "csv", "junit", "github"]))
def test_any_numbers_are_checked_and_reported_without_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        changes: list[tuple[tuple[str, str], Any]], output: str) -> None:
    """Valid or not, numbers at their edges go through the rules, every output and the
    leadership report with exit code 0, 1 or 2 and nothing from numpy on stderr (a base
    pay of 1e300 overflowed the report's exposure with a RuntimeWarning)."""
    monkeypatch.chdir(tmp_path)
    _write_plan(changes, role_kind="sales")
    code = main(["check", "a.yaml", "--format", output])
    err = capsys.readouterr().err
    assert code in (0, 1, 2) and "Warning" not in err, err
    if code != 2:
        assert main(["report", "a.yaml", "-o", "report.html"]) in (0, 1)
        err = capsys.readouterr().err
        assert "Warning" not in err, err
