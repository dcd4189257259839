"""The syntax tree of the expression language, and the bounds on an expression's size.

Each node is a frozen dataclass holding the span of source it was parsed from, so any later
stage can put the caret under the part it is about; `Node` is the union of them all. `Limits`
sits here because both stages that read source enforce it: the tokenizer the length and the
size of literals, the parser the nesting depth, node count and `**` exponent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds on an expression's size, all enforced while parsing; the nodes and depth
    also on a message placeholder with each evidence it names in place (`substitution`)."""

    max_length: int = 4000
    max_depth: int = 48
    max_nodes: int = 500
    max_abs_literal: float = 1e15
    max_exponent: int = 4


@dataclass(frozen=True, kw_only=True)
class Span:
    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


@dataclass(frozen=True)
class Number(Span):
    value: float


@dataclass(frozen=True)
class String(Span):
    value: str


@dataclass(frozen=True)
class Boolean(Span):
    value: bool


@dataclass(frozen=True)
class Null(Span):
    pass


@dataclass(frozen=True)
class ListLiteral(Span):
    items: tuple[Number, ...] | tuple[String, ...]


@dataclass(frozen=True)
class Name(Span):
    name: str  # the whole qualified name: `kpi.category` is one name, not attribute access


@dataclass(frozen=True)
class Unary(Span):
    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Span):
    op: str
    left: Node
    right: Node  # for "**", always a Number
    op_offset: int


@dataclass(frozen=True)
class Call(Span):
    name: str
    args: tuple[Node, ...]


Node = Number | String | Boolean | Null | ListLiteral | Name | Unary | Binary | Call
