"""Reading YAML safely, remembering where every mapping, key and list item came from.

PyYAML's libyaml parser (``CSafeLoader``) is used when the wheel ships it, the pure-Python
safe loader otherwise. Only the safe constructors exist: a ``!!python/...`` or any other
object tag is an error, never an object. Mappings come back as ``LocatedMap`` (a dict that
knows its own position and the position of each key) and sequences as ``LocatedList``.
Duplicate keys, which PyYAML would silently resolve to the last value, are reported.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Hashable
from typing import Any

import yaml

from policycheck.errors import Location, Problem
from policycheck.limits import fallback_encoding
from policycheck.yamlbounds import (
    COMPOSE_SAFE_DEPTH,
    MAX_DEPTH,
    MAX_EXPANDED,
    SAFE_LOADER,
    event_depth_problem,
    mark,
    nesting_bound,
    shape_problem,
)

__all__ = ["COMPOSE_SAFE_DEPTH", "MAX_DEPTH", "MAX_EXPANDED", "LocatedList", "LocatedMap",
           "decode", "load_yaml"]

_BaseLoader: type = SAFE_LOADER

class LocatedMap(dict):
    """A mapping with the 1-based (line, column) of itself and of each key."""

    start: tuple[int, int] = (0, 0)
    end: tuple[int, int] = (0, 0)
    key_positions: dict[Hashable, tuple[int, int]]

    def position(self, key: Hashable) -> tuple[int, int]:
        return self.key_positions.get(key, self.start)


class LocatedList(list):
    """A sequence with the 1-based (line, column) of itself and of each item."""

    start: tuple[int, int] = (0, 0)
    item_positions: list[tuple[int, int]]

    def position(self, index: int) -> tuple[int, int]:
        if 0 <= index < len(self.item_positions):
            return self.item_positions[index]
        return self.start


#: Plain scalar text to its resolved tag (for plan data, read as written: ``_WRITTEN_TAGS``),
#: and (tag, text) to its value for the immutable non-text scalars: plan files repeat the
#: same few hundred texts thousands of times.
_PLAIN_TAGS: dict[str, str] = {}
_WRITTEN_TAGS: dict[str, str] = {}
_SCALAR_VALUES: dict[tuple[str, str], Any] = {}
_MEMO_SIZE = 100_000
#: Texts longer than this are not memoised: the memos outlive a load.
_MEMO_TEXT = 64
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _written_differs(text: str, tag: str) -> bool:
    """Whether a plain number or date-time would not read as written: YAML 1.1 makes ``010``
    the octal 8, ``0x1F`` 31, ``1:20`` the base-60 80 and ``1_000`` 1000 (YAML 1.2 reads 10
    and 31, and the last two as text), a number loses the way it was written (``1.50``,
    ``2.0e+3``, ``+5``) and a date-time its own (``2027-01-01T00:00:00Z``: date fields read
    it as a table cell, text fields keep it). A number field reads digit separators back
    (``separated_number``: ``32_000`` is 32000), and ``.inf`` and ``.nan`` stay numbers,
    which validation refuses. A date alone (``2027-01-01``) reads as written."""
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
    (``32_000``, ``1_0.5``), or None. Read as written such a number is text, which a text
    field keeps (``id: 1_000`` is the plan '1_000', not '1000'); a number field takes this
    number (``base_pay: 32_000`` is 32000, as whoever wrote it meant), where it would read
    the text as a table cell and refuse it."""
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


