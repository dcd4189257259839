"""Checks that span rows or tables: ids, references, weight sums, ranges between fields.

Each check finds its failing rows with whole-frame operations; only the failing rows are
turned into problems one by one.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable, Iterable, Mapping
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from policycheck.cellproblems import Rows, masked_problems
from policycheck.codes import rows_by_code
from policycheck.errors import (
    Location,
    Problem,
    Suggestions,
    did_you_mean,
    number_text,
    spoken_list,
)
from policycheck.model import (
    BASIS_POINTS,
    CHILDREN,
    WEIGHT_TOLERANCE_BP,
    EntitySpec,
    are_stand_ins,
    stand_in_place,
)
from policycheck.numberhints import spreadsheet_error_hint
from policycheck.plankeys import PlanKeys
from policycheck.rangechecks import within_rows, without_plans
from policycheck.tables import table_folder


def duplicates(frame: pd.DataFrame, keys: list[str], label: str, key: str) -> list[Problem]:
    """Every repeat of a key after its first appearance, pointing at the first."""
    present = frame[keys].notna().all(axis=1)
    repeated = frame.duplicated(keys, keep="first") & present
    if not repeated.any():
        return []
    first = frame[present].drop_duplicates(keys, keep="first").set_index(keys)
    rows = Rows(frame, np.flatnonzero(repeated.to_numpy()))
    idents: list[Any] = list(zip(*(rows.values(k) for k in keys), strict=True)) \
        if len(keys) > 1 else rows.values(keys[0])
    at = first.loc[idents, ["src_file", "src_sheet", "src_line"]]
    wheres = [f"{file}{'[' + sheet + ']' if sheet else ''}:{line}" for file, sheet, line in
              zip(at["src_file"].tolist(), at["src_sheet"].tolist(), at["src_line"].tolist(),
                  strict=True)]
    plans, ids = rows.texts("plan_id"), rows.texts(key)
    return [Problem(rows.location(i, key),
                    f"duplicate {label} id '{ids[i]}'"
                    + (f" in plan '{plans[i]}'" if plans[i] is not None and label != "plan"
                       else "")
                    + f" (first defined at {where}); expected each id once",
                    "duplicate-id", plans[i], field=key)
            for i, where in enumerate(wheres)]


#: (folder, entity) to a CSV table that could not be read (``TableFrames.unread``).
Unread = Mapping[tuple[str, str], str]


def cross_table(frames: dict[str, pd.DataFrame], keys: PlanKeys,
                unread: Unread | None = None) -> list[Problem]:
    """``keys``: each row's plan, looked up once (``PlanKeys.of(frames)``); ``unread``: the
    CSV tables that could not be read, whose rows the others' would refer to."""
    unread = unread or {}
    problems: list[Problem] = []
    plans = frames["plans"]
    problems += duplicates(plans, ["plan_id"], "plan", "plan_id")
    # one for the run: an unknown id is looked up once, and the comparisons are bounded
    plan_hints = Suggestions(plans["plan_id"].dropna())
    stand_ins = are_stand_ins(plans["plan_id"])
    unnamed = _unnamed_plans(plans, stand_ins)
    kpi_ids = frames["kpis"]["kpi_id"]
    kpi_hints = Suggestions(kpi_ids.dropna())
    # Two plans with one id have children that look like repeats: the plan id says it all.
    twice = plans["plan_id"][plans["plan_id"].duplicated()]
    for spec in CHILDREN:
        frame = frames[spec.name]
        problems += duplicates(without_plans(frame, twice), ["plan_id", spec.key],
                               spec.label, spec.key)
        problems += _orphans(frame, keys.rows[spec.name], plan_hints, spec, unread,
                             plans.empty, unnamed)
        problems += _unknown_kpis(frame, kpi_ids, kpi_hints, spec)
    problems += _weights(plans, frames["components"], keys, unread, stand_ins)
    problems += _applies_to(frames, unread)
    problems += within_rows(frames, twice)
    employees = frames["employees"]
    problems += duplicates(employees, ["employee_id"], "employee", "employee_id")
    problems += _orphans(employees, keys.rows["employees"], plan_hints, None, unread,
                         plans.empty, unnamed)
    problems += _headcounts(plans, keys)
    return problems


