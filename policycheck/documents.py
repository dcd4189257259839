"""Turning parsed YAML documents (plans and KPI catalogs) into raw records per entity.

A raw record is a dict of field name to the value as written, plus ``src_*`` columns and
``src_fields`` (the line and column of each field) so that a problem found later can point
at the exact spot. Types are not checked here: that is ``parsing``'s job, shared with the
table readers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from policycheck.errors import TRUTH_VALUE_HINT, Location, Problem, did_you_mean, quote, value_kind
from policycheck.model import (
    CHILDREN,
    KPI,
    NESTED_PLAN_FIELDS,
    NO_ID,
    PLAN,
    EntitySpec,
    stand_in_id,
)
from policycheck.yamlsource import LocatedList, LocatedMap, SeparatedNumber, separated_number

TOP_LEVEL_KEYS = ("plan", "plans", "kpis")
Record = dict[str, Any]


@dataclass
class Records:
    """Raw records of one or more documents, by entity name."""

    rows: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, entity: str, record: Record) -> None:
        self.rows.setdefault(entity, []).append(record)

    def extend(self, other: Records) -> None:
        for name, rows in other.rows.items():
            self.rows.setdefault(name, []).extend(rows)
        self.problems.extend(other.problems)


def is_extension_key(key: object) -> bool:
    """Keys starting with ``x_`` or ``x-`` are the user's own and are ignored."""
    return isinstance(key, str) and (key.startswith("x_") or key.startswith("x-"))


def recognise(data: object) -> bool:
    """Is this YAML document a plan file or a KPI catalog?"""
    return isinstance(data, dict) and any(key in data for key in TOP_LEVEL_KEYS)


def near_miss(data: object) -> str | None:
    """A top-level key that looks like a typo of ours, e.g. ``plna``, or None."""
    if not isinstance(data, dict):
        return None
    for key in data:
        hint = did_you_mean(key, TOP_LEVEL_KEYS)
        if hint:
            return f"unknown top-level key '{key}'{hint}"
    return None


#: The keys of a plan mapping (its fields, nested fields and children), and those only a plan
#: holds: a mapping with one of these and another plan key is a plan, however written.
PLAN_KEYS = frozenset(("id", *PLAN.field_names, *NESTED_PLAN_FIELDS,
                       *(spec.yaml_key for spec in CHILDREN)))
PLAN_MARKS = frozenset({"role_kind", "base_pay", "target_variable", "max_variable",
                        "components"})