class _LocatingLoader(_BaseLoader):
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
                    tag = _STR
                if len(value) <= _MEMO_TEXT:  # long texts repeat rarely: not kept
                    if len(tags) >= _MEMO_SIZE:
                        tags.clear()  # a bound on memory for inputs of many texts
                    tags[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def construct_located_map(self, node: yaml.MappingNode) -> Any:
        data = LocatedMap()
        data.start = mark(node)
        data.end = node.end_mark.line + 1, node.end_mark.column + 1
        data.key_positions = {}
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
                line, col = mark(key_node)
                first = data.key_positions[key]
                self.problems.append(Problem(
                    Location(self.path, "", line, col),
                    f"duplicate key '{key}' (first at line {first[0]}); "
                    "expected each key once in a mapping",
                    "duplicate-key"))
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

    def construct_checked_int(self, node: yaml.ScalarNode) -> Any:
        """A number-shaped value PyYAML cannot read (``0b_``, ``0x_``: its pattern allows
        underscores alone) stays text, like a date that is no date; it raised ValueError."""
        try:
            return self.construct_yaml_int(node)
        except ValueError:
            return self.construct_scalar(node)


_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _LocatingLoader.construct_located_map)
_LocatingLoader.add_constructor(_TIMESTAMP,
                                _LocatingLoader.construct_checked_timestamp)
_LocatingLoader.add_constructor("tag:yaml.org,2002:seq", _LocatingLoader.construct_located_list)
_LocatingLoader.add_constructor("tag:yaml.org,2002:int", _LocatingLoader.construct_checked_int)


#: Documents up to this size without anchors, aliases, tags or merge keys are built by
#: ``_FastBuilder``. Without aliases a document expands to no more values than it has
#: nodes, and it has fewer nodes than characters, so it is far below MAX_EXPANDED.
FAST_MAX_CHARS = MAX_EXPANDED // 4


def _plain_text(text: str) -> bool:
    """No character that could start an anchor, alias, tag or merge key (a conservative
    test: a quoted '*' or '!' only sends the document the general way)."""
    return (len(text) <= FAST_MAX_CHARS and "&" not in text and "*" not in text
            and "!" not in text and "<<" not in text)


class _Unusual(Exception):
    """Met something the fast builder leaves to the general one (a duplicate or non-plain
    key, a tag without a safe constructor, nesting past MAX_DEPTH)."""


