"""Redaction: pay figures and employee identifiers taken out of a report.

On by default for the outputs that leave the company (``sarif``, ``github``, ``markdown``;
``formats.REDACT_BY_DEFAULT``), and for any format with ``--redact``. ``redact(report)``
returns a new report; the one it is given is not changed. Exactly this is replaced:

Findings
  - ``pay_at_stake``: emptied (null in JSON, an empty cell in CSV and Excel).
  - ``evidence``: the value of every key that names pay, i.e. contains ``pay``, ``salary``,
    ``prize``, ``amount``, ``bonus``, ``commission``, ``base``, ``target_variable`` or
    ``max_variable``, becomes ``"[redacted]"``, unless the key names a ratio (contains
    ``share``, ``ratio``, ``pct``, ``percent`` or ``_vs_``). A missing value stays missing.
    Keys containing ``employee`` are removed.
  - ``message``: in the rule's message template, every placeholder formatted as money
    (``{prize:money}``), and every plain or ``:n`` placeholder whose expression names pay as
    above and that rendered a number (``{base_pay:n}``), becomes ``[redacted]``; then every
    number written with thousands separators (``4,000``, ``1,250.50``), which only the money
    format writes.
Plan profiles
  - every numeric column whose name names pay as above (``base_pay``, ``target_variable``,
    ``max_variable``, ``pay_at_stake``): emptied.
Problems (invalid input)
  - an employee id quoted in a message or detail (``employee 'E1'``, ``employee id 'E1'``)
    becomes ``'[redacted]'``;
  - a problem about a cell of a pay field (``base_pay``, ``pay_floor``, ``target_variable``,
    ``max_variable``, ``prize``, ``amount``, ``rates``), or about a cell of another field
    whose message names one (``expected at least target_variable (4050)``), keeps what names
    the cell (``plan 'p', component 'c': ``, up to the field's name) and its words; after
    that, every quoted value becomes ``'[redacted]'`` and every number ``[redacted]``: the
    value, the hint saying how to write it (whose suggestions, all redacted, are dropped)
    and what was expected. Kept are only a few figures that policycheck's own texts write,
    never an input's (``expected a value of at least 0``, ``weights sum to 100 %``). Its
    detail is redacted whole the same way;
  - in other problems (other fields; files and headers, which name no field), numbers with
    thousands separators, as in messages.

Kept: headcount, every share and ratio (they say where pay points, not how much), plan,
component and KPI ids, rule texts, locations and fingerprints.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import string
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.errors import Problem
from policycheck.evidencearray import Block, EvidenceArray
from policycheck.findings import text_column
from policycheck.formats.arrowtext import text_buffer
from policycheck.report import Report
from policycheck.rulefile import Rule
from policycheck.wording import spec_parts

REDACTED = "[redacted]"
PAY_WORDS = ("pay", "salary", "prize", "amount", "bonus", "commission", "base",
             "target_variable", "max_variable")
RATIO_WORDS = ("share", "ratio", "pct", "percent", "_vs_")
PAY_FIELDS = ("base_pay", "pay_floor", "target_variable", "max_variable", "prize", "amount",
              "rates")

# A digit not preceded by a digit, comma or dot, then groups of three. The look-behind
# follows the first digit so that the regex engine can skip ahead to digits (3x faster
# than a look-behind at every position; the same matches).
_GROUPED_NUMBER = re.compile(r"\d(?<![\d,.]\d)\d{0,2}(?:,\d{3})+(?:\.\d+)?(?![\d,])")
#: What every grouped number holds, in a form Arrow's regex engine (RE2, no look-arounds)
#: finds in a whole column: the messages without it are left as they are.
_GROUPED_HINT = r"\d,\d\d\d"
_EMPLOYEE_ID = re.compile(r"(\bemployee(?: id)? )'(?:[^'\\]|\\.)*'")
_NUMBER_TEXT = r"-?(?:[\d,]*\.?\d+(?:e[+-]?\d+)?|inf|nan)"
_NUMBER = re.compile(_NUMBER_TEXT)
# What the engine's formats write (engine._format), so that adjacent placeholders split
# where they should; a missing value is written "n/a".
_SPEC_TEXT = {"%": _NUMBER_TEXT + "%", "%1": _NUMBER_TEXT + "%", "x": _NUMBER_TEXT + "×",
              "money": _NUMBER_TEXT, "n": _NUMBER_TEXT}
#: The pay fields a problem's message may name: ``amount`` is left out, being a word of
#: hints for any number (``write the amount without its currency``).
_PAY_FIELD_NAME = re.compile(r"(?<![\w'-])(?:" + "|".join(
    field for field in PAY_FIELDS if field != "amount") + r")(?![\w'-])")
#: A value quoted as ``errors.quote`` quotes text (``repr``), not an apostrophe in a word.
_QUOTED = re.compile(r"""(?<!\w)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
#: Any number, with its sign and separators (-32,000, 32.000, 32 000, 1e5), as one.
_ANY_NUMBER = re.compile(r"(?:(?<![\w.])[-+])?\d+(?:(?:[.,'\u00a0\u202f]|\s(?=\d{3}(?!\d)))\d+)*"
                         r"(?:[eE][+-]?\d+)?")
