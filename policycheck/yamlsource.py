"""Reading YAML safely, remembering where every mapping, key and list item came from.

PyYAML's libyaml parser (``CSafeLoader``) is used when the wheel ships it, the pure-Python
safe loader otherwise. Only the safe constructors exist: a ``!!python/...`` or any other
object tag is an error, never an object. Mappings come back as ``LocatedMap`` (a dict that
knows its own position and the position of each key) and sequences as ``LocatedList``.
Duplicate keys, which PyYAML would silently resolve to the last value, are reported.

A plain document is built straight from the parser's events (``yamlfast``), any other the
general way (``yamlloader``), its bounds measured first (``yamlbounds``); this module decodes
the bytes and says each problem at its place.
"""

from __future__ import annotations

import codecs
from typing import Any

import yaml

from policycheck.errors import Location, Problem
from policycheck.limits import fallback_encoding
from policycheck.yamlbounds import (
    COMPOSE_SAFE_DEPTH,
    MAX_DEPTH,
    MAX_EXPANDED,
    event_depth_problem,
    nesting_bound,
    shape_problem,
)
from policycheck.yamlfast import FastBuilder, Unusual, plain_text
from policycheck.yamlloader import (
    BaseLoader,
    LocatedList,
    LocatedMap,
    LocatingLoader,
    SeparatedNumber,
    separated_number,
)

__all__ = ["COMPOSE_SAFE_DEPTH", "MAX_DEPTH", "MAX_EXPANDED", "BaseLoader", "LocatedList",
           "LocatedMap", "LocatingLoader", "SeparatedNumber", "decode", "load_yaml",
           "separated_number"]


def load_yaml(text: str, path: str, as_written: bool = False) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; return the data (None on failure) and the problems.

    ``as_written`` (plan data, KPI catalogs, waivers): a plain number that YAML 1.1 would
    not read as written is its text, which validation reads as it reads a table cell, so
    that ``id: 010`` is the plan '010' (not '8'), ``version: 1.10`` is '1.10', ``target:
    010`` is 10 as in a CSV file, and ``target: 5:30`` is refused (not the base-60 330); one
    with digit separators (``32_000``) is a ``SeparatedNumber``, the text a number field
    reads as YAML's number."""
    if plain_text(text):
        loader = LocatingLoader(text, path, as_written)
        try:
            return FastBuilder(loader).document(), loader.problems
        except yaml.MarkedYAMLError as exc:
            # The general way meets the same error at the same event: nothing before it
            # sent the document that way. libyaml's scanner refuses 1,000 levels of flow
            # nesting before the 65th is an event: that is the general way's to measure.
            if "maximum nesting depth" not in str(exc):
                return None, [_syntax_problem(exc, path, text)]
        except (Unusual, yaml.YAMLError):
            pass  # read again below, the general way, for the exact problems
        finally:
            loader.dispose()
    loader = LocatingLoader(text, path, as_written)
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
