"""Waivers: findings an organisation accepts for a time, each with a reason, an owner and an
expiry date.

A waivers file holds ``waivers:``, a list of ``{rule, plan, reason, owner, approved_by,
expires, entity}``: ``rule`` is a rule id or id prefix (``cs`` waives every ``cs.*`` rule),
``plan`` a plan id or a glob (``cc-*``), ``entity`` optionally one component, gate or other
entity of the plan. A waived finding is still reported, with status ``waived``; once the
waiver has expired (the day after ``expires``) its findings are ``reopened`` and fail the run
again. Expired waivers, waivers that match nothing and waivers that expire soon are reported
as warnings at their line in the file.

"Today" is ``POLICYCHECK_TODAY`` (YYYY-MM-DD) when set, so that tests and reruns of an old
build are reproducible, else the system date.
"""

from __future__ import annotations

import datetime
import fnmatch
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from policycheck.dateparsing import written_day
from policycheck.errors import (
    Location,
    PolicycheckError,
    Problem,
    UsageError,
    did_you_mean,
    display_path,
    not_a_file,
    quote,
)
from policycheck.limits import read_within_limit
from policycheck.numberhints import spreadsheet_error_hint, written_date_hint
from policycheck.yamlsource import LocatedList, LocatedMap, load_yaml

WAIVER_KEYS = {
    "rule": "a rule id or id prefix",
    "plan": "a plan id or a glob such as 'cc-*'",
    "entity": "the id of one component, gate or other entity of the plan",
    "reason": "why the finding is accepted",
    "owner": "who answers for the waiver",
    "approved_by": "who approved it",
    "expires": "the last day it holds, YYYY-MM-DD",
}
REQUIRED = ("rule", "plan", "reason", "owner", "expires")


@dataclass(frozen=True)
class Waiver:
    rule: str
    plan: str
    reason: str
    owner: str
    expires: datetime.date
    location: Location
    approved_by: str = ""
    entity: str = ""

    @property
    def label(self) -> str:
        entity = f" entity '{self.entity}'" if self.entity else ""
        return f"for '{self.rule}' on '{self.plan}'{entity}"

    @property
    def summary(self) -> str:
        """The short text shown beside a waived finding."""
        approved = f", approved by {self.approved_by}" if self.approved_by else ""
        return (f"{self.reason} (owner {self.owner}{approved}, expires "
                f"{self.expires.isoformat()}; {self.location})")


def today(environ: Mapping[str, str] | None = None) -> datetime.date:
    """The date waivers are judged against: ``POLICYCHECK_TODAY`` or the system date."""
    text = (os.environ if environ is None else environ).get("POLICYCHECK_TODAY", "").strip()
    if not text:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"POLICYCHECK_TODAY={text!r}: expected a date, YYYY-MM-DD") from None


def load_waivers(path: Path, shown: str | None = None) -> tuple[Waiver, ...]:
    """Every waiver of a file; PolicycheckError with every problem of the file."""
    shown = shown or display_path(path)
    wrong = not_a_file(path, "waivers file")
    if wrong:
        raise UsageError(f"{shown}: {wrong}")
    try:
        # read as a YAML plan file is: a waivers file may come with a pull request too
        text = read_within_limit(path, shown, "waivers file", ".yaml").decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{shown}: cannot read the waivers file: {exc}") from None
    data, problems = load_yaml(text, shown, as_written=True)
    waivers: list[Waiver] = []
    if not problems:
        items = _items(data, shown, problems)
        for index, item in enumerate(items):
            line, col = items.position(index)
            waiver = _waiver(item, Location(shown, "", line, col), problems)
            if waiver is not None:
                waivers.append(waiver)
    if problems:
        raise PolicycheckError(f"the waivers file {shown} is not valid",
                               sorted(problems, key=Problem.sort_key))
    return tuple(waivers)


def _items(data: Any, shown: str, problems: list[Problem]) -> LocatedList:
    expected = "expected a mapping with 'waivers:', a list of waivers"
    if data is None:
        return LocatedList()
    if not isinstance(data, LocatedMap):
        problems.append(Problem(Location(shown, "", 1, 1), expected, "waiver-shape"))
        return LocatedList()
    for key in data:
        if key != "waivers":
            line, col = data.position(key)
            problems.append(Problem(Location(shown, "", line, col), f"unknown key '{key}'"
                                    f"{did_you_mean(key, ['waivers'])}; {expected}",
                                    "waiver-key"))
    items = data.get("waivers")
    if items is None:
        return LocatedList()
    if not isinstance(items, LocatedList):
        line, col = data.position("waivers")
        problems.append(Problem(Location(shown, "", line, col), expected, "waiver-shape"))
        return LocatedList()
    return items