def _headcounts(plans: pd.DataFrame, keys: PlanKeys) -> list[Problem]:
    """A warning for a plan whose ``headcount`` differs from the employees the employees
    table lists on it: the table's count is the one used (``Frames.headcount``), and an
    edit of the plan's headcount otherwise moved no figure without a word."""
    if "employees" not in keys.rows or not len(keys.rows["employees"]):
        return []
    listed = keys.at_plans(keys.count("employees"), 0.0)
    declared = plans["headcount"].to_numpy(dtype=np.float64, na_value=np.nan)
    # one id for two plans: whose employees they are is not known (the id is an error)
    known = keys.plans >= 0
    shared = np.zeros(len(plans), dtype=bool)
    shared[known] = np.bincount(keys.plans[known], minlength=len(keys.distinct))[
        keys.plans[known]] > 1
    # a negative headcount is out of range, said as such
    differs = (listed > 0) & (declared >= 0) & (declared != listed) & ~shared
    rows = Rows(plans, np.flatnonzero(differs))
    return rows.problems("headcount", "headcount-differs", "plan", None, (
        f"headcount {number_text(said)}, but the employees table lists {int(count):,} "
        f"employee{'s' * (count != 1)} on this plan; the table's count is used; expected the "
        "two to agree, or no headcount where the table lists the plan"
        for said, count in zip(rows.values("headcount"), listed[rows.at].tolist(),
                               strict=True)), severity="warning") if len(rows) else []


#: Plans without an id named in an unknown plan id's message, at most, per file.
UNNAMED_SHOWN = 3


def _unnamed_plans(plans: pd.DataFrame, stand_in: np.ndarray) -> dict[str, str]:
    """Per table file (a CSV file or a workbook), where its plans without an id are, as an
    unknown plan id's message says it: "; the plan at plans.csv:3 has no id". A row naming
    that plan's old id is then no typo of another plan's, as "did you mean" would suggest.
    ``stand_in``: which plans have no id (``model.are_stand_ins``)."""
    if not stand_in.any():
        return {}
    places: dict[str, list[str]] = {}
    for file, name in zip(plans["src_file"].to_numpy(dtype=object)[stand_in].tolist(),
                          plans["plan_id"].to_numpy(dtype=object)[stand_in].tolist(),
                          strict=True):
        places.setdefault(str(file), []).append(stand_in_place(name))
    said = {}
    for file, at in places.items():
        shown = at[:UNNAMED_SHOWN] + ([f"{len(at) - UNNAMED_SHOWN:,} more"]
                                      if len(at) > UNNAMED_SHOWN else [])
        said[file] = (f"; the plan at {at[0]} has no id" if len(at) == 1 else
                      f"; the plans at {spoken_list(shown)} have no id")
    return said


def _orphans(frame: pd.DataFrame, codes: np.ndarray, suggest: Suggestions,
             spec: EntitySpec | None, unread: Unread, no_plan: bool = False,
             unnamed: Mapping[str, str] | None = None) -> list[Problem]:
    """Table rows naming a plan that no input defines (``codes``: their plans' codes). Those
    of a folder whose plans table could not be read are said once per table: a plans table
    saved in another encoding made an error of every row of every other table. So are
    those of a run given no plan at all (``no_plan``), as a warning: a pre-commit hook given
    a changed employees.csv alone, whose plans are YAML files beside it, made an error of
    every row (385 for the sample company) and blocked the commit. ``unnamed``: per file,
    the plans of its table that have no id (``_unnamed_plans``), which a row of a table
    beside it may have named."""
    mask = frame["plan_id"].notna().to_numpy(dtype=bool) & (codes < 0)
    problems = []
    if (unread or no_plan) and mask.any():
        files, sheets = (frame[c].to_numpy(dtype=object) for c in ("src_file", "src_sheet"))
        cut = np.zeros(len(frame), dtype=bool)
        for file, sheet in dict.fromkeys(zip(files[mask].tolist(), sheets[mask].tolist(),
                                             strict=True)):
            plans_table = _unread_table(unread, file, sheet, "plans")
            if plans_table is None and not no_plan:
                continue
            rows = mask & (files == file) & (sheets == sheet)
            count = int(rows.sum())
            named, they = (("1 row names a plan", "it is") if count == 1
                           else (f"{count:,} rows name plans", "they are"))
            where = Location(str(file), str(sheet or ""))
            if plans_table is None:
                folder = posixpath.dirname(str(file)) or "."
                problems.append(Problem(
                    where, f"{named}, and no plan was given with this table: {they} checked "
                    f"with the plans (name the folder, {folder}, to check them together)",
                    "unknown-plan", severity="warning"))
            else:  # a warning too where the run has no plan: it checked nothing wrong
                problems.append(Problem(where, f"{named} no input defines: {plans_table}; "
                                        f"{they} checked once it can be", "unknown-plan",
                                        severity="warning" if no_plan else "error"))
            cut |= rows
        mask &= ~cut
    label = spec.label if spec else "employee"
    key = spec.key if spec else "employee_id"
    beside = _beside_unnamed(unnamed or {})
    return problems + masked_problems(
        frame, mask, "plan_id", "unknown-plan", label, key,
        lambda rows: (f"plan_id: got '{plan}', expected the id of a plan defined in the "
                      f"inputs{beside(file)}{spreadsheet_error_hint(plan) or suggest(plan)}"
                      for plan, file in zip(rows.values("plan_id"), rows.values("src_file"),
                                            strict=True)))


