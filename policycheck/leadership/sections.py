"""The parts of the page built from many rows: plan sections, the compact table, roll-ups.

Row work is done on whole frames; the only Python loops hand out the already-built rows
of the plans that are shown in full (at most ``detail_limit``) to their plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from policycheck.codes import per_distinct
from policycheck.engine import severity_ranks
from policycheck.formats.redact import names_pay
from policycheck.leadership import charts
from policycheck.leadership.analysis import Leadership
from policycheck.leadership.words import (
    PRESSURE_LABELS,
    money,
    money_column,
    percent,
    plain,
    step_text,
)
from policycheck.profile import bites, employee_controlled
from policycheck.wording import in_words, percent_text


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts keyed by column name."""
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def labels(plans: pd.DataFrame) -> list[str]:
    """The name a committee knows a plan by (its id when it has no name)."""
    names = plans["name"].astype(object).where(plans["name"].notna(), plans["plan_id"])
    return [str(n) for n in names]


def flags_text(plans: pd.DataFrame) -> pd.Series:
    """"2 critical · 5 high · 1 medium" (open findings)."""
    joined = pd.Series("", index=plans.index, dtype=object)
    for severity in ("critical", "high", "medium", "low"):
        part = pd.Series(np.where(plans[severity] > 0,
                                  plans[severity].astype(str) + f" {severity}", ""),
                         index=plans.index, dtype=object)
        joined = joined + np.where((joined != "") & (part != ""), " · ", "") + part
    return joined.where(joined != "", "no red flags")


def actions(lead: Leadership, redact: bool, limit: int = 5) -> list[dict[str, Any]]:
    """The most exposed plans that are not aligned: what to change first."""
    chosen = lead.plans[lead.plans["band"] != "aligned"].head(limit)
    rows = chosen.assign(label=labels(chosen),
                         # shown when the plan names no role: "back office", not the code
                         role_kind=chosen["role_kind"].astype(object).where(
                             chosen["role_kind"].isna(),
                             chosen["role_kind"].astype(str).str.replace("_", " ")),
                         pay=money_column(chosen["pay_at_stake"], chosen["currency"], redact),
                         remedy_text=chosen["remedy"].map(plain))
    return rows.pipe(records)


def rollup_rows(table: pd.DataFrame, key: str, redact: bool) -> list[dict[str, Any]]:
    rows = table.assign(
        name=table[key].astype(str).str.replace("_", " "),
        pay=money_column(table["pay_at_stake"], table["currency"], redact),
        pay_bad=money_column(table["pay_misaligned"], table["currency"], redact),
        share_bad=(table["people_misaligned"] / table["people"].where(table["people"] > 0))
        .fillna(0.0))
    return rows.pipe(records)


