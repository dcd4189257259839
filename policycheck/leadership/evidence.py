"""Outcome-evidence sections of the leadership report (``report --actuals``).

One section per signal, each with an inline SVG chart and the findings behind it: the
histogram with its counterfactual for bunching, the pull and customer trends for divergence,
payout against customer score for the top earners, shares against their limits for surveys.
``render_html`` and ``render_markdown`` add the sections when the report's
``Leadership.evidence`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from policycheck.errors import spoken_list
from policycheck.wording import percent_text

if TYPE_CHECKING:
    from policycheck.analyze.run import Evidence
    from policycheck.leadership.analysis import Leadership

W, H, PAD = 640, 220, 36
#: Charts per signal (the most certain findings first); the rest are in the table.
CHARTS = 4
SECTIONS = (
    ("evidence.threshold-bunching", "Bunching just past payout thresholds",
     "Bars: observed results per bin, laid out in the direction the plan rewards (for a "
     "lower-is-better KPI such as handle time, lower values to the right); dashed line: the "
     "cut-off; curve: the smooth counterfactual fitted outside the window."),
    ("evidence.divergence", "Speed, cost or sales up while customer outcomes fall",
     "Mean standardised result per period, up is the rewarded direction: solid the "
     "speed, cost and sales KPIs, dashed the customer KPIs of the same people."),
    ("evidence.payout-vs-customer", "Top earners and their customer outcomes",
     "Each dot a person: payout (1 = target) against customer score; top earners dark."),
    ("evidence.survey", "Survey gaming",
     "Share of survey results that are suspect, against the limit."),
)


def _svg(title: str, body: list[str]) -> str:
    return (f'<svg class="chart" viewBox="0 0 {W} {H}" role="img"><title>{escape(title)}'
            f'</title>{"".join(body)}</svg>')


def _scale(values: np.ndarray, lo: float, hi: float, a: float, b: float) -> np.ndarray:
    span = (hi - lo) or 1.0
    return a + (values - lo) / span * (b - a)


def bunching_chart(title: str, counts: np.ndarray, counter: np.ndarray) -> str:
    n = len(counts)
    top = float(max(counts.max(), counter.max(), 1.0))
    width = (W - 2 * PAD) / n
    ys = _scale(counts, 0, top, H - PAD, PAD)
    body = [f'<rect x="{PAD + i * width:.1f}" y="{y:.1f}" width="{width - 1:.1f}" '
            f'height="{H - PAD - y:.1f}" class="seg-speed"/>' for i, y in enumerate(ys)]
    cy = _scale(counter, 0, top, H - PAD, PAD)
    points = " ".join(f"{PAD + (i + 0.5) * width:.1f},{y:.1f}" for i, y in enumerate(cy))
    body.append(f'<polyline points="{points}" fill="none" stroke="currentColor" '
                'stroke-width="2"/>')
    cut = PAD + (n // 2) * width
    body.append(f'<line x1="{cut:.1f}" x2="{cut:.1f}" y1="{PAD}" y2="{H - PAD}" '
                'stroke="currentColor" stroke-dasharray="4 3"/>')
    return _svg(title, body)


def lines_chart(title: str, series: dict[str, pd.Series]) -> str:
    values = pd.concat(series.values()) if series else pd.Series([0.0])
    lo, hi = float(values.min()), float(values.max())
    body = []
    for i, (name, s) in enumerate(series.items()):
        xs = _scale(s.index.to_numpy(dtype=float), 0, max(s.index.max(), 1), PAD, W - PAD)
        ys = _scale(s.to_numpy(dtype=float), lo, hi, H - PAD, PAD)
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        dash = "" if i == 0 else ' stroke-dasharray="6 3"'
        body.append(f'<polyline points="{pts}" fill="none" stroke="currentColor" '
                    f'stroke-width="2"{dash}/>')
        body.append(f'<text x="{W - PAD}" y="{ys[-1]:.1f}" text-anchor="end">'
                    f'{escape(name)}</text>')
    return _svg(title, body)


def scatter_chart(title: str, people: pd.DataFrame) -> str:
    sample = people.iloc[np.linspace(0, len(people) - 1, min(len(people), 400)).astype(int)]
    xs = _scale(sample["payout"].to_numpy(), float(people["payout"].min()),
                float(people["payout"].max()), PAD, W - PAD)
    ys = _scale(sample["customer"].to_numpy(), float(people["customer"].min()),
                float(people["customer"].max()), H - PAD, PAD)
    body = [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill-opacity="{0.9 if t else 0.25}"/>'
            for x, y, t in zip(xs, ys, sample["top"], strict=True)]
    return _svg(title, body)


def share_chart(title: str, rows: list[tuple[str, float, float]]) -> str:
    body = []
    for i, (label, share, limit) in enumerate(rows[:6]):
        y = PAD + i * 28
        body.append(f'<rect x="{W / 3:.0f}" y="{y}" width="{share * W / 2:.1f}" height="18" '
                    'class="seg-sales"/>')
        body.append(f'<line x1="{W / 3 + limit * W / 2:.1f}" x2="{W / 3 + limit * W / 2:.1f}"'
                    f' y1="{y - 2}" y2="{y + 20}" stroke="currentColor" '
                    'stroke-dasharray="3 2"/>')
        body.append(f'<text x="{W / 3 - 6:.0f}" y="{y + 14}" text-anchor="end">'
                    f'{escape(label)} {share:.0%}</text>')
    return _svg(title, body)


def _charts(evidence: Evidence, rule: str) -> list[str]:
    t = evidence.tables
    if rule == "evidence.threshold-bunching" and "bunching" in t and len(t["bunching"]):
        shown = t["bunching"][t["bunching"]["flag"]].sort_values("z", ascending=False)
        return [bunching_chart(f"{r.plan_id} {r.kpi} around its {r.kind} {r.cutoff:g}",
                               evidence.histograms[i], evidence.counterfactual[i])
                for i, r in shown.head(CHARTS).iterrows()]
    if rule == "evidence.divergence" and "divergence" in t and len(t["divergence"]):
        out = []
        for r in t["divergence"][t["divergence"]["flag"]].head(CHARTS).itertuples():
            trend = t["trends"][t["trends"]["plan_idx"] == r.plan_idx]
            series = {str(side): g.set_index("period_idx")["z"]
                      for side, g in trend.groupby("side", observed=True)}
            out.append(lines_chart(f"plan {_plan(r.plan_idx, evidence)}: pull vs "
                                   "customer", series))
        return out
    if rule == "evidence.payout-vs-customer" and "payout" in t and len(t["payout"]):
        flagged = t["payout"][t["payout"]["flag"]]["plan_idx"].head(CHARTS)
        return [scatter_chart(f"plan {_plan(i, evidence)}: payout vs customer",
                              t["people"][t["people"]["plan_idx"] == i]) for i in flagged]
    if rule == "evidence.survey":
        rows: list[tuple[str, float, float]] = []
        for key, name, param in (("small", "small samples", "survey.max_small_share"),
                                 ("top", "top scores", "survey.max_top_share")):
            flagged = t[key][t[key]["flag"]] if key in t and len(t[key]) else t[key].iloc[:0]
            limit = float(evidence.params.get(param, 0.0))
            rows += [(f"{_plan(r.plan_idx, evidence)} {r.kpi} {name}", float(r.share), limit)
                     for r in flagged.itertuples()]
        return [share_chart("suspect survey results", rows)] if rows else []
    return []


def _plan(plan_idx: Any, evidence: Evidence) -> str:
    plans = evidence.tables.get("plan_ids")
    return str(plans.iat[int(plan_idx)]) if plans is not None else str(plan_idx)


def _found(evidence: Evidence, rule: str) -> pd.DataFrame:
    f = evidence.report.findings
    return f[f["rule_id"].str.startswith(rule)]


@dataclass(frozen=True)
class Names:
    """What a reader calls the plans and KPIs the findings name by id."""

    plans: Mapping[str, str]
    kpis: Mapping[str, str]

    def plan(self, plan_id: object) -> str:
        return self.plans.get(str(plan_id)) or str(plan_id)

    def kpi(self, ids: object) -> str:
        """One KPI's name, or a list's ("accounts_opened,products_per_customer" → "Accounts
        opened and Products per customer")."""
        names = [self.kpis.get(k.strip()) or k.strip()
                 for k in str(ids).replace(";", ",").split(",") if k.strip()]
        return spoken_list(names)


def lay_message(rule_id: str, evidence: Mapping[str, Any], message: str,
                names: Names) -> str:
    """A finding of ``analyze`` in words for the committee (its message is the analyst's:
    fitted slopes, standard deviations, KPI ids); the message itself for a rule it does not
    know."""
    e = evidence
    try:
        if rule_id == "evidence.threshold-bunching":
            return (f"{names.kpi(e['kpi'])}: {e['excess']:,.0f} more results than the rest "
                    f"of the distribution predicts sit just on the paying side of the "
                    f"{e['kind']} ({e['cutoff']:g}), out of {e['observations']:,}: a sign of "
                    "results steered to the pay line.")
        if rule_id == "evidence.divergence":
            return (f"{names.kpi(e['pull_kpis'])} improved period after period while "
                    f"{names.kpi(e['customer_kpis'])} worsened, for the same "
                    f"{e['people']:,} {e.get('population', 'people')}.")
        if rule_id == "evidence.payout-vs-customer":
            return (f"The {e['top_earners']:,} best-paid people (paid "
                    f"{e['payout_top']:.2f}× target, the rest {e['payout_rest']:.2f}×) score "
                    "lower on customer measures than the rest; "
                    f"{percent_text(e['share_below_median'])} of them are below the median.")
        if rule_id == "evidence.survey-small-sample":
            return (f"{names.kpi(e['kpi'])}: {percent_text(e['share_below_min'])} of the "
                    f"results rest on fewer than {e['min_sample']:g} survey returns.")
        if rule_id == "evidence.survey-top-scores":
            return (f"{names.kpi(e['kpi'])}: {percent_text(e['share_at_top'])} of the scores "
                    f"sit at the top of the scale ({e['ceiling']:g}).")
        if rule_id == "evidence.survey-source-gap":
            return (f"{names.kpi(e['kpi'])}: surveys the employee sends average "
                    f"{e['agent_mean']:g}, independent ones {e['independent_mean']:g}.")
    except (KeyError, TypeError, ValueError):  # evidence of another shape: the message
        pass
    return message


def _rows(evidence: Evidence, rule: str, names: Names) -> list[tuple[str, str]]:
    """(plan, finding in words) of the findings of ``rule``, in order."""
    found = _found(evidence, rule)
    return [(names.plan(plan), lay_message(str(rule_id), e if isinstance(e, Mapping) else {},
                                           str(message), names))
            for plan, rule_id, e, message in zip(found["plan_id"], found["rule_id"],
                                                 found["evidence"], found["message"],
                                                 strict=True)]


def html_section(evidence: Evidence, names: Names) -> str:
    parts = ['<section aria-labelledby="evidence"><h2 id="evidence">Outcome evidence from '
             'KPI actuals</h2><p>What the actual results show the plans doing (policycheck '
             'analyze; method in docs/analyze.md).</p>']
    for rule, title, note in SECTIONS:
        rows = _rows(evidence, rule, names)
        parts.append(f'<h3>{escape(title)}</h3><p>{escape(note)}</p>')
        if not rows:
            parts.append("<p>No evidence of this pattern.</p>")
            continue
        parts += [f"<figure>{c}</figure>" for c in _charts(evidence, rule)]
        parts.append("<table><tr><th>Plan</th><th>Finding</th></tr>")
        parts += [f"<tr><td>{escape(plan)}</td><td>{escape(text)}</td></tr>"
                  for plan, text in rows]
        parts.append("</table>")
    parts.append("</section>")
    return str(Markup("".join(parts)))


def names_of(lead: Leadership) -> Names:
    plans, kpis = lead.plans, lead.frames["kpis"]
    return Names(plans=dict(zip(plans["plan_id"].astype(str), plans["name"].fillna("")
                                .astype(str), strict=True)),
                 kpis=dict(zip(kpis["kpi_id"].astype(str), kpis["name"].fillna("")
                               .astype(str), strict=True)))


def insert_html(page: str, lead: Leadership) -> str:
    """The page with the evidence section before the method notes, when there is evidence."""
    if lead.evidence is None:
        return page
    anchor = '<section aria-labelledby="method">'
    where = page.find(anchor) if anchor in page else page.rfind("</body>")
    return page[:where] + html_section(lead.evidence, names_of(lead)) + "\n" + page[where:]


def append_markdown(text: str, lead: Leadership) -> str:
    if lead.evidence is None:
        return text
    from policycheck.leadership.markdown import escape as markdown_text

    names = names_of(lead)
    lines = ["", "## Outcome evidence from KPI actuals", ""]
    for rule, title, _ in SECTIONS:
        rows = _rows(lead.evidence, rule, names)
        lines.append(f"- **{title}**: " + ("" if rows else "none"))
        lines += [f"  - {markdown_text(plan)}: {markdown_text(text)}" for plan, text in rows]
    return text + "\n".join(lines) + "\n"
