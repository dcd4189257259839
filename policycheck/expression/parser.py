"""The Pratt parser of the expression language: tokens to a syntax tree.

`parse` enforces every size limit (the length and the size of literals through the tokenizer;
the nesting depth, node count and `**` exponent itself), so a hostile expression is refused
before the checker or the evaluator sees it. Depth is counted explicitly instead of trusting
Python's recursion limit: each operand, argument or parenthesised group entered is one level,
and so is each operator of a chain, because `a + b + c` builds a tree as deep as it is long and
the checker and evaluator recurse over it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from policycheck.expression.errors import ExpressionError
from policycheck.expression.syntax import (
    Binary,
    Boolean,
    Call,
    Limits,
    ListLiteral,
    Name,
    Node,
    Null,
    Number,
    Span,
    String,
    Unary,
)
from policycheck.expression.tokenizer import Token, tokenize

COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "not in"})

# binding powers, lowest first; `not` and unary `-` are prefix-only
_BINDING = {"or": 10, "and": 20, **dict.fromkeys(COMPARISONS, 40)}
_BINDING |= {"+": 50, "-": 50, "*": 60, "/": 60, "**": 80}
_NOT, _NEGATE = 30, 70
_LITERALS = frozenset({"number", "string", "true", "false", "null"})
_TOKEN_HINTS = {".": "attribute access is not part of the language"}
_N = TypeVar("_N", bound=Span)


def parse(source: str, limits: Limits) -> Node:
    """The syntax tree of `source`, or an ExpressionError at the first problem."""
    return _Parser(tokenize(source, limits), limits).parse()


def _literal(token: Token) -> Node:
    span = {"offset": token.offset, "length": len(token.text)}
    if token.kind == "number":
        return Number(token.number, **span)
    if token.kind == "string":
        return String(token.string, **span)
    if token.kind == "null":
        return Null(**span)
    return Boolean(token.kind == "true", **span)


def _unexpected(token: Token, expected: str, after_value: bool = False) -> ExpressionError:
    if token.kind == "end":
        return ExpressionError(f"unexpected end of expression: expected {expected}", token.offset)
    hint = _TOKEN_HINTS.get(token.kind)
    if after_value and token.kind == "[":
        hint = "indexing is not part of the language"
    message = f"unexpected '{token.text}': {hint or 'expected ' + expected}"
    return ExpressionError(message, token.offset, len(token.text))


class _Parser:
    def __init__(self, tokens: list[Token], limits: Limits) -> None:
        self._tokens = tokens
        self._position = 0
        self._limits = limits
        self._depth = 0
        self._nodes = 0
        self._chained = ""  # the operator of the chain being read, for a message

    def parse(self) -> Node:
        node = self._expression(0)
        token = self._peek()
        if token.kind != "end":
            raise _unexpected(token, "an operator or the end of the expression", after_value=True)
        return node

    def _peek(self, ahead: int = 0) -> Token:
        return self._tokens[min(self._position + ahead, len(self._tokens) - 1)]

    def _next(self) -> Token:
        token = self._peek()
        if token.kind != "end":
            self._position += 1
        return token

    def _expect(self, kind: str, expected: str) -> Token:
        if self._peek().kind != kind:
            raise _unexpected(self._peek(), expected, after_value=True)
        return self._next()

    def _descend(self) -> None:
        """One level deeper. Each operator of a chain (``a or b or c``) is a level of the
        tree evaluated, which an author does not see as nesting: past the limit inside one
        (``_chained``), the message says so, and what to write instead."""
        self._depth += 1
        if self._depth > self._limits.max_depth:
            token = self._peek()
            message = f"expression nests deeper than {self._limits.max_depth} levels"
            if self._chained:
                instead = ("match a list of values with 'in [...]'" if self._chained == "or"
                           else "name parts of it as evidence, and use the names")
                message += f" (each '{self._chained}' of a chain is a level: {instead})"
            raise ExpressionError(message, token.offset, len(token.text))

    def _add(self, node: _N) -> _N:
        self._nodes += 1
        if self._nodes > self._limits.max_nodes:
            limit = self._limits.max_nodes
            message = f"expression has more than {limit} values, names, operators and calls"
            raise ExpressionError(message, node.offset, node.length)
        return node

    def _expression(self, power: int) -> Node:
        self._descend()
        levels, chained, outer = 1, False, self._chained
        left = self._prefix(power)
        while (op := self._infix_operator()) is not None and _BINDING[op] > power:
            if chained and op in COMPARISONS:
                token = self._peek()
                message = "comparisons cannot be chained: join them with 'and' (a < b and b < c)"
                raise ExpressionError(message, token.offset, len(token.text))
            if levels > 1:  # a second operator at this level: a chain
                self._chained = op
            self._descend()
            levels += 1
            left = self._infix(left, op)
            chained = op in COMPARISONS
        self._depth -= levels
        self._chained = outer
        return left

    def _infix_operator(self) -> str | None:
        kind = self._peek().kind
        if kind == "not" and self._peek(1).kind == "in":
            return "not in"
        return kind if kind in _BINDING else None

    def _infix(self, left: Node, op: str) -> Node:
        op_token = self._next()
        if op == "not in":
            self._next()
        right = self._exponent() if op == "**" else self._expression(_BINDING[op])
        span = {"offset": left.offset, "length": right.end - left.offset}
        return self._add(Binary(op, left, right, op_token.offset, **span))

    def _prefix(self, power: int) -> Node:
        token = self._next()
        if token.kind in _LITERALS:
            return self._add(_literal(token))
        if token.kind == "name":
            if self._peek().kind == "(":
                return self._call(token)
            return self._add(Name(token.string, offset=token.offset, length=len(token.text)))
        if token.kind == "(":
            inner = self._expression(0)
            close = self._expect(")", "')'")
            return replace(inner, offset=token.offset, length=close.offset + 1 - token.offset)
        if token.kind == "[":
            return self._list(token)
        if token.kind == "not" and power > _NOT:
            raise ExpressionError("'not' needs parentheses here: write (not ...)", token.offset, 3)
        if token.kind in ("-", "not"):
            operand = self._expression(_NEGATE if token.kind == "-" else _NOT)
            length = operand.end - token.offset
            return self._add(Unary(token.kind, operand, offset=token.offset, length=length))
        raise _unexpected(token, "a value")

    def _call(self, name: Token) -> Call:
        self._next()
        args: list[Node] = []
        while self._peek().kind != ")":
            args.append(self._expression(0))
            if self._peek().kind != ",":
                break
            self._next()
            if self._peek().kind == ")":
                raise _unexpected(self._peek(), "a value")
        close = self._expect(")", "',' or ')'")
        length = close.offset + 1 - name.offset
        return self._add(Call(name.string, tuple(args), offset=name.offset, length=length))

    def _list(self, opening: Token) -> ListLiteral:
        if self._peek().kind == "]":
            raise ExpressionError("a list needs at least one item", opening.offset, 2)
        items = [self._list_item()]
        while self._peek().kind == ",":
            self._next()
            items.append(self._list_item())
        close = self._expect("]", "',' or ']'")
        length = close.offset + 1 - opening.offset
        numbers = tuple(item for item in items if isinstance(item, Number))
        strings = tuple(item for item in items if isinstance(item, String))
        if numbers and strings:
            message = "a list must hold only numbers or only strings"
            raise ExpressionError(message, opening.offset, length)
        return self._add(ListLiteral(numbers or strings, offset=opening.offset, length=length))

    def _list_item(self) -> Number | String:
        token = self._peek()
        if token.kind == "string":
            self._next()
            return self._add(String(token.string, offset=token.offset, length=len(token.text)))
        number = self._signed_number()
        if number is None:
            raise _unexpected(self._peek(), "a number or a string (list items are literals)")
        return number

    def _signed_number(self) -> Number | None:
        start, negative = self._peek(), self._peek().kind == "-"
        token = self._peek(1) if negative else start
        if token.kind != "number":
            return None
        self._position += 2 if negative else 1
        value = -token.number if negative else token.number
        length = token.offset + len(token.text) - start.offset
        return self._add(Number(value, offset=start.offset, length=length))

    def _exponent(self) -> Number:
        limit = self._limits.max_exponent
        expected = f"the exponent of '**' must be a number literal from -{limit} to {limit}"
        number = self._signed_number()
        if number is None:
            token = self._peek()
            got = "end of expression" if token.kind == "end" else f"'{token.text}'"
            raise ExpressionError(f"{expected}, got {got}", token.offset, len(token.text))
        if abs(number.value) > limit:
            raise ExpressionError(f"{expected}, got {number.value:g}", number.offset, number.length)
        if self._peek().kind == "**":
            message = "'**' cannot be chained: its exponent must be a single number literal"
            raise ExpressionError(message, self._peek().offset, 2)
        return number
