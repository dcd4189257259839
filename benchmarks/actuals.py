"""Generate KPI actuals with planted gaming patterns (policycheck.analyze.synthetic).

    python -m benchmarks.actuals sample                 # sample_data/yaml/kpi_actuals.csv
    python -m benchmarks.actuals tables                 # it, to the CSV and xlsx forms
    python -m benchmarks.actuals big OUT.parquet [PEOPLE] # ~10 M rows for the benchmark

The sample company's actuals show two gaming plans (cc-agent-core-2027: bunching just past
its AHT threshold; rb-banker-solutions-2027: sales up while csat falls) and clean others.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from policycheck.analyze.synthetic import Plant, generate
from policycheck.export import workbook_tables, write_tables_workbook
from policycheck.outputfiles import atomic_write
from policycheck.validation import load_model

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "yaml"
SAMPLE_PLANTS = {
    "cc-agent-core-2027": Plant("bunching", 0.9, "aht"),
    "rb-banker-solutions-2027": Plant("divergence", 0.02),
}
SAMPLE_SEED = 2027
#: KPIs every plan reports in the big benchmark beside its own: about 8 per person.
BIG_EXTRA = ("csat", "fcr", "repeat_contact", "qa_score", "early_cancellation", "nps", "ces")


def sample_actuals() -> pd.DataFrame:
    """The sample company's actuals: its real employees, the 52 weeks of 2027."""
    model = load_model([SAMPLE])
    frame, _ = generate(model.frames, SAMPLE_PLANTS, periods=52, start="2027-01-04",
                        weekly=True, seed=SAMPLE_SEED)
    return _tidy(frame)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["value"] = frame["value"].round(2)
    frame["sample_size"] = frame["sample_size"].astype("Int64")
    return frame


def big_actuals(people: int = 100_000, seed: int = 1) -> pd.DataFrame:
    """``people`` employees spread over the sample plans, 12 periods, their plan's KPIs and
    ``BIG_EXTRA``: about 10 million rows for 100,000 people."""
    model = load_model([SAMPLE])
    per_plan = max(people // len(model.plans), 1)
    frame, _ = generate(model.frames, SAMPLE_PLANTS, people=per_plan, extra=BIG_EXTRA,
                        seed=seed)
    return frame


def write_sample_tables() -> list[Path]:
    """The sample's actuals beside its CSV and xlsx forms (``make sample-tables``): copied
    to ``csv/kpi_actuals.csv``, and the workbook written again with a ``kpi_actuals`` sheet
    after the plan tables (``export`` converts plans, not actuals)."""
    csv_copy = SAMPLE.parent / "csv" / "kpi_actuals.csv"
    atomic_write(csv_copy, (SAMPLE / "kpi_actuals.csv").read_bytes())
    actuals = pd.read_csv(SAMPLE / "kpi_actuals.csv", dtype={"sample_size": "Int64"},
                          keep_default_na=False, na_values=[""])
    # whole numbers as ints and empty cells as None, as a spreadsheet holds them
    actuals["sample_size"] = [None if pd.isna(v) else int(v) for v in actuals["sample_size"]]
    model = load_model([SAMPLE])
    book = SAMPLE.parent / "xlsx" / "company.xlsx"
    write_tables_workbook({**workbook_tables(model), "kpi_actuals": actuals}, book)
    return [csv_copy, book]


def main(argv: list[str]) -> int:
    if argv[:1] == ["tables"]:
        for path in write_sample_tables():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if argv[:1] == ["sample"]:
        target = Path(argv[1]) if len(argv) > 1 else SAMPLE / "kpi_actuals.csv"
        sample_actuals().to_csv(target, index=False)
        print(f"wrote {target}")
        return 0
    if argv[:1] == ["big"] and len(argv) > 1:
        people = int(argv[2]) if len(argv) > 2 else 100_000
        frame = big_actuals(people)
        for column in ("employee_id", "plan_id", "period", "kpi"):
            frame[column] = frame[column].astype("category")
        frame.to_parquet(argv[1], index=False)
        print(f"wrote {argv[1]}: {len(frame):,} rows")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