def _waiver(item: Any, where: Location, problems: list[Problem]) -> Waiver | None:
    if not isinstance(item, LocatedMap):
        problems.append(Problem(where, "a waiver must be a mapping of "
                                f"{', '.join(WAIVER_KEYS)}", "waiver-shape"))
        return None
    before = len(problems)

    def at(key: str) -> Location:
        line, col = item.position(key)
        return Location(where.file, "", line, col)

    for key in item:
        if key not in WAIVER_KEYS:
            problems.append(Problem(at(key), f"unknown key '{key}'"
                                    f"{did_you_mean(key, WAIVER_KEYS)}", "waiver-key"))
    for key in REQUIRED:
        if key not in item or item[key] is None or item[key] == "":
            problems.append(Problem(where, f"waiver is missing '{key}': expected "
                                    f"{WAIVER_KEYS[key]}", "waiver-missing"))
    values = {}
    for key in [k for k in WAIVER_KEYS if k != "expires"]:
        value = item.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                math.isfinite(value):
            value = str(value)  # `plan: 1001`, as a plan file's `id: 1001` (read as written)
        if value is not None and not isinstance(value, str):
            problems.append(Problem(at(key), f"'{key}' must be text, got {quote(value)}",
                                    "waiver-type"))
        values[key] = value.strip() if isinstance(value, str) else ""
    written = item.get("expires")
    expires = written_day(written)
    if expires is None and written not in (None, ""):
        hint = (written_date_hint(written.strip()) or spreadsheet_error_hint(written)
                if isinstance(written, str) else "")
        problems.append(Problem(at("expires"), f"'expires' is {quote(written)};"
                                f" expected a date, YYYY-MM-DD{hint}", "waiver-type"))
    if len(problems) > before or expires is None:
        return None
    return Waiver(expires=expires, location=where, **values)


#: The characters that make a plan pattern a glob (``fnmatch``); any other is a plan id.
_GLOB = re.compile(r"[*?\[]")


def _matches(patterns: Sequence[str], values: np.ndarray, glob: bool) -> pd.DataFrame:
    """(waiver, value) pairs, by waiver: each pattern matched against the distinct values
    at once. Plan ids written out (most waivers) are matched together by one merge: one
    regular expression per waiver over 100,000 plan ids took 7 s for 1,000 waivers."""
    # Python's own regular expressions: fnmatch writes a glob of two stars with an atomic
    # group, which Arrow's (RE2, for pandas' text columns) refuses
    series = pd.Series(np.array([str(v) for v in values], dtype=object), dtype=object)
    exact = [index for index, pattern in enumerate(patterns)
             if glob and _GLOB.search(pattern) is None]
    parts = [pd.DataFrame({"waiver": np.asarray(exact, dtype=np.int64),
                           "value": pd.Series([patterns[i] for i in exact], dtype=object)}).merge(
        pd.DataFrame({"value": series}), on="value")]
    for index in sorted(set(range(len(patterns))) - set(exact)):
        pattern = patterns[index]
        if glob:
            hit = series.str.match(fnmatch.translate(pattern))
        else:  # a rule id or id prefix, as --select reads it
            hit = (series == pattern) | series.str.startswith(pattern.rstrip(".") + ".")
        parts.append(pd.DataFrame({"waiver": index, "value": series[hit.to_numpy()]}))
    pairs = pd.concat(parts, ignore_index=True)
    return pairs.sort_values("waiver", kind="stable", ignore_index=True)


def waiver_frame(waivers: Sequence[Waiver], day: datetime.date) -> pd.DataFrame:
    return pd.DataFrame({
        "waiver": np.arange(len(waivers), dtype=np.int64),
        "entity": [w.entity for w in waivers],
        "expired": np.array([w.expires < day for w in waivers], dtype=bool),
        "text": [w.summary for w in waivers],
    })


def match_waivers(findings: pd.DataFrame, waivers: Sequence[Waiver],
                  day: datetime.date) -> pd.DataFrame:
    """Every (finding row, waiver) pair that matches, as frame operations: plan globs and
    rule prefixes are expanded over the distinct plan and rule ids, then merged."""
    plans = _matches([w.plan for w in waivers], findings["plan_id"].unique(), glob=True)
    rules = _matches([w.rule for w in waivers], findings["rule_id"].unique(), glob=False)
    rows = pd.DataFrame({"row": np.arange(len(findings)),
                         "plan_id": findings["plan_id"].astype(str).to_numpy(),
                         "rule_id": findings["rule_id"].astype(str).to_numpy(),
                         "entity_id": findings["entity_id"].fillna("").astype(str).to_numpy()})
    pairs = rows.merge(plans.rename(columns={"value": "plan_id"}), on="plan_id")
    pairs = pairs.merge(rules.rename(columns={"value": "rule_id"}), on=["waiver", "rule_id"])
    pairs = pairs.merge(waiver_frame(waivers, day), on="waiver")
    return pairs[(pairs["entity"] == "") | (pairs["entity"] == pairs["entity_id"])]


