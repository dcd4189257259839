"""Text: one line per finding, ``path:line:col: severity rule-id message``, then a summary.

Colour is added by the CLI when the output is a terminal; this renderer is plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import cast

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.errors import Location, kinds_line
from policycheck.formats.arrowtext import (
    POSITION,
    entity_words,
    piece,
    shown_number,
    text_columns,
    unless_empty,
    word,
)
from policycheck.formats.cells import plain_column
from policycheck.report import Report
from policycheck.streams import Piece


def finding_line(row: dict[str, object]) -> str:
    return _line(*(row.get(name) for name in _LINE_COLUMNS))


def errors_line(errors: int, where: str = "") -> str:
    """What the summary says of the errors that fail a run ("1 error above: ..."); ``where``
    they are, if not in the run's own input ("in the new version")."""
    return (f"{errors:,} error{'s' * (errors != 1)}{where} above: the run fails until "
            f"{'they are' if errors != 1 else 'it is'} fixed.")


def unread_said(files: int) -> str:
    """How the summaries count the input files that could not be read at all
    (``Report.files_unread``): their plans are in no count, neither checked nor invalid."""
    return f"{files:,} file{'s' * (files != 1)} could not be read"


def unread_line(files: int) -> str:
    """The summary line of the files that could not be read (``unread_said``)."""
    return f"{unread_said(files)}: see the errors above."


def text_line(row: dict[str, object]) -> str:
    """``finding_line`` as the text output shows it: control characters escaped."""
    return escaped_text(finding_line(row))


def summary(report: Report) -> str:
    counts = report.counts()
    shown = ", ".join(f"{n:,} {s}" for s, n in counts.items() if n) or "none"
    lines = [
        f"Checked {report.plans_checked:,} of {report.plans_read:,} plan"
        f"{'s' * (report.plans_read != 1)} with {len(report.rules):,} rule"
        f"{'s' * (len(report.rules) != 1)}: {len(report.findings):,} finding"
        f"{'s' * (len(report.findings) != 1)} ({shown}).",
    ]
    if report.plans_invalid:
        lines.append(f"{report.plans_invalid:,} invalid plan"
                     f"{'s were' if report.plans_invalid != 1 else ' was'} not checked: "
                     "see the errors above.")
    unread = report.files_unread
    if unread:  # its plans are in no count: neither checked nor invalid
        lines.append(unread_line(len(unread)))
    if report.errors:  # a file that could not be read has no plan to count as invalid
        lines.append(errors_line(len(report.errors)))
    warnings = len(report.problems) - len(report.errors)
    if warnings:
        lines.append(f"{warnings:,} warning{'s' * (warnings != 1)} above.")
    tally = kinds_line(report.problems)
    if tally:
        lines.append(tally)
    if report.fail_on != "none":
        lines.append(f"{report.failing_count:,} finding{'s' * (report.failing_count != 1)} "
                     f"at or above '{report.fail_on}'.")
    return "\n".join(lines)


#: Findings per piece of the stream (a line is about 250 bytes).
CHUNK = 50_000


def chunks(report: Report) -> Iterator[Piece]:
    """The text in UTF-8 pieces: the problems, the findings ``CHUNK`` lines at a time, then
    the summary; each piece ends its last line."""
    if report.problems:
        yield ("\n".join(str(p) for p in report.problems) + "\n").encode("utf-8")
    findings = report.findings
    for start in range(0, len(findings), CHUNK):
        part = findings.iloc[start:start + CHUNK]
        lines = line_array(part, end="\n")
        if lines is None:  # a value only the line-by-line way writes
            yield ("\n".join(finding_lines(part)) + "\n").encode("utf-8")
            continue
        yield piece(lines)
    yield (summary(report) + "\n").encode("utf-8")


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")


_LINE_COLUMNS = ("src_file", "src_sheet", "src_line", "src_col", "severity", "rule_id",
                 "plan_id", "scope", "entity_id", "message", "status", "waiver")


def finding_lines(findings: pd.DataFrame) -> list[str]:
    """``finding_line`` of every finding, reading each column once (a million findings are
    too many to turn into records first)."""
    lines = line_array(findings)
    if lines is not None:
        return cast(list[str], lines.to_pylist())
    columns = [plain_column(findings, name) for name in _LINE_COLUMNS]
    return [escaped_text(_line(*values)) for values in zip(*columns, strict=True)]


