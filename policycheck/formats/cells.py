"""What the formats share: findings as flat records, their status, and spreadsheet-safe cells.

A flat record is the JSON finding (``json_format.finding_json``) with its location spread
over ``location_*`` columns and its evidence as compact JSON text: the CSV row and the
workbook row are the same record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd

from policycheck.codes import per_distinct_typed
from policycheck.evidencearray import compact, styled_texts
from policycheck.findings import fill_fingerprints
from policycheck.formats.arrowtext import arrow_text
from policycheck.formats.json_format import finding_json
from policycheck.formats.jsontext import batch_encoder, flat_mappings, number, plain
from policycheck.report import Report

#: The columns of the CSV file and of the workbook's findings sheet, in order.
FINDING_FIELDS = (
    "rule_id", "severity", "title", "plan_id", "scope", "entity_id", "component_id",
    "message", "evidence", "remediation", "location_file", "location_sheet", "location_line",
    "location_column", "headcount", "pay_at_stake", "fingerprint", "status", "waiver",
)
#: Statuses of findings that are reported but do not count against the plans.
SUPPRESSED = ("waived", "baselined")
SEVERITY_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
                   "info": "note"}
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV
# injection"); the full-width forms are read as formulas by some locales of Excel too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def finding_dicts(report: Report) -> list[dict[str, Any]]:
    """The findings as rows of plain values (missing values as None), in report order."""
    return records(fill_fingerprints(report.findings))


def records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """Findings as rows of plain values (missing values as None): for a few of them."""
    rows = findings.astype(object).where(findings.notna(), None).to_dict("records")
    return cast(list[dict[str, Any]], rows)


def flat_record(row: dict[str, Any]) -> dict[str, Any]:
    """One finding as one flat row of FINDING_FIELDS."""
    data = finding_json(row)
    location = data.pop("location")
    data.update({f"location_{k}": v for k, v in location.items()})
    data["evidence"] = json.dumps(data["evidence"] or {}, ensure_ascii=False,
                                  separators=(",", ":"))
    return {name: data[name] for name in FINDING_FIELDS}


def plain_column(findings: pd.DataFrame, name: str) -> list[Any]:
    """A column as ``finding_dicts`` holds it (Python values, missing ones None; an absent
    column all None), read once: a million findings are too many to make records of."""
    if name not in findings:
        return [None] * len(findings)
    column = findings[name]
    if isinstance(column.dtype, pd.StringDtype):
        # Text columns repeat a few values: each distinct one is made a Python str once.
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        distinct = np.array([*np.asarray(uniques, dtype=object).tolist(), None], dtype=object)
        return cast(list[Any], distinct[codes].tolist())
    return cast(list[Any], column.astype(object).where(column.notna(), None).tolist())


def flat_column(findings: pd.DataFrame, field: str,
                encode: Callable[[Any], Any] | None = None,
                memo: dict[int, Any] | None = None) -> list[Any]:
    """``flat_record(row)[field]`` of every finding, through ``encode`` if given: worked out
    once per distinct value of a text or number column (most repeat a few values). ``memo``
    keeps each rule's encoded evidence values for the next piece of the same report."""
    codes, distinct = flat_codes(findings, field, encode, memo)
    if codes is None:
        return distinct
    return cast(list[Any], np.array(distinct, dtype=object)[codes].tolist())


def flat_codes(findings: pd.DataFrame, field: str,
               encode: Callable[[Any], Any] | None = None,
               memo: dict[int, Any] | None = None) -> tuple[np.ndarray | None, list[Any]]:
    """``flat_column`` as its distinct values and a code per finding into them, for a text
    or number column; (None, every finding's value) for the others."""
    source = FLAT_SOURCES[field]
    flat = FLAT_VALUES.get(source)
    found = _coded(findings, source, {} if memo is None else memo)
    if found is not None:
        codes, distinct = found
        if flat is not None:
            distinct = list(map(flat, distinct))
        if encode is not None:
            distinct = list(map(encode, distinct))
        return np.where(codes < 0, len(distinct) - 1, codes), distinct
    values = (_evidence_texts(findings, {} if memo is None else memo) if source == "evidence"
              else plain_column(findings, source))
    if flat is not None:
        values = list(map(flat, values))
    return None, values if encode is None else per_distinct_typed(values, encode)


