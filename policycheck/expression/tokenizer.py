"""The tokenizer of the expression language: source text to a list of `Token`s.

It refuses what it can see on its own, before the parser starts: a source over the length
limit, a character the language has no use for (with a hint when it looks like another
language's operator), a name with a part starting with `_`, a number literal out of range and
a string with an invalid escape or no closing quote.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from policycheck.expression.errors import ExpressionError
from policycheck.expression.syntax import Limits

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})

_PATTERN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?%?)"
    r"|(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)"
    r"|(?P<op>\*\*|==|!=|<=|>=|[-+*/<>()\[\],.])",
    re.ASCII,
)
_CHARACTER_HINTS = {"=": "use '==' to compare", "!": "use 'not'", "&": "use 'and'", "|": "use 'or'"}


class Token(NamedTuple):
    kind: str  # "number", "string", "name", "end", or the operator or keyword itself
    text: str
    offset: int
    number: float = 0.0
    string: str = ""


def tokenize(source: str, limits: Limits) -> list[Token]:
    """Tokens of `source`, ending with an "end" token; refuses anything outside the grammar."""
    if len(source) > limits.max_length:
        message = f"expression is {len(source)} characters long; the limit is {limits.max_length}"
        raise ExpressionError(message, limits.max_length, len(source) - limits.max_length)
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        if source[position] in "'\"":
            token = _string(source, position)
        else:
            match = _PATTERN.match(source, position)
            if match is None:
                raise _bad_character(source[position], position)
            if match.lastgroup == "space":
                position = match.end()
                continue
            token = _token(match, limits)
        tokens.append(token)
        position = token.offset + len(token.text)
    tokens.append(Token("end", "", len(source)))
    return tokens


def _token(match: re.Match[str], limits: Limits) -> Token:
    kind, text, offset = match.lastgroup or "", match.group(), match.start()
    if kind == "number":
        return Token("number", text, offset, number=_number(text, offset, limits))
    if kind == "name":
        if text in KEYWORDS:
            return Token(text, text, offset)
        # dunders are the usual door out of a sandbox; no name of ours needs a leading underscore
        if any(part.startswith("_") for part in text.split(".")):
            message = f"'{text}' is not allowed: no part of a name may start with '_'"
            raise ExpressionError(message, offset, len(text))
        return Token("name", text, offset, string=text)
    return Token(text, text, offset)


def _number(text: str, offset: int, limits: Limits) -> float:
    try:
        # Decimal keeps `0.7%` exactly 0.007, as HR wrote it, instead of 0.7 / 100
        value = float(Decimal(text[:-1]) / 100) if text.endswith("%") else float(text)
    except ArithmeticError:
        value = float("inf")
    if not abs(value) <= limits.max_abs_literal:
        shown = text if len(text) <= 30 else text[:27] + "..."
        message = f"number '{shown}' is out of range; the limit is {limits.max_abs_literal:g}"
        raise ExpressionError(message, offset, len(text))
    return value


def _string(source: str, start: int) -> Token:
    quote, position = source[start], start + 1
    chars: list[str] = []
    while position < len(source) and source[position] != "\n":
        char = source[position]
        if char == quote:
            text = source[start : position + 1]
            return Token("string", text, start, string="".join(chars))
        if char == "\\":
            escaped = source[position + 1 : position + 2]
            if escaped in ("", "\n"):
                break
            if escaped not in (quote, "\\"):
                message = f"invalid escape '\\{escaped}': only the quote and '\\' can be escaped"
                raise ExpressionError(message, position, 2)
            char, position = escaped, position + 1
        chars.append(char)
        position += 1
    raise ExpressionError("unterminated string", start, position - start)


def _bad_character(char: str, offset: int) -> ExpressionError:
    hint = _CHARACTER_HINTS.get(char)
    return ExpressionError(f"unexpected character {char!r}" + (f": {hint}" if hint else ""), offset)
