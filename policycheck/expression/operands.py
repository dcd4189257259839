"""The checks of one operand beside what it is used with, which need no walk of the tree.

The checker (``checker``, ``calls``) asks these of an operand it has typed: that it is of
the type wanted (``require``); that a string literal is one of a field's values or of a
parameter's choices (``require_choice``); that a string literal compared with a date is a
date it can hold (``as_date``); that a share from 0 to 1 is not compared with a number past
1 (``past_a_share``); and whether a field's values are KPI ids (``names_kpis``). Each
mistake is an ``ExpressionError`` with the span of the operand at fault.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import replace

from policycheck.expression.errors import ExpressionError, did_you_mean, quoted_list
from policycheck.expression.syntax import Name, Number, String
from policycheck.expression.typesystem import DATE_YEARS, Scope, Type, Typed

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def require(typed: Typed, want: Type, what: str) -> None:
    if typed.type is not want:
        message = f"{what} must be a {want.value}, got {typed.type.value}"
        raise ExpressionError(message, typed.node.offset, typed.node.length)


def require_choice(literal: String, label: str, choices: frozenset[str]) -> None:
    if literal.value not in choices:
        message = f"'{literal.value}' is not a valid {label}: "
        message += f"expected one of {quoted_list(choices)}{did_you_mean(literal.value, choices)}"
        raise ExpressionError(message, literal.offset, literal.length)


def as_date(typed: Typed, other: Typed) -> Typed:
    """A string literal compared with a date is read as a date (`effective_from < '2027-01-01'`)."""
    node = typed.node
    if not (isinstance(node, String) and other.type is Type.DATE):
        return typed
    try:
        valid = _ISO_DATE.fullmatch(node.value) is not None
        day = datetime.date.fromisoformat(node.value)
    except ValueError:
        valid = False
    if not valid:
        message = f"'{node.value}' is not a valid date: expected YYYY-MM-DD"
        raise ExpressionError(message, node.offset, node.length)
    first, last = DATE_YEARS
    if not first <= day.year <= last:
        message = (f"'{node.value}' is past the dates kept: expected a date from {first} to "
                   f"{last}")
        raise ExpressionError(message, node.offset, node.length)
    return replace(typed, type=Type.DATE)


def past_a_share(field: Typed, other: Typed, scope: Scope) -> None:
    """ExpressionError where a share of 0 to 1 (a weight, ``share('speed')``) is compared
    with a number past 1 (``weight > 50``, meaning 50 %): the comparison is the same for
    every row, and the rule never fires (or always does), without a word."""
    node = field.node
    if isinstance(node, Name) and node.name in scope.fields and scope.fields[node.name].fraction:
        said = node.name
    elif field.function is not None and field.function.fraction:
        said = f"{field.function.name}()"
    else:
        return
    if isinstance(other.node, Number) and other.node.value > 1:
        value = other.node.value
        message = (f"{said} is a share from 0 to 1, so it is never more than 1: did you mean "
                   f"{value / 100:g} ({value:g} %)?")
        raise ExpressionError(message, other.node.offset, other.node.length)


def names_kpis(typed: Typed, scope: Scope) -> bool:
    """Whether ``typed`` is a field whose values are KPI ids (``kpi.id``, ``kpi``)."""
    field = scope.fields.get(typed.node.name) if isinstance(typed.node, Name) else None
    return field is not None and field.kpi_ids
