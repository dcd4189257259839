"""The size of an expression whose names stand for evidence values, as if written out.

A message placeholder may name its rule's evidence values (``{if(perception_gates == 1,
'gate', 'gates')}``): the checker puts each evidence's checked tree where its name is, and
the evaluator walks that tree. `Limits` bound what the evaluator walks, so they bound the
tree with each evidence in place of its name, not the few characters of the name: ten uses
of an evidence of 60 nodes are 600 nodes. An evidence names no other evidence, so one level
of substitution is all there is, and the tree is at most `Limits.max_nodes` large. The bound
is checked after checking, which is safe: the checker takes each evidence's tree as checked
already, so it walks only the placeholder's own nodes, however large the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from policycheck.expression.errors import ExpressionError
from policycheck.expression.syntax import Binary, Call, Limits, ListLiteral, Name, Node, Unary


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListLiteral):
        return node.items
    return ()


def _depths(tree: Node) -> dict[int, int]:
    """The level of each node of ``tree`` (its root's is 1), by the node's identity: one
    entry for each value, name, operator, call, list and list item, as the parser counts."""
    levels, stack = {}, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        levels[id(node)] = level
        stack.extend((child, level + 1) for child in _children(node))
    return levels


def bound(tree: Node, names: Sequence[Name], evidence: Sequence[Node], limits: Limits) -> None:
    """ExpressionError, under the name that takes it past, where ``tree`` with each of
    ``names`` replaced by the ``evidence`` tree it stands for (in the same order) has more
    nodes or levels than ``limits`` allow one expression."""
    levels = _depths(tree)
    total = len(levels)
    for name, value in zip(names, evidence, strict=True):
        inside = _depths(value)
        total += len(inside) - 1
        if total > limits.max_nodes:
            raise ExpressionError(f"expression has more than {limits.max_nodes} values, names, "
                                  f"operators and calls, counting those of evidence "
                                  f"'{name.name}'", name.offset, name.length)
        if levels[id(name)] + max(inside.values()) - 1 > limits.max_depth:
            raise ExpressionError(f"expression nests deeper than {limits.max_depth} levels, "
                                  f"counting those of evidence '{name.name}'", name.offset,
                                  name.length)
