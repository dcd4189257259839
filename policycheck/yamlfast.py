"""The fast way of reading a plain YAML document: located containers built straight from the
parser's events, with no node graph (``FastBuilder``).

A document with no character that could start an anchor, alias, tag or merge key takes it
(``plain_text``); anything it leaves to the general way (``yamlloader.LocatingLoader``)
raises ``Unusual``, and ``yamlsource.load_yaml`` reads the document again that way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from policycheck.yamlbounds import MAX_DEPTH
from policycheck.yamlloader import (
    MEMO_SIZE,
    MEMO_TEXT,
    SCALAR_VALUES,
    SEPARATED_TAG,
    STR_TAG,
    LocatedList,
    LocatedMap,
    LocatingLoader,
    duplicate_key,
)

#: What comes before an anchor, alias or tag, past spaces: a line's start, or a character
#: after which a node can start. '&' inside a name ("R&D", "Sales & Service") is text.
_NODE_START = frozenset(":-?[{,\n\r")


def plain_text(text: str) -> bool:
    """No anchor, alias, tag (``&``, ``*``, ``!`` where a node can start) or merge key
    (``<<``) seems to be written: the document is read the fast way. A cheap guess, not the
    guard: ``FastBuilder`` itself leaves to the general way every anchor, alias, tag and
    merge key it meets, whatever the guess. Each character is found by ``str.find`` (a
    regular expression took 0.28 s over 11 MB, ``find`` 0.01 s). Without those a document,
    whatever its length, holds no more values than it has nodes and fewer nodes than
    characters: the file size limit bounds it as it bounds the general way, and ``build``
    bounds its depth."""
    if "<<" in text:
        return False
    for char in "&*!":
        at = text.find(char)
        while at >= 0:
            before = at - 1
            while before >= 0 and text[before] in " \t":
                before -= 1
            if before < 0 or text[before] in _NODE_START:
                return False
            at = text.find(char, at + 1)
    return True


class Unusual(Exception):
    """Met something the fast builder leaves to the general one (an anchor, an alias, a
    tag written or resolved without a safe constructor, a merge key, a key that is not
    plain or not equal to itself, nesting past MAX_DEPTH, a second document)."""


class FastBuilder:
    """Located containers built straight from the parser's events of a plain document, with
    the safe loader's own scalar constructors: the same values, positions and problems as
    ``LocatingLoader``, which composes every node first and runs it through PyYAML's
    generic, generator-based construction and a separate walk for the alias and depth
    bounds. No node is made: a node graph of a file of 100 plans is several MB, and
    walking it after composing it cost about as much again as parsing (measured, per 100
    plans: 44 ms composed and built against 26 ms from the events; one-plan files 23 against
    20 ms; a file of 7,000 plans, 11 MB: 13 s and 670 MB against 1.9 s and 120 MB).

    A key written twice is reported as the general way reports it, and the value after it
    is read past unbuilt, as the general way leaves it. A short text is one object however
    often it is written (keys, and values such as ``quarter``), and a block mapping in a
    list shares one position tuple with its item and its first key: a document is built
    whole, so what each value costs is what a large file costs."""

    def __init__(self, loader: LocatingLoader) -> None:
        self.loader = loader
        self.known_tag = loader.tags.get
        # events as Any: the stubs make every mark optional, and a parsed event has both
        self.next_event: Callable[[], Any] = loader.get_event
        self.texts: dict[str, str] = {}
        self.constructors: dict[str, Any] = {
            "tag:yaml.org,2002:null": loader.construct_yaml_null,
            "tag:yaml.org,2002:bool": loader.construct_yaml_bool,
            "tag:yaml.org,2002:int": loader.construct_checked_int,
            "tag:yaml.org,2002:float": loader.construct_yaml_float,
            "tag:yaml.org,2002:timestamp": loader.construct_checked_timestamp,
            SEPARATED_TAG: loader.construct_separated_number,
        }

    def document(self) -> Any:
        """The value of the stream's single document; None for a stream without one."""
        next_event = self.next_event
        if next_event().__class__ is not yaml.StreamStartEvent:
            raise Unusual
        event = next_event()
        if event.__class__ is yaml.StreamEndEvent:
            return None
        if event.__class__ is not yaml.DocumentStartEvent:
            raise Unusual
        event = next_event()
        value = self.build(event, 1, (event.start_mark.line + 1, event.start_mark.column + 1))
        if next_event().__class__ is not yaml.DocumentEndEvent:
            raise Unusual
        if next_event().__class__ is not yaml.StreamEndEvent:
            raise Unusual  # a second document: the general way says so
        return value

    def scalar(self, event: Any) -> Any:
        """A scalar's value: its text, or the constructed value. Its tag is the composer's:
        a plain scalar's is resolved from its text, any other (quoted, literal or folded)
        is text, since a plain document writes no tags."""
        if event.anchor is not None:
            raise Unusual  # the general way's composer checks anchors (written twice)
        text = event.value
        if event.implicit[0]:
            tag = self.known_tag(text) or self.loader.resolve(yaml.ScalarNode, text,
                                                              event.implicit)
            if tag != STR_TAG:
                return self.constructed(tag, text, event)
        elif event.tag is not None:
            raise Unusual  # a tag written on it: the general way constructs or refuses it
        if len(text) > MEMO_TEXT:
            return text  # what the safe loader's construct_yaml_str returns
        texts = self.texts  # one object for each short text: keys, `quarter`, `team`
        if len(texts) >= MEMO_SIZE:
            texts.clear()  # a bound on memory for inputs of many texts
        return texts.setdefault(text, text)

    def constructed(self, tag: str, text: str, event: Any) -> Any:
        """The value of a plain scalar of ``tag`` (not text), memoised: it is immutable."""
        memo = (tag, text)
        value = SCALAR_VALUES.get(memo, SCALAR_VALUES)
        if value is SCALAR_VALUES:
            construct = self.constructors.get(tag)
            if construct is None:
                raise Unusual
            try:
                value = construct(yaml.ScalarNode(tag, text, event.start_mark,
                                                  event.end_mark, event.style))
            except Exception as exc:  # e.g. ValueError on `0b_`: the general way says it
                raise Unusual from exc
            if len(text) <= MEMO_TEXT:
                if len(SCALAR_VALUES) >= MEMO_SIZE:
                    SCALAR_VALUES.clear()
                SCALAR_VALUES[memo] = value
        return value

    def build(self, event: Any, depth: int, start: tuple[int, int]) -> Any:
        """The value that starts with ``event`` at ``start``, at ``depth`` (the document is
        1), as deep as MAX_DEPTH; its events are read up to its end."""
        if depth > MAX_DEPTH:
            raise Unusual
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            return self.scalar(event)
        if kind is yaml.AliasEvent or event.anchor is not None or not event.implicit:
            raise Unusual  # an alias, an anchor, or a tag written on a collection
        if kind is yaml.MappingStartEvent:
            return self.build_map(event, depth, start)
        if kind is yaml.SequenceStartEvent:
            return self.build_list(depth, start)
        raise Unusual  # an alias

    def build_list(self, depth: int, start: tuple[int, int]) -> LocatedList:
        items = LocatedList()
        items.start = start
        positions = items.item_positions
        next_event = self.next_event
        while (item := next_event()).__class__ is not yaml.SequenceEndEvent:
            at = item.start_mark
            position = at.line + 1, at.column + 1
            positions.append(position)
            items.append(self.build(item, depth + 1, position))
        return items

    def build_map(self, event: Any, depth: int, start: tuple[int, int]) -> LocatedMap:
        data = LocatedMap()
        data.start = start
        positions = data.key_positions
        here = event.start_mark.index  # where a block mapping's first key starts too
        next_event, scalar_event = self.next_event, yaml.ScalarEvent
        while (key_event := next_event()).__class__ is not yaml.MappingEndEvent:
            if key_event.__class__ is not scalar_event or depth + 1 > MAX_DEPTH:
                raise Unusual  # a key that is not plain, or nesting too deep
            key = self.scalar(key_event)
            at: Any = key_event.start_mark  # the stubs make a mark optional
            position = start if at.index == here else (at.line + 1, at.column + 1)
            value_event = next_event()
            if key in data:
                if key != key:  # NaN, shared by the memo; the general way makes one a key
                    raise Unusual
                self.loader.problems.append(
                    duplicate_key(self.loader.path, key, position, positions[key]))
                self.skip(value_event, depth + 1)
                continue
            if value_event.__class__ is scalar_event:
                data[key] = self.scalar(value_event)
            else:
                at = value_event.start_mark
                data[key] = self.build(value_event, depth + 1, (at.line + 1, at.column + 1))
            positions[key] = position
        end: Any = key_event.end_mark
        data.end = end.line + 1, end.column + 1
        return data

    def skip(self, event: Any, depth: int) -> None:
        """Read past the value that starts with ``event``, unbuilt, bounding its depth as
        ``build`` does: the general way measures every node, built or not."""
        if depth > MAX_DEPTH or event.anchor is not None:
            raise Unusual
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            return
        if kind is yaml.MappingStartEvent:
            end: type = yaml.MappingEndEvent
        elif kind is yaml.SequenceStartEvent:
            end = yaml.SequenceEndEvent
        else:
            raise Unusual  # an alias
        next_event = self.next_event
        while (child := next_event()).__class__ is not end:
            self.skip(child, depth + 1)