def apply_waivers(findings: pd.DataFrame, waivers: Sequence[Waiver], day: datetime.date, *,
                  warn_days: int = 0, max_days: int = 0, plan_ids: Sequence[str] = (),
                  rule_ids: Sequence[str] = ()) -> tuple[pd.DataFrame, list[Problem]]:
    """Findings with the status ``waived`` or ``reopened`` (and the ``waiver`` text) where a
    waiver matches, and the warnings about the waivers themselves."""
    findings = findings.copy()
    if "waiver" not in findings:
        findings["waiver"] = None
    pairs = match_waivers(findings, waivers, day)
    # A finding matched by several waivers takes an active one first, then the first written.
    chosen = pairs.sort_values(["expired", "waiver"], kind="stable").drop_duplicates("row")
    rows = chosen["row"].to_numpy()
    status = findings["status"].to_numpy(dtype=object).copy()
    status[rows] = np.where(chosen["expired"].to_numpy(), "reopened", "waived")
    text = findings["waiver"].to_numpy(dtype=object).copy()
    text[rows] = chosen["text"].to_numpy()
    findings["status"], findings["waiver"] = status, text
    counts = chosen[chosen["expired"]].groupby("waiver").size()
    reopened = dict(zip(counts.index.astype(int), counts.astype(int), strict=True))
    run_plans = _matches([w.plan for w in waivers], np.asarray(plan_ids, dtype=object), True)
    return findings, too_long(waivers, day, max_days) + waiver_problems(
        waivers, day, warn_days, set(pairs["waiver"]), reopened, set(run_plans["waiver"]),
        rule_ids)


def too_long(waivers: Sequence[Waiver], day: datetime.date, max_days: int) -> list[Problem]:
    """An error for each waiver that runs longer than ``max_days`` from ``day`` (none when
    0): an expiry of 9999-12-31 is a waiver that never expires, where an organisation asks
    every waiver to be approved again each year."""
    if max_days <= 0:
        return []
    latest = day + datetime.timedelta(days=min(max_days, (datetime.date.max - day).days))
    return [Problem(w.location, f"waiver {w.label} expires on {w.expires.isoformat()}, "
                    f"{(w.expires - day).days:,} days from today ({day.isoformat()}); a "
                    f"waiver runs at most {max_days:,} days (waiver_max_days): expected an "
                    f"expiry on or before {latest.isoformat()}", "waiver-too-long")
            for w in waivers if w.expires > latest]


def waiver_problems(waivers: Sequence[Waiver], day: datetime.date, warn_days: int,
                    matched: set[int], reopened: Mapping[int, int], plan_hit: set[int],
                    rule_ids: Sequence[str]) -> list[Problem]:
    """Expired waivers, waivers that matched nothing, waivers that expire within
    ``warn_days``: warnings at each waiver's line."""
    out = []
    for index, waiver in enumerate(waivers):
        expires = waiver.expires.isoformat()
        left = (waiver.expires - day).days
        if left < 0:
            count = int(reopened.get(index, 0))
            tail = (f": {count} finding{'s are' if count != 1 else ' is'} open again" if count
                    else "; remove it")
            message, code = f"waiver {waiver.label} expired on {expires}{tail}", "waiver-expired"
        elif index not in matched:
            what = "no finding" if index in plan_hit else "no plan"
            hint = "" if not rule_ids or any(
                r == waiver.rule or r.startswith(waiver.rule.rstrip(".") + ".")
                for r in rule_ids) else (f"; no rule matches '{waiver.rule}'"
                                         f"{did_you_mean(waiver.rule, rule_ids)}")
            message, code = f"waiver {waiver.label} matched {what} in this run{hint}", \
                "waiver-unused"
        elif left <= warn_days:
            when = "today" if left == 0 else f"in {left} day{'s' * (left != 1)}"
            message, code = f"waiver {waiver.label} expires on {expires}, {when}", \
                "waiver-expiring"
        else:
            continue
        out.append(Problem(waiver.location, message, code, severity="warning"))
    return out