def _beside_unnamed(unnamed: Mapping[str, str]) -> Callable[[object], str]:
    """What a row of ``file`` is told of the plans without an id in its folder's plans
    table or its workbook's plans sheet."""
    @functools.cache  # once per file: a table of unknown ids names its own file on every row
    def said(file: object) -> str:
        if not unnamed:
            return ""
        text = str(file)
        if text in unnamed:  # a sheet of the same workbook
            return unnamed[text]
        folder = posixpath.dirname(text)
        return "".join(told for plans_file, told in unnamed.items()
                       if posixpath.dirname(plans_file) == folder
                       and not plans_file.lower().endswith(".xlsx"))
    return said


def _unknown_kpis(frame: pd.DataFrame, kpi_ids: pd.Series, suggest: Suggestions,
                  spec: EntitySpec) -> list[Problem]:
    mask = frame["kpi"].notna() & ~frame["kpi"].isin(kpi_ids)
    return masked_problems(
        frame, mask, "kpi", "unknown-kpi", spec.label, spec.key,
        lambda rows: (f"kpi: unknown KPI '{kpi}', expected a KPI of the built-in "
                      "library or the organisation's catalog"
                      f"{spreadsheet_error_hint(kpi) or suggest(kpi)}"
                      for kpi in rows.values("kpi")))


def _unread_table(unread: Unread, file: object, sheet: object, entity: str) -> str | None:
    """Why the table of ``entity`` beside a table's row (in its CSV folder or its workbook)
    was not read (``TableFrames.unread``); None if it was."""
    folder = table_folder(str(file), str(sheet or "")) if unread else None
    return None if folder is None else unread.get((folder, entity))


def _weights(plans: pd.DataFrame, components: pd.DataFrame, keys: PlanKeys,
             unread: Unread, stand_ins: np.ndarray) -> list[Problem]:
    """Weights are integer basis points, so the sums are exact whatever the order.
    ``stand_ins``: the plans without an id, which no component can name."""
    weight = components["weight"].to_numpy(dtype=np.float64, na_value=np.nan)
    read = ~np.isnan(weight)
    size = keys.count("components")
    # A plan with an unreadable weight, or whose id is defined twice, has had that reported;
    # a sum over what is left would only repeat it.
    complete = (size > 0) & (keys.count("components", read) == size)
    sums = keys.total("components", np.where(read, weight, 0.0))
    total = keys.at_plans(np.where(complete, sums, np.nan), np.nan)
    unique = ~plans["plan_id"].duplicated(keep=False).to_numpy(dtype=bool)
    off = ~np.isnan(total) & unique & (np.abs(total - BASIS_POINTS) > WEIGHT_TOLERANCE_BP)
    problems = masked_problems(
        plans, off, "components", "weights-sum", "plan", "plan_id",
        lambda rows: (f"component weights sum to {number_text(float(t) / 100)} %;"
                      " expected 100 % (± 0.1 %)" for t in total[rows.at]))
    # a table row without a plan id has none of its components: its own error says why
    no_components = ((keys.at_plans(size, 0) == 0)
                     & (plans["target_variable"] > 0).to_numpy(dtype=bool)
                     & ~stand_ins)

    def none(rows: Rows) -> Iterable[str]:
        """Why each plan has no components: its folder's components table unread, or none
        written."""
        for pay, file, sheet in zip(rows.values("target_variable"), rows.values("src_file"),
                                    rows.values("src_sheet"), strict=True):
            table = _unread_table(unread, file, sheet, "components")
            yield (f"has no components: {table}; the plan is checked once it can be" if table
                   else
                   f"has no components but target_variable is {number_text(pay)}; expected "
                   "components whose weights sum to 100 %, or target_variable 0 for a "
                   "salary-only plan")

    return problems + masked_problems(
        plans, no_components, "target_variable", "no-components", "plan",
        "plan_id", none)


