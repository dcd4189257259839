"""What a call is checked against: the built-in functions' signatures and a call's shape.

The built-ins are described here (`Builtin`, `BUILTINS`: the kind of each parameter and of the
result) and implemented in the evaluator; a scope function carries its own signature
(`Function`). The checks here are those of a call as a whole or of an argument that cannot be
just any value: the number of arguments (with the usage to show when it is wrong), a
collection's name, the literal digits of `round`, and the one type the arguments of
`coalesce` and `if` must share.
"""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.expression.errors import ExpressionError, did_you_mean, quoted_list
from policycheck.expression.syntax import Call, Name, Node, Number
from policycheck.expression.typesystem import Function, Scope, Type, Typed


@dataclass(frozen=True)
class Builtin:
    params: tuple[str, ...]  # a Type value, "same" (one type shared by all "same") or "digits"
    returns: str  # a Type value or "same"
    variadic: bool = False  # the last parameter repeats

    def usage(self, name: str) -> str:
        shown = ["value" if param == "same" else param for param in self.params]
        return f"{name}({', '.join(shown)}{', ...' if self.variadic else ''})"


BUILTINS: dict[str, Builtin] = {
    "abs": Builtin(("number",), "number"),
    "min": Builtin(("number", "number"), "number", variadic=True),
    "max": Builtin(("number", "number"), "number", variadic=True),
    "coalesce": Builtin(("same", "same"), "same"),
    "if": Builtin(("bool", "same", "same"), "same"),
    "round": Builtin(("number", "digits"), "number"),
    "len": Builtin(("list",), "number"),
    "lower": Builtin(("string",), "string"),
}

_MAX_DIGITS = 15


def arity(node: Call, low: int, high: int | None, usage: str) -> None:
    count = len(node.args)
    if low <= count and (high is None or count <= high):
        return
    if high is None:
        takes = f"at least {low} arguments"
    elif low == high:
        takes = f"{low} argument{'s' if low != 1 else ''}"
    else:
        takes = f"{low} to {high} arguments"
    message = f"'{node.name}' takes {takes}, got {count}: {usage}"
    raise ExpressionError(message, node.offset, node.length)


def function_usage(function: Function) -> str:
    shown = [f"[{param.name}]" if param.optional else param.name for param in function.params]
    return f"{function.name}({', '.join(shown)})"


def not_a_collection(arg: Node, scope: Scope, where: str) -> ExpressionError:
    name = arg.name if isinstance(arg, Name) else None
    message = f"{where} must be a collection of the {scope.name} scope, got "
    message += f"'{name}'" if name else "an expression"
    if scope.collections:
        message += f": expected one of {quoted_list(scope.collections)}"
        message += did_you_mean(name, scope.collections) if name else ""
    return ExpressionError(message, arg.offset, arg.length)


def digits(arg: Node, where: str) -> Typed:
    if not (isinstance(arg, Number) and arg.value.is_integer() and 0 <= arg.value <= _MAX_DIGITS):
        message = f"{where} must be a whole number literal from 0 to {_MAX_DIGITS}"
        raise ExpressionError(message, arg.offset, arg.length)
    return Typed(arg, Type.NUMBER)


def shared_type(node: Call, args: list[Typed], same: Typed | None) -> Type:
    if same is None:
        message = f"'{node.name}' needs a value that is not null"
        raise ExpressionError(message, node.offset, node.length)
    if same.type is Type.BOOL and any(arg.type is Type.NULL for arg in args):
        null = next(arg for arg in args if arg.type is Type.NULL)
        message = f"'{node.name}' cannot give null where it gives a bool: a bool is never missing"
        raise ExpressionError(message, null.node.offset, null.node.length)
    return same.type
