"""Baselines: the findings a team has accepted as they are, so that only new ones fail.

``--write-baseline FILE`` records the fingerprint of every finding not covered by a waiver
(a waiver's expiry must keep its teeth: a baseline cannot hide a finding whose waiver ran
out). ``--baseline FILE`` marks the open findings whose fingerprint is recorded as
``baselined``; they are reported but do not fail the run. A finding that has become more
severe than recorded is not baselined: the plan got worse.

Fingerprints are rule id + plan id + scope + entity id (``engine.fingerprints``), never a
line, so they survive reordering files, moving a plan to another file and unrelated edits.
The file is deterministic: sorted, no timestamps, the same findings give the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from policycheck.engine import SEVERITY_RANK, fill_fingerprints
from policycheck.errors import Location, PolicycheckError, Problem, UsageError, display_path
from policycheck.export import atomic_write
from policycheck.formats.jsontext import dumps
from policycheck.limits import read_within_limit

BASELINE_VERSION = 1
ENTRY_KEYS = ("fingerprint", "rule_id", "plan_id", "entity_id", "severity")
#: Statuses a baseline records: findings not covered by a waiver.
RECORDED = ("open", "baselined")


def baseline_entries(findings: pd.DataFrame) -> list[dict[str, Any]]:
    fill_fingerprints(findings)
    kept = findings[findings["status"].isin(RECORDED)]
    table = pd.DataFrame({key: kept[key].astype(object).where(kept[key].notna(), None)
                          for key in ENTRY_KEYS})
    table = table.drop_duplicates("fingerprint")
    order = table.assign(_entity=table["entity_id"].fillna(""))
    table = table.loc[order.sort_values(["rule_id", "plan_id", "_entity",
                                         "fingerprint"]).index]
    return [dict(zip(ENTRY_KEYS, row, strict=True))
            for row in table.itertuples(index=False, name=None)]


def baseline_text(findings: pd.DataFrame) -> str:
    data = {"version": BASELINE_VERSION, "tool": "policycheck",
            "fingerprints": baseline_entries(findings)}
    return dumps(data) + "\n"


def write_baseline(findings: pd.DataFrame, target: Path) -> int:
    """Write the baseline atomically; return how many fingerprints it holds."""
    text = baseline_text(findings)
    atomic_write(target, text.encode("utf-8"))
    return text.count('"fingerprint":')


def read_baseline(path: Path, shown: str | None = None) -> pd.DataFrame:
    """The recorded fingerprints and severities; PolicycheckError for a file that is not a
    policycheck baseline."""
    shown = shown or display_path(path)
    if not path.is_file():
        raise UsageError(f"{shown}: no such baseline file (write one with --write-baseline)")
    try:
        # machine-written and as long as a report's findings: the limit of a table
        data = json.loads(read_within_limit(path, shown, "baseline", ".csv").decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"{shown}: the baseline is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        problem = Problem(Location(shown, "", exc.lineno, exc.colno),
                          f"invalid JSON: {exc.msg}", "baseline-json")
        raise PolicycheckError(f"the baseline {shown} is not valid", [problem]) from None
    entries = data.get("fingerprints") if isinstance(data, dict) else None
    if (not isinstance(data, dict) or data.get("version") != BASELINE_VERSION
            or not isinstance(entries, list) or not all(
                isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                and e.get("severity", "info") in SEVERITY_RANK for e in entries)):
        raise UsageError(f"{shown}: not a policycheck baseline: expected {{\"version\": "
                         f"{BASELINE_VERSION}, \"fingerprints\": [{{\"fingerprint\": ..., "
                         "\"severity\": ...}, ...]} (write one with --write-baseline)")
    return pd.DataFrame({"fingerprint": [e["fingerprint"] for e in entries],
                         "recorded": [e.get("severity", "info") for e in entries]},
                        columns=["fingerprint", "recorded"]).drop_duplicates("fingerprint")


def apply_baseline(findings: pd.DataFrame, recorded: pd.DataFrame) -> pd.DataFrame:
    """Open findings in the baseline, no more severe than recorded, become ``baselined``."""
    fill_fingerprints(findings)
    merged = findings[["fingerprint", "severity"]].merge(recorded, on="fingerprint",
                                                         how="left")
    rank = merged["severity"].map(SEVERITY_RANK)
    was = merged["recorded"].map(SEVERITY_RANK)
    known = (was.notna() & (rank >= was)).to_numpy()
    findings = findings.copy()
    findings.loc[known & (findings["status"] == "open").to_numpy(), "status"] = "baselined"
    return findings