def line_array(findings: pd.DataFrame, end: str = "") -> pa.Array | None:
    """``finding_line`` of every finding followed by ``end``, built column by column by
    Arrow; None when a column holds a value only ``_line`` writes (text missing where a
    line shows it, or anything but text, as ``_line`` writes it with ``str``)."""
    found = text_columns(findings, LINE_TEXT, LINE_SHOWN)
    if found is None:
        return None
    text, line_no, col_no = found
    return lines_of({name: escaped_column(column) for name, column in text.items()}, line_no,
                    col_no, end=end)


#: Characters a line shows as escapes, as ranges of code points: the C0 and C1 control
#: characters and DEL, and the invisible ones that reorder or hide text (the bidirectional
#: overrides and isolates, zero-width spaces and joiners, the byte order mark). A name
#: holding a line break would split its finding in two lines (a CI log's parser reads one
#: finding per line), an escape sequence would restyle the terminal or the log, and a
#: right-to-left override in a plan name would make the line read other than it is
#: (the "Trojan Source" trick) for a reviewer of a pull request's check.
_HIDDEN_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0x61C, 0x61C), (0x200B, 0x200F),
                  (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x2069), (0xFEFF, 0xFEFF))
#: Each of them and how a line shows it: ``\n``, ``\x1b``, ``\u202e``.
CONTROLS = {chr(code): {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(
                chr(code), f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
            for low, high in _HIDDEN_RANGES for code in range(low, high + 1)}
#: A pattern matching any of them, for Arrow (RE2) and for Python.
_CONTROL = "[" + "".join(f"\\x{{{low:x}}}-\\x{{{high:x}}}" for low, high in _HIDDEN_RANGES) + "]"
_CONTROL_PY = re.compile("[" + "".join(f"\\U{low:08x}-\\U{high:08x}"
                                       for low, high in _HIDDEN_RANGES) + "]")


def escaped_column(column: pa.Array) -> pa.Array:
    """``column`` with its control and hidden characters written as escapes
    (``CONTROLS``)."""
    if not pc.any(pc.match_substring_regex(column, _CONTROL)).as_py():
        return column
    for char, shown in CONTROLS.items():
        column = pc.replace_substring(column, char, shown)
    return column


def escaped_text(value: object) -> str:
    """``str(value)`` with its control and hidden characters written as ``escaped_column`` writes
    them."""
    text = str(value)
    return "".join(CONTROLS.get(c, c) for c in text) if _CONTROL_PY.search(text) else text


def lines_of(text: dict[str, pa.Array], line_no: pa.Array, col_no: pa.Array, end: str = ""
             ) -> pa.Array:
    """``line_array`` of findings given as Arrow columns (``arrowtext.text_columns`` of
    LINE_TEXT, LINE_SHOWN)."""
    sheet = pc.fill_null(text["src_sheet"], "")
    where = pc.binary_join_element_wise(
        text["src_file"], unless_empty(sheet, word("["), sheet, word("]")),
        shown_number(pc.not_equal(line_no, 0), ":", line_no),
        shown_number(pc.and_(pc.not_equal(line_no, 0), pc.not_equal(col_no, 0)), ":", col_no),
        word(""))
    status = pc.fill_null(text["status"], "")
    status = pc.if_else(pc.equal(status, ""), word("open"), status)
    waiver = pc.fill_null(text["waiver"], "")
    tag = pc.if_else(pc.equal(status, "open"), word(""), pc.binary_join_element_wise(
        word(" ["), status, unless_empty(waiver, word(": "), waiver, word("]"), otherwise="]"),
        word("")))
    return pc.binary_join_element_wise(
        where, word(": "), text["severity"], word(" "), text["rule_id"], word(": plan '"),
        text["plan_id"], word("'"), entity_words(text["scope"], text["entity_id"]),
        word(": "), text["message"], tag, word(end), word(""))


#: The text columns of a line (the others are the place's numbers), and those it shows
#: with ``str`` (a missing one as "None", which only ``_line`` writes).
LINE_TEXT = tuple(name for name in _LINE_COLUMNS if name not in POSITION)
LINE_SHOWN = ("src_file", "severity", "rule_id", "plan_id", "scope", "message")


def _line(file: object, sheet: object, line: object, column: object, severity: object,
          rule_id: object, plan_id: object, scope: object, entity_id: object, message: object,
          status: object, waiver: object) -> str:
    where = str(Location(str(file), str(sheet or ""), int(line or 0),  # type: ignore[call-overload]
                         int(column or 0)))  # type: ignore[call-overload]
    entity = f" {scope} '{entity_id}'" if entity_id else ""
    status = status or "open"
    tag = "" if status == "open" else f" [{status}" + (f": {waiver}]" if waiver else "]")
    return f"{where}: {severity} {rule_id}: plan '{plan_id}'{entity}: {message}{tag}"
