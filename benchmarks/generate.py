"""Synthetic organisations: seeded, deterministic, vectorised plan generation.

    python benchmarks/generate.py --plans 100000 --seed 7 --out /tmp/org
    python benchmarks/generate.py --plans 500 --seed 7 --out /tmp/org --formats csv,yaml,xlsx

Writes N compensation plans in the table format of SPEC 3.2, byte for byte as
``policycheck.export`` writes it (so loading a generated folder and exporting it again gives
the same files), and optionally as YAML plan files and one .xlsx workbook. With one format the
files go straight into ``--out``; with several, each format gets its own sub-folder
(``csv/``, ``yaml/``, ``xlsx/``) so that no folder holds the same plan twice.

The mix is meant to look like a large company: nine role kinds in realistic proportions, 2-8
components per plan (about 5.4 on average) drawing KPIs of the built-in library that fit the
role, weights in whole percents (mostly 5 % steps) summing to exactly 100 %, all five curve
kinds, curve points, per-product rates, gates, modifiers, clawbacks, deferrals, competitions,
consequences and campaigns. About 30 % of plans are built balanced (customer measures carry
the weight, capped curves, a customer gate on everything, clawback where selling); the rest
are built around one risky signature KPI of their role and draw red flags of
shared/domain/red-flags.md at role-dependent rates (uncapped accelerators, retroactive curves,
cliffs, 100 % variable pay, remedy-cost KPIs, short periods, contests, campaigns, partial or
overridable gates, volume-triggered consequences, undocumented discretion ...).

Same seed and N give byte-identical files; ``generate(n, seed)`` gives the frames. The
catalogue the plans are drawn from is benchmarks/orgroles.py, the seeded draws
benchmarks/orgdraws.py, the tables built from them benchmarks/orgtables.py; this module
keeps ``generate``, the writers (CSV, xlsx, YAML) and the command line.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

if not __package__:  # run as a script (`python benchmarks/generate.py`): find the package
    sys.path.append(str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
import yaml

from benchmarks.orgdraws import draw_components, draw_plans
from benchmarks.orgtables import build_tables
from policycheck.export import write_tables_workbook
from policycheck.model import CHILDREN, ENTITIES, NESTED_PLAN_FIELDS, PLAN, EntitySpec
from policycheck.outputfiles import atomic_write

TABLE_NAMES = ("plans", *(c.name for c in CHILDREN), "employees")
YAML_PLANS_PER_FILE = 100


def generate(n: int, seed: int, employees: bool = False) -> dict[str, pd.DataFrame]:
    """``n`` plans as the tables of SPEC 3.2: text cells (``None`` for an empty cell),
    columns in the order ``policycheck.export`` writes them. Deterministic in (n, seed)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    plans = draw_plans(rng, n)
    return build_tables(rng, plans, draw_components(rng, plans), employees)


# --------------------------------------------------------------------------------------------
# Writers.


