"""The leadership report as one self-contained HTML page.

``render_html(leadership) -> str``: no network, no external font, script or style; charts
are inline SVG with a table beside them; everything the input says is escaped by jinja2's
autoescape (the SVG is built from escaped text in ``charts``). The page is deterministic:
the same input gives the same bytes, and it carries a date only when one is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from policycheck import __version__
from policycheck.leadership import charts, sections
from policycheck.leadership.analysis import Leadership
from policycheck.leadership.words import BAND_LABELS, money, people, percent, set_aside
from policycheck.scoring import counted

#: Plans shown in full (the most exposed first); the rest go to a compact table.
DETAIL_LIMIT = 200
#: Plans in the incentive-mix chart and the exposure chart.
CHART_LIMIT = 40
EXPOSURE_LIMIT = 12
#: Rows per collapsible block of the compact table.
PAGE_ROWS = 500


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("policycheck", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["pct"] = percent
    env.filters["people"] = people
    return env


def _money_lines(amounts: Mapping[str, float], redact: bool) -> list[str]:
    """One compact amount per currency (largest first), or the redaction mark."""
    if redact:
        return [money(0.0, "", redact=True)]
    ordered = sorted(amounts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [money(v, k, compact=True) for k, v in ordered] or ["0"]


def headline(lead: Leadership, redact: bool = False) -> dict[str, Any]:
    """The numbers and sentences at the top of the page (and of the Markdown summary)."""
    t = lead.totals()
    people, bad = int(t["people"]), int(t["people_misaligned"])
    share = bad / people if people else 0.0
    if people:
        number, rest = f"{bad:,}", (f" of {people:,} {'person' if people == 1 else 'people'} "
                                    f"({percent(share)}) {'is' if bad == 1 else 'are'} on plans "
                                    "that pull them away from the customer.")
    else:
        plans, pulling = int(t["plans"]), int(t["plans_misaligned"])
        number, rest = f"{pulling}", (f" of {plans} plan{'s' * (plans != 1)} "
                                      f"pull{'s' * (pulling == 1)} employees away from the "
                                      "customer.")
    findings: dict[str, int] = t["findings"]
    lines = {key: _money_lines(t[key], redact)
             for key in ("pay_misaligned", "pay", "pay_pull", "pay_pull_unguarded")}
    return {
        "number": number, "rest": rest, "sentence": number + rest, "lines": lines,
        # said of the plans that pull away, when there are some
        "hold": (f"Their plans hold {' + '.join(lines['pay_misaligned'])} of annual target "
                 "variable pay." if t["plans_misaligned"] else ""),
        **{key: " + ".join(value) for key, value in lines.items()},
        "totals": t, "people_share": share, "findings": findings,
        "serious": findings.get("critical", 0) + findings.get("high", 0),
        "set_aside": set_aside(t["set_aside"]),
    }


def _chart_rows(plans: pd.DataFrame, limit: int, redact: bool) -> list[dict[str, Any]]:
    top = plans.head(limit)
    rows = top.assign(label=sections.labels(top),
                      exposure_text=[money(v, c, redact, compact=True) for v, c in
                                     zip(top["exposure"], top["currency"], strict=True)])
    return rows.pipe(sections.records)


def _findings_rows(lead: Leadership) -> list[dict[str, Any]]:
    findings = lead.report.findings
    open_ = counted(findings)
    if open_.empty:
        return []
    table = pd.crosstab(open_["rule_id"], open_["severity"])
    table = table.reindex(columns=list(charts.SEVERITY_ORDER), fill_value=0)
    table.index.name = None
    table.columns.name = None
    table["total"] = table.sum(axis=1)
    titles = {r.id: r.title for r in lead.report.rules}
    table["label"] = [titles.get(i, i) for i in table.index]
    table["rule_id"] = table.index
    rank = table[list(charts.SEVERITY_ORDER)].to_numpy() @ [10**8, 10**6, 10**4, 100, 1]
    table = table.assign(_rank=rank).sort_values(["_rank", "rule_id"],
                                                 ascending=[False, True])
    return table.drop(columns="_rank").pipe(sections.records)


def context(lead: Leadership, *, title: str = "Incentive alignment report",
            date: str | None = None, redact: bool = False,
            detail_limit: int = DETAIL_LIMIT) -> dict[str, Any]:
    """Everything the template shows, as plain values."""
    lead = lead.shown(redact)
    plans = lead.plans
    mix_rows = _chart_rows(plans, CHART_LIMIT, redact)
    exposure_rows = _chart_rows(plans, EXPOSURE_LIMIT, redact)
    finding_rows = _findings_rows(lead)
    report = lead.report
    return {
        "title": title, "date": date, "version": __version__, "redact": redact,
        "head": headline(lead, redact), "report": report, "files": report.files_read,
        "actions": sections.actions(lead, redact), "band_labels": BAND_LABELS,
        "mix_chart": charts.mix_chart("mix-chart", mix_rows, "Incentive mix per plan"),
        "mix_rows": mix_rows, "mix_limited": len(plans) > CHART_LIMIT,
        "exposure_chart": charts.exposure_chart("exposure-chart", exposure_rows,
                                                "Exposure ranking"),
        "exposure_rows": exposure_rows,
        "findings_chart": charts.findings_chart("findings-chart", finding_rows,
                                                "Red flags by rule and severity"),
        "finding_rows": finding_rows, "severities": charts.SEVERITY_ORDER,
        "segments": charts.MIX_SEGMENTS,
        "by_role": sections.rollup_rows(lead.by_role_kind, "role_kind", redact),
        "by_org": sections.rollup_rows(lead.by_org_unit, "org_unit", redact),
        "details": sections.plan_details(lead, detail_limit, redact),
        "compact": sections.compact_pages(lead, detail_limit, PAGE_ROWS, redact),
        "detail_limit": detail_limit,
        "multi_currency": plans["currency"].nunique(dropna=False) > 1,
        "problems": [{"location": str(p.location), "severity": p.severity,
                      "message": p.message} for p in report.problems[:500]],
        "problems_more": max(len(report.problems) - 500, 0),
        "curve": lead.curve, "weights": lead.weights,
    }


def render_html(lead: Leadership, **options: Any) -> str:
    """The whole page as text."""
    from policycheck.leadership.evidence import insert_html

    page = str(_environment().get_template("report.html.j2").render(**context(lead, **options)))
    return insert_html(page, lead)
