"""Inline SVG charts for the leadership report.

Each chart is a string of SVG with ``role="img"``, a ``<title>`` and a ``<desc>`` that say
what it shows; the page puts the same numbers in a table beside it. Every text that comes
from the input is escaped here, since the page inserts the SVG as markup. Colours come from
CSS classes (``seg-speed``, ``sev-high``, ``band-aligned`` ...) defined by the page, so the
meaning of a colour is decided in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

MIX_SEGMENTS = (
    ("share_speed", "speed", "Speed"),
    ("share_cost", "cost", "Cost"),
    ("share_sales", "sales", "Sales & volume"),
    ("share_neutral", "neutral", "Neutral"),
    ("share_customer_controlled", "controlled", "Customer, employee-controlled"),
    ("share_customer_trusted", "customer", "Customer"),
)
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
ROW = 24
WIDTH = 880


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart: a label and its coloured segments."""

    label: str
    segments: Sequence[tuple[float, str, str]]  # (value, css class, tooltip)
    note: str = ""
    sublabel: str = ""


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>'
            f"{escape(text)}</text>")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _frame(chart_id: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    head = (f'<svg class="chart" id="{escape(chart_id)}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">'
            f'<title id="{escape(chart_id)}-t">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[Bar], scale: float,
              label_width: int = 300, label_chars: int = 42, ticks: Sequence[float] = (),
              tick_format: str = "{:.0%}") -> Markup:
    """Horizontal bars, one row each, stacked segments from the left; ``scale`` is the value
    of a full-width bar. ``ticks`` draws light guide lines with their values on top."""
    left, right = label_width, WIDTH - 90
    span = right - left
    top = 22 if ticks else 6
    body: list[str] = []
    for tick in ticks:
        x = left + span * tick / scale
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" '
                    f'y2="{top + ROW * len(bars)}" class="tick"/>')
        body.append(_text(x, 12, tick_format.format(tick), "axis", "middle"))
    for i, bar in enumerate(bars):
        y = top + i * ROW
        body.append(_text(left - 10, y + 16, _clip(bar.label, label_chars), "label", "end"))
        x = float(left)
        for value, cls, tip in bar.segments:
            width = span * max(value, 0.0) / scale if scale > 0 else 0.0
            if width <= 0:
                continue
            body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" '
                        f'class="{escape(cls)}"><title>{escape(tip)}</title></rect>')
            x += width
        if bar.note:
            body.append(_text(x + 6, y + 16, bar.note, "value"))
    return _frame(chart_id, title, desc, top + ROW * len(bars) + 6, body)


def mix_chart(chart_id: str, rows: Sequence[Mapping[str, Any]], title: str) -> Markup:
    """The incentive mix of each plan: one 100 % bar, speed/cost/sales first."""
    bars = []
    for row in rows:
        segments = [(float(row[column]), f"seg-{cls}",
                     f"{row['label']}: {name} {float(row[column]):.0%}")
                    for column, cls, name in MIX_SEGMENTS]
        bars.append(Bar(str(row["label"]), segments, note=f"{row['score']}"))
    desc = ("Share of target variable pay on speed, cost, sales, neutral and customer "
            "measures for each plan; the number after each bar is its alignment score.")
    return bar_chart(chart_id, title, desc, bars, 1.0, ticks=(0.0, 0.25, 0.5, 0.75, 1.0))


def exposure_chart(chart_id: str, rows: Sequence[Mapping[str, Any]], title: str) -> Markup:
    """Exposure per plan (pay at stake × misalignment), coloured by band."""
    bars = [Bar(str(r["label"]), [(float(r["exposure"]),
                                   f"band-{str(r['band']).replace(' ', '-')}",
                                   f"{r['label']}: {r['exposure_text']}")],
                note=str(r["exposure_text"])) for r in rows]
    scale = max((float(r["exposure"]) for r in rows), default=0.0) or 1.0
    desc = ("Exposure of each plan: people × target variable pay × misalignment "
            "(1 − score/100); the colour is the plan's band.")
    return bar_chart(chart_id, title, desc, bars, scale * 1.02)


def findings_chart(chart_id: str, rows: Sequence[Mapping[str, Any]], title: str) -> Markup:
    """Open findings per rule, stacked by severity."""
    bars = []
    for row in rows:
        segments = [(float(row[s]), f"sev-{s}",
                     f"{row['label']}: {row[s]} {s}") for s in SEVERITY_ORDER]
        bars.append(Bar(str(row["label"]), segments, note=str(row["total"])))
    scale = max((float(r["total"]) for r in rows), default=0.0) or 1.0
    desc = "Number of open findings of each rule, by severity."
    return bar_chart(chart_id, title, desc, bars, scale * 1.02, label_width=440,
                     label_chars=60)


def sensitivity_chart(chart_id: str, rows: Sequence[Mapping[str, Any]], title: str) -> Markup:
    """Extra annual pay for one step on each measure of a plan, coloured by pressure."""
    bars = [Bar(str(r["label"]), [(max(float(r["extra_pay"]), 0.0),
                                   f"seg-{r['segment']}", f"{r['label']}: {r['extra_text']}")],
                note=str(r["extra_text"])) for r in rows]
    scale = max((max(float(r["extra_pay"]), 0.0) for r in rows),
                default=0.0) or 1.0
    desc = ("Extra pay per employee per year for improving each measure by one step from "
            "target, coloured by what the measure pulls toward.")
    return bar_chart(chart_id, title, desc, bars, scale * 1.05)


def mix_strip(chart_id: str, row: Mapping[str, Any], title: str) -> Markup:
    """One plan's incentive mix as a single full-width strip with its percentages."""
    body, x, height = [], 0.0, 34
    for column, cls, name in MIX_SEGMENTS:
        value = float(row[column])
        if value <= 0:
            continue
        width = WIDTH * value
        body.append(f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="{height}" '
                    f'class="seg-{cls}"><title>{escape(name)} {value:.0%}</title></rect>')
        if width > 70:
            body.append(_text(x + 8, 22, f"{name} {value:.0%}" if width > 150
                              else f"{value:.0%}", "inbar"))
        x += width
    desc = ", ".join(f"{name} {float(row[c]):.0%}" for c, _, name in MIX_SEGMENTS
                     if float(row[c]) > 0)
    return _frame(chart_id, title, desc or "no variable pay components", height, body)