#: Figures of policycheck's own texts, never an input's: kept in a pay problem.
_OWN_FIGURES = re.compile(r"(expected a value of at least 0(?![\d.,])|weights sum to 100 %"
                          r"|target_variable 0 for a salary-only plan)")
#: A hint's suggestions once redacted (``: '[redacted]' or '[redacted]'``): they say nothing.
_HIDDEN_SUGGESTIONS = re.compile(r": '\[redacted\]'(?: or '\[redacted\]')*(?=;|$)")


def names_pay(name: str) -> bool:
    """True for an evidence key or expression that names an amount of pay."""
    return _names_pay(name)


@functools.lru_cache(maxsize=4096)  # evidence repeats a few keys in every finding
def _names_pay(name: str) -> bool:
    lowered = name.lower()
    return (any(w in lowered for w in PAY_WORDS)
            and not any(w in lowered for w in RATIO_WORDS))


def redact(report: Report, findings: pd.DataFrame | None = None) -> Report:
    """``report`` with pay hidden; its findings are ``findings`` (by default all of the
    report's), redacted: an output that holds only some redacts only those."""
    return dataclasses.replace(redact_around(report), findings=redact_findings(
        report.findings if findings is None else findings, report.rules))


def redact_around(report: Report) -> Report:
    """``report`` with pay hidden in its problems and its plans' profiles, its findings as
    they are: for an output that shows a few of them, and redacts those
    (``redact_findings``)."""
    profiles = report.profiles.copy()
    for column in profiles.columns:
        if names_pay(column) and pd.api.types.is_numeric_dtype(profiles[column]):
            profiles[column] = np.nan
    problems = tuple(_problem(p) for p in report.problems)
    return dataclasses.replace(report, profiles=profiles, problems=problems)


def redact_findings(findings: pd.DataFrame, rules: tuple[Rule, ...]) -> pd.DataFrame:
    """A copy of ``findings`` (of ``rules``) with pay hidden, as ``redact`` hides it in a
    report's findings; other columns are kept."""
    findings = findings.copy()
    if len(findings):
        findings["pay_at_stake"] = np.nan
        evidence = findings["evidence"]
        findings["evidence"] = (
            pd.Series(evidence.array.with_blocks(_evidence_block), index=evidence.index)
            if isinstance(evidence.array, EvidenceArray) else evidence.map(_evidence))
        findings["message"] = _messages(findings, rules)
    return findings


def _evidence(values: Any) -> Any:
    if not isinstance(values, dict):
        return values
    pay, dropped = _evidence_keys(tuple(values))
    out = dict(values)  # a copy: the given report's evidence is not changed
    for key in dropped:
        del out[key]
    for key in pay:
        if out[key] is not None:
            out[key] = REDACTED
    return out


def _evidence_block(block: Block) -> Block:
    """``_evidence`` of every row of a block, done on its distinct values."""
    if block.names is None:
        return Block.of_mappings([_evidence(m) for m in block.values[0]])
    pay, dropped = _evidence_keys(block.names)
    kept = [i for i, name in enumerate(block.names) if name not in dropped]
    values = [[None if v is None else REDACTED for v in block.values[i]]
              if block.names[i] in pay else block.values[i] for i in kept]
    return Block(tuple(block.names[i] for i in kept), tuple(block.codes[i] for i in kept),
                 tuple(values), tuple(block.lists[i] and block.names[i] not in pay
                                      for i in kept))