class _FastBuilder:
    """Located containers built straight from the parser's events of a plain document, with
    the safe loader's own scalar constructors: the same values and positions as
    ``_LocatingLoader``, which composes every node first and runs it through PyYAML's
    generic, generator-based construction and a separate walk for the alias and depth
    bounds. No node is made: a node graph of a file of 100 plans is several MB, and
    walking it after composing it cost about as much again as parsing (measured, per 100
    plans: 44 ms composed and built against 26 ms from the events; one-plan files 23 against
    20 ms)."""

    def __init__(self, loader: _LocatingLoader) -> None:
        self.loader = loader
        self.known_tag = loader.tags.get
        # events as Any: the stubs make every mark optional, and a parsed event has both
        self.next_event: Callable[[], Any] = loader.get_event
        self.constructors: dict[str, Any] = {
            "tag:yaml.org,2002:null": loader.construct_yaml_null,
            "tag:yaml.org,2002:bool": loader.construct_yaml_bool,
            "tag:yaml.org,2002:int": loader.construct_checked_int,
            "tag:yaml.org,2002:float": loader.construct_yaml_float,
            "tag:yaml.org,2002:timestamp": loader.construct_checked_timestamp,
        }

    def document(self) -> Any:
        """The value of the stream's single document; None for a stream without one."""
        next_event = self.next_event
        if next_event().__class__ is not yaml.StreamStartEvent:
            raise _Unusual
        event = next_event()
        if event.__class__ is yaml.StreamEndEvent:
            return None
        if event.__class__ is not yaml.DocumentStartEvent:
            raise _Unusual
        value = self.build(next_event(), 1)
        if next_event().__class__ is not yaml.DocumentEndEvent:
            raise _Unusual
        if next_event().__class__ is not yaml.StreamEndEvent:
            raise _Unusual  # a second document: the general way says so
        return value

    def scalar(self, event: Any) -> Any:
        """A scalar's value: its text, or the constructed (immutable, so shared) value.
        Its tag is the composer's: a plain scalar's is resolved from its text, any other
        (quoted, literal or folded) is text, since a plain document writes no tags."""
        text = event.value
        if not event.implicit[0]:
            return text
        tag = self.known_tag(text) or self.loader.resolve(yaml.ScalarNode, text,
                                                          event.implicit)
        if tag == _STR:
            return text  # what the safe loader's construct_yaml_str returns
        memo = (tag, text)
        value = _SCALAR_VALUES.get(memo, _SCALAR_VALUES)
        if value is _SCALAR_VALUES:
            construct = self.constructors.get(tag)
            if construct is None:
                raise _Unusual
            try:
                value = construct(yaml.ScalarNode(tag, text, event.start_mark,
                                                  event.end_mark, event.style))
            except Exception as exc:  # e.g. ValueError on `0b_`: the general way says it
                raise _Unusual from exc
            if len(text) <= _MEMO_TEXT:
                if len(_SCALAR_VALUES) >= _MEMO_SIZE:
                    _SCALAR_VALUES.clear()
                _SCALAR_VALUES[memo] = value
        return value

    def build(self, event: Any, depth: int) -> Any:
        """The value that starts with ``event`` at ``depth`` (the document is 1), as deep as
        MAX_DEPTH; its events are read up to its end."""
        if depth > MAX_DEPTH:
            raise _Unusual
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            return self.scalar(event)
        if kind is yaml.MappingStartEvent:
            return self.build_map(event, depth)
        if kind is yaml.SequenceStartEvent:
            items = LocatedList()
            items.start = mark(event)
            positions: list[tuple[int, int]] = []
            items.item_positions = positions
            next_event = self.next_event
            while (item := next_event()).__class__ is not yaml.SequenceEndEvent:
                positions.append((item.start_mark.line + 1, item.start_mark.column + 1))
                items.append(self.build(item, depth + 1))
            return items
        raise _Unusual  # an alias

    def build_map(self, event: Any, depth: int) -> LocatedMap:
        data = LocatedMap()
        data.start = mark(event)
        positions: dict[Hashable, tuple[int, int]] = {}
        data.key_positions = positions
        next_event, scalar_event = self.next_event, yaml.ScalarEvent
        while (key_event := next_event()).__class__ is not yaml.MappingEndEvent:
            if key_event.__class__ is not scalar_event or depth + 1 > MAX_DEPTH:
                raise _Unusual  # a key that is not plain, or nesting too deep
            key = self.scalar(key_event) if key_event.implicit[0] else key_event.value
            if key in data:
                raise _Unusual  # a duplicate: reported by the general builder
            value_event = next_event()
            if value_event.__class__ is scalar_event:
                data[key] = self.scalar(value_event) if value_event.implicit[0] else \
                    value_event.value
            else:
                data[key] = self.build(value_event, depth + 1)
            start: Any = key_event.start_mark  # the stubs make a mark optional
            positions[key] = start.line + 1, start.column + 1
        end: Any = key_event.end_mark
        data.end = end.line + 1, end.column + 1
        return data


