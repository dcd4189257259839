"""Property-based tests (hypothesis): generated plans and mutations of them.

- Any valid generated plan set is checked without a crash, twice to the same bytes, and the
  evidence numbers of a few rules whose evidence is a simple share are recomputed here from
  the generated plan, independently of the engine (SPEC 3.3 pressures, the rule's own
  parameter defaults).
- A valid plan file mutated (a required key deleted, a value of the wrong type, garbage
  bytes) ends in exit 2 with a location, or still passes; never a traceback or exit 3.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policycheck
from policycheck.cli import main
from policycheck.formats import render

#: KPI id -> category, a sample of the built-in library (SPEC 3.3).
KPIS = {
    "aht": "speed", "time_to_resolve": "speed", "tickets_closed": "throughput",
    "cost_per_contact": "cost_efficiency", "refunds_issued": "remedy_cost",
    "units_sold": "sales_volume", "attach_rate": "cross_sell", "save_rate": "retention_save",
    "qa_score": "quality", "fcr": "resolution", "first_time_fix": "resolution",
    "csat": "cx_perception", "customer_retention": "customer_outcome",
    "mystery_shop": "compliance", "attendance": "workforce",
    "company_profit": "company_financial",
}
#: category -> pressure, the table of SPEC 3.3.
PRESSURE = {
    "speed": "speed", "throughput": "speed", "cost_efficiency": "cost", "remedy_cost": "cost",
    "sales_volume": "sales", "cross_sell": "sales", "price_terms": "sales",
    "retention_save": "sales", "collections": "sales", "quality": "customer",
    "resolution": "customer", "cx_perception": "customer", "customer_outcome": "customer",
    "compliance": "customer", "workforce": "neutral", "company_financial": "neutral",
}
ROLE_KINDS = ["service", "sales", "advice", "retention", "collections", "claims",
              "field_service", "back_office", "manager"]
BASES = ["individual", "team", "branch", "company"]
#: derandomize: the same examples on every run, so CI is reproducible; the fuzzers
#: (fuzz/) do the open-ended search.
QUICK = dict(deadline=None, derandomize=True,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@st.composite
def weights(draw: st.DrawFn) -> list[int]:
    """Whole percents that sum to exactly 100."""
    count = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1,
                                max_size=count - 1, unique=True)))
    edges = [0, *cuts, 100]
    return [b - a for a, b in itertools.pairwise(edges)]


@st.composite
def plans(draw: st.DrawFn) -> list[dict]:
    out = []
    for number in range(draw(st.integers(1, 3))):
        shares = draw(weights())
        components = [{"id": f"c{i}", "kpi": draw(st.sampled_from(sorted(KPIS))),
                       "weight": f"{share}%", "basis": draw(st.sampled_from(BASES)),
                       "period": "month", **draw(st.sampled_from([{}, {"cap": 2.0}]))}
                      for i, share in enumerate(shares)]
        plan = {"id": f"plan-{number}", "name": draw(st.text(
                    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                    min_size=1, max_size=20)),
                "role": "agent", "role_kind": draw(st.sampled_from(ROLE_KINDS)),
                "customer_facing": draw(st.booleans()), "currency": "EUR",
                "headcount": draw(st.integers(0, 500)),
                "base_pay": draw(st.integers(0, 90_000)),
                "target_variable": draw(st.integers(1, 20_000)),
                "components": components}
        if plan["base_pay"] == 0:
            plan["pay_floor"] = 20_000
        gates = draw(st.lists(st.sampled_from([
            {"kpi": "qa_score", "min": 85, "applies_to": "all", "effect": "zero"},
            {"kpi": "csat", "min": 70, "applies_to": "all", "effect": "zero"}]),
            max_size=2, unique_by=lambda g: g["kpi"]))
        if gates:
            plan["gates"] = gates
        out.append(plan)
    return out


def _write(folder: Path, generated: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plans.yaml"
    path.write_text(yaml.safe_dump({"plans": generated}, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def _share(plan: dict, categories: set[str]) -> float:
    """The share of target variable pay on KPIs of these categories, from the plan."""
    return sum(int(c["weight"][:-1]) for c in plan["components"]
               if KPIS[c["kpi"]] in categories) / 100


def _of_pressures(pressures: list[str]) -> set[str]:
    return {category for category, pressure in PRESSURE.items() if pressure in pressures}


@given(generated=plans())
@settings(max_examples=12, **QUICK)
def test_generated_plans_check_deterministically_with_true_evidence(
        generated: list[dict], tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("plans")
    path = _write(folder, generated)
    report = policycheck.check(path)
    assert report.plans_invalid == 0, [str(p) for p in report.problems]
    again = policycheck.check(path)
    assert render(report, "json", False) == render(again, "json", False)
    defaults = {r.id: {k: p.default for k, p in r.parameters.items()} for r in report.rules}
    by_id = {p["id"]: p for p in generated}
    for finding in report.findings.to_dict("records"):
        plan, evidence = by_id[finding["plan_id"]], finding["evidence"]
        rule = finding["rule_id"]
        if rule == "weight.single-kpi":
            component = next(c for c in plan["components"] if c["id"] == finding["entity_id"])
            assert math.isclose(evidence["weight"], int(component["weight"][:-1]) / 100)
            assert evidence["kpi"] == component["kpi"]
        elif rule == "weight.speed-cost-dominant":
            params = defaults[rule]
            assert math.isclose(evidence["speed_cost_share"], _share(
                plan, _of_pressures(params["pressures"])), abs_tol=1e-9)
            assert math.isclose(evidence["counterweight_share"], _share(
                plan, set(params["counterweight_categories"])), abs_tol=1e-9)
        elif rule == "weight.quality-token":
            params = defaults[rule]
            assert math.isclose(evidence["pressure_share"], _share(
                plan, _of_pressures(params["pressures"])), abs_tol=1e-9)
        elif rule == "gate.missing":
            assert evidence["gate_count"] == len(plan.get("gates", []))
    # and the other way round: weight.single-kpi fires exactly where its condition holds
    params = defaults["weight.single-kpi"]
    expected = {(p["id"], c["id"]) for p in generated for c in p["components"]
                if int(c["weight"][:-1]) / 100 >= params["max_weight"]
                and KPIS[c["kpi"]] not in params["exempt_categories"]
                and c["basis"] not in params["exempt_bases"]}
    fired = {(f["plan_id"], f["entity_id"]) for f in report.findings.to_dict("records")
             if f["rule_id"] == "weight.single-kpi"}
    assert fired == expected


REQUIRED = ["id", "role_kind", "base_pay", "target_variable"]
WRONG_VALUES = [[1, 2], {"a": 1}, "not a number", -5, ".nan", True]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    generated = draw(plans())
    plan = draw(st.sampled_from(generated))
    kind = draw(st.sampled_from(["delete", "wrong-type", "component", "garbage"]))
    if kind == "delete":
        del plan[draw(st.sampled_from(REQUIRED))]
    elif kind == "wrong-type":
        field = draw(st.sampled_from(["base_pay", "target_variable", "headcount"]))
        plan[field] = draw(st.sampled_from(WRONG_VALUES[:3]))
    elif kind == "component":
        component = draw(st.sampled_from(plan["components"]))
        field = draw(st.sampled_from(["kpi", "weight"]))
        component[field] = draw(st.sampled_from(WRONG_VALUES))
    text = yaml.safe_dump({"plans": generated}, allow_unicode=True,
                          sort_keys=False).encode("utf-8")
    if kind == "garbage":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=16)) + text[at:]
    return kind, text


@given(mutation=mutations())
@settings(max_examples=40, **QUICK)
def test_mutated_plans_exit_2_with_a_location(mutation: tuple[str, bytes],
                                              tmp_path_factory: pytest.TempPathFactory,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    kind, data = mutation
    path = tmp_path_factory.mktemp("mutated") / "plans.yaml"
    path.write_bytes(data)
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    text = out + err  # validate lists the problems on stdout
    assert "Traceback" not in text and "internal error" not in text
    if kind != "garbage":  # garbage may land in a comment or a name and stay valid
        assert code == 2, text
    assert code in (0, 2), text
    errors = [line for line in text.splitlines() if ": error: " in line]
    assert (code == 2) == bool(errors), text
    for line in errors:
        assert line.startswith(str(path)), line
        if kind != "garbage":  # a structural mistake is pinned to its line and column
            where = line[len(str(path)):].split(": error: ")[0]
            assert where.count(":") == 2 and where[1:].replace(":", "").isdigit(), line