def _applies_to(frames: dict[str, pd.DataFrame], unread: Unread) -> list[Problem]:
    """Gates and modifiers may only name components of their own plan; those beside a
    components table that was not read are not told that their plan has none (its plans
    are told once why)."""
    components = frames["components"]
    known = _KnownPairs(components)
    problems = []
    for name, label, key in (("gates", "gate", "gate_id"), ("modifiers", "modifier",
                                                             "modifier_id")):
        frame = frames[name]
        targets = frame["applies_to"].where(frame["applies_to"] != "all").dropna()
        exploded = targets.str.split(";").explode()
        owners = frame["plan_id"].reindex(exploded.index)
        found = known.named(owners.to_numpy(dtype=object), exploded.to_numpy(dtype=object))
        bad = exploded[~found]
        missing = _lists_by_label(bad)
        mask = frame.index.isin(missing.index) & ~_beside_unread(frame, unread, "components")
        own = _components_of(components, set(frame["plan_id"][mask]))

        def text(rows: Rows, f: pd.DataFrame = frame, m: pd.Series = missing,
                 o: dict[object, list[str]] = own) -> Iterable[str]:
            return (_applies_text(unknown, o.get(plan, [])) for unknown, plan in zip(
                m.loc[f.index[rows.at]].tolist(), rows.values("plan_id"), strict=True))

        problems += masked_problems(
            frame, mask, "applies_to", "unknown-component", label, key, text)
    return problems


def _beside_unread(frame: pd.DataFrame, unread: Unread, entity: str) -> np.ndarray:
    """Which rows of ``frame`` sit beside a table of ``entity`` that was not read (in their
    CSV folder or workbook)."""
    if not unread or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    places = list(zip(frame["src_file"].to_numpy(dtype=object).tolist(),
                      frame["src_sheet"].to_numpy(dtype=object).tolist(), strict=True))
    beside = {place: _unread_table(unread, *place, entity) is not None
              for place in dict.fromkeys(places)}
    return np.fromiter((beside[place] for place in places), dtype=bool, count=len(places))


def _lists_by_label(values: pd.Series) -> pd.Series:
    """The values of each label, as a list in their order (``groupby(level=0).agg(list)``
    makes a Series per label: about 0.4 s for the 12,690 gates and modifiers naming
    unknown components in a messy export of 100,000 plans)."""
    codes, labels = pd.factorize(values.index)
    order, bounds = rows_by_code(codes, len(labels))
    items = values.to_numpy(dtype=object)[order].tolist()
    return pd.Series([items[start:end] for start, end in pairwise(bounds.tolist())],
                     index=labels, dtype=object)


class _KnownPairs:
    """The (plan, component id) pairs of the components, as integer codes of the two ids
    (a set of 500,000 Python tuples costs more than the rest of the check), made once for
    the gates and the modifiers."""

    def __init__(self, components: pd.DataFrame) -> None:
        plan_codes, plans = pd.factorize(components["plan_id"].to_numpy(dtype=object))
        name_codes, names = pd.factorize(components["component_id"].to_numpy(dtype=object))
        self.plans, self.names = pd.Index(plans, dtype=object), pd.Index(names, dtype=object)
        self.keys = pd.Index(self._key(plan_codes, name_codes)).unique()

    def _key(self, plan_codes: np.ndarray, name_codes: np.ndarray) -> np.ndarray:
        # +1: a missing id (code -1) is a value of its own, as None is in a tuple; an id no
        # component has (code -2) makes a key no component has
        return (plan_codes.astype(np.int64) + 1) * (len(self.names) + 2) + name_codes + 1

    def named(self, plans: np.ndarray, names: np.ndarray) -> np.ndarray:
        """Whether each (plan, component id) pair names a component."""
        # a hash lookup: np.isin sorts or tables the keys, 40 times slower at this size
        return pd.Index(self._key(_codes(self.plans, plans), _codes(self.names, names))
                        ).isin(self.keys)


def _codes(distinct: pd.Index, values: np.ndarray) -> np.ndarray:
    """Each value's position among ``distinct``; -1 for a missing value, -2 for another."""
    codes = distinct.get_indexer(pd.Index(values, dtype=object))
    codes[(codes < 0) & pd.notna(values)] = -2
    return codes


def _components_of(components: pd.DataFrame, plans: set[object]) -> dict[object, list[str]]:
    """The component ids of each of ``plans`` (the plans with a problem), sorted, each once."""
    if not plans:
        return {}
    rows = components[components["plan_id"].isin(list(plans))]
    ids: dict[object, set[str]] = {}
    for plan, component in zip(rows["plan_id"], rows["component_id"], strict=True):
        ids.setdefault(plan, set()).add(component)
    return {plan: sorted(names) for plan, names in ids.items()}


def _applies_text(unknown: list[str], components: list[str]) -> str:
    names = ", ".join(f"'{c}'" for c in unknown)
    return (f"applies_to: no component{'s' * (len(unknown) > 1)} {names} in this plan; "
            f"expected 'all' or ids of its components ({', '.join(components) or 'it has none'})"
            f"{did_you_mean(unknown[0], components)}")