def load_yaml(text: str, path: str, as_written: bool = False) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; return the data (None on failure) and the problems.

    ``as_written`` (plan data, KPI catalogs, waivers): a plain number that YAML 1.1 would
    not read as written is its text, which validation reads as it reads a table cell, so
    that ``id: 010`` is the plan '010' (not '8'), ``version: 1.10`` is '1.10', ``target:
    010`` is 10 as in a CSV file, and ``target: 5:30`` is refused (not the base-60 330)."""
    if _plain_text(text):
        loader = _LocatingLoader(text, path, as_written)
        try:
            return _FastBuilder(loader).document(), []
        except (_Unusual, yaml.YAMLError):
            pass  # read again below, the general way, for the exact problems
        finally:
            loader.dispose()
    loader = _LocatingLoader(text, path, as_written)
    try:
        if nesting_bound(text) > COMPOSE_SAFE_DEPTH:
            deep = event_depth_problem(text, path)
            if deep is not None:
                return None, [deep]
        node = loader.get_single_node()
        if node is None:
            return None, loader.problems
        deep = shape_problem(node, path)
        if deep is not None:
            return None, [deep]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, path, text)]
    except yaml.YAMLError as exc:
        return None, [Problem(Location(path), _strip_path(str(exc), path), "yaml-syntax")]
    except RecursionError:
        return None, [Problem(Location(path), f"document nests deeper than {MAX_DEPTH} levels",
                              "yaml-too-deep")]
    finally:
        loader.dispose()
    return data, loader.problems


def decode(data: bytes, shown: str, problems: list[Problem], table: bool = False) -> str | None:
    """UTF-8 text, with or without a byte-order mark, or UTF-16 with one (Excel's "Unicode
    Text", some HR systems' exports; the mark says which it is); text that is not UTF-8 is
    read in the ``fallback_encoding`` when one is named. A clear problem otherwise, naming
    the line of a byte that is not UTF-8 and what it would be in Windows-1252, the encoding
    of a ``table`` saved by Excel as plain "CSV" in western Europe and America."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
        and not data.startswith(codecs.BOM_UTF32_LE)
    fallback = "" if utf16 or data.startswith(codecs.BOM_UTF8) else fallback_encoding()
    if fallback and b"\x00" in data[:4096]:  # UTF-16 without its mark, named so
        return _decode_in(data, fallback, shown, problems)
    if not utf16 and b"\x00" in data[:4096]:
        problems.append(Problem(Location(shown), "file is UTF-16 without a byte-order mark, "
                                "or binary: expected UTF-8 text", "encoding"))
        return None
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as exc:
        if utf16:
            return _decode_in(data, "utf-16", shown, problems)
        if fallback:
            return _decode_in(data, fallback, shown, problems)
        byte = data[exc.start]
        line = data[: exc.start].count(b"\n") + 1
        try:
            western = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d: none in Windows-1252
            western = ""
        known = western.isprintable() and western
        what = f" ('{western}' in Windows-1252)" if known else ""
        how = " (in Excel: Save As, 'CSV UTF-8')" if table else ""
        name = "cp1252" if known else "NAME"
        problems.append(Problem(Location(shown, "", line), f"invalid UTF-8 byte 0x{byte:02x}"
                                f"{what}: expected UTF-8 text; save the file as UTF-8{how}, "
                                f"or name its encoding (policycheck --encoding {name}, or "
                                f"encoding: {name} in policycheck.yaml)", "encoding"))
        return None


def _decode_in(data: bytes, encoding: str, shown: str, problems: list[Problem]) -> str | None:
    """``data`` decoded in ``encoding``; None, with the line of the first byte it does not
    hold said, where it fails."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].decode(encoding, errors="replace").count("\n") + 1
        expected = "UTF-16 text" if encoding == "utf-16" else f"UTF-8 or {encoding} text"
        span = data[exc.start:exc.end]  # a UTF-16 unit is two bytes
        bad = f"byte 0x{span[0]:02x}" if len(span) == 1 else f"bytes {span.hex(' ')}"
        problems.append(Problem(Location(shown, "", line), f"invalid {bad} for {encoding}: "
                                f"expected {expected}", "encoding"))
        return None


def _strip_path(message: str, path: str) -> str:
    prefix = f"{path}:"
    if message.startswith(prefix):
        return message.split(": ", 1)[1] if ": " in message else message
    return message


def _syntax_problem(exc: yaml.MarkedYAMLError, path: str, text: str) -> Problem:
    """The parser's complaint, at its place; a tab where it stopped is named as such, since
    libyaml's words for it ("found character that cannot start any token") never say so
    and a tab is the commonest slip of a hand-edited file."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return Problem(Location(path, "", line, col), f"YAML syntax error: a tab at {line}:"
                       f"{col}; YAML indents with spaces only", "yaml-syntax")
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "; ".join(parts) if parts else "invalid YAML"
    if "could not determine a constructor" in message:
        message = (f"{message.split(' for the tag ')[0]} for tag "
                   f"{message.split(' for the tag ')[-1]}; only plain YAML values are allowed")
    return Problem(Location(path, "", line, col), f"YAML syntax error: {message}", "yaml-syntax")