def _plan_like(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    keys = PLAN_KEYS.intersection(data)
    return len(keys) >= 2 and not PLAN_MARKS.isdisjoint(keys)


def misplaced_plans(data: object) -> tuple[str, tuple[int, int]] | None:
    """What is wrong with plans written in a shape of their own, and where: a top-level
    list of plans (``- plan:`` items, or plan mappings), or a plan's fields with no
    ``plan:`` above them. Such a file is no other tool's, and skipping it with a warning
    would lose its plans from a batch unseen; None for any other document."""
    expected = "expected a mapping with 'plans:' holding the list"
    if isinstance(data, LocatedList):
        for index, item in enumerate(data):
            if isinstance(item, dict) and isinstance(item.get("plan"), dict):
                return (f"a list of plans at the top level; {expected}, its items without "
                        "'plan:'", data.position(index))
            if _plan_like(item):
                return f"a list of plans at the top level; {expected}", data.position(index)
    if isinstance(data, LocatedMap) and _plan_like(data):
        fields = [str(key) for key in data if key in PLAN_KEYS]
        shown = ", ".join(fields[:3]) + (", ..." if len(fields) > 3 else "")
        return (f"plan fields at the top level ({shown}); expected them under 'plan:'",
                data.start)
    return None


def read_document(data: LocatedMap, path: str) -> Records:
    """Records of every plan and KPI in one recognised document."""
    out = Records()
    for key in data:
        if key not in TOP_LEVEL_KEYS and not is_extension_key(key):
            out.problems.append(_problem(path, data.position(key), None,
                                         f"unknown top-level key '{key}'; expected "
                                         "'plan', 'plans' or 'kpis', or a key of your own "
                                         "starting with 'x-'"
                                         f"{did_you_mean(key, TOP_LEVEL_KEYS)}",
                                         "unknown-field", field=str(key)))
    if "plan" in data:
        for plan in _mappings(data["plan"], data.position("plan"), "plan", path, out, single=True):
            _read_plan(plan, path, out)
    if "plans" in data:
        plans = data["plans"]
        if _empty(plans):
            # every plan under it deleted or commented out: a batch would pass without
            # them, unseen (an empty `plan:` is an error: it cannot be a plan at all)
            out.problems.append(_problem(path, data.position("plans"), None,
                                         "'plans' holds no plans; expected a list of plan "
                                         "mappings", "no-plans", severity="warning"))
        for plan in _mappings(plans, data.position("plans"), "plans", path, out):
            _read_plan(plan, path, out)
    if "kpis" in data:
        if _empty(data["kpis"]):  # a catalog whose KPIs were all deleted: none to look up
            out.problems.append(_problem(path, data.position("kpis"), None,
                                         "'kpis' holds no KPIs; expected a list of KPI "
                                         "mappings", "no-kpis", severity="warning"))
        for kpi in _mappings(data["kpis"], data.position("kpis"), "kpis", path, out):
            record = _record(kpi, KPI, path, out, context="KPI", plan_id=None)
            out.add(KPI.name, record)
    return out


def _empty(value: Any) -> bool:
    """True for a list key given nothing or an empty list."""
    return value is None or (isinstance(value, LocatedList) and not value)


def _mappings(value: Any, position: tuple[int, int], key: str, path: str, out: Records,
              single: bool = False) -> Iterator[LocatedMap]:
    """Yield the mappings under ``key``, reporting anything that is not one."""
    if single:
        if isinstance(value, LocatedMap):
            yield value
        else:
            out.problems.append(_problem(path, position, None,
                                         f"'{key}' must be a mapping of plan fields, got "
                                         f"{value_kind(value)}", "wrong-type"))
        return
    if not isinstance(value, LocatedList):
        if value is not None:
            out.problems.append(_problem(path, position, None,
                                         f"'{key}' must be a list, got {value_kind(value)}",
                                         "wrong-type"))
        return
    for index, item in enumerate(value):
        if isinstance(item, LocatedMap):
            yield item
        else:
            out.problems.append(_problem(path, value.position(index), None,
                                         f"item {index + 1} of '{key}' must be a mapping, "
                                         f"got {value_kind(item)}", "wrong-type"))


def plan_id_of(plan: LocatedMap, path: str) -> str:
    """The plan's id, or a stand-in naming where it is when the id is missing or unusable."""
    if _id_problem(plan.get("id")):
        return stand_in_id(f"{path}:{plan.start[0]}")
    return str(plan["id"]).strip()


def _id_problem(raw_id: object) -> str:
    """What is wrong with a plan's id, or an empty string."""
    if isinstance(raw_id, (dict, list, bool, bytes)):
        shown = "a mapping" if isinstance(raw_id, dict) else quote(raw_id)
        truth = TRUTH_VALUE_HINT if isinstance(raw_id, bool) else ""
        return f"plan id: got {shown}, expected text unique across all inputs{truth}"
    if raw_id is None or not str(raw_id).strip():
        return NO_ID
    return ""


def plans_of(data: LocatedMap) -> list[LocatedMap]:
    """The plan mappings of a document, in the order written."""
    found = [data["plan"]] if isinstance(data.get("plan"), LocatedMap) else []
    if isinstance(data.get("plans"), LocatedList):
        found += [p for p in data["plans"] if isinstance(p, LocatedMap)]
    return found


def attribute(problems: list[Problem], data: object, path: str) -> list[Problem]:
    """Give problems met while parsing (a duplicate key) the id of the plan they sit in, so
    that the plan is reported invalid rather than kept with one of the two values."""
    if not isinstance(data, LocatedMap) or not any(p.plan_id is None for p in problems):
        return problems
    spans = [(plan.start, plan.end, plan_id_of(plan, path)) for plan in plans_of(data)]
    out = []
    for problem in problems:
        at = (problem.location.line, problem.location.column)
        inside = [ident for start, end, ident in spans if start <= at < end]
        if problem.plan_id is None and inside:
            problem = replace(problem, plan_id=inside[0],
                              message=f"plan '{inside[0]}': {problem.message}")
        out.append(problem)
    return out


def _read_plan(plan: LocatedMap, path: str, out: Records) -> None:
    """The raw records of one plan mapping and of its children, added to ``out``."""
    plan_id = plan_id_of(plan, path)
    wrong_id = _id_problem(plan.get("id"))
    if wrong_id:
        out.problems.append(_problem(path, plan.position("id"), plan_id, wrong_id,
                                     "missing-field" if wrong_id == NO_ID else "wrong-type",
                                     field="id"))
    flat = _flatten(plan, path, plan_id, out)
    children = {spec.yaml_key: spec for spec in CHILDREN}
    child_positions = {}
    for key in [k for k in flat if k in children]:
        spec = children[key]
        value = flat.pop(key)
        child_positions[key] = flat.key_positions.pop(key)
        for child in _mappings(value, child_positions[key], key, path, out):
            record = _record(child, spec, path, out, context=f"plan '{plan_id}'",
                             plan_id=plan_id)
            out.add(spec.name, record)
    record = _record(flat, PLAN, path, out, context="plan", plan_id=plan_id,
                     extra_keys=tuple(NESTED_PLAN_FIELDS) + tuple(children))
    # Plan-level problems about its children (weights that do not add up) point here.
    record["src_fields"].update(child_positions)
    out.add(PLAN.name, record)


def _flatten(plan: LocatedMap, path: str, plan_id: str, out: Records) -> LocatedMap:
    """A copy of the plan's mapping in which each nested mapping of NESTED_PLAN_FIELDS
    becomes fields of its own (``clawback: {triggers: ...}`` gives ``clawback_triggers``);
    a nested value that is not a mapping, or an unknown key in one, is reported."""
    flat = LocatedMap(plan)
    flat.start = plan.start
    flat.key_positions = dict(plan.key_positions)
    for nested, subfields in NESTED_PLAN_FIELDS.items():
        if nested not in flat:
            continue
        value = flat.pop(nested)
        position = flat.key_positions.pop(nested)
        if value is None:
            continue
        if not isinstance(value, LocatedMap):
            out.problems.append(_problem(path, position, plan_id,
                                         f"plan '{plan_id}': '{nested}' must be a mapping "
                                         f"with {', '.join(subfields)}, got {value_kind(value)}",
                                         "wrong-type"))
            continue
        for subkey, subvalue in value.items():
            if is_extension_key(subkey):
                continue
            if subkey not in subfields:
                out.problems.append(_problem(
                    path, value.position(subkey), plan_id,
                    f"plan '{plan_id}': unknown field '{nested}.{subkey}'; expected one of "
                    f"{', '.join(subfields)}{did_you_mean(subkey, subfields)}",
                    "unknown-field", field=f"{nested}.{subkey}"))
                continue
            flat[f"{nested}_{subkey}"] = subvalue
            flat.key_positions[f"{nested}_{subkey}"] = value.position(subkey)
    return flat


def _record(mapping: LocatedMap, spec: EntitySpec, path: str, out: Records, context: str,
            plan_id: str | None, extra_keys: tuple[str, ...] = ()) -> Record:
    """One raw record: known fields copied, unknown keys reported with a suggestion."""
    allowed, known, numbers, within = _allowed(spec)
    record: Record = {"plan_id": plan_id} if plan_id is not None else {}
    positions: dict[str, tuple[int, int]] = {}
    label = _label(spec, mapping, context)
    key_positions, start = mapping.key_positions, mapping.start
    for key, value in mapping.items():
        if key in known:
            name = spec.aliases.get(key, key) if key == "id" else key
            kind = value.__class__
            if kind is SeparatedNumber:  # YAML's 32_000: a number field reads 32000
                value = separated_number(value) if key in numbers else str(value)
            elif kind is LocatedList or kind is LocatedMap:
                value = _separated_read(value, key in within)
            # YAML's `.nan` would read as a missing value downstream; keep it as written
            # so that it is reported, like a `NaN` cell of a table.
            record[name] = ".nan" if isinstance(value, float) and value != value else value
            positions[name] = key_positions.get(key, start)
        elif not is_extension_key(key):
            out.problems.append(_problem(
                path, mapping.position(key), plan_id,
                f"{label}: unknown field '{key}'{did_you_mean(key, allowed + extra_keys)}",
                "unknown-field", field=str(key)))
    if spec is PLAN and plan_id is not None:
        record["plan_id"] = plan_id
    record.update(src_file=path, src_sheet="", src_line=mapping.start[0],
                  src_col=mapping.start[1], src_fields=positions)
    return record


#: The kinds of field that hold a number (``model.FieldSpec``), and those that hold numbers
#: in a list or mapping (a curve's points, the rates of products).
NUMBER_KINDS = frozenset({"num", "int", "weight", "share"})
NUMBERS_WITHIN_KINDS = frozenset({"points", "rates"})
Names = frozenset[str]
#: The field names of each entity, as written (with 'id') and as a set, and those of its
#: number fields and of its fields of numbers within: asked for every key of every record.
_ALLOWED: dict[int, tuple[EntitySpec, tuple[str, ...], Names, Names, Names]] = {}


def _allowed(spec: EntitySpec) -> tuple[tuple[str, ...], Names, Names, Names]:
    hit = _ALLOWED.get(id(spec))
    if hit is None or hit[0] is not spec:
        names = ("id", *spec.field_names)
        numbers = frozenset(f.name for f in spec.fields if f.kind in NUMBER_KINDS)
        within = frozenset(f.name for f in spec.fields if f.kind in NUMBERS_WITHIN_KINDS)
        hit = _ALLOWED[id(spec)] = (spec, names, frozenset(names), numbers, within)
    return hit[1], hit[2], hit[3], hit[4]


def _separated_read(value: Any, numbers: bool) -> Any:
    """``value`` (a YAML list or mapping, or what it holds) with each ``SeparatedNumber`` in
    it made the number it writes (``numbers``: a field of numbers within, whose keys are
    still text: ``rates: {gold: 1_000}``) or its text; the same object where it holds none,
    a copy with the same positions where it does (an alias shares the one written)."""
    kind = value.__class__
    if kind is SeparatedNumber:
        return separated_number(value) if numbers else str(value)
    if kind is LocatedList:
        items = [_separated_read(item, numbers) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        copied = LocatedList(items)
        copied.start, copied.item_positions = value.start, value.item_positions
        return copied
    if kind is LocatedMap:
        pairs = [(_separated_read(k, False), _separated_read(v, numbers))
                 for k, v in value.items()]
        if all(new[0] is k and new[1] is v
               for new, (k, v) in zip(pairs, value.items(), strict=True)):
            return value
        mapping = LocatedMap(pairs)
        mapping.start, mapping.end = value.start, value.end
        mapping.key_positions = {_separated_read(k, False): at
                                 for k, at in value.key_positions.items()}
        return mapping
    return value


def _label(spec: EntitySpec, mapping: LocatedMap, context: str) -> str:
    if spec is PLAN:
        return f"plan '{mapping.get('id', '?')}'"
    name = mapping.get("id") or mapping.get("name") or mapping.get("kpi")
    own = f"{spec.label} '{name}'" if name is not None else spec.label
    return own if spec is KPI else f"{context}, {own}"


def _problem(path: str, position: tuple[int, int], plan_id: str | None, message: str,
             code: str, severity: str = "error", field: str = "") -> Problem:
    return Problem(Location(path, "", position[0], position[1]), message, code, plan_id,
                   severity=severity, field=field)
