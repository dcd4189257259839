"""Fuzz target: the CSV table loader (decode, parse, header and column checks).

The input is split into a plans.csv and a components.csv at the first NUL-free form feed
(``\\f``) so that both tables are exercised. Any bytes must end in frames or reported
problems, never an exception.
Run: python fuzz/fuzz_csv_loader.py fuzz/corpus/csv_loader -max_total_time=600
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import _common  # noqa: F401
import atheris
import numpy  # noqa: F401  third-party modules are imported before the
import pandas  # noqa: F401  instrumented block, so only policycheck is instrumented
import pandera  # noqa: F401
import yaml  # noqa: F401

with atheris.instrument_imports(include=["policycheck"]):
    from policycheck.csvtables import read_csv
    from policycheck.model import ENTITIES
    from policycheck.tables import TableFrames

WORK = tempfile.mkdtemp(prefix="fuzz-csv-", dir="/dev/shm" if os.path.isdir("/dev/shm")
                        else None)


def test_one_input(data: bytes) -> None:
    plans, _, components = data.partition(b"\f")
    for name, content in (("plans.csv", plans), ("components.csv", components)):
        with open(os.path.join(WORK, name), "wb") as handle:
            handle.write(content)
    out = TableFrames()
    for name in ("plans", "components"):
        read_csv(Path(WORK, name + ".csv"), name + ".csv", ENTITIES[name], out)
    for problem in out.problems:
        if not problem.location.file:
            raise AssertionError(f"problem without a file: {problem}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
