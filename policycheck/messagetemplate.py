"""A rule's message as a template: its literal text and placeholders as ``string.Formatter``
reads them (and the redaction after it), with where each placeholder is written; why a
placeholder cannot be shown whatever its value; and, for a message the formatter refuses,
which brace is out of place and how to write a literal one. Its own words ("expected '}'
before end of string") say neither."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from policycheck.errors import did_you_mean
from policycheck.expression import ExpressionError
from policycheck.wording import FORMATS, spec_parts


@dataclass(frozen=True)
class Piece:
    """A message's literal text and the placeholder after it (``field`` None: none), as
    ``string.Formatter`` reads them (and redaction after it), with where the placeholder
    is written: from its ``{`` at ``start`` to past its ``}`` at ``end``."""

    literal: str
    field: str | None
    spec: str
    conversion: str | None
    start: int
    end: int


def template_of(message: str) -> list[Piece]:
    """The pieces of a message; ValueError for a brace out of place."""
    pieces, at = [], 0
    for literal, field, spec, conversion in string.Formatter().parse(message):
        at += len(literal) + literal.count("{") + literal.count("}")  # written doubled
        end = at
        if field is not None:  # '{', the field as written, '!' and its letter, ':' and spec
            end = at + 1 + len(field) + 2 * bool(conversion)
            end += (1 + len(spec or "") if message.startswith(":", end) else 0) + 1
        pieces.append(Piece(literal, field, spec or "", conversion, at, end))
        at = end
    return pieces


def refused(written: str, piece: Piece) -> str:
    """Why a placeholder (``written``) cannot be shown whatever its value; '' if it can.
    An empty one and a conversion (``!r``) were taken, and left the value out or quoted
    it as Python does."""
    field = piece.field or ""
    if not field.strip():
        return (f"empty placeholder '{written}': name an evidence value or a field in the "
                "braces, e.g. '{speed:%}'")
    if piece.conversion is not None:
        plain = f"{{{field}{':' * bool(piece.spec)}{piece.spec}}}"
        return (f"conversion '!{piece.conversion}' in '{written}' is not supported; "
                f"write '{plain}'")
    written_format, missing = spec_parts(piece.spec)
    if written_format not in FORMATS:
        return (f"unknown format '{written_format}' for '{field}'; expected one of "
                f"{', '.join(repr(f) for f in FORMATS)}"
                f"{did_you_mean(written_format, FORMATS)}")
    if "{" in missing or "}" in missing:
        return (f"the text of a missing value in '{written}' holds a brace; write it "
                "without one")
    return ""


#: A brace, and a placeholder's field as ``string.Formatter`` reads it: up to a brace, a
#: ':' or a '!', where a '[' hides all up to its ']' (or the end).
_BRACE = re.compile(r"[{}]")
_FIELD = re.compile(r"(?:[^{}:!\[]|\[[^\]]*\]?)*")
#: A conversion as written: its first character, whatever it is, then up to a ':' or '}'.
_CONVERSION = re.compile(r".[^:}]*", re.DOTALL)
#: What a problem quotes of an unclosed placeholder: its '{' and first word, the field
#: its author meant ('{kpi.name' of '{kpi.name gate').
_OPENED = re.compile(r"\{[ \t]*\S*")


def misplaced_brace(message: str) -> ExpressionError | None:
    """Where and why ``string.Formatter`` refuses ``message``, read as it reads it ('{{'
    and '}}' a brace each, '{' opening a placeholder up to its '}'); None if it does not.
    Its own words ("expected '}' before end of string") say neither where the brace is
    nor how to write one in the text."""
    at = 0
    while (brace := _BRACE.search(message, at)) is not None:
        at, char = brace.start(), brace.group()
        if message.startswith(char * 2, at):
            at += 2
        elif char == "}":
            return ExpressionError("'}' closes no placeholder: open one with '{', or write "
                                   "'}}' for a literal brace", at)
        elif isinstance(end := _placeholder_end(message, at), ExpressionError):
            return end
        else:
            at = end
    return None


def _placeholder_end(message: str, start: int) -> int | ExpressionError:
    """Past the '}' that closes the placeholder opened at ``start``; why it cannot be read
    where it does not close (its field ends at the next '{' or the end of the text)."""
    at = _FIELD.match(message, start + 1).end()  # type: ignore[union-attr]  # matches ''
    mark = message[at:at + 1]
    if mark == "}":
        return at + 1
    if mark == "!":
        return _after_conversion(message, start, at)
    end = _spec_end(message, at + 1) if mark == ":" else -1
    return end if end >= 0 else _unclosed(message, start, at if mark == "{" else len(message))


def _after_conversion(message: str, start: int, bang: int) -> int | ExpressionError:
    """Past the '}' of a placeholder with a conversion ('!' at ``bang``); a conversion
    longer than a letter is refused as '!r' is ('{v!rx}' fails the formatter's reading)."""
    conversion = _CONVERSION.match(message, bang + 1)
    mark = len(message) if conversion is None else conversion.end()
    end = -1
    if message.startswith("}", mark):
        end = mark + 1
    elif message.startswith(":", mark):
        end = _spec_end(message, mark + 1)
    if end < 0:
        return _unclosed(message, start, len(message))
    if mark == bang + 2:
        return end
    spec = message[mark + 1:end - 1] if message.startswith(":", mark) else ""
    piece = Piece("", message[start + 1:bang], spec, message[bang + 1:mark], start, end)
    return ExpressionError(refused(message[start:end], piece), start, end - start)


def _spec_end(message: str, at: int) -> int:
    """Past the '}' that ends a format starting at ``at`` (its own braces nested in it, as
    in '{v:{w}}'); -1 if none does."""
    depth = 1
    for index in range(at, len(message)):
        depth += {"{": 1, "}": -1}.get(message[index], 0)
        if depth == 0:
            return index + 1
    return -1


def _unclosed(message: str, start: int, stop: int) -> ExpressionError:
    """A placeholder opened at ``start`` and not closed before ``stop`` (the next '{' or
    the end), said and underlined by its '{' and first word."""
    opened = _OPENED.match(message, start, stop).group().rstrip()  # type: ignore[union-attr]
    quoted = f" in '{opened}'" if len(opened) > 1 else ""
    return ExpressionError(f"unclosed '{{'{quoted}: close the placeholder with '}}', or "
                           "write '{{' for a literal brace", start, len(opened))