def write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """One CSV per table, as ``policycheck.export.write_csv_folder`` writes it: empty
    optional tables are left out."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        if table.empty and name not in ("plans", "components"):
            continue
        target = folder / f"{name}.csv"
        atomic_write(target, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        written.append(target)
    return written


def write_xlsx(tables: dict[str, pd.DataFrame], target: Path) -> Path:
    """One sheet per non-empty table (a table past Excel's rows a sheet goes on in sheets
    "components (2)"..., as policycheck.export writes them), cells as in the CSV
    (whole-number fields as numbers); fixed document dates so the bytes are stable."""
    sheets = {}
    for name, table in tables.items():
        if table.empty and name not in ("plans", "components"):
            continue
        ints = {col: table[col].map(lambda v: None if v is None else int(v))
                for col in table.columns if _kind(name, col) == "int"}
        sheets[name] = table.assign(**ints).astype(object) if ints else table
    return write_tables_workbook(sheets, target)


def _kind(table: str, column: str) -> str:
    spec = ENTITIES[table]
    return spec.field(column).kind if column in spec.field_names else "str"


def yaml_plans(tables: dict[str, pd.DataFrame]) -> list[dict]:
    """The plans as YAML mappings in the authored form of SPEC 3.1 (nested clawback,
    deferral and discretion; lists as lists; points as pairs; rates as mappings). Odd plans
    write weights as fractions, even ones as percent strings, as authors do."""
    plans = tables["plans"]
    index = pd.Index(plans["id"])
    children: dict[str, list[list[dict]]] = {}
    for spec in CHILDREN:
        table = tables[spec.name]
        records = _typed_records(spec, table)
        grouped: list[list[dict]] = [[] for _ in range(len(plans))]
        for position, record in zip(index.get_indexer(table["plan_id"]), records, strict=True):
            del record["plan_id"]
            grouped[position].append(record)
        children[spec.yaml_key] = grouped
    out = []
    for position, record in enumerate(_typed_records(PLAN, plans)):
        plan: dict = {"id": record.pop("id")}
        for key, value in record.items():
            nested, _, sub = key.partition("_")
            if nested in NESTED_PLAN_FIELDS and sub in NESTED_PLAN_FIELDS[nested]:
                plan.setdefault(nested, {})[sub] = value
            else:
                plan[key] = value
        for spec in CHILDREN:
            items = children[spec.yaml_key][position]
            if items:
                if spec.name == "components" and position % 2:
                    for item in items:
                        item["weight"] = round(int(item["weight"][:-1]) / 100, 2)
                plan[spec.yaml_key] = items
        out.append(plan)
    return out


def _typed_records(spec: EntitySpec, table: pd.DataFrame) -> list[dict]:
    columns = {}
    for name in table.columns:
        kind = spec.field(name).kind if name in spec.field_names else "str"
        columns[name] = [None if v is None else _typed(kind, v) for v in table[name].tolist()]
    names = list(columns)
    return [{k: v for k, v in zip(names, values, strict=True) if v is not None}
            for values in zip(*columns.values(), strict=True)]


def _typed(kind: str, text: str) -> object:
    if kind in ("num", "share"):
        number = float(text)
        return int(number) if number.is_integer() else number
    if kind == "int":
        return int(text)
    if kind == "bool":
        return text == "true"
    if kind == "date":
        return datetime.date.fromisoformat(text)
    if kind == "list":
        return _Flow(text.split(";"))
    if kind == "applies":
        return text if text == "all" else _Flow(text.split(";"))
    if kind == "points":
        return _Flow([_typed("num", a), _typed("num", b)]
                     for a, b in (item.split(":") for item in text.split(";")))
    if kind == "rates":
        return {product: _typed("num", amount)
                for product, amount in (item.split("=") for item in text.split(";"))}
    return text


def write_yaml(tables: dict[str, pd.DataFrame], folder: Path, per_plan: bool = False) -> int:
    """YAML plan files (one per plan, or ``plans:`` lists of 100); employees as CSV beside
    them. Returns the number of files written."""
    folder.mkdir(parents=True, exist_ok=True)
    plans = yaml_plans(tables)
    dump = _yaml_dumper()
    count = 0
    if per_plan:
        for plan in plans:
            atomic_write(folder / f"{plan['id']}.yaml", dump({"plan": plan}))
            count += 1
    else:
        for start in range(0, len(plans), YAML_PLANS_PER_FILE):
            number = start // YAML_PLANS_PER_FILE + 1
            chunk = plans[start:start + YAML_PLANS_PER_FILE]
            atomic_write(folder / f"plans-{number:05d}.yaml", dump({"plans": chunk}))
            count += 1
    employees = tables.get("employees")
    if employees is not None and not employees.empty:
        count += len(write_csv({"employees": employees}, folder))
    return count


class _Flow(list):  # type: ignore[type-arg]
    """A short list written inline, as people write ``[80, 0]`` or ``[rework, mis_sale]``."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def _yaml_dumper():  # type: ignore[no-untyped-def]
    def dump(data: dict) -> bytes:
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=100)
        return text.encode("utf-8")

    return dump


def write(tables: dict[str, pd.DataFrame], out: Path, formats: list[str],
          yaml_per_plan: bool = False) -> dict[str, Path]:
    """Write the tables in each format; one format goes straight into ``out``, several
    into ``out/<format>/``."""
    where = {}
    for fmt in formats:
        folder = out if len(formats) == 1 else out / fmt
        if fmt == "csv":
            write_csv(tables, folder)
        elif fmt == "xlsx":
            write_xlsx(tables, folder / "plans.xlsx")
        elif fmt == "yaml":
            write_yaml(tables, folder, per_plan=yaml_per_plan)
        where[fmt] = folder
    return where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", type=int, required=True, help="number of plans")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--formats", default="csv",
                        help="comma-separated: csv, xlsx, yaml (default csv); with several, "
                        "each goes into its own sub-folder of --out")
    parser.add_argument("--yaml-per-plan", action="store_true",
                        help="one YAML file per plan instead of files of 100 plans")
    parser.add_argument("--employees", action="store_true",
                        help="also write an employees table (one row per head)")
    args = parser.parse_args(argv)
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - {"csv", "xlsx", "yaml"})
    if unknown or not formats:
        parser.error(f"unknown format(s) {', '.join(unknown)}; expected csv, xlsx, yaml")
    if args.plans < 1:
        parser.error("--plans must be at least 1")
    started = time.perf_counter()
    tables = generate(args.plans, args.seed, employees=args.employees)
    generated = time.perf_counter()
    where = write(tables, args.out, formats, args.yaml_per_plan)
    done = time.perf_counter()
    counts = ", ".join(f"{len(t):,} {name}" for name, t in tables.items())
    print(f"{counts}; generated in {generated - started:.2f} s, written in "
          f"{done - generated:.2f} s to {', '.join(str(p) for p in where.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
