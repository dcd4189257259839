"""The general way of reading YAML: PyYAML's safe loader, building located containers.

``LocatedMap`` (a dict that knows its own position and the position of each key) and
``LocatedList`` are what every YAML input becomes. ``LocatingLoader`` composes the node graph
and builds them, resolving each distinct plain text's tag once, reading a number as written
where plan data asks (``as_written``: a plain number with digit separators is a
``SeparatedNumber``) and reporting duplicate keys; ``yamlfast`` builds the same containers
straight from the parser's events where a document allows it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

from policycheck.errors import Location, Problem
from policycheck.yamlbounds import SAFE_LOADER, mark

BaseLoader: type = SAFE_LOADER

class LocatedMap(dict):
    """A mapping with the 1-based (line, column) of itself and of each key. Slots, not an
    instance dictionary: a file of 7,000 plans makes some 120,000 located containers."""

    __slots__ = ("end", "key_positions", "start")
    start: tuple[int, int]
    end: tuple[int, int]
    key_positions: dict[Hashable, tuple[int, int]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start = self.end = (0, 0)
        self.key_positions = {}

    def position(self, key: Hashable) -> tuple[int, int]:
        return self.key_positions.get(key, self.start)


class LocatedList(list):
    """A sequence with the 1-based (line, column) of itself and of each item."""

    __slots__ = ("item_positions", "start")
    start: tuple[int, int]
    item_positions: list[tuple[int, int]]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.start = (0, 0)
        self.item_positions = []

    def position(self, index: int) -> tuple[int, int]:
        if 0 <= index < len(self.item_positions):
            return self.item_positions[index]
        return self.start


#: Plain scalar text to its resolved tag (for plan data, read as written: ``_WRITTEN_TAGS``),
#: and (tag, text) to its value for the immutable non-text scalars: plan files repeat the
#: same few hundred texts thousands of times.
_PLAIN_TAGS: dict[str, str] = {}
_WRITTEN_TAGS: dict[str, str] = {}
SCALAR_VALUES: dict[tuple[str, str], Any] = {}
MEMO_SIZE = 100_000
#: Texts longer than this are not memoised: the memos outlive a load.
MEMO_TEXT = 64
STR_TAG = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
#: The tag ``LocatingLoader`` resolves, read as written, for a plain decimal number written
#: with digit separators (``32_000``): its own, as no YAML tag says "a number, kept as text".
SEPARATED_TAG = "tag:policycheck,2027:separated-number"


class SeparatedNumber(str):
    """A plain number written with digit separators (``base_pay: 32_000``) in plan data, kept
    as the text written (``separated_number`` gives its number). It is YAML's own way of
    writing a number, which a number field reads (32000); a text field keeps the text
    (``id: 1_000`` is the plan '1_000'). Quoted (``"32_000"``) it is plain text, which a
    number field reads as it reads a table cell, and refuses. ``documents`` makes each one
    the number or the plain text its field reads, so that no record holds one."""

    __slots__ = ()


def _written_differs(text: str, tag: str) -> bool:
    """Whether a plain number or date-time would not read as written: YAML 1.1 makes ``010``
    the octal 8, ``0x1F`` 31, ``1:20`` the base-60 80 and ``1_000`` 1000 (YAML 1.2 reads 10
    and 31, and the last two as text), a number loses the way it was written (``1.50``,
    ``2.0e+3``, ``+5``) and a date-time its own (``2027-01-01T00:00:00Z``: date fields read
    it as a table cell, text fields keep it). A decimal number with digit separators is a
    ``SeparatedNumber``, whose number a number field reads (``32_000`` is 32000), and
    ``.inf`` and ``.nan`` stay numbers, which validation refuses. A date alone
    (``2027-01-01``) reads as written."""
    if tag == _TIMESTAMP:
        return len(text) > len("YYYY-MM-DD")
    if tag not in (_INT, _FLOAT):
        return False
    if _other_notation(text, tag) or "_" in text:
        return True
    digits = text.lstrip("+-")
    if "inf" in digits.lower() or "nan" in digits.lower():
        return False
    try:
        return str(int(text) if tag == _INT else float(text)) != text  # +5, -0, 1.50
    except ValueError:  # not a number Python reads: not one its value gives back either
        return True


def _other_notation(text: str, tag: str) -> bool:
    """A base-60 number, or an integer in octal, hex or binary (a leading zero)."""
    digits = text.lstrip("+-")
    return ":" in text or (tag == _INT and len(digits) > 1 and digits[0] == "0")


#: YAML 1.1's resolver of plain scalars, as the safe loaders use it.
_RESOLVER = yaml.resolver.Resolver()


def separated_number(text: str) -> int | float | None:
    """The number YAML 1.1 reads in a plain decimal ``text`` written with digit separators
    (``32_000``, ``1_0.5``), or None. Read as written such a number is a ``SeparatedNumber``,
    which a text field keeps as its text (``id: 1_000`` is the plan '1_000', not '1000') and
    a number field reads as this number (``base_pay: 32_000`` is 32000, as whoever wrote it
    meant)."""
    if "_" not in text:
        return None
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag not in (_INT, _FLOAT) or _other_notation(text, tag):
        return None
    plain = text.replace("_", "")
    try:
        return int(plain) if tag == _INT else float(plain)
    except ValueError:
        return None


class LocatingLoader(BaseLoader):
    """Safe loader building located containers and collecting duplicate-key problems."""

    def __init__(self, stream: str, path: str, as_written: bool = False) -> None:
        super().__init__(stream)
        self.path = path
        self.problems: list[Problem] = []
        self.as_written = as_written
        self.tags = _WRITTEN_TAGS if as_written else _PLAIN_TAGS

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a node; for a plain scalar it depends on its text alone (no path
        resolvers are registered), so it is looked up once per distinct text: libyaml's
        composer asks for every scalar, and the regular expressions were a fifth of it.
        Read ``as_written``, a number that would not read as written is text."""
        if kind is yaml.ScalarNode and implicit[0]:
            tags = self.tags
            tag = tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if self.as_written and _written_differs(value, tag):
                    tag = SEPARATED_TAG if separated_number(value) is not None else STR_TAG
                if len(value) <= MEMO_TEXT:  # long texts repeat rarely: not kept
                    if len(tags) >= MEMO_SIZE:
                        tags.clear()  # a bound on memory for inputs of many texts
                    tags[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def construct_located_map(self, node: yaml.MappingNode) -> Any:
        data = LocatedMap()
        data.start = mark(node)
        data.end = node.end_mark.line + 1, node.end_mark.column + 1
        yield data
        # Keys written in this mapping override keys merged in with `<<: *defaults` (and an
        # earlier merged mapping overrides a later one); only a key written twice here is a
        # duplicate.
        own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        self.flatten_mapping(node)  # resolves merge keys: merged pairs first, then own pairs
        merged: set[Hashable] = set()
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                line, col = mark(key_node)
                self.problems.append(Problem(
                    Location(self.path, "", line, col),
                    "a mapping key must be a plain value", "yaml-syntax"))
                continue
            if key in merged:  # a merged value: what comes later takes precedence
                if id(key_node) in own:
                    merged.discard(key)
            elif key in data:
                self.problems.append(duplicate_key(self.path, key, mark(key_node),
                                                    data.key_positions[key]))
                continue
            elif id(key_node) not in own:
                merged.add(key)
            data[key] = self.construct_object(value_node, deep=True)
            data.key_positions[key] = mark(key_node)

    def construct_located_list(self, node: yaml.SequenceNode) -> Any:
        data = LocatedList()
        data.start = mark(node)
        data.item_positions = [mark(child) for child in node.value]
        yield data
        data.extend(self.construct_object(child, deep=True) for child in node.value)

    def construct_checked_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date-shaped value that is no date (``2027-02-30``, hour 25) stays text, so that
        validation reports it at its place; PyYAML would raise ValueError. So does a value
        tagged ``!!timestamp`` that is not shaped as one (an offset of ``+05:53:20``):
        PyYAML met it with an AttributeError."""
        if self.timestamp_regexp.match(node.value) is None:
            return self.construct_scalar(node)
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)

    def construct_separated_number(self, node: yaml.ScalarNode) -> Any:
        """A ``SeparatedNumber``, for the plain text resolved ``SEPARATED_TAG`` read as
        written; a value tagged so by hand that is no such number is the text written, and
        the tag is unknown where values are not read as written (a rule pack's)."""
        if not self.as_written:
            return self.construct_undefined(node)
        text = self.construct_scalar(node)
        return SeparatedNumber(text) if separated_number(text) is not None else text

    def construct_checked_int(self, node: yaml.ScalarNode) -> Any:
        """A number-shaped value PyYAML cannot read (``0b_``, ``0x_``: its pattern allows
        underscores alone) stays text, like a date that is no date; it raised ValueError."""
        try:
            return self.construct_yaml_int(node)
        except ValueError:
            return self.construct_scalar(node)


LocatingLoader.add_constructor("tag:yaml.org,2002:map", LocatingLoader.construct_located_map)
LocatingLoader.add_constructor(_TIMESTAMP,
                                LocatingLoader.construct_checked_timestamp)
LocatingLoader.add_constructor("tag:yaml.org,2002:seq", LocatingLoader.construct_located_list)
LocatingLoader.add_constructor("tag:yaml.org,2002:int", LocatingLoader.construct_checked_int)
LocatingLoader.add_constructor(SEPARATED_TAG, LocatingLoader.construct_separated_number)


def duplicate_key(path: str, key: Hashable, at: tuple[int, int],
                   first: tuple[int, int]) -> Problem:
    """The problem of ``key`` written again ``at`` a place, in both ways of building."""
    return Problem(Location(path, "", at[0], at[1]),
                   f"duplicate key '{key}' (first at line {first[0]}); "
                   "expected each key once in a mapping", "duplicate-key", field=str(key))
