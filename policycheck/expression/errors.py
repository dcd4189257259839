"""The one error a rule author can get from an expression, and how it points at the source.

Hierarchy::

    Exception
    └── ExpressionError   bad syntax, unknown name, type error or a size limit; knows where

Every mistake in a condition (or a hostile condition) ends in an ExpressionError raised while
compiling, before anything is evaluated. A mistake of the caller instead (an unknown scope name,
a function implementation returning the wrong shape) is a ValueError: it is a bug in the engine,
not in the rule, and must not be reported as if the rule author could fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# A 1,000,000-character condition must not flood the terminal when its error is shown.
_WINDOW = 100


class ExpressionError(Exception):
    """A problem in an expression: a lower-case message and the span of source it is about."""

    def __init__(self, message: str, offset: int, length: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.length = max(1, length)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, int, int]]:
        # the engine may check rule packs in worker processes; keep the location when pickled
        return (type(self), (self.message, self.offset, self.length))

    def position(self, source: str) -> tuple[int, int]:
        """1-based line and column of the offset, for `path:line:col: message` output."""
        line = source.count("\n", 0, self.offset) + 1
        column = self.offset - (source.rfind("\n", 0, self.offset) + 1) + 1
        return line, column

    def caret(self, source: str) -> str:
        """The source line holding the error and a line of `^` under the offending span."""
        start = source.rfind("\n", 0, self.offset) + 1
        end = source.find("\n", self.offset)
        line = source[start : len(source) if end < 0 else end]
        column = self.offset - start
        head = tail = ""
        if len(line) > _WINDOW:
            cut = max(0, min(column - _WINDOW // 2, len(line) - _WINDOW))
            head = "..." if cut else ""
            tail = "..." if cut + _WINDOW < len(line) else ""
            line = line[cut : cut + _WINDOW]
            column -= cut
        width = max(1, min(self.length, len(line) - column))
        # tabs stay tabs so the caret lines up in a terminal whatever its tab width
        pad = "".join("\t" if char == "\t" else " " for char in head + line[:column])
        return f"{head}{line}{tail}\n{pad}{'^' * width}"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate, or an empty string when none is close."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def quoted_list(values: Iterable[str]) -> str:
    """`'a', 'b', 'c'`: the valid values an error message offers, in a stable order."""
    return ", ".join(f"'{value}'" for value in sorted(values))
