"""``policycheck kpis``: the built-in KPI library, and an organisation's catalog laid over it
(the KPIs defined beside the plans under PATHS, as check reads them)."""

from __future__ import annotations

import json
from typing import Any

import click

from policycheck.cli.options import FORMAT, Group
from policycheck.errors import EXIT_OK, EXIT_USER_ERROR, PolicycheckError, did_you_mean

#: The optional PATHS of both commands.
PATHS = click.argument("paths", nargs=-1, type=click.Path())
#: What the library's entries say as their source when a catalog is laid over them.
LIBRARY = "built-in library"


@click.group(cls=Group)
def kpis() -> None:
    """The built-in KPI library (and an organisation's catalog laid over it)."""


def _entries(paths: tuple[str, ...]) -> tuple[list[dict[str, Any]], bool]:
    """The library's KPIs; with PATHS, laid over by the organisation's catalog found under
    them (its entries replace the library's of the same id), each with its source. The
    inputs' problems are said on stderr, as validate says them; True when one is an
    error."""
    from policycheck.catalog import LIBRARY_NAME, library_entries

    if not paths:
        return library_entries(), False
    from policycheck.validation import load_model

    model = load_model(list(paths))
    for problem in model.problems:
        click.echo(str(problem), err=True)
    frame = model.frames["kpis"]
    plain = frame.astype(object).where(frame.notna(), None)
    entries = []
    for record in plain.to_dict("records"):
        file, line = record["src_file"], record["src_line"]
        entry = {str(k): v for k, v in record.items()
                 if not str(k).startswith("src_") and k != "pressure"}
        # a list in the library, joined in the frame
        entry["sources"] = str(entry["sources"]).split(";") if entry["sources"] else []
        entry["source"] = LIBRARY if file == LIBRARY_NAME else f"{file}:{line}"
        entries.append(entry)
    # in the library's order, as without PATHS; the catalog's own KPIs after it
    order = {e["kpi_id"]: i for i, e in enumerate(library_entries())}
    entries.sort(key=lambda e: order.get(e["kpi_id"], len(order)))
    return entries, bool(model.errors)


@kpis.command("list")
@click.option("--category", help="Only KPIs of this category.")
@FORMAT
@PATHS
def kpis_list(category: str | None, fmt: str, paths: tuple[str, ...]) -> int:
    """List the built-in KPIs: id, category, pressure, direction, data source. With PATHS
    (plan files or folders), the organisation's catalog found there is laid over the
    library, and each KPI says where it is defined.

    Exit 0, or 2 when a category or an input could not be used."""
    from policycheck.model import CATEGORIES, PRESSURE_OF_CATEGORY

    entries, failed = _entries(paths)
    if category:
        if category not in CATEGORIES:
            raise PolicycheckError(f"unknown category '{category}', expected one of "
                                   f"{', '.join(CATEGORIES)}{did_you_mean(category, CATEGORIES)}")
        entries = [e for e in entries if e["category"] == category]
    if fmt == "json":
        click.echo(json.dumps([_kpi_json(e) for e in entries], indent=2))
        return EXIT_USER_ERROR if failed else EXIT_OK
    header = ("ID", "CATEGORY", "PRESSURE", "BETTER", "DATA SOURCE")
    rows = [(e["kpi_id"], e["category"], PRESSURE_OF_CATEGORY[e["category"]], e["direction"],
             e.get("data_source") or "system") for e in entries]
    # each column as wide as its longest cell and two spaces (a catalog's ids may be long)
    widths = [max(len(str(cell)) for cell in column) + 2
              for column in zip(header, *rows, strict=True)]
    click.echo("".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "NAME")
    for e, row in zip(entries, rows, strict=True):
        cells = "".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True))
        own = e.get("source", LIBRARY) != LIBRARY
        click.echo(cells + str(e.get("name")) + (f" ({e['source']})" if own else ""))
    ours = sum(e.get("source", LIBRARY) != LIBRARY for e in entries)
    click.echo(f"{len(entries)} KPIs" + (f", {ours} of them the organisation's" if paths else "")
               + ".")
    return EXIT_USER_ERROR if failed else EXIT_OK


def _kpi_json(entry: dict[str, Any]) -> dict[str, Any]:
    from policycheck.model import PRESSURE_OF_CATEGORY

    out = {"id": entry["kpi_id"]}
    out.update({k: v for k, v in entry.items() if k not in ("kpi_id", "src_fields")})
    out["pressure"] = PRESSURE_OF_CATEGORY[entry["category"]]
    return out


@kpis.command("explain")
@click.argument("kpi_id")
@PATHS
def kpis_explain(kpi_id: str, paths: tuple[str, ...]) -> int:
    """Show everything the library says about one KPI; with PATHS, the organisation's
    catalog found there too (as for 'kpis list').

    Exit 0, or 2 when the KPI is unknown or an input could not be used."""
    found, failed = _entries(paths)
    entries = {e["kpi_id"]: e for e in found}
    if kpi_id not in entries:
        where = " or the catalog under " + ", ".join(paths) if paths else ""
        raise PolicycheckError(f"unknown KPI '{kpi_id}' in the built-in library{where} (see "
                               f"'policycheck kpis list'){did_you_mean(kpi_id, entries)}")
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
    if "source" in entry:
        click.echo(f"  defined in: {entry['source']}")
    return EXIT_USER_ERROR if failed else EXIT_OK


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
