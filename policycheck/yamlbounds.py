"""The bounds that keep a hostile YAML document from exhausting memory or the C stack:
nesting depth and what aliases add once expanded, measured before anything is built
(SECURITY.md). A document written out in full is bounded by the file size limit alone.
"""

from __future__ import annotations

from typing import Any

import yaml

from policycheck.errors import Location, Problem

#: libyaml's parser (``CSafeLoader``) when the wheel ships it, the pure-Python one otherwise.
SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Upper bounds that keep a hostile document from exhausting memory: the values its aliases
#: may add once expanded, and its nesting depth.
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
    """Refuse a document nested deeper than MAX_DEPTH, or one whose aliases would add more
    than MAX_EXPANDED values to it once expanded ("billion laughs"). Only what aliases add
    counts: a document without them holds no more values than it has characters, which the
    file size limit bounds, so a large valid file is read (SECURITY.md).

    The composed graph shares an aliased node among its places. Walked depth first, a node
    is taken as written at the place where it is first met and as an alias at each other,
    where it adds its whole expanded size (which place is which changes no total: a
    document without aliases adds nothing). Both sums are kept per node, once, without
    recursion or expansion; the node whose aliases add too much is the one named."""
    expanded: dict[int, int] = {}  # finished nodes: their size once expanded
    sums: dict[int, list[int]] = {}  # nodes being walked: [expanded size, added by aliases]
    stack: list[tuple[yaml.Node, int, int, bool]] = [(node, 1, 0, False)]
    while stack:
        current, depth, parent, done = stack.pop()
        key = id(current)
        if not done and key in expanded:  # an alias
            sums[parent][0] += expanded[key]
            sums[parent][1] += expanded[key]
            continue
        if not done:
            # too deep, or an alias inside its own node: nesting without end
            if depth > MAX_DEPTH or key in sums:
                return _too_deep(current, path)
            sums[key] = [1, 0]
            stack.append((current, depth, parent, True))
            stack.extend((child, depth + 1, key, False) for child in _children(current))
            continue
        size, added = sums.pop(key)
        if added > MAX_EXPANDED:
            line, col = mark(current)
            return Problem(Location(path, "", line, col),
                           f"aliases expand this document past {MAX_EXPANDED:,} values; "
                           "refusing it", "yaml-alias-bomb")
        expanded[key] = size
        if parent in sums:
            sums[parent][0] += size
            sums[parent][1] += added
    return None


def _too_deep(node: yaml.Node, path: str) -> Problem:
    line, col = mark(node)
    return Problem(Location(path, "", line, col),
                   f"document nests deeper than {MAX_DEPTH} levels", "yaml-too-deep")


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
