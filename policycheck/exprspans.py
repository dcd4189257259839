"""Where the text of a rule's expression is in its file.

A long condition is written over several lines (a folded ``>-`` block, as the default pack
writes them), which YAML reads as one line. A problem found in it was said at its key's line,
with the caret under the joined text; with the lines it came from, the problem is said at its
own line and column, under the line as written. ``spans`` finds those lines and checks that
they join to the expression read: where they do not (a quoted scalar with escapes, a kept
blank line), there are none, and the key's own place is said as before.
"""

from __future__ import annotations

from collections.abc import Sequence

#: A line of an expression in its file: (line, column) where its text starts, and the offset
#: of that text in the expression.
Span = tuple[int, int, int]


def spans(lines: Sequence[str], key_at: tuple[int, int], source: str) -> tuple[Span, ...]:
    """The lines of ``lines`` (a file's, without their ends) that hold ``source``, the
    value of the key at ``key_at`` (1-based line and column)."""
    line, column = key_at
    if not source or not 0 < line <= len(lines):
        return ()
    header = lines[line - 1]
    colon = header.find(":", column - 1)
    if colon < 0:
        return ()
    rest = header[colon + 1:].strip()
    if rest and rest[0] not in ">|":  # on the key's own line, quoted or not
        found = header.find(source, colon + 1)
        return ((line, found + 1, 0),) if found >= 0 else ()
    parts = []
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1]
        indent = len(text) - len(text.lstrip(" "))
        if not text.strip() or indent < column:  # a block ends where its indent does
            break
        parts.append((number, indent + 1, text.strip()))
    joiner = "\n" if rest.startswith("|") else " "
    if joiner.join(text for _, _, text in parts) != source:
        return ()
    out, offset = [], 0
    for number, start, text in parts:
        out.append((number, start, offset))
        offset += len(text) + 1
    return tuple(out)


def place(found: Sequence[Span], offset: int) -> tuple[int, int] | None:
    """The (line, column) in the file of the character at ``offset`` of the expression."""
    at = None
    for span in found:
        if span[2] <= offset:
            at = span
    return None if at is None else (at[0], at[1] + offset - at[2])


def as_written(source: str, found: Sequence[Span]) -> str:
    """``source`` broken where its file breaks it (the same length, so the same offsets):
    a caret under it is under the line as written."""
    if len(found) < 2:
        return source
    cuts = [offset for _, _, offset in found[1:]]
    chars = list(source)
    for cut in cuts:
        chars[cut - 1] = "\n"
    return "".join(chars)
