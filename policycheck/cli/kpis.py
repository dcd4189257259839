"""``policycheck kpis``: the built-in KPI library."""

from __future__ import annotations

import json
from typing import Any

import click

from policycheck.cli.options import FORMAT, Group
from policycheck.errors import (
    EXIT_OK,
    PolicycheckError,
    did_you_mean,
)


@click.group(cls=Group)
def kpis() -> None:
    """The built-in KPI library (and an organisation's catalog laid over it)."""


@kpis.command("list")
@click.option("--category", help="Only KPIs of this category.")
@FORMAT
def kpis_list(category: str | None, fmt: str) -> int:
    """List the built-in KPIs: id, category, pressure, direction, data source."""
    from policycheck.catalog import library_entries
    from policycheck.model import CATEGORIES, PRESSURE_OF_CATEGORY

    entries = library_entries()
    if category:
        if category not in CATEGORIES:
            raise PolicycheckError(f"unknown category '{category}', expected one of "
                                   f"{', '.join(CATEGORIES)}{did_you_mean(category, CATEGORIES)}")
        entries = [e for e in entries if e["category"] == category]
    if fmt == "json":
        click.echo(json.dumps([_kpi_json(e) for e in entries], indent=2))
        return EXIT_OK
    widths = (26, 18, 9, 7, 24)
    header = ("ID", "CATEGORY", "PRESSURE", "BETTER", "DATA SOURCE")
    click.echo("".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "NAME")
    for e in entries:
        row = (e["kpi_id"], e["category"], PRESSURE_OF_CATEGORY[e["category"]], e["direction"],
               e.get("data_source") or "system")
        cells = "".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True))
        click.echo(cells + str(e.get("name")))
    click.echo(f"{len(entries)} KPIs.")
    return EXIT_OK


def _kpi_json(entry: dict[str, Any]) -> dict[str, Any]:
    from policycheck.model import PRESSURE_OF_CATEGORY

    out = {"id": entry["kpi_id"]}
    out.update({k: v for k, v in entry.items() if k not in ("kpi_id", "src_fields")})
    out["pressure"] = PRESSURE_OF_CATEGORY[entry["category"]]
    return out


@kpis.command("explain")
@click.argument("kpi_id")
def kpis_explain(kpi_id: str) -> int:
    """Show everything the library says about one KPI."""
    from policycheck.catalog import library_entries

    entries = {e["kpi_id"]: e for e in library_entries()}
    if kpi_id not in entries:
        raise PolicycheckError(f"unknown KPI '{kpi_id}' (see 'policycheck kpis list')"
                               f"{did_you_mean(kpi_id, entries)}")
    entry = _kpi_json(entries[kpi_id])
    click.echo(f"{entry['id']}: {entry.get('name')}")
    for key in ("category", "pressure", "direction", "unit", "data_source",
                "affects_customer_entitlement", "employee_sets_price_or_terms",
                "counts_without_usage_check", "min_sample_per_period", "risk_if_paid_alone"):
        click.echo(f"  {key.replace('_', ' ')}: {_plain(entry.get(key))}")
    for key in ("description", "gaming"):
        if entry.get(key):
            click.echo(f"  {key}: {entry[key]}")
    if entry.get("sources"):
        click.echo(f"  sources: {', '.join(entry['sources'])}")
    return EXIT_OK


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
