"""Checking a call: a built-in or a scope function, its arguments each in its role.

A call names a built-in (``signatures.BUILTINS``) or a function the engine registers on the
scope; its number of arguments is checked against the signature, then each argument as the
signature says: a value of a type (or sharing one type with the others, for ``coalesce`` and
``if``), the literal digits of ``round``, a collection's name, or a lambda: an expression
over the rows of another scope, checked in that scope. ``CallChecker`` holds these checks
for the checker (``checker``), which walks the rest of the tree and checks each argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from policycheck.expression.errors import ExpressionError, did_you_mean, quoted_list
from policycheck.expression.operands import require, require_choice
from policycheck.expression.signatures import (
    BUILTINS,
    Builtin,
    arity,
    digits,
    function_usage,
    not_a_collection,
    shared_type,
)
from policycheck.expression.syntax import Call, ListLiteral, Name, Node, String
from policycheck.expression.typesystem import Param, Scope, Type, Typed


def scope_named(scopes: Mapping[str, Scope], name: str) -> Scope:
    if name not in scopes:
        raise ValueError(f"unknown scope '{name}'; known scopes: {quoted_list(scopes)}")
    return scopes[name]


class CallChecker:
    """The checks of a call, which the checker inherits: each argument is checked with its
    ``check``, a lambda in the scope of the rows it runs over (``_scopes``), with the
    number of lambdas around the node being checked counted (``_lambdas``)."""

    _scopes: Mapping[str, Scope]
    _lambdas: int

    def check(self, node: Node, scope: Scope) -> Typed:
        raise NotImplementedError

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
                require(typed, Type(kind), where)
            elif typed.type is not Type.NULL:
                if same is None:
                    same = typed
                require(typed, same.type, where)
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
            require_choice(arg, param.name, param.choices)
        typed = self.check(arg, scope)
        if param.type is not None:
            require(typed, param.type, where)
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
        body = self.check(arg, scope_named(self._scopes, rows))
        self._lambdas -= 1
        if param.type is not None:
            require(body, param.type, where)
        return Typed(arg, body.type, (body,), role="lambda")
