"""What the formats share: findings as flat records, their status, and spreadsheet-safe cells.

A flat record is the JSON finding (``json_format.finding_json``) with its location spread
over ``location_*`` columns and its evidence as compact JSON text: the CSV row and the
workbook row are the same record.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from policycheck.formats.json_format import finding_json
from policycheck.report import Report

#: The columns of the CSV file and of the workbook's findings sheet, in order.
FINDING_FIELDS = (
    "rule_id", "severity", "title", "plan_id", "scope", "entity_id", "component_id",
    "message", "evidence", "remediation", "location_file", "location_sheet", "location_line",
    "location_column", "headcount", "pay_at_stake", "fingerprint", "status",
)
#: Statuses of findings that are reported but do not count against the plans.
SUPPRESSED = ("waived", "baselined")
SEVERITY_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
                   "info": "note"}
#: Characters that XML 1.0 (so JUnit and the parts of a workbook) cannot carry, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV
# injection"); the full-width forms are read as formulas by some locales of Excel too.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def finding_dicts(report: Report) -> list[dict[str, Any]]:
    """The findings as rows of plain values (missing values as None), in report order."""
    findings = report.findings
    records = findings.astype(object).where(findings.notna(), None).to_dict("records")
    return cast(list[dict[str, Any]], records)


def flat_record(row: dict[str, Any]) -> dict[str, Any]:
    """One finding as one flat row of FINDING_FIELDS."""
    data = finding_json(row)
    location = data.pop("location")
    data.update({f"location_{k}": v for k, v in location.items()})
    data["evidence"] = json.dumps(data["evidence"] or {}, ensure_ascii=False,
                                  separators=(",", ":"))
    return {name: data[name] for name in FINDING_FIELDS}


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet cannot run: text that would start a formula gets a leading
    apostrophe; numbers (negative ones too) and everything else pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
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
