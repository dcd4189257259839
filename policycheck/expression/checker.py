"""Name resolution and static type checking of a syntax tree against a Scope.

The checker turns the parser's tree into a `Typed` tree the evaluator can run without asking
any more questions: every name resolved to a field of its scope, every call to a built-in or to a
scope function, every argument given its role, every node its type. All the rule author's
mistakes it can see are reported here, with the span to put the caret under; the checks of a
call's shape, and the built-in functions' signatures, are in `signatures`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import assert_never

from policycheck.expression.errors import ExpressionError, did_you_mean, quoted_list
from policycheck.expression.signatures import (
    BUILTINS,
    Builtin,
    arity,
    digits,
    function_usage,
    not_a_collection,
    shared_type,
)
from policycheck.expression.syntax import (
    Binary,
    Boolean,
    Call,
    ListLiteral,
    Name,
    Node,
    Null,
    Number,
    String,
    Unary,
)
from policycheck.expression.typesystem import DATE_YEARS, Param, Scope, Type, Typed

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_EQUALITY = frozenset({Type.NUMBER, Type.STRING, Type.BOOL, Type.DATE})
_ORDERING = frozenset({Type.NUMBER, Type.DATE})


#: A list name's vocabulary: the enumerated field its items are looked up as, and its values.
Vocabulary = tuple[str, frozenset[str]]


@dataclass(frozen=True)
class Checked:
    """What checking an expression found: the typed tree, the field names it reads per
    scope name, the vocabulary of each list field an enumerated field is looked up in
    (``kpi.category in param.categories``: the items of ``param.categories`` are
    categories), the list fields a KPI id is looked up in (``kpi.id in
    param.attach_kpis``), and the KPI ids written as text (``kpi.id == 'aht'``) with their
    offsets: the catalog of the plans read must hold those items and ids."""

    typed: Typed
    names: dict[str, frozenset[str]]
    vocabularies: dict[str, Vocabulary]
    kpi_lists: frozenset[str]
    kpi_literals: frozenset[tuple[str, int]]
    #: the names that stand for an evidence value, as written, in the order checked
    evidence_names: tuple[Name, ...] = ()


def check(tree: Node, scope: str, scopes: Mapping[str, Scope], expect: Type | None,
          evidence: Mapping[str, Typed | None] | None = None) -> Checked:
    """``Checked`` of ``tree`` in ``scope``; ExpressionError where it is not sound.
    ``evidence``: checked trees a bare name stands for where no field of the scope has
    that name, outside the arguments a function runs over other rows (None: one that did
    not compile); the tree takes the name's place, so its type is the name's."""
    _validate_scopes(scopes)
    checker = _Checker(scopes, evidence or {})
    typed = checker.check(tree, _scope(scopes, scope))
    if typed.type is Type.NULL:
        raise ExpressionError("expression is always null", tree.offset, tree.length)
    if expect is not None and typed.type is not expect:
        what = "condition" if expect is Type.BOOL else "expression"
        message = f"{what} must be a {expect.value}, got {typed.type.value}"
        raise ExpressionError(message, tree.offset, tree.length)
    names = {name: frozenset(names) for name, names in checker.names.items()}
    return Checked(typed, names, checker.vocabularies, frozenset(checker.kpi_lists),
                   frozenset(checker.kpi_literals), tuple(checker.evidence_names))


def merge_vocabularies(found: Mapping[str, Vocabulary],
                       more: Mapping[str, Vocabulary]) -> dict[str, Vocabulary]:
    """Both lookups' vocabularies; a list looked up as two fields (``basis`` of a component
    and of a competition) holds the values of either."""
    out = dict(found)
    for name, (label, choices) in more.items():
        if name in out:
            known, values = out[name]
            label = known if label == known else f"{known} or {label}"
            choices = values | choices
        out[name] = (label, choices)
    return out


def _validate_scopes(scopes: Mapping[str, Scope]) -> None:
    for scope in scopes.values():
        for name in scope.functions:
            if name in BUILTINS:
                raise ValueError(f"scope '{scope.name}' redefines the built-in function '{name}'")
        for collection, rows in scope.collections.items():
            if rows not in scopes:
                raise ValueError(f"collection '{collection}' has rows of unknown scope '{rows}'")


def _scope(scopes: Mapping[str, Scope], name: str) -> Scope:
    if name not in scopes:
        raise ValueError(f"unknown scope '{name}'; known scopes: {quoted_list(scopes)}")
    return scopes[name]


def _require(typed: Typed, want: Type, what: str) -> None:
    if typed.type is not want:
        message = f"{what} must be a {want.value}, got {typed.type.value}"
        raise ExpressionError(message, typed.node.offset, typed.node.length)


def _choice(literal: String, label: str, choices: frozenset[str]) -> None:
    if literal.value not in choices:
        message = f"'{literal.value}' is not a valid {label}: "
        message += f"expected one of {quoted_list(choices)}{did_you_mean(literal.value, choices)}"
        raise ExpressionError(message, literal.offset, literal.length)


def _date(typed: Typed, other: Typed) -> Typed:
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


def _past_a_share(field: Typed, other: Typed, scope: Scope) -> None:
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


def _names_kpis(typed: Typed, scope: Scope) -> bool:
    """Whether ``typed`` is a field whose values are KPI ids (``kpi.id``, ``kpi``)."""
    field = scope.fields.get(typed.node.name) if isinstance(typed.node, Name) else None
    return field is not None and field.kpi_ids


class _Checker:
    def __init__(self, scopes: Mapping[str, Scope], evidence: Mapping[str, Typed | None]
                 ) -> None:
        self._scopes = scopes
        self._evidence = evidence
        self._lambdas = 0  # arguments over other rows around the node being checked
        self.evidence_names: list[Name] = []
        self.names: dict[str, set[str]] = {}
        self.vocabularies: dict[str, Vocabulary] = {}
        self.kpi_lists: set[str] = set()
        self.kpi_literals: set[tuple[str, int]] = set()

    def check(self, node: Node, scope: Scope) -> Typed:
        match node:
            case Number():
                return Typed(node, Type.NUMBER)
            case String():
                return Typed(node, Type.STRING)
            case Boolean():
                return Typed(node, Type.BOOL)
            case Null():
                return Typed(node, Type.NULL)
            case ListLiteral():
                message = "a list can only follow 'in' or 'not in'"
                raise ExpressionError(message, node.offset, node.length)
            case Name():
                return self._name(node, scope)
            case Unary():
                operand = self.check(node.operand, scope)
                want = Type.BOOL if node.op == "not" else Type.NUMBER
                _require(operand, want, f"the operand of '{node.op}'")
                return Typed(node, want, (operand,))
            case Binary():
                return self._binary(node, scope)
            case Call():
                return self._call(node, scope)
            case _:
                assert_never(node)

    def _name(self, node: Name, scope: Scope) -> Typed:
        field = scope.fields.get(node.name)
        if field is not None:
            self.names.setdefault(scope.name, set()).add(node.name)
            return Typed(node, field.type)
        evidence = {} if self._lambdas else self._evidence
        if node.name in evidence:
            return self._evidence_value(node, evidence[node.name])
        if node.name in scope.collections:
            message = f"'{node.name}' is a collection: pass it to a function that takes one"
        elif node.name in BUILTINS or node.name in scope.functions:
            message = f"'{node.name}' is a function: call it as {node.name}(...)"
        else:
            candidates = [*scope.fields, *evidence, "true", "false", "null"]
            message = f"unknown name '{node.name}' in the {scope.name} scope"
            if node.name in self._evidence:
                message += (f"; evidence '{node.name}' cannot be named inside a function's "
                            "argument that runs over other rows")
            else:
                message += did_you_mean(node.name, candidates)
        raise ExpressionError(message, node.offset, node.length)

    def _evidence_value(self, node: Name, typed: Typed | None) -> Typed:
        """The evidence's checked tree where its name is written. Its root is said to be
        at the name: an error about it (``if(perception_gates, ...)``: not a bool) is
        put under the name, never at the evidence's own offsets in another text."""
        if typed is None:
            raise ExpressionError(f"evidence '{node.name}' does not compile", node.offset,
                                  node.length)
        self.evidence_names.append(node)
        return replace(typed, node=replace(typed.node, offset=node.offset, length=node.length))

    def _choices(self, typed: Typed, scope: Scope) -> tuple[str, frozenset[str]] | None:
        node = typed.node
        if isinstance(node, Name) and node.name in scope.fields:
            choices = scope.fields[node.name].choices
            return (node.name.rsplit(".", 1)[-1], choices) if choices is not None else None
        return None

    def _binary(self, node: Binary, scope: Scope) -> Typed:
        left = self.check(node.left, scope)
        if node.op in ("in", "not in"):
            return self._membership(node, left, scope)
        right = self.check(node.right, scope)
        if node.op in ("and", "or", "+", "-", "*", "/", "**"):
            want = Type.BOOL if node.op in ("and", "or") else Type.NUMBER
            _require(left, want, f"the left side of '{node.op}'")
            _require(right, want, f"the right side of '{node.op}'")
            return Typed(node, want, (left, right))
        return self._comparison(node, _date(left, right), _date(right, left), scope)

    def _comparison(self, node: Binary, left: Typed, right: Typed, scope: Scope) -> Typed:
        op, types = node.op, (left.type, right.type)
        if Type.NULL in types and op not in ("==", "!="):
            message = f"'{op}' cannot compare with null: use '== null' to test for a missing value"
            raise ExpressionError(message, node.offset, node.length)
        if Type.NULL not in types:
            if left.type is not right.type:
                message = f"'{op}' cannot compare {left.type.value} with {right.type.value}"
                raise ExpressionError(message, node.offset, node.length)
            equality = op in ("==", "!=")
            if left.type not in (_EQUALITY if equality else _ORDERING):
                allowed = "numbers, strings, bools or dates" if equality else "numbers or dates"
                message = f"'{op}' compares {allowed}, got {left.type.value}"
                raise ExpressionError(message, node.offset, node.length)
            for field, other in ((left, right), (right, left)):
                _past_a_share(field, other, scope)
                choices = self._choices(field, scope)
                if choices is not None and isinstance(other.node, String):
                    _choice(other.node, *choices)
                if choices is not None and isinstance(other.node, Name):
                    # a parameter compared with it: its value must be one of them
                    self.vocabularies = merge_vocabularies(self.vocabularies,
                                                           {other.node.name: choices})
                if isinstance(other.node, String) and _names_kpis(field, scope):
                    self.kpi_literals.add((other.node.value, other.node.offset))
        return Typed(node, Type.BOOL, (left, right))

    def _membership(self, node: Binary, left: Typed, scope: Scope) -> Typed:
        if not isinstance(node.right, ListLiteral):
            right = self.check(node.right, scope)
            _require(right, Type.LIST, f"the right side of '{node.op}'")
            _require(left, Type.STRING, f"the left side of '{node.op}'")
            if isinstance(left.node, String) and ";" in left.node.value:
                message = "a list item cannot contain ';'"
                raise ExpressionError(message, left.node.offset, left.node.length)
            choices = self._choices(left, scope)
            if choices is not None and isinstance(right.node, Name):
                self.vocabularies = merge_vocabularies(self.vocabularies,
                                                       {right.node.name: choices})
            if isinstance(right.node, Name) and _names_kpis(left, scope):
                self.kpi_lists.add(right.node.name)
            return Typed(node, Type.BOOL, (left, right))
        items = node.right.items
        item_type = Type.NUMBER if isinstance(items[0], Number) else Type.STRING
        _require(left, item_type, f"the left side of '{node.op}' (to match the list)")
        choices = self._choices(left, scope)
        kpis = _names_kpis(left, scope)
        for item in items:
            if choices is not None and isinstance(item, String):
                _choice(item, *choices)
            if kpis and isinstance(item, String):
                self.kpi_literals.add((item.value, item.offset))
        return Typed(node, Type.BOOL, (left, Typed(node.right, Type.LIST)))

    def _call(self, node: Call, scope: Scope) -> Typed:
        builtin = BUILTINS.get(node.name)
        if builtin is not None:
            high = None if builtin.variadic else len(builtin.params)
            arity(node, len(builtin.params), high, builtin.usage(node.name))
            return self._builtin(node, builtin, scope)
        function = scope.functions.get(node.name)
        if function is None:
            message = f"unknown function '{node.name}' in the {scope.name} scope"
            message += did_you_mean(node.name, [*BUILTINS, *scope.functions])
            raise ExpressionError(message, node.offset, len(node.name))
        required = sum(not param.optional for param in function.params)
        arity(node, required, len(function.params), function_usage(function))
        args: list[Typed] = []
        for index, (param, arg) in enumerate(zip(function.params, node.args, strict=False)):
            where = f"argument {index + 1} of '{node.name}'"
            args.append(self._argument(arg, param, scope, args, where))
        return Typed(node, function.returns, tuple(args), function=function)

    def _builtin(self, node: Call, builtin: Builtin, scope: Scope) -> Typed:
        args: list[Typed] = []
        same: Typed | None = None
        for index, arg in enumerate(node.args):
            kind = builtin.params[min(index, len(builtin.params) - 1)]
            where = f"argument {index + 1} of '{node.name}'"
            if kind == "digits":
                args.append(digits(arg, where))
                continue
            typed = self.check(arg, scope)
            if kind != "same":
                _require(typed, Type(kind), where)
            elif typed.type is not Type.NULL:
                if same is None:
                    same = typed
                _require(typed, same.type, where)
            args.append(typed)
        if builtin.returns != "same":
            return Typed(node, Type(builtin.returns), tuple(args))
        returns = shared_type(node, args, same)
        # a null argument takes the shared type, so the evaluator knows which missing value it is
        args = [replace(arg, type=returns) if arg.type is Type.NULL else arg for arg in args]
        return Typed(node, returns, tuple(args))

    def _argument(
        self, arg: Node, param: Param, scope: Scope, previous: list[Typed], where: str
    ) -> Typed:
        if param.kind == "collection":
            if not isinstance(arg, Name) or arg.name not in scope.collections:
                raise not_a_collection(arg, scope, where)
            # a collection is not a value; NULL stands for "no type" and the role says what it is
            return Typed(arg, Type.NULL, role="collection")
        if param.kind == "lambda":
            return self._lambda(arg, param, scope, previous, where)
        if param.kind != "value":
            raise ValueError(f"parameter '{param.name}' has unknown kind '{param.kind}'")
        if param.type is Type.LIST and isinstance(arg, ListLiteral):
            # a literal list of names passed where the function takes a list, e.g.
            # overlaps(duties, ['coach', 'sell'])
            if not all(isinstance(item, String) for item in arg.items):
                raise ExpressionError(f"{where} must be a list of strings", arg.offset,
                                      arg.length)
            return Typed(arg, Type.LIST)
        if param.choices is not None:
            if not isinstance(arg, String):
                message = f"{where} must be a string literal: one of {quoted_list(param.choices)}"
                raise ExpressionError(message, arg.offset, arg.length)
            _choice(arg, param.name, param.choices)
        typed = self.check(arg, scope)
        if param.type is not None:
            _require(typed, param.type, where)
        elif typed.type is Type.NULL:
            raise ExpressionError(f"{where} cannot be null", arg.offset, arg.length)
        return typed

    def _lambda(
        self, arg: Node, param: Param, scope: Scope, previous: list[Typed], where: str
    ) -> Typed:
        collections = [typed.node for typed in previous if typed.role == "collection"]
        rows = param.scope
        if rows is None and collections and isinstance(collections[-1], Name):
            rows = scope.collections[collections[-1].name]
        if rows is None:
            raise ValueError(f"lambda parameter '{param.name}' has no scope and no collection")
        self._lambdas += 1
        body = self.check(arg, _scope(self._scopes, rows))
        self._lambdas -= 1
        if param.type is not None:
            _require(body, param.type, where)
        return Typed(arg, body.type, (body,), role="lambda")
