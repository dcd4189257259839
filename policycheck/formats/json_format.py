"""JSON: the whole report, for machines. Keys and findings in a fixed order."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from policycheck import __version__
from policycheck.report import Report


def _number(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def finding_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule_id": row["rule_id"], "severity": row["severity"], "title": row["title"],
        "plan_id": row["plan_id"], "scope": row["scope"], "entity_id": row["entity_id"],
        "component_id": row["component_id"], "message": row["message"],
        "evidence": row["evidence"], "remediation": row["remediation"],
        "location": {"file": row["src_file"], "sheet": row["src_sheet"] or None,
                     "line": _number(row["src_line"]) or None,
                     "column": _number(row["src_col"]) or None},
        "headcount": _number(row["headcount"]), "pay_at_stake": _number(row["pay_at_stake"]),
        "fingerprint": row["fingerprint"], "status": row["status"],
        "waiver": row.get("waiver"),
    }


def problem_json(problem: Any) -> dict[str, Any]:
    loc = problem.location
    return {"file": loc.file, "sheet": loc.sheet or None, "line": loc.line or None,
            "column": loc.column or None, "severity": problem.severity, "code": problem.code,
            "plan_id": problem.plan_id, "field": problem.field or None,
            "message": problem.message}


def render(report: Report) -> str:
    findings = report.findings.astype(object).where(report.findings.notna(), None)
    data = {
        "version": __version__,
        "summary": {
            "plans_read": report.plans_read, "plans_checked": report.plans_checked,
            "plans_invalid": report.plans_invalid, "rules": len(report.rules),
            "findings": len(report.findings), "by_severity": report.counts(),
            "fail_on": report.fail_on, "failing": len(report.failing),
            "exit_code": report.exit_code,
        },
        "findings": [finding_json(r) for r in findings.to_dict("records")],
        "problems": [problem_json(p) for p in report.problems],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
