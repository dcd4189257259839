"""pandera schemas of the normalised frames, built from the contract table in ``model``.

Typing (``parsing``) has already turned every unreadable cell into a problem; the schemas
check what typed values must satisfy: required fields present, numbers in range, enum
values allowed. They run lazily, so one run reports every failure.
"""

from __future__ import annotations

from collections.abc import Container
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from policycheck.cellproblems import Rows
from policycheck.errors import Location, Problem, quote
from policycheck.model import ENTITIES, EntitySpec
from policycheck.normalise import key_columns

#: How a pandera check name reads in a message.
CHECK_TEXT = {
    "not_nullable": "is required",
    "greater_than_or_equal_to": "expected a value of at least {}",
    "less_than_or_equal_to": "expected a value of at most {}",
    "isin": "expected one of the allowed values",
}


@cache
def schema_for(name: str) -> pa.DataFrameSchema:
    spec = ENTITIES[name]
    columns: dict[str, pa.Column] = {}
    for key in key_columns(spec) if spec.name != "employees" else ["employee_id", "plan_id"]:
        # any dtype: text as YAML gives it (objects), or coded as a table's column is read
        columns[key] = pa.Column(nullable=False, required=True)
    for field in spec.fields:
        if field.kind in ("points", "rates"):
            continue
        checks = []
        if field.minimum is not None:
            checks.append(pa.Check.ge(field.minimum))
        if field.maximum is not None and field.kind != "weight":
            checks.append(pa.Check.le(field.maximum))
        if field.choices and field.kind == "enum":
            checks.append(pa.Check.isin(list(field.choices)))
        columns[field.name] = pa.Column(nullable=not field.required, checks=checks,
                                        required=True)
    return pa.DataFrameSchema(columns, strict=False, name=spec.name)


def validate_frame(spec: EntitySpec, frame: pd.DataFrame,
                   known: Container[tuple[Location, str]] = ()) -> list[Problem]:
    """Problems pandera finds in one typed frame (an empty list when it is clean), but for
    those at a cell of ``known`` ((location, field) pairs): a cell that could not be read
    is missing to pandera, and was reported already."""
    if frame.empty:
        return []
    try:
        # in place: the schemas coerce nothing and fill no default, so the frame is only
        # read, and pandera's copy of it is a copy of every column for nothing
        schema_for(spec.name).validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as errors:
        return _problems(spec, frame, errors.failure_cases, known)
    return []


def _problems(spec: EntitySpec, frame: pd.DataFrame, cases: pd.DataFrame,
              known: Container[tuple[Location, str]]) -> list[Problem]:
    cases = cases[cases["index"].notna()]
    rows = Rows(frame, cases["index"].to_numpy(dtype=np.int64))
    fields = cases["column"].astype(str).tolist()
    wheres = [rows.location(i, field) for i, field in enumerate(fields)]
    # most cases of a messy input are cells that could not be read, reported already:
    # only the others are named and worded
    kept = [i for i, (where, field) in enumerate(zip(wheres, fields, strict=True))
            if (where, field) not in known]
    if not kept:
        return []
    named_rows = Rows(frame, rows.at[kept])
    key = spec.key if spec.key in frame else None
    problems = []
    for i, check, failure, named, plan in zip(
            kept, cases["check"].astype(str).take(kept).tolist(),
            cases["failure_case"].take(kept).tolist(), named_rows.names(spec.label, key),
            named_rows.texts("plan_id"), strict=True):
        field = fields[i]
        name, _, arg = check.partition("(")
        text = CHECK_TEXT.get(name, f"failed check {check}").format(arg.rstrip(")"))
        message = f"{named}: {field} {text}" if name == "not_nullable" else \
            f"{named}: {field}: got {quote(failure)}, {text}"
        problems.append(Problem(wheres[i], message,
                                "missing-field" if name == "not_nullable" else "out-of-range",
                                plan, field=field))
    return problems


def _register_backends() -> None:
    """Have pandera set up its pandas backends now, as this module is imported (beside the
    reading of large inputs), rather than in the first validation. The set-up imports its
    data-synthesis strategies, and Hypothesis with them where it is installed: 0.1-0.2 s."""
    pa.DataFrameSchema({}).validate(pd.DataFrame(), inplace=True)


_register_backends()
