"""Name resolution and static type checking of a syntax tree against a Scope.

The checker turns the parser's tree into a `Typed` tree the evaluator can run without asking
any more questions: every name resolved to a field of its scope, every call to a built-in or to a
scope function, every argument given its role, every node its type. All the rule author's
mistakes it can see are reported here, with the span to put the caret under; the checks of a
call's shape, and the built-in functions' signatures, are in `signatures`, those of a call's
arguments in `calls`, and those of one operand beside another in `operands`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import assert_never

from policycheck.expression.calls import CallChecker, scope_named
from policycheck.expression.errors import ExpressionError, did_you_mean
from policycheck.expression.operands import (
    as_date,
    names_kpis,
    past_a_share,
    require,
    require_choice,
)
from policycheck.expression.signatures import BUILTINS
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
from policycheck.expression.typesystem import Scope, Type, Typed

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
          evidence: Mapping[str, Typed | None] | None = None,
          named_elsewhere: frozenset[str] = frozenset()) -> Checked:
    """``Checked`` of ``tree`` in ``scope``; ExpressionError where it is not sound.
    ``evidence``: checked trees a bare name stands for where no field of the scope has
    that name, outside the arguments a function runs over other rows (None: one that did
    not compile); the tree takes the name's place, so its type is the name's.
    ``named_elsewhere``: evidence names this expression may not use (it is no message),
    refused as such rather than with a look-alike field."""
    _validate_scopes(scopes)
    checker = _Checker(scopes, evidence or {}, named_elsewhere)
    typed = checker.check(tree, scope_named(scopes, scope))
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


class _Checker(CallChecker):
    def __init__(self, scopes: Mapping[str, Scope], evidence: Mapping[str, Typed | None],
                 named_elsewhere: frozenset[str]) -> None:
        self._scopes = scopes
        self._evidence = evidence
        self._elsewhere = named_elsewhere
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
                require(operand, want, f"the operand of '{node.op}'")
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
            elif node.name in self._elsewhere:
                message += (f"; evidence '{node.name}' is named only in the message: write "
                            "its expression here")
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
            require(left, want, f"the left side of '{node.op}'")
            require(right, want, f"the right side of '{node.op}'")
            return Typed(node, want, (left, right))
        return self._comparison(node, as_date(left, right), as_date(right, left), scope)

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
                past_a_share(field, other, scope)
                choices = self._choices(field, scope)
                if choices is not None and isinstance(other.node, String):
                    require_choice(other.node, *choices)
                if choices is not None and isinstance(other.node, Name):
                    # a parameter compared with it: its value must be one of them
                    self.vocabularies = merge_vocabularies(self.vocabularies,
                                                           {other.node.name: choices})
                if isinstance(other.node, String) and names_kpis(field, scope):
                    self.kpi_literals.add((other.node.value, other.node.offset))
        return Typed(node, Type.BOOL, (left, right))

    def _membership(self, node: Binary, left: Typed, scope: Scope) -> Typed:
        if not isinstance(node.right, ListLiteral):
            right = self.check(node.right, scope)
            require(right, Type.LIST, f"the right side of '{node.op}'")
            require(left, Type.STRING, f"the left side of '{node.op}'")
            if isinstance(left.node, String) and ";" in left.node.value:
                message = "a list item cannot contain ';'"
                raise ExpressionError(message, left.node.offset, left.node.length)
            choices = self._choices(left, scope)
            if choices is not None and isinstance(right.node, Name):
                self.vocabularies = merge_vocabularies(self.vocabularies,
                                                       {right.node.name: choices})
            if isinstance(right.node, Name) and names_kpis(left, scope):
                self.kpi_lists.add(right.node.name)
            return Typed(node, Type.BOOL, (left, right))
        items = node.right.items
        item_type = Type.NUMBER if isinstance(items[0], Number) else Type.STRING
        require(left, item_type, f"the left side of '{node.op}' (to match the list)")
        choices = self._choices(left, scope)
        kpis = names_kpis(left, scope)
        for item in items:
            if choices is not None and isinstance(item, String):
                require_choice(item, *choices)
            if kpis and isinstance(item, String):
                self.kpi_literals.add((item.value, item.offset))
        return Typed(node, Type.BOOL, (left, Typed(node.right, Type.LIST)))