def _coded(findings: pd.DataFrame, source: str, memo: dict[int, Any]
           ) -> tuple[np.ndarray, list[Any]] | None:
    """A findings column as a code per finding (-1: missing) and its distinct values (a
    trailing None for the missing ones): text and number columns by factorizing, a column
    of Python texts and the evidence by column (its compact JSON texts) by Arrow; None for
    a column of other values."""
    column = findings.get(source)
    if column is None:
        return None
    if source != "evidence" and _factorizable(column.dtype):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        return codes, [plain(u) for u in np.asarray(uniques, dtype=object).tolist()] + [None]
    texts = (styled_texts(column, compact(), memo) if source == "evidence" else
             arrow_text(findings, source) if pd.api.types.is_object_dtype(column.dtype)
             else None)
    if texts is None:
        return None
    encoded = texts.dictionary_encode()
    return encoded.indices.fill_null(-1).to_numpy(), [*encoded.dictionary.to_pylist(), None]


def _factorizable(dtype: Any) -> bool:
    """Text or numbers: a column whose equal values are written alike (an object column
    may hold 1, 1.0 and True, equal keys that are written differently)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return isinstance(dtype.categories.dtype, pd.StringDtype)
    return isinstance(dtype, pd.StringDtype) or (
        not pd.api.types.is_object_dtype(dtype) and pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype))


#: How ``flat_record`` takes a value of these columns (the others as they are).
FLAT_VALUES: dict[str, Callable[[Any], Any]] = {
    "src_sheet": lambda v: v or None, "src_line": lambda v: number(v) or None,
    "src_col": lambda v: number(v) or None, "headcount": number, "pay_at_stake": number}
#: The findings column each flat field is read from.
FLAT_SOURCES = {name: name for name in FINDING_FIELDS} | {
    "location_file": "src_file", "location_sheet": "src_sheet", "location_line": "src_line",
    "location_column": "src_col"}

def _evidence_texts(findings: pd.DataFrame, memo: dict[int, Any]) -> list[str]:
    """The evidence as compact JSON text: by column when the findings hold it so, each
    rule's distinct values encoded once (``evidencearray``); else mapping by mapping."""
    texts = styled_texts(findings["evidence"], compact(), memo) if "evidence" in findings \
        else None
    if texts is None:
        return compact_json(plain_column(findings, "evidence"))
    return cast("list[str]", texts.to_pylist())


def compact_json(values: list[Any]) -> list[str]:
    """``json.dumps(value or {}, ensure_ascii=False, separators=(",", ":"))`` of each value.
    Flat mappings (most evidence) are encoded in one call of json's C encoder."""
    values = [v or {} for v in values]
    mask = flat_mappings(values)
    out = np.empty(len(values), dtype=object)
    chosen = np.fromiter(values, dtype=object, count=len(values))
    batch = batch_encoder(":", ",\n")
    if batch is not None and mask.any():
        text = "".join(batch(chosen[mask].tolist(), 0))
        # Inside a flat mapping a separator is followed by a key, between mappings by "{".
        out[mask] = text[1:-1].replace(',\n"', ',"').split(",\n")
        chosen[mask] = None
        mask = ~mask
    else:
        mask = np.ones(len(values), dtype=bool)
    out[mask] = [json.dumps(v, ensure_ascii=False, separators=(",", ":"))
                 for v in chosen[mask].tolist()]
    return cast(list[str], out.tolist())


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet cannot run: text that would start a formula gets a leading
    apostrophe; numbers (negative ones too) and everything else pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def status_reason(row: dict[str, Any]) -> str:
    """Why a finding is not open: the matching waiver (its reason, owner and expiry, in the
    ``waiver`` column) when there is one, else what its status says."""
    reason = row.get("waiver")
    if reason:
        return f"{row['status']}: {reason}"
    return {"baselined": "baselined: in the baseline"}.get(str(row["status"]),
                                                            str(row["status"]))


def where(row: dict[str, Any]) -> str:
    """``plan 'p'`` or ``plan 'p' component 'c'``, as the text format says it."""
    entity = f" {row['scope']} '{row['entity_id']}'" if row.get("entity_id") else ""
    return f"plan '{row['plan_id']}'{entity}"
