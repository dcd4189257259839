"""The bounds that keep a hostile YAML document from exhausting memory or the C stack:
nesting depth and alias expansion, measured before anything is built (SECURITY.md).
"""

from __future__ import annotations

from typing import Any

import yaml

from policycheck.errors import Location, Problem

#: libyaml's parser (``CSafeLoader``) when the wheel ships it, the pure-Python one otherwise.
SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Upper bounds that keep a hostile document from exhausting memory.
MAX_EXPANDED = 1_000_000
MAX_DEPTH = 64
#: libyaml's composer recurses in C once per nesting level and overflows the stack (a
#: segfault, not an exception) somewhere past 10,000 levels: a document that could nest
#: deeper than this is first measured from its flat event stream, before it is composed.
COMPOSE_SAFE_DEPTH = 1000


def mark(node: yaml.Node) -> tuple[int, int]:
    """Where a node starts: 1-based line and column."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def shape_problem(node: yaml.Node, path: str) -> Problem | None:
    """Refuse a document nested deeper than MAX_DEPTH, or one whose aliases would expand it
    past MAX_EXPANDED nodes ("billion laughs"). The composed graph shares aliased nodes, so
    the expanded size is summed once per node, without recursion or expansion."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    while stack:
        current, depth, children_done = stack.pop()
        if id(current) in size:
            continue
        if depth > MAX_DEPTH:
            line, col = mark(current)
            return Problem(Location(path, "", line, col),
                           f"document nests deeper than {MAX_DEPTH} levels", "yaml-too-deep")
        children = _children(current)
        if not children_done:
            stack.append((current, depth, True))
            stack.extend((child, depth + 1, False) for child in children if id(child) not in size)
            continue
        total = 1 + sum(size.get(id(child), 1) for child in children)
        if total > MAX_EXPANDED:
            line, col = mark(current)
            return Problem(Location(path, "", line, col),
                           f"aliases expand this document past {MAX_EXPANDED:,} values; "
                           "refusing it", "yaml-alias-bomb")
        size[id(current)] = total
    return None


def nesting_bound(text: str) -> int:
    """An upper bound on the nesting depth of a document, cheap to compute: a block
    collection nested in another starts at a greater column (a sequence may share its key's
    column once), a flow collection opens with a bracket."""
    longest = max((len(line) for line in text.splitlines()), default=0)
    return 2 * longest + text.count("[") + text.count("{") + 2


def event_depth_problem(text: str, path: str) -> Problem | None:
    """Refuse a document nested deeper than MAX_DEPTH, read as a flat stream of events
    (the parsers keep their own stack, so this cannot overflow). libyaml (as bundled with
    PyYAML 6.0.4) stops at 1,000 levels of flow nesting with an error of its own, before
    the 65th level is reached as an event: such a document is read again with the
    pure-Python parser, so that the answer and its place do not depend on the build."""
    try:
        return _scan_depth(SAFE_LOADER(text), path)
    except yaml.YAMLError as exc:
        if "maximum nesting depth" not in str(exc):
            raise
        return _scan_depth(yaml.SafeLoader(text), path)


def _scan_depth(parser: Any, path: str) -> Problem | None:
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
                    return Problem(Location(path, "", line, col),
                                   f"document nests deeper than {MAX_DEPTH} levels",
                                   "yaml-too-deep")
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    finally:
        parser.dispose()
    return None