@functools.lru_cache(maxsize=4096)  # evidence repeats a few sets of keys
def _evidence_keys(keys: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys that name pay, and those that name an employee (dropped, pay or not). A key
    that is not text fails here as it would one by one."""
    dropped = tuple(key for key in keys if "employee" in key.lower())
    return tuple(key for key in keys if names_pay(key) and key not in dropped), dropped


def _messages(findings: pd.DataFrame, rules: tuple[Rule, ...]) -> pd.Series:
    """The messages with pay hidden: each rule's placeholders by its template, then grouped
    numbers. Held as Arrow text: only the messages that may change (those of a rule with a
    pay placeholder, those holding a digit, a comma and three digits, which every grouped
    number does) become Python strings, and go back in one pass by a mask."""
    texts = pa.array(findings["message"].array, type=pa.large_string())
    # Each rule's findings picked by integer code, not by comparing every rule id text.
    codes, ids = pd.factorize(findings["rule_id"])
    code_of = {rule_id: code for code, rule_id in enumerate(ids.tolist())}
    rows, changed = [np.zeros(0, dtype=np.int64)], []
    for rule in rules:
        template = _template(rule)
        if template is None or rule.id not in code_of:
            continue
        mine = np.flatnonzero(codes == code_of[rule.id])
        rows.append(mine)
        changed += [template(text) for text in texts.take(mine).to_pylist()]
    maybe_grouped = _grouped_hint(texts)
    maybe_grouped[np.concatenate(rows)] = False  # templated: their new text is looked at
    rows.append(np.flatnonzero(maybe_grouped))
    changed += texts.take(rows[-1]).to_pylist()
    changed = _hide_grouped_numbers_all(changed)
    positions = np.concatenate(rows)
    in_order = [changed[i] for i in np.argsort(positions)]
    return text_column(_replaced(texts, positions, in_order)).set_axis(findings.index)


def _grouped_hint(texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Whether each text holds _GROUPED_HINT (a digit, a comma and three digits), found in
    the texts' bytes at once: the commas first, a slice of the bytes at a time, then the
    digits around each (a regular expression matched text by text costs a pass per text)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    found = np.zeros(len(texts), dtype=bool)
    buffer, ends = text_buffer(texts)
    if buffer is None:
        return found
    data = np.frombuffer(buffer, dtype=np.uint8)
    commas = np.concatenate([np.flatnonzero(data[at:at + _SLICE] == ord(",")) + at
                             for at in range(0, len(data), _SLICE)] or [np.zeros(0, int)])
    row = np.searchsorted(ends, commas, side="right") - 1
    inside = (commas - 1 >= ends[row]) & (commas + 3 < ends[row + 1])  # within one text
    commas, row = commas[inside], row[inside]
    is_digit = [data[commas + shift] - np.uint8(ord("0")) < 10 for shift in (-1, 1, 2, 3)]
    found[row[np.logical_and.reduce(is_digit)]] = True
    return found


#: Bytes of text looked at a time for commas (a mask of them takes as many bytes).
_SLICE = 1 << 22


def _replaced(texts: pa.Array, positions: np.ndarray, new: list[str]) -> pa.Array:
    """``texts`` with those at ``positions`` (in increasing order) replaced by ``new``."""
    if not len(positions):
        return texts
    mask = np.zeros(len(texts), dtype=bool)
    mask[positions] = True
    return pc.replace_with_mask(texts, pa.array(mask), pa.array(new, type=pa.large_string()))


def _hide_grouped_numbers_all(texts: list[Any]) -> list[Any]:
    """``_hide_grouped_numbers`` of each text. The texts with a comma (only they can hold a
    grouped number) go through one substitution, joined by NUL: the pattern's look-arounds
    treat NUL like the ends of a text, so the matches are the same (a text holding NUL
    itself, or not text, goes one by one)."""
    if not all(type(t) is str for t in texts):
        return [_hide_grouped_numbers(t) for t in texts]
    chosen = [i for i, t in enumerate(texts) if "," in t]
    joined = "\0".join([texts[i] for i in chosen])
    if not chosen:
        return list(texts)
    if joined.count("\0") != len(chosen) - 1:
        return [_hide_grouped_numbers(t) for t in texts]
    out = list(texts)
    for i, text in zip(chosen, _hide_grouped_numbers(joined).split("\0"), strict=True):
        out[i] = text
    return out


def _template(rule: Rule) -> Callable[[str], str] | None:
    """A function hiding the pay placeholders of the rule's rendered messages, or None."""
    pattern, hidden = "", []  # hidden: per placeholder, "always", "number" or ""
    try:
        parsed = list(string.Formatter().parse(rule.message))
    except ValueError:
        return None
    for literal, field, spec, _ in parsed:
        pattern += re.escape(literal)
        if field:
            written, missing = spec_parts(spec or "")
            pattern += (f"({_SPEC_TEXT[written]}|{re.escape(missing)})"
                        if written in _SPEC_TEXT else "(.*?)")
            hidden.append("always" if written == "money" else
                          "number" if written in ("", "n") and names_pay(field) else "")
    if not any(hidden):
        return None
    compiled = re.compile(pattern, re.DOTALL)

    def hide_pay(message: str) -> str:
        match = compiled.fullmatch(message)
        if match is None:
            return message
        out, last = [], 0
        for group, hide in enumerate(hidden, start=1):
            if not match.group(group):  # a missing value written as nothing: none to hide
                continue
            if hide == "always" or (hide and _NUMBER.fullmatch(match.group(group))):
                out += [message[last:match.start(group)], REDACTED]
                last = match.end(group)
        return "".join(out) + message[last:]

    return hide_pay


def _hide_grouped_numbers(text: str) -> str:
    return _GROUPED_NUMBER.sub(REDACTED, text)


def _problem(problem: Problem) -> Problem:
    """``problem`` with employee ids hidden, and, if it is about pay, every figure after
    the names of its cell; other problems lose only grouped numbers."""
    message = _without_employee_ids(problem.message)
    detail = _without_employee_ids(problem.detail)
    start = _pay_start(problem, message)
    if start is None:
        return dataclasses.replace(problem, message=_hide_grouped_numbers(message),
                                   detail=_hide_grouped_numbers(detail))
    return dataclasses.replace(
        problem, message=_hide_grouped_numbers(message[:start]) + _hide_figures(message[start:]),
        detail=_hide_figures(detail))


def _without_employee_ids(text: str) -> str:
    return _EMPLOYEE_ID.sub(rf"\1'{REDACTED}'", text)


def _pay_start(problem: Problem, message: str) -> int | None:
    """Where the part of a pay problem's message that may hold pay starts: at the first
    mention of its field (else after its plan's name); None for a problem that is not about
    pay. A problem without a field is about a file or a header, which hold no pay."""
    if not problem.field:
        return None
    named = _field_name(problem.field).search(message)
    plan = f"plan '{problem.plan_id}'"
    start = named.start() if named else len(plan) if message.startswith(plan) else 0
    if problem.field in PAY_FIELDS or _PAY_FIELD_NAME.search(message, start):
        return start
    return None


@functools.lru_cache(maxsize=256)  # a messy input repeats a few fields in many problems
def _field_name(field: str) -> re.Pattern[str]:
    """The field's name as a word of a message (not within an id such as 'rates-2027')."""
    return re.compile(rf"(?<![\w'-]){re.escape(field)}(?![\w'-])")


def _hide_figures(text: str) -> str:
    """``text`` with every quoted value and every number redacted, but for the figures of
    policycheck's own texts (``_OWN_FIGURES``), kept so that the message still reads."""
    pieces = _OWN_FIGURES.split(text)  # own figures at the odd positions
    for i in range(0, len(pieces), 2):
        hidden = _QUOTED.sub(lambda m: m[0][0] + REDACTED + m[0][0], pieces[i])
        pieces[i] = _HIDDEN_SUGGESTIONS.sub("", _ANY_NUMBER.sub(REDACTED, hidden))
    return "".join(pieces)