def _evidence(value: Any, currency: str = "",
              kpis: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """A finding's evidence as (name, value) for a reader: shares and component weights as
    percentages, amounts of pay in the plan's ``currency`` (which is then not listed on its
    own), KPI ids as the KPI's name (``kpis``), codes of the input in words, an empty list
    or text as "none"."""
    if not isinstance(value, dict):
        return []
    names = kpis or {}
    money_shown = any(names_pay(k) and isinstance(v, (int, float))
                      and not isinstance(v, bool) for k, v in value.items())
    out = []
    for key, item in value.items():
        if key == "currency" and money_shown:
            continue
        if isinstance(item, bool):
            text = "yes" if item else "no"
        elif isinstance(item, (int, float)) and (key == "weight" or any(
                w in key for w in ("share", "_vs_"))):
            text = percent_text(item, 1 if abs(item) < 0.1 else 0)  # "4.2%", "100%"
        elif isinstance(item, (int, float)) and names_pay(key):
            text = money(float(item), currency)
        elif isinstance(item, (int, float)):
            text = f"{item:,.0f}" if abs(item) >= 1000 else f"{item:.4g}"
        elif isinstance(item, list):
            text = ", ".join(_word(str(i), key, names) for i in item) or "none"
        else:
            text = "n/a" if item is None else _word(str(item), key, names) or "none"
        out.append((key.replace("_", " "), text))
    return out


def _word(text: str, key: str, kpis: Mapping[str, str]) -> str:
    """An evidence text as a reader says it: a KPI by its name, a code in words."""
    if "kpi" in key and text in kpis:
        return kpis[text]
    return in_words(text)


def _findings(lead: Leadership, ids: pd.Index, redact: bool) -> pd.DataFrame:
    chosen = lead.shown_findings(ids, redact)
    rules = {r.id: r for r in lead.report.rules}
    currency = dict(zip(lead.plans["plan_id"].astype(str),
                        lead.plans["currency"].fillna("").astype(str), strict=True))
    kpis = lead.frames["kpis"]
    names = dict(zip(kpis["kpi_id"].astype(str), kpis["name"].fillna(kpis["kpi_id"])
                     .astype(str), strict=True))
    chosen = chosen.assign(
        _rank=severity_ranks(chosen["severity"]),
        rationale=[plain(rules[r].rationale) if r in rules else "" for r in chosen["rule_id"]],
        references=[", ".join(rules[r].references) if r in rules else ""
                    for r in chosen["rule_id"]],
        remedy_text=chosen["remediation"].map(plain),
        location=chosen["src_file"].astype(str) + ":" + chosen["src_line"].astype(str),
        evidence_items=pd.Series([_evidence(e, currency.get(str(p), ""), names) for e, p in
                                  zip(chosen["evidence"], chosen["plan_id"], strict=True)],
                                 index=chosen.index, dtype=object))
    return chosen.sort_values(["plan_id", "_rank", "rule_id", "entity_id"], kind="stable",
                              na_position="first")


def _components(lead: Leadership, ids: pd.Index, redact: bool) -> pd.DataFrame:
    comps = lead.components[lead.components["plan_id"].isin(ids)]
    currency = pd.Series(lead.plans["currency"].to_numpy(), index=lead.plans["plan_id"])
    cur = pd.Series(currency.reindex(comps["plan_id"]).to_numpy(), index=comps.index)
    segment = comps["pressure"].where(~(comps["controlled"].astype(bool)
                                        & (comps["pressure"] == "customer")), "controlled")
    capped = np.where(comps["component_capped"], "capped by the component cap",
                      np.where(comps["plan_capped"], "capped by the plan maximum", ""))
    return comps.assign(
        label=comps["kpi_name"].fillna(comps["kpi"]).astype(str), segment=segment,
        pressure_label=comps["pressure"].map(PRESSURE_LABELS).fillna("")
        + np.where(segment == "controlled", " (employee-controlled)", ""),
        step=step_text(comps["step_value"], comps["unit"], cur),
        extra_text=money_column(comps["extra_pay"].round(0), cur, redact), capped=capped)


def _number(values: pd.Series) -> pd.Series:
    """Numbers as short text ("80", "0.9"), an object column even when empty."""
    numbers = values.astype("float64")
    return pd.Series([f"{v:g}" for v in numbers], index=values.index, dtype=object)


def _checks(lead: Leadership, ids: pd.Index) -> pd.DataFrame:
    """Gates and modifiers of the chosen plans, described, with whether they protect."""
    kpis = lead.frames["kpis"]
    parts = []
    for kind in ("gates", "modifiers"):
        rows = lead.frames[kind]
        rows = rows[rows["plan_id"].isin(ids)]
        name = rows["kpi"].map(kpis.set_index("kpi_id")["name"]).fillna(rows["kpi"])
        pressure = rows["kpi"].map(kpis.set_index("kpi_id")["pressure"])
        controlled = employee_controlled(rows, kpis)
        applies = rows["applies_to"].fillna("all").astype(str)
        scope = np.where(applies == "all", "all of the pay",
                         "only " + applies.str.replace(";", ", "))
        weak: Any = np.where(bites(kind, rows), "", "cuts too little to protect")
        if kind == "gates":
            bound = np.where(rows["min"].notna(), "at least " + _number(rows["min"]),
                             "at most " + _number(rows["max"]))
            effect: Any = np.where(rows["effect"] == "zero", "pays nothing when missed",
                              "cuts pay by " + _number(rows["reduce_pct"])
                              + " % when missed")
            weak = np.where(rows["override_by"].notna(),
                            "can be waived by " + rows["override_by"].astype(str), weak)
            text = "Gate: " + name + " " + bound + ", " + effect + ", on " + scope
        else:
            effect = ("scales pay ×" + _number(rows["factor_min"]) + " to ×"
                      + _number(rows["factor_max"]))
            text = "Modifier: " + name + " " + effect + ", on " + scope
        reason = np.where(pressure != "customer", "not a customer measure",
                          np.where(controlled, "the employee controls this measure", weak))
        parts.append(pd.DataFrame({"plan_id": rows["plan_id"], "text": text,
                                   "counts": reason == "", "reason": reason}))
    return pd.concat(parts, ignore_index=True)


def _bucket(frame: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for record in records(frame):
        out.setdefault(str(record["plan_id"]), []).append(record)
    return out


def _by_rule(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per rule of a plan (findings arrive sorted by severity, then rule): the
    rule's title, rationale and remedy once, with each finding's message and evidence."""
    groups: dict[str, dict[str, Any]] = {}
    for f in findings:
        group = groups.setdefault(f["rule_id"], {**f, "entries": []})
        group["entries"].append(f)
    return list(groups.values())


def plan_details(lead: Leadership, limit: int, redact: bool) -> list[dict[str, Any]]:
    """The plans shown in full, most exposed first, each with its flags, measures, checks."""
    top = lead.plans.head(limit)
    ids = pd.Index(top["plan_id"])
    findings = _bucket(_findings(lead, ids, redact))
    measures = _bucket(_components(lead, ids, redact))
    checks = _bucket(_checks(lead, ids))
    rows = top.assign(label=labels(top), flags=flags_text(top),
                      pay=money_column(top["pay_at_stake"], top["currency"], redact),
                      variable=money_column(top["target_variable"], top["currency"], redact),
                      base=money_column(top["base_pay"], top["currency"], redact),
                      floor=money_column(top["pay_floor"], top["currency"], redact)
                      .where(top["pay_floor"].notna(), ""),
                      maximum=money_column(top["max_variable"], top["currency"], redact)
                      .where(top["max_variable"].notna(), "no maximum"),
                      exposure_text=money_column(top["exposure"].round(0), top["currency"],
                                                 redact))
    out = []
    for i, row in enumerate(records(rows)):
        pid = str(row["plan_id"])
        row["anchor"] = f"plan-{i + 1}"
        row["findings"] = findings.get(pid, [])
        row["flag_groups"] = _by_rule(row["findings"])
        row["measures"] = measures.get(pid, [])
        row["checks"] = checks.get(pid, [])
        row["mix_strip"] = charts.mix_strip(f"mix-{i + 1}", row, f"Incentive mix of "
                                            f"{row['label']}")
        row["sensitivity_chart"] = charts.sensitivity_chart(
            f"sens-{i + 1}", row["measures"], f"What one step is worth: {row['label']}")
        out.append(row)
    return out


def compact_pages(lead: Leadership, skip: int, page_rows: int,
                  redact: bool) -> list[dict[str, Any]]:
    """The plans after the first ``skip``, as a compact table in pages of ``page_rows``:
    each page's first and last rank, its number of rows and its rows as HTML."""
    from markupsafe import Markup

    rest = lead.plans.iloc[skip:]
    if rest.empty:
        return []
    rows = compact_rows(rest, redact)
    ranks = rest["rank"].tolist()
    return [{"first": ranks[i], "last": ranks[min(i + page_rows, len(rows)) - 1],
             "count": min(page_rows, len(rows) - i),
             "rows": Markup("".join(rows[i:i + page_rows]))}
            for i in range(0, len(rows), page_rows)]


def compact_rows(plans: pd.DataFrame, redact: bool) -> list[str]:
    """The compact table's rows (``<tr>`` elements, a line each), every text escaped as
    the template's autoescape does it, once per distinct value of a column: the template
    took about 5 s for the 99,800 rows of a report of 100,000 plans, most of it looking up
    and escaping each cell."""
    rank, label, plan_id, role, headcount, pay, band, score, pull, customer, flags, worst = (
        plans["rank"].astype(str).tolist(), _escaped(labels(plans)),
        _escaped(plans["plan_id"]), _escaped(plans["role_kind"], lambda v: v.replace("_", " ")),
        _escaped(plans["headcount"].astype(object), lambda v: "n/a" if v is None else v),
        _escaped(money_column(plans["pay_at_stake"], plans["currency"], redact)),
        _escaped(plans["band"], lambda v: v.replace(" ", "-")),
        plans["score"].astype(str).tolist(), _escaped(plans["pull_share"], percent),
        _escaped(plans["share_customer_trusted"], percent), _escaped(flags_text(plans)),
        _escaped(plans["worst_title"].fillna("")))
    return [f'<tr><td class="n">{r}</td><td>{lb}<br><span class="id">{p}</span></td>'
            f'<td>{ro}</td><td class="n">{h}</td><td class="n">{pa}</td><td class="n">'
            f'<b class="s-{b}">{sc}</b></td><td class="n">{pu}</td><td class="n">{cu}</td>'
            f"<td>{fl}</td><td>{w}</td></tr>\n"
            for r, lb, p, ro, h, pa, b, sc, pu, cu, fl, w in zip(
                rank, label, plan_id, role, headcount, pay, band, score, pull, customer,
                flags, worst, strict=True)]


def _escaped(values: pd.Series | list[str],
             text: Callable[[Any], object] | None = None) -> list[str]:
    """A column's cells as the template writes ``{{ value|filter }}``: ``text`` (the
    filter; a missing value comes to it as None) applied to each distinct value, then the
    result escaped (a filter of the template escapes first: the same for the "_" and " "
    they replace)."""
    from markupsafe import escape

    return per_distinct(pd.Series(values, dtype=object), lambda value: str(
        escape(value if text is None else text(value)))).tolist()
